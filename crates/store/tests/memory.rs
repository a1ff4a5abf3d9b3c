//! What one operation may hold in memory: each stage at most its limit (100 MiB by default,
//! MongoDB's without `allowDiskUse`; 1 MiB here, so the tests stay small), so no request,
//! however large the data it reaches, can take the server's memory; and the work that needs
//! no documents held (counts, limits without a sort, writes to many documents) holds none.

mod common;

use bson::{Bson, doc};
use common::{ns, store_with};
use store::{Change, Data as _, FindOptions, StoreError};

const LIMIT: u64 = 1024 * 1024;

fn over_memory<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    let e = r.expect_err("past the stage's memory");
    assert_eq!(
        (e.code(), e.code_name()),
        (292, "QueryExceededMemoryLimitNoDiskUseAllowed"),
        "{e}"
    );
    assert!(e.to_string().contains(&format!("{LIMIT} bytes")), "{e}");
}

fn op<T>(f: impl FnOnce() -> T) -> T {
    store::budget::within_memory(None, LIMIT, f)
}

#[test]
fn a_read_holds_at_most_one_stage_of_documents_and_writes_stream() {
    // 120 documents of 10 KiB: 1.2 MiB.
    let (_d, s) = store_with(
        (0..120)
            .map(|i| doc! {"_id": i, "i": i, "s": "x".repeat(10 * 1024)})
            .collect(),
    );
    let all = FindOptions::default();
    over_memory(op(|| s.find(&ns(), &doc! {}, &all)));
    let sorted = FindOptions {
        sort: Some(doc! {"i": -1}),
        limit: 3,
        ..Default::default()
    };
    over_memory(op(|| s.find(&ns(), &doc! {}, &sorted)));
    over_memory(op(|| {
        s.aggregate(&ns(), &[doc! {"$group": {"_id": null, "all": {"$push": "$s"}}}])
    }));
    // What needs few documents held still works on the same collection.
    let five = FindOptions {
        limit: 5,
        skip: 110,
        ..Default::default()
    };
    let found = op(|| s.find(&ns(), &doc! {}, &five)).expect("a limit without a sort stops early");
    let ids: Vec<&Bson> = found.iter().filter_map(|d| d.get("_id")).collect();
    let want = [110, 111, 112, 113, 114].map(Bson::Int32);
    assert_eq!(ids, want.iter().collect::<Vec<_>>());
    assert_eq!(op(|| s.count(&ns(), &doc! {}, 0, 0)), Ok(120));
    assert_eq!(op(|| s.distinct(&ns(), "i", &doc! {})).map(|v| v.len()), Ok(120));
    let half = [doc! {"$match": {"i": {"$lt": 60}}}, doc! {"$project": {"i": 1}}];
    assert_eq!(op(|| s.aggregate(&ns(), &half)).map(|d| d.len()), Ok(60));
    let change = Change::Operators(doc! {"$set": {"x": 1}}, vec![]);
    let updated = op(|| s.update(&ns(), &doc! {}, &change, false, true)).expect("updateMany");
    assert_eq!((updated.matched, updated.modified), (120, 120));
    assert_eq!(op(|| s.count(&ns(), &doc! {"x": 1}, 0, 0)), Ok(120));
    assert_eq!(op(|| s.delete(&ns(), &doc! {"i": {"$gte": 10}}, true)), Ok(110));
    // The server's own work (outside an operation) is not charged.
    assert_eq!(s.find(&ns(), &doc! {}, &all).map(|d| d.len()), Ok(10));
}

