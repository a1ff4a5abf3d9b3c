//! Relationships (`relationships.json`): a field that stores keys of another collection's
//! documents is shown as those documents, queried by their fields, and written by linking
//! existing documents or creating new ones, as App Services' GraphQL API did. Every lookup and
//! every created document goes through the caller's rules: a related document the caller may
//! not read is left out, as a missing one is.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Name, Value,
    dynamic::{Field, FieldFuture, FieldValue, InputObject, InputValue, TypeRef},
};
use bson::{Bson, Document, doc};
use futures_util::future::BoxFuture;

use super::{
    convert::{document, to_graphql},
    model::{Kind, Relation, Type, Types, capitalized},
    run::{Coll, Ctx, run},
};

/// The most foreign documents a query on a relationship may match (their keys become an `$in`).
const MAX_KEYS: i64 = 10_000;

/// Turns the fields `graphql`'s relationships name into relationship fields of `types`; a
/// relationship whose field or foreign collection has no type is left out, with a warning.
pub fn apply(graphql: &loader::Graphql, service: &str, colls: &[Arc<Coll>], types: &mut Types) {
    for c in graphql.collections.iter().filter(|c| c.service == service) {
        let Some(source) = colls.iter().find(|s| s.db == c.db && s.coll == c.coll) else {
            continue;
        };
        let Some(entries) = c.relationships.as_object() else {
            continue;
        };
        for (path, config) in entries {
            if let Err(e) = relate(source, path, config, service, colls, types) {
                tracing::warn!(collection = %c.coll, "GraphQL: relationship '{path}' not served: {e}");
            }
        }
    }
}

fn relate(
    source: &Coll,
    path: &str,
    config: &serde_json::Value,
    service: &str,
    colls: &[Arc<Coll>],
    types: &mut Types,
) -> Result<(), String> {
    let reference = config.get("ref").and_then(|r| r.as_str()).ok_or("no 'ref'")?;
    let target: Vec<&str> = reference
        .strip_prefix("#/relationship/")
        .ok_or_else(|| format!("'{reference}' is not #/relationship/<service>/<db>/<collection>"))?
        .splitn(3, '/')
        .collect();
    let [svc, db, coll] = target[..] else {
        return Err(format!(
            "'{reference}' is not #/relationship/<service>/<db>/<collection>"
        ));
    };
    if svc != service {
        return Err(format!("its collection is in another data source ('{svc}')"));
    }
    let foreign = colls
        .iter()
        .find(|f| f.db == db && f.coll == coll)
        .ok_or_else(|| format!("{db}.{coll} has no schema GraphQL can show"))?;
    let list = config.get("is_list").and_then(|l| l.as_bool()).unwrap_or(false);
    let foreign_key = config
        .get("foreign_key")
        .and_then(|k| k.as_str())
        .unwrap_or("_id")
        .to_string();
    // `pet.favoriteToyBrand` and `pets.[].favoriteToyBrand` name a field of an embedded type.
    let segments: Vec<&str> = path.split('.').filter(|s| *s != "[]").collect();
    let (last, parents) = segments.split_last().ok_or("an empty path")?;
    let mut ty = source.ty;
    for seg in parents {
        let field = types.0[ty]
            .field(seg)
            .ok_or_else(|| format!("no field '{seg}'"))?;
        ty = match &field.kind {
            Kind::Object(t) => *t,
            Kind::List(inner) => match inner.as_ref() {
                Kind::Object(t) => *t,
                _ => return Err(format!("'{seg}' holds no embedded documents")),
            },
            _ => return Err(format!("'{seg}' holds no embedded documents")),
        };
    }
    let owner = types.0[ty].name.clone();
    let field = types.0[ty]
        .fields
        .iter_mut()
        .find(|f| f.name == *last)
        .ok_or_else(|| format!("no field '{last}'"))?;
    let key = match (&field.kind, list) {
        (Kind::Scalar(s), false) => *s,
        (Kind::List(inner), true) => match inner.as_ref() {
            Kind::Scalar(s) => *s,
            _ => return Err("a to-many relationship's field must be a list of keys".into()),
        },
        (_, false) => return Err("a to-one relationship's field must hold one key".into()),
        (_, true) => return Err("a to-many relationship's field must be a list of keys".into()),
    };
    field.kind = Kind::Relation(Arc::new(Relation {
        coll: foreign.clone(),
        foreign_key,
        key,
        list,
        input: format!("{owner}{}RelationInput", capitalized(last)),
    }));
    Ok(())
}

/// `<Type><Field>RelationInput`: `link` existing documents by key, or `create` new ones.
pub fn input(rel: &Relation, types: &Types) -> InputObject {
    let insert = format!("{}InsertInput", types.0[rel.coll.ty].name);
    let (link, create) = if rel.list {
        (TypeRef::named_list(rel.key.name()), TypeRef::named_list(insert))
    } else {
        (TypeRef::named(rel.key.name()), TypeRef::named(insert))
    };
    InputObject::new(&rel.input)
        .field(InputValue::new("link", link))
        .field(InputValue::new("create", create))
}

