//! `%function` in rule expressions: App Services calls an app function while it evaluates a
//! rule and uses what the function returns (a function that throws makes its expression
//! false). Rule expressions evaluate synchronously, so the calls a request's rules make run
//! first ([`run_calls`]), each distinct call once, and evaluation reads their values
//! ([`FunctionValues`]). The server attaches the [`RuleFunctions`] that runs them to each
//! deployment; without one, an expression that calls a function fails closed.

use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc, time::Instant};

use bson::{Bson, Document};
use engine::{Deployment, RequestInfo, User};

use super::expressions::{RuleEnv, expand};

/// Who makes a user's request, as its rules see them: the user (`%%user`), the HTTP request
/// that made it (`%%request`) and the values of the `%function` calls its rules make.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    /// The user.
    pub user: &'a User,
    /// The HTTP request, when one made the request.
    pub request: Option<&'a RequestInfo>,
    /// The values of the rules' `%function` calls, run by [`run_calls`].
    pub functions: Option<&'a FunctionValues>,
}

impl<'a> From<&'a User> for Caller<'a> {
    fn from(user: &'a User) -> Self {
        Caller {
            user,
            request: None,
            functions: None,
        }
    }
}

impl<'a> Caller<'a> {
    /// `user`, making a request over HTTP (`request`) or from a call with none.
    pub fn new(user: &'a User, request: Option<&'a RequestInfo>) -> Self {
        Caller {
            user,
            request,
            functions: None,
        }
    }

    /// This caller with the values its rules' `%function` calls returned.
    pub fn with_functions(self, functions: Option<&'a FunctionValues>) -> Self {
        Caller { functions, ..self }
    }
}

/// One function a rule calls, for a user.
pub struct FunctionCall {
    /// The function's name.
    pub name: String,
    /// Its arguments, expanded.
    pub args: Vec<Bson>,
    /// The user whose request the rule decides.
    pub user: User,
    /// The HTTP request that made it, if any.
    pub request: Option<RequestInfo>,
    /// When the request that needs the value stops waiting for it.
    pub deadline: Option<Instant>,
}

/// What a function a rule called returned; `Err`: it threw or could not run (the message).
pub type FunctionFuture = Pin<Box<dyn Future<Output = Result<Bson, String>> + Send>>;

/// Runs the functions `%function` rule expressions call.
pub trait RuleFunctions: Send + Sync {
    /// Starts `call`.
    fn run(&self, call: FunctionCall) -> FunctionFuture;
}

/// The [`RuleFunctions`] attached to a deployment (in its extensions).
#[derive(Clone)]
pub struct RuleFunctionRunner(pub Arc<dyn RuleFunctions>);

/// What the `%function` calls of one request's rules returned, by call.
#[derive(Debug, Default)]
pub struct FunctionValues(HashMap<String, Result<Bson, String>>);

impl FunctionValues {
    /// The value call `spec` (`{name, arguments}`, expanded) returned: `Some(Err)` if it threw,
    /// `None` if it did not run.
    pub(super) fn get(&self, spec: &Document) -> Option<&Result<Bson, String>> {
        self.0.get(&key(spec))
    }
}

fn key(spec: &Document) -> String {
    Bson::Document(spec.clone()).into_canonical_extjson().to_string()
}

/// Why a `%function` call has no value: nothing runs functions for this request.
pub(super) const NO_RUNNER: &str = "'%function' cannot run here: a function a rule calls cannot itself rely on \
     rules that call functions (and a deployment built without writ's server has no runner attached)";

/// Every `%function` operand (`{name, arguments}`) in `expression`.
pub(super) fn calls_in<'e>(expression: &'e Bson, out: &mut Vec<&'e Bson>) {
    match expression {
        Bson::Document(d) => {
            for (k, v) in d {
                if k == "%function" {
                    out.push(v);
                } else {
                    calls_in(v, out);
                }
            }
        }
        Bson::Array(items) => items.iter().for_each(|i| calls_in(i, out)),
        _ => {}
    }
}

/// The name and arguments of a `%function` operand, as the loader accepts it.
pub(super) fn check_call(operand: &Bson) -> Result<(), String> {
    let Bson::Document(d) = operand else {
        return Err("%function needs an object with a 'name'".into());
    };
    // The name is the app's, never an expansion a user's data could choose.
    match d.get("name") {
        Some(Bson::String(n)) if !n.starts_with('%') => {}
        Some(Bson::String(n)) => {
            return Err(format!("%function's 'name' must be a function's name, not '{n}'"));
        }
        _ => return Err("%function needs a string 'name'".into()),
    }
    match d.get("arguments") {
        None | Some(Bson::Array(_)) => {}
        Some(_) => return Err("%function's 'arguments' must be an array".into()),
    }
    for (k, _) in d {
        if k != "name" && k != "arguments" {
            return Err(format!("%function does not take '{k}'"));
        }
    }
    let mut nested = Vec::new();
    calls_in(d.get("arguments").unwrap_or(&Bson::Null), &mut nested);
    if !nested.is_empty() {
        return Err(format!(
            "a %function call in another's arguments {}",
            super::NOT_EVALUATED
        ));
    }
    Ok(())
}

/// Runs the `%function` calls `calls` make for `caller` on `deployment` (each distinct call
/// once, one after another) and returns their values; `None` when there are none.
pub async fn run_calls(
    calls: &[&Bson],
    deployment: &Deployment,
    caller: Caller<'_>,
    deadline: Option<Instant>,
) -> Option<FunctionValues> {
    if calls.is_empty() {
        return None;
    }
    let runner = deployment.extensions.get::<RuleFunctionRunner>()?;
    let mut values = FunctionValues::default();
    let mut pending = Vec::new();
    {
        let env = RuleEnv::for_call(caller, deployment);
        for operand in calls {
            // An operand whose expansion is missing evaluates to false without a call.
            let Ok(Some(Bson::Document(spec))) = expand(operand, &env) else {
                continue;
            };
            let k = key(&spec);
            if values.0.contains_key(&k) {
                continue;
            }
            values.0.insert(k.clone(), Err(String::new()));
            let name = spec.get_str("name").unwrap_or_default().to_string();
            let args = match spec.get("arguments") {
                Some(Bson::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            pending.push((k, name, args));
        }
    }
    for (k, name, args) in pending {
        let call = FunctionCall {
            name,
            args,
            user: caller.user.clone(),
            request: caller.request.cloned(),
            deadline,
        };
        let value = runner.0.run(call).await;
        values.0.insert(k, value);
    }
    Some(values)
}
