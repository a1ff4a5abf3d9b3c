//! Fuzzing the store on the stable toolchain: random, hostile documents, filters, updates and
//! pipelines (extreme numbers, NaN, deep nesting, odd paths and names, unknown operators, wrong
//! argument shapes) must each give a result or a clean error: never a panic, never a stored
//! document over MongoDB's limits. Everything runs inside one transaction that is aborted,
//! so a panic surfaces here (the writer thread would turn it into an error) and no case pays
//! for a sync.
//!
//! CI runs a bounded number of cases; a longer run is one command:
//! `WRIT_FUZZ_CASES=200000 cargo test --release -p writ-store --test fuzz`.

use bson::{Bson, Decimal128, Document, doc};
use proptest::prelude::*;
use store::{Change, Data as _, FindOptions, MAX_DOCUMENT_BYTES, Modify, Ns, Store};

fn extreme() -> impl Strategy<Value = Bson> {
    prop_oneof![
        prop_oneof![
            Just(i32::MIN),
            Just(i32::MAX),
            Just(0),
            Just(-1),
            Just(1),
            Just(2)
        ]
        .prop_map(Bson::Int32),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(-1_i64), Just(1_500_001)].prop_map(Bson::Int64),
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
            Just(5e-324),
            Just(1e308),
            Just(0.5),
            Just(9_223_372_036_854_775_808.0)
        ]
        .prop_map(Bson::Double),
        prop_oneof![Just("NaN"), Just("1E+6144"), Just("-0"), Just("0.1")]
            .prop_map(|s| Bson::Decimal128(s.parse::<Decimal128>().expect("decimal"))),
        prop_oneof![
            Just(""),
            Just("$"),
            Just("$a"),
            Just("a.b"),
            Just("\0"),
            Just("a"),
            Just("^(a+)+$")
        ]
        .prop_map(|s| Bson::String(s.into())),
        Just(Bson::Null),
        any::<bool>().prop_map(Bson::Boolean),
        Just(Bson::MinKey),
        Just(Bson::DateTime(bson::DateTime::MAX)),
    ]
}

fn value() -> impl Strategy<Value = Bson> {
    extreme().prop_recursive(6, 40, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Bson::Array),
            proptest::collection::vec((key(), inner), 0..3)
                .prop_map(|kv| Bson::Document(kv.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a"),
        Just("b"),
        Just("a.b"),
        Just("a.0"),
        Just("a.$"),
        Just("a.$[]"),
        Just("a.$[e]"),
        Just("a.1500001"),
        Just("a.400000000"),
        Just("_id"),
        Just(""),
        Just("a..b"),
        Just("$x"),
        Just("a.-1")
    ]
    .prop_map(str::to_string)
}

const QUERY_OPS: [&str; 20] = [
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$type",
    "$size",
    "$all",
    "$elemMatch",
    "$mod",
    "$regex",
    "$not",
    "$and",
    "$or",
    "$nor",
    "$bogus",
];
const UPDATE_OPS: [&str; 15] = [
    "$set",
    "$unset",
    "$inc",
    "$mul",
    "$min",
    "$max",
    "$push",
    "$addToSet",
    "$pull",
    "$pullAll",
    "$pop",
    "$rename",
    "$currentDate",
    "$setOnInsert",
    "$bogus",
];
const EXPR_OPS: [&str; 22] = [
    "$add",
    "$subtract",
    "$multiply",
    "$divide",
    "$mod",
    "$eq",
    "$cmp",
    "$cond",
    "$ifNull",
    "$concat",
    "$toUpper",
    "$toString",
    "$size",
    "$arrayElemAt",
    "$first",
    "$in",
    "$sum",
    "$avg",
    "$min",
    "$max",
    "$literal",
    "$bogus",
];
const STAGES: [&str; 13] = [
    "$match",
    "$project",
    "$addFields",
    "$set",
    "$unset",
    "$group",
    "$sort",
    "$skip",
    "$limit",
    "$count",
    "$unwind",
    "$replaceRoot",
    "$bogus",
];

fn one_of(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(names).prop_map(str::to_string)
}

/// An argument: a value, a field path, or a list of either.
fn argument() -> impl Strategy<Value = Bson> {
    let single = prop_oneof![
        3 => value(),
        1 => prop_oneof![Just("$a"), Just("$b"), Just("$a.b"), Just("$$ROOT")].prop_map(|s| Bson::String(s.into())),
    ];
    prop_oneof![
        2 => single.clone(),
        2 => proptest::collection::vec(single, 0..4).prop_map(Bson::Array),
    ]
}

fn expression() -> impl Strategy<Value = Bson> {
    (one_of(&EXPR_OPS), argument()).prop_map(|(op, arg)| Bson::Document(doc! {op: arg}))
}

fn filter() -> impl Strategy<Value = Document> {
    let condition = prop_oneof![
        2 => value(),
        3 => (one_of(&QUERY_OPS), argument()).prop_map(|(op, arg)| Bson::Document(doc! {op: arg})),
    ];
    proptest::collection::vec((key(), condition), 0..3).prop_map(|kv| kv.into_iter().collect())
}

fn update() -> impl Strategy<Value = Document> {
    proptest::collection::vec((one_of(&UPDATE_OPS), key(), argument()), 1..3).prop_map(|ops| {
        let mut u = Document::new();
        for (op, path, arg) in ops {
            u.insert(op, doc! {path: arg});
        }
        u
    })
}

fn pipeline() -> impl Strategy<Value = Vec<Document>> {
    let spec = prop_oneof![
        2 => argument(),
        2 => (key(), expression()).prop_map(|(k, e)| Bson::Document(doc! {k: e})),
        1 => (argument(), one_of(&EXPR_OPS), argument())
            .prop_map(|(id, acc, arg)| Bson::Document(doc! {"_id": id, "x": {acc: arg}})),
    ];
    proptest::collection::vec((one_of(&STAGES), spec), 0..4)
        .prop_map(|stages| stages.into_iter().map(|(s, spec)| doc! {s: spec}).collect())
}

fn store() -> &'static (tempfile::TempDir, Store) {
    static STORE: std::sync::OnceLock<(tempfile::TempDir, Store)> = std::sync::OnceLock::new();
    STORE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        (dir, store)
    })
}

