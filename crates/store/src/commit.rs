//! Group commit: every write outside a transaction goes to one writer thread, which runs all
//! the writes waiting at that moment in one redb transaction and commits it durably (one
//! fsync), then answers each of them. A write is acknowledged only after that commit, so no
//! acknowledged write can be lost; under concurrency many writes share one commit. A write
//! that fails part way keeps what it did, as MongoDB outside a transaction does. A write that
//! panics is rolled back alone: the group's transaction is aborted and the group's other
//! writes run again, each in its own transaction, so they commit or fail on their own.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, Mutex, mpsc},
};

use redb::{Database, Durability, WriteTransaction};

use crate::error::StoreError;

/// One write waiting for its group: run (again, after another write of the group panicked)
/// inside a transaction, then answered once the transaction's commit is decided.
trait Job: Send {
    /// Runs the write in `txn`, keeping its result for the answer.
    fn write(&mut self, txn: &WriteTransaction);
    /// Answers the writer with its result, or with `commit`'s failure.
    fn answer(self: Box<Self>, commit: Result<(), StoreError>);
}

/// A write and where its answer goes.
struct Pending<T, W, D> {
    write: W,
    result: Option<Result<T, StoreError>>,
    done: D,
}

impl<T, W, D> Job for Pending<T, W, D>
where
    T: Send,
    W: Fn(&WriteTransaction) -> Result<T, StoreError> + Send,
    D: FnOnce(Result<T, StoreError>) + Send,
{
    fn write(&mut self, txn: &WriteTransaction) {
        self.result = Some((self.write)(txn));
    }

    fn answer(self: Box<Self>, commit: Result<(), StoreError>) {
        let result = self
            .result
            .unwrap_or_else(|| Err(StoreError::Storage("the write did not run".into())));
        (self.done)(commit.and(result));
    }
}

/// Writes that may share one commit.
const MAX_GROUP: usize = 512;

/// What runs after each commit (the change feed's wake-up); shared by the store, its writer
/// and its transactions.
#[derive(Clone, Default)]
pub(crate) struct Listener(Arc<Mutex<Option<Hook>>>);

/// A function run after commits.
type Hook = Arc<dyn Fn() + Send + Sync>;

impl Listener {
    /// Replaces the function called after commits.
    pub fn set(&self, f: Hook) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
    }

    /// Calls the function, if any.
    pub fn notify(&self) {
        let f = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(f) = f {
            f();
        }
    }
}

/// The handle to the writer thread.
pub(crate) struct Committer {
    jobs: Mutex<Option<mpsc::Sender<Box<dyn Job>>>>,
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
    pub fn start(db: Arc<Database>, committed: Listener) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let thread = std::thread::Builder::new()
            .name("writ-store-writer".into())
            .spawn(move || writer(&db, &rx, &committed))?;
        Ok(Self {
            jobs: Mutex::new(Some(tx)),
            thread: Some(thread),
        })
    }

    /// Runs `write` in the next group and calls `done` with its result once the group is
    /// durable, on the writer thread (`done` must not block). `write` may run more than once
    /// (see the module's note on panics); only its last run's effects are committed.
    pub fn submit<T: Send + 'static>(
        &self,
        write: impl Fn(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
        done: impl FnOnce(Result<T, StoreError>) + Send + 'static,
    ) {
        let stopped = || StoreError::Storage("the store's writer has stopped".into());
        let job = Box::new(Pending {
            write,
            result: None,
            done,
        });
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        match jobs.as_ref() {
            Some(tx) => {
                if let Err(mpsc::SendError(job)) = tx.send(job) {
                    job.answer(Err(stopped()));
                }
            }
            None => {
                drop(jobs);
                (job.done)(Err(stopped()));
            }
        }
    }

    /// Runs `write` in the next group and returns its result once the group is durable.
    pub fn run<T: Send + 'static>(
        &self,
        write: impl Fn(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = mpsc::sync_channel::<Result<T, StoreError>>(1);
        self.submit(write, move |r| {
            let _ = reply.send(r);
        });
        answer
            .recv()
            .map_err(|_| StoreError::Storage("the store's writer failed during this write".into()))?
    }
}

/// The answer of a write that panicked.
fn panicked() -> StoreError {
    StoreError::Storage("the store's writer failed during this write".into())
}

