//! The accumulators of `$group` and of the array forms of `$sum`, `$avg`, `$min` and `$max`.

use bson::Bson;

use crate::{
    error::StoreError,
    order::{as_f64, compare},
};

use super::arith;

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
    /// `$mergeObjects`: the fields so far, or the first input that is not an object.
    MergeObjects(Result<bson::Document, StoreError>),
    /// `$stdDevPop` (`true`) or `$stdDevSamp`: count, mean and sum of squared deviations
    /// (Welford's method).
    StdDev(bool, u64, f64, f64),
    /// `$firstN`, `$lastN`, `$maxN`, `$minN`, `$top`, `$bottom`, `$topN`, `$bottomN`.
    Ranked(Box<super::ranked::Ranked>),
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
            "$mergeObjects" => Accumulator::MergeObjects(Ok(bson::Document::new())),
            "$stdDevPop" | "$stdDevSamp" => Accumulator::StdDev(op == "$stdDevPop", 0, 0.0, 0.0),
            other => return Err(StoreError::Unsupported(format!("the accumulator {other}"))),
        })
    }

    /// A fresh accumulator for operator `op` of a `$group`, whose argument is `arg`.
    pub fn for_group(op: &str, arg: &Bson) -> Result<Self, StoreError> {
        if super::ranked::OPERATORS.contains(&op) {
            return Ok(Accumulator::Ranked(Box::new(super::ranked::Ranked::new(
                op, arg,
            )?)));
        }
        Self::new(op)
    }

    /// The value this `$group` accumulator, whose argument is `arg`, adds for document `d`.
    pub fn input(&self, arg: &Bson, d: &bson::Document) -> Result<Option<Bson>, StoreError> {
        match self {
            Accumulator::Ranked(r) => r.input(arg, d),
            _ => super::eval(arg, d),
        }
    }

    /// Adds one input; returns about how many bytes the accumulator keeps of it.
    pub fn add(&mut self, v: Option<Bson>) -> usize {
        let kept = match (&*self, &v) {
            (Accumulator::Push(_), Some(v)) => std::mem::size_of::<Bson>() + crate::budget::held_size(v),
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
                    return std::mem::size_of::<Bson>() + crate::budget::held_size(&v);
                }
            }
            Accumulator::MergeObjects(Ok(fields)) => match v {
                None | Some(Bson::Null) => {}
                Some(Bson::Document(d)) => {
                    let kept = crate::budget::held_doc_size(&d);
                    for (k, v) in d {
                        fields.insert(k, v);
                    }
                    return kept;
                }
                Some(other) => {
                    *self = Accumulator::MergeObjects(Err(crate::error::bad(format!(
                        "$mergeObjects requires object inputs, but input {other} is of type {}",
                        super::convert::type_name(&Some(other.clone()))
                    ))));
                }
            },
            Accumulator::MergeObjects(Err(_)) => {}
            Accumulator::Ranked(r) => return r.add(v),
            Accumulator::StdDev(_, n, mean, m2) => {
                if let Some(x) = v.as_ref().and_then(as_f64) {
                    *n += 1;
                    let delta = x - *mean;
                    *mean += delta / *n as f64;
                    *m2 += delta * (x - *mean);
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
            Accumulator::MergeObjects(fields) => Bson::Document(fields?),
            Accumulator::StdDev(true, n, _, m2) if n > 0 => Bson::Double((m2 / n as f64).sqrt()),
            Accumulator::StdDev(false, n, _, m2) if n > 1 => Bson::Double((m2 / (n - 1) as f64).sqrt()),
            Accumulator::StdDev(..) => Bson::Null,
            Accumulator::Ranked(r) => r.result()?,
        })
    }
}
