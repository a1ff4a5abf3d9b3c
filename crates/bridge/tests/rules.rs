//! Data-access rules: what a user may read and write, from a client request and from a function
//! running as that user, on the embedded store (the rules become filters, so every backend
//! enforces them the same way).

use std::{collections::BTreeMap, sync::Arc};

use bridge::{MongoService, Request, RuleEnv, Rules, StoreExecutor, rules::CollectionRules};
use bson::{Bson, doc};
use engine::{Deployment, Engine, EngineConfig, FunctionConfig, FunctionSpec, Invocation, User};

fn own_documents() -> CollectionRules {
    CollectionRules::from_json(&serde_json::json!({
        "roles": [
            {
                "name": "admin",
                "apply_when": {"%%user.custom_data.admin": true},
                "read": true, "write": true, "insert": true, "delete": true
            },
            {
                "name": "owner",
                "apply_when": {},
                "document_filters": {"read": {"userId": "%%user.id"}, "write": {"userId": "%%user.id"}},
                "read": true, "write": true, "insert": true, "delete": false
            }
        ]
    }))
    .expect("rules")
}

fn rules() -> Rules {
    let mut rules = Rules::default();
    rules.insert("mongodb-atlas", "app", "data", own_documents());
    rules
}

/// An embedded store whose collections in database `app` have the given rules.
struct RuledStore {
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    executor: StoreExecutor,
    deployment: Deployment,
}

impl RuledStore {
    fn new<const N: usize>(collections: [(&str, CollectionRules); N]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let executor = StoreExecutor::new(Arc::new(store::Store::open(dir.path()).expect("store")));
        let mut all = Rules::default();
        for (coll, rules) in collections {
            all.insert("mongodb-atlas", "app", coll, rules);
        }
        let mut deployment = Deployment::default();
        deployment.extensions.insert(all);
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        RuledStore {
            runtime,
            _dir: dir,
            executor,
            deployment,
        }
    }

    /// Runs `kind` with `spec` on `app.<coll>` as `user`, or as the system when `None`.
    fn run(
        &self,
        user: Option<&User>,
        coll: &str,
        kind: &str,
        mut spec: bson::Document,
    ) -> Result<Bson, String> {
        spec.insert("database", "app");
        spec.insert("collection", coll);
        let request = Request::parse(kind, &spec).expect("valid request");
        let running = match user {
            Some(u) => {
                bridge::rules::execute_as_user(&self.executor, &self.deployment, "mongodb-atlas", u, request)
                    .map_err(|e| e.message)?
            }
            None => bridge::Executor::execute(&self.executor, request),
        };
        self.runtime
            .block_on(running)
            .map(bridge::Outcome::into_bson)
            .map_err(|e| e.message)
    }
}

fn authorize(user: &User, kind: &str, spec: bson::Document) -> Result<Request, bridge::RuleError> {
    let mut spec = spec;
    spec.insert("database", "app");
    spec.insert("collection", "data");
    let request = Request::parse(kind, &spec).expect("valid request");
    let (values, environment) = (BTreeMap::new(), doc! {});
    let env = RuleEnv::new(user, &values, "", &environment);
    rules().authorize("mongodb-atlas", &env, request).map(|(r, _)| r)
}

#[test]
fn reads_are_narrowed_to_the_users_documents() {
    let alice = User::normal("alice");
    let r = authorize(&alice, "find", doc! {"filter": {"x": 1}}).expect("allowed");
    let bridge::Op::Find { filter, .. } = r.op else {
        panic!()
    };
    assert_eq!(filter, doc! {"$and": [{"x": 1}, {"userId": "alice"}]});
}

#[test]
fn a_role_chosen_by_custom_data_applies() {
    let mut admin = User::normal("root");
    admin.custom_data = doc! {"admin": true};
    let r = authorize(&admin, "deleteMany", doc! {"filter": {}}).expect("allowed");
    let bridge::Op::Delete { filter, .. } = r.op else {
        panic!()
    };
    assert_eq!(filter, doc! {});
    let e = authorize(&User::normal("alice"), "deleteMany", doc! {"filter": {}}).expect_err("denied");
    assert_eq!(e.code, "PermissionDenied");
}

