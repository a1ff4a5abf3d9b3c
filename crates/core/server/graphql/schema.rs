//! The generated GraphQL schema: per collection with a schema, its document type, the
//! `QueryInput`, `InsertInput`, `UpdateInput` and `SortByInput` types, two queries and eight
//! mutations, named as App Services named them (`movie`, `movies`, `insertOneMovie`,
//! `deleteManyMovies`, ...). Built once per deploy.

use std::sync::Arc;

use async_graphql::dynamic::{
    Enum, Field, FieldFuture, FieldValue, InputObject, InputValue, Object, ResolverContext,
    Scalar as GqlScalar, Schema, TypeRef,
};
use bson::{Bson, Document, doc};

use super::{
    convert::{document, filter, to_graphql},
    model::{Kind, Scalar, Type, Types, valid_name},
    plural::plural,
    resolvers::Resolver,
    run::{Coll, run},
};

/// The most nesting a query may have, and how much work it may ask for.
const MAX_DEPTH: usize = 32;
const MAX_COMPLEXITY: usize = 1_000;

/// A plural query's `limit` when it names none.
const DEFAULT_LIMIT: i64 = 100;

/// The app's GraphQL API, generated from its collection schemas.
pub struct Api {
    /// The executable schema.
    pub schema: Schema,
    /// Its document and custom types, which inputs are converted by.
    pub types: Arc<Types>,
}

