//! `node_modules` packed as exports carry it (`functions/node_modules.zip`, `.tar` or
//! `.tar.gz`/`.tgz`): unpacked once into a cache directory named after the archive's SHA-256,
//! so a restart or reload with the same archive reuses it. Entries that would land outside
//! that directory are refused (`tar` and `zip` check paths), and an archive that unpacks to
//! more than [`MAX_UNPACKED`] bytes or [`MAX_ENTRIES`] entries is refused as a bomb.

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

/// The most an archive may unpack to.
pub const MAX_UNPACKED: u64 = 2 * 1024 * 1024 * 1024;

/// The most entries an archive may have.
pub const MAX_ENTRIES: usize = 500_000;

/// The archive names looked for in `functions/`, in order.
pub const NAMES: [&str; 4] = [
    "node_modules.tar.gz",
    "node_modules.tgz",
    "node_modules.tar",
    "node_modules.zip",
];

/// Where archives are unpacked: `WRIT_MODULES_CACHE`, else the system's temporary directory.
pub fn cache_root() -> PathBuf {
    std::env::var_os("WRIT_MODULES_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("writ-node-modules"))
}

/// The `node_modules` directory `archive` unpacks to (unpacking it if this archive was not
/// unpacked before).
pub fn unpack(archive: &Path) -> Result<PathBuf, String> {
    let bytes = std::fs::read(archive).map_err(|e| format!("cannot read the archive: {e}"))?;
    let digest = hex::encode(Sha256::digest(&bytes));
    let dir = cache_root().join(&digest[..32]);
    let done = dir.join(".unpacked");
    if !done.is_file() {
        let staging = cache_root().join(format!("{}.{}", &digest[..32], std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
        let name = archive.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let result = if name.ends_with(".zip") {
            unzip(&bytes, &staging)
        } else if name.ends_with(".tar") {
            untar(&bytes[..], &staging)
        } else {
            untar(flate2::read::GzDecoder::new(&bytes[..]), &staging)
        };
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        std::fs::write(staging.join(".unpacked"), b"").map_err(|e| e.to_string())?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&staging, &dir).map_err(|e| format!("cannot move the unpacked archive: {e}"))?;
    }
    let nested = dir.join("node_modules");
    Ok(if nested.is_dir() { nested } else { dir })
}

fn untar(reader: impl Read, into: &Path) -> Result<(), String> {
    let mut archive = tar::Archive::new(reader);
    let (mut total, mut count) = (0u64, 0usize);
    for entry in archive.entries().map_err(|e| format!("not a tar archive: {e}"))? {
        let mut entry = entry.map_err(|e| format!("broken tar archive: {e}"))?;
        count += 1;
        total += entry.size();
        if count > MAX_ENTRIES || total > MAX_UNPACKED {
            return Err(format!(
                "the archive unpacks to more than {MAX_ENTRIES} entries or {MAX_UNPACKED} bytes"
            ));
        }
        // `unpack_in` refuses entries whose paths leave `into`.
        entry
            .unpack_in(into)
            .map_err(|e| format!("cannot unpack an entry: {e}"))?;
    }
    Ok(())
}

fn unzip(bytes: &[u8], into: &Path) -> Result<(), String> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("not a zip archive: {e}"))?;
    if archive.len() > MAX_ENTRIES {
        return Err(format!("the archive has more than {MAX_ENTRIES} entries"));
    }
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut file = archive
            .by_index(i)
            .map_err(|e| format!("broken zip archive: {e}"))?;
        let Some(rel) = file.enclosed_name() else {
            return Err(format!(
                "the archive entry '{}' would land outside node_modules",
                file.name()
            ));
        };
        let path = into.join(rel);
        if file.is_dir() {
            std::fs::create_dir_all(&path).map_err(|e| e.to_string())?;
            continue;
        }
        let size = file.size();
        total += size;
        if total > MAX_UNPACKED {
            return Err(format!("the archive unpacks to more than {MAX_UNPACKED} bytes"));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut out = std::fs::File::create(&path).map_err(|e| e.to_string())?;
        // Bounded by the entry's declared size, so a lying header cannot unpack more.
        std::io::copy(&mut (&mut file).take(size), &mut out).map_err(|e| e.to_string())?;
    }
    Ok(())
}
