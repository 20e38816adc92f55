//! The degraded-store state machine: plain data, no clock of its own, no I/O (see the module
//! header of [`super`] for what the states mean and why the bounds are what they are).
//!
//! Per store: `Ok` → (an operation fails) → `Degraded { usable: false }` → (an attempt
//! succeeds: space probed and the handle reopened, or the journal resumed) →
//! `Degraded { usable: true }` → (a durable write succeeds) → `Ok`. A failure while usable goes
//! back to `usable: false`. Attempts back off from [`RETRY_MIN`] to the policy's maximum.

use std::time::{Duration, Instant};

use rumor_api::StoreHealth;
use rumor_chain::IoFailure;

/// The first wait before an attempt, doubled after each failed one.
pub const RETRY_MIN: Duration = Duration::from_millis(100);

/// The wait after `attempts` failed attempts.
fn backoff(policy: Policy, attempts: u32) -> Duration {
    RETRY_MIN
        .saturating_mul(1u32 << attempts.min(16))
        .min(policy.retry_max)
}

/// The stores whose failures are tracked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Store {
    /// `<data_dir>/chain.redb`.
    Chain,
    /// `<data_dir>/local-txs.journal`.
    Journal,
}

impl Store {
    pub const ALL: [Store; 2] = [Store::Chain, Store::Journal];

    /// The metric label and log field (names defined once, here).
    pub const fn label(self) -> &'static str {
        match self {
            Store::Chain => "chain",
            Store::Journal => "journal",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// The bounds (from the node's config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The longest wait between attempts.
    pub retry_max: Duration,
    /// How long a store may stay unusable with an error other than "out of space".
    pub give_up: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            retry_max: Duration::from_secs(2),
            give_up: Duration::from_secs(60),
        }
    }
}

/// A store whose writes fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Degraded {
    /// The latest failure (of an operation or of an attempt): what is wrong now.
    pub failure: IoFailure,
    pub since: Instant,
    pub since_ms: u64,
    /// Operations that failed since `since`.
    pub failures: u64,
    /// Failed attempts in a row (the backoff exponent).
    pub attempts: u32,
    pub next_attempt: Instant,
    /// The last attempt succeeded; a durable write confirms the recovery.
    pub usable: bool,
}

/// What the owner should do about a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Keep trying.
    Retry,
    /// Stop the node: the store has been unusable, not for want of space, for too long.
    GiveUp(String),
}

/// Every store's state.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    policy: Policy,
    stores: [Option<Degraded>; 2],
}

impl Tracker {
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            stores: Default::default(),
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    pub fn get(&self, store: Store) -> Option<&Degraded> {
        self.stores[store.index()].as_ref()
    }

    pub fn any(&self) -> bool {
        self.stores.iter().any(Option::is_some)
    }

    fn backoff(&self, attempts: u32) -> Duration {
        backoff(self.policy, attempts)
    }

    /// An operation on `store` failed. True when this is the failure that degraded it.
    pub fn failed(&mut self, store: Store, failure: &IoFailure, now: Instant, now_ms: u64) -> bool {
        let first_wait = self.backoff(0);
        match &mut self.stores[store.index()] {
            Some(d) => {
                d.failures += 1;
                d.failure = failure.clone();
                if d.usable {
                    // The attempt looked fine but the store failed again: back to waiting,
                    // and the backoff goes on growing.
                    d.usable = false;
                    d.next_attempt = now + backoff(self.policy, d.attempts);
                }
                false
            }
            slot @ None => {
                *slot = Some(Degraded {
                    failure: failure.clone(),
                    since: now,
                    since_ms: now_ms,
                    failures: 1,
                    attempts: 0,
                    next_attempt: now + first_wait,
                    usable: false,
                });
                true
            }
        }
    }

    /// An attempt to bring `store` back failed with `failure`.
    pub fn attempt_failed(&mut self, store: Store, failure: &IoFailure, now: Instant) {
        let policy = self.policy;
        if let Some(d) = &mut self.stores[store.index()] {
            d.attempts = d.attempts.saturating_add(1);
            d.next_attempt = now + backoff(policy, d.attempts);
            d.failure = failure.clone();
            d.usable = false;
        }
    }

    /// An attempt to bring `store` back succeeded; a write will confirm it.
    pub fn attempt_succeeded(&mut self, store: Store) {
        if let Some(d) = &mut self.stores[store.index()] {
            d.usable = true;
        }
    }

    /// A durable write to `store` succeeded: the degraded state it left, if it was in one.
    pub fn wrote(&mut self, store: Store) -> Option<Degraded> {
        self.stores[store.index()].take()
    }

    /// The stores due for an attempt at `now`.
    pub fn due(&self, now: Instant) -> Vec<Store> {
        Store::ALL
            .into_iter()
            .filter(|s| {
                self.get(*s)
                    .is_some_and(|d| !d.usable && d.next_attempt <= now)
            })
            .collect()
    }

    /// When the next attempt is due, if any store waits for one.
    pub fn next_attempt(&self) -> Option<Instant> {
        self.stores
            .iter()
            .flatten()
            .filter(|d| !d.usable)
            .map(|d| d.next_attempt)
            .min()
    }

