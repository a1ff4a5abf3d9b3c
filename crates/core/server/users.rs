//! Users, identities, sessions, email/password credentials and API keys, stored through the
//! same [`Executor`] as the app's data (MongoDB or the embedded store), in the database
//! `__writ_<app id>`, so several writ processes can serve one app.
//!
//! Collections: `users` (`{_id, type, data, identities, created_at}`), `sessions` (one per
//! refresh token: `{_id, user_id, device_id, hash, expires_at}`), `userpass` (`{_id: email, password_hash,
//! confirmed, user_id}`), `tokens` (confirmation and reset tokens), `identities` (`{_id:
//! "<provider>:<id>", user_id}` for external identities), `api_keys` and `keys` (the signing key).
//! Secrets are stored only as hashes (argon2 for passwords, SHA-256 for random tokens).

use std::sync::Arc;

use bridge::{Executor, Namespace, Op, Request, Update};
use bson::{Bson, DateTime, Document, doc, oid::ObjectId};
use engine::{Identity, User, UserType};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// The store of users and sessions of one app.
#[derive(Clone)]
pub struct Users {
    exec: Arc<dyn Executor>,
    db: String,
}

/// A failed storage operation: a duplicate key, or anything else.
#[derive(Debug)]
pub enum StoreFailure {
    /// A unique key (an `_id`) already exists.
    Duplicate,
    /// Anything else, reported as an internal error.
    Other(ApiError),
}

impl From<StoreFailure> for ApiError {
    fn from(f: StoreFailure) -> Self {
        match f {
            StoreFailure::Duplicate => ApiError::internal("user store", "unexpected duplicate key"),
            StoreFailure::Other(e) => e,
        }
    }
}

