//! A slot's end of the worker's pipe to the engine: the calls and operation results the
//! worker's reader routed to this slot, and the shared output its operations and outcomes
//! are written to.

use std::{
    fs::File,
    io::Write,
    rc::Rc,
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use super::{
    alloc,
    wire::{self, FromWorker, ToSlot},
};
use crate::{
    api::{Deployment, Invocation},
    error::EngineError,
    host::{Completion, HostOp},
};

/// A frame the reader routed to a slot, with the deployment a call runs on.
pub(crate) struct Inbound {
    pub frame: Vec<u8>,
    pub deployment: Option<Arc<Deployment>>,
}

/// What a slot receives.
pub(crate) enum Incoming {
    /// A call to run.
    Call {
        seq: u64,
        invocation: Box<Invocation>,
        limit_ms: u64,
        deployment: Option<Arc<Deployment>>,
    },
    /// An operation's result.
    Result(Completion),
}

/// A slot's end of the worker's pipe.
pub(crate) struct Pipe {
    input: Rc<mpsc::Receiver<Inbound>>,
    output: Arc<Mutex<File>>,
    /// Frames written when the slot next waits or ends a call.
    pending: Vec<u8>,
}

fn lost(e: impl std::fmt::Display) -> EngineError {
    EngineError::Internal(format!("the engine's pipe failed: {e}"))
}

impl Pipe {
    /// A slot's pipe: frames from `input`, written to `output` (shared by every slot).
    pub fn new(input: Rc<mpsc::Receiver<Inbound>>, output: Arc<Mutex<File>>) -> Self {
        Self {
            input,
            output,
            pending: Vec::new(),
        }
    }

    /// Queues an operation message; it is sent when the slot next waits.
    pub fn send_op(&mut self, seq: u64, op: u64, host_op: &HostOp) -> std::io::Result<()> {
        let frame = wire::encode(&FromWorker::Op {
            seq,
            op,
            host_op: host_op.clone(),
        })
        .map_err(std::io::Error::other)?;
        self.pending.extend_from_slice(&frame);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut output = self.output.lock().unwrap_or_else(|e| e.into_inner());
        let written = output.write_all(&self.pending);
        drop(output);
        self.pending.clear();
        written
    }

    /// Waits until `deadline` for the result of an operation.
    pub fn recv_result(&mut self, deadline: Instant) -> Result<Completion, EngineError> {
        self.flush().map_err(lost)?;
        let left = deadline.saturating_duration_since(Instant::now());
        let inbound = match self.input.recv_timeout(left) {
            Ok(i) => i,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(EngineError::TimeLimitExceeded(Duration::ZERO));
            }
            Err(e) => return Err(lost(e)),
        };
        match decode(inbound).map_err(lost)? {
            Incoming::Result(c) => Ok(c),
            Incoming::Call { .. } => Err(EngineError::Internal(
                "a call arrived while one was running".into(),
            )),
        }
    }

    /// The next message for this slot; an error when the worker is shutting down.
    pub fn recv(&mut self) -> std::io::Result<Incoming> {
        let inbound = self.input.recv().map_err(std::io::Error::other)?;
        decode(inbound)
    }

    /// Tells the engine the worker is ready for calls.
    pub fn send_ready(&mut self) -> std::io::Result<()> {
        let frame = wire::encode(&FromWorker::Ready {}).map_err(std::io::Error::other)?;
        self.pending.extend_from_slice(&frame);
        self.flush()
    }

    /// Sends a call's outcome (with any operation messages still queued).
    pub fn send_done(&mut self, msg: &FromWorker) -> std::io::Result<()> {
        let frame = match wire::encode(msg) {
            Ok(f) => f,
            Err(e) => {
                let FromWorker::Done { seq, recycle, .. } = msg else {
                    return Err(std::io::Error::other(e));
                };
                wire::encode(&FromWorker::Done {
                    seq: *seq,
                    outcome: Err(EngineError::InvalidResult(e.to_string())),
                    recycle: *recycle,
                })
                .map_err(std::io::Error::other)?
            }
        };
        self.pending.extend_from_slice(&frame);
        self.flush()
    }

    /// Where this slot's messages arrive (for a context that replaces this one).
    pub fn input(&self) -> Rc<mpsc::Receiver<Inbound>> {
        self.input.clone()
    }

    /// The worker's shared output.
    pub fn output(&self) -> Arc<Mutex<File>> {
        self.output.clone()
    }
}

/// Decodes a routed frame. The frame was read on the reader's thread; this slot frees it, so
/// it counts it as its own first.
fn decode(inbound: Inbound) -> std::io::Result<Incoming> {
    alloc::adopt(inbound.frame.capacity());
    let message: ToSlot = wire::decode(&inbound.frame).map_err(std::io::Error::other)?;
    drop(inbound.frame);
    Ok(match message {
        ToSlot::Call {
            seq,
            invocation,
            limit_ms,
        } => Incoming::Call {
            seq,
            invocation,
            limit_ms,
            deployment: inbound.deployment,
        },
        ToSlot::Result { seq, op, result } => Incoming::Result(Completion { seq, op, result }),
    })
}
