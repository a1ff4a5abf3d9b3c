//! What every route needs from a request, as axum extractors, so handlers start from checked
//! values: the app the request addresses ([`ThisApp`]), the caller behind an access token
//! ([`Caller`]), the session behind a refresh token ([`Refresh`]), the body as an EJSON
//! document ([`Body`]) and the client's address ([`ClientAddress`]). Each refusal is an
//! [`ApiError`] in App Services' format.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request},
    http::{StatusCode, header, request::Parts},
};
use bson::{Bson, Document, oid::ObjectId};
use serde_json::Value;

use super::{ApiError, State, callers::Verified, users::SessionRecord};

/// The request addresses this server's app (`/app/{app}/...`); 404 `AppNotFound` otherwise.
pub struct ThisApp;

impl FromRequestParts<Arc<State>> for ThisApp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<State>) -> Result<Self, ApiError> {
        let params = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| p)
            .unwrap_or_default();
        match params.get("app") {
            Some(app) if *app == state.app_id => Ok(ThisApp),
            app => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "AppNotFound",
                format!(
                    "cannot find app using Client App ID '{}'",
                    app.map_or("", String::as_str)
                ),
            )),
        }
    }
}

/// The bearer token of a request's headers, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty() && *t != "null")
}

/// The verified access token of the request, whose session is still live (so logged-out and
/// deleted users' tokens stop working at once); 401 `InvalidSession` otherwise.
pub struct Caller(pub Arc<Verified>);

impl Caller {
    /// The caller's user id.
    pub fn user_id(&self) -> Result<ObjectId, ApiError> {
        ObjectId::parse_str(&self.0.claims.sub).map_err(|_| ApiError::invalid_session("invalid session"))
    }
}

impl FromRequestParts<Arc<State>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<State>) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)
            .ok_or_else(|| ApiError::invalid_session("invalid session: no access token"))?;
        let verified = state.callers.verify(token, &state.tokens, &state.users).await?;
        Ok(Caller(verified))
    }
}

/// 401 `InvalidSession` with the message realm-web recognizes for a refresh token that no
/// longer works.
pub fn no_refresh_token() -> ApiError {
    ApiError::invalid_session("invalid session: failed to find refresh token")
}

/// The live session the request's refresh token names: signed by this app, of type refresh,
/// and still stored (not logged out, not deleted, not expired).
pub struct Refresh(pub SessionRecord);

impl FromRequestParts<Arc<State>> for Refresh {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<State>) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(no_refresh_token)?;
        let sid = state
            .tokens
            .refresh_session_id(token)
            .ok_or_else(no_refresh_token)?;
        let session = state.users.live_session(&sid, token).await?;
        session.map(Refresh).ok_or_else(no_refresh_token)
    }
}

/// The request body as an EJSON document (the SDKs send canonical EJSON); empty when there is
/// no body.
pub struct Body(pub Document);

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameter", message)
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::from_status(e.status(), e.body_text()))?;
        parse_body(&bytes).map(Body)
    }
}

/// Reads a request body as an EJSON document (empty for an empty body): **the** EJSON decoder
/// of the client API, exact for doubles (serde_json's float round trip), at most 128 levels deep.
pub fn parse_body(bytes: &[u8]) -> Result<Document, ApiError> {
    if bytes.is_empty() {
        return Ok(Document::new());
    }
    let mut json: Value = serde_json::from_slice(bytes)
        .map_err(|e| invalid(format!("the request body is not valid JSON: {e}")))?;
    plain_timestamps(&mut json, 0);
    match Bson::try_from(json) {
        Ok(Bson::Document(d)) => Ok(d),
        Ok(_) => Err(invalid("the request body must be a JSON object")),
        Err(e) => Err(invalid(format!(
            "the request body is not valid EJSON: {}",
            e.to_string().trim_start_matches("Error: ")
        ))),
    }
}

/// realm-web writes a `{$timestamp: {t, i}}` it was given with `t` and `i` as
/// `{"$numberInt": ...}` (its EJSON serializer wraps every number); EJSON wants plain numbers.
fn plain_timestamps(value: &mut Value, depth: usize) {
    if depth > 200 {
        return;
    }
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(ts)) = map.get_mut("$timestamp") {
                for key in ["t", "i"] {
                    let number = ts.get(key).and_then(|v| {
                        let text = v.get("$numberInt").or_else(|| v.get("$numberLong"))?.as_str()?;
                        text.parse::<u64>().ok()
                    });
                    if let Some(n) = number {
                        ts.insert(key.to_string(), Value::from(n));
                    }
                }
            }
            for v in map.values_mut() {
                plain_timestamps(v, depth + 1);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| plain_timestamps(v, depth + 1)),
        _ => {}
    }
}

impl Body {
    /// The string field `key`.
    pub fn string(&self, key: &str) -> Result<String, ApiError> {
        self.0
            .get_str(key)
            .map(str::to_string)
            .map_err(|_| invalid(format!("'{key}' must be a string")))
    }

    /// The email in field `key`, normalized as accounts are keyed (trimmed, lower case).
    pub fn email(&self, key: &str) -> Result<String, ApiError> {
        Ok(self.string(key)?.trim().to_lowercase())
    }
}

/// The `arguments` array of a call's body (none: no arguments).
pub fn arguments(body: &Document) -> Result<Vec<Bson>, ApiError> {
    match body.get("arguments") {
        None | Some(Bson::Null) => Ok(Vec::new()),
        Some(Bson::Array(a)) => Ok(a.clone()),
        Some(_) => Err(invalid("'arguments' must be an array")),
    }
}

/// The client's address as throttles key it: an IPv6 address by its /64 network (one host's
/// share), `unknown` when the request carries none. Behind a reverse proxy, the last entry of
/// the configured header (`--client-address-header`).
pub struct ClientAddress(pub String);

/// The key of a client address: itself, or an IPv6 address's /64 network.
pub(super) fn key_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl FromRequestParts<Arc<State>> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<State>) -> Result<Self, ApiError> {
        let forwarded = state.limits.client_address_header.as_deref().and_then(|h| {
            let value = parts.headers.get(h)?.to_str().ok()?;
            value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
        });
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddress(
            forwarded.or(peer).map_or_else(|| "unknown".to_string(), key_of),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(key_of(a), key_of(b));
        assert_eq!(key_of("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
    }
}
