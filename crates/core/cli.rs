//! Command-line parsing and the commands behind it.

use std::{path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use anyhow::{Context as _, bail};
use bson::Bson;
use clap::{Parser, Subcommand};
use engine::{Engine, EngineConfig, Invocation, User, host::HostService};

/// writ: a self-hosted runtime for App Services functions.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of `Serve` costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Serves the app over the App Services client API, so Realm SDK clients can use it.
    Serve {
        /// The app directory.
        #[arg(long, default_value = ".", env = "WRIT_APP")]
        app: PathBuf,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "WRIT_LISTEN")]
        listen: std::net::SocketAddr,
        /// The client app id clients use; defaults to the app's client_app_id or name.
        #[arg(long, env = "WRIT_APP_ID")]
        app_id: Option<String>,
        /// The embedded store's directory, used when MONGODB_URI is not set.
        #[arg(long, default_value = ".writ/data", env = "WRIT_DATA")]
        data: PathBuf,
        /// The public origin clients reach writ at (default: http://<Host header>).
        #[arg(long, env = "WRIT_PUBLIC_URL")]
        public_url: Option<String>,
        /// The secret access tokens are signed with (default: generated and stored).
        #[arg(long, env = "WRIT_JWT_SECRET", hide_env_values = true)]
        jwt_secret: Option<String>,
        /// How long access tokens are valid, in seconds.
        #[arg(long, default_value_t = 1800)]
        access_token_ttl: u64,
        /// The HS256 key custom-token (JWT) logins are verified with.
        #[arg(long, env = "WRIT_CUSTOM_TOKEN_KEY", hide_env_values = true)]
        custom_token_key: Option<String>,
        /// Engine workers: processes, or threads with `--isolation thread` (default: four per core).
        #[arg(long, env = "WRIT_WORKERS", default_value_t = 0)]
        workers: usize,
        /// Do not reload the app when its files change.
        #[arg(long)]
        no_watch: bool,
        #[command(flatten)]
        limits: crate::server::LimitOptions,
    },
    /// Runs one function and prints its result as EJSON, and its logs. When a running
    /// `writ serve` holds the data directory's store, the call runs in that server (its app,
    /// limits and outbound policy) through the directory's control socket.
    Call {
        /// The function's name, e.g. `hello` or `utils/greeting`.
        name: String,
        /// The arguments, as an EJSON array.
        #[arg(long, default_value = "[]")]
        args: String,
        /// Run as this stored user (type, profile, identities and custom data loaded as
        /// `writ serve` would) instead of the system user.
        #[arg(long)]
        user_id: Option<String>,
        /// Run as the user this JSON describes (`{"id", "type", "data", "custom_data",
        /// "identities"}`), for one that does not exist yet.
        #[arg(long)]
        user_json: Option<String>,
        /// The app directory.
        #[arg(long, default_value = ".", env = "WRIT_APP")]
        app: PathBuf,
        /// The call's time limit in seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        /// The embedded store's directory, used when MONGODB_URI is not set.
        #[arg(long, default_value = ".writ/data", env = "WRIT_DATA")]
        data: PathBuf,
        /// Let the function reach private, loopback and link-local addresses (HTTP, sockets, DNS).
        #[arg(long, env = "WRIT_HTTP_ALLOW_PRIVATE")]
        http_allow_private: bool,
        /// Variables the function finds in `process.env` (`NAME=VALUE`, or `NAME` for this
        /// process's value; repeatable or comma-separated).
        #[arg(long = "function-env", env = "WRIT_FUNCTION_ENV", value_delimiter = ',')]
        function_env: Vec<String>,
    },
    /// Runs one engine worker process (started by `writ serve`; speaks on its standard input
    /// and output).
    #[command(hide = true)]
    Worker {
        /// The names of the MongoDB services functions can get.
        #[arg(long)]
        service: Vec<String>,
    },
    /// Validates an app directory and lists every problem.
    Check {
        /// The app directory.
        #[arg(long, default_value = ".", env = "WRIT_APP")]
        app: PathBuf,
    },
    /// Manages the app's database and scheduled triggers.
    Trigger {
        #[command(subcommand)]
        action: TriggerAction,
    },
}

