//! Collection schemas (`schema.json`) bind every write a user makes, on both backends: the
//! embedded store and MongoDB (the wire test server, or `MONGODB_URI`). A write that would leave
//! a document failing the schema is refused whole with `SchemaValidationFailedWrite` and changes
//! nothing; system writes are not bound; a schema writ cannot apply refuses users' writes.

use std::sync::Arc;

use bridge::{
    DriverExecutor, Executor, Request, Rules, StoreExecutor,
    rules::CollectionRules,
    schema::{Schema, SchemaError},
};
use bson::{Bson, Document, doc};
use engine::{Deployment, User};

/// Items: an owner who may never change, a name of 1-20 characters, an int quantity of at least
/// 0, a few unique string tags, a status from a list, an address with a city and nothing else.
fn items_schema() -> serde_json::Value {
    serde_json::json!({
        "title": "Item",
        "bsonType": "object",
        "required": ["_id", "owner", "name"],
        "properties": {
            "_id": {"bsonType": ["objectId", "int"]},
            "owner": {
                "bsonType": "string",
                "validate": {"%or": [{"%%prev": {"$exists": false}}, {"%%prev": "%%this"}]}
            },
            "name": {"bsonType": "string", "minLength": 1, "maxLength": 20},
            "qty": {"bsonType": "int", "minimum": 0},
            "tags": {"bsonType": "array", "items": {"bsonType": "string"}, "uniqueItems": true, "maxItems": 3},
            "labels": {"bsonType": "array", "uniqueItems": true},
            "status": {"enum": ["open", "closed"]},
            "address": {
                "bsonType": "object",
                "required": ["city"],
                "properties": {"city": {"bsonType": "string"}},
                "additionalProperties": false
            }
        }
    })
}

fn open_rules() -> CollectionRules {
    CollectionRules::from_json(&serde_json::json!({
        "roles": [{"name": "all", "apply_when": {}, "read": true, "write": true, "insert": true, "delete": true}]
    }))
    .expect("rules")
}

struct World {
    runtime: tokio::runtime::Runtime,
    executor: Box<dyn Executor>,
    deployment: Deployment,
    db: String,
    _dir: tempfile::TempDir,
}

static WORLDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl World {
    fn new(mongodb: bool) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let n = WORLDS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let db = format!("schemas_{}_{n}", std::process::id());
        let executor: Box<dyn Executor> = if mongodb {
            Box::new(
                runtime
                    .block_on(DriverExecutor::connect(&testkit::mongodb_uri()))
                    .expect("connect"),
            )
        } else {
            Box::new(StoreExecutor::new(Arc::new(
                store::Store::open(dir.path()).expect("store"),
            )))
        };
        let mut rules = Rules::default();
        for coll in ["items", "strict", "nullable"] {
            rules.insert("mongodb-atlas", &db, coll, open_rules());
        }
        rules.set_schema("mongodb-atlas", &db, "items", Schema::from_json(&items_schema()));
        let notes = serde_json::json!({"required": ["name"], "properties": {"name": {"bsonType": "string"}, "note": {"bsonType": "string"}}});
        let notes = Schema::from_json(&notes).map(|s| s.with_optional_nulls(true));
        rules.set_schema("mongodb-atlas", &db, "nullable", notes);
        let unusable = serde_json::json!({"bsonType": "object", "if": {"required": ["a"]}});
        rules.set_schema("mongodb-atlas", &db, "strict", Schema::from_json(&unusable));
        let mut deployment = Deployment::default();
        deployment.extensions.insert(rules);
        let world = World {
            runtime,
            executor,
            deployment,
            db,
            _dir: dir,
        };
        for (id, qty) in [(1, 10), (2, 3)] {
            let item = doc! {"_id": id, "owner": "alice", "name": format!("item {id}"), "qty": qty};
            world.system("insertOne", doc! {"collection": "items", "document": item});
        }
        world
    }

    fn request(&self, kind: &str, mut spec: Document) -> Request {
        spec.insert("database", self.db.as_str());
        Request::parse(kind, &spec).expect("valid request")
    }

    fn system(&self, kind: &str, spec: Document) -> Bson {
        self.runtime
            .block_on(self.executor.execute(self.request(kind, spec)))
            .expect("system op")
            .into_bson()
    }

    /// A user's operation: its result, or `code: message`.
    fn user(&self, kind: &str, spec: Document) -> Result<Bson, String> {
        let alice = User::normal("alice");
        let op = bridge::rules::execute_as_user(
            self.executor.as_ref(),
            &self.deployment,
            "mongodb-atlas",
            &alice,
            self.request(kind, spec),
        )
        .map_err(|e| format!("{}: {}", e.code, e.message))?;
        self.runtime
            .block_on(op)
            .map(bridge::Outcome::into_bson)
            .map_err(|e| format!("{}: {}", e.code_name.unwrap_or_default(), e.message))
    }

    fn refused(&self, kind: &str, spec: Document, why: &str) {
        let e = self.user(kind, spec).expect_err(why);
        assert!(e.starts_with("SchemaValidationFailedWrite: "), "{why}: {e}");
        assert!(e.contains(&format!("the schema of '{}.items'", self.db)), "{e}");
    }

    fn items(&self) -> Vec<Document> {
        let all = self.system(
            "find",
            doc! {"collection": "items", "filter": {}, "sort": {"_id": 1}},
        );
        all.as_array()
            .expect("docs")
            .iter()
            .map(|d| d.as_document().expect("doc").clone())
            .collect()
    }
}

