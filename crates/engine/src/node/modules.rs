//! The natives behind `require` (`loader.js`): file access confined to the deployment's
//! `functions/node_modules`, and module compilation cached per worker and deployment.

use std::{collections::HashMap, path::Path};

use boa_engine::{
    Context, JsNativeError, JsResult, JsString, JsValue, Source,
    object::{IntegrityLevel, builtins::JsFunction},
};

use crate::{globals::util::arg, state::worker_host};

/// The largest package file `require` reads.
const MAX_FILE: u64 = 32 * 1024 * 1024;

/// Node's module wrapper; it opens on the file's first line so line numbers stay the file's.
const HEADER: &str = "(function (exports, require, module, __filename, __dirname) {";
const FOOTER: &str = "\n})";

/// The deployment's modules root, if it has one.
fn root(context: &Context) -> JsResult<Option<String>> {
    let host = worker_host(context)?;
    let compiled = host.compiled.borrow();
    Ok(compiled.deployment.as_ref().and_then(|d| d.modules_root.clone()))
}

/// `path` if it is inside the modules root once symbolic links are resolved.
fn confined(path: &str, context: &Context) -> JsResult<Option<std::path::PathBuf>> {
    let Some(root) = root(context)? else {
        return Ok(None);
    };
    let Ok(real) = Path::new(path).canonicalize() else {
        return Ok(None);
    };
    Ok(real.starts_with(&root).then_some(real))
}

fn path_arg(args: &[JsValue], context: &mut Context) -> JsResult<String> {
    Ok(arg(args, 0).to_string(context)?.to_std_string_escaped())
}

/// What `require` learned about the deployment's package files, kept until the next
/// deployment: package files are fixed for a deployment, as App Services deployed them with the
/// app (a package installed while writ runs is seen from the next deployment on). Resolving
/// and reading them afresh in every call cost axios ~10 ms a call.
#[derive(Default)]
pub(crate) struct PackageFiles {
    /// Each file's wrapper function, compiled and frozen.
    compiled: HashMap<String, JsFunction>,
    /// What `stat` answered for each path asked.
    kinds: HashMap<String, u8>,
    /// The text of each file `read` (JSON modules) up to [`TEXT_CACHE`] bytes in all; a string
    /// is immutable, so calls can share it.
    texts: HashMap<String, JsString>,
    text_bytes: usize,
    /// Where each request resolved from each directory (`dir NUL request` to the file): Node's
    /// resolution walks and parses `package.json` files in JavaScript, ~70% of a warm
    /// `require("openai")` before this cache.
    resolved: HashMap<String, JsString>,
    /// The bytes of the paths and requests kept in `kinds` and `resolved`.
    path_bytes: usize,
}

/// How many `stat` answers (and, apart, resolved requests) a worker keeps.
const MAX_KINDS: usize = 65_536;

/// How many bytes of paths and requests those keep in all: a function can make up endless
/// requests that lead to the same file (`./a/../a/../x`).
const PATH_CACHE: usize = 8 * 1024 * 1024;

/// How much package text a worker keeps for `read`.
const TEXT_CACHE: usize = 16 * 1024 * 1024;

impl PackageFiles {
    /// Forgets everything (a new deployment).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// How many package files are compiled.
    pub fn compiled(&self) -> usize {
        self.compiled.len()
    }
}

/// `stat(path)`: 1 for a file, 2 for a directory, 0 for anything else or outside the root.
fn stat(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let path = path_arg(args, context)?;
    let host = worker_host(context)?;
    if let Some(kind) = host.modules.borrow().kinds.get(&path) {
        return Ok(JsValue::from(*kind));
    }
    let kind: u8 = match confined(&path, context)? {
        Some(p) if p.is_file() => 1,
        Some(p) if p.is_dir() => 2,
        _ => 0,
    };
    let mut files = host.modules.borrow_mut();
    // Bounded: a function asking for endless made-up paths does not grow it forever.
    if files.kinds.len() < MAX_KINDS && files.path_bytes + path.len() <= PATH_CACHE {
        files.path_bytes += path.len();
        files.kinds.insert(path, kind);
    }
    Ok(JsValue::from(kind))
}

fn read_file(path: &str, context: &Context) -> JsResult<String> {
    let fail = |m: String| JsNativeError::error().with_message(m);
    let real = confined(path, context)?.ok_or_else(|| fail(format!("cannot read '{path}'")))?;
    let size = std::fs::metadata(&real).map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE {
        return Err(fail(format!("'{path}' is larger than {MAX_FILE} bytes")).into());
    }
    std::fs::read_to_string(&real).map_err(|e| fail(format!("cannot read '{path}': {e}")).into())
}

