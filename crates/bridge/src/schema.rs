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

use bson::{Bson, Document, spec::BinarySubtype};
use regex::Regex;
use serde_json::Value;
use store::order::{compare, equal};

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
        let mut at = Walk {
            path: Vec::new(),
            root: after,
            prev_root: before,
            expressions,
            optional_nulls: self.optional_nulls,
        };
        let (doc, prev) = (Bson::Document(after.clone()), before.cloned().map(Bson::Document));
        self.root.check(&doc, prev.as_ref(), &mut at)
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

fn kind(name: &str, json_type: bool) -> Result<Kind, SchemaError> {
    Ok(match (name, json_type) {
        ("object", _) => Kind::Object,
        ("array", _) => Kind::Array,
        ("string", _) => Kind::String,
        ("number", _) => Kind::Number,
        ("null", _) => Kind::Null,
        ("boolean", true) => Kind::Bool,
        ("integer", true) => Kind::Integer,
        // Realm's `float` properties are doubles in MongoDB.
        ("double" | "float", false) => Kind::Double,
        ("binData", false) => Kind::BinData,
        ("uuid", false) => Kind::Uuid,
        ("undefined", false) => Kind::Undefined,
        ("objectId", false) => Kind::ObjectId,
        ("bool", false) => Kind::Bool,
        ("date", false) => Kind::Date,
        ("regex", false) => Kind::Regex,
        ("javascript", false) => Kind::JavaScript,
        ("symbol", false) => Kind::Symbol,
        ("javascriptWithScope", false) => Kind::JavaScriptWithScope,
        ("int", false) => Kind::Int,
        ("timestamp", false) => Kind::Timestamp,
        ("long", false) => Kind::Long,
        ("decimal", false) => Kind::Decimal,
        ("minKey", false) => Kind::MinKey,
        ("maxKey", false) => Kind::MaxKey,
        ("dbPointer", false) => Kind::DbPointer,
        ("mixed", false) => Kind::Mixed,
        (other, true) => return Err(bad(format!("unknown type '{other}'"))),
        (other, false) => return Err(bad(format!("unknown bsonType '{other}'"))),
    })
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
                    let e = to_bson(v)?;
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

/// Where a check is: the path to the value, and the documents `validate` expressions read.
struct Walk<'a> {
    path: Vec<String>,
    root: &'a Document,
    prev_root: Option<&'a Document>,
    expressions: &'a dyn Expressions,
    optional_nulls: bool,
}

impl Walk<'_> {
    fn fail(&self, reason: impl Into<String>) -> Violation {
        Violation {
            path: self.path.join("."),
            reason: reason.into(),
        }
    }

    fn nested(
        &mut self,
        key: &str,
        f: impl FnOnce(&mut Self) -> Result<(), Violation>,
    ) -> Result<(), Violation> {
        self.path.push(key.to_string());
        let r = f(self);
        self.path.pop();
        r
    }
}

/// A value's type as a schema names it: MongoDB's name, or `uuid` for a UUID.
fn type_name(v: &Bson) -> &'static str {
    match v {
        Bson::Binary(b) if b.subtype == BinarySubtype::Uuid => "uuid",
        other => store::expr::bson_type_name(other),
    }
}

/// A numeric value as a double (a decimal through its text).
fn as_f64(v: &Bson) -> Option<f64> {
    match v {
        Bson::Double(d) => Some(*d),
        Bson::Int32(i) => Some(*i as f64),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Decimal128(d) => d.to_string().parse().ok(),
        _ => None,
    }
}

impl Kind {
    fn admits(self, v: &Bson) -> bool {
        match self {
            Kind::Mixed => true,
            Kind::Number => as_f64(v).is_some(),
            Kind::Integer => {
                matches!(v, Bson::Int32(_) | Bson::Int64(_))
                    || as_f64(v).is_some_and(|f| f.is_finite() && f.fract() == 0.0)
            }
            Kind::BinData => matches!(v, Bson::Binary(_)),
            other => other.name() == type_name(v),
        }
    }