/// What `writ trigger` does.
#[derive(Debug, Subcommand)]
enum TriggerAction {
    /// Restarts a suspended trigger at the event it stopped at. On the embedded store, run it
    /// while `writ serve` is stopped (the store has one process); on MongoDB, at any time.
    Resume {
        /// The trigger's name.
        name: String,
        /// The app directory.
        #[arg(long, default_value = ".", env = "WRIT_APP")]
        app: PathBuf,
        /// The client app id, when `writ serve` is given one.
        #[arg(long, env = "WRIT_APP_ID")]
        app_id: Option<String>,
        /// The embedded store's directory, used when MONGODB_URI is not set.
        #[arg(long, default_value = ".writ/data", env = "WRIT_DATA")]
        data: PathBuf,
    },
}

/// Runs the command line and maps failures to a non-zero exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            app,
            listen,
            app_id,
            data,
            public_url,
            jwt_secret,
            access_token_ttl,
            custom_token_key,
            workers,
            no_watch,
            limits,
        } => serve(crate::server::Options {
            app,
            listen,
            app_id,
            data,
            mongodb_uri: std::env::var("MONGODB_URI").ok().filter(|u| !u.is_empty()),
            public_url,
            jwt_secret,
            access_token_ttl: Duration::from_secs(access_token_ttl),
            custom_token_key,
            workers,
            watch: !no_watch,
            limits,
        }),
        Command::Call {
            name,
            args,
            user_id,
            user_json,
            app,
            timeout,
            data,
            http_allow_private,
            function_env,
        } => call(
            &name,
            &args,
            user_id,
            user_json,
            &app,
            timeout,
            &data,
            http_allow_private,
            &function_env,
        ),
        Command::Check { app } => check(&app),
        Command::Trigger {
            action:
                TriggerAction::Resume {
                    name,
                    app,
                    app_id,
                    data,
                },
        } => resume_trigger(&name, &app, app_id, &data),
        Command::Worker { service } => {
            let mut services: Vec<_> = service.into_iter().map(bridge::MongoService::js).collect();
            services.push(outbound::HttpService::js());
            let code = engine::process::child::run(services);
            return ExitCode::from(u8::try_from(code).unwrap_or(1));
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Makes glibc map every allocation of 1 MiB or more on its own and unmap it when freed. By
/// default the threshold rises to 32 MiB as large blocks are freed, and the server's threads
/// each keep what the large documents of a query left in their heaps: after a few concurrent
/// reads of tens of megabytes the process stayed gigabytes above what it held.
fn large_allocations_go_back() {
    // SAFETY: mallopt only changes glibc's allocation policy; called before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

fn serve(options: crate::server::Options) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WRIT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours for a terminal only: log files and collectors get plain lines.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    large_allocations_go_back();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(crate::server::serve(options))?;
    Ok(ExitCode::SUCCESS)
}

fn resume_trigger(
    name: &str,
    app: &std::path::Path,
    app_id: Option<String>,
    data: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let deployment = loader::load(app).map_err(|e| anyhow::anyhow!("{e}"))?;
    let app_id = app_id.unwrap_or_else(|| deployment.app.client_app_id.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let executor = open_data(data).await?;
        if crate::server::triggers::resume(executor, &app_id, name).await? {
            println!("trigger {name} resumed: it restarts at the event it stopped at");
            Ok(ExitCode::SUCCESS)
        } else {
            bail!("trigger {name} is not suspended")
        }
    })
}

