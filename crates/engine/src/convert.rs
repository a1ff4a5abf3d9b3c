//! The one conversion between JavaScript values and BSON, used by the engine and the bridge.
//!
//! BSON to JavaScript: Int32 and Double become numbers; Int64 becomes `BSON.Long` (all 64 bits
//! kept, `valueOf` gives the number); ObjectId, Decimal128, Binary, Timestamp, MinKey and MaxKey
//! become their `BSON` classes; DateTime becomes `Date`; a regular expression becomes a `RegExp`
//! when its options are ones JavaScript has (`imsu`), otherwise `BSON.BSONRegExp`.
//!
//! JavaScript to BSON: an integral number becomes Int32 when it fits, Int64 when it is a safe
//! integer beyond that (as `Date.now()` is; this is what realm-web's EJSON sends too), else Double;
//! `BSON.Int32`/`Double`/`Long` force their type. `undefined` object properties and functions are
//! left out as `JSON.stringify` does; `undefined` in an array becomes null. Cycles and nesting
//! deeper than [`MAX_DEPTH`] are errors, never a stack overflow.

use boa_engine::{
    Context, JsNativeError, JsObject, JsResult, JsString, JsValue, JsVariant,
    object::builtins::{JsArray, JsDate, JsRegExp},
    property::PropertyKey,
};
use bson::{Binary, Bson, Document, Regex, Timestamp, spec::BinarySubtype};

use crate::globals::bson_types::{
    JsBinary, JsBsonRegExp, JsDecimal128, JsDouble, JsInt32, JsLong, JsMaxKey, JsMinKey, JsObjectId,
    JsTimestamp, date_from_millis,
};
use boa_engine::class::Class;

/// How deeply documents and arrays may nest in either direction.
pub const MAX_DEPTH: usize = 150;

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn type_error(msg: impl Into<String>) -> boa_engine::JsError {
    JsNativeError::typ().with_message(msg.into()).into()
}

/// How BSON numbers become JavaScript values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberMode {
    /// Int32 and Double as numbers, Int64 as `BSON.Long`: exact, the default.
    Exact,
    /// Every number as a JS number where it is exact (`EJSON.parse` relaxed).
    Relaxed,
    /// Every number as its `BSON` class (`EJSON.parse` with `relaxed: false`).
    Strict,
}

/// Converts a BSON value to a JavaScript value.
pub fn bson_to_js(value: &Bson, context: &mut Context) -> JsResult<JsValue> {
    to_js(value, 0, NumberMode::Exact, context)
}

/// Converts a BSON value to a JavaScript value with the given number mode.
pub fn bson_to_js_with(value: &Bson, mode: NumberMode, context: &mut Context) -> JsResult<JsValue> {
    to_js(value, 0, mode, context)
}

/// Converts a document to a plain JavaScript object.
pub fn document_to_js(doc: &Document, context: &mut Context) -> JsResult<JsValue> {
    doc_to_js(doc, 0, NumberMode::Exact, context)
}

fn doc_to_js(doc: &Document, depth: usize, mode: NumberMode, context: &mut Context) -> JsResult<JsValue> {
    if depth > MAX_DEPTH {
        return Err(type_error(format!(
            "document nests deeper than {MAX_DEPTH} levels"
        )));
    }
    let obj = JsObject::with_object_proto(context.intrinsics());
    for (k, v) in doc {
        let v = to_js(v, depth + 1, mode, context)?;
        obj.create_data_property_or_throw(JsString::from(k.as_str()), v, context)?;
    }
    Ok(obj.into())
}