/// Builds the API of the collections of `service` in `graphql`; `None` when no collection has
/// a schema with fields GraphQL can show.
pub fn build(graphql: &loader::Graphql, service: &str) -> Result<Option<Api>, String> {
    let mut types = Types::default();
    let mut colls = Vec::new();
    for c in graphql.collections.iter().filter(|c| c.service == service) {
        let title = c.schema.get("title").and_then(|t| t.as_str()).unwrap_or(&c.coll);
        if !valid_name(title) || types.find(title).is_some() {
            tracing::warn!(collection = %c.coll, "GraphQL: no type for the collection: its name '{title}' is not a GraphQL name or is taken");
            continue;
        }
        if let Some(ty) = types.add(title, &c.schema) {
            colls.push(Coll {
                db: c.db.clone(),
                coll: c.coll.clone(),
                ty,
            });
        }
    }
    if colls.is_empty() {
        return Ok(None);
    }
    // Custom resolvers may name the generated types and add custom ones after them.
    let generated = types.0.len();
    let (mut inputs, mut payloads, mut resolvers) = (Vec::new(), Vec::new(), Vec::new());
    for (file, json) in &graphql.resolvers {
        match Resolver::parse(file, json, &mut types, generated, &mut inputs, &mut payloads) {
            Ok(r) => resolvers.push(Arc::new(r)),
            Err(e) => tracing::warn!("GraphQL custom resolver not served: {e}"),
        }
    }
    let types = Arc::new(types);
    let mut query = Object::new("Query");
    let mut mutation = Object::new("Mutation");
    let mut builder = Schema::build("Query", Some("Mutation"), None);
    for name in ["ObjectId", "Long", "DateTime"] {
        builder = builder.register(GqlScalar::new(name));
    }
    let (mut on_query, mut on_mutation) = (Vec::new(), Vec::new());
    for r in &resolvers {
        match r.on.as_str() {
            "Query" => on_query.push(r.field(&types, false)),
            "Mutation" => on_mutation.push(r.field(&types, false)),
            t if types.0[..generated].iter().any(|x| x.name == t) => {}
            t => tracing::warn!("GraphQL custom resolver {} not served: no type '{t}'", r.field),
        }
    }
    for ty in &types.0[..generated] {
        let mut object = output_type(ty, &types);
        for r in resolvers.iter().filter(|r| r.on == ty.name) {
            object = object.field(r.field(&types, true));
        }
        builder = builder
            .register(object)
            .register(query_input(ty, &types))
            .register(write_input(ty, &types, "InsertInput", true))
            .register(write_input(ty, &types, "UpdateInput", false));
    }
    for range in inputs {
        for ty in &types.0[range] {
            builder = builder.register(write_input(ty, &types, "", false));
        }
    }
    for range in payloads {
        for ty in &types.0[range] {
            builder = builder.register(output_type(ty, &types));
        }
    }
    builder = builder.register(payload(
        "DefaultPayload",
        &[("status", Kind::Scalar(Scalar::String))],
    ));
    query = on_query.into_iter().fold(query, Object::field);
    mutation = on_mutation.into_iter().fold(mutation, Object::field);
    builder = builder
        .register(payload(
            "InsertManyPayload",
            &[(
                "insertedIds",
                Kind::List(Box::new(Kind::Scalar(Scalar::ObjectId))),
            )],
        ))
        .register(payload(
            "UpdateManyPayload",
            &[
                ("matchedCount", Kind::Scalar(Scalar::Int)),
                ("modifiedCount", Kind::Scalar(Scalar::Int)),
            ],
        ))
        .register(payload(
            "DeleteManyPayload",
            &[("deletedCount", Kind::Scalar(Scalar::Int))],
        ));
    for coll in colls {
        let ty = &types.0[coll.ty];
        let sort_enum = sort_enum(ty);
        let sort = sort_enum.as_ref().map(|e| e.type_name().to_string());
        if let Some(e) = sort_enum {
            builder = builder.register(e);
        }
        let (one, many) = (ty.name.clone(), plural(&ty.name, graphql.natural_plurals));
        let q = |suffix: &str| format!("{}{suffix}", ty.name);
        let coll = Arc::new(coll);
        query = query
            .field(
                root(
                    lower_first(&one),
                    TypeRef::named(&one),
                    &coll,
                    &types,
                    Op::FindOne,
                )
                .argument(InputValue::new("query", TypeRef::named(q("QueryInput")))),
            )
            .field({
                let mut f = root(
                    lower_first(&many),
                    TypeRef::named_list_nn(&one),
                    &coll,
                    &types,
                    Op::Find,
                )
                .argument(InputValue::new("query", TypeRef::named(q("QueryInput"))))
                .argument(
                    InputValue::new("limit", TypeRef::named(TypeRef::INT)).default_value(DEFAULT_LIMIT),
                );
                if let Some(e) = &sort {
                    f = f.argument(InputValue::new("sortBy", TypeRef::named(e)));
                }
                f
            });
        let query_arg = || InputValue::new("query", TypeRef::named(q("QueryInput")));
        mutation = mutation
            .field(
                root(
                    format!("insertOne{one}"),
                    TypeRef::named(&one),
                    &coll,
                    &types,
                    Op::InsertOne,
                )
                .argument(InputValue::new("data", TypeRef::named_nn(q("InsertInput")))),
            )
            .field(
                root(
                    format!("insertMany{many}"),
                    TypeRef::named("InsertManyPayload"),
                    &coll,
                    &types,
                    Op::InsertMany,
                )
                .argument(InputValue::new(
                    "data",
                    TypeRef::named_nn_list_nn(q("InsertInput")),
                )),
            )
            .field(
                root(
                    format!("updateOne{one}"),
                    TypeRef::named(&one),
                    &coll,
                    &types,
                    Op::UpdateOne,
                )
                .argument(query_arg())
                .argument(InputValue::new("set", TypeRef::named_nn(q("UpdateInput")))),
            )
            .field(
                root(
                    format!("updateMany{many}"),
                    TypeRef::named("UpdateManyPayload"),
                    &coll,
                    &types,
                    Op::UpdateMany,
                )
                .argument(query_arg())
                .argument(InputValue::new("set", TypeRef::named_nn(q("UpdateInput")))),
            )
            .field(
                root(
                    format!("upsertOne{one}"),
                    TypeRef::named(&one),
                    &coll,
                    &types,
                    Op::UpsertOne,
                )
                .argument(query_arg())
                .argument(InputValue::new("data", TypeRef::named_nn(q("InsertInput")))),
            )
            .field(
                root(
                    format!("replaceOne{one}"),
                    TypeRef::named(&one),
                    &coll,
                    &types,
                    Op::ReplaceOne,
                )
                .argument(query_arg())
                .argument(InputValue::new("data", TypeRef::named_nn(q("InsertInput")))),
            )
            .field(
                root(
                    format!("deleteOne{one}"),
                    TypeRef::named(&one),
                    &coll,
                    &types,
                    Op::DeleteOne,
                )
                .argument(InputValue::new("query", TypeRef::named_nn(q("QueryInput")))),
            )
            .field(
                root(
                    format!("deleteMany{many}"),
                    TypeRef::named("DeleteManyPayload"),
                    &coll,
                    &types,
                    Op::DeleteMany,
                )
                .argument(query_arg()),
            );
    }
    builder = builder
        .register(query)
        .register(mutation)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY);
    if graphql.no_introspection {
        builder = builder.disable_introspection();
    }
    let schema = builder.finish().map_err(|e| e.to_string())?;
    Ok(Some(Api { schema, types }))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// The output type of a field that holds `kind`.
