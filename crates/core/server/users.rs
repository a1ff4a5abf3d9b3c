//! Users, identities, sessions, email/password accounts, confirmation and reset tokens and API
//! keys, stored through the same [`Executor`] as the app's data (MongoDB or the embedded
//! store), in the database `__writ_<app id>` (which no user request can reach: see
//! `bridge::rules`), so several writ processes can serve one app. Each collection has a typed
//! record; secrets are stored only as hashes (argon2 for passwords, SHA-256 for random tokens).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bridge::{Executor, Ns, Op, Outcome, Request, Update};
use bson::{Bson, DateTime, Document, doc, oid::ObjectId};
use engine::{Identity, User, UserType};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// A user (`users`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRecord {
    /// The user id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// `normal` or `server`.
    #[serde(rename = "type", default = "normal")]
    pub user_type: String,
    /// Profile data (e.g. `email`).
    #[serde(default)]
    pub data: Document,
    /// The identities the user logs in with.
    #[serde(default)]
    pub identities: Vec<IdentityRecord>,
    /// When the user was created.
    #[serde(default = "DateTime::now")]
    pub created_at: DateTime,
}

fn normal() -> String {
    "normal".into()
}

/// One identity of a user: a provider and the user's id there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// The id within the provider.
    pub id: String,
    /// The provider type, e.g. `local-userpass`.
    pub provider_type: String,
    /// The provider's name.
    #[serde(default)]
    pub provider_id: String,
    /// What the provider knows of the user (e.g. `email`).
    #[serde(default)]
    pub provider_data: Document,
}

impl UserRecord {
    /// A new user with one identity and profile `data`.
    pub fn new(identity: IdentityRecord, data: Document) -> Self {
        Self {
            id: ObjectId::new(),
            user_type: normal(),
            data,
            identities: vec![identity],
            created_at: DateTime::now(),
        }
    }

    /// The `context.user` of this user (custom data not included).
    pub fn engine_user(&self) -> User {
        User {
            id: self.id.to_hex(),
            user_type: match self.user_type.as_str() {
                "server" => UserType::Server,
                _ => UserType::Normal,
            },
            data: self.data.clone(),
            custom_data: Document::new(),
            identities: self
                .identities
                .iter()
                .map(|i| Identity {
                    id: i.id.clone(),
                    provider_type: i.provider_type.clone(),
                    data: i.provider_data.clone(),
                })
                .collect(),
        }
    }

    /// The provider type of the user's first identity.
    pub fn provider_type(&self) -> &str {
        self.identities.first().map_or("", |i| i.provider_type.as_str())
    }
}

impl IdentityRecord {
    /// A new identity of `provider_type` (also the provider's name) with `provider_data`.
    pub fn new(id: String, provider_type: &str, provider_data: Document) -> Self {
        Self {
            id,
            provider_type: provider_type.into(),
            provider_id: provider_type.into(),
            provider_data,
        }
    }
}

/// A session (`sessions`): one per refresh token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The session id (the refresh token's `sid`).
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Whose session it is.
    pub user_id: ObjectId,
    /// The device id returned at login.
    #[serde(default)]
    pub device_id: String,
    hash: String,
    expires_at: DateTime,
}

/// An email/password account (`userpass`), keyed by the normalized email.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRecord {
    /// The email, trimmed and lower case.
    #[serde(rename = "_id")]
    pub email: String,
    /// The argon2 hash of the password, PHC string form.
    pub password_hash: String,
    /// Whether the email is confirmed.
    pub confirmed: bool,
    /// The account's user, once created.
    pub user_id: Option<ObjectId>,
    #[serde(default = "DateTime::now")]
    created_at: DateTime,
}

impl AccountRecord {
    /// A new account without a user yet.
    pub fn new(email: String, password_hash: String, confirmed: bool) -> Self {
        Self {
            email,
            password_hash,
            confirmed,
            user_id: None,
            created_at: DateTime::now(),
        }
    }
}

/// A user API key (`api_keys`); the key itself is shown once, at creation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// The key's id: the first 24 characters of the key.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Whose key it is.
    pub user_id: ObjectId,
    /// The name the user gave it.
    pub name: String,
    hash: String,
    /// A disabled key logs nobody in.
    #[serde(default)]
    pub disabled: bool,
}

impl ApiKeyRecord {
    /// A new key named `name` for `user_id`, and the key to show the user.
    pub fn new(user_id: ObjectId, name: String) -> (Self, String) {
        let id = ObjectId::new();
        let secret = random_secret(30);
        let key = format!("{}{secret}", id.to_hex());
        let record = Self {
            id,
            user_id,
            name,
            hash: token_hash(&secret),
            disabled: false,
        };
        (record, key)
    }

