//! MongoDB semantics of the store where the wire test server deviates from MongoDB, and
//! durability: what the conformance suite cannot check against that server.

use bson::{Bson, Document, doc};
use store::{Change, Data as _, FindOptions, Ns, Store, StoreError};

fn ns() -> Ns {
    Ns {
        db: "t".into(),
        coll: "c".into(),
    }
}

fn ids(store: &Store, filter: Document) -> Vec<i32> {
    let options = FindOptions {
        sort: Some(doc! { "_id": 1 }),
        ..FindOptions::default()
    };
    store
        .find(&ns(), &filter, &options)
        .expect("find")
        .iter()
        .map(|d| d.get_i32("_id").expect("int _id"))
        .collect()
}

fn seeded() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let docs = vec![
        doc! { "_id": 1 },
        doc! { "_id": 2, "a": false },
        doc! { "_id": 3, "a": 5, "tags": ["x", "y"] },
        doc! { "_id": 4, "a": null, "items": [{ "k": 1 }, { "k": 7 }] },
        doc! { "_id": 5, "a": [1, 9] },
    ];
    let (_, err) = store.insert(&ns(), docs, true);
    assert!(err.is_none());
    (dir, store)
}

#[test]
fn comparisons_stay_within_a_type_and_null_bounds_match_missing() {
    let (_d, s) = seeded();
    assert_eq!(
        ids(&s, doc! { "a": { "$gt": 0 } }),
        vec![3, 5],
        "false is not greater than 0"
    );
    assert_eq!(ids(&s, doc! { "a": { "$not": { "$gt": 0 } } }), vec![1, 2, 4]);
    assert_eq!(
        ids(&s, doc! { "a": { "$lte": null } }),
        vec![1, 4],
        "$lte null matches null and missing"
    );
    assert_eq!(ids(&s, doc! { "a": null }), vec![1, 4]);
    assert_eq!(ids(&s, doc! { "a": { "$all": [null] } }), vec![1, 4]);
    assert_eq!(
        ids(&s, doc! { "a": { "$gt": 8, "$lt": 10 } }),
        vec![5],
        "any array element satisfies each bound"
    );
    assert_eq!(
        ids(&s, doc! { "a": { "$elemMatch": { "$gt": 8, "$lt": 10 } } }),
        vec![5]
    );
}

#[test]
fn paths_reach_into_arrays_and_subdocuments() {
    let (_d, s) = seeded();
    assert_eq!(ids(&s, doc! { "items.k": 7 }), vec![4]);
    assert_eq!(ids(&s, doc! { "items.1.k": 7 }), vec![4]);
    assert_eq!(
        ids(&s, doc! { "tags": "y" }),
        vec![3],
        "equality matches an array element"
    );
    assert_eq!(
        ids(&s, doc! { "tags": ["x", "y"] }),
        vec![3],
        "and the whole array"
    );
    assert_eq!(ids(&s, doc! { "tags": { "$size": 2 } }), vec![3]);
    assert_eq!(ids(&s, doc! { "a": { "$type": "number" } }), vec![3, 5]);
    assert_eq!(
        ids(
            &s,
            doc! { "$or": [{ "_id": 1 }, { "tags": { "$exists": true } }] }
        ),
        vec![1, 3]
    );
}