/// A random secret as URL-safe base64 (`bytes` random bytes).
pub fn random_secret(bytes: usize) -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a random token, as hex; tokens are stored only this way.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Users {
    /// The users of app `app_id`, stored through `exec`.
    pub fn new(exec: Arc<dyn Executor>, app_id: &str) -> Self {
        let safe: String = app_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Self {
            exec,
            db: format!("__writ_{safe}"),
        }
    }

    fn ns(&self, coll: &str) -> Namespace {
        Namespace {
            db: self.db.clone(),
            coll: coll.into(),
        }
    }

    async fn run(&self, op: Op) -> Result<Bson, StoreFailure> {
        self.exec
            .execute(Request { op, session: None })
            .await
            .map_err(|e| match e.code {
                Some(11000) => StoreFailure::Duplicate,
                _ => StoreFailure::Other(ApiError::internal("user store", e.message)),
            })
    }

    /// The document of `coll` matching `filter`, if any.
    pub async fn find_one(&self, coll: &str, filter: Document) -> Result<Option<Document>, ApiError> {
        let op = Op::FindOne {
            ns: self.ns(coll),
            filter,
            projection: None,
            sort: None,
        };
        Ok(match self.run(op).await? {
            Bson::Document(d) => Some(d),
            _ => None,
        })
    }

    /// Every document of `coll` matching `filter`.
    pub async fn find(&self, coll: &str, filter: Document) -> Result<Vec<Document>, ApiError> {
        let op = Op::Find {
            ns: self.ns(coll),
            filter,
            projection: None,
            sort: None,
            skip: None,
            limit: None,
        };
        Ok(match self.run(op).await? {
            Bson::Array(items) => items
                .into_iter()
                .filter_map(|b| match b {
                    Bson::Document(d) => Some(d),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
    }

    /// Inserts `document`; a taken `_id` is [`StoreFailure::Duplicate`].
    pub async fn insert(&self, coll: &str, document: Document) -> Result<(), StoreFailure> {
        self.run(Op::InsertOne {
            ns: self.ns(coll),
            document,
        })
        .await
        .map(|_| ())
    }

    /// Applies `update` to the first document matching `filter`; true if one matched.
    pub async fn update(
        &self,
        coll: &str,
        filter: Document,
        update: Document,
        upsert: bool,
    ) -> Result<bool, StoreFailure> {
        let result = self
            .run(Op::Update {
                ns: self.ns(coll),
                filter,
                update: Update::Document(update),
                upsert,
                array_filters: None,
                many: false,
            })
            .await?;
        let matched = match &result {
            Bson::Document(d) => d.get("matchedCount").and_then(Bson::as_i32).unwrap_or(0),
            _ => 0,
        };
        Ok(matched > 0 || upsert)
    }

    /// Deletes the documents matching `filter`; the number deleted.
    pub async fn delete(&self, coll: &str, filter: Document) -> Result<i64, ApiError> {
        let result = self
            .run(Op::Delete {
                ns: self.ns(coll),
                filter,
                many: true,
            })
            .await?;
        Ok(match result {
            Bson::Document(d) => d.get("deletedCount").and_then(Bson::as_i32).unwrap_or(0).into(),
            _ => 0,
        })
    }

    /// Stores a new user document (see `hooks::create_user`).
    pub async fn insert_user(&self, user: Document) -> Result<(), ApiError> {
        self.insert("users", user).await.map_err(|e| match e {
            StoreFailure::Duplicate => ApiError::internal("creating a user", "duplicate user id"),
            StoreFailure::Other(e) => e,
        })
    }

    /// The user `id`, if it exists.
    pub async fn user(&self, id: &ObjectId) -> Result<Option<Document>, ApiError> {
        self.find_one("users", doc! {"_id": id}).await
    }

    /// Starts session `sid` for `user_id`, valid for `ttl`, with `refresh_token` as its token
    /// (stored only as a hash).
    pub async fn create_session(
        &self,
        sid: ObjectId,
        user_id: ObjectId,
        device_id: &str,
        refresh_token: &str,
        ttl: std::time::Duration,
    ) -> Result<(), ApiError> {
        let expires = DateTime::from_millis(DateTime::now().timestamp_millis() + ttl.as_millis() as i64);
        self.insert(
            "sessions",
            doc! {"_id": sid, "user_id": user_id, "device_id": device_id, "hash": token_hash(refresh_token), "expires_at": expires},
        )
        .await?;
        Ok(())
    }

    /// The live session `sid` if it was started with `refresh_token` and has not expired.
    pub async fn live_session(
        &self,
        sid: &ObjectId,
        refresh_token: &str,
    ) -> Result<Option<Document>, ApiError> {
        let Some(session) = self.find_one("sessions", doc! {"_id": sid}).await? else {
            return Ok(None);
        };
        let valid = session
            .get_str("hash")
            .is_ok_and(|h| h == token_hash(refresh_token))
            && session
                .get_datetime("expires_at")
                .is_ok_and(|e| *e > DateTime::now());
        Ok(valid.then_some(session))
    }

    /// True if session `sid` still exists (not logged out, user not deleted).
    pub async fn session_alive(&self, sid: &ObjectId) -> Result<bool, ApiError> {
        Ok(self.find_one("sessions", doc! {"_id": sid}).await?.is_some())
    }

    /// Removes every trace of user `id`: sessions, credentials, identities, API keys.
    pub async fn delete_user(&self, id: &ObjectId) -> Result<(), ApiError> {
        for coll in ["sessions", "userpass", "identities", "api_keys"] {
            self.delete(coll, doc! {"user_id": id}).await?;
        }
        self.delete("users", doc! {"_id": id}).await?;
        Ok(())
    }
}

/// The `context.user` of a stored user document.
pub fn engine_user(user: &Document) -> User {
    let identities = user
        .get_array("identities")
        .map(|ids| {
            ids.iter()
                .filter_map(Bson::as_document)
                .map(|i| Identity {
                    id: i.get_str("id").unwrap_or_default().to_string(),
                    provider_type: i.get_str("provider_type").unwrap_or_default().to_string(),
                    data: i.get_document("provider_data").cloned().unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    User {
        id: user
            .get_object_id("_id")
            .map(|id| id.to_hex())
            .unwrap_or_default(),
        user_type: match user.get_str("type") {
            Ok("server") => UserType::Server,
            _ => UserType::Normal,
        },
        data: user.get_document("data").cloned().unwrap_or_default(),
        custom_data: Document::new(),
        identities,
    }
}