fn writer(db: &Database, jobs: &mpsc::Receiver<Box<dyn Job>>, committed: &Listener) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let txn = match db.begin_write() {
            Ok(txn) => txn,
            Err(e) => {
                let e = StoreError::from(e);
                for job in group {
                    job.answer(Err(e.clone()));
                }
                continue;
            }
        };
        let mut broke = None;
        for (i, job) in group.iter_mut().enumerate() {
            if catch_unwind(AssertUnwindSafe(|| job.write(&txn))).is_err() {
                broke = Some(i);
                break;
            }
        }
        match broke {
            None => {
                let result = txn.commit().map_err(StoreError::from);
                for job in group {
                    job.answer(result.clone());
                }
            }
            Some(i) => {
                // Dropping the transaction aborts it: nothing of the group is written.
                drop(txn);
                let culprit = group.remove(i);
                culprit.answer(Err(panicked()));
                one_by_one(db, group);
            }
        }
        committed.notify();
    }
}

/// Runs each write of a group whose shared transaction was aborted in a transaction of its
/// own, committed without a sync, then makes them all durable with one commit.
fn one_by_one(db: &Database, group: Vec<Box<dyn Job>>) {
    let mut committed: Vec<(Box<dyn Job>, Result<(), StoreError>)> = Vec::with_capacity(group.len());
    for mut job in group {
        let mut txn = match db.begin_write() {
            Ok(txn) => txn,
            Err(e) => {
                job.answer(Err(StoreError::from(e)));
                continue;
            }
        };
        if let Err(e) = txn.set_durability(Durability::None) {
            job.answer(Err(StoreError::Storage(e.to_string())));
            continue;
        }
        if catch_unwind(AssertUnwindSafe(|| job.write(&txn))).is_err() {
            drop(txn);
            job.answer(Err(panicked()));
            continue;
        }
        let result = txn.commit().map_err(StoreError::from);
        committed.push((job, result));
    }
    if committed.is_empty() {
        return;
    }
    let durable = db
        .begin_write()
        .map_err(StoreError::from)
        .and_then(|t| t.commit().map_err(StoreError::from));
    for (job, result) in committed {
        job.answer(result.and(durable.clone()));
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
        let committer = Committer::start(db.clone(), Listener::default()).expect("writer");
        // Hold the writer in a slow write so the next three share one group.
        // Two tokens: the first write may run twice (if the four end up in one group).
        let (gate, wait) = mpsc::sync_channel::<()>(2);
        let wait = Mutex::new(wait);
        let (results_tx, results) = mpsc::channel();
        let first = results_tx.clone();
        committer.submit(
            move |txn| {
                let _ = wait.lock().expect("lock").recv();
                txn.open_table(T)?.insert("first", 1)?;
                Ok(())
            },
            move |r| first.send(("first", r)).expect("send"),
        );
        for (name, value) in [("before", 2), ("half", 3), ("after", 4)] {
            let tx = results_tx.clone();
            committer.submit(
                move |txn| -> Result<(), StoreError> {
                    txn.open_table(T)?.insert(name, value)?;
                    assert_ne!(name, "half", "injected: a bug in the middle of a write");
                    Ok(())
                },
                move |r| tx.send((name, r)).expect("send"),
            );
        }
        gate.send(()).expect("release the first write");
        gate.send(()).expect("and its second run, if any");
        drop(results_tx);
        let mut answers: Vec<(&str, Result<(), StoreError>)> = results.iter().collect();
        answers.sort_by_key(|(name, _)| *name);
        let names: Vec<(&str, bool)> = answers.iter().map(|(n, r)| (*n, r.is_ok())).collect();
        assert_eq!(
            names,
            [
                ("after", true),
                ("before", true),
                ("first", true),
                ("half", false)
            ]
        );
        drop(committer);
        let read = db.begin_read().expect("read");
        let table = read.open_table(T).expect("table");
        assert!(
            table.get("half").expect("get").is_none(),
            "the panicking write was committed"
        );
        for (name, value) in [("first", 1), ("before", 2), ("after", 4)] {
            assert_eq!(table.get(name).expect("get").map(|v| v.value()), Some(value));
        }
    }
}
