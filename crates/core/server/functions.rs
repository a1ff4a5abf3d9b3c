//! `POST .../functions/call`: user functions, and `mongodb-atlas` service operations from the
//! SDKs' remote MongoDB client (each narrowed by the app's rules).

use std::{sync::Arc, time::Instant};

use axum::{
    extract::State as AxumState,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use bridge::{Request, RuleEnv, rules::Caller as RuleCaller};
use bson::{Bson, Document, oid::ObjectId};
use engine::{Invocation, User};

use super::{
    ApiError, State,
    extract::{Body, Caller, ClientAddress, ThisApp},
    throttle::InFlightSlot,
};

/// The SDK methods a client may call on a MongoDB service.
const CLIENT_OPS: [&str; 13] = [
    "find",
    "findOne",
    "findOneAndUpdate",
    "findOneAndReplace",
    "findOneAndDelete",
    "aggregate",
    "count",
    "insertOne",
    "insertMany",
    "deleteOne",
    "deleteMany",
    "updateOne",
    "updateMany",
];

/// A successful call's result as canonical EJSON (exact types for every SDK).
fn ejson(value: Bson) -> Response {
    let body = canonical(value).to_string();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `value` as canonical EJSON. The bson crate writes subnormal doubles as bare numbers (its
/// canonical form covers only normal ones and zero); they become `{"$numberDouble": "5e-324"}`
/// like every other double. Bare floats appear nowhere else in its canonical output.
pub fn canonical(value: Bson) -> serde_json::Value {
    fn fix(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap_or_default();
                *v = serde_json::json!({"$numberDouble": format!("{f:e}")});
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(fix),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(fix),
            _ => {}
        }
    }
    let mut json = value.into_canonical_extjson();
    fix(&mut json);
    json
}

/// `POST .../functions/call`.
pub async fn call(
    AxumState(state): AxumState<Arc<State>>,
    _: ThisApp,
    Caller(caller): Caller,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let user = caller.user.clone();
    // Held by the engine until its worker is done with the call, even if the client hangs up.
    let slot = state.in_flight.enter(&user.id, &address)?;
    let name = body
        .get_str("name")
        .map_err(|_| ApiError::bad_request("InvalidParameter", "'name' must be the function's name"))?
        .to_string();
    let args = super::extract::arguments(&body)?;
    let started = Instant::now();
    let service = body.get_str("service").ok();
    let kind = if service.is_some() { "service" } else { "function" };
    // What a forwarded log needs is kept only when a log forwarder wants it.
    let forwarded = state
        .forwarders
        .wants(kind)
        .then(|| (bson::DateTime::now(), args.clone()));
    let mut messages = Vec::new();
    let result = match service {
        Some(service) => service_call(&state, &user, service, &name, args, &headers, &address).await,
        None => {
            let at = (&headers, address.as_str(), slot);
            let keep = forwarded.is_some().then_some(&mut messages);
            function_call(&state, user.clone(), &name, args, at, keep).await
        }
    };
    if let Some((at, args)) = forwarded {
        state.forwarders.emit(kind, result.is_ok(), || {
            let ty = if service.is_some() {
                "SERVICE_FUNCTION"
            } else {
                "FUNCTION"
            };
            let mut log = super::forward::log(&state, ty, at);
            super::forward::client(&mut log, &user.id, &address, result.as_ref().err());
            // `disable_arg_logs` keeps a function's arguments out of its logs.
            let hidden = service.is_none()
                && state
                    .deployment()
                    .functions
                    .get(&name)
                    .is_some_and(|f| f.config.disable_arg_logs);
            let args = if hidden { &[][..] } else { &args[..] };
            super::forward::function(&mut log, &name, args, &messages);
            log
        });
    }
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) => e.code,
    };
    tracing::info!(
        function = %name,
        service = service.unwrap_or(""),
        user = %user.id,
        duration_us = started.elapsed().as_micros() as u64,
        outcome,
        "call"
    );
    result.map(ejson)
}

/// Runs user function `name` for `user` (the request's headers, address and in-flight slot in
/// `at`); the call's console lines go to the server's log and, when given, into `messages`.
async fn function_call(
    state: &State,
    user: User,
    name: &str,
    args: Vec<Bson>,
    (headers, address, slot): (&HeaderMap, &str, InFlightSlot),
    messages: Option<&mut Vec<String>>,
) -> Result<Bson, ApiError> {
    let deployment = state.deployment();
    let Some(spec) = deployment.functions.get(name) else {
        return Err(engine::EngineError::FunctionNotFound(name.to_string()).into());
    };
    if spec.config.private {
        // `NotCallable` is App Services' code for this (the native SDKs' core knows it).
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "NotCallable",
            format!("function '{name}' is private: only other functions can call it"),
        ));
    }
    let info = super::endpoints::request_info(headers, "", address, name);
    if let Some(rule) = &spec.config.can_evaluate {
        can_evaluate(&deployment, RuleCaller::new(&user, Some(&info)), rule, name).await?;
    }
    let user = match loader::run_as_of(name, &spec.config) {
        loader::RunAs::UserId(id) => run_as(state, &id).await?,
        script @ loader::RunAs::Script(_) => {
            super::endpoints::request_user(state, &script, headers, "", false, false).await?
        }
        loader::RunAs::System | loader::RunAs::Application => user,
    };
    let user_id = user.id.clone();
    let mut invocation = Invocation::new(name, args, user);
    invocation.request = Some(info);
    invocation.hold = Some(engine::Hold(Arc::new(slot)));
    let outcome = state.engine.call_on(deployment.clone(), invocation).await?;
    log_lines(name, &user_id, &outcome.logs);
    if let Some(m) = messages {
        m.extend(outcome.logs.iter().map(|l| l.message.clone()));
    }
    outcome
        .result
        .map_err(|ex| ApiError::bad_request("FunctionExecutionError", ex.to_string()))
}

