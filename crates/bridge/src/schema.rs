//! App Services collection schemas (`data_sources/<service>/<db>/<coll>/schema.json`): the BSON
//! schema every document a user's write leaves in the collection must satisfy.
//!
//! App Services checked each document a rule-governed write inserted, updated, replaced or
//! upserted against its collection's schema and refused (or rolled back) the whole request when
//! one failed, with `SchemaValidationFailedWrite`; system code was not bound by it. This module
//! parses a schema once, when the app loads ([`Schema::from_json`]), and checks a document
//! against it ([`Schema::check`]); [`crate::rules`] attaches it to a user's writes and the
//! executors run it on each document before anything is written.
//!
//! The keywords are MongoDB's `$jsonSchema` ones (JSON Schema draft 4 with `bsonType`) and App
//! Services' additions: the `uuid` and `mixed` types and `validate` expressions, which read
//! `%%this`, `%%prev`, `%%root` and `%%prevRoot` besides the usual expansions. A schema with a
//! keyword outside that set is not guessed at: [`SchemaError::NotEvaluated`] makes the
//! collection refuse every write by a user (fail closed).

use std::sync::Arc;

use bson::{Bson, Document};
use regex::Regex;
use serde_json::Value;

mod check;

/// Why a schema cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// The file is not a schema App Services would have accepted.
    #[error("invalid schema: {0}")]
    Invalid(String),
    /// A part of the schema writ does not evaluate (yet).
    #[error("{0} is not supported by writ yet")]
    NotEvaluated(String),
}

/// A parsed collection schema.
#[derive(Debug)]
pub struct Schema {
    root: Node,
    /// Whether a `validate` expression appears anywhere in it.
    has_expressions: bool,
    /// App Services' "null type schema validation" setting: an optional field may be null.
    optional_nulls: bool,
}

/// The BSON types a schema can name; `Number` is any numeric type, `Mixed` any type.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Double,
    String,
    Object,
    Array,
    BinData,
    Uuid,
    Undefined,
    ObjectId,
    Bool,
    Date,
    Null,
    Regex,
    JavaScript,
    Symbol,
    JavaScriptWithScope,
    Int,
    Timestamp,
    Long,
    Decimal,
    MinKey,
    MaxKey,
    DbPointer,
    Number,
    Integer,
    Mixed,
}

/// Where an object's or array's other members stand.
#[derive(Debug)]
enum Others {
    Allowed,
    Refused,
    Each(Box<Node>),
}

#[derive(Debug)]
enum Items {
    Each(Box<Node>),
    Tuple(Vec<Node>),
}

#[derive(Debug)]
enum Dependency {
    Fields(Vec<String>),
    Schema(Box<Node>),
}

/// One schema (the root or a nested one).
#[derive(Debug, Default)]
struct Node {
    kinds: Vec<Kind>,
    enumeration: Option<Vec<Bson>>,
    validate: Option<Bson>,
    required: Vec<String>,
    properties: Vec<(String, Node)>,
    pattern_properties: Vec<(Regex, Node)>,
    additional_properties: Option<Others>,
    min_properties: Option<usize>,
    max_properties: Option<usize>,
    dependencies: Vec<(String, Dependency)>,
    items: Option<Items>,
    additional_items: Option<Others>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    unique_items: bool,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<Regex>,
    minimum: Option<(f64, bool)>,
    maximum: Option<(f64, bool)>,
    multiple_of: Option<f64>,
    all_of: Vec<Node>,
    any_of: Vec<Node>,
    one_of: Vec<Node>,
    not: Option<Box<Node>>,
}

/// A document that fails its schema: where, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The failing value's path (`items.2.price`), empty for the document itself.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

/// Evaluates a `validate` expression for one value: `this`/`prev` are the value after and
/// before the write, `root`/`prev_root` the documents. `Err` is an expression writ cannot
/// evaluate, which fails the write too.
pub(crate) trait Expressions {
    fn holds(
        &self,
        expression: &Bson,
        this: Option<&Bson>,
        prev: Option<&Bson>,
        root: &Document,
        prev_root: Option<&Document>,
    ) -> Result<bool, String>;
}

/// The `validate` expressions of a schema without any: never asked.
pub(crate) struct NoExpressions;

