//! The functions `%function` rule expressions call (in data rules and `can_evaluate`), run on
//! an engine of their own: a user's call waits in its worker for an operation whose rules
//! wait for such a function, so running them on the calls' own workers could leave every
//! worker waiting for one. The engine starts with the first deployment whose rules call a
//! function. A function it runs sees the deployment without the runner: a rule its own
//! operations meet that calls a function again fails closed instead of waiting on itself.
//! One user, or one client address, runs at most half of its workers' calls at a time (the
//! rest wait for their turn), so a user whose requests make slow rule functions cannot hold
//! every worker other users' rules need.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use anyhow::Context as _;
use bridge::rules::{FunctionCall, FunctionFuture, RuleFunctionRunner, RuleFunctions};
use bson::oid::ObjectId;
use engine::{Deployment, Engine, EngineConfig, Invocation, host::HostService};
use loader::RunAs;

use super::users::Users;

/// How many rule function calls run at once.
const WORKERS: usize = 4;

/// How many of them one user, or one client address, may run at once.
const PER_CALLER: usize = WORKERS / 2;

/// Starts the engine rule functions run on when a deployment needs it.
pub struct RuleEngine {
    engine: Mutex<Option<Engine>>,
    config: EngineConfig,
    services: Vec<Arc<dyn HostService>>,
    runtime: tokio::runtime::Handle,
    users: Users,
    turns: Arc<Turns>,
}

impl RuleEngine {
    /// An engine like `config` (fewer workers) with `services` on `runtime`, started on first
    /// use; `users` finds the users functions configured with `run_as_user_id` run as.
    pub fn new(
        config: &EngineConfig,
        services: Vec<Arc<dyn HostService>>,
        runtime: tokio::runtime::Handle,
        users: Users,
    ) -> Self {
        let mut config = config.clone();
        config.workers = WORKERS;
        Self {
            engine: Mutex::new(None),
            config,
            services,
            runtime,
            users,
            turns: Arc::default(),
        }
    }

    /// Attaches the runner of rule functions to `deployment` when its rules call functions.
    pub fn attach(&self, deployment: &mut Deployment) -> anyhow::Result<()> {
        if !calls_functions(deployment) {
            return Ok(());
        }
        let engine = {
            let mut slot = self.engine.lock().unwrap_or_else(|e| e.into_inner());
            match &*slot {
                Some(e) => e.clone(),
                None => {
                    let e = Engine::new(self.config.clone(), self.services.clone(), self.runtime.clone())
                        .context("cannot start the workers of rule functions")?;
                    *slot = Some(e.clone());
                    e
                }
            }
        };
        // What the functions run on: the deployment as it is before the runner is attached.
        let plain = Arc::new(deployment.clone());
        engine.deploy(plain.clone());
        let runner = Runner {
            engine,
            deployment: plain,
            users: self.users.clone(),
            turns: self.turns.clone(),
        };
        deployment.extensions.insert(RuleFunctionRunner(Arc::new(runner)));
        Ok(())
    }
}

/// Whether a rule of `deployment` (data rules, a function's, an endpoint's or the Data API's
/// `can_evaluate`) calls a function.
fn calls_functions(deployment: &Deployment) -> bool {
    let names = |rule: &Option<serde_json::Value>| {
        rule.as_ref()
            .is_some_and(|r| r.to_string().contains("\"%function\""))
    };
    let data = deployment
        .extensions
        .get::<bridge::Rules>()
        .is_some_and(bridge::Rules::call_functions);
    let functions = deployment
        .functions
        .values()
        .any(|f| names(&f.config.can_evaluate));
    let endpoints = deployment.extensions.get::<loader::Endpoints>().is_some_and(|e| {
        e.routes.iter().any(|r| names(&r.can_evaluate))
            || e.data_api.as_ref().is_some_and(|d| names(&d.can_evaluate))
    });
    data || functions || endpoints
}

struct Runner {
    engine: Engine,
    deployment: Arc<Deployment>,
    users: Users,
    turns: Arc<Turns>,
}