pub(super) fn out_ref(kind: &Kind, types: &Types) -> TypeRef {
    match kind {
        Kind::Scalar(s) => TypeRef::named(s.name()),
        Kind::Object(t) => TypeRef::named(&types.0[*t].name),
        Kind::List(inner) => TypeRef::List(Box::new(out_ref(inner, types))),
    }
}

/// The input type of a field that holds `kind`, in inputs named `<Type><suffix>`.
pub(super) fn in_ref(kind: &Kind, types: &Types, suffix: &str) -> TypeRef {
    match kind {
        Kind::Scalar(s) => TypeRef::named(s.name()),
        Kind::Object(t) => TypeRef::named(format!("{}{suffix}", types.0[*t].name)),
        Kind::List(inner) => TypeRef::List(Box::new(in_ref(inner, types, suffix))),
    }
}

/// The document type, each field read from its parent document.
fn output_type(ty: &Type, types: &Arc<Types>) -> Object {
    let mut object = Object::new(&ty.name);
    for f in &ty.fields {
        let mut tr = out_ref(&f.kind, types);
        if f.required {
            tr = TypeRef::NonNull(Box::new(tr));
        }
        object = object.field(field_of_parent(&f.name, tr, f.kind.clone()));
    }
    object
}

/// A field whose value is its parent document's field `name`, holding `kind`.
fn field_of_parent(name: &str, tr: TypeRef, kind: Kind) -> Field {
    let key = name.to_string();
    Field::new(name, tr, move |ctx| {
        let (key, kind) = (key.clone(), kind.clone());
        FieldFuture::new(async move {
            let parent = ctx.parent_value.try_downcast_ref::<Document>()?;
            Ok(parent.get(&key).and_then(|v| value_of(v, &kind)))
        })
    })
}

/// `value` as a GraphQL field value of `kind`: embedded documents resolve their own fields.
pub(super) fn value_of(value: &Bson, kind: &Kind) -> Option<FieldValue<'static>> {
    match (kind, value) {
        (_, Bson::Null) => None,
        (Kind::Object(_), Bson::Document(d)) => Some(FieldValue::owned_any(d.clone())),
        (Kind::Object(_), _) => None,
        (Kind::List(inner), Bson::Array(items)) => Some(FieldValue::list(
            items
                .iter()
                .map(|i| value_of(i, inner).unwrap_or(FieldValue::NULL)),
        )),
        (Kind::List(_), _) => None,
        (Kind::Scalar(_), v) => Some(FieldValue::value(to_graphql(v))),
    }
}

