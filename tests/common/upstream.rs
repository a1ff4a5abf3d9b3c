//! A local HTTP server for the outbound HTTP tests (axum on a real socket): `/echo` (GET,
//! POST, PUT: the method, query, some headers and the body as JSON, and a cookie),
//! `/redirect` (303 to `/echo?from=redirect`), `/fail` (500 "boom") and `/slow` (30 s).

use std::{collections::BTreeMap, time::Duration};

use axum::{
    Json, Router,
    extract::Query,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect},
    routing::get,
};
use serde_json::json;

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
