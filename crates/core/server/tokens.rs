//! Access and refresh tokens, both HS256 JWTs with integer `exp` and `iat`, `sub` and `aud`
//! (the app id). An access token carries the session id and `user_data` (the custom user data
//! document, canonical EJSON as App Services embedded it); a refresh token (`typ: "refresh"`)
//! names its session and a random `jti`. The native SDKs' core (realm-core) parses both as JWTs,
//! so neither may be opaque. A signature alone never makes a token valid: the server checks
//! the session behind it on every use. The signing secret comes from the configuration, or is
//! generated once and kept in the user store so every writ process of the app shares it.

use std::time::Duration;

use bson::{Bson, Document, doc, oid::ObjectId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::{
    error::ApiError,
    users::{UserRecord, Users, random_secret},
};

/// Issues and verifies the access tokens of one app.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    app_id: String,
    /// How long an access token is valid (30 minutes by default).
    pub access_ttl: Duration,
    /// How long a refresh token (a session) is valid (60 days by default).
    pub refresh_ttl: Duration,
}

/// The claims of a writ access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    /// The client app id the token was issued for.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// The session (refresh token) the token belongs to.
    pub sid: String,
    /// The device id returned at login.
    pub baas_device_id: String,
    /// The custom user data document, canonical EJSON (`user.customData` in the SDKs).
    #[serde(default)]
    pub user_data: serde_json::Value,
    /// The user's type, profile data and identities, so a call needs no user lookup.
    #[serde(default)]
    pub writ_user: serde_json::Value,
    /// `"access"`; a refresh token (`"refresh"`) is never accepted as an access token.
    #[serde(default)]
    pub typ: String,
}

/// The claims of a writ refresh token.
#[derive(Debug, Serialize, Deserialize)]
struct RefreshClaims {
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    typ: String,
    /// The session the token belongs to.
    sid: String,
    /// Random, so the token cannot be recomputed from the others and the key.
    jti: String,
}

/// Now, in seconds since the epoch (the unit of `exp` and `iat`).
pub(super) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl Tokens {
    /// Tokens for `app_id`, signed with `secret`, or with the app's stored secret (created on
    /// first start) when `secret` is `None`.
    pub async fn load(
        users: &Users,
        secret: Option<String>,
        app_id: &str,
        access_ttl: Duration,
    ) -> Result<Self, ApiError> {
        let secret = match secret {
            Some(s) => s,
            None => users.signing_secret(random_secret(48)).await?,
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[app_id]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        validation.leeway = 0;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            app_id: app_id.to_string(),
            access_ttl,
            refresh_ttl: Duration::from_secs(60 * 24 * 3600),
        })
    }

    /// An access token for the stored `user` in session `sid`, carrying `custom_data`.
    pub fn issue(
        &self,
        user: &UserRecord,
        custom_data: Option<Document>,
        sid: &ObjectId,
        device_id: &str,
    ) -> Result<String, ApiError> {
        let iat = now();
        let identities = bson::serialize_to_bson(&user.identities)
            .map_err(|e| ApiError::internal("issuing an access token", e))?;
        let writ_user = doc! {
            "type": &user.user_type,
            "data": user.data.clone(),
            "identities": identities,
        };
        let claims = AccessClaims {
            sub: user.id.to_hex(),
            aud: self.app_id.clone(),
            exp: iat + self.access_ttl.as_secs().max(1) as i64,
            iat,
            sid: sid.to_hex(),
            baas_device_id: device_id.to_string(),
            user_data: custom_data
                .map(|d| super::functions::canonical(Bson::Document(d)))
                .unwrap_or_else(|| serde_json::json!({})),
            writ_user: super::functions::canonical(Bson::Document(writ_user)),
            typ: "access".into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal("issuing an access token", e))
    }

    /// The refresh token of session `sid` of user `user_id`, valid for `refresh_ttl`.
    pub fn issue_refresh(&self, user_id: &ObjectId, sid: &ObjectId) -> Result<String, ApiError> {
        let iat = now();
        let claims = RefreshClaims {
            sub: user_id.to_hex(),
            aud: self.app_id.clone(),
            exp: iat + self.refresh_ttl.as_secs() as i64,
            iat,
            typ: "refresh".into(),
            sid: sid.to_hex(),
            jti: random_secret(16),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal("issuing a refresh token", e))
    }

    /// The session a refresh token names, if the token is a refresh token of this app, signed
    /// by it and not expired. (Opaque `<session id>.<secret>` tokens of earlier writ versions
    /// are not read: their clients get `InvalidSession` and log in again.)
    pub fn refresh_session_id(&self, token: &str) -> Option<ObjectId> {
        let claims = jsonwebtoken::decode::<RefreshClaims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        (claims.typ == "refresh").then_some(())?;
        ObjectId::parse_str(&claims.sid).ok()
    }

    /// The claims of a valid access token of this app; 401 `InvalidSession` otherwise.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|t| t.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    ApiError::invalid_session("invalid session: access token expired")
                }
                _ => ApiError::invalid_session(format!("invalid session: {e}")),
            })?;
        if claims.typ == "refresh" {
            return Err(ApiError::invalid_session(
                "invalid session: a refresh token is not an access token",
            ));
        }
        Ok(claims)
    }
}

/// The `context.user` an access token describes.
pub fn caller(claims: &AccessClaims) -> engine::User {
    let mut stored = match Bson::try_from(claims.writ_user.clone()) {
        Ok(Bson::Document(d)) => d,
        _ => Document::new(),
    };
    stored.insert(
        "_id",
        ObjectId::parse_str(&claims.sub).unwrap_or(ObjectId::from_bytes([0; 12])),
    );
    let mut user = match bson::deserialize_from_document::<UserRecord>(stored) {
        Ok(u) => u.engine_user(),
        // Tokens are ours; an unreadable profile still names its user.
        Err(_) => engine::User {
            id: claims.sub.clone(),
            user_type: engine::UserType::Normal,
            data: Document::new(),
            custom_data: Document::new(),
            identities: Vec::new(),
        },
    };
    user.id = claims.sub.clone();
    user.custom_data = match Bson::try_from(claims.user_data.clone()) {
        Ok(Bson::Document(d)) => d,
        _ => Document::new(),
    };
    user
}
