//! The change log: every committed write's events, in commit order, in MongoDB's shape;
//! nothing for aborted transactions or writ's own databases.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use bson::{Bson, Document, doc};
use store::{Change, Data as _, Modify, Ns, Store, StoreError, changes};

fn ns(db: &str) -> Ns {
    Ns::new(db, "c").expect("ns")
}

fn events(store: &Store, after: u64) -> Vec<Document> {
    store
        .changes_after(after, 100)
        .expect("changes")
        .into_iter()
        .map(|c| c.event)
        .collect()
}

/// The parts of an event a test compares (times and tokens vary).
fn shape(e: &Document) -> Document {
    let mut out = Document::new();
    for k in [
        "operationType",
        "ns",
        "documentKey",
        "updateDescription",
        "fullDocument",
        "fullDocumentBeforeChange",
    ] {
        if let Some(v) = e.get(k) {
            out.insert(k, v.clone());
        }
    }
    out
}

#[test]
fn every_write_logs_its_events_in_commit_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let notified = Arc::new(AtomicUsize::new(0));
    let n = notified.clone();
    store.on_commit(move || {
        n.fetch_add(1, Ordering::SeqCst);
    });
    let t = ns("app");
    let (_, err) = store.insert(
        &t,
        vec![doc! {"_id": 1, "a": {"b": 1, "c": 2}, "list": [1, 2, 3]}],
        true,
    );
    assert!(err.is_none());
    let set = doc! {"$set": {"a.b": 5, "x": "new"}, "$unset": {"a.c": ""}, "$pop": {"list": 1}};
    store
        .update(
            &t,
            &doc! {"_id": 1},
            &Change::Operators(set, vec![]),
            false,
            false,
        )
        .expect("update");
    store
        .update(
            &t,
            &doc! {"_id": 1},
            &Change::Operators(doc! {"$push": {"list": 9}}, vec![]),
            false,
            false,
        )
        .expect("push");
    store
        .update(
            &t,
            &doc! {"_id": 1},
            &Change::Replace(doc! {"r": true}),
            false,
            false,
        )
        .expect("replace");
    store
        .update(
            &t,
            &doc! {"_id": 2},
            &Change::Operators(doc! {"$set": {"u": 1}}, vec![]),
            true,
            false,
        )
        .expect("upsert");
    store.delete(&t, &doc! {"_id": 1}, false).expect("delete");
    let modify = Modify::Change {
        change: Change::Operators(doc! {"$inc": {"u": 1}}, vec![]),
        upsert: false,
        return_new: true,
    };
    store
        .find_and_modify(&t, &doc! {"_id": 2}, None, None, &modify)
        .expect("findOneAndUpdate");
    // A write that changes nothing logs nothing, as in MongoDB.
    store
        .update(
            &t,
            &doc! {"_id": 2},
            &Change::Operators(doc! {"$set": {"u": 2}}, vec![]),
            false,
            false,
        )
        .expect("no-op");

    let got: Vec<Document> = events(&store, 0).iter().map(shape).collect();
    let key = |id: i32| doc! {"_id": id};
    let ns_doc = doc! {"db": "app", "coll": "c"};
    let first = doc! {"_id": 1, "a": {"b": 1, "c": 2}, "list": [1, 2, 3]};
    let second = doc! {"_id": 1, "a": {"b": 5}, "list": [1, 2], "x": "new"};
    let third = doc! {"_id": 1, "a": {"b": 5}, "list": [1, 2, 9], "x": "new"};
    let want = vec![
        doc! {"operationType": "insert", "ns": ns_doc.clone(), "documentKey": key(1), "fullDocument": first.clone()},
        doc! {
            "operationType": "update", "ns": ns_doc.clone(), "documentKey": key(1),
            "updateDescription": {
                "updatedFields": {"a.b": 5, "x": "new"},
                "removedFields": ["a.c"],
                "truncatedArrays": [{"field": "list", "newSize": 2}],
            },
            "fullDocument": second.clone(), "fullDocumentBeforeChange": first,
        },
        doc! {
            "operationType": "update", "ns": ns_doc.clone(), "documentKey": key(1),
            "updateDescription": {"updatedFields": {"list.2": 9}, "removedFields": [], "truncatedArrays": []},
            "fullDocument": third.clone(), "fullDocumentBeforeChange": second,
        },
        doc! {
            "operationType": "replace", "ns": ns_doc.clone(), "documentKey": key(1),
            "fullDocument": {"_id": 1, "r": true}, "fullDocumentBeforeChange": third,
        },
        doc! {"operationType": "insert", "ns": ns_doc.clone(), "documentKey": key(2), "fullDocument": {"_id": 2, "u": 1}},
        doc! {
            "operationType": "delete", "ns": ns_doc.clone(), "documentKey": key(1),
            "fullDocumentBeforeChange": {"_id": 1, "r": true},
        },
        doc! {
            "operationType": "update", "ns": ns_doc.clone(), "documentKey": key(2),
            "updateDescription": {"updatedFields": {"u": 2}, "removedFields": [], "truncatedArrays": []},
            "fullDocument": {"_id": 2, "u": 2}, "fullDocumentBeforeChange": {"_id": 2, "u": 1},
        },
    ];
    assert_eq!(got, want);
    assert!(
        notified.load(Ordering::SeqCst) >= 7,
        "the listener hears every commit"
    );

    // Tokens and resumption.
    let all = store.changes_after(0, 100).expect("changes");
    let seqs: Vec<u64> = all.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<u64>>());
    let token = all[2].event.get_document("_id").expect("token").clone();
    assert_eq!(changes::seq_of(&token), Some(3));
    assert_eq!(store.changes_after(3, 100).expect("resume").len(), 4);
    assert_eq!(store.last_change().expect("last"), 7);
    assert!(matches!(
        all[0].event.get("clusterTime"),
        Some(Bson::Timestamp(_))
    ));
    assert!(matches!(all[0].event.get("wallTime"), Some(Bson::DateTime(_))));
}

#[test]
fn aborted_transactions_and_writs_own_databases_log_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let txn = store.begin().expect("begin");
    let (_, err) = txn.writes().insert(&ns("app"), vec![doc! {"_id": 1}], true);
    assert!(err.is_none());
    txn.abort().expect("abort");
    assert!(events(&store, 0).is_empty());

    let txn = store.begin().expect("begin");
    let (_, err) = txn
        .writes()
        .insert(&ns("app"), vec![doc! {"_id": 1}, doc! {"_id": 2}], true);
    assert!(err.is_none());
    assert!(events(&store, 0).is_empty(), "not visible before the commit");
    txn.commit().expect("commit");
    assert_eq!(events(&store, 0).len(), 2);

    let (_, err) = store.insert(&ns("__writ_app"), vec![doc! {"_id": "session"}], true);
    assert!(err.is_none());
    let (_, err) = store.insert(&ns("__WRIT_other"), vec![doc! {"_id": "x"}], true);
    assert!(err.is_none());
    assert_eq!(events(&store, 0).len(), 2, "writ's own writes are not in the log");
}

#[test]
fn the_log_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        let (_, err) = store.insert(&ns("app"), vec![doc! {"_id": 1}], true);
        assert!(err.is_none());
    }
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(events(&store, 0).len(), 1);
    let (_, err) = store.insert(&ns("app"), vec![doc! {"_id": 2}], true);
    assert!(err.is_none());
    assert_eq!(store.last_change().expect("last"), 2, "numbering continues");
    assert!(matches!(
        store.changes_after(5, 10),
        Ok(v) if v.is_empty()
    ));
    let _: Option<StoreError> = None;
}