/// Rule function calls running per user and per client address; a call past its caller's
/// share waits for a turn.
#[derive(Default)]
struct Turns(Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>);

/// A call's turn under one key, given back (and the key forgotten when no one else holds or
/// waits for it) when dropped.
struct Turn {
    turns: Arc<Turns>,
    key: String,
    semaphore: Arc<tokio::sync::Semaphore>,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Turns {
    async fn enter(self: &Arc<Self>, key: String) -> Turn {
        let semaphore = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key.clone())
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(PER_CALLER)))
                .clone()
        };
        // The semaphore is never closed.
        let permit = semaphore.clone().acquire_owned().await.ok();
        Turn {
            turns: self.clone(),
            key,
            semaphore,
            permit,
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.permit.take();
        let mut map = self.turns.0.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map and this turn hold it: no call runs or waits under the key.
        if Arc::strong_count(&self.semaphore) == 2 {
            map.remove(&self.key);
        }
    }
}

/// Runs app functions for the server's own purposes (rules, GraphQL resolvers) as each
/// function's configuration says: system, a fixed user, else the user given; a script that
/// chooses the user is refused, naming `what` calls it.
pub(crate) struct Configured<'a> {
    /// The engine that runs them.
    pub engine: &'a Engine,
    /// The deployment they run on.
    pub deployment: Arc<Deployment>,
    /// Where a `run_as_user_id` user is found.
    pub users: &'a Users,
    /// Who calls them, for the refusal's message (`a function a rule calls`).
    pub what: &'static str,
}

impl Configured<'_> {
    /// Runs `name` with `args` for `user`, within `limit` (the engine's when `None`); its
    /// value, or why it threw or could not run.
    pub async fn call(
        &self,
        name: &str,
        args: Vec<bson::Bson>,
        user: engine::User,
        request: Option<engine::RequestInfo>,
        limit: Option<std::time::Duration>,
    ) -> Result<bson::Bson, String> {
        let spec = self
            .deployment
            .functions
            .get(name)
            .ok_or_else(|| format!("function not found: '{name}'"))?;
        let user = match loader::run_as_of(name, &spec.config) {
            RunAs::UserId(id) => {
                let missing = || format!("user '{id}' does not exist");
                let oid = ObjectId::parse_str(&id).map_err(|_| missing())?;
                let user = self.users.user(&oid).await.map_err(|e| e.message)?;
                user.ok_or_else(missing)?.engine_user()
            }
            RunAs::Script(_) => {
                return Err(format!(
                    "'{name}' chooses its user with a script, which writ does not run for {} yet",
                    self.what
                ));
            }
            RunAs::System | RunAs::Application => user,
        };
        let user_id = user.id.clone();
        let mut invocation = Invocation::new(name, args, user);
        invocation.request = request;
        invocation.time_limit = limit;
        let outcome = self
            .engine
            .call_on(self.deployment.clone(), invocation)
            .await
            .map_err(|e| e.to_string())?;
        super::functions::log_lines(name, &user_id, &outcome.logs);
        outcome.result.map_err(|ex| ex.to_string())
    }
}

impl RuleFunctions for Runner {
    fn run(&self, call: FunctionCall) -> FunctionFuture {
        let (engine, deployment, users) = (self.engine.clone(), self.deployment.clone(), self.users.clone());
        let turns = self.turns.clone();
        Box::pin(async move {
            // The user's turn first, then the address's: every call takes them in this order.
            let _user = turns.enter(format!("user:{}", call.user.id)).await;
            let _address = match &call.request {
                Some(r) => Some(turns.enter(format!("address:{}", r.remote_ip_address)).await),
                None => None,
            };
            let limit = call
                .deadline
                .map(|d| d.saturating_duration_since(std::time::Instant::now()));
            let run = Configured {
                engine: &engine,
                deployment,
                users: &users,
                what: "a function a rule calls",
            };
            run.call(&call.name, call.args, call.user, call.request, limit)
                .await
                .inspect_err(|ex| {
                    // The rule's expression is false; the operator sees why.
                    tracing::warn!(function = %call.name, "a function a rule calls failed: {ex}");
                })
        })
    }
}
