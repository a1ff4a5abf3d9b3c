//! Authentication that runs the app's functions (as system): the `custom-function` provider,
//! whose function turns a client's login payload into an external user id, and the
//! email/password provider's confirmation and password reset functions, which answer
//! `{status: "success" | "pending" | "fail"}`.

use std::sync::Arc;

use axum::{extract::State as AxumState, http::StatusCode};
use bson::{Bson, Document, doc, oid::ObjectId};
use engine::{Invocation, User};

use super::{
    ApiError, State,
    extract::{Body, ClientAddress, ThisApp},
    hooks, logins,
    users::{AccountRecord, IdentityRecord, StoreFailure},
};

/// What a confirmation or reset function decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Confirm the account, or change the password, now.
    Success,
    /// The app completes it later (`confirmUser` / `resetPassword` with the token).
    Pending,
    /// Refused.
    Fail,
}

/// Runs app function `name` as system with `args`; its result, or its failure as `code`.
async fn run(state: &State, name: &str, args: Vec<Bson>, code: &'static str) -> Result<Bson, ApiError> {
    let failed = |m: String| ApiError::bad_request(code, format!("function '{name}' failed: {m}"));
    let outcome = state
        .engine
        .call(Invocation::new(name, args, User::system()))
        .await
        .map_err(|e| failed(e.to_string()))?;
    outcome.result.map_err(|ex| failed(ex.to_string()))
}

/// Runs a confirmation or reset function and reads its `{status}`.
async fn run_status(state: &State, name: &str, args: Vec<Bson>) -> Result<Status, ApiError> {
    let result = run(state, name, args, "FunctionExecutionError").await?;
    let status = match &result {
        Bson::Document(d) => d.get_str("status").ok(),
        _ => None,
    };
    match status {
        Some("success") => Ok(Status::Success),
        Some("pending") => Ok(Status::Pending),
        Some("fail") => Ok(Status::Fail),
        _ => Err(ApiError::bad_request(
            "FunctionExecutionError",
            format!(
                "function '{name}' must return {{status: \"success\" | \"pending\" | \"fail\"}}, not {result}"
            ),
        )),
    }
}