    /// True if `key` is this record's key.
    pub fn matches(&self, key: &str) -> bool {
        key.get(24..)
            .is_some_and(|secret| self.hash == token_hash(secret))
    }
}

/// A confirmation or reset token (`tokens`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TokenRecord {
    #[serde(rename = "_id")]
    id: ObjectId,
    kind: String,
    email: String,
    hash: String,
    expires_at: DateTime,
}

/// The store of users and sessions of one app.
#[derive(Clone)]
pub struct Users {
    exec: Arc<dyn Executor>,
    db: String,
    /// How many times this process has ended sessions (see [`Users::sessions_ended`]).
    ended: Arc<AtomicU64>,
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

fn from_now(ttl: Duration) -> DateTime {
    DateTime::from_millis(DateTime::now().timestamp_millis() + ttl.as_millis() as i64)
}

fn to_doc<T: Serialize>(record: &T) -> Result<Document, ApiError> {
    bson::serialize_to_document(record).map_err(|e| ApiError::internal("user store", e))
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
            db: format!("{}{safe}", bridge::rules::INTERNAL_DB_PREFIX),
            ended: Arc::new(AtomicU64::new(0)),
        }
    }

    fn ns(&self, coll: &str) -> Ns {
        Ns {
            db: self.db.clone(),
            coll: coll.into(),
        }
    }

    async fn run(&self, op: Op) -> Result<Outcome, StoreFailure> {
        self.exec
            .execute(Request {
                op,
                session: None,
                deadline: None,
                validation: None,
            })
            .await
            .map_err(|e| match e.code {
                Some(11000) => StoreFailure::Duplicate,
                _ => StoreFailure::Other(ApiError::internal("user store", e.message)),
            })
    }

    pub(super) async fn find_one<T: DeserializeOwned>(
        &self,
        coll: &str,
        filter: Document,
    ) -> Result<Option<T>, ApiError> {
        let op = Op::FindOne {
            ns: self.ns(coll),
            filter,
            projection: None,
            sort: None,
        };
        match self.run(op).await? {
            Outcome::Document(Some(d)) => bson::deserialize_from_document(d)
                .map(Some)
                .map_err(|e| ApiError::internal("user store", format!("{coll}: {e}"))),
            _ => Ok(None),
        }
    }

    async fn find<T: DeserializeOwned>(&self, coll: &str, filter: Document) -> Result<Vec<T>, ApiError> {
        let op = Op::Find {
            ns: self.ns(coll),
            filter,
            projection: None,
            sort: None,
            skip: None,
            limit: None,
        };
        let Outcome::Documents(items) = self.run(op).await? else {
            return Ok(Vec::new());
        };
        items
            .into_iter()
            .map(|d| {
                bson::deserialize_from_document(d)
                    .map_err(|e| ApiError::internal("user store", format!("{coll}: {e}")))
            })
            .collect()
    }

    pub(super) async fn insert(&self, coll: &str, document: Document) -> Result<(), StoreFailure> {
        let op = Op::InsertOne {
            ns: self.ns(coll),
            document,
        };
        self.run(op).await.map(|_| ())
    }

    /// Applies `update` to the first document matching `filter`; true if one matched.
    pub(super) async fn update(
        &self,
        coll: &str,
        filter: Document,
        update: Document,
        upsert: bool,
    ) -> Result<bool, ApiError> {
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
        let matched = match result {
            Outcome::Updated(u) => u.matched,
            _ => 0,
        };
        Ok(matched > 0 || upsert)
    }

    async fn delete(&self, coll: &str, filter: Document) -> Result<(), ApiError> {
        let op = Op::Delete {
            ns: self.ns(coll),
            filter,
            many: true,
        };
        self.run(op).await?;
        Ok(())
    }

    /// The app's stored access token signing secret; `fresh` becomes it if there is none yet
    /// (race-free across processes).
    pub async fn signing_secret(&self, fresh: String) -> Result<String, ApiError> {
        let filter = doc! {"_id": "jwt"};
        let update = doc! {"$setOnInsert": {"secret": fresh}};
        self.update("keys", filter.clone(), update, true).await?;
        #[derive(Deserialize)]
        struct Key {
            secret: String,
        }
        let stored: Option<Key> = self.find_one("keys", filter).await?;
        stored
            .map(|k| k.secret)
            .ok_or_else(|| ApiError::internal("signing key", "not stored"))
    }

    /// The user `id`, if it exists.
    pub async fn user(&self, id: &ObjectId) -> Result<Option<UserRecord>, ApiError> {
        self.find_one("users", doc! {"_id": id}).await
    }

    /// Stores a new user (see `hooks::create_user`).
    pub async fn insert_user(&self, user: &UserRecord) -> Result<(), ApiError> {
        self.insert("users", to_doc(user)?).await.map_err(|e| match e {
            StoreFailure::Duplicate => ApiError::internal("creating a user", "duplicate user id"),
            StoreFailure::Other(e) => e,
        })
    }

    /// Removes every trace of user `id`: sessions, credentials, identities, API keys.
    pub async fn delete_user(&self, id: &ObjectId) -> Result<(), ApiError> {
        let deleted = self.delete("sessions", doc! {"user_id": id}).await;
        self.ended.fetch_add(1, Ordering::SeqCst);
        deleted?;
        for coll in ["userpass", "identities", "api_keys"] {
            self.delete(coll, doc! {"user_id": id}).await?;
        }
        self.delete("users", doc! {"_id": id}).await
    }

    /// Starts session `sid` for `user_id`, valid for `ttl`, with `refresh_token` as its token
    /// (stored only as a hash).
    pub async fn create_session(
        &self,
        sid: ObjectId,
        user_id: ObjectId,
        device_id: &str,
        refresh_token: &str,
        ttl: Duration,
    ) -> Result<(), ApiError> {
        let session = SessionRecord {
            id: sid,
            user_id,
            device_id: device_id.into(),
            hash: token_hash(refresh_token),
            expires_at: from_now(ttl),
        };
        Ok(self.insert("sessions", to_doc(&session)?).await?)
    }

    /// The live session `sid` if it was started with `refresh_token` and has not expired.
    pub async fn live_session(
        &self,
        sid: &ObjectId,
        refresh_token: &str,
    ) -> Result<Option<SessionRecord>, ApiError> {
        let session: Option<SessionRecord> = self.find_one("sessions", doc! {"_id": sid}).await?;
        Ok(session.filter(|s| s.hash == token_hash(refresh_token) && s.expires_at > DateTime::now()))
    }

    /// True if session `sid` still exists (not logged out, user not deleted).
    pub async fn session_alive(&self, sid: &ObjectId) -> Result<bool, ApiError> {
        let session: Option<Document> = self.find_one("sessions", doc! {"_id": sid}).await?;
        Ok(session.is_some())
    }

    /// Ends session `sid`: its refresh token and access tokens stop working at once.
    pub async fn end_session(&self, sid: &ObjectId) -> Result<(), ApiError> {
        let deleted = self.delete("sessions", doc! {"_id": sid}).await;
        self.ended.fetch_add(1, Ordering::SeqCst);
        deleted
    }

    /// A count that grows whenever this process ends sessions, after they are gone from the
    /// store: a cached "session is live" read before a change of the count is stale.
    pub fn sessions_ended(&self) -> u64 {
        self.ended.load(Ordering::SeqCst)
    }

    /// The email/password account of `email`, if any.
    pub async fn account(&self, email: &str) -> Result<Option<AccountRecord>, ApiError> {
        self.find_one("userpass", doc! {"_id": email}).await
    }

    /// Stores a new account; a taken email is [`StoreFailure::Duplicate`].
    pub async fn insert_account(&self, account: &AccountRecord) -> Result<(), StoreFailure> {
        let document = to_doc(account).map_err(StoreFailure::Other)?;
        self.insert("userpass", document).await
    }

    /// Makes `user_id` the user of `email`'s account if it has none yet; false if it had one.
    pub async fn claim_account(&self, email: &str, user_id: ObjectId) -> Result<bool, ApiError> {
        let filter = doc! {"_id": email, "user_id": Bson::Null};
        self.update("userpass", filter, doc! {"$set": {"user_id": user_id}}, false)
            .await
    }

    /// Adds `identity` to user `id`'s identities (linking).
    pub async fn add_identity(&self, id: &ObjectId, identity: &IdentityRecord) -> Result<(), ApiError> {
        let identity = to_doc(identity)?;
        let push = doc! {"$push": {"identities": identity}};
        self.update("users", doc! {"_id": id}, push, false)
            .await
            .map(|_| ())
    }

    /// Replaces what the provider knows of user `id`'s identity (`provider_type`, `external`)
    /// with `data`, and merges `data` into the user's profile data, unless nothing changed: a
    /// provider's metadata is refreshed on every login, as in App Services.
    pub async fn refresh_identity(
        &self,
        id: &ObjectId,
        provider_type: &str,
        external: &str,
        data: &Document,
    ) -> Result<(), ApiError> {
        let Some(user) = self.user(id).await? else {
            return Ok(());
        };
        let current = user
            .identities
            .iter()
            .find(|i| i.provider_type == provider_type && i.id == external);
        let Some(current) = current.filter(|i| &i.provider_data != data) else {
            return Ok(());
        };
        // The identity's metadata is replaced: a claim its new token no longer carries leaves
        // the profile, unless another identity of the user gives it.
        let mut profile = user.data.clone();
        for key in current.provider_data.keys().filter(|k| !data.contains_key(*k)) {
            let elsewhere = user.identities.iter().any(|i| {
                !(i.provider_type == provider_type && i.id == external) && i.provider_data.contains_key(key)
            });
            if !elsewhere {
                profile.remove(key);
            }
        }
        profile.extend(data.clone());
        let filter =
            doc! {"_id": id, "identities": {"$elemMatch": {"provider_type": provider_type, "id": external}}};
        let set = doc! {"$set": {"identities.$.provider_data": data.clone(), "data": profile}};
        self.update("users", filter, set, false).await.map(|_| ())
    }

    /// Sets `fields` (`confirmed`, `password_hash`) of `email`'s account.
    pub async fn update_account(&self, email: &str, fields: Document) -> Result<(), ApiError> {
        self.update("userpass", doc! {"_id": email}, doc! {"$set": fields}, false)
            .await
            .map(|_| ())
    }

    /// Removes `email`'s account.
    pub async fn delete_account(&self, email: &str) -> Result<(), ApiError> {
        self.delete("userpass", doc! {"_id": email}).await
    }

    /// A new `kind` (confirm, reset) token for `email`, valid 30 minutes: its id and the token.
    pub async fn issue_token(&self, kind: &str, email: &str) -> Result<(ObjectId, String), ApiError> {
        let token = random_secret(32);
        let record = TokenRecord {
            id: ObjectId::new(),
            kind: kind.into(),
            email: email.into(),
            hash: token_hash(&token),
            expires_at: from_now(Duration::from_secs(30 * 60)),
        };
        self.insert("tokens", to_doc(&record)?).await?;
        Ok((record.id, token))
    }

    /// The email a valid, unexpired `kind` token belongs to; the token is used up.
    pub async fn take_token(
        &self,
        kind: &str,
        id: &ObjectId,
        token: &str,
    ) -> Result<Option<String>, ApiError> {
        let found: Option<TokenRecord> = self.find_one("tokens", doc! {"_id": id, "kind": kind}).await?;
        let Some(found) = found.filter(|t| t.hash == token_hash(token) && t.expires_at > DateTime::now())
        else {
            return Ok(None);
        };
        self.delete("tokens", doc! {"_id": id}).await?;
        Ok(Some(found.email))
    }

    /// The user of the external identity `key` (`<provider>:<id>`), if known.
    pub async fn identity_user(&self, key: &str) -> Result<Option<ObjectId>, ApiError> {
        #[derive(Deserialize)]
        struct Link {
            user_id: ObjectId,
        }
        let link: Option<Link> = self.find_one("identities", doc! {"_id": key}).await?;
        Ok(link.map(|l| l.user_id))
    }

    /// Links the external identity `key` to `user_id`; a linked one is [`StoreFailure::Duplicate`].
    pub async fn link_identity(&self, key: &str, user_id: ObjectId) -> Result<(), StoreFailure> {
        self.insert("identities", doc! {"_id": key, "user_id": user_id})
            .await
    }

    /// Removes user `id`'s record alone (a sign-up that lost a race to another).
    pub async fn discard_user(&self, id: &ObjectId) -> Result<(), ApiError> {
        self.delete("users", doc! {"_id": id}).await
    }

    /// The API keys of `user_id`.
    pub async fn api_keys(&self, user_id: &ObjectId) -> Result<Vec<ApiKeyRecord>, ApiError> {
        self.find("api_keys", doc! {"user_id": user_id}).await
    }

    /// The API key `id` (of `owner`, when given).
    pub async fn api_key(
        &self,
        id: &ObjectId,
        owner: Option<&ObjectId>,
    ) -> Result<Option<ApiKeyRecord>, ApiError> {
        let mut filter = doc! {"_id": id};
        if let Some(owner) = owner {
            filter.insert("user_id", owner);
        }
        self.find_one("api_keys", filter).await
    }

    /// True if `user_id` has a key named `name`.
    pub async fn api_key_named(&self, user_id: &ObjectId, name: &str) -> Result<bool, ApiError> {
        let found: Option<Document> = self
            .find_one("api_keys", doc! {"user_id": user_id, "name": name})
            .await?;
        Ok(found.is_some())
    }

    /// Stores a new API key.
    pub async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<(), ApiError> {
        Ok(self.insert("api_keys", to_doc(key)?).await?)
    }

    /// Deletes API key `id`.
    pub async fn delete_api_key(&self, id: &ObjectId) -> Result<(), ApiError> {
        self.delete("api_keys", doc! {"_id": id}).await
    }

    /// Enables or disables API key `id`.
    pub async fn set_api_key_disabled(&self, id: &ObjectId, disabled: bool) -> Result<(), ApiError> {
        self.update(
            "api_keys",
            doc! {"_id": id},
            doc! {"$set": {"disabled": disabled}},
            false,
        )
        .await
        .map(|_| ())
    }
}
