//! Custom resolvers (`graphql/custom_resolvers/*.json`): a field of `Query`, `Mutation` or a
//! generated document type whose value an app function computes. The function gets the
//! field's `input` (when the resolver takes one) and, on a document type, the document, and
//! runs as its configuration says (else as the caller), as App Services ran it.

use std::sync::Arc;

use async_graphql::{
    Value,
    dynamic::{Field, FieldFuture, FieldValue, InputValue, TypeRef},
};
use bson::{Bson, Document, doc};
use serde_json::Value as Json;

use super::{
    convert::to_bson,
    model::{Kind, Types, scalar_of},
    run::Ctx,
    schema::{in_ref, out_ref},
};

/// One custom resolver, read from its file.
pub struct Resolver {
    /// The field's name.
    pub field: String,
    /// The type it is a field of: `Query`, `Mutation` or a document type.
    pub on: String,
    /// The function that computes it.
    function: String,
    /// Its `input` argument: its GraphQL type and how the value becomes BSON.
    input: Option<(TypeRef, Input)>,
    /// What it returns.
    payload: Payload,
}

/// How an `input` value becomes the function's argument.
enum Input {
    /// As the kind (scalar, list or a document type's fields) says.
    Typed(Kind),
    /// As GraphQL holds it (a generated query input: the function reads its fields).
    Plain,
}

/// What a resolver returns.
enum Payload {
    /// `DefaultPayload`: `{status: "complete"}`, whatever the function returned.
    Default,
    /// A scalar, a document type, or a list of either.
    Typed(Kind),
}

/// The kinds a custom type's schema adds, as the range of their indexes in [`Types`].
pub type Added = std::ops::Range<usize>;

impl Resolver {
    /// Reads resolver file `name` (`json`); custom input and payload types are added to
    /// `types`, their ranges to `inputs` and `payloads`. `generated` counts the collections'
    /// types (the only ones a resolver may name).
    pub fn parse(
        name: &str,
        json: &Json,
        types: &mut Types,
        generated: usize,
        inputs: &mut Vec<Added>,
        payloads: &mut Vec<Added>,
    ) -> Result<Resolver, String> {
        let text = |k: &str| json.get(k).and_then(Json::as_str).map(str::to_string);
        let field = text("field_name").ok_or_else(|| format!("{name}: 'field_name' is missing"))?;
        let on = text("on_type").ok_or_else(|| format!("{name}: 'on_type' is missing"))?;
        let function = text("function_name").ok_or_else(|| format!("{name}: 'function_name' is missing"))?;
        let format = |k: &str| text(k).unwrap_or_default();
        let list = |f: &str| f.ends_with("-list");
        let wrap = |kind: Kind, is_list: bool| if is_list { Kind::List(Box::new(kind)) } else { kind };
        let input = match json.get("input_type") {
            None | Some(Json::Null) => None,
            Some(spec) => {
                let f = format("input_type_format");
                Some(match (f.trim_end_matches("-list"), spec) {
                    ("scalar", Json::String(bson)) => {
                        let kind = wrap(
                            Kind::Scalar(
                                scalar_of(bson).ok_or_else(|| format!("{name}: no scalar '{bson}'"))?,
                            ),
                            list(&f),
                        );
                        (in_ref(&kind, types, ""), Input::Typed(kind))
                    }
                    ("generated", Json::String(t)) => {
                        // An insert or update input of a generated type converts by its fields.
                        let typed = ["InsertInput", "UpdateInput"]
                            .iter()
                            .find_map(|s| t.strip_suffix(s))
                            .and_then(|base| types.0[..generated].iter().position(|x| x.name == base));
                        let named = if list(&f) {
                            TypeRef::named_list(t)
                        } else {
                            TypeRef::named(t)
                        };
                        match typed {
                            Some(i) => (named, Input::Typed(wrap(Kind::Object(i), list(&f)))),
                            None => (named, Input::Plain),
                        }
                    }
                    ("custom", schema @ Json::Object(_)) => {
                        let i = custom(name, schema, types, inputs)?;
                        let kind = wrap(Kind::Object(i), list(&f));
                        (in_ref(&kind, types, ""), Input::Typed(kind))
                    }
                    _ => {
                        return Err(format!(
                            "{name}: input_type_format '{f}' with this input_type is not one App Services had"
                        ));
                    }
                })
            }
        };
        let payload = match json.get("payload_type") {
            None | Some(Json::Null) => Payload::Default,
            Some(Json::String(t)) if t == "DefaultPayload" => Payload::Default,
            Some(spec) => {
                let f = format("payload_type_format");
                let kind = match (f.trim_end_matches("-list"), spec) {
                    ("scalar", Json::String(bson)) => {
                        Kind::Scalar(scalar_of(bson).ok_or_else(|| format!("{name}: no scalar '{bson}'"))?)
                    }
                    ("generated", Json::String(t)) => Kind::Object(
                        types.0[..generated]
                            .iter()
                            .position(|x| &x.name == t)
                            .ok_or_else(|| format!("{name}: no generated type '{t}'"))?,
                    ),
                    ("custom", schema @ Json::Object(_)) => {
                        Kind::Object(custom(name, schema, types, payloads)?)
                    }
                    _ => {
                        return Err(format!(
                            "{name}: payload_type_format '{f}' with this payload_type is not one App Services had"
                        ));
                    }
                };
                Payload::Typed(wrap(kind, list(&f)))
            }
        };
        Ok(Resolver {
            field,
            on,
            function,
            input,
            payload,
        })
    }

