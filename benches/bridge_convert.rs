//! `bridge_convert`: the JS⇄BSON conversion every collection call pays, both directions, for a
//! 1 KB and a 100 KB document.

use bson::{Bson, Document, doc, oid::ObjectId};
use criterion::{Criterion, criterion_group, criterion_main};
use engine::{
    boa_engine::Context,
    convert::{bson_to_js, js_to_bson},
};

fn record(i: i32) -> Document {
    doc! {
        "_id": ObjectId::from_bytes([7; 12]),
        "userId": format!("user-{i:06}"),
        "email": "someone@example.com",
        "favoriteFood": "pizza",
        "favoriteColor": "purple",
        "lastUpdated": bson::DateTime::from_millis(1_700_000_000_000),
        "visits": Bson::Int64(9_007_199_254_740_993),
        "score": 12.5,
        "n": i,
        "active": true,
        "tags": ["a", "bb", "ccc", "dddd"],
        "address": { "street": "1 Main Street", "city": "Springfield", "zip": "12345" },
        "notes": "x".repeat(600),
    }
}

fn bench(c: &mut Criterion) {
    let mut ctx = Context::default();
    engine::globals::install(&mut ctx).expect("globals");
    let small = Bson::Document(record(0));
    let large =
        Bson::Document(doc! { "items": (0..100).map(|i| Bson::Document(record(i))).collect::<Vec<_>>() });
    let sizes = [("1KB", &small), ("100KB", &large)];
    let mut group = c.benchmark_group("bridge_convert");
    for (name, value) in sizes {
        let bytes = value.as_document().expect("doc").to_vec().expect("encode").len();
        eprintln!("{name}: {bytes} bytes of BSON");
        group.bench_function(format!("bson_to_js/{name}"), |b| {
            b.iter(|| bson_to_js(value, &mut ctx).expect("to js"))
        });
        let js = bson_to_js(value, &mut ctx).expect("to js");
        group.bench_function(format!("js_to_bson/{name}"), |b| {
            b.iter(|| js_to_bson(&js, &mut ctx).expect("to bson"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
