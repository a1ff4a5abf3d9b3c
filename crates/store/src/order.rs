//! MongoDB's comparison of BSON values: the cross-type order and equality the matcher, sort and
//! `$min`/`$max` all use.
//!
//! Order of types (MongoDB's "comparison/sort order"): MinKey < null < numbers < strings
//! (and symbols) < objects < arrays < binary < ObjectId < booleans < dates < timestamps <
//! regular expressions < MaxKey. Numbers of every type compare by value.

use std::cmp::Ordering;

use bson::{Bson, Document};

/// The rank of a value's type in MongoDB's cross-type order.
pub fn type_rank(v: &Bson) -> u8 {
    match v {
        Bson::MinKey => 1,
        Bson::Null | Bson::Undefined => 2,
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => 3,
        Bson::String(_) | Bson::Symbol(_) => 4,
        Bson::Document(_) => 5,
        Bson::Array(_) => 6,
        Bson::Binary(_) => 7,
        Bson::ObjectId(_) => 8,
        Bson::Boolean(_) => 9,
        Bson::DateTime(_) => 10,
        Bson::Timestamp(_) => 11,
        Bson::RegularExpression(_) => 12,
        Bson::DbPointer(_) => 13,
        Bson::JavaScriptCode(_) => 14,
        Bson::JavaScriptCodeWithScope(_) => 15,
        Bson::MaxKey => 16,
    }
}

/// A number as f64 for comparison (Decimal128 through its string form).
pub fn as_f64(v: &Bson) -> Option<f64> {
    match v {
        Bson::Int32(i) => Some(f64::from(*i)),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(d) => Some(*d),
        Bson::Decimal128(d) => d.to_string().parse::<f64>().ok(),
        _ => None,
    }
}

/// Compares two numbers exactly, in a total order: NaN below every number (NaNs equal),
/// `-0` equal to `0`, and integers, doubles and Decimal128 by their exact values (so
/// `NumberLong(2^53 + 1)` is above the double `2^53`, and the double `0.1` is not
/// `Decimal128("0.1")`).
fn cmp_numbers(a: &Bson, b: &Bson) -> Ordering {
    match (a, b) {
        (Bson::Decimal128(_), _) | (_, Bson::Decimal128(_)) => Exact::of(a).cmp(&Exact::of(b)),
        _ => match (as_i64(a), as_i64(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(x), None) => cmp_int_float(x, as_f64(b).unwrap_or(f64::NAN)),
            (None, Some(y)) => cmp_int_float(y, as_f64(a).unwrap_or(f64::NAN)).reverse(),
            (None, None) => cmp_floats(as_f64(a).unwrap_or(f64::NAN), as_f64(b).unwrap_or(f64::NAN)),
        },
    }
}

fn cmp_floats(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

/// `i` against `f`, exactly (no rounding of `i` to a double).
fn cmp_int_float(i: i64, f: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return Ordering::Greater;
    }
    if f >= TWO_63 {
        return Ordering::Less;
    }
    if f < -TWO_63 {
        return Ordering::Greater;
    }
    // `f` is now within i64's range, so its integer part converts exactly.
    let whole = f.trunc();
    i.cmp(&(whole as i64))
        .then_with(|| 0.0_f64.partial_cmp(&(f - whole)).unwrap_or(Ordering::Equal))
}

/// A number as an exact decimal, for comparisons that involve Decimal128.
#[derive(Debug, PartialEq, Eq)]
enum Exact {
    NaN,
    NegInfinity,
    /// `0.d1 d2 d3... x 10^exp`, negative when `negative`; no leading or trailing zero digits
    /// (zero has none, whatever its sign).
    Finite {
        negative: bool,
        digits: Vec<u8>,
        exp: i64,
    },
    Infinity,
}

impl Exact {
    fn of(v: &Bson) -> Exact {
        match v {
            Bson::Int32(i) => Exact::parse(&i.to_string()),
            Bson::Int64(i) => Exact::parse(&i.to_string()),
            // 800 significant digits print every finite double exactly (at most 767 are needed).
            Bson::Double(f) if f.is_finite() => Exact::parse(&format!("{f:.800e}")),
            Bson::Double(f) if f.is_nan() => Exact::NaN,
            Bson::Double(f) if *f > 0.0 => Exact::Infinity,
            Bson::Double(_) => Exact::NegInfinity,
            Bson::Decimal128(d) => Exact::parse(&d.to_string()),
            _ => Exact::NaN,
        }
    }

