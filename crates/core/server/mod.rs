//! `writ serve`: the App Services client HTTP API (`/api/client/v2.0/...`) over the engine,
//! the bridge and the user store.
//!
//! [`app`] builds the router from a [`State`] (tests drive it without a socket); [`serve`]
//! loads the app, opens the store, starts the engine and the file watcher, and listens.
//! Every error leaves through [`ApiError`] as `{error, error_code}`; every response, errors
//! and preflights included, carries CORS headers.

mod api_keys;
mod auth_functions;
mod callers;
pub mod control;
mod data_api;
mod endpoints;
mod error;
mod extract;
mod facebook;
mod formats;
mod forward;
mod functions;
mod graphql;
mod hooks;
mod hosting;
mod identity;
mod key_sets;
mod linking;
mod listen;
mod logins;
mod oauth;
mod passwords;
mod reload;
pub(crate) mod rule_functions;
mod sessions;
mod throttle;
mod tokens;
pub mod triggers;
mod userpass;
pub(crate) mod users;
mod watch;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context as _;
use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    http::{HeaderMap, Method, header},
    routing::{any, delete, get, post, put},
};
use bridge::Executor;
use engine::{Deployment, Engine, EngineConfig};
pub use error::ApiError;
pub use extract::parse_body;
pub use functions::canonical;
pub use throttle::{IsolationMode, LimitOptions, Rate, function_env};
use tower_http::{catch_panic::CatchPanicLayer, cors::CorsLayer};
use users::Users;

/// App Services' request size limit.
const MAX_REQUEST_BYTES: usize = 18 * 1024 * 1024;

/// Everything a request handler needs; shared by all requests.
pub struct State {
    /// The client app id clients address (`/app/{appId}/...`) and tokens are issued for.
    pub app_id: String,
    /// The function engine.
    pub engine: Engine,
    /// The data source behind `mongodb-atlas` (MongoDB or the embedded store).
    pub data: Arc<dyn Executor>,
    /// The data source's service name.
    pub service: String,
    /// Users and sessions.
    users: Users,
    /// Access token issuing and checking.
    tokens: tokens::Tokens,
    /// Access tokens already verified.
    callers: callers::Callers,
    /// The public origin for the location response; `None` uses the request's `Host`.
    pub public_url: Option<String>,
    /// The key `custom-token` logins are verified with (HS256), if that provider is configured.
    pub custom_token_key: Option<jsonwebtoken::DecodingKey>,
    /// The identity providers' published keys (Apple, Google, a custom JWT `jwkURI`).
    key_sets: key_sets::KeySets,
    /// Browser OAuth 2.0 logins waiting for the provider's answer.
    oauth: oauth::Flows,
    /// Throttles of logins and new users.
    limits: throttle::Limits,
    /// Password hashing threads.
    passwords: passwords::Passwords,
    /// Calls in flight per user and per client address.
    in_flight: Arc<throttle::InFlight>,
    /// Database and scheduled triggers.
    triggers: triggers::Runner,
    /// Change streams (`watch`) open per user and per client address.
    streams: Arc<throttle::InFlight>,
    /// `process.env` for functions, set on every deployment.
    process_env: std::collections::BTreeMap<String, String>,
    /// Where the functions rules call (`%function`) run.
    rule_engine: rule_functions::RuleEngine,
    /// The log forwarders of the current deployment.
    forwarders: forward::Forwarders,
}

impl State {
    /// The deployment new requests run on: the engine's, the one copy there is. A request
    /// reads it once and uses that snapshot throughout, its function call included.
    pub fn deployment(&self) -> Arc<Deployment> {
        self.engine.deployment()
    }

    /// Makes `deployment` the one new requests and calls run on; calls in flight finish on theirs.
    pub fn deploy(&self, mut deployment: Deployment) {
        deployment.process_env = self.process_env.clone();
        graphql::attach(&mut deployment, &self.service);
        if let Err(e) = self.rule_engine.attach(&mut deployment) {
            // Rules that call functions then fail closed.
            tracing::error!("{e:#}");
        }
        self.engine.deploy(Arc::new(deployment));
    }
}

