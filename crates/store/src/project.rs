//! Projections (`{ name: 1 }`, `{ tags: 0 }`) with MongoDB's `_id` rules and dotted paths, and
//! the find projection operators on arrays: `$slice`, `$elemMatch` and the positional `field.$`.

use std::collections::BTreeMap;

use bson::{Bson, Document};

use crate::{
    error::{StoreError, bad},
    matcher::Filter,
};

/// A parsed projection.
#[derive(Debug, Clone)]
pub struct Projection {
    include: bool,
    id: bool,
    tree: Tree,
    /// The operators on array fields, applied after the fields are chosen.
    arrays: Vec<(String, ArrayOp)>,
}

/// What a projection operator keeps of an array.
#[derive(Debug, Clone)]
enum ArrayOp {
    /// `$slice: n` (the first n, or the last -n) or `$slice: [skip, limit]`.
    Slice { skip: Option<i64>, limit: i64 },
    /// `$elemMatch`: the first element that matches, matched as `{field: [element]}`; no
    /// element drops the field.
    First(Box<Filter>),
    /// The positional `field.$`: the first element the query's conditions on the field
    /// match ([`Filter::first_matched`], as the positional `$` of updates); none drops it.
    Positional(Box<Filter>),
}

#[derive(Debug, Clone, Default)]
struct Tree(BTreeMap<String, Option<Tree>>);

impl Tree {
    fn add(&mut self, path: &str) {
        match path.split_once('.') {
            None => {
                self.0.insert(path.to_string(), None);
            }
            Some((head, rest)) => {
                let entry = self
                    .0
                    .entry(head.to_string())
                    .or_insert_with(|| Some(Tree::default()));
                if let Some(sub) = entry {
                    sub.add(rest);
                }
            }
        }
    }
}

fn flag(path: &str, v: &Bson) -> Result<bool, StoreError> {
    match v {
        Bson::Boolean(b) => Ok(*b),
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => {
            Ok(crate::order::as_f64(v).is_some_and(|n| n != 0.0))
        }
        _ => Err(StoreError::Unsupported(format!(
            "the projection operator in '{path}'"
        ))),
    }
}

fn integer(path: &str, v: &Bson) -> Result<i64, StoreError> {
    match v {
        Bson::Int32(n) => Ok(i64::from(*n)),
        Bson::Int64(n) => Ok(*n),
        Bson::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e18 => Ok(*d as i64),
        _ => Err(bad(format!(
            "$slice in the projection of '{path}' takes a whole number or [skip, limit]"
        ))),
    }
}

/// The `$slice` of `path`.
fn slice(path: &str, v: &Bson) -> Result<ArrayOp, StoreError> {
    match v {
        Bson::Array(pair) if pair.len() == 2 => {
            let limit = integer(path, &pair[1])?;
            if limit <= 0 {
                return Err(bad(format!(
                    "$slice in the projection of '{path}': the limit must be positive"
                )));
            }
            Ok(ArrayOp::Slice {
                skip: Some(integer(path, &pair[0])?),
                limit,
            })
        }
        v => Ok(ArrayOp::Slice {
            skip: None,
            limit: integer(path, v)?,
        }),
    }
}

impl Projection {
    /// Parses a projection of flags (`$project`'s, a filter's, a trigger's); `None` for an
    /// empty one. Operators are refused as unsupported (see [`Projection::parse_for`]).
    pub fn parse(spec: &Document) -> Result<Option<Projection>, StoreError> {
        Self::parse_spec(spec, None, false)
    }

    /// Parses a find's projection, with its array operators: a positional `field.$` keeps the
    /// first element of `field` that `query`'s conditions on it match.
    pub fn parse_for(spec: &Document, query: Option<&Document>) -> Result<Option<Projection>, StoreError> {
        Self::parse_spec(spec, query, true)
    }

