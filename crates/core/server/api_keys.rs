//! User API keys: the `api-key` login check and the key routes (`/auth/api_keys`), which act
//! for the user of the request's refresh token, as realm-web sends them. A key is shown once,
//! when it is created; only its hash is kept.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State as AxumState},
    http::StatusCode,
};
use bson::oid::ObjectId;
use serde_json::{Value, json};

use super::{
    ApiError, State,
    extract::{Body, Refresh},
    users::ApiKeyRecord,
};

type S = AxumState<Arc<State>>;

/// The user an API key login (`key`) signs in.
pub async fn login(state: &State, body: &Body) -> Result<ObjectId, ApiError> {
    let invalid = || ApiError::new(StatusCode::UNAUTHORIZED, "InvalidSession", "invalid API key");
    let key = body.string("key")?;
    let id = key
        .get(..24)
        .and_then(|h| ObjectId::parse_str(h).ok())
        .ok_or_else(invalid)?;
    let found = state.users.api_key(&id, None).await?.ok_or_else(invalid)?;
    if !found.matches(&key) || found.disabled {
        return Err(invalid());
    }
    Ok(found.user_id)
}

fn key_json(k: &ApiKeyRecord, key: Option<&str>) -> Value {
    let mut v = json!({"_id": k.id.to_hex(), "name": k.name, "disabled": k.disabled});
    if let Some(key) = key {
        v["key"] = json!(key);
    }
    v
}

/// `POST /auth/api_keys`: a new key for the calling user; the key is shown only here.
pub async fn create(
    AxumState(state): S,
    Refresh(session): Refresh,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = body.string("name")?;
    if name.is_empty() {
        return Err(ApiError::bad_request(
            "InvalidParameter",
            "an API key needs a name",
        ));
    }
    if state.users.api_key_named(&session.user_id, &name).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "APIKeyAlreadyExists",
            format!("API key '{name}' already exists"),
        ));
    }
    let (record, key) = ApiKeyRecord::new(session.user_id, name);
    state.users.insert_api_key(&record).await?;
    Ok((StatusCode::CREATED, Json(key_json(&record, Some(&key)))))
}

/// `GET /auth/api_keys`.
pub async fn list(AxumState(state): S, Refresh(session): Refresh) -> Result<Json<Value>, ApiError> {
    let keys = state.users.api_keys(&session.user_id).await?;
    Ok(Json(keys.iter().map(|k| key_json(k, None)).collect()))
}

/// The calling user's key `id`; 404 `APIKeyNotFound` for anyone else's.
async fn own_key(state: &State, owner: &ObjectId, id: &str) -> Result<ApiKeyRecord, ApiError> {
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "APIKeyNotFound",
            format!("API key '{id}' not found"),
        )
    };
    let id = ObjectId::parse_str(id).map_err(|_| not_found())?;
    state.users.api_key(&id, Some(owner)).await?.ok_or_else(not_found)
}

/// `GET /auth/api_keys/{id}`.
pub async fn get(
    AxumState(state): S,
    Refresh(session): Refresh,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(key_json(
        &own_key(&state, &session.user_id, &id).await?,
        None,
    )))
}

/// `DELETE /auth/api_keys/{id}`.
pub async fn delete(
    AxumState(state): S,
    Refresh(session): Refresh,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let key = own_key(&state, &session.user_id, &id).await?;
    state.users.delete_api_key(&key.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_disabled(
    state: &State,
    owner: &ObjectId,
    id: &str,
    disabled: bool,
) -> Result<StatusCode, ApiError> {
    let key = own_key(state, owner, id).await?;
    state.users.set_api_key_disabled(&key.id, disabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /auth/api_keys/{id}/enable`.
pub async fn enable(
    AxumState(state): S,
    Refresh(session): Refresh,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(&state, &session.user_id, &id, false).await
}

/// `PUT /auth/api_keys/{id}/disable`.
pub async fn disable(
    AxumState(state): S,
    Refresh(session): Refresh,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(&state, &session.user_id, &id, true).await
}
