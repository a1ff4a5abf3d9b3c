//! `$setWindowFields`: documents ordered by `partitionBy` then `sortBy`, each given output
//! fields computed over a window of its partition: `$group`'s accumulators (and `$count`)
//! over `documents: [lower, upper]` (positions) or `range: [lower, upper]` (sortBy values,
//! with a time `unit` for dates), `$rank`, `$denseRank`, `$documentNumber`, `$shift`,
//! `$locf` and `$expMovingAvg`. Other window functions are reported as unsupported.

use bson::{Bson, Document};

use crate::{
    budget::{charge, held_size, tick},
    error::{StoreError, bad},
    expr::{Accumulator, eval},
    order::{as_f64, compare},
    sort::{parse_sort, sort_value},
};

use super::set;

/// One end of a window.
#[derive(Clone, Copy)]
enum Bound {
    Unbounded,
    Current,
    /// A position (documents) or a value (range) relative to the current document's.
    At(f64),
}

/// Which documents of the partition a window holds.
enum Frame {
    Documents(Bound, Bound),
    Range(Bound, Bound, Option<String>),
}

/// What an output field computes.
enum Func {
    /// A `$group` accumulator over a window.
    Acc(String, Bson, Frame),
    Rank {
        dense: bool,
    },
    DocumentNumber,
    Shift {
        output: Bson,
        by: i64,
        default: Bson,
    },
    Locf(Bson),
    /// `$expMovingAvg`, with its input and weight.
    ExpMovingAvg {
        input: Bson,
        alpha: f64,
    },
}

/// A partition: its documents in sortBy order, each with its sort key.
type Part = [(Vec<Bson>, Document)];

fn bound(v: &Bson, documents: bool) -> Result<Bound, StoreError> {
    match v {
        Bson::String(s) if s == "unbounded" => Ok(Bound::Unbounded),
        Bson::String(s) if s == "current" => Ok(Bound::Current),
        other => match as_f64(other) {
            Some(n) if !documents || n.fract() == 0.0 => Ok(Bound::At(n)),
            _ => Err(bad(format!(
                "Window bounds must be 'unbounded', 'current', or {}, found {other}",
                if documents { "an integer" } else { "a number" }
            ))),
        },
    }
}

fn frame(window: Option<&Bson>, sorted: Option<&[(String, bool)]>) -> Result<Frame, StoreError> {
    let Some(window) = window else {
        return Ok(Frame::Documents(Bound::Unbounded, Bound::Unbounded));
    };
    let Bson::Document(w) = window else {
        return Err(bad("'window' field must be an object"));
    };
    if let Some(k) = w
        .keys()
        .find(|k| !["documents", "range", "unit"].contains(&k.as_str()))
    {
        return Err(bad(format!("'window' has an unexpected argument: {k}")));
    }
    let pair = |k: &str| match w.get(k) {
        Some(Bson::Array(b)) if b.len() == 2 => Ok(Some((b[0].clone(), b[1].clone()))),
        None => Ok(None),
        Some(_) => Err(bad(format!("Window bounds must be a 2-element array: {k}"))),
    };
    let unit = match w.get("unit") {
        None => None,
        Some(Bson::String(u)) => Some(u.clone()),
        Some(_) => return Err(bad("'unit' must be a string")),
    };
    let f = match (pair("documents")?, pair("range")?) {
        (Some((l, u)), None) if unit.is_none() => Frame::Documents(bound(&l, true)?, bound(&u, true)?),
        (None, Some((l, u))) => Frame::Range(bound(&l, false)?, bound(&u, false)?, unit),
        (Some(_), None) => return Err(bad("'unit' is only valid with a range window")),
        _ => return Err(bad("'window' field must specify either 'documents' or 'range'")),
    };
    let (lo, hi) = match &f {
        Frame::Documents(l, u) | Frame::Range(l, u, _) => (*l, *u),
    };
    let whole = matches!((lo, hi), (Bound::Unbounded, Bound::Unbounded));
    if !whole && sorted.is_none() {
        return Err(bad("Document-based and range-based bounds require a sortBy"));
    }
    let order = |b: Bound| match b {
        Bound::Unbounded => None,
        Bound::Current => Some(0.0),
        Bound::At(n) => Some(n),
    };
    if let (Some(l), Some(h)) = (order(lo), order(hi))
        && l > h
    {
        return Err(bad("Lower bound must not exceed upper bound"));
    }
    if matches!(f, Frame::Range(..)) && !matches!(sorted, Some([(_, false)])) {
        return Err(bad("Range-based bounds require sortBy a single field, ascending"));
    }
    Ok(f)
}

