//! Differential test: random filters and updates over a small document space give the same
//! results on the embedded store as on MongoDB (the wire test server, or `MONGODB_URI`):
//! finds, sorts (find and aggregation `$sort`), updates and replacements.
//!
//! The generator stays inside what the wire test server gets right; where it differs from
//! MongoDB (ordering comparisons across types, `$lte: null`, `$all: [null]`, the modified count
//! of no-op updates, the type of `$inc` on an Int64) the store follows MongoDB and `crates/store/tests/semantics.rs` says so.

use std::sync::Arc;

use bridge::{DriverExecutor, Executor, Ns, Op, Request, StoreExecutor, Update, WriteModel};
use bson::{Bson, Document, doc};
use proptest::{prelude::*, test_runner::TestCaseError};

fn scalar() -> impl Strategy<Value = Bson> {
    prop_oneof![
        (-3i32..4).prop_map(Bson::Int32),
        (-3i64..4).prop_map(Bson::Int64),
        prop_oneof![Just(1.5f64), Just(-0.5), Just(2.0)].prop_map(Bson::Double),
        prop_oneof![Just("a"), Just("b"), Just("ab")].prop_map(|s| Bson::String(s.into())),
        Just(Bson::Null),
        any::<bool>().prop_map(Bson::Boolean),
    ]
}

fn non_null() -> impl Strategy<Value = Bson> {
    scalar().prop_filter("not null", |v| !matches!(v, Bson::Null))
}

fn value() -> impl Strategy<Value = Bson> {
    prop_oneof![
        4 => scalar(),
        1 => proptest::collection::vec(scalar(), 0..4).prop_map(Bson::Array),
        1 => (scalar(), scalar()).prop_map(|(x, y)| Bson::Document(doc! { "x": x, "y": y })),
        1 => proptest::collection::vec((scalar(), scalar()).prop_map(|(x, y)| Bson::Document(doc! { "x": x, "y": y })), 1..3).prop_map(Bson::Array),
    ]
}

fn number() -> impl Strategy<Value = Bson> {
    prop_oneof![
        4 => (-3i32..4).prop_map(Bson::Int32),
        4 => (-3i64..4).prop_map(Bson::Int64),
        2 => Just(Bson::Double(1.5)),
        // Where comparing through f64 goes wrong: 2^53 as a double, 2^53 + 1 as a long (not
        // representable as a double), the extremes, and -0.
        1 => prop_oneof![
            Just(Bson::Double(9_007_199_254_740_992.0)),
            Just(Bson::Int64(9_007_199_254_740_993)),
            Just(Bson::Int64(9_007_199_254_740_992)),
            Just(Bson::Int64(i64::MAX)),
            Just(Bson::Int64(i64::MIN)),
            Just(Bson::Double(9.223_372_036_854_776e18)),
            Just(Bson::Int32(i32::MIN)),
            Just(Bson::Double(-0.0)),
        ],
    ]
}

fn document(id: i32) -> impl Strategy<Value = Document> {
    let numbers = prop_oneof![
        Just(None),
        number().prop_map(Some),
        proptest::collection::vec(number(), 0..3).prop_map(|v| Some(Bson::Array(v))),
    ];
    (
        proptest::collection::vec((prop_oneof![Just("a"), Just("b"), Just("c")], value()), 0..4),
        numbers,
    )
        .prop_map(move |(fields, n)| {
            let mut d = doc! { "_id": id };
            for (k, v) in fields {
                d.insert(k, v);
            }
            if let Some(n) = n {
                d.insert("n", n);
            }
            d
        })
}

fn field() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("a"), Just("b"), Just("a.x"), Just("c.y")]
}

fn condition() -> impl Strategy<Value = Bson> {
    prop_oneof![
        scalar(),
        scalar().prop_map(|v| Bson::Document(doc! { "$eq": v })),
        scalar().prop_map(|v| Bson::Document(doc! { "$ne": v })),
        proptest::collection::vec(scalar(), 1..3).prop_map(|v| Bson::Document(doc! { "$in": v })),
        proptest::collection::vec(scalar(), 1..3).prop_map(|v| Bson::Document(doc! { "$nin": v })),
        any::<bool>().prop_map(|b| Bson::Document(doc! { "$exists": b })),
        (0i32..3).prop_map(|n| Bson::Document(doc! { "$size": n })),
        proptest::collection::vec(non_null(), 1..3).prop_map(|v| Bson::Document(doc! { "$all": v })),
        prop_oneof![
            Just("number"),
            Just("string"),
            Just("array"),
            Just("null"),
            Just("object")
        ]
        .prop_map(|t| Bson::Document(doc! { "$type": t })),
    ]
}

