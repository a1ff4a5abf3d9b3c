//! How a JavaScript value reads in a log line, and how a thrown value becomes a
//! [`JsException`]: the one place both are decided.

use boa_engine::{Context, JsError, JsObject, JsString, JsValue, JsVariant};

use crate::{api::JsException, convert::js_to_bson};

/// Formats a value the way `console.log` shows it: strings raw, BSON values as relaxed EJSON.
pub fn display(value: &JsValue, context: &mut Context) -> String {
    match value.variant() {
        JsVariant::String(s) => s.to_std_string_escaped(),
        JsVariant::Object(obj) => {
            if obj.is::<boa_engine::builtins::error::Error>() {
                let ex = exception(boa_engine::JsError::from_opaque(value.clone()), context);
                return ex.to_string();
            }
            if obj.is_callable() {
                return "[Function]".into();
            }
            match js_to_bson(value, context) {
                Ok(b) => b.into_relaxed_extjson().to_string(),
                Err(_) => value.display().to_string(),
            }
        }
        _ => value.display().to_string(),
    }
}

/// Describes a thrown value as a [`JsException`].
pub fn exception(err: JsError, context: &mut Context) -> JsException {
    let get = |obj: &JsObject, key: &str, ctx: &mut Context| -> Option<JsValue> {
        obj.get(JsString::from(key), ctx)
            .ok()
            .filter(|v| !v.is_undefined())
    };
    let value = match err.into_opaque(context) {
        Ok(v) => v,
        Err(e) => {
            return JsException {
                name: "Error".into(),
                message: e.to_string(),
                stack: String::new(),
                code: None,
            };
        }
    };
    match value.as_object() {
        Some(obj)
            if obj.is::<boa_engine::builtins::error::Error>() || get(&obj, "message", context).is_some() =>
        {
            let text = |v: Option<JsValue>, ctx: &mut Context| {
                v.and_then(|v| v.to_string(ctx).ok())
                    .map(|s| s.to_std_string_escaped())
                    .unwrap_or_default()
            };
            let name = text(get(&obj, "name", context), context);
            let message = text(get(&obj, "message", context), context);
            // The frames alone: a stack opens with the error's `name: message` line(s).
            let full = text(get(&obj, "stack", context), context);
            let stack = match full.find("\n    at ") {
                Some(i) => full[i + 1..].to_string(),
                None if full.trim_start().starts_with("at ") => full,
                None => String::new(),
            };
            let code = get(&obj, "code", context).and_then(|c| js_to_bson(&c, context).ok());
            JsException {
                name: if name.is_empty() { "Error".into() } else { name },
                message,
                stack,
                code,
            }
        }
        _ => {
            let message = display(&value, context);
            JsException {
                name: "Error".into(),
                message,
                stack: String::new(),
                code: None,
            }
        }
    }
}