fn func(
    op: &str,
    arg: &Bson,
    window: Option<&Bson>,
    sorted: Option<&[(String, bool)]>,
) -> Result<Func, StoreError> {
    let positional = matches!(
        op,
        "$rank" | "$denseRank" | "$documentNumber" | "$shift" | "$locf"
    );
    if positional && window.is_some() {
        return Err(bad(format!("{op} does not accept a window argument")));
    }
    let no_args = || match arg {
        Bson::Document(d) if d.is_empty() => Ok(()),
        _ => Err(bad(format!("{op} must have an empty object as its argument"))),
    };
    Ok(match op {
        "$rank" | "$denseRank" => {
            no_args()?;
            if !matches!(sorted, Some([_])) {
                return Err(bad(format!(
                    "{op} must be specified with a sortBy of exactly one field"
                )));
            }
            Func::Rank {
                dense: op == "$denseRank",
            }
        }
        "$documentNumber" => {
            no_args()?;
            if sorted.is_none() {
                return Err(bad("$documentNumber requires a sortBy"));
            }
            Func::DocumentNumber
        }
        "$shift" => {
            let Bson::Document(d) = arg else {
                return Err(bad("Argument to $shift must be an object"));
            };
            if sorted.is_none() {
                return Err(bad("$shift requires a sortBy"));
            }
            let by = match d.get("by").and_then(as_f64) {
                Some(n) if n.fract() == 0.0 => n as i64,
                _ => return Err(bad("'$shift:by' field must be an integer")),
            };
            let output = d
                .get("output")
                .cloned()
                .ok_or_else(|| bad("$shift requires an 'output' expression"))?;
            let default = match d.get("default") {
                None => Bson::Null,
                Some(e) => eval(e, &Document::new())?.unwrap_or(Bson::Null),
            };
            Func::Shift { output, by, default }
        }
        "$locf" => Func::Locf(arg.clone()),
        "$expMovingAvg" => {
            let Bson::Document(d) = arg else {
                return Err(bad("$expMovingAvg must have an object as its argument"));
            };
            if sorted.is_none() {
                return Err(bad("$expMovingAvg requires an explicit 'sortBy'"));
            }
            if let Some(k) = d.keys().find(|k| !["input", "N", "alpha"].contains(&k.as_str())) {
                return Err(bad(format!("$expMovingAvg got unexpected argument: {k}")));
            }
            let input = d
                .get("input")
                .cloned()
                .ok_or_else(|| bad("$expMovingAvg requires an 'input'"))?;
            let alpha = match (d.get("N").map(as_f64), d.get("alpha").map(as_f64)) {
                (Some(Some(n)), None) if n >= 1.0 && n.fract() == 0.0 => 2.0 / (n + 1.0),
                (None, Some(Some(a))) if a > 0.0 && a < 1.0 => a,
                _ => {
                    return Err(bad(
                        "$expMovingAvg requires either 'N' (a positive integer) or 'alpha' (between 0 and 1, exclusive)",
                    ));
                }
            };
            Func::ExpMovingAvg { input, alpha }
        }
        "$count" => {
            no_args()?;
            Func::Acc("$sum".into(), Bson::Int32(1), frame(window, sorted)?)
        }
        "$derivative" | "$integral" | "$covariancePop" | "$covarianceSamp" | "$linearFill" | "$median"
        | "$percentile" | "$minMaxScaler" => {
            return Err(StoreError::Unsupported(format!("the window function {op}")));
        }
        other => {
            Accumulator::for_group(other, arg)?;
            Func::Acc(other.to_string(), arg.clone(), frame(window, sorted)?)
        }
    })
}

/// The number a range window measures a sortBy value by (milliseconds for dates, with a unit).
fn range_value(v: &Bson, unit: &Option<String>) -> Result<f64, StoreError> {
    match (v, unit) {
        (Bson::DateTime(d), Some(_)) => Ok(d.timestamp_millis() as f64),
        (v, None) => as_f64(v).ok_or_else(|| bad("Invalid range: Expected the sortBy field to be a number")),
        _ => Err(bad("Invalid range: Expected the sortBy field to be a Date")),
    }
}

/// The window limit `b` away from the sortBy value `at` (in `range_value`'s measure).
fn range_limit(at: &Bson, b: f64, unit: &Option<String>) -> Result<f64, StoreError> {
    let Some(u) = unit else {
        return Ok(range_value(at, unit)? + b);
    };
    if b.fract() != 0.0 {
        return Err(bad("With a time unit, range bounds must be whole numbers"));
    }
    let add = bson::doc! {"$dateAdd": {"startDate": at.clone(), "unit": u.as_str(), "amount": b as i64}};
    match eval(&Bson::Document(add), &Document::new())? {
        Some(Bson::DateTime(d)) => Ok(d.timestamp_millis() as f64),
        _ => Err(bad("Invalid range: Expected the sortBy field to be a Date")),
    }
}

