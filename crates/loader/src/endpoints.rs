//! HTTPS endpoints and the Data API: `https_endpoints/` (App Services CLI exports),
//! `http_endpoints/` (realm-cli exports, the more common layout) and the legacy incoming
//! webhooks of `services/<service>/incoming_webhooks/<hook>/` (their `source.js` becomes the
//! private function `services/<service>/incoming_webhooks/<hook>`).

use std::{collections::BTreeMap, path::Path};

use engine::{FunctionConfig, FunctionSpec};
use serde::Deserialize;

use crate::Loader;

/// How an endpoint checks that a request comes from who knows its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    /// Anyone may call it.
    None,
    /// `?secret=<secret>` in the query string (removed before the function sees the query).
    SecretAsQueryParam(String),
    /// `Endpoint-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>`
    /// (`X-Hook-Signature` for legacy webhooks).
    VerifyPayload(String),
}

/// Who a request to an endpoint or the Data API runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunAs {
    /// The user the request's credential headers sign in (application authentication).
    Application,
    /// The system user.
    System,
    /// A fixed user.
    UserId(String),
    /// The user id a script returns: the private system function of this name (the loader
    /// adds each `run_as_user_id_script_source` as `__run_as/<owner>`).
    Script(String),
}

/// How a result becomes a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnType {
    /// Relaxed extended JSON (plain numbers, `{"$oid": ...}` where JSON has no type).
    Json,
    /// Canonical extended JSON, exact types.
    Ejson,
}

/// One HTTPS endpoint (or legacy incoming webhook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The route, with a leading `/`; for a legacy webhook, `<service>/<hook>`.
    pub route: String,
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, or `*` for any.
    pub method: String,
    /// The function that answers.
    pub function: String,
    /// The request check.
    pub validation: Validation,
    /// Who the function runs as.
    pub run_as: RunAs,
    /// False: the result is not sent (204 unless the function set a response).
    pub respond_result: bool,
    /// How the result is written.
    pub return_type: ReturnType,
    /// Read the user's custom data into `context.user` (application authentication).
    pub fetch_custom_user_data: bool,
    /// Create a user a credential names that does not exist yet.
    pub create_user_on_auth: bool,
    /// A disabled endpoint answers 404.
    pub disabled: bool,
    /// A legacy incoming webhook (served at `.../service/<service>/incoming_webhook/<hook>`).
    pub legacy: bool,
    /// A rule the request's user must pass (legacy webhooks' `can_evaluate`).
    pub can_evaluate: Option<serde_json::Value>,
}

/// The Data API (`data_api_config.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataApi {
    /// Versions served (`v1`, `beta`).
    pub versions: Vec<String>,
    /// Who requests run as.
    pub run_as: RunAs,
    /// A rule the request's user must pass.
    pub can_evaluate: Option<serde_json::Value>,
    /// The request check.
    pub validation: Validation,
    /// Read the user's custom data (application authentication).
    pub fetch_custom_user_data: bool,
    /// Create a user a credential names that does not exist yet.
    pub create_user_on_auth: bool,
    /// The response format when the request does not ask (`Accept`).
    pub return_type: ReturnType,
    /// Names a request's `dataSource` may use: the services and their clusters.
    pub data_sources: BTreeMap<String, String>,
}

/// The app's endpoints and Data API, attached to the deployment for the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// Every endpoint, in file order.
    pub routes: Vec<Endpoint>,
    /// The Data API, when configured and enabled.
    pub data_api: Option<DataApi>,
}

impl Endpoints {
    /// The enabled endpoint for `route` and `method`, if any (`*` endpoints answer every method).
    pub fn find(&self, route: &str, method: &str, legacy: bool) -> Option<&Endpoint> {
        let matching = |e: &&Endpoint| e.legacy == legacy && !e.disabled && e.route == route;
        let mut candidates = self.routes.iter().filter(matching);
        let exact = candidates.clone().find(|e| e.method.eq_ignore_ascii_case(method));
        exact.or_else(|| candidates.find(|e| e.method == "*"))
    }
}

#[derive(Debug, Deserialize)]
struct EndpointFile {
    route: String,
    #[serde(default = "any_method")]
    http_method: String,
    function_name: String,
    #[serde(default)]
    validation_method: Option<String>,
    #[serde(default)]
    secret_name: Option<String>,
    #[serde(default = "yes")]
    respond_result: bool,
    #[serde(default)]
    return_type: Option<String>,
    #[serde(default)]
    fetch_custom_user_data: bool,
    #[serde(default)]
    create_user_on_auth: bool,
    #[serde(default)]
    disabled: bool,
}

