//! A local HTTP server for the outbound HTTP tests (axum on a real socket): `/echo` (GET,
//! POST, PUT: the method, query, some headers and the body as JSON, and a cookie),
//! `/redirect` (303 to `/echo?from=redirect`), `/fail` (500 "boom"), `/slow` (30 s), `/` and
//! `/photos/a.txt` (S3's ListBuckets and PutObject, path style, SigV4-signed requests only) and
//! `/digest` (HTTP digest authentication, RFC 7616 with MD5 and `qop=auth`, for `alice` with
//! password `wonder`: 401 with a challenge, then `{"user": "alice"}` for a valid answer), and
//! enough of OpenAI's API for its SDK: `/v1/chat/completions` (echoes the last message) and
//! `/v1/files` (a multipart/form-data upload: its file's name, size and purpose).

use std::{collections::BTreeMap, time::Duration};

use axum::{
    Json, Router,
    extract::Query,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect},
    routing::get,
};
use serde_json::json;

const REALM: &str = "writ-test";
const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";

fn md5_hex(text: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a request carries an AWS SigV4 `Authorization` header for the test's key.
fn signed(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
}

/// The digest-protected route: checks the `Authorization` answer as a server would.
async fn digest(headers: HeaderMap) -> axum::response::Response {
    let challenge = format!(
        r#"Digest realm="{REALM}", qop="auth", nonce="{NONCE}", opaque="5ccc069c403ebaf9f0171e9517f40e41""#
    );
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let field = |name: &str| {
        given
            .split(',')
            .map(str::trim)
            .map(|p| p.strip_prefix("Digest ").unwrap_or(p))
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_default()
    };
    let ha1 = md5_hex(&format!("alice:{REALM}:wonder"));
    let ha2 = md5_hex(&format!("GET:{}", field("uri")));
    let expected = md5_hex(&format!(
        "{ha1}:{NONCE}:{}:{}:auth:{ha2}",
        field("nc"),
        field("cnonce")
    ));
    if given.starts_with("Digest ") && field("username") == "alice" && field("response") == expected {
        Json(json!({"user": "alice", "uri": field("uri")})).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
            "who are you?",
        )
            .into_response()
    }
}

/// OpenAI's chat completion for a request with the test's key: the last message echoed.
async fn openai_chat(headers: HeaderMap, Json(body): Json<serde_json::Value>) -> axum::response::Response {
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some("Bearer sk-test") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"message": "bad key"}})),
        )
            .into_response();
    }
    let said = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .map(|m| m["content"].clone());
    Json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": format!("echo: {}", said.unwrap_or_default())}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }))
    .into_response()
}

/// OpenAI's file upload: the multipart body's file name, file size and purpose.
async fn openai_file(headers: HeaderMap, body: axum::body::Bytes) -> axum::response::Response {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = kind.strip_prefix("multipart/form-data; boundary=") else {
        return (StatusCode::BAD_REQUEST, "not multipart").into_response();
    };
    let text = String::from_utf8_lossy(&body);
    let mut fields = BTreeMap::new();
    for part in text.split(&format!("--{boundary}")).skip(1) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let field = |key: &str| {
            head.split(&format!("{key}=\""))
                .nth(1)
                .and_then(|s| s.split('"').next())
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value).to_string();
        match (field("name"), field("filename")) {
            (Some(_), Some(file)) => {
                fields.insert("filename".to_string(), json!(file));
                fields.insert("bytes".to_string(), json!(value.len()));
            }
            (Some(name), None) => {
                fields.insert(name.to_string(), json!(value));
            }
            _ => {}
        }
    }
    fields.insert("id".into(), json!("file-1"));
    fields.insert("object".into(), json!("file"));
    Json(fields).into_response()
}

/// Starts the test HTTP server on a thread; returns its base URL.
pub fn upstream() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        runtime.block_on(async move {
            let echo = |method: &'static str| {
                move |Query(q): Query<BTreeMap<String, String>>, headers: HeaderMap, body: String| async move {
                    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    (
                        [(header::SET_COOKIE, "session=abc; Path=/; HttpOnly")],
                        Json(json!({
                            "method": method,
                            "query": q,
                            "xTest": header("x-test"),
                            "contentType": header("content-type"),
                            "cookie": header("cookie"),
                            "body": body,
                        })),
                    )
                }
            };
            let app = Router::new()
                .route("/echo", get(echo("GET")).post(echo("POST")).put(echo("PUT")))
                .route("/redirect", get(|| async { Redirect::to("/echo?from=redirect") }))
                .route("/fail", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response() }))
                .route("/digest", get(digest))
                .route("/v1/chat/completions", axum::routing::post(openai_chat))
                .route("/v1/files", axum::routing::post(openai_file))
                // S3 in path style, enough for the AWS SDK's ListBuckets and PutObject: the
                // request must carry a SigV4 signature.
                .route(
                    "/",
                    get(|headers: HeaderMap| async move {
                        if !signed(&headers) {
                            return (StatusCode::FORBIDDEN, "unsigned").into_response();
                        }
                        let xml = r#"<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o1</ID><DisplayName>writ</DisplayName></Owner><Buckets><Bucket><Name>photos</Name><CreationDate>2024-01-02T03:04:05.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>"#;
                        ([(header::CONTENT_TYPE, "application/xml")], xml).into_response()
                    }),
                )
                .route(
                    "/photos/a.txt",
                    axum::routing::put(|headers: HeaderMap, body: String| async move {
                        if !signed(&headers) || body != "hello" {
                            return (StatusCode::BAD_REQUEST, "unsigned or wrong body").into_response();
                        }
                        ([(header::ETAG, "\"5d41402abc4b2a76b9719d911017c592\"")], "").into_response()
                    }),
                )
                .route(
                    "/slow",
                    get(|| async {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        "late"
                    }),
                );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    format!("http://{}", rx.recv().expect("upstream address"))
}

/// An HTTP/2 server in the clear (prior knowledge, as Node's `http2.connect("http://...")`
/// speaks): answers every request with JSON of its method, path, protocol version, a header
/// and body, status 201 for POST; `/fail` answers 500. Returns its base URL.
pub fn h2c_upstream() -> String {
    use http_body_util::{BodyExt, Full};
    use hyper::{Request, Response, body::Bytes, service::service_fn};
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            loop {
                let Ok((tcp, _)) = listener.accept().await else { return };
                let service = service_fn(|request: Request<hyper::body::Incoming>| async move {
                    let method = request.method().to_string();
                    let path = request.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
                    let version = format!("{:?}", request.version());
                    let header = request
                        .headers()
                        .get("x-test")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                    let status = if path == "/fail" { 500 } else if method == "POST" { 201 } else { 200 };
                    let json = json!({"method": method, "path": path, "version": version, "xTest": header, "body": String::from_utf8_lossy(&body)});
                    Ok::<_, std::convert::Infallible>(
                        Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(json.to_string())))
                            .expect("response"),
                    )
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
    });
    format!("http://{}", rx.recv().expect("h2c address"))
}