/// `<Type>QueryInput`: each field's equality and operator fields, and `AND`/`OR`.
fn query_input(ty: &Type, types: &Types) -> InputObject {
    let name = format!("{}QueryInput", ty.name);
    let mut input = InputObject::new(&name)
        .field(InputValue::new("AND", TypeRef::named_nn_list(&name)))
        .field(InputValue::new("OR", TypeRef::named_nn_list(&name)));
    for f in &ty.fields {
        input = input.field(InputValue::new(
            format!("{}_exists", f.name),
            TypeRef::named(TypeRef::BOOLEAN),
        ));
        let item = match &f.kind {
            Kind::Object(_) => {
                input = input.field(InputValue::new(&f.name, in_ref(&f.kind, types, "QueryInput")));
                continue;
            }
            Kind::List(inner) if matches!(inner.as_ref(), Kind::Scalar(_)) => {
                input = input.field(InputValue::new(&f.name, in_ref(&f.kind, types, "QueryInput")));
                inner.as_ref()
            }
            Kind::List(_) => continue,
            k @ Kind::Scalar(_) => {
                input = input.field(InputValue::new(&f.name, in_ref(k, types, "QueryInput")));
                k
            }
        };
        let Kind::Scalar(s) = item else { continue };
        let one = || TypeRef::named(s.name());
        input = input
            .field(InputValue::new(
                format!("{}_in", f.name),
                TypeRef::named_list(s.name()),
            ))
            .field(InputValue::new(
                format!("{}_nin", f.name),
                TypeRef::named_list(s.name()),
            ))
            .field(InputValue::new(format!("{}_ne", f.name), one()));
        if s.ordered() {
            for op in ["gt", "gte", "lt", "lte"] {
                input = input.field(InputValue::new(format!("{}_{op}", f.name), one()));
            }
        }
    }
    input
}

/// `<Type>InsertInput` (required fields required, but `_id`) or `<Type>UpdateInput` (none).
fn write_input(ty: &Type, types: &Types, suffix: &str, insert: bool) -> InputObject {
    let mut input = InputObject::new(format!("{}{suffix}", ty.name));
    for f in &ty.fields {
        let mut tr = in_ref(&f.kind, types, suffix);
        if insert && f.required && f.name != "_id" {
            tr = TypeRef::NonNull(Box::new(tr));
        }
        input = input.field(InputValue::new(&f.name, tr));
    }
    input
}

/// `<Type>SortByInput`: `<FIELD>_ASC` and `<FIELD>_DESC` for each root scalar field.
fn sort_enum(ty: &Type) -> Option<Enum> {
    let mut e = Enum::new(format!("{}SortByInput", ty.name));
    let mut any = false;
    for f in ty.fields.iter().filter(|f| matches!(f.kind, Kind::Scalar(_))) {
        let upper = f.name.to_uppercase();
        e = e.item(format!("{upper}_ASC")).item(format!("{upper}_DESC"));
        any = true;
    }
    any.then_some(e)
}

/// A payload type whose fields are its result document's.
fn payload(name: &str, fields: &[(&str, Kind)]) -> Object {
    let types = Types::default();
    fields.iter().fold(Object::new(name), |o, (f, kind)| {
        o.field(field_of_parent(
            f,
            TypeRef::NonNull(Box::new(out_ref(kind, &types))),
            kind.clone(),
        ))
    })
}

/// What a root field does.
#[derive(Clone, Copy)]
enum Op {
    FindOne,
    Find,
    InsertOne,
    InsertMany,
    UpdateOne,
    UpdateMany,
    UpsertOne,
    ReplaceOne,
    DeleteOne,
    DeleteMany,
}

/// A query or mutation on `coll`.
fn root(name: String, tr: TypeRef, coll: &Arc<Coll>, types: &Arc<Types>, op: Op) -> Field {
    let (coll, types) = (coll.clone(), types.clone());
    Field::new(name, tr, move |ctx| {
        let (coll, types) = (coll.clone(), types.clone());
        FieldFuture::new(async move { resolve(&ctx, &coll, &types, op).await })
    })
}

