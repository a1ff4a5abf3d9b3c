//! Aggregation expressions: `"$field.path"`, literals, `$$ROOT`, and the operators the
//! supported stages need. Unknown operators are reported as unsupported.

use bson::{Bson, Document};

use crate::{
    error::{StoreError, bad},
    order::{as_f64, compare, equal},
};

/// The value of a field path in an expression: through arrays it collects each element's
/// value, as MongoDB does; `None` is a missing field.
pub fn field(doc: &Document, path: &str) -> Option<Bson> {
    let mut parts = path.split('.');
    let first = doc.get(parts.next()?)?.clone();
    parts.try_fold(first, |cur, part| step(&cur, part))
}

fn step(v: &Bson, part: &str) -> Option<Bson> {
    match v {
        Bson::Document(d) => d.get(part).cloned(),
        Bson::Array(items) => Some(Bson::Array(
            items
                .iter()
                .filter_map(|i| match i {
                    Bson::Document(_) | Bson::Array(_) => step(i, part),
                    _ => None,
                })
                .collect(),
        )),
        _ => None,
    }
}

/// An aggregation value's truth (`$cond`, `$and`, `$expr`): false, null, missing and numeric
/// zero are false; everything else, empty strings and arrays included, is true.
pub(crate) fn truthy(v: &Option<Bson>) -> bool {
    match v {
        None | Some(Bson::Null) | Some(Bson::Undefined) | Some(Bson::Boolean(false)) => false,
        Some(other) => as_f64(other).is_none_or(|n| n != 0.0),
    }
}

fn num(v: &Option<Bson>, op: &str) -> Result<Option<f64>, StoreError> {
    match v {
        None | Some(Bson::Null) => Ok(None),
        Some(b) => as_f64(b)
            .map(Some)
            .ok_or_else(|| bad(format!("{op} only supports numeric types, not {b}"))),
    }
}

/// `a op b` for `$add`, `$subtract`, `$multiply` and `$mod` with MongoDB's result types: two
/// Int32 give an Int32 while the result fits, else an Int64; with an Int64, an Int64 while
/// it fits, else a Double; with a Double, a Double. Decimal128 arithmetic is not done here.
fn arith(op: &str, a: &Bson, b: &Bson) -> Result<Bson, StoreError> {
    let int = |v: &Bson| match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        _ => None,
    };
    for v in [a, b] {
        match v {
            Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => {}
            Bson::Decimal128(_) => {
                return Err(StoreError::Unsupported(format!("{op} on Decimal128 values")));
            }
            other => return Err(bad(format!("{op} only supports numeric types, not {other}"))),
        }
    }
    if let (Some(x), Some(y)) = (int(a), int(b)) {
        if op == "$mod" && y == 0 {
            return Err(bad("can't $mod by zero"));
        }
        let exact = match op {
            "$add" => x.checked_add(y),
            "$subtract" => x.checked_sub(y),
            "$multiply" => x.checked_mul(y),
            // i64::MIN % -1 overflows in Rust; its remainder is 0.
            _ => Some(x.wrapping_rem(y)),
        };
        let long = matches!(a, Bson::Int64(_)) || matches!(b, Bson::Int64(_));
        match exact {
            Some(r) if !long => return Ok(i32::try_from(r).map_or(Bson::Int64(r), Bson::Int32)),
            Some(r) => return Ok(Bson::Int64(r)),
            None => {}
        }
    }
    let (x, y) = (as_f64(a).unwrap_or(f64::NAN), as_f64(b).unwrap_or(f64::NAN));
    Ok(Bson::Double(match op {
        "$add" => x + y,
        "$subtract" => x - y,
        "$multiply" => x * y,
        _ if y == 0.0 => return Err(bad("can't $mod by zero")),
        _ => x % y,
    }))
}

/// A double as text, the way JavaScript's `String(number)` writes it: the shortest digits
/// that read back exactly, in exponent form below 1e-6 and from 1e21 (`1e+30`, `2.5`, `1`).
fn double_string(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let magnitude = f.abs();
    if magnitude == 0.0 || (1e-6..1e21).contains(&magnitude) {
        return format!("{f}");
    }
    let text = format!("{f:e}");
    match text.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
        _ => text,
    }
}

/// `date` moved by `millis` (a number, rounded to whole milliseconds).
fn add_millis(date: bson::DateTime, millis: &Bson) -> Result<bson::DateTime, StoreError> {
    let ms = match millis {
        Bson::Int32(i) => i64::from(*i),
        Bson::Int64(i) => *i,
        Bson::Double(f) if f.is_finite() && f.abs() < 9.2e18 => f.round() as i64,
        other => return Err(bad(format!("cannot add {other} to a date"))),
    };
    date.timestamp_millis()
        .checked_add(ms)
        .map(bson::DateTime::from_millis)
        .ok_or_else(|| bad("the date is out of range"))
}

