//! Fuzz target: random JavaScript values a function returns, passes to `console.log` or to
//! `EJSON.stringify` (the JS to BSON direction, and the value printer): getters that throw,
//! proxies, cycles, symbols, BigInts, sparse and huge arrays, typed arrays, invalid dates,
//! class instances and deep nesting. Each call must answer a value or a clean engine error;
//! nothing may panic or hang. 300 cases in CI; `WRIT_FUZZ_CASES=100000 cargo test --release -p
//! writ-engine --test fuzz_js` for a long run.

use std::sync::Arc;

use engine::{Engine, EngineConfig, Invocation, User};
use proptest::{prelude::*, test_runner::Config};

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("undefined".to_string()),
        Just("null".to_string()),
        Just("NaN".to_string()),
        Just("-0".to_string()),
        Just("1e308 * 10".to_string()),
        Just("2 ** 53 + 1".to_string()),
        Just("123n".to_string()),
        Just("Symbol('s')".to_string()),
        Just("new Date(NaN)".to_string()),
        Just("new Date(8.64e15 + 1)".to_string()),
        Just("/a(b)?/gimsuy".to_string()),
        Just("new Uint8Array([1, 2, 3])".to_string()),
        Just("new Float64Array(2)".to_string()),
        Just("new ArrayBuffer(3)".to_string()),
        Just("new DataView(new ArrayBuffer(2))".to_string()),
        Just("new Map([[1, 2]])".to_string()),
        Just("new Set([1])".to_string()),
        Just("new WeakMap()".to_string()),
        Just("Promise.resolve(1)".to_string()),
        Just("(() => 1)".to_string()),
        Just("class {}".to_string()),
        Just("new (class Point { constructor() { this.x = 1; } })()".to_string()),
        Just("new Error('e')".to_string()),
        Just("Object.create(null)".to_string()),
        Just("new BSON.ObjectId()".to_string()),
        Just("BSON.Long.fromNumber(5)".to_string()),
        Just("new BSON.Int32(7)".to_string()),
        Just("BSON.Decimal128.fromString('1.5')".to_string()),
        Just("new BSON.MaxKey()".to_string()),
        Just("'\\u0000\\ud800'".to_string()),
        Just("'x'.repeat(1000)".to_string()),
        Just("[,,1]".to_string()),
        Just("(() => { const a = []; a.length = 100000; return a; })()".to_string()),
        Just("(() => { const o = {}; o.self = o; return o; })()".to_string()),
        Just("({ get boom() { throw new Error('getter'); } })".to_string()),
        Just("({ toJSON() { throw new Error('toJSON'); } })".to_string()),
        Just(
            "new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { return ['a']; } })".to_string()
        ),
        Just("new Proxy([], {})".to_string()),
        Just("({ [Symbol('k')]: 1, a: 2 })".to_string()),
        Just("({ $where: 'x', 'a.b': 1, '': 2 })".to_string()),
        Just("(() => { let a = []; for (let i = 0; i < 300; i++) a = [a]; return a; })()".to_string()),
        any::<i32>().prop_map(|n| n.to_string()),
        "[a-z]{0,6}".prop_map(|s| format!("'{s}'")),
    ]
}

fn expression() -> impl Strategy<Value = String> {
    atom().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            proptest::collection::vec(("[a-z$]{1,3}", inner), 0..4).prop_map(|v| {
                let fields: Vec<String> = v.into_iter().map(|(k, e)| format!("'{k}': {e}")).collect();
                format!("({{ {} }})", fields.join(", "))
            }),
        ]
    })
}

#[test]
fn random_values_convert_or_fail_cleanly() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let engine = Engine::new(
        EngineConfig {
            workers: 1,
            time_limit: std::time::Duration::from_secs(20),
            ..EngineConfig::default()
        },
        Vec::new(),
        runtime.handle().clone(),
    )
    .expect("engine");
    let config = Config {
        cases: testkit::fuzz_cases(),
        failure_persistence: None,
        ..Config::default()
    };
    proptest!(config, |(value in expression(), how in 0usize..3)| {
        let body = match how {
            0 => format!("exports = () => ({value});"),
            1 => format!("exports = () => {{ console.log({value}); return 1; }};"),
            _ => format!("exports = () => EJSON.stringify({value});"),
        };
        engine.deploy(Arc::new(testkit::deployment(&[("f", body.as_str())])));
        let call = Invocation::new("f", vec![], User::normal("fuzz"));
        match runtime.block_on(engine.call(call)) {
            Ok(_) => {}
            Err(e) => prop_assert!(!e.code().is_empty() && e.code() != "InternalServerError", "{body}: {e}"),
        }
    });
}