#[test]
fn update_counts_and_upserts_follow_mongodb() {
    let (_d, s) = seeded();
    let set = |v: Bson| Change::Operators(doc! { "$set": { "a": v } }, vec![]);
    let r = s
        .update(&ns(), &doc! { "_id": 3 }, &set(Bson::Int32(5)), false, false)
        .expect("update");
    assert_eq!(
        (r.matched, r.modified),
        (1, 0),
        "setting the same value matches but does not modify"
    );
    let r = s
        .update(
            &ns(),
            &doc! { "userId": "u", "n": { "$gt": 1 } },
            &Change::Operators(doc! { "$inc": { "visits": 1 } }, vec![]),
            true,
            false,
        )
        .expect("upsert");
    assert!(matches!(r.upserted_id, Some(Bson::ObjectId(_))));
    let doc = s
        .find(&ns(), &doc! { "userId": "u" }, &FindOptions::default())
        .expect("find")
        .remove(0);
    assert_eq!(doc.get("visits"), Some(&Bson::Int32(1)));
    assert_eq!(doc.get("n"), None, "only equalities seed the upserted document");
    // A multi update that fails on one document keeps the ones it changed before it.
    let err = s
        .update(
            &ns(),
            &doc! {},
            &Change::Operators(doc! { "$inc": { "a": 1 } }, vec![]),
            false,
            true,
        )
        .expect_err("non-numeric");
    assert_eq!(err.code(), 2);
    assert_eq!(
        ids(&s, doc! { "a": Bson::Int32(1), "_id": { "$lt": 2 } }),
        vec![1],
        "document 1 was incremented before document 2 failed"
    );
    assert_eq!(
        ids(&s, doc! { "a": 5 }),
        vec![3],
        "documents after the failing one are unchanged"
    );
}

#[test]
fn only_inserts_and_upserts_may_write_top_level_dollar_fields() {
    // MongoDB's storage validation: an insert or an upsert may create `$price`; an update of an
    // existing document may not write one (code 52), but may write nested ones and unset it.
    let (_d, s) = seeded();
    let ops = |u: Document| Change::Operators(u, vec![]);
    let r = s
        .update(
            &ns(),
            &doc! { "_id": 9 },
            &ops(doc! { "$set": { "$price": 1 } }),
            true,
            false,
        )
        .expect("an upsert inserts it");
    assert_eq!(r.upserted_id, Some(Bson::Int32(9)));
    for update in [
        doc! { "$set": { "$price": 2 } },
        doc! { "$inc": { "$price.x": 1 } },
        doc! { "$rename": { "a": "$a" } },
    ] {
        let err = s
            .update(&ns(), &doc! { "_id": 9 }, &ops(update.clone()), true, false)
            .expect_err("an update refuses it");
        assert_eq!(
            (err.code(), err.code_name()),
            (52, "DollarPrefixedFieldName"),
            "{update}"
        );
        assert!(
            err.to_string().contains("'$price'") || err.to_string().contains("'$a'"),
            "{err}"
        );
    }
    for update in [
        doc! { "$set": { "n": { "$nested": 1 } } },
        doc! { "$set": { "a.$b": 1 } },
        doc! { "$setOnInsert": { "$price": 3 } },
        doc! { "$unset": { "$price": "" } },
    ] {
        s.update(&ns(), &doc! { "_id": 9 }, &ops(update.clone()), true, false)
            .unwrap_or_else(|e| panic!("{update}: {e}"));
    }
    let doc = s
        .find(&ns(), &doc! { "_id": 9 }, &FindOptions::default())
        .expect("find")
        .remove(0);
    assert_eq!(doc, doc! { "_id": 9, "n": { "$nested": 1 }, "a": { "$b": 1 } });
}

#[test]
fn duplicate_ids_are_code_11000_and_equal_numbers_are_the_same_id() {
    let (_d, s) = seeded();
    let (_, err) = s.insert(&ns(), vec![doc! { "_id": 1.0 }], true);
    let err = err.expect("duplicate");
    assert_eq!((err.code(), err.code_name()), (11000, "DuplicateKey"));
    assert!(matches!(err, StoreError::DuplicateKey { .. }));
    assert_eq!(ids(&s, doc! { "_id": Bson::Int64(3) }), vec![3]);
}

#[test]
fn acknowledged_writes_survive_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let s = Store::open(dir.path()).expect("open");
        let (_, err) = s.insert(&ns(), vec![doc! { "_id": 1, "v": "kept" }], true);
        assert!(err.is_none());
    }
    let s = Store::open(dir.path()).expect("reopen");
    let docs = s.find(&ns(), &doc! {}, &FindOptions::default()).expect("find");
    assert_eq!(docs, vec![doc! { "_id": 1, "v": "kept" }]);
    assert_eq!(s.list_collections("t").expect("list"), vec!["c".to_string()]);
}