fn item(id: i32, name: &str) -> Document {
    doc! {"_id": id, "owner": "alice", "name": name, "qty": 1}
}

#[test]
fn users_writes_must_leave_documents_that_satisfy_the_schema() {
    for mongodb in [false, true] {
        users_writes_must_leave_documents_that_satisfy_the_schema_on(World::new(mongodb));
    }
}

fn users_writes_must_leave_documents_that_satisfy_the_schema_on(w: World) {
    let before = w.items();
    let insert = |d: Document| doc! {"collection": "items", "document": d};
    let many = |docs: Vec<Document>| doc! {"collection": "items", "documents": docs};
    let update = |filter: Document, u: Document| doc! {"collection": "items", "filter": filter, "update": u};

    // Inserts: a wrong type, a missing required field, bounds, enum, nested and extra fields.
    let mut bad = item(3, "x");
    bad.insert("qty", "3");
    w.refused("insertOne", insert(bad), "qty must be an int");
    w.refused(
        "insertOne",
        insert(doc! {"_id": 3, "owner": "alice"}),
        "name is required",
    );
    w.refused("insertOne", insert(item(3, "")), "name is too short");
    let mut bad = item(3, "x");
    bad.insert("tags", vec!["a", "a"]);
    w.refused("insertOne", insert(bad), "tags must be unique");
    let mut bad = item(3, "x");
    bad.insert("status", "lost");
    w.refused("insertOne", insert(bad), "status must be one of the enum");
    let mut bad = item(3, "x");
    bad.insert("address", doc! {"city": "Oslo", "zip": "0150"});
    w.refused("insertOne", insert(bad), "address allows no other fields");
    let e = w
        .user(
            "insertOne",
            insert(doc! {"_id": 3, "owner": "alice", "name": "x", "qty": -1}),
        )
        .unwrap_err();
    assert!(e.contains("qty: -1 is outside the schema's bounds"), "{e}");
    // insertMany is all or nothing.
    w.refused(
        "insertMany",
        many(vec![item(3, "fine"), item(4, "")]),
        "one bad document refuses all",
    );
    assert_eq!(w.items(), before, "no refused insert left a document");

    // Updates: checked on the document they leave; updateMany changes none if one fails.
    w.refused(
        "updateOne",
        update(doc! {"_id": 1}, doc! {"$set": {"qty": 2.5}}),
        "qty stays an int",
    );
    w.refused(
        "updateOne",
        update(doc! {"_id": 1}, doc! {"$unset": {"name": ""}}),
        "name stays",
    );
    w.refused(
        "updateMany",
        update(doc! {}, doc! {"$inc": {"qty": -5}}),
        "item 2 would go below 0, so item 1 is not changed either",
    );
    w.refused(
        "updateOne",
        update(doc! {"_id": 1}, doc! {"$set": {"owner": "mallory"}}),
        "the owner's validate expression: it never changes",
    );
    let upsert =
        doc! {"collection": "items", "filter": {"_id": 9}, "update": {"$set": {"qty": 1}}, "upsert": true};
    w.refused("updateOne", upsert, "an upsert without a name or owner");
    let replace = doc! {"collection": "items", "filter": {"_id": 1}, "replacement": {"owner": "alice"}};
    w.refused("findOneAndReplace", replace, "a replacement without a name");
    let fau = doc! {"collection": "items", "filter": {"_id": 2}, "update": {"$push": {"tags": 5}}};
    w.refused("findOneAndUpdate", fau, "tags are strings");
    let bulk = doc! {"collection": "items", "operations": [
        {"insertOne": {"document": item(5, "bulk")}},
        {"updateOne": {"filter": {"_id": 1}, "update": {"$set": {"qty": "x"}}}},
    ]};
    w.refused("bulkWrite", bulk, "a bulk write is all or nothing");
    assert_eq!(w.items(), before, "no refused write changed anything");

    // What satisfies the schema goes through, as before.
    assert!(w.user("insertOne", insert(item(3, "third"))).is_ok());
    let r = w
        .user("updateMany", update(doc! {}, doc! {"$inc": {"qty": 1}}))
        .expect("updateMany");
    assert_eq!(
        r.as_document().and_then(|d| d.get_i32("modifiedCount").ok()),
        Some(3)
    );
    let renamed = doc! {"collection": "items", "filter": {"_id": 1}, "update": {"$set": {"name": "renamed", "owner": "alice"}}, "returnNewDocument": true};
    let r = w.user("findOneAndUpdate", renamed).expect("findOneAndUpdate");
    assert_eq!(
        r.as_document().and_then(|d| d.get_str("name").ok()),
        Some("renamed")
    );
    let upsert = doc! {"collection": "items", "filter": {"_id": 8}, "update": {"$set": {"owner": "alice", "name": "new"}}, "upsert": true};
    assert!(w.user("updateOne", upsert).is_ok());
    assert!(
        w.user("deleteOne", doc! {"collection": "items", "filter": {"_id": 8}})
            .is_ok()
    );
    assert_eq!(w.items().len(), 3);

    // A long array under uniqueItems is checked in one sort, not pair by pair (which would
    // hold the store's writer for minutes): 200,000 labels, the last one a repeat.
    let mut long = item(6, "long");
    let labels: Vec<String> = (0..200_000)
        .map(|i| format!("l{i}"))
        .chain(["l7".to_string()])
        .collect();
    long.insert("labels", labels);
    let e = w.user("insertOne", insert(long)).expect_err("a repeated label");
    assert!(
        e.contains("labels: the array holds an item more than once"),
        "{e}"
    );

    // System code is not bound by the schema.
    let mut free = item(20, "");
    free.insert("qty", "anything");
    w.system("insertOne", doc! {"collection": "items", "document": free});

    // By default a null is a type of its own (App Services' default); with "null type schema
    // validation" on, an optional field may be null, a required one still may not.
    let mut nulled = item(7, "nulled");
    nulled.insert("qty", Bson::Null);
    w.refused("insertOne", insert(nulled), "qty is an int, not null");
    let note = |d: Document| doc! {"collection": "nullable", "document": d};
    assert!(
        w.user("insertOne", note(doc! {"name": "a", "note": null}))
            .is_ok()
    );
    let e = w
        .user("insertOne", note(doc! {"name": null}))
        .expect_err("a required null");
    assert!(e.contains("name: expected type string, found null"), "{e}");

    // Inside a transaction: a refused write aborts it, so what it wrote before is gone too.
    let session = bson::oid::ObjectId::new();
    let in_session = |mut spec: Document| {
        spec.insert("session", session);
        spec
    };
    w.user("startTransaction", doc! {"session": session})
        .expect("start");
    w.user("insertOne", in_session(insert(item(30, "in a transaction"))))
        .expect("insert");
    let mut bad = item(31, "bad");
    bad.insert("qty", "many");
    let e = w.user("insertOne", in_session(insert(bad))).expect_err("refused");
    assert!(e.starts_with("SchemaValidationFailedWrite"), "{e}");
    assert!(
        w.user("commitTransaction", doc! {"session": session}).is_err(),
        "the transaction was aborted"
    );
    let _ = w.user("endSession", doc! {"session": session});
    let found = w.system("findOne", doc! {"collection": "items", "filter": {"_id": 30}});
    assert_eq!(found, Bson::Null, "nothing of the aborted transaction stays");

    // A schema writ cannot apply refuses users' writes to its collection, not their reads.
    let e = w
        .user("insertOne", doc! {"collection": "strict", "document": {"a": 1}})
        .expect_err("fail closed");
    assert!(
        e.starts_with("SchemaValidationFailedWrite: users cannot write to"),
        "{e}"
    );
    assert!(
        e.contains("the schema keyword 'if' is not supported by writ yet"),
        "{e}"
    );
    assert!(
        w.user("find", doc! {"collection": "strict", "filter": {}})
            .is_ok()
    );
}

