//! The `request` operation: one HTTP request (and the redirects it follows) with `reqwest`,
//! under the operator's policy, answered whole.

use std::sync::Arc;

use bson::{Binary, Bson, Document, doc, spec::BinarySubtype};
use engine::host::HostError;
use reqwest::{
    Method, StatusCode,
    header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, LOCATION, WWW_AUTHENTICATE},
};
use url::Url;

use crate::{HttpService, MAX_BODY, MAX_REDIRECTS, Policy, fail};

/// A request as the JavaScript half describes it.
pub(crate) struct Spec {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Vec<u8>>,
    redirect: String,
    /// `digestAuth`'s credentials: answered to a `401` with a `Digest` challenge.
    digest: Option<(String, String)>,
    /// An `http2` session's request: HTTP/2 (over TLS as the server negotiates it, in the
    /// clear with prior knowledge).
    pub(crate) http2: bool,
}

impl Spec {
    /// The scheme of the URL requested first.
    pub(crate) fn url_scheme(&self) -> &str {
        self.url.scheme()
    }
}

pub(crate) fn parse(spec: &Document) -> Result<Spec, HostError> {
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
    let digest = spec.get_document("digest").ok().map(|d| {
        let field = |k: &str| d.get_str(k).unwrap_or_default().to_string();
        (field("username"), field("password"))
    });
    let http2 = spec.get_bool("http2").unwrap_or(false);
    Ok(Spec {
        method,
        url,
        headers,
        body,
        redirect,
        digest,
        http2,
    })
}

impl HttpService {
    pub(crate) async fn run(
        client: reqwest::Client,
        policy: Arc<Policy>,
        spec: Spec,
    ) -> Result<Bson, HostError> {
        let Spec {
            mut method,
            mut url,
            headers,
            mut body,
            redirect,
            digest,
            http2,
        } = spec;
        let mut hops = 0;
        let mut authorization: Option<String> = None;
        loop {
            policy.check_url(&url).map_err(fail)?;
            let mut request = client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if http2 && url.scheme() == "http" {
                request = request.version(reqwest::Version::HTTP_2);
            }
            if let Some(a) = &authorization {
                request = request.header(AUTHORIZATION, a);
            }
            if let Some(b) = &body {
                request = request.body(b.clone());
            }
            let mut response = request.send().await.map_err(|e| fail(describe(&e, &url)))?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED
                && authorization.is_none()
                && let Some((user, password)) = &digest
                && let Some(answer) =
                    digest_answer(&response, user, password, &method, &url, body.as_deref())?
            {
                authorization = Some(answer);
                continue;
            }
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
                "version": if response.version() == reqwest::Version::HTTP_2 { 2 } else { 1 },
            }));
        }
    }
}

/// The `Authorization` header answering a `Digest` challenge in `response` (RFC 7616), or
/// none when the server asked for another scheme.
fn digest_answer(
    response: &reqwest::Response,
    user: &str,
    password: &str,
    method: &Method,
    url: &Url,
    body: Option<&[u8]>,
) -> Result<Option<String>, HostError> {
    let Some(challenge) = response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().to_ascii_lowercase().starts_with("digest "))
    else {
        return Ok(None);
    };
    let mut prompt = digest_auth::parse(challenge)
        .map_err(|e| fail(format!("{url} sent a digest challenge writ cannot read: {e}")))?;
    let uri = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let context = digest_auth::AuthContext::new_with_method(
        user,
        password,
        uri,
        body,
        digest_auth::HttpMethod::from(method.as_str()),
    );
    let answer = prompt
        .respond(&context)
        .map_err(|e| fail(format!("cannot answer the digest challenge of {url}: {e}")))?;
    Ok(Some(answer.to_header_string()))
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