#[test]
fn what_the_store_lacks_says_to_use_mongodb() {
    let (_d, s) = seeded();
    let err = s
        .find(
            &ns(),
            &doc! { "$jsonSchema": { "required": ["a"] } },
            &FindOptions::default(),
        )
        .expect_err("unsupported");
    assert!(
        err.to_string()
            .contains("not supported by the embedded store; MongoDB supports it"),
        "{err}"
    );
    let err = s
        .find(
            &ns(),
            &doc! { "$text": { "$search": "a" } },
            &FindOptions::default(),
        )
        .expect_err("text search");
    assert!(matches!(err, StoreError::Unsupported(_)));
}

#[test]
fn expr_matches_documents_whose_expression_is_truthy() {
    let (_d, s) = seeded();
    // Aggregation comparisons order across types (booleans and arrays above numbers).
    assert_eq!(ids(&s, doc! { "$expr": { "$gt": ["$a", 1] } }), vec![2, 3, 5]);
    assert_eq!(ids(&s, doc! { "$expr": { "$eq": ["$_id", 3] } }), vec![3]);
    // Truthiness: missing, null, false and 0 are false; arrays are true.
    assert_eq!(ids(&s, doc! { "$expr": "$a" }), vec![3, 5]);
    assert_eq!(
        ids(
            &s,
            doc! { "$expr": { "$and": [{ "$gte": ["$_id", 2] }, { "$lt": ["$_id", 4] }] }, "a": { "$ne": null } }
        ),
        vec![2, 3]
    );
    // An operator the evaluator lacks is refused for the whole query, even where no
    // document's values would reach it.
    let err = s
        .find(
            &ns(),
            &doc! { "$expr": { "$anyElementTrue": { "$map": { "input": "$a", "in": { "$function": { "body": "", "args": ["$$this"], "lang": "js" } } } } } },
            &FindOptions::default(),
        )
        .expect_err("unsupported operator");
    assert!(matches!(err, StoreError::Unsupported(_)), "{err}");
}

#[test]
fn aggregation_edge_cases_follow_mongodb() {
    let (_d, s) = seeded();
    let out = s
        .aggregate(
            &ns(),
            &[doc! { "$match": { "_id": 1000 } }, doc! { "$count": "n" }],
        )
        .expect("count");
    assert!(out.is_empty(), "$count of no documents outputs no document");
    let out = s
        .aggregate(
            &ns(),
            &[
                doc! { "$match": { "_id": 3 } },
                doc! { "$group": { "_id": null, "avg": { "$avg": "$a" } } },
            ],
        )
        .expect("avg");
    assert_eq!(
        out,
        vec![doc! { "_id": null, "avg": 5.0 }],
        "$avg is always a double"
    );
    let (_, err) = s.insert(
        &ns(),
        vec![doc! { "_id": 6, "tags": [] }, doc! { "_id": 7, "tags": null }],
        true,
    );
    assert!(err.is_none());
    let unwind = doc! { "$unwind": { "path": "$tags", "preserveNullAndEmptyArrays": true } };
    let out = s
        .aggregate(&ns(), &[doc! { "$match": { "_id": { "$in": [6, 7] } } }, unwind])
        .expect("unwind");
    assert_eq!(
        out,
        vec![doc! { "_id": 6 }, doc! { "_id": 7, "tags": null }],
        "an empty array's field is dropped, null kept"
    );
    let err = s
        .aggregate(&ns(), &[doc! { "$densify": {} }])
        .expect_err("unsupported stage");
    assert!(
        err.to_string()
            .contains("the aggregation stage $densify is not supported by the embedded store"),
        "{err}"
    );
}

