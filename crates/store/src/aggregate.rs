//! Aggregation pipelines: `$match $project $addFields/$set $unset $group $sort $skip $limit
//! $count $unwind $replaceRoot/$replaceWith $lookup` (same database, both forms) `$facet
//! $unionWith $sortByCount $bucket $bucketAuto $sample $graphLookup $redact $setWindowFields`, and a first `$geoNear`
//! (`geonear.rs`). Other stages are reported as unsupported.

mod buckets;
pub(crate) mod geonear;
mod graph;
mod nested;
mod window;

use bson::{Bson, Document};

use crate::{
    error::{StoreError, bad},
    expr::{Accumulator, eval},
    matcher::Filter,
    order::as_f64,
    project::Projection,
    update,
};

/// Reads another collection of the same database (for `$lookup`).
pub type Lookup<'a> = dyn Fn(&str) -> Result<Vec<Document>, StoreError> + 'a;

/// Sets `path` as `$addFields`/`$set` do. Unlike an update, a pipeline may give `_id` a new
/// value: `_id` paths are set on a copy of it, outside the update's immutability check.
/// Sets `path` in `doc` to a value a stage built, charged against the stage's memory.
fn set_field(doc: &mut Document, path: &str, value: Bson) -> Result<(), StoreError> {
    crate::budget::charge(crate::budget::held_size(&value))?;
    set(doc, path, value)
}

/// Sets `path` in `doc` to `value`.
fn set(doc: &mut Document, path: &str, value: Bson) -> Result<(), StoreError> {
    if path != "_id" && !path.starts_with("_id.") {
        return update::apply(doc, &bson::doc! { "$set": { path: value } }, false);
    }
    let mut holder = Document::new();
    if let Some(id) = doc.get("_id") {
        holder.insert("id", id.clone());
    }
    let inner = format!("id{}", &path["_id".len()..]);
    update::apply(&mut holder, &bson::doc! { "$set": { inner: value } }, false)?;
    doc.insert("_id", holder.remove("id").unwrap_or(Bson::Null));
    Ok(())
}

fn is_flag(v: &Bson) -> bool {
    matches!(v, Bson::Boolean(_)) || as_f64(v).is_some()
}

