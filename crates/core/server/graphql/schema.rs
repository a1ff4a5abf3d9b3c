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
    convert::{document, filter, to_graphql, update},
    limits::{Next, Shape},
    model::{Kind, Scalar, Type, Types, valid_name},
    plural::plural,
    relations,
    resolvers::Resolver,
    run::{Coll, Ctx, run},
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
    /// Where its object-valued output fields lead, for the checks before an operation runs.
    pub shape: Shape,
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
            colls.push(Arc::new(Coll {
                db: c.db.clone(),
                coll: c.coll.clone(),
                ty,
            }));
        }
    }
    if colls.is_empty() {
        return Ok(None);
    }
    relations::apply(graphql, service, &colls, &mut types);
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
    let mut shape = shape_of(&types);
    for r in &resolvers {
        if let Some(ty) = r.payload_kind().and_then(|k| object_of(k, &types)) {
            shape.add(&r.on, &r.field, Next { ty, relation: false });
        }
    }
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
    for (index, ty) in types.0[..generated].iter().enumerate() {
        // A collection's own update input has `_unset` and `_inc`; an embedded document's is
        // the document `$set` whole.
        let root = colls.iter().any(|c| c.ty == index);
        let mut object = output_type(ty, &types);
        for r in resolvers.iter().filter(|r| r.on == ty.name) {
            object = object.field(r.field(&types, true));
        }
        builder = builder
            .register(object)
            .register(query_input(ty, &types))
            .register(write_input(ty, &types, "InsertInput", true))
            .register(write_input(ty, &types, "UpdateInput", root));
        for f in &ty.fields {
            if let Kind::Relation(rel) = &f.kind {
                builder = builder.register(relations::input(rel, &types));
            }
        }
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
        query = query
            .field(
                root(
                    lower_first(&one),
                    TypeRef::named(&one),
                    &coll,
                    &types,
                    Op::FindOne,
                    &mut shape,
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
                    &mut shape,
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
                    &mut shape,
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
                    &mut shape,
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
                    &mut shape,
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
                    &mut shape,
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
                    &mut shape,
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
                    &mut shape,
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
                    &mut shape,
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
                    &mut shape,
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
    Ok(Some(Api { schema, types, shape }))
}

/// The output type an object-valued field's values have (a list's item type).
fn object_of(kind: &Kind, types: &Types) -> Option<String> {
    match kind {
        Kind::Object(t) => Some(types.0[*t].name.clone()),
        Kind::Relation(rel) => Some(types.0[rel.coll.ty].name.clone()),
        Kind::List(inner) => object_of(inner, types),
        Kind::Scalar(_) => None,
    }
}

/// Where every object-valued field of every type leads.
fn shape_of(types: &Types) -> Shape {
    let mut shape = Shape::default();
    for ty in &types.0 {
        for f in &ty.fields {
            if let Some(next) = object_of(&f.kind, types) {
                let relation = matches!(f.kind, Kind::Relation(_));
                shape.add(&ty.name, &f.name, Next { ty: next, relation });
            }
        }
    }
    shape
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
        Kind::Relation(rel) if rel.list => TypeRef::named_list(&types.0[rel.coll.ty].name),
        Kind::Relation(rel) => TypeRef::named(&types.0[rel.coll.ty].name),
    }
}

/// The input type of a field that holds `kind`, in inputs named `<Type><suffix>`.
pub(super) fn in_ref(kind: &Kind, types: &Types, suffix: &str) -> TypeRef {
    match kind {
        Kind::Scalar(s) => TypeRef::named(s.name()),
        Kind::Object(t) => TypeRef::named(format!("{}{suffix}", types.0[*t].name)),
        Kind::List(inner) => TypeRef::List(Box::new(in_ref(inner, types, suffix))),
        Kind::Relation(rel) => TypeRef::named(&rel.input),
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
        object = object.field(match &f.kind {
            Kind::Relation(rel) => relations::field(&f.name, tr, rel.clone()),
            kind => field_of_parent(&f.name, tr, kind.clone()),
        });
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
        // Resolved by the parent document's field (`relations::field`), never as a value.
        (Kind::Relation(_), _) => None,
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
        let (s, list) = match &f.kind {
            Kind::Object(_) => {
                input = input.field(InputValue::new(&f.name, in_ref(&f.kind, types, "QueryInput")));
                continue;
            }
            // A relationship is queried by the related documents' fields.
            Kind::Relation(rel) => {
                let foreign = format!("{}QueryInput", types.0[rel.coll.ty].name);
                if !rel.list {
                    input = input.field(InputValue::new(&f.name, TypeRef::named(foreign)));
                    continue;
                }
                for name in [
                    f.name.clone(),
                    format!("{}_in", f.name),
                    format!("{}_nin", f.name),
                ] {
                    input = input.field(InputValue::new(name, TypeRef::named_list(&foreign)));
                }
                continue;
            }
            Kind::List(inner) => match inner.as_ref() {
                Kind::Scalar(s) => (*s, true),
                _ => continue,
            },
            Kind::Scalar(s) => (*s, false),
        };
        let one = || TypeRef::named(s.name());
        input = input
            .field(InputValue::new(&f.name, in_ref(&f.kind, types, "QueryInput")))
            .field(InputValue::new(
                format!("{}_in", f.name),
                TypeRef::named_list(s.name()),
            ))
            .field(InputValue::new(
                format!("{}_nin", f.name),
                TypeRef::named_list(s.name()),
            ));
        // A list is matched by its items: equality, `_in`, `_nin` (as App Services had it).
        if list {
            continue;
        }
        input = input.field(InputValue::new(format!("{}_ne", f.name), one()));
        if s.ordered() {
            for op in ["gt", "gte", "lt", "lte"] {
                input = input.field(InputValue::new(format!("{}_{op}", f.name), one()));
            }
        }
    }
    input
}

/// `<Type>InsertInput` (required fields required, but `_id`) or `<Type>UpdateInput` (none
/// required; with `operators`, `<field>_unset` for each field and `<field>_inc` for numbers).
fn write_input(ty: &Type, types: &Types, suffix: &str, operators: bool) -> InputObject {
    let mut input = InputObject::new(format!("{}{suffix}", ty.name));
    let (insert, update) = (suffix == "InsertInput", suffix == "UpdateInput" && operators);
    for f in &ty.fields {
        let mut tr = in_ref(&f.kind, types, suffix);
        if insert && f.required && f.name != "_id" {
            tr = TypeRef::NonNull(Box::new(tr));
        }
        input = input.field(InputValue::new(&f.name, tr));
        if update {
            input = input.field(InputValue::new(
                format!("{}_unset", f.name),
                TypeRef::named(TypeRef::BOOLEAN),
            ));
            if let Kind::Scalar(s @ (Scalar::Int | Scalar::Long | Scalar::Float)) = f.kind {
                input = input.field(InputValue::new(
                    format!("{}_inc", f.name),
                    TypeRef::named(s.name()),
                ));
            }
        }
    }
    input
}

/// `<Type>SortByInput`: `<FIELD>_ASC` and `<FIELD>_DESC` for each root scalar field.
fn sort_enum(ty: &Type) -> Option<Enum> {
    let mut e = Enum::new(format!("{}SortByInput", ty.name));
    let mut any = false;
    let sortable = |k: &Kind| match k {
        Kind::Scalar(_) => true,
        Kind::Relation(rel) => !rel.list,
        _ => false,
    };
    for f in ty.fields.iter().filter(|f| sortable(&f.kind)) {
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

/// A query or mutation on `coll`; one that returns the collection's documents is recorded in
/// `shape`.
fn root(name: String, tr: TypeRef, coll: &Arc<Coll>, types: &Arc<Types>, op: Op, shape: &mut Shape) -> Field {
    let ty = &types.0[coll.ty].name;
    if tr.type_name() == ty {
        let parent = if matches!(op, Op::FindOne | Op::Find) {
            "Query"
        } else {
            "Mutation"
        };
        let next = Next {
            ty: ty.clone(),
            relation: false,
        };
        shape.add(parent, &name, next);
    }
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
    let c = ctx.data::<Ctx>()?;
    let ty = &types.0[coll.ty];
    let query = match ctx.args.get("query") {
        Some(q) if !q.is_null() => filter(c, q.as_value(), ty, types, String::new()).await?,
        _ => Document::new(),
    };
    let docs = |value: Bson| match value {
        Bson::Document(d) => Some(FieldValue::owned_any(d)),
        Bson::Array(items) => Some(FieldValue::list(items.into_iter().map(|i| match i {
            Bson::Document(d) => FieldValue::owned_any(d),
            _ => FieldValue::NULL,
        }))),
        _ => None,
    };
    // A write's input, with its relationships' `create` made first.
    let data = async |name: &str| -> async_graphql::Result<Document> {
        let given = relations::create(c, ctx.args.try_get(name)?.as_value(), ty, types).await?;
        Ok(document(&given, ty, types)?)
    };
    let set = async || -> async_graphql::Result<Document> {
        let given = relations::create(c, ctx.args.try_get("set")?.as_value(), ty, types).await?;
        Ok(update(&given, ty, types)?)
    };
    // Without a query, an upsert inserts (App Services' rule).
    let no_query = ctx.args.get("query").is_none_or(|q| q.is_null());
    let op = if matches!(op, Op::UpsertOne) && no_query {
        Op::InsertOne
    } else {
        op
    };
    let result = match op {
        Op::FindOne => run(c, coll, "findOne", doc! {"filter": query}).await?,
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
            run(c, coll, "find", spec).await?
        }
        Op::InsertOne => {
            let inserted = run(c, coll, "insertOne", doc! {"document": data("data").await?}).await?;
            let id = inserted
                .as_document()
                .and_then(|d| d.get("insertedId"))
                .cloned()
                .unwrap_or(Bson::Null);
            run(c, coll, "findOne", doc! {"filter": {"_id": id}}).await?
        }
        Op::InsertMany => {
            let list = ctx.args.try_get("data")?.list()?;
            let mut all = Vec::new();
            for d in list.iter() {
                let given = relations::create(c, d.as_value(), ty, types).await?;
                all.push(Bson::Document(document(&given, ty, types)?));
            }
            run(c, coll, "insertMany", doc! {"documents": all}).await?
        }
        Op::UpdateOne => {
            let spec = doc! {"filter": query, "update": set().await?, "returnNewDocument": true};
            run(c, coll, "findOneAndUpdate", spec).await?
        }
        Op::UpdateMany => {
            run(
                c,
                coll,
                "updateMany",
                doc! {"filter": query, "update": set().await?},
            )
            .await?
        }
        Op::UpsertOne | Op::ReplaceOne => {
            let spec = doc! {
                "filter": query,
                "replacement": data("data").await?,
                "upsert": matches!(op, Op::UpsertOne),
                "returnNewDocument": true,
            };
            run(c, coll, "findOneAndReplace", spec).await?
        }
        Op::DeleteOne => run(c, coll, "findOneAndDelete", doc! {"filter": query}).await?,
        Op::DeleteMany => run(c, coll, "deleteMany", doc! {"filter": query}).await?,
    };
    Ok(docs(result))
}
