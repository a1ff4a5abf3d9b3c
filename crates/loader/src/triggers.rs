//! `triggers/*.json`: authentication triggers (CREATE / LOGIN / DELETE) run by the server.
//! Database and scheduled triggers are listed by [`crate::inventory`] as not supported.

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
    event_processors: serde_json::Value,
    #[serde(default)]
    disabled: bool,
}

impl TriggerFile {
    fn function(&self) -> Option<String> {
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
    /// Reads every trigger file; checks authentication triggers, leaves the others to the
    /// inventory.
    pub(crate) fn triggers(
        &mut self,
        functions: &std::collections::BTreeMap<String, engine::FunctionSpec>,
    ) -> AuthTriggers {
        let mut triggers = Vec::new();
        for path in crate::json_files(&self.root.join("triggers")) {
            let Some(file) = self.json::<TriggerFile>(&path) else {
                continue;
            };
            if file.trigger_type != "AUTHENTICATION" {
                continue;
            }
            let operation = file
                .config
                .get("operation_type")
                .and_then(|o| o.as_str())
                .unwrap_or_default()
                .to_string();
            if !["CREATE", "LOGIN", "DELETE"].contains(&operation.as_str()) {
                self.problem(
                    &path,
                    None,
                    format!("operation_type must be CREATE, LOGIN or DELETE, not '{operation}'"),
                );
                continue;
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
            let providers = file
                .config
                .get("providers")
                .and_then(|p| p.as_array())
                .map(|a| a.iter().filter_map(|p| p.as_str().map(String::from)).collect())
                .unwrap_or_default();
            triggers.push(AuthTrigger {
                name: file.name,
                operation,
                providers,
                function,
                disabled: file.disabled,
            });
        }
        AuthTriggers(triggers)
    }
}
