//! One running worker process as the engine sees it: its slots, the calls on them, a task that
//! writes to its input and one that reads its output and routes each message to its call.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    process::{Child, ChildStdin, ChildStdout},
    sync::{mpsc, oneshot},
};

use super::wire::{self, FromWorker, ToWorker, WireDeployment};
use crate::api::Deployment;

/// What a call hears from its worker.
pub(super) enum Event {
    /// A message the worker sent for this call.
    Message(FromWorker),
    /// The worker process ended, with this exit code (`None`: killed by a signal).
    Exited(Option<i32>),
}

/// The state of one worker process, shared by the tasks and the calls that use it.
pub(super) struct Shared {
    pid: u32,
    state: Mutex<State>,
}

struct State {
    /// Free slots, the highest first (a call takes the lowest: the worker starts a slot's
    /// thread on its first call).
    free: Vec<u32>,
    /// The calls on this worker, by sequence number: their slot and where their events go.
    calls: HashMap<u64, mpsc::UnboundedSender<Event>>,
    seq: u64,
    /// The deployment last sent to this worker.
    deployment: Option<Arc<Deployment>>,
    /// No new call may start here (retired, killed, or gone).
    closed: bool,
    /// The pool has taken it out of service (and replaced it, if it was in service).
    retired: bool,
    /// The process was reaped or is being reaped: its pid may no longer be signalled.
    reaped: bool,
    ready: Option<oneshot::Sender<()>>,
}

/// A worker process with free slots to run calls on. Dropping the last handle closes the
/// worker's input, and the worker exits once its calls have ended.
pub(super) struct Proc {
    pub shared: Arc<Shared>,
    frames: mpsc::UnboundedSender<Vec<u8>>,
    slots: usize,
}

