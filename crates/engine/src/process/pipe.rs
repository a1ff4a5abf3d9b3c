//! The worker's end of its pipe to the engine: reads calls and operation results, writes
//! operations and outcomes.

use std::{
    fs::File,
    io::{BufReader, BufWriter, Read, Write},
    os::fd::AsRawFd,
    time::{Duration, Instant},
};

use super::wire::{self, FromWorker, ToWorker};
use crate::{
    error::EngineError,
    host::{Completion, HostOp},
};

/// The worker's end of its pipe to the engine.
pub(crate) struct Pipe {
    input: BufReader<File>,
    output: BufWriter<File>,
}

impl Pipe {
    /// The pipe over `input` and `output`.
    pub fn new(input: File, output: File) -> Self {
        Self {
            input: BufReader::with_capacity(64 * 1024, input),
            output: BufWriter::with_capacity(64 * 1024, output),
        }
    }
}

impl Pipe {
    /// Queues an operation message; it is sent when the worker next waits.
    pub fn send_op(&mut self, seq: u64, op: u64, host_op: &HostOp) -> std::io::Result<()> {
        let frame = wire::encode(&FromWorker::Op {
            seq,
            op,
            host_op: host_op.clone(),
        })
        .map_err(std::io::Error::other)?;
        self.output.write_all(&frame)
    }

    /// Waits until `deadline` for the result of an operation.
    pub fn recv_result(&mut self, deadline: Instant) -> Result<Completion, EngineError> {
        let lost = |e: std::io::Error| EngineError::Internal(format!("the engine's pipe failed: {e}"));
        self.output.flush().map_err(lost)?;
        if self.input.buffer().is_empty() && !self.readable_by(deadline).map_err(lost)? {
            return Err(EngineError::TimeLimitExceeded(Duration::ZERO));
        }
        match self.recv().map_err(lost)? {
            ToWorker::Result { seq, op, result } => Ok(Completion { seq, op, result }),
            ToWorker::Call { .. } => Err(EngineError::Internal(
                "a call arrived while one was running".into(),
            )),
        }
    }

    fn readable_by(&self, deadline: Instant) -> std::io::Result<bool> {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fd = libc::pollfd {
            fd: self.input.get_ref().as_raw_fd(),
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

    pub fn recv(&mut self) -> std::io::Result<ToWorker> {
        let mut head = [0u8; 4];
        self.input.read_exact(&mut head)?;
        let len = wire::frame_len(&head)
            .map_err(std::io::Error::other)?
            .unwrap_or_default();
        let mut frame = vec![0u8; len];
        frame[..4].copy_from_slice(&head);
        self.input.read_exact(&mut frame[4..])?;
        wire::decode(&frame).map_err(std::io::Error::other)
    }

    /// Tells the engine the worker is ready for calls.
    pub fn send_ready(&mut self) -> std::io::Result<()> {
        let frame = wire::encode(&FromWorker::Ready {}).map_err(std::io::Error::other)?;
        self.output.write_all(&frame)?;
        self.output.flush()
    }

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
        self.output.write_all(&frame)?;
        self.output.flush()
    }
}
