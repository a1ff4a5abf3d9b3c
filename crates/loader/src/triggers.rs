//! `triggers/*.json`: authentication triggers (CREATE / LOGIN / DELETE), database triggers
//! (change events) and scheduled triggers (CRON), all run by the server. Triggers that send
//! events to AWS EventBridge are listed by [`crate::inventory`] as not supported.

use std::str::FromStr as _;

use bson::Document;
use serde::Deserialize;

use crate::Loader;

/// The authentication triggers of an app, attached to the deployment for the server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthTriggers(pub Vec<AuthTrigger>);

impl AuthTriggers {
    /// The enabled triggers for `operation` (`CREATE`, `LOGIN`, `DELETE`) by `provider_type`.
    pub fn matching<'a>(
        &'a self,
        operation: &'a str,
        provider_type: &'a str,
    ) -> impl Iterator<Item = &'a AuthTrigger> {
        self.0.iter().filter(move |t| {
            !t.disabled
                && t.operation == operation
                && (t.providers.is_empty() || t.providers.iter().any(|p| p == provider_type))
        })
    }
}

/// One authentication trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthTrigger {
    /// The trigger's name.
    pub name: String,
    /// `CREATE`, `LOGIN` or `DELETE`.
    pub operation: String,
    /// Provider types it fires for (empty: all).
    pub providers: Vec<String>,
    /// The function it runs, as system, with the auth event.
    pub function: String,
    /// A disabled trigger does not fire.
    pub disabled: bool,
}

/// The database and scheduled triggers of an app, attached to the deployment for the server.
#[derive(Debug, Clone, Default)]
pub struct ChangeTriggers {
    /// Database triggers, in file order.
    pub database: Vec<DatabaseTrigger>,
    /// Scheduled triggers, in file order.
    pub scheduled: Vec<ScheduledTrigger>,
}

/// One database trigger: a function run (as system) for change events.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseTrigger {
    /// The trigger's name (its resume point is kept under it).
    pub name: String,
    /// The function it runs with each event.
    pub function: String,
    /// The data source (`mongodb-atlas`).
    pub service: String,
    /// The database it watches; `None`: every database (a deployment trigger).
    pub database: Option<String>,
    /// The collection it watches; `None`: every collection of the database.
    pub collection: Option<String>,
    /// Event types, as events name them (`insert`, `update`, `replace`, `delete`).
    pub operation_types: Vec<String>,
    /// A `$match` on the event; empty: every event.
    pub filter: Document,
    /// A `$project` on the event; empty: the whole event.
    pub project: Document,
    /// Updates carry the document after the change (`fullDocument`).
    pub full_document: bool,
    /// Events carry the document before the change (`fullDocumentBeforeChange`).
    pub full_document_before_change: bool,
    /// Start from now after a restart instead of delivering what was missed.
    pub skip_catchup_events: bool,
    /// When the resume point is lost, start from now instead of suspending.
    pub tolerate_resume_errors: bool,
    /// Events may run concurrently and out of order.
    pub unordered: bool,
    /// A disabled trigger does not run.
    pub disabled: bool,
}

/// One scheduled trigger.
#[derive(Debug, Clone)]
pub struct ScheduledTrigger {
    /// The trigger's name (its last run is kept under it).
    pub name: String,
    /// The function it runs, without arguments.
    pub function: String,
    /// The 5-field CRON schedule, in UTC, as written.
    pub schedule: String,
    /// The schedule, parsed.
    pub cron: croner::Cron,
    /// After a restart, skip the runs missed while writ was down instead of running once.
    pub skip_catchup_events: bool,
    /// A disabled trigger does not run.
    pub disabled: bool,
}

