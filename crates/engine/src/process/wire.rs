//! The messages between the engine and a worker process, and their framing.
//!
//! A frame is one BSON document, so its first four bytes (little-endian) are its own length.
//! Arguments, results and operation specs stay BSON end to end: no type is lost on the way.

use std::{collections::BTreeMap, sync::Arc};

use bson::{Bson, Document};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::{
    api::{AppInfo, Deployment, FunctionSpec, Invocation, Outcome},
    error::EngineError,
    host::{HostError, HostOp},
};

/// The largest frame either side accepts: room for a 16 MiB document many times over, and a
/// bound on what a hostile worker can make the parent allocate.
pub(crate) const MAX_FRAME: usize = 256 * 1024 * 1024;

/// What the engine sends a worker.
#[derive(Serialize, Deserialize)]
pub(crate) enum ToWorker {
    /// Run a call; `deployment` is sent when the worker has not seen this one yet.
    Call {
        seq: u64,
        deployment: Option<Box<WireDeployment>>,
        invocation: Box<Invocation>,
        limit_ms: u64,
    },
    /// An operation of call `seq` finished.
    Result {
        seq: u64,
        op: u64,
        result: Result<Bson, HostError>,
    },
}

/// What a worker sends the engine.
#[derive(Serialize, Deserialize)]
pub(crate) enum FromWorker {
    /// Call `seq` started an operation.
    Op { seq: u64, op: u64, host_op: HostOp },
    /// Call `seq` ended; with `recycle` the worker exits after this message.
    Done {
        seq: u64,
        outcome: Result<Outcome, EngineError>,
        recycle: bool,
    },
}

/// A deployment without its host-side extensions (rules, auth): what a worker may see.
#[derive(Serialize, Deserialize)]
pub(crate) struct WireDeployment {
    functions: Vec<FunctionSpec>,
    values: BTreeMap<String, Bson>,
    environment_tag: String,
    environment_values: Document,
    app: AppInfo,
}

impl WireDeployment {
    /// The parts of `d` a worker needs.
    pub fn from(d: &Deployment) -> Self {
        Self {
            functions: d.functions.values().cloned().collect(),
            values: d.values.clone(),
            environment_tag: d.environment_tag.clone(),
            environment_values: d.environment_values.clone(),
            app: d.app.clone(),
        }
    }

    /// The deployment a worker runs calls on.
    pub fn into_deployment(self) -> Arc<Deployment> {
        Arc::new(Deployment {
            functions: self.functions.into_iter().map(|f| (f.name.clone(), f)).collect(),
            values: self.values,
            environment_tag: self.environment_tag,
            environment_values: self.environment_values,
            app: self.app,
            extensions: Default::default(),
        })
    }
}

/// Why a frame could not be written or read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
    /// Encoding or decoding failed.
    #[error("malformed message: {0}")]
    Bson(String),
    /// The frame is larger than [`MAX_FRAME`].
    #[error("message of {0} bytes is larger than the limit")]
    TooLarge(usize),
}

/// Encodes `msg` as one frame.
pub(crate) fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, WireError> {
    let bytes = bson::serialize_to_vec(msg).map_err(|e| WireError::Bson(e.to_string()))?;
    if bytes.len() > MAX_FRAME {
        return Err(WireError::TooLarge(bytes.len()));
    }
    Ok(bytes)
}

/// Decodes one whole frame.
pub(crate) fn decode<T: DeserializeOwned>(frame: &[u8]) -> Result<T, WireError> {
    bson::deserialize_from_slice(frame).map_err(|e| WireError::Bson(e.to_string()))
}

/// The length of the frame starting at `buf`, once its first four bytes are there.
pub(crate) fn frame_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let Some(head) = buf.get(..4) else {
        return Ok(None);
    };
    let len = i32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    match usize::try_from(len) {
        Ok(n) if (5..=MAX_FRAME).contains(&n) => Ok(Some(n)),
        _ => Err(WireError::TooLarge(len.max(0) as usize)),
    }
}