impl Expressions for NoExpressions {
    fn holds(
        &self,
        _: &Bson,
        _: Option<&Bson>,
        _: Option<&Bson>,
        _: &Document,
        _: Option<&Document>,
    ) -> Result<bool, String> {
        Err("the schema has no validate expressions".into())
    }
}

/// What a user's write on a collection with a schema is checked against: the schema, and the
/// call's expansions for its `validate` expressions. Attached to the write's
/// [`Request`](crate::Request) by [`crate::rules`]; the executors ask it about each document
/// the write leaves before anything is written.
#[derive(Clone)]
pub struct Validation {
    schema: Arc<Schema>,
    ns: Arc<str>,
    expressions: Arc<dyn Expressions + Send + Sync>,
}

impl Validation {
    pub(crate) fn new(
        schema: Arc<Schema>,
        ns: &str,
        expressions: Arc<dyn Expressions + Send + Sync>,
    ) -> Self {
        Self {
            schema,
            ns: ns.into(),
            expressions,
        }
    }

    /// Checks `after`, a document the write leaves (`before`: what was there, for an update);
    /// `Err` is App Services' message for it.
    pub fn check(&self, before: Option<&Document>, after: &Document) -> Result<(), String> {
        self.schema
            .check(before, after, self.expressions.as_ref())
            .map_err(|v| {
                format!(
                    "failed to validate a document against the schema of '{}': {v}",
                    self.ns
                )
            })
    }

    /// This validation as the embedded store's document validator.
    pub fn store_check(&self) -> store::validation::Check {
        let v = self.clone();
        Arc::new(move |before, after| v.check(before, after))
    }
}

impl std::fmt::Debug for Validation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Validation({})", self.ns)
    }
}

impl PartialEq for Validation {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.schema, &other.schema) && self.ns == other.ns
    }
}

/// The App Services error code of a write that fails its collection's schema.
pub const SCHEMA_ERROR_CODE: &str = "SchemaValidationFailedWrite";

/// The error of a write that fails its collection's schema, as the function sees it (and the
/// client API answers with [`SCHEMA_ERROR_CODE`]).
pub(crate) fn schema_error(message: String) -> engine::host::HostError {
    engine::host::HostError {
        name: "Error".into(),
        message,
        code: None,
        code_name: Some(SCHEMA_ERROR_CODE.into()),
    }
}

/// How deep schemas may nest: a schema file is the operator's, but a runaway recursion in a
/// hand-edited one must not overflow the server's stack.
const MAX_DEPTH: usize = 100;

impl Schema {
    /// Parses a collection's `schema.json`.
    pub fn from_json(json: &Value) -> Result<Schema, SchemaError> {
        let mut has_expressions = false;
        let root = Node::parse(json, 0, &mut has_expressions)?;
        Ok(Schema {
            root,
            has_expressions,
            optional_nulls: false,
        })
    }

    /// This schema under App Services' "null type schema validation" setting (`on`): a field the
    /// schema does not require may also be null. Required fields never may.
    pub fn with_optional_nulls(mut self, on: bool) -> Schema {
        self.optional_nulls = on;
        self
    }

    /// Whether checking a document needs the call's expansions (`validate` expressions).
    pub fn has_expressions(&self) -> bool {
        self.has_expressions
    }

    /// Checks `after`, what a write leaves (with `before`, what was there, for an update).
    pub(crate) fn check(
        &self,
        before: Option<&Document>,
        after: &Document,
        expressions: &dyn Expressions,
    ) -> Result<(), Violation> {
        check::document(&self.root, before, after, expressions, self.optional_nulls)
    }
}

fn bad(message: impl Into<String>) -> SchemaError {
    SchemaError::Invalid(message.into())
}

fn count(v: &Value, key: &str) -> Result<usize, SchemaError> {
    v.as_u64()
        .map(|n| n as usize)
        .ok_or_else(|| bad(format!("{key} must be a non-negative integer")))
}

fn number(v: &Value, key: &str) -> Result<f64, SchemaError> {
    v.as_f64().ok_or_else(|| bad(format!("{key} must be a number")))
}

