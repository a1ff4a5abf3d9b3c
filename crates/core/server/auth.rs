//! The authentication routes: provider logins, email/password accounts, profile, sessions,
//! user deletion and user API keys.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State as AxumState},
    http::{HeaderMap, StatusCode, header},
};
use bson::{Bson, DateTime, Document, doc, oid::ObjectId};
use serde_json::{Value, json};

use super::{
    ApiError, State, check_app, hooks,
    throttle::{self, ClientAddress},
    tokens::AccessClaims,
    users::{StoreFailure, random_secret, token_hash},
};

type S = AxumState<Arc<State>>;
type JsonResult = Result<Json<Value>, ApiError>;

/// The bearer token of a request, if any.
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty() && *t != "null")
}

/// A request body as an EJSON document (the SDKs send canonical EJSON).
pub(super) fn body_doc(body: &[u8]) -> Result<Document, ApiError> {
    if body.is_empty() {
        return Ok(Document::new());
    }
    let json: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            "InvalidParameter",
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    match Bson::try_from(json) {
        Ok(Bson::Document(d)) => Ok(d),
        Ok(_) => Err(ApiError::bad_request(
            "InvalidParameter",
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad_request(
            "InvalidParameter",
            format!("the request body is not valid EJSON: {e}"),
        )),
    }
}

/// An email address from `body[key]`, normalized as accounts are keyed (trimmed, lower case).
fn email_field(body: &Document, key: &str) -> Result<String, ApiError> {
    Ok(string_field(body, key)?.trim().to_lowercase())
}

fn user_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "UserNotFound", "user not found")
}

fn string_field(body: &Document, key: &str) -> Result<String, ApiError> {
    body.get_str(key)
        .map(str::to_string)
        .map_err(|_| ApiError::bad_request("InvalidParameter", format!("'{key}' must be a string")))
}

/// The verified claims of the request's access token, whose session must still be live.
pub(super) async fn access(state: &State, headers: &HeaderMap) -> Result<AccessClaims, ApiError> {
    let token =
        bearer(headers).ok_or_else(|| ApiError::invalid_session("invalid session: no access token"))?;
    let claims = state.tokens.verify(token)?;
    let sid = ObjectId::parse_str(&claims.sid).map_err(|_| ApiError::invalid_session("invalid session"))?;
    if !state.users.session_alive(&sid).await? {
        return Err(ApiError::invalid_session(
            "invalid session: the session has ended",
        ));
    }
    Ok(claims)
}

fn no_refresh_token() -> ApiError {
    ApiError::invalid_session("invalid session: failed to find refresh token")
}

/// The live session named by the request's refresh token.
async fn refresh_session(state: &State, headers: &HeaderMap) -> Result<Document, ApiError> {
    let token = bearer(headers).ok_or_else(no_refresh_token)?;
    let sid = state
        .tokens
        .refresh_session_id(token)
        .ok_or_else(no_refresh_token)?;
    state
        .users
        .live_session(&sid, token)
        .await?
        .ok_or_else(no_refresh_token)
}

/// The custom user data document of user `id`: a string id wins over an ObjectId one.
async fn custom_data(state: &State, user_id: &ObjectId) -> Result<Option<Document>, ApiError> {
    let deployment = state.deployment();
    let Some(config) = deployment
        .extensions
        .get::<loader::AuthConfig>()
        .and_then(|a| a.custom_user_data.clone())
    else {
        return Ok(None);
    };
    let op = bridge::Op::Find {
        ns: bridge::Namespace {
            db: config.database.clone(),
            coll: config.collection.clone(),
        },
        filter: doc! {&config.user_id_field: {"$in": [user_id.to_hex(), *user_id]}},
        projection: None,
        sort: None,
        skip: None,
        limit: None,
    };
    let found = state
        .data
        .execute(bridge::Request { op, session: None })
        .await
        .map_err(|e| ApiError::internal("reading custom user data", e.message))?;
    let docs: Vec<Document> = match found {
        Bson::Array(items) => items
            .into_iter()
            .filter_map(|b| b.as_document().cloned())
            .collect(),
        _ => Vec::new(),
    };
    let is_string = |d: &Document| matches!(d.get(&config.user_id_field), Some(Bson::String(_)));
    Ok(docs.iter().find(|d| is_string(d)).or(docs.first()).cloned())
}