/// The output field `name` of relationship `rel`: the foreign document (to-one) or documents
/// (to-many, in the order of the stored keys) the parent document's keys name.
pub fn field(name: &str, tr: TypeRef, rel: Arc<Relation>) -> Field {
    let key = name.to_string();
    Field::new(name, tr, move |ctx| {
        let (key, rel) = (key.clone(), rel.clone());
        FieldFuture::new(async move {
            let parent = ctx.parent_value.try_downcast_ref::<Document>()?;
            let c = ctx.data::<Ctx>()?;
            let fk = rel.foreign_key.as_str();
            match (parent.get(&key), rel.list) {
                (None | Some(Bson::Null), _) => Ok(None),
                (Some(Bson::Array(keys)), true) => {
                    let keys: Vec<Bson> = keys
                        .iter()
                        .filter(|k| !matches!(k, Bson::Null))
                        .cloned()
                        .collect();
                    if keys.is_empty() {
                        return Ok(Some(FieldValue::list(Vec::<FieldValue>::new())));
                    }
                    if keys.len() as i64 > MAX_KEYS {
                        return Err(format!(
                            "'{key}' lists {} keys; a relationship resolves at most {MAX_KEYS}",
                            keys.len()
                        )
                        .into());
                    }
                    let spec = doc! {"filter": {fk: {"$in": keys.clone()}}};
                    // Each key's document, found by its key's exact BSON (type and value).
                    let mut by_key = HashMap::new();
                    for d in documents(run(c, &rel.coll, "find", spec).await?) {
                        if let Some(k) = d.get(fk) {
                            by_key.entry(exact(k)).or_insert(d);
                        }
                    }
                    let docs = keys
                        .iter()
                        .filter_map(|k| by_key.get(&exact(k)).map(|d| FieldValue::owned_any(d.clone())));
                    Ok(Some(FieldValue::list(docs.collect::<Vec<_>>())))
                }
                (Some(Bson::Array(_)), false) | (Some(_), true) => Ok(None),
                (Some(k), false) => {
                    let spec = doc! {"filter": {fk: k.clone()}};
                    Ok(match run(c, &rel.coll, "findOne", spec).await? {
                        Bson::Document(d) => Some(FieldValue::owned_any(d)),
                        _ => None,
                    })
                }
            }
        })
    })
}

/// `input` (an `InsertInput` or `UpdateInput` of `ty`) with every relationship's `create`
/// made: the new documents are inserted into the foreign collection as the caller, and the
/// input links their keys instead. Embedded documents' relationships too.
pub fn create<'a>(
    c: &'a Ctx,
    input: &'a Value,
    ty: &'a Type,
    types: &'a Types,
) -> BoxFuture<'a, Result<Value, String>> {
    Box::pin(async move {
        let Value::Object(fields) = input else {
            return Ok(input.clone());
        };
        let mut out = fields.clone();
        for (name, value) in fields {
            let Some(field) = ty.field(name.as_str()) else {
                continue;
            };
            let made = match (&field.kind, value) {
                (Kind::Relation(rel), Value::Object(r)) => match r.get("create") {
                    Some(Value::List(items)) if rel.list => {
                        let mut keys = Vec::new();
                        for item in items {
                            keys.push(insert(c, rel, item, types).await?);
                        }
                        link(Value::List(keys))
                    }
                    // One document where a to-many takes a list (GraphQL's coercion).
                    Some(item @ Value::Object(_)) => {
                        let key = insert(c, rel, item, types).await?;
                        link(if rel.list { Value::List(vec![key]) } else { key })
                    }
                    _ => continue,
                },
                (Kind::Object(t), v @ Value::Object(_)) => create(c, v, &types.0[*t], types).await?,
                (Kind::List(inner), Value::List(items)) => match inner.as_ref() {
                    Kind::Object(t) => {
                        let mut made = Vec::new();
                        for item in items {
                            made.push(create(c, item, &types.0[*t], types).await?);
                        }
                        Value::List(made)
                    }
                    _ => continue,
                },
                _ => continue,
            };
            out.insert(name.clone(), made);
        }
        Ok(Value::Object(out))
    })
}

/// `key` as a string that tells types apart (an ObjectId from its hex string).
fn exact(key: &Bson) -> String {
    key.clone().into_canonical_extjson().to_string()
}

fn link(keys: Value) -> Value {
    Value::Object([(Name::new("link"), keys)].into_iter().collect())
}

/// Inserts the foreign document `item` describes as the caller; its key, as GraphQL holds it.
async fn insert(c: &Ctx, rel: &Relation, item: &Value, types: &Types) -> Result<Value, String> {
    let ty = &types.0[rel.coll.ty];
    let item = create(c, item, ty, types).await?;
    let doc = document(&item, ty, types)?;
    let inserted = run(c, &rel.coll, "insertOne", doc! {"document": doc.clone()})
        .await
        .map_err(|e| e.message)?;
    let key = if rel.foreign_key == "_id" {
        inserted.as_document().and_then(|d| d.get("insertedId")).cloned()
    } else {
        doc.get(&rel.foreign_key).cloned()
    };
    key.map(|k| to_graphql(&k))
        .ok_or_else(|| format!("a created {} has no '{}' to link", ty.name, rel.foreign_key))
}

/// The keys of the foreign documents that `filter` matches, as the caller sees them.
pub async fn keys(c: &Ctx, rel: &Relation, filter: Document) -> Result<Vec<Bson>, String> {
    let fk = rel.foreign_key.as_str();
    let spec = doc! {"filter": filter, "projection": {fk: 1}, "limit": MAX_KEYS + 1};
    let found = documents(run(c, &rel.coll, "find", spec).await.map_err(|e| e.message)?);
    if found.len() as i64 > MAX_KEYS {
        return Err(format!(
            "a query on a relationship may match at most {MAX_KEYS} documents of {}",
            rel.coll.coll
        ));
    }
    Ok(found.iter().filter_map(|d| d.get(fk).cloned()).collect())
}

/// The documents of a `find`'s result.
fn documents(found: Bson) -> Vec<Document> {
    match found {
        Bson::Array(items) => items
            .into_iter()
            .filter_map(|d| match d {
                Bson::Document(d) => Some(d),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
