//! Node's runtime for function code: the built-in modules (`path`, `events`, `buffer`,
//! `util`, `querystring`, `url`, `string_decoder`, `stream`, `assert`, `crypto`, `os`,
//! `timers`), `require` with npm packages from the app's `functions/node_modules`
//! (`loader.js`), and the globals `Buffer`, `URL`, `URLSearchParams`, `process`, `crypto`
//! `structuredClone` and Annex B's `escape`/`unescape`.
//!
//! Built-ins are JavaScript (`*.js` here) over a few natives (`natives.rs`), each created the
//! first time a worker needs it (so a worker starts as fast as without them) and frozen at
//! once, as lockdown froze the intrinsics: no call can change what the next one gets.
//! Packages are evaluated per call (`modules.rs`).

mod async_ident;
mod cipher;
mod ec;
mod keys;
pub(crate) mod modules;
mod natives;
mod zlib;
mod zstream;

use boa_engine::{
    Context, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, Source,
    object::ObjectInitializer, property::Attribute,
};

/// The built-in modules, in creation order (a module may require those before it).
const BUILTINS: [(&str, &str); 27] = [
    ("path", include_str!("path.js")),
    ("events", include_str!("events.js")),
    ("buffer", include_str!("buffer.js")),
    ("util", include_str!("util.js")),
    ("querystring", include_str!("querystring.js")),
    ("url", include_str!("url.js")),
    ("string_decoder", include_str!("string_decoder.js")),
    ("stream", include_str!("stream.js")),
    ("stream/web", include_str!("web_streams.js")),
    ("stream/consumers", include_str!("stream_consumers.js")),
    ("assert", include_str!("assert.js")),
    ("crypto", include_str!("crypto.js")),
    ("os", include_str!("os.js")),
    ("timers", include_str!("timers.js")),
    ("process", include_str!("process.js")),
    ("zlib", include_str!("zlib.js")),
    ("punycode", include_str!("punycode.js")),
    ("dns", include_str!("dns.js")),
    ("fs", include_str!("fs.js")),
    ("dgram", include_str!("dgram.js")),
    ("diagnostics_channel", include_str!("diagnostics_channel.js")),
    // Not Node modules (`require` does not offer `internal/*`): the `fetch` and `Blob` globals, and
    // `tty`, `perf_hooks` and `console`, `http` and `https`, `net` and `tls` (aliases in internal.js).
    ("internal/small", include_str!("small.js")),
    ("internal/abort", include_str!("abort.js")),
    ("internal/http", include_str!("http.js")),
    ("internal/net", include_str!("net.js")),
    ("internal/blob", include_str!("blob.js")),
    ("internal/fetch", include_str!("fetch.js")),
];

/// Node modules functions never get (App Services did not offer them either): `require` gives
/// a stub whose members throw saying so.
pub const NEVER_MODULES: [&str; 12] = [
    "child_process",
    "cluster",
    "domain",
    "readline",
    "v8",
    "vm",
    "worker_threads",
    "inspector",
    "repl",
    "trace_events",
    "wasi",
    "module",
];

/// Node modules writ does not have yet: `require` gives a stub whose members throw when used.
pub const NOT_YET_MODULES: [&str; 2] = ["async_hooks", "constants"];

/// A plain object of native functions, for a module's factory.
pub(crate) fn natives_object(
    functions: &[(&str, boa_engine::native_function::NativeFunctionPointer)],
    context: &mut Context,
) -> JsResult<JsValue> {
    let mut init = ObjectInitializer::new(context);
    for (name, f) in functions {
        init.function(NativeFunction::from_fn_ptr(*f), JsString::from(*name), 0);
    }
    Ok(init.build().into())
}

fn eval_fn(source: &str, what: &str, context: &mut Context) -> JsResult<JsObject> {
    context
        .eval(Source::from_bytes(source))?
        .as_callable()
        .ok_or_else(|| {
            JsNativeError::typ()
                .with_message(format!("internal: {what} is not a function"))
                .into()
        })
}

fn get(object: &JsObject, key: &str, context: &mut Context) -> JsResult<JsValue> {
    object.get(JsString::from(key), context)
}

/// What lockdown needs from the Node runtime.
pub struct Installed {
    /// Roots of objects only closures reach, for lockdown to freeze.
    pub roots: Vec<JsObject>,
    /// The enablement function lockdown applies to overridable built-in properties.
    pub enable: JsValue,
}

/// `source(name)`: the factory of built-in module `name` (its file evaluated), or null.
pub(crate) fn source(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let name = crate::globals::util::arg(args, 0)
        .to_string(context)?
        .to_std_string_escaped();
    match BUILTINS.iter().find(|(n, _)| *n == name) {
        Some((n, text)) => Ok(eval_fn(text, n, context)?.into()),
        None => Ok(JsValue::null()),
    }
}

/// `freeze(value)`: freezes a new built-in module and everything it reaches, as lockdown froze
/// the intrinsics (already frozen objects are not walked again).
pub(crate) fn freeze(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    if let Some(o) = crate::globals::util::arg(args, 0).as_object() {
        crate::globals::lockdown::freeze_new(o, context)?;
    }
    Ok(JsValue::undefined())
}

/// Installs `require` and Node's globals; built-in modules are created on first use.
pub fn install(context: &mut Context) -> JsResult<Installed> {
    eval_fn(include_str!("annexb.js"), "annexb.js", context)?.call(&JsValue::undefined(), &[], context)?;
    let natives = natives::natives(context)?;
    eval_fn(include_str!("error_stack.js"), "error_stack.js", context)?.call(
        &JsValue::undefined(),
        std::slice::from_ref(&natives),
        context,
    )?;
    let internal = eval_fn(include_str!("internal.js"), "internal.js", context)?.call(
        &JsValue::undefined(),
        &[natives],
        context,
    )?;
    let internal = internal
        .as_object()
        .ok_or_else(|| JsNativeError::typ().with_message("internal: internal.js"))?;
    let require_builtin = get(&internal, "require", context)?;
    let loader = eval_fn(include_str!("loader.js"), "loader.js", context)?;
    let module_natives = modules::natives(context)?;
    let require = loader.call(&JsValue::undefined(), &[module_natives, require_builtin], context)?;
    context.register_global_property(JsString::from("require"), require, Attribute::all())?;
    if let Some(f) = get(&internal, "installGlobals", context)?.as_callable() {
        f.call(&JsValue::undefined(), &[], context)?;
    }
    Ok(Installed {
        roots: vec![internal.clone()],
        enable: get(&internal, "enable", context)?,
    })
}
