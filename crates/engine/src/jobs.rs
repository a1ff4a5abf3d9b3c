//! The job queue of a worker's context: promise jobs run synchronously, in order, to the end.
//!
//! Host operations do not go through Boa's async jobs: they complete on the worker's own
//! completion channel (see [`crate::host`]), so this queue never waits and never busy-polls.

use std::{cell::RefCell, collections::VecDeque, rc::Rc};

use boa_engine::{
    Context, JsResult,
    job::{GenericJob, Job, JobExecutor, PromiseJob},
};

enum Queued {
    Promise(PromiseJob),
    Generic(GenericJob),
}

/// A FIFO of promise and generic jobs, drained by [`JobExecutor::run_jobs`].
#[derive(Default)]
pub struct JobQueue {
    jobs: RefCell<VecDeque<Queued>>,
}

impl JobQueue {
    /// Drops every queued job, e.g. the continuations of a call that timed out.
    pub fn clear(&self) {
        self.jobs.borrow_mut().clear();
    }
}

impl JobExecutor for JobQueue {
    fn enqueue_job(self: Rc<Self>, job: Job, _context: &mut Context) {
        match job {
            Job::PromiseJob(p) => self.jobs.borrow_mut().push_back(Queued::Promise(p)),
            Job::GenericJob(g) => self.jobs.borrow_mut().push_back(Queued::Generic(g)),
            // Timers, Atomics.waitAsync and FinalizationRegistry callbacks are not offered to
            // functions; nothing in writ enqueues them.
            _ => tracing::debug!("dropped a job kind writ does not run"),
        }
    }

    fn run_jobs(self: Rc<Self>, context: &mut Context) -> JsResult<()> {
        loop {
            let next = self.jobs.borrow_mut().pop_front();
            let Some(job) = next else { return Ok(()) };
            // A job only fails with an error JS cannot catch (a runtime limit); the call ends.
            match job {
                Queued::Promise(p) => p.call(context)?,
                Queued::Generic(g) => g.call(context)?,
            };
        }
    }
}
