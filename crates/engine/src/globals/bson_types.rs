//! The `BSON` global: native classes for the BSON types JavaScript has no value for.
//!
//! Each class wraps the Rust value it stands for, so the conversion in [`crate::convert`] reads
//! it back exactly (an `ObjectId` stays an ObjectId, a `Long` keeps all 64 bits). Constructors
//! work with and without `new`, as js-bson's do. The API follows js-bson 4.x, which App Services
//! functions exposed, trimmed to what functions use.

use std::str::FromStr;

use boa_engine::{
    Context, Finalize, JsData, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, Trace,
    class::{Class, ClassBuilder},
    js_string,
    object::{ObjectInitializer, builtins::JsDate},
    property::Attribute,
};
use bson::{Decimal128, oid::ObjectId};

use super::util::{arg, data_of, define_props, to_u32_arg};

/// `BSON.ObjectId`.
#[derive(Debug, Clone, Copy, Trace, Finalize, JsData)]
#[boa_gc(empty_trace)]
pub struct JsObjectId(pub ObjectId);

/// `BSON.Long`: a signed 64-bit integer.
#[derive(Debug, Clone, Copy, Trace, Finalize, JsData)]
#[boa_gc(empty_trace)]
pub struct JsLong(pub i64);

/// `BSON.Int32`: a number that must be stored as a 32-bit integer.
#[derive(Debug, Clone, Copy, Trace, Finalize, JsData)]
#[boa_gc(empty_trace)]
pub struct JsInt32(pub i32);

/// `BSON.Double`: a number that must be stored as a double.
#[derive(Debug, Clone, Copy, Trace, Finalize, JsData)]
#[boa_gc(empty_trace)]
pub struct JsDouble(pub f64);

/// `BSON.Decimal128`.
#[derive(Debug, Clone, Copy, Trace, Finalize, JsData)]
#[boa_gc(empty_trace)]
pub struct JsDecimal128(pub Decimal128);