#[test]
fn positional_updates_follow_mongodb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Store::open(dir.path()).expect("open");
    let docs =
        vec![doc! { "_id": 1, "grades": [80, 95, 100], "items": [{ "k": 1, "q": 0 }, { "k": 7, "q": 0 }] }];
    assert!(s.insert(&ns(), docs, true).1.is_none());
    let ops = |u: Document| Change::Operators(u, vec![]);
    // `$`: the first element the query matched.
    s.update(
        &ns(),
        &doc! { "_id": 1, "grades": 95 },
        &ops(doc! { "$set": { "grades.$": 96 } }),
        false,
        false,
    )
    .expect("$");
    s.update(
        &ns(),
        &doc! { "items.k": 7 },
        &ops(doc! { "$inc": { "items.$.q": 5 } }),
        false,
        false,
    )
    .expect("$ in docs");
    // `$` after `$elemMatch`: the element that matched every condition, not the first with any.
    let r = s
        .update(
            &ns(),
            &doc! { "items": { "$elemMatch": { "k": 7, "q": 5 } } },
            &ops(doc! { "$inc": { "items.$.q": 10 } }),
            false,
            false,
        )
        .expect("$ after $elemMatch");
    assert_eq!(r.matched, 1);
    // `$[]`: every element.
    s.update(
        &ns(),
        &doc! {},
        &ops(doc! { "$inc": { "items.$[].q": 1 } }),
        false,
        false,
    )
    .expect("$[]");
    // `$[id]` with arrayFilters.
    let af = Change::Operators(
        doc! { "$set": { "grades.$[g]": 0 } },
        vec![doc! { "g": { "$gte": 100 } }],
    );
    let r = s.update(&ns(), &doc! {}, &af, false, false).expect("$[g]");
    assert_eq!((r.matched, r.modified), (1, 1));
    let d = s
        .find(&ns(), &doc! {}, &FindOptions::default())
        .expect("find")
        .remove(0);
    assert_eq!(
        d,
        doc! { "_id": 1, "grades": [80, 96, 0], "items": [{ "k": 1, "q": 1 }, { "k": 7, "q": 16 }] }
    );
    let err = s
        .update(
            &ns(),
            &doc! {},
            &ops(doc! { "$set": { "grades.$": 1 } }),
            false,
            false,
        )
        .expect_err("no match");
    assert!(
        err.to_string()
            .contains("positional operator did not find the match"),
        "{err}"
    );
}

#[test]
fn unique_indexes_refuse_duplicates_and_answer_equality() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Store::open(dir.path()).expect("open");
    let users = Ns {
        db: "t".into(),
        coll: "users".into(),
    };
    let docs = vec![
        doc! { "_id": 1, "email": "a@x" },
        doc! { "_id": 2, "email": "b@x", "tags": ["p", "q"] },
    ];
    assert!(s.insert(&users, docs, true).1.is_none());
    assert_eq!(s.create_index(&users, "email", true).expect("index"), "email_1");
    assert_eq!(
        s.create_index(&users, "_id", false).expect("_id"),
        "_id_",
        "always there"
    );
    assert_eq!(
        s.create_index(&users, "email", true).expect("again"),
        "email_1",
        "creating it twice is a no-op"
    );
    s.create_index(&users, "tags", false).expect("multikey index");

    // Inserts and updates that would duplicate a key are refused with 11000 and change nothing.
    let (_, err) = s.insert(&users, vec![doc! { "_id": 3, "email": "a@x" }], true);
    let err = err.expect("duplicate email");
    assert_eq!(err.code(), 11000);
    assert!(err.to_string().contains("index: email_1"), "{err}");
    assert!(
        s.find(&users, &doc! { "_id": 3 }, &FindOptions::default())
            .expect("find")
            .is_empty()
    );
    let set = Change::Operators(doc! { "$set": { "email": "a@x" } }, vec![]);
    assert_eq!(
        s.update(&users, &doc! { "_id": 2 }, &set, false, false)
            .expect_err("dup")
            .code(),
        11000
    );
    assert_eq!(
        s.find(&users, &doc! { "email": "b@x" }, &FindOptions::default())
            .expect("find"),
        vec![doc! { "_id": 2, "email": "b@x", "tags": ["p", "q"] }],
        "the refused update left the document and its index entries as they were"
    );
    // Equality through the indexes, including array elements; deletes leave the index.
    assert_eq!(
        s.find(&users, &doc! { "tags": "q" }, &FindOptions::default())
            .expect("find")
            .len(),
        1
    );
    assert_eq!(
        s.delete(&users, &doc! { "email": "a@x" }, false).expect("delete"),
        1
    );
    assert!(
        s.insert(&users, vec![doc! { "_id": 4, "email": "a@x" }], true)
            .1
            .is_none(),
        "the deleted key is free"
    );
    // A unique index the data already violates is not created.
    // (As in MongoDB, a missing field is null in a unique index: at most one document may lack it.)
    let (_, err) = s.insert(
        &users,
        vec![doc! { "_id": 5, "name": "n" }, doc! { "_id": 6, "name": "n" }],
        true,
    );
    assert_eq!(
        err.map(|e| e.code()),
        Some(11000),
        "a second document without an email is refused"
    );
    let (_, err) = s.insert(&users, vec![doc! { "_id": 6, "email": "c@x", "name": "n" }], true);
    assert!(err.is_none());
    assert_eq!(
        s.create_index(&users, "name", true).expect_err("violated").code(),
        11000
    );
    assert_eq!(s.indexes(&users).expect("list").len(), 2);
}