/// A user from `--user-json`.
fn user_from_json(text: &str) -> anyhow::Result<User> {
    let json: serde_json::Value = serde_json::from_str(text).context("--user-json is not valid JSON")?;
    let doc = match Bson::try_from(json).context("--user-json is not valid EJSON")? {
        Bson::Document(d) => d,
        _ => bail!("--user-json must be an object"),
    };
    let id = doc.get_str("id").context("--user-json needs an \"id\" string")?;
    let mut user = User::normal(id);
    if let Ok(t) = doc.get_str("type") {
        user.user_type = match t {
            "normal" => engine::UserType::Normal,
            "server" => engine::UserType::Server,
            other => bail!("--user-json: type must be normal or server, not '{other}'"),
        };
    }
    if let Ok(d) = doc.get_document("data") {
        user.data = d.clone();
    }
    if let Ok(d) = doc.get_document("custom_data") {
        user.custom_data = d.clone();
    }
    if let Ok(ids) = doc.get_array("identities") {
        for i in ids {
            let i = i
                .as_document()
                .context("--user-json: identities must be objects")?;
            user.identities.push(engine::Identity {
                id: i.get_str("id").unwrap_or_default().to_string(),
                provider_type: i.get_str("provider_type").unwrap_or_default().to_string(),
                data: i.get_document("data").cloned().unwrap_or_default(),
            });
        }
    }
    Ok(user)
}

fn parse_args(text: &str) -> anyhow::Result<Vec<Bson>> {
    let json: serde_json::Value = serde_json::from_str(text).context("--args is not valid JSON")?;
    match Bson::try_from(json).context("--args is not valid EJSON")? {
        Bson::Array(items) => Ok(items),
        _ => bail!("--args must be an EJSON array, e.g. '[1, \"two\"]'"),
    }
}

/// The data source: MongoDB at `MONGODB_URI`, or the embedded store in `data` when it is not set.
async fn open_data(data: &std::path::Path) -> anyhow::Result<Arc<dyn bridge::Executor>> {
    Ok(match std::env::var("MONGODB_URI") {
        Ok(uri) if !uri.is_empty() => Arc::new(
            bridge::DriverExecutor::connect(&uri)
                .await
                .context("MONGODB_URI is not a valid connection string")?,
        ),
        _ => {
            let store = store::Store::open(data).with_context(|| {
                format!(
                    "cannot open the embedded store in {} (a running writ serve holds it: stop it first)",
                    data.display()
                )
            })?;
            Arc::new(bridge::StoreExecutor::new(Arc::new(store)))
        }
    })
}

/// The host services functions get: `mongodb-atlas` on `executor`, and outbound HTTP.
fn services(
    executor: Arc<dyn bridge::Executor>,
    http: outbound::Policy,
) -> anyhow::Result<Vec<Arc<dyn HostService>>> {
    let http =
        outbound::HttpService::new(http, Duration::from_secs(300)).context("cannot start outbound HTTP")?;
    Ok(vec![
        Arc::new(bridge::MongoService::new("mongodb-atlas", executor)),
        Arc::new(http),
    ])
}

