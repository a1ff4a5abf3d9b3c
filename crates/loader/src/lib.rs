//! Reads an App Services app directory into a [`Deployment`]: the immutable registry of functions
//! and values the engine runs.
//!
//! Layout, as `appservices pull` exports it: `functions/config.json` (an array of entries with
//! `name`, `private`, `run_as_system`, `run_as_user_id`, `can_evaluate`, `disable_arg_logs`)
//! and `functions/**/*.js` (`functions/utils/add.js` is the function `utils/add`); `values/*.json`
//! and `environments/<tag>.json` for `context.values` and `context.environment` (values.rs);
//! `root_config.json` (or `realm_config.json`) for `context.app`; `auth/providers.json` and
//! `auth/custom_user_data.json` ([`AuthConfig`]), authentication triggers ([`AuthTriggers`]) and
//! `data_sources/**/rules.json` ([`bridge::Rules`]), attached to the deployment's extensions.
//! `functions/node_modules` is where `require` finds npm packages (packages.rs).
//! [`inventory`] says, per file, what writ does with the rest of an export.
//!
//! Loading validates everything, syntax included, and collects every problem before it fails,
//! each with its file and, where there is one, its line. A JS file with no config entry gets
//! the defaults; a config entry with no file is a problem. Loading never runs user code.

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
};

mod archive;
/// Where `node_modules` archives are unpacked (workers may read beneath it).
pub use archive::cache_root as modules_cache_root;
mod auth;
mod endpoints;
mod graphql;
mod hosting;
mod inventory;
mod log_forwarders;
mod packages;
mod triggers;
mod values;
mod warnings;

pub use auth::{AuthConfig, CustomUserData, MetadataField, Provider, SecretText, key_set_url_allowed};
pub use endpoints::{DataApi, Endpoint, Endpoints, RUN_AS_PREFIX, ReturnType, RunAs, Validation, run_as_of};
use engine::{AppInfo, Deployment, FunctionConfig, FunctionSpec};
pub use graphql::{CollectionSchema, Graphql};
pub use hosting::Hosting;
pub use inventory::{Entry, Status, inventory};
pub use log_forwarders::{ForwardTo, LOG_TYPES, LogForwarder, LogForwarders};
use serde::Deserialize;
pub use triggers::{AuthTrigger, AuthTriggers, ChangeTriggers, DatabaseTrigger, ScheduledTrigger};
pub use values::{LoadOptions, SECRET_PREFIX, environment_tag};
pub use warnings::{ApiWarning, ThirdPartyServices, api_warnings};

/// One thing wrong with an app directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file the problem is in, relative to the app directory.
    pub file: String,
    /// 1-based line and column, when the problem has a position.
    pub position: Option<(u32, u32)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{}:{}: {}", self.file, line, col, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every problem found while loading an app; loading fails if there is at least one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the app has {} problem(s):", self.problems.len())?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct ConfigEntry {
    name: String,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    run_as_system: bool,
    #[serde(default)]
    run_as_user_id: Option<String>,
    #[serde(default)]
    run_as_user_id_script_source: Option<String>,
    #[serde(default)]
    can_evaluate: Option<serde_json::Value>,
    #[serde(default)]
    disable_arg_logs: bool,
}

#[derive(Debug, Default, Deserialize)]
struct RootConfig {
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    client_app_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    deployment_model: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    provider_region: Option<String>,
}

struct Loader<'a> {
    root: &'a Path,
    problems: Vec<Problem>,
}