#[derive(Debug, Deserialize)]
struct DataApiFile {
    #[serde(default)]
    disabled: bool,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    run_as_user_id: Option<String>,
    #[serde(default)]
    run_as_user_id_script_source: Option<String>,
    #[serde(default)]
    run_as_system: bool,
    #[serde(default)]
    can_evaluate: Option<serde_json::Value>,
    #[serde(default)]
    validation_method: Option<String>,
    #[serde(default)]
    secret_name: Option<String>,
    #[serde(default)]
    fetch_custom_user_data: bool,
    #[serde(default)]
    create_user_on_auth: bool,
    #[serde(default)]
    return_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WebhookOptions {
    #[serde(default, rename = "httpMethod")]
    http_method: Option<String>,
    #[serde(default, rename = "validationMethod")]
    validation_method: Option<String>,
    #[serde(default)]
    secret: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WebhookFile {
    #[serde(default)]
    options: WebhookOptions,
    #[serde(default)]
    run_as_authed_user: bool,
    #[serde(default)]
    run_as_user_id: Option<String>,
    #[serde(default)]
    run_as_user_id_script_source: Option<String>,
    #[serde(default)]
    can_evaluate: Option<serde_json::Value>,
    #[serde(default = "yes")]
    respond_result: bool,
    #[serde(default)]
    fetch_custom_user_data: bool,
    #[serde(default)]
    create_user_on_auth: bool,
}

fn any_method() -> String {
    "*".into()
}

fn yes() -> bool {
    true
}

fn return_type(value: Option<&str>, default: ReturnType) -> ReturnType {
    match value.map(str::to_ascii_uppercase).as_deref() {
        Some("EJSON") => ReturnType::Ejson,
        Some("JSON") => ReturnType::Json,
        _ => default,
    }
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

impl Loader<'_> {
    /// Reads the endpoint layouts and the Data API; legacy webhook sources are added to
    /// `functions` as private functions.
    pub(crate) fn endpoints(
        &mut self,
        functions: &mut BTreeMap<String, FunctionSpec>,
        secrets: &BTreeMap<String, String>,
    ) -> Endpoints {
        let mut out = Endpoints::default();
        let scripted: Vec<(String, String)> = functions
            .values()
            .filter_map(|f| Some((f.name.clone(), f.config.run_as_user_id_script_source.clone()?)))
            .collect();
        for (name, source) in scripted {
            let path = self.root.join("functions/config.json");
            script_function(self, functions, &path, &name, source);
        }
        for dir in ["https_endpoints", "http_endpoints"] {
            let dir = self.root.join(dir);
            let config = dir.join("config.json");
            if config.is_file() {
                self.endpoint_file(&config, functions, secrets, &mut out);
            }
            let data_api = dir.join("data_api_config.json");
            if data_api.is_file() && out.data_api.is_none() {
                out.data_api = self.data_api(&data_api, functions, secrets);
            }
        }
        self.webhooks(functions, &mut out);
        out
    }

    fn validation(
        &mut self,
        path: &Path,
        method: Option<&str>,
        secret_name: Option<String>,
        secrets: &BTreeMap<String, String>,
    ) -> Validation {
        let method = method.unwrap_or("NO_VALIDATION");
        if method == "NO_VALIDATION" || method.is_empty() {
            return Validation::None;
        }
        let Some(name) = nonempty(secret_name) else {
            self.problem(path, None, format!("{method} needs a 'secret_name'"));
            return Validation::None;
        };
        let Some(secret) = secrets.get(&name).cloned() else {
            self.problem(
                path,
                None,
                format!(
                    "{method} reads secret '{name}': set {}{name}",
                    crate::SECRET_PREFIX
                ),
            );
            return Validation::None;
        };
        self.validation_with(path, method, secret)
    }

    fn validation_with(&mut self, path: &Path, method: &str, secret: String) -> Validation {
        match method {
            "SECRET_AS_QUERY_PARAM" => Validation::SecretAsQueryParam(secret),
            "VERIFY_PAYLOAD" => Validation::VerifyPayload(secret),
            "NO_VALIDATION" | "" => Validation::None,
            other => {
                self.problem(path, None, format!("unknown validation method '{other}'"));
                Validation::None
            }
        }
    }

    fn endpoint_file(
        &mut self,
        path: &Path,
        functions: &BTreeMap<String, FunctionSpec>,
        secrets: &BTreeMap<String, String>,
        out: &mut Endpoints,
    ) {
        let Some(files) = self.json::<Vec<EndpointFile>>(path) else {
            return;
        };
        for f in files {
            let Some(spec) = functions.get(&f.function_name) else {
                self.problem(
                    path,
                    None,
                    format!(
                        "endpoint {} {}: the function '{}' does not exist",
                        f.http_method, f.route, f.function_name
                    ),
                );
                continue;
            };
            let method = f.http_method.to_ascii_uppercase();
            if !["GET", "POST", "PUT", "PATCH", "DELETE", "*"].contains(&method.as_str()) {
                self.problem(
                    path,
                    None,
                    format!("endpoint {}: unknown http_method '{method}'", f.route),
                );
                continue;
            }
            let validation = self.validation(path, f.validation_method.as_deref(), f.secret_name, secrets);
            let route = format!("/{}", f.route.trim_start_matches('/'));
            if out
                .routes
                .iter()
                .any(|e| !e.legacy && e.route == route && e.method == method)
            {
                self.problem(path, None, format!("endpoint {method} {route} is defined twice"));
                continue;
            }
            out.routes.push(Endpoint {
                route,
                method,
                function: f.function_name.clone(),
                validation,
                run_as: run_as_of(&f.function_name, &spec.config),
                respond_result: f.respond_result,
                return_type: return_type(f.return_type.as_deref(), ReturnType::Json),
                fetch_custom_user_data: f.fetch_custom_user_data,
                create_user_on_auth: f.create_user_on_auth,
                disabled: f.disabled,
                legacy: false,
                can_evaluate: None,
            });
        }
    }

    fn data_api(
        &mut self,
        path: &Path,
        functions: &mut BTreeMap<String, FunctionSpec>,
        secrets: &BTreeMap<String, String>,
    ) -> Option<DataApi> {
        let f = self.json::<DataApiFile>(path)?;
        if f.disabled {
            return None;
        }
        let validation = self.validation(path, f.validation_method.as_deref(), f.secret_name, secrets);
        let run_as = if f.run_as_system {
            RunAs::System
        } else if let Some(id) = nonempty(f.run_as_user_id) {
            RunAs::UserId(id)
        } else if let Some(script) = nonempty(f.run_as_user_id_script_source) {
            RunAs::Script(script_function(self, functions, path, "data_api", script))
        } else {
            RunAs::Application
        };
        let versions = if f.versions.is_empty() {
            vec!["v1".to_string()]
        } else {
            f.versions
        };
        Some(DataApi {
            versions,
            run_as,
            can_evaluate: f
                .can_evaluate
                .filter(|v| !v.as_object().is_some_and(|o| o.is_empty())),
            validation,
            fetch_custom_user_data: f.fetch_custom_user_data,
            create_user_on_auth: f.create_user_on_auth,
            return_type: return_type(f.return_type.as_deref(), ReturnType::Json),
            data_sources: self.data_sources(),
        })
    }

    /// Data source names (`mongodb-atlas`) and the cluster names they stand for (`Cluster0`),
    /// each mapped to its service.
    fn data_sources(&mut self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        out.insert("mongodb-atlas".to_string(), "mongodb-atlas".to_string());
        for dir in crate::auth::sorted_dirs(&self.root.join("data_sources")) {
            let service = crate::auth::file_name(&dir);
            let config = dir.join("config.json");
            let cluster = std::fs::read_to_string(&config)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| {
                    v.pointer("/config/clusterName")
                        .and_then(|c| c.as_str())
                        .map(String::from)
                });
            if let Some(cluster) = cluster {
                out.insert(cluster, service.clone());
            }
            out.insert(service.clone(), service);
        }
        out
    }

    /// `services/<name>/config.json`: each third-party service's name and type.
    pub(crate) fn third_party_services(&mut self) -> crate::ThirdPartyServices {
        let mut out = Vec::new();
        for dir in crate::auth::sorted_dirs(&self.root.join("services")) {
            let kind = std::fs::read_to_string(dir.join("config.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(String::from))
                .unwrap_or_else(|| "unknown".into());
            // Older exports kept the data sources here too.
            if !kind.starts_with("mongodb") && kind != "datalake" {
                out.push((crate::auth::file_name(&dir), kind));
            }
        }
        crate::ThirdPartyServices(out)
    }

    /// The rules of each third-party HTTP service (`services/<name>/rules/*.json`).
    pub(crate) fn http_services(&mut self, services: &crate::ThirdPartyServices) -> outbound::HttpServices {
        let mut out = BTreeMap::new();
        for (name, _) in services.0.iter().filter(|(_, kind)| kind == "http") {
            let dir = self.root.join("services").join(name).join("rules");
            let mut rules = Vec::new();
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            files.sort();
            for path in files
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
            {
                if let Some(rule) = self.json::<outbound::ServiceRule>(&path) {
                    rules.push(rule);
                }
            }
            out.insert(name.clone(), rules);
        }
        outbound::HttpServices(out)
    }

    fn webhooks(&mut self, functions: &mut BTreeMap<String, FunctionSpec>, out: &mut Endpoints) {
        for service in crate::auth::sorted_dirs(&self.root.join("services")) {
            let service_name = crate::auth::file_name(&service);
            for hook in crate::auth::sorted_dirs(&service.join("incoming_webhooks")) {
                let config_path = hook.join("config.json");
                let source_path = hook.join("source.js");
                let Some(f) = self.json::<WebhookFile>(&config_path) else {
                    continue;
                };
                let Some(source) = self.read(&source_path) else {
                    continue;
                };
                if !self.syntax_ok(&source_path, &source) {
                    continue;
                }
                let hook_name = crate::auth::file_name(&hook);
                let function = format!("services/{service_name}/incoming_webhooks/{hook_name}");
                let run_as = if f.run_as_authed_user {
                    RunAs::Application
                } else if let Some(id) = nonempty(f.run_as_user_id) {
                    RunAs::UserId(id)
                } else if let Some(script) = nonempty(f.run_as_user_id_script_source) {
                    RunAs::Script(script_function(self, functions, &config_path, &function, script))
                } else {
                    RunAs::System
                };
                let method = f
                    .options
                    .http_method
                    .as_deref()
                    .unwrap_or("*")
                    .to_ascii_uppercase();
                let secret = f.options.secret.clone().unwrap_or_default();
                let validation = match f.options.validation_method.as_deref() {
                    Some(m) if m != "NO_VALIDATION" && secret.is_empty() => {
                        self.problem(&config_path, None, format!("{m} needs options.secret"));
                        Validation::None
                    }
                    Some(m) => self.validation_with(&config_path, m, secret),
                    None => Validation::None,
                };
                let path = self.rel(&source_path);
                functions.insert(
                    function.clone(),
                    FunctionSpec {
                        name: function.clone(),
                        path,
                        source,
                        config: FunctionConfig {
                            private: true,
                            run_as_system: run_as == RunAs::System,
                            ..FunctionConfig::default()
                        },
                    },
                );
                out.routes.push(Endpoint {
                    route: format!("{service_name}/{hook_name}"),
                    method: if method == "ANY" { "*".into() } else { method },
                    function,
                    validation,
                    run_as,
                    respond_result: f.respond_result,
                    return_type: ReturnType::Json,
                    fetch_custom_user_data: f.fetch_custom_user_data,
                    create_user_on_auth: f.create_user_on_auth,
                    disabled: false,
                    legacy: true,
                    can_evaluate: f
                        .can_evaluate
                        .filter(|v| !v.as_object().is_some_and(|o| o.is_empty())),
                });
            }
        }
    }
}

/// The prefix of the functions the loader makes of `run_as_user_id_script_source` scripts.
pub const RUN_AS_PREFIX: &str = "__run_as/";

/// Adds `source` as the private system function `__run_as/<owner>` and returns its name.
fn script_function(
    loader: &mut Loader<'_>,
    functions: &mut BTreeMap<String, FunctionSpec>,
    path: &Path,
    owner: &str,
    source: String,
) -> String {
    let name = format!("{RUN_AS_PREFIX}{owner}");
    if let Err(e) = engine::check_syntax(&source) {
        loader.problem(
            path,
            None,
            format!(
                "run_as_user_id_script_source of {owner}: SyntaxError: {}",
                e.message
            ),
        );
    }
    let rel = loader.rel(path);
    functions.insert(
        name.clone(),
        FunctionSpec {
            name: name.clone(),
            path: rel,
            source,
            config: FunctionConfig {
                private: true,
                run_as_system: true,
                ..FunctionConfig::default()
            },
        },
    );
    name
}

/// Who function `name`, configured this way, runs as when an endpoint calls it.
pub fn run_as_of(name: &str, config: &FunctionConfig) -> RunAs {
    if config.run_as_system {
        RunAs::System
    } else if let Some(id) = &config.run_as_user_id {
        RunAs::UserId(id.clone())
    } else if config.run_as_user_id_script_source.is_some() {
        RunAs::Script(format!("{RUN_AS_PREFIX}{name}"))
    } else {
        RunAs::Application
    }
}
