//! Stages that run pipelines of their own: `$facet`, `$lookup` with `let` and `pipeline`, and
//! `$unionWith`. Each inner pipeline runs with its own stage accounting
//! ([`crate::budget::nested`]); the stage charges what it keeps of the results.

use bson::{Bson, Document};

use crate::{
    budget::{charge, held_doc_size, nested, tick},
    error::{StoreError, bad},
    expr::{Scope, var_name},
    matcher::Filter,
};

use super::{Lookup, run, set};

/// The stages a pipeline inside `$facet` may not hold.
const NOT_IN_FACET: [&str; 4] = ["$facet", "$out", "$merge", "$indexStats"];

/// The pipeline in `v` (an array of one-field stage objects).
fn pipeline(v: Option<&Bson>, stage: &str) -> Result<Vec<Document>, StoreError> {
    match v {
        Some(Bson::Array(stages)) => stages
            .iter()
            .map(|s| match s {
                Bson::Document(d) => Ok(d.clone()),
                _ => Err(bad(format!(
                    "{stage}: each stage of a pipeline must be an object"
                ))),
            })
            .collect(),
        _ => Err(bad(format!("{stage} needs a pipeline (an array of stages)"))),
    }
}

/// How deeply pipelines may nest in each other: MongoDB's limit.
const MAX_NESTING: u32 = 20;

thread_local! {
    /// How many pipelines this thread is inside of now.
    static NESTING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs `stages` over copies of `docs`, in an accounting of its own; the result is charged.
fn inner(docs: &[Document], stages: &[Document], read: &Lookup<'_>) -> Result<Vec<Document>, StoreError> {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            NESTING.set(NESTING.get() - 1);
        }
    }
    if NESTING.get() >= MAX_NESTING {
        return Err(bad(format!(
            "Maximum number of nested sub-pipelines exceeded. Limit is {MAX_NESTING}"
        )));
    }
    NESTING.set(NESTING.get() + 1);
    let _leave = Leave;
    let out = nested(|| {
        let mut copies = Vec::with_capacity(docs.len());
        for d in docs {
            tick()?;
            charge(held_doc_size(d))?;
            copies.push(d.clone());
        }
        run(copies, stages, read)
    })?;
    for d in &out {
        charge(held_doc_size(d))?;
    }
    Ok(out)
}

/// `$facet`: one output document with each named pipeline's results over the same input.
pub(super) fn facet(
    docs: Vec<Document>,
    spec: &Document,
    read: &Lookup<'_>,
) -> Result<Vec<Document>, StoreError> {
    if spec.is_empty() {
        return Err(bad("the $facet specification must be a non-empty object"));
    }
    let mut out = Document::new();
    for (name, stages) in spec {
        let stages = pipeline(Some(stages), "$facet")?;
        if let Some(s) = stages
            .iter()
            .find_map(|s| s.keys().find(|k| NOT_IN_FACET.contains(&k.as_str())))
        {
            return Err(bad(format!(
                "{s} is not allowed to be used within a $facet stage"
            )));
        }
        let results = inner(&docs, &stages, read)?;
        out.insert(
            name.clone(),
            results.into_iter().map(Bson::Document).collect::<Vec<_>>(),
        );
    }
    Ok(vec![out])
}

/// `$unionWith`: the input, then another collection's documents through an optional pipeline.
pub(super) fn union_with(
    mut docs: Vec<Document>,
    spec: &Bson,
    read: &Lookup<'_>,
) -> Result<Vec<Document>, StoreError> {
    let (coll, stages) = match spec {
        Bson::String(c) => (c.clone(), Vec::new()),
        Bson::Document(d) if d.keys().any(|k| k != "coll" && k != "pipeline") => {
            return Err(StoreError::Unsupported(
                "$unionWith with options other than coll and pipeline".into(),
            ));
        }
        Bson::Document(d) => match d.get("coll") {
            Some(Bson::String(c)) => {
                let stages = if d.contains_key("pipeline") {
                    pipeline(d.get("pipeline"), "$unionWith")?
                } else {
                    Vec::new()
                };
                (c.clone(), stages)
            }
            _ => return Err(StoreError::Unsupported("$unionWith without 'coll'".into())),
        },
        _ => return Err(bad("$unionWith needs a collection name or {coll, pipeline}")),
    };
    let other = read(&coll)?;
    docs.extend(inner(&other, &stages, read)?);
    Ok(docs)
}