/// Issues a fresh access token for `user_id` in session `sid`, with current custom data.
async fn access_token(
    state: &State,
    user_id: &ObjectId,
    sid: &ObjectId,
    device: &str,
) -> Result<String, ApiError> {
    let user = state.users.user(user_id).await?.ok_or_else(no_refresh_token)?;
    let data = custom_data(state, user_id).await?;
    state.tokens.issue(&user, data, sid, device)
}

/// The enabled provider `name`. `custom-token` is enabled by configuring its key
/// (`--custom-token-key`), unless the app declares it disabled.
fn provider(state: &State, name: &str) -> Result<loader::Provider, ApiError> {
    let deployment = state.deployment();
    let auth = deployment.extensions.get::<loader::AuthConfig>();
    match auth.and_then(|a| a.providers.get(name)) {
        Some(p) if !p.disabled => Ok(p.clone()),
        None if name == "custom-token" && state.custom_token_key.is_some() => Ok(loader::Provider {
            name: name.into(),
            provider_type: name.into(),
            disabled: false,
            config: serde_json::Value::Null,
        }),
        _ => Err(ApiError::bad_request(
            "AuthProviderNotFound",
            format!("authentication via '{name}' is unsupported"),
        )),
    }
}

/// Refuses a new user (anonymous login, registration) when `address` made too many.
fn new_user_allowed(state: &State, address: &str) -> Result<(), ApiError> {
    state
        .limits
        .signup_address
        .take(address)
        .map_err(|wait| throttle::too_many("new users from this address", wait))
}

fn invalid_password() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidPassword",
        "invalid username/password",
    )
}

/// `POST .../auth/providers/{provider}/login`.
pub async fn login(
    AxumState(state): S,
    Path((app, name)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    uri: axum::http::Uri,
    body: Bytes,
) -> JsonResult {
    check_app(&state, &app)?;
    if uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "link=true"))
    {
        return Err(ApiError::bad_request(
            "NotImplemented",
            "linking identities is not supported by writ yet",
        ));
    }
    let provider = provider(&state, &name)?;
    let body = body_doc(&body)?;
    let user_id = match provider.provider_type.as_str() {
        "anon-user" => {
            new_user_allowed(&state, &address)?;
            let identity = doc! {"id": ObjectId::new().to_hex(), "provider_type": "anon-user", "provider_id": "anon-user"};
            hooks::create_user(&state, "anon-user", identity, Document::new()).await?
        }
        "local-userpass" => userpass_login(&state, &body, &address).await?,
        "api-key" => api_key_login(&state, &body).await?,
        "custom-token" => custom_token_login(&state, &body).await?,
        other => {
            return Err(ApiError::bad_request(
                "AuthProviderNotFound",
                format!("the provider type '{other}' is not supported by writ yet"),
            ));
        }
    };
    let device = match body
        .get_document("options")
        .and_then(|o| o.get_document("device"))
    {
        Ok(d) => match d.get("deviceId") {
            Some(Bson::ObjectId(id)) => *id,
            _ => ObjectId::new(),
        },
        Err(_) => ObjectId::new(),
    };
    let sid = ObjectId::new();
    let refresh_token = state.tokens.issue_refresh(&user_id, &sid)?;
    state
        .users
        .create_session(
            sid,
            user_id,
            &device.to_hex(),
            &refresh_token,
            state.tokens.refresh_ttl,
        )
        .await?;
    // LOGIN triggers run before the token is made, so it carries what they wrote.
    hooks::login(&state, &provider.provider_type, &user_id).await?;
    let access_token = access_token(&state, &user_id, &sid, &device.to_hex()).await?;
    tracing::info!(provider = %name, user = %user_id, "login");
    Ok(Json(json!({
        "access_token": access_token,
        "refresh_token": refresh_token,
        "user_id": user_id.to_hex(),
        "device_id": device.to_hex(),
    })))
}