    /// What it returns, unless it is the default payload.
    pub fn payload_kind(&self) -> Option<&Kind> {
        match &self.payload {
            Payload::Default => None,
            Payload::Typed(kind) => Some(kind),
        }
    }

    /// The GraphQL field, on `Query`/`Mutation` (`on_document` false) or a document type.
    pub fn field(self: &Arc<Self>, types: &Types, on_document: bool) -> Field {
        let tr = match &self.payload {
            Payload::Default => TypeRef::named("DefaultPayload"),
            Payload::Typed(kind) => out_ref(kind, types),
        };
        let me = self.clone();
        let mut field = Field::new(&self.field, tr, move |ctx| {
            let me = me.clone();
            FieldFuture::new(async move {
                let c = ctx.data::<Ctx>()?;
                let types = c.types.clone();
                let mut args = Vec::new();
                if let Some((_, how)) = &me.input {
                    let given = ctx
                        .args
                        .get("input")
                        .map(|v| v.as_value().clone())
                        .unwrap_or(Value::Null);
                    args.push(match how {
                        Input::Typed(kind) => to_bson(&given, kind, &types)?,
                        Input::Plain => plain(&given),
                    });
                }
                if on_document {
                    let parent = ctx.parent_value.try_downcast_ref::<Document>()?;
                    args.push(Bson::Document(parent.clone()));
                }
                let value = call(c, &me.function, args).await?;
                Ok(match &me.payload {
                    Payload::Default => Some(FieldValue::owned_any(doc! {"status": "complete"})),
                    Payload::Typed(kind) => super::schema::value_of(&value, kind),
                })
            })
        });
        if let Some((tr, _)) = &self.input {
            field = field.argument(InputValue::new("input", tr.clone()));
        }
        field
    }
}

/// A custom type from `schema` (which must have a `title`), added to `types`; its range to
/// `added`.
fn custom(name: &str, schema: &Json, types: &mut Types, added: &mut Vec<Added>) -> Result<usize, String> {
    let title = schema
        .get("title")
        .and_then(Json::as_str)
        .ok_or_else(|| format!("{name}: a custom type needs a 'title'"))?;
    if types.find(title).is_some() {
        return Err(format!("{name}: the type name '{title}' is taken"));
    }
    let start = types.0.len();
    let i = types
        .add(title, schema)
        .ok_or_else(|| format!("{name}: the custom type '{title}' has no fields GraphQL can show"))?;
    added.push(start..types.0.len());
    Ok(i)
}

/// A GraphQL value as the function gets it, without a schema: numbers as Int32, Int64 or
/// doubles, the rest as JSON would hold it.
fn plain(value: &Value) -> Bson {
    match value {
        Value::Null => Bson::Null,
        Value::Boolean(b) => Bson::Boolean(*b),
        Value::String(s) => Bson::String(s.clone()),
        Value::Enum(s) => Bson::String(s.to_string()),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i32::try_from(i).map_or(Bson::Int64(i), Bson::Int32),
            (None, Some(f)) => Bson::Double(f),
            _ => Bson::Null,
        },
        Value::List(items) => Bson::Array(items.iter().map(plain).collect()),
        Value::Object(fields) => {
            Bson::Document(fields.iter().map(|(k, v)| (k.to_string(), plain(v))).collect())
        }
        Value::Binary(b) => Bson::Binary(bson::Binary {
            subtype: bson::spec::BinarySubtype::Generic,
            bytes: b.to_vec(),
        }),
    }
}

/// Runs `function` with `args` as its configuration says (else as the caller), when the
/// request's previous resolver call has ended.
async fn call(c: &Ctx, function: &str, args: Vec<Bson>) -> async_graphql::Result<Bson> {
    let _turn = c.resolver_turn.acquire().await?;
    let run = crate::server::rule_functions::Configured {
        engine: &c.state.engine,
        deployment: c.deployment.clone(),
        users: &c.state.users,
        what: "a custom resolver",
    };
    let value = run
        .call(function, args, c.user.clone(), Some(c.info.clone()), None)
        .await?;
    // What resolvers return is held for the response like what operations return.
    super::run::charge(c, &value)?;
    Ok(value)
}