/// A key many documents share, read through a non-unique index: in natural order (insertion,
/// not `_id`), stopping at the limit, `$in` merged without duplicates, and an update by the
/// key changing the first such document only.
#[test]
fn a_shared_index_key_reads_in_natural_order_and_stops_at_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Store::open(dir.path()).expect("open");
    let ns = Ns {
        db: "t".into(),
        coll: "tasks".into(),
    };
    let mut docs: Vec<Document> = (0..300)
        .map(|i| doc! { "_id": 1000 - i, "status": if i % 3 == 0 { "open" } else { "done" }, "tags": ["a", "b"] })
        .collect();
    docs.push(doc! { "_id": 5000, "status": "late", "tags": ["b"] });
    assert!(s.insert(&ns, docs, true).1.is_none());
    s.create_index(&ns, "status", false).expect("index");
    s.create_index(&ns, "tags", false).expect("multikey index");
    let find = |filter: Document, limit: i64| {
        let options = FindOptions {
            limit,
            ..FindOptions::default()
        };
        s.find(&ns, &filter, &options)
            .expect("find")
            .iter()
            .map(|d| {
                d.get_i32("_id")
                    .map(i64::from)
                    .or_else(|_| d.get_i64("_id"))
                    .expect("_id")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        find(doc! { "status": "open" }, 1),
        vec![1000],
        "the first inserted, not the least _id"
    );
    assert_eq!(find(doc! { "status": "open" }, 3), vec![1000, 997, 994]);
    assert_eq!(find(doc! { "status": "open" }, 0).len(), 100);
    assert_eq!(
        find(doc! { "status": { "$in": ["late", "open"] } }, 2),
        vec![1000, 997],
        "several keys: merged in natural order"
    );
    assert_eq!(
        find(doc! { "tags": { "$in": ["a", "b"] } }, 0).len(),
        301,
        "a document under both keys once"
    );
    assert_eq!(
        find(doc! { "status": "open", "_id": { "$lt": 990 } }, 1),
        vec![988]
    );
    let set = Change::Operators(doc! { "$set": { "seen": true } }, vec![]);
    s.update(&ns, &doc! { "status": "open" }, &set, false, false)
        .expect("update");
    assert_eq!(find(doc! { "seen": true }, 0), vec![1000]);
}

/// A collection an earlier version left with its documents' table alone (no `_id` index
/// table) reads as empty, by `_id` or not, instead of failing.
#[test]
fn a_collection_without_its_id_table_reads_as_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = redb::Database::create(dir.path().join("writ.redb")).expect("redb");
        let txn = db.begin_write().expect("txn");
        txn.open_table(redb::TableDefinition::<u64, &[u8]>::new("docs:t.old"))
            .expect("table");
        txn.commit().expect("commit");
    }
    let s = Store::open(dir.path()).expect("open");
    let ns = Ns {
        db: "t".into(),
        coll: "old".into(),
    };
    for filter in [doc! {}, doc! { "_id": 1 }, doc! { "x": 1 }] {
        assert!(
            s.find(&ns, &filter, &FindOptions::default())
                .expect("find")
                .is_empty()
        );
    }
}