/// `read(path)`: the file's text.
fn read(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let path = path_arg(args, context)?;
    let host = worker_host(context)?;
    if let Some(text) = host.modules.borrow().texts.get(&path) {
        return Ok(text.clone().into());
    }
    let source = read_file(&path, context)?;
    let text = JsString::from(source.as_str());
    let mut files = host.modules.borrow_mut();
    if files.text_bytes + source.len() <= TEXT_CACHE {
        files.text_bytes += source.len();
        files.texts.insert(path, text.clone());
    }
    Ok(text.into())
}

/// `compile(path)`: the module's wrapper function, compiled once per deployment and frozen (so
/// no call can leave state on it for the next).
fn compile(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let path = path_arg(args, context)?;
    let host = worker_host(context)?;
    if let Some(f) = host.modules.borrow().compiled.get(&path) {
        return Ok(f.clone().into());
    }
    let source = read_file(&path, context)?;
    let body = source.strip_prefix("#!").map_or(source.as_str(), |_| {
        // A shebang line stays as an empty line, so line numbers do not move.
        source.find('\n').map_or("", |i| &source[i..])
    });
    let mut wrapped = String::with_capacity(HEADER.len() + body.len() + FOOTER.len());
    wrapped.push_str(HEADER);
    wrapped.push_str(body);
    wrapped.push_str(FOOTER);
    // Boa cannot run a function defined in a class method's computed name (`class_keys.rs`).
    let wrapped = crate::class_keys::hoist(&wrapped).unwrap_or(wrapped);
    // Stack traces name the package file from `node_modules/`, not the server's directories.
    let shown = path
        .rfind("/node_modules/")
        .map_or(path.as_str(), |i| &path[i + 1..]);
    let named = Source::from_bytes(wrapped.as_bytes()).with_path(std::path::Path::new(shown));
    let script = match boa_engine::Script::parse(named, None, context) {
        Ok(script) => script,
        Err(e) => {
            let fail = || JsNativeError::syntax().with_message(format!("{path}: {e}"));
            // Boa misreads `async(...)` calls, and `using` where an expression is expected, of
            // identifiers so named (see async_ident.rs): the file is read again with them renamed.
            let message = e.to_string();
            let renamed = if message.contains("async") {
                super::async_ident::rename(&wrapped)
            } else if message.contains("using") {
                super::async_ident::rename_using(&wrapped)
            } else {
                None
            };
            let renamed = renamed.ok_or_else(fail)?;
            let named = Source::from_bytes(renamed.as_bytes()).with_path(std::path::Path::new(shown));
            boa_engine::Script::parse(named, None, context).map_err(|_| fail())?
        }
    };
    let value = script.evaluate(context)?;
    let function = value
        .as_object()
        .and_then(JsFunction::from_object)
        .ok_or_else(|| JsNativeError::error().with_message(format!("{path}: not a module")))?;
    function.set_integrity_level(IntegrityLevel::Frozen, context)?;
    host.modules.borrow_mut().compiled.insert(path, function.clone());
    Ok(function.into())
}

/// `recall(key)`: the file `remember` kept for `key`, or undefined.
fn recall(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let key = path_arg(args, context)?;
    let host = worker_host(context)?;
    let files = host.modules.borrow();
    Ok(files
        .resolved
        .get(&key)
        .map_or(JsValue::undefined(), |f| f.clone().into()))
}

/// `remember(key, file)`: keeps where a request resolved, for the rest of the deployment.
fn remember(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let key = path_arg(args, context)?;
    let file = arg(args, 1).to_string(context)?;
    let host = worker_host(context)?;
    let mut files = host.modules.borrow_mut();
    // Bounded like `stat`'s answers: only requests that resolved are kept.
    let bytes = key.len() + file.len();
    if files.resolved.len() < MAX_KINDS && files.path_bytes + bytes <= PATH_CACHE {
        files.path_bytes += bytes;
        files.resolved.insert(key, file);
    }
    Ok(JsValue::undefined())
}

/// `cache()`: the running call's module cache, a `Map` from file to module made on first use
/// (a fresh one each time outside a call).
fn cache(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let host = worker_host(context)?;
    if let Some(map) = host.call.borrow().as_ref().and_then(|c| c.modules_js.clone()) {
        return Ok(map);
    }
    let map: JsValue = boa_engine::object::builtins::JsMap::new(context).into();
    if let Some(call) = host.call.borrow_mut().as_mut() {
        call.modules_js = Some(map.clone());
    }
    Ok(map)
}

/// `epoch()`: the running call's number, to which state Node keeps in a module (named
/// diagnostics channels, stack settings) is keyed.
pub(super) fn epoch(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let host = worker_host(context)?;
    let seq = host.call.borrow().as_ref().map_or(0, |c| c.seq);
    Ok(JsValue::from(seq as f64))
}

/// `root()`: the modules root, or null.
fn modules_root(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    Ok(match root(context)? {
        Some(r) => JsString::from(r.as_str()).into(),
        None => JsValue::null(),
    })
}

