//! Types and conversions: `$type $isNumber $convert $toString $toInt $toLong $toDouble
//! $toDecimal $toBool $toObjectId $toDate`, by MongoDB's conversion table. A value that does
//! not convert fails with code 241 (`ConversionFailure`) unless `$convert` has `onError`.

use bson::{Bson, oid::ObjectId};

use crate::error::{StoreError, bad};

use super::{Outcome, Scope, dates, double_string, object};

/// MongoDB's name of a value's type (`$type`); `"missing"` for a missing value.
pub(crate) fn type_name(v: &Option<Bson>) -> &'static str {
    v.as_ref().map_or("missing", bson_type_name)
}

/// MongoDB's name of a value's type (`$type`, `bsonType`).
pub fn bson_type_name(v: &Bson) -> &'static str {
    match v {
        Bson::Double(_) => "double",
        Bson::String(_) => "string",
        Bson::Document(_) => "object",
        Bson::Array(_) => "array",
        Bson::Binary(_) => "binData",
        Bson::Undefined => "undefined",
        Bson::ObjectId(_) => "objectId",
        Bson::Boolean(_) => "bool",
        Bson::DateTime(_) => "date",
        Bson::Null => "null",
        Bson::RegularExpression(_) => "regex",
        Bson::DbPointer(_) => "dbPointer",
        Bson::JavaScriptCode(_) => "javascript",
        Bson::Symbol(_) => "symbol",
        Bson::JavaScriptCodeWithScope(_) => "javascriptWithScope",
        Bson::Int32(_) => "int",
        Bson::Timestamp(_) => "timestamp",
        Bson::Int64(_) => "long",
        Bson::Decimal128(_) => "decimal",
        Bson::MinKey => "minKey",
        Bson::MaxKey => "maxKey",
    }
}

/// Evaluates the type or conversion operator `op`, if it is one.
pub(super) fn op(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Outcome {
    let target = match op {
        "$convert" => return convert_op(s, spec).map(Some),
        "$toString" => "string",
        "$toInt" => "int",
        "$toLong" => "long",
        "$toDouble" => "double",
        "$toDecimal" => "decimal",
        "$toBool" => "bool",
        "$toObjectId" => "objectId",
        "$toDate" => "date",
        "$type" | "$isNumber" => "",
        _ => return Ok(None),
    };
    let vals = s.args(spec)?;
    let [v] = <[Option<Bson>; 1]>::try_from(vals).map_err(|v| {
        bad(format!(
            "Expression {op} takes exactly 1 arguments. {} were passed in.",
            v.len()
        ))
    })?;
    Ok(Some(Some(match op {
        "$type" => Bson::String(type_name(&v).into()),
        "$isNumber" => Bson::Boolean(matches!(
            v,
            Some(Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_))
        )),
        _ => match v {
            None | Some(Bson::Null) | Some(Bson::Undefined) => Bson::Null,
            Some(v) => to(v, target).map_err(StoreError::Conversion)?,
        },
    })))
}

fn convert_op(s: &mut Scope<'_>, spec: &Bson) -> Result<Option<Bson>, StoreError> {
    let spec = object("$convert", spec, &["input", "to", "onError", "onNull"])?;
    let target = match s.arg(spec, "to")? {
        Some(Bson::String(t)) => t,
        Some(n) => match crate::order::as_f64(&n) {
            Some(code) => code_name(code)?.to_string(),
            None => return Err(bad("$convert's 'to' must be a type name or number")),
        },
        None => return Err(bad("Missing 'to' parameter to $convert")),
    };
    match s.arg(spec, "input")? {
        None | Some(Bson::Null) | Some(Bson::Undefined) => match spec.get("onNull") {
            Some(e) => s.eval(e),
            None => Ok(Some(Bson::Null)),
        },
        Some(v) => match to(v, &target) {
            Ok(v) => Ok(Some(v)),
            Err(why) => match spec.get("onError") {
                Some(e) => s.eval(e),
                None => Err(StoreError::Conversion(why)),
            },
        },
    }
}

/// The type name of a numeric type code in `$convert`'s `to`.
fn code_name(code: f64) -> Result<&'static str, StoreError> {
    Ok(match code as i64 {
        1 => "double",
        2 => "string",
        7 => "objectId",
        8 => "bool",
        9 => "date",
        16 => "int",
        18 => "long",
        19 => "decimal",
        _ => return Err(bad(format!("$convert: unknown or unsupported type code {code}"))),
    })
}

