//! What writ does with each file of an exported app: loaded, validated but not enforced, or not
//! supported. `writ check` prints it and `writ serve` logs it, so no part of an export is
//! silently ignored.

use std::{fmt, path::Path};

use crate::triggers::TriggerFile;

/// How writ treats one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Read and in effect.
    Loaded,
    /// Read and checked, but writ does not apply it.
    NotEnforced,
    /// Part of App Services that writ does not run.
    Unsupported,
    /// Present but not used in this configuration (another environment, not an app file).
    Ignored,
}

impl Status {
    /// The word `writ check` prints.
    pub fn label(self) -> &'static str {
        match self {
            Status::Loaded => "loaded",
            Status::NotEnforced => "not enforced",
            Status::Unsupported => "unsupported",
            Status::Ignored => "ignored",
        }
    }
}

/// One file (or directory) of the app and what writ does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the app directory.
    pub file: String,
    /// How writ treats it.
    pub status: Status,
    /// What it is, or why it is not used.
    pub note: String,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<13} {}  ({})", self.status.label(), self.file, self.note)
    }
}

/// Top-level parts of an export that writ does not run, and what they are.
const UNSUPPORTED: [(&str, &str); 2] = [("sync", "Device Sync"), ("services", "third-party services")];

const PROVIDERS: [&str; 8] = [
    "anon-user",
    "local-userpass",
    "api-key",
    "custom-token",
    "custom-function",
    "oauth2-apple",
    "oauth2-google",
    "oauth2-facebook",
];

/// Whether `services/<service>` of the app in `dir` is an HTTP service.
fn http_service(dir: &Path, service: &str) -> bool {
    read_json(&dir.join("services").join(service).join("config.json"))
        .is_some_and(|v| v.get("type").and_then(|t| t.as_str()) == Some("http"))
}

/// The JSON in the file at `path`, if it reads and parses.
fn read_json(path: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Lists every file of the app in `dir` with what writ does with it; `environment` is the
/// selected tag ("" for none).
pub fn inventory(dir: &Path, environment: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    for rel in files {
        let (status, note) = classify(dir, &rel, environment);
        out.push(Entry {
            file: rel,
            status,
            note,
        });
    }
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        let top = rel.split('/').next().unwrap_or_default();
        let app_part = [
            "functions",
            "values",
            "environments",
            "auth",
            "triggers",
            "data_sources",
            "https_endpoints",
            "http_endpoints",
            "hosting",
            "graphql",
            "log_forwarders",
        ]
        .contains(&top)
            || UNSUPPORTED.iter().any(|(d, _)| *d == top);
        // The hosted files are one entry, however many there are.
        if path.is_dir() && app_part && name != "node_modules" && rel != "hosting/files" {
            walk(root, &path, out);
        } else if path.is_dir() {
            out.push(format!("{rel}/"));
        } else {
            out.push(rel);
        }
    }
}

