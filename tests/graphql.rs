//! The generated GraphQL API, through the server, as a GraphQL client (Apollo) sends its
//! requests: queries and mutations named as App Services named them, inputs stored with the
//! schema's BSON types, every operation under the app's rules, and the hostile cases (another
//! user's documents, a query nested without end).

mod common;

use std::path::Path;

use axum::http::StatusCode;
use common::api::{APP, Api, Reply, limits, write};
use serde_json::{Value, json};

const FROM: &str = "10.0.0.1";

fn prepare(app: &Path) {
    let movies = app.join("data_sources/mongodb-atlas/films/movies");
    write(
        &movies.join("schema.json"),
        &json!({
            "title": "Movie",
            "required": ["title"],
            "properties": {
                "_id": {"bsonType": "objectId"},
                "title": {"bsonType": "string"},
                "year": {"bsonType": "int"},
                "rated": {"bsonType": "string"},
                "owner": {"bsonType": "string"},
                "budget": {"bsonType": "long"},
                "rating": {"bsonType": "double"},
                "released": {"bsonType": "date"},
                "cast": {"bsonType": "array", "items": {"bsonType": "string"}},
                "awards": {"bsonType": "object", "properties": {"wins": {"bsonType": "int"}, "text": {"bsonType": "string"}}},
                "poster": {"bsonType": "binData"}
            }
        })
        .to_string(),
    );
    write(
        &movies.join("rules.json"),
        &json!({"roles": [{"name": "owner", "apply_when": {},
            "document_filters": {"read": {"owner": "%%user.id"}, "write": {"owner": "%%user.id"}},
            "read": true, "write": true, "insert": true, "delete": true}]})
        .to_string(),
    );
    // Custom resolvers: a query with a scalar input and payload, one with custom types, a
    // computed field of Movie, a mutation with the default payload.
    let functions = [
        (
            "countSince",
            "exports = async (year) => context.services.get('mongodb-atlas').db('films').collection('movies').count({year: {$gte: year}});",
        ),
        (
            "summarize",
            "exports = async ({since}) => { const m = await context.services.get('mongodb-atlas').db('films').collection('movies') \
             .find({year: {$gte: since}}).sort({year: 1}).toArray(); return {count: m.length, titles: m.map((x) => x.title)}; };",
        ),
        ("titleLength", "exports = (movie) => movie.title.length;"),
        ("noop", "exports = () => 'ignored';"),
        (
            "fails",
            "exports = () => { throw new Error('resolver failed'); };",
        ),
    ];
    for (name, source) in functions {
        write(&app.join(format!("functions/{name}.js")), source);
    }
    let resolvers = app.join("graphql/custom_resolvers");
    for (file, config) in [
        (
            "countSince",
            json!({"on_type": "Query", "field_name": "countSince", "function_name": "countSince",
            "input_type": "int", "input_type_format": "scalar", "payload_type": "int", "payload_type_format": "scalar"}),
        ),
        (
            "summary",
            json!({"on_type": "Query", "field_name": "summary", "function_name": "summarize",
            "input_type": {"title": "SummaryInput", "bsonType": "object", "properties": {"since": {"bsonType": "int"}}},
            "input_type_format": "custom",
            "payload_type": {"title": "SummaryPayload", "bsonType": "object",
                "properties": {"count": {"bsonType": "int"}, "titles": {"bsonType": "array", "items": {"bsonType": "string"}}}},
            "payload_type_format": "custom"}),
        ),
        (
            "titleLength",
            json!({"on_type": "Movie", "field_name": "titleLength", "function_name": "titleLength",
            "payload_type": "int", "payload_type_format": "scalar"}),
        ),
        (
            "touch",
            json!({"on_type": "Mutation", "field_name": "touch", "function_name": "noop"}),
        ),
        (
            "broken",
            json!({"on_type": "Query", "field_name": "broken", "function_name": "fails",
            "payload_type": "string", "payload_type_format": "scalar"}),
        ),
    ] {
        write(&resolvers.join(format!("{file}.json")), &config.to_string());
    }
    let people = app.join("data_sources/mongodb-atlas/films/people");
    write(
        &people.join("schema.json"),
        &json!({"title": "Person", "properties": {"_id": {"bsonType": "objectId"}, "name": {"bsonType": "string"}}})
            .to_string(),
    );
}

async fn login(api: &Api) -> (String, String) {
    let path = format!("{APP}/auth/providers/anon-user/login");
    let r = api.send("POST", &path, None, json!({}), FROM).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let token = r.body["access_token"].as_str().expect("token").to_string();
    (token, r.body["user_id"].as_str().expect("id").to_string())
}

async fn gql(api: &Api, token: &str, query: &str, variables: Value) -> Reply {
    let body = json!({"query": query, "variables": variables});
    api.send("POST", &format!("{APP}/graphql"), Some(token), body, FROM)
        .await
}

/// The `data` of a request that must succeed.
async fn data(api: &Api, token: &str, query: &str, variables: Value) -> Value {
    let r = gql(api, token, query, variables).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body.get("errors").is_none(), "{query}: {}", r.body);
    r.body["data"].clone()
}

