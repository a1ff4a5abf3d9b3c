//! Field-level permissions (`fields`, `additional_fields`) and filter projections, on the
//! embedded store through `execute_as_user`, with roles shaped like the templates of App
//! Services' "Data Access Role Examples" (docs-app-services `source/rules/examples.txt`):
//! "The Role Can Read All Fields & Write to Specific Fields", "The Role Cannot Write to
//! Specific Fields", "Field-level Permissions for Embedded Documents", and the note that "to
//! insert a document a role must also have write permission for all fields in the document".
//! Each check runs on both backends: the embedded store and MongoDB (the wire test server, or
//! `MONGODB_URI`); rules become filters and the result's shaping is the bridge's, so both
//! must agree.

use std::sync::Arc;

use bridge::{DriverExecutor, Executor, Request, Rules, StoreExecutor, rules::CollectionRules};
use bson::{Bson, Document, doc};
use engine::{Deployment, User};

fn people_rules() -> CollectionRules {
    CollectionRules::from_json(&serde_json::json!({
        "roles": [
            {
                // Reads everything, writes only `bio`.
                "name": "editor",
                "apply_when": {"%%user.custom_data.editor": true},
                "read": true,
                "fields": {"bio": {"write": true}}
            },
            {
                // Their own document: reads everything, writes all but `owner`.
                "name": "self",
                "apply_when": {"owner": "%%user.id"},
                "read": true, "delete": true,
                "fields": {"owner": {"read": true, "write": false}},
                "additional_fields": {"write": true}
            },
            {
                // Anyone else: the public parts only.
                "name": "public",
                "apply_when": {},
                "fields": {
                    "name": {"read": true},
                    "address": {"fields": {"city": {"read": true}}}
                },
                "additional_fields": {}
            }
        ]
    }))
    .expect("rules")
}

