//! `values/*.json` and `environments/<tag>.json`: what `context.values` and
//! `context.environment` hold.
//!
//! A value is plain JSON, a secret (`"from_secret": true`: `value` names the secret, whose text
//! comes from writ's configuration, never from the export), or the string
//! `"%%environment.values.NAME"`, which takes that value from the selected environment. The
//! environment tag comes from [`LoadOptions`] or else `root_config.json`'s `environment`; with
//! no tag, `environments/no-environment.json` applies if present.

use std::collections::BTreeMap;

use bson::{Bson, Document};
use serde::Deserialize;

use crate::Loader;

/// Settings that come from writ's configuration rather than from the app directory.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The environment tag (`development`, `production`, ...); `None` defers to the app's.
    pub environment: Option<String>,
    /// Secret text by secret name, for values with `from_secret`.
    pub secrets: BTreeMap<String, String>,
    /// App Services' "null type schema validation" app setting, which exports do not carry
    /// (`WRIT_NULL_TYPE_VALIDATION=true`): fields a schema does not require may be null.
    pub null_type_validation: bool,
}

impl LoadOptions {
    /// Reads `WRIT_ENVIRONMENT`, `WRIT_NULL_TYPE_VALIDATION` and every `WRIT_SECRET_<name>`
    /// variable of this process.
    pub fn from_env() -> Self {
        let mut secrets = BTreeMap::new();
        for (key, value) in std::env::vars() {
            if let Some(name) = key.strip_prefix(SECRET_PREFIX) {
                secrets.insert(name.to_string(), value);
            }
        }
        Self {
            environment: std::env::var("WRIT_ENVIRONMENT").ok().filter(|e| !e.is_empty()),
            secrets,
            null_type_validation: std::env::var("WRIT_NULL_TYPE_VALIDATION")
                .is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "on")),
        }
    }
}

/// The prefix of the environment variables that hold secrets.
pub const SECRET_PREFIX: &str = "WRIT_SECRET_";

#[derive(Debug, Deserialize)]
struct ValueFile {
    name: String,
    #[serde(default)]
    value: serde_json::Value,
    #[serde(default)]
    from_secret: bool,
}

#[derive(Debug, Default, Deserialize)]
struct EnvironmentFile {
    #[serde(default)]
    values: serde_json::Map<String, serde_json::Value>,
}

impl Loader<'_> {
    /// The selected environment's tag and values.
    pub(crate) fn environment(&mut self, tag: &str) -> (String, Document) {
        let file = if tag.is_empty() { "no-environment" } else { tag };
        let path = self.root.join("environments").join(format!("{file}.json"));
        if !path.is_file() {
            if !tag.is_empty() {
                self.problem(
                    &path,
                    None,
                    format!("environment '{tag}' is selected but this file is missing"),
                );
            }
            return (tag.to_string(), Document::new());
        }
        let env: EnvironmentFile = self.json(&path).unwrap_or_default();
        match Document::try_from(env.values) {
            Ok(values) => (tag.to_string(), values),
            Err(e) => {
                self.problem(&path, None, format!("invalid values: {e}"));
                (tag.to_string(), Document::new())
            }
        }
    }

    /// Every value, secrets and environment references resolved.
    pub(crate) fn values(
        &mut self,
        env: &Document,
        secrets: &BTreeMap<String, String>,
    ) -> BTreeMap<String, Bson> {
        let mut values = BTreeMap::new();
        for path in crate::json_files(&self.root.join("values")) {
            let Some(v) = self.json::<ValueFile>(&path) else {
                continue;
            };
            let value = if v.from_secret {
                let Some(secret) = v.value.as_str() else {
                    self.problem(&path, None, "a secret value's 'value' must name the secret");
                    continue;
                };
                match secrets.get(secret) {
                    Some(text) => Bson::String(text.clone()),
                    None => {
                        self.problem(
                            &path,
                            None,
                            format!(
                                "value '{}' reads secret '{secret}': set {SECRET_PREFIX}{secret}",
                                v.name
                            ),
                        );
                        continue;
                    }
                }
            } else if let Some(key) = v
                .value
                .as_str()
                .and_then(|s| s.strip_prefix("%%environment.values."))
            {
                match env.get(key) {
                    Some(b) => b.clone(),
                    None => {
                        self.problem(
                            &path,
                            None,
                            format!("the selected environment has no value '{key}'"),
                        );
                        continue;
                    }
                }
            } else {
                match Bson::try_from(v.value) {
                    Ok(b) => b,
                    Err(e) => {
                        self.problem(&path, None, format!("invalid value: {e}"));
                        continue;
                    }
                }
            };
            values.insert(v.name, value);
        }
        values
    }
}

/// The environment tag the app in `dir` runs with: `options.environment`, else the app's
/// `root_config.json` (or `realm_config.json`) `environment`, else none ("").
pub fn environment_tag(dir: &std::path::Path, options: &LoadOptions) -> String {
    if let Some(tag) = &options.environment {
        return tag.clone();
    }
    ["root_config.json", "realm_config.json", "config.json"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
        .find_map(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v.get("environment").and_then(|e| e.as_str()).map(String::from))
        .unwrap_or_default()
}