/// Checks an email/password login. Throttled per account and per client address (only
/// failures count); an unknown email costs one password check like a known one.
async fn userpass_login(state: &State, body: &Document, address: &str) -> Result<ObjectId, ApiError> {
    let email = email_field(body, "username")?;
    let password = string_field(body, "password")?;
    let limits = &state.limits;
    let too_many = |wait| throttle::too_many("failed logins", wait);
    limits.login_address.take(address).map_err(too_many)?;
    if let Err(wait) = limits.login_account.take(&email) {
        limits.login_address.refund(address);
        return Err(too_many(wait));
    }
    let account = state.users.find_one("userpass", doc! {"_id": &email}).await?;
    let hash = account.as_ref().and_then(|a| a.get_str("password_hash").ok());
    let matches = state.passwords.verify(password, hash).await?;
    let Some(account) = account.filter(|_| matches) else {
        return Err(invalid_password());
    };
    limits.login_account.forget(&email);
    limits.login_address.refund(address);
    if !account.get_bool("confirmed").unwrap_or(false) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AuthError",
            "confirmation required",
        ));
    }
    if let Ok(id) = account.get_object_id("user_id") {
        return Ok(id);
    }
    // First login: the user is created now, as App Services did.
    let identity = userpass_identity(&email);
    let id = hooks::create_user(state, "local-userpass", identity, doc! {"email": &email}).await?;
    let claimed = state
        .users
        .update(
            "userpass",
            doc! {"_id": &email, "user_id": Bson::Null},
            doc! {"$set": {"user_id": id}},
            false,
        )
        .await?;
    if claimed {
        return Ok(id);
    }
    // Another request created the user first: use that one.
    state.users.delete("users", doc! {"_id": id}).await?;
    let account = state.users.find_one("userpass", doc! {"_id": &email}).await?;
    account
        .and_then(|a| a.get_object_id("user_id").ok())
        .ok_or_else(|| ApiError::internal("login", "account without user"))
}

fn userpass_identity(email: &str) -> Document {
    doc! {"id": ObjectId::new().to_hex(), "provider_type": "local-userpass", "provider_id": "local-userpass", "provider_data": {"email": email}}
}

fn check_password(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if (6..=128).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "BadRequest",
            "password must be between 6 and 128 characters",
        ))
    }
}

/// Creates a confirmation or reset token for `email`, logged for the operator to deliver:
/// writ sends no email.
async fn issue_token(state: &State, kind: &str, email: &str) -> Result<(), ApiError> {
    let token = random_secret(32);
    let token_id = ObjectId::new();
    let expires = DateTime::from_millis(DateTime::now().timestamp_millis() + 30 * 60 * 1000);
    state
        .users
        .insert(
            "tokens",
            doc! {"_id": token_id, "kind": kind, "email": email, "hash": token_hash(&token), "expires_at": expires},
        )
        .await?;
    tracing::info!(%email, token = %token, token_id = %token_id.to_hex(), "{kind} token issued (writ sends no email: deliver it to the user)");
    Ok(())
}

/// The email a valid, unexpired `kind` token belongs to; the token is used up.
async fn take_token(state: &State, kind: &str, body: &Document) -> Result<String, ApiError> {
    let bad = || ApiError::bad_request("BadRequest", "invalid token data");
    let token = string_field(body, "token")?;
    let token_id = ObjectId::parse_str(string_field(body, "tokenId")?).map_err(|_| bad())?;
    let found = state
        .users
        .find_one("tokens", doc! {"_id": token_id, "kind": kind})
        .await?;
    let found = found.ok_or_else(bad)?;
    let valid = found.get_str("hash").is_ok_and(|h| h == token_hash(&token))
        && found
            .get_datetime("expires_at")
            .is_ok_and(|e| *e > DateTime::now());
    if !valid {
        return Err(bad());
    }
    state.users.delete("tokens", doc! {"_id": token_id}).await?;
    Ok(found.get_str("email").unwrap_or_default().to_string())
}