/// MongoDB sorts an empty array below null and missing fields, in find and in aggregation
/// alike (the wire test server puts it last); both orders are one here.
#[test]
fn an_empty_array_sorts_lowest_in_find_and_aggregate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let docs = vec![
        doc! {"_id": 1, "v": [3, 1]},
        doc! {"_id": 2, "v": "s"},
        doc! {"_id": 3, "v": 2},
        doc! {"_id": 4},
        doc! {"_id": 5, "v": []},
    ];
    assert!(store.insert(&ns(), docs, true).1.is_none());
    let ids = |docs: Vec<Document>| {
        docs.iter()
            .map(|d| d.get_i32("_id").expect("id"))
            .collect::<Vec<_>>()
    };
    for (dir, want) in [(1, vec![5, 4, 1, 3, 2]), (-1, vec![2, 1, 3, 4, 5])] {
        let options = FindOptions {
            sort: Some(doc! {"v": dir}),
            ..FindOptions::default()
        };
        let found = ids(store.find(&ns(), &doc! {}, &options).expect("find"));
        let sorted = ids(store
            .aggregate(&ns(), &[doc! {"$sort": {"v": dir}}])
            .expect("aggregate"));
        assert_eq!(found, want, "find, {dir}");
        assert_eq!(sorted, want, "aggregate, {dir}");
    }
}

/// `$out` replaces a collection with a pipeline's output and `$merge` merges it in (the wire
/// test server has neither stage); the pipeline returns no documents.
#[test]
fn out_and_merge_write_the_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let docs = vec![
        doc! {"_id": 1, "k": "a", "n": 1},
        doc! {"_id": 2, "k": "b", "n": 2},
        doc! {"_id": 3, "k": "a", "n": 3},
    ];
    assert!(store.insert(&ns(), docs, true).1.is_none());
    let other = |coll: &str| Ns::new("t", coll).expect("ns");
    let all = |coll: &str| {
        let options = FindOptions {
            sort: Some(doc! {"_id": 1}),
            ..FindOptions::default()
        };
        store.find(&other(coll), &doc! {}, &options).expect("find")
    };
    let group = doc! {"$group": {"_id": "$k", "sum": {"$sum": "$n"}}};
    assert!(
        store
            .insert(&other("totals"), vec![doc! {"_id": "old"}], true)
            .1
            .is_none()
    );
    let out = store
        .aggregate(&ns(), &[group.clone(), doc! {"$out": "totals"}])
        .expect("$out");
    assert!(out.is_empty());
    assert_eq!(
        all("totals"),
        vec![doc! {"_id": "a", "sum": 4}, doc! {"_id": "b", "sum": 2}]
    );

    let stats = vec![
        doc! {"_id": "a", "seen": true, "sum": 0},
        doc! {"_id": "z", "seen": true},
    ];
    assert!(store.insert(&other("stats"), stats, true).1.is_none());
    store
        .aggregate(&ns(), &[group.clone(), doc! {"$merge": {"into": "stats"}}])
        .expect("$merge");
    assert_eq!(
        all("stats"),
        vec![
            doc! {"_id": "a", "seen": true, "sum": 4},
            doc! {"_id": "b", "sum": 2},
            doc! {"_id": "z", "seen": true},
        ]
    );
    assert!(
        store
            .insert(&other("kept"), vec![doc! {"_id": "a", "sum": -1}], true)
            .1
            .is_none()
    );
    let keep = doc! {"$merge": {"into": "kept", "whenMatched": "keepExisting", "whenNotMatched": "discard"}};
    store
        .aggregate(&ns(), &[group.clone(), keep])
        .expect("keepExisting");
    assert_eq!(all("kept"), vec![doc! {"_id": "a", "sum": -1}]);
    let fail = doc! {"$merge": {"into": "kept", "whenMatched": "fail"}};
    assert!(matches!(
        store.aggregate(&ns(), &[group, fail]),
        Err(StoreError::BadValue(_))
    ));
}

