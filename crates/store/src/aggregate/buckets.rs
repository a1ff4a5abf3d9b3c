//! Stages that group or pick by value: `$sortByCount`, `$bucket`, `$bucketAuto` and
//! `$sample`, built on `$group` and `$sort` the way MongoDB defines them.

use bson::{Bson, Document};

use crate::{
    error::{StoreError, bad},
    order::{as_f64, compare, type_rank},
};

use super::group;

/// `$sortByCount: expr`: `{_id: value, count: n}` per distinct value, most frequent first.
pub(super) fn sort_by_count(docs: Vec<Document>, spec: &Bson) -> Result<Vec<Document>, StoreError> {
    match spec {
        Bson::String(s) if s.starts_with('$') => {}
        Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => {}
        _ => {
            return Err(bad(
                "the $sortByCount field path must be a '$'-prefixed path or an expression object",
            ));
        }
    }
    let mut out = group(docs, &bson::doc! { "_id": spec.clone(), "count": { "$sum": 1 } })?;
    out.sort_by(|a, b| {
        compare(
            b.get("count").unwrap_or(&Bson::Null),
            a.get("count").unwrap_or(&Bson::Null),
        )
    });
    Ok(out)
}

/// `$bucket`: documents grouped by which of the `boundaries` ranges their `groupBy` value
/// falls in (else the `default` bucket), each with its `output` accumulators.
pub(super) fn bucket(docs: Vec<Document>, spec: &Document) -> Result<Vec<Document>, StoreError> {
    let allowed = ["groupBy", "boundaries", "default", "output"];
    if let Some(k) = spec.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(format!("Unrecognized option to $bucket: {k}")));
    }
    let by = spec
        .get("groupBy")
        .ok_or_else(|| bad("$bucket requires 'groupBy' and 'boundaries'"))?;
    let Some(Bson::Array(bounds)) = spec.get("boundaries") else {
        return Err(bad("$bucket requires 'groupBy' and 'boundaries'"));
    };
    let sorted = bounds
        .windows(2)
        .all(|w| compare(&w[0], &w[1]).is_lt() && type_rank(&w[0]) == type_rank(&w[1]));
    if bounds.len() < 2 || !sorted {
        return Err(bad(
            "$bucket's 'boundaries' must be at least two values of one type, in ascending order",
        ));
    }
    let default = spec.get("default");
    if let Some(d) = default
        && compare(d, &bounds[0]).is_ge()
        && compare(d, &bounds[bounds.len() - 1]).is_lt()
        && type_rank(d) == type_rank(&bounds[0])
    {
        return Err(bad(
            "$bucket's 'default' must be outside the range of the boundaries",
        ));
    }
    // The bucket of a value is a `$switch` over the ranges, as MongoDB defines `$bucket`.
    let branches: Vec<Bson> = bounds
        .windows(2)
        .map(|w| {
            Bson::Document(bson::doc! {
                "case": { "$and": [{ "$gte": [by.clone(), { "$literal": w[0].clone() }] }, { "$lt": [by.clone(), { "$literal": w[1].clone() }] }] },
                "then": { "$literal": w[0].clone() },
            })
        })
        .collect();
    let mut switch = bson::doc! { "branches": branches };
    if let Some(d) = default {
        switch.insert("default", bson::doc! { "$literal": d.clone() });
    }
    let mut group_spec = bson::doc! { "_id": { "$switch": switch } };
    match spec.get("output") {
        Some(Bson::Document(out)) => group_spec.extend(out.clone()),
        None => {
            group_spec.insert("count", bson::doc! { "$sum": 1 });
        }
        Some(_) => return Err(bad("$bucket's 'output' must be an object")),
    }
    let mut out = group(docs, &group_spec)?;
    out.sort_by(|a, b| {
        compare(
            a.get("_id").unwrap_or(&Bson::Null),
            b.get("_id").unwrap_or(&Bson::Null),
        )
    });
    Ok(out)
}

/// `$sample: {size}`: that many documents picked at random (all of them, shuffled, when there
/// are fewer).
pub(super) fn sample(mut docs: Vec<Document>, spec: &Document) -> Result<Vec<Document>, StoreError> {
    let size = match spec.get("size").and_then(as_f64) {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && spec.len() == 1 => n as usize,
        _ => return Err(bad("$sample needs {size: a non-negative whole number}")),
    };
    let take = size.min(docs.len());
    for i in 0..take {
        let j = i + (crate::expr::next_u64() % (docs.len() - i) as u64) as usize;
        docs.swap(i, j);
    }
    docs.truncate(take);
    Ok(docs)
}

/// `$bucketAuto`: the documents sorted by `groupBy` and cut into `buckets` runs of about equal
/// size, a run never splitting equal values, each with its `output` accumulators and
/// `_id: {min, max}` (max is the next run's min, the last run's own largest value), as
/// MongoDB's algorithm does. `granularity` is not supported.
pub(super) fn bucket_auto(docs: Vec<Document>, spec: &Document) -> Result<Vec<Document>, StoreError> {
    let allowed = ["groupBy", "buckets", "output", "granularity"];
    if let Some(k) = spec.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(format!("Unrecognized option to $bucketAuto: {k}")));
    }
    let by = spec
        .get("groupBy")
        .ok_or_else(|| bad("$bucketAuto requires 'groupBy' and 'buckets' to be specified"))?;
    let buckets = match spec.get("buckets").and_then(as_f64) {
        Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= f64::from(i32::MAX) => n as usize,
        Some(n) => {
            return Err(bad(format!(
                "The $bucketAuto 'buckets' field must be greater than 0, but found: {n}"
            )));
        }
        None => {
            return Err(bad(
                "$bucketAuto requires 'groupBy' and 'buckets' to be specified",
            ));
        }
    };
    if spec.contains_key("granularity") {
        return Err(StoreError::Unsupported("$bucketAuto with a granularity".into()));
    }
    let mut group_spec = bson::doc! { "_id": null };
    match spec.get("output") {
        Some(Bson::Document(out)) => group_spec.extend(out.clone()),
        None => {
            group_spec.insert("count", bson::doc! { "$sum": 1 });
        }
        Some(_) => return Err(bad("$bucketAuto's 'output' must be an object")),
    }
    let mut keyed = Vec::with_capacity(docs.len());
    for d in docs {
        crate::budget::tick()?;
        keyed.push((crate::expr::eval(by, &d)?.unwrap_or(Bson::Null), d));
    }
    keyed.sort_by(|a, b| compare(&a.0, &b.0));
    let n = keyed.len();
    let size = ((n as f64 / buckets as f64).round() as usize).max(1);
    let mut out = Vec::new();
    let mut rest = keyed.into_iter().peekable();
    while let Some((min, first)) = rest.next() {
        let last_bucket = out.len() + 1 == buckets;
        let mut run = vec![first];
        let mut max = min.clone();
        while let Some((k, d)) =
            rest.next_if(|(k, _)| last_bucket || run.len() < size || compare(k, &max).is_eq())
        {
            crate::budget::tick()?;
            run.push(d);
            max = k;
        }
        if let Some((next, _)) = rest.peek() {
            max = next.clone();
        }
        let mut bucket = group(run, &group_spec)?.pop().unwrap_or_default();
        bucket.insert("_id", bson::doc! { "min": min, "max": max });
        out.push(bucket);
    }
    Ok(out)
}
