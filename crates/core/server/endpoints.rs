//! HTTPS endpoints (`/app/<id>/endpoint/<route>`) and legacy incoming webhooks
//! (`/api/client/v2.0/app/<id>/service/<service>/incoming_webhook/<hook>`): the request is
//! checked (secret or payload signature), its user resolved (credential headers, system, a
//! fixed user or a script), and the function gets `({query, headers, body}, response)`; what
//! it sets on `response`, else its result, is the answer. The Data API shares the request
//! checks and credentials (`data_api.rs`).

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    body::Bytes,
    extract::{Path, State as AxumState},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use bson::{Binary, Bson, Document, doc, spec::BinarySubtype};
use engine::{Invocation, RequestInfo, User};
use hmac::{Hmac, Mac};
use loader::{Endpoint, Endpoints, ReturnType, RunAs, Validation};

use super::{
    ApiError, State, api_keys,
    extract::{Body, ClientAddress, ThisApp},
    functions::{canonical, run_as},
    logins, sessions, userpass,
};

/// `ANY /app/{app}/endpoint/{*route}`.
#[allow(clippy::too_many_arguments)] // axum extractors
pub async fn endpoint(
    AxumState(state): AxumState<Arc<State>>,
    _: ThisApp,
    Path((_, route)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let at = bson::DateTime::now();
    let route = format!("/{}", route.trim_start_matches('/'));
    let result = match route.strip_prefix("/data/") {
        Some(rest) => super::data_api::action(&state, rest, &address, &method, &uri, &headers, &body).await,
        None => serve(&state, &route, false, &address, &method, &uri, &headers, body).await,
    };
    let status = match &result {
        Ok(r) => r.status(),
        Err(e) => e.status,
    };
    state.forwarders.emit("endpoint", status.as_u16() < 400, || {
        let mut log = super::forward::log(&state, "ENDPOINT", at);
        log.insert("endpoint_route", &route);
        log.insert("request_method", method.as_str());
        log.insert("remote_ip_address", &address);
        log.insert("status", i32::from(status.as_u16()));
        if let Err(e) = &result {
            log.insert("error", &e.message);
            log.insert("error_code", e.code);
        }
        log
    });
    result
}

/// `ANY /api/client/v2.0/app/{app}/service/{service}/incoming_webhook/{hook}`.
#[allow(clippy::too_many_arguments)] // axum extractors
pub async fn webhook(
    AxumState(state): AxumState<Arc<State>>,
    _: ThisApp,
    Path((_, service, hook)): Path<(String, String, String)>,
    ClientAddress(address): ClientAddress,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let route = format!("{service}/{hook}");
    serve(&state, &route, true, &address, &method, &uri, &headers, body).await
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    state: &State,
    route: &str,
    legacy: bool,
    address: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let deployment = state.deployment();
    let endpoint = deployment
        .extensions
        .get::<Endpoints>()
        .and_then(|e| e.find(route, method.as_str(), legacy))
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "EndpointNotFound",
                format!("no endpoint for {method} {route}"),
            )
        })?;
    let query = validate(&endpoint.validation, uri, headers, &body)?;
    let user = request_user(
        state,
        &endpoint.run_as,
        headers,
        address,
        endpoint.create_user_on_auth,
        endpoint.fetch_custom_user_data,
    )
    .await?;
    let mut info = request_info(
        headers,
        uri.query().unwrap_or_default(),
        address,
        &endpoint.function,
    );
    info.http_method = Some(method.as_str().to_string());
    info.webhook_url = super::public_origin(state, headers)
        .ok()
        .map(|origin| format!("{origin}{}", uri.path()));
    if let Some(rule) = &endpoint.can_evaluate {
        let caller = bridge::rules::Caller::new(&user, Some(&info));
        super::functions::can_evaluate(&deployment, caller, rule, &endpoint.function).await?;
    }
    let slot = state.in_flight.enter(&in_flight_key(&user, address), address)?;
    let mut payload = doc! {
        "query": query.into_iter().map(|(k, v)| (k, Bson::String(v))).collect::<Document>(),
        "headers": header_document(headers),
    };
    if !body.is_empty() {
        payload.insert(
            "body",
            Binary {
                subtype: BinarySubtype::Generic,
                bytes: body.to_vec(),
            },
        );
    }
    let mut invocation = Invocation::new(&endpoint.function, vec![Bson::Document(payload)], user);
    invocation.endpoint = true;
    invocation.run_as_system = endpoint.run_as == RunAs::System;
    invocation.request = Some(info);
    // Held until the worker is done with the call, even if the client hangs up.
    invocation.hold = Some(engine::Hold(Arc::new(slot)));
    let user_id = invocation.user.id.clone();
    let outcome = state.engine.call_on(deployment.clone(), invocation).await?;
    super::functions::log_lines(&endpoint.function, &user_id, &outcome.logs);
    let value = outcome
        .result
        .map_err(|ex| ApiError::bad_request("FunctionExecutionError", ex.to_string()))?;
    respond(&endpoint, headers, value)
}

