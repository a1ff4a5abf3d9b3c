//! The app's npm packages: `functions/node_modules` as `npm install` in `functions/` leaves it,
//! or the archive exports carry (`archive.rs`). Functions `require` them at run time; loading
//! only finds the directory (unpacking an archive) and checks that every dependency
//! `functions/package.json` declares is installed.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Loader;

#[derive(Deserialize, Default)]
struct PackageJson {
    #[serde(default)]
    dependencies: BTreeMap<String, serde_json::Value>,
}

impl Loader<'_> {
    /// The canonical `functions/node_modules` directory, if there is one; a problem for each
    /// declared dependency that is not installed.
    pub(crate) fn modules_root(&mut self) -> Option<String> {
        let functions = self.root.join("functions");
        let mut modules = functions.join("node_modules");
        if !modules.is_dir()
            && let Some(archive) = super::archive::NAMES
                .iter()
                .map(|n| functions.join(n))
                .find(|p| p.is_file())
        {
            match super::archive::unpack(&archive) {
                Ok(dir) => modules = dir,
                Err(e) => {
                    self.problem(&archive, None, format!("cannot unpack node_modules: {e}"));
                    return None;
                }
            }
        }
        let manifest = functions.join("package.json");
        if manifest.is_file() {
            let declared: PackageJson = self.json(&manifest).unwrap_or_default();
            let missing: Vec<&String> = declared
                .dependencies
                .keys()
                .filter(|name| !modules.join(name).join("package.json").is_file())
                .collect();
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                self.problem(
                    &manifest,
                    None,
                    format!(
                        "dependencies not installed: {}; run `npm install` in functions/",
                        names.join(", ")
                    ),
                );
            }
        }
        let canonical = modules.canonicalize().ok().filter(|p| p.is_dir())?;
        Some(canonical.to_string_lossy().into_owned())
    }
}