fn within_limits(docs: &[Document]) -> Result<(), TestCaseError> {
    for d in docs {
        let size = d.to_vec().map(|b| b.len()).unwrap_or(0);
        prop_assert!(size <= MAX_DOCUMENT_BYTES, "a stored document has {size} bytes");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: testkit::fuzz_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_requests_give_results_or_errors_never_panics(
        docs in proptest::collection::vec(proptest::collection::vec((key(), value()), 0..4), 1..4),
        f in filter(),
        u in update(),
        array_filters in proptest::collection::vec(filter(), 0..2),
        replacement in proptest::collection::vec((key(), value()), 0..3),
        stages in pipeline(),
        sort in proptest::collection::vec((key(), value()), 0..2),
        upsert in any::<bool>(),
    ) {
        let ns = Ns::new("fuzz", "c").expect("ns");
        let transaction = store().1.begin().expect("transaction");
        let txn = transaction.writes();
        let docs: Vec<Document> = docs.into_iter().map(|kv| kv.into_iter().collect()).collect();
        let _ = txn.insert(&ns, docs, false);
        let options = FindOptions {
            sort: Some(sort.into_iter().collect()),
            ..FindOptions::default()
        };
        let _ = txn.find(&ns, &f, &options);
        let _ = txn.count(&ns, &f, 0, 0);
        let _ = txn.distinct(&ns, "a", &f);
        let _ = txn.update(&ns, &f, &Change::Operators(u.clone(), array_filters), upsert, true);
        let _ = txn.update(&ns, &f, &Change::Replace(replacement.into_iter().collect()), upsert, false);
        let modify = Modify::Change { change: Change::Operators(u, vec![]), upsert, return_new: true };
        let _ = txn.find_and_modify(&ns, &f, None, None, &modify);
        let _ = txn.aggregate(&ns, &stages);
        let _ = txn.delete(&ns, &f, false);
        let stored = txn.find(&ns, &doc! {}, &FindOptions::default()).unwrap_or_default();
        within_limits(&stored)?;
        transaction.abort().expect("abort");
        progress();
    }
}

/// Every 100,000 cases, a line on stderr (seen with `--nocapture`): a long run that is stopped
/// from outside still says how far it got.
fn progress() {
    static DONE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = DONE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    if n.is_multiple_of(100_000) {
        eprintln!("{n} cases");
    }
}
