//! A slot's end of its two pipes to the engine: calls, deployments and operation results in;
//! operations and outcomes out.

use std::{
    cell::RefCell,
    fs::File,
    io::{BufReader, Read, Write},
    os::fd::AsRawFd,
    rc::Rc,
    time::{Duration, Instant},
};

use super::wire::{self, FromWorker, ToWorker};
use crate::{
    error::EngineError,
    host::{Completion, HostOp},
};

/// A slot's end of its pipes.
pub(crate) struct Pipe {
    input: Rc<RefCell<BufReader<File>>>,
    output: Rc<RefCell<File>>,
    /// Frames written when the slot next waits or ends a call.
    pending: Vec<u8>,
}

fn lost(e: impl std::fmt::Display) -> EngineError {
    EngineError::Internal(format!("the engine's pipe failed: {e}"))
}

impl Pipe {
    /// A slot's pipes: messages from `input`, written to `output`.
    pub fn new(input: File, output: File) -> Self {
        Self {
            input: Rc::new(RefCell::new(BufReader::with_capacity(64 * 1024, input))),
            output: Rc::new(RefCell::new(output)),
            pending: Vec::new(),
        }
    }

    /// Another pipe over the same ends, for a context that replaces this one's.
    pub fn reopen(&self) -> Self {
        Self {
            input: self.input.clone(),
            output: self.output.clone(),
            pending: Vec::new(),
        }
    }

    /// Queues an operation message; it is sent when the slot next waits.
    pub fn send_op(&mut self, seq: u64, op: u64, host_op: HostOp) -> std::io::Result<()> {
        let frame = wire::encode(&FromWorker::Op { seq, op, host_op }).map_err(std::io::Error::other)?;
        self.pending.extend_from_slice(&frame);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let written = self.output.borrow_mut().write_all(&self.pending);
        self.pending.clear();
        written
    }

    /// Waits until `deadline` for the result of an operation.
    pub fn recv_result(&mut self, deadline: Instant) -> Result<Completion, EngineError> {
        self.flush().map_err(lost)?;
        if self.input.borrow().buffer().is_empty() && !self.readable_by(deadline).map_err(lost)? {
            return Err(EngineError::TimeLimitExceeded(Duration::ZERO));
        }
        match self.recv().map_err(lost)? {
            ToWorker::Result { seq, op, result } => Ok(Completion { seq, op, result }),
            _ => Err(EngineError::Internal(
                "a call arrived while one was running".into(),
            )),
        }
    }

    fn readable_by(&self, deadline: Instant) -> std::io::Result<bool> {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fd = libc::pollfd {
            fd: self.input.borrow().get_ref().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd, for the duration of the call.
        let n = unsafe { libc::poll(&mut fd, 1, ms) };
        match n {
            n if n > 0 => Ok(true),
            0 => Ok(false),
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    Ok(true)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// The next message for this slot; an error when the engine closed the pipe.
    pub fn recv(&mut self) -> std::io::Result<ToWorker> {
        let mut input = self.input.borrow_mut();
        let mut head = [0u8; 4];
        input.read_exact(&mut head)?;
        let len = wire::frame_len(&head)
            .map_err(std::io::Error::other)?
            .unwrap_or_default();
        let mut frame = vec![0u8; len];
        frame[..4].copy_from_slice(&head);
        input.read_exact(&mut frame[4..])?;
        wire::decode(&frame).map_err(std::io::Error::other)
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
}
