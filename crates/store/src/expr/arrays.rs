//! Array and object expressions: `$map $filter $reduce $range $concatArrays $slice ...`, set
//! operators, `$mergeObjects` and the conversions between objects and arrays. What they build is
//! counted by the evaluation ([`Scope::build`]); loops over elements tick the deadline.

use bson::{Bson, Document};

use crate::{
    budget::held_doc_size,
    budget::{held_size, tick},
    error::{StoreError, bad},
    keyed::EqIndex,
    order::{as_f64, compare, equal},
};

use super::{Outcome, Scope, object, truthy, var_name};

/// Evaluates the array or object operator `op`, if it is one.
pub(super) fn op(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Outcome {
    let v = match op {
        "$map" => map(s, spec)?,
        "$filter" => filter(s, spec)?,
        "$reduce" => reduce(s, spec)?,
        "$sortArray" => sort_array(s, spec)?,
        "$getField" => get_field(s, spec)?,
        _ => return evaluated(s, op, spec),
    };
    Ok(Some(v))
}

/// What `v` holds as an element of an array: its slot and what it owns.
fn held(v: &Bson) -> usize {
    std::mem::size_of::<Bson>() + held_size(v)
}

/// The array `v` is, `None` for null or missing; `op` names the operator in the error.
fn array(v: Option<Bson>, op: &str) -> Result<Option<Vec<Bson>>, StoreError> {
    match v {
        None | Some(Bson::Null) | Some(Bson::Undefined) => Ok(None),
        Some(Bson::Array(a)) => Ok(Some(a)),
        Some(other) => Err(bad(format!(
            "{op} requires an array argument, found: {}",
            super::convert::type_name(&Some(other))
        ))),
    }
}

/// The single argument of `op`.
fn one(vals: Vec<Option<Bson>>, op: &str) -> Result<Option<Bson>, StoreError> {
    let n = vals.len();
    let mut vals = vals.into_iter();
    match (vals.next(), n) {
        (Some(v), 1) => Ok(v),
        _ => Err(bad(format!(
            "Expression {op} takes exactly 1 arguments. {n} were passed in."
        ))),
    }
}

/// A whole number argument of `op` that fits 32 bits.
fn int(v: &Option<Bson>, op: &str, what: &str) -> Result<i64, StoreError> {
    match v.as_ref().and_then(as_f64) {
        Some(n) if n.fract() == 0.0 && n.abs() <= f64::from(i32::MAX) => Ok(n as i64),
        _ => Err(bad(format!(
            "{op} requires {what} that can be represented as a 32-bit integer"
        ))),
    }
}

fn map(s: &mut Scope<'_>, spec: &Bson) -> Result<Option<Bson>, StoreError> {
    let spec = object("$map", spec, &["input", "as", "in"])?;
    let body = spec
        .get("in")
        .ok_or_else(|| bad("Missing 'in' parameter to $map"))?;
    let name = bound_name(spec)?;
    let Some(input) = array(s.arg(spec, "input")?, "$map")? else {
        return Ok(Some(Bson::Null));
    };
    let mut out = Vec::with_capacity(input.len());
    for item in input {
        tick()?;
        let mark = s.mark();
        let v = s
            .with([(name.clone(), item)], |s| s.eval(body))?
            .unwrap_or(Bson::Null);
        s.reset(mark);
        s.build(held(&v))?;
        out.push(v);
    }
    Ok(Some(Bson::Array(out)))
}

/// The name `as` binds for each element (`this` by default).
fn bound_name(spec: &Document) -> Result<String, StoreError> {
    match spec.get("as") {
        None => Ok("this".into()),
        Some(Bson::String(n)) => var_name(n),
        Some(_) => Err(bad("'as' must be a string naming a variable")),
    }
}

fn filter(s: &mut Scope<'_>, spec: &Bson) -> Result<Option<Bson>, StoreError> {
    let spec = object("$filter", spec, &["input", "as", "cond", "limit"])?;
    let cond = spec
        .get("cond")
        .ok_or_else(|| bad("Missing 'cond' parameter to $filter"))?;
    let name = bound_name(spec)?;
    let limit = match s.arg(spec, "limit")? {
        None | Some(Bson::Null) => usize::MAX,
        l => match int(&l, "$filter", "'limit'")? {
            n if n >= 1 => n as usize,
            _ => return Err(bad("$filter: limit must be greater than 0")),
        },
    };
    let Some(input) = array(s.arg(spec, "input")?, "$filter")? else {
        return Ok(Some(Bson::Null));
    };
    let mut out = Vec::new();
    for item in input {
        if out.len() >= limit {
            break;
        }
        tick()?;
        let mark = s.mark();
        let keep = s.with([(name.clone(), item.clone())], |s| s.eval(cond))?;
        s.reset(mark);
        if truthy(&keep) {
            s.build(held(&item))?;
            out.push(item);
        }
    }
    Ok(Some(Bson::Array(out)))
}

fn reduce(s: &mut Scope<'_>, spec: &Bson) -> Result<Option<Bson>, StoreError> {
    let spec = object("$reduce", spec, &["input", "initialValue", "in"])?;
    let body = spec
        .get("in")
        .ok_or_else(|| bad("Missing 'in' parameter to $reduce"))?;
    let Some(input) = array(s.arg(spec, "input")?, "$reduce")? else {
        return Ok(Some(Bson::Null));
    };
    let mut value = s.arg(spec, "initialValue")?.unwrap_or(Bson::Null);
    // Each step holds the input and its latest value; the previous value and the step's
    // intermediates are dropped.
    let base = s.mark();
    for item in input {
        tick()?;
        let vars = [("value".to_string(), value), ("this".to_string(), item)];
        value = s.with(vars, |s| s.eval(body))?.unwrap_or(Bson::Null);
        s.reset(base);
        s.build(held(&value))?;
    }
    Ok(Some(value))
}

fn sort_array(s: &mut Scope<'_>, spec: &Bson) -> Result<Option<Bson>, StoreError> {
    let spec = object("$sortArray", spec, &["input", "sortBy"])?;
    let by = spec
        .get("sortBy")
        .ok_or_else(|| bad("$sortArray requires 'sortBy'"))?;
    let Some(mut items) = array(s.arg(spec, "input")?, "$sortArray")? else {
        return Ok(Some(Bson::Null));
    };
    s.build(items.iter().map(held).sum())?;
    match by {
        Bson::Document(fields) => {
            let keys = crate::sort::parse_sort(fields)?;
            let key = |v: &Bson, path: &str, desc: bool| match v {
                Bson::Document(d) => crate::sort::sort_value(d, path, desc),
                _ => Bson::Null,
            };
            items.sort_by(|a, b| {
                keys.iter()
                    .map(|(path, desc)| {
                        let o = compare(&key(a, path, *desc), &key(b, path, *desc));
                        if *desc { o.reverse() } else { o }
                    })
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        }
        n => match as_f64(n) {
            Some(1.0) => items.sort_by(compare),
            Some(-1.0) => items.sort_by(|a, b| compare(b, a)),
            _ => return Err(bad("$sortArray: sortBy must be 1, -1 or an object of them")),
        },
    }
    Ok(Some(Bson::Array(items)))
}

fn get_field(s: &mut Scope<'_>, spec: &Bson) -> Result<Option<Bson>, StoreError> {
    let (name, input) = match spec {
        Bson::String(n) => (n.clone(), Some(Bson::Document(s.root.clone()))),
        Bson::Document(_) => {
            let d = object("$getField", spec, &["field", "input"])?;
            let name = super::objects::field_name("$getField", d)?;
            let input = match d.get("input") {
                Some(e) => s.eval(e)?,
                None => Some(Bson::Document(s.root.clone())),
            };
            (name, input)
        }
        _ => return Err(bad("$getField requires an object or a field name")),
    };
    Ok(match input {
        Some(Bson::Document(d)) => d.get(&name).cloned(),
        None | Some(Bson::Null | Bson::Undefined) => Some(Bson::Null),
        Some(other) => {
            return Err(bad(format!(
                "$getField requires 'input' to evaluate to an object, found: {}",
                super::convert::type_name(&Some(other))
            )));
        }
    })
}

/// Operators whose arguments are all evaluated first.
fn evaluated(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Outcome {
    let known = matches!(
        op,
        "$size"
            | "$arrayElemAt"
            | "$first"
            | "$last"
            | "$in"
            | "$range"
            | "$concatArrays"
            | "$isArray"
            | "$reverseArray"
            | "$slice"
            | "$indexOfArray"
            | "$arrayToObject"
            | "$objectToArray"
            | "$mergeObjects"
            | "$setUnion"
            | "$setIntersection"
            | "$setDifference"
            | "$setEquals"
            | "$setIsSubset"
            | "$anyElementTrue"
            | "$allElementsTrue"
    );
    if !known {
        return Ok(None);
    }
    let vals = s.args(spec)?;
    let v = match op {
        "$size" => match one(vals, op)? {
            Some(Bson::Array(a)) => Bson::Int32(a.len() as i32),
            other => {
                return Err(bad(format!(
                    "The argument to $size must be an array. Type of argument: {}",
                    super::convert::type_name(&other)
                )));
            }
        },
        "$arrayElemAt" => match <[_; 2]>::try_from(vals) {
            Ok([a, i]) => match array(a, op)? {
                None => Bson::Null,
                Some(items) => {
                    let i = match i.as_ref().and_then(as_f64) {
                        Some(i) if i.fract() == 0.0 => i as i64,
                        _ => return Err(bad("$arrayElemAt's second argument must be a whole number")),
                    };
                    let idx = if i < 0 { items.len() as i64 + i } else { i };
                    return Ok(Some(
                        usize::try_from(idx).ok().and_then(|i| items.get(i).cloned()),
                    ));
                }
            },
            Err(v) => {
                return Err(bad(format!(
                    "Expression $arrayElemAt takes exactly 2 arguments. {} were passed in.",
                    v.len()
                )));
            }
        },
        "$first" | "$last" => match array(one(vals, op)?, op)? {
            Some(a) => {
                return Ok(Some(if op == "$first" {
                    a.first().cloned()
                } else {
                    a.last().cloned()
                }));
            }
            None => Bson::Null,
        },
        "$in" => match <[_; 2]>::try_from(vals) {
            Ok([v, Some(Bson::Array(items))]) => {
                let v = v.unwrap_or(Bson::Null);
                Bson::Boolean(items.iter().any(|i| equal(i, &v)))
            }
            _ => return Err(bad("$in requires an array as a second argument")),
        },
        "$range" => range(s, &vals)?,
        "$concatArrays" => {
            let mut out = Vec::new();
            for v in vals {
                match array(v, op)? {
                    None => return Ok(Some(Some(Bson::Null))),
                    Some(items) => {
                        tick()?;
                        s.build(items.iter().map(held).sum())?;
                        out.extend(items);
                    }
                }
            }
            Bson::Array(out)
        }
        "$isArray" => Bson::Boolean(matches!(one(vals, op)?, Some(Bson::Array(_)))),
        "$reverseArray" => match array(one(vals, op)?, op)? {
            Some(mut a) => {
                s.build(a.iter().map(held).sum())?;
                a.reverse();
                Bson::Array(a)
            }
            None => Bson::Null,
        },
        "$slice" => slice(vals)?,
        "$indexOfArray" => index_of(vals)?,
        "$arrayToObject" => match array(one(vals, op)?, op)? {
            Some(pairs) => {
                let mut out = Document::new();
                for p in pairs {
                    tick()?;
                    let (k, v) = pair(p)?;
                    s.build(k.len() + held(&v))?;
                    out.insert(k, v);
                }
                Bson::Document(out)
            }
            None => Bson::Null,
        },
        "$objectToArray" => match one(vals, op)? {
            None | Some(Bson::Null) => Bson::Null,
            Some(Bson::Document(d)) => {
                let mut out = Vec::with_capacity(d.len());
                for (k, v) in d {
                    s.build(k.len() + held(&v) + 16)?;
                    out.push(Bson::Document(bson::doc! { "k": k, "v": v }));
                }
                Bson::Array(out)
            }
            other => {
                return Err(bad(format!(
                    "$objectToArray requires a document input, found: {}",
                    super::convert::type_name(&other)
                )));
            }
        },
        "$mergeObjects" => {
            let mut out = Document::new();
            for v in vals {
                match v {
                    None | Some(Bson::Null) => {}
                    Some(Bson::Document(d)) => {
                        s.build(held_doc_size(&d))?;
                        for (k, v) in d {
                            out.insert(k, v);
                        }
                    }
                    other => {
                        return Err(bad(format!(
                            "$mergeObjects requires object inputs, but input is of type {}",
                            super::convert::type_name(&other)
                        )));
                    }
                }
            }
            Bson::Document(out)
        }
        "$anyElementTrue" | "$allElementsTrue" => match one(vals, op)? {
            Some(Bson::Array(a)) => {
                let mut t = a.into_iter().map(|v| truthy(&Some(v)));
                Bson::Boolean(if op == "$anyElementTrue" {
                    t.any(|b| b)
                } else {
                    t.all(|b| b)
                })
            }
            other => {
                return Err(bad(format!(
                    "{op}'s argument must be an array, but is {}",
                    super::convert::type_name(&other)
                )));
            }
        },
        _ => sets(s, op, vals)?,
    };
    Ok(Some(Some(v)))
}

/// `$range: [start, end, step]`: the Int32s from `start` up to (or down to) `end`, excluded.
fn range(s: &mut Scope<'_>, vals: &[Option<Bson>]) -> Result<Bson, StoreError> {
    let (start, end, step) = match vals {
        [a, b] => (a, b, &Some(Bson::Int32(1))),
        [a, b, c] => (a, b, c),
        _ => {
            return Err(bad(format!(
                "Expression $range takes at least 2 arguments, and at most 3. {} were passed in.",
                vals.len()
            )));
        }
    };
    let start = int(start, "$range", "a starting value")?;
    let end = int(end, "$range", "an ending value")?;
    let step = int(step, "$range", "a step value")?;
    if step == 0 {
        return Err(bad("$range requires a non-zero step value"));
    }
    let count = if (end - start).signum() == step.signum() {
        ((end - start).abs() + step.abs() - 1) / step.abs()
    } else {
        0
    };
    s.build(count as usize * std::mem::size_of::<Bson>())?;
    let mut out = Vec::with_capacity(count as usize);
    let mut i = start;
    while (step > 0 && i < end) || (step < 0 && i > end) {
        tick()?;
        out.push(Bson::Int32(i as i32));
        i += step;
    }
    Ok(Bson::Array(out))
}

/// `$slice: [array, n]` or `[array, position, n]`.
fn slice(vals: Vec<Option<Bson>>) -> Result<Bson, StoreError> {
    let n = vals.len();
    if !(2..=3).contains(&n) {
        return Err(bad(format!(
            "Expression $slice takes at least 2 arguments, and at most 3, but {n} were passed in."
        )));
    }
    let mut vals = vals.into_iter();
    let Some(items) = array(vals.next().flatten(), "$slice")? else {
        return Ok(Bson::Null);
    };
    let rest: Vec<Option<Bson>> = vals.collect();
    if rest.iter().any(|v| matches!(v, None | Some(Bson::Null))) {
        return Ok(Bson::Null);
    }
    let (from, to) = match rest.as_slice() {
        [n] => {
            crate::project::slice_bounds(items.len(), None, int(n, "$slice", "a numeric second argument")?)
        }
        [p, n] => {
            let p = int(p, "$slice", "a numeric second argument")?;
            let n = int(n, "$slice", "a numeric third argument")?;
            if n <= 0 {
                return Err(bad(format!("Third argument to $slice must be positive: {n}")));
            }
            crate::project::slice_bounds(items.len(), Some(p), n)
        }
        _ => unreachable!("checked above"),
    };
    Ok(Bson::Array(
        items.into_iter().skip(from).take(to - from).collect(),
    ))
}

/// `$indexOfArray: [array, value, start, end]`.
fn index_of(vals: Vec<Option<Bson>>) -> Result<Bson, StoreError> {
    if !(2..=4).contains(&vals.len()) {
        return Err(bad(
            "Expression $indexOfArray takes at least 2 arguments, and at most 4",
        ));
    }
    let mut vals = vals.into_iter();
    let Some(items) = array(vals.next().flatten(), "$indexOfArray")? else {
        return Ok(Bson::Null);
    };
    let target = vals.next().flatten().unwrap_or(Bson::Null);
    let bound = |v: Option<Option<Bson>>, default: usize| -> Result<usize, StoreError> {
        match v {
            None => Ok(default),
            Some(v) => match int(&v, "$indexOfArray", "an index")? {
                i if i >= 0 => Ok(i as usize),
                _ => Err(bad("$indexOfArray's indexes must be non-negative")),
            },
        }
    };
    let start = bound(vals.next(), 0)?;
    let end = bound(vals.next(), items.len())?.min(items.len());
    for (i, item) in items.iter().enumerate().take(end).skip(start) {
        tick()?;
        if equal(item, &target) {
            return Ok(Bson::Int32(i as i32));
        }
    }
    Ok(Bson::Int32(-1))
}

/// One entry of `$arrayToObject`: `[k, v]` or `{k, v}`.
fn pair(p: Bson) -> Result<(String, Bson), StoreError> {
    match p {
        Bson::Array(kv) => match <[Bson; 2]>::try_from(kv) {
            Ok([Bson::String(k), v]) => Ok((k, v)),
            _ => Err(bad(
                "$arrayToObject requires an array of size 2 arrays whose first element is a string",
            )),
        },
        Bson::Document(mut d) if d.len() == 2 => match (d.remove("k"), d.remove("v")) {
            (Some(Bson::String(k)), Some(v)) => Ok((k, v)),
            _ => Err(bad(
                "$arrayToObject requires an object with keys 'k' and 'v', 'k' a string",
            )),
        },
        _ => Err(bad(
            "$arrayToObject requires an array of [key, value] arrays or {k, v} objects",
        )),
    }
}

/// The set operators: each array is a set (duplicates ignored, MongoDB's equality).
fn sets(s: &mut Scope<'_>, op: &str, vals: Vec<Option<Bson>>) -> Result<Bson, StoreError> {
    let tests = matches!(op, "$setEquals" | "$setIsSubset");
    let mut sets = Vec::with_capacity(vals.len());
    for v in vals {
        match v {
            Some(Bson::Array(a)) => {
                let mut set = EqIndex::default();
                for item in &a {
                    tick()?;
                    set.insert(item);
                }
                sets.push(set);
            }
            None | Some(Bson::Null) if !tests => return Ok(Bson::Null),
            other => {
                return Err(bad(format!(
                    "All operands of {op} must be arrays. One argument is of type: {}",
                    super::convert::type_name(&other)
                )));
            }
        }
    }
    let values = |set: EqIndex| set.into_values();
    Ok(match op {
        "$setUnion" => {
            let mut all = EqIndex::default();
            for set in sets {
                for v in values(set) {
                    tick()?;
                    all.insert(&v);
                }
            }
            let out = all.into_values();
            s.build(out.iter().map(held).sum())?;
            Bson::Array(out)
        }
        "$setIntersection" => {
            let mut sets = sets.into_iter();
            let first = sets.next().map(values).unwrap_or_default();
            let rest: Vec<EqIndex> = sets.collect();
            let out: Vec<Bson> = first
                .into_iter()
                .filter(|v| rest.iter().all(|r| r.find(v).is_some()))
                .collect();
            s.build(out.iter().map(held).sum())?;
            Bson::Array(out)
        }
        "$setDifference" => match <[EqIndex; 2]>::try_from(sets) {
            Ok([a, b]) => {
                let out: Vec<Bson> = values(a).into_iter().filter(|v| b.find(v).is_none()).collect();
                s.build(out.iter().map(held).sum())?;
                Bson::Array(out)
            }
            Err(_) => return Err(bad("$setDifference takes exactly 2 arguments")),
        },
        "$setIsSubset" => match <[EqIndex; 2]>::try_from(sets) {
            Ok([a, b]) => Bson::Boolean(values(a).iter().all(|v| b.find(v).is_some())),
            Err(_) => return Err(bad("$setIsSubset takes exactly 2 arguments")),
        },
        // "$setEquals"
        _ => {
            if sets.len() < 2 {
                return Err(bad("$setEquals needs at least two arguments"));
            }
            let mut sets = sets.into_iter();
            let first = sets.next().map(values).unwrap_or_default();
            let mut equal_all = true;
            for other in sets {
                let other_values = other.into_values();
                let mut o = EqIndex::default();
                for v in &other_values {
                    o.insert(v);
                }
                let mut f = EqIndex::default();
                for v in &first {
                    f.insert(v);
                }
                equal_all &= first.iter().all(|v| o.find(v).is_some())
                    && other_values.iter().all(|v| f.find(v).is_some());
            }
            Bson::Boolean(equal_all)
        }
    })
}