fn to_js(value: &Bson, depth: usize, mode: NumberMode, context: &mut Context) -> JsResult<JsValue> {
    Ok(match value {
        Bson::Double(d) if mode == NumberMode::Strict => JsDouble::from_data(JsDouble(*d), context)?.into(),
        Bson::Int32(i) if mode == NumberMode::Strict => JsInt32::from_data(JsInt32(*i), context)?.into(),
        Bson::Int64(i) if mode == NumberMode::Relaxed && (*i as f64).abs() <= MAX_SAFE_INTEGER => {
            JsValue::from(*i as f64)
        }
        Bson::Double(d) => JsValue::from(*d),
        Bson::String(s) => JsString::from(s.as_str()).into(),
        Bson::Document(d) => doc_to_js(d, depth, mode, context)?,
        Bson::Array(items) => {
            if depth > MAX_DEPTH {
                return Err(type_error(format!("array nests deeper than {MAX_DEPTH} levels")));
            }
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(to_js(item, depth + 1, mode, context)?);
            }
            JsArray::from_iter(out, context).into()
        }
        Bson::Boolean(b) => (*b).into(),
        Bson::Null => JsValue::null(),
        Bson::Undefined => JsValue::undefined(),
        Bson::Int32(i) => (*i).into(),
        Bson::Int64(i) => JsLong::from_data(JsLong(*i), context)?.into(),
        Bson::ObjectId(oid) => JsObjectId::from_data(JsObjectId(*oid), context)?.into(),
        Bson::DateTime(dt) => date_from_millis(dt.timestamp_millis() as f64, context)?,
        Bson::Decimal128(d) => JsDecimal128::from_data(JsDecimal128(*d), context)?.into(),
        Bson::Binary(b) => JsBinary::from_data(
            JsBinary {
                subtype: u8::from(b.subtype),
                bytes: b.bytes.clone(),
            },
            context,
        )?
        .into(),
        Bson::RegularExpression(r) => {
            let options = r.options.as_str();
            let native = options
                .chars()
                .all(|c| "imsu".contains(c))
                .then(|| {
                    JsRegExp::new(
                        JsString::from(r.pattern.as_str()),
                        JsString::from(options),
                        context,
                    )
                    .ok()
                })
                .flatten()
                // Keep the pattern byte for byte: JS may re-escape it (`a/b` becomes `a\/b`).
                .filter(|re| re.source(context).is_ok_and(|s| s == r.pattern.as_str()));
            if let Some(re) = native {
                re.into()
            } else {
                JsBsonRegExp::from_data(
                    JsBsonRegExp {
                        pattern: r.pattern.to_string(),
                        options: options.to_string(),
                    },
                    context,
                )?
                .into()
            }
        }
        Bson::Timestamp(ts) => JsTimestamp::from_data(
            JsTimestamp {
                t: ts.time,
                i: ts.increment,
            },
            context,
        )?
        .into(),
        Bson::MinKey => JsMinKey::from_data(JsMinKey, context)?.into(),
        Bson::MaxKey => JsMaxKey::from_data(JsMaxKey, context)?.into(),
        Bson::Symbol(s) => JsString::from(s.as_str()).into(),
        Bson::JavaScriptCode(_) | Bson::JavaScriptCodeWithScope(_) | Bson::DbPointer(_) => {
            return Err(type_error(format!(
                "BSON type {:?} is not supported in functions",
                value.element_type()
            )));
        }
    })
}

/// Converts a JavaScript value to BSON; a top-level `undefined` becomes `Bson::Undefined`.
pub fn js_to_bson(value: &JsValue, context: &mut Context) -> JsResult<Bson> {
    let mut stack = Vec::new();
    Ok(to_bson(value, &mut stack, context)?.unwrap_or(Bson::Undefined))
}

/// Converts a JavaScript object to a document, or fails with a `TypeError` naming `what`.
pub fn js_to_document(value: &JsValue, what: &str, context: &mut Context) -> JsResult<Document> {
    match js_to_bson(value, context)? {
        Bson::Document(d) => Ok(d),
        other => Err(type_error(format!(
            "{what} must be an object, got {}",
            describe(&other)
        ))),
    }
}

fn describe(value: &Bson) -> &'static str {
    match value {
        Bson::Array(_) => "an array",
        Bson::Null => "null",
        Bson::Undefined => "undefined",
        Bson::String(_) => "a string",
        Bson::Boolean(_) => "a boolean",
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => "a number",
        _ => "a BSON value",
    }
}

/// A JS string as UTF-8; lone surrogates (not representable) are written escaped.
pub fn rust_string(s: &JsString) -> String {
    s.to_std_string().unwrap_or_else(|_| s.to_std_string_escaped())
}

/// The BSON number a JavaScript number is stored as.
pub fn number_to_bson(n: f64) -> Bson {
    let integral = n.is_finite() && n.fract() == 0.0 && !(n == 0.0 && n.is_sign_negative());
    if integral && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX) {
        Bson::Int32(n as i32)
    } else if integral && n.abs() <= MAX_SAFE_INTEGER {
        Bson::Int64(n as i64)
    } else {
        Bson::Double(n)
    }
}

/// `None` means "leave this property out" (undefined, functions, symbols).
fn to_bson(value: &JsValue, stack: &mut Vec<JsObject>, context: &mut Context) -> JsResult<Option<Bson>> {
    Ok(Some(match value.variant() {
        JsVariant::Null => Bson::Null,
        JsVariant::Undefined => return Ok(None),
        JsVariant::Boolean(b) => Bson::Boolean(b),
        JsVariant::String(s) => Bson::String(rust_string(&s)),
        JsVariant::Float64(n) => number_to_bson(n),
        JsVariant::Integer32(i) => Bson::Int32(i),
        JsVariant::BigInt(b) => {
            let n = b.to_string();
            Bson::Int64(
                n.parse()
                    .map_err(|_| type_error(format!("BigInt {n} does not fit in 64 bits")))?,
            )
        }
        JsVariant::Symbol(_) => return Ok(None),
        JsVariant::Object(obj) => return object_to_bson(&obj, stack, context),
    }))
}

