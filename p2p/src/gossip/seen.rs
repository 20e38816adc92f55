//! The seen-cache: message ids this node has already validated (or is validating).
//!
//! Gossipsub drops copies of a message id only for `duplicate_cache_time` (60 s). Anything
//! arriving later — a slow peer, a re-broadcast, IWANT replies after a reconnect — would be
//! decoded and signature-checked again. This LRU extends that window to "as long as the id is
//! among the last `capacity` distinct ids", and it is also fed by txs submitted locally (RPC), so
//! their gossip echoes are dropped before any work. It is consulted before decoding.
//!
//! **Sizing.** The window it covers is `capacity / distinct-message-rate`. At the default 65 536
//! ids and 1 000 tx/s that is 65 s — as long as gossipsub's own window at the highest rate we
//! benchmark, and 11 minutes at 100 tx/s. Memory: an entry is a 32-byte id plus the LRU's
//! node and hash-table overhead, ≈ 80 bytes, so ≈ 5 MiB at the default.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

/// Counters exported as metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeenStats {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub len: usize,
    pub capacity: usize,
}

#[derive(Debug)]
struct Inner {
    lru: LruCache<[u8; 32], ()>,
    stats: SeenStats,
}

/// A shared, bounded LRU of 32-byte message ids. Clones share one cache; the lock is held for
/// one hash-map operation.
#[derive(Debug, Clone)]
pub struct SeenCache {
    inner: Arc<Mutex<Inner>>,
}

impl SeenCache {
    pub fn new(capacity: usize) -> Self {
        let cap = NonZeroUsize::new(capacity.max(1)).expect("max(1) is non-zero");
        Self {
            inner: Arc::new(Mutex::new(Inner {
                lru: LruCache::new(cap),
                stats: SeenStats {
                    capacity: cap.get(),
                    ..SeenStats::default()
                },
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the LRU inconsistent, so poison is moot.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `id`; returns `true` if it was new (a miss), `false` if already seen (a hit).
    pub fn insert(&self, id: [u8; 32]) -> bool {
        let mut g = self.lock();
        if g.lru.get(&id).is_some() {
            g.stats.hits += 1;
            return false;
        }
        g.stats.misses += 1;
        if g.lru.push(id, ()).is_some() {
            g.stats.evictions += 1;
        }
        true
    }

    /// Forgets `id`: for a message this node shed for its own reasons (a full queue, shutting
    /// down) before judging it, so that a later copy (IWANT, anti-entropy) is not dropped as a
    /// duplicate. Returns whether it was present.
    pub fn forget(&self, id: &[u8; 32]) -> bool {
        self.lock().lru.pop(id).is_some()
    }

    /// Whether `id` is present (does not count as a hit or refresh recency).
    pub fn contains(&self, id: &[u8; 32]) -> bool {
        self.lock().lru.contains(id)
    }

    pub fn stats(&self) -> SeenStats {
        let g = self.lock();
        SeenStats {
            len: g.lru.len(),
            ..g.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u8) -> [u8; 32] {
        [i; 32]
    }

    #[test]
    fn hits_misses_and_evictions() {
        let c = SeenCache::new(2);
        assert!(c.insert(id(1)));
        assert!(!c.insert(id(1)));
        assert!(c.insert(id(2)));
        // 1 was refreshed by the hit, so 2 is older? No: the hit on 1 happened before 2 was
        // inserted, so 1 is least recent and is evicted by 3.
        assert!(c.insert(id(3)));
        assert!(!c.contains(&id(1)));
        assert!(c.contains(&id(2)) && c.contains(&id(3)));
        let s = c.stats();
        assert_eq!(
            (s.hits, s.misses, s.evictions, s.len, s.capacity),
            (1, 3, 1, 2, 2)
        );
    }

    #[test]
    fn recency_protects_hot_ids() {
        let c = SeenCache::new(2);
        c.insert(id(1));
        c.insert(id(2));
        assert!(!c.insert(id(1))); // refresh 1
        c.insert(id(3)); // evicts 2
        assert!(c.contains(&id(1)));
        assert!(!c.contains(&id(2)));
    }

    #[test]
    fn a_forgotten_id_is_new_again() {
        let c = SeenCache::new(4);
        assert!(c.insert(id(1)));
        assert!(c.forget(&id(1)));
        assert!(!c.contains(&id(1)));
        assert!(!c.forget(&id(1)), "forgetting twice is harmless");
        assert!(
            c.insert(id(1)),
            "a shed message is judged when it comes back"
        );
        assert_eq!(c.stats().len, 1);
    }

    #[test]
    fn clones_share_state() {
        let a = SeenCache::new(8);
        let b = a.clone();
        a.insert(id(9));
        assert!(!b.insert(id(9)));
    }
}
