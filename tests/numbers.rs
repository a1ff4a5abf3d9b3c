//! Numbers through the client API come back exactly: a function that returns its argument
//! gets doubles sent as plain JSON (parsed bit-exactly) and returns them as canonical EJSON,
//! subnormal doubles included. Integral values come back as integers of the same value
//! (JavaScript has one number type; the documented normalization of `engine::convert`).

mod common;

use axum::http::StatusCode;
use common::api::{Api, limits};
use serde_json::{Value, json};

/// The double a canonical EJSON number stands for.
fn value_of(v: &Value) -> f64 {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let s = text("$numberDouble")
        .or_else(|| text("$numberLong"))
        .or_else(|| text("$numberInt"))
        .unwrap_or_else(|| panic!("not a canonical EJSON number: {v}"));
    s.parse().unwrap_or_else(|_| panic!("unparsable number {s}"))
}

/// Deterministic doubles spread over every exponent (splitmix64 over the bit patterns).
fn doubles(n: usize) -> Vec<f64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let f = f64::from_bits(z ^ (z >> 31));
        if f.is_finite() && f != 0.0 {
            out.push(f);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doubles_sent_as_plain_json_come_back_exactly() {
    let api = Api::new(&[("echo", "exports = (x) => x;")], None, limits()).await;
    let token = api.anonymous().await;
    // The report's cases: a double that lost an ULP, 2^53 - 1 written as a double, subnormals.
    let mut sent = vec![
        9.480824033166015e-227,
        9007199254740991.0,
        5e-324,
        -2.2250738585072e-308,
    ];
    sent.extend(doubles(2000));
    // serde_json writes each double in its shortest exact form, as a plain JSON number.
    let body = json!({"name": "echo", "arguments": [sent]});
    let r = api.functions_call(&token, body).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let back = r.body.as_array().expect("an array");
    assert_eq!(back.len(), sent.len());
    for (s, b) in sent.iter().zip(back) {
        assert_eq!(value_of(b).to_bits(), s.to_bits(), "{s:e} came back as {b}");
    }
    assert_eq!(back[1], json!({"$numberLong": "9007199254740991"}));
    assert_eq!(
        back[2],
        json!({"$numberDouble": "5e-324"}),
        "a subnormal is canonical EJSON"
    );
}

/// realm-web sends a plain `{$timestamp: {t, i}}` with `t` and `i` wrapped as
/// `{"$numberInt": ...}` (its EJSON serializer wraps every number): the function still gets a
/// BSON Timestamp, and a malformed one is refused without the BSON library's internals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_as_realm_web_writes_them_are_timestamps() {
    let echo = "exports = (x) => ({ isTimestamp: x instanceof BSON.Timestamp, t: x.t, i: x.i, back: x });";
    let api = Api::new(&[("echoTs", echo)], None, limits()).await;
    let token = api.anonymous().await;
    let ts = json!({"$timestamp": {"t": {"$numberInt": "1700000000"}, "i": {"$numberInt": "3"}}});
    let r = api
        .functions_call(&token, json!({"name": "echoTs", "arguments": [ts]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["isTimestamp"], true);
    assert_eq!(
        r.body["back"],
        json!({"$timestamp": {"t": 1700000000u64, "i": 3}})
    );
    let bad = json!({"$timestamp": {"t": "soon"}});
    let r = api
        .functions_call(&token, json!({"name": "echoTs", "arguments": [bad]}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let message = r.body["error"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("the request body is not valid EJSON"),
        "{message}"
    );
}