/// Ordering comparisons, on the numeric field `n` only: the wire test server compares across
/// types where MongoDB only compares within a type ({a: {$gt: 0}} must not match a: false).
fn numeric_condition() -> impl Strategy<Value = Bson> {
    prop_oneof![
        number().prop_map(|v| Bson::Document(doc! { "$gt": v })),
        number().prop_map(|v| Bson::Document(doc! { "$lte": v })),
        number().prop_map(|v| Bson::Document(doc! { "$elemMatch": { "$gte": v } })),
        number().prop_map(|v| Bson::Document(doc! { "$not": { "$gt": v } })),
        (number(), number()).prop_map(|(a, b)| Bson::Document(doc! { "$gte": a, "$lt": b })),
    ]
}

fn leaf() -> impl Strategy<Value = Document> {
    prop_oneof![
        3 => (field(), condition()).prop_map(|(f, c)| doc! { f: c }),
        2 => numeric_condition().prop_map(|c| doc! { "n": c }),
    ]
}

fn filter() -> impl Strategy<Value = Document> {
    prop_oneof![
        3 => leaf(),
        1 => proptest::collection::vec(leaf(), 1..3).prop_map(|v| doc! { "$or": v }),
        1 => (leaf(), leaf()).prop_map(|(a, b)| doc! { "$and": [a, b] }),
    ]
}

fn update() -> impl Strategy<Value = Document> {
    let f = || prop_oneof![Just("a"), Just("b"), Just("n.m")];
    prop_oneof![
        (f(), value()).prop_map(|(f, v)| doc! { "$set": { f: v } }),
        // Setting past the end of an array pads it with nulls (or fails where the path
        // crosses a scalar) the same way on both. Not a null value: the wire test server
        // drops `$set: {"n.0": null}` on an empty array, where MongoDB stores `[null]`.
        (prop_oneof![Just("n.3"), Just("a.2"), Just("n.0")], non_null())
            .prop_map(|(f, v)| doc! { "$set": { f: v } }),
        // $inc on a fresh field only: the wire test server narrows Int64 + Int32 to Int32.
        (-2i32..3).prop_map(|v| doc! { "$inc": { "n.m": v } }),
        f().prop_map(|f| doc! { "$unset": { f: "" } }),
        (f(), scalar()).prop_map(|(f, v)| doc! { "$min": { f: v } }),
        (f(), scalar()).prop_map(|(f, v)| doc! { "$max": { f: v } }),
        (f(), scalar()).prop_map(|(f, v)| doc! { "$push": { f: v } }),
        (f(), scalar()).prop_map(|(f, v)| doc! { "$addToSet": { f: v } }),
        (f(), scalar()).prop_map(|(f, v)| doc! { "$pull": { f: v } }),
    ]
}

struct Backends {
    runtime: tokio::runtime::Runtime,
    mongo: DriverExecutor,
    store: StoreExecutor,
    _dir: tempfile::TempDir,
}

fn backends() -> &'static Backends {
    static B: std::sync::OnceLock<Backends> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("rt");
        let mongo = runtime
            .block_on(DriverExecutor::connect(&testkit::mongodb_uri()))
            .expect("connect");
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StoreExecutor::new(Arc::new(store::Store::open(dir.path()).expect("store")));
        Backends {
            runtime,
            mongo,
            store,
            _dir: dir,
        }
    })
}

fn run(e: &dyn Executor, op: Op) -> Result<Bson, String> {
    backends()
        .runtime
        .block_on(e.execute(Request {
            op,
            session: None,
            deadline: None,
            validation: None,
        }))
        .map(bridge::Outcome::into_bson)
        .map_err(|e| e.code.map(|c| c.to_string()).unwrap_or(e.message))
}

/// Runs `op` on both backends; results must agree (errors agree when both fail).
fn both(op: Op) -> (Result<Bson, String>, Result<Bson, String>) {
    let b = backends();
    (run(&b.mongo, op.clone()), run(&b.store, op))
}

