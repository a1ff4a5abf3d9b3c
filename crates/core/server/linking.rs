//! `POST .../auth/providers/{provider}/login?link=true` (`user.linkCredentials`): adds the
//! identity the credentials prove to the user whose access token the request carries, so one
//! person can log in through several providers (an anonymous user keeping their data once they
//! register, say). An identity that already belongs to another user is refused; anonymous and
//! API key identities cannot be linked, as in App Services.

use axum::{
    Json,
    http::{HeaderMap, StatusCode},
};
use bson::oid::ObjectId;
use serde_json::{Value, json};

use super::{
    ApiError, State, auth_functions,
    extract::Body,
    identity, sessions, userpass,
    users::{IdentityRecord, StoreFailure},
};

fn in_use(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "AccountNameInUse",
        format!("{what} already belongs to another user"),
    )
}

/// Links the identity `body` proves for `provider` to the user of the request's access token;
/// answers with a new access token for the same session, which lists the new identity.
pub async fn link(
    state: &State,
    provider: &loader::Provider,
    headers: &HeaderMap,
    address: &str,
    body: &Body,
) -> Result<Json<Value>, ApiError> {
    let token = super::extract::bearer(headers)
        .ok_or_else(|| ApiError::invalid_session("invalid session: linking needs the user's access token"))?;
    let verified = state.callers.verify(token, &state.tokens, &state.users).await?;
    let user_id = ObjectId::parse_str(&verified.claims.sub)
        .map_err(|_| ApiError::invalid_session("invalid session"))?;
    let sid = ObjectId::parse_str(&verified.claims.sid)
        .map_err(|_| ApiError::invalid_session("invalid session"))?;
    match provider.provider_type.as_str() {
        "local-userpass" => {
            let account = userpass::checked_account(state, body, address).await?;
            match account.user_id {
                Some(id) if id == user_id => {}
                Some(_) => return Err(in_use(&format!("the account {}", account.email))),
                None => {
                    if !state.users.claim_account(&account.email, user_id).await? {
                        return Err(in_use(&format!("the account {}", account.email)));
                    }
                    let identity = userpass::identity(&account.email);
                    state.users.add_identity(&user_id, &identity).await?;
                }
            }
        }
        _ if identity::handles(provider) => {
            let external = identity::verify(state, provider, body).await?;
            link_external(
                state,
                &provider.provider_type,
                external.sub,
                external.data,
                user_id,
            )
            .await?;
        }
        "custom-function" => {
            // It runs app code: failures are throttled as failed logins are.
            let limits = &state.limits;
            limits
                .login_address
                .take(address)
                .map_err(|wait| super::throttle::too_many("failed logins", wait))?;
            let (external, data) = auth_functions::custom_function_identity(state, provider, body).await?;
            limits.login_address.refund(address);
            link_external(state, "custom-function", external, data, user_id).await?;
        }
        other => {
            return Err(ApiError::bad_request(
                "InvalidParameter",
                format!("an identity of the '{other}' provider cannot be linked to a user"),
            ));
        }
    }
    let device = verified.claims.baas_device_id.clone();
    let access_token = sessions::access_token(state, &user_id, &sid, &device).await?;
    tracing::info!(provider = %provider.name, user = %user_id, "identity linked");
    Ok(Json(json!({
        "access_token": access_token,
        "user_id": user_id.to_hex(),
        "device_id": device,
    })))
}

/// Links the external identity (`provider_type`, `external`) to `user_id`, unless another user
/// has it.
async fn link_external(
    state: &State,
    provider_type: &str,
    external: String,
    data: bson::Document,
    user_id: ObjectId,
) -> Result<(), ApiError> {
    let key = format!("{provider_type}:{external}");
    match state.users.identity_user(&key).await? {
        Some(id) if id == user_id => return Ok(()),
        Some(_) => return Err(in_use(&format!("the {provider_type} identity '{external}'"))),
        None => {}
    }
    match state.users.link_identity(&key, user_id).await {
        Ok(()) => {}
        Err(StoreFailure::Duplicate) => {
            return Err(in_use(&format!("the {provider_type} identity '{external}'")));
        }
        Err(StoreFailure::Other(e)) => return Err(e),
    }
    let identity = IdentityRecord::new(external, provider_type, data);
    state.users.add_identity(&user_id, &identity).await?;
    Ok(())
}