impl ScheduledTrigger {
    /// The first scheduled time strictly after `after`.
    pub fn next_after(&self, after: chrono::DateTime<chrono::Utc>) -> Option<chrono::DateTime<chrono::Utc>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }

    /// The last scheduled time at or before `at`.
    pub fn last_at_or_before(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        self.cron.find_previous_occurrence(&at, true).ok()
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct TriggerFile {
    pub name: String,
    #[serde(rename = "type")]
    pub trigger_type: String,
    #[serde(default)]
    config: serde_json::Value,
    #[serde(default)]
    function_name: Option<String>,
    #[serde(default)]
    pub event_processors: serde_json::Value,
    #[serde(default)]
    disabled: bool,
}

/// Collection and database (DDL) operation types: accepted in a trigger, never delivered by
/// writ (the embedded store has no DDL a function can start; change streams on MongoDB would
/// need `showExpandedEvents`).
pub(crate) const DDL_TYPES: [&str; 10] = [
    "CREATE_COLLECTION",
    "MODIFY_COLLECTION",
    "RENAME_COLLECTION",
    "DROP_COLLECTION",
    "SHARD_COLLECTION",
    "RESHARD_COLLECTION",
    "REFINE_COLLECTION_SHARD_KEY",
    "CREATE_INDEXES",
    "DROP_INDEXES",
    "DROP_DATABASE",
];

impl TriggerFile {
    /// Why writ cannot run this database trigger at all (its `match` or `project` uses what the
    /// store cannot evaluate), if it cannot.
    pub fn unsupported_part(&self) -> Option<String> {
        let part = |key: &str| -> Option<Document> {
            self.config
                .get(key)
                .filter(|v| !v.is_null())
                .and_then(|v| bson::Bson::try_from(v.clone()).ok())
                .and_then(|b| b.as_document().cloned())
        };
        if let Some(filter) = part("match")
            && let Err(store::StoreError::Unsupported(what)) = store::Filter::parse(&filter)
        {
            return Some(format!("its match uses {what}"));
        }
        if let Some(project) = part("project")
            && let Err(store::StoreError::Unsupported(what)) = store::Projection::parse(&project)
        {
            return Some(format!("its project uses {what}"));
        }
        None
    }

    /// The DDL operation types the trigger names (which writ does not deliver).
    pub fn ddl_types(&self) -> Vec<String> {
        self.config
            .get("operation_types")
            .and_then(|o| o.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .filter(|op| DDL_TYPES.contains(op))
            .map(String::from)
            .collect()
    }

    /// The function the trigger runs, if it runs one.
    pub fn function(&self) -> Option<String> {
        self.function_name
            .clone()
            .or_else(|| {
                self.event_processors
                    .pointer("/FUNCTION/config/function_name")
                    .and_then(|f| f.as_str())
                    .map(String::from)
            })
            .filter(|f| !f.is_empty())
    }
}

impl Loader<'_> {
    /// Reads every trigger file: authentication, database and scheduled triggers.
    pub(crate) fn triggers(
        &mut self,
        functions: &std::collections::BTreeMap<String, engine::FunctionSpec>,
    ) -> (AuthTriggers, ChangeTriggers) {
        let mut auth = Vec::new();
        let mut changes = ChangeTriggers::default();
        for path in crate::json_files(&self.root.join("triggers")) {
            let Some(file) = self.json::<TriggerFile>(&path) else {
                continue;
            };
            if !["AUTHENTICATION", "DATABASE", "SCHEDULED"].contains(&file.trigger_type.as_str()) {
                self.problem(
                    &path,
                    None,
                    format!("unknown trigger type '{}'", file.trigger_type),
                );
                continue;
            }
            if file.function().is_none() && file.event_processors.get("AWS_EVENTBRIDGE").is_some() {
                continue; // listed by the inventory as unsupported
            }
            let Some(function) = file.function() else {
                self.problem(&path, None, "the trigger names no function (function_name)");
                continue;
            };
            if !functions.contains_key(&function) {
                self.problem(
                    &path,
                    None,
                    format!("the trigger's function '{function}' does not exist"),
                );
                continue;
            }
            match file.trigger_type.as_str() {
                "AUTHENTICATION" => {
                    if let Some(t) = self.auth_trigger(&path, &file, function) {
                        auth.push(t);
                    }
                }
                "DATABASE" => {
                    if let Some(t) = self.database_trigger(&path, &file, function) {
                        changes.database.push(t);
                    }
                }
                _ => {
                    if let Some(t) = self.scheduled_trigger(&path, &file, function) {
                        changes.scheduled.push(t);
                    }
                }
            }
        }
        (AuthTriggers(auth), changes)
    }

    fn auth_trigger(
        &mut self,
        path: &std::path::Path,
        file: &TriggerFile,
        function: String,
    ) -> Option<AuthTrigger> {
        let operation = file
            .config
            .get("operation_type")
            .and_then(|o| o.as_str())
            .unwrap_or_default()
            .to_string();
        if !["CREATE", "LOGIN", "DELETE"].contains(&operation.as_str()) {
            self.problem(
                path,
                None,
                format!("operation_type must be CREATE, LOGIN or DELETE, not '{operation}'"),
            );
            return None;
        }
        let providers = file
            .config
            .get("providers")
            .and_then(|p| p.as_array())
            .map(|a| a.iter().filter_map(|p| p.as_str().map(String::from)).collect())
            .unwrap_or_default();
        Some(AuthTrigger {
            name: file.name.clone(),
            operation,
            providers,
            function,
            disabled: file.disabled,
        })
    }

    fn database_trigger(
        &mut self,
        path: &std::path::Path,
        file: &TriggerFile,
        function: String,
    ) -> Option<DatabaseTrigger> {
        let c = &file.config;
        let text = |k: &str| {
            c.get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let flag = |k: &str| c.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        let mut operation_types = Vec::new();
        for op in c
            .get("operation_types")
            .and_then(|o| o.as_array())
            .into_iter()
            .flatten()
        {
            let op = op.as_str().unwrap_or_default();
            match op {
                "INSERT" | "UPDATE" | "REPLACE" | "DELETE" => operation_types.push(op.to_ascii_lowercase()),
                // Collection and database events: the trigger loads and gets its other
                // events (`writ check` says these are not delivered; see `ddl_types`).
                ddl if DDL_TYPES.contains(&ddl) => {}
                other => {
                    self.problem(path, None, format!("unknown operation type '{other}'"));
                    return None;
                }
            }
        }
        if operation_types.is_empty() && file.ddl_types().is_empty() {
            self.problem(path, None, "operation_types names no operation");
            return None;
        }
        let document = |k: &str, this: &mut Self| -> Option<Document> {
            match c.get(k) {
                None | Some(serde_json::Value::Null) => Some(Document::new()),
                Some(v) => match bson::Bson::try_from(v.clone()) {
                    Ok(bson::Bson::Document(d)) => Some(d),
                    _ => {
                        this.problem(path, None, format!("'{k}' must be an object"));
                        None
                    }
                },
            }
        };
        let filter = document("match", self)?;
        match store::Filter::parse(&filter) {
            // What writ cannot evaluate leaves this trigger out (`writ check` lists it as
            // unsupported, see `unsupported_part`), not the whole app.
            Err(store::StoreError::Unsupported(_)) => return None,
            Err(e) => {
                self.problem(path, None, format!("match: {e}"));
                return None;
            }
            Ok(_) => {}
        }
        let project = document("project", self)?;
        match store::Projection::parse(&project) {
            Err(store::StoreError::Unsupported(_)) => return None,
            Err(e) => {
                self.problem(path, None, format!("project: {e}"));
                return None;
            }
            Ok(_) => {}
        }
        let database = text("database");
        let collection = text("collection");
        if collection.is_some() && database.is_none() {
            self.problem(path, None, "a collection needs its database");
            return None;
        }
        Some(DatabaseTrigger {
            name: file.name.clone(),
            function,
            service: text("service_name").unwrap_or_else(|| "mongodb-atlas".into()),
            database,
            collection,
            operation_types,
            filter,
            project,
            full_document: flag("full_document"),
            full_document_before_change: flag("full_document_before_change"),
            skip_catchup_events: flag("skip_catchup_events"),
            tolerate_resume_errors: flag("tolerate_resume_errors"),
            unordered: flag("unordered"),
            disabled: file.disabled,
        })
    }

    fn scheduled_trigger(
        &mut self,
        path: &std::path::Path,
        file: &TriggerFile,
        function: String,
    ) -> Option<ScheduledTrigger> {
        let schedule = file
            .config
            .get("schedule")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .trim()
            .to_string();
        if schedule.split_whitespace().count() != 5 {
            self.problem(
                path,
                None,
                format!("schedule must be a 5-field CRON expression, not '{schedule}'"),
            );
            return None;
        }
        let cron = match croner::Cron::from_str(&schedule) {
            Ok(c) => c,
            Err(e) => {
                self.problem(path, None, format!("schedule '{schedule}': {e}"));
                return None;
            }
        };
        Some(ScheduledTrigger {
            name: file.name.clone(),
            function,
            schedule,
            cron,
            skip_catchup_events: file
                .config
                .get("skip_catchup_events")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            disabled: file.disabled,
        })
    }
}