    /// The name a schema gives the type.
    fn name(self) -> &'static str {
        match self {
            Kind::Double => "double",
            Kind::String => "string",
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::BinData => "binData",
            Kind::Uuid => "uuid",
            Kind::Undefined => "undefined",
            Kind::ObjectId => "objectId",
            Kind::Bool => "bool",
            Kind::Date => "date",
            Kind::Null => "null",
            Kind::Regex => "regex",
            Kind::JavaScript => "javascript",
            Kind::Symbol => "symbol",
            Kind::JavaScriptWithScope => "javascriptWithScope",
            Kind::Int => "int",
            Kind::Timestamp => "timestamp",
            Kind::Long => "long",
            Kind::Decimal => "decimal",
            Kind::MinKey => "minKey",
            Kind::MaxKey => "maxKey",
            Kind::DbPointer => "dbPointer",
            Kind::Number => "number",
            Kind::Integer => "integer",
            Kind::Mixed => "mixed",
        }
    }
}

impl Node {
    fn check(&self, v: &Bson, prev: Option<&Bson>, at: &mut Walk) -> Result<(), Violation> {
        if !self.kinds.is_empty() && !self.kinds.iter().any(|k| k.admits(v)) {
            let want: Vec<&str> = self.kinds.iter().map(|k| k.name()).collect();
            return Err(at.fail(format!(
                "expected type {}, found {}",
                want.join(" or "),
                type_name(v)
            )));
        }
        if let Some(options) = &self.enumeration
            && !options.iter().any(|o| equal(o, v))
        {
            return Err(at.fail("the value is not one of the schema's enum values"));
        }
        match v {
            Bson::Document(d) => self.check_object(d, prev, at)?,
            Bson::Array(a) => self.check_array(a, prev, at)?,
            Bson::String(s) => self.check_string(s, at)?,
            other => {
                if let Some(n) = as_f64(other) {
                    self.check_number(n, at)?;
                }
            }
        }
        for s in &self.all_of {
            s.check(v, prev, at)?;
        }
        if !self.any_of.is_empty() && !self.any_of.iter().any(|s| s.check(v, prev, at).is_ok()) {
            return Err(at.fail("the value matches none of the schemas in anyOf"));
        }
        if !self.one_of.is_empty() {
            let n = self
                .one_of
                .iter()
                .filter(|s| s.check(v, prev, at).is_ok())
                .count();
            if n != 1 {
                return Err(at.fail(format!(
                    "the value matches {n} of the schemas in oneOf, not exactly one"
                )));
            }
        }
        if let Some(s) = &self.not
            && s.check(v, prev, at).is_ok()
        {
            return Err(at.fail("the value matches the schema in not"));
        }
        if let Some(e) = &self.validate {
            match at.expressions.holds(e, Some(v), prev, at.root, at.prev_root) {
                Ok(true) => {}
                Ok(false) => return Err(at.fail("the change fails the schema's validate expression")),
                Err(m) => {
                    return Err(at.fail(format!(
                        "the schema's validate expression cannot be evaluated: {m}"
                    )));
                }
            }
        }
        Ok(())
    }

    fn check_object(&self, d: &Document, prev: Option<&Bson>, at: &mut Walk) -> Result<(), Violation> {
        if let Some(missing) = self.required.iter().find(|f| !d.contains_key(f.as_str())) {
            return Err(at.fail(format!("missing required property '{missing}'")));
        }
        if self.min_properties.is_some_and(|n| d.len() < n)
            || self.max_properties.is_some_and(|n| d.len() > n)
        {
            return Err(at.fail(format!("{} properties is outside the schema's bounds", d.len())));
        }
        let prev_doc = match prev {
            Some(Bson::Document(p)) => Some(p),
            _ => None,
        };
        for (key, value) in d {
            if value == &Bson::Null && at.optional_nulls && !self.required.iter().any(|r| r == key) {
                continue;
            }
            let before = prev_doc.and_then(|p| p.get(key));
            let mut matched = false;
            if let Some((_, s)) = self.properties.iter().find(|(name, _)| name == key) {
                matched = true;
                at.nested(key, |at| s.check(value, before, at))?;
            }
            for (re, s) in &self.pattern_properties {
                if re.is_match(key) {
                    matched = true;
                    at.nested(key, |at| s.check(value, before, at))?;
                }
            }
            if !matched {
                match &self.additional_properties {
                    None | Some(Others::Allowed) => {}
                    Some(Others::Refused) => {
                        return Err(at.fail(format!("the property '{key}' is not allowed by the schema")));
                    }
                    Some(Others::Each(s)) => at.nested(key, |at| s.check(value, before, at))?,
                }
            }
        }
        // A property the write removed: its `validate` expression still sees the change.
        for (key, s) in &self.properties {
            if !d.contains_key(key)
                && let Some(before) = prev_doc.and_then(|p| p.get(key))
                && let Some(e) = &s.validate
            {
                let holds = at.expressions.holds(e, None, Some(before), at.root, at.prev_root);
                if !matches!(holds, Ok(true)) {
                    return at.nested(key, |at| {
                        Err(at.fail("removing the property fails the schema's validate expression"))
                    });
                }
            }
        }
        for (field, dep) in &self.dependencies {
            if !d.contains_key(field.as_str()) {
                continue;
            }
            match dep {
                Dependency::Fields(names) => {
                    if let Some(missing) = names.iter().find(|n| !d.contains_key(n.as_str())) {
                        return Err(at.fail(format!("'{field}' needs the property '{missing}' beside it")));
                    }
                }
                Dependency::Schema(s) => s.check(&Bson::Document(d.clone()), prev, at)?,
            }
        }
        Ok(())
    }

