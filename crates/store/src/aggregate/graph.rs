//! `$graphLookup` (a recursive search of a collection of the same database) and `$redact`
//! (documents pruned level by level by an expression).

use bson::{Bson, Document};

use crate::{
    budget::{charge, held_doc_size, tick},
    error::{StoreError, bad},
    expr::Scope,
    keyed::EqIndex,
    matcher::Filter,
    order::as_f64,
    path::values_at,
};

use super::{Lookup, set};

/// The values at `path`, arrays taken apart (none when the field is missing).
fn flat_values(d: &Document, path: &str) -> Vec<Bson> {
    values_at(d, path)
        .into_iter()
        .flat_map(|v| match v {
            Bson::Array(a) => a.clone(),
            other => vec![other.clone()],
        })
        .collect()
}

/// `$graphLookup`: for each document, the documents of `from` reached from `startWith` by
/// following `connectFromField` values to equal `connectToField` values, breadth first, each
/// once, up to `maxDepth` steps (with its step in `depthField`).
pub(super) fn graph_lookup(
    docs: Vec<Document>,
    spec: &Document,
    read: &Lookup<'_>,
) -> Result<Vec<Document>, StoreError> {
    let allowed = [
        "from",
        "startWith",
        "connectFromField",
        "connectToField",
        "as",
        "maxDepth",
        "depthField",
        "restrictSearchWithMatch",
    ];
    if let Some(k) = spec.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(format!("Unknown argument to $graphLookup: {k}")));
    }
    let text = |k: &str| match spec.get(k) {
        Some(Bson::String(s)) if !s.is_empty() => Ok(Some(s.as_str())),
        None => Ok(None),
        Some(_) => Err(bad(format!("$graphLookup: '{k}' must be a non-empty string"))),
    };
    let need = |k: &str| text(k)?.ok_or_else(|| bad(format!("$graphLookup requires '{k}'")));
    let (from, from_field, to_field, as_field) = (
        need("from")?,
        need("connectFromField")?,
        need("connectToField")?,
        need("as")?,
    );
    let depth_field = text("depthField")?;
    let start = spec
        .get("startWith")
        .ok_or_else(|| bad("$graphLookup requires 'startWith'"))?;
    let max_depth = match spec.get("maxDepth") {
        None => None,
        Some(v) => match as_f64(v) {
            Some(n) if n >= 0.0 && n.fract() == 0.0 => Some(n as u64),
            _ => return Err(bad("$graphLookup: maxDepth must be a non-negative whole number")),
        },
    };
    let restrict = match spec.get("restrictSearchWithMatch") {
        None => None,
        Some(Bson::Document(d)) => Some(Filter::parse(d)?),
        Some(_) => return Err(bad("$graphLookup: restrictSearchWithMatch must be an object")),
    };
    // The searchable documents of `from`, by each of their `connectToField` values (a
    // missing field is null, as an equality match would have it).
    let foreign = read(from)?;
    let mut values = EqIndex::default();
    let mut holders: Vec<Vec<usize>> = Vec::new();
    for (i, f) in foreign.iter().enumerate() {
        tick()?;
        if restrict.as_ref().is_some_and(|r| !r.matches(f)) {
            continue;
        }
        for v in super::local_values(f, to_field) {
            let (k, fresh) = values.insert(&v);
            if fresh {
                holders.push(Vec::new());
            }
            holders[k].push(i);
        }
    }
    docs.into_iter()
        .map(|mut d| {
            let mut frontier = match crate::expr::eval(start, &d)? {
                Some(Bson::Array(a)) => a,
                Some(v) => vec![v],
                None => vec![Bson::Null],
            };
            let mut reached = vec![false; foreign.len()];
            let mut searched = EqIndex::default();
            let mut found = Vec::new();
            let mut depth = 0u64;
            while !frontier.is_empty() && max_depth.is_none_or(|m| depth <= m) {
                let mut next = Vec::new();
                for v in frontier {
                    tick()?;
                    if !searched.insert(&v).1 {
                        continue;
                    }
                    let Some(k) = values.find(&v) else { continue };
                    for &i in &holders[k] {
                        if std::mem::replace(&mut reached[i], true) {
                            continue;
                        }
                        let mut hit = foreign[i].clone();
                        if let Some(field) = depth_field {
                            set(&mut hit, field, Bson::Int64(depth as i64))?;
                        }
                        charge(held_doc_size(&hit))?;
                        next.extend(flat_values(&foreign[i], from_field));
                        found.push(Bson::Document(hit));
                    }
                }
                frontier = next;
                depth += 1;
            }
            set(&mut d, as_field, Bson::Array(found))?;
            Ok(d)
        })
        .collect()
}

/// What `$redact`'s expression decided for one level of a document.
enum Redact {
    Keep,
    Prune,
    Descend,
}

/// `$redact`: each document, and each document inside it reached while descending, is kept
/// whole (`$$KEEP`), left out (`$$PRUNE`) or kept with its fields redacted in turn
/// (`$$DESCEND`), as the expression says for that level.
pub(super) fn redact(docs: Vec<Document>, expr: &Bson) -> Result<Vec<Document>, StoreError> {
    let mut out = Vec::with_capacity(docs.len());
    for d in docs {
        if let Some(kept) = redact_level(d, expr, 0)? {
            out.push(kept);
        }
    }
    Ok(out)
}

fn decide(d: &Document, expr: &Bson) -> Result<Redact, StoreError> {
    let vars = [("KEEP", "keep"), ("PRUNE", "prune"), ("DESCEND", "descend")]
        .map(|(n, v)| (n.to_string(), Bson::String(v.to_string())));
    let mut scope = Scope::new(d);
    match scope.with(vars, |s| s.eval(expr))? {
        Some(Bson::String(s)) if s == "keep" => Ok(Redact::Keep),
        Some(Bson::String(s)) if s == "prune" => Ok(Redact::Prune),
        Some(Bson::String(s)) if s == "descend" => Ok(Redact::Descend),
        other => Err(bad(format!(
            "$redact's expression should not return anything aside from the variables $$KEEP, $$DESCEND, and $$PRUNE, but returned {}",
            other.map_or("missing".to_string(), |v| v.to_string())
        ))),
    }
}

fn redact_level(d: Document, expr: &Bson, depth: usize) -> Result<Option<Document>, StoreError> {
    tick()?;
    if depth > crate::MAX_DEPTH {
        return Err(StoreError::TooDeep(
            "$redact descends deeper than documents nest".into(),
        ));
    }
    match decide(&d, expr)? {
        Redact::Keep => Ok(Some(d)),
        Redact::Prune => Ok(None),
        Redact::Descend => {
            let mut out = Document::new();
            for (k, v) in d {
                let v = match v {
                    Bson::Document(inner) => match redact_level(inner, expr, depth + 1)? {
                        Some(kept) => Bson::Document(kept),
                        None => continue,
                    },
                    Bson::Array(items) => {
                        let mut kept = Vec::with_capacity(items.len());
                        for item in items {
                            match item {
                                Bson::Document(inner) => {
                                    if let Some(k) = redact_level(inner, expr, depth + 1)? {
                                        kept.push(Bson::Document(k));
                                    }
                                }
                                other => kept.push(other),
                            }
                        }
                        Bson::Array(kept)
                    }
                    other => other,
                };
                out.insert(k, v);
            }
            Ok(Some(out))
        }
    }
}