static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn case(
    docs: (Document, Document, Document, Document),
    f: Document,
    u: Document,
    many: bool,
    replacement: Document,
) -> Result<(), TestCaseError> {
    let n = CASE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let ns = Ns {
        db: "differential".into(),
        coll: format!("c{}_{n}", std::process::id()),
    };
    let documents = vec![docs.0, docs.1, docs.2, docs.3];
    let (a, b) = both(Op::InsertMany {
        ns: ns.clone(),
        documents,
        ordered: true,
    });
    prop_assert!(a.is_ok() && b.is_ok(), "insert: {:?} / {:?}", a, b);
    let find = Op::Find {
        ns: ns.clone(),
        filter: f.clone(),
        projection: None,
        sort: Some(doc! { "_id": 1 }),
        skip: None,
        limit: None,
    };
    let (a, b) = both(find);
    prop_assert_eq!(a.is_ok(), b.is_ok(), "find {}: {:?} / {:?}", f, a, b);
    if a.is_ok() {
        prop_assert_eq!(&a, &b, "find {}", f);
    }
    // The documents whose `n` is a number (not an array), ordered by it: exact across Int32,
    // Int64 and Double.
    let sorted = Op::Find {
        ns: ns.clone(),
        filter: doc! { "$and": [{ "n": { "$type": "number" } }, { "n": { "$not": { "$type": "array" } } }] },
        projection: Some(doc! { "n": 1 }),
        sort: Some(doc! { "n": 1, "_id": 1 }),
        skip: None,
        limit: None,
    };
    let (a, b) = both(sorted);
    prop_assert_eq!(&a, &b, "sorted by n");
    // The documents ordered by `b`, whatever its type: MongoDB's cross-type order (missing and
    // null, numbers, strings, objects, arrays by their smallest element, booleans). Empty arrays
    // are left out: MongoDB sorts them below null (so does the store, `semantics.rs`), the wire
    // test server above everything.
    let mixed = Op::Find {
        ns: ns.clone(),
        filter: doc! { "b": { "$not": { "$size": 0 } } },
        projection: Some(doc! { "b": 1 }),
        sort: Some(doc! { "b": 1, "_id": 1 }),
        skip: None,
        limit: None,
    };
    let (a, b) = both(mixed);
    prop_assert_eq!(&a, &b, "sorted by b");
    // The store's aggregation `$sort` orders as find's sort does (MongoDB's, above). The wire
    // test server's `$sort` stage does not (it orders an array by the whole array, not by its
    // smallest element), so its aggregation is not the reference here.
    let pipeline = vec![
        doc! { "$match": { "b": { "$not": { "$size": 0 } } } },
        doc! { "$project": { "b": 1 } },
        doc! { "$sort": { "b": 1, "_id": 1 } },
    ];
    let sorted = run(
        &backends().store,
        Op::Aggregate {
            ns: ns.clone(),
            pipeline,
        },
    );
    prop_assert_eq!(&sorted, &a, "aggregate $sort against find's sort");
    let (a, b) = both(Op::Update {
        ns: ns.clone(),
        filter: f.clone(),
        update: Update::Document(u.clone()),
        upsert: false,
        array_filters: None,
        many,
    });
    prop_assert_eq!(a.is_ok(), b.is_ok(), "update {} with {}: {:?} / {:?}", f, u, a, b);
    if let (Ok(Bson::Document(mut x)), Ok(Bson::Document(mut y))) = (a, b) {
        // The wire test server counts no-op updates ($pull removing nothing, $inc by 0) as
        // modifications; MongoDB does not. The conformance suite checks modifiedCount; here
        // the documents themselves are compared below.
        x.remove("modifiedCount");
        y.remove("modifiedCount");
        prop_assert_eq!(x, y, "update {} with {}", f, u);
    }
    // A replacement (what `replaceOne`, and `updateOne` without operators, run) of one
    // document by `_id`: after an update, which documents `f` matches first can differ on the
    // wire test server for reasons this test does not cover (it moves updated documents to the
    // end of natural order, and its cross-type comparisons), so the filter names the document.
    let target = (replacement.len() % 4) as i32 + 1;
    let (a, b) = both(Op::BulkWrite {
        ns: ns.clone(),
        models: vec![WriteModel::ReplaceOne {
            filter: doc! { "_id": target },
            replacement: replacement.clone(),
            upsert: false,
        }],
        ordered: true,
    });
    prop_assert_eq!(&a, &b, "replace {} with {}", target, replacement);
    let all = Op::Find {
        ns,
        filter: Document::new(),
        projection: None,
        sort: Some(doc! { "_id": 1 }),
        skip: None,
        limit: None,
    };
    let (a, b) = both(all);
    prop_assert_eq!(
        &a,
        &b,
        "documents after update {} with {} and replacement {}",
        f,
        u,
        replacement
    );
    Ok(())
}

#[test]
fn store_matches_mongodb() {
    // Deep strategies need more stack than a test thread has in debug builds; a fixed seed keeps
    // CI deterministic (each run checks the same 300 cases; `WRIT_DIFF_SEED=N` explores others).
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let config = ProptestConfig {
                cases: 300,
                failure_persistence: None,
                ..ProptestConfig::default()
            };
            let rng = proptest::test_runner::TestRng::from_seed(
                proptest::test_runner::RngAlgorithm::ChaCha,
                &[std::env::var("WRIT_DIFF_SEED")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(7u8); 32],
            );
            let mut runner = proptest::test_runner::TestRunner::new_with_rng(config, rng);
            let strategy = (
                (document(1), document(2), document(3), document(4)),
                filter(),
                update(),
                any::<bool>(),
                // Not empty: the wire test server refuses an empty replacement (MongoDB does not).
                document(0)
                    .prop_map(|mut d| {
                        d.remove("_id");
                        d
                    })
                    .prop_filter("a field", |d| !d.is_empty()),
            );
            if let Err(e) = runner.run(&strategy, |(docs, f, u, many, r)| case(docs, f, u, many, r)) {
                panic!("{e}");
            }
        })
        .expect("thread")
        .join()
        .expect("the differential test failed");
}

