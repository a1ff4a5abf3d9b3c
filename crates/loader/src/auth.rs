//! `auth/providers.json` and `auth/custom_user_data.json`: who can log in, and where each
//! user's custom data document lives.

use std::{collections::BTreeMap, path::Path};

use serde::Deserialize;

use crate::Loader;

/// The app's authentication settings, attached to the deployment for the server.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthConfig {
    /// Providers by name (`anon-user`, `local-userpass`, `api-key`, `custom-token`, ...).
    pub providers: BTreeMap<String, Provider>,
    /// Custom user data, when enabled.
    pub custom_user_data: Option<CustomUserData>,
}

/// One authentication provider as `auth/providers.json` declares it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Provider {
    /// The provider's name, also its URL segment.
    pub name: String,
    /// The provider's type (for the built-in providers, the same as its name).
    #[serde(rename = "type")]
    pub provider_type: String,
    /// A disabled provider refuses logins.
    #[serde(default)]
    pub disabled: bool,
    /// Provider settings, e.g. `{"autoConfirm": true}` for `local-userpass`.
    #[serde(default)]
    pub config: serde_json::Value,
    /// Which claims of a provider's token become the user's profile data (`custom-token`,
    /// `oauth2-*`); empty: none, except for the `--custom-token-key` provider.
    #[serde(default)]
    pub metadata_fields: Vec<MetadataField>,
    /// `secret_config`: the names of the secrets the provider reads (`signingKeys`).
    #[serde(default)]
    secret_config: SecretConfig,
    /// The text of the `signingKeys` secrets, read when the app is loaded.
    #[serde(skip)]
    pub signing_keys: Vec<SecretText>,
    /// The text of the `clientSecret` secret (`oauth2-facebook`), read when the app is loaded.
    #[serde(skip)]
    pub client_secret: Option<SecretText>,
    /// Where the browser redirect flow may send the browser back to (`oauth2-*`).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Why the provider can log no one in (a secret it reads is not set); its logins fail with
    /// this, and `writ check` and `writ serve` warn, while the rest of the app runs.
    #[serde(skip)]
    pub unusable: Option<String>,
}

/// One claim a provider copies into the user's profile data.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MetadataField {
    /// The claim's path in the token: dots descend into objects, `\.` is a literal dot.
    pub name: String,
    /// The profile data field it becomes; defaults to `name`.
    #[serde(default)]
    pub field_name: Option<String>,
    /// A token without the claim is refused.
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
struct SecretConfig {
    #[serde(default, rename = "signingKeys")]
    signing_keys: Vec<String>,
    #[serde(default, rename = "clientSecret")]
    client_secret: Option<String>,
}

/// A secret's text: compared and used, never printed.
#[derive(Clone, PartialEq)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(..)")
    }
}

impl Provider {
    /// An enabled provider of type `name` named `name`, with `config` and nothing else.
    pub fn enabled(name: &str, config: serde_json::Value) -> Self {
        Self {
            name: name.into(),
            provider_type: name.into(),
            disabled: false,
            config,
            metadata_fields: Vec::new(),
            secret_config: SecretConfig::default(),
            signing_keys: Vec::new(),
            client_secret: None,
            redirect_uris: Vec::new(),
            unusable: None,
        }
    }

    /// A string setting of `config`, when present and not empty.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.config
            .get(key)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    }

    /// A boolean setting of `config`, or `default` when it is absent.
    pub fn flag(&self, key: &str, default: bool) -> bool {
        self.config.get(key).and_then(|v| v.as_bool()).unwrap_or(default)
    }
}