/// `POST .../local-userpass/register`.
pub async fn register(
    AxumState(state): S,
    Path(app): Path<String>,
    ClientAddress(address): ClientAddress,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    check_app(&state, &app)?;
    let provider = provider(&state, "local-userpass")?;
    new_user_allowed(&state, &address)?;
    let body = body_doc(&body)?;
    let email = email_field(&body, "email")?;
    if !email.contains('@') {
        return Err(ApiError::bad_request(
            "BadRequest",
            "email is not a valid email address",
        ));
    }
    let password = string_field(&body, "password")?;
    check_password(&password)?;
    let confirmed = provider.flag("autoConfirm", true);
    let account = doc! {
        "_id": &email,
        "password_hash": state.passwords.hash(password).await?,
        "confirmed": confirmed,
        "user_id": Bson::Null,
        "created_at": DateTime::now(),
    };
    match state.users.insert("userpass", account).await {
        Ok(()) => {}
        Err(StoreFailure::Duplicate) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "AccountNameInUse",
                "name already in use",
            ));
        }
        Err(StoreFailure::Other(e)) => return Err(e),
    }
    if !confirmed {
        issue_token(&state, "confirm", &email).await?;
        return Ok(StatusCode::CREATED);
    }
    // A confirmed account's user exists from sign-up, so a failing user creation function
    // refuses the sign-up itself and leaves no account behind.
    let identity = userpass_identity(&email);
    match hooks::create_user(&state, "local-userpass", identity, doc! {"email": &email}).await {
        Ok(id) => {
            let set = doc! {"$set": {"user_id": id}};
            state
                .users
                .update("userpass", doc! {"_id": &email}, set, false)
                .await?;
            Ok(StatusCode::CREATED)
        }
        Err(e) => {
            state.users.delete("userpass", doc! {"_id": &email}).await?;
            Err(e)
        }
    }
}