/// `BSON.Binary`: bytes with a BSON binary subtype.
#[derive(Debug, Clone, Trace, Finalize, JsData)]
#[boa_gc(unsafe_empty_trace)]
pub struct JsBinary {
    /// The BSON binary subtype (0 = generic, 4 = UUID, ...).
    pub subtype: u8,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// `BSON.BSONRegExp`: a regular expression with MongoDB's options, kept verbatim.
#[derive(Debug, Clone, Trace, Finalize, JsData)]
#[boa_gc(unsafe_empty_trace)]
pub struct JsBsonRegExp {
    /// The pattern.
    pub pattern: String,
    /// The options, e.g. `"imx"`.
    pub options: String,
}

/// `BSON.Timestamp`: MongoDB's internal replication timestamp.
#[derive(Debug, Clone, Copy, Trace, Finalize, JsData)]
#[boa_gc(empty_trace)]
pub struct JsTimestamp {
    /// Seconds since the epoch.
    pub t: u32,
    /// The increment.
    pub i: u32,
}

/// `BSON.MinKey`.
#[derive(Debug, Clone, Copy, Trace, Finalize, JsData)]
#[boa_gc(empty_trace)]
pub struct JsMinKey;

/// `BSON.MaxKey`.
#[derive(Debug, Clone, Copy, Trace, Finalize, JsData)]
#[boa_gc(empty_trace)]
pub struct JsMaxKey;

/// Constructs `C` whether or not it was called with `new`, as js-bson's constructors allow.
fn construct_any<C: Class>(
    new_target: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsObject> {
    if new_target.is_undefined() {
        let data = C::data_constructor(new_target, args, context)?;
        return C::from_data(data, context);
    }
    let prototype = match new_target
        .as_object()
        .map(|o| o.get(js_string!("prototype"), context))
        .transpose()?
        .and_then(|p| p.as_object())
    {
        Some(p) => p,
        None => context
            .get_global_class::<C>()
            .ok_or_else(|| JsNativeError::typ().with_message("BSON class not registered"))?
            .prototype(),
    };
    let data = C::data_constructor(new_target, args, context)?;
    let object = JsObject::from_proto_and_data(prototype, data);
    if let Ok(typed) = object.clone().downcast::<C>() {
        C::object_constructor(&typed, args, context)?;
    }
    Ok(object)
}

macro_rules! methods {
    ($class:expr, $( $name:literal / $len:literal => $f:expr ),* $(,)?) => {
        $( $class.method(js_string!($name), $len, NativeFunction::from_fn_ptr($f)); )*
    };
}

macro_rules! statics {
    ($class:expr, $( $name:literal / $len:literal => $f:expr ),* $(,)?) => {
        $( $class.static_method(js_string!($name), $len, NativeFunction::from_fn_ptr($f)); )*
    };
}

fn type_error(msg: impl Into<String>) -> boa_engine::JsError {
    JsNativeError::typ().with_message(msg.into()).into()
}

fn parse_oid(value: &JsValue, context: &mut Context) -> JsResult<ObjectId> {
    if value.is_null_or_undefined() {
        return Ok(ObjectId::new());
    }
    if let Some(obj) = value.as_object()
        && let Some(oid) = obj.downcast_ref::<JsObjectId>()
    {
        return Ok(oid.0);
    }
    let s = value.to_string(context)?.to_std_string_escaped();
    ObjectId::parse_str(&s).map_err(|_| {
        type_error(format!(
            "ObjectId: argument must be a 24-character hex string, got '{s}'"
        ))
    })
}

impl Class for JsObjectId {
    const NAME: &'static str = "ObjectId";
    const LENGTH: usize = 1;

    fn data_constructor(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<Self> {
        parse_oid(&arg(args, 0), context).map(JsObjectId)
    }

    fn construct(nt: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsObject> {
        construct_any::<Self>(nt, args, ctx)
    }

    fn init(class: &mut ClassBuilder<'_>) -> JsResult<()> {
        fn hex(this: &JsValue, _: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
            Ok(JsString::from(data_of::<JsObjectId>(this, "ObjectId")?.0.to_hex()).into())
        }
        methods!(class,
            "toHexString"/0 => hex,
            "toString"/0 => hex,
            "toJSON"/0 => hex,
            "equals"/1 => |this, args, ctx| {
                let me = data_of::<JsObjectId>(this, "ObjectId")?.0;
                let other = arg(args, 0);
                Ok(parse_oid(&other, ctx).map(|o| o == me && !other.is_null_or_undefined()).unwrap_or(false).into())
            },
            "getTimestamp"/0 => |this, _, ctx| {
                let oid = data_of::<JsObjectId>(this, "ObjectId")?.0;
                let ms = oid.timestamp().timestamp_millis() as f64;
                date_from_millis(ms, ctx)
            },
        );
        statics!(class,
            "isValid"/1 => |_, args, ctx| {
                let v = arg(args, 0);
                if v.as_object().is_some_and(|o| o.is::<JsObjectId>()) { return Ok(true.into()); }
                let s = v.to_string(ctx)?.to_std_string_escaped();
                Ok(ObjectId::parse_str(&s).is_ok().into())
            },
            "createFromHexString"/1 => |_, args, ctx| {
                let s = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
                let oid = ObjectId::parse_str(&s).map_err(|_| type_error(format!("ObjectId.createFromHexString: invalid hex string '{s}'")))?;
                JsObjectId::from_data(JsObjectId(oid), ctx).map(Into::into)
            },
            "createFromTime"/1 => |_, args, ctx| {
                let secs = to_u32_arg(&arg(args, 0), "ObjectId.createFromTime", ctx)?;
                let oid = ObjectId::from_parts(secs, [0; 5], [0; 3]);
                JsObjectId::from_data(JsObjectId(oid), ctx).map(Into::into)
            },
        );
        Ok(())
    }
}

/// Makes a JS `Date` for a number of milliseconds since the epoch.
pub fn date_from_millis(ms: f64, context: &mut Context) -> JsResult<JsValue> {
    let date = JsDate::new(context);
    date.set_time(ms, context)?;
    Ok(date.into())
}

fn long_from_value(value: &JsValue, context: &mut Context) -> JsResult<i64> {
    if let Some(obj) = value.as_object() {
        if let Some(l) = obj.downcast_ref::<JsLong>() {
            return Ok(l.0);
        }
        if let Some(i) = obj.downcast_ref::<JsInt32>() {
            return Ok(i64::from(i.0));
        }
    }
    if let Some(s) = value.as_string() {
        let s = s.to_std_string_escaped();
        return i64::from_str(s.trim())
            .map_err(|_| type_error(format!("Long: '{s}' is not a 64-bit integer")));
    }
    let n = value.to_number(context)?;
    Ok(number_to_i64(n))
}

/// Truncates a JS number to an i64 the way js-bson's `Long.fromNumber` does (saturating, NaN = 0).
pub fn number_to_i64(n: f64) -> i64 {
    if n.is_nan() { 0 } else { n.trunc() as i64 }
}

fn new_long(v: i64, context: &mut Context) -> JsResult<JsValue> {
    JsLong::from_data(JsLong(v), context).map(Into::into)
}

fn long_binop(
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
    name: &str,
    op: fn(i64, i64) -> Option<i64>,
) -> JsResult<JsValue> {
    let a = data_of::<JsLong>(this, "Long")?.0;
    let b = long_from_value(&arg(args, 0), ctx)?;
    let r = op(a, b)
        .ok_or_else(|| JsNativeError::range().with_message(format!("Long.{name}: result out of range")))?;
    new_long(r, ctx)
}

impl Class for JsLong {
    const NAME: &'static str = "Long";
    const LENGTH: usize = 2;

    fn data_constructor(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<Self> {
        let low = arg(args, 0);
        let high = arg(args, 1);
        if high.is_undefined() {
            return long_from_value(&low, context).map(JsLong);
        }
        let low = low.to_u32(context)?;
        let high = high.to_i32(context)?;
        Ok(JsLong((i64::from(high) << 32) | i64::from(low)))
    }

    fn construct(nt: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsObject> {
        construct_any::<Self>(nt, args, ctx)
    }

    fn init(class: &mut ClassBuilder<'_>) -> JsResult<()> {
        fn to_number(this: &JsValue, _: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
            Ok((data_of::<JsLong>(this, "Long")?.0 as f64).into())
        }
        methods!(class,
            "toNumber"/0 => to_number,
            "valueOf"/0 => to_number,
            "toJSON"/0 => to_number,
            "toInt"/0 => |this, _, _| Ok((data_of::<JsLong>(this, "Long")?.0 as i32).into()),
            "toString"/1 => |this, args, ctx| {
                let v = data_of::<JsLong>(this, "Long")?.0;
                let radix = arg(args, 0);
                let radix = if radix.is_undefined() { 10 } else { radix.to_u32(ctx)? };
                if !(2..=36).contains(&radix) {
                    return Err(JsNativeError::range().with_message("Long.toString: radix must be between 2 and 36").into());
                }
                Ok(JsString::from(to_radix(v, radix)).into())
            },
            "equals"/1 => |this, args, ctx| {
                let a = data_of::<JsLong>(this, "Long")?.0;
                Ok((long_from_value(&arg(args, 0), ctx)? == a).into())
            },
            "compare"/1 => |this, args, ctx| {
                let a = data_of::<JsLong>(this, "Long")?.0;
                let b = long_from_value(&arg(args, 0), ctx)?;
                Ok((a.cmp(&b) as i32).into())
            },
            "lessThan"/1 => |this, args, ctx| {
                let a = data_of::<JsLong>(this, "Long")?.0;
                Ok((a < long_from_value(&arg(args, 0), ctx)?).into())
            },
            "greaterThan"/1 => |this, args, ctx| {
                let a = data_of::<JsLong>(this, "Long")?.0;
                Ok((a > long_from_value(&arg(args, 0), ctx)?).into())
            },
            "isZero"/0 => |this, _, _| Ok((data_of::<JsLong>(this, "Long")?.0 == 0).into()),
            "isNegative"/0 => |this, _, _| Ok((data_of::<JsLong>(this, "Long")?.0 < 0).into()),
            "negate"/0 => |this, _, ctx| {
                let v = data_of::<JsLong>(this, "Long")?.0;
                new_long(v.wrapping_neg(), ctx)
            },
            "add"/1 => |t, a, c| long_binop(t, a, c, "add", i64::checked_add),
            "subtract"/1 => |t, a, c| long_binop(t, a, c, "subtract", i64::checked_sub),
            "multiply"/1 => |t, a, c| long_binop(t, a, c, "multiply", i64::checked_mul),
            "div"/1 => |t, a, c| long_binop(t, a, c, "div", i64::checked_div),
            "modulo"/1 => |t, a, c| long_binop(t, a, c, "modulo", i64::checked_rem),
            "getHighBits"/0 => |this, _, _| Ok(((data_of::<JsLong>(this, "Long")?.0 >> 32) as i32).into()),
            "getLowBits"/0 => |this, _, _| Ok((data_of::<JsLong>(this, "Long")?.0 as i32).into()),
        );
        statics!(class,
            "fromNumber"/1 => |_, args, ctx| {
                let n = arg(args, 0).to_number(ctx)?;
                new_long(number_to_i64(n), ctx)
            },
            "fromInt"/1 => |_, args, ctx| {
                let n = arg(args, 0).to_i32(ctx)?;
                new_long(i64::from(n), ctx)
            },
            "fromString"/2 => |_, args, ctx| {
                let s = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
                let radix = arg(args, 1);
                let radix = if radix.is_undefined() { 10 } else { radix.to_u32(ctx)? };
                let v = i64::from_str_radix(s.trim(), radix)
                    .map_err(|_| type_error(format!("Long.fromString: '{s}' is not a 64-bit integer in base {radix}")))?;
                new_long(v, ctx)
            },
            "fromBits"/2 => |_, args, ctx| {
                let low = arg(args, 0).to_u32(ctx)?;
                let high = arg(args, 1).to_i32(ctx)?;
                new_long((i64::from(high) << 32) | i64::from(low), ctx)
            },
        );
        Ok(())
    }
}

fn to_radix(v: i64, radix: u32) -> String {
    if radix == 10 {
        return v.to_string();
    }
    let negative = v < 0;
    let mut n = v.unsigned_abs();
    let mut digits = Vec::new();
    loop {
        let d = (n % u64::from(radix)) as u32;
        digits.push(std::char::from_digit(d, radix).unwrap_or('0'));
        n /= u64::from(radix);
        if n == 0 {
            break;
        }
    }
    if negative {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

impl Class for JsInt32 {
    const NAME: &'static str = "Int32";
    const LENGTH: usize = 1;

    fn data_constructor(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<Self> {
        let v = arg(args, 0);
        if let Some(i) = v
            .as_object()
            .and_then(|o| o.downcast_ref::<JsInt32>().map(|i| i.0))
        {
            return Ok(JsInt32(i));
        }
        Ok(JsInt32(v.to_i32(context)?))
    }

    fn construct(nt: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsObject> {
        construct_any::<Self>(nt, args, ctx)
    }

    fn init(class: &mut ClassBuilder<'_>) -> JsResult<()> {
        fn value(this: &JsValue, _: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
            Ok(data_of::<JsInt32>(this, "Int32")?.0.into())
        }
        methods!(class,
            "valueOf"/0 => value,
            "toJSON"/0 => value,
            "toString"/0 => |this, _, _| Ok(JsString::from(data_of::<JsInt32>(this, "Int32")?.0.to_string()).into()),
        );
        Ok(())
    }
}

impl Class for JsDouble {
    const NAME: &'static str = "Double";
    const LENGTH: usize = 1;

    fn data_constructor(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<Self> {
        let v = arg(args, 0);
        if let Some(d) = v
            .as_object()
            .and_then(|o| o.downcast_ref::<JsDouble>().map(|d| d.0))
        {
            return Ok(JsDouble(d));
        }
        Ok(JsDouble(v.to_number(context)?))
    }

    fn construct(nt: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsObject> {
        construct_any::<Self>(nt, args, ctx)
    }

    fn init(class: &mut ClassBuilder<'_>) -> JsResult<()> {
        fn value(this: &JsValue, _: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
            Ok(data_of::<JsDouble>(this, "Double")?.0.into())
        }
        methods!(class,
            "valueOf"/0 => value,
            "toJSON"/0 => value,
            "toString"/0 => |this, _, ctx| JsValue::from(data_of::<JsDouble>(this, "Double")?.0).to_string(ctx).map(Into::into),
        );
        Ok(())
    }
}

fn parse_decimal(s: &str) -> JsResult<Decimal128> {
    Decimal128::from_str(s.trim())
        .map_err(|_| type_error(format!("Decimal128: '{s}' is not a valid decimal")))
}

impl Class for JsDecimal128 {
    const NAME: &'static str = "Decimal128";
    const LENGTH: usize = 1;

    fn data_constructor(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<Self> {
        let v = arg(args, 0);
        if let Some(d) = v
            .as_object()
            .and_then(|o| o.downcast_ref::<JsDecimal128>().map(|d| d.0))
        {
            return Ok(JsDecimal128(d));
        }
        let s = v.to_string(context)?.to_std_string_escaped();
        parse_decimal(&s).map(JsDecimal128)
    }

    fn construct(nt: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsObject> {
        construct_any::<Self>(nt, args, ctx)
    }

    fn init(class: &mut ClassBuilder<'_>) -> JsResult<()> {
        fn text(this: &JsValue, _: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
            Ok(JsString::from(data_of::<JsDecimal128>(this, "Decimal128")?.0.to_string()).into())
        }
        methods!(class, "toString"/0 => text, "toJSON"/0 => text);
        statics!(class,
            "fromString"/1 => |_, args, ctx| {
                let s = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
                JsDecimal128::from_data(JsDecimal128(parse_decimal(&s)?), ctx).map(Into::into)
            },
        );
        Ok(())
    }
}

pub(crate) fn binary_bytes(value: &JsValue, context: &mut Context) -> JsResult<Vec<u8>> {
    if let Some(obj) = value.as_object() {
        if let Some(b) = obj.downcast_ref::<JsBinary>() {
            return Ok(b.bytes.clone());
        }
        if let Some(bytes) = crate::globals::util::typed_array_bytes(&obj, context)? {
            return Ok(bytes);
        }
        if obj.is_array() {
            let len = super::util::array_len(&obj, context)?;
            let mut out = Vec::with_capacity(len as usize);
            for i in 0..len {
                out.push(obj.get(i, context)?.to_u32(context)? as u8);
            }
            return Ok(out);
        }
    }
    if let Some(s) = value.as_string() {
        return Ok(s.to_std_string_escaped().into_bytes());
    }
    if value.is_undefined() {
        return Ok(Vec::new());
    }
    Err(type_error(
        "Binary: data must be a string, an array of bytes, a Uint8Array or a Binary",
    ))
}

fn subtype_arg(value: &JsValue, context: &mut Context) -> JsResult<u8> {
    if value.is_undefined() {
        return Ok(0);
    }
    let n = value.to_u32(context)?;
    u8::try_from(n).map_err(|_| type_error(format!("Binary: subtype {n} is not a byte")))
}

fn new_binary(bytes: Vec<u8>, subtype: u8, context: &mut Context) -> JsResult<JsValue> {
    JsBinary::from_data(JsBinary { subtype, bytes }, context).map(Into::into)
}

impl Class for JsBinary {
    const NAME: &'static str = "Binary";
    const LENGTH: usize = 2;

    fn data_constructor(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<Self> {
        let bytes = binary_bytes(&arg(args, 0), context)?;
        let subtype = subtype_arg(&arg(args, 1), context)?;
        Ok(JsBinary { subtype, bytes })
    }

    fn object_constructor(instance: &JsObject<Self>, _: &[JsValue], context: &mut Context) -> JsResult<()> {
        let subtype = instance.borrow().data().subtype;
        define_props(
            &instance.clone().upcast(),
            &[("sub_type", subtype.into())],
            context,
        )
    }

    fn construct(nt: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsObject> {
        construct_any::<Self>(nt, args, ctx)
    }

    fn init(class: &mut ClassBuilder<'_>) -> JsResult<()> {
        use base64::Engine as _;
        methods!(class,
            "toHex"/0 => |this, _, _| Ok(JsString::from(hex::encode(&data_of::<JsBinary>(this, "Binary")?.bytes)).into()),
            "toBase64"/0 => |this, _, _| {
                let b = data_of::<JsBinary>(this, "Binary")?;
                Ok(JsString::from(base64::engine::general_purpose::STANDARD.encode(&b.bytes)).into())
            },
            "text"/0 => |this, _, _| {
                let b = data_of::<JsBinary>(this, "Binary")?;
                Ok(JsString::from(String::from_utf8_lossy(&b.bytes).as_ref()).into())
            },
            "toString"/1 => |this, args, ctx| {
                let b = data_of::<JsBinary>(this, "Binary")?;
                let enc = arg(args, 0);
                let enc = if enc.is_undefined() { "utf8".to_string() } else { enc.to_string(ctx)?.to_std_string_escaped() };
                let s = match enc.as_str() {
                    "hex" => hex::encode(&b.bytes),
                    "base64" => base64::engine::general_purpose::STANDARD.encode(&b.bytes),
                    "utf8" | "utf-8" => String::from_utf8_lossy(&b.bytes).into_owned(),
                    other => return Err(type_error(format!("Binary.toString: unknown encoding '{other}'"))),
                };
                Ok(JsString::from(s).into())
            },
            "length"/0 => |this, _, _| Ok((data_of::<JsBinary>(this, "Binary")?.bytes.len() as f64).into()),
            "toJSON"/0 => |this, _, _| {
                let b = data_of::<JsBinary>(this, "Binary")?;
                Ok(JsString::from(base64::engine::general_purpose::STANDARD.encode(&b.bytes)).into())
            },
        );
        statics!(class,
            "fromHex"/2 => |_, args, ctx| {
                let s = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
                let bytes = hex::decode(s.trim()).map_err(|_| type_error("Binary.fromHex: not a hex string"))?;
                let subtype = subtype_arg(&arg(args, 1), ctx)?;
                new_binary(bytes, subtype, ctx)
            },
            "fromBase64"/2 => |_, args, ctx| {
                let s = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
                let bytes = base64::engine::general_purpose::STANDARD.decode(s.trim())
                    .map_err(|_| type_error("Binary.fromBase64: not a base64 string"))?;
                let subtype = subtype_arg(&arg(args, 1), ctx)?;
                new_binary(bytes, subtype, ctx)
            },
            "fromText"/1 => |_, args, ctx| {
                let s = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
                new_binary(s.into_bytes(), 0, ctx)
            },
        );
        Ok(())
    }
}

impl Class for JsBsonRegExp {
    const NAME: &'static str = "BSONRegExp";
    const LENGTH: usize = 2;

    fn data_constructor(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<Self> {
        let pattern = arg(args, 0).to_string(context)?.to_std_string_escaped();
        let options = arg(args, 1);
        let options = if options.is_undefined() {
            String::new()
        } else {
            options.to_string(context)?.to_std_string_escaped()
        };
        if let Some(bad) = options.chars().find(|c| !"gilmsux".contains(*c)) {
            return Err(type_error(format!("BSONRegExp: unknown option '{bad}'")));
        }
        // `g` (App Services' documentation writes `BSONRegExp("the great", "ig")`) means
        // nothing to a MongoDB match: accepted and dropped, as App Services stored it.
        let mut options: Vec<char> = options.chars().filter(|c| *c != 'g').collect();
        options.sort_unstable();
        options.dedup();
        Ok(JsBsonRegExp {
            pattern,
            options: options.into_iter().collect(),
        })
    }

    fn object_constructor(instance: &JsObject<Self>, _: &[JsValue], context: &mut Context) -> JsResult<()> {
        let (pattern, options) = {
            let d = instance.borrow();
            (d.data().pattern.clone(), d.data().options.clone())
        };
        define_props(
            &instance.clone().upcast(),
            &[
                ("pattern", JsString::from(pattern).into()),
                ("options", JsString::from(options).into()),
            ],
            context,
        )
    }

    fn construct(nt: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsObject> {
        construct_any::<Self>(nt, args, ctx)
    }

    fn init(class: &mut ClassBuilder<'_>) -> JsResult<()> {
        methods!(class,
            "toString"/0 => |this, _, _| {
                let r = data_of::<JsBsonRegExp>(this, "BSONRegExp")?;
                Ok(JsString::from(format!("/{}/{}", r.pattern, r.options)).into())
            },
        );
        Ok(())
    }
}

impl Class for JsTimestamp {
    const NAME: &'static str = "Timestamp";
    const LENGTH: usize = 2;

    fn data_constructor(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<Self> {
        let first = arg(args, 0);
        if let Some(obj) = first.as_object()
            && !obj.is::<JsLong>()
        {
            let t = to_u32_arg(&obj.get(js_string!("t"), context)?, "Timestamp.t", context)?;
            let i = to_u32_arg(&obj.get(js_string!("i"), context)?, "Timestamp.i", context)?;
            return Ok(JsTimestamp { t, i });
        }
        let second = arg(args, 1);
        if second.is_undefined() {
            let v = long_from_value(&first, context)? as u64;
            return Ok(JsTimestamp {
                t: (v >> 32) as u32,
                i: v as u32,
            });
        }
        let i = to_u32_arg(&first, "Timestamp low bits", context)?;
        let t = to_u32_arg(&second, "Timestamp high bits", context)?;
        Ok(JsTimestamp { t, i })
    }

    fn object_constructor(instance: &JsObject<Self>, _: &[JsValue], context: &mut Context) -> JsResult<()> {
        let ts = *instance.borrow().data();
        define_props(
            &instance.clone().upcast(),
            &[("t", ts.t.into()), ("i", ts.i.into())],
            context,
        )
    }

    fn construct(nt: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsObject> {
        construct_any::<Self>(nt, args, ctx)
    }

    fn init(class: &mut ClassBuilder<'_>) -> JsResult<()> {
        methods!(class,
            "getHighBits"/0 => |this, _, _| Ok(data_of::<JsTimestamp>(this, "Timestamp")?.t.into()),
            "getLowBits"/0 => |this, _, _| Ok(data_of::<JsTimestamp>(this, "Timestamp")?.i.into()),
            "toString"/0 => |this, _, _| {
                let ts = data_of::<JsTimestamp>(this, "Timestamp")?;
                Ok(JsString::from(format!("Timestamp({}, {})", ts.t, ts.i)).into())
            },
        );
        Ok(())
    }
}

impl Class for JsMinKey {
    const NAME: &'static str = "MinKey";

    fn data_constructor(_: &JsValue, _: &[JsValue], _: &mut Context) -> JsResult<Self> {
        Ok(JsMinKey)
    }

    fn construct(nt: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsObject> {
        construct_any::<Self>(nt, args, ctx)
    }

    fn init(class: &mut ClassBuilder<'_>) -> JsResult<()> {
        methods!(class, "toString"/0 => |_, _, _| Ok(js_string!("MinKey").into()));
        Ok(())
    }
}

impl Class for JsMaxKey {
    const NAME: &'static str = "MaxKey";

    fn data_constructor(_: &JsValue, _: &[JsValue], _: &mut Context) -> JsResult<Self> {
        Ok(JsMaxKey)
    }

    fn construct(nt: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsObject> {
        construct_any::<Self>(nt, args, ctx)
    }

    fn init(class: &mut ClassBuilder<'_>) -> JsResult<()> {
        methods!(class, "toString"/0 => |_, _, _| Ok(js_string!("MaxKey").into()));
        Ok(())
    }
}

fn register<C: Class>(bson: &mut ObjectInitializer<'_>) -> JsResult<()> {
    let context = bson.context();
    context.register_global_class::<C>()?;
    let ctor = context
        .get_global_class::<C>()
        .ok_or_else(|| JsNativeError::typ().with_message("BSON class not registered"))?
        .constructor();
    // The classes live on `BSON`, not on the global object.
    context
        .global_object()
        .delete_property_or_throw(js_string!(C::NAME), context)?;
    bson.property(
        js_string!(C::NAME),
        ctor,
        Attribute::READONLY | Attribute::NON_ENUMERABLE,
    );
    Ok(())
}

/// Installs the `BSON` global with every class.
pub fn install(context: &mut Context) -> JsResult<()> {
    let mut init = ObjectInitializer::new(context);
    register::<JsObjectId>(&mut init)?;
    register::<JsLong>(&mut init)?;
    register::<JsInt32>(&mut init)?;
    register::<JsDouble>(&mut init)?;
    register::<JsDecimal128>(&mut init)?;
    register::<JsBinary>(&mut init)?;
    register::<JsBsonRegExp>(&mut init)?;
    register::<JsTimestamp>(&mut init)?;
    register::<JsMinKey>(&mut init)?;
    register::<JsMaxKey>(&mut init)?;
    let bson = init.build();
    context.register_global_property(js_string!("BSON"), bson, Attribute::READONLY)?;
    Ok(())
}
