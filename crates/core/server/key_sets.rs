//! The public keys identity providers publish (JWK sets: Apple's, Google's, a custom JWT
//! provider's `jwkURI`), read over HTTPS and kept. A set is read again after an hour, or when a
//! token names a key the set lacks, at most once a minute per set: a flood of tokens with made-up
//! key ids costs the provider one request a minute. One read per set at a time; the others wait
//! for it, unless writ holds the key their token names. If a provider cannot be reached, the
//! keys read before keep working.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::http::StatusCode;
use jsonwebtoken::{DecodingKey, jwk::JwkSet};

use super::ApiError;

/// How long a key set is used before it is read again.
const FRESH: Duration = Duration::from_secs(3600);
/// The least time between two reads of one set.
const MIN_INTERVAL: Duration = Duration::from_secs(60);
/// The largest key set writ reads.
const MAX_BYTES: usize = 256 * 1024;

/// The key sets of every provider, by URL.
pub struct KeySets {
    client: reqwest::Client,
    sets: Mutex<HashMap<String, Arc<Slot>>>,
}

/// One provider's set: what was read, and the turn to read it again (one read at a time).
#[derive(Default)]
struct Slot {
    entry: Mutex<Entry>,
    reading: tokio::sync::Mutex<()>,
}

#[derive(Default, Clone)]
struct Entry {
    keys: Option<Arc<JwkSet>>,
    read_at: Option<Instant>,
}

impl Entry {
    /// Whether the set should be read for a token naming `kid` at `now`, and may be.
    fn wants_read(&self, kid: Option<&str>, now: Instant) -> bool {
        let fresh = self.read_at.is_some_and(|t| now - t < FRESH);
        let found = self.keys.as_ref().is_some_and(|set| pick(set, kid).is_some());
        let may_read = self.read_at.is_none_or(|t| now - t >= MIN_INTERVAL);
        !(fresh && found) && may_read
    }
}

impl KeySets {
    /// A cache with an HTTPS client of its own (10 s per read, no redirects).
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("writ")
            .build()?;
        Ok(Self {
            client,
            sets: Mutex::new(HashMap::new()),
        })
    }

    /// The HTTPS client writ asks identity providers with (Facebook's Graph API too).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The RSA key `kid` of the set at `url` (the set's only key when `kid` is `None`). A token
    /// whose key writ holds never waits for a read of the set in flight, so a provider that
    /// hangs delays only the tokens naming keys writ has not seen.
    pub async fn key(&self, url: &str, kid: Option<&str>) -> Result<DecodingKey, ApiError> {
        let slot = {
            let mut sets = self.sets.lock().unwrap_or_else(|e| e.into_inner());
            sets.entry(url.to_string()).or_default().clone()
        };
        let snapshot = || slot.entry.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut entry = snapshot();
        if entry.wants_read(kid, Instant::now()) {
            let holds_key = entry.keys.as_ref().is_some_and(|set| pick(set, kid).is_some());
            let turn = match slot.reading.try_lock() {
                Ok(turn) => Some(turn),
                // Another login is reading the set: use the key held, or wait for the read.
                Err(_) if holds_key => None,
                Err(_) => Some(slot.reading.lock().await),
            };
            if let Some(_turn) = turn {
                // The read just finished may have brought the key.
                entry = snapshot();
                let now = Instant::now();
                if entry.wants_read(kid, now) {
                    entry = self.refresh(&slot, url, now).await?;
                }
            }
        }
        let Some(set) = entry.keys.as_ref() else {
            // The last read failed less than a minute ago: not asked again until then.
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "AuthProviderError",
                "cannot read the identity provider's keys (tried less than a minute ago)",
            ));
        };
        let jwk = pick(set, kid).ok_or_else(|| {
            ApiError::invalid_session("invalid token: signed with a key the provider does not publish")
        })?;
        DecodingKey::from_jwk(jwk).map_err(|e| {
            ApiError::invalid_session(format!("invalid token: the provider's key is unusable: {e}"))
        })
    }

    /// Reads the set at `url` into `slot` (its turn held); the keys read before stay when the
    /// provider cannot be reached.
    async fn refresh(&self, slot: &Slot, url: &str, now: Instant) -> Result<Entry, ApiError> {
        slot.entry.lock().unwrap_or_else(|e| e.into_inner()).read_at = Some(now);
        let read = self.read(url).await;
        let mut entry = slot.entry.lock().unwrap_or_else(|e| e.into_inner());
        match read {
            Ok(set) => entry.keys = Some(Arc::new(set)),
            Err(e) if entry.keys.is_some() => {
                tracing::warn!(url, error = %e, "cannot read the key set again; using the keys read before");
            }
            Err(e) => {
                return Err(ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "AuthProviderError",
                    format!("cannot read the identity provider's keys: {e}"),
                ));
            }
        }
        Ok(entry.clone())
    }

    async fn read(&self, url: &str) -> Result<JwkSet, String> {
        let mut response = self.client.get(url).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BYTES {
                return Err(format!("{url} sent more than {MAX_BYTES} bytes"));
            }
        }
        serde_json::from_slice(&body).map_err(|e| format!("{url} sent no JWK set: {e}"))
    }
}

/// Sends `request` to the identity provider `who` (Google, Facebook): its status and JSON
/// answer (at most `MAX_BYTES`); a provider that cannot be reached or answers no JSON is a 502.
pub async fn ask(
    request: reqwest::RequestBuilder,
    who: &str,
) -> Result<(StatusCode, serde_json::Value), ApiError> {
    let unreachable = |e: String| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "AuthProviderError",
            format!("cannot ask {who}: {e}"),
        )
    };
    let response = request
        .send()
        .await
        .map_err(|e| unreachable(e.without_url().to_string()))?;
    let status = response.status();
    if !status.is_success() && !status.is_client_error() {
        return Err(unreachable(format!("{who} answered {status}")));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| unreachable(e.without_url().to_string()))?;
    if body.len() > MAX_BYTES {
        return Err(unreachable("the answer is too large".into()));
    }
    let value = serde_json::from_slice(&body).map_err(|e| unreachable(format!("no JSON: {e}")))?;
    Ok((status, value))
}

/// The RSA signing key `kid` of `set`, or its only RSA key when the token names none.
fn pick<'a>(set: &'a JwkSet, kid: Option<&str>) -> Option<&'a jsonwebtoken::jwk::Jwk> {
    let rsa =
        |k: &&jsonwebtoken::jwk::Jwk| matches!(k.algorithm, jsonwebtoken::jwk::AlgorithmParameters::RSA(_));
    match kid {
        Some(kid) => set.find(kid).filter(|k| rsa(k)),
        None => {
            let mut keys = set.keys.iter().filter(rsa);
            let only = keys.next();
            only.filter(|_| keys.next().is_none())
        }
    }
}
