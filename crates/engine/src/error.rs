//! System failures of the engine, each with the App Services error code it is reported under.
//!
//! A JavaScript exception thrown by user code is not one of these: it is a value in
//! [`Outcome::result`](crate::Outcome). These are the failures a caller cannot get from a
//! function's own logic: limits, unknown functions, a full pool.

use std::time::Duration;

use thiserror::Error;

/// Why a call produced no [`Outcome`](crate::Outcome).
#[derive(Debug, Clone, Error, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum EngineError {
    /// No function of that name in the deployment. Maps to 404 `FunctionNotFound`.
    #[error("function not found: '{0}'")]
    FunctionNotFound(String),
    /// The file does not export a function. Maps to 400 `FunctionInvalid`.
    #[error("function '{name}' is invalid: {reason}")]
    FunctionInvalid {
        /// The function's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The arguments could not be handed to JavaScript. Maps to 400 `InvalidParameter`.
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    /// The call ran past its wall-clock limit. Maps to 400 `ExecutionTimeLimitExceeded`.
    #[error("execution time limit exceeded: the function ran longer than {0:?}")]
    TimeLimitExceeded(Duration),
    /// Recursion or stack depth passed the engine's limit. Maps to 400 `StackLimitExceeded`.
    #[error("stack limit exceeded: {0}")]
    StackLimitExceeded(String),
    /// More async operations were outstanding at once than a call may start.
    /// Maps to 400 `AsyncWorkLimitExceeded`.
    #[error("exceeded max async work queue size of {0}")]
    AsyncWorkLimitExceeded(usize),
    /// The result could not be turned into BSON or is too large. Maps to 400 `InvalidResult`.
    #[error("invalid function result: {0}")]
    InvalidResult(String),
    /// The call allocated more memory than a call may hold. Maps to 400
    /// `ExecutionMemoryLimitExceeded`.
    #[error("execution memory limit exceeded: the function used more than {0} MiB")]
    MemoryLimitExceeded(u64),
    /// Every worker is busy and the queue is full. Maps to 429 `TooManyRequests`.
    #[error("too many concurrent function calls; try again later")]
    Overloaded,
    /// The engine has shut down. Maps to 503 `InternalServerError`.
    #[error("the function engine is shut down")]
    ShutDown,
    /// A failure of the engine itself. Maps to 500 `InternalServerError`.
    #[error("internal engine error: {0}")]
    Internal(String),
}

impl EngineError {
    /// The stable App Services error code this failure is reported under.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::FunctionNotFound(_) => "FunctionNotFound",
            EngineError::FunctionInvalid { .. } => "FunctionInvalid",
            EngineError::InvalidArguments(_) => "InvalidParameter",
            EngineError::TimeLimitExceeded(_) => "ExecutionTimeLimitExceeded",
            EngineError::StackLimitExceeded(_) => "StackLimitExceeded",
            EngineError::AsyncWorkLimitExceeded(_) => "AsyncWorkLimitExceeded",
            EngineError::InvalidResult(_) => "InvalidResult",
            EngineError::MemoryLimitExceeded(_) => "ExecutionMemoryLimitExceeded",
            EngineError::Overloaded => "TooManyRequests",
            EngineError::ShutDown | EngineError::Internal(_) => "InternalServerError",
        }
    }
}
