//! One running worker process as the engine sees it: its slots, each with its own pair of
//! pipes, and a task that waits for it to end.

use std::{
    os::fd::{AsRawFd, FromRawFd, OwnedFd},
    sync::{Arc, Mutex},
};

use tokio::{io::AsyncReadExt, net::unix::pipe, process::Child, sync::watch};

use super::wire::{self, FromWorker};
use crate::api::Deployment;

/// The state of one worker process, shared by the task that waits for it and the calls on it.
pub(super) struct Shared {
    pid: u32,
    /// A descriptor of the process (Linux 5.3 and later): signals sent through it can never
    /// reach another process that took its pid.
    pidfd: Option<OwnedFd>,
    state: Mutex<State>,
    /// `Some(exit code)` once the process has ended (`Some(None)`: killed by a signal).
    exit: watch::Sender<Option<Option<i32>>>,
}

struct State {
    /// No new call may start here (retired, killed, or gone).
    closed: bool,
    /// The pool has taken it out of service (and replaced it, if it was in service).
    retired: bool,
    /// The process was reaped: without a pidfd its pid may no longer be signalled.
    reaped: bool,
}

/// A slot's pipes: the one its thread reads, the one it writes, and the deployment last sent.
pub(super) struct Slot {
    pub index: u32,
    pub input: pipe::Sender,
    pub output: pipe::Receiver,
    /// Bytes read from the slot that do not make a whole frame yet.
    pub buffer: Vec<u8>,
    pub deployment: Option<Arc<Deployment>>,
}

/// A worker process with free slots to run calls on. Dropping the last handle closes the
/// slots' pipes, and the worker exits once its calls have ended.
pub(super) struct Proc {
    pub shared: Arc<Shared>,
    /// Free slots, the highest first (a call takes the lowest: the worker builds a slot's
    /// context on its first call).
    free: Mutex<Vec<Slot>>,
    slots: usize,
}

/// A call's place on a worker: its slot goes back when dropped.
pub(super) struct Place {
    pub proc: Arc<Proc>,
    pub slot: Option<Slot>,
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let mut free = self.proc.lock_free();
            free.push(slot);
            free.sort_unstable_by_key(|s| std::cmp::Reverse(s.index));
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Kills the process, if it is still running.
    pub fn kill(&self) {
        let mut state = self.lock();
        state.closed = true;
        if let Some(fd) = &self.pidfd {
            // SAFETY: a signal through a descriptor of this child, which only it can receive.
            unsafe {
                libc::syscall(libc::SYS_pidfd_send_signal, fd.as_raw_fd(), libc::SIGKILL, 0, 0);
            }
        } else if !state.reaped {
            // SAFETY: signals a child this process has not reaped, so the pid is still its.
            unsafe {
                libc::kill(self.pid as libc::pid_t, libc::SIGKILL);
            }
        }
    }

    /// Stops new calls from starting here and takes it out of service; true the first time
    /// (the caller replaces it).
    pub fn close(&self) -> bool {
        let mut state = self.lock();
        state.closed = true;
        !std::mem::replace(&mut state.retired, true)
    }

    /// The process's exit code, once it has ended (`None`: killed by a signal).
    pub async fn exit_code(&self) -> Option<i32> {
        let mut exit = self.exit.subscribe();
        match exit.wait_for(Option::is_some).await {
            Ok(code) => code.flatten(),
            Err(_) => None,
        }
    }
}

impl Proc {
    /// Takes over a started worker process whose slots use `pipes` (ours: the input we write,
    /// the output we read). `on_exit` runs once the process has ended.
    pub fn new(
        mut child: Child,
        pipes: Vec<(pipe::Sender, pipe::Receiver)>,
        on_exit: impl FnOnce(&Arc<Shared>) + Send + 'static,
    ) -> std::io::Result<Arc<Self>> {
        let pid = child
            .id()
            .ok_or_else(|| std::io::Error::other("a worker process has no pid"))?;
        // SAFETY: opens a descriptor for a child not reaped yet; -1 (an old kernel) is ignored.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        // SAFETY: a descriptor `pidfd_open` just opened, owned by nothing else.
        let pidfd = (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd as i32) });
        let slots = pipes.len();
        let mut free: Vec<Slot> = pipes
            .into_iter()
            .enumerate()
            .map(|(index, (input, output))| Slot {
                index: index as u32,
                input,
                output,
                buffer: Vec::new(),
                deployment: None,
            })
            .collect();
        free.reverse();
        let shared = Arc::new(Shared {
            pid,
            pidfd,
            state: Mutex::new(State {
                closed: false,
                retired: false,
                reaped: false,
            }),
            exit: watch::Sender::new(None),
        });
        let waiter = shared.clone();
        tokio::spawn(async move {
            let code = child.wait().await.ok().and_then(|s| s.code());
            {
                let mut state = waiter.lock();
                state.closed = true;
                state.reaped = true;
            }
            waiter.exit.send_replace(Some(code));
            on_exit(&waiter);
        });
        let free = Mutex::new(free);
        Ok(Arc::new(Self { shared, free, slots }))
    }

    fn lock_free(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls running here now.
    pub fn load(&self) -> usize {
        if self.shared.lock().closed {
            return usize::MAX;
        }
        self.slots - self.lock_free().len()
    }

    /// A free slot, unless every slot is taken or the worker is closed.
    pub fn place(self: &Arc<Self>) -> Option<Place> {
        if self.shared.lock().closed {
            return None;
        }
        let slot = self.lock_free().pop()?;
        Some(Place {
            proc: self.clone(),
            slot: Some(slot),
        })
    }

    /// Waits for the worker's first message, which says it is ready (its slot 0 has built
    /// its context).
    pub async fn ready(self: &Arc<Self>) -> std::io::Result<()> {
        let mut place = self
            .place()
            .filter(|p| p.slot.as_ref().is_some_and(|s| s.index == 0))
            .ok_or_else(|| std::io::Error::other("a new worker is already in use"))?;
        let Some(slot) = place.slot.as_mut() else {
            return Err(std::io::Error::other("a new worker has no slot"));
        };
        match next_message(&mut slot.output, &mut slot.buffer).await? {
            Some(FromWorker::Ready {}) => Ok(()),
            Some(_) => Err(std::io::Error::other("a new worker broke the protocol")),
            None => Err(std::io::Error::other(format!(
                "a new worker exited at start ({:?})",
                self.shared.exit_code().await
            ))),
        }
    }
}

/// The slot's next message from `output`; `None` when the worker closed it (it exited).
/// Cancel-safe: bytes already read stay in `buffer`.
pub(super) async fn next_message(
    output: &mut pipe::Receiver,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<FromWorker>> {
    loop {
        let want = match wire::frame_len(buffer).map_err(std::io::Error::other)? {
            Some(len) if buffer.len() >= len => {
                let message = wire::decode(&buffer[..len]).map_err(std::io::Error::other);
                buffer.drain(..len);
                return message.map(Some);
            }
            Some(len) => len - buffer.len(),
            None => 4 * 1024,
        };
        buffer.reserve(want);
        // Reads into the buffer's spare capacity: nothing is zeroed or copied twice.
        if output.read_buf(buffer).await? == 0 {
            return Ok(None);
        }
    }
}
