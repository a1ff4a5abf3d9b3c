//! Values between GraphQL and BSON: a query's input becomes the BSON types the collection's
//! schema names (an `ObjectId` string an ObjectId, a `DateTime` string a date, a `Long` an
//! Int64), a `QueryInput` becomes a MongoDB filter, and documents become GraphQL values.

use async_graphql::{Name, Value};
use bson::{Bson, Document, oid::ObjectId};
use futures_util::future::BoxFuture;

use super::{
    model::{Field, Kind, Relation, Scalar, Type, Types},
    relations,
    run::Ctx,
};

/// `value` as GraphQL shows it: ObjectIds as hex strings, dates as RFC 3339 UTC strings,
/// numbers as numbers (a double that is not finite as null).
pub fn to_graphql(value: &Bson) -> Value {
    match value {
        Bson::ObjectId(id) => Value::String(id.to_hex()),
        Bson::DateTime(d) => Value::String(d.try_to_rfc3339_string().unwrap_or_default()),
        Bson::Timestamp(t) => {
            let d = bson::DateTime::from_millis(i64::from(t.time) * 1000);
            Value::String(d.try_to_rfc3339_string().unwrap_or_default())
        }
        Bson::String(s) => Value::String(s.clone()),
        Bson::Boolean(b) => Value::Boolean(*b),
        Bson::Int32(n) => Value::Number((*n).into()),
        Bson::Int64(n) => Value::Number((*n).into()),
        Bson::Double(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Bson::Decimal128(d) => d
            .to_string()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Bson::Array(items) => Value::List(items.iter().map(to_graphql).collect()),
        Bson::Document(d) => Value::Object(d.iter().map(|(k, v)| (Name::new(k), to_graphql(v))).collect()),
        _ => Value::Null,
    }
}

/// The BSON value of `value`, an input of a field that holds `kind`.
pub fn to_bson(value: &Value, kind: &Kind, types: &Types) -> Result<Bson, String> {
    Ok(match (kind, value) {
        (_, Value::Null) => Bson::Null,
        (Kind::Scalar(s), v) => scalar(*s, v)?,
        (Kind::Object(t), Value::Object(_)) => Bson::Document(document(value, &types.0[*t], types)?),
        (Kind::List(inner), Value::List(items)) => Bson::Array(
            items
                .iter()
                .map(|i| to_bson(i, inner, types))
                .collect::<Result<_, _>>()?,
        ),
        // GraphQL coerces one value where a list is expected.
        (Kind::List(inner), v) => Bson::Array(vec![to_bson(v, inner, types)?]),
        (Kind::Object(_), v) => return Err(format!("expected an object, found {v}")),
        // A `RelationInput` links keys; its `create` was made before (`relations::create`).
        (Kind::Relation(rel), Value::Object(input)) => match input.get("link") {
            Some(keys) => to_bson(keys, &rel.stored(), types)?,
            None if input.get("create").is_some_and(|c| *c != Value::Null) => {
                return Err("creating related documents is not supported here".into());
            }
            None => return Err("a relationship's input needs 'link' or 'create'".into()),
        },
        (Kind::Relation(rel), v) => to_bson(v, &rel.stored(), types)?,
    })
}

fn scalar(s: Scalar, v: &Value) -> Result<Bson, String> {
    let bad = || format!("expected {}, found {v}", s.name());
    Ok(match (s, v) {
        (Scalar::ObjectId, Value::String(h)) => {
            Bson::ObjectId(ObjectId::parse_str(h).map_err(|_| format!("'{h}' is not an ObjectId"))?)
        }
        (Scalar::DateTime, Value::String(t)) => Bson::DateTime(
            bson::DateTime::parse_rfc3339_str(t).map_err(|_| format!("'{t}' is not an RFC 3339 date"))?,
        ),
        (Scalar::DateTime, Value::Number(n)) => {
            Bson::DateTime(bson::DateTime::from_millis(n.as_i64().ok_or_else(bad)?))
        }
        (Scalar::String, Value::String(t)) => Bson::String(t.clone()),
        (Scalar::Boolean, Value::Boolean(b)) => Bson::Boolean(*b),
        (Scalar::Int, Value::Number(n)) => {
            Bson::Int32(n.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(bad)?)
        }
        (Scalar::Long, Value::Number(n)) => Bson::Int64(n.as_i64().ok_or_else(bad)?),
        (Scalar::Long, Value::String(t)) => Bson::Int64(t.parse().map_err(|_| bad())?),
        (Scalar::Float, Value::Number(n)) => Bson::Double(n.as_f64().ok_or_else(bad)?),
        _ => return Err(bad()),
    })
}

/// The document an `InsertInput` or `UpdateInput` of `ty` describes.
pub fn document(input: &Value, ty: &Type, types: &Types) -> Result<Document, String> {
    let Value::Object(fields) = input else {
        return Err(format!("expected an object of type {}", ty.name));
    };
    let mut out = Document::new();
    for (name, value) in fields {
        let field = ty
            .field(name.as_str())
            .ok_or_else(|| format!("{} has no field '{name}'", ty.name))?;
        let value = to_bson(value, &field.kind, types).map_err(|m| format!("{name}: {m}"))?;
        out.insert(name.as_str(), value);
    }
    Ok(out)
}

/// The update an `UpdateInput` of `ty` describes: its fields `$set`, `<field>_unset: true`
/// `$unset`, `<field>_inc` (numbers) `$inc`.
pub fn update(input: &Value, ty: &Type, types: &Types) -> Result<Document, String> {
    let Value::Object(fields) = input else {
        return Err(format!("expected an object of type {}UpdateInput", ty.name));
    };
    let (mut set, mut unset, mut inc) = (Document::new(), Document::new(), Document::new());
    for (name, value) in fields {
        let name = name.as_str();
        if let Some(field) = ty.field(name) {
            let value = to_bson(value, &field.kind, types).map_err(|m| format!("{name}: {m}"))?;
            set.insert(name, value);
            continue;
        }
        let field = name.rsplit_once('_').and_then(|(f, op)| Some((ty.field(f)?, op)));
        match (field, value) {
            (Some((f, "unset")), Value::Boolean(true)) => {
                unset.insert(&f.name, "");
            }
            (Some((_, "unset")), Value::Boolean(false) | Value::Null) => {}
            (Some((f, "inc")), v)
                if matches!(f.kind, Kind::Scalar(Scalar::Int | Scalar::Long | Scalar::Float)) =>
            {
                let Kind::Scalar(s) = f.kind else { continue };
                inc.insert(&f.name, scalar(s, v).map_err(|m| format!("{name}: {m}"))?);
            }
            _ => return Err(format!("{}UpdateInput has no field '{name}'", ty.name)),
        }
    }
    let mut out = Document::new();
    for (op, fields) in [("$set", set), ("$unset", unset), ("$inc", inc)] {
        if !fields.is_empty() {
            out.insert(op, fields);
        }
    }
    if out.is_empty() {
        return Err("set must name at least one field".into());
    }
    Ok(out)
}

/// The comparison operators of a `QueryInput` field (`year_gt`) and their MongoDB names.
const OPERATORS: [(&str, &str); 7] = [
    ("ne", "$ne"),
    ("gt", "$gt"),
    ("gte", "$gte"),
    ("lt", "$lt"),
    ("lte", "$lte"),
    ("in", "$in"),
    ("nin", "$nin"),
];

/// The MongoDB filter a `QueryInput` of `ty` describes; `prefix` is the path of an embedded
/// document's fields. A query on a relationship's fields finds the related documents first,
/// as the caller (`c`).
pub fn filter<'a>(
    c: &'a Ctx,
    query: &'a Value,
    ty: &'a Type,
    types: &'a Types,
    prefix: String,
) -> BoxFuture<'a, Result<Document, String>> {
    Box::pin(async move {
        let Value::Object(entries) = query else {
            return Err(format!("a query of {} must be an object", ty.name));
        };
        let mut all = Vec::new();
        for (key, value) in entries {
            let key = key.as_str();
            if key == "AND" || key == "OR" {
                let Value::List(items) = value else {
                    return Err(format!("{key} needs a list"));
                };
                let mut parts = Vec::new();
                for i in items {
                    parts.push(Bson::Document(filter(c, i, ty, types, prefix.clone()).await?));
                }
                if !parts.is_empty() {
                    all.push(bson::doc! { if key == "AND" { "$and" } else { "$or" }: parts });
                }
                continue;
            }
            if let Some(field) = ty.field(key) {
                let path = format!("{prefix}{key}");
                match (&field.kind, value) {
                    (Kind::Object(t), Value::Object(_)) => {
                        all.push(filter(c, value, &types.0[*t], types, format!("{path}.")).await?);
                    }
                    (Kind::Relation(rel), Value::Object(_)) => {
                        let keys = related(c, rel, value, types).await?;
                        all.push(bson::doc! { path: { "$in": keys } });
                    }
                    // To-many: each listed query matches one of the related documents.
                    (Kind::Relation(rel), Value::List(items)) => {
                        for item in items {
                            let keys = related(c, rel, item, types).await?;
                            all.push(bson::doc! { &path: { "$in": keys } });
                        }
                    }
                    (kind, value) => {
                        all.push(
                            bson::doc! { path: to_bson(value, kind, types).map_err(|m| format!("{key}: {m}"))? },
                        );
                    }
                }
                continue;
            }
            let (name, op) = key
                .rsplit_once('_')
                .ok_or_else(|| format!("{} has no query field '{key}'", ty.name))?;
            let field: &Field = ty
                .field(name)
                .ok_or_else(|| format!("{} has no query field '{key}'", ty.name))?;
            let path = format!("{prefix}{name}");
            if op == "exists" {
                let Value::Boolean(b) = value else {
                    return Err(format!("{key} needs a Boolean"));
                };
                // App Services: whether the field is not null.
                all.push(if *b {
                    bson::doc! { path: { "$ne": Bson::Null } }
                } else {
                    bson::doc! { path: Bson::Null }
                });
                continue;
            }
            if let Kind::Relation(rel) = &field.kind {
                // `_in`: one related document matches one of the queries; `_nin`: none does.
                let mongo = match op {
                    "in" => "$in",
                    "nin" => "$nin",
                    _ => return Err(format!("{} has no query field '{key}'", ty.name)),
                };
                let any = match value {
                    Value::List(items) => Value::Object(
                        [(Name::new("OR"), Value::List(items.clone()))]
                            .into_iter()
                            .collect(),
                    ),
                    v => v.clone(),
                };
                let keys = related(c, rel, &any, types).await?;
                all.push(bson::doc! { path: { mongo: keys } });
                continue;
            }
            let (_, mongo) = OPERATORS
                .iter()
                .find(|(o, _)| *o == op)
                .ok_or_else(|| format!("{} has no query field '{key}'", ty.name))?;
            // `_in` and `_nin` of a list field compare its items.
            let item = match &field.kind {
                Kind::List(inner) => inner.as_ref(),
                k => k,
            };
            let operand = if op == "in" || op == "nin" {
                to_bson(value, &Kind::List(Box::new(item.clone())), types)
            } else {
                to_bson(value, item, types)
            }
            .map_err(|m| format!("{key}: {m}"))?;
            all.push(bson::doc! { path: { *mongo: operand } });
        }
        Ok(match all.len() {
            0 => Document::new(),
            1 => all.pop().unwrap_or_default(),
            _ => bson::doc! { "$and": all },
        })
    })
}

/// The keys of the documents related through `rel` that `query` (a foreign `QueryInput`)
/// matches.
async fn related(c: &Ctx, rel: &Relation, query: &Value, types: &Types) -> Result<Vec<Bson>, String> {
    let foreign = filter(c, query, &types.0[rel.coll.ty], types, String::new()).await?;
    relations::keys(c, rel, foreign).await
}
