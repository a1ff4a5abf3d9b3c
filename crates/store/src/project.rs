//! Projections (`{ name: 1 }`, `{ tags: 0 }`) with MongoDB's `_id` rules and dotted paths.

use std::collections::BTreeMap;

use bson::{Bson, Document};

use crate::error::{StoreError, bad};

/// A parsed projection.
#[derive(Debug, Clone)]
pub struct Projection {
    include: bool,
    id: bool,
    tree: Tree,
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

impl Projection {
    /// Parses a projection document; `None` for an empty one.
    pub fn parse(spec: &Document) -> Result<Option<Projection>, StoreError> {
        let mut id = true;
        let mut id_included = false;
        let mut mode: Option<bool> = None;
        let mut tree = Tree::default();
        for (path, v) in spec {
            let on = flag(path, v)?;
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
                _ => mode = Some(on),
            }
            tree.add(path);
        }
        Ok(match mode {
            // `{_id: 1}` alone keeps only `_id`.
            None if id_included => Some(Projection {
                include: true,
                id: true,
                tree: Tree::default(),
            }),
            None if id => None,
            None => Some(Projection {
                include: false,
                id,
                tree: Tree::default(),
            }),
            Some(include) => Some(Projection { include, id, tree }),
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
        out
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