#[test]
fn inserts_upserts_and_moved_documents_are_checked() {
    let alice = User::normal("alice");
    assert!(authorize(&alice, "insertOne", doc! {"document": {"userId": "alice"}}).is_ok());
    assert!(authorize(&alice, "insertOne", doc! {"document": {"userId": "bob"}}).is_err());
    let upsert = |filter| doc! {"filter": filter, "update": {"$set": {"a": 1}}, "upsert": true};
    assert!(authorize(&alice, "updateOne", upsert(doc! {"userId": "alice"})).is_ok());
    assert!(authorize(&alice, "updateOne", upsert(doc! {"userId": "bob"})).is_err());
    let set_owner = |owner: &str| doc! {"filter": {}, "update": {"$set": {"userId": owner}}};
    assert!(authorize(&alice, "updateOne", set_owner("alice")).is_ok());
    assert!(authorize(&alice, "updateOne", set_owner("bob")).is_err());
    let unset = doc! {"filter": {}, "update": {"$unset": {"userId": ""}}};
    assert!(authorize(&alice, "updateOne", unset).is_err());
    let replace = |owner: &str| doc! {"filter": {}, "replacement": {"userId": owner}};
    assert!(authorize(&alice, "findOneAndReplace", replace("alice")).is_ok());
    assert!(authorize(&alice, "findOneAndReplace", replace("bob")).is_err());
}

