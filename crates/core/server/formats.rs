//! The two data formats of HTTPS endpoints and the Data API (App Services' "Data Formats"
//! page): EJSON, canonical (`functions::canonical`), and JSON, standard types any tool reads,
//! where a BSON value loses its type the way App Services' Go server wrote it: an ObjectId is
//! its hex string, a date its RFC 3339 text, a Decimal128 its digits, every number a number.

use axum::http::{HeaderMap, header};
use bson::Bson;
use serde_json::{Map, Value, json};

/// EJSON when the request's `Accept` asks for it, JSON when it asks for that; otherwise
/// `default` (the endpoint's or the Data API's configured return type).
pub fn wants_ejson(headers: &HeaderMap, default: bool) -> bool {
    match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        Some(a) if a.contains("application/ejson") => true,
        Some(a) if a.contains("application/json") => false,
        _ => default,
    }
}

/// `value` in the JSON format: what App Services documents for each BSON type.
pub fn plain(value: Bson) -> Value {
    match value {
        Bson::Double(f) => double(f),
        Bson::String(s) | Bson::Symbol(s) | Bson::JavaScriptCode(s) => Value::String(s),
        Bson::Array(items) => Value::Array(items.into_iter().map(plain).collect()),
        Bson::Document(d) => Value::Object(d.into_iter().map(|(k, v)| (k, plain(v))).collect()),
        Bson::Boolean(b) => Value::Bool(b),
        Bson::Null | Bson::Undefined => Value::Null,
        Bson::RegularExpression(r) => json!({"Pattern": r.pattern, "Options": r.options}),
        Bson::JavaScriptCodeWithScope(c) => json!({"Code": c.code, "Scope": plain(Bson::Document(c.scope))}),
        Bson::Int32(n) => json!(n),
        Bson::Int64(n) => json!(n),
        Bson::Timestamp(t) => json!({"T": t.time, "I": t.increment}),
        Bson::Binary(b) => {
            let subtype: u8 = b.subtype.into();
            json!({"Subtype": subtype, "Data": base64(&b.bytes)})
        }
        Bson::ObjectId(id) => Value::String(id.to_hex()),
        Bson::DateTime(d) => date(d.timestamp_millis()),
        Bson::Decimal128(d) => Value::String(d.to_string()),
        Bson::MaxKey | Bson::MinKey => Value::Object(Map::new()),
        // Deprecated since MongoDB 1.x: its fields are private to the bson crate.
        other @ Bson::DbPointer(_) => other.into_relaxed_extjson(),
    }
}

/// A double as a JSON number, written as Go writes one (`2`, not `2.0`); NaN and the
/// infinities, which JSON has no number for, as `null` (as `JSON.stringify` writes them).
fn double(f: f64) -> Value {
    if !f.is_finite() {
        Value::Null
    } else if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        json!(f as i64)
    } else {
        json!(f)
    }
}

/// A date as RFC 3339 in UTC with the fraction's trailing zeros cut (Go's `time.Time`
/// text: `2022-01-12T02:33:23.067Z`, `2022-01-12T02:33:23Z`); a date outside the years
/// 0-9999, which that text cannot hold, as its milliseconds.
fn date(millis: i64) -> Value {
    use chrono::{DateTime, Datelike};
    match DateTime::from_timestamp_millis(millis).filter(|d| (0..=9999).contains(&d.year())) {
        Some(d) => {
            let mut text = d.format("%Y-%m-%dT%H:%M:%S").to_string();
            let ms = millis.rem_euclid(1000);
            if ms != 0 {
                let fraction = format!("{ms:03}");
                text.push('.');
                text.push_str(fraction.trim_end_matches('0'));
            }
            text.push('Z');
            Value::String(text)
        }
        None => json!(millis),
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{Binary, DateTime, Decimal128, Regex, Timestamp, doc, oid::ObjectId, spec::BinarySubtype};

    #[test]
    fn each_type_is_written_as_the_data_formats_page_shows() {
        let id = ObjectId::parse_str("5d505646cf6d4fe581014ab2").expect("oid");
        let value = doc! {
            "Name": "Mango",
            "Year": 2022_i64,
            "Weight": "9823.1297".parse::<Decimal128>().expect("decimal"),
            "Date": DateTime::from_millis(1_641_954_803_067),
            "whole": DateTime::from_millis(1_641_954_803_000),
            "tenth": DateTime::from_millis(1_641_954_803_100),
            "id": id,
            "n": 10,
            "half": 10.5,
            "two": 2.0,
            "nan": f64::NAN,
            "re": Regex { pattern: "^H".try_into().expect("cstr"), options: "i".try_into().expect("cstr") },
            "ts": Timestamp { time: 1_565_545_664, increment: 1 },
            "bin": Binary { subtype: BinarySubtype::Uuid, bytes: vec![0xe6, 0x78] },
            "max": Bson::MaxKey,
            "list": [1, "a", Bson::Null],
            "far": DateTime::from_millis(253_402_300_800_000),
        };
        assert_eq!(
            plain(Bson::Document(value)),
            json!({
                "Name": "Mango",
                "Year": 2022,
                "Weight": "9823.1297",
                "Date": "2022-01-12T02:33:23.067Z",
                "whole": "2022-01-12T02:33:23Z",
                "tenth": "2022-01-12T02:33:23.1Z",
                "id": "5d505646cf6d4fe581014ab2",
                "n": 10,
                "half": 10.5,
                "two": 2,
                "nan": null,
                "re": {"Pattern": "^H", "Options": "i"},
                "ts": {"T": 1_565_545_664, "I": 1},
                "bin": {"Subtype": 4, "Data": "5ng="},
                "max": {},
                "list": [1, "a", null],
                "far": 253_402_300_800_000_i64,
            })
        );
    }

    #[test]
    fn accept_chooses_the_format_over_the_default() {
        let mut headers = HeaderMap::new();
        assert!(wants_ejson(&headers, true));
        assert!(!wants_ejson(&headers, false));
        headers.insert(header::ACCEPT, "application/ejson".parse().expect("value"));
        assert!(wants_ejson(&headers, false));
        headers.insert(header::ACCEPT, "application/json".parse().expect("value"));
        assert!(!wants_ejson(&headers, true));
    }
}