/// `$lookup` with `pipeline` (and `let`, and optionally `localField`/`foreignField`): for each
/// document, the other collection's documents through the pipeline, with the `let` variables
/// set to the document's values.
pub(super) fn lookup_pipeline(
    docs: Vec<Document>,
    spec: &Document,
    read: &Lookup<'_>,
) -> Result<Vec<Document>, StoreError> {
    let allowed = ["from", "let", "pipeline", "as", "localField", "foreignField"];
    if let Some(k) = spec.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(format!("unknown argument to $lookup: {k}")));
    }
    let from = match spec.get("from") {
        Some(Bson::String(f)) => f.clone(),
        _ => {
            return Err(StoreError::Unsupported(
                "$lookup without a 'from' collection of the same database".into(),
            ));
        }
    };
    let Some(Bson::String(as_field)) = spec.get("as") else {
        return Err(bad("$lookup needs a string 'as'"));
    };
    let stages = pipeline(spec.get("pipeline"), "$lookup")?;
    let vars = match spec.get("let") {
        None => Document::new(),
        Some(Bson::Document(d)) => d.clone(),
        Some(_) => return Err(bad("$lookup's 'let' must be an object")),
    };
    for name in vars.keys() {
        var_name(name)?;
    }
    let keys = match (spec.get("localField"), spec.get("foreignField")) {
        (Some(Bson::String(l)), Some(Bson::String(f))) => Some((l.clone(), f.clone())),
        (None, None) => None,
        _ => return Err(bad("$lookup needs both localField and foreignField, or neither")),
    };
    let foreign = read(&from)?;
    let mut out = Vec::with_capacity(docs.len());
    for mut d in docs {
        tick()?;
        let mut scope = Scope::new(&d);
        let mut bound = Vec::with_capacity(vars.len());
        for (name, e) in &vars {
            bound.push((name.clone(), scope.eval(e)?));
        }
        let stages: Vec<Document> = stages.iter().map(|s| substitute_doc(s, &bound)).collect();
        let matched = match &keys {
            None => inner(&foreign, &stages, read)?,
            Some((local, foreign_field)) => {
                let locals = super::local_values(&d, local);
                let filter = Filter::parse(&bson::doc! { foreign_field.as_str(): { "$in": locals } })?;
                let mut candidates = Vec::new();
                for f in &foreign {
                    tick()?;
                    if filter.matches(f) {
                        candidates.push(f.clone());
                    }
                }
                inner(&candidates, &stages, read)?
            }
        };
        set(
            &mut d,
            as_field,
            Bson::Array(matched.into_iter().map(Bson::Document).collect()),
        )?;
        out.push(d);
    }
    Ok(out)
}

/// Variable bindings carried into a pipeline: a name and its value (`None`: missing).
type Bound = [(String, Option<Bson>)];

/// `stage` with every `$$name` of the bound variables replaced by the value (as a `$literal`,
/// or `$$REMOVE` for a missing value). Inside a `$match` only `$expr` reads variables, what is
/// inside a `$literal` is left alone, and a name bound again inside (`$let`, `$map`,
/// `$filter`, `$reduce`, a nested `$lookup`'s `let`) is that inner variable there.
fn substitute_doc(stage: &Document, vars: &Bound) -> Document {
    if vars.is_empty() {
        return stage.clone();
    }
    stage
        .iter()
        .map(|(k, v)| {
            let v = match (k.as_str(), v) {
                ("$match", Bson::Document(m)) => Bson::Document(substitute_match(m, vars)),
                ("$lookup", Bson::Document(l)) => {
                    let inner: Vec<&str> = match l.get("let") {
                        Some(Bson::Document(names)) => names.keys().map(String::as_str).collect(),
                        _ => Vec::new(),
                    };
                    let mut l = l.clone();
                    if let Some(p) = l.get("pipeline") {
                        l.insert("pipeline", substitute(p, &without(vars, &inner)));
                    }
                    if let Some(lets) = l.get("let") {
                        l.insert("let", substitute(lets, vars));
                    }
                    Bson::Document(l)
                }
                _ => substitute(v, vars),
            };
            (k.clone(), v)
        })
        .collect()
}