/// Equality on a top-level field is decided from the stored bytes when it can be (a missing
/// field, an unequal scalar); it must agree with the full matcher on every type.
#[test]
fn equality_read_from_stored_bytes_agrees_with_the_matcher() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Store::open(dir.path()).expect("open");
    let docs = vec![
        doc! { "_id": 1, "v": 5 },
        doc! { "_id": 2, "v": 5.0 },
        doc! { "_id": 3, "v": 5_i64 },
        doc! { "_id": 4, "v": "5" },
        doc! { "_id": 5, "v": [4, 5] },
        doc! { "_id": 6 },
        doc! { "_id": 7, "v": null },
        doc! { "_id": 8, "v": { "w": 5 } },
        doc! { "_id": 9, "v": Bson::Decimal128("5".parse().expect("decimal")) },
        doc! { "_id": 10, "v": true },
    ];
    let (_, err) = s.insert(&ns(), docs, true);
    assert!(err.is_none());
    assert_eq!(
        ids(&s, doc! { "v": 5 }),
        vec![1, 2, 3, 5, 9],
        "numbers compare across types"
    );
    assert_eq!(ids(&s, doc! { "v": 5.0 }), vec![1, 2, 3, 5, 9]);
    assert_eq!(ids(&s, doc! { "v": "5" }), vec![4]);
    assert_eq!(ids(&s, doc! { "v": null }), vec![6, 7], "null matches missing");
    assert_eq!(ids(&s, doc! { "v": true }), vec![10]);
    assert_eq!(ids(&s, doc! { "v": { "w": 5 } }), vec![8]);
    assert_eq!(ids(&s, doc! { "v": 5, "_id": { "$gt": 2 } }), vec![3, 5, 9]);
    assert_eq!(
        ids(&s, doc! { "$or": [{ "v": "5" }, { "v": true }] }),
        vec![4, 10]
    );
    assert_eq!(ids(&s, doc! { "v": { "$ne": 5 } }), vec![4, 6, 7, 8, 10]);
}

