//! The network for functions, run by the server on their behalf under the operator's
//! [`Policy`] (allowed hosts only, no private addresses unless allowed, checked after
//! resolution): HTTP requests for `context.http` (App Services' client, `prelude.js`), the
//! engine's `fetch` and its `http`/`https` modules (`http.rs`: one `request` operation, every
//! redirect hop checked, a response size cap, the function's time limit); TCP and TLS sockets
//! for `net` and `tls` (`net.rs`, `tls.rs`); UDP for `dgram` (`udp.rs`); name resolution for
//! `dns` (`dns.rs`). All travel
//! as operations of the reserved service [`SERVICE`].

mod dns;
mod http;
mod net;
mod policy;
mod service_rules;
mod tls;
mod udp;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use bson::Document;
use engine::host::{CallInfo, HostError, HostOp, HostService, OpFuture, ServiceJs};
pub use net::MAX_SOCKETS;
pub use policy::{Policy, is_global};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
pub use service_rules::{HttpServices, ServiceRule, args_of, env_of};

/// The reserved service name outbound requests travel under (`context.services.get` never
/// returns it).
pub const SERVICE: &str = engine::host::HTTP_SERVICE;

/// The largest response body a function receives (BSON's document limit, less room).
pub const MAX_BODY: usize = 15 * 1024 * 1024;

/// How many redirects a request follows at most.
pub(crate) const MAX_REDIRECTS: usize = 20;

/// Why the outbound service could not start.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Resolves names, keeping only the addresses the policy allows.
struct Guarded(Arc<Policy>);

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| policy.ip_allowed(a.ip())).collect();
            if allowed.is_empty() {
                return Err(policy::refused(&host).into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The host half of outbound HTTP.
pub struct HttpService {
    client: reqwest::Client,
    /// For `http2` sessions in the clear (HTTP/2 with prior knowledge, as Node's client).
    h2c: reqwest::Client,
    policy: Arc<Policy>,
}

impl HttpService {
    /// A service whose requests follow `policy` and each take at most `timeout`.
    pub fn new(policy: Policy, timeout: Duration) -> Result<Self, OutboundError> {
        let policy = Arc::new(policy);
        let builder = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .dns_resolver(Arc::new(Guarded(policy.clone())))
                .timeout(timeout)
                .user_agent(concat!("writ/", env!("CARGO_PKG_VERSION")))
        };
        let client = builder().build()?;
        let h2c = builder().http2_prior_knowledge().build()?;
        Ok(Self { client, h2c, policy })
    }

    /// The JavaScript half: `context.http`'s object.
    pub fn js() -> ServiceJs {
        ServiceJs {
            name: SERVICE.into(),
            prelude: include_str!("prelude.js"),
            check,
        }
    }
}

fn check(kind: &str, spec: &Document) -> Result<(), String> {
    let needs = |key: &str| {
        if spec.contains_key(key) {
            Ok(())
        } else {
            Err(format!("internal: the {kind} operation needs '{key}'"))
        }
    };
    match kind {
        "request" => spec
            .get_str("url")
            .map(|_| ())
            .map_err(|_| "the request has no URL".to_string()),
        "connect" => needs("port"),
        "read" | "end" | "close" | "upgrade" => needs("id"),
        "write" => needs("id").and(needs("data")),
        "lookup" | "resolve" => needs("host"),
        "udpBind" => Ok(()),
        "udpSend" => needs("id").and(needs("data")).and(needs("port")),
        "udpRecv" | "udpClose" => needs("id"),
        "reverse" => needs("ip"),
        other => Err(format!("internal: unknown network operation {other}")),
    }
}

/// A failed request as App Services reported it (`FunctionError`).
pub(crate) fn fail(message: impl Into<String>) -> HostError {
    HostError {
        name: "FunctionError".into(),
        ..HostError::new(message)
    }
}

impl HostService for HttpService {
    fn js(&self) -> ServiceJs {
        Self::js()
    }

    fn start(&self, call: &CallInfo, op: HostOp) -> OpFuture {
        let policy = self.policy.clone();
        let ended = call.ended();
        match op.kind.as_str() {
            "request" => {
                let (client, h2c) = (self.client.clone(), self.h2c.clone());
                let (deployment, user) = (call.deployment.clone(), call.user.clone());
                Box::pin(async move {
                    let spec = http::parse(&op.spec)?;
                    if let Ok(service) = op.spec.get_str("service") {
                        let headers: Vec<(String, String)> = spec
                            .headers
                            .iter()
                            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                            .collect();
                        let args = args_of(&spec.url, &headers, spec.body.as_deref());
                        let action = spec.method.as_str().to_ascii_lowercase();
                        let services = deployment.extensions.get::<HttpServices>();
                        services
                            .ok_or_else(|| format!("the app has no HTTP service '{service}'"))
                            .and_then(|s| s.allows(service, &action, &args, &env_of(&user, &deployment)))
                            .map_err(fail)?;
                    }
                    let client = if spec.http2 && spec.url_scheme() == "http" {
                        h2c
                    } else {
                        client
                    };
                    // An aborted `fetch` no longer keeps its call open; it ends with the call.
                    tokio::select! {
                        r = Self::run(client, policy, spec) => r,
                        _ = ended => Err(fail("the request was abandoned: its function call ended")),
                    }
                })
            }
            "lookup" => Box::pin(async move {
                tokio::select! { r = dns::lookup(policy, op.spec) => r, _ = ended => Err(fail("the function call ended")) }
            }),
            "resolve" => Box::pin(async move {
                tokio::select! { r = dns::resolve(policy, op.spec) => r, _ = ended => Err(fail("the function call ended")) }
            }),
            "reverse" => Box::pin(async move {
                tokio::select! { r = dns::reverse(policy, op.spec) => r, _ = ended => Err(fail("the function call ended")) }
            }),
            kind if kind.starts_with("udp") => udp::start(call, policy, kind, op.spec),
            kind => net::start(call, policy, kind, op.spec),
        }
    }
}