/// A `$match` filter: variables are read only inside `$expr` (elsewhere `"$$x"` is a string).
fn substitute_match(filter: &Document, vars: &Bound) -> Document {
    filter
        .iter()
        .map(|(k, v)| {
            let v = match (k.as_str(), v) {
                ("$expr", e) => substitute(e, vars),
                ("$and" | "$or" | "$nor", Bson::Array(items)) => Bson::Array(
                    items
                        .iter()
                        .map(|i| match i {
                            Bson::Document(d) => Bson::Document(substitute_match(d, vars)),
                            other => other.clone(),
                        })
                        .collect(),
                ),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// `vars` without the names an inner expression binds again.
fn without(vars: &Bound, names: &[&str]) -> Vec<(String, Option<Bson>)> {
    vars.iter()
        .filter(|(n, _)| !names.contains(&n.as_str()))
        .cloned()
        .collect()
}

/// The names an operator binds for its arguments.
fn binds(op: &str, spec: &Bson) -> Vec<String> {
    let Bson::Document(d) = spec else {
        return Vec::new();
    };
    match op {
        "$let" => match d.get("vars") {
            Some(Bson::Document(v)) => v.keys().cloned().collect(),
            _ => Vec::new(),
        },
        "$map" | "$filter" => vec![d.get_str("as").unwrap_or("this").to_string()],
        "$reduce" => vec!["value".into(), "this".into()],
        _ => Vec::new(),
    }
}

fn substitute(v: &Bson, vars: &Bound) -> Bson {
    match v {
        Bson::String(s) if s.starts_with("$$") => {
            let text = &s[2..];
            let (name, path) = text.split_once('.').map_or((text, None), |(n, p)| (n, Some(p)));
            match vars.iter().rev().find(|(n, _)| n == name) {
                Some((_, value)) => {
                    let value = match (value, path) {
                        (Some(v), Some(p)) => crate::expr::path_of(v.clone(), p),
                        (None, Some(_)) => None,
                        (value, None) => value.clone(),
                    };
                    match value {
                        Some(v) => Bson::Document(bson::doc! { "$literal": v }),
                        None => Bson::String("$$REMOVE".into()),
                    }
                }
                None => v.clone(),
            }
        }
        Bson::Document(d) if d.len() == 1 && d.contains_key("$literal") => v.clone(),
        Bson::Document(d) if d.len() == 1 && d.keys().all(|k| k.starts_with('$')) => {
            let (op, spec) = d.iter().next().expect("one field");
            let names = binds(op, spec);
            if names.is_empty() {
                return Bson::Document(substitute_doc(d, vars));
            }
            // Only the parts that run inside the new bindings see them.
            let inner = without(vars, &names.iter().map(String::as_str).collect::<Vec<_>>());
            let Bson::Document(args) = spec else {
                return v.clone();
            };
            let args: Document = args
                .iter()
                .map(|(k, a)| {
                    let inside = matches!(
                        (op.as_str(), k.as_str()),
                        ("$let", "in") | ("$map", "in") | ("$filter", "cond") | ("$reduce", "in")
                    );
                    (k.clone(), substitute(a, if inside { &inner } else { vars }))
                })
                .collect();
            Bson::Document(bson::doc! { op.as_str(): args })
        }
        Bson::Document(d) => Bson::Document(substitute_doc(d, vars)),
        Bson::Array(items) => Bson::Array(items.iter().map(|i| substitute(i, vars)).collect()),
        other => other.clone(),
    }
}
