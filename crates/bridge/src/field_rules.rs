//! Field-level permissions of a role (`fields`, `additional_fields`), as App Services applied
//! them: a role that may not read (write) a whole document reads (writes) only the fields its
//! field rules grant; write permission implies read permission; a field's rule covers
//! everything embedded in it, unless it has nested `fields` of its own; fields no rule names
//! take `additional_fields` (none when it is absent or empty), except `_id`, which a role that
//! reads any field of a document reads unless a rule names it. Field rules evaluate once per
//! request: they may use `%%user`, `%%values` and `%%environment`, not document fields.

use std::collections::BTreeMap;

use bson::{Bson, Document};

/// A role's field rules as configured.
#[derive(Debug, Clone)]
pub(crate) struct FieldRules {
    fields: BTreeMap<String, FieldRule>,
    additional: [Bson; 2],
}

#[derive(Debug, Clone)]
struct FieldRule {
    access: [Bson; 2],
    nested: Option<FieldRules>,
}

/// Read and write permission on one field.
#[derive(Debug, Clone, Copy, Default)]
struct Grant {
    read: bool,
    write: bool,
}

/// A role's field rules evaluated for one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldAccess {
    fields: BTreeMap<String, (Grant, Option<FieldAccess>)>,
    additional: Grant,
}

fn access(rule: &Document, what: &str) -> Result<[Bson; 2], String> {
    let mut out = [Bson::Boolean(false), Bson::Boolean(false)];
    for (slot, key) in out.iter_mut().zip(["read", "write"]) {
        if let Some(e) = rule.get(key) {
            if names_document(e) {
                return Err(format!(
                    "{what}.{key}: field-level permissions that depend on the document {}",
                    crate::rules::NOT_EVALUATED
                ));
            }
            *slot = e.clone();
        }
    }
    Ok(out)
}

/// Whether a rule expression names a document field (a key that is neither an expansion nor
/// an operator).
fn names_document(e: &Bson) -> bool {
    match e {
        Bson::Document(d) => d
            .iter()
            .any(|(k, v)| !(k.starts_with('%') || k.starts_with('$')) || names_document(v)),
        Bson::Array(items) => items.iter().any(names_document),
        _ => false,
    }
}

impl FieldRules {
    /// The `fields` and `additional_fields` of `role`, or `None` when it has none.
    pub fn parse(role: &Document) -> Result<Option<FieldRules>, String> {
        if !role.contains_key("fields") && !role.contains_key("additional_fields") {
            return Ok(None);
        }
        Self::parse_level(role, "").map(Some)
    }

    fn parse_level(rule: &Document, prefix: &str) -> Result<FieldRules, String> {
        let mut rules = FieldRules {
            fields: BTreeMap::new(),
            additional: [Bson::Boolean(false), Bson::Boolean(false)],
        };
        match rule.get("fields") {
            None | Some(Bson::Null) => {}
            Some(Bson::Document(fields)) => {
                for (name, r) in fields {
                    let what = format!("{prefix}fields.{name}");
                    let Bson::Document(r) = r else {
                        return Err(format!("{what} must be an object"));
                    };
                    let nested = match r.contains_key("fields") {
                        true => Some(Self::parse_level(r, &format!("{what}."))?),
                        false => None,
                    };
                    let access = access(r, &what)?;
                    rules.fields.insert(name.clone(), FieldRule { access, nested });
                }
            }
            Some(_) => return Err(format!("{prefix}fields must be an object")),
        }
        match rule.get("additional_fields") {
            None | Some(Bson::Null) => {}
            Some(Bson::Document(extra)) => {
                rules.additional = access(extra, &format!("{prefix}additional_fields"))?;
            }
            Some(_) => return Err(format!("{prefix}additional_fields must be an object")),
        }
        Ok(rules)
    }

    /// Every rule expression, for the loader's check.
    pub fn expressions(&self) -> Vec<&Bson> {
        let mut out: Vec<&Bson> = self.additional.iter().collect();
        for rule in self.fields.values() {
            out.extend(rule.access.iter());
            if let Some(n) = &rule.nested {
                out.extend(n.expressions());
            }
        }
        out
    }

    /// The rules evaluated by `eval` (an expression to a boolean) for one request.
    pub fn evaluate(&self, eval: &dyn Fn(&Bson) -> Result<bool, String>) -> Result<FieldAccess, String> {
        let grant = |[r, w]: &[Bson; 2]| -> Result<Grant, String> {
            let write = eval(w)?;
            Ok(Grant {
                read: write || eval(r)?,
                write,
            })
        };
        let mut fields = BTreeMap::new();
        for (name, rule) in &self.fields {
            let nested = rule.nested.as_ref().map(|n| n.evaluate(eval)).transpose()?;
            fields.insert(name.clone(), (grant(&rule.access)?, nested));
        }
        Ok(FieldAccess {
            fields,
            additional: grant(&self.additional)?,
        })
    }
}

