//! The plain, `Send` values that cross between the engine's callers and its worker threads.
//!
//! Nothing here holds a Boa value: arguments and results are BSON, logs are strings. That is what
//! lets a call travel from an async HTTP handler to a worker thread and back.

use std::{
    any::{Any, TypeId},
    collections::{BTreeMap, HashMap},
    fmt,
    sync::Arc,
    time::Duration,
};

use bson::{Bson, Document};
use serde::{Deserialize, Serialize};

/// Who a function runs as: the `context.user` of App Services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user's id (the hex string of an ObjectId for app users); empty for the system user.
    pub id: String,
    /// `normal`, `server` or `system`.
    pub user_type: UserType,
    /// Metadata merged from the user's identities (email, name, ...).
    #[serde(with = "crate::raw_serde::document")]
    pub data: Document,
    /// The custom user data document as of the caller's access token.
    #[serde(with = "crate::raw_serde::document")]
    pub custom_data: Document,
    /// One entry per linked authentication provider.
    pub identities: Vec<Identity>,
}

impl User {
    /// The system user: bypasses rules, has no id and no metadata.
    pub fn system() -> Self {
        Self {
            id: String::new(),
            user_type: UserType::System,
            data: Document::new(),
            custom_data: Document::new(),
            identities: Vec::new(),
        }
    }

    /// An app user with the given id and no metadata, as `writ call --user-id` builds it.
    pub fn normal(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            user_type: UserType::Normal,
            data: Document::new(),
            custom_data: Document::new(),
            identities: Vec::new(),
        }
    }
}

/// The kind of user, as App Services names it in `context.user.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserType {
    /// An application user logged in through any provider except API keys.
    Normal,
    /// A user authenticated with a server API key.
    Server,
    /// The system user, which bypasses all rules.
    System,
}

impl UserType {
    /// The name App Services uses for this user type.
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Normal => "normal",
            UserType::Server => "server",
            UserType::System => "system",
        }
    }
}

/// One linked authentication provider identity of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The identity's id within its provider.
    pub id: String,
    /// The provider type, e.g. `local-userpass` or `anon-user`.
    pub provider_type: String,
    /// Provider-specific data.
    #[serde(with = "crate::raw_serde::document")]
    pub data: Document,
}

/// What `context.request` shows a function about the request that called it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestInfo {
    /// The caller's IP address.
    pub remote_ip_address: String,
    /// Request headers, each name mapped to all of its values.
    pub request_headers: BTreeMap<String, Vec<String>>,
    /// The raw query string, without any `secret=` pair.
    pub raw_query_string: String,
    /// The `Referer` header, if any.
    pub http_referrer: Option<String>,
    /// The `User-Agent` header, if any.
    pub http_user_agent: Option<String>,
    /// The service the call addressed (empty for plain function calls).
    pub service: String,
    /// The action performed (the function or service operation name).
    pub action: String,
    /// An HTTPS endpoint's call: the request's method.
    #[serde(default)]
    pub http_method: Option<String>,
    /// An HTTPS endpoint's call: the endpoint's URL.
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// One function call handed to the engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invocation {
    /// The function's name as in `functions/config.json` (e.g. `utils/add`).
    pub function: String,
    /// Positional arguments.
    #[serde(with = "crate::raw_serde::values")]
    pub args: Vec<Bson>,
    /// The calling user (`context.user`).
    pub user: User,
    /// Run with system privileges regardless of the function's configuration.
    pub run_as_system: bool,
    /// Information about the calling request, if the call came over HTTP.
    pub request: Option<RequestInfo>,
    /// An HTTPS endpoint's call: the function also gets a `response` object, and the outcome
    /// is `{result, response: {statusCode, headers, body}}`.
    #[serde(default)]
    pub endpoint: bool,
    /// The wall-clock limit for this call; `None` uses the engine's configured limit.
    #[serde(skip)]
    pub time_limit: Option<Duration>,
    /// Kept alive until the engine is done with the call (see [`Hold`]).
    #[serde(skip)]
    pub hold: Option<Hold>,
}

/// Something a caller keeps alive for exactly as long as the engine works on its call: until
/// a worker has finished it (or skipped it), even when the caller stopped waiting. A cap on
/// calls in flight holds its slot this way, so hanging up does not free a slot whose call
/// still runs.
#[derive(Clone)]
pub struct Hold(pub Arc<dyn std::any::Any + Send + Sync>);

impl std::fmt::Debug for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hold")
    }
}

impl Invocation {
    /// A call of `function` with `args` by `user`, with default limits and no request.
    pub fn new(function: impl Into<String>, args: Vec<Bson>, user: User) -> Self {
        Self {
            function: function.into(),
            args,
            user,
            run_as_system: false,
            request: None,
            endpoint: false,
            time_limit: None,
            hold: None,
        }
    }
}