/// A call's `console` lines in the server's log at their own level, tagged with the function
/// and the user, as App Services showed them in its logs.
pub fn log_lines(function: &str, user: &str, lines: &[engine::LogLine]) {
    for line in lines {
        match line.level {
            engine::LogLevel::Info => tracing::info!(function, user, "console: {}", line.message),
            engine::LogLevel::Warn => tracing::warn!(function, user, "console: {}", line.message),
            engine::LogLevel::Error => tracing::error!(function, user, "console: {}", line.message),
        }
    }
}

/// Refuses `caller` unless rule `rule` (a `can_evaluate` expression) passes for them; runs the
/// functions the rule calls (`%function`) first.
pub async fn can_evaluate(
    deployment: &engine::Deployment,
    caller: RuleCaller<'_>,
    rule: &serde_json::Value,
    name: &str,
) -> Result<(), ApiError> {
    let rule = Bson::try_from(rule.clone()).unwrap_or(Bson::Boolean(false));
    let calls = bridge::rules::expression_calls(&rule);
    // The rule's functions may take as long as a call may.
    let values = bridge::rules::run_calls(&calls, deployment, caller, None).await;
    let caller = caller.with_functions(values.as_ref());
    match bridge::rules::evaluate(&rule, &RuleEnv::for_call(caller, deployment)) {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "PermissionDenied",
            format!("rule not matched for '{name}' (can_evaluate)"),
        )),
        Err(m) => Err(ApiError::bad_request(
            "InvalidRule",
            format!("can_evaluate of '{name}': {m}"),
        )),
    }
}

/// The stored user a function configured with `run_as_user_id` runs as.
pub async fn run_as(state: &State, id: &str) -> Result<User, ApiError> {
    let missing = || ApiError::internal("run_as_user_id", format!("user '{id}' does not exist"));
    let oid = ObjectId::parse_str(id).map_err(|_| missing())?;
    let user = state.users.user(&oid).await?.ok_or_else(missing)?;
    Ok(user.engine_user())
}

/// The spec `Request::parse` reads, from the SDK's argument object (client-api.md §7).
fn client_spec(name: &str, arg: &Document) -> Result<(&'static str, Document), ApiError> {
    let mut spec = Document::new();
    let mut kind = CLIENT_OPS.iter().copied().find(|k| *k == name).ok_or_else(|| {
        ApiError::bad_request(
            "InvalidParameter",
            format!("'{name}' is not a MongoDB operation clients can call"),
        )
    })?;
    for (k, v) in arg {
        if k == "session" {
            // Sessions belong to function calls; a client could otherwise join one.
            return Err(ApiError::bad_request(
                "InvalidParameter",
                format!("{name}: clients cannot use sessions"),
            ));
        }
        let key = match (name, k.as_str()) {
            (_, "query") => "filter",
            ("find" | "findOne", "project") => "projection",
            ("findOneAndReplace", "update") => "replacement",
            (_, other) => other,
        };
        spec.insert(key, v.clone());
    }
    // realm-web sends findOneAndDelete as findOneAndReplace without a replacement.
    if kind == "findOneAndReplace" && !spec.contains_key("replacement") {
        kind = "findOneAndDelete";
        spec.remove("upsert");
        spec.remove("returnNewDocument");
    }
    Ok((kind, spec))
}

async fn service_call(
    state: &State,
    user: &User,
    service: &str,
    name: &str,
    args: Vec<Bson>,
    headers: &HeaderMap,
    address: &str,
) -> Result<Bson, ApiError> {
    if service != state.service {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ServiceNotFound",
            format!("service not found: '{service}'"),
        ));
    }
    let arg = match args.as_slice() {
        [Bson::Document(d)] => d,
        _ => {
            return Err(ApiError::bad_request(
                "InvalidParameter",
                format!("{name}: expected one argument object"),
            ));
        }
    };
    let (kind, spec) = client_spec(name, arg)?;
    let mut request =
        Request::parse(kind, &spec).map_err(|e| ApiError::bad_request("InvalidParameter", e.to_string()))?;
    // A client's operation may run as long as a function call.
    request.deadline = Some(std::time::Instant::now() + state.engine.time_limit());
    let deployment = state.deployment();
    let mut info = super::endpoints::request_info(headers, "", address, name);
    info.service = service.to_string();
    let caller = RuleCaller::new(user, Some(&info));
    let values = bridge::rules::function_values(&deployment, service, caller, &request).await;
    let caller = caller.with_functions(values.as_ref());
    let op = bridge::rules::execute_as_user(state.data.as_ref(), &deployment, service, caller, request)
        .map_err(|e| ApiError::new(StatusCode::FORBIDDEN, e.code, e.message))?;
    op.await
        .map(bridge::Outcome::into_bson)
        .map_err(ApiError::database)
}
