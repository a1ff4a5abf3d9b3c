//! Sessions and the signed-in user: starting a session at login, access tokens (with fresh
//! custom user data), profile, refresh, logout and user deletion.

use std::sync::Arc;

use axum::{Json, extract::State as AxumState, http::StatusCode};
use bson::{Bson, Document, doc, oid::ObjectId};
use serde_json::{Value, json};

use super::{
    ApiError, State,
    extract::{Caller, Refresh, no_refresh_token},
    hooks,
};

/// Starts a session for `user_id` on `device`: its id and refresh token.
pub async fn start(state: &State, user_id: ObjectId, device: &str) -> Result<(ObjectId, String), ApiError> {
    let sid = ObjectId::new();
    let refresh_token = state.tokens.issue_refresh(&user_id, &sid)?;
    state
        .users
        .create_session(sid, user_id, device, &refresh_token, state.tokens.refresh_ttl)
        .await?;
    Ok((sid, refresh_token))
}

/// The custom user data document of user `id`: a string id wins over an ObjectId one.
pub async fn custom_data(state: &State, user_id: &ObjectId) -> Result<Option<Document>, ApiError> {
    custom_data_in(state.data.as_ref(), &state.deployment(), user_id).await
}

/// [`custom_data`] from `data` for `deployment`'s configuration.
pub async fn custom_data_in(
    data: &dyn bridge::Executor,
    deployment: &engine::Deployment,
    user_id: &ObjectId,
) -> Result<Option<Document>, ApiError> {
    let Some(config) = deployment
        .extensions
        .get::<loader::AuthConfig>()
        .and_then(|a| a.custom_user_data.clone())
    else {
        return Ok(None);
    };
    let op = bridge::Op::Find {
        ns: bridge::Ns {
            db: config.database.clone(),
            coll: config.collection.clone(),
        },
        filter: doc! {&config.user_id_field: {"$in": [user_id.to_hex(), *user_id]}},
        projection: None,
        sort: None,
        skip: None,
        limit: None,
    };
    let found = data
        .execute(bridge::Request {
            op,
            session: None,
            deadline: None,
            validation: None,
        })
        .await
        .map_err(|e| ApiError::internal("reading custom user data", e.message))?;
    let docs: Vec<Document> = match found {
        bridge::Outcome::Documents(docs) => docs,
        _ => Vec::new(),
    };
    let is_string = |d: &Document| matches!(d.get(&config.user_id_field), Some(Bson::String(_)));
    Ok(docs.iter().find(|d| is_string(d)).or(docs.first()).cloned())
}

/// Indexes `deployment`'s custom user data collection by its user id field where writ keeps the
/// data source's indexes (the embedded store), so reading a user's custom data at login and
/// refresh, and a function's lookup of the caller's document, do not read the whole collection.
/// Blocking; a failure is logged and leaves lookups correct, only slower.
pub fn index_custom_data(data: &dyn bridge::Executor, deployment: &engine::Deployment) {
    let Some(config) = deployment
        .extensions
        .get::<loader::AuthConfig>()
        .and_then(|a| a.custom_user_data.clone())
    else {
        return;
    };
    let indexed = bridge::Ns::new(&config.database, &config.collection)
        .map_err(|e| e.to_string())
        .and_then(|ns| {
            data.index_field(&ns, &config.user_id_field)
                .map_err(|e| e.message)
        });
    if let Err(e) = indexed {
        tracing::warn!(
            "custom user data: {}.{} is not indexed by {}; lookups read the whole collection: {e}",
            config.database,
            config.collection,
            config.user_id_field
        );
    }
}

/// A fresh access token for `user_id` in session `sid`, with current custom data.
pub async fn access_token(
    state: &State,
    user_id: &ObjectId,
    sid: &ObjectId,
    device: &str,
) -> Result<String, ApiError> {
    let user = state.users.user(user_id).await?.ok_or_else(no_refresh_token)?;
    let data = custom_data(state, user_id).await?;
    state.tokens.issue(&user, data, sid, device)
}

/// `GET /auth/profile`.
pub async fn profile(
    AxumState(state): AxumState<Arc<State>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let user = state
        .users
        .user(&caller.user_id()?)
        .await?
        .ok_or_else(|| ApiError::invalid_session("invalid session: user not found"))?;
    let relaxed = |d: &Document| Bson::Document(d.clone()).into_relaxed_extjson();
    let identities: Vec<Value> = user
        .identities
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "provider_type": i.provider_type,
                "provider_id": i.provider_id,
                "provider_data": relaxed(&i.provider_data),
            })
        })
        .collect();
    Ok(Json(json!({
        "user_id": caller.0.claims.sub,
        "domain_id": state.app_id,
        "identities": identities,
        "data": relaxed(&user.data),
        "type": user.user_type,
    })))
}

/// `POST /auth/session`: a new access token (with fresh custom data) for a refresh token.
pub async fn refresh(
    AxumState(state): AxumState<Arc<State>>,
    Refresh(session): Refresh,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = access_token(&state, &session.user_id, &session.id, &session.device_id).await?;
    Ok((StatusCode::CREATED, Json(json!({"access_token": token}))))
}

/// `DELETE /auth/session`: ends the session; its access tokens stop working at once.
pub async fn logout(
    AxumState(state): AxumState<Arc<State>>,
    Refresh(session): Refresh,
) -> Result<StatusCode, ApiError> {
    state.users.end_session(&session.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /auth/delete`: deletes the calling user and everything writ keeps about them.
pub async fn delete_user(
    AxumState(state): AxumState<Arc<State>>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    let id = caller.user_id()?;
    let user = state.users.user(&id).await?;
    state.users.delete_user(&id).await?;
    tracing::info!(user = %caller.0.claims.sub, "user deleted");
    if let Some(user) = user {
        hooks::auth_event(&state, "DELETE", user.provider_type(), &user).await;
    }
    Ok(StatusCode::NO_CONTENT)
}