/// The positions `[lo, hi)` of the window of document `i` of a partition of `n`; `values` are
/// the sortBy values (range windows).
fn window_of(f: &Frame, i: usize, n: usize, values: &[Bson]) -> Result<(usize, usize), StoreError> {
    match f {
        Frame::Documents(l, u) => {
            let at = |b: &Bound, unbounded: i64| match b {
                Bound::Unbounded => unbounded,
                Bound::Current => i as i64,
                Bound::At(k) => i as i64 + *k as i64,
            };
            let lo = at(l, 0).clamp(0, n as i64) as usize;
            let hi = (at(u, n as i64 - 1) + 1).clamp(0, n as i64) as usize;
            Ok((lo, hi.max(lo)))
        }
        Frame::Range(l, u, unit) => {
            let first_past = |limit: f64, inclusive: bool| {
                values.partition_point(|v| {
                    range_value(v, unit).is_ok_and(|x| if inclusive { x <= limit } else { x < limit })
                })
            };
            let lo = match l {
                Bound::Unbounded => 0,
                Bound::Current => i,
                Bound::At(k) => first_past(range_limit(&values[i], *k, unit)?, false),
            };
            let hi = match u {
                Bound::Unbounded => n,
                Bound::Current => i + 1,
                Bound::At(k) => first_past(range_limit(&values[i], *k, unit)?, true),
            };
            Ok((lo, hi.max(lo)))
        }
    }
}

/// Feeds `docs` to `acc`. What the accumulator keeps is not charged: it lives only until its
/// result, which is charged as the output it becomes (charging every window's accumulator
/// would count one document's values once per window holding it).
fn feed(acc: &mut Accumulator, arg: &Bson, docs: &Part) -> Result<(), StoreError> {
    for (_, d) in docs {
        tick()?;
        let input = acc.input(arg, d)?;
        acc.add(input);
    }
    Ok(())
}