/// Where an `fs` call's path leads: inside the modules root (the canonical path), missing
/// (`ENOENT`: it does not exist, or nothing could be there) or outside the root (`EACCES`).
fn fs_target(
    path: &str,
    follow: bool,
    context: &Context,
) -> JsResult<Result<std::path::PathBuf, &'static str>> {
    let Some(root) = root(context)? else {
        return Ok(Err("EACCES"));
    };
    let given = Path::new(path);
    if !given.is_absolute() {
        return Ok(Err("EACCES"));
    }
    // The path itself (lstat) or where its links lead (stat, read).
    let resolved = if follow {
        given.canonicalize()
    } else {
        match (given.parent(), given.file_name()) {
            (Some(parent), Some(name)) => parent.canonicalize().map(|p| p.join(name)),
            _ => given.canonicalize(),
        }
    };
    Ok(match resolved {
        Ok(real) if real.starts_with(&root) => {
            if std::fs::symlink_metadata(&real).is_ok() {
                Ok(real)
            } else {
                Err("ENOENT")
            }
        }
        Ok(_) => Err("EACCES"),
        // Missing: say so only beneath the root, where the function may look.
        Err(_) if lexically_inside(given, Path::new(&root)) => Err("ENOENT"),
        Err(_) => Err("EACCES"),
    })
}

fn lexically_inside(path: &Path, root: &Path) -> bool {
    use std::path::Component;
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(p) => parts.push(p),
            _ => {}
        }
    }
    let normal: std::path::PathBuf = std::iter::once(std::ffi::OsStr::new("/")).chain(parts).collect();
    normal.starts_with(root)
}

/// `fsRead(path)`: a file's bytes (Uint8Array) beneath the modules root, or an error code.
pub(super) fn fs_read(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let path = path_arg(args, context)?;
    let real = match fs_target(&path, true, context)? {
        Ok(real) => real,
        Err(code) => return Ok(JsString::from(code).into()),
    };
    if real.is_dir() {
        return Ok(JsString::from("EISDIR").into());
    }
    let size = std::fs::metadata(&real).map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE {
        return Ok(JsString::from("EFBIG").into());
    }
    match std::fs::read(&real) {
        Ok(bytes) => super::natives::u8_array(bytes, context),
        Err(_) => Ok(JsString::from("EACCES").into()),
    }
}

/// `fsStat(path, follow)`: `[kind, size, mode, mtimeMs, birthtimeMs, ino, nlink]` (kind 1
/// file, 2 directory, 3 symbolic link), or an error code.
pub(super) fn fs_stat(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    use std::os::unix::fs::MetadataExt;
    let path = path_arg(args, context)?;
    let follow = arg(args, 1).to_boolean();
    let real = match fs_target(&path, follow, context)? {
        Ok(real) => real,
        Err(code) => return Ok(JsString::from(code).into()),
    };
    let meta = if follow {
        std::fs::metadata(&real)
    } else {
        std::fs::symlink_metadata(&real)
    };
    let Ok(meta) = meta else {
        return Ok(JsString::from("ENOENT").into());
    };
    let kind = if meta.file_type().is_symlink() {
        3
    } else if meta.is_dir() {
        2
    } else {
        1
    };
    let ms = |s: i64, ns: i64| s as f64 * 1000.0 + ns as f64 / 1e6;
    let values = [
        kind as f64,
        meta.size() as f64,
        meta.mode() as f64,
        ms(meta.mtime(), meta.mtime_nsec()),
        ms(meta.ctime(), meta.ctime_nsec()),
        meta.ino() as f64,
        meta.nlink() as f64,
    ]
    .map(JsValue::from);
    Ok(boa_engine::object::builtins::JsArray::from_iter(values, context).into())
}

/// `fsList(path)`: a directory's entry names beneath the modules root, or an error code.
pub(super) fn fs_list(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let path = path_arg(args, context)?;
    let real = match fs_target(&path, true, context)? {
        Ok(real) => real,
        Err(code) => return Ok(JsString::from(code).into()),
    };
    let Ok(entries) = std::fs::read_dir(&real) else {
        return Ok(JsString::from(if real.is_dir() { "EACCES" } else { "ENOTDIR" }).into());
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    let names = names
        .into_iter()
        .map(|n| JsValue::from(JsString::from(n.as_str())));
    Ok(boa_engine::object::builtins::JsArray::from_iter(names, context).into())
}

/// The natives object `loader.js` receives.
pub fn natives(context: &mut Context) -> JsResult<JsValue> {
    super::natives_object(
        &[
            ("stat", stat),
            ("read", read),
            ("compile", compile),
            ("cache", cache),
            ("root", modules_root),
            ("recall", recall),
            ("remember", remember),
        ],
        context,
    )
}