#[test]
fn collections_without_rules_are_closed_and_lookups_are_refused() {
    let alice = User::normal("alice");
    let spec = doc! {"database": "app", "collection": "other", "filter": {}};
    let request = Request::parse("find", &spec).expect("valid");
    let (values, environment) = (BTreeMap::new(), doc! {});
    let env = RuleEnv::new(&alice, &values, "", &environment);
    let e = rules()
        .authorize("mongodb-atlas", &env, request)
        .expect_err("no rule");
    assert_eq!(e.code, "NoMatchingRuleFound");
    let lookup = doc! {"pipeline": [{"$lookup": {"from": "other", "localField": "a", "foreignField": "b", "as": "c"}}]};
    assert!(authorize(&alice, "aggregate", lookup).is_err());
    // $graphLookup reads another collection too, at any depth; $geoNear's query is a filter
    // like any other (no server JavaScript).
    let graph = doc! {"pipeline": [{"$facet": {"x": [{"$graphLookup": {"from": "keys", "startWith": "$a",
    "connectFromField": "a", "connectToField": "b", "as": "c"}}]}}]};
    let e = authorize(&alice, "aggregate", graph).expect_err("graphLookup");
    assert!(e.message.contains("$graphLookup"), "{}", e.message);
    let near =
        doc! {"pipeline": [{"$geoNear": {"near": [0, 0], "distanceField": "d", "query": {"$where": "1"}}}]};
    let e = authorize(&alice, "aggregate", near).expect_err("$where in $geoNear");
    assert!(e.message.contains("$where"), "{}", e.message);
    // Rules writ cannot evaluate fail closed: no read, write, insert or delete for users.
    let mut closed = Rules::default();
    closed.insert("mongodb-atlas", "app", "guarded", CollectionRules::deny_all());
    for (kind, spec) in [
        ("find", doc! {"filter": {}}),
        ("insertOne", doc! {"document": {"a": 1}}),
        ("updateMany", doc! {"filter": {}, "update": {"$set": {"a": 2}}}),
        ("deleteMany", doc! {"filter": {}}),
    ] {
        let mut spec = spec;
        spec.insert("database", "app");
        spec.insert("collection", "guarded");
        let request = Request::parse(kind, &spec).expect("valid");
        match closed.authorize("mongodb-atlas", &env, request) {
            Err(_) => {}
            // A read is narrowed to match nothing (`_id` in no values) rather than refused.
            Ok(r) => assert!(
                kind == "find" && format!("{r:?}").contains(r#""_id": Document({"$in": Array([])})"#),
                "{kind} was allowed: {r:?}"
            ),
        }
    }
}

#[test]
fn unsupported_rule_features_are_refused_when_loading() {
    // Field rules load (what they enforce: tests/field_rules.rs), including App Services'
    // own Manager example and rules that grant nothing.
    for fields in [
        serde_json::json!({"roles": [{"name": "r", "fields": {"name": {"read": true}}}]}),
        serde_json::json!({"roles": [{"name": "r", "read": true, "additional_fields": {"write": true}}]}),
        serde_json::json!({"roles": [{"name": "Manager", "read": true, "write": true, "insert": true, "delete": true,
            "fields": {}, "additional_fields": {"read": true, "write": true}}]}),
        serde_json::json!({"roles": [{"name": "r", "fields": {"secret": {"read": false, "write": false}}}]}),
    ] {
        assert!(CollectionRules::from_json(&fields).is_ok(), "{fields}");
    }
    let nested = serde_json::json!({"roles": [{"name": "r", "fields": {"a": {"write": "%%user.data.x"}}}]});
    assert!(CollectionRules::from_json(&nested).is_ok());
    let bad = serde_json::json!({"roles": [{"name": "r", "fields": {"a": {"read": "%%root.x"}}}]});
    assert!(CollectionRules::from_json(&bad).unwrap_err().contains("%%root"));
    // The whole document as a rule's value is refused when the rules load (it made every
    // request fail with InvalidRule); as a key it is the insert-only template's test.
    for whole in [
        serde_json::json!({"roles": [{"name": "r", "read": "%%root"}]}),
        serde_json::json!({"roles": [{"name": "r", "write": {"owner": "%%prevRoot"}}]}),
    ] {
        let e = CollectionRules::from_json(&whole).unwrap_err();
        assert!(e.contains("as a value (the whole document)"), "{whole}: {e}");
    }
    // A function a rule calls runs once per request: its arguments cannot name the document,
    // and its name is the app's, never a user's data.
    let function =
        serde_json::json!({"roles": [{"name": "r", "apply_when": {"%%true": {"%function": {"name": "f"}}}}]});
    assert!(CollectionRules::from_json(&function).is_ok());
    let per_document = serde_json::json!({"roles": [{"name": "r",
        "apply_when": {"%%true": {"%function": {"name": "f", "arguments": ["%%root.owner"]}}}}]});
    let error = CollectionRules::from_json(&per_document).unwrap_err();
    assert!(error.contains("%function"), "{error}");
    let chosen = serde_json::json!({"roles": [{"name": "r",
        "apply_when": {"%%true": {"%function": {"name": "%%user.custom_data.f"}}}}]});
    let chosen = CollectionRules::from_json(&chosen).unwrap_err();
    assert!(chosen.contains("'name'"), "{chosen}");
    // What writ does not evaluate is told apart from an invalid rule: the loader fails closed
    // for the first (no access for users) and refuses the second.
    assert!(CollectionRules::not_evaluated(&error));
    assert!(CollectionRules::not_evaluated(
        &CollectionRules::from_json(&bad).unwrap_err()
    ));
    let invalid = serde_json::json!({"roles": [{"name": "r", "read": 5}]});
    if let Err(e) = CollectionRules::from_json(&invalid) {
        assert!(!CollectionRules::not_evaluated(&e), "{e}");
    }
    assert!(!CollectionRules::not_evaluated(
        &CollectionRules::from_json(&serde_json::json!([])).unwrap_err()
    ));
}

#[test]
fn percent_and_or_nor_combine_expressions_as_app_services_wrote_them() {
    // `%or` of a document filter and a user test; `%and` of tests on one expansion's value.
    let rules = CollectionRules::from_json(&serde_json::json!({
        "roles": [{
            "name": "r",
            "apply_when": {"%%user.custom_data.level": {"%and": [{"$gt": 0}, {"$lte": 42}]}},
            "read": {"%or": [{"owner": "%%user.id"}, {"%%user.custom_data.admin": true}]},
            "write": {"%nor": [{"locked": true}]}
        }]
    }))
    .expect("%and, %or and %nor load");
    let mut all = Rules::default();
    all.insert("mongodb-atlas", "app", "data", rules);
    let run = |user: &User, kind: &str| {
        let mut spec = doc! {"database": "app", "collection": "data", "filter": {}};
        if kind == "updateMany" {
            spec.insert("update", doc! {"$set": {"a": 1}});
        }
        let request = Request::parse(kind, &spec).expect("valid request");
        let (values, environment) = (BTreeMap::new(), doc! {});
        let env = RuleEnv::new(user, &values, "", &environment);
        all.authorize("mongodb-atlas", &env, request).map(|(r, _)| r.op)
    };
    let mut alice = User::normal("alice");
    alice.custom_data = doc! {"level": 7};
    let Ok(bridge::Op::Find { filter, .. }) = run(&alice, "find") else {
        panic!("alice reads")
    };
    // What a role may write it may read.
    assert_eq!(
        filter,
        doc! {"$or": [{"owner": "alice"}, {"$nor": [{"locked": true}]}]}
    );
    let Ok(bridge::Op::Update { filter, .. }) = run(&alice, "updateMany") else {
        panic!("alice writes")
    };
    assert_eq!(filter, doc! {"$nor": [{"locked": true}]});
    alice.custom_data = doc! {"level": 7, "admin": true};
    let Ok(bridge::Op::Find { filter, .. }) = run(&alice, "find") else {
        panic!("admins read everything")
    };
    assert_eq!(filter, doc! {});
    for level in [0, 43] {
        let mut outside = User::normal("bob");
        outside.custom_data = doc! {"level": level, "admin": true};
        let Ok(bridge::Op::Find { filter, .. }) = run(&outside, "find") else {
            panic!("a read without a role is narrowed, not refused")
        };
        let nothing = doc! {"$and": [{}, {"_id": {"$in": []}}]};
        assert_eq!(
            filter, nothing,
            "level {level}: no role applies, so nothing is read"
        );
    }
}

#[test]
fn root_expansions_in_data_rules_name_the_documents_fields() {
    let rules = CollectionRules::from_json(&serde_json::json!({
        "roles": [
            {"name": "owner", "apply_when": {"%%root.owner_id": "%%user.id"}, "read": true, "write": true},
            {"name": "shared", "apply_when": {"%%user.id": {"$in": "%%root.shared_with"}}, "read": true},
            {"name": "shared2", "apply_when": {"%%user.id": "%%root.editor"}, "read": true},
            {"name": "anyone", "apply_when": {}, "read": "%%root.public"}
        ]
    }));
    // `{"%%user.id": {"$in": "%%root.shared_with"}}` tests the user against a field through an
    // operator, which writ does not translate: the collection fails closed.
    let e = rules.expect_err("an operator over a %%root value");
    assert!(CollectionRules::not_evaluated(&e), "{e}");
    let rules = CollectionRules::from_json(&serde_json::json!({
        "roles": [
            {"name": "owner", "apply_when": {"%%root.owner_id": "%%user.id"}, "read": true, "write": true},
            {"name": "editor", "apply_when": {"%%user.id": "%%root.editor"}, "read": true},
            {"name": "anyone", "apply_when": {}, "read": "%%root.public"}
        ]
    }))
    .expect("%%root.<field> is the document's field");
    let two_fields = serde_json::json!({"roles": [{"name": "r", "apply_when": {"owner": "%%root.creator"}, "read": true}]});
    let e = CollectionRules::from_json(&two_fields).expect_err("a field against a field");
    assert!(
        CollectionRules::not_evaluated(&e) && e.contains("%%root.creator"),
        "{e}"
    );

    let store = RuledStore::new([("docs", rules)]);
    let run = |user: Option<&User>, kind: &str, spec: bson::Document| store.run(user, "docs", kind, spec);
    for d in [
        doc! {"_id": 1, "owner_id": "alice"},
        doc! {"_id": 2, "owner_id": "bob", "editor": "alice"},
        doc! {"_id": 3, "owner_id": "bob", "public": true},
        doc! {"_id": 4, "owner_id": "bob"},
    ] {
        run(None, "insertOne", doc! {"document": d}).expect("system insert");
    }
    let ids = |user: &User| -> Vec<i32> {
        let found = run(Some(user), "find", doc! {"filter": {}, "sort": {"_id": 1}}).expect("find");
        found
            .as_array()
            .expect("docs")
            .iter()
            .map(|d| d.as_document().expect("doc").get_i32("_id").expect("id"))
            .collect()
    };
    let (alice, bob, carol) = (User::normal("alice"), User::normal("bob"), User::normal("carol"));
    assert_eq!(ids(&alice), vec![1, 2, 3]);
    assert_eq!(ids(&bob), vec![2, 3, 4]);
    assert_eq!(ids(&carol), vec![3]);
    // Only the owner's role writes.
    let set = doc! {"filter": {}, "update": {"$set": {"touched": true}}};
    let r = run(Some(&alice), "updateMany", set).expect("update");
    assert_eq!(
        r.as_document().and_then(|d| d.get_i32("modifiedCount").ok()),
        Some(1)
    );
}

/// An engine over an embedded store in a temporary directory, with `functions` deployed as
/// (name, source, run as system) under [`rules`].
struct Harness {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new(functions: &[(&str, &str, bool)]) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(store::Store::open(dir.path()).expect("store"));
        let executor = Arc::new(StoreExecutor::new(store));
        let engine = Engine::new(
            EngineConfig {
                workers: 1,
                ..EngineConfig::default()
            },
            vec![Arc::new(MongoService::new("mongodb-atlas", executor))],
            runtime.handle().clone(),
        )
        .expect("engine");
        let mut deployment = Deployment::default();
        for (name, source, run_as_system) in functions {
            let spec = FunctionSpec {
                name: name.to_string(),
                path: format!("{name}.js"),
                source: source.to_string(),
                config: FunctionConfig {
                    run_as_system: *run_as_system,
                    ..FunctionConfig::default()
                },
            };
            deployment.functions.insert(name.to_string(), spec);
        }
        deployment.extensions.insert(rules());
        engine.deploy(Arc::new(deployment));
        Harness {
            runtime,
            engine,
            _dir: dir,
        }
    }

    fn call(&self, name: &str, user: User, args: Vec<Bson>) -> Result<Bson, String> {
        let outcome = self
            .runtime
            .block_on(self.engine.call(Invocation::new(name, args, user)))
            .expect("call");
        outcome.result.map_err(|e| e.message)
    }
}

