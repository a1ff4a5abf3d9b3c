//! Logins another party vouches for with a signed token: custom JWT (`custom-token`), Sign in
//! with Apple (`oauth2-apple`) and Google (`oauth2-google`) ID tokens; Facebook's access
//! tokens, which the Graph API vouches for, are checked in `facebook.rs`. Each is checked as App
//! Services checked it: the signature against the provider's keys (signing keys from secrets, a
//! JWK set, Apple's or Google's published keys), the expected algorithm only, `exp` and `nbf`,
//! the audience, and for Apple and Google the issuer. The token's `sub` is the identity; the
//! provider's `metadata_fields` say which claims become the user's profile data.

use axum::http::StatusCode;
use bson::{Bson, Document};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::{ApiError, State, extract::Body};

/// A verified identity: the provider's id for the person, and their profile data.
pub struct External {
    /// The token's `sub`.
    pub sub: String,
    /// The profile data its metadata fields select.
    pub data: Document,
}

/// The longest token or subject writ looks at.
const MAX_TOKEN: usize = 16 * 1024;
const MAX_SUBJECT: usize = 1024;

/// Who issues a platform's ID tokens and where its keys are.
struct Platform {
    issuers: &'static [&'static str],
    keys: &'static str,
}

const APPLE: Platform = Platform {
    issuers: &["https://appleid.apple.com"],
    keys: "https://appleid.apple.com/auth/keys",
};

/// Where Google exchanges authorization codes.
const GOOGLE_TOKEN: &str = "https://oauth2.googleapis.com/token";

const GOOGLE: Platform = Platform {
    issuers: &["https://accounts.google.com", "accounts.google.com"],
    keys: "https://www.googleapis.com/oauth2/v3/certs",
};

fn invalid(message: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidSession",
        format!("invalid token: {message}"),
    )
}

/// Whether `provider` is one of the token-verifying providers this module signs in.
pub fn handles(provider: &loader::Provider) -> bool {
    ["custom-token", "oauth2-apple", "oauth2-google", "oauth2-facebook"]
        .contains(&provider.provider_type.as_str())
}

/// The identity the login body for `provider` proves.
pub async fn verify(state: &State, provider: &loader::Provider, body: &Body) -> Result<External, ApiError> {
    match provider.provider_type.as_str() {
        "custom-token" => custom_token(state, provider, &body.string("token")?).await,
        "oauth2-apple" => id_token(state, provider, &body.string("id_token")?, &APPLE).await,
        "oauth2-google" if google_auth_code(body) => {
            // The redirect URI the code was issued for: none for the native SDKs' server auth
            // codes (`config.authCodeRedirectURI` for others).
            let redirect = provider
                .config
                .get("authCodeRedirectURI")
                .and_then(Value::as_str)
                .unwrap_or("");
            let token = google_code(state, provider, &body.string("authCode")?, redirect).await?;
            google_id_token(state, provider, &token).await
        }
        "oauth2-google" => id_token(state, provider, &body.string("id_token")?, &GOOGLE).await,
        "oauth2-facebook" => super::facebook::verify(state, provider, &body.string("accessToken")?).await,
        other => Err(ApiError::bad_request(
            "AuthProviderNotFound",
            format!("the provider type '{other}' does not sign in with a token"),
        )),
    }
}

