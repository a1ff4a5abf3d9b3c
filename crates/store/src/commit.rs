//! Group commit: every write outside a transaction goes to one writer thread, which runs all
//! the writes waiting at that moment, each in its own redb transaction committed without a
//! sync, then makes them all durable with one commit (one fsync). A write is acknowledged only
//! after that commit, so no acknowledged write can be lost; under concurrency many writes
//! share the cost of one fsync. A write that panics is rolled back alone (its transaction is
//! dropped): the other writes of its group commit or fail on their own.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, Mutex, mpsc},
};

use redb::{Database, Durability, WriteTransaction};

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
        let mut replies: Vec<(Reply, Result<(), StoreError>)> = Vec::with_capacity(group.len());
        for job in group {
            let mut txn = match db.begin_write() {
                Ok(txn) => txn,
                Err(e) => {
                    job(None)(Err(StoreError::from(e)));
                    continue;
                }
            };
            if let Err(e) = txn.set_durability(Durability::None) {
                job(None)(Err(StoreError::Storage(e.to_string())));
                continue;
            }
            // A job that panics loses its answer (its caller gets an error) and its transaction,
            // which is dropped and so aborted: nothing it wrote is committed.
            if let Ok(reply) = catch_unwind(AssertUnwindSafe(|| job(Some(&txn)))) {
                let committed = txn.commit().map_err(StoreError::from);
                replies.push((reply, committed));
            }
        }
        if replies.is_empty() {
            continue;
        }
        // One durable commit makes every write committed above durable.
        let durable = db
            .begin_write()
            .map_err(StoreError::from)
            .and_then(|t| t.commit().map_err(StoreError::from));
        for (reply, committed) in replies {
            reply(committed.and(durable.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use redb::{ReadableDatabase as _, TableDefinition};

    use super::*;

    const T: TableDefinition<&str, u64> = TableDefinition::new("t");

    #[test]
    fn a_write_that_panics_leaves_nothing_and_the_others_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Arc::new(Database::create(dir.path().join("db")).expect("db"));
        let committer = Committer::start(db.clone()).expect("writer");
        let (panicked, wrote) = std::thread::scope(|scope| {
            let panics = scope.spawn(|| {
                committer.run(|txn| -> Result<(), StoreError> {
                    txn.open_table(T)?.insert("half", 1)?;
                    panic!("injected: a bug in the middle of a write");
                })
            });
            let writes = scope.spawn(|| {
                committer.run(|txn| {
                    txn.open_table(T)?.insert("whole", 2)?;
                    Ok(())
                })
            });
            (panics.join().expect("thread"), writes.join().expect("thread"))
        });
        assert!(panicked.is_err());
        assert_eq!(wrote, Ok(()));
        drop(committer);
        let read = db.begin_read().expect("read");
        let table = read.open_table(T).expect("table");
        assert!(
            table.get("half").expect("get").is_none(),
            "the panicking write was committed"
        );
        assert_eq!(table.get("whole").expect("get").map(|v| v.value()), Some(2));
    }
}