    fn check_array(&self, a: &[Bson], prev: Option<&Bson>, at: &mut Walk) -> Result<(), Violation> {
        if self.min_items.is_some_and(|n| a.len() < n) || self.max_items.is_some_and(|n| a.len() > n) {
            return Err(at.fail(format!("{} items is outside the schema's bounds", a.len())));
        }
        if self.unique_items {
            // Sorted in MongoDB's total order, equal items are neighbours: O(n log n), so a
            // user's long array cannot hold the store's writer.
            let mut sorted: Vec<&Bson> = a.iter().collect();
            sorted.sort_by(|x, y| compare(x, y));
            if sorted.windows(2).any(|p| equal(p[0], p[1])) {
                return Err(at.fail("the array holds an item more than once (uniqueItems)"));
            }
        }
        let before = |i: usize| match prev {
            Some(Bson::Array(p)) => p.get(i),
            _ => None,
        };
        match &self.items {
            None => {}
            Some(Items::Each(s)) => {
                for (i, x) in a.iter().enumerate() {
                    at.nested(&i.to_string(), |at| s.check(x, before(i), at))?;
                }
            }
            Some(Items::Tuple(list)) => {
                for (i, x) in a.iter().enumerate() {
                    let r = match (list.get(i), &self.additional_items) {
                        (Some(s), _) => at.nested(&i.to_string(), |at| s.check(x, before(i), at)),
                        (None, Some(Others::Refused)) => Err(at.fail(format!(
                            "the array has more than the schema's {} items",
                            list.len()
                        ))),
                        (None, Some(Others::Each(s))) => {
                            at.nested(&i.to_string(), |at| s.check(x, before(i), at))
                        }
                        (None, _) => Ok(()),
                    };
                    r?;
                }
            }
        }
        Ok(())
    }

    fn check_string(&self, s: &str, at: &mut Walk) -> Result<(), Violation> {
        let n = s.chars().count();
        if self.min_length.is_some_and(|m| n < m) || self.max_length.is_some_and(|m| n > m) {
            return Err(at.fail(format!(
                "a string of {n} characters is outside the schema's bounds"
            )));
        }
        if let Some(re) = &self.pattern
            && !re.is_match(s)
        {
            return Err(at.fail(format!("the string does not match the pattern /{}/", re.as_str())));
        }
        Ok(())
    }

    fn check_number(&self, n: f64, at: &mut Walk) -> Result<(), Violation> {
        let below = self
            .minimum
            .is_some_and(|(m, ex)| if ex { n <= m } else { n < m });
        let above = self
            .maximum
            .is_some_and(|(m, ex)| if ex { n >= m } else { n > m });
        if below || above {
            return Err(at.fail(format!("{n} is outside the schema's bounds")));
        }
        if let Some(m) = self.multiple_of {
            let q = n / m;
            if !q.is_finite() || (q - q.round()).abs() > 1e-9 {
                return Err(at.fail(format!("{n} is not a multiple of {m}")));
            }
        }
        Ok(())
    }
}