/// What App Services bounded, both backends bound alike: an operation past its call's
/// deadline fails with `MaxTimeMSExpired` (on MongoDB the driver stops waiting there, and reads
/// carry the time left as `maxTimeMS`); and a query returns at most 50,000 documents (checked
/// on the store: the wire test server takes longer than its own monitor waits to produce that
/// many, and the driver path stops its cursor with the same constant).
#[test]
fn queries_stop_at_the_deadline_and_at_50000_documents() {
    let ns = Ns::new("differential", "limits").expect("ns");
    let b = backends();
    let request = |op: Op, deadline: Option<std::time::Instant>| Request {
        op,
        session: None,
        deadline,
        validation: None,
    };
    // One document whose array unwinds into 50,010.
    let wide = doc! {"_id": 1, "r": (0..50_010).collect::<Vec<i32>>()};
    let unwind = || Op::Aggregate {
        ns: ns.clone(),
        pipeline: vec![doc! {"$unwind": "$r"}],
    };
    for e in [&b.mongo as &dyn Executor, &b.store] {
        let clear = Op::Delete {
            ns: ns.clone(),
            filter: doc! {},
            many: true,
        };
        b.runtime
            .block_on(e.execute(request(clear, None)))
            .expect("delete");
        let insert = Op::InsertOne {
            ns: ns.clone(),
            document: wide.clone(),
        };
        b.runtime
            .block_on(e.execute(request(insert, None)))
            .expect("insert");
        let late = Some(std::time::Instant::now());
        let e = b
            .runtime
            .block_on(e.execute(request(unwind(), late)))
            .expect_err("past the deadline");
        assert_eq!(
            (e.code, e.code_name.as_deref()),
            (Some(50), Some("MaxTimeMSExpired")),
            "{e:?}"
        );
    }
    match b
        .runtime
        .block_on(b.store.execute(request(unwind(), None)))
        .expect("unwind")
        .into_bson()
    {
        Bson::Array(a) => assert_eq!(a.len(), bridge::MAX_RESULT_DOCUMENTS),
        other => panic!("not documents: {other}"),
    }
}

#[test]
fn reads_past_the_inline_bound_agree_with_mongodb() {
    // The embedded store answers small plain reads on the async thread within a bound (256
    // ticks, 16 KiB) and starts the others again on the blocking pool:
    // reads on either side of the bound must give what MongoDB gives.
    let ns = Ns::new("differential", "inline_bound").expect("ns");
    let mut docs: Vec<Document> = (0..300)
        .map(|i| doc! {"_id": i, "k": i % 7, "s": format!("v{i}")})
        .collect();
    docs.push(doc! {"_id": "big", "k": 3, "s": "x".repeat(300 * 1024)});
    let (a, b) = both(Op::Delete {
        ns: ns.clone(),
        filter: doc! {},
        many: true,
    });
    assert!(a.is_ok() && b.is_ok(), "{a:?} / {b:?}");
    let (a, b) = both(Op::InsertMany {
        ns: ns.clone(),
        documents: docs,
        ordered: true,
    });
    assert!(a.is_ok() && b.is_ok(), "{a:?} / {b:?}");
    let find = |filter: Document, projection: Option<Document>, limit: Option<i64>| Op::Find {
        ns: ns.clone(),
        filter,
        projection,
        sort: Some(doc! {"_id": 1}),
        skip: None,
        limit,
    };
    let short = Some(doc! {"s": 0});
    let ops = [
        // Every document: past the bound in documents and in bytes.
        find(doc! {}, short.clone(), None),
        // A seventh of them by an unindexed field, one of them past the bound in bytes.
        find(doc! {"k": 3}, short.clone(), None),
        find(doc! {"k": {"$in": [1, 2]}, "_id": {"$gte": 200}}, None, Some(5)),
        // Within the bound.
        find(doc! {"_id": 42}, None, None),
        find(doc! {"_id": {"$in": [1, 2, 3]}}, None, None),
        // The big document alone, past the bound in bytes.
        find(doc! {"_id": "big"}, short, None),
        Op::Count {
            ns: ns.clone(),
            filter: doc! {"k": {"$gte": 4}},
            skip: None,
            limit: None,
        },
        Op::FindOne {
            ns: ns.clone(),
            filter: doc! {"s": "v299"},
            projection: None,
            sort: None,
        },
    ];
    for op in ops {
        let (a, b) = both(op.clone());
        assert!(a.is_ok(), "{op:?}: {a:?}");
        assert_eq!(a, b, "{op:?}");
    }
}