/// A custom JWT, checked with the provider's configuration (or `--custom-token-key`).
pub async fn custom_token(
    state: &State,
    provider: &loader::Provider,
    token: &str,
) -> Result<External, ApiError> {
    let header = header(token)?;
    let algorithm = match provider.setting("signingAlgorithm") {
        Some("RS256") => Algorithm::RS256,
        _ if provider.flag("useJWKURI", false) => Algorithm::RS256,
        _ => Algorithm::HS256,
    };
    let keys: Vec<DecodingKey> = if provider.flag("useJWKURI", false) {
        let url = provider.setting("jwkURI").unwrap_or_default();
        vec![state.key_sets.key(url, header.kid.as_deref()).await?]
    } else if !provider.signing_keys.is_empty() {
        let key = |secret: &loader::SecretText| match algorithm {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(secret.0.as_bytes())
                .map_err(|e| ApiError::internal("custom-token signing key", e)),
            _ => Ok(DecodingKey::from_secret(secret.0.as_bytes())),
        };
        provider.signing_keys.iter().map(key).collect::<Result<_, _>>()?
    } else {
        let key = state.custom_token_key.clone().ok_or_else(|| {
            ApiError::bad_request(
                "AuthProviderNotFound",
                "custom-token needs a verification key (signingKeys, a jwkURI, or --custom-token-key)",
            )
        })?;
        vec![key]
    };
    let mut validation = Validation::new(algorithm);
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let mut failure = None;
    let mut claims = None;
    for key in &keys {
        match jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation) {
            Ok(data) => {
                claims = Some(data.claims);
                break;
            }
            Err(e) => failure = Some(e),
        }
    }
    let claims = claims.ok_or_else(|| invalid(failure.map_or_else(String::new, |e| e.to_string())))?;
    check_audience(provider, &claims)?;
    let data = if provider.metadata_fields.is_empty()
        && provider.signing_keys.is_empty()
        && !provider.flag("useJWKURI", false)
    {
        // `--custom-token-key` with no app configuration: the usual profile claims.
        let mut data = Document::new();
        for field in ["name", "email", "first_name", "last_name", "picture"] {
            if let Some(Value::String(s)) = claims.get(field) {
                data.insert(field, s.as_str());
            }
        }
        data
    } else {
        profile(&provider.metadata_fields, |name| path(&claims, name))?
    };
    Ok(External {
        sub: subject(&claims)?,
        data,
    })
}

/// Whether a Google login body carries an authorization code (and no ID token).
fn google_auth_code(body: &Body) -> bool {
    body.0.contains_key("authCode") && !body.0.contains_key("id_token")
}

/// Whether verifying `body` for `provider` costs requests to the provider (Facebook's tokens,
/// Google's authorization codes): such logins are throttled as failed password logins are.
pub fn asks_provider(provider: &loader::Provider, body: &Body) -> bool {
    match provider.provider_type.as_str() {
        "oauth2-facebook" => true,
        "oauth2-google" => google_auth_code(body),
        _ => false,
    }
}

/// The ID token Google gives for the authorization `code` (a native SDK's server auth code, or
/// the browser flow's code issued for `redirect`): exchanged with the app's client secret at
/// Google's token endpoint.
pub async fn google_code(
    state: &State,
    provider: &loader::Provider,
    code: &str,
    redirect: &str,
) -> Result<String, ApiError> {
    let (Some(client_id), Some(secret)) = (provider.setting("clientId"), provider.client_secret.as_ref())
    else {
        return Err(ApiError::bad_request(
            "AuthProviderNotFound",
            "Google sign-in with an authCode needs config.clientId and secret_config.clientSecret",
        ));
    };
    if code.is_empty() || code.len() > 2048 {
        return Err(invalid("not an authorization code"));
    }
    let url = provider.setting("tokenURL").unwrap_or(GOOGLE_TOKEN);
    let form = [
        ("code", code),
        ("client_id", client_id),
        ("client_secret", secret.0.as_str()),
        ("redirect_uri", redirect),
        ("grant_type", "authorization_code"),
    ];
    let request = state.key_sets.client().post(url).form(&form);
    let (status, answer) = super::key_sets::ask(request, "Google").await?;
    if !status.is_success() {
        let why = answer
            .get("error_description")
            .or_else(|| answer.get("error"))
            .and_then(Value::as_str);
        return Err(invalid(format!(
            "Google refused the authCode: {}",
            why.unwrap_or("refused")
        )));
    }
    answer
        .get("id_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "AuthProviderError",
                "no id_token in Google's answer (is openid among the scopes?)",
            )
        })
}

/// A Google ID token for the app's `clientId`.
pub async fn google_id_token(
    state: &State,
    provider: &loader::Provider,
    token: &str,
) -> Result<External, ApiError> {
    id_token(state, provider, token, &GOOGLE).await
}

