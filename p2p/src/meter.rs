//! Per-node CPU accounting for many nodes in one process (in-process testnets), where
//! `/proc/<pid>/stat` can only say what the whole process used.
//!
//! A [`Meter`] adds up the time its node's futures spend inside `poll` (every task the node
//! spawns, the network loop, and, through [`Meter::executor`], every libp2p connection task)
//! and the time its jobs run on shared worker threads ([`Meter::measure`]).
//!
//! # What it measures, and what it misses
//!
//! - Poll time is wall-clock time around each `poll` (`Instant`, a vDSO read of ~30 ns). A
//!   thread's own CPU clock (`CLOCK_THREAD_CPUTIME_ID`) would not count time the thread was
//!   preempted, but it is a real system call here (~0.8 µs measured on this machine), paid
//!   twice per poll: at 1 000 nodes that alone would cost about a third of a core. Wall time
//!   equals CPU time while the machine has idle cores, which is the only regime in which the
//!   report trusts its figures anyway (the saturation check). [`Meter::measure`] is wall time
//!   too: a blocking-pool job that waits for the chain lock counts that wait as busy.
//! - Not attributed: the async runtime's own work (timers, the I/O driver, scheduling) and
//!   tasks a library spawns by itself (the JSON-RPC server's connection tasks). The report
//!   gives the process's CPU beside the sum of the meters, so the unattributed share is
//!   visible.
//!
//! Invariant: a meter only ever grows; clones share one total.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// One node's accumulated busy time. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Meter(Arc<AtomicU64>);

impl Meter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Busy time accounted so far.
    pub fn busy(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }

    /// Adds `d` (work measured elsewhere).
    pub fn add(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(ns, Ordering::Relaxed);
    }

    /// Runs `f` and accounts its duration to this meter.
    pub fn measure<T>(&self, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = f();
        self.add(started.elapsed());
        out
    }

    /// `future`, with every poll accounted to this meter.
    pub fn wrap<F: Future>(&self, future: F) -> Metered<F> {
        Metered {
            inner: future,
            meter: self.clone(),
        }
    }

    /// A libp2p executor that spawns each connection task on the current tokio runtime,
    /// accounted to this meter.
    pub fn executor(&self) -> MeteredExecutor {
        MeteredExecutor(self.clone())
    }
}

pin_project_lite::pin_project! {
    /// A future whose polls are accounted to a [`Meter`].
    #[derive(Debug)]
    pub struct Metered<F> {
        #[pin]
        inner: F,
        meter: Meter,
    }
}

impl<F: Future> Future for Metered<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let started = Instant::now();
        let out = this.inner.poll(cx);
        this.meter.add(started.elapsed());
        out
    }
}

/// See [`Meter::executor`].
#[derive(Debug, Clone)]
pub struct MeteredExecutor(Meter);

impl libp2p::swarm::Executor for MeteredExecutor {
    fn exec(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) {
        tokio::spawn(self.0.wrap(future));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Busy for `d` inside one poll, then pending once, then ready.
    struct Spin {
        d: Duration,
        polls: u32,
    }

    impl Future for Spin {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            let until = Instant::now() + self.d;
            while Instant::now() < until {
                std::hint::spin_loop();
            }
            self.polls += 1;
            if self.polls < 2 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(self.polls)
            }
        }
    }

    #[tokio::test]
    async fn polls_are_accounted_and_clones_share_the_total() {
        let meter = Meter::new();
        let d = Duration::from_millis(5);
        let polls = meter.clone().wrap(Spin { d, polls: 0 }).await;
        assert_eq!(polls, 2);
        assert!(meter.busy() >= 2 * d, "{:?}", meter.busy());
        // Time spent waiting between polls is not counted.
        let before = meter.busy();
        meter
            .wrap(tokio::time::sleep(Duration::from_millis(50)))
            .await;
        assert!(meter.busy() - before < Duration::from_millis(25));
    }

    #[tokio::test]
    async fn measured_work_and_spawned_connection_tasks_count() {
        use libp2p::swarm::Executor;
        let meter = Meter::new();
        assert_eq!(meter.measure(|| 7), 7);
        let (tx, rx) = tokio::sync::oneshot::channel();
        meter.executor().exec(Box::pin(async move {
            let v = Spin {
                d: Duration::from_millis(3),
                polls: 0,
            }
            .await;
            let _ = tx.send(v);
        }));
        assert_eq!(rx.await.unwrap(), 2);
        assert!(meter.busy() >= Duration::from_millis(6));
    }
}