/// `POST .../local-userpass/confirm`.
pub async fn confirm(
    AxumState(state): S,
    Path(app): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    check_app(&state, &app)?;
    let email = take_token(&state, "confirm", &body_doc(&body)?).await?;
    state
        .users
        .update(
            "userpass",
            doc! {"_id": email},
            doc! {"$set": {"confirmed": true}},
            false,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST .../local-userpass/confirm/send`.
pub async fn confirm_send(
    AxumState(state): S,
    Path(app): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    check_app(&state, &app)?;
    let email = email_field(&body_doc(&body)?, "email")?;
    let account = state.users.find_one("userpass", doc! {"_id": &email}).await?;
    match account {
        Some(a) if !a.get_bool("confirmed").unwrap_or(false) => {
            issue_token(&state, "confirm", &email).await?
        }
        Some(_) => return Err(ApiError::bad_request("UserAlreadyConfirmed", "already confirmed")),
        None => {
            return Err(user_not_found());
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST .../local-userpass/reset/send`.
pub async fn reset_send(
    AxumState(state): S,
    Path(app): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    check_app(&state, &app)?;
    let email = email_field(&body_doc(&body)?, "email")?;
    if state
        .users
        .find_one("userpass", doc! {"_id": &email})
        .await?
        .is_none()
    {
        return Err(user_not_found());
    }
    issue_token(&state, "reset", &email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST .../local-userpass/reset`.
pub async fn reset(
    AxumState(state): S,
    Path(app): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    check_app(&state, &app)?;
    let body = body_doc(&body)?;
    let password = string_field(&body, "password")?;
    check_password(&password)?;
    let email = take_token(&state, "reset", &body).await?;
    let hash = state.passwords.hash(password).await?;
    state
        .users
        .update(
            "userpass",
            doc! {"_id": email},
            doc! {"$set": {"password_hash": hash}},
            false,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Routes writ does not implement yet answer with a clear error.
pub async fn not_supported(uri: axum::http::Uri) -> ApiError {
    ApiError::bad_request(
        "NotImplemented",
        format!(
            "{} (confirmation and reset functions) is not supported by writ yet",
            uri.path()
        ),
    )
}

/// `GET /auth/profile`.
pub async fn profile(AxumState(state): S, headers: HeaderMap) -> JsonResult {
    let claims = access(&state, &headers).await?;
    let id = ObjectId::parse_str(&claims.sub).map_err(|_| ApiError::invalid_session("invalid session"))?;
    let user = state
        .users
        .user(&id)
        .await?
        .ok_or_else(|| ApiError::invalid_session("invalid session: user not found"))?;
    let identities: Vec<Value> = user
        .get_array("identities")
        .map(|ids| {
            ids.iter()
                .filter_map(Bson::as_document)
                .map(|i| {
                    json!({
                        "id": i.get_str("id").unwrap_or_default(),
                        "provider_type": i.get_str("provider_type").unwrap_or_default(),
                        "provider_id": i.get_str("provider_id").unwrap_or_default(),
                        "provider_data": Bson::Document(i.get_document("provider_data").cloned().unwrap_or_default()).into_relaxed_extjson(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(json!({
        "user_id": claims.sub,
        "domain_id": state.app_id,
        "identities": identities,
        "data": Bson::Document(user.get_document("data").cloned().unwrap_or_default()).into_relaxed_extjson(),
        "type": user.get_str("type").unwrap_or("normal"),
    })))
}

/// `POST /auth/session`: a new access token (with fresh custom data) for a refresh token.
pub async fn refresh(AxumState(state): S, headers: HeaderMap) -> Result<(StatusCode, Json<Value>), ApiError> {
    let session = refresh_session(&state, &headers).await?;
    let sid = session.get_object_id("_id").map_err(|_| no_refresh_token())?;
    let user_id = session.get_object_id("user_id").map_err(|_| no_refresh_token())?;
    let device = session.get_str("device_id").unwrap_or_default();
    let token = access_token(&state, &user_id, &sid, device).await?;
    Ok((StatusCode::CREATED, Json(json!({"access_token": token}))))
}

/// `DELETE /auth/session`: ends the session; its access tokens stop working at once.
pub async fn logout(AxumState(state): S, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let session = refresh_session(&state, &headers).await?;
    state
        .users
        .delete(
            "sessions",
            doc! {"_id": session.get("_id").cloned().unwrap_or(Bson::Null)},
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /auth/delete`: deletes the calling user and everything writ keeps about them.
pub async fn delete_user(AxumState(state): S, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let claims = access(&state, &headers).await?;
    let id = ObjectId::parse_str(&claims.sub).map_err(|_| ApiError::invalid_session("invalid session"))?;
    let user = state.users.user(&id).await?;
    state.users.delete_user(&id).await?;
    tracing::info!(user = %claims.sub, "user deleted");
    if let Some(user) = user {
        let user_info = super::users::engine_user(&user);
        let provider = user_info
            .identities
            .first()
            .map(|i| i.provider_type.as_str())
            .unwrap_or_default();
        hooks::auth_event(&state, "DELETE", provider, &user).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn api_key_login(state: &State, body: &Document) -> Result<ObjectId, ApiError> {
    let invalid = || ApiError::new(StatusCode::UNAUTHORIZED, "InvalidSession", "invalid API key");
    let key = string_field(body, "key")?;
    let id = key
        .get(..24)
        .and_then(|h| ObjectId::parse_str(h).ok())
        .ok_or_else(invalid)?;
    let found = state
        .users
        .find_one("api_keys", doc! {"_id": id})
        .await?
        .ok_or_else(invalid)?;
    let matches = found.get_str("hash").is_ok_and(|h| h == token_hash(&key[24..]));
    if !matches || found.get_bool("disabled").unwrap_or(false) {
        return Err(invalid());
    }
    found.get_object_id("user_id").map_err(|_| invalid())
}

async fn custom_token_login(state: &State, body: &Document) -> Result<ObjectId, ApiError> {
    let key = state.custom_token_key.as_ref().ok_or_else(|| {
        ApiError::bad_request(
            "AuthProviderNotFound",
            "custom-token needs a verification key (--custom-token-key)",
        )
    })?;
    let token = string_field(body, "token")?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let claims = jsonwebtoken::decode::<serde_json::Map<String, Value>>(&token, key, &validation)
        .map_err(|e| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "InvalidSession",
                format!("invalid custom token: {e}"),
            )
        })?
        .claims;
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let key = format!("custom-token:{sub}");
    if let Some(found) = state.users.find_one("identities", doc! {"_id": &key}).await?
        && let Ok(id) = found.get_object_id("user_id")
    {
        return Ok(id);
    }
    let mut data = Document::new();
    for field in ["name", "email", "first_name", "last_name", "picture"] {
        if let Some(Value::String(s)) = claims.get(field) {
            data.insert(field, s.as_str());
        }
    }
    let identity = doc! {"id": &sub, "provider_type": "custom-token", "provider_id": "custom-token", "provider_data": data.clone()};
    let id = hooks::create_user(state, "custom-token", identity, data).await?;
    match state
        .users
        .insert("identities", doc! {"_id": &key, "user_id": id})
        .await
    {
        Ok(()) => Ok(id),
        Err(StoreFailure::Duplicate) => {
            state.users.delete("users", doc! {"_id": id}).await?;
            let found = state.users.find_one("identities", doc! {"_id": &key}).await?;
            found
                .and_then(|f| f.get_object_id("user_id").ok())
                .ok_or_else(|| ApiError::internal("custom token login", "identity without user"))
        }
        Err(StoreFailure::Other(e)) => Err(e),
    }
}

fn api_key_json(k: &Document, key: Option<&str>) -> Value {
    let mut v = json!({
        "_id": k.get_object_id("_id").map(|i| i.to_hex()).unwrap_or_default(),
        "name": k.get_str("name").unwrap_or_default(),
        "disabled": k.get_bool("disabled").unwrap_or(false),
    });
    if let Some(key) = key {
        v["key"] = json!(key);
    }
    v
}

async fn key_owner(state: &State, headers: &HeaderMap) -> Result<ObjectId, ApiError> {
    let session = refresh_session(state, headers).await?;
    session.get_object_id("user_id").map_err(|_| no_refresh_token())
}

/// `POST /auth/api_keys`: a new key for the calling user; the key is shown only here.
pub async fn create_api_key(
    AxumState(state): S,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user_id = key_owner(&state, &headers).await?;
    let name = string_field(&body_doc(&body)?, "name")?;
    if name.is_empty() {
        return Err(ApiError::bad_request(
            "InvalidParameter",
            "an API key needs a name",
        ));
    }
    let existing = state
        .users
        .find_one("api_keys", doc! {"user_id": user_id, "name": &name})
        .await?;
    if existing.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "APIKeyAlreadyExists",
            format!("API key '{name}' already exists"),
        ));
    }
    let id = ObjectId::new();
    let secret = random_secret(30);
    let doc =
        doc! {"_id": id, "user_id": user_id, "name": &name, "hash": token_hash(&secret), "disabled": false};
    state.users.insert("api_keys", doc.clone()).await?;
    let key = format!("{}{}", id.to_hex(), secret);
    Ok((StatusCode::CREATED, Json(api_key_json(&doc, Some(&key)))))
}

/// `GET /auth/api_keys`.
pub async fn list_api_keys(AxumState(state): S, headers: HeaderMap) -> JsonResult {
    let user_id = key_owner(&state, &headers).await?;
    let keys = state.users.find("api_keys", doc! {"user_id": user_id}).await?;
    Ok(Json(Value::Array(
        keys.iter().map(|k| api_key_json(k, None)).collect(),
    )))
}

async fn own_key(state: &State, headers: &HeaderMap, id: &str) -> Result<Document, ApiError> {
    let user_id = key_owner(state, headers).await?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "APIKeyNotFound",
            format!("API key '{id}' not found"),
        )
    };
    let id = ObjectId::parse_str(id).map_err(|_| not_found())?;
    state
        .users
        .find_one("api_keys", doc! {"_id": id, "user_id": user_id})
        .await?
        .ok_or_else(not_found)
}

