//! The server in-process, as the attacker tests and the exact-numbers tests drive it:
//! `writ::server::app(state)` called with `tower::ServiceExt::oneshot` on a temporary app
//! directory and embedded store (or MongoDB), no socket. The client address comes from
//! `X-Forwarded-For`, so tests can vary it.

use std::{path::Path, time::Duration};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use serde_json::{Value, json};
use tower::ServiceExt as _;
use writ::server::{LimitOptions, Options, app, state};

/// The sample app's client API prefix.
pub const APP: &str = "/api/client/v2.0/app/writ-sample";

pub struct Api {
    router: Router,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub retry_after: Option<u64>,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error_code"].as_str().unwrap_or_default()
    }
}

impl Api {
    /// The sample app plus `functions` and, when given, a `default_rule.json`.
    pub async fn new(functions: &[(&str, &str)], default_rule: Option<&str>, limits: LimitOptions) -> Api {
        Api::on(functions, default_rule, limits, None).await
    }

    /// [`Api::new`] on MongoDB at `mongodb_uri` instead of the embedded store.
    pub async fn on(
        functions: &[(&str, &str)],
        default_rule: Option<&str>,
        limits: LimitOptions,
        mongodb_uri: Option<String>,
    ) -> Api {
        Api::prepared(limits, mongodb_uri, |app_dir| {
            for (name, source) in functions {
                std::fs::write(app_dir.join(format!("functions/{name}.js")), source).expect("write");
            }
            if let Some(rule) = default_rule {
                write(
                    &app_dir.join("data_sources/mongodb-atlas/default_rule.json"),
                    rule,
                );
            }
        })
        .await
    }

    /// The sample app as `prepare` changes it, on the embedded store or MongoDB.
    pub async fn prepared(
        limits: LimitOptions,
        mongodb_uri: Option<String>,
        prepare: impl FnOnce(&Path),
    ) -> Api {
        let dir = tempfile::tempdir().expect("tempdir");
        let app_dir = dir.path().join("app");
        testkit::copy_sample_app(&app_dir).expect("copy the sample app");
        prepare(&app_dir);
        let options = Options {
            mongodb_uri,
            ..options(app_dir, dir.path().join("data"), limits)
        };
        let state = state(&options).await.expect("state");
        Api {
            router: app(state),
            _dir: dir,
        }
    }

    /// The sample app with [`limits`] changed by `configure`.
    pub async fn throttled(configure: impl FnOnce(&mut LimitOptions)) -> Api {
        let mut limits = limits();
        configure(&mut limits);
        Api::new(&[], None, limits).await
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
        from: &str,
    ) -> Reply {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = bearer.iter().map(|b| ("authorization", b.as_str())).collect();
        self.send_with(method, path, &headers, body, from).await
    }

    /// A request with `headers` (credential headers, say) and no access token of its own.
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Value,
        from: &str,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .header("x-forwarded-for", from);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::from(body.to_string())).expect("request");
        let response = self.router.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            retry_after,
            body,
        }
    }

    pub async fn anonymous(&self) -> String {
        let r = self
            .send(
                "POST",
                &format!("{APP}/auth/providers/anon-user/login"),
                None,
                json!({}),
                "10.0.0.1",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body["access_token"].as_str().expect("token").to_string()
    }

    pub async fn functions_call(&self, token: &str, body: Value) -> Reply {
        let path = format!("{APP}/functions/call");
        self.send("POST", &path, Some(token), body, "10.0.0.1").await
    }

    pub async fn call(&self, token: &str, name: &str) -> Reply {
        self.call_from(token, name, "10.0.0.1").await
    }

    pub async fn call_from(&self, token: &str, name: &str, from: &str) -> Reply {
        let path = format!("{APP}/functions/call");
        let body = json!({"name": name, "arguments": []});
        self.send("POST", &path, Some(token), body, from).await
    }

    /// An SDK `mongoClient` operation, as realm-web sends it.
    pub async fn service(&self, token: &str, name: &str, arg: Value) -> Reply {
        let body = json!({"name": name, "service": "mongodb-atlas", "arguments": [arg]});
        self.functions_call(token, body).await
    }

    pub async fn login(&self, email: &str, password: &str, from: &str) -> Reply {
        let body = json!({"username": email, "password": password});
        let path = format!("{APP}/auth/providers/local-userpass/login");
        self.send("POST", &path, None, body, from).await
    }

    pub async fn register(&self, email: &str, from: &str) -> Reply {
        let body = json!({"email": email, "password": "right-password"});
        let path = format!("{APP}/auth/providers/local-userpass/register");
        self.send("POST", &path, None, body, from).await
    }
}

pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// In-process server options for the app in `app` with its data in `data`: two workers, no
/// file watching, 30-minute access tokens, the embedded store.
pub fn options(app: std::path::PathBuf, data: std::path::PathBuf, limits: LimitOptions) -> Options {
    Options {
        app,
        listen: "127.0.0.1:0".parse().expect("addr"),
        app_id: None,
        data,
        mongodb_uri: None,
        public_url: None,
        jwt_secret: None,
        access_token_ttl: Duration::from_secs(1800),
        custom_token_key: None,
        workers: 2,
        watch: false,
        limits,
    }
}

/// Limits that read the client address from `X-Forwarded-For`, so tests can vary it; worker
/// processes run the `writ` binary this test was built with.
pub fn limits() -> LimitOptions {
    LimitOptions {
        client_address_header: Some("x-forwarded-for".into()),
        worker_program: Some(env!("CARGO_BIN_EXE_writ").into()),
        ..LimitOptions::default()
    }
}

pub fn rate(text: &str) -> writ::server::Rate {
    text.parse().expect("rate")
}
