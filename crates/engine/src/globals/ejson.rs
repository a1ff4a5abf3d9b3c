//! `EJSON.parse` and `EJSON.stringify`, relaxed by default as in js-bson.

use boa_engine::{
    Context, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, js_string,
    object::ObjectInitializer, property::Attribute,
};
use bson::Bson;

use super::util::arg;
use crate::convert::{NumberMode, bson_to_js_with, js_to_bson};

fn relaxed_option(options: &JsValue, context: &mut Context) -> JsResult<bool> {
    match options.as_object() {
        Some(o) => {
            let v = o.get(js_string!("relaxed"), context)?;
            Ok(v.is_undefined() || v.to_boolean())
        }
        None => Ok(true),
    }
}

/// Parses Extended JSON text into JS values with BSON types.
fn parse(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let text = arg(args, 0).to_string(context)?.to_std_string_escaped();
    let relaxed = relaxed_option(&arg(args, 1), context)?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| JsNativeError::syntax().with_message(format!("EJSON.parse: {e}")))?;
    let bson = Bson::try_from(json)
        .map_err(|e| JsNativeError::syntax().with_message(format!("EJSON.parse: {e}")))?;
    let mode = if relaxed {
        NumberMode::Relaxed
    } else {
        NumberMode::Strict
    };
    bson_to_js_with(&bson, mode, context)
}

/// Serializes a value as Extended JSON: `(value, replacer?, space?, options?)`.
fn stringify(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let value = arg(args, 0);
    let (mut replacer, mut space, mut options) = (arg(args, 1), arg(args, 2), arg(args, 3));
    // js-bson accepts the options in the replacer's or the space's place.
    if replacer
        .as_object()
        .is_some_and(|o| !o.is_callable() && !o.is_array())
    {
        options = replacer;
        replacer = JsValue::undefined();
        space = JsValue::undefined();
    } else if space.as_object().is_some() {
        options = space;
        space = JsValue::undefined();
    }
    let relaxed = relaxed_option(&options, context)?;
    let bson = js_to_bson(&value, context)?;
    let json = if relaxed {
        bson.into_relaxed_extjson()
    } else {
        bson.into_canonical_extjson()
    };
    if replacer.is_undefined() && space.is_undefined() {
        return Ok(JsString::from(json.to_string()).into());
    }
    let js = JsValue::from_json(&json, context)?;
    let json_obj = context.intrinsics().objects().json();
    let f = json_obj.get(js_string!("stringify"), context)?;
    let f: JsObject = f
        .as_callable()
        .ok_or_else(|| JsNativeError::typ().with_message("JSON.stringify missing"))?;
    f.call(&JsValue::undefined(), &[js, replacer, space], context)
}

/// Installs the `EJSON` global.
pub fn install(context: &mut Context) -> JsResult<()> {
    let ejson = ObjectInitializer::new(context)
        .function(NativeFunction::from_fn_ptr(parse), js_string!("parse"), 2)
        .function(NativeFunction::from_fn_ptr(stringify), js_string!("stringify"), 4)
        .build();
    context.register_global_property(js_string!("EJSON"), ejson, Attribute::READONLY)?;
    Ok(())
}