#[test]
fn schemas_writ_cannot_read_are_named() {
    let invalid = |v: serde_json::Value| Schema::from_json(&v).expect_err("invalid");
    assert!(
        matches!(invalid(serde_json::json!({"bsonType": "decimal128"})), SchemaError::Invalid(m) if m.contains("decimal128"))
    );
    assert!(matches!(
        invalid(serde_json::json!({"required": "a"})),
        SchemaError::Invalid(_)
    ));
    assert!(
        matches!(invalid(serde_json::json!({"$ref": "#/x"})), SchemaError::NotEvaluated(m) if m.contains("$ref"))
    );
    let with_function = serde_json::json!({"validate": {"%%true": {"%function": {"name": "f"}}}});
    assert!(matches!(invalid(with_function), SchemaError::NotEvaluated(m) if m.contains("%function")));
    // A schema nested deeper than anything real is refused, not recursed into.
    let mut deep = serde_json::json!({"bsonType": "string"});
    for _ in 0..200 {
        deep = serde_json::json!({"bsonType": "object", "properties": {"a": deep}});
    }
    assert!(matches!(invalid(deep), SchemaError::Invalid(m) if m.contains("nest deeper")));
}

/// On MongoDB a schema-checked write runs in a transaction; writes that conflict with each
/// other (MongoDB aborts one with `TransientTransactionError`) run again, as `withTransaction`
/// would, so concurrent users' writes all land.
#[test]
fn concurrent_schema_checked_writes_on_mongodb_all_land() {
    let w = World::new(true);
    let ids: Vec<i32> = (10..22).collect();
    for &id in &ids {
        w.system(
            "insertOne",
            doc! {"collection": "items", "document": item(id, "busy")},
        );
    }
    let alice = User::normal("alice");
    let mut running = Vec::new();
    for _ in 0..4 {
        for &id in &ids {
            let update = doc! {"collection": "items", "filter": {"_id": id}, "update": {"$inc": {"qty": 1}}};
            let op = bridge::rules::execute_as_user(
                w.executor.as_ref(),
                &w.deployment,
                "mongodb-atlas",
                &alice,
                w.request("updateOne", update),
            )
            .expect("allowed");
            running.push(w.runtime.spawn(op));
        }
    }
    for r in running {
        w.runtime.block_on(r).expect("joined").expect("every write lands");
    }
    let busy: Vec<_> = w
        .items()
        .into_iter()
        .filter(|d| d.get_str("name").ok() == Some("busy"))
        .collect();
    assert_eq!(busy.len(), ids.len());
    for d in busy {
        assert_eq!(d.get_i32("qty").ok(), Some(5), "{d}");
    }
}