impl Loader<'_> {
    fn rel(&self, path: &Path) -> String {
        path.strip_prefix(self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    fn problem(&mut self, path: &Path, position: Option<(u32, u32)>, message: impl Into<String>) {
        let file = self.rel(path);
        self.problems.push(Problem {
            file,
            position,
            message: message.into(),
        });
    }

    fn read(&mut self, path: &Path) -> Option<String> {
        match std::fs::read_to_string(path) {
            Ok(s) => Some(s),
            Err(e) => {
                self.problem(path, None, format!("cannot read: {e}"));
                None
            }
        }
    }

    fn json<T: for<'de> Deserialize<'de>>(&mut self, path: &Path) -> Option<T> {
        let text = self.read(path)?;
        // App Services' exports are written in Go, which writes an empty list or map as `null`
        // (e.g. https_endpoints/config.json of an app without endpoints).
        let parsed = serde_json::from_str(&text).or_else(|e| match text.trim() {
            "null" => serde_json::from_str("[]")
                .or_else(|_| serde_json::from_str("{}"))
                .map_err(|_| e),
            _ => Err(e),
        });
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                let pos = (e.line() > 0).then(|| (e.line() as u32, e.column() as u32));
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                self.problem(path, pos, format!("invalid JSON: {msg}"));
                None
            }
        }
    }

    /// Whether `source` (the file at `path`) parses; a problem with its position if not.
    fn syntax_ok(&mut self, path: &Path, source: &str) -> bool {
        match engine::check_syntax(source) {
            Ok(()) => true,
            Err(e) => {
                self.problem(
                    path,
                    Some((e.line, e.column)),
                    format!("SyntaxError: {}", e.message),
                );
                false
            }
        }
    }

    fn js_files(&mut self, dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return self.problem(dir, None, format!("cannot read directory: {e}")),
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "node_modules") {
                    self.js_files(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "js") {
                out.push(path);
            }
        }
    }

    fn functions(&mut self) -> BTreeMap<String, FunctionSpec> {
        let dir = self.root.join("functions");
        let mut functions = BTreeMap::new();
        if !dir.is_dir() {
            self.problem(
                &dir,
                None,
                "no functions/ directory: is this an App Services app directory?",
            );
            return functions;
        }
        let config_path = dir.join("config.json");
        let mut configs: BTreeMap<String, FunctionConfig> = BTreeMap::new();
        if config_path.is_file()
            && let Some(entries) = self.json::<Vec<ConfigEntry>>(&config_path)
        {
            for e in entries {
                if configs.contains_key(&e.name) {
                    self.problem(
                        &config_path,
                        None,
                        format!("function '{}' is listed twice", e.name),
                    );
                }
                let config = FunctionConfig {
                    private: e.private,
                    run_as_system: e.run_as_system,
                    run_as_user_id: e.run_as_user_id.filter(|s| !s.is_empty()),
                    run_as_user_id_script_source: e
                        .run_as_user_id_script_source
                        .filter(|s| !s.trim().is_empty()),
                    can_evaluate: e
                        .can_evaluate
                        .filter(|v| !v.as_object().is_some_and(|o| o.is_empty())),
                    disable_arg_logs: e.disable_arg_logs,
                };
                configs.insert(e.name, config);
            }
        }
        let mut files = Vec::new();
        self.js_files(&dir, &mut files);
        for path in files {
            let rel = path.strip_prefix(&dir).unwrap_or(&path).with_extension("");
            let name = rel.to_string_lossy().replace('\\', "/");
            let Some(source) = self.read(&path) else { continue };
            let config = configs.remove(&name).unwrap_or_default();
            // A broken file is reported once: its config entry is not also "without a file".
            if !self.syntax_ok(&path, &source) {
                continue;
            }
            let rel_path = self.rel(&path);
            functions.insert(
                name.clone(),
                FunctionSpec {
                    name,
                    path: rel_path,
                    source,
                    config,
                },
            );
        }
        for name in configs.into_keys() {
            self.problem(
                &config_path,
                None,
                format!("function '{name}' has no file functions/{name}.js"),
            );
        }
        functions
    }

    fn app_info(&mut self) -> AppInfo {
        let path = ["root_config.json", "realm_config.json", "config.json"]
            .iter()
            .map(|f| self.root.join(f))
            .find(|p| p.is_file());
        let config: RootConfig = match path {
            Some(p) => self.json(&p).unwrap_or_default(),
            None => RootConfig::default(),
        };
        let name = config.name.unwrap_or_else(|| {
            self.root
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "writ-app".into())
        });
        AppInfo {
            id: config.app_id.clone().unwrap_or_default(),
            client_app_id: config
                .client_app_id
                .or(config.app_id)
                .unwrap_or_else(|| name.clone()),
            name,
            project_id: String::new(),
            deployment_model: config.deployment_model.unwrap_or_else(|| "LOCAL".into()),
            provider_region: config
                .provider_region
                .or(config.location)
                .unwrap_or_else(|| "local".into()),
            last_deployed: String::new(),
        }
    }
}

/// The `.json` files directly in `dir`, sorted.
pub(crate) fn json_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
}

/// Loads and validates the app in `dir` with the settings of this process's environment
/// ([`LoadOptions::from_env`]).
pub fn load(dir: &Path) -> Result<Deployment, LoadError> {
    load_with(dir, &LoadOptions::from_env())
}

/// Loads and validates the app in `dir`.
pub fn load_with(dir: &Path, options: &LoadOptions) -> Result<Deployment, LoadError> {
    let mut loader = Loader {
        root: dir,
        problems: Vec::new(),
    };
    if !dir.is_dir() {
        loader.problem(dir, None, "app directory not found");
        return Err(LoadError {
            problems: loader.problems,
        });
    }
    let mut functions = loader.functions();
    let endpoints = loader.endpoints(&mut functions, &options.secrets);
    let app = loader.app_info();
    let tag = environment_tag(dir, options);
    let (environment_tag, environment_values) = loader.environment(&tag);
    let values = loader.values(&environment_values, &options.secrets);
    let auth = loader.auth(&options.secrets);
    if let Some(f) = auth
        .custom_user_data
        .as_ref()
        .and_then(|c| c.on_user_creation_function.as_ref())
        .filter(|f| !functions.contains_key(*f))
    {
        let path = dir.join("auth/custom_user_data.json");
        loader.problem(
            &path,
            None,
            format!("the user creation function '{f}' does not exist"),
        );
    }
    let (triggers, change_triggers) = loader.triggers(&functions);
    let rules = loader.rules(options.null_type_validation);
    let third_party = loader.third_party_services();
    let http_services = loader.http_services(&third_party);
    let (modules_root, uninstalled) = loader.modules_root(&functions);
    let hosting = loader.hosting();
    let graphql = loader.graphql();
    let log_forwarders = loader.log_forwarders(&|name| functions.contains_key(name));
    if !loader.problems.is_empty() {
        return Err(LoadError {
            problems: loader.problems,
        });
    }
    Ok(Deployment {
        functions,
        values,
        environment_tag,
        environment_values,
        app,
        modules_root,
        process_env: Default::default(),
        http_services: http_services.0.keys().cloned().collect(),
        extensions: {
            let mut e = engine::Extensions::default();
            e.insert(auth);
            e.insert(triggers);
            e.insert(change_triggers);
            e.insert(rules);
            e.insert(endpoints);
            e.insert(third_party);
            e.insert(http_services);
            e.insert(graphql);
            e.insert(log_forwarders);
            e.insert(uninstalled);
            if let Some(h) = hosting {
                e.insert(h);
            }
            e
        },
    })
}
