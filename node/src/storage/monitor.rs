//! Every store's health ([`StorageMonitor`]): failures counted and exported, degraded stores
//! refused, recovery attempts scheduled by the policy ([`super::policy`]).
//!
//! Invariant: the monitor's lock is a leaf (taken under the ledger's chain lock, never the
//! other way round).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rumor_api::StoreHealth;
use rumor_chain::IoFailure;
use tokio::sync::Notify;

use super::policy::{Policy, Store, Tracker, Verdict};
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
}