fn project(docs: Vec<Document>, spec: &Document) -> Result<Vec<Document>, StoreError> {
    let flags: Document = spec
        .iter()
        .filter(|(_, v)| is_flag(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let computed: Vec<(&String, &Bson)> = spec.iter().filter(|(_, v)| !is_flag(v)).collect();
    let excluding = flags
        .iter()
        .any(|(k, v)| k != "_id" && as_f64(v).map_or(v == &Bson::Boolean(false), |n| n == 0.0));
    if excluding && !computed.is_empty() {
        return Err(bad(
            "Invalid $project: cannot use expressions in an exclusion projection",
        ));
    }
    // Only computed fields (besides `_id`): start from `_id` alone.
    let only_computed = !excluding && flags.keys().all(|k| k == "_id");
    let keep_id = flags
        .get("_id")
        .is_none_or(|v| as_f64(v).map_or(v != &Bson::Boolean(false), |n| n != 0.0));
    let projection = if only_computed {
        None
    } else {
        Projection::parse(&flags)?
    };
    docs.into_iter()
        .map(|d| {
            crate::budget::tick()?;
            let mut out = match (&projection, only_computed) {
                (Some(p), _) => p.apply(&d),
                (None, true) => match d.get("_id") {
                    Some(id) if keep_id => bson::doc! { "_id": id.clone() },
                    _ => Document::new(),
                },
                (None, false) => d.clone(),
            };
            for (k, e) in &computed {
                if let Some(v) = eval(e, &d)? {
                    set_field(&mut out, k, v)?;
                }
            }
            Ok(out)
        })
        .collect()
}

fn group(docs: Vec<Document>, spec: &Document) -> Result<Vec<Document>, StoreError> {
    let id_expr = spec
        .get("_id")
        .ok_or_else(|| bad("a group specification must include an _id"))?;
    let mut accs: Vec<(String, String, Bson)> = Vec::new();
    for (k, v) in spec.iter().filter(|(k, _)| *k != "_id") {
        let Bson::Document(d) = v else {
            return Err(bad(format!("The field '{k}' must be an accumulator object")));
        };
        let (op, arg) = d
            .iter()
            .next()
            .ok_or_else(|| bad(format!("The field '{k}' must specify one accumulator")))?;
        let (op, arg) = if op == "$count" {
            ("$sum".to_string(), Bson::Int32(1))
        } else {
            (op.clone(), arg.clone())
        };
        Accumulator::for_group(&op, &arg)?;
        accs.push((k.clone(), op, arg));
    }
    let mut keys = crate::keyed::EqIndex::default();
    let mut groups: Vec<(Bson, Vec<Accumulator>)> = Vec::new();
    for d in &docs {
        crate::budget::tick()?;
        let key = eval(id_expr, d)?.unwrap_or(Bson::Null);
        let (idx, fresh) = keys.insert(&key);
        if fresh {
            crate::budget::charge(crate::budget::held_size(&key))?;
            let accumulators = accs
                .iter()
                .map(|(_, op, arg)| Accumulator::for_group(op, arg))
                .collect::<Result<Vec<_>, _>>()?;
            groups.push((key, accumulators));
        }
        for ((_, _, arg), acc) in accs.iter().zip(groups[idx].1.iter_mut()) {
            let input = acc.input(arg, d)?;
            crate::budget::charge(acc.add(input))?;
        }
    }
    groups
        .into_iter()
        .map(|(key, values)| {
            let mut out = bson::doc! { "_id": key };
            for ((name, _, _), acc) in accs.iter().zip(values) {
                out.insert(name.clone(), acc.result()?);
            }
            Ok(out)
        })
        .collect()
}

fn unwind(docs: Vec<Document>, spec: &Bson) -> Result<Vec<Document>, StoreError> {
    let (path, keep_empty, index_field) = match spec {
        Bson::String(p) => (p.clone(), false, None),
        Bson::Document(d) => (
            match d.get("path") {
                Some(Bson::String(p)) => p.clone(),
                _ => return Err(bad("$unwind needs a path")),
            },
            d.get_bool("preserveNullAndEmptyArrays").unwrap_or(false),
            d.get_str("includeArrayIndex").ok().map(str::to_string),
        ),
        _ => return Err(bad("$unwind needs a path")),
    };
    let path = path
        .strip_prefix('$')
        .ok_or_else(|| bad("$unwind path must be prefixed by $"))?
        .to_string();
    let mut out = Vec::new();
    for d in docs {
        match crate::path::get_path(&d, &path).cloned() {
            Some(Bson::Array(items)) if !items.is_empty() => {
                // Each copy is the document with the array's place taken by one item (charged
                // when it is set): copies of the document without its array, so unwinding n
                // items costs n small copies, not n copies of the n items.
                let mut base = d;
                set(&mut base, &path, Bson::Null)?;
                let size = crate::budget::held_doc_size(&base);
                for (i, item) in items.into_iter().enumerate() {
                    crate::budget::tick()?;
                    crate::budget::charge(size)?;
                    let mut copy = base.clone();
                    set_field(&mut copy, &path, item)?;
                    if let Some(f) = &index_field {
                        set_field(&mut copy, f, Bson::Int64(i as i64))?;
                    }
                    out.push(copy);
                }
            }
            Some(Bson::Array(_)) | None | Some(Bson::Null) => {
                if keep_empty {
                    let mut copy = d.clone();
                    // MongoDB drops an empty array's field (a null stays).
                    if matches!(crate::path::get_path(&d, &path), Some(Bson::Array(_))) {
                        update::apply(&mut copy, &bson::doc! { "$unset": { path.as_str(): "" } }, false)?;
                    }
                    if let Some(f) = &index_field {
                        set_field(&mut copy, f, Bson::Null)?;
                    }
                    out.push(copy);
                }
            }
            Some(_) => {
                let mut copy = d.clone();
                if let Some(f) = &index_field {
                    set_field(&mut copy, f, Bson::Null)?;
                }
                out.push(copy);
            }
        }
    }
    Ok(out)
}

/// The values `$lookup` joins on at `local` in `d`: each element of an array, null when missing.
fn local_values(d: &Document, local: &str) -> Vec<Bson> {
    match crate::path::values_at(d, local).as_slice() {
        [] => vec![Bson::Null],
        vals => vals
            .iter()
            .flat_map(|v| match v {
                Bson::Array(a) => a.clone(),
                other => vec![(*other).clone()],
            })
            .collect(),
    }
}

fn lookup(docs: Vec<Document>, spec: &Document, read: &Lookup<'_>) -> Result<Vec<Document>, StoreError> {
    if spec.contains_key("pipeline") || spec.contains_key("let") {
        return nested::lookup_pipeline(docs, spec, read);
    }
    let get = |k: &str| {
        spec.get_str(k)
            .map_err(|_| bad(format!("$lookup needs a string '{k}'")))
    };
    let (from, local, foreign, as_field) =
        (get("from")?, get("localField")?, get("foreignField")?, get("as")?);
    let foreign_docs = read(from)?;
    let sizes: Vec<usize> = foreign_docs.iter().map(crate::budget::held_doc_size).collect();
    docs.into_iter()
        .map(|mut d| {
            let locals = local_values(&d, local);
            let filters: Vec<Filter> = locals
                .iter()
                .filter_map(|l| Filter::parse(&bson::doc! { foreign: l.clone() }).ok())
                .collect();
            let mut matched = Vec::new();
            for (f, size) in foreign_docs.iter().zip(&sizes) {
                crate::budget::tick()?;
                if filters.iter().any(|flt| flt.matches(f)) {
                    crate::budget::charge(*size)?;
                    matched.push(Bson::Document(f.clone()));
                }
            }
            // Charged above, document by document.
            set(&mut d, as_field, Bson::Array(matched))?;
            Ok(d)
        })
        .collect()
}

/// Runs `pipeline` over `docs` (the collection's documents, in natural order).
pub fn run(
    mut docs: Vec<Document>,
    pipeline: &[Document],
    read: &Lookup<'_>,
) -> Result<Vec<Document>, StoreError> {
    for stage in pipeline {
        if stage.len() != 1 {
            return Err(bad(
                "A pipeline stage specification object must contain exactly one field",
            ));
        }
        let Some((name, spec)) = stage.iter().next() else {
            continue;
        };
        let spec_doc = || match spec {
            Bson::Document(d) => Ok(d),
            _ => Err(bad(format!("the {name} stage specification must be an object"))),
        };
        // A stage that builds documents holds its output besides its input; one that only
        // keeps or orders its input holds nothing new.
        if !matches!(
            name.as_str(),
            "$match" | "$sort" | "$skip" | "$limit" | "$count" | "$sample"
        ) {
            crate::budget::next_stage();
        }
        docs = match name.as_str() {
            "$match" => {
                let f = Filter::parse(spec_doc()?)?;
                let mut kept = Vec::new();
                for d in docs {
                    crate::budget::tick()?;
                    if f.matches(&d) {
                        kept.push(d);
                    }
                }
                kept
            }
            "$project" => project(docs, spec_doc()?)?,
            "$addFields" | "$set" => {
                let spec = spec_doc()?;
                docs.into_iter()
                    .map(|mut d| {
                        for (k, e) in spec {
                            match eval(e, &d)? {
                                Some(v) => set_field(&mut d, k, v)?,
                                // `$$REMOVE`: the field is left out.
                                None => update::apply(&mut d, &bson::doc! { "$unset": { k: "" } }, false)?,
                            }
                        }
                        Ok(d)
                    })
                    .collect::<Result<_, StoreError>>()?
            }
            "$unset" => {
                let fields: Vec<String> = match spec {
                    Bson::String(s) => vec![s.clone()],
                    Bson::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
                    _ => return Err(bad("$unset specification must be a string or an array")),
                };
                let spec: Document = fields.into_iter().map(|f| (f, Bson::Int32(0))).collect();
                project(docs, &spec)?
            }
            "$group" => group(docs, spec_doc()?)?,
            "$sort" => {
                // The same order as find's sort (arrays by their least or greatest element,
                // missing as null, empty arrays lowest).
                let spec = crate::sort::parse_sort(spec_doc()?)?;
                let mut keyed: Vec<(u64, Document)> =
                    docs.into_iter().enumerate().map(|(i, d)| (i as u64, d)).collect();
                crate::sort::sort_docs(&mut keyed, &spec);
                keyed.into_iter().map(|(_, d)| d).collect()
            }
            "$skip" => {
                let n = as_f64(spec)
                    .filter(|n| *n >= 0.0)
                    .ok_or_else(|| bad("$skip must be a non-negative number"))?;
                docs.into_iter().skip(n as usize).collect()
            }
            "$limit" => {
                let n = as_f64(spec)
                    .filter(|n| *n > 0.0)
                    .ok_or_else(|| bad("$limit must be positive"))?;
                docs.into_iter().take(n as usize).collect()
            }
            "$count" => {
                let Bson::String(field) = spec else {
                    return Err(bad("$count needs a field name"));
                };
                if docs.is_empty() {
                    Vec::new()
                } else {
                    vec![
                        bson::doc! { field.as_str(): crate::expr::eval(&Bson::Int64(docs.len() as i64), &Document::new())?.map(|n| crate::order::as_f64(&n).map_or(n.clone(), |f| if f <= f64::from(i32::MAX) { Bson::Int32(f as i32) } else { n })).unwrap_or(Bson::Null) },
                    ]
                }
            }
            "$unwind" => unwind(docs, spec)?,
            "$replaceRoot" | "$replaceWith" => {
                let expr = if name == "$replaceRoot" {
                    spec_doc()?
                        .get("newRoot")
                        .cloned()
                        .ok_or_else(|| bad("$replaceRoot needs newRoot"))?
                } else {
                    spec.clone()
                };
                docs.iter()
                    .map(|d| match eval(&expr, d)? {
                        Some(Bson::Document(n)) => {
                            crate::budget::charge(crate::budget::held_doc_size(&n))?;
                            Ok(n)
                        }
                        other => Err(bad(format!(
                            "'newRoot' expression must evaluate to an object, but got {other:?}"
                        ))),
                    })
                    .collect::<Result<_, _>>()?
            }
            "$lookup" => lookup(docs, spec_doc()?, read)?,
            "$facet" => nested::facet(docs, spec_doc()?, read)?,
            "$unionWith" => nested::union_with(docs, spec, read)?,
            "$sortByCount" => buckets::sort_by_count(docs, spec)?,
            "$bucket" => buckets::bucket(docs, spec_doc()?)?,
            "$bucketAuto" => buckets::bucket_auto(docs, spec_doc()?)?,
            "$sample" => buckets::sample(docs, spec_doc()?)?,
            "$graphLookup" => graph::graph_lookup(docs, spec_doc()?, read)?,
            "$redact" => graph::redact(docs, spec)?,
            "$setWindowFields" => window::set_window_fields(docs, spec_doc()?)?,
            "$geoNear" => return Err(bad("$geoNear is only valid as the first stage in a pipeline")),
            other => return Err(StoreError::Unsupported(format!("the aggregation stage {other}"))),
        };
    }
    Ok(docs)
}
