//! Node's runtime for function code: the built-in modules (`path`, `events`, `buffer`,
//! `util`, `querystring`, `url`, `string_decoder`, `stream`, `assert`, `crypto`, `os`,
//! `timers`), `require` with npm packages from the app's `functions/node_modules`
//! (`loader.js`), and the globals `Buffer`, `URL`, `URLSearchParams`, `process`, `crypto`
//! `structuredClone` and Annex B's `escape`/`unescape`.
//!
//! Built-ins are JavaScript (`*.js` here) over a few natives (`natives.rs`), created once per
//! worker before lockdown, so they are frozen with every other intrinsic: no call can change
//! what the next one gets. Packages are evaluated per call (`modules.rs`).

mod modules;
mod natives;

use boa_engine::{
    Context, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, Source,
    object::ObjectInitializer, property::Attribute,
};

/// The built-in modules, in creation order (a module may require those before it).
const BUILTINS: [(&str, &str); 13] = [
    ("path", include_str!("path.js")),
    ("events", include_str!("events.js")),
    ("buffer", include_str!("buffer.js")),
    ("util", include_str!("util.js")),
    ("querystring", include_str!("querystring.js")),
    ("url", include_str!("url.js")),
    ("string_decoder", include_str!("string_decoder.js")),
    ("stream", include_str!("stream.js")),
    ("assert", include_str!("assert.js")),
    ("crypto", include_str!("crypto.js")),
    ("os", include_str!("os.js")),
    ("timers", include_str!("timers.js")),
    ("process", include_str!("process.js")),
];

/// Modules App Services did not offer either, and why `require` refuses them.
const NEVER: &str = "it is not available to functions (App Services did not offer it either)";
/// Modules App Services offered (fully or in part) that writ does not have yet.
const NOT_YET: &str = "writ does not support this Node module yet";
const UNSUPPORTED: [(&str, &str); 31] = [
    ("child_process", NEVER),
    ("cluster", NEVER),
    ("domain", NEVER),
    ("readline", NEVER),
    ("v8", NEVER),
    ("vm", NEVER),
    ("worker_threads", NEVER),
    ("inspector", NEVER),
    ("repl", NEVER),
    ("trace_events", NEVER),
    ("wasi", NEVER),
    ("module", NEVER),
    ("http", NOT_YET),
    ("https", NOT_YET),
    ("http2", NOT_YET),
    ("net", NOT_YET),
    ("tls", NOT_YET),
    ("dns", NOT_YET),
    ("dgram", NOT_YET),
    ("fs", NOT_YET),
    ("fs/promises", NOT_YET),
    ("zlib", NOT_YET),
    ("perf_hooks", NOT_YET),
    ("async_hooks", NOT_YET),
    ("tty", NOT_YET),
    ("punycode", NOT_YET),
    ("diagnostics_channel", NOT_YET),
    ("constants", NOT_YET),
    ("stream/promises", NOT_YET),
    ("stream/web", NOT_YET),
    ("stream/consumers", NOT_YET),
];

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

/// What lockdown must also freeze: objects only the built-ins reach, and the prototypes whose
/// methods stay overridable on subclasses.
pub struct Installed {
    /// Roots of objects reachable only through closures.
    pub roots: Vec<JsObject>,
    /// Prototypes whose methods get lockdown's enablement.
    pub overridable: JsValue,
}

/// Creates the built-in modules and installs `require` and Node's globals.
pub fn install(context: &mut Context) -> JsResult<Installed> {
    let internal = eval_fn(include_str!("internal.js"), "internal.js", context)?.call(
        &JsValue::undefined(),
        &[],
        context,
    )?;
    let internal = internal
        .as_object()
        .ok_or_else(|| JsNativeError::typ().with_message("internal: internal.js"))?;
    let builtins = get(&internal, "builtins", context)?
        .as_object()
        .ok_or_else(|| JsNativeError::typ().with_message("internal: builtins"))?;
    let require_builtin = get(&internal, "require", context)?;
    let natives = natives::natives(context)?;
    for (name, source) in BUILTINS {
        let factory = eval_fn(source, name, context)?;
        let exports = factory.call(
            &JsValue::undefined(),
            &[natives.clone(), require_builtin.clone(), internal.clone().into()],
            context,
        )?;
        builtins.set(JsString::from(name), exports, true, context)?;
    }
    let util = get(&builtins, "util", context)?;
    let aliases: [(&str, JsValue); 5] = [
        (
            "util/types",
            util.as_object()
                .map_or(Ok(JsValue::undefined()), |u| get(&u, "types", context))?,
        ),
        ("path/posix", get(&builtins, "path", context)?),
        ("sys", util.clone()),
        ("assert/strict", member(&builtins, "assert", "strict", context)?),
        (
            "timers/promises",
            member(&builtins, "timers", "promises", context)?,
        ),
    ];
    for (name, value) in aliases {
        builtins.set(JsString::from(name), value, true, context)?;
    }

    let unsupported = ObjectInitializer::new(context).build();
    for (name, why) in UNSUPPORTED {
        unsupported.set(JsString::from(name), JsString::from(why), true, context)?;
    }
    let loader = eval_fn(include_str!("loader.js"), "loader.js", context)?;
    let module_natives = modules::natives(context)?;
    let path = get(&builtins, "path", context)?;
    let require = loader.call(
        &JsValue::undefined(),
        &[
            module_natives,
            builtins.clone().into(),
            unsupported.clone().into(),
            path,
        ],
        context,
    )?;

    let url = get(&builtins, "url", context)?;
    let buffer = get(&builtins, "buffer", context)?;
    let crypto = get(&builtins, "crypto", context)?;
    let globals: [(&str, JsValue); 9] = [
        ("escape", get(&internal, "escape", context)?),
        ("unescape", get(&internal, "unescape", context)?),
        ("require", require),
        ("Buffer", member_of(&buffer, "Buffer", context)?),
        ("URL", member_of(&url, "URL", context)?),
        ("URLSearchParams", member_of(&url, "URLSearchParams", context)?),
        ("process", get(&builtins, "process", context)?),
        ("structuredClone", get(&internal, "structuredClone", context)?),
        ("crypto", member_of(&crypto, "webcrypto", context)?),
    ];
    for (name, value) in globals {
        context.register_global_property(JsString::from(name), value, Attribute::all())?;
    }
    Ok(Installed {
        roots: vec![builtins, unsupported, internal.clone()],
        overridable: get(&internal, "overridable", context)?,
    })
}

fn member_of(object: &JsValue, key: &str, context: &mut Context) -> JsResult<JsValue> {
    match object.as_object() {
        Some(o) => get(&o, key, context),
        None => Ok(JsValue::undefined()),
    }
}

fn member(object: &JsObject, module: &str, key: &str, context: &mut Context) -> JsResult<JsValue> {
    let m = get(object, module, context)?;
    member_of(&m, key, context)
}
