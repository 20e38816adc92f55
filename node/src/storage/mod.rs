//! Store failures: how the node lives through a full disk or a failing store, and when it stops.
//!
//! The stores are the chain store (redb, `chain.redb`) and the local-tx journal. When a write to
//! one fails with an I/O error the node is **degraded, never a zombie**:
//! - it takes no tx over RPC (`tx_submit` answers −32032 `storage_unavailable` with the reason)
//!   and produces no block while the chain store is unusable, and starts no catch-up (it would
//!   fail and back the peer off);
//! - it keeps relaying what needs no disk: gossiped blocks are forwarded on their checked
//!   header and gossiped txs pooled in memory, as before; reads it can serve are served;
//! - it **says so once**: one warning when a store degrades and one when it recovers (never a
//!   line per slot); meanwhile `rumor_store_degraded{store}` is 1, every failed operation counts
//!   in `rumor_store_failures_total{store}`, every attempt in
//!   `rumor_store_recovery_attempts_total{store,result}`, and `node_health` gives the reason;
//! - it **recovers by itself** ([`doctor`]): when the failure was "out of space" an attempt first
//!   writes and removes a [`doctor::PROBE_BYTES`] probe file in the data dir; then it reopens the
//!   chain store (redb refuses every operation on a handle after its first I/O error, so the
//!   handle is closed and the file opened again, with redb's repair and the integrity check of
//!   a normal start) or truncates the journal to its last durable record. The chain store is
//!   healthy again at its next durable write (its own block, or one from a peer); the journal
//!   right after its attempt. The best block that failed to import while degraded is caught
//!   up from its sender right after the reopen (the normal locator sync), so a node that
//!   missed blocks does not wait for the next gossip to notice.
//!
//! # Bounds, and why
//! - **Attempts back off from 100 ms to `store_retry_max_ms` (2 s).** The node resumes within
//!   one period of space returning; against a disk that stays full an attempt costs one probe
//!   write (1 MiB + fdatasync: 2–16 ms measured here) and no reopen, so waiting longer would buy
//!   nothing. A reopen holds the chain lock while redb repairs and checks the whole file
//!   (`cargo bench -p rumor-chain -- "store reopen"`: 11 ms for an 8 MiB store, 66 ms for
//!   64 MiB, about 1 ms per MiB), so after "out of space" it runs only once the probe passes;
//!   on a file system that refuses writes the open fails before reading anything.
//! - **Out of space is retried for as long as it lasts.** Nothing the node does frees space, a
//!   restart would meet the same full disk at open (and lose its pool and peers), while a
//!   degraded node keeps relaying and tells `/metrics`, `node_health` and its log what is wrong.
//! - **Any other I/O error** (EIO, a file system remounted read-only after an error) is retried
//!   while the store stays unusable for at most `store_give_up_ms` (60 s): long enough to ride
//!   out a transient fault, short enough that a supervisor learns within a minute that the disk
//!   is gone. Then the node shuts down in order and exits with status 74
//!   ([`rumor_api::exit::STORE_FAILED`]). A reopen that finds the file refused (corrupt,
//!   another genesis) stops it at once: no retry can fix that.
//!
//! Lock order: the monitor's lock is a leaf (taken under the ledger's chain lock, never the
//! other way round).

pub mod doctor;
pub mod policy;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rumor_api::StoreHealth;
use rumor_chain::IoFailure;
use tokio::sync::{Notify, watch};

pub use doctor::{Missed, probe_space};
use policy::Tracker;
pub use policy::{Policy, Store, Verdict};

use crate::metrics::NodeMetrics;

/// Why an attempt to bring a store back did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Still failing; try again later.
    Retry(IoFailure),
    /// The store refuses its own file: stop the node.
    Fatal(String),
}

/// Every store's health, shared by whoever writes to a store (the ledger, the tx pipeline)
/// and the recovery task.
#[derive(Debug)]
pub struct StorageMonitor {
    tracker: Mutex<Tracker>,
    /// Some store is degraded (read without the lock by `tx_submit`).
    degraded: AtomicBool,
    /// The chain store's handle needs an attempt before it can be used.
    chain_unusable: AtomicBool,
    metrics: Arc<NodeMetrics>,
    /// Wakes the recovery task on a new failure.
    wake: Notify,
    /// The node's clock's offset from the system clock (ms): `since_ms` and `gives_up_at_ms`
    /// in `node_health` are on the node's clock, as every other time it reports.
    clock_offset_ms: std::sync::atomic::AtomicI64,
}

