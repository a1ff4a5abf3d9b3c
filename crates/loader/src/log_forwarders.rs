//! Log forwarders (`log_forwarders/<name>.json`): App Services sent the app's logs of the
//! types and statuses a forwarder lists to a collection or to an app function, one at a time
//! or in batches of up to 100.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::Loader;

/// The log types a forwarder may list, as App Services named them.
pub const LOG_TYPES: [&str; 10] = [
    "auth",
    "endpoint",
    "function",
    "graphql",
    "push",
    "schema",
    "service",
    "sync",
    "trigger",
    "trigger_error_handler",
];

/// The app's enabled log forwarders.
#[derive(Debug, Clone, Default)]
pub struct LogForwarders(pub Vec<LogForwarder>);

/// One log forwarder.
#[derive(Debug, Clone)]
pub struct LogForwarder {
    /// Its name.
    pub name: String,
    /// The log types it forwards (`function`, `auth`, ...).
    pub types: BTreeSet<String>,
    /// Whether it forwards successful operations' logs.
    pub success: bool,
    /// Whether it forwards failed operations' logs.
    pub error: bool,
    /// Batches of up to 100 logs (`policy.type` `batch`) instead of one log at a time.
    pub batch: bool,
    /// Where the logs go.
    pub action: ForwardTo,
}

impl LogForwarder {
    /// Whether it forwards a log of `kind` whose operation succeeded (`ok`) or failed.
    pub fn wants(&self, kind: &str, ok: bool) -> bool {
        self.types.contains(kind) && if ok { self.success } else { self.error }
    }
}

/// Where a forwarder sends logs.
#[derive(Debug, Clone)]
pub enum ForwardTo {
    /// Inserted into a collection of the app's data source.
    Collection {
        /// The data source (`mongodb-atlas`).
        data_source: String,
        /// The database.
        database: String,
        /// The collection.
        collection: String,
    },
    /// Passed to an app function as an array of log documents.
    Function {
        /// The function's name.
        name: String,
    },
}

#[derive(Deserialize)]
struct File {
    name: String,
    #[serde(default)]
    log_types: Vec<String>,
    #[serde(default)]
    log_statuses: Vec<String>,
    #[serde(default)]
    policy: Option<Policy>,
    action: Action,
    #[serde(default)]
    disabled: bool,
}

#[derive(Deserialize)]
struct Policy {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Action {
    #[serde(rename = "type")]
    kind: String,
    data_source: Option<String>,
    database: Option<String>,
    collection: Option<String>,
    name: Option<String>,
}

impl Loader<'_> {
    /// Reads `log_forwarders/*.json`; a forwarder's function must be one of `functions`.
    pub(crate) fn log_forwarders(&mut self, functions: &impl Fn(&str) -> bool) -> LogForwarders {
        let mut out = Vec::new();
        for path in crate::json_files(&self.root.join("log_forwarders")) {
            let Some(file) = self.json::<File>(&path) else {
                continue;
            };
            match self.forwarder(file, functions) {
                Ok(Some(f)) => out.push(f),
                Ok(None) => {}
                Err(e) => self.problem(&path, None, e),
            }
        }
        LogForwarders(out)
    }

    fn forwarder(
        &self,
        file: File,
        functions: &impl Fn(&str) -> bool,
    ) -> Result<Option<LogForwarder>, String> {
        if file.disabled {
            return Ok(None);
        }
        if file.log_types.is_empty() {
            return Err("log_types must list at least one log type".into());
        }
        if let Some(t) = file.log_types.iter().find(|t| !LOG_TYPES.contains(&t.as_str())) {
            return Err(format!(
                "'{t}' is not a log type (one of {})",
                LOG_TYPES.join(", ")
            ));
        }
        if file.log_statuses.is_empty() {
            return Err("log_statuses must list \"success\", \"error\" or both".into());
        }
        if let Some(s) = file
            .log_statuses
            .iter()
            .find(|s| *s != "success" && *s != "error")
        {
            return Err(format!("'{s}' is not a log status (\"success\" or \"error\")"));
        }
        let batch = match file.policy.as_ref().map(|p| p.kind.as_str()) {
            None | Some("single") => false,
            Some("batch") => true,
            Some(other) => return Err(format!("policy type '{other}' is not \"single\" or \"batch\"")),
        };
        let a = file.action;
        let action = match a.kind.as_str() {
            "collection" => {
                let (Some(data_source), Some(database), Some(collection)) =
                    (a.data_source, a.database, a.collection)
                else {
                    return Err("a collection action needs data_source, database and collection".into());
                };
                if !self.root.join("data_sources").join(&data_source).is_dir() {
                    return Err(format!("the data source '{data_source}' does not exist"));
                }
                if let Some(reason) = bridge::rules::reserved(&database, &collection) {
                    return Err(reason);
                }
                ForwardTo::Collection {
                    data_source,
                    database,
                    collection,
                }
            }
            "function" => {
                let name = a.name.ok_or("a function action needs the function's name")?;
                if !functions(&name) {
                    return Err(format!("the function '{name}' does not exist"));
                }
                ForwardTo::Function { name }
            }
            other => {
                return Err(format!(
                    "action type '{other}' is not \"collection\" or \"function\""
                ));
            }
        };
        Ok(Some(LogForwarder {
            name: file.name,
            types: file.log_types.into_iter().collect(),
            success: file.log_statuses.iter().any(|s| s == "success"),
            error: file.log_statuses.iter().any(|s| s == "error"),
            batch,
            action,
        }))
    }
}
