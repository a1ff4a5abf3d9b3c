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
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.message, "error_code": self.code});
        (self.status, Json(body)).into_response()
    }
}
