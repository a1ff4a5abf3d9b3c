//! Update documents: MongoDB's update operators applied to one document.
//!
//! Supported: `$set $unset $inc $mul $min $max $rename $setOnInsert $currentDate $push`
//! (`$each $slice $sort $position`) `$addToSet $pop $pull $pullAll`, on dotted paths with
//! numeric array indexes and the positional parts `$` (the first element the query matched),
//! `$[]` (every element) and `$[id]` (the elements `arrayFilters` selects).

use std::cmp::Ordering;

use bson::{Bson, Document};

use crate::{
    error::{StoreError, bad},
    matcher::Filter,
    order::{compare, equal},
};

/// Whether `update` is an operator update (`{$set: ...}`) rather than a replacement document.
pub fn is_operator_update(update: &Document) -> bool {
    update.keys().next().is_some_and(|k| k.starts_with('$'))
}

fn check_path(path: &str) -> Result<(), StoreError> {
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(bad(format!(
            "the update path '{path}' contains an empty field name"
        )));
    }
    Ok(())
}

/// An update of an existing document may not write a top-level field named `$...`, as
/// MongoDB's storage validation refuses (an insert or upsert may; nested fields may).
fn top_level_allowed(path: &str) -> Result<(), StoreError> {
    match path.split('.').next() {
        Some(field) if field.starts_with('$') => Err(StoreError::DollarPrefixed(field.to_string())),
        _ => Ok(()),
    }
}

/// What positional path parts refer to: the query (for `$`) and the parsed `arrayFilters`.
#[derive(Default)]
pub struct Positional<'a> {
    /// The update's query filter.
    pub query: Option<&'a Filter>,
    /// `arrayFilters`, by identifier.
    pub array_filters: Vec<(String, Filter)>,
}

impl<'a> Positional<'a> {
    /// Parses `arrayFilters` documents (each names one identifier, e.g. `{ "g.score": { $gt: 1 } }`).
    pub fn new(query: Option<&'a Filter>, array_filters: &[Document]) -> Result<Self, StoreError> {
        let mut parsed = Vec::with_capacity(array_filters.len());
        for f in array_filters {
            let id = f
                .keys()
                .next()
                .map(|k| k.split('.').next().unwrap_or_default().to_string())
                .ok_or_else(|| {
                    bad("Cannot use an expression without a top-level field name in arrayFilters")
                })?;
            if f.keys().any(|k| k.split('.').next() != Some(id.as_str())) {
                return Err(bad(
                    "Error parsing array filter: expected a single top-level field name",
                ));
            }
            parsed.push((id, Filter::parse(f)?));
        }
        Ok(Self {
            query,
            array_filters: parsed,
        })
    }

    /// The concrete paths a (possibly positional) update path stands for in `doc`.
    fn expand(&self, doc: &Document, path: &str) -> Result<Vec<String>, StoreError> {
        let no_match = || bad("The positional operator did not find the match needed from the query.");
        let mut prefixes = vec![String::new()];
        for part in path.split('.') {
            let positional = part == "$" || (part.starts_with("$[") && part.ends_with(']'));
            let mut next = Vec::new();
            for p in &prefixes {
                let join = |s: &str| {
                    if p.is_empty() {
                        s.to_string()
                    } else {
                        format!("{p}.{s}")
                    }
                };
                if !positional {
                    next.push(join(part));
                    continue;
                }
                let Some(Bson::Array(items)) = crate::path::get_path(doc, p) else {
                    return Err(bad(format!(
                        "The path '{p}' must exist in the document in order to apply array updates."
                    )));
                };
                match part {
                    "$[]" => next.extend((0..items.len()).map(|i| join(&i.to_string()))),
                    "$" => {
                        let i = self
                            .query
                            .and_then(|q| q.first_matched(p, items))
                            .ok_or_else(no_match)?;
                        next.push(join(&i.to_string()));
                    }
                    _ => {
                        let id = &part[2..part.len() - 1];
                        let (_, f) = self
                            .array_filters
                            .iter()
                            .find(|(name, _)| name == id)
                            .ok_or_else(|| {
                                bad(format!(
                                    "No array filter found for identifier '{id}' in path '{path}'"
                                ))
                            })?;
                        for (i, e) in items.iter().enumerate() {
                            if f.matches(&bson::doc! { id: e.clone() }) {
                                next.push(join(&i.to_string()));
                            }
                        }
                    }
                }
            }
            prefixes = next;
        }
        Ok(prefixes)
    }
}