fn classify(root: &Path, rel: &str, environment: &str) -> (Status, String) {
    use Status::*;
    let parts: Vec<&str> = rel.trim_end_matches('/').split('/').collect();
    let json = || -> serde_json::Value {
        std::fs::read_to_string(root.join(rel))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    };
    let s = |t: &str| t.to_string();
    match parts.as_slice() {
        ["root_config.json" | "realm_config.json" | "config.json"] => {
            (Loaded, s("app name and ids (context.app)"))
        }
        ["functions", "config.json"] => match can_evaluate_problems(&json(), "name") {
            None => (Loaded, s("function settings")),
            Some(p) => (Unsupported, format!("function settings; {p}")),
        },
        ["functions", "node_modules"] => (Loaded, s("npm packages (require)")),
        ["functions", "package.json"] => (Loaded, s("npm dependencies (checked as installed)")),
        ["functions", "package-lock.json"] => (Ignored, s("npm's lock file (read by npm, not writ)")),
        ["functions", f] if f.starts_with("node_modules.") => (
            Loaded,
            s("packed npm packages (unpacked when functions/node_modules is absent)"),
        ),
        ["functions", .., f] if f.ends_with(".js") => (
            Loaded,
            format!("function {}", rel["functions/".len()..].trim_end_matches(".js")),
        ),
        ["values", f] if f.ends_with(".json") => match json().get("from_secret").and_then(|v| v.as_bool()) {
            Some(true) => (Loaded, s("value read from a secret (WRIT_SECRET_<name>)")),
            _ => (Loaded, s("value (context.values)")),
        },
        ["environments", f] if f.ends_with(".json") => {
            let tag = f.trim_end_matches(".json");
            if tag == environment || (environment.is_empty() && tag == "no-environment") {
                (Loaded, s("the selected environment (context.environment)"))
            } else {
                (
                    Ignored,
                    format!("environment '{tag}' is not selected (WRIT_ENVIRONMENT)"),
                )
            }
        }
        ["auth", "providers.json"] => {
            let v = json();
            let items: Vec<serde_json::Value> = match &v {
                serde_json::Value::Object(m) => m.values().cloned().collect(),
                serde_json::Value::Array(a) => a.clone(),
                _ => Vec::new(),
            };
            let other: Vec<String> = items
                .iter()
                .filter(|p| !p.get("disabled").and_then(|d| d.as_bool()).unwrap_or(false))
                .filter_map(|p| p.get("type").and_then(|t| t.as_str()))
                .filter(|t| !PROVIDERS.contains(t))
                .map(String::from)
                .collect();
            if other.is_empty() {
                (Loaded, s("authentication providers"))
            } else {
                (
                    Loaded,
                    format!("authentication providers; not supported: {}", other.join(", ")),
                )
            }
        }
        ["auth", "custom_user_data.json"] => (Loaded, s("custom user data and the user creation function")),
        ["triggers", f] if f.ends_with(".json") => match serde_json::from_value::<TriggerFile>(json()) {
            Ok(t) if t.function().is_none() && t.event_processors.get("AWS_EVENTBRIDGE").is_some() => (
                Unsupported,
                format!(
                    "trigger {}: sends its events to AWS EventBridge, which writ cannot reach",
                    t.name
                ),
            ),
            Ok(t) if t.trigger_type == "DATABASE" && t.unsupported_part().is_some() => (
                Unsupported,
                format!(
                    "database trigger {}: not run, {}, which writ cannot evaluate",
                    t.name,
                    t.unsupported_part().unwrap_or_default()
                ),
            ),
            Ok(t) if !t.ddl_types().is_empty() => (
                NotEnforced,
                format!(
                    "{} trigger {}: loaded, but writ does not deliver collection and database events ({})",
                    t.trigger_type.to_lowercase(),
                    t.name,
                    t.ddl_types().join(", ")
                ),
            ),
            Ok(t) => (
                Loaded,
                format!("{} trigger {}", t.trigger_type.to_lowercase(), t.name),
            ),
            Err(_) => (Unsupported, s("not a trigger configuration writ can read")),
        },
        ["data_sources", _, "config.json"] => (Loaded, s("data source (MONGODB_URI or the embedded store)")),
        ["data_sources", .., "rules.json" | "default_rule.json"] => {
            match bridge::rules::CollectionRules::from_json(&json()) {
                Err(m) if bridge::rules::CollectionRules::not_evaluated(&m) => (
                    Unsupported,
                    format!(
                        "rules writ cannot evaluate ({m}): users get no access here; system functions are unaffected"
                    ),
                ),
                _ => (Loaded, s("rules")),
            }
        }
        ["data_sources", .., "schema.json"] => match bridge::schema::Schema::from_json(&json()) {
            Ok(_) => (
                Loaded,
                s("the schema: every document a user's write leaves must satisfy it"),
            ),
            Err(e) => (
                Unsupported,
                format!(
                    "a schema writ cannot apply ({e}): users may not write here; system functions are unaffected"
                ),
            ),
        },
        ["data_sources", .., "relationships.json"] => (
            Loaded,
            s("relationships: the GraphQL API resolves them (Sync is not run)"),
        ),
        ["https_endpoints" | "http_endpoints", "config.json"] => match read_json(&root.join(rel)) {
            // `null` is how an export (written in Go) says "no endpoints", as `[]` does.
            Some(v) if v.is_null() || v.as_array().is_some_and(Vec::is_empty) => {
                (Ignored, s("no endpoints configured"))
            }
            v => match can_evaluate_problems(&v.unwrap_or_default(), "route") {
                None => (Loaded, s("HTTPS endpoints")),
                Some(p) => (Unsupported, format!("HTTPS endpoints; {p}")),
            },
        },
        ["https_endpoints" | "http_endpoints", "data_api_config.json"] => {
            match json().get("disabled").and_then(|d| d.as_bool()) {
                Some(true) => (Ignored, s("the Data API, disabled")),
                _ => (Loaded, s("the Data API")),
            }
        }
        ["services", _, "incoming_webhooks", ..] => (Loaded, s("a legacy incoming webhook")),
        ["services", _, "config.json"] if json().get("type").and_then(|t| t.as_str()) == Some("http") => (
            Loaded,
            s(
                "an HTTP service: context.services.get runs it under its rules; its incoming webhooks are served",
            ),
        ),
        ["services", service, "rules", f] if f.ends_with(".json") && http_service(root, service) => {
            (Loaded, s("a rule of an HTTP service"))
        }
        ["graphql", "config.json"] => (
            Loaded,
            s(
                "GraphQL settings (natural plurals, introspection): the API is generated from the collection schemas",
            ),
        ),
        ["graphql", "custom_resolvers", ..] => (Loaded, s("a GraphQL custom resolver")),
        ["log_forwarders", f] if f.ends_with(".json") => match json().get("disabled") {
            Some(serde_json::Value::Bool(true)) => (Ignored, s("the log forwarder is disabled")),
            _ => (
                Loaded,
                s("a log forwarder: function, service, auth, trigger, endpoint and GraphQL logs"),
            ),
        },
        ["hosting", ..] if !hosting_enabled(root) => (Ignored, s("static hosting is not enabled")),
        ["hosting", "config.json"] => (
            Loaded,
            s("static hosting: hosting/files is served at writ's root"),
        ),
        ["hosting", "metadata.json"] => (Loaded, s("headers of hosted files")),
        ["hosting", "files"] => (Loaded, s("the hosted files")),
        ["sync", "config.json"] if json().get("state").and_then(|t| t.as_str()) != Some("enabled") => {
            (Ignored, s("Device Sync is not enabled"))
        }
        [top, ..] if UNSUPPORTED.iter().any(|(d, _)| d == top) => {
            let what = UNSUPPORTED
                .iter()
                .find(|(d, _)| d == top)
                .map(|(_, w)| *w)
                .unwrap_or_default();
            (Unsupported, format!("not run by writ: {what}"))
        }
        _ => (Ignored, s("not part of an App Services app")),
    }
}

/// What writ cannot evaluate in the `can_evaluate` rules of `entries` (a config array whose
/// entries are named by `name_key`), or `None`.
fn can_evaluate_problems(entries: &serde_json::Value, name_key: &str) -> Option<String> {
    let problems: Vec<String> = entries
        .as_array()?
        .iter()
        .filter_map(|entry| {
            let rule = bson::Bson::try_from(entry.get("can_evaluate")?.clone()).ok()?;
            let name = entry.get(name_key).and_then(|n| n.as_str()).unwrap_or("?");
            bridge::rules::check_request_rule(&rule).err().map(|m| {
                format!("the can_evaluate of '{name}' cannot be evaluated ({m}): its calls are refused")
            })
        })
        .collect();
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Whether `hosting/config.json` turns static hosting on.
fn hosting_enabled(root: &Path) -> bool {
    read_json(&root.join("hosting/config.json"))
        .is_some_and(|v| v.get("enabled").and_then(|e| e.as_bool()) == Some(true))
}