/// How `writ serve` runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The app directory.
    pub app: PathBuf,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The client app id; defaults to the app's `client_app_id` or name.
    pub app_id: Option<String>,
    /// The embedded store's directory, used when `mongodb_uri` is `None`.
    pub data: PathBuf,
    /// MongoDB's connection string; `None` selects the embedded store.
    pub mongodb_uri: Option<String>,
    /// The public origin clients reach writ at, for the location response.
    pub public_url: Option<String>,
    /// The access token signing secret; generated and stored when `None`.
    pub jwt_secret: Option<String>,
    /// How long access tokens are valid.
    pub access_token_ttl: Duration,
    /// The HS256 key that verifies `custom-token` logins.
    pub custom_token_key: Option<String>,
    /// Worker threads of the engine (0: four per core).
    pub workers: usize,
    /// Reload the app when its files change.
    pub watch: bool,
    /// Throttles and the password hashing bound.
    pub limits: LimitOptions,
}

/// Builds the router for `state`.
pub fn app(state: Arc<State>) -> Router {
    const APP: &str = "/api/client/v2.0/app/{app}";
    const AUTH: &str = "/api/client/v2.0/auth";
    let userpass = format!("{APP}/auth/providers/local-userpass");
    Router::new()
        .route(&format!("{APP}/location"), get(location))
        .route(
            &format!("{APP}/auth/providers/{{provider}}/login"),
            post(logins::login).get(oauth::start),
        )
        .route(oauth::CALLBACK, get(oauth::callback))
        .route(&format!("{userpass}/register"), post(userpass::register))
        .route(&format!("{userpass}/confirm"), post(userpass::confirm))
        .route(&format!("{userpass}/confirm/send"), post(userpass::confirm_send))
        .route(&format!("{userpass}/reset"), post(userpass::reset))
        .route(&format!("{userpass}/reset/send"), post(userpass::reset_send))
        .route(
            &format!("{userpass}/confirm/call"),
            post(auth_functions::confirm_call),
        )
        .route(
            &format!("{userpass}/reset/call"),
            post(auth_functions::reset_call),
        )
        .route(&format!("{AUTH}/profile"), get(sessions::profile))
        .route(
            &format!("{AUTH}/session"),
            post(sessions::refresh).delete(sessions::logout),
        )
        .route(&format!("{AUTH}/delete"), delete(sessions::delete_user))
        .route(
            &format!("{AUTH}/api_keys"),
            post(api_keys::create).get(api_keys::list),
        )
        .route(
            &format!("{AUTH}/api_keys/{{id}}"),
            get(api_keys::get).delete(api_keys::delete),
        )
        .route(&format!("{AUTH}/api_keys/{{id}}/enable"), put(api_keys::enable))
        .route(&format!("{AUTH}/api_keys/{{id}}/disable"), put(api_keys::disable))
        .route(
            &format!("{APP}/functions/call"),
            post(functions::call).get(watch::watch),
        )
        .route(
            &format!("{APP}/service/{{service}}/incoming_webhook/{{hook}}"),
            any(endpoints::webhook),
        )
        .route("/app/{app}/endpoint/{*route}", any(endpoints::endpoint))
        .route(&format!("{APP}/graphql"), any(graphql::serve))
        .route(&format!("{APP}/realm-sync"), any(hosting::not_run_sync))
        .route(&format!("{APP}/realm-sync/{{*rest}}"), any(hosting::not_run_sync))
        .fallback(hosting::fallback)
        .layer(axum::middleware::map_response(error::framework_errors))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::internal("request", "the handler panicked"))
        }))
        .layer(
            CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ])
                .allow_headers(tower_http::cors::Any),
        )
        .with_state(state)
}

/// The origin clients reach writ at: `--public-url`, or `http://` and the request's `Host`.
fn public_origin(state: &State, headers: &HeaderMap) -> Result<String, ApiError> {
    Ok(match &state.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .ok_or_else(|| ApiError::bad_request("BadRequest", "the request has no Host header"))?;
            format!("http://{host}")
        }
    })
}

/// `GET .../location`: where the client sends every later request.
async fn location(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    _: extract::ThisApp,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let hostname = public_origin(&state, &headers)?;
    let ws = hostname.replacen("http", "ws", 1);
    Ok(Json(serde_json::json!({
        "deployment_model": "GLOBAL",
        "location": "US-VA",
        "hostname": hostname,
        "ws_hostname": ws,
    })))
}

