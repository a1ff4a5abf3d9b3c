//! The globals every function sees besides `context`, `console` and timers: `BSON`, `EJSON`,
//! `utils`, the web globals (`atob`, `btoa`, `TextEncoder`, `TextDecoder`, `global`), and a
//! `require` that says clearly it is not supported yet.

pub mod bson_types;
pub mod ejson;
pub mod lockdown;
pub mod util;
pub mod utils;
pub mod web;

use boa_engine::{Context, JsNativeError, JsResult, NativeFunction, js_string};

/// Installs every global into a fresh worker context.
pub fn install(context: &mut Context) -> JsResult<()> {
    bson_types::install(context)?;
    ejson::install(context)?;
    utils::install(context)?;
    web::install(context)?;
    context.register_global_callable(
        js_string!("require"),
        1,
        NativeFunction::from_fn_ptr(|_, args, ctx| {
            let name = util::arg(args, 0).to_string(ctx)?.to_std_string_escaped();
            Err(JsNativeError::error()
                .with_message(format!(
                    "require('{name}') is not supported by writ yet: npm packages and Node built-in modules are not available to functions"
                ))
                .into())
        }),
    )?;
    Ok(())
}