#[test]
fn functions_running_as_a_user_follow_the_rules_and_system_functions_do_not() {
    let body = r#"exports = async (doc) => {
        const c = context.services.get("mongodb-atlas").db("app").collection("data");
        if (doc) await c.insertOne(doc);
        return (await c.find({}).toArray()).map((d) => d.userId).sort();
    };"#;
    let h = Harness::new(&[("asUser", body, false), ("asSystem", body, true)]);
    let call = |name: &str, user: &str, arg: Bson| h.call(name, User::normal(user), vec![arg]);
    let names = |v: &[&str]| Bson::Array(v.iter().map(|s| Bson::String(s.to_string())).collect());
    assert_eq!(
        call("asUser", "alice", Bson::Document(doc! {"userId": "alice"})),
        Ok(names(&["alice"]))
    );
    assert_eq!(
        call("asUser", "bob", Bson::Document(doc! {"userId": "bob"})),
        Ok(names(&["bob"]))
    );
    let denied = call("asUser", "bob", Bson::Document(doc! {"userId": "alice"})).expect_err("denied");
    assert!(denied.contains("insert not permitted"), "{denied}");
    assert_eq!(call("asSystem", "bob", Bson::Null), Ok(names(&["alice", "bob"])));
}

/// An update with an aggregation pipeline computes its new values from the document, so the
/// rules cannot check them before writing: where the write rules look at fields, a user's
/// pipeline update is refused, whatever its filter, and another user's document is untouched.
#[test]
fn a_users_pipeline_update_cannot_reach_another_users_document() {
    let seed = r#"exports = async () => {
        const c = context.services.get("mongodb-atlas").db("app").collection("data");
        await c.insertMany([{_id: 1, userId: "alice", n: 1}, {_id: 2, userId: "bob", n: 2, secret: "b"}]);
    };"#;
    let update = r#"exports = async (filter, pipeline, upsert) => {
        const c = context.services.get("mongodb-atlas").db("app").collection("data");
        return await c.updateMany(filter, pipeline, {upsert});
    };"#;
    let all = r#"exports = async () =>
        context.services.get("mongodb-atlas").db("app").collection("data").find({}, {_id: 0}).toArray();"#;
    let h = Harness::new(&[
        ("seed", seed, true),
        ("update", update, false),
        ("all", all, true),
    ]);
    h.call("seed", User::normal("system"), vec![]).expect("seeded");
    let before = h.call("all", User::normal("system"), vec![]).expect("read");
    let attempts = [
        (doc! {}, bson::bson!([{"$set": {"secret": "$$ROOT"}}]), false),
        (doc! {"userId": "bob"}, bson::bson!([{"$set": {"n": 0}}]), false),
        (doc! {}, bson::bson!([{"$set": {"userId": "bob"}}]), false),
        (
            doc! {"_id": 2},
            bson::bson!([{"$replaceWith": {"userId": "alice", "n": 9}}]),
            false,
        ),
        (doc! {"_id": 3}, bson::bson!([{"$set": {"userId": "bob"}}]), true),
    ];
    for (filter, pipeline, upsert) in attempts {
        let what = format!("{filter} {pipeline}");
        let args = vec![Bson::Document(filter), pipeline, Bson::Boolean(upsert)];
        let e = h.call("update", User::normal("alice"), args).expect_err(&what);
        assert!(e.contains("update with a pipeline"), "{what}: {e}");
    }
    assert_eq!(h.call("all", User::normal("system"), vec![]), Ok(before));
    // A role whose writes are unrestricted may use a pipeline: the rules have nothing to check.
    let mut admin = User::normal("root");
    admin.custom_data = doc! {"admin": true};
    let args = vec![
        Bson::Document(doc! {}),
        bson::bson!([{"$set": {"n": {"$add": ["$n", 10]}}}]),
        Bson::Boolean(false),
    ];
    let r = h.call("update", admin, args).expect("admin's pipeline update");
    assert_eq!(
        r.as_document().and_then(|d| d.get("modifiedCount")),
        Some(&Bson::Int32(2))
    );
}