/// The level of one captured `console` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogLevel {
    /// `console.log`, `console.info` and `console.debug`.
    Info,
    /// `console.warn`.
    Warn,
    /// `console.error`, and rejected host operations nobody awaited.
    Error,
}

/// One line a function logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// How severe the line is.
    pub level: LogLevel,
    /// The formatted arguments, separated by spaces as Node does.
    pub message: String,
}

/// A JavaScript exception that ended a call: the user's error, reported as a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsException {
    /// The error's `name` (`Error`, `TypeError`, ...), or `Error` for thrown non-errors.
    pub name: String,
    /// The error's `message`, or the thrown value as a string.
    pub message: String,
    /// The stack trace as the engine reports it, possibly empty.
    pub stack: String,
    /// The error's `code` property, if it had one (driver errors carry MongoDB's numeric code).
    #[serde(with = "crate::raw_serde::option_value")]
    pub code: Option<Bson>,
}

impl std::fmt::Display for JsException {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

/// The result of a call that ran: its value or the exception it threw, and what it logged.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The function's return value (promises awaited) or the exception it ended with.
    pub result: Result<Bson, JsException>,
    /// Every `console` line, in order.
    pub logs: Vec<LogLine>,
    /// Time from the start of execution to the end of the drain.
    pub elapsed: Duration,
}

/// The configuration of one function, as `functions/config.json` declares it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionConfig {
    /// Not callable by clients when true; other functions can still execute it.
    pub private: bool,
    /// Runs with system privileges whoever calls it.
    pub run_as_system: bool,
    /// Runs as this user id, if set.
    pub run_as_user_id: Option<String>,
    /// Runs as the user id this script (run as system) returns, if set.
    #[serde(default)]
    pub run_as_user_id_script_source: Option<String>,
    /// A rule expression evaluated before each client call (kept as JSON for the server).
    pub can_evaluate: Option<serde_json::Value>,
    /// Leave the arguments out of call logs.
    pub disable_arg_logs: bool,
}

/// One function of a deployment: its source and its configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionSpec {
    /// The function's name (`utils/add` for `functions/utils/add.js`).
    pub name: String,
    /// The file's path as reported in errors.
    pub path: String,
    /// The file's JavaScript source, as written.
    pub source: String,
    /// Its `config.json` entry.
    pub config: FunctionConfig,
}

/// What `context.app` reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppInfo {
    /// The internal app id.
    pub id: String,
    /// The client app id (`myapp-abcde`).
    pub client_app_id: String,
    /// The app's name.
    pub name: String,
    /// The project id.
    pub project_id: String,
    /// The deployment model (`LOCAL` or `GLOBAL`).
    pub deployment_model: String,
    /// The provider region.
    pub provider_region: String,
    /// When the deployment was made, as an ISO 8601 string.
    pub last_deployed: String,
}

/// An immutable set of functions and the values they see; a new load produces a new one.
#[derive(Debug, Clone, Default)]
pub struct Deployment {
    /// Every function by name.
    pub functions: BTreeMap<String, FunctionSpec>,
    /// `context.values`: static values by name.
    pub values: BTreeMap<String, Bson>,
    /// `context.environment.tag`.
    pub environment_tag: String,
    /// `context.environment.values`.
    pub environment_values: Document,
    /// `context.app`.
    pub app: AppInfo,
    /// The app's `functions/node_modules` directory (canonical), where `require` finds
    /// packages; `None` when the app has none.
    pub modules_root: Option<String>,
    /// `process.env` as every call starts with it: empty unless the operator configured
    /// variables for functions (`--function-env`); a call may change its own copy.
    pub process_env: BTreeMap<String, String>,
    /// The app's third-party HTTP services: `context.services.get(name)` of one is an HTTP
    /// client whose requests the server checks against that service's rules.
    pub http_services: Vec<String>,
    /// Typed parts of the app that services and the server read per call (data-access rules,
    /// auth configuration); they change with the deployment, atomically.
    pub extensions: Extensions,
}

/// A map from type to one shared value of that type, attached to a [`Deployment`].
#[derive(Clone, Default)]
pub struct Extensions(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl Extensions {
    /// Attaches `value`, replacing any earlier value of the same type.
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        self.0.insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The attached value of type `T`, if any.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.0.get(&TypeId::of::<T>()).and_then(|v| v.downcast_ref())
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Extensions({} attached)", self.0.len())
    }
}

/// A deployment shared by the callers and every worker.
pub type SharedDeployment = Arc<Deployment>;
