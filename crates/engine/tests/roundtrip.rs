//! Property test: any BSON value a function receives and returns unchanged comes back exactly.
//!
//! The one documented normalization (an integral Double comes back as Int32/Int64, because JS
//! has one number type) is covered by its own test; the generator makes non-integral doubles.

use std::sync::Arc;

use bson::{Binary, Bson, Decimal128, Document, Regex, Timestamp, oid::ObjectId, spec::BinarySubtype};
use engine::{Engine, EngineConfig, Invocation, User};
use proptest::prelude::*;

fn leaf() -> impl Strategy<Value = Bson> {
    prop_oneof![
        (-1e12f64..1e12)
            .prop_filter("non-integral", |d| d.fract() != 0.0)
            .prop_map(Bson::Double),
        ".{0,12}".prop_map(Bson::String),
        any::<bool>().prop_map(Bson::Boolean),
        Just(Bson::Null),
        any::<i32>().prop_map(Bson::Int32),
        any::<i64>().prop_map(Bson::Int64),
        any::<[u8; 12]>().prop_map(|b| Bson::ObjectId(ObjectId::from_bytes(b))),
        (-8_640_000_000_000_000i64..8_640_000_000_000_000)
            .prop_map(|ms| Bson::DateTime(bson::DateTime::from_millis(ms))),
        any::<[u8; 16]>().prop_map(|b| Bson::Decimal128(Decimal128::from_bytes(b))),
        (
            prop_oneof![Just(0u8), Just(4u8), Just(0x80u8)],
            proptest::collection::vec(any::<u8>(), 0..20)
        )
            .prop_map(|(s, bytes)| Bson::Binary(Binary {
                subtype: BinarySubtype::from(s),
                bytes
            })),
        (
            "[a-z.*+^$/]{1,8}",
            proptest::sample::subsequence(vec!['i', 'l', 'm', 's', 'u', 'x'], 0..4)
        )
            .prop_map(|(p, o)| {
                Bson::RegularExpression(Regex {
                    pattern: p.try_into().expect("no NUL"),
                    options: o.into_iter().collect::<String>().try_into().expect("no NUL"),
                })
            }),
        (any::<u32>(), any::<u32>())
            .prop_map(|(time, increment)| Bson::Timestamp(Timestamp { time, increment })),
        Just(Bson::MinKey),
        Just(Bson::MaxKey),
    ]
}

fn value() -> impl Strategy<Value = Bson> {
    leaf().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Bson::Array),
            proptest::collection::vec(("[a-zA-Z_$][a-zA-Z0-9_]{0,6}", inner), 0..6)
                .prop_map(|kv| Bson::Document(kv.into_iter().collect::<Document>())),
        ]
    })
}

struct Echo {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
}

impl Echo {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("rt");
        let engine = Engine::new(
            EngineConfig {
                workers: 1,
                ..EngineConfig::default()
            },
            Vec::new(),
            runtime.handle().clone(),
        )
        .expect("engine");
        let d = testkit::deployment(&[("echo", "exports = (x) => x;")]);
        engine.deploy(Arc::new(d));
        Self { runtime, engine }
    }

    fn echo(&self, v: Bson) -> Bson {
        let outcome = self
            .runtime
            .block_on(self.engine.call(Invocation::new("echo", vec![v], User::system())))
            .expect("call");
        outcome.result.expect("no exception")
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn bson_survives_a_trip_through_javascript(v in value()) {
        thread_local!(static ECHO: Echo = Echo::new());
        let back = ECHO.with(|e| e.echo(v.clone()));
        prop_assert_eq!(back, v);
    }
}

#[test]
fn integral_doubles_come_back_as_integers_and_big_int64_survives() {
    let e = Echo::new();
    assert_eq!(e.echo(Bson::Double(5.0)), Bson::Int32(5));
    assert_eq!(e.echo(Bson::Double(-0.0)), Bson::Double(-0.0));
    assert_eq!(e.echo(Bson::Int64(i64::MAX)), Bson::Int64(i64::MAX));
    assert_eq!(
        e.echo(Bson::Int64(9_007_199_254_740_993)),
        Bson::Int64(9_007_199_254_740_993)
    );
}
