//! The globals every function sees besides `context`, `console` and timers: `BSON`, `EJSON`,
//! `utils`, the web globals (`atob`, `btoa`, `TextEncoder`, `TextDecoder`, `global`) and a
//! one-pass `JSON.parse` and a lean `String.prototype.repeat` in place of Boa's. Node's
//! globals and `require` are in `crate::node`.

pub mod bson_types;
pub mod date_parse;
pub mod dates;
pub mod ejson;
pub mod json;
pub mod lockdown;
pub mod strings;
pub mod util;
pub mod utils;
pub mod web;

use boa_engine::{Context, JsResult};

/// Installs every global into a fresh worker context.
pub fn install(context: &mut Context) -> JsResult<()> {
    bson_types::install(context)?;
    dates::install(context)?;
    ejson::install(context)?;
    json::install(context)?;
    strings::install(context)?;
    utils::install(context)?;
    web::install(context)?;
    Ok(())
}
