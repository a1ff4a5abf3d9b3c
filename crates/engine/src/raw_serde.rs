//! Serde adapters that carry BSON values through the worker protocol as raw BSON bytes: the
//! protocol's own format ([`postcard`]) knows nothing of BSON's types, and the bson crate's
//! generic serde path builds every value through a visitor (and looks for extended JSON keys on
//! the way); a raw document is copied as bytes and parsed directly, with every type kept.

use bson::{Bson, Document, RawDocumentBuf, doc};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

fn to_raw<E: serde::ser::Error>(document: &Document) -> Result<RawDocumentBuf, E> {
    RawDocumentBuf::try_from(document).map_err(E::custom)
}

/// Reads raw BSON bytes as a document.
fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Document, D::Error> {
    let bytes = serde_bytes::ByteBuf::deserialize(d)?.into_vec();
    let raw = RawDocumentBuf::from_bytes(bytes).map_err(D::Error::custom)?;
    Document::try_from(raw).map_err(D::Error::custom)
}

/// A value written as the raw bytes of `{v: value}`.
struct ValueRef<'a>(&'a Bson);

impl Serialize for ValueRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(to_raw::<S::Error>(&doc! { "v": self.0.clone() })?.as_bytes())
    }
}

/// A value read from what [`ValueRef`] wrote.
struct Value(Bson);

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read(d)?
            .remove("v")
            .map(Value)
            .ok_or_else(|| D::Error::custom("a value without its value"))
    }
}

/// A [`Document`] as raw BSON.
pub mod document {
    use super::*;

    /// Writes `value` as one raw document.
    pub fn serialize<S: Serializer>(value: &Document, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(to_raw::<S::Error>(value)?.as_bytes())
    }

    /// Reads a raw document.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Document, D::Error> {
        read(d)
    }
}

/// A list of values as one raw document with the values under `0`, `1`, ...
pub mod values {
    use super::*;

    /// Writes `values` as one raw document.
    pub fn serialize<S: Serializer>(values: &[Bson], s: S) -> Result<S::Ok, S::Error> {
        let document: Document = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.clone()))
            .collect();
        s.serialize_bytes(to_raw::<S::Error>(&document)?.as_bytes())
    }

    /// Reads the values back in order.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Bson>, D::Error> {
        Ok(read(d)?.into_iter().map(|(_, v)| v).collect())
    }
}

/// An optional value as the raw bytes of `{v: value}`.
pub mod option_value {
    use super::*;

    /// Writes the value, if any.
    pub fn serialize<S: Serializer>(value: &Option<Bson>, s: S) -> Result<S::Ok, S::Error> {
        value.as_ref().map(ValueRef).serialize(s)
    }

    /// Reads what [`serialize`] wrote.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Bson>, D::Error> {
        Ok(Option::<Value>::deserialize(d)?.map(|v| v.0))
    }
}

/// `Result<Bson, E>` with the value as the raw bytes of `{v: value}`.
pub mod result {
    use super::*;

    /// What [`serialize`] writes (by reference) and [`deserialize`] reads (owned); the
    /// engine writes it with a value it made raw itself (`wire::encode_result`).
    #[derive(Serialize, Deserialize)]
    pub(crate) enum Wire<V, E> {
        /// The value.
        Ok(V),
        /// The error.
        Err(E),
    }

    /// Writes the result with its value as raw BSON.
    pub fn serialize<S: Serializer, E: Serialize>(value: &Result<Bson, E>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Ok(v) => Wire::<_, &E>::Ok(ValueRef(v)).serialize(s),
            Err(e) => Wire::<ValueRef<'_>, _>::Err(e).serialize(s),
        }
    }

    /// Reads a result written by [`serialize`].
    pub fn deserialize<'de, D: Deserializer<'de>, E: Deserialize<'de>>(
        d: D,
    ) -> Result<Result<Bson, E>, D::Error> {
        Ok(match Wire::<Value, E>::deserialize(d)? {
            Wire::Ok(v) => Ok(v.0),
            Wire::Err(e) => Err(e),
        })
    }
}