/// An Apple or Google ID token for the app's `clientId`.
async fn id_token(
    state: &State,
    provider: &loader::Provider,
    token: &str,
    platform: &Platform,
) -> Result<External, ApiError> {
    let header = header(token)?;
    let client_id = provider.setting("clientId").ok_or_else(|| {
        ApiError::bad_request(
            "AuthProviderNotFound",
            format!("provider '{}' has no clientId", provider.name),
        )
    })?;
    let url = provider.setting("jwkURI").unwrap_or(platform.keys);
    let key = state.key_sets.key(url, header.kid.as_deref()).await?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_nbf = true;
    validation.set_audience(&[client_id]);
    validation.set_issuer(platform.issuers);
    validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(invalid)?
        .claims;
    // App Services' field names for the OpenID claims.
    let claim = |name: &str| {
        let key = match name {
            "first_name" => "given_name",
            "last_name" => "family_name",
            other => other,
        };
        claims.get(key).cloned()
    };
    Ok(External {
        sub: subject(&claims)?,
        data: profile(&provider.metadata_fields, claim)?,
    })
}

fn header(token: &str) -> Result<jsonwebtoken::Header, ApiError> {
    if token.len() > MAX_TOKEN {
        return Err(invalid(format!("longer than {MAX_TOKEN} bytes")));
    }
    jsonwebtoken::decode_header(token).map_err(invalid)
}

fn subject(claims: &Map<String, Value>) -> Result<String, ApiError> {
    match claims.get("sub") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_SUBJECT => Ok(s.clone()),
        _ => Err(invalid(format!(
            "'sub' must be a string of 1 to {MAX_SUBJECT} bytes"
        ))),
    }
}

/// `config.audience` (a string or a list): the token's `aud` must hold all of them, or one
/// of them with `requireAnyAudience`. No audience configured: `aud` is not checked.
fn check_audience(provider: &loader::Provider, claims: &Map<String, Value>) -> Result<(), ApiError> {
    let wanted: Vec<&str> = match provider.config.get("audience") {
        Some(Value::String(s)) if !s.is_empty() => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if wanted.is_empty() {
        return Ok(());
    }
    let given: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let ok = if provider.flag("requireAnyAudience", false) {
        wanted.iter().any(|w| given.contains(w))
    } else {
        wanted.iter().all(|w| given.contains(w))
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("'aud' must name {}", wanted.join(", "))))
    }
}

/// The profile data `fields` select, each read with `value`; a required field the token lacks
/// refuses the login.
fn profile(
    fields: &[loader::MetadataField],
    value: impl Fn(&str) -> Option<Value>,
) -> Result<Document, ApiError> {
    let mut data = Document::new();
    for field in fields {
        match value(&field.name).filter(|v| !v.is_null()) {
            Some(v) => {
                let bson = Bson::try_from(v).map_err(invalid)?;
                data.insert(
                    field.field_name.clone().unwrap_or_else(|| field.name.clone()),
                    bson,
                );
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
    Ok(data)
}

/// The claim at `path`: dots descend into objects, `\.` is a dot within a name.
fn path(claims: &Map<String, Value>, path: &str) -> Option<Value> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                current.push('.');
                chars.next();
            }
            '.' => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    let (first, rest) = parts.split_first()?;
    let mut value = claims.get(first)?;
    for part in rest {
        value = value.as_object()?.get(part)?;
    }
    Some(value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_descend_and_escape_dots() {
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"user_data": {"name": "Ada", "a.b": 1}, "plain": "x"}"#).expect("json");
        assert_eq!(path(&claims, "user_data.name"), Some(Value::from("Ada")));
        assert_eq!(path(&claims, "user_data.a\\.b"), Some(Value::from(1)));
        assert_eq!(path(&claims, "plain"), Some(Value::from("x")));
        assert_eq!(path(&claims, "plain.deeper"), None);
        assert_eq!(path(&claims, "missing"), None);
    }
}
