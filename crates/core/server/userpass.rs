//! Email/password accounts (`local-userpass`): the login check, registration, confirmation and
//! password reset. Password logins are throttled per account and per client address (only
//! failures count), and an unknown email costs a password check like a known one, so neither
//! guessing nor probing for accounts pays. writ sends no email: confirmation and reset tokens
//! are logged for the operator to deliver.

use std::sync::Arc;

use axum::{extract::State as AxumState, http::StatusCode};
use bson::{doc, oid::ObjectId};

use super::{
    ApiError, State, auth_functions,
    extract::{Body, ClientAddress, ThisApp},
    hooks, logins, throttle,
    users::{AccountRecord, IdentityRecord, StoreFailure},
};

type S = AxumState<Arc<State>>;

fn invalid_password() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidPassword",
        "invalid username/password",
    )
}

/// The identity of an email/password account.
pub fn identity(email: &str) -> IdentityRecord {
    IdentityRecord::new(ObjectId::new().to_hex(), "local-userpass", doc! {"email": email})
}

/// Refuses a password App Services would refuse (6 to 128 characters).
pub fn check_password(password: &str) -> Result<(), ApiError> {
    if (6..=128).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "BadRequest",
            "password must be between 6 and 128 characters",
        ))
    }
}

/// The user an email/password login (`username`, `password`) signs in; the user is created at
/// the first login of an account confirmed without one.
pub async fn login(state: &State, body: &Body, address: &str) -> Result<ObjectId, ApiError> {
    let account = checked_account(state, body, address).await?;
    if let Some(id) = account.user_id {
        return Ok(id);
    }
    let email = account.email;
    // First login: the user is created now, as App Services did.
    let id = hooks::create_user(state, identity(&email), doc! {"email": &email}).await?;
    if state.users.claim_account(&email, id).await? {
        return Ok(id);
    }
    // Another request created the user first: use that one.
    state.users.discard_user(&id).await?;
    let account = state.users.account(&email).await?;
    account
        .and_then(|a| a.user_id)
        .ok_or_else(|| ApiError::internal("login", "account without user"))
}

/// The confirmed account whose password the body (`username`, `password`) proves (throttled).
pub async fn checked_account(state: &State, body: &Body, address: &str) -> Result<AccountRecord, ApiError> {
    let email = body.email("username")?;
    let password = body.string("password")?;
    let limits = &state.limits;
    let too_many = |wait| throttle::too_many("failed logins", wait);
    limits.login_address.take(address).map_err(too_many)?;
    if let Err(wait) = limits.login_account.take(&email) {
        limits.login_address.refund(address);
        return Err(too_many(wait));
    }
    let account = state.users.account(&email).await?;
    let hash = account.as_ref().map(|a| a.password_hash.as_str());
    let matches = state.passwords.verify(password, hash).await?;
    let Some(account) = account.filter(|_| matches) else {
        return Err(invalid_password());
    };
    limits.login_account.forget(&email);
    limits.login_address.refund(address);
    if !account.confirmed {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AuthError",
            "confirmation required",
        ));
    }
    Ok(account)
}

/// `POST .../local-userpass/register`.
pub async fn register(
    AxumState(state): S,
    _: ThisApp,
    ClientAddress(address): ClientAddress,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let provider = logins::provider(&state, "local-userpass")?;
    logins::new_user_allowed(&state, &address)?;
    let email = body.email("email")?;
    if !email.contains('@') {
        return Err(ApiError::bad_request(
            "BadRequest",
            "email is not a valid email address",
        ));
    }
    let password = body.string("password")?;
    check_password(&password)?;
    let function = auth_functions::confirmation_function(&provider);
    let confirmed = function.is_none() && provider.flag("autoConfirm", true);
    let hash = state.passwords.hash(password).await?;
    match state
        .users
        .insert_account(&AccountRecord::new(email.clone(), hash, confirmed))
        .await
    {
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
    if let Some(function) = function {
        auth_functions::confirm_with_function(&state, &function, &email).await?;
        return Ok(StatusCode::CREATED);
    }
    if !confirmed {
        issue_token(&state, "confirm", &email).await?;
        return Ok(StatusCode::CREATED);
    }
    // A confirmed account's user exists from sign-up, so a failing user creation function
    // refuses the sign-up itself and leaves no account behind.
    match hooks::create_user(&state, identity(&email), doc! {"email": &email}).await {
        Ok(id) => {
            state.users.claim_account(&email, id).await?;
            Ok(StatusCode::CREATED)
        }
        Err(e) => {
            state.users.delete_account(&email).await?;
            Err(e)
        }
    }
}

/// Creates a confirmation or reset token for `email`, logged for the operator to deliver.
async fn issue_token(state: &State, kind: &str, email: &str) -> Result<(), ApiError> {
    let (id, token) = state.users.issue_token(kind, email).await?;
    tracing::info!(%email, token = %token, token_id = %id.to_hex(), "{kind} token issued (writ sends no email: deliver it to the user)");
    Ok(())
}

/// The email a valid `kind` token in the body (`token`, `tokenId`) belongs to; used up.
async fn take_token(state: &State, kind: &str, body: &Body) -> Result<String, ApiError> {
    let bad = || ApiError::bad_request("BadRequest", "invalid token data");
    let token = body.string("token")?;
    let id = ObjectId::parse_str(body.string("tokenId")?).map_err(|_| bad())?;
    state.users.take_token(kind, &id, &token).await?.ok_or_else(bad)
}

fn user_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "UserNotFound", "user not found")
}

/// `POST .../local-userpass/confirm`.
pub async fn confirm(AxumState(state): S, _: ThisApp, body: Body) -> Result<StatusCode, ApiError> {
    let email = take_token(&state, "confirm", &body).await?;
    state
        .users
        .update_account(&email, doc! {"confirmed": true})
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The start of `confirm/send` and `reset/send`: each writes a token, so they are throttled
/// per address like new users; the body's email and its account, which must exist.
async fn token_request(state: &State, address: &str, body: &Body) -> Result<AccountRecord, ApiError> {
    logins::new_user_allowed(state, address)?;
    let email = body.email("email")?;
    state.users.account(&email).await?.ok_or_else(user_not_found)
}

/// `POST .../local-userpass/confirm/send`: a new confirmation token.
pub async fn confirm_send(
    AxumState(state): S,
    _: ThisApp,
    ClientAddress(address): ClientAddress,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let account = token_request(&state, &address, &body).await?;
    if account.confirmed {
        return Err(ApiError::bad_request("UserAlreadyConfirmed", "already confirmed"));
    }
    issue_token(&state, "confirm", &account.email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST .../local-userpass/reset/send`: a new reset token.
pub async fn reset_send(
    AxumState(state): S,
    _: ThisApp,
    ClientAddress(address): ClientAddress,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let account = token_request(&state, &address, &body).await?;
    issue_token(&state, "reset", &account.email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST .../local-userpass/reset`.
pub async fn reset(AxumState(state): S, _: ThisApp, body: Body) -> Result<StatusCode, ApiError> {
    let password = body.string("password")?;
    check_password(&password)?;
    let email = take_token(&state, "reset", &body).await?;
    let hash = state.passwords.hash(password).await?;
    state
        .users
        .update_account(&email, doc! {"password_hash": hash})
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
