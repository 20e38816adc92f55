//! Per-peer backoff for catch-up: a peer whose catch-up did not move our head waits before
//! it may start another one, twice as long after each failure.
//!
//! Invariants: the wait is between [`BACKOFF_BASE`] and [`BACKOFF_MAX`]; at most
//! [`MAX_BACKOFF_PEERS`] peers are remembered (the entry whose wait ends first is forgotten
//! to make room), so a flood of peer ids cannot grow the map; a success forgets the peer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rumor_p2p::PeerId;

/// The wait after a first failure.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// The longest wait, however many failures.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// Peers remembered at once.
pub const MAX_BACKOFF_PEERS: usize = 1024;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    until: Instant,
}

/// Which peers may start a catch-up now.
#[derive(Debug, Default)]
pub struct Backoff {
    peers: Mutex<HashMap<PeerId, Entry>>,
}

impl Backoff {
    /// Whether `peer` may start a catch-up at `now`.
    pub fn ready(&self, peer: &PeerId, now: Instant) -> bool {
        let peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers.get(peer).is_none_or(|e| now >= e.until)
    }

    /// A catch-up from `peer` did not move our head: it waits longer. Returns the wait.
    pub fn failed(&self, peer: PeerId, now: Instant) -> Duration {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        if !peers.contains_key(&peer) && peers.len() >= MAX_BACKOFF_PEERS {
            let first = peers.iter().min_by_key(|(_, e)| e.until).map(|(p, _)| *p);
            if let Some(p) = first {
                peers.remove(&p);
            }
        }
        let failures = peers.get(&peer).map_or(0, |e| e.failures).saturating_add(1);
        let wait = BACKOFF_BASE
            .saturating_mul(1u32 << (failures - 1).min(16))
            .min(BACKOFF_MAX);
        peers.insert(
            peer,
            Entry {
                failures,
                until: now + wait,
            },
        );
        wait
    }

    /// A catch-up from `peer` moved our head: it is forgotten.
    pub fn succeeded(&self, peer: &PeerId) {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(peer);
    }

    pub fn len(&self) -> usize {
        self.peers.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::peer;

    #[test]
    fn waits_double_up_to_the_cap_and_success_forgets() {
        let b = Backoff::default();
        let now = Instant::now();
        assert!(b.ready(&peer(1), now));
        let waits: Vec<Duration> = (0..9).map(|_| b.failed(peer(1), now)).collect();
        assert_eq!(waits[0], BACKOFF_BASE);
        assert_eq!(waits[1], BACKOFF_BASE * 2);
        assert_eq!(waits[2], BACKOFF_BASE * 4);
        assert_eq!(*waits.last().unwrap(), BACKOFF_MAX);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert!(!b.ready(&peer(1), now + BACKOFF_MAX - Duration::from_millis(1)));
        assert!(b.ready(&peer(1), now + BACKOFF_MAX));
        assert!(b.ready(&peer(2), now), "per peer");
        b.succeeded(&peer(1));
        assert!(b.ready(&peer(1), now));
        assert_eq!(b.failed(peer(1), now), BACKOFF_BASE, "starts over");
    }

    #[test]
    fn the_map_is_bounded() {
        let b = Backoff::default();
        let now = Instant::now();
        for _ in 0..MAX_BACKOFF_PEERS + 10 {
            b.failed(PeerId::random(), now);
        }
        assert_eq!(b.len(), MAX_BACKOFF_PEERS);
    }
}