fn regex(v: &Value, key: &str) -> Result<Regex, SchemaError> {
    let pattern = v.as_str().ok_or_else(|| bad(format!("{key} must be a string")))?;
    Regex::new(pattern).map_err(|_| SchemaError::NotEvaluated(format!("the {key} /{pattern}/")))
}

/// Every type a schema can name (their names: [`Kind::name`]).
const KINDS: [Kind; 25] = [
    Kind::Double,
    Kind::String,
    Kind::Object,
    Kind::Array,
    Kind::BinData,
    Kind::Uuid,
    Kind::Undefined,
    Kind::ObjectId,
    Kind::Bool,
    Kind::Date,
    Kind::Null,
    Kind::Regex,
    Kind::JavaScript,
    Kind::Symbol,
    Kind::JavaScriptWithScope,
    Kind::Int,
    Kind::Timestamp,
    Kind::Long,
    Kind::Decimal,
    Kind::MinKey,
    Kind::MaxKey,
    Kind::DbPointer,
    Kind::Number,
    Kind::Integer,
    Kind::Mixed,
];

/// The type `name` names in `type` (`json_type`: JSON Schema's names) or in `bsonType`.
fn kind(name: &str, json_type: bool) -> Result<Kind, SchemaError> {
    let named = |n: &str| KINDS.iter().copied().find(|k| k.name() == n);
    let found = match (name, json_type) {
        ("boolean", true) => Some(Kind::Bool),
        ("integer", true) => Some(Kind::Integer),
        ("object" | "array" | "string" | "number" | "null", true) => named(name),
        (_, true) | ("integer", false) => None,
        // Realm's `float` properties are doubles in MongoDB.
        ("float", false) => Some(Kind::Double),
        (_, false) => named(name),
    };
    let key = if json_type { "type" } else { "bsonType" };
    found.ok_or_else(|| bad(format!("unknown {key} '{name}'")))
}

fn kinds(v: &Value, json_type: bool) -> Result<Vec<Kind>, SchemaError> {
    let key = if json_type { "type" } else { "bsonType" };
    match v {
        Value::String(s) => Ok(vec![kind(s, json_type)?]),
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|t| {
                t.as_str()
                    .ok_or_else(|| bad(format!("{key} must name types")))
                    .and_then(|s| kind(s, json_type))
            })
            .collect(),
        _ => Err(bad(format!("{key} must be a type name or a list of them"))),
    }
}

fn to_bson(v: &Value) -> Result<Bson, SchemaError> {
    Bson::try_from(v.clone()).map_err(|e| bad(e.to_string()))
}

