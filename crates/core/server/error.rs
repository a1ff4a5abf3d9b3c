//! The one error type of the HTTP API and its one mapping to `{error, error_code}` responses.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use engine::EngineError;

/// A failed request: an HTTP status, App Services' error code and a message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// App Services' `error_code`, e.g. `InvalidSession`.
    pub code: &'static str,
    /// The human-readable `error`.
    pub message: String,
    /// Seconds until a throttled client may try again (the `Retry-After` header).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The error for a bare HTTP `status` the framework produced, with its `text`: App
    /// Services' code for that status (413 `RequestTooLarge`, 405, 404, 5xx, else `BadRequest`).
    pub fn from_status(status: StatusCode, text: String) -> Self {
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "RequestTooLarge",
            StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
            StatusCode::NOT_FOUND => "NotFound",
            s if s.is_server_error() => "InternalServerError",
            _ => "BadRequest",
        };
        let message = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "the request is larger than the 18 MB limit".to_string(),
            _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_lowercase(),
            _ => text,
        };
        Self::new(status, code, message)
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400 for a database operation's failure: `SchemaValidationFailedWrite` when a document
    /// failed its collection's schema, else `MongoDBError` with MongoDB's code.
    pub fn database(e: engine::host::HostError) -> Self {
        if e.code_name.as_deref() == Some(bridge::schema::SCHEMA_ERROR_CODE) {
            return Self::bad_request(bridge::schema::SCHEMA_ERROR_CODE, e.message);
        }
        let code = e.code.map(|c| format!(" (code {c})")).unwrap_or_default();
        Self::bad_request("MongoDBError", format!("{}{code}", e.message))
    }

    /// 401 `InvalidSession`: the client refreshes its access token (or logs out) on this.
    pub fn invalid_session(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "InvalidSession", message)
    }

    /// 500 for failures of writ itself or its database; details go to the log, not the client.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        tracing::error!("{context}: {error}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("{context}: internal server error"),
        )
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let status = match e {
            EngineError::FunctionNotFound(_) => StatusCode::NOT_FOUND,
            EngineError::Overloaded => StatusCode::TOO_MANY_REQUESTS,
            EngineError::ShutDown => StatusCode::SERVICE_UNAVAILABLE,
            EngineError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

/// Rewrites the framework's own plain-text rejections (body too large, wrong method, ...) into
/// App Services' error format, so every error a client sees is `{error, error_code}`.
pub async fn framework_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || is_json {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    ApiError::from_status(status, text).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.message, "error_code": self.code});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        if self.status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            // The body was not read to its end, so the connection cannot carry another request:
            // say so, or a client pooling connections sends its next request into a closed one.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}
