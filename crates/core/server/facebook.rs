//! Facebook Login (`oauth2-facebook`): the client sends the user's access token; writ asks the
//! Graph API whether it is valid and was issued to this app (`debug_token`, with the app's id
//! and secret: a token issued to another app is refused, so another app cannot sign its users
//! in here), then reads the profile fields the provider's metadata fields name (`/me`).

use axum::http::StatusCode;
use bson::{Bson, Document};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::{ApiError, State, identity::External};

const GRAPH: &str = "https://graph.facebook.com";

fn invalid(message: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidSession",
        format!("invalid Facebook access token: {message}"),
    )
}

/// The Facebook user whose access token `token` is, with their profile data.
pub async fn verify(state: &State, provider: &loader::Provider, token: &str) -> Result<External, ApiError> {
    if token.is_empty()
        || token.len() > 4096
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.|".contains(&b))
    {
        return Err(invalid("not a token"));
    }
    let (Some(app_id), Some(secret)) = (provider.setting("clientId"), provider.client_secret.as_ref()) else {
        return Err(ApiError::bad_request(
            "AuthProviderNotFound",
            "oauth2-facebook needs config.clientId and secret_config.clientSecret",
        ));
    };
    let graph = provider.setting("graphURL").unwrap_or(GRAPH);
    let app_token = format!("{app_id}|{}", secret.0);
    let debug = get(
        state,
        &format!("{graph}/debug_token"),
        &[("input_token", token), ("access_token", &app_token)],
    )
    .await?;
    let data = debug.get("data").cloned().unwrap_or_default();
    if data.get("is_valid").and_then(Value::as_bool) != Some(true) {
        return Err(invalid("Facebook says it is not valid"));
    }
    if data.get("app_id").and_then(Value::as_str) != Some(app_id) {
        return Err(invalid("it was issued to another app"));
    }
    let user_id = data
        .get("user_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| invalid("it names no user"))?
        .to_string();
    let wanted: Vec<&str> = provider
        .metadata_fields
        .iter()
        .map(|f| graph_field(&f.name))
        .collect();
    let mut fields = vec!["id"];
    fields.extend(wanted.iter().copied().filter(|f| *f != "id"));
    fields.dedup();
    // The proof Facebook asks for when the app requires the secret with every call.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.0.as_bytes()).map_err(|e| ApiError::internal("facebook", e))?;
    mac.update(token.as_bytes());
    let proof = hex::encode(mac.finalize().into_bytes());
    let query = [
        ("fields", fields.join(",")),
        ("access_token", token.to_string()),
        ("appsecret_proof", proof),
    ];
    let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let me = get(state, &format!("{graph}/me"), &query).await?;
    if me.get("id").and_then(Value::as_str) != Some(user_id.as_str()) {
        return Err(invalid("its profile is another user's"));
    }
    let mut profile = Document::new();
    for field in &provider.metadata_fields {
        match value(&me, &field.name) {
            Some(v) => {
                profile.insert(field.field_name.clone().unwrap_or_else(|| field.name.clone()), v);
            }
            None if field.required => {
                return Err(invalid(format!(
                    "the required metadata field '{}' is missing",
                    field.name
                )));
            }
            None => {}
        }
    }
    Ok(External {
        sub: user_id,
        data: profile,
    })
}

/// The user access token Facebook gives for the browser flow's `code`, issued for `redirect`.
pub async fn exchange(
    state: &State,
    provider: &loader::Provider,
    code: &str,
    redirect: &str,
) -> Result<String, ApiError> {
    let (Some(app_id), Some(secret)) = (provider.setting("clientId"), provider.client_secret.as_ref()) else {
        return Err(ApiError::bad_request(
            "AuthProviderNotFound",
            "oauth2-facebook needs config.clientId and secret_config.clientSecret",
        ));
    };
    let graph = provider.setting("graphURL").unwrap_or(GRAPH);
    let query = [
        ("client_id", app_id),
        ("redirect_uri", redirect),
        ("client_secret", &secret.0),
        ("code", code),
    ];
    let answer = get(state, &format!("{graph}/oauth/access_token"), &query).await?;
    answer
        .get("access_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| invalid("Facebook gave no access token for the code"))
}

/// The Graph API field that holds App Services' metadata field `name`.
fn graph_field(name: &str) -> &str {
    match name {
        "min_age" | "max_age" => "age_range",
        other => other,
    }
}

/// App Services' metadata field `name` from the Graph API's `/me`.
fn value(me: &Value, name: &str) -> Option<Bson> {
    let v = match name {
        "picture" => me.pointer("/picture/data/url")?.clone(),
        "min_age" => me.pointer("/age_range/min")?.clone(),
        "max_age" => me.pointer("/age_range/max")?.clone(),
        other => me.get(other)?.clone(),
    };
    (!v.is_null()).then(|| Bson::try_from(v).ok()).flatten()
}

async fn get(state: &State, url: &str, query: &[(&str, &str)]) -> Result<Value, ApiError> {
    let request = state.key_sets.client().get(url).query(query);
    let (status, value) = super::key_sets::ask(request, "Facebook").await?;
    if !status.is_success() {
        let why = value.pointer("/error/message").and_then(Value::as_str);
        return Err(invalid(why.unwrap_or("refused")));
    }
    Ok(value)
}
