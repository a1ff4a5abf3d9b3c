//! The Data API: `POST /app/<id>/endpoint/data/<version>/action/<action>` with `dataSource`,
//! `database` and `collection` in a JSON or EJSON body, run as the user the credentials name
//! (the app's rules apply), a fixed user, a script's choice or the system, as
//! `data_api_config.json` says. Answers in the Data API's shapes (`{document}`,
//! `{documents}`, `{insertedId}`, ...), in the JSON format (`formats::plain`) or, when
//! `Accept` asks for `application/ejson`, canonical EJSON.

use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use bridge::{Outcome, Request, count};
use bson::{Bson, Document, doc};
use loader::{Endpoints, ReturnType};

use super::{
    ApiError, State,
    endpoints::{request_user, validate},
    extract::parse_body,
    functions::canonical,
};

/// The actions and the body fields each takes (besides `dataSource`, `database`, `collection`).
const ACTIONS: [(&str, &[&str]); 10] = [
    ("findOne", &["filter", "projection"]),
    ("find", &["filter", "projection", "sort", "limit", "skip"]),
    ("insertOne", &["document"]),
    ("insertMany", &["documents"]),
    ("updateOne", &["filter", "update", "upsert"]),
    ("updateMany", &["filter", "update", "upsert"]),
    ("replaceOne", &["filter", "replacement", "upsert"]),
    ("deleteOne", &["filter"]),
    ("deleteMany", &["filter"]),
    ("aggregate", &["pipeline"]),
];

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameter", message)
}

/// Runs one Data API request; `rest` is the path after `endpoint/data/`.
#[allow(clippy::too_many_arguments)]
pub async fn action(
    state: &State,
    rest: &str,
    address: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("no Data API route data/{rest}"),
        )
    };
    let (version, action) = match rest.split('/').collect::<Vec<_>>().as_slice() {
        [version, "action", action] => (version.to_string(), action.to_string()),
        _ => return Err(not_found()),
    };
    let deployment = state.deployment();
    let config = deployment
        .extensions
        .get::<Endpoints>()
        .and_then(|e| e.data_api.clone())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "DataApiNotEnabled",
                "the Data API is not enabled for this app",
            )
        })?;
    if !config.versions.contains(&version) {
        return Err(not_found());
    }
    let (action, fields) = ACTIONS
        .iter()
        .find(|(name, _)| *name == action)
        .copied()
        .ok_or_else(|| invalid(format!("unknown action '{action}'")))?;
    if method != Method::POST {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Data API actions are POST requests",
        ));
    }
    validate(&config.validation, uri, headers, body)?;
    let user = request_user(
        state,
        &config.run_as,
        headers,
        address,
        config.create_user_on_auth,
        config.fetch_custom_user_data,
    )
    .await?;
    let mut info = super::endpoints::request_info(headers, uri.query().unwrap_or_default(), address, action);
    info.service = "data-api".into();
    if let Some(rule) = &config.can_evaluate {
        let caller = bridge::rules::Caller::new(&user, Some(&info));
        super::functions::can_evaluate(&deployment, caller, rule, "the Data API").await?;
    }
    let _slot = state
        .in_flight
        .enter(&super::endpoints::in_flight_key(&user, address), address)?;
    let body = parse_body(body)?;
    let source = body
        .get_str("dataSource")
        .map_err(|_| invalid("'dataSource' must be the name of a data source"))?;
    let service = config
        .data_sources
        .get(source)
        .filter(|s| **s == state.service)
        .ok_or_else(|| invalid(format!("data source '{source}' not found")))?;
    let mut spec = Document::new();
    for key in ["database", "collection"] {
        let value = body
            .get_str(key)
            .map_err(|_| invalid(format!("'{key}' must be a string")))?;
        spec.insert(key, value);
    }
    for (key, value) in &body {
        if ["dataSource", "database", "collection"].contains(&key.as_str()) {
            continue;
        }
        if !fields.contains(&key.as_str()) {
            return Err(invalid(format!("{action}: unknown field '{key}'")));
        }
        spec.insert(key, value.clone());
    }
    let (kind, spec) = to_request(action, spec);
    let mut request = Request::parse(kind, &spec).map_err(|e| invalid(e.to_string()))?;
    // An action may run as long as a function call.
    request.deadline = Some(std::time::Instant::now() + state.engine.time_limit());
    let future = if user.user_type == engine::UserType::System {
        bridge::rules::execute_as_system(state.data.as_ref(), request)
    } else {
        let caller = bridge::rules::Caller::new(&user, Some(&info));
        let values = bridge::rules::function_values(&deployment, service, caller, &request).await;
        let caller = caller.with_functions(values.as_ref());
        bridge::rules::execute_as_user(state.data.as_ref(), &deployment, service, caller, request)
    }
    .map_err(|e| ApiError::new(StatusCode::FORBIDDEN, e.code, e.message))?;
    let result = future.await.map_err(ApiError::database)?;
    let answer = shape(action, result);
    let ejson = super::formats::wants_ejson(headers, config.return_type == ReturnType::Ejson);
    let (json, content_type) = if ejson {
        (canonical(answer), "application/ejson")
    } else {
        (super::formats::plain(answer), "application/json")
    };
    let status = if action.starts_with("insert") {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        json.to_string(),
    )
        .into_response())
}

/// The collection operation an action is: its kind for `Request::parse` and its spec. Every
/// action is the collection method of its name, but `replaceOne`: a one-model bulk write.
fn to_request(action: &'static str, mut spec: Document) -> (&'static str, Document) {
    if action != "replaceOne" {
        return (action, spec);
    }
    let mut model = Document::new();
    for key in ["filter", "replacement", "upsert"] {
        if let Some(v) = spec.remove(key) {
            model.insert(key, v);
        }
    }
    if !model.contains_key("filter") {
        model.insert("filter", Document::new());
    }
    spec.insert("operations", vec![Bson::Document(doc! {"replaceOne": model})]);
    ("bulkWrite", spec)
}

/// The Data API's answer for the operation's outcome (`action` tells a replaceOne, run as a
/// one-model bulk write, from a bulk write).
fn shape(action: &str, outcome: Outcome) -> Bson {
    let updated = |matched: u64, modified: u64, upserted: Option<Bson>| {
        let mut out = doc! {"matchedCount": count(matched), "modifiedCount": count(modified)};
        if let Some(id) = upserted {
            out.insert("upsertedId", id);
        }
        out
    };
    let answer = match (action, outcome) {
        (_, Outcome::Document(d)) => doc! {"document": d.map_or(Bson::Null, Bson::Document)},
        (_, Outcome::Documents(docs)) => doc! {"documents": docs},
        (_, Outcome::Inserted(id)) => doc! {"insertedId": id},
        (_, Outcome::InsertedMany(ids)) => doc! {"insertedIds": ids},
        (_, Outcome::Deleted(n)) => doc! {"deletedCount": count(n)},
        (_, Outcome::Updated(u)) => updated(u.matched, u.modified, u.upserted_id),
        ("replaceOne", Outcome::Bulk(t)) => {
            let upserted = t.upserted.into_iter().find(|(i, _)| *i == 0).map(|(_, id)| id);
            updated(t.matched, t.modified, upserted)
        }
        (_, other) => return other.into_bson(),
    };
    Bson::Document(answer)
}