fn get_mut<'a>(doc: &'a mut Document, path: &str) -> Option<&'a mut Bson> {
    let mut parts = path.split('.');
    let mut cur = doc.get_mut(parts.next()?)?;
    for part in parts {
        cur = match cur {
            Bson::Document(d) => d.get_mut(part)?,
            Bson::Array(a) => a.get_mut(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// How many missing elements an update may add before an array index, as in MongoDB.
const MAX_BACKFILL: usize = 1_500_000;

fn set_path(doc: &mut Document, path: &str, value: Bson) -> Result<(), StoreError> {
    let parts: Vec<&str> = path.split('.').collect();
    let (last, parents) = parts.split_last().ok_or_else(|| bad("empty update path"))?;
    let mut cur: &mut Bson = {
        let first = parents.first().copied().unwrap_or(last);
        if parents.is_empty() {
            doc.insert(*last, value);
            return Ok(());
        }
        doc.entry(first.to_string())
            .or_insert_with(|| Bson::Document(Document::new()))
    };
    for part in parents.iter().skip(1).chain(std::iter::once(last)) {
        let is_last = std::ptr::eq(part, last);
        cur = match cur {
            Bson::Document(d) => {
                if is_last {
                    d.insert(*part, value);
                    return Ok(());
                }
                d.entry(part.to_string())
                    .or_insert_with(|| Bson::Document(Document::new()))
            }
            Bson::Array(a) => {
                let i: usize = part.parse().map_err(|_| {
                    bad(format!(
                        "Cannot create field '{part}' in an array (path '{path}')"
                    ))
                })?;
                if i > a.len() + MAX_BACKFILL {
                    return Err(bad(format!(
                        "can't backfill more than {MAX_BACKFILL} elements (path '{path}')"
                    )));
                }
                if a.len() <= i {
                    a.resize(i + 1, Bson::Null);
                }
                if is_last {
                    a[i] = value;
                    return Ok(());
                }
                if matches!(a[i], Bson::Null) {
                    a[i] = Bson::Document(Document::new());
                }
                &mut a[i]
            }
            other => {
                return Err(bad(format!(
                    "Cannot create field '{part}' in element {{{}}} (path '{path}')",
                    other
                )));
            }
        };
    }
    Ok(())
}

fn unset_path(doc: &mut Document, path: &str) {
    match path.rsplit_once('.') {
        None => {
            doc.remove(path);
        }
        Some((parent, last)) => match get_mut(doc, parent) {
            Some(Bson::Document(d)) => {
                d.remove(last);
            }
            Some(Bson::Array(a)) => {
                if let Some(slot) = last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                    *slot = Bson::Null;
                }
            }
            _ => {}
        },
    }
}

fn number_kind(v: &Bson) -> Option<u8> {
    match v {
        Bson::Int32(_) => Some(0),
        Bson::Int64(_) => Some(1),
        Bson::Double(_) => Some(2),
        _ => None,
    }
}

fn arith(a: &Bson, b: &Bson, op: &str) -> Result<Bson, StoreError> {
    let (Some(ka), Some(kb)) = (number_kind(a), number_kind(b)) else {
        if matches!(a, Bson::Decimal128(_)) || matches!(b, Bson::Decimal128(_)) {
            return Err(StoreError::Unsupported(format!("{op} on Decimal128 values")));
        }
        return Err(bad(format!("Cannot apply {op} to a value of non-numeric type")));
    };
    let int = |v: &Bson| match v {
        Bson::Int32(i) => i64::from(*i),
        Bson::Int64(i) => *i,
        _ => 0,
    };
    let float = |v: &Bson| match v {
        Bson::Int32(i) => f64::from(*i),
        Bson::Int64(i) => *i as f64,
        Bson::Double(d) => *d,
        _ => 0.0,
    };
    if ka == 2 || kb == 2 {
        let r = if op == "$inc" {
            float(a) + float(b)
        } else {
            float(a) * float(b)
        };
        return Ok(Bson::Double(r));
    }
    let r = if op == "$inc" {
        int(a).checked_add(int(b))
    } else {
        int(a).checked_mul(int(b))
    };
    let r = r.ok_or_else(|| bad(format!("{op} would overflow a 64-bit integer")))?;
    Ok(match i32::try_from(r) {
        Ok(small) if ka == 0 && kb == 0 => Bson::Int32(small),
        _ => Bson::Int64(r),
    })
}

fn each(value: &Bson) -> (Vec<Bson>, Option<&Document>) {
    match value {
        Bson::Document(d) if d.contains_key("$each") => match d.get("$each") {
            Some(Bson::Array(items)) => (items.clone(), Some(d)),
            _ => (Vec::new(), Some(d)),
        },
        other => (vec![other.clone()], None),
    }
}

fn push(doc: &mut Document, path: &str, value: &Bson) -> Result<(), StoreError> {
    let (items, modifiers) = each(value);
    if let Some(m) = modifiers
        && !matches!(m.get("$each"), Some(Bson::Array(_)))
    {
        return Err(bad("$each must be an array"));
    }
    let mut array = match get_mut(doc, path) {
        None => Vec::new(),
        Some(Bson::Array(a)) => std::mem::take(a),
        Some(_) => return Err(bad(format!("The field '{path}' must be an array"))),
    };
    let position = match modifiers.and_then(|m| m.get("$position")) {
        None => array.len(),
        Some(p) => {
            let p = crate::order::as_f64(p).ok_or_else(|| bad("$position must be a number"))? as i64;
            if p < 0 {
                (array.len() as i64 + p).max(0) as usize
            } else {
                (p as usize).min(array.len())
            }
        }
    };
    for (i, item) in items.into_iter().enumerate() {
        array.insert(position + i, item);
    }
    if let Some(sort) = modifiers.and_then(|m| m.get("$sort")) {
        match sort {
            Bson::Document(spec) => {
                let spec: Vec<(String, i32)> = spec
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            if crate::order::as_f64(v).unwrap_or(1.0) < 0.0 {
                                -1
                            } else {
                                1
                            },
                        )
                    })
                    .collect();
                array.sort_by(|a, b| {
                    for (k, dir) in &spec {
                        let get = |v: &Bson| match v {
                            Bson::Document(d) => crate::path::get_path(d, k).cloned().unwrap_or(Bson::Null),
                            _ => Bson::Null,
                        };
                        let o = compare(&get(a), &get(b));
                        if o != Ordering::Equal {
                            return if *dir < 0 { o.reverse() } else { o };
                        }
                    }
                    Ordering::Equal
                });
            }
            dir => {
                let desc = crate::order::as_f64(dir).unwrap_or(1.0) < 0.0;
                array.sort_by(|a, b| if desc { compare(b, a) } else { compare(a, b) });
            }
        }
    }
    if let Some(slice) = modifiers.and_then(|m| m.get("$slice")) {
        let n = crate::order::as_f64(slice).ok_or_else(|| bad("$slice must be a number"))? as i64;
        let (from, to) = crate::project::slice_bounds(array.len(), None, n);
        array = array.drain(from..to).collect();
    }
    set_path(doc, path, Bson::Array(array))
}

