//! Messages published before any peer subscribed to their topic.
//!
//! Gossipsub refuses to publish with no subscribed peer (`NoPeersSubscribedToTopic`). A tx
//! submitted to a node that is still joining the mesh must not be lost, so it waits here —
//! bounded in count (oldest dropped first) and in age — and is retried whenever a peer
//! subscribes and on every maintenance tick.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::topic::Topic;

/// How long a block may wait for a first subscriber (whatever the queue's TTL). A block that
/// waited longer is worth nothing by gossip: peers fetch it by sync once they see our status,
/// and receivers reject a block whose slot is far behind their clock as a replay (the node's
/// stale-slot window, 64 slots, must stay longer than this).
pub const BLOCK_TTL: Duration = Duration::from_secs(4);

#[derive(Debug)]
pub struct Queued {
    pub topic: Topic,
    pub data: Vec<u8>,
    pub queued_at: Instant,
}

/// Bounded FIFO with expiry.
#[derive(Debug)]
pub struct PublishQueue {
    items: VecDeque<Queued>,
    capacity: usize,
    ttl: Duration,
    /// Messages dropped because the queue was full or they expired.
    pub dropped: u64,
}

impl PublishQueue {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            items: VecDeque::new(),
            capacity: capacity.max(1),
            ttl,
            dropped: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn push(&mut self, topic: Topic, data: Vec<u8>, now: Instant) {
        if self.items.len() >= self.capacity {
            self.items.pop_front();
            self.dropped += 1;
        }
        self.items.push_back(Queued {
            topic,
            data,
            queued_at: now,
        });
    }

    /// Drops expired entries, then hands every remaining one to `try_publish`; entries for which
    /// it returns `false` (still no peers) stay queued, in order.
    pub fn retry(&mut self, now: Instant, mut try_publish: impl FnMut(&Queued) -> bool) {
        let before = self.items.len();
        let ttl = self.ttl;
        self.items.retain(|q| {
            let ttl = match q.topic {
                Topic::Block => ttl.min(BLOCK_TTL),
                Topic::Tx => ttl,
            };
            now.saturating_duration_since(q.queued_at) < ttl
        });
        self.dropped += (before - self.items.len()) as u64;
        self.items.retain(|q| !try_publish(q));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_expiring_and_ordered() {
        let t0 = Instant::now();
        let mut q = PublishQueue::new(2, Duration::from_secs(10));
        q.push(Topic::Tx, vec![1], t0);
        q.push(Topic::Tx, vec![2], t0);
        q.push(Topic::Tx, vec![3], t0 + Duration::from_secs(5));
        assert_eq!(q.len(), 2);
        assert_eq!(q.dropped, 1);
        // At t0+11 the second has expired; the third remains and publishing it fails.
        let mut seen = Vec::new();
        q.retry(t0 + Duration::from_secs(11), |m| {
            seen.push(m.data[0]);
            false
        });
        assert_eq!(seen, vec![3]);
        assert_eq!(q.len(), 1);
        assert_eq!(q.dropped, 2);
        q.retry(t0 + Duration::from_secs(12), |_| true);
        assert!(q.is_empty());
    }

    #[test]
    fn a_block_expires_sooner_than_a_tx() {
        let t0 = Instant::now();
        let mut q = PublishQueue::new(8, Duration::from_secs(60));
        q.push(Topic::Block, vec![1], t0);
        q.push(Topic::Tx, vec![2], t0);
        let mut seen = Vec::new();
        q.retry(t0 + BLOCK_TTL, |m| {
            seen.push(m.data[0]);
            false
        });
        assert_eq!(seen, vec![2]);
        assert_eq!(q.dropped, 1);
    }
}
