//! Store errors, each with the MongoDB error code and name a driver would report.

use thiserror::Error;

/// What can go wrong in the embedded store.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StoreError {
    /// A malformed query, update or option (MongoDB code 2, `BadValue`).
    #[error("{0}")]
    BadValue(String),
    /// A unique index would be violated (MongoDB code 11000, `DuplicateKey`).
    #[error("E11000 duplicate key error collection: {ns} index: {index} dup key: {key}")]
    DuplicateKey {
        /// `db.collection`.
        ns: String,
        /// The index name (`_id_`).
        index: String,
        /// The duplicated key, as extended JSON.
        key: String,
    },
    /// A database or collection name MongoDB refuses (MongoDB code 73, `InvalidNamespace`).
    #[error("{0}")]
    InvalidNamespace(String),
    /// A document over 16 MiB (MongoDB code 10334, `BSONObjectTooLarge`).
    #[error("{0}")]
    TooLarge(String),
    /// A document nested deeper than 100 levels (MongoDB code 15, `Overflow`).
    #[error("{0}")]
    TooDeep(String),
    /// An update of an existing document that would write a top-level field whose name starts
    /// with `$` (inserts and upserts may; MongoDB code 52, `DollarPrefixedFieldName`).
    #[error(
        "The dollar ($) prefixed field '{0}' in '{0}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith."
    )]
    DollarPrefixed(String),
    /// An update that would change `_id` (MongoDB code 66, `ImmutableField`).
    #[error("Performing an update on the path '_id' would modify the immutable field '_id'")]
    ImmutableId,
    /// Something MongoDB supports that this store does not (yet).
    #[error(
        "{0} is not supported by the embedded store; MongoDB supports it: set MONGODB_URI to use MongoDB"
    )]
    Unsupported(String),
    /// The change log no longer holds the events after this point (MongoDB code 286,
    /// `ChangeStreamHistoryLost`).
    #[error("resume point {0} is no longer in the change log: its events were dropped")]
    ChangeLogTruncated(u64),
    /// The operation ran past its caller's deadline (MongoDB code 50, `MaxTimeMSExpired`).
    #[error("operation exceeded time limit")]
    TimeLimit,
    /// One stage of the operation held more than this many bytes (MongoDB code 292,
    /// `QueryExceededMemoryLimitNoDiskUseAllowed`).
    #[error(
        "operation exceeded memory limit of {0} bytes: the embedded store holds a stage's documents in memory; narrow the query, or set MONGODB_URI to use MongoDB"
    )]
    MemoryLimit(u64),
    /// The operations running in this process hold more than this many bytes together
    /// (MongoDB code 146, `ExceededMemoryLimit`).
    #[error("the embedded store's running operations hold more than {0} bytes; try again later")]
    Busy(u64),
    /// An expression could not convert a value (`$convert`, `$toInt`, ...; MongoDB code 241,
    /// `ConversionFailure`).
    #[error("{0}")]
    Conversion(String),
    /// A document the write would leave fails the caller's validator ([`crate::validation`];
    /// MongoDB code 121, `DocumentValidationFailure`).
    #[error("{0}")]
    DocumentValidation(String),
    /// The storage engine failed.
    #[error("storage error: {0}")]
    Storage(String),
    /// A read run under [`crate::budget::bounded`] needed more work than it allows; its caller
    /// runs it again without the bound (never reported to a client).
    #[error("the read needs more work than its bound allows")]
    Unbounded,
}

impl StoreError {
    /// MongoDB's numeric error code.
    pub fn code(&self) -> i32 {
        match self {
            StoreError::BadValue(_) => 2,
            StoreError::DuplicateKey { .. } => 11000,
            StoreError::InvalidNamespace(_) => 73,
            StoreError::TooLarge(_) => 10334,
            StoreError::TooDeep(_) => 15,
            StoreError::DollarPrefixed(_) => 52,
            StoreError::ImmutableId => 66,
            StoreError::Unsupported(_) => 115,
            StoreError::ChangeLogTruncated(_) => 286,
            StoreError::TimeLimit => 50,
            StoreError::MemoryLimit(_) => 292,
            StoreError::Busy(_) => 146,
            StoreError::Conversion(_) => 241,
            StoreError::DocumentValidation(_) => 121,
            StoreError::Storage(_) | StoreError::Unbounded => 1,
        }
    }

    /// MongoDB's error code name.
    pub fn code_name(&self) -> &'static str {
        match self {
            StoreError::BadValue(_) => "BadValue",
            StoreError::DuplicateKey { .. } => "DuplicateKey",
            StoreError::InvalidNamespace(_) => "InvalidNamespace",
            StoreError::TooLarge(_) => "BSONObjectTooLarge",
            StoreError::TooDeep(_) => "Overflow",
            StoreError::DollarPrefixed(_) => "DollarPrefixedFieldName",
            StoreError::ImmutableId => "ImmutableField",
            StoreError::Unsupported(_) => "CommandNotSupported",
            StoreError::ChangeLogTruncated(_) => "ChangeStreamHistoryLost",
            StoreError::TimeLimit => "MaxTimeMSExpired",
            StoreError::MemoryLimit(_) => "QueryExceededMemoryLimitNoDiskUseAllowed",
            StoreError::Busy(_) => "ExceededMemoryLimit",
            StoreError::Conversion(_) => "ConversionFailure",
            StoreError::DocumentValidation(_) => "DocumentValidationFailure",
            StoreError::Storage(_) | StoreError::Unbounded => "InternalError",
        }
    }
}

macro_rules! storage_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Storage(e.to_string())
            }
        }
    )*};
}

storage_errors!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    bson::error::Error,
    std::io::Error
);

/// Shorthand for a `BadValue`.
pub fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::BadValue(msg.into())
}
