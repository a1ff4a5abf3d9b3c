//! Group commit: every write outside a transaction goes to one writer thread, which runs all
//! the writes waiting at that moment in one redb transaction and makes them durable with one
//! commit (one fsync). A write is acknowledged only after that commit, so no acknowledged
//! write can be lost; under concurrency many writes share the cost of one fsync.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, Mutex, mpsc},
};

use redb::{Database, WriteTransaction};

use crate::error::StoreError;

/// What the writer does with a job once the shared commit is decided.
type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// One write: runs inside the group's transaction (or learns that none could be started).
type Job = Box<dyn FnOnce(Option<&WriteTransaction>) -> Reply + Send>;

/// Writes that may share one commit.
const MAX_GROUP: usize = 512;

/// The handle to the writer thread.
pub(crate) struct Committer {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Committer {
    /// Stops the writer after the writes already sent, and waits for it: once the store is
    /// dropped, its file is closed and can be opened again.
    fn drop(&mut self) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Committer {
    /// Starts the writer thread for `db`.
    pub fn start(db: Arc<Database>) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("writ-store-writer".into())
            .spawn(move || writer(&db, &rx))?;
        Ok(Self {
            jobs: Mutex::new(Some(tx)),
            thread: Some(thread),
        })
    }

    /// Runs `write` in the next group and returns its result once the group is durable.
    pub fn run<T: Send + 'static>(
        &self,
        write: impl FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = mpsc::sync_channel::<Result<T, StoreError>>(1);
        let job: Job = Box::new(move |txn| {
            let result = match txn {
                Some(txn) => write(txn),
                None => Err(StoreError::Storage("could not start a write transaction".into())),
            };
            Box::new(move |commit: Result<(), StoreError>| {
                let _ = reply.send(commit.and(result));
            })
        });
        let stopped = || StoreError::Storage("the store's writer has stopped".into());
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        answer
            .recv()
            .map_err(|_| StoreError::Storage("the store's writer failed during this write".into()))?
    }
}

fn writer(db: &Database, jobs: &mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match db.begin_write() {
            Ok(txn) => {
                // A job that panics loses its answer (its caller gets an error); the others go on.
                let replies: Vec<Reply> = group
                    .into_iter()
                    .filter_map(|job| catch_unwind(AssertUnwindSafe(|| job(Some(&txn)))).ok())
                    .collect();
                let committed = txn.commit().map_err(StoreError::from);
                for reply in replies {
                    reply(committed.clone());
                }
            }
            Err(e) => {
                let e = StoreError::from(e);
                for job in group {
                    job(None)(Err(e.clone()));
                }
            }
        }
    }
}
