//! Per-peer request quotas: one token bucket per peer for each inbound request protocol
//! (Status greetings, sync fetches, peer exchange, txsync), and the offence a peer earns by
//! keeping on after it has been refused.
//!
//! # Invariants
//!
//! - A request is served only if the peer's bucket had a token; a refused request is answered
//!   at once ("rate limited") and costs the node nothing else.
//! - Refusal alone is not misconduct: an honest peer that bursts once (a reconnect, a catch-up)
//!   is refused and backs off. Every [`REFUSALS_PER_OFFENCE`]-th refusal is an offence, so a
//!   peer that ignores the refusals is penalised and, after three offences, banned.
//!
//! # Bounds
//!
//! - One bucket per connected peer: the event loop calls [`PeerQuota::forget`] when a peer's
//!   last connection closes, so the map is bounded by the connection limits.

use std::collections::HashMap;
use std::time::Instant;

use libp2p::PeerId;

/// Refusals in a row that make one offence. Measured reason: an honest peer that is refused
/// backs off (catch-up waits for its backoff, PX and txsync for their next tick), so it is
/// refused a few times at most; the status-spam attack reaches 16 within a second.
pub(crate) const REFUSALS_PER_OFFENCE: u32 = 16;

/// What the quota decided about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quota {
    /// Serve it.
    Allow,
    /// Refuse it; `offence` when this refusal completes another [`REFUSALS_PER_OFFENCE`].
    Refuse { offence: bool },
}

#[cfg(test)]
impl Quota {
    fn allowed(self) -> bool {
        self == Quota::Allow
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
    refused: u32,
}

/// A token bucket per peer: `burst` requests at once, refilled at `per_sec`.
#[derive(Debug)]
pub(crate) struct PeerQuota {
    burst: f64,
    per_sec: f64,
    buckets: HashMap<PeerId, Bucket>,
}

impl PeerQuota {
    pub fn new(burst: u32, per_sec: f64) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_sec: per_sec.max(0.0),
            buckets: HashMap::new(),
        }
    }

    /// Takes one token from `peer`'s bucket, if it has one.
    pub fn allow(&mut self, peer: PeerId, now: Instant) -> Quota {
        let burst = self.burst;
        let b = self.buckets.entry(peer).or_insert(Bucket {
            tokens: burst,
            last: now,
            refused: 0,
        });
        let refill = now.saturating_duration_since(b.last).as_secs_f64() * self.per_sec;
        b.tokens = (b.tokens + refill).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Quota::Allow;
        }
        b.refused += 1;
        Quota::Refuse {
            offence: b.refused.is_multiple_of(REFUSALS_PER_OFFENCE),
        }
    }

    pub fn forget(&mut self, peer: &PeerId) {
        self.buckets.remove(peer);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.buckets.len()
    }
}

/// The inbound request protocols with a quota of their own (txsync keeps its quota in
/// [`crate::requests::pull`], next to its other bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Status,
    Sync,
    Px,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Sync => "sync",
            Kind::Px => "px",
        }
    }
}

/// One [`PeerQuota`] per [`Kind`].
#[derive(Debug)]
pub(crate) struct InboundQuotas {
    status: PeerQuota,
    sync: PeerQuota,
    px: PeerQuota,
}

impl InboundQuotas {
    pub fn new(q: &crate::config::RequestQuotas) -> Self {
        Self {
            status: PeerQuota::new(q.status_burst, q.status_per_sec),
            sync: PeerQuota::new(q.sync_burst, q.sync_per_sec),
            px: PeerQuota::new(q.px_burst, q.px_per_sec),
        }
    }

    pub fn allow(&mut self, kind: Kind, peer: PeerId, now: Instant) -> Quota {
        match kind {
            Kind::Status => self.status.allow(peer, now),
            Kind::Sync => self.sync.allow(peer, now),
            Kind::Px => self.px.allow(peer, now),
        }
    }

    /// The peer's last connection closed.
    pub fn forget(&mut self, peer: &PeerId) {
        self.status.forget(peer);
        self.sync.forget(peer);
        self.px.forget(peer);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_refills() {
        let mut q = PeerQuota::new(3, 2.0);
        let (p, t) = (PeerId::random(), Instant::now());
        for _ in 0..3 {
            assert!(q.allow(p, t).allowed());
        }
        assert_eq!(q.allow(p, t), Quota::Refuse { offence: false });
        // Half a second refills one token at 2/s.
        assert!(q.allow(p, t + Duration::from_millis(500)).allowed());
        // Another peer has its own bucket.
        assert!(q.allow(PeerId::random(), t).allowed());
        q.forget(&p);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn only_a_peer_that_keeps_on_after_refusals_offends() {
        let mut q = PeerQuota::new(1, 0.0);
        let (p, t) = (PeerId::random(), Instant::now());
        assert!(q.allow(p, t).allowed());
        let offences = (0..3 * REFUSALS_PER_OFFENCE)
            .filter(|_| q.allow(p, t) == Quota::Refuse { offence: true })
            .count();
        assert_eq!(
            offences, 3,
            "one offence per {REFUSALS_PER_OFFENCE} refusals"
        );
    }
}