/// Whose share of calls in flight a request uses: its user's, or for requests that run as
/// the system (webhooks from anywhere), its address's alone.
pub fn in_flight_key(user: &User, address: &str) -> String {
    if user.id.is_empty() {
        format!("system@{address}")
    } else {
        user.id.clone()
    }
}

/// The query parameters after the request check (`secret` removed), or the check's refusal.
pub fn validate(
    validation: &Validation,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    let mut secret = None;
    for (k, v) in query_pairs(uri.query().unwrap_or_default()) {
        if k == "secret" {
            secret = Some(v);
        } else {
            query.insert(k, v);
        }
    }
    let refused = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "InvalidSecret", m.to_string());
    match validation {
        Validation::None => {
            if let Some(s) = secret {
                query.insert("secret".into(), s);
            }
        }
        Validation::SecretAsQueryParam(expected) => {
            let given = secret.ok_or_else(|| refused("this endpoint needs the secret query parameter"))?;
            if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
                return Err(refused("invalid secret"));
            }
        }
        Validation::VerifyPayload(key) => {
            // `Endpoint-Signature` for HTTPS endpoints and the Data API, `X-Hook-Signature` for
            // legacy webhooks, as App Services documented them; either is taken.
            let signature = headers
                .get("endpoint-signature")
                .or_else(|| headers.get("x-hook-signature"))
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("sha256="))
                .and_then(|hex| hex::decode(hex).ok())
                .ok_or_else(|| refused("this endpoint needs an Endpoint-Signature: sha256=<hex> header"))?;
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
                .map_err(|e| ApiError::internal("endpoint signature", e))?;
            mac.update(body);
            mac.verify_slice(&signature)
                .map_err(|_| refused("the payload signature does not match"))?;
            if let Some(s) = secret {
                query.insert("secret".into(), s);
            }
        }
    }
    Ok(query)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The pairs of a query string, percent-decoded (`+` is a space).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Request headers as the function sees them: each name (as sent, canonical case) with all of
/// its values; credentials are left out.
fn header_document(headers: &HeaderMap) -> Document {
    let mut out = Document::new();
    for (name, value) in headers {
        if is_credential(name) {
            continue;
        }
        let key = canonical_header(name.as_str());
        let value = Bson::String(String::from_utf8_lossy(value.as_bytes()).into_owned());
        match out.get_mut(&key) {
            Some(Bson::Array(values)) => values.push(value),
            _ => {
                out.insert(key, vec![value]);
            }
        }
    }
    out
}

fn is_credential(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "authorization" | "apikey" | "password" | "jwttokenstring"
    )
}

/// `content-type` as Go's `http.Header` wrote it: `Content-Type`.
fn canonical_header(name: &str) -> String {
    let mut canonical = String::with_capacity(name.len());
    let mut word_start = true;
    for c in name.chars() {
        canonical.push(if word_start {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        word_start = c == '-';
    }
    canonical
}

/// `context.request` for a call: the client's address, its headers (canonical names, without
/// credentials), the query string without `secret`, and the action.
pub fn request_info(headers: &HeaderMap, query: &str, address: &str, action: &str) -> RequestInfo {
    let mut info = RequestInfo {
        action: action.to_string(),
        remote_ip_address: address.to_string(),
        raw_query_string: query_pairs(query)
            .into_iter()
            .filter(|(k, _)| k != "secret")
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&"),
        ..RequestInfo::default()
    };
    for (k, v) in headers {
        if is_credential(k) {
            continue;
        }
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        info.request_headers
            .entry(canonical_header(k.as_str()))
            .or_default()
            .push(v);
    }
    let get = |h: header::HeaderName| headers.get(h).and_then(|v| v.to_str().ok()).map(str::to_string);
    info.http_referrer = get(header::REFERER);
    info.http_user_agent = get(header::USER_AGENT);
    info
}

/// The user a request runs as: the system, a fixed user, a script's choice, or (application
/// authentication) the one its credential headers name: `Authorization: Bearer <access
/// token>`, `apiKey`, `email` + `password`, or `jwtTokenString` (a custom-token JWT).
pub async fn request_user(
    state: &State,
    run_as: &RunAs,
    headers: &HeaderMap,
    address: &str,
    create_user_on_auth: bool,
    fetch_custom_user_data: bool,
) -> Result<User, ApiError> {
    match run_as {
        RunAs::System => Ok(User::system()),
        RunAs::UserId(id) => self::run_as(state, id).await,
        RunAs::Script(function) => {
            let outcome = state
                .engine
                .call(Invocation::new(function, Vec::new(), User::system()))
                .await?;
            match outcome.result {
                Ok(Bson::String(id)) => self::run_as(state, &id).await,
                Ok(Bson::ObjectId(id)) => self::run_as(state, &id.to_hex()).await,
                // App Services: `{ "runAsSystem": true }` runs the request as the system user.
                Ok(Bson::Document(d)) if d.get_bool("runAsSystem").is_ok_and(|b| b) => Ok(User::system()),
                Ok(other) => Err(ApiError::bad_request(
                    "FunctionExecutionError",
                    format!(
                        "the user id script must return a user id string or {{ runAsSystem: true }}, not {other}"
                    ),
                )),
                Err(ex) => Err(ApiError::bad_request("FunctionExecutionError", ex.to_string())),
            }
        }
        RunAs::Application => {
            application_user(
                state,
                headers,
                address,
                create_user_on_auth,
                fetch_custom_user_data,
            )
            .await
        }
    }
}

async fn application_user(
    state: &State,
    headers: &HeaderMap,
    address: &str,
    create_user_on_auth: bool,
    fetch_custom_user_data: bool,
) -> Result<User, ApiError> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(token) =
        get("authorization").and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_string()))
    {
        let verified = state.callers.verify(&token, &state.tokens, &state.users).await?;
        return Ok(verified.user.clone());
    }
    let id = if let Some(key) = get("apikey") {
        api_keys::login(state, &Body(doc! {"key": key})).await?
    } else if let (Some(email), Some(password)) = (get("email"), get("password")) {
        let body = Body(doc! {"username": email.trim().to_lowercase(), "password": password});
        userpass::login(state, &body, address).await?
    } else if let Some(jwt) = get("jwttokenstring") {
        if !create_user_on_auth && !logins::custom_token_user_exists(state, &jwt).await? {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "UserNotFound",
                "the token's user does not exist and this endpoint does not create users (create_user_on_auth)",
            ));
        }
        logins::custom_token_login(state, &jwt).await?
    } else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "MissingAuthReq",
            "no authentication methods were specified: send Authorization: Bearer <access token>, apiKey, email and password, or jwtTokenString",
        ));
    };
    let record = state
        .users
        .user(&id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "UserNotFound", "user not found"))?;
    let mut user = record.engine_user();
    if fetch_custom_user_data && let Some(data) = sessions::custom_data(state, &id).await? {
        user.custom_data = data;
    }
    Ok(user)
}

