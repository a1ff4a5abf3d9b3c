//! Outbound HTTP for functions: `context.http` (App Services' client, `prelude.js`) and the
//! engine's `fetch`, both ending in one host operation, `request`, on the reserved service
//! [`SERVICE`]. The server runs it with `reqwest` under the operator's [`Policy`]: allowed
//! hosts only, no private addresses unless allowed (checked after resolution and on every
//! redirect hop), a response size cap, and the function's time limit.

mod policy;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use bson::{Binary, Bson, Document, doc, spec::BinarySubtype};
use engine::host::{CallInfo, HostError, HostOp, HostService, OpFuture, ServiceJs};
pub use policy::{Policy, is_global};
use reqwest::{
    Method, StatusCode,
    dns::{Addrs, Name, Resolve, Resolving},
    header::{HeaderMap, HeaderName, HeaderValue, LOCATION},
};
use url::Url;

/// The reserved service name outbound requests travel under (`context.services.get` never
/// returns it).
pub const SERVICE: &str = engine::host::HTTP_SERVICE;

/// The largest response body a function receives (BSON's document limit, less room).
pub const MAX_BODY: usize = 15 * 1024 * 1024;

/// How many redirects a request follows at most.
const MAX_REDIRECTS: usize = 20;

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
    policy: Arc<Policy>,
}

impl HttpService {
    /// A service whose requests follow `policy` and each take at most `timeout`.
    pub fn new(policy: Policy, timeout: Duration) -> Result<Self, OutboundError> {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(Guarded(policy.clone())))
            .timeout(timeout)
            .user_agent(concat!("writ/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, policy })
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
    if kind != "request" {
        return Err(format!("internal: unknown HTTP operation {kind}"));
    }
    spec.get_str("url")
        .map_err(|_| "the request has no URL".to_string())?;
    Ok(())
}

fn fail(message: impl Into<String>) -> HostError {
    HostError {
        name: "FunctionError".into(),
        ..HostError::new(message)
    }
}

/// A request as the JavaScript half describes it.
struct Spec {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    redirect: String,
}

fn parse(spec: &Document) -> Result<Spec, HostError> {
    let method = spec.get_str("method").unwrap_or("GET").to_ascii_uppercase();
    let method =
        Method::from_bytes(method.as_bytes()).map_err(|_| fail(format!("invalid method {method}")))?;
    let raw = spec.get_str("url").unwrap_or_default();
    let url = Url::parse(raw).map_err(|e| fail(format!("invalid URL '{raw}': {e}")))?;
    let mut headers = HeaderMap::new();
    if let Ok(list) = spec.get_array("headers") {
        for pair in list {
            let Bson::Array(pair) = pair else { continue };
            let (Some(Bson::String(k)), Some(Bson::String(v))) = (pair.first(), pair.get(1)) else {
                continue;
            };
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| fail(format!("invalid header name '{k}'")))?;
            let value =
                HeaderValue::from_str(v).map_err(|_| fail(format!("invalid value for header '{k}'")))?;
            headers.append(name, value);
        }
    }
    let body = match spec.get("body") {
        Some(Bson::Binary(b)) => Some(b.bytes.clone()),
        Some(Bson::String(s)) => Some(s.clone().into_bytes()),
        _ => None,
    };
    let redirect = spec.get_str("redirect").unwrap_or("manual").to_string();
    Ok(Spec {
        method,
        url,
        headers,
        body,
        redirect,
    })
}

impl HttpService {
    async fn run(client: reqwest::Client, policy: Arc<Policy>, spec: Spec) -> Result<Bson, HostError> {
        let Spec {
            mut method,
            mut url,
            headers,
            mut body,
            redirect,
        } = spec;
        let mut hops = 0;
        loop {
            policy.check_url(&url).map_err(fail)?;
            let mut request = client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(b) = &body {
                request = request.body(b.clone());
            }
            let mut response = request.send().await.map_err(|e| fail(describe(&e, &url)))?;
            let status = response.status();
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_string);
            if status.is_redirection()
                && let Some(location) = location
                && redirect != "manual"
            {
                if redirect == "error" {
                    return Err(fail(format!(
                        "{url} redirected to {location} and the request's redirect mode is 'error'"
                    )));
                }
                hops += 1;
                if hops > MAX_REDIRECTS {
                    return Err(fail(format!("more than {MAX_REDIRECTS} redirects from {url}")));
                }
                url = url
                    .join(&location)
                    .map_err(|e| fail(format!("invalid redirect to '{location}': {e}")))?;
                if status == StatusCode::SEE_OTHER
                    || (matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                        && method == Method::POST)
                {
                    method = Method::GET;
                    body = None;
                }
                continue;
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| fail(describe(&e, &url)))? {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(fail(format!(
                        "the response from {url} is larger than {MAX_BODY} bytes"
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            let headers: Vec<Bson> = response
                .headers()
                .iter()
                .map(|(k, v)| {
                    Bson::Array(vec![
                        Bson::String(k.as_str().to_string()),
                        Bson::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
                    ])
                })
                .collect();
            return Ok(Bson::Document(doc! {
                "url": url.as_str(),
                "status": i32::from(status.as_u16()),
                "statusText": status.canonical_reason().unwrap_or(""),
                "redirected": hops > 0,
                "headers": headers,
                "body": Binary { subtype: BinarySubtype::Generic, bytes },
            }));
        }
    }
}

/// A request failure in words a function's author can act on.
fn describe(e: &reqwest::Error, url: &Url) -> String {
    let mut message = if e.is_timeout() {
        format!("request to {url} timed out")
    } else {
        format!("request to {url} failed")
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    message
}

impl HostService for HttpService {
    fn js(&self) -> ServiceJs {
        Self::js()
    }

    fn start(&self, _call: &CallInfo, op: HostOp) -> OpFuture {
        let client = self.client.clone();
        let policy = self.policy.clone();
        Box::pin(async move {
            let spec = parse(&op.spec)?;
            Self::run(client, policy, spec).await
        })
    }
}