    /// Reads `[+-]digits[.digits][(e|E)[+-]digits]`, `NaN`, `Infinity` and `Inf`.
    fn parse(text: &str) -> Exact {
        let (negative, body) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let lower = body.to_ascii_lowercase();
        if lower.starts_with("inf") {
            return if negative {
                Exact::NegInfinity
            } else {
                Exact::Infinity
            };
        }
        let (mantissa, exponent) = match lower.split_once('e') {
            Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
            None => (lower.as_str(), 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Exact::NaN;
        }
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let leading = all.iter().take_while(|d| **d == 0).count();
        let mut digits = all[leading..].to_vec();
        while digits.last() == Some(&0) {
            digits.pop();
        }
        let exp = exponent + int.len() as i64 - leading as i64;
        Exact::Finite {
            negative: negative && !digits.is_empty(),
            exp: if digits.is_empty() { 0 } else { exp },
            digits,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Exact::NaN => 0,
            Exact::NegInfinity => 1,
            Exact::Finite { .. } => 2,
            Exact::Infinity => 3,
        }
    }
}

impl Ord for Exact {
    fn cmp(&self, other: &Self) -> Ordering {
        let (
            Exact::Finite {
                negative: na,
                digits: da,
                exp: ea,
            },
            Exact::Finite {
                negative: nb,
                digits: db,
                exp: eb,
            },
        ) = (self, other)
        else {
            return self.rank().cmp(&other.rank());
        };
        let sign = |negative: bool, digits: &[u8]| match (digits.is_empty(), negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        };
        let (sa, sb) = (sign(*na, da), sign(*nb, db));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let magnitude = ea.cmp(eb).then_with(|| da.cmp(db));
        if sa < 0 { magnitude.reverse() } else { magnitude }
    }
}

impl PartialOrd for Exact {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn as_i64(v: &Bson) -> Option<i64> {
    match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        _ => None,
    }
}

fn cmp_docs(a: &Document, b: &Document) -> Ordering {
    let mut ia = a.iter();
    let mut ib = b.iter();
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some((ka, va)), Some((kb, vb))) => {
                let o = type_rank(va)
                    .cmp(&type_rank(vb))
                    .then_with(|| ka.cmp(kb))
                    .then_with(|| compare(va, vb));
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Compares two values in MongoDB's order.
pub fn compare(a: &Bson, b: &Bson) -> Ordering {
    let (ra, rb) = (type_rank(a), type_rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        _ if ra == 3 => cmp_numbers(a, b),
        (Bson::String(x) | Bson::Symbol(x), Bson::String(y) | Bson::Symbol(y)) => x.cmp(y),
        (Bson::Document(x), Bson::Document(y)) => cmp_docs(x, y),
        (Bson::Array(x), Bson::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = compare(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Bson::Binary(x), Bson::Binary(y)) => x
            .bytes
            .len()
            .cmp(&y.bytes.len())
            .then_with(|| u8::from(x.subtype).cmp(&u8::from(y.subtype)))
            .then_with(|| x.bytes.cmp(&y.bytes)),
        (Bson::ObjectId(x), Bson::ObjectId(y)) => x.bytes().cmp(&y.bytes()),
        (Bson::Boolean(x), Bson::Boolean(y)) => x.cmp(y),
        (Bson::DateTime(x), Bson::DateTime(y)) => x.timestamp_millis().cmp(&y.timestamp_millis()),
        (Bson::Timestamp(x), Bson::Timestamp(y)) => (x.time, x.increment).cmp(&(y.time, y.increment)),
        (Bson::RegularExpression(x), Bson::RegularExpression(y)) => x
            .pattern
            .as_str()
            .cmp(y.pattern.as_str())
            .then_with(|| x.options.as_str().cmp(y.options.as_str())),
        (Bson::JavaScriptCode(x), Bson::JavaScriptCode(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// MongoDB equality: numbers equal by value across types, everything else by `compare`.
pub fn equal(a: &Bson, b: &Bson) -> bool {
    type_rank(a) == type_rank(b) && compare(a, b) == Ordering::Equal
}