    fn parse_spec(
        spec: &Document,
        query: Option<&Document>,
        operators: bool,
    ) -> Result<Option<Projection>, StoreError> {
        let mut id = true;
        let mut id_included = false;
        let mut mode: Option<bool> = None;
        let mut tree = Tree::default();
        let mut arrays = Vec::new();
        for (path, v) in spec {
            let mut path = path.as_str();
            let on = match v {
                _ if dollar_segment(path) && !(operators && positional(path)) => {
                    return Err(bad(format!(
                        "FieldPath field names may not start with '$' ('{path}')"
                    )));
                }
                _ if !operators => flag(path, v)?,
                Bson::Document(op) if op.len() == 1 && op.contains_key("$slice") => {
                    arrays.push((path.to_string(), slice(path, &op["$slice"])?));
                    // `$slice` alone keeps every other field; beside inclusions it is one.
                    if mode == Some(true) {
                        tree.add(path);
                    }
                    continue;
                }
                Bson::Document(op) if op.len() == 1 && op.contains_key("$elemMatch") => {
                    let Bson::Document(cond) = &op["$elemMatch"] else {
                        return Err(bad(format!(
                            "$elemMatch in the projection of '{path}' needs an object"
                        )));
                    };
                    if path.contains('.') {
                        return Err(bad(format!(
                            "Cannot use $elemMatch projection on a nested field: '{path}'"
                        )));
                    }
                    let filter = Filter::parse(&bson::doc! { path: { "$elemMatch": cond.clone() } })?;
                    arrays.push((path.to_string(), ArrayOp::First(Box::new(filter))));
                    true
                }
                _ if positional(path) => {
                    let field = &path[..path.len() - 2];
                    if !flag(path, v)? {
                        return Err(bad(format!("the positional projection '{path}' cannot exclude")));
                    }
                    if arrays.iter().any(|(_, a)| is_positional(a)) {
                        return Err(bad(format!(
                            "the positional projection '{path}': a projection has at most one"
                        )));
                    }
                    if field.contains('.') {
                        return Err(StoreError::Unsupported(format!(
                            "the positional projection of a nested array ('{path}')"
                        )));
                    }
                    let query = match query {
                        Some(q) => Filter::parse_find(q)?.0,
                        None => Filter::And(Vec::new()),
                    };
                    if !query.mentions(field) {
                        return Err(bad(format!(
                            "positional operator '{path}' requires a condition on '{field}' in the query"
                        )));
                    }
                    arrays.push((field.to_string(), ArrayOp::Positional(Box::new(query))));
                    path = field;
                    true
                }
                _ => flag(path, v)?,
            };
            if path == "_id" {
                id = on;
                id_included = on;
                continue;
            }
            match mode {
                Some(m) if m != on => {
                    let kind = if m { "exclusion" } else { "inclusion" };
                    let within = if m { "inclusion" } else { "exclusion" };
                    return Err(bad(format!(
                        "Cannot do {kind} on field {path} in {within} projection"
                    )));
                }
                Some(_) => {}
                None => {
                    mode = Some(on);
                    if on {
                        // Fields sliced before the first inclusion are included too.
                        for (sliced, op) in &arrays {
                            if matches!(op, ArrayOp::Slice { .. }) {
                                tree.add(sliced);
                            }
                        }
                    }
                }
            }
            tree.add(path);
        }
        Ok(match mode {
            // `{_id: 1}` alone keeps only `_id`.
            None if id_included && arrays.is_empty() => Some(Projection {
                include: true,
                id: true,
                tree: Tree::default(),
                arrays,
            }),
            None if id && arrays.is_empty() => None,
            None => Some(Projection {
                include: false,
                id,
                tree: Tree::default(),
                arrays,
            }),
            Some(include) => Some(Projection {
                include,
                id,
                tree,
                arrays,
            }),
        })
    }

    /// Applies the projection to a document.
    pub fn apply(&self, doc: &Document) -> Document {
        let mut out = if self.include {
            include(doc, &self.tree)
        } else {
            exclude(doc, &self.tree)
        };
        if self.include && self.id {
            if let Some(id) = doc.get("_id") {
                let mut with_id = Document::new();
                with_id.insert("_id", id.clone());
                with_id.extend(out);
                out = with_id;
            }
        } else if !self.id {
            out.remove("_id");
        }
        for (path, op) in &self.arrays {
            op.apply(&mut out, path);
        }
        out
    }
}

/// Whether a segment of `path` after its first starts with `$` (`a.$`, `a.$[]`).
fn dollar_segment(path: &str) -> bool {
    path.split('.').skip(1).any(|p| p.starts_with('$'))
}

