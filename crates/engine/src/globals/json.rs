//! `JSON.parse` read in one pass. Boa 0.22's own checks the text with serde_json, then parses,
//! compiles and runs it as a script: 25 ms for mime-db's 186 KB `db.json` (which axios loads
//! in every call that requires it; Node takes 1 ms), and as much for every large HTTP response
//! a function parses. Here serde_json reads the text straight into JavaScript values. Boa's
//! own still runs where this one would differ: with a reviver, for text with lone surrogates,
//! and for text that may hold a `-0` (serde_json reads it as the integer 0).

use std::fmt;

use boa_engine::{
    Context, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, js_string,
    object::{FunctionObjectBuilder, builtins::JsArray},
};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

/// Replaces `JSON.parse` (before lockdown freezes `JSON`).
pub fn install(context: &mut Context) -> JsResult<()> {
    let json = context
        .global_object()
        .get(js_string!("JSON"), context)?
        .as_object()
        .ok_or_else(|| JsNativeError::typ().with_message("JSON is not an object"))?;
    let original = json
        .get(js_string!("parse"), context)?
        .as_object()
        .ok_or_else(|| JsNativeError::typ().with_message("JSON.parse is not a function"))?;
    let parse = FunctionObjectBuilder::new(
        context.realm(),
        NativeFunction::from_copy_closure_with_captures(parse, original),
    )
    .name(js_string!("parse"))
    .length(2)
    .build();
    super::util::define_method(&json, js_string!("parse"), parse, context)
}

fn parse(_: &JsValue, args: &[JsValue], original: &JsObject, context: &mut Context) -> JsResult<JsValue> {
    let boa = |context: &mut Context| original.call(&JsValue::undefined(), args, context);
    if args.get(1).is_some_and(JsValue::is_callable) {
        return boa(context);
    }
    let text = args.first().cloned().unwrap_or_default().to_string(context)?;
    let Ok(text) = text.to_std_string() else {
        return boa(context);
    };
    if may_hold_negative_zero(&text) {
        return boa(context);
    }
    let mut reader = serde_json::Deserializer::from_str(&text);
    let value = Seed { context }
        .deserialize(&mut reader)
        .and_then(|v| reader.end().map(|()| v));
    value.map_err(|e| JsNativeError::syntax().with_message(e.to_string()).into())
}

/// Whether `-0` ends somewhere in `text` the way a number does.
fn may_hold_negative_zero(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(2).enumerate().any(|(i, w)| {
        w == b"-0"
            && bytes
                .get(i + 2)
                .is_none_or(|b| matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))
    })
}

/// Reads one JSON value into a JavaScript value.
struct Seed<'a> {
    context: &'a mut Context,
}

/// A JSON integer: an int32 value when it fits (as Boa stores them), else the nearest double.
fn integer(small: Option<i32>, wide: f64) -> JsValue {
    small.map_or_else(|| JsValue::from(wide), JsValue::from)
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = JsValue;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<JsValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = JsValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<JsValue, E> {
        Ok(JsValue::null())
    }

    fn visit_bool<E>(self, v: bool) -> Result<JsValue, E> {
        Ok(JsValue::from(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<JsValue, E> {
        Ok(integer(i32::try_from(v).ok(), v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<JsValue, E> {
        Ok(integer(i32::try_from(v).ok(), v as f64))
    }

    fn visit_f64<E>(self, v: f64) -> Result<JsValue, E> {
        Ok(JsValue::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<JsValue, E> {
        Ok(JsString::from(v).into())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(Seed {
            context: &mut *self.context,
        })? {
            items.push(v);
        }
        Ok(JsArray::from_iter(items, self.context).into())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsValue, A::Error> {
        let object = JsObject::with_object_proto(self.context.intrinsics());
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Seed {
                context: &mut *self.context,
            })?;
            // A data property, as JSON.parse makes them: `__proto__` is an own key here too.
            object
                .create_data_property_or_throw(JsString::from(key.as_str()), value, self.context)
                .map_err(|e| A::Error::custom(e.to_string()))?;
        }
        Ok(object.into())
    }
}

#[cfg(test)]
mod tests {
    use super::may_hold_negative_zero;

    #[test]
    fn negative_zero_is_seen_only_where_a_number_can_end() {
        assert!(may_hold_negative_zero("-0"));
        assert!(may_hold_negative_zero("[1,-0 ]"));
        assert!(may_hold_negative_zero("{\"a\":-0}"));
        assert!(!may_hold_negative_zero("\"2024-01-05\""));
        assert!(!may_hold_negative_zero("-0.5"));
        assert!(!may_hold_negative_zero("[-01]"));
    }
}