    /// Whether the node should go on. Out of space waits for as long as it lasts; any other
    /// failure that leaves a store unusable for longer than the policy's `give_up` ends it.
    pub fn verdict(&self, now: Instant) -> Verdict {
        for s in Store::ALL {
            let Some(d) = self.get(s) else { continue };
            if !d.usable
                && !d.failure.out_of_space()
                && now.saturating_duration_since(d.since) >= self.policy.give_up
            {
                return Verdict::GiveUp(format!(
                    "{} store unusable for {:?} (limit {:?}, {} failed attempts): {}",
                    s.label(),
                    now.saturating_duration_since(d.since),
                    self.policy.give_up,
                    d.attempts,
                    d.failure
                ));
            }
        }
        if self.any() {
            Verdict::Retry
        } else {
            Verdict::Ok
        }
    }

    /// `store`'s state for `node_health`.
    pub fn health(&self, store: Store) -> StoreHealth {
        match self.get(store) {
            None => StoreHealth::Ok,
            Some(d) => StoreHealth::Degraded {
                reason: d.failure.message.clone(),
                out_of_space: d.failure.out_of_space(),
                since_ms: d.since_ms,
                failures: d.failures,
                gives_up_at_ms: (!d.failure.out_of_space())
                    .then(|| d.since_ms + self.policy.give_up.as_millis() as u64),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;

    use super::*;

    fn failure(kind: ErrorKind) -> IoFailure {
        IoFailure {
            kind,
            message: format!("{kind:?}"),
        }
    }

    fn tracker() -> Tracker {
        Tracker::new(Policy {
            retry_max: Duration::from_millis(800),
            give_up: Duration::from_secs(10),
        })
    }

    #[test]
    fn a_store_degrades_once_and_recovers_only_on_a_write_after_a_good_attempt() {
        let (mut t, t0) = (tracker(), Instant::now());
        let full = failure(ErrorKind::StorageFull);
        assert!(t.failed(Store::Chain, &full, t0, 7), "entered");
        assert!(!t.failed(Store::Chain, &full, t0, 7), "entered once");
        assert_eq!(t.get(Store::Chain).unwrap().failures, 2);
        assert!(t.get(Store::Journal).is_none(), "stores are separate");
        assert!(t.due(t0).is_empty(), "the first attempt waits RETRY_MIN");
        assert_eq!(t.due(t0 + RETRY_MIN), vec![Store::Chain]);

        t.attempt_succeeded(Store::Chain);
        assert!(
            t.due(t0 + RETRY_MIN).is_empty(),
            "usable: nothing to attempt"
        );
        assert_eq!(t.next_attempt(), None);
        assert!(
            matches!(
                t.health(Store::Chain),
                StoreHealth::Degraded { failures: 2, .. }
            ),
            "degraded until a write confirms"
        );
        let left = t.wrote(Store::Chain).expect("it was degraded");
        assert_eq!(left.since, t0);
        assert_eq!(t.health(Store::Chain), StoreHealth::Ok);
        assert_eq!(t.wrote(Store::Chain), None, "left once");
        assert_eq!(t.verdict(t0), Verdict::Ok);
    }

    #[test]
    fn attempts_back_off_to_the_maximum_and_a_relapse_keeps_the_backoff() {
        let (mut t, t0) = (tracker(), Instant::now());
        let full = failure(ErrorKind::StorageFull);
        t.failed(Store::Journal, &full, t0, 0);
        let mut now = t0;
        let mut waits = Vec::new();
        for _ in 0..5 {
            now = t.next_attempt().unwrap();
            t.attempt_failed(Store::Journal, &full, now);
            waits.push(t.next_attempt().unwrap() - now);
        }
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, vec![200, 400, 800, 800, 800]);
        t.attempt_succeeded(Store::Journal);
        t.failed(Store::Journal, &full, now, 0);
        assert_eq!(
            t.next_attempt().unwrap() - now,
            Duration::from_millis(800),
            "a relapse right after an attempt does not restart the backoff"
        );
    }

    #[test]
    fn only_failures_other_than_out_of_space_give_up_and_only_after_the_limit() {
        let (mut t, t0) = (tracker(), Instant::now());
        t.failed(Store::Chain, &failure(ErrorKind::StorageFull), t0, 1_000);
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(
            t.verdict(later),
            Verdict::Retry,
            "a full disk never ends it"
        );
        assert!(matches!(
            t.health(Store::Chain),
            StoreHealth::Degraded {
                out_of_space: true,
                gives_up_at_ms: None,
                ..
            }
        ));

        let (mut t, t0) = (tracker(), Instant::now());
        let eio = failure(ErrorKind::ReadOnlyFilesystem);
        t.failed(Store::Chain, &eio, t0, 1_000);
        assert!(matches!(
            t.health(Store::Chain),
            StoreHealth::Degraded {
                gives_up_at_ms: Some(11_000),
                ..
            }
        ));
        assert_eq!(t.verdict(t0 + Duration::from_secs(9)), Verdict::Retry);
        t.attempt_succeeded(Store::Chain);
        assert_eq!(
            t.verdict(t0 + Duration::from_secs(20)),
            Verdict::Retry,
            "a reopened store waits for its write"
        );
        t.failed(Store::Chain, &eio, t0 + Duration::from_secs(20), 0);
        let Verdict::GiveUp(why) = t.verdict(t0 + Duration::from_secs(20)) else {
            panic!("unusable past the limit");
        };
        assert!(
            why.contains("chain store") && why.contains("ReadOnlyFilesystem"),
            "{why}"
        );
    }
}
