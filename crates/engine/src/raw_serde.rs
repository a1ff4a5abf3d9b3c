//! Serde adapters that carry BSON values through the worker protocol as raw BSON: the bson
//! crate's generic serde path builds every value through a visitor (and looks for extended
//! JSON keys on the way), which cost more than the call itself; a raw document is copied as
//! bytes and parsed directly.

use bson::{Bson, Document, RawDocumentBuf, doc};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

fn to_raw<E: serde::ser::Error>(document: &Document) -> Result<RawDocumentBuf, E> {
    RawDocumentBuf::try_from(document).map_err(E::custom)
}

fn from_raw<E: serde::de::Error>(raw: RawDocumentBuf) -> Result<Document, E> {
    Document::try_from(raw).map_err(E::custom)
}

/// A [`Document`] as raw BSON.
pub mod document {
    use super::*;

    /// Writes `value` as one raw document.
    pub fn serialize<S: Serializer>(value: &Document, s: S) -> Result<S::Ok, S::Error> {
        to_raw::<S::Error>(value)?.serialize(s)
    }

    /// Reads a raw document.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Document, D::Error> {
        from_raw(RawDocumentBuf::deserialize(d)?)
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
        to_raw::<S::Error>(&document)?.serialize(s)
    }

    /// Reads the values back in order.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Bson>, D::Error> {
        let document = from_raw::<D::Error>(RawDocumentBuf::deserialize(d)?)?;
        Ok(document.into_iter().map(|(_, v)| v).collect())
    }
}

/// `Result<Bson, E>` with the value as a raw document `{v: value}`.
pub mod result {
    use super::*;

    #[derive(Serialize, Deserialize)]
    enum Wire<E> {
        Ok(RawDocumentBuf),
        Err(E),
    }

    /// Writes the result with its value as raw BSON.
    pub fn serialize<S: Serializer, E: Serialize + Clone>(
        value: &Result<Bson, E>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Ok(v) => Wire::<E>::Ok(to_raw::<S::Error>(&doc! { "v": v.clone() })?).serialize(s),
            Err(e) => Wire::Err(e.clone()).serialize(s),
        }
    }

    /// Reads a result written by [`serialize`].
    pub fn deserialize<'de, D: Deserializer<'de>, E: Deserialize<'de>>(
        d: D,
    ) -> Result<Result<Bson, E>, D::Error> {
        match Wire::<E>::deserialize(d)? {
            Wire::Ok(raw) => {
                let mut document = from_raw::<D::Error>(raw)?;
                document
                    .remove("v")
                    .map(Ok)
                    .ok_or_else(|| D::Error::custom("a result without its value"))
            }
            Wire::Err(e) => Ok(Err(e)),
        }
    }
}
