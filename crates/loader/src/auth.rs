//! `auth/providers.json` and `auth/custom_user_data.json`: who can log in, and where each
//! user's custom data document lives.

use std::collections::BTreeMap;

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
}

impl Provider {
    fn enabled(name: &str, config: serde_json::Value) -> Self {
        Self {
            name: name.into(),
            provider_type: name.into(),
            disabled: false,
            config,
        }
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
    /// Reads `auth/`; without `providers.json`, anonymous, email/password (auto-confirmed) and
    /// API-key logins are enabled.
    pub(crate) fn auth(&mut self) -> AuthConfig {
        let dir = self.root.join("auth");
        let providers_path = dir.join("providers.json");
        let providers = if providers_path.is_file() {
            match self.json::<ProvidersFile>(&providers_path) {
                Some(ProvidersFile::Map(m)) => m.into_values().map(|p| (p.name.clone(), p)).collect(),
                Some(ProvidersFile::List(l)) => l.into_iter().map(|p| (p.name.clone(), p)).collect(),
                None => BTreeMap::new(),
            }
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
            if bridge::rules::is_internal(&f.database_name) {
                self.problem(
                    &cud_path,
                    None,
                    "'database_name' names one of writ's own databases (`__writ_*`), which no app may use",
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

    /// Reads `data_sources/<service>/<db>/<coll>/rules.json` and `<service>/default_rule.json`.
    pub(crate) fn rules(&mut self) -> bridge::Rules {
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
                    let path = coll.join("rules.json");
                    if path.is_file()
                        && let Some(r) = self.rule_file(&path)
                    {
                        rules.insert(&name, &file_name(&db), &file_name(&coll), r);
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
