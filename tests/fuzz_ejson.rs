//! Fuzz target: random, often malformed EJSON request bodies through the client API's decoder
//! (`server::parse_body`), the canonical EJSON writer and a function that returns its argument
//! (BSON to JavaScript and back, on a worker). Nothing may panic; a body that decodes must come
//! back from the writer as the same document; the function call must answer its argument or a
//! clean engine error. 300 cases in CI; `WRIT_FUZZ_CASES=100000 cargo test --release --test
//! fuzz_ejson` for a long run.

use std::sync::Arc;

use bson::{Bson, Document};
use engine::{Engine, EngineConfig, Invocation, User};
use proptest::{prelude::*, test_runner::Config};
use serde_json::{Value, json};
use writ::server::{canonical, parse_body};

/// Strings that EJSON decoders trip over: numbers out of range, garbage, NUL, huge exponents.
fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,8}",
        "-?[0-9]{1,25}(\\.[0-9]{0,5})?([eE][-+]?[0-9]{1,5})?",
        Just("Infinity".to_string()),
        Just("-Infinity".to_string()),
        Just("NaN".to_string()),
        Just("-0".to_string()),
        Just("9223372036854775808".to_string()),
        Just("1e6145".to_string()),
        Just("a\u{0}b".to_string()),
        "[0-9a-f]{24}",
        "[0-9A-Za-z+/=]{0,12}",
        Just("2024-02-30T25:61:00Z".to_string()),
        Just("1970-01-01T00:00:00.000Z".to_string()),
    ]
}

/// A random EJSON wrapper, valid or not.
fn wrapper() -> impl Strategy<Value = Value> {
    let s = tricky;
    prop_oneof![
        s().prop_map(|v| json!({"$oid": v})),
        s().prop_map(|v| json!({"$numberLong": v})),
        s().prop_map(|v| json!({"$numberInt": v})),
        s().prop_map(|v| json!({"$numberDouble": v})),
        s().prop_map(|v| json!({"$numberDecimal": v})),
        s().prop_map(|v| json!({"$date": {"$numberLong": v}})),
        s().prop_map(|v| json!({"$date": v})),
        any::<i64>().prop_map(|v| json!({"$date": v})),
        (s(), s()).prop_map(|(b, t)| json!({"$binary": {"base64": b, "subType": t}})),
        (s(), s()).prop_map(|(p, o)| json!({"$regularExpression": {"pattern": p, "options": o}})),
        (any::<u32>(), any::<u32>()).prop_map(|(t, i)| json!({"$timestamp": {"t": t, "i": i}})),
        (any::<i64>(), any::<i64>()).prop_map(|(t, i)| json!({"$timestamp": {"t": t, "i": i}})),
        Just(json!({"$minKey": 1})),
        Just(json!({"$maxKey": 1})),
        Just(json!({"$maxKey": 2})),
        Just(json!({"$undefined": true})),
        s().prop_map(|v| json!({"$symbol": v})),
        s().prop_map(|v| json!({"$code": v})),
        s().prop_map(|v| json!({"$code": v, "$scope": {"x": 1}})),
        s().prop_map(|v| json!({"$uuid": v})),
        s().prop_map(|v| json!({"$dbPointer": {"$ref": v, "$id": {"$oid": "0123456789abcdef01234567"}}})),
        s().prop_map(|v| json!({"$oid": v, "extra": 1})),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        tricky().prop_map(Value::String),
        wrapper(),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(("[a-z$.]{0,4}|\\$[a-zA-Z]{1,12}", inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

fn bytes(doc: &Document) -> Vec<u8> {
    bson::serialize_to_vec(doc).expect("a decoded document serializes")
}

static DECODED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static ANSWERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn random_ejson_bodies_decode_or_are_refused_and_round_trip() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let engine = Engine::new(
        EngineConfig {
            workers: 1,
            ..EngineConfig::default()
        },
        Vec::new(),
        runtime.handle().clone(),
    )
    .expect("engine");
    engine.deploy(Arc::new(testkit::deployment(&[("echo", "exports = (x) => x;")])));
    let config = Config {
        cases: testkit::fuzz_cases(),
        failure_persistence: None,
        ..Config::default()
    };
    proptest!(config, |(argument in value())| {
        let body = serde_json::to_vec(&json!({"name": "echo", "arguments": [argument]})).expect("json");
        let Ok(document) = parse_body(&body) else {
            return Ok(());
        };
        DECODED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // The canonical writer and the decoder agree on every document the decoder accepts.
        let written = serde_json::to_vec(&canonical(Bson::Document(document.clone()))).expect("json");
        let again = parse_body(&written).expect("canonical EJSON decodes");
        prop_assert_eq!(bytes(&again), bytes(&document));
        // A function handed the argument gives it back, or fails with a clean engine error.
        let Ok(args) = document.get_array("arguments") else {
            return Ok(());
        };
        let call = Invocation::new("echo", args.clone(), User::normal("fuzz"));
        match runtime.block_on(engine.call(call)) {
            Ok(outcome) => {
                ANSWERED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if let Ok(result) = outcome.result {
                    let written = serde_json::to_vec(&canonical(result)).expect("json");
                    prop_assert!(serde_json::from_slice::<Value>(&written).is_ok());
                }
            }
            Err(e) => prop_assert!(!e.code().is_empty()),
        }
    });
    // How much of the input got past the decoder, for tuning the generator (`--nocapture`).
    let load = |c: &std::sync::atomic::AtomicUsize| c.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "{} cases: {} decoded, {} answered by the function",
        testkit::fuzz_cases(),
        load(&DECODED),
        load(&ANSWERED)
    );
}