/// The function a provider setting names, when `flag` turns it on.
fn configured(provider: &loader::Provider, flag: &str, name_key: &str) -> Option<String> {
    if !provider.flag(flag, false) {
        return None;
    }
    provider
        .config
        .get(name_key)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The confirmation function of the email/password provider, if it runs one.
pub fn confirmation_function(provider: &loader::Provider) -> Option<String> {
    configured(provider, "runConfirmationFunction", "confirmationFunctionName")
}

/// Runs the confirmation function for `email`'s account with a new token; on `success` the
/// account is confirmed. A `fail` (or a throw) is an error; the account stays pending, so
/// `retryCustomConfirmation` can run the function again.
pub async fn confirm_with_function(state: &State, function: &str, email: &str) -> Result<(), ApiError> {
    let (id, token) = state.users.issue_token("confirm", email).await?;
    let arg = doc! {"token": &token, "tokenId": id.to_hex(), "username": email};
    match run_status(state, function, vec![Bson::Document(arg)]).await? {
        Status::Success => {
            state.users.take_token("confirm", &id, &token).await?;
            state.users.update_account(email, doc! {"confirmed": true}).await
        }
        Status::Pending => Ok(()),
        Status::Fail => Err(ApiError::bad_request(
            "BadRequest",
            format!("the confirmation function '{function}' did not confirm {email}"),
        )),
    }
}

/// `POST .../local-userpass/confirm/call` (`retryCustomConfirmation`).
pub async fn confirm_call(
    AxumState(state): AxumState<Arc<State>>,
    _: ThisApp,
    ClientAddress(address): ClientAddress,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let provider = logins::provider(&state, "local-userpass")?;
    let function = confirmation_function(&provider).ok_or_else(|| {
        ApiError::bad_request(
            "BadRequest",
            "the email/password provider runs no confirmation function",
        )
    })?;
    let account = account_for(&state, &address, &body).await?;
    if account.confirmed {
        return Err(ApiError::bad_request("UserAlreadyConfirmed", "already confirmed"));
    }
    confirm_with_function(&state, &function, &account.email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account of the body's `email`, throttled per address like other token requests.
async fn account_for(state: &State, address: &str, body: &Body) -> Result<AccountRecord, ApiError> {
    logins::new_user_allowed(state, address)?;
    let email = body.email("email")?;
    state
        .users
        .account(&email)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "UserNotFound", "user not found"))
}

/// `POST .../local-userpass/reset/call` (`callResetPasswordFunction`): runs the reset function
/// with `{token, tokenId, username, password, currentPasswordValid}` and the client's extra
/// arguments; on `success` the password changes now, on `pending` the app finishes it later
/// with the token (`resetPassword`).
pub async fn reset_call(
    AxumState(state): AxumState<Arc<State>>,
    _: ThisApp,
    ClientAddress(address): ClientAddress,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let provider = logins::provider(&state, "local-userpass")?;
    let function = configured(&provider, "runResetFunction", "resetFunctionName").ok_or_else(|| {
        ApiError::bad_request("BadRequest", "the email/password provider runs no reset function")
    })?;
    let password = body.string("password")?;
    super::userpass::check_password(&password)?;
    let extra = super::extract::arguments(&body.0)?;
    let account = account_for(&state, &address, &body).await?;
    let current = state
        .passwords
        .verify(password.clone(), Some(&account.password_hash))
        .await?;
    let (id, token) = state.users.issue_token("reset", &account.email).await?;
    let mut args = vec![Bson::Document(doc! {
        "token": &token,
        "tokenId": id.to_hex(),
        "username": &account.email,
        "password": &password,
        "currentPasswordValid": current,
    })];
    args.extend(extra);
    match run_status(&state, &function, args).await? {
        Status::Success => {
            state.users.take_token("reset", &id, &token).await?;
            let hash = state.passwords.hash(password).await?;
            state
                .users
                .update_account(&account.email, doc! {"password_hash": hash})
                .await?;
            Ok(StatusCode::NO_CONTENT)
        }
        Status::Pending => Ok(StatusCode::NO_CONTENT),
        Status::Fail => Err(ApiError::bad_request(
            "BadRequest",
            format!("the reset function '{function}' refused the password reset"),
        )),
    }
}

/// The user a `custom-function` login signs in: the provider's function (`authFunctionName`)
/// gets the client's payload and returns the user's external id, as a string or as
/// `{id, name}`; the same id is the same user, created at its first login.
///
/// Each attempt runs app code, so failed attempts are throttled per client address as failed
/// password logins are (a success gives its token back).
pub async fn custom_function_login(
    state: &State,
    provider: &loader::Provider,
    body: &Body,
    address: &str,
) -> Result<ObjectId, ApiError> {
    let limits = &state.limits;
    limits
        .login_address
        .take(address)
        .map_err(|wait| super::throttle::too_many("failed logins", wait))?;
    let (external, data) = custom_function_identity(state, provider, body).await?;
    limits.login_address.refund(address);
    external_user(state, &provider.provider_type, external, data).await
}

/// The external id and profile data a `custom-function` provider's function gives `body`.
pub async fn custom_function_identity(
    state: &State,
    provider: &loader::Provider,
    body: &Body,
) -> Result<(String, Document), ApiError> {
    let function = provider
        .config
        .get("authFunctionName")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "AuthProviderNotFound",
                format!("the provider '{}' names no authFunctionName", provider.name),
            )
        })?
        .to_string();
    let mut payload = body.0.clone();
    payload.remove("options");
    let refused = |m: String| ApiError::new(StatusCode::UNAUTHORIZED, "InvalidPassword", m);
    let result = run(state, &function, vec![Bson::Document(payload)], "InvalidPassword")
        .await
        .map_err(|e| refused(e.message))?;
    let (external, name) = match &result {
        Bson::String(s) => (s.clone(), None),
        Bson::Document(d) => (
            d.get_str("id").unwrap_or_default().to_string(),
            d.get_str("name").ok().map(str::to_string),
        ),
        _ => (String::new(), None),
    };
    if external.is_empty() {
        return Err(refused(format!(
            "the authentication function '{function}' must return a non-empty id (a string or {{id}}), not {result}"
        )));
    }
    let mut data = Document::new();
    if let Some(name) = name {
        data.insert("name", name);
    }
    Ok((external, data))
}

/// The user an external identity (`provider_type`, `external`) belongs to; created, with
/// `data` as its profile, at the identity's first login (concurrent first logins share one).
pub async fn external_user(
    state: &State,
    provider_type: &str,
    external: String,
    data: Document,
) -> Result<ObjectId, ApiError> {
    let key = format!("{provider_type}:{external}");
    if let Some(id) = state.users.identity_user(&key).await? {
        state
            .users
            .refresh_identity(&id, provider_type, &external, &data)
            .await?;
        return Ok(id);
    }
    let identity = IdentityRecord::new(external, provider_type, data.clone());
    let id = hooks::create_user(state, identity, data).await?;
    match state.users.link_identity(&key, id).await {
        Ok(()) => Ok(id),
        Err(StoreFailure::Duplicate) => {
            // Another login of the same identity won the race: use its user.
            state.users.discard_user(&id).await?;
            state
                .users
                .identity_user(&key)
                .await?
                .ok_or_else(|| ApiError::internal("login", "identity without user"))
        }
        Err(StoreFailure::Other(e)) => Err(e),
    }
}
