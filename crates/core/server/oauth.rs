//! The browser OAuth 2.0 flow (realm-web's `Credentials.google({redirectUrl})` and
//! `Credentials.facebook(redirectUrl)`): the client opens `GET .../providers/{name}/login?
//! state&redirect&device` in a window; writ sends it to the provider's consent page with a
//! state of its own, bound to that browser by a cookie; the provider sends the browser back to
//! `GET /api/client/v2.0/auth/callback?code&state`; writ exchanges the code (Google: for an ID
//! token; Facebook: for an access token), signs the user in as the token logins do, and sends
//! the browser to the app's redirect URL with the session in the fragment
//! (`_baas_ua=access$refresh$user$device`, `_baas_state`, or `_baas_error`). The redirect URL
//! must be one of the provider's `redirect_uris`, so writ never sends tokens anywhere else.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{Path, Query, State as AxumState},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use base64::Engine as _;
use bson::oid::ObjectId;

use super::{
    ApiError, State, auth_functions, extract::ClientAddress, extract::ThisApp, facebook, hooks, identity,
    logins, sessions, throttle, users,
};

/// How long a started flow waits for the provider's answer.
const TTL: Duration = Duration::from_secs(600);
/// The most flows waiting at once (each a few hundred bytes).
const MAX_PENDING: usize = 10_000;
/// Where providers send the browser back: the same path App Services used, so the redirect
/// URI registered with Google or Facebook keeps its path.
pub const CALLBACK: &str = "/api/client/v2.0/auth/callback";
const COOKIE: &str = "writ_oauth_";

/// The cookie that binds the flow with state `ours` (at least 16 characters) to its browser:
/// one per flow, so flows started in several tabs do not overwrite each other.
fn cookie_name(ours: &str) -> String {
    format!("{COOKIE}{}", ours.get(..16).unwrap_or(ours))
}

/// A flow between its start and the provider's answer.
struct Pending {
    provider: String,
    redirect: String,
    client_state: String,
    device: ObjectId,
    callback: String,
    started: Instant,
}

/// The flows waiting for a provider's answer, by writ's state.
#[derive(Default)]
pub struct Flows {
    pending: Mutex<HashMap<String, Pending>>,
}

impl Flows {
    /// Keeps `flow` under `state`. When [`MAX_PENDING`] flows wait, the oldest is dropped (its
    /// browser's answer then fails): clients that start flows they never finish, from however
    /// many addresses, cannot keep new logins out for the flows' whole lifetime.
    fn insert(&self, state: String, flow: Pending) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|_, p| p.started.elapsed() < TTL);
        if pending.len() >= MAX_PENDING
            && let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.started)
                .map(|(k, _)| k.clone())
        {
            pending.remove(&oldest);
        }
        pending.insert(state, flow);
    }

    fn take(&self, state: &str) -> Option<Pending> {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.remove(state).filter(|p| p.started.elapsed() < TTL)
    }
}

/// The query of the flow's start, as realm-web sends it.
#[derive(serde::Deserialize)]
pub struct Start {
    redirect: Option<String>,
    state: Option<String>,
    device: Option<String>,
    link: Option<String>,
}

/// `GET .../auth/providers/{name}/login?redirect&state&device`: sends the browser to the
/// provider's consent page.
pub async fn start(
    AxumState(state): AxumState<Arc<State>>,
    _: ThisApp,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<Start>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let provider = logins::provider(&state, &name)?;
    let consent = match provider.provider_type.as_str() {
        "oauth2-google" => provider
            .setting("authURL")
            .unwrap_or("https://accounts.google.com/o/oauth2/v2/auth"),
        "oauth2-facebook" => provider
            .setting("authURL")
            .unwrap_or("https://www.facebook.com/v19.0/dialog/oauth"),
        other => {
            return Err(ApiError::bad_request(
                "InvalidParameter",
                format!("the browser redirect flow of '{other}' is not supported by writ yet"),
            ));
        }
    };
    if query.link.as_deref() == Some("true") {
        return Err(ApiError::bad_request(
            "InvalidParameter",
            "linking through the browser redirect flow is not supported by writ yet: link with an ID token or access token",
        ));
    }
    let redirect = query.redirect.unwrap_or_default();
    if !provider.redirect_uris.contains(&redirect) {
        return Err(ApiError::bad_request(
            "InvalidParameter",
            format!("'{redirect}' is not one of the provider's redirect_uris"),
        ));
    }
    let client_state = query.state.unwrap_or_default();
    if client_state.is_empty()
        || client_state.len() > 64
        || !client_state.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(ApiError::bad_request(
            "InvalidParameter",
            "'state' must be 1 to 64 letters or digits",
        ));
    }
    let Some(client_id) = provider.setting("clientId") else {
        return Err(ApiError::bad_request(
            "AuthProviderNotFound",
            "the provider has no clientId",
        ));
    };
    let origin = super::public_origin(&state, &headers)?;
    let callback = format!("{origin}{CALLBACK}");
    // A flow waits in memory until it finishes (which gives the budget back) or expires: one
    // address cannot start more than its failed-login budget.
    state
        .limits
        .login_address
        .take(&address)
        .map_err(|wait| throttle::too_many("logins in progress", wait))?;
    let ours = users::random_secret(24);
    let scope = if provider.provider_type == "oauth2-google" {
        "openid email profile"
    } else {
        "public_profile,email"
    };
    let location = format!(
        "{consent}?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", &callback)
            .append_pair("response_type", "code")
            .append_pair("scope", scope)
            .append_pair("state", &ours)
            .finish()
    );
    let cookie = format!(
        "{}={ours}; Path={CALLBACK}; Max-Age={}; HttpOnly; SameSite=Lax{}",
        cookie_name(&ours),
        TTL.as_secs(),
        if origin.starts_with("https://") {
            "; Secure"
        } else {
            ""
        }
    );
    state.oauth.insert(
        ours,
        Pending {
            provider: name,
            redirect,
            client_state,
            device: device(query.device.as_deref()),
            callback,
            started: Instant::now(),
        },
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&location)).into_response())
}