impl Node {
    fn parse(json: &Value, depth: usize, expressions: &mut bool) -> Result<Node, SchemaError> {
        if depth > MAX_DEPTH {
            return Err(bad(format!("schemas nest deeper than {MAX_DEPTH} levels")));
        }
        let Value::Object(map) = json else {
            return Err(bad("a schema must be an object"));
        };
        let sub = |v: &Value, e: &mut bool| Node::parse(v, depth + 1, e);
        let mut node = Node::default();
        for (key, v) in map {
            match key.as_str() {
                "title" | "description" | "$schema" | "$comment" | "default" | "examples" => {}
                "bsonType" => node.kinds.extend(kinds(v, false)?),
                "type" => node.kinds.extend(kinds(v, true)?),
                "enum" => match v {
                    Value::Array(a) if !a.is_empty() => {
                        node.enumeration = Some(a.iter().map(to_bson).collect::<Result<_, _>>()?)
                    }
                    _ => return Err(bad("enum must be a non-empty array")),
                },
                "validate" => {
                    let e = crate::rules::dollar_operators(to_bson(v)?);
                    crate::rules::validate_schema_expression(&e)
                        .map_err(|m| SchemaError::NotEvaluated(format!("the validate expression: {m}")))?;
                    *expressions = true;
                    node.validate = Some(e);
                }
                "required" => match v {
                    Value::Array(a) => {
                        for f in a {
                            let f = f.as_str().ok_or_else(|| bad("required must list field names"))?;
                            node.required.push(f.to_string());
                        }
                    }
                    _ => return Err(bad("required must be an array")),
                },
                "properties" => {
                    let Value::Object(props) = v else {
                        return Err(bad("properties must be an object"));
                    };
                    for (name, s) in props {
                        node.properties.push((name.clone(), sub(s, expressions)?));
                    }
                }
                "patternProperties" => {
                    let Value::Object(props) = v else {
                        return Err(bad("patternProperties must be an object"));
                    };
                    for (pattern, s) in props {
                        let re = regex(&Value::String(pattern.clone()), "patternProperties")?;
                        node.pattern_properties.push((re, sub(s, expressions)?));
                    }
                }
                "additionalProperties" => node.additional_properties = Some(others(v, &sub, expressions)?),
                "additionalItems" => node.additional_items = Some(others(v, &sub, expressions)?),
                "minProperties" => node.min_properties = Some(count(v, key)?),
                "maxProperties" => node.max_properties = Some(count(v, key)?),
                "dependencies" => {
                    let Value::Object(deps) = v else {
                        return Err(bad("dependencies must be an object"));
                    };
                    for (field, d) in deps {
                        let dep = match d {
                            Value::Array(names) => Dependency::Fields(
                                names
                                    .iter()
                                    .map(|n| n.as_str().map(str::to_string))
                                    .collect::<Option<_>>()
                                    .ok_or_else(|| bad("dependencies must list field names"))?,
                            ),
                            other => Dependency::Schema(Box::new(sub(other, expressions)?)),
                        };
                        node.dependencies.push((field.clone(), dep));
                    }
                }
                "items" => {
                    node.items = Some(match v {
                        Value::Array(a) => {
                            Items::Tuple(a.iter().map(|s| sub(s, expressions)).collect::<Result<_, _>>()?)
                        }
                        other => Items::Each(Box::new(sub(other, expressions)?)),
                    })
                }
                "minItems" => node.min_items = Some(count(v, key)?),
                "maxItems" => node.max_items = Some(count(v, key)?),
                "uniqueItems" => {
                    node.unique_items = v.as_bool().ok_or_else(|| bad("uniqueItems must be a boolean"))?
                }
                "minLength" => node.min_length = Some(count(v, key)?),
                "maxLength" => node.max_length = Some(count(v, key)?),
                "pattern" => node.pattern = Some(regex(v, "pattern")?),
                "minimum" => node.minimum = Some((number(v, key)?, false)),
                "maximum" => node.maximum = Some((number(v, key)?, false)),
                "exclusiveMinimum" | "exclusiveMaximum" => {}
                "multipleOf" => match number(v, key)? {
                    n if n > 0.0 => node.multiple_of = Some(n),
                    _ => return Err(bad("multipleOf must be greater than 0")),
                },
                "allOf" | "anyOf" | "oneOf" => {
                    let list = match v {
                        Value::Array(a) if !a.is_empty() => a
                            .iter()
                            .map(|s| sub(s, expressions))
                            .collect::<Result<Vec<_>, _>>()?,
                        _ => return Err(bad(format!("{key} must be a non-empty array of schemas"))),
                    };
                    match key.as_str() {
                        "allOf" => node.all_of = list,
                        "anyOf" => node.any_of = list,
                        _ => node.one_of = list,
                    }
                }
                "not" => node.not = Some(Box::new(sub(v, expressions)?)),
                other => return Err(SchemaError::NotEvaluated(format!("the schema keyword '{other}'"))),
            }
        }
        // Draft 4: the exclusive flags are booleans beside minimum and maximum.
        for (key, bound) in [
            ("exclusiveMinimum", &mut node.minimum),
            ("exclusiveMaximum", &mut node.maximum),
        ] {
            if let Some(v) = map.get(key) {
                let flag = v
                    .as_bool()
                    .ok_or_else(|| bad(format!("{key} must be a boolean")))?;
                match bound {
                    Some((_, exclusive)) => *exclusive = flag,
                    None if flag => return Err(bad(format!("{key} needs its bound beside it"))),
                    None => {}
                }
            }
        }
        Ok(node)
    }
}

fn others(
    v: &Value,
    sub: &dyn Fn(&Value, &mut bool) -> Result<Node, SchemaError>,
    expressions: &mut bool,
) -> Result<Others, SchemaError> {
    Ok(match v {
        Value::Bool(true) => Others::Allowed,
        Value::Bool(false) => Others::Refused,
        other => Others::Each(Box::new(sub(other, expressions)?)),
    })
}