fn check(app: &std::path::Path) -> anyhow::Result<ExitCode> {
    let loaded = loader::load(app);
    let environment = loader::environment_tag(app, &loader::LoadOptions::from_env());
    let entries = loader::inventory(app, &environment);
    for entry in &entries {
        println!("{entry}");
    }
    println!("{}", crate::server::inventory_summary(&entries));
    match loaded {
        Ok(d) => {
            for warning in loader::api_warnings(&d) {
                println!("warning: {warning}");
            }
            println!("{}: ok, {} function(s)", app.display(), d.functions.len());
            for (name, f) in &d.functions {
                let private = if f.config.private { " (private)" } else { "" };
                println!("  {name}{private}  {}", f.path);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn call(
    name: &str,
    args: &str,
    user_id: Option<String>,
    user_json: Option<String>,
    app: &std::path::Path,
    timeout: u64,
    data: &std::path::Path,
    http_allow_private: bool,
    function_env: &[String],
) -> anyhow::Result<ExitCode> {
    let http = outbound::Policy {
        allow_private: http_allow_private,
        ..outbound::Policy::default()
    };
    let args = parse_args(args)?;
    let mut deployment = loader::load(app).map_err(|e| anyhow::anyhow!("{e}"))?;
    deployment.process_env = crate::server::function_env(function_env)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let limits = crate::server::LimitOptions::default();
    let config = EngineConfig {
        workers: 1,
        time_limit: Duration::from_secs(timeout),
        isolation: crate::server::isolation(&limits, "mongodb-atlas", app)?,
        ..EngineConfig::default()
    };
    let executor = match runtime.block_on(open_data(data)) {
        Ok(executor) => executor,
        // A running `writ serve` holds the store: the call runs there.
        Err(_) if data.join(crate::server::control::SOCKET).exists() => {
            // The server runs the call with its own settings; one given here would be ignored.
            if !function_env.is_empty() || http_allow_private {
                bail!(
                    "a running writ serve holds {}: the call would run there, with that server's \
                     --function-env and outbound policy; stop it, or give the server these options",
                    data.display()
                );
            }
            let request = crate::server::control::CallRequest {
                app: app.to_path_buf(),
                function: name.to_string(),
                args: Bson::Array(args).into_canonical_extjson(),
                user: user_json.as_deref().map(user_from_json).transpose()?,
                user_id,
            };
            let answer = runtime.block_on(crate::server::control::send(data, &request))?;
            return Ok(print_answer(answer));
        }
        Err(e) => return Err(e),
    };
    let user = match (user_id, user_json) {
        (Some(_), Some(_)) => bail!("give --user-id or --user-json, not both"),
        (Some(id), None) => {
            let app_id = deployment.app.client_app_id.clone();
            runtime
                .block_on(crate::server::stored_user(executor.clone(), &deployment, &app_id, &id))?
                .with_context(|| format!("no user with id {id} in this app's data (use --user-json for one that does not exist)"))?
        }
        (None, Some(json)) => user_from_json(&json)?,
        (None, None) => User::system(),
    };
    let services = services(executor.clone(), http)?;
    // Rules that call functions (`%function`) run them on workers of their own, as `writ serve` does.
    let users = crate::server::users::Users::new(executor, &deployment.app.client_app_id);
    let rules = crate::server::rule_functions::RuleEngine::new(
        &config,
        services.clone(),
        runtime.handle().clone(),
        users,
    );
    let mut deployment = deployment;
    rules.attach(&mut deployment)?;
    let engine = Engine::new(config, services, runtime.handle().clone())?;
    engine.deploy(Arc::new(deployment));
    let outcome = runtime.block_on(engine.call(Invocation::new(name, args, user)));
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => bail!("{} ({})", e, e.code()),
    };
    let answer = crate::server::control::CallAnswer {
        logs: outcome
            .logs
            .into_iter()
            .map(|l| (crate::server::control::tag(l.level).to_string(), l.message))
            .collect(),
        result: outcome
            .result
            .as_ref()
            .ok()
            .map(|v| v.clone().into_relaxed_extjson()),
        error: outcome
            .result
            .as_ref()
            .err()
            .map(|ex| format!("{ex} (FunctionExecutionError)")),
        stack: outcome.result.err().map(|ex| ex.stack).filter(|s| !s.is_empty()),
    };
    Ok(print_answer(answer))
}

/// Prints a call's log lines and result (stdout) or error (stderr), as `writ call` does.
fn print_answer(answer: crate::server::control::CallAnswer) -> ExitCode {
    for (tag, message) in &answer.logs {
        eprintln!("[{tag}] {message}");
    }
    match (answer.result, answer.error) {
        (Some(value), None) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        (_, error) => {
            eprintln!("error: {}", error.unwrap_or_default());
            if let Some(stack) = answer.stack {
                eprintln!("{stack}");
            }
            ExitCode::FAILURE
        }
    }
}
