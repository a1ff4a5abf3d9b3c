//! `store_ops`: the embedded store's basic operations, writes durable (fsync'd) before they
//! return: upsert by `_id` from one writer and from 16 concurrent writers (group commit),
//! findOne by `_id` and by a unique secondary index, an unindexed find over 10k documents and a `$group` over 10k documents.

use bson::{Bson, doc};
use criterion::{Criterion, criterion_group, criterion_main};
use store::{Change, Data as _, FindOptions, Ns, Store};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let ns = Ns {
        db: "bench".into(),
        coll: "users".into(),
    };
    let docs: Vec<_> = (0..10_000)
        .map(|i| doc! { "_id": i, "userId": format!("user-{i}"), "group": i % 10, "score": i as f64 * 0.5, "tags": ["a", "b"] })
        .collect();
    assert!(store.insert(&ns, docs, true).1.is_none());

    store.create_index(&ns, "userId", true).expect("index");

    let mut group = c.benchmark_group("store_ops");
    let mut n = 0i32;
    group.bench_function("upsert_by_id", |b| {
        b.iter(|| {
            n = (n + 1) % 10_000;
            let change = Change::Operators(doc! { "$set": { "favoriteFood": "pizza", "n": n } }, vec![]);
            store
                .update(&ns, &doc! { "_id": n }, &change, true, false)
                .expect("upsert")
        })
    });
    // The same upserts from 16 concurrent writers: group commit shares each fsync; the time
    // reported is per upsert (total time / upserts).
    group.bench_function("upsert_by_id_16_writers", |b| {
        b.iter_custom(|iters| {
            let per_writer = iters.div_ceil(16).max(1);
            let start = std::time::Instant::now();
            std::thread::scope(|scope| {
                for w in 0..16i32 {
                    let (store, ns) = (&store, &ns);
                    scope.spawn(move || {
                        for i in 0..per_writer {
                            let id = (w * 600 + (i % 600) as i32) % 10_000;
                            let change =
                                Change::Operators(doc! { "$set": { "w": w, "i": i as i64 } }, vec![]);
                            store
                                .update(ns, &doc! { "_id": id }, &change, true, false)
                                .expect("upsert");
                        }
                    });
                }
            });
            start.elapsed().mul_f64(iters as f64 / (per_writer * 16) as f64)
        })
    });
    group.bench_function("find_one_by_id", |b| {
        let options = FindOptions {
            limit: 1,
            ..FindOptions::default()
        };
        b.iter(|| store.find(&ns, &doc! { "_id": 4242 }, &options).expect("find"))
    });
    group.bench_function("find_one_by_unique_index", |b| {
        b.iter(|| {
            store
                .find(&ns, &doc! { "userId": "user-9999" }, &FindOptions::default())
                .expect("find")
        })
    });
    group.bench_function("find_unindexed_10k", |b| {
        b.iter(|| {
            store
                .find(&ns, &doc! { "score": 4999.5 }, &FindOptions::default())
                .expect("find")
        })
    });
    group.bench_function("group_10k", |b| {
        let pipeline =
            [doc! { "$group": { "_id": "$group", "total": { "$sum": "$score" }, "n": { "$sum": 1 } } }];
        b.iter(|| {
            let out = store.aggregate(&ns, &pipeline).expect("aggregate");
            assert_eq!(out.len(), 10);
            out
        })
    });
    group.finish();
    let _ = Bson::Null;
}

criterion_group!(benches, bench);
criterion_main!(benches);
