//! Numeric expressions: `$abs $ceil $floor $sqrt $exp $ln $log10 $log $pow $round $trunc`, with
//! MongoDB's result types (whole numbers stay Int32 or Int64 where MongoDB keeps them).

use bson::Bson;

use crate::error::{StoreError, bad};

use super::{Outcome, Scope, convert::type_name};

/// A number argument: `None` for null or missing.
enum Num {
    Int(i64, bool),
    Float(f64),
}

fn number(v: &Option<Bson>, op: &str) -> Result<Option<Num>, StoreError> {
    Ok(Some(match v {
        None | Some(Bson::Null) | Some(Bson::Undefined) => return Ok(None),
        Some(Bson::Int32(i)) => Num::Int(i64::from(*i), false),
        Some(Bson::Int64(i)) => Num::Int(*i, true),
        Some(Bson::Double(f)) => Num::Float(*f),
        Some(Bson::Decimal128(_)) => {
            return Err(StoreError::Unsupported(format!("{op} on Decimal128 values")));
        }
        other => {
            return Err(bad(format!(
                "{op} only supports numeric types, not {}",
                type_name(other)
            )));
        }
    }))
}

/// A whole number as MongoDB types it: Int32 when both inputs were and it fits.
fn whole(n: i64, long: bool) -> Bson {
    match i32::try_from(n) {
        Ok(i) if !long => Bson::Int32(i),
        _ => Bson::Int64(n),
    }
}

fn float(n: &Num) -> f64 {
    match n {
        Num::Int(i, _) => *i as f64,
        Num::Float(f) => *f,
    }
}

/// Evaluates the numeric operator `op`, if it is one.
pub(super) fn op(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Outcome {
    let arity = match op {
        "$abs" | "$ceil" | "$floor" | "$sqrt" | "$exp" | "$ln" | "$log10" => 1..=1,
        "$log" | "$pow" => 2..=2,
        "$round" | "$trunc" => 1..=2,
        _ => return Ok(None),
    };
    let vals = s.args(spec)?;
    if !arity.contains(&vals.len()) {
        return Err(bad(format!(
            "Expression {op} takes {arity:?} arguments. {} were passed in.",
            vals.len()
        )));
    }
    let mut nums = Vec::with_capacity(vals.len());
    for v in &vals {
        match number(v, op)? {
            Some(n) => nums.push(n),
            None => return Ok(Some(Some(Bson::Null))),
        }
    }
    let positive = |x: f64, what: &str| {
        if x > 0.0 || x.is_nan() {
            Ok(x)
        } else {
            Err(bad(format!(
                "{op}'s {what} must be a positive number, but is {x}"
            )))
        }
    };
    Ok(Some(Some(match (op, nums.as_slice()) {
        ("$abs", [Num::Int(i, long)]) => match i.checked_abs() {
            Some(a) => whole(a, *long || *i == i64::from(i32::MIN)),
            None => return Err(bad("can't take $abs of long long min")),
        },
        ("$abs", [Num::Float(f)]) => Bson::Double(f.abs()),
        ("$ceil" | "$floor", [Num::Int(i, long)]) => whole(*i, *long),
        ("$ceil", [Num::Float(f)]) => Bson::Double(f.ceil()),
        ("$floor", [Num::Float(f)]) => Bson::Double(f.floor()),
        ("$sqrt", [n]) => match float(n) {
            x if x < 0.0 => return Err(bad("$sqrt's argument must be greater than or equal to 0")),
            x => Bson::Double(x.sqrt()),
        },
        ("$exp", [n]) => Bson::Double(float(n).exp()),
        ("$ln", [n]) => Bson::Double(positive(float(n), "argument")?.ln()),
        ("$log10", [n]) => Bson::Double(positive(float(n), "argument")?.log10()),
        ("$log", [n, base]) => {
            let b = positive(float(base), "base")?;
            if b == 1.0 {
                return Err(bad("$log's base must not be 1"));
            }
            Bson::Double(positive(float(n), "argument")?.ln() / b.ln())
        }
        ("$pow", [b, e]) => pow(b, e)?,
        (_, [n, rest @ ..]) => {
            // "$round" | "$trunc"
            let place = match rest {
                [] => 0,
                [Num::Int(p, _)] if (-20..=100).contains(p) => *p,
                [Num::Float(p)] if p.fract() == 0.0 && (-20.0..=100.0).contains(p) => *p as i64,
                _ => {
                    return Err(bad(format!(
                        "{op}'s place must be a whole number between -20 and 100"
                    )));
                }
            };
            round(op, n, place)
        }
        _ => return Err(bad(format!("{op}: wrong arguments"))),
    })))
}

fn pow(b: &Num, e: &Num) -> Result<Bson, StoreError> {
    if float(b) == 0.0 && float(e) < 0.0 {
        return Err(bad("$pow cannot take a base of 0 and a negative exponent"));
    }
    if let (Num::Int(x, lx), Num::Int(y, ly)) = (b, e)
        && *y >= 0
        && let Some(r) = u32::try_from(*y).ok().and_then(|y| x.checked_pow(y))
    {
        return Ok(whole(r, *lx || *ly));
    }
    // A negative exponent, or a power past Int64: a Double, as MongoDB gives.
    Ok(Bson::Double(float(b).powf(float(e))))
}

/// `$round` (half to even, as MongoDB rounds) or `$trunc` of `n` at `place` decimal places.
fn round(op: &str, n: &Num, place: i64) -> Bson {
    let cut = |x: f64| {
        if op == "$round" {
            x.round_ties_even()
        } else {
            x.trunc()
        }
    };
    match n {
        Num::Int(i, long) if place >= 0 => whole(*i, *long),
        Num::Int(i, long) => {
            let unit = 10f64.powi(-place as i32);
            let r = cut(*i as f64 / unit) * unit;
            if r.abs() < 9.2e18 {
                whole(r as i64, *long)
            } else {
                Bson::Double(r)
            }
        }
        Num::Float(f) if !f.is_finite() => Bson::Double(*f),
        Num::Float(f) => {
            let unit = 10f64.powi(place as i32);
            let scaled = f * unit;
            Bson::Double(if scaled.is_finite() {
                cut(scaled) / unit
            } else {
                *f
            })
        }
    }
}