impl StorageMonitor {
    pub fn new(metrics: Arc<NodeMetrics>, policy: Policy) -> Self {
        for s in Store::ALL {
            metrics.degraded_gauge(s).set(0);
            metrics.failure_counter(s);
        }
        Self {
            tracker: Mutex::new(Tracker::new(policy)),
            degraded: AtomicBool::new(false),
            chain_unusable: AtomicBool::new(false),
            clock_offset_ms: std::sync::atomic::AtomicI64::new(0),
            metrics,
            wake: Notify::new(),
        }
    }

    fn tracker(&self) -> MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, t: &Tracker) {
        self.degraded.store(t.any(), Ordering::Release);
        let unusable = t.get(Store::Chain).is_some_and(|d| !d.usable);
        self.chain_unusable.store(unusable, Ordering::Release);
    }

    pub fn set_policy(&self, policy: Policy) {
        let mut t = self.tracker();
        if !t.any() {
            *t = Tracker::new(policy);
        }
    }

    /// Reads wall time through the node's clock from now on.
    pub fn set_clock(&self, clock: rumor_chain::clock::Clock) {
        self.clock_offset_ms
            .store(clock.offset_ms(), std::sync::atomic::Ordering::Relaxed);
    }

    fn now_ms(&self) -> u64 {
        rumor_chain::clock::Clock::with_offset_ms(
            self.clock_offset_ms
                .load(std::sync::atomic::Ordering::Relaxed),
        )
        .now_ms()
    }

    pub fn policy(&self) -> Policy {
        self.tracker().policy()
    }

    /// An operation on `store` failed with an I/O error.
    pub fn failed(&self, store: Store, failure: &IoFailure) {
        self.metrics.failure_counter(store).inc();
        let mut t = self.tracker();
        let entered = t.failed(store, failure, Instant::now(), self.now_ms());
        self.publish(&t);
        drop(t);
        if entered {
            self.metrics.degraded_gauge(store).set(1);
            tracing::warn!(
                store = store.label(),
                error = %failure,
                out_of_space = failure.out_of_space(),
                "store writes fail: degraded (tx_submit refused, no blocks produced) until it recovers; see node_health"
            );
        }
        self.wake.notify_one();
    }

    /// A durable write to `store` succeeded: it leaves the degraded state if it was in one.
    pub fn wrote(&self, store: Store) {
        if !self.degraded.load(Ordering::Acquire) {
            return;
        }
        let mut t = self.tracker();
        let left = t.wrote(store);
        self.publish(&t);
        drop(t);
        if let Some(d) = left {
            self.metrics.degraded_gauge(store).set(0);
            tracing::warn!(
                store = store.label(),
                after = ?d.since.elapsed(),
                failures = d.failures,
                "store recovered: writes succeed again"
            );
        }
    }

    /// An attempt to bring `store` back succeeded (a write confirms it; see [`Self::wrote`]).
    pub fn attempt_succeeded(&self, store: Store) {
        self.count_attempt(store, "ok");
        let mut t = self.tracker();
        t.attempt_succeeded(store);
        self.publish(&t);
    }

    /// An attempt to bring `store` back failed.
    pub fn attempt_failed(&self, store: Store, failure: &IoFailure) {
        self.count_attempt(store, "failed");
        tracing::debug!(store = store.label(), error = %failure, "store still failing");
        let mut t = self.tracker();
        t.attempt_failed(store, failure, Instant::now());
        self.publish(&t);
    }

    fn count_attempt(&self, store: Store, result: &'static str) {
        self.metrics
            .store_recovery_attempts
            .get_or_create(&vec![("store", store.label()), ("result", result)])
            .inc();
    }

    /// Some store is degraded. Lock-free.
    pub fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::Acquire)
    }

    /// Whether `store` is degraded.
    pub fn degraded(&self, store: Store) -> bool {
        self.is_degraded() && self.tracker().get(store).is_some()
    }

    /// Whether the chain store's handle can be used (it may still wait for a confirming
    /// write). Lock-free.
    pub fn chain_usable(&self) -> bool {
        !self.chain_unusable.load(Ordering::Acquire)
    }

    /// Why the node takes no txs now, if it does not.
    pub fn refusal(&self) -> Option<String> {
        if !self.is_degraded() {
            return None;
        }
        let t = self.tracker();
        let why: Vec<String> = Store::ALL
            .into_iter()
            .filter_map(|s| {
                t.get(s)
                    .map(|d| format!("{} store: {}", s.label(), d.failure))
            })
            .collect();
        (!why.is_empty()).then(|| why.join("; "))
    }

    /// The latest failure of `store`, if it is degraded.
    pub fn failure(&self, store: Store) -> Option<IoFailure> {
        self.tracker().get(store).map(|d| d.failure.clone())
    }

    pub fn health(&self, store: Store) -> StoreHealth {
        self.tracker().health(store)
    }

    /// The stores due for an attempt now.
    pub fn due(&self, now: Instant) -> Vec<Store> {
        self.tracker().due(now)
    }

    pub fn next_attempt(&self) -> Option<Instant> {
        self.tracker().next_attempt()
    }

    pub fn verdict(&self, now: Instant) -> Verdict {
        self.tracker().verdict(now)
    }

    /// Resolves after the next [`Self::failed`] (or at once if one came since the last wait).
    pub async fn notified(&self) {
        self.wake.notified().await
    }
}