#[test]
fn in_and_equality_through_an_index_match_what_a_scan_matches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Store::open(dir.path()).expect("open");
    let ns = |coll: &str| Ns {
        db: "t".into(),
        coll: coll.into(),
    };
    let oid = bson::oid::ObjectId::new();
    let docs = vec![
        doc! { "_id": 1, "userId": "a" },
        doc! { "_id": 2, "userId": oid },
        doc! { "_id": 3, "userId": oid.to_hex() },
        doc! { "_id": 4, "userId": 7 },
        doc! { "_id": 5, "userId": 7.0 },
        doc! { "_id": 6 },
        doc! { "_id": 7, "userId": null },
        doc! { "_id": 8, "userId": ["a", "b"] },
        doc! { "_id": 9, "userId": { "nested": 1 } },
    ];
    for coll in ["indexed", "plain"] {
        assert!(s.insert(&ns(coll), docs.clone(), true).1.is_none());
    }
    s.create_index(&ns("indexed"), "userId", false).expect("index");
    let filters = [
        doc! { "userId": { "$in": [oid.to_hex(), oid] } },
        doc! { "userId": { "$in": ["a"] } },
        doc! { "userId": { "$in": [7] } },
        doc! { "userId": { "$in": [null] } },
        doc! { "userId": { "$in": [] } },
        doc! { "userId": { "$in": [["a", "b"]] } },
        doc! { "userId": { "$in": [{ "nested": 1 }, "b"] } },
        doc! { "userId": { "$eq": 7.0 } },
        doc! { "userId": "b", "_id": { "$gt": 1 } },
    ];
    let same = |filter: &Document| {
        let found = |coll: &str| s.find(&ns(coll), filter, &FindOptions::default()).expect("find");
        assert_eq!(found("indexed"), found("plain"), "{filter}");
    };
    filters.iter().for_each(same);
    // Updates that move the indexed field, and ones that leave it alone, keep the index true.
    for coll in ["indexed", "plain"] {
        for (id, set) in [
            (1, doc! { "userId": "z" }),
            (3, doc! { "other": 1 }),
            (8, doc! { "userId": ["b", "c"] }),
        ] {
            let change = Change::Operators(doc! { "$set": set }, vec![]);
            s.update(&ns(coll), &doc! { "_id": id }, &change, false, false)
                .expect("update");
        }
    }
    for value in [
        Bson::from("a"),
        "z".into(),
        "b".into(),
        "c".into(),
        oid.to_hex().into(),
    ] {
        same(&doc! { "userId": { "$in": [value] } });
    }
    assert_eq!(
        s.find(&ns("indexed"), &doc! { "userId": "c" }, &FindOptions::default())
            .expect("find")
            .len(),
        1
    );
}

#[test]
fn projection_operators_refuse_what_mongodb_refuses() {
    let (_d, s) = seeded();
    let find = |filter: Document, projection: Document| {
        let options = FindOptions {
            projection: Some(projection),
            sort: Some(doc! { "_id": 1 }),
            ..FindOptions::default()
        };
        s.find(&ns(), &filter, &options)
    };
    // The wire test server answers these; MongoDB refuses them.
    let nested = find(doc! {}, doc! { "items.k": { "$elemMatch": { "$gt": 1 } } });
    assert!(
        nested.is_err_and(|e| e.to_string().contains("nested field")),
        "$elemMatch on a nested field"
    );
    let unmatched = find(doc! { "a": 5 }, doc! { "tags.$": 1 });
    assert!(
        unmatched.is_err_and(|e| e.to_string().contains("requires a condition on 'tags'")),
        "a positional projection needs a condition on its array"
    );
    let all_positional = find(doc! { "tags": "x" }, doc! { "tags.$[]": 1 });
    assert!(all_positional.is_err(), "'$[]' is for updates, not projections");
    // A positional projection keeps the first element the query's conditions match.
    let first = find(doc! { "items.k": { "$gt": 5 } }, doc! { "items.$": 1 }).expect("positional");
    assert_eq!(first, vec![doc! { "_id": 4, "items": [{ "k": 7 }] }]);
    let sliced = find(doc! { "_id": 3 }, doc! { "tags": { "$slice": -1 }, "a": 0 }).expect("slice");
    assert_eq!(sliced, vec![doc! { "_id": 3, "tags": ["y"] }]);
    // Extreme bounds are clamped to the array, as MongoDB clamps them.
    for (slice, expected) in [
        (Bson::Int64(i64::MIN), vec!["x", "y"]),
        (Bson::Int64(i64::MAX), vec!["x", "y"]),
        (
            Bson::Array(vec![Bson::Int64(i64::MIN), Bson::Int64(i64::MAX)]),
            vec!["x", "y"],
        ),
        (
            Bson::Array(vec![Bson::Int64(i64::MAX), Bson::Int64(i64::MAX)]),
            vec![],
        ),
        (Bson::Array(vec![Bson::Int32(-1), Bson::Int32(5)]), vec!["y"]),
    ] {
        let got = find(
            doc! { "_id": 3 },
            doc! { "tags": { "$slice": slice.clone() }, "_id": 0 },
        )
        .expect("extreme slice");
        assert_eq!(got, vec![doc! { "a": 5, "tags": expected }], "{slice}");
    }
}
