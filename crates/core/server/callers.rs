//! Access tokens this server has already verified, so a client's next call skips the
//! signature check, the claims' decoding and the `context.user` they describe, and the session
//! lookup for up to [`SESSION_RECHECK`]. A session ended in this process (logout, user deletion)
//! is seen at once; one ended by another writ process sharing the store is seen within
//! [`SESSION_RECHECK`].

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use bson::oid::ObjectId;

use super::{
    ApiError,
    tokens::{self, AccessClaims, Tokens},
    users::Users,
};

/// How long a verified session is trusted before the store is asked again.
pub const SESSION_RECHECK: Duration = Duration::from_secs(1);

/// At most this many tokens are remembered; when full the cache starts over.
const CAPACITY: usize = 4096;

/// One verified access token: its claims and the caller they describe.
pub struct Verified {
    /// The token's claims.
    pub claims: AccessClaims,
    /// The `context.user` the claims describe.
    pub user: engine::User,
    sid: ObjectId,
    /// When the session was last found live, and the count of ended sessions then.
    checked: Mutex<(Instant, u64)>,
}

/// The verified access tokens of one server.
#[derive(Default)]
pub struct Callers {
    entries: Mutex<HashMap<Box<str>, Arc<Verified>>>,
}

impl Callers {
    /// The caller behind `token`: a valid, unexpired access token of this app whose session is
    /// still live; 401 `InvalidSession` otherwise.
    pub async fn verify(
        &self,
        token: &str,
        tokens: &Tokens,
        users: &Users,
    ) -> Result<Arc<Verified>, ApiError> {
        let known = self.lock().get(token).cloned();
        let cached = known.is_some();
        let verified = match known {
            Some(v) if v.claims.exp > tokens::now() => v,
            Some(_) => {
                self.lock().remove(token);
                return Err(ApiError::invalid_session("invalid session: access token expired"));
            }
            None => {
                let claims = tokens.verify(token)?;
                let sid = ObjectId::parse_str(&claims.sid)
                    .map_err(|_| ApiError::invalid_session("invalid session"))?;
                Arc::new(Verified {
                    user: tokens::caller(&claims),
                    claims,
                    sid,
                    checked: Mutex::new((Instant::now() - 2 * SESSION_RECHECK, 0)),
                })
            }
        };
        let ended = users.sessions_ended();
        let fresh = {
            let checked = verified.checked.lock().unwrap_or_else(|e| e.into_inner());
            checked.1 == ended && checked.0.elapsed() < SESSION_RECHECK
        };
        if !fresh {
            if !users.session_alive(&verified.sid).await? {
                self.lock().remove(token);
                return Err(ApiError::invalid_session(
                    "invalid session: the session has ended",
                ));
            }
            *verified.checked.lock().unwrap_or_else(|e| e.into_inner()) = (Instant::now(), ended);
        }
        if !cached {
            let mut entries = self.lock();
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(token.into(), verified.clone());
        }
        Ok(verified)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Arc<Verified>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