/// An accumulator's value for every document of a partition.
fn accumulate(
    op: &str,
    arg: &Bson,
    f: &Frame,
    part: &Part,
    sorted: Option<&[(String, bool)]>,
) -> Result<Vec<Bson>, StoreError> {
    let n = part.len();
    let values: Vec<Bson> = match (f, sorted) {
        (Frame::Range(_, _, unit), Some([(path, _)])) => {
            let values: Vec<Bson> = part
                .iter()
                .map(|(_, d)| {
                    crate::path::values_at(d, path)
                        .first()
                        .map_or(Bson::Null, |v| (*v).clone())
                })
                .collect();
            for v in &values {
                range_value(v, unit)?;
            }
            values
        }
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(n);
    if matches!(f, Frame::Documents(Bound::Unbounded, Bound::Unbounded)) {
        // The whole partition: one value for all.
        let mut acc = Accumulator::for_group(op, arg)?;
        feed(&mut acc, arg, part)?;
        let v = acc.result()?;
        for _ in 0..n {
            charge(held_size(&v))?;
            out.push(v.clone());
        }
        return Ok(out);
    }
    // With no lower bound a window only grows: one accumulator takes each document once, and
    // each result is read from a copy of it.
    let growing = matches!(
        f,
        Frame::Documents(Bound::Unbounded, _) | Frame::Range(Bound::Unbounded, ..)
    );
    let mut running = Accumulator::for_group(op, arg)?;
    let mut added = 0;
    for i in 0..n {
        let (lo, hi) = window_of(f, i, n, &values)?;
        let v = if growing {
            feed(&mut running, arg, &part[added.min(hi)..hi])?;
            added = added.max(hi);
            running.clone().result()?
        } else {
            let mut acc = Accumulator::for_group(op, arg)?;
            feed(&mut acc, arg, &part[lo..hi])?;
            acc.result()?
        };
        charge(held_size(&v))?;
        out.push(v);
    }
    Ok(out)
}

/// The output of `func` for every document of one partition (in its order).
fn compute(func: &Func, part: &Part, sorted: Option<&[(String, bool)]>) -> Result<Vec<Bson>, StoreError> {
    let n = part.len();
    let mut out = Vec::with_capacity(n);
    match func {
        Func::Acc(op, arg, f) => return accumulate(op, arg, f, part, sorted),
        Func::Rank { dense } => {
            let (mut rank, mut distinct) = (0, 0);
            for i in 0..n {
                if i == 0 || compare_keys(&part[i - 1].0, &part[i].0).is_ne() {
                    rank = i as i64 + 1;
                    distinct += 1;
                }
                out.push(int_or_long(if *dense { distinct } else { rank }));
            }
        }
        Func::DocumentNumber => out.extend((1..=n as i64).map(int_or_long)),
        Func::Shift { output, by, default } => {
            for i in 0..n {
                tick()?;
                let j = usize::try_from(i as i64 + by).ok().filter(|j| *j < n);
                out.push(match j {
                    Some(j) => eval(output, &part[j].1)?.unwrap_or(Bson::Null),
                    None => default.clone(),
                });
            }
        }
        Func::ExpMovingAvg { input, alpha } => {
            // Inputs that are not numbers leave the average as it was (null before the first).
            let mut average: Option<f64> = None;
            for (_, d) in part {
                tick()?;
                match eval(input, d)? {
                    Some(Bson::Decimal128(_)) => {
                        return Err(StoreError::Unsupported(
                            "$expMovingAvg of Decimal128 values".into(),
                        ));
                    }
                    Some(v) => {
                        if let Some(x) = as_f64(&v) {
                            average = Some(average.map_or(x, |a| x * alpha + a * (1.0 - alpha)));
                        }
                    }
                    None => {}
                }
                out.push(average.map_or(Bson::Null, Bson::Double));
            }
        }
        Func::Locf(e) => {
            let mut last = Bson::Null;
            for (_, d) in part {
                tick()?;
                if let Some(v) = eval(e, d)?.filter(|v| !matches!(v, Bson::Null | Bson::Undefined)) {
                    last = v;
                }
                out.push(last.clone());
            }
        }
    }
    Ok(out)
}

fn int_or_long(n: i64) -> Bson {
    i32::try_from(n).map_or(Bson::Int64(n), Bson::Int32)
}

fn compare_keys(a: &[Bson], b: &[Bson]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| compare(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// `$setWindowFields`.
pub(super) fn set_window_fields(docs: Vec<Document>, spec: &Document) -> Result<Vec<Document>, StoreError> {
    if let Some(k) = spec
        .keys()
        .find(|k| !["partitionBy", "sortBy", "output"].contains(&k.as_str()))
    {
        return Err(bad(format!("$setWindowFields got unexpected argument: {k}")));
    }
    let sorted = match spec.get("sortBy") {
        None => None,
        Some(Bson::Document(d)) => Some(parse_sort(d)?),
        Some(_) => return Err(bad("$setWindowFields: sortBy must be an object")),
    };
    let Some(Bson::Document(outputs)) = spec.get("output") else {
        return Err(bad("$setWindowFields requires an 'output' object"));
    };
    let mut funcs = Vec::with_capacity(outputs.len());
    for (field, v) in outputs {
        let Bson::Document(o) = v else {
            return Err(bad(format!("The field '{field}' must be an object")));
        };
        let mut ops = o.iter().filter(|(k, _)| k.as_str() != "window");
        let (Some((op, arg)), None) = (ops.next(), ops.next()) else {
            return Err(bad(format!("'{field}' must name exactly one window function")));
        };
        funcs.push((field.clone(), func(op, arg, o.get("window"), sorted.as_deref())?));
    }
    // Documents in partition order, then sortBy order, each with its sort key.
    let mut keyed = Vec::with_capacity(docs.len());
    for d in docs {
        tick()?;
        let partition = match spec.get("partitionBy") {
            Some(e) => eval(e, &d)?.unwrap_or(Bson::Null),
            None => Bson::Null,
        };
        if matches!(partition, Bson::Array(_)) {
            return Err(bad(
                "the partitionBy expression evaluated to an array, which cannot be a partition key",
            ));
        }
        let key: Vec<Bson> = sorted
            .iter()
            .flatten()
            .map(|(p, desc)| sort_value(&d, p, *desc))
            .collect();
        keyed.push((partition, key, d));
    }
    let desc: Vec<bool> = sorted.iter().flatten().map(|(_, d)| *d).collect();
    keyed.sort_by(|a, b| {
        compare(&a.0, &b.0).then_with(|| {
            (a.1.iter().zip(&b.1).zip(&desc))
                .map(|((x, y), d)| if *d { compare(y, x) } else { compare(x, y) })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    let mut out = Vec::with_capacity(keyed.len());
    let mut rest = keyed.into_iter().peekable();
    while let Some((partition, key, d)) = rest.next() {
        let mut part = vec![(key, d)];
        while let Some((_, key, d)) = rest.next_if(|next| compare(&next.0, &partition).is_eq()) {
            part.push((key, d));
        }
        let mut columns = Vec::with_capacity(funcs.len());
        for (_, f) in &funcs {
            columns.push(compute(f, &part, sorted.as_deref())?.into_iter());
        }
        for (_, mut d) in part {
            for ((field, _), column) in funcs.iter().zip(&mut columns) {
                if let Some(v) = column.next() {
                    set(&mut d, field, v)?;
                }
            }
            out.push(d);
        }
    }
    Ok(out)
}