/// Path segments that name array elements (`0`, `$`, `$[]`, `$[x]`) rather than fields.
fn element(segment: &str) -> bool {
    segment.starts_with('$') || (!segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()))
}

impl FieldAccess {
    /// Whether any field at all may be read.
    pub fn any_read(&self) -> bool {
        self.additional.read
            || self
                .fields
                .values()
                .any(|(g, n)| g.read || n.as_ref().is_some_and(|n| n.any_read()))
    }

    /// Whether any field at all may be written.
    pub fn any_write(&self) -> bool {
        self.additional.write
            || self
                .fields
                .values()
                .any(|(g, n)| g.write || n.as_ref().is_some_and(|n| n.any_write()))
    }

    /// Whether every field, present or future, may be written (a replacement).
    pub fn all_writable(&self) -> bool {
        self.additional.write && self.fields.values().all(|(g, _)| g.write)
    }

    fn path(&self, path: &str, pick: fn(Grant) -> bool) -> bool {
        let mut segments = path.split('.').filter(|s| !element(s));
        let mut level = self;
        loop {
            let Some(first) = segments.next() else {
                return false;
            };
            match level.fields.get(first) {
                None => return pick(level.additional),
                Some((g, _)) if pick(*g) => return true,
                Some((_, Some(nested))) => level = nested,
                Some((_, None)) => return false,
            }
        }
    }

    /// Whether the field at the dotted `path` may be written.
    pub fn writable(&self, path: &str) -> bool {
        self.path(path, |g| g.write)
    }

    /// Whether the field at the dotted `path` may be read.
    pub fn readable(&self, path: &str) -> bool {
        self.path(path, |g| g.read)
    }

    /// Whether every field of `doc` (an inserted document) may be written. Its `_id` is not
    /// counted at the top level: the database gives every document one.
    pub fn doc_writable(&self, doc: &Document) -> bool {
        self.level_writable(doc, true)
    }

    fn level_writable(&self, doc: &Document, top: bool) -> bool {
        doc.iter().all(|(k, v)| match self.fields.get(k) {
            _ if top && k == "_id" => true,
            None => self.additional.write,
            Some((g, _)) if g.write => true,
            Some((_, Some(nested))) => match v {
                Bson::Document(d) => nested.level_writable(d, false),
                Bson::Array(items) => items
                    .iter()
                    .all(|i| matches!(i, Bson::Document(d) if nested.level_writable(d, false))),
                _ => false,
            },
            Some((_, None)) => false,
        })
    }

    /// `doc` with only the fields that may be read.
    pub fn project(&self, doc: Document) -> Document {
        let mut out = Document::new();
        for (k, v) in doc {
            let kept = match self.fields.get(&k) {
                None if self.additional.read || k == "_id" => Some(v),
                None => None,
                Some((g, _)) if g.read => Some(v),
                Some((_, Some(nested))) => match v {
                    Bson::Document(d) => Some(Bson::Document(nested.project(d))),
                    Bson::Array(items) => Some(Bson::Array(
                        items
                            .into_iter()
                            .filter_map(|i| match i {
                                Bson::Document(d) => Some(Bson::Document(nested.project(d))),
                                _ => None,
                            })
                            .collect(),
                    )),
                    _ => None,
                },
                Some((_, None)) => None,
            };
            if let Some(v) = kept {
                out.insert(k, v);
            }
        }
        out
    }

    /// The aggregation stage that leaves only the readable fields, for rules without nested
    /// field rules; `None` when they have some.
    pub fn stage(&self) -> Option<Document> {
        if self.fields.values().any(|(g, n)| !g.read && n.is_some()) {
            return None;
        }
        let hidden = |read: bool| {
            self.fields
                .iter()
                .filter(move |(_, (g, _))| g.read == read)
                .map(|(k, _)| k.clone())
        };
        Some(if self.additional.read {
            let unset: Vec<String> = hidden(false).collect();
            match unset.is_empty() {
                true => bson::doc! { "$match": {} },
                false => bson::doc! { "$unset": unset },
            }
        } else {
            let mut keep: Document = hidden(true).map(|k| (k, Bson::Int32(1))).collect();
            if keep.is_empty() {
                return Some(bson::doc! { "$match": { "_id": { "$in": [] } } });
            }
            if self.fields.get("_id").is_some_and(|(g, _)| !g.read) {
                keep.insert("_id", 0);
            }
            bson::doc! { "$project": keep }
        })
    }
}
