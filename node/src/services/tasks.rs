//! Tracked tasks and cooperative shutdown.
//!
//! Invariants: every task the node spawns once running (event dispatch and the work it hands
//! out, production, catch-ups, maintenance, the status forwarder, the metrics server) is
//! spawned through [`Tasks`]; shutdown cancels them — long-running loops and network waits
//! watch the token and return — then waits, bounded, for every one to finish. Work that must
//! not be cut short (an import and its durable commit, a tx batch's verdicts, a sync answer)
//! does not watch the token and runs to completion. Nothing is aborted, except by
//! [`Tasks::halt`]: for a node that shares its process with others, once the budget ran out
//! (what a process exit would do), or when its `run` future is dropped.

use std::future::Future;
use std::time::Duration;

use rumor_p2p::Meter;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Tasks still running when the shutdown budget ran out (left to the runtime, not aborted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{remaining} task(s) still running after {waited:?}")]
pub struct DrainTimeout {
    pub remaining: usize,
    pub waited: Duration,
}

/// The node's task set and its cancellation signal. Clones share both.
#[derive(Debug, Clone, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    cancel: CancellationToken,
    /// Drops every task at its current await point ([`Self::halt`]).
    halt: CancellationToken,
    /// Where the tasks' poll time is accounted (in-process testnets).
    meter: Option<Meter>,
}

impl Tasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// A task set whose every task is accounted to `meter`.
    pub fn metered(meter: Option<Meter>) -> Self {
        Self {
            meter,
            ..Self::default()
        }
    }

    /// Spawns a tracked task. Its output is `None` if [`Self::halt`] dropped it first.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let halt = self.halt.clone();
        let task = async move { halt.run_until_cancelled(task).await };
        match &self.meter {
            Some(m) => self.tracker.spawn(m.wrap(task)),
            None => self.tracker.spawn(task),
        }
    }

    /// Drops every tracked task at its current await point, finished or not: what a process
    /// exit does to them. Only for a node that shares its process with others (which outlives
    /// it), once the shutdown budget ran out.
    pub fn halt(&self) {
        self.cancel.cancel();
        self.halt.cancel();
    }

    /// Halts the tasks when dropped (an embedded node's `run` future dropped mid-way).
    pub fn halt_on_drop(&self) -> tokio_util::sync::DropGuard {
        self.halt.clone().drop_guard()
    }

    /// The meter this set's tasks are accounted to, if any.
    pub fn meter(&self) -> Option<&Meter> {
        self.meter.as_ref()
    }

    /// Whether shutdown has begun.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Resolves once shutdown has begun.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await
    }

    /// Runs `work` unless shutdown begins first (then `None`; `work` is dropped at its
    /// current await point, so only give it work that may stop there).
    pub async fn unless_cancelled<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        self.cancel.run_until_cancelled(work).await
    }

    /// Tasks spawned and not yet finished.
    pub fn len(&self) -> usize {
        self.tracker.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracker.is_empty()
    }

    /// Cancels every task, then waits up to `budget` for all of them to finish.
    pub async fn shutdown(&self, budget: Duration) -> Result<(), DrainTimeout> {
        self.cancel.cancel();
        self.tracker.close();
        tokio::time::timeout(budget, self.tracker.wait())
            .await
            .map_err(|_| DrainTimeout {
                remaining: self.tracker.len(),
                waited: budget,
            })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use tokio::sync::oneshot;

    use super::*;
    use crate::testing::{WAIT, within};

    #[tokio::test]
    async fn shutdown_cancels_loops_and_waits_for_work_in_flight() {
        let tasks = Tasks::new();
        // A loop that stops when told to.
        let t = tasks.clone();
        let looping = tasks.spawn(async move {
            t.cancelled().await;
            "stopped"
        });
        // Work that ignores cancellation and finishes when its gate opens.
        let (gate, opened) = oneshot::channel::<()>();
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let work = tasks.spawn(async move {
            opened.await.unwrap();
            d.store(true, Ordering::SeqCst);
        });
        let t = tasks.clone();
        let shutdown = tokio::spawn(async move { t.shutdown(WAIT).await });
        assert_eq!(
            within("the loop to stop", looping).await.unwrap(),
            Some("stopped")
        );
        assert!(!shutdown.is_finished(), "still waiting for the work");
        assert_eq!(tasks.len(), 1);
        gate.send(()).unwrap();
        within("shutdown", shutdown).await.unwrap().unwrap();
        assert!(done.load(Ordering::SeqCst), "the work ran to its end");
        assert!(work.is_finished() && tasks.is_empty());
    }

    #[tokio::test]
    async fn work_that_outlives_the_budget_is_reported_not_aborted() {
        let tasks = Tasks::new();
        let (gate, opened) = oneshot::channel::<()>();
        let work = tasks.spawn(async move { opened.await.is_ok() });
        let err = tasks.shutdown(Duration::from_millis(20)).await.unwrap_err();
        assert_eq!(err.remaining, 1);
        gate.send(()).unwrap();
        assert_eq!(
            within("the work", work).await.unwrap(),
            Some(true),
            "completed, not cancelled"
        );
    }

    #[tokio::test]
    async fn halting_drops_every_task_and_a_dropped_guard_halts() {
        let tasks = Tasks::new();
        let stuck = tasks.spawn(std::future::pending::<()>());
        tasks.halt();
        assert_eq!(within("the halted task", stuck).await.unwrap(), None);
        assert!(tasks.is_cancelled());

        let tasks = Tasks::new();
        let stuck = tasks.spawn(std::future::pending::<()>());
        drop(tasks.halt_on_drop());
        assert_eq!(within("the halted task", stuck).await.unwrap(), None);
    }

    #[tokio::test]
    async fn unless_cancelled_gives_up_waiting_once_shutdown_begins() {
        let tasks = Tasks::new();
        assert_eq!(tasks.unless_cancelled(async { 7 }).await, Some(7));
        let t = tasks.clone();
        let waiting =
            tokio::spawn(async move { t.unless_cancelled(std::future::pending::<()>()).await });
        tasks.shutdown(WAIT).await.unwrap();
        assert_eq!(within("the wait to end", waiting).await.unwrap(), None);
        assert!(tasks.is_cancelled());
    }
}