fn object_to_bson(
    obj: &JsObject,
    stack: &mut Vec<JsObject>,
    context: &mut Context,
) -> JsResult<Option<Bson>> {
    if let Some(v) = class_value(obj) {
        return Ok(Some(v));
    }
    if obj.is_callable() {
        return Ok(None);
    }
    if let Ok(date) = JsDate::from_object(obj.clone()) {
        let ms = date.get_time(context)?.to_number(context)?;
        if !ms.is_finite() {
            return Err(type_error("cannot convert an invalid Date to BSON"));
        }
        return Ok(Some(Bson::DateTime(bson::DateTime::from_millis(ms as i64))));
    }
    if let Ok(re) = JsRegExp::from_object(obj.clone()) {
        let pattern = re.source(context)?;
        let mut options: Vec<char> = re
            .flags(context)?
            .chars()
            .filter(|c| "imsu".contains(*c))
            .collect();
        options.sort_unstable();
        let options: String = options.into_iter().collect();
        return Ok(Some(Bson::RegularExpression(regex(pattern, options)?)));
    }
    if let Some(bytes) = crate::globals::util::typed_array_bytes(obj, context)? {
        return Ok(Some(Bson::Binary(Binary {
            subtype: BinarySubtype::Generic,
            bytes,
        })));
    }
    if stack.len() >= MAX_DEPTH {
        return Err(type_error(format!("value nests deeper than {MAX_DEPTH} levels")));
    }
    if stack.iter().any(|seen| seen == obj) {
        return Err(type_error("cannot convert a cyclic structure to BSON"));
    }
    stack.push(obj.clone());
    let result = if obj.is_array() {
        let len = crate::globals::util::array_len(obj, context)?;
        let mut items = Vec::with_capacity(len as usize);
        for i in 0..len {
            let item = obj.get(i, context)?;
            items.push(to_bson(&item, stack, context)?.unwrap_or(Bson::Null));
        }
        Bson::Array(items)
    } else {
        let mut doc = Document::new();
        for key in obj.own_property_keys(context)? {
            let name = match &key {
                PropertyKey::String(s) => rust_string(s),
                PropertyKey::Index(i) => i.get().to_string(),
                PropertyKey::Symbol(_) => continue,
            };
            // One lookup for data properties; getters (and exotic objects) go through [[Get]].
            let desc = obj.borrow().properties().get(&key);
            let v = match desc {
                Some(d) if d.enumerable() == Some(false) => continue,
                Some(d) if d.value().is_some() => d.value().cloned().unwrap_or_default(),
                _ => obj.get(key, context)?,
            };
            if let Some(b) = to_bson(&v, stack, context)? {
                doc.insert(name, b);
            }
        }
        Bson::Document(doc)
    };
    stack.pop();
    Ok(Some(result))
}

fn regex(pattern: String, options: String) -> JsResult<Regex> {
    let bad = |_| type_error("a regular expression must not contain a NUL character");
    Ok(Regex {
        pattern: pattern.try_into().map_err(bad)?,
        options: options.try_into().map_err(bad)?,
    })
}

fn class_value(obj: &JsObject) -> Option<Bson> {
    if let Some(v) = obj.downcast_ref::<JsObjectId>() {
        return Some(Bson::ObjectId(v.0));
    }
    if let Some(v) = obj.downcast_ref::<JsLong>() {
        return Some(Bson::Int64(v.0));
    }
    if let Some(v) = obj.downcast_ref::<JsInt32>() {
        return Some(Bson::Int32(v.0));
    }
    if let Some(v) = obj.downcast_ref::<JsDouble>() {
        return Some(Bson::Double(v.0));
    }
    if let Some(v) = obj.downcast_ref::<JsDecimal128>() {
        return Some(Bson::Decimal128(v.0));
    }
    if let Some(v) = obj.downcast_ref::<JsBinary>() {
        return Some(Bson::Binary(Binary {
            subtype: BinarySubtype::from(v.subtype),
            bytes: v.bytes.clone(),
        }));
    }
    if let Some(v) = obj.downcast_ref::<JsBsonRegExp>() {
        return regex(v.pattern.clone(), v.options.clone())
            .ok()
            .map(Bson::RegularExpression);
    }
    if let Some(v) = obj.downcast_ref::<JsTimestamp>() {
        return Some(Bson::Timestamp(Timestamp {
            time: v.t,
            increment: v.i,
        }));
    }
    if obj.is::<JsMinKey>() {
        return Some(Bson::MinKey);
    }
    if obj.is::<JsMaxKey>() {
        return Some(Bson::MaxKey);
    }
    None
}