/// The first error's message of a request that must fail.
async fn error(api: &Api, token: &str, query: &str, variables: Value) -> String {
    let r = gql(api, token, query, variables).await;
    r.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{query}: no error in {}", r.body))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_api_queries_and_mutates_under_the_rules_on_the_embedded_store() {
    queries_and_mutations(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_api_queries_and_mutates_under_the_rules_on_mongodb() {
    queries_and_mutations(Some(testkit::mongodb_uri())).await;
}

async fn queries_and_mutations(mongodb_uri: Option<String>) {
    let api = Api::prepared(limits(), mongodb_uri, prepare).await;
    let ((alice, alice_id), (bob, _)) = (login(&api).await, login(&api).await);

    let inserted = data(
        &api,
        &alice,
        "mutation($owner: String!) { insertOneMovie(data: {title: \"Heat\", year: 1995, owner: $owner, budget: 60000000, \
         rating: 8.3, released: \"1995-12-15T00:00:00Z\", cast: [\"Al Pacino\", \"Robert De Niro\"], awards: {wins: 2}}) \
         { _id title year budget released cast awards { wins text } } }",
        json!({"owner": alice_id}),
    )
    .await;
    let heat = &inserted["insertOneMovie"];
    assert_eq!(heat["title"], "Heat");
    assert_eq!(heat["year"], 1995);
    assert_eq!(heat["released"], "1995-12-15T00:00:00Z");
    assert_eq!(heat["awards"], json!({"wins": 2, "text": null}));
    assert_eq!(heat["_id"].as_str().map(str::len), Some(24), "{heat}");
    let many = data(
        &api,
        &alice,
        "mutation($owner: String!) { insertManyMovies(data: [{title: \"Ronin\", year: 1998, owner: $owner}, \
         {title: \"Tenet\", year: 2020, owner: $owner, cast: [\"John David Washington\"]}]) { insertedIds } }",
        json!({"owner": alice_id}),
    )
    .await;
    assert_eq!(
        many["insertManyMovies"]["insertedIds"].as_array().map(Vec::len),
        Some(2)
    );

    // The BSON types the schema names, as a client's own read sees them.
    let find = json!({"name": "findOne", "service": "mongodb-atlas",
        "arguments": [{"database": "films", "collection": "movies", "query": {"title": "Heat"}}]});
    let stored = api.functions_call(&alice, find).await.body;
    assert_eq!(stored["year"], json!({"$numberInt": "1995"}), "{stored}");
    assert_eq!(stored["budget"], json!({"$numberLong": "60000000"}), "{stored}");
    assert_eq!(stored["rating"], json!({"$numberDouble": "8.3"}), "{stored}");
    assert!(stored["released"]["$date"].is_object(), "{stored}");
    assert!(stored["_id"]["$oid"].is_string(), "{stored}");

    // Queries: the singular and the plural, operators, AND/OR, sort, limit.
    let q = data(
        &api,
        &alice,
        "{ movie(query: {title: \"Heat\"}) { title cast } \
           movies(query: {year_gt: 1990}, sortBy: YEAR_DESC) { title } \
           few: movies(query: {OR: [{title: \"Ronin\"}, {year_gte: 2020}]}, sortBy: TITLE_ASC, limit: 1) { title } \
           some: movies(query: {title_in: [\"Heat\", \"Tenet\"], cast_exists: true, AND: [{year_lt: 2021}]}, sortBy: YEAR_ASC) { title } \
           nested: movies(query: {awards: {wins: 2}}) { title } }",
        json!({}),
    )
    .await;
    assert_eq!(
        q["movie"],
        json!({"title": "Heat", "cast": ["Al Pacino", "Robert De Niro"]})
    );
    assert_eq!(
        q["movies"],
        json!([{"title": "Tenet"}, {"title": "Ronin"}, {"title": "Heat"}])
    );
    assert_eq!(q["few"], json!([{"title": "Ronin"}]));
    assert_eq!(q["some"], json!([{"title": "Heat"}, {"title": "Tenet"}]));
    assert_eq!(q["nested"], json!([{"title": "Heat"}]));

    // Updates, an upsert, a replacement.
    let u = data(
        &api,
        &alice,
        "mutation { updateOneMovie(query: {title: \"Heat\"}, set: {rated: \"R\"}) { title rated } \
           updateManyMovies(query: {year_lt: 2000}, set: {rated: \"PG\"}) { matchedCount modifiedCount } }",
        json!({}),
    )
    .await;
    assert_eq!(u["updateOneMovie"], json!({"title": "Heat", "rated": "R"}));
    assert_eq!(
        u["updateManyMovies"],
        json!({"matchedCount": 2, "modifiedCount": 2})
    );
    let r = data(
        &api,
        &alice,
        "mutation($owner: String!) { replaceOneMovie(query: {title: \"Ronin\"}, data: {title: \"Ronin (1998)\", owner: $owner}) { title year } \
           upsertOneMovie(query: {title: \"Collateral\"}, data: {title: \"Collateral\", year: 2004, owner: $owner}) { title year } }",
        json!({"owner": alice_id}),
    )
    .await;
    assert_eq!(
        r["replaceOneMovie"],
        json!({"title": "Ronin (1998)", "year": null})
    );
    assert_eq!(r["upsertOneMovie"], json!({"title": "Collateral", "year": 2004}));
    // Without a query, an upsert inserts.
    let r = data(
        &api,
        &alice,
        "mutation($owner: String!) { upsertOneMovie(data: {title: \"Thief\", year: 1981, owner: $owner}) { title } }",
        json!({"owner": alice_id}),
    )
    .await;
    assert_eq!(r["upsertOneMovie"], json!({"title": "Thief"}));

    // Another user sees none of alice's movies and changes none of them.
    let b = data(
        &api,
        &bob,
        "{ movies { title } movie(query: {title: \"Heat\"}) { title } }",
        json!({}),
    )
    .await;
    assert_eq!(b, json!({"movies": [], "movie": null}));
    let b = data(
        &api,
        &bob,
        "mutation { updateManyMovies(query: {}, set: {title: \"taken\"}) { matchedCount } \
           deleteManyMovies(query: {}) { deletedCount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        b,
        json!({"updateManyMovies": {"matchedCount": 0}, "deleteManyMovies": {"deletedCount": 0}})
    );
    let e = error(
        &api,
        &bob,
        "mutation($owner: String!) { insertOneMovie(data: {title: \"Mine now\", owner: $owner}) { title } }",
        json!({"owner": alice_id}),
    )
    .await;
    assert!(e.contains("insert not permitted"), "{e}");

    // Inputs that do not fit the schema are refused, naming the field.
    let e = error(
        &api,
        &alice,
        "{ movies(query: {_id: \"not-an-id\"}) { title } }",
        json!({}),
    )
    .await;
    assert!(e.contains("not an ObjectId"), "{e}");
    let e = error(&api, &alice, "{ movies { poster } }", json!({})).await;
    assert!(e.contains("poster"), "{e}");
    let e = error(
        &api,
        &alice,
        "mutation { insertOneMovie(data: {year: 1}) { title } }",
        json!({}),
    )
    .await;
    assert!(e.contains("title"), "{e}");

    // Custom resolvers: functions run as the caller (so under the rules), with their input
    // and, on a document type, the document.
    let c = data(
        &api,
        &alice,
        "query { countSince(input: 2000) summary(input: {since: 1990}) { count titles }            movies(query: {title: \"Heat\"}) { title titleLength } }",
        json!({}),
    )
    .await;
    assert_eq!(c["countSince"], 2, "{c}");
    assert_eq!(
        c["summary"],
        json!({"count": 3, "titles": ["Heat", "Collateral", "Tenet"]}),
        "{c}"
    );
    assert_eq!(c["movies"], json!([{"title": "Heat", "titleLength": 4}]), "{c}");
    let t = data(&api, &alice, "mutation { touch { status } }", json!({})).await;
    assert_eq!(t, json!({"touch": {"status": "complete"}}));
    let b = data(&api, &bob, "{ countSince(input: 0) }", json!({})).await;
    assert_eq!(
        b,
        json!({"countSince": 0}),
        "bob's resolver counts only what the rules show him"
    );
    let e = error(&api, &alice, "{ broken }", json!({})).await;
    assert!(e.contains("resolver failed"), "{e}");

    // Deletes.
    let d = data(
        &api,
        &alice,
        "mutation { deleteOneMovie(query: {title: \"Heat\"}) { title } deleteManyMovies(query: {year_gte: 2000}) { deletedCount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        d,
        json!({"deleteOneMovie": {"title": "Heat"}, "deleteManyMovies": {"deletedCount": 2}})
    );
    let left = data(&api, &alice, "{ movies { title } }", json!({})).await;
    assert_eq!(
        left,
        json!({"movies": [{"title": "Ronin (1998)"}, {"title": "Thief"}]})
    );

    // Natural plurals: the Person type's plural query is `people`; its collection has no rules,
    // so users get nothing from it.
    let e = error(&api, &alice, "{ people { name } }", json!({})).await;
    assert!(e.contains("no rule exists for namespace 'films.people'"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_graphql_requests_are_refused() {
    let api = Api::prepared(limits(), None, prepare).await;
    let (token, _) = login(&api).await;
    // No access token: App Services' 401.
    let r = api
        .send(
            "POST",
            &format!("{APP}/graphql"),
            None,
            json!({"query": "{ movies { title } }"}),
            FROM,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    // A query nested beyond the depth limit, and a deeply nested input value.
    let deep = format!("{{ movies {}title{} }}", "{ awards ".repeat(40), " }".repeat(40));
    let r = gql(&api, &token, &deep, json!({})).await;
    assert!(r.body["errors"].is_array(), "{:?}", r.body);
    let nested = format!(
        "{{ movies(query: {}{{title: \"x\"}}{}) {{ title }} }}",
        "{AND: [".repeat(200),
        "]}".repeat(200)
    );
    let r = gql(&api, &token, &nested, json!({})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidParameter"),
        "{:?}",
        r.body
    );
    // Just under the bound, the parser and the validation take it (no stack overflow).
    let under = format!(
        "{{ movies(query: {}{{title: \"x\"}}{}) {{ title }} }}",
        "{AND: [".repeat(30),
        "]}".repeat(30)
    );
    let r = gql(&api, &token, &under, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // Variables nested as deep as JSON allows.
    let mut q = json!({"title": "x"});
    for _ in 0..120 {
        q = json!({"AND": [q]});
    }
    let r = gql(
        &api,
        &token,
        "query($q: MovieQueryInput) { movies(query: $q) { title } }",
        json!({"q": q}),
    )
    .await;
    assert!(
        r.status == StatusCode::OK || r.status == StatusCode::BAD_REQUEST,
        "{:?}",
        r.body
    );
    // Not JSON, no query, a GET.
    let r = api
        .send(
            "POST",
            &format!("{APP}/graphql"),
            Some(&token),
            json!({"q": 1}),
            FROM,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = api
        .send("GET", &format!("{APP}/graphql"), Some(&token), json!({}), FROM)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{:?}", r.body);
    // writ's own data has no type, and other collections none without a schema.
    let r = gql(&api, &token, "{ users { _id } }", json!({})).await;
    assert!(r.body["errors"].is_array(), "{:?}", r.body);
    // The server still answers.
    let ok = data(&api, &token, "{ movies { title } }", json!({})).await;
    assert_eq!(ok, json!({"movies": []}));
}

/// Movies related to their director (to-one), their reviews (to-many) and, inside their
/// embedded `awards`, who presented them: every collection owned per user.
fn prepare_relations(app: &Path) {
    let films = app.join("data_sources/mongodb-atlas/films");
    let owned = json!({"roles": [{"name": "owner", "apply_when": {},
        "document_filters": {"read": {"owner": "%%user.id"}, "write": {"owner": "%%user.id"}},
        "read": true, "write": true, "insert": true, "delete": true}]})
    .to_string();
    let schemas = [
        (
            "movies",
            json!({"title": "Movie", "properties": {
                "_id": {"bsonType": "objectId"}, "title": {"bsonType": "string"},
                "owner": {"bsonType": "string"}, "year": {"bsonType": "int"}, "rated": {"bsonType": "string"},
                "director": {"bsonType": "objectId"},
                "reviews": {"bsonType": "array", "items": {"bsonType": "objectId"}},
                "awards": {"bsonType": "object", "properties": {"by": {"bsonType": "objectId"}}}}}),
        ),
        (
            "directors",
            json!({"title": "Director", "properties": {"_id": {"bsonType": "objectId"},
                "name": {"bsonType": "string"}, "owner": {"bsonType": "string"}}}),
        ),
        (
            "reviews",
            json!({"title": "Review", "properties": {"_id": {"bsonType": "objectId"},
                "text": {"bsonType": "string"}, "stars": {"bsonType": "int"}, "owner": {"bsonType": "string"}}}),
        ),
    ];
    for (coll, schema) in schemas {
        write(&films.join(coll).join("schema.json"), &schema.to_string());
        write(&films.join(coll).join("rules.json"), &owned);
    }
    write(
        &films.join("movies/relationships.json"),
        &json!({
            "director": {"ref": "#/relationship/mongodb-atlas/films/directors", "foreign_key": "_id", "is_list": false},
            "reviews": {"ref": "#/relationship/mongodb-atlas/films/reviews", "foreign_key": "_id", "is_list": true},
            "awards.by": {"ref": "#/relationship/mongodb-atlas/films/directors", "foreign_key": "_id", "is_list": false}
        })
        .to_string(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relationships_resolve_query_and_write_under_the_rules_on_the_embedded_store() {
    relationships(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relationships_resolve_query_and_write_under_the_rules_on_mongodb() {
    relationships(Some(testkit::mongodb_uri())).await;
}

async fn relationships(mongodb_uri: Option<String>) {
    let api = Api::prepared(limits(), mongodb_uri, prepare_relations).await;
    let ((alice, alice_id), (bob, bob_id)) = (login(&api).await, login(&api).await);
    let me = json!({"owner": alice_id});

    // `create` inserts the related documents (as the caller) and stores their keys; the
    // answer shows the documents, a to-many in the order stored.
    let heat = data(
        &api,
        &alice,
        "mutation($owner: String!) { insertOneMovie(data: {title: \"Heat\", owner: $owner, year: 1995, rated: \"R\", \
         director: {create: {name: \"Michael Mann\", owner: $owner}}, \
         reviews: {create: [{text: \"great\", stars: 5, owner: $owner}, {text: \"long\", stars: 3, owner: $owner}]}}) \
         { title director { _id name } reviews { text stars } } }",
        me.clone(),
    )
    .await;
    let heat = &heat["insertOneMovie"];
    assert_eq!(heat["director"]["name"], "Michael Mann", "{heat}");
    assert_eq!(
        heat["reviews"],
        json!([{"text": "great", "stars": 5}, {"text": "long", "stars": 3}])
    );
    let mann = heat["director"]["_id"].as_str().expect("id").to_string();
    // `link` stores existing keys; an embedded document's relationship too.
    let nolan = data(
        &api,
        &alice,
        "mutation($owner: String!) { insertOneDirector(data: {name: \"Christopher Nolan\", owner: $owner}) { _id } }",
        me.clone(),
    )
    .await["insertOneDirector"]["_id"]
        .as_str()
        .expect("id")
        .to_string();
    let tenet = data(
        &api,
        &alice,
        "mutation($owner: String!, $nolan: ObjectId, $mann: ObjectId) { insertOneMovie(data: {title: \"Tenet\", owner: $owner, \
         director: {link: $nolan}, awards: {by: {link: $mann}}}) { director { name } awards { by { name } } reviews { text } } }",
        json!({"owner": alice_id, "nolan": nolan, "mann": mann}),
    )
    .await;
    assert_eq!(
        tenet["insertOneMovie"],
        json!({"director": {"name": "Christopher Nolan"}, "awards": {"by": {"name": "Michael Mann"}}, "reviews": null})
    );
    // Stored as keys: what a client's own read sees.
    let find = json!({"name": "findOne", "service": "mongodb-atlas",
        "arguments": [{"database": "films", "collection": "movies", "query": {"title": "Heat"}}]});
    let stored = api.functions_call(&alice, find).await.body;
    assert_eq!(stored["director"], json!({"$oid": mann}), "{stored}");
    assert_eq!(stored["reviews"].as_array().map(Vec::len), Some(2), "{stored}");
    assert!(stored["reviews"][0]["$oid"].is_string(), "{stored}");

    // Queries by the related documents' fields.
    let q = data(
        &api,
        &alice,
        "{ byMann: movies(query: {director: {name: \"Michael Mann\"}}) { title } \
           fiveStars: movies(query: {reviews_in: [{stars_gte: 5}]}) { title } \
           noThrees: movies(query: {reviews_nin: [{stars: 3}]}, sortBy: TITLE_ASC) { title } \
           both: movies(query: {reviews: [{stars: 5}, {stars: 3}]}) { title } \
           sorted: movies(sortBy: DIRECTOR_DESC) { title } }",
        json!({}),
    )
    .await;
    assert_eq!(q["byMann"], json!([{"title": "Heat"}]), "{q}");
    assert_eq!(q["fiveStars"], json!([{"title": "Heat"}]), "{q}");
    assert_eq!(q["noThrees"], json!([{"title": "Tenet"}]), "{q}");
    assert_eq!(q["both"], json!([{"title": "Heat"}]), "{q}");
    assert_eq!(q["sorted"].as_array().map(Vec::len), Some(2), "{q}");

    // The generated input types, as App Services named and shaped them.
    let fields = |t: &str| format!("{t}: __type(name: \"{t}\") {{ inputFields {{ name }} }}");
    let types = [
        "MovieUpdateInput",
        "MovieAwardsUpdateInput",
        "MovieReviewsRelationInput",
    ];
    let q = format!("{{ {} }}", types.map(fields).join(" "));
    let t = data(&api, &alice, &q, json!({})).await;
    let names = |t: &Value| -> Vec<String> {
        let mut n: Vec<String> = t["inputFields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["name"].as_str().unwrap_or_default().to_string())
            .collect();
        n.sort();
        n
    };
    let movie = names(&t["MovieUpdateInput"]);
    for f in ["year_inc", "title_unset", "director", "director_unset", "reviews"] {
        assert!(movie.contains(&f.to_string()), "{f}: {movie:?}");
    }
    assert!(!movie.contains(&"title_inc".to_string()), "{movie:?}");
    // An embedded document's update input sets it whole: no operators.
    assert_eq!(names(&t["MovieAwardsUpdateInput"]), ["by"]);
    assert_eq!(names(&t["MovieReviewsRelationInput"]), ["create", "link"]);

    // Updates: relink, `_inc`, `_unset`.
    let u = data(
        &api,
        &alice,
        "mutation($mann: ObjectId) { updateOneMovie(query: {title: \"Tenet\"}, set: {director: {link: $mann}, year_inc: 2020, rated_unset: true}) \
         { director { name } year rated } }",
        json!({"mann": mann}),
    )
    .await;
    assert_eq!(
        u["updateOneMovie"],
        json!({"director": {"name": "Michael Mann"}, "year": 2020, "rated": null})
    );
    let u = data(
        &api,
        &alice,
        "mutation { updateManyMovies(query: {director: {name: \"Michael Mann\"}}, set: {year_inc: 1, rated_unset: true}) { matchedCount } }",
        json!({}),
    )
    .await;
    assert_eq!(u["updateManyMovies"]["matchedCount"], 2, "{u}");
    let years = data(
        &api,
        &alice,
        "{ movies(sortBy: YEAR_ASC) { year rated } }",
        json!({}),
    )
    .await;
    assert_eq!(
        years["movies"],
        json!([{"year": 1996, "rated": null}, {"year": 2021, "rated": null}])
    );

    // The attacker: bob links alice's director and reviews; he sees none of them, and queries
    // through them find nothing of hers.
    let b = data(
        &api,
        &bob,
        "mutation($owner: String!, $mann: ObjectId) { insertOneMovie(data: {title: \"Bob's\", owner: $owner, director: {link: $mann}}) \
         { title director { name } } }",
        json!({"owner": bob_id, "mann": mann}),
    )
    .await;
    assert_eq!(b["insertOneMovie"], json!({"title": "Bob's", "director": null}));
    let b = data(
        &api,
        &bob,
        "{ movies(query: {director: {name: \"Michael Mann\"}}) { title } reviewed: movies(query: {reviews_in: [{}]}) { title } }",
        json!({}),
    )
    .await;
    assert_eq!(b, json!({"movies": [], "reviewed": []}));
    // He cannot create related documents in her name.
    let e = error(
        &api,
        &bob,
        "mutation($owner: String!, $alice: String!) { insertOneMovie(data: {title: \"x\", owner: $owner, \
         reviews: {create: [{text: \"fake\", owner: $alice}]}}) { title } }",
        json!({"owner": bob_id, "alice": alice_id}),
    )
    .await;
    assert!(e.contains("insert not permitted"), "{e}");
    let mine = data(&api, &alice, "{ reviews { text } }", json!({})).await;
    assert_eq!(
        mine["reviews"].as_array().map(Vec::len),
        Some(2),
        "no review was added in alice's name: {mine}"
    );
    // A relationship's input needs `link` or `create`; an update names at least one field.
    let e = error(
        &api,
        &alice,
        "mutation { updateOneMovie(query: {title: \"Heat\"}, set: {director: {}}) { title } }",
        json!({}),
    )
    .await;
    assert!(e.contains("'link' or 'create'"), "{e}");
    let e = error(
        &api,
        &alice,
        "mutation { updateOneMovie(query: {title: \"Heat\"}, set: {rated_unset: false}) { title } }",
        json!({}),
    )
    .await;
    assert!(e.contains("at least one field"), "{e}");
}

/// App Services took credential headers on GraphQL requests as well as an access token:
/// `email` + `password` (and `apiKey`, `jwtTokenString`) sign the user in for the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_headers_authenticate_graphql_requests() {
    let api = Api::prepared(limits(), None, prepare).await;
    assert_eq!(
        api.register("gql@example.com", FROM).await.status,
        StatusCode::CREATED
    );
    let login = api.login("gql@example.com", "right-password", FROM).await;
    let id = login.body["user_id"].as_str().expect("user id").to_string();
    let path = format!("{APP}/graphql");
    let creds = [("email", "gql@example.com"), ("password", "right-password")];
    let insert = json!({"query": "mutation($owner: String!) { insertOneMovie(data: {title: \"Solo\", owner: $owner}) { title } }",
        "variables": {"owner": id}});
    let r = api.send_with("POST", &path, &creds, insert, FROM).await;
    assert_eq!(r.body, json!({"data": {"insertOneMovie": {"title": "Solo"}}}));
    let list = json!({"query": "{ movies { title } }"});
    let r = api.send_with("POST", &path, &creds, list.clone(), FROM).await;
    assert_eq!(r.body, json!({"data": {"movies": [{"title": "Solo"}]}}));
    // The same documents through the user's access token.
    let token = login.body["access_token"].as_str().expect("token");
    let d = data(&api, token, "{ movies { title } }", json!({})).await;
    assert_eq!(d, json!({"movies": [{"title": "Solo"}]}));
    // A wrong password, or no credentials at all, is refused before the query runs.
    let wrong = [("email", "gql@example.com"), ("password", "wrong-password")];
    let r = api.send_with("POST", &path, &wrong, list.clone(), FROM).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    let r = api.send_with("POST", &path, &[], list, FROM).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "MissingAuthReq"),
        "{:?}",
        r.body
    );
}

/// Hostile requests through relationships: a field listing more keys than a relationship
/// resolves, a request whose `create` list would run past the time limit. Each fails alone;
/// the server answers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_relationship_requests_are_bounded() {
    let mut bounded = limits();
    bounded.function_timeout = 2;
    let api = Api::prepared(bounded, None, prepare_relations).await;
    let (alice, alice_id) = login(&api).await;
    // 5,000 reviews (in batches, each well inside the time limit even beside the other tests
    // of this file in a debug build), and a movie listing them
    // all: resolved in their order.
    let mut ids: Vec<Value> = Vec::new();
    for batch in 0..20 {
        let reviews: Vec<Value> = (batch * 250..(batch + 1) * 250)
            .map(|i| json!({"text": format!("r{i}"), "stars": 1, "owner": alice_id}))
            .collect();
        let spec = json!({"database": "films", "collection": "reviews", "documents": reviews});
        let inserted = api.service(&alice, "insertMany", spec).await;
        assert_eq!(inserted.status, StatusCode::OK, "{:?}", inserted.body);
        let batch_ids = inserted.body["insertedIds"].as_array().expect("ids");
        ids.extend(batch_ids.iter().map(|id| id["$oid"].clone()));
    }
    let started = std::time::Instant::now();
    let long = data(
        &api,
        &alice,
        "mutation($owner: String!, $ids: [ObjectId]) { insertOneMovie(data: {title: \"Long\", owner: $owner, reviews: {link: $ids}}) { reviews { text } } }",
        json!({"owner": alice_id, "ids": ids}),
    )
    .await;
    let listed = long["insertOneMovie"]["reviews"].as_array().expect("reviews");
    assert_eq!(listed.len(), 5_000);
    assert_eq!(
        (&listed[0]["text"], &listed[4_999]["text"]),
        (&json!("r0"), &json!("r4999"))
    );
    assert!(
        started.elapsed().as_secs() < 8,
        "resolved in {:?}",
        started.elapsed()
    );
    // More keys than a relationship resolves: that field fails, naming the bound.
    let many = vec![ids[0].clone(); 10_001];
    let r = gql(
        &api,
        &alice,
        "mutation($owner: String!, $ids: [ObjectId]) { insertOneMovie(data: {title: \"Too many\", owner: $owner, reviews: {link: $ids}}) { reviews { text } } }",
        json!({"owner": alice_id, "ids": many}),
    )
    .await;
    let message = r.body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("at most 10000"), "{}", r.body);
    // A request whose creates would run on past the time limit ends at it.
    let creates: Vec<Value> = (0..30_000)
        .map(|i| json!({"text": format!("c{i}"), "owner": alice_id}))
        .collect();
    let started = std::time::Instant::now();
    let r = gql(
        &api,
        &alice,
        "mutation($owner: String!, $c: [ReviewInsertInput]) { insertOneMovie(data: {title: \"Slow\", owner: $owner, reviews: {create: $c}}) { title } }",
        json!({"owner": alice_id, "c": creates}),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "ExecutionTimeLimitExceeded"),
        "{:?}",
        r.body
    );
    assert!(
        started.elapsed().as_secs() < 5,
        "ended after {:?}",
        started.elapsed()
    );
    let ok = data(
        &api,
        &alice,
        "{ movie(query: {title: \"Long\"}) { title } }",
        json!({}),
    )
    .await;
    assert_eq!(ok, json!({"movie": {"title": "Long"}}));
}

/// `prepare_relations` with a relationship back from each review to its movie: a cycle a
/// query can follow as deep as it nests.
fn prepare_cycle(app: &Path) {
    prepare_relations(app);
    let reviews = app.join("data_sources/mongodb-atlas/films/reviews");
    write(
        &reviews.join("schema.json"),
        &json!({"title": "Review", "properties": {"_id": {"bsonType": "objectId"},
            "text": {"bsonType": "string"}, "owner": {"bsonType": "string"},
            "movie": {"bsonType": "objectId"}}})
        .to_string(),
    );
    write(
        &reviews.join("relationships.json"),
        &json!({"movie": {"ref": "#/relationship/mongodb-atlas/films/movies", "foreign_key": "_id", "is_list": false}})
            .to_string(),
    );
}

/// A movie owned by `owner` with `n` reviews of `text`, each linking back to it; its id.
async fn movie_with_reviews(api: &Api, token: &str, owner: &str, title: &str, n: usize, text: &str) -> Value {
    let movie = api
        .service(
            token,
            "insertOne",
            json!({"database": "films", "collection": "movies",
            "document": {"title": title, "owner": owner}}),
        )
        .await;
    let id = movie.body["insertedId"].clone();
    let reviews: Vec<Value> = (0..n)
        .map(|_| json!({"text": text, "owner": owner, "movie": id}))
        .collect();
    let inserted = api
        .service(
            token,
            "insertMany",
            json!({"database": "films", "collection": "reviews", "documents": reviews}),
        )
        .await;
    assert_eq!(inserted.status, StatusCode::OK, "{:?}", inserted.body);
    let linked = api
        .service(
            token,
            "updateOne",
            json!({"database": "films", "collection": "movies",
            "filter": {"_id": id}, "update": {"$set": {"reviews": inserted.body["insertedIds"]}}}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::OK, "{:?}", linked.body);
    id
}

/// App Services' limits on one operation, each failing it whole before any of it runs: more
/// than ten resolvers ("max number of queries reached", aliases and fragments counted) and
/// relationships nested deeper than five ("max relationship depth exceeded", through
/// fragments too). A query whose fragments expand without end is refused at once, and a
/// request whose relationships multiply what it reads fails at the bytes one operation of a
/// function may return; the server answers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_past_app_services_limits_fail_whole() {
    let api = Api::prepared(limits(), None, prepare_cycle).await;
    let (alice, alice_id) = login(&api).await;
    movie_with_reviews(&api, &alice, &alice_id, "Cycle", 3, "fine").await;
    // Five relationships deep: 3 reviews, each back to the movie and its 3 reviews, twice.
    let five = "{ movies { reviews { movie { reviews { movie { reviews { text } } } } } } }";
    let d = data(&api, &alice, five, json!({})).await;
    let texts = d["movies"][0]["reviews"]
        .as_array()
        .expect("reviews")
        .iter()
        .flat_map(|r| r["movie"]["reviews"].as_array().expect("level 3").clone())
        .flat_map(|r| r["movie"]["reviews"].as_array().expect("level 5").clone())
        .count();
    assert_eq!(texts, 27, "{d}");
    let six = "{ movies { reviews { movie { reviews { movie { reviews { movie { title } } } } } } } }";
    assert_eq!(
        error(&api, &alice, six, json!({})).await,
        "max relationship depth exceeded"
    );
    let by_fragment = "fragment R on Review { movie { reviews { movie { reviews { movie { title } } } } } } \
                       { movies { reviews { ...R } } }";
    assert_eq!(
        error(&api, &alice, by_fragment, json!({})).await,
        "max relationship depth exceeded"
    );
    // A mutation over the limit writes nothing.
    let deep_write = format!(
        "mutation {{ insertOneMovie(data: {{title: \"Never\", owner: \"{alice_id}\"}}) {{ reviews {{ movie {{ reviews {{ movie {{ reviews {{ movie {{ title }} }} }} }} }} }} }} }}"
    );
    assert_eq!(
        error(&api, &alice, &deep_write, json!({})).await,
        "max relationship depth exceeded"
    );
    // Ten resolvers run; eleven (by alias, or spread from a fragment on Query) fail whole.
    let aliased = |n: usize| {
        let fields: Vec<String> = (0..n)
            .map(|i| format!("a{i}: movie(query: {{title: \"Cycle\"}}) {{ title }}"))
            .collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let ten = data(&api, &alice, &aliased(10), json!({})).await;
    assert_eq!(ten["a9"], json!({"title": "Cycle"}));
    assert_eq!(
        error(&api, &alice, &aliased(11), json!({})).await,
        "max number of queries reached"
    );
    let spread = "fragment Q on Query { a: movie { title } b: movie { title } c: movie { title } d: movie { title } e: movie { title } } \
                  { ...Q f: movies { title } g: movies { title } h: movies { title } i: movies { title } j: movies { title } k: movies { title } }";
    assert_eq!(
        error(&api, &alice, spread, json!({})).await,
        "max number of queries reached"
    );
    let inserts: Vec<String> = (0..11)
        .map(|i| {
            format!("m{i}: insertOneMovie(data: {{title: \"Many\", owner: \"{alice_id}\"}}) {{ title }}")
        })
        .collect();
    let many = format!("mutation {{ {} }}", inserts.join(" "));
    assert_eq!(
        error(&api, &alice, &many, json!({})).await,
        "max number of queries reached"
    );
    let never = data(
        &api,
        &alice,
        "{ movies(query: {title_in: [\"Never\", \"Many\"]}) { title } }",
        json!({}),
    )
    .await;
    assert_eq!(
        never,
        json!({"movies": []}),
        "nothing of a refused mutation was written"
    );
    // Fragments that spread each other ten times over, ten levels deep (10^10 selections).
    let mut bomb = String::from("{ movies { ...F0 } }");
    for level in 0..10 {
        let body = if level == 9 {
            "title".to_string()
        } else {
            vec![format!("...F{}", level + 1); 10].join(" ")
        };
        bomb.push_str(&format!(" fragment F{level} on Movie {{ {body} }}"));
    }
    let started = std::time::Instant::now();
    let message = error(&api, &alice, &bomb, json!({})).await;
    assert!(message.contains("more than 100000 selections"), "{message}");
    assert!(started.elapsed().as_secs() < 5, "took {:?}", started.elapsed());
    // 16 reviews of 600 kB: three relationships deep a short query reads each of them 16
    // times over (160 MB); it fails as a whole at the bound. (Few, large documents: the test
    // shares the CPU with the others of this file.)
    let text = "x".repeat(600_000);
    movie_with_reviews(&api, &alice, &alice_id, "Heavy", 16, &text).await;
    let heavy = "{ movie(query: {title: \"Heavy\"}) { reviews { movie { reviews { text } } } } }";
    let started = std::time::Instant::now();
    let r = gql(&api, &alice, heavy, json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"], Value::Null, "no partial data");
    let message = r.body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("more than 48000000 bytes"), "{message}");
    assert_eq!(r.body["errors"].as_array().map(Vec::len), Some(1));
    assert!(started.elapsed().as_secs() < 30, "took {:?}", started.elapsed());
    let ok = data(
        &api,
        &alice,
        "{ movie(query: {title: \"Heavy\"}) { title } }",
        json!({}),
    )
    .await;
    assert_eq!(ok, json!({"movie": {"title": "Heavy"}}));
}

/// A request whose documents each have a custom resolver's field takes one worker at a time
/// (it holds one of its user's in-flight slots), not every worker: another user's call is
/// answered meanwhile, and every document still gets its value. What the resolvers return
/// counts against the request's bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_resolvers_of_one_request_take_one_worker_at_a_time() {
    // Two workers; each resolver call holds its worker for half a second (on a timer, so the
    // other tests of this file keep the CPU).
    let api = Api::prepared(limits(), None, |app| {
        prepare(app);
        write(
            &app.join("functions/busyLength.js"),
            "exports = async (movie) => { await new Promise((r) => setTimeout(r, 500)); return movie.title.length; };",
        );
        write(
            &app.join("functions/bigText.js"),
            "exports = () => 'x'.repeat(10 * 1000 * 1000);",
        );
        write(
            &app.join("graphql/custom_resolvers/bigText.json"),
            &json!({"on_type": "Movie", "field_name": "bigText", "function_name": "bigText",
                "payload_type": "string", "payload_type_format": "scalar"})
            .to_string(),
        );
        write(
            &app.join("graphql/custom_resolvers/busyLength.json"),
            &json!({"on_type": "Movie", "field_name": "busyLength", "function_name": "busyLength",
                "payload_type": "int", "payload_type_format": "scalar"})
            .to_string(),
        );
    })
    .await;
    let (alice, alice_id) = login(&api).await;
    let movies: Vec<Value> = (1..=6)
        .map(|i| json!({"title": "x".repeat(i), "owner": alice_id}))
        .collect();
    let spec = json!({"database": "films", "collection": "movies", "documents": movies});
    assert_eq!(
        api.service(&alice, "insertMany", spec).await.status,
        StatusCode::OK
    );
    let bob = api.anonymous().await;
    let query = "{ movies(sortBy: TITLE_ASC) { busyLength } }";
    let (lengths, waited) = tokio::join!(data(&api, &alice, query, json!({})), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let started = std::time::Instant::now();
        let probe = api.call_from(&bob, "hello", "10.7.0.1").await;
        assert_eq!(probe.status, StatusCode::OK, "{:?}", probe.body);
        started.elapsed()
    });
    let lengths: Vec<i64> = lengths["movies"]
        .as_array()
        .expect("movies")
        .iter()
        .map(|m| m["busyLength"].as_i64().expect("a length"))
        .collect();
    assert_eq!(lengths, [1, 2, 3, 4, 5, 6]);
    assert!(
        waited < std::time::Duration::from_millis(800),
        "another user's call waited {waited:?} behind one GraphQL request's resolvers"
    );
    // What resolvers return counts against the request's bound as documents do: six results
    // of 10 MB fail the request as a whole, with no partial data.
    let r = gql(&api, &alice, "{ movies { bigText } }", json!({})).await;
    assert!(r.body["data"].is_null(), "partial data: {}", r.body["errors"]);
    let message = r.body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("more than 48000000 bytes"), "{message}");
}