/// A user's `$near` and `$geoNear` see only what the rules let the user read: the read filter
/// joins the find's filter, and `$geoNear`'s `query` (the stage must stay first).
#[test]
fn geospatial_reads_are_narrowed_by_the_rules() {
    let seed = r#"exports = async () => {
        const c = context.services.get("mongodb-atlas").db("app").collection("data");
        const at = (lng, lat) => ({type: "Point", coordinates: [lng, lat]});
        await c.insertMany([
            {_id: "a-far", userId: "alice", loc: at(10, 10)},
            {_id: "a-near", userId: "alice", loc: at(1, 1)},
            {_id: "b-nearest", userId: "bob", loc: at(0, 0)},
        ]);
    };"#;
    let near = r#"exports = async () => {
        const c = context.services.get("mongodb-atlas").db("app").collection("data");
        const origin = {type: "Point", coordinates: [0, 0]};
        const found = await c.find({loc: {$near: {$geometry: origin}}}).toArray();
        const staged = await c.aggregate([
            {$geoNear: {near: origin, distanceField: "d", query: {_id: {$ne: "nothing"}}}},
            {$project: {_id: 1}},
        ]).toArray();
        return {found: found.map((d) => d._id), staged: staged.map((d) => d._id)};
    };"#;
    let h = Harness::new(&[("seed", seed, true), ("near", near, false)]);
    h.call("seed", User::normal("system"), vec![]).expect("seeded");
    let got = h.call("near", User::normal("alice"), vec![]).expect("near");
    let want = doc! {"found": ["a-near", "a-far"], "staged": ["a-near", "a-far"]};
    assert_eq!(got, Bson::Document(want));
}