fn args(spec: &Bson) -> Vec<Bson> {
    match spec {
        Bson::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

/// Evaluates `expr` against `root`.
pub fn eval(expr: &Bson, root: &Document) -> Result<Option<Bson>, StoreError> {
    match expr {
        Bson::String(s) if s.starts_with("$$") => {
            let (var, rest) = s[2..]
                .split_once('.')
                .map_or((&s[2..], None), |(v, r)| (v, Some(r)));
            let base = match var {
                "ROOT" | "CURRENT" => Bson::Document(root.clone()),
                other => return Err(StoreError::Unsupported(format!("the variable $${other}"))),
            };
            Ok(match (rest, base) {
                (None, b) => Some(b),
                (Some(path), Bson::Document(d)) => field(&d, path),
                _ => None,
            })
        }
        Bson::String(s) if s.starts_with('$') => Ok(field(root, &s[1..])),
        Bson::Array(items) => Ok(Some(Bson::Array(
            items
                .iter()
                .map(|i| eval(i, root).map(|v| v.unwrap_or(Bson::Null)))
                .collect::<Result<_, _>>()?,
        ))),
        Bson::Document(d) => match d.iter().next() {
            Some((op, spec)) if op.starts_with('$') => {
                if d.len() != 1 {
                    return Err(bad(format!(
                        "an expression specification must contain exactly one field, found {}",
                        d.len()
                    )));
                }
                operator(op, spec, root)
            }
            _ => {
                let mut out = Document::new();
                for (k, v) in d {
                    if let Some(v) = eval(v, root)? {
                        out.insert(k.clone(), v);
                    }
                }
                Ok(Some(Bson::Document(out)))
            }
        },
        other => Ok(Some(other.clone())),
    }
}

fn evals(spec: &Bson, root: &Document) -> Result<Vec<Option<Bson>>, StoreError> {
    args(spec).iter().map(|a| eval(a, root)).collect()
}

fn operator(op: &str, spec: &Bson, root: &Document) -> Result<Option<Bson>, StoreError> {
    if op == "$literal" {
        return Ok(Some(spec.clone()));
    }
    let vals = evals(spec, root)?;
    let two = |vals: &[Option<Bson>]| -> Result<(Option<Bson>, Option<Bson>), StoreError> {
        match vals {
            [a, b] => Ok((a.clone(), b.clone())),
            _ => Err(bad(format!("expression {op} takes exactly 2 arguments"))),
        }
    };
    let cmp = |vals: &[Option<Bson>]| -> Result<std::cmp::Ordering, StoreError> {
        let (a, b) = two(vals)?;
        Ok(compare(&a.unwrap_or(Bson::Null), &b.unwrap_or(Bson::Null)))
    };
    Ok(Some(match op {
        "$add" | "$multiply" => {
            let (mut acc, mut date) = (Bson::Int32(if op == "$add" { 0 } else { 1 }), None);
            for v in vals.iter() {
                match v {
                    None | Some(Bson::Null) => return Ok(Some(Bson::Null)),
                    Some(Bson::DateTime(d)) if op == "$add" && date.is_none() => date = Some(*d),
                    Some(n) => acc = arith(op, &acc, n)?,
                }
            }
            match date {
                Some(d) => Bson::DateTime(add_millis(d, &acc)?),
                None => acc,
            }
        }
        "$subtract" => {
            let (a, b) = two(&vals)?;
            match (&a, &b) {
                (None | Some(Bson::Null), _) | (_, None | Some(Bson::Null)) => Bson::Null,
                (Some(Bson::DateTime(x)), Some(Bson::DateTime(y))) => x
                    .timestamp_millis()
                    .checked_sub(y.timestamp_millis())
                    .map(Bson::Int64)
                    .ok_or_else(|| bad("$subtract: the difference of the dates overflows"))?,
                (Some(Bson::DateTime(x)), Some(n)) => {
                    Bson::DateTime(add_millis(*x, &arith("$subtract", &Bson::Int32(0), n)?)?)
                }
                (Some(x), Some(y)) => arith(op, x, y)?,
            }
        }
        "$divide" => {
            let (a, b) = two(&vals)?;
            match (num(&a, op)?, num(&b, op)?) {
                (Some(_), Some(0.0)) => return Err(bad("can't $divide by zero")),
                (Some(x), Some(y)) => Bson::Double(x / y),
                _ => Bson::Null,
            }
        }
        "$mod" => {
            let (a, b) = two(&vals)?;
            match (&a, &b) {
                (None | Some(Bson::Null), _) | (_, None | Some(Bson::Null)) => Bson::Null,
                (Some(x), Some(y)) => arith(op, x, y)?,
            }
        }
        "$eq" => Bson::Boolean(cmp(&vals)?.is_eq()),
        "$ne" => Bson::Boolean(!cmp(&vals)?.is_eq()),
        "$gt" => Bson::Boolean(cmp(&vals)?.is_gt()),
        "$gte" => Bson::Boolean(cmp(&vals)?.is_ge()),
        "$lt" => Bson::Boolean(cmp(&vals)?.is_lt()),
        "$lte" => Bson::Boolean(cmp(&vals)?.is_le()),
        "$cmp" => Bson::Int32(cmp(&vals)? as i32),
        "$and" => Bson::Boolean(vals.iter().all(truthy)),
        "$or" => Bson::Boolean(vals.iter().any(truthy)),
        "$not" => Bson::Boolean(!truthy(vals.first().unwrap_or(&None))),
        "$cond" => {
            let (c, t, f) = match spec {
                Bson::Document(d) => (
                    eval(d.get("if").unwrap_or(&Bson::Null), root)?,
                    d.get("then").cloned().unwrap_or(Bson::Null),
                    d.get("else").cloned().unwrap_or(Bson::Null),
                ),
                Bson::Array(a) if a.len() == 3 => (eval(&a[0], root)?, a[1].clone(), a[2].clone()),
                _ => return Err(bad("$cond needs if, then and else")),
            };
            return eval(if truthy(&c) { &t } else { &f }, root);
        }
        "$ifNull" => {
            return Ok(vals
                .iter()
                .find(|v| !matches!(v, None | Some(Bson::Null)))
                .cloned()
                .flatten()
                .or(Some(Bson::Null)));
        }
        "$concat" => {
            let mut s = String::new();
            for v in &vals {
                match v {
                    Some(Bson::String(x)) if s.len() + x.len() > crate::MAX_DOCUMENT_BYTES => {
                        return Err(bad(format!(
                            "$concat: the result would be over {} bytes",
                            crate::MAX_DOCUMENT_BYTES
                        )));
                    }
                    Some(Bson::String(x)) => s.push_str(x),
                    None | Some(Bson::Null) => return Ok(Some(Bson::Null)),
                    Some(other) => return Err(bad(format!("$concat only supports strings, not {other}"))),
                }
            }
            Bson::String(s)
        }
        "$toUpper" | "$toLower" => match vals.first().cloned().flatten() {
            Some(Bson::String(s)) => Bson::String(if op == "$toUpper" {
                s.to_uppercase()
            } else {
                s.to_lowercase()
            }),
            None | Some(Bson::Null) => Bson::String(String::new()),
            Some(other) => Bson::String(other.to_string()),
        },
        "$toString" => match vals.first().cloned().flatten() {
            None | Some(Bson::Null) => Bson::Null,
            Some(Bson::String(s)) => Bson::String(s),
            Some(Bson::ObjectId(o)) => Bson::String(o.to_hex()),
            Some(Bson::DateTime(d)) => Bson::String(d.try_to_rfc3339_string().unwrap_or_default()),
            Some(Bson::Int32(i)) => Bson::String(i.to_string()),
            Some(Bson::Int64(i)) => Bson::String(i.to_string()),
            Some(Bson::Double(f)) => Bson::String(double_string(f)),
            Some(Bson::Decimal128(d)) => Bson::String(d.to_string()),
            Some(other) => Bson::String(other.to_string()),
        },
        "$size" => match vals.first().cloned().flatten() {
            Some(Bson::Array(a)) => Bson::Int32(a.len() as i32),
            _ => return Err(bad("The argument to $size must be an array")),
        },
        "$arrayElemAt" => {
            let (a, i) = two(&vals)?;
            match (a, i.as_ref().and_then(as_f64)) {
                (Some(Bson::Array(items)), Some(i)) => {
                    let i = i as i64;
                    let idx = if i < 0 { items.len() as i64 + i } else { i };
                    return Ok(usize::try_from(idx).ok().and_then(|i| items.get(i).cloned()));
                }
                (None | Some(Bson::Null), _) => Bson::Null,
                _ => return Err(bad("$arrayElemAt needs an array and a numeric index")),
            }
        }
        "$first" | "$last" => match vals.first().cloned().flatten() {
            Some(Bson::Array(a)) => {
                return Ok(if op == "$first" {
                    a.first().cloned()
                } else {
                    a.last().cloned()
                });
            }
            None | Some(Bson::Null) => Bson::Null,
            _ => return Err(bad(format!("{op}'s argument must be an array"))),
        },
        "$in" => {
            let (v, list) = two(&vals)?;
            match list {
                Some(Bson::Array(items)) => {
                    Bson::Boolean(items.iter().any(|i| equal(i, &v.clone().unwrap_or(Bson::Null))))
                }
                _ => return Err(bad("$in requires an array as a second argument")),
            }
        }
        "$sum" | "$avg" | "$min" | "$max" => {
            let items: Vec<Bson> = match vals.as_slice() {
                [Some(Bson::Array(a))] => a.clone(),
                other => other.iter().flatten().cloned().collect(),
            };
            let mut acc = Accumulator::new(op)?;
            for i in &items {
                let _ = acc.add(Some(i.clone()));
            }
            return Ok(Some(acc.result()?));
        }
        other => {
            return Err(StoreError::Unsupported(format!(
                "the aggregation expression {other}"
            )));
        }
    }))
}

/// A `$group` (or array) accumulator.
#[derive(Debug, Clone)]
pub enum Accumulator {
    /// `$sum`: the exact total so far (MongoDB's result types), or the first error.
    Sum(Result<Bson, StoreError>),
    /// `$avg`: total and count.
    Avg(f64, u64),
    /// `$min`
    Min(Option<Bson>),
    /// `$max`
    Max(Option<Bson>),
    /// `$first`
    First(Option<Option<Bson>>),
    /// `$last`
    Last(Option<Bson>),
    /// `$push`
    Push(Vec<Bson>),
    /// `$addToSet`
    AddToSet(crate::keyed::EqIndex),
}

impl Accumulator {
    /// A fresh accumulator for operator `op`.
    pub fn new(op: &str) -> Result<Self, StoreError> {
        Ok(match op {
            "$sum" => Accumulator::Sum(Ok(Bson::Int32(0))),
            "$avg" => Accumulator::Avg(0.0, 0),
            "$min" => Accumulator::Min(None),
            "$max" => Accumulator::Max(None),
            "$first" => Accumulator::First(None),
            "$last" => Accumulator::Last(None),
            "$push" => Accumulator::Push(Vec::new()),
            "$addToSet" => Accumulator::AddToSet(Default::default()),
            other => return Err(StoreError::Unsupported(format!("the accumulator {other}"))),
        })
    }

    /// Adds one input; returns about how many bytes the accumulator keeps of it.
    pub fn add(&mut self, v: Option<Bson>) -> usize {
        let kept = match (&*self, &v) {
            (Accumulator::Push(_), Some(v)) => crate::budget::value_size(v),
            _ => 0,
        };
        match self {
            // Non-numbers are ignored, as in MongoDB.
            Accumulator::Sum(total) => {
                if let (Ok(t), Some(n)) = (&*total, v.filter(|v| as_f64(v).is_some())) {
                    *total = arith("$add", t, &n);
                }
            }
            Accumulator::Avg(t, c) => {
                if let Some(n) = v.as_ref().and_then(as_f64) {
                    *t += n;
                    *c += 1;
                }
            }
            Accumulator::Min(m) => {
                if let Some(v) = v.filter(|v| !matches!(v, Bson::Null))
                    && m.as_ref().is_none_or(|cur| compare(&v, cur).is_lt())
                {
                    *m = Some(v);
                }
            }
            Accumulator::Max(m) => {
                if let Some(v) = v.filter(|v| !matches!(v, Bson::Null))
                    && m.as_ref().is_none_or(|cur| compare(&v, cur).is_gt())
                {
                    *m = Some(v);
                }
            }
            Accumulator::First(f) => {
                if f.is_none() {
                    *f = Some(v);
                }
            }
            Accumulator::Last(l) => *l = v,
            Accumulator::Push(items) => items.push(v.unwrap_or(Bson::Null)),
            Accumulator::AddToSet(items) => {
                if let Some(v) = v
                    && items.insert(&v).1
                {
                    return crate::budget::value_size(&v);
                }
            }
        }
        kept
    }

    /// The accumulated value.
    pub fn result(self) -> Result<Bson, StoreError> {
        Ok(match self {
            Accumulator::Sum(total) => total?,
            Accumulator::Avg(_, 0) => Bson::Null,
            Accumulator::Avg(t, c) => Bson::Double(t / c as f64),
            Accumulator::Min(m) | Accumulator::Max(m) | Accumulator::Last(m) => m.unwrap_or(Bson::Null),
            Accumulator::First(f) => f.flatten().unwrap_or(Bson::Null),
            Accumulator::Push(items) => Bson::Array(items),
            Accumulator::AddToSet(items) => Bson::Array(items.into_values()),
        })
    }
}