/// Where custom user data documents live (`auth/custom_user_data.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomUserData {
    /// The data source (`mongodb-atlas`).
    pub service: String,
    /// The database name.
    pub database: String,
    /// The collection name.
    pub collection: String,
    /// The field that holds the user's id, as a string or an ObjectId.
    pub user_id_field: String,
    /// A function run (as system) before a new user is created.
    pub on_user_creation_function: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CustomUserDataFile {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    mongo_service_name: Option<String>,
    #[serde(default)]
    database_name: String,
    #[serde(default)]
    collection_name: String,
    #[serde(default)]
    user_id_field: String,
    #[serde(default)]
    on_user_creation_function_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ProvidersFile {
    Map(BTreeMap<String, Provider>),
    List(Vec<Provider>),
}

impl Loader<'_> {
    /// Checks the settings of an enabled provider that verifies tokens and reads its signing
    /// keys from `secrets`; each mistake is a problem of `path`.
    fn provider(&mut self, path: &Path, mut p: Provider, secrets: &BTreeMap<String, String>) -> Provider {
        if p.disabled {
            return p;
        }
        let name = p.name.clone();
        let mut problem = |message: String| self.problem(path, None, format!("provider '{name}': {message}"));
        match p.provider_type.as_str() {
            "custom-token" => {
                let algorithm = p.setting("signingAlgorithm").unwrap_or("HS256").to_string();
                if !["HS256", "RS256"].contains(&algorithm.as_str()) {
                    problem(format!("signingAlgorithm '{algorithm}' is not HS256 or RS256"));
                }
                if p.flag("useJWKURI", false) {
                    match p.setting("jwkURI") {
                        Some(uri) if key_set_url_allowed(uri) => {}
                        Some(uri) => problem(format!(
                            "jwkURI '{uri}' must be https (http only to this machine)"
                        )),
                        None => problem("useJWKURI needs a 'jwkURI'".into()),
                    }
                }
                for secret in &p.secret_config.signing_keys {
                    match secrets.get(secret) {
                        Some(text) if algorithm == "RS256" && !text.contains("-----BEGIN") => problem(
                            format!("signing key secret '{secret}' must hold a PEM public key for RS256"),
                        ),
                        Some(text) => p.signing_keys.push(SecretText(text.clone())),
                        None => {
                            p.unusable = Some(format!(
                                "it reads the signing key secret '{secret}': set {}{secret}",
                                crate::SECRET_PREFIX
                            ))
                        }
                    }
                }
            }
            "oauth2-apple" | "oauth2-google" | "oauth2-facebook" => {
                if p.setting("clientId").is_none() {
                    problem("needs config.clientId (the app's id at the provider)".into());
                }
                // Where writ asks the provider; pointed elsewhere only for tests.
                for key in ["jwkURI", "tokenURL", "graphURL", "authURL"] {
                    if let Some(uri) = p.setting(key).filter(|u| !key_set_url_allowed(u)) {
                        problem(format!("{key} '{uri}' must be https (http only to this machine)"));
                    }
                }
                // Facebook needs the app secret for every login; Google's authCode logins too.
                match p.secret_config.client_secret.clone().filter(|s| !s.is_empty()) {
                    Some(secret) => match secrets.get(&secret) {
                        Some(text) => p.client_secret = Some(SecretText(text.clone())),
                        None => {
                            p.unusable = Some(format!(
                                "it reads the client secret '{secret}': set {}{secret}",
                                crate::SECRET_PREFIX
                            ))
                        }
                    },
                    None if p.provider_type == "oauth2-facebook" => {
                        problem("needs secret_config.clientSecret (the Facebook app secret)".into())
                    }
                    None => {}
                }
            }
            _ => {}
        }
        for field in &p.metadata_fields {
            if field.name.is_empty() {
                problem("a metadata field needs a 'name'".into());
            }
        }
        p
    }

    /// Reads `auth/`; without `providers.json`, anonymous, email/password (auto-confirmed) and
    /// API-key logins are enabled.
    pub(crate) fn auth(&mut self, secrets: &BTreeMap<String, String>) -> AuthConfig {
        let dir = self.root.join("auth");
        let providers_path = dir.join("providers.json");
        let providers = if providers_path.is_file() {
            let list: Vec<Provider> = match self.json::<ProvidersFile>(&providers_path) {
                Some(ProvidersFile::Map(m)) => m.into_values().collect(),
                Some(ProvidersFile::List(l)) => l,
                None => Vec::new(),
            };
            list.into_iter()
                .map(|p| (p.name.clone(), self.provider(&providers_path, p, secrets)))
                .collect()
        } else {
            [
                Provider::enabled("anon-user", serde_json::Value::Null),
                Provider::enabled("local-userpass", serde_json::json!({"autoConfirm": true})),
                Provider::enabled("api-key", serde_json::Value::Null),
            ]
            .into_iter()
            .map(|p| (p.name.clone(), p))
            .collect()
        };
        let cud_path = dir.join("custom_user_data.json");
        let mut custom_user_data = None;
        if cud_path.is_file()
            && let Some(f) = self.json::<CustomUserDataFile>(&cud_path)
            && f.enabled
        {
            for (key, value) in [
                ("database_name", &f.database_name),
                ("collection_name", &f.collection_name),
                ("user_id_field", &f.user_id_field),
            ] {
                if value.is_empty() {
                    self.problem(&cud_path, None, format!("'{key}' is required when enabled"));
                }
            }
            if let Some(reason) = bridge::rules::reserved(&f.database_name, &f.collection_name) {
                self.problem(
                    &cud_path,
                    None,
                    format!("custom user data cannot be kept there: {reason}"),
                );
            }
            custom_user_data = Some(CustomUserData {
                service: f.mongo_service_name.unwrap_or_else(|| "mongodb-atlas".into()),
                database: f.database_name,
                collection: f.collection_name,
                user_id_field: f.user_id_field,
                on_user_creation_function: f.on_user_creation_function_name.filter(|s| !s.is_empty()),
            });
        }
        AuthConfig {
            providers,
            custom_user_data,
        }
    }

    /// Reads `data_sources/<service>/<db>/<coll>/rules.json` (and `schema.json`) and
    /// `<service>/default_rule.json`.
    pub(crate) fn rules(&mut self, optional_nulls: bool) -> bridge::Rules {
        let mut rules = bridge::Rules::default();
        let dir = self.root.join("data_sources");
        for service in sorted_dirs(&dir) {
            let name = file_name(&service);
            let default = service.join("default_rule.json");
            if default.is_file()
                && let Some(r) = self.rule_file(&default)
            {
                rules.set_default(&name, r);
            }
            for db in sorted_dirs(&service) {
                for coll in sorted_dirs(&db) {
                    let (db_name, coll_name) = (file_name(&db), file_name(&coll));
                    let path = coll.join("rules.json");
                    if path.is_file()
                        && let Some(r) = self.rule_file(&path)
                    {
                        rules.insert(&name, &db_name, &coll_name, r);
                    }
                    let path = coll.join("schema.json");
                    if path.is_file()
                        && let Some(json) = self.json::<serde_json::Value>(&path)
                    {
                        // A schema writ cannot apply fails closed: users may not write to the
                        // collection (`writ check` says why), and the rest of the app loads.
                        let schema = bridge::schema::Schema::from_json(&json)
                            .map(|s| s.with_optional_nulls(optional_nulls));
                        rules.set_schema(&name, &db_name, &coll_name, schema);
                    }
                }
            }
        }
        rules
    }

    fn rule_file(&mut self, path: &std::path::Path) -> Option<bridge::rules::CollectionRules> {
        let json: serde_json::Value = self.json(path)?;
        match bridge::rules::CollectionRules::from_json(&json) {
            Ok(r) => Some(r),
            // Fail closed: users get no access to the collection (`writ check` says why), and
            // the rest of the app loads.
            Err(m) if bridge::rules::CollectionRules::not_evaluated(&m) => {
                Some(bridge::rules::CollectionRules::deny_all())
            }
            Err(m) => {
                self.problem(path, None, m);
                None
            }
        }
    }
}

pub(crate) fn sorted_dirs(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

pub(crate) fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether writ may read a key set from `url`: over https, or over http from this machine.
pub fn key_set_url_allowed(url: &str) -> bool {
    url.starts_with("https://")
        || [
            "http://127.0.0.1:",
            "http://127.0.0.1/",
            "http://localhost:",
            "http://localhost/",
            "http://[::1]:",
        ]
        .iter()
        .any(|prefix| url.starts_with(prefix))
}