/// Field rules hide fields after a pipeline's first stage, and a first `$geoNear` would
/// measure a hidden location before that: refused where field rules apply.
#[test]
fn geo_near_is_refused_where_field_rules_hide_fields() {
    let hidden = CollectionRules::from_json(&serde_json::json!({
        "roles": [{"name": "public", "apply_when": {}, "fields": {"name": {"read": true}}, "additional_fields": {}}]
    }))
    .expect("rules");
    let mut rules = Rules::default();
    rules.insert("mongodb-atlas", "app", "people", hidden);
    let alice = User::normal("alice");
    let (values, environment) = (BTreeMap::new(), doc! {});
    let env = RuleEnv::new(&alice, &values, "", &environment);
    let geo_near = doc! {"$geoNear": {"near": {"type": "Point", "coordinates": [0, 0]}, "distanceField": "d", "key": "home"}};
    let spec = doc! {"database": "app", "collection": "people", "pipeline": [geo_near]};
    let request = Request::parse("aggregate", &spec).expect("valid");
    let e = rules
        .authorize("mongodb-atlas", &env, request)
        .expect_err("hidden location");
    assert_eq!(e.code, "PermissionDenied");
    assert!(e.message.contains("$geoNear"), "{}", e.message);
}

#[test]
fn insert_only_roles_and_percent_operators_work_as_app_services_templates_write_them() {
    // App Services' insert-only template: `write` holds only where there was no document
    // before (`%%prevRoot`), so the role inserts but neither reads, updates nor deletes.
    let insert_only = CollectionRules::from_json(&serde_json::json!({
        "roles": [{"name": "insertOnly", "apply_when": {}, "delete": false, "insert": true,
            "write": {"%%prevRoot": {"%exists": false}}, "additional_fields": {}}]
    }))
    .expect("the insert-only template");
    // Updates only by the stored owner (`%%prevRoot.<field>`), inserts by anyone with an email.
    let keeper = CollectionRules::from_json(&serde_json::json!({
        "roles": [{"name": "keeper", "apply_when": {"%%user.data.email": {"%exists": true}},
            "read": true, "insert": true, "delete": false,
            "write": {"%or": [{"%%prevRoot": {"%exists": false}}, {"%%prevRoot.owner": "%%user.id"}]}}]
    }))
    .expect("a %%prevRoot.<field> role");
    let store = RuledStore::new([("inbox", insert_only), ("kept", keeper)]);
    let run =
        |user: Option<&User>, coll: &str, kind: &str, spec: bson::Document| store.run(user, coll, kind, spec);
    let mut alice = User::normal("alice");
    alice.data = doc! {"email": "alice@example.com"};
    let mut bob = User::normal("bob");
    bob.data = doc! {"email": "bob@example.com"};
    let anonymous = User::normal("anon");

    run(
        Some(&alice),
        "inbox",
        "insertOne",
        doc! {"document": {"_id": 1, "text": "hello"}},
    )
    .expect("insert");
    let found = run(Some(&alice), "inbox", "find", doc! {"filter": {}}).expect("find");
    assert_eq!(found, Bson::Array(vec![]), "the insert-only role read");
    let _ = run(
        Some(&alice),
        "inbox",
        "updateOne",
        doc! {"filter": {"_id": 1}, "update": {"$set": {"text": "changed"}}},
    );
    let _ = run(Some(&alice), "inbox", "deleteOne", doc! {"filter": {"_id": 1}});
    let stored = run(None, "inbox", "find", doc! {"filter": {}}).expect("system find");
    assert_eq!(
        stored,
        Bson::Array(vec![Bson::Document(doc! {"_id": 1, "text": "hello"})])
    );

    run(
        Some(&alice),
        "kept",
        "insertOne",
        doc! {"document": {"_id": 1, "owner": "alice", "n": 0}},
    )
    .expect("insert");
    let bump = doc! {"filter": {"_id": 1}, "update": {"$inc": {"n": 1}}};
    run(Some(&alice), "kept", "updateOne", bump.clone()).expect("the owner updates");
    let by_bob = run(Some(&bob), "kept", "updateOne", bump.clone());
    assert!(
        by_bob.is_err()
            || by_bob
                .as_ref()
                .is_ok_and(|r| r.as_document().and_then(|d| d.get("modifiedCount")) == Some(&Bson::Int32(0))),
        "{by_bob:?}"
    );
    // `%exists` is `$exists`: a user without an email gets no role.
    assert_eq!(
        run(Some(&anonymous), "kept", "find", doc! {"filter": {}}).expect("find"),
        Bson::Array(vec![])
    );
    let stored = run(None, "kept", "find", doc! {"filter": {}}).expect("system find");
    assert_eq!(
        stored,
        Bson::Array(vec![Bson::Document(doc! {"_id": 1, "owner": "alice", "n": 1})])
    );
}