/// The device id in realm-web's `device` parameter (base64 JSON), or a new one.
fn device(encoded: Option<&str>) -> ObjectId {
    let base64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    encoded
        .and_then(|d| base64.decode(d.trim_end_matches('=')).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| {
            v.get("deviceId")?
                .as_str()
                .and_then(|d| ObjectId::parse_str(d).ok())
        })
        .unwrap_or_default()
}

/// The provider's answer: `code` and `state`, or `error`.
#[derive(serde::Deserialize)]
pub struct Answer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /api/client/v2.0/auth/callback`: finishes a flow and sends the browser to the app.
pub async fn callback(
    AxumState(state): AxumState<Arc<State>>,
    ClientAddress(address): ClientAddress,
    Query(answer): Query<Answer>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let ours = answer.state.unwrap_or_default();
    let unknown = || ApiError::bad_request("InvalidParameter", "unknown or expired login: start it again");
    // The browser that started the flow carries its cookie; another one (a link sent to a
    // victim, say) does not.
    if ours.get(..16).is_none() {
        return Err(unknown());
    }
    let cookie = format!("{}={ours}", cookie_name(&ours));
    let bound = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim() == cookie);
    if !bound {
        return Err(ApiError::bad_request(
            "InvalidParameter",
            "this login was started in another browser",
        ));
    }
    let flow = state.oauth.take(&ours).ok_or_else(unknown)?;
    let fragment = match finish(
        &state,
        &flow,
        answer.code,
        answer.error,
        answer.error_description,
        &address,
    )
    .await
    {
        Ok((user, access, refresh)) => vec![
            ("_baas_client_app_id", state.app_id.clone()),
            (
                "_baas_ua",
                format!("{access}${refresh}${}${}", user.to_hex(), flow.device.to_hex()),
            ),
            ("_baas_state", flow.client_state.clone()),
        ],
        Err(e) => {
            tracing::info!(provider = %flow.provider, error = %e.message, "browser login failed");
            vec![
                ("_baas_error", e.message),
                ("_baas_state", flow.client_state.clone()),
            ]
        }
    };
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &fragment {
        encoded.append_pair(k, v);
    }
    let clear = format!("{}=; Path={CALLBACK}; Max-Age=0", cookie_name(&ours));
    let target = format!("{}#{}", flow.redirect, encoded.finish().replace('+', "%20"));
    Ok(([(header::SET_COOKIE, clear)], Redirect::to(&target)).into_response())
}

/// Exchanges the provider's code and signs the user in: their id and session tokens.
async fn finish(
    state: &State,
    flow: &Pending,
    code: Option<String>,
    error: Option<String>,
    description: Option<String>,
    address: &str,
) -> Result<(ObjectId, String, String), ApiError> {
    if let Some(error) = error {
        let why = description.unwrap_or(error);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AuthError",
            format!("the provider refused: {why}"),
        ));
    }
    let code = code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("InvalidParameter", "no code"))?;
    let provider = logins::provider(state, &flow.provider)?;
    let external = match provider.provider_type.as_str() {
        "oauth2-google" => {
            let token = identity::google_code(state, &provider, &code, &flow.callback).await?;
            identity::google_id_token(state, &provider, &token).await?
        }
        _ => {
            let token = facebook::exchange(state, &provider, &code, &flow.callback).await?;
            facebook::verify(state, &provider, &token).await?
        }
    };
    // The start took from the address's failed-login budget; a login gives it back.
    state.limits.login_address.refund(address);
    let user =
        auth_functions::external_user(state, &provider.provider_type, external.sub, external.data).await?;
    let device = flow.device.to_hex();
    let (sid, refresh) = sessions::start(state, user, &device).await?;
    hooks::login(state, &provider.provider_type, &user).await?;
    let access = sessions::access_token(state, &user, &sid, &device).await?;
    tracing::info!(provider = %flow.provider, user = %user, "login (browser redirect)");
    Ok((user, access, refresh))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(started: Instant) -> Pending {
        Pending {
            provider: "oauth2-google".into(),
            redirect: String::new(),
            client_state: String::new(),
            device: ObjectId::new(),
            callback: String::new(),
            started,
        }
    }

    #[test]
    fn a_full_table_of_unfinished_flows_drops_its_oldest_instead_of_refusing_new_logins() {
        let flows = Flows::default();
        let start = Instant::now();
        for i in 0..MAX_PENDING {
            flows.insert(
                format!("flood-{i}"),
                flow(start + Duration::from_micros(i as u64)),
            );
        }
        flows.insert("legit".into(), flow(Instant::now()));
        assert!(flows.take("legit").is_some(), "a new login was kept out");
        assert!(flows.take("flood-0").is_none(), "the oldest flow stays");
        assert!(flows.take("flood-1").is_some());
    }
}