/// `GET /auth/api_keys/{id}`.
pub async fn get_api_key(AxumState(state): S, headers: HeaderMap, Path(id): Path<String>) -> JsonResult {
    Ok(Json(api_key_json(&own_key(&state, &headers, &id).await?, None)))
}

/// `DELETE /auth/api_keys/{id}`.
pub async fn delete_api_key(
    AxumState(state): S,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let key = own_key(&state, &headers, &id).await?;
    state
        .users
        .delete(
            "api_keys",
            doc! {"_id": key.get("_id").cloned().unwrap_or(Bson::Null)},
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_disabled(
    state: &State,
    headers: &HeaderMap,
    id: &str,
    disabled: bool,
) -> Result<StatusCode, ApiError> {
    let key = own_key(state, headers, id).await?;
    let filter = doc! {"_id": key.get("_id").cloned().unwrap_or(Bson::Null)};
    state
        .users
        .update("api_keys", filter, doc! {"$set": {"disabled": disabled}}, false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /auth/api_keys/{id}/enable`.
pub async fn enable_api_key(
    AxumState(state): S,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(&state, &headers, &id, false).await
}

/// `PUT /auth/api_keys/{id}/disable`.
pub async fn disable_api_key(
    AxumState(state): S,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(&state, &headers, &id, true).await
}