async fn resolve(
    ctx: &ResolverContext<'_>,
    coll: &Coll,
    types: &Types,
    op: Op,
) -> async_graphql::Result<Option<FieldValue<'static>>> {
    let ty = &types.0[coll.ty];
    let query = match ctx.args.get("query") {
        Some(q) if !q.is_null() => filter(q.as_value(), ty, types, "")?,
        _ => Document::new(),
    };
    let input = |name: &str| -> async_graphql::Result<Document> {
        Ok(document(ctx.args.try_get(name)?.as_value(), ty, types)?)
    };
    let docs = |value: Bson| match value {
        Bson::Document(d) => Some(FieldValue::owned_any(d)),
        Bson::Array(items) => Some(FieldValue::list(items.into_iter().map(|i| match i {
            Bson::Document(d) => FieldValue::owned_any(d),
            _ => FieldValue::NULL,
        }))),
        _ => None,
    };
    let set = |name: &str| -> async_graphql::Result<Document> {
        let set = input(name)?;
        if set.is_empty() {
            return Err("set must name at least one field".into());
        }
        Ok(doc! {"$set": set})
    };
    // Without a query, an upsert inserts (App Services' rule).
    let no_query = ctx.args.get("query").is_none_or(|q| q.is_null());
    let op = if matches!(op, Op::UpsertOne) && no_query {
        Op::InsertOne
    } else {
        op
    };
    let result = match op {
        Op::FindOne => run(ctx, coll, "findOne", doc! {"filter": query}).await?,
        Op::Find => {
            let mut spec = doc! {"filter": query, "limit": ctx.args.try_get("limit")?.i64()?};
            if let Some(sort) = ctx.args.get("sortBy") {
                let item = sort.enum_name()?;
                let (field, dir) = item.rsplit_once('_').unwrap_or((item, "ASC"));
                let name = ty
                    .fields
                    .iter()
                    .find(|f| f.name.to_uppercase() == field)
                    .map(|f| f.name.clone())
                    .unwrap_or_default();
                spec.insert("sort", doc! { name: if dir == "DESC" { -1 } else { 1 } });
            }
            run(ctx, coll, "find", spec).await?
        }
        Op::InsertOne => {
            let inserted = run(ctx, coll, "insertOne", doc! {"document": input("data")?}).await?;
            let id = inserted
                .as_document()
                .and_then(|d| d.get("insertedId"))
                .cloned()
                .unwrap_or(Bson::Null);
            run(ctx, coll, "findOne", doc! {"filter": {"_id": id}}).await?
        }
        Op::InsertMany => {
            let list = ctx.args.try_get("data")?.list()?;
            let all = list
                .iter()
                .map(|d| document(d.as_value(), ty, types).map(Bson::Document))
                .collect::<Result<Vec<_>, _>>()?;
            run(ctx, coll, "insertMany", doc! {"documents": all}).await?
        }
        Op::UpdateOne => {
            let spec = doc! {"filter": query, "update": set("set")?, "returnNewDocument": true};
            run(ctx, coll, "findOneAndUpdate", spec).await?
        }
        Op::UpdateMany => {
            run(
                ctx,
                coll,
                "updateMany",
                doc! {"filter": query, "update": set("set")?},
            )
            .await?
        }
        Op::UpsertOne | Op::ReplaceOne => {
            let spec = doc! {
                "filter": query,
                "replacement": input("data")?,
                "upsert": matches!(op, Op::UpsertOne),
                "returnNewDocument": true,
            };
            run(ctx, coll, "findOneAndReplace", spec).await?
        }
        Op::DeleteOne => run(ctx, coll, "findOneAndDelete", doc! {"filter": query}).await?,
        Op::DeleteMany => run(ctx, coll, "deleteMany", doc! {"filter": query}).await?,
    };
    Ok(docs(result))
}