fn pull_matches(cond: &Bson, element: &Bson) -> Result<bool, StoreError> {
    Ok(match cond {
        Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => {
            let mut wrapper = Document::new();
            wrapper.insert("v", element.clone());
            Filter::parse(&bson::doc! { "v": Bson::Document(d.clone()) })?.matches(&wrapper)
        }
        Bson::Document(d) => match element {
            Bson::Document(e) => Filter::parse(d)?.matches(e),
            _ => false,
        },
        other => equal(other, element),
    })
}

/// Applies an operator update to `doc`. `inserting` enables `$setOnInsert`.
pub fn apply(doc: &mut Document, update: &Document, inserting: bool) -> Result<(), StoreError> {
    apply_positional(doc, update, inserting, &Positional::default())
}

/// Applies an operator update whose paths may be positional (`$`, `$[]`, `$[id]`).
pub fn apply_positional(
    doc: &mut Document,
    update: &Document,
    inserting: bool,
    positional: &Positional<'_>,
) -> Result<(), StoreError> {
    let id_before = doc.get("_id").cloned();
    for (op, fields) in update {
        let Bson::Document(fields) = fields else {
            return Err(bad(format!(
                "Modifiers operate on fields but we found type {} instead",
                fields.element_type() as u8
            )));
        };
        for (raw_path, value) in fields {
            check_path(raw_path)?;
            if !inserting && op != "$unset" && op != "$setOnInsert" {
                top_level_allowed(raw_path)?;
                if let ("$rename", Bson::String(to)) = (op.as_str(), value) {
                    top_level_allowed(to)?;
                }
            }
            for path in positional.expand(doc, raw_path)? {
                let path = path.as_str();
                match op.as_str() {
                    "$set" => set_path(doc, path, value.clone())?,
                    "$setOnInsert" => {
                        if inserting {
                            set_path(doc, path, value.clone())?;
                        }
                    }
                    "$unset" => unset_path(doc, path),
                    "$inc" | "$mul" => {
                        let current = crate::path::get_path(doc, path).cloned();
                        let base = match (&current, op.as_str()) {
                            (Some(c), _) => c.clone(),
                            (None, "$inc") => Bson::Int32(0),
                            (None, _) => Bson::Int32(0),
                        };
                        if current.is_none() && op == "$mul" {
                            let zero = match value {
                                Bson::Double(_) => Bson::Double(0.0),
                                Bson::Int64(_) => Bson::Int64(0),
                                _ => Bson::Int32(0),
                            };
                            number_kind(value)
                                .ok_or_else(|| bad("Cannot multiply with non-numeric argument"))?;
                            set_path(doc, path, zero)?;
                        } else {
                            let r = arith(&base, value, op)?;
                            set_path(doc, path, r)?;
                        }
                    }
                    "$min" | "$max" => {
                        let replace = match crate::path::get_path(doc, path) {
                            None => true,
                            Some(c) => {
                                let o = compare(value, c);
                                if op == "$min" { o.is_lt() } else { o.is_gt() }
                            }
                        };
                        if replace {
                            set_path(doc, path, value.clone())?;
                        }
                    }
                    "$rename" => {
                        let Bson::String(to) = value else {
                            return Err(bad("The 'to' field for $rename must be a string"));
                        };
                        check_path(to)?;
                        if let Some(v) = crate::path::get_path(doc, path).cloned() {
                            unset_path(doc, path);
                            set_path(doc, to, v)?;
                        }
                    }
                    "$currentDate" => {
                        let timestamp = matches!(value, Bson::Document(d) if d.get("$type") == Some(&Bson::String("timestamp".into())));
                        let now = bson::DateTime::now();
                        let v = if timestamp {
                            Bson::Timestamp(bson::Timestamp {
                                time: (now.timestamp_millis() / 1000) as u32,
                                increment: 1,
                            })
                        } else {
                            Bson::DateTime(now)
                        };
                        set_path(doc, path, v)?;
                    }
                    "$push" => push(doc, path, value)?,
                    "$addToSet" => {
                        let (items, _) = each(value);
                        let mut array = match crate::path::get_path(doc, path) {
                            None => Vec::new(),
                            Some(Bson::Array(a)) => a.clone(),
                            Some(_) => {
                                return Err(bad(format!(
                                    "Cannot apply $addToSet to non-array field '{path}'"
                                )));
                            }
                        };
                        let mut present = crate::keyed::EqIndex::default();
                        for e in &array {
                            crate::budget::tick()?;
                            present.insert(e);
                        }
                        for item in items {
                            crate::budget::tick()?;
                            if present.insert(&item).1 {
                                array.push(item);
                            }
                        }
                        set_path(doc, path, Bson::Array(array))?;
                    }
                    "$pop" => {
                        let first = crate::order::as_f64(value).is_some_and(|n| n < 0.0);
                        match get_mut(doc, path) {
                            Some(Bson::Array(a)) if !a.is_empty() => {
                                if first {
                                    a.remove(0);
                                } else {
                                    a.pop();
                                }
                            }
                            Some(Bson::Array(_)) | None => {}
                            Some(_) => {
                                return Err(bad(format!(
                                    "Path '{path}' contains an element of non-array type"
                                )));
                            }
                        }
                    }
                    "$pull" | "$pullAll" => {
                        let Some(Bson::Array(a)) = get_mut(doc, path) else {
                            if crate::path::get_path(doc, path).is_some() {
                                return Err(bad(format!("Cannot apply {op} to a non-array value")));
                            }
                            continue;
                        };
                        let listed = match (op.as_str(), value) {
                            ("$pull", _) => None,
                            (_, Bson::Array(list)) => {
                                let mut listed = crate::keyed::EqIndex::default();
                                for v in list {
                                    crate::budget::tick()?;
                                    listed.insert(v);
                                }
                                Some(listed)
                            }
                            _ => return Err(bad("$pullAll requires an array argument")),
                        };
                        let mut kept = Vec::with_capacity(a.len());
                        for e in a.drain(..) {
                            crate::budget::tick()?;
                            let remove = match &listed {
                                None => pull_matches(value, &e)?,
                                Some(listed) => listed.find(&e).is_some(),
                            };
                            if !remove {
                                kept.push(e);
                            }
                        }
                        *a = kept;
                    }
                    other => return Err(bad(format!("Unknown modifier: {other}"))),
                }
            }
        }
    }
    if let Some(before) = id_before
        && doc.get("_id").is_none_or(|after| !equal(after, &before))
    {
        return Err(StoreError::ImmutableId);
    }
    Ok(())
}