/// Whether `path` is a positional projection: `field.$`, with no other `$` segment.
fn positional(path: &str) -> bool {
    path.strip_suffix(".$")
        .is_some_and(|field| !dollar_segment(field))
}

fn is_positional(op: &ArrayOp) -> bool {
    matches!(op, ArrayOp::Positional(_))
}

impl ArrayOp {
    /// Applies the operator to the array at `path` in `doc` (through embedded documents and
    /// arrays of them, as MongoDB does for `$slice`).
    fn apply(&self, doc: &mut Document, path: &str) {
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        match (rest, self) {
            (None, ArrayOp::Slice { skip, limit }) => {
                if let Some(Bson::Array(items)) = doc.get_mut(head) {
                    let (from, to) = slice_bounds(items.len(), *skip, *limit);
                    *items = items.drain(from..to).collect();
                }
            }
            (None, ArrayOp::First(_) | ArrayOp::Positional(_)) => {
                let first = match doc.get(head) {
                    Some(Bson::Array(items)) => match self {
                        ArrayOp::Positional(query) => query.first_matched(head, items),
                        ArrayOp::First(filter) => items
                            .iter()
                            .position(|e| filter.matches(&bson::doc! { head: [e.clone()] })),
                        ArrayOp::Slice { .. } => None,
                    }
                    .map(|i| items[i].clone()),
                    _ => None,
                };
                match first {
                    Some(e) => {
                        doc.insert(head, vec![e]);
                    }
                    None => {
                        doc.remove(head);
                    }
                }
            }
            (Some(rest), _) => match doc.get_mut(head) {
                Some(Bson::Document(inner)) => self.apply(inner, rest),
                Some(Bson::Array(items)) => {
                    for item in items {
                        if let Bson::Document(inner) = item {
                            self.apply(inner, rest);
                        }
                    }
                }
                _ => {}
            },
        }
    }
}

/// The range `$slice` keeps of `len` elements: the first `limit` (the last `-limit` when it is
/// negative), or `limit` from `skip` (counted from the end when negative); shared by the
/// projection, the expression and `$push`'s modifier.
pub(crate) fn slice_bounds(len: usize, skip: Option<i64>, limit: i64) -> (usize, usize) {
    let len_i = len as i64;
    match skip {
        None if limit >= 0 => (0, limit.min(len_i) as usize),
        None => ((len_i + limit).max(0) as usize, len),
        Some(skip) => {
            let from = if skip < 0 {
                (len_i + skip).max(0)
            } else {
                skip.min(len_i)
            };
            (from as usize, from.saturating_add(limit).min(len_i) as usize)
        }
    }
}

fn include(doc: &Document, tree: &Tree) -> Document {
    let mut out = Document::new();
    for (k, v) in doc {
        match tree.0.get(k) {
            None => {}
            Some(None) => {
                out.insert(k.clone(), v.clone());
            }
            Some(Some(sub)) => {
                if let Some(p) = include_value(v, sub) {
                    out.insert(k.clone(), p);
                }
            }
        }
    }
    out
}

fn include_value(v: &Bson, sub: &Tree) -> Option<Bson> {
    match v {
        Bson::Document(d) => Some(Bson::Document(include(d, sub))),
        Bson::Array(items) => Some(Bson::Array(
            items.iter().filter_map(|i| include_value(i, sub)).collect(),
        )),
        _ => None,
    }
}

fn exclude(doc: &Document, tree: &Tree) -> Document {
    let mut out = Document::new();
    for (k, v) in doc {
        match tree.0.get(k) {
            Some(None) => {}
            None => {
                out.insert(k.clone(), v.clone());
            }
            Some(Some(sub)) => {
                out.insert(k.clone(), exclude_value(v, sub));
            }
        }
    }
    out
}

fn exclude_value(v: &Bson, sub: &Tree) -> Bson {
    match v {
        Bson::Document(d) => Bson::Document(exclude(d, sub)),
        Bson::Array(items) => Bson::Array(items.iter().map(|i| exclude_value(i, sub)).collect()),
        other => other.clone(),
    }
}
