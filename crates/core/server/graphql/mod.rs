//! `POST .../graphql`: the GraphQL API App Services generated for every collection with a
//! schema (`model.rs` reads the schemas into types, `schema.rs` builds the queries and
//! mutations once per deploy, `convert.rs` turns inputs into filters and documents and
//! documents into values, `run.rs` runs each operation as the caller, under the app's rules,
//! `resolvers.rs` the custom resolvers, `relations.rs` the relationships: a field that stores
//! keys of another collection's documents, shown and queried as those documents; `limits.rs`
//! App Services' limits on an operation, checked before it runs).

mod convert;
mod limits;
mod model;
mod plural;
mod relations;
mod resolvers;
mod run;
mod schema;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    Json,
    body::Bytes,
    extract::State as AxumState,
    http::{HeaderMap, Method, StatusCode},
    response::{IntoResponse, Response},
};
use engine::Deployment;
pub use schema::Api;

use super::{
    ApiError, State,
    endpoints::request_user,
    extract::{ClientAddress, ThisApp},
};

/// The deepest nesting of braces, brackets and parentheses a query may have.
const MAX_NESTING: usize = 64;

/// How deep `query` nests `{`, `[` and `(` outside its strings and comments.
fn nesting(query: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut chars = query.chars();
    while let Some(c) = chars.next() {
        match c {
            '{' | '[' | '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            '}' | ']' | ')' => depth = depth.saturating_sub(1),
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
            }
            _ => {}
        }
    }
    deepest
}

/// A request that fails as a whole with `message`, as a GraphQL response with no data.
fn failed(message: String) -> Result<Response, ApiError> {
    let error = async_graphql::ServerError::new(message, None);
    let response = async_graphql::Response::from_errors(vec![error]);
    let json = serde_json::to_value(&response).map_err(|e| ApiError::internal("graphql", e))?;
    Ok(Json(json).into_response())
}

/// Builds the deployment's GraphQL API from its collection schemas and attaches it.
pub fn attach(deployment: &mut Deployment, service: &str) {
    let Some(graphql) = deployment.extensions.get::<loader::Graphql>() else {
        return;
    };
    match schema::build(graphql, service) {
        Ok(Some(api)) => deployment.extensions.insert(api),
        Ok(None) => {}
        Err(e) => tracing::error!("the GraphQL API could not be generated: {e}"),
    }
}

/// `POST .../graphql` with `{query, variables?, operationName?}`, as Apollo and other GraphQL
/// clients send it, with the user's access token (`Authorization: Bearer`) or, as App
/// Services took them, credential headers (`email` + `password`, `apiKey`, `jwtTokenString`).
pub async fn serve(
    AxumState(state): AxumState<Arc<State>>,
    _: ThisApp,
    method: Method,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let at = bson::DateTime::now();
    let mut seen = Seen::default();
    let result = respond(state.clone(), method, address.clone(), headers, body, &mut seen).await;
    let ok = result.is_ok() && seen.error.is_none();
    state.forwarders.emit("graphql", ok, || {
        let mut log = super::forward::log(&state, "GRAPHQL", at);
        super::forward::client(&mut log, &seen.user, &address, result.as_ref().err());
        if let Some(error) = &seen.error {
            log.insert("error", error);
        }
        log
    });
    result
}

/// What a request's forwarded log needs from it: its user, and its first GraphQL error (the
/// response is a 200 with `errors`).
#[derive(Default)]
struct Seen {
    user: String,
    error: Option<String>,
}

/// The request itself; [`serve`] forwards its log.
async fn respond(
    state: Arc<State>,
    method: Method,
    address: String,
    headers: HeaderMap,
    body: Bytes,
    seen: &mut Seen,
) -> Result<Response, ApiError> {
    if method != Method::POST {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "GraphQL requests are POST requests with a JSON body",
        ));
    }
    let application = loader::RunAs::Application;
    let user = request_user(&state, &application, &headers, &address, true, true).await?;
    seen.user.clone_from(&user.id);
    let deployment = state.deployment();
    let Some(api) = deployment.extensions.get::<Api>() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "GraphQLNotAvailable",
            "the GraphQL API has no types: no collection of this app has a schema with fields GraphQL can show",
        ));
    };
    let invalid = |m: &str| ApiError::bad_request("InvalidParameter", m.to_string());
    let body: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| invalid("the body must be JSON"))?;
    let query = body
        .get("query")
        .and_then(|q| q.as_str())
        .ok_or_else(|| invalid("'query' must be the GraphQL query"))?;
    // The parser recurses per level of nesting: a query nested without end would overflow the
    // stack of the thread that parses it (and abort the server), so it is refused first.
    if nesting(query) > MAX_NESTING {
        return Err(invalid(&format!(
            "the query nests deeper than {MAX_NESTING} levels"
        )));
    }
    let mut request = async_graphql::Request::new(query);
    let operation = body.get("operationName").and_then(|o| o.as_str());
    if let Some(op) = operation {
        request = request.operation_name(op);
    }
    // App Services' limits fail the whole operation before any of it runs. A query that does
    // not parse is left to the executor, which reports it.
    if let Ok(doc) = request.parsed_query()
        && let Err(message) = limits::check(doc, operation, &api.shape)
    {
        seen.error = Some(message.clone());
        return failed(message);
    }
    match body.get("variables") {
        None | Some(serde_json::Value::Null) => {}
        Some(v @ serde_json::Value::Object(_)) => {
            request = request.variables(async_graphql::Variables::from_json(v.clone()));
        }
        Some(_) => return Err(invalid("'variables' must be an object")),
    }
    let _slot = state.in_flight.enter(&user.id, &address)?;
    let bytes = Arc::new(AtomicUsize::new(0));
    let ctx = run::Ctx {
        state: state.clone(),
        deployment: deployment.clone(),
        user,
        info: super::endpoints::request_info(&headers, "", &address, "graphql"),
        types: api.types.clone(),
        bytes: bytes.clone(),
        resolver_turn: tokio::sync::Semaphore::new(1),
    };
    // A request runs no longer than a function call may: its operations each have that
    // deadline, and a request of many (`create` lists, aliases) is bounded as a whole.
    let limit = state.engine.time_limit();
    let response = tokio::time::timeout(limit, api.schema.execute(request.data(ctx)))
        .await
        .map_err(|_| ApiError::from(engine::EngineError::TimeLimitExceeded(limit)))?;
    // Past the bound every later operation failed at once; the request fails as a whole.
    if bytes.load(Ordering::Relaxed) > run::MAX_REQUEST_BYTES {
        let message = run::too_large();
        seen.error = Some(message.clone());
        return failed(message);
    }
    seen.error = response.errors.first().map(|e| e.message.clone());
    let json = serde_json::to_value(&response).map_err(|e| ApiError::internal("graphql", e))?;
    Ok(Json(json).into_response())
}