#[test]
fn stages_that_multiply_documents_stop_at_the_limit() {
    let wide = doc! {"_id": 1, "r": (0..200).collect::<Vec<i32>>(), "s": "y".repeat(10_000)};
    let long = doc! {"_id": 2, "r": (0..2_000).collect::<Vec<i32>>()};
    let (_d, s) = store_with(vec![wide, long]);
    // 200 copies of a 10 KB document: 2 MB.
    over_memory(op(|| {
        s.aggregate(&ns(), &[doc! {"$match": {"_id": 1}}, doc! {"$unwind": "$r"}])
    }));
    // 2,000 small copies (~350 bytes each in memory): each is charged for what it holds, not
    // for the whole array.
    let unwound = op(|| s.aggregate(&ns(), &[doc! {"$match": {"_id": 2}}, doc! {"$unwind": "$r"}]));
    assert_eq!(unwound.map(|d| d.len()), Ok(2_000));
    // A document that doubles at every stage.
    let mut doubling = vec![doc! {"$match": {"_id": 1}}, doc! {"$project": {"a": "$s"}}];
    doubling.extend((0..10).map(|_| doc! {"$set": {"a": ["$a", "$a"]}}));
    over_memory(op(|| s.aggregate(&ns(), &doubling)));
    // Every document joined with every document of the collection: 110 x 110 x 100 bytes.
    let (_, err) = s.insert(
        &ns(),
        (3..113)
            .map(|i| doc! {"_id": i, "k": 1, "s": "z".repeat(100)})
            .collect(),
        true,
    );
    assert!(err.is_none(), "{err:?}");
    let join = [
        doc! {"$match": {"k": 1}},
        doc! {"$lookup": {"from": "c", "localField": "k", "foreignField": "k", "as": "all"}},
    ];
    over_memory(op(|| s.aggregate(&ns(), &join)));
    // The same join of a few documents is answered.
    let few = [
        doc! {"$match": {"k": 1, "_id": {"$lt": 13}}},
        doc! {"$lookup": {"from": "c", "localField": "k", "foreignField": "k", "as": "all"}},
    ];
    assert_eq!(op(|| s.aggregate(&ns(), &few)).map(|d| d.len()), Ok(10));
}

#[test]
fn concat_stops_at_the_largest_string_a_document_can_hold() {
    let (_d, s) = store_with(vec![doc! {"_id": 1, "s": "q".repeat(1024 * 1024)}]);
    let parts: Vec<&str> = vec!["$s"; 17];
    let e = store::budget::within(None, || {
        s.aggregate(&ns(), &[doc! {"$project": {"x": {"$concat": parts}}}])
    })
    .expect_err("a 17 MiB string");
    assert!(e.to_string().contains("$concat"), "{e}");
    let parts: Vec<&str> = vec!["$s"; 3];
    let three = store::budget::within(None, || {
        s.aggregate(&ns(), &[doc! {"$project": {"x": {"$concat": parts}}}])
    });
    assert_eq!(three.map(|d| d.len()), Ok(1));
}

#[test]
fn small_values_are_charged_for_what_they_take_in_memory() {
    // 20,000 small numbers: 240 KB as BSON, over 2 MiB once decoded (each value takes a
    // 112-byte slot), so a $push of them all is over the 1 MiB stage.
    let (_d, s) = store_with((0..20_000).map(|i| doc! {"_id": i}).collect());
    over_memory(op(|| {
        s.aggregate(&ns(), &[doc! {"$group": {"_id": null, "all": {"$push": "$_id"}}}])
    }));
    let few = [
        doc! {"$match": {"_id": {"$lt": 2000}}},
        doc! {"$group": {"_id": null, "all": {"$push": "$_id"}}},
    ];
    assert_eq!(op(|| s.aggregate(&ns(), &few)).map(|d| d.len()), Ok(1));
}

#[test]
fn accumulators_that_keep_n_are_charged_for_what_they_keep() {
    let (_d, s) = store_with((0..20_000).map(|i| doc! {"_id": i, "team": i % 2}).collect());
    let last = [
        doc! {"$group": {"_id": "$team", "last": {"$lastN": {"input": "$_id", "n": 3}}, "top": {"$topN": {"sortBy": {"_id": -1}, "output": "$_id", "n": 2}}}},
        doc! {"$sort": {"_id": 1}},
    ];
    let out = op(|| s.aggregate(&ns(), &last)).expect("a few kept of many");
    assert_eq!(
        out[0].get_array("last").ok(),
        Some(&vec![
            Bson::Int32(19_994),
            Bson::Int32(19_996),
            Bson::Int32(19_998)
        ])
    );
    assert_eq!(
        out[1].get_array("top").ok(),
        Some(&vec![Bson::Int32(19_999), Bson::Int32(19_997)])
    );
    let all = [doc! {"$group": {"_id": null, "all": {"$lastN": {"input": "$_id", "n": 1_000_000}}}}];
    over_memory(op(|| s.aggregate(&ns(), &all)));
}