/// One line counting the entries of an app's inventory by status.
pub fn inventory_summary(entries: &[loader::Entry]) -> String {
    let count = |s: loader::Status| entries.iter().filter(|e| e.status == s).count();
    format!(
        "{} loaded, {} validated but not enforced, {} unsupported, {} ignored",
        count(loader::Status::Loaded),
        count(loader::Status::NotEnforced),
        count(loader::Status::Unsupported),
        count(loader::Status::Ignored),
    )
}

/// Logs what writ does not run or enforce in the app, once, at start.
fn log_inventory(app: &std::path::Path, environment: &str) {
    let entries = loader::inventory(app, environment);
    for e in &entries {
        match e.status {
            loader::Status::Unsupported | loader::Status::NotEnforced => {
                tracing::warn!(file = %e.file, "{}: {}", e.status.label(), e.note)
            }
            _ => {}
        }
    }
    tracing::info!("app files: {}", inventory_summary(&entries));
}

/// Builds the state for `options`: loads the app, opens the data source, starts the engine
/// and the triggers.
pub async fn state(options: &Options) -> anyhow::Result<Arc<State>> {
    state_with_clock(options, Arc::new(triggers::SystemClock)).await
}

/// [`state`] with triggers reading `clock` (tests move a [`triggers::ManualClock`]).
pub async fn state_with_clock(
    options: &Options,
    clock: Arc<dyn triggers::Clock>,
) -> anyhow::Result<Arc<State>> {
    let deployment = loader::load(&options.app).map_err(|e| anyhow::anyhow!("{e}"))?;
    log_inventory(&options.app, &deployment.environment_tag);
    for warning in loader::api_warnings(&deployment) {
        tracing::warn!("{warning}");
    }
    let app_id = options
        .app_id
        .clone()
        .unwrap_or_else(|| deployment.app.client_app_id.clone());
    let data: Arc<dyn Executor> = match &options.mongodb_uri {
        Some(uri) => Arc::new(
            bridge::DriverExecutor::connect(uri)
                .await
                .context("MONGODB_URI is not a valid connection string")?,
        ),
        None => {
            let cache = (options.limits.store_cache as usize).saturating_mul(1024 * 1024);
            let store = store::Store::open_with_cache(&options.data, cache)
                .with_context(|| format!("cannot open the embedded store in {}", options.data.display()))?;
            Arc::new(bridge::StoreExecutor::new(Arc::new(store)))
        }
    };
    let service = "mongodb-atlas".to_string();
    let mut config = EngineConfig {
        time_limit: Duration::from_secs(options.limits.function_timeout.max(1)),
        memory_limit: options.limits.function_memory.max(1).saturating_mul(1024 * 1024),
        isolation: isolation(&options.limits, &service, &options.app)?,
        calls_per_process: options.limits.calls_per_process as usize,
        ..EngineConfig::default()
    };
    if options.workers > 0 {
        config.workers = options.workers;
    }
    let in_flight = throttle::InFlight::new(&options.limits, config.workers);
    let http_timeout = config.time_limit;
    let services: Vec<Arc<dyn engine::host::HostService>> = vec![
        Arc::new(bridge::MongoService::new(service.clone(), data.clone())),
        Arc::new(
            outbound::HttpService::new(options.limits.http_policy(), http_timeout)
                .context("cannot start outbound HTTP")?,
        ),
    ];
    let runtime = tokio::runtime::Handle::current();
    let users = Users::new(data.clone(), &app_id);
    let rule_engine =
        rule_functions::RuleEngine::new(&config, services.clone(), runtime.clone(), users.clone());
    let engine = Engine::new(config, services, runtime)?;
    let tokens = tokens::Tokens::load(
        &users,
        options.jwt_secret.clone(),
        &app_id,
        options.access_token_ttl,
    )
    .await
    .map_err(|e| anyhow::anyhow!("cannot set up access tokens: {e}"))?;
    let passwords = passwords::Passwords::start(options.limits.password_hash_concurrency)
        .context("cannot start the password hashing threads")?;
    let state = Arc::new(State {
        app_id,
        engine,
        data,
        service,
        users,
        tokens,
        callers: callers::Callers::default(),
        public_url: options.public_url.clone(),
        custom_token_key: options
            .custom_token_key
            .as_ref()
            .map(|k| jsonwebtoken::DecodingKey::from_secret(k.as_bytes())),
        key_sets: key_sets::KeySets::new().context("cannot start the key set client")?,
        oauth: oauth::Flows::default(),
        limits: throttle::Limits::new(&options.limits),
        passwords,
        in_flight,
        triggers: triggers::Runner::new(clock, options.mongodb_uri.is_some()),
        streams: throttle::InFlight::with_caps(watch::STREAMS_PER_USER, watch::STREAMS_PER_ADDRESS),
        process_env: throttle::function_env(&options.limits.function_env)?,
        rule_engine,
        forwarders: Default::default(),
    });
    let data = state.data.clone();
    let deployment = tokio::task::spawn_blocking(move || {
        sessions::index_custom_data(data.as_ref(), &deployment);
        deployment
    })
    .await?;
    state.deploy(deployment);
    triggers::Runner::restart(&state);
    forward::Forwarders::restart(&state);
    Ok(state)
}