/// Set once when the node must stop (a store it cannot recover); `run` waits for it next to
/// its shutdown signal, stops in order, and returns [`crate::NodeError::StoreFailed`].
#[derive(Debug)]
pub struct Fatal(watch::Sender<Option<String>>);

impl Default for Fatal {
    fn default() -> Self {
        Self(watch::channel(None).0)
    }
}

impl Fatal {
    /// Asks the node to stop for `reason` (the first reason wins).
    pub fn raise(&self, reason: String) {
        self.0.send_if_modified(|r| {
            if r.is_some() {
                return false;
            }
            *r = Some(reason);
            true
        });
    }

    /// The reason, once raised.
    pub fn get(&self) -> Option<String> {
        self.0.borrow().clone()
    }

    /// Waits until raised; returns the reason.
    pub async fn wait(&self) -> String {
        let mut rx = self.0.subscribe();
        let raised = rx
            .wait_for(Option::is_some)
            .await
            .map(|r| r.clone().unwrap_or_default());
        match raised {
            Ok(reason) => reason,
            // The sender lives in `Ctx`, as long as any waiter.
            Err(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;

    use super::*;
    use crate::testing::TestNet;

    fn full() -> IoFailure {
        IoFailure {
            kind: ErrorKind::StorageFull,
            message: "No space left on device (os error 28)".into(),
        }
    }

    #[test]
    fn failures_degrade_once_count_each_and_a_write_recovers() {
        let metrics = TestNet::new(1, 1).metrics();
        let m = StorageMonitor::new(metrics.clone(), Policy::default());
        assert_eq!((m.is_degraded(), m.refusal()), (false, None));
        m.failed(Store::Chain, &full());
        m.failed(Store::Chain, &full());
        assert!(m.is_degraded() && !m.chain_usable());
        assert_eq!(metrics.degraded_gauge(Store::Chain).get(), 1);
        assert_eq!(metrics.failure_counter(Store::Chain).get(), 2);
        assert_eq!(metrics.degraded_gauge(Store::Journal).get(), 0);
        let why = m.refusal().unwrap();
        assert!(why.starts_with("chain store: No space left"), "{why}");
        assert!(matches!(
            m.health(Store::Chain),
            StoreHealth::Degraded { failures: 2, .. }
        ));
        assert!(m.health(Store::Journal).is_ok());

        m.wrote(Store::Journal);
        assert!(m.is_degraded(), "another store's write recovers nothing");
        m.attempt_succeeded(Store::Chain);
        assert!(
            m.chain_usable() && m.is_degraded(),
            "usable, not yet confirmed"
        );
        m.wrote(Store::Chain);
        assert!(!m.is_degraded() && m.refusal().is_none());
        assert_eq!(metrics.degraded_gauge(Store::Chain).get(), 0);
        let ok = vec![("store", "chain"), ("result", "ok")];
        assert_eq!(metrics.store_recovery_attempts.get_or_create(&ok).get(), 1);
    }

    #[tokio::test]
    async fn fatal_is_raised_once_and_waiters_see_the_first_reason() {
        let fatal = Fatal::default();
        assert_eq!(fatal.get(), None);
        let wait = fatal.wait();
        fatal.raise("first".into());
        fatal.raise("second".into());
        assert_eq!(wait.await, "first");
        assert_eq!(fatal.get().as_deref(), Some("first"));
    }
}
