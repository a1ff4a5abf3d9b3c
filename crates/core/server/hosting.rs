//! Static hosting: the app's `hosting/files` ([`loader::Hosting`]), served at writ's root for
//! every `GET` or `HEAD` no API route takes, as App Services served them at the app's domain.
//!
//! Files are served by `tower_http`'s `ServeDir` (no path leaves `hosting/files`: `..`,
//! encoded or not, is refused, nor does a symbolic link to a file outside it: [`inside`];
//! ranges and conditional requests work), a directory by its
//! `index.html`. A path without a file gets the app's `default_error_path` with its
//! `default_response_code` (a single-page app's `/index.html` with 200), or writ's 404. The
//! headers `metadata.json` sets for a file replace the guessed ones. The GraphQL API and
//! Device Sync, which writ does not run, answer 501 with an error that says so.

use std::{path::Path, sync::Arc};

use axum::{
    body::Body,
    extract::{Request, State as AxumState},
    http::{HeaderName, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use super::{State, error::ApiError};

/// What a Device Sync client gets.
pub(crate) async fn not_run_sync() -> ApiError {
    not_run("Device Sync is not run by writ: its functions, triggers, rules and logins are")
}

fn not_run(message: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", message)
}

fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "NotFound", "no such route").into_response()
}

/// What no route takes: a hosted file, or 404.
pub(crate) async fn fallback(AxumState(state): AxumState<Arc<State>>, request: Request) -> Response {
    let deployment = state.deployment();
    let Some(hosting) = deployment.extensions.get::<loader::Hosting>() else {
        return not_found();
    };
    let method = request.method().clone();
    // writ's API keeps its JSON errors: a client calling a route writ lacks never gets a page.
    if method != Method::GET && method != Method::HEAD || request.uri().path().starts_with("/api/") {
        return not_found();
    }
    let path = request.uri().path().to_string();
    if !inside(&hosting.root, &path).await {
        return not_found();
    }
    let files = ServeDir::new(&hosting.root).append_index_html_on_directories(true);
    let served = serve(&files, request).await;
    if served.status() != StatusCode::NOT_FOUND {
        return with_metadata(served, hosting, &path);
    }
    let Some((error_path, code)) = &hosting.not_found else {
        return not_found();
    };
    let Ok(again) = Request::builder()
        .method(method)
        .uri(error_path.as_str())
        .body(Body::empty())
    else {
        return not_found();
    };
    if !inside(&hosting.root, error_path).await {
        return not_found();
    }
    let mut page = serve(&files, again).await;
    if page.status() != StatusCode::OK {
        return not_found();
    }
    *page.status_mut() = StatusCode::from_u16(*code).unwrap_or(StatusCode::NOT_FOUND);
    with_metadata(page, hosting, error_path)
}

/// Whether what the request's `path` (percent-encoded) names lies inside `root` (canonical:
/// the loader's) once links are followed, as does the `index.html` that serves a directory;
/// a path that names nothing is inside (`ServeDir` answers it). A symbolic link in `hosting/files` to a file outside
/// (`data -> ../../.writ/data`) would otherwise serve that file: the store holds the signing
/// key and password hashes.
async fn inside(root: &Path, path: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut target = root.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return false,
            s => target.push(s),
        }
    }
    let Ok(real) = tokio::fs::canonicalize(&target).await else {
        return true;
    };
    if !real.starts_with(root) {
        return false;
    }
    match tokio::fs::canonicalize(real.join("index.html")).await {
        Ok(index) => index.starts_with(root),
        Err(_) => true,
    }
}

async fn serve(files: &ServeDir, request: Request) -> Response {
    match files.clone().oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(e) => ApiError::internal("static hosting", e).into_response(),
    }
}

/// `response` with the headers `metadata.json` sets for the file at `path`.
fn with_metadata(mut response: Response, hosting: &loader::Hosting, path: &str) -> Response {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let file = match decoded.ends_with('/') {
        true => format!("{decoded}index.html"),
        false => decoded.into_owned(),
    };
    if let Some(attrs) = hosting.headers.get(&file) {
        for (name, value) in attrs {
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    response
}