/// The HTTP answer to an endpoint call's `{result, response}`.
fn respond(endpoint: &Endpoint, request: &HeaderMap, value: Bson) -> Result<Response, ApiError> {
    let (result, response) = match value {
        Bson::Document(mut d) => (
            d.remove("result").unwrap_or(Bson::Null),
            match d.remove("response") {
                Some(Bson::Document(r)) => r,
                _ => Document::new(),
            },
        ),
        other => (other, Document::new()),
    };
    let status = match response.get("statusCode") {
        Some(Bson::Int32(c)) => Some(*c),
        Some(Bson::Int64(c)) => Some(*c as i32),
        Some(Bson::Double(c)) => Some(*c as i32),
        _ => None,
    };
    let body = match response.get("body") {
        Some(Bson::String(s)) => Some(s.clone().into_bytes()),
        Some(Bson::Binary(b)) => Some(b.bytes.clone()),
        _ => None,
    };
    let mut headers = HeaderMap::new();
    if let Some(Bson::Document(h)) = response.get("headers") {
        for (name, values) in h {
            let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
                return Err(ApiError::bad_request(
                    "FunctionExecutionError",
                    format!("response header name '{name}' is not valid"),
                ));
            };
            for v in values.as_array().into_iter().flatten() {
                let text = v.as_str().unwrap_or_default();
                let value = HeaderValue::from_str(text).map_err(|_| {
                    ApiError::bad_request(
                        "FunctionExecutionError",
                        format!("response header {name}: '{text}' is not a valid value"),
                    )
                })?;
                headers.append(name.clone(), value);
            }
        }
    }
    let (default_status, body) = match body {
        Some(b) => (StatusCode::OK, b),
        None if !endpoint.respond_result => (StatusCode::NO_CONTENT, Vec::new()),
        None => {
            // A legacy webhook answers relaxed EJSON, as it did before endpoints had formats.
            let json = if endpoint.legacy {
                result.into_relaxed_extjson()
            } else if super::formats::wants_ejson(request, endpoint.return_type == ReturnType::Ejson) {
                canonical(result)
            } else {
                super::formats::plain(result)
            };
            if !headers.contains_key(header::CONTENT_TYPE) {
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            (StatusCode::OK, json.to_string().into_bytes())
        }
    };
    let status = match status {
        Some(c) => StatusCode::from_u16(c as u16).unwrap_or(default_status),
        None => default_status,
    };
    Ok((status, headers, body).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_names_are_written_as_go_wrote_them() {
        for (name, canonical) in [
            ("content-type", "Content-Type"),
            ("x-REQUEST-id", "X-Request-Id"),
            ("accept", "Accept"),
            ("x--a-", "X--A-"),
            ("-x", "-X"),
            ("", ""),
        ] {
            assert_eq!(super::canonical_header(name), canonical);
        }
    }
}