/// The stored user `id` of app `app_id` as a function sees it (`context.user`: type, profile,
/// identities, custom data), read from `data`; `None` when there is no such user.
pub async fn stored_user(
    data: Arc<dyn Executor>,
    deployment: &Deployment,
    app_id: &str,
    id: &str,
) -> anyhow::Result<Option<engine::User>> {
    let Ok(oid) = bson::oid::ObjectId::parse_str(id) else {
        anyhow::bail!("'{id}' is not a user id (24 hex digits)");
    };
    let users = Users::new(data.clone(), app_id);
    let Some(record) = users
        .user(&oid)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?
    else {
        return Ok(None);
    };
    let mut user = record.engine_user();
    if let Some(custom) = sessions::custom_data_in(data.as_ref(), deployment, &oid)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?
    {
        user.custom_data = custom;
    }
    Ok(Some(user))
}

/// Where the engine runs calls, as the options say: worker processes run this binary's
/// hidden `worker` command with the same services.
pub fn isolation(
    limits: &LimitOptions,
    service: &str,
    app: &std::path::Path,
) -> anyhow::Result<engine::Isolation> {
    if limits.isolation == throttle::IsolationMode::Thread {
        return Ok(engine::Isolation::Threads);
    }
    let _ = std::fs::create_dir_all(loader::modules_cache_root());
    let program = match &limits.worker_program {
        Some(p) => p.clone(),
        None => std::env::current_exe().context("cannot find this program to run workers")?,
    };
    Ok(engine::Isolation::Processes(engine::WorkerCommand {
        program,
        args: vec!["worker".into(), "--service".into(), service.into()],
        // What workers may read: the app's functions (npm packages) and unpacked archives
        // (created now, so archives unpacked later are beneath a root workers were given).
        read_roots: vec![
            std::fs::canonicalize(app)
                .unwrap_or_else(|_| app.to_path_buf())
                .join("functions"),
            loader::modules_cache_root(),
        ],
    }))
}

/// Runs `writ serve` until the process is stopped.
pub async fn serve(options: Options) -> anyhow::Result<()> {
    let state = state(&options).await?;
    let _watcher = if options.watch {
        Some(reload::watch(options.app.clone(), state.clone())?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let addr = listener.local_addr()?;
    let d = state.deployment();
    tracing::info!(
        app_id = %state.app_id,
        functions = d.functions.len(),
        "writ serving {} on http://{addr} (store: {})",
        options.app.display(),
        if options.mongodb_uri.is_some() { "MongoDB" } else { "embedded" },
    );
    // A line tests and scripts can wait for.
    println!("listening on http://{addr}");
    if options.mongodb_uri.is_none() {
        // `writ call` reaches this process here while it holds the store.
        control::listen(state.clone(), &options.data, options.app.clone()).await?;
    }
    listen::serve(listener, app(state), options.limits.connection_limits()).await?;
    Ok(())
}