/// A call's place on a worker: released when dropped.
pub(super) struct Place {
    pub proc: Arc<Proc>,
    pub slot: u32,
    pub seq: u64,
    pub events: mpsc::UnboundedReceiver<Event>,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut state = self.proc.shared.lock();
        state.calls.remove(&self.seq);
        if !state.free.contains(&self.slot) {
            state.free.push(self.slot);
            state.free.sort_unstable_by(|a, b| b.cmp(a));
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Kills the process (unless it is already being reaped, when its pid may be reused).
    pub fn kill(&self) {
        let mut state = self.lock();
        state.closed = true;
        if !state.reaped {
            // SAFETY: signals a child this process has not reaped, so the pid is still ours.
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
}

impl Proc {
    /// Takes over a started worker process: spawns the tasks that write its input and read
    /// its output. `on_exit` runs once the process has ended and every call heard of it.
    /// Returns the worker and a signal that fires when it says it is ready.
    pub fn new(
        mut child: Child,
        slots: usize,
        on_exit: impl FnOnce(&Arc<Shared>) + Send + 'static,
    ) -> std::io::Result<(Arc<Self>, oneshot::Receiver<()>)> {
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(std::io::Error::other("a worker process has no pipes"));
        };
        let pid = child
            .id()
            .ok_or_else(|| std::io::Error::other("a worker process has no pid"))?;
        let (ready_tx, ready) = oneshot::channel();
        let shared = Arc::new(Shared {
            pid,
            state: Mutex::new(State {
                free: (0..slots as u32).rev().collect(),
                calls: HashMap::new(),
                seq: 0,
                deployment: None,
                closed: false,
                retired: false,
                reaped: false,
                ready: Some(ready_tx),
            }),
        });
        let (frames, queue) = mpsc::unbounded_channel();
        tokio::spawn(write(input, queue));
        let reader = shared.clone();
        tokio::spawn(async move {
            read(&reader, child, output).await;
            on_exit(&reader);
        });
        Ok((
            Arc::new(Self {
                shared,
                frames,
                slots,
            }),
            ready,
        ))
    }

    /// Calls running here now.
    pub fn load(&self) -> usize {
        let state = self.shared.lock();
        if state.closed {
            usize::MAX
        } else {
            self.slots - state.free.len()
        }
    }

    /// A free slot for a call on `deployment`, unless every slot is taken or the worker is
    /// closed.
    pub fn place(self: &Arc<Self>, deployment: &Arc<Deployment>) -> Option<Place> {
        let mut state = self.shared.lock();
        if state.closed {
            return None;
        }
        let slot = state.free.pop()?;
        state.seq += 1;
        let seq = state.seq;
        let (tx, events) = mpsc::unbounded_channel();
        state.calls.insert(seq, tx);
        // A deployment this worker has not seen goes first, in order with every call placed
        // after it (frames leave in the order they are queued).
        if !state
            .deployment
            .as_ref()
            .is_some_and(|d| Arc::ptr_eq(d, deployment))
        {
            let deploy = ToWorker::Deploy {
                deployment: Box::new(WireDeployment::from(deployment)),
            };
            match wire::encode(&deploy).map(|frame| self.send(frame)) {
                Ok(true) => state.deployment = Some(deployment.clone()),
                _ => {
                    state.free.push(slot);
                    state.calls.remove(&seq);
                    return None;
                }
            }
        }
        Some(Place {
            proc: self.clone(),
            slot,
            seq,
            events,
        })
    }

    /// Queues a frame for the worker's input; false when the worker is gone.
    pub fn send(&self, frame: Vec<u8>) -> bool {
        self.frames.send(frame).is_ok()
    }
}

/// Writes queued frames to the worker's input, everything queued at once in one write.
async fn write(mut input: ChildStdin, mut queue: mpsc::UnboundedReceiver<Vec<u8>>) {
    let mut batch = Vec::new();
    while let Some(frame) = queue.recv().await {
        batch.clear();
        batch.extend_from_slice(&frame);
        while let Ok(more) = queue.try_recv() {
            batch.extend_from_slice(&more);
        }
        if input.write_all(&batch).await.is_err() {
            return;
        }
    }
}

/// Reads the worker's messages and routes each to its call until the worker ends; then tells
/// every call on it how it ended.
async fn read(shared: &Arc<Shared>, mut child: Child, mut output: ChildStdout) {
    let mut buffer = Vec::new();
    loop {
        let message = match next_message(&mut output, &mut buffer).await {
            Ok(Some(m)) => m,
            _ => break,
        };
        let seq = match &message {
            FromWorker::Ready {} => {
                if let Some(ready) = shared.lock().ready.take() {
                    let _ = ready.send(());
                }
                continue;
            }
            FromWorker::Op { seq, .. } | FromWorker::Done { seq, .. } => *seq,
        };
        let route = shared.lock().calls.get(&seq).cloned();
        match route {
            Some(call) => {
                let _ = call.send(Event::Message(message));
            }
            // A message for no call on it: the worker broke the protocol.
            None if seq > shared.lock().seq => break,
            // A late message of a call that already ended (killed at its deadline).
            None => {}
        }
    }
    // Closed output, a broken frame or a protocol violation: the process ends here.
    let calls: Vec<_> = {
        let mut state = shared.lock();
        state.closed = true;
        // A worker that ends before it is ready never will be.
        state.ready = None;
        if !state.reaped {
            // SAFETY: not reaped yet, so the pid is still this child's.
            unsafe {
                libc::kill(shared.pid as libc::pid_t, libc::SIGKILL);
            }
            state.reaped = true;
        }
        state.calls.values().cloned().collect()
    };
    let code = child.wait().await.ok().and_then(|s| s.code());
    for call in calls {
        let _ = call.send(Event::Exited(code));
    }
}

/// The worker's next message from `output`; `None` when it closed its output (it exited).
/// Cancel-safe: bytes already read stay in `buffer`.
pub(super) async fn next_message(
    output: &mut ChildStdout,
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
