//! `POST .../auth/providers/{provider}/login`: which provider signs the user in, anonymous and
//! custom-token (JWT) logins, new-user throttling, and the session a login starts. The
//! email/password and API key checks live with their concerns (`userpass.rs`, `api_keys.rs`).

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State as AxumState},
    http::{HeaderMap, Uri},
};
use bson::{Bson, Document, oid::ObjectId};
use serde_json::{Value, json};

use super::{
    ApiError, State, api_keys, auth_functions,
    extract::{Body, ClientAddress, ThisApp},
    hooks, identity, sessions, throttle, userpass,
    users::IdentityRecord,
};

/// The enabled provider `name`. `custom-token` is enabled by configuring its key
/// (`--custom-token-key`), unless the app declares it disabled.
pub fn provider(state: &State, name: &str) -> Result<loader::Provider, ApiError> {
    let deployment = state.deployment();
    let auth = deployment.extensions.get::<loader::AuthConfig>();
    match auth.and_then(|a| a.providers.get(name)) {
        Some(p) if !p.disabled => match &p.unusable {
            Some(why) => Err(ApiError::bad_request(
                "AuthProviderNotFound",
                format!("the provider '{name}' cannot log anyone in: {why}"),
            )),
            None => Ok(p.clone()),
        },
        None if name == "custom-token" && state.custom_token_key.is_some() => {
            Ok(loader::Provider::enabled(name, serde_json::Value::Null))
        }
        _ => Err(ApiError::bad_request(
            "AuthProviderNotFound",
            format!("authentication via '{name}' is unsupported"),
        )),
    }
}

/// Refuses a new user (anonymous login, registration, a confirmation or reset email) when
/// `address` asked for too many.
pub fn new_user_allowed(state: &State, address: &str) -> Result<(), ApiError> {
    state
        .limits
        .signup_address
        .take(address)
        .map_err(|wait| throttle::too_many("new users from this address", wait))
}

/// The device id the SDK sent in `options.device.deviceId`, or a new one.
fn device_id(body: &Document) -> ObjectId {
    let device = body
        .get_document("options")
        .and_then(|o| o.get_document("device"));
    match device.map(|d| d.get("deviceId")) {
        Ok(Some(Bson::ObjectId(id))) => *id,
        _ => ObjectId::new(),
    }
}

/// `POST .../auth/providers/{provider}/login`.
pub async fn login(
    AxumState(state): AxumState<Arc<State>>,
    _: ThisApp,
    Path((_, name)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let at = bson::DateTime::now();
    let result = attempt(state.clone(), name.clone(), address.clone(), uri, headers, body).await;
    state.forwarders.emit("auth", result.is_ok(), || {
        let mut log = super::forward::log(&state, "AUTH", at);
        let user = match &result {
            Ok(Json(v)) => v.get("user_id").and_then(Value::as_str).unwrap_or_default(),
            Err(_) => "",
        };
        super::forward::client(&mut log, user, &address, result.as_ref().err());
        log.insert("auth_event", bson::doc! {"type": "login", "provider": &name});
        log
    });
    result
}

/// The login itself; [`login`] forwards its log.
async fn attempt(
    state: Arc<State>,
    name: String,
    address: String,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let provider = provider(&state, &name)?;
    if uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "link=true"))
    {
        return super::linking::link(&state, &provider, &headers, &address, &body).await;
    }
    let user_id = match provider.provider_type.as_str() {
        "anon-user" => {
            new_user_allowed(&state, &address)?;
            let identity = IdentityRecord::new(ObjectId::new().to_hex(), "anon-user", Document::new());
            hooks::create_user(&state, identity, Document::new()).await?
        }
        "local-userpass" => userpass::login(&state, &body, &address).await?,
        "api-key" => api_keys::login(&state, &body).await?,
        _ if identity::handles(&provider) => {
            // A login that asks the provider (Facebook, Google's authCode) is throttled on
            // failure per address, as failed password logins are.
            let remote = identity::asks_provider(&provider, &body);
            if remote {
                state
                    .limits
                    .login_address
                    .take(&address)
                    .map_err(|wait| throttle::too_many("failed logins", wait))?;
            }
            let external = identity::verify(&state, &provider, &body).await?;
            if remote {
                state.limits.login_address.refund(&address);
            }
            auth_functions::external_user(&state, &provider.provider_type, external.sub, external.data)
                .await?
        }
        "custom-function" => {
            auth_functions::custom_function_login(&state, &provider, &body, &address).await?
        }
        other => {
            return Err(ApiError::bad_request(
                "AuthProviderNotFound",
                format!("the provider type '{other}' is not supported by writ yet"),
            ));
        }
    };
    let device = device_id(&body.0).to_hex();
    let (sid, refresh_token) = sessions::start(&state, user_id, &device).await?;
    // LOGIN triggers run before the token is made, so it carries what they wrote.
    hooks::login(&state, &provider.provider_type, &user_id).await?;
    let access_token = sessions::access_token(&state, &user_id, &sid, &device).await?;
    tracing::info!(provider = %name, user = %user_id, "login");
    Ok(Json(json!({
        "access_token": access_token,
        "refresh_token": refresh_token,
        "user_id": user_id.to_hex(),
        "device_id": device,
    })))
}

/// Whether the user a valid custom token names exists already (an invalid token: an error).
pub async fn custom_token_user_exists(state: &State, token: &str) -> Result<bool, ApiError> {
    let provider = provider(state, "custom-token")?;
    let external = identity::custom_token(state, &provider, token).await?;
    Ok(state
        .users
        .identity_user(&format!("custom-token:{}", external.sub))
        .await?
        .is_some())
}

/// The user a custom token signs in; created at first use.
pub async fn custom_token_login(state: &State, token: &str) -> Result<ObjectId, ApiError> {
    let provider = provider(state, "custom-token")?;
    let external = identity::custom_token(state, &provider, token).await?;
    auth_functions::external_user(state, "custom-token", external.sub, external.data).await
}