fn notes_rules() -> CollectionRules {
    CollectionRules::from_json(&serde_json::json!({
        "roles": [{
            "name": "writer", "apply_when": {}, "insert": true,
            "fields": {"text": {"write": true}, "tags": {"write": true}}
        }],
        "filters": [{"name": "no drafts", "apply_when": {}, "query": {}, "projection": {"draft": 0}}]
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
    /// The people and notes collections, with their rules, on the embedded store or (with
    /// `mongodb`) on MongoDB, in a database of their own.
    fn new(mongodb: bool) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let n = WORLDS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let db = format!("field_rules_{}_{n}", std::process::id());
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
        rules.insert("mongodb-atlas", &db, "people", people_rules());
        rules.insert("mongodb-atlas", &db, "notes", notes_rules());
        let mut deployment = Deployment::default();
        deployment.extensions.insert(rules);
        let world = World {
            runtime,
            executor,
            deployment,
            db,
            _dir: dir,
        };
        let people = [
            doc! {"_id": 1, "owner": "alice", "name": "Alice", "email": "a@x", "bio": "a",
            "address": {"city": "Oslo", "street": "Main 1"}},
            doc! {"_id": 2, "owner": "bob", "name": "Bob", "email": "b@x", "bio": "b",
            "address": {"city": "Rome", "street": "Via 2"}},
        ];
        for p in people {
            world.system("insertOne", doc! {"collection": "people", "document": p});
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

    fn run(&self, user: &User, kind: &str, spec: Document) -> Result<Bson, String> {
        let op = bridge::rules::execute_as_user(
            self.executor.as_ref(),
            &self.deployment,
            "mongodb-atlas",
            user,
            self.request(kind, spec),
        )
        .map_err(|e| format!("{}: {}", e.code, e.message))?;
        self.runtime
            .block_on(op)
            .map(bridge::Outcome::into_bson)
            .map_err(|e| e.message)
    }

    fn find(&self, user: &User, filter: Document) -> Vec<Document> {
        let found = self
            .run(
                user,
                "find",
                doc! {"collection": "people", "filter": filter, "sort": {"_id": 1}},
            )
            .expect("find");
        let Bson::Array(docs) = found else {
            panic!("{found}")
        };
        docs.into_iter()
            .map(|d| d.as_document().expect("doc").clone())
            .collect()
    }
}

fn editor() -> User {
    let mut carol = User::normal("carol");
    carol.custom_data = doc! {"editor": true};
    carol
}

#[test]
fn reads_show_only_the_fields_the_role_may_read() {
    for mongodb in [false, true] {
        reads_show_only_the_fields_the_role_may_read_on(World::new(mongodb));
    }
}

fn reads_show_only_the_fields_the_role_may_read_on(w: World) {
    let (alice, bob) = (User::normal("alice"), User::normal("bob"));
    let seen = w.find(&alice, doc! {});
    assert_eq!(
        seen[0].get_str("email").ok(),
        Some("a@x"),
        "alice reads all of her own document"
    );
    assert_eq!(
        seen[1],
        doc! {"_id": 2, "name": "Bob", "address": {"city": "Rome"}},
        "and only the public fields of bob's"
    );
    assert_eq!(
        w.find(&bob, doc! {"_id": 1}),
        vec![doc! {"_id": 1, "name": "Alice", "address": {"city": "Oslo"}}]
    );
    assert_eq!(w.find(&editor(), doc! {}).len(), 2);
    assert_eq!(
        w.find(&editor(), doc! {})[1].get_str("email").ok(),
        Some("b@x"),
        "the editor reads everything"
    );
    // findOne, and a projection of the caller's own applied after the rules' fields.
    let one = w
        .run(
            &bob,
            "findOne",
            doc! {"collection": "people", "filter": {"_id": 1}, "projection": {"name": 1, "email": 1}},
        )
        .expect("findOne");
    assert_eq!(one, Bson::Document(doc! {"_id": 1, "name": "Alice"}));
    let own = w
        .run(
            &alice,
            "findOne",
            doc! {"collection": "people", "filter": {"_id": 1}, "projection": {"owner": 0, "address": 0}},
        )
        .expect("findOne");
    assert_eq!(
        own,
        Bson::Document(doc! {"_id": 1, "name": "Alice", "email": "a@x", "bio": "a"})
    );
    // Projection operators apply to what the role may read: bob's `$slice` of alice's hidden
    // fields shows none of them, and an `$elemMatch` on one leaves the field out.
    let sliced = w
        .run(
            &bob,
            "findOne",
            doc! {"collection": "people", "filter": {"_id": 1},
            "projection": {"email": {"$slice": 1}, "address.street": {"$slice": -1}}},
        )
        .expect("findOne with $slice");
    assert_eq!(
        sliced,
        Bson::Document(doc! {"_id": 1, "name": "Alice", "address": {"city": "Oslo"}})
    );
    let matched = w
        .run(
            &bob,
            "findOne",
            doc! {"collection": "people", "filter": {"_id": 1},
            "projection": {"name": 1, "bio": {"$elemMatch": {"$exists": true}}}},
        )
        .expect("findOne with $elemMatch");
    assert_eq!(matched, Bson::Document(doc! {"_id": 1, "name": "Alice"}));
    // distinct of a hidden field is refused; aggregate over documents with different roles is
    // refused by name rather than leaking.
    let e = w
        .run(
            &bob,
            "distinct",
            doc! {"collection": "people", "field": "email", "filter": {}},
        )
        .expect_err("hidden");
    assert!(e.contains("field rules hide"), "{e}");
    let e = w
        .run(
            &bob,
            "aggregate",
            doc! {"collection": "people", "pipeline": [{"$match": {}}]},
        )
        .expect_err("mixed roles");
    assert!(e.contains("aggregate"), "{e}");
}

#[test]
fn writes_change_only_the_fields_the_role_may_write() {
    for mongodb in [false, true] {
        writes_change_only_the_fields_the_role_may_write_on(World::new(mongodb));
    }
}

fn writes_change_only_the_fields_the_role_may_write_on(w: World) {
    let (alice, bob) = (User::normal("alice"), User::normal("bob"));
    let set = |filter: Document, set: Document| doc! {"collection": "people", "filter": filter, "update": {"$set": set}};
    let matched = |r: Result<Bson, String>| {
        r.expect("update")
            .as_document()
            .expect("doc")
            .get_i32("matchedCount")
            .expect("count")
    };
    assert_eq!(
        matched(w.run(&alice, "updateOne", set(doc! {"_id": 1}, doc! {"email": "new@x"}))),
        1
    );
    let e = w
        .run(&alice, "updateOne", set(doc! {"_id": 1}, doc! {"owner": "bob"}))
        .expect_err("owner is read-only for the owner");
    assert!(e.contains("PermissionDenied") && e.contains("owner"), "{e}");
    assert_eq!(
        matched(w.run(
            &bob,
            "updateOne",
            set(doc! {"_id": 1}, doc! {"email": "stolen@x"})
        )),
        0,
        "bob may write his own email, not alice's"
    );
    assert_eq!(
        matched(w.run(&bob, "updateOne", set(doc! {"_id": 1}, doc! {"name": "Mallory"}))),
        0,
        "public fields are read-only on others' documents"
    );
    let e = w
        .run(&bob, "updateMany", set(doc! {}, doc! {"owner": "bob"}))
        .expect_err("no role of bob's may write an owner");
    assert!(e.contains("PermissionDenied"), "{e}");
    // The editor writes `bio` anywhere and nothing else; a replacement needs every field.
    assert_eq!(
        matched(w.run(&editor(), "updateMany", set(doc! {}, doc! {"bio": "edited"}))),
        2
    );
    assert!(
        w.run(
            &editor(),
            "updateOne",
            set(doc! {"_id": 2}, doc! {"bio": "x", "email": "x"})
        )
        .is_err()
    );
    let replace = doc! {"collection": "people", "filter": {"_id": 2}, "replacement": {"bio": "only"}};
    assert!(w.run(&editor(), "findOneAndReplace", replace).is_err());
    // A pipeline update cannot be checked field by field.
    let pipeline = doc! {"collection": "people", "filter": {"_id": 1}, "update": [{"$set": {"email": "p"}}]};
    assert!(w.run(&alice, "updateOne", pipeline).is_err());
    let all = w.system(
        "find",
        doc! {"collection": "people", "filter": {}, "sort": {"_id": 1}},
    );
    let all = all.as_array().expect("docs");
    assert_eq!(
        all[0].as_document().expect("doc").get_str("email").ok(),
        Some("new@x")
    );
    assert_eq!(
        all[0].as_document().expect("doc").get_str("owner").ok(),
        Some("alice")
    );
    assert_eq!(
        all[0].as_document().expect("doc").get_str("name").ok(),
        Some("Alice")
    );
    assert_eq!(
        all[1].as_document().expect("doc").get_str("email").ok(),
        Some("b@x")
    );
    assert_eq!(
        all[1].as_document().expect("doc").get_str("bio").ok(),
        Some("edited")
    );
}

#[test]
fn inserts_need_every_field_writable_and_filter_projections_hide_fields() {
    for mongodb in [false, true] {
        inserts_need_every_field_writable_and_filter_projections_hide_fields_on(World::new(mongodb));
    }
}

fn inserts_need_every_field_writable_and_filter_projections_hide_fields_on(w: World) {
    let dave = User::normal("dave");
    let insert = |d: Document| doc! {"collection": "notes", "document": d};
    assert!(
        w.run(&dave, "insertOne", insert(doc! {"text": "hi", "tags": ["a"]}))
            .is_ok()
    );
    assert!(
        w.run(&dave, "insertOne", insert(doc! {"_id": 7, "text": "with an id"}))
            .is_ok()
    );
    let e = w
        .run(&dave, "insertOne", insert(doc! {"text": "x", "draft": true}))
        .expect_err("draft is not writable");
    assert!(e.contains("insert not permitted"), "{e}");
    // Roles without field rules: insert still needs document-level write.
    let e = w
        .run(
            &dave,
            "insertOne",
            doc! {"collection": "people", "document": {"owner": "dave", "name": "D"}},
        )
        .expect_err("owner is read-only");
    assert!(e.contains("insert"), "{e}");
    // The filter's projection hides `draft` from reads, also from documents the system wrote.
    w.system(
        "insertOne",
        doc! {"collection": "notes", "document": {"_id": 9, "text": "t", "draft": true}},
    );
    let found = w
        .run(
            &dave,
            "findOne",
            doc! {"collection": "notes", "filter": {"_id": 9}},
        )
        .expect("findOne");
    assert_eq!(found, Bson::Document(doc! {"_id": 9, "text": "t"}));
    let agg = w
        .run(
            &dave,
            "aggregate",
            doc! {"collection": "notes", "pipeline": [{"$match": {"_id": 9}}]},
        )
        .expect("aggregate");
    assert_eq!(
        agg,
        Bson::Array(vec![Bson::Document(doc! {"_id": 9, "text": "t"})])
    );
}

#[test]
fn field_rules_that_depend_on_the_document_are_refused_when_loading() {
    let rules =
        serde_json::json!({"roles": [{"name": "r", "fields": {"a": {"read": {"owner": "%%user.id"}}}}]});
    let e = CollectionRules::from_json(&rules).unwrap_err();
    assert!(e.contains("depend on the document"), "{e}");
}