/// `v` (not null) converted to the type named `target`, or why it does not convert.
fn to(v: Bson, target: &str) -> Result<Bson, String> {
    let from = type_name(&Some(v.clone()));
    let unsupported = || {
        Err(format!(
            "Unsupported conversion from {from} to {target} in $convert with no onError value"
        ))
    };
    let failed = |why: &str| Err(format!("Failed to parse {target} from {from}: {why}"));
    match target {
        "double" => match v {
            Bson::Double(_) => Ok(v),
            Bson::Int32(i) => Ok(Bson::Double(f64::from(i))),
            Bson::Int64(i) => Ok(Bson::Double(i as f64)),
            Bson::Boolean(b) => Ok(Bson::Double(if b { 1.0 } else { 0.0 })),
            Bson::Decimal128(d) => d
                .to_string()
                .parse()
                .map(Bson::Double)
                .or_else(|_| failed("out of range")),
            Bson::DateTime(d) => Ok(Bson::Double(d.timestamp_millis() as f64)),
            Bson::String(s) => match s.trim() {
                t if t != s || t.is_empty() => failed(&format!("\"{s}\" is not a number")),
                "Infinity" | "inf" => Ok(Bson::Double(f64::INFINITY)),
                "-Infinity" | "-inf" => Ok(Bson::Double(f64::NEG_INFINITY)),
                "NaN" => Ok(Bson::Double(f64::NAN)),
                t => t
                    .parse()
                    .map(Bson::Double)
                    .or_else(|_| failed(&format!("\"{s}\" is not a number"))),
            },
            _ => unsupported(),
        },
        "int" | "long" => {
            let long = target == "long";
            let n: i64 = match v {
                Bson::Int32(i) => i64::from(i),
                Bson::Int64(i) => i,
                Bson::Boolean(b) => i64::from(b),
                Bson::Double(f) => whole(f).ok_or_else(|| {
                    format!("Conversion would overflow target type in $convert with no onError value: {f}")
                })?,
                Bson::Decimal128(d) => match d.to_string().parse::<f64>().ok().and_then(whole) {
                    Some(n) => n,
                    None => return failed("out of range"),
                },
                Bson::DateTime(d) if long => d.timestamp_millis(),
                Bson::String(s) => match s.parse::<i64>() {
                    Ok(n) if !s.starts_with('+') => n,
                    _ => return failed(&format!("\"{s}\" is not a whole number")),
                },
                _ => return unsupported(),
            };
            if long {
                Ok(Bson::Int64(n))
            } else {
                i32::try_from(n).map(Bson::Int32).map_err(|_| {
                    format!("Conversion would overflow target type in $convert with no onError value: {n}")
                })
            }
        }
        "decimal" => {
            let text = match v {
                Bson::Decimal128(_) => return Ok(v),
                Bson::Int32(i) => i.to_string(),
                Bson::Int64(i) => i.to_string(),
                Bson::Double(f) => double_string(f),
                Bson::Boolean(b) => u8::from(b).to_string(),
                Bson::DateTime(d) => d.timestamp_millis().to_string(),
                Bson::String(s) => s,
                _ => return unsupported(),
            };
            text.parse::<bson::Decimal128>()
                .map(Bson::Decimal128)
                .or_else(|_| failed(&format!("\"{text}\" is not a number")))
        }
        "bool" => match v {
            Bson::Boolean(_) => Ok(v),
            Bson::Int32(i) => Ok(Bson::Boolean(i != 0)),
            Bson::Int64(i) => Ok(Bson::Boolean(i != 0)),
            Bson::Double(f) => Ok(Bson::Boolean(f != 0.0)),
            Bson::Decimal128(d) => Ok(Bson::Boolean(
                d.to_string().parse::<f64>().is_ok_and(|f| f != 0.0),
            )),
            _ => Ok(Bson::Boolean(true)),
        },
        "string" => Ok(Bson::String(match v {
            Bson::String(s) => s,
            Bson::ObjectId(o) => o.to_hex(),
            Bson::DateTime(d) => dates::iso(d),
            Bson::Int32(i) => i.to_string(),
            Bson::Int64(i) => i.to_string(),
            Bson::Double(f) => double_string(f),
            Bson::Decimal128(d) => d.to_string(),
            Bson::Boolean(b) => b.to_string(),
            _ => return unsupported(),
        })),
        "objectId" => match v {
            Bson::ObjectId(_) => Ok(v),
            Bson::String(s) => ObjectId::parse_str(&s)
                .map(Bson::ObjectId)
                .or_else(|_| failed(&format!("\"{s}\" is not 24 hexadecimal digits"))),
            _ => unsupported(),
        },
        "date" => match v {
            Bson::DateTime(_) => Ok(v),
            Bson::Int64(i) => Ok(Bson::DateTime(bson::DateTime::from_millis(i))),
            Bson::Double(f) => whole(f)
                .map(|n| Bson::DateTime(bson::DateTime::from_millis(n)))
                .ok_or_else(|| format!("Conversion would overflow target type: {f}")),
            Bson::Decimal128(d) => match d.to_string().parse::<f64>().ok().and_then(whole) {
                Some(n) => Ok(Bson::DateTime(bson::DateTime::from_millis(n))),
                None => failed("out of range"),
            },
            Bson::ObjectId(o) => Ok(Bson::DateTime(o.timestamp())),
            Bson::Timestamp(t) => Ok(Bson::DateTime(bson::DateTime::from_millis(
                i64::from(t.time) * 1000,
            ))),
            Bson::String(s) => dates::parse(&s)
                .map(Bson::DateTime)
                .ok_or_else(|| format!("Error parsing date string '{s}': not an ISO 8601 date")),
            _ => unsupported(),
        },
        other => Err(format!(
            "$convert to {other} is not supported by the embedded store"
        )),
    }
}

/// `f` truncated to a whole number, if it fits an Int64.
fn whole(f: f64) -> Option<i64> {
    (f.is_finite() && f.abs() < 9.223_372_036_854_775e18).then_some(f.trunc() as i64)
}
