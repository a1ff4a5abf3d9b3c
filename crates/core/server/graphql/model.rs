//! The document types of the GraphQL API, read from collection schemas: App Services' mapping
//! of BSON types to GraphQL scalars, field names GraphQL can carry, one type per embedded
//! object.

use std::sync::Arc;

use serde_json::Value;

use super::run::Coll;

/// A GraphQL scalar a schema's BSON type maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// `objectId`, as its hex string.
    ObjectId,
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `long`: a 64-bit integer (GraphQL's `Int` holds 32 bits).
    Long,
    /// `double` and `decimal`.
    Float,
    /// `bool`.
    Boolean,
    /// `date` and `timestamp`, as RFC 3339 UTC strings.
    DateTime,
}

impl Scalar {
    /// The GraphQL type's name.
    pub fn name(self) -> &'static str {
        match self {
            Scalar::ObjectId => "ObjectId",
            Scalar::String => "String",
            Scalar::Int => "Int",
            Scalar::Long => "Long",
            Scalar::Float => "Float",
            Scalar::Boolean => "Boolean",
            Scalar::DateTime => "DateTime",
        }
    }

    /// Whether `_gt`/`_gte`/`_lt`/`_lte` apply (every scalar but Boolean).
    pub fn ordered(self) -> bool {
        self != Scalar::Boolean
    }
}

/// What a field holds.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A scalar.
    Scalar(Scalar),
    /// An embedded document of the named type.
    Object(usize),
    /// An array of scalars or of embedded documents.
    List(Box<Kind>),
    /// A relationship (`relationships.json`): stored as the foreign documents' keys, shown as
    /// the documents.
    Relation(Arc<Relation>),
}

/// A field's relationship to the documents of another collection.
#[derive(Debug)]
pub struct Relation {
    /// The foreign collection.
    pub coll: Arc<Coll>,
    /// The foreign documents' field the stored values are.
    pub foreign_key: String,
    /// The stored value's scalar (a key, or each key of a list).
    pub key: Scalar,
    /// To-many: the field holds a list of keys.
    pub list: bool,
    /// `<Type><Field>RelationInput`, the input that links or creates foreign documents.
    pub input: String,
}

impl Relation {
    /// What the field stores: a key or a list of keys.
    pub fn stored(&self) -> Kind {
        let key = Kind::Scalar(self.key);
        if self.list { Kind::List(Box::new(key)) } else { key }
    }
}

/// One field of a document type.
#[derive(Debug, Clone)]
pub struct Field {
    /// The field's name, in the document and in GraphQL.
    pub name: String,
    /// What it holds.
    pub kind: Kind,
    /// The schema requires it.
    pub required: bool,
}

/// A document type: a collection's documents or an embedded document.
#[derive(Debug, Clone)]
pub struct Type {
    /// Its GraphQL name.
    pub name: String,
    /// Its fields GraphQL can show.
    pub fields: Vec<Field>,
}

impl Type {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Every document type of the API; a collection's type and its embedded ones.
#[derive(Debug, Default)]
pub struct Types(pub Vec<Type>);

/// Whether `name` is a name GraphQL can carry and App Services exposed (not `__`-prefixed).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !name.starts_with("__")
}

/// `s` with its first letter upper-case (`ownerId` -> `OwnerId`).
pub fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// The GraphQL scalar of BSON type `bson` (`None`: not a scalar GraphQL has).
pub fn scalar_of(bson: &str) -> Option<Scalar> {
    Some(match bson {
        "objectId" => Scalar::ObjectId,
        "string" => Scalar::String,
        "int" => Scalar::Int,
        "long" => Scalar::Long,
        "double" | "decimal" | "number" => Scalar::Float,
        "bool" | "boolean" => Scalar::Boolean,
        "date" | "timestamp" => Scalar::DateTime,
        _ => return None,
    })
}

/// The BSON type a schema node names (the first that is not `null`).
fn bson_type(node: &Value) -> Option<&str> {
    match node.get("bsonType").or_else(|| node.get("type"))? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

impl Types {
    /// The index of the type named `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|t| t.name == name)
    }

    /// Adds the document type `name` read from `schema` (its embedded documents too) and
    /// returns its index (an embedded type of a name already added is that one); `None` when
    /// the schema has no fields GraphQL can show.
    pub fn add(&mut self, name: &str, schema: &Value) -> Option<usize> {
        if let Some(existing) = self.find(name) {
            return Some(existing);
        }
        let index = self.0.len();
        self.0.push(Type {
            name: name.to_string(),
            fields: Vec::new(),
        });
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        if let Some(Value::Object(props)) = schema.get("properties") {
            for (field, node) in props {
                if !valid_name(field) {
                    continue;
                }
                let nested = format!("{name}{}", capitalized(field));
                if let Some(kind) = self.kind(&nested, node, 0) {
                    fields.push(Field {
                        name: field.clone(),
                        kind,
                        required: required.contains(&field.as_str()),
                    });
                }
            }
        }
        if fields.is_empty() {
            self.0.truncate(index);
            return None;
        }
        self.0[index].fields = fields;
        Some(index)
    }

    fn kind(&mut self, name: &str, node: &Value, depth: usize) -> Option<Kind> {
        if depth > 16 {
            return None;
        }
        let bson = bson_type(node)?;
        if let Some(s) = scalar_of(bson) {
            return Some(Kind::Scalar(s));
        }
        Some(match bson {
            "object" => {
                let title = node
                    .get("title")
                    .and_then(Value::as_str)
                    .filter(|t| valid_name(t));
                Kind::Object(self.add(title.unwrap_or(name), node)?)
            }
            "array" => Kind::List(Box::new(self.kind(name, node.get("items")?, depth + 1)?)),
            // uuid, binData, mixed and the rest have no GraphQL type: App Services left them out.
            _ => return None,
        })
    }
}
