//! First duplicates: the moment a node receives a message's second copy, for the report's
//! time-to-first-duplicate (how soon redundancy arrives after the first copy, i.e. how much
//! time IDONTWANT has to suppress it).
//!
//! Gossipsub drops a duplicate in its own duplicate filter, before the application sees
//! anything, but it computes the message id of every copy it receives (and of every message
//! it publishes, each publish attempt) with the configured id function first.
//! [`DuplicateWatch::observe`] runs inside that function: it counts received copies per
//! message id and reports the second copy the node held (a publisher holds its message
//! from the first attempt). Received and published are told apart by [`WatchTransform`]:
//! gossipsub passes every received message, and only those, through its data transform
//! immediately before computing the id, on the same task. So a duplicate is timed at
//! receipt, with no decoding, and costs one map update per copy.
//!
//! Bound: the watch remembers [`DuplicateWatch::capacity`] message ids, least recently seen
//! evicted first (a message evicted and received again would be reported once more). The
//! default, [`DEFAULT_CAPACITY`] = 8 192 ids, is ~40 s of messages at 200 msg/s, where
//! duplicates arrive within a second of the first copy (loopback and WAN runs, session 9);
//! the map grows only as messages arrive (~80 B an id), so an idle node holds nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use gossipsub::{self, DataTransform, RawMessage, TopicHash};
use lru::LruCache;

use crate::topic::{Topic, Topics};

/// Message ids remembered by default (the node's `[node] trace_duplicate_ids`).
pub const DEFAULT_CAPACITY: usize = 8192;

/// Called with the topic and the message's trace id (a tx's hash, a block's hash) when a
/// node receives its second copy of a message.
pub type OnDuplicate = Arc<dyn Fn(Topic, [u8; 32]) + Send + Sync>;

/// Counts copies per message id; see the module note.
#[derive(Clone)]
pub struct DuplicateWatch {
    inner: Arc<Inner>,
}

struct Inner {
    topics: Topics,
    capacity: usize,
    copies: Mutex<LruCache<[u8; 32], u8>>,
    on_duplicate: OnDuplicate,
    /// Set by [`WatchTransform`] for a received message, taken by the next `observe`.
    received: AtomicBool,
}

impl std::fmt::Debug for DuplicateWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuplicateWatch")
            .field("capacity", &self.inner.capacity)
            .field("tracked", &self.tracked())
            .finish()
    }
}

impl DuplicateWatch {
    pub fn new(network: &str, capacity: usize, on_duplicate: OnDuplicate) -> Self {
        Self {
            inner: Arc::new(Inner {
                topics: Topics::new(network),
                capacity: capacity.max(1),
                // Unbounded map, bounded by hand below: `LruCache::new` would allocate the
                // whole capacity up front, per node.
                copies: Mutex::new(LruCache::unbounded()),
                on_duplicate,
                received: AtomicBool::new(false),
            }),
        }
    }

    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// Message ids remembered now.
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<[u8; 32], u8>> {
        self.inner.copies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The id of message `id` with payload `data` on `topic` is being computed: for a copy
    /// received (flagged by [`WatchTransform`]) or for a publish attempt. Reports the second
    /// copy held. Messages on other topics are ignored.
    pub fn observe(&self, topic: &TopicHash, id: &[u8; 32], data: &[u8]) {
        let received = self.inner.received.swap(false, Ordering::Relaxed);
        let Some(topic) = self.inner.topics.topic(topic) else {
            return;
        };
        let second = {
            let mut copies = self.lock();
            match copies.get_mut(id) {
                // Only the copy that makes two reports: a publish attempt (a retry, or a
                // node publishing what it already received) adds no copy.
                Some(c) if received => {
                    *c = c.saturating_add(1);
                    *c == 2
                }
                Some(_) => false,
                None => {
                    copies.push(*id, 1);
                    while copies.len() > self.inner.capacity {
                        copies.pop_lru();
                    }
                    false
                }
            }
        };
        if second && let Some(trace_id) = trace_id(topic, id, data) {
            (self.inner.on_duplicate)(topic, trace_id);
        }
    }
}

/// Gossipsub's data transform for a watched node: the identity, except that it flags each
/// received message for the [`DuplicateWatch::observe`] call that follows it.
#[derive(Debug, Clone, Default)]
pub struct WatchTransform(pub Option<DuplicateWatch>);

impl DataTransform for WatchTransform {
    fn inbound_transform(&self, raw: RawMessage) -> Result<gossipsub::Message, std::io::Error> {
        if let Some(w) = &self.0 {
            w.inner.received.store(true, Ordering::Relaxed);
        }
        Ok(gossipsub::Message {
            source: raw.source,
            data: raw.data,
            sequence_number: raw.sequence_number,
            topic: raw.topic,
        })
    }

    fn outbound_transform(
        &self,
        _topic: &TopicHash,
        data: Vec<u8>,
    ) -> Result<Vec<u8>, std::io::Error> {
        Ok(data)
    }
}

/// The id the trace uses for a message: a tx's hash (its message id: the SHA-256 of its
/// encoding), a block's hash (the SHA-256 of its header, which follows the kind byte in
/// both block forms). `None` for a block message too short to hold a header.
pub fn trace_id(topic: Topic, message_id: &[u8; 32], data: &[u8]) -> Option<[u8; 32]> {
    use sha2::{Digest, Sha256};
    match topic {
        Topic::Tx => Some(*message_id),
        Topic::Block => {
            let header = data.get(1..1 + rumor_chain::codec::HEADER_ENCODED_LEN)?;
            Some(Sha256::digest(header).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    type Reported = Arc<StdMutex<Vec<(Topic, [u8; 32])>>>;

    fn watch(cap: usize) -> (DuplicateWatch, Reported) {
        let got = Arc::new(StdMutex::new(Vec::new()));
        let sink = got.clone();
        let w = DuplicateWatch::new(
            "net",
            cap,
            Arc::new(move |t, id| sink.lock().unwrap().push((t, id))),
        );
        (w, got)
    }

    /// A copy received: the transform runs, then the id function.
    fn recv(w: &DuplicateWatch, topic: &TopicHash, id: &[u8; 32], data: &[u8]) {
        let t = WatchTransform(Some(w.clone()));
        let m = t
            .inbound_transform(RawMessage {
                source: None,
                data: data.to_vec(),
                sequence_number: None,
                topic: topic.clone(),
                signature: None,
                key: None,
                validated: false,
            })
            .unwrap();
        assert_eq!(m.data, data);
        w.observe(topic, id, data);
    }

    #[test]
    fn reports_the_second_copy_once() {
        let (w, got) = watch(16);
        let tx = Topics::new("net").hash(Topic::Tx);
        for _ in 0..5 {
            recv(&w, &tx, &[7; 32], b"tx");
        }
        recv(&w, &tx, &[8; 32], b"tx");
        assert_eq!(*got.lock().unwrap(), vec![(Topic::Tx, [7; 32])]);
        assert_eq!(w.tracked(), 2);
    }

    #[test]
    fn publish_attempts_are_not_copies_but_a_copy_received_back_is() {
        let (w, got) = watch(16);
        let tx = Topics::new("net").hash(Topic::Tx);
        // A lone producer retrying its publish: never a duplicate.
        for _ in 0..3 {
            w.observe(&tx, &[5; 32], b"tx");
        }
        assert!(got.lock().unwrap().is_empty());
        // Its message coming back from a peer is.
        recv(&w, &tx, &[5; 32], b"tx");
        assert_eq!(*got.lock().unwrap(), vec![(Topic::Tx, [5; 32])]);
        // A received copy, then publishing it, then another copy: one report for [6].
        recv(&w, &tx, &[6; 32], b"tx");
        w.observe(&tx, &[6; 32], b"tx");
        recv(&w, &tx, &[6; 32], b"tx");
        assert_eq!(got.lock().unwrap().len(), 2);
        // Publishing after the duplicate was reported reports nothing more.
        w.observe(&tx, &[6; 32], b"tx");
        recv(&w, &tx, &[6; 32], b"tx");
        assert_eq!(got.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_block_is_reported_by_its_header_hash_for_either_form() {
        use rumor_chain::codec::HEADER_ENCODED_LEN;
        use sha2::{Digest, Sha256};
        let (w, got) = watch(16);
        let block = Topics::new("net").hash(Topic::Block);
        let header = vec![3u8; HEADER_ENCODED_LEN];
        let mut whole = vec![0u8];
        whole.extend_from_slice(&header);
        whole.extend_from_slice(&[9; 40]);
        recv(&w, &block, &[1; 32], &whole);
        recv(&w, &block, &[1; 32], &whole);
        let want: [u8; 32] = Sha256::digest(&header).into();
        assert_eq!(*got.lock().unwrap(), vec![(Topic::Block, want)]);
        // Too short to hold a header: not reported, nothing panics.
        recv(&w, &block, &[2; 32], &[1, 2]);
        recv(&w, &block, &[2; 32], &[1, 2]);
        assert_eq!(got.lock().unwrap().len(), 1);
    }

    #[test]
    fn other_topics_are_ignored_and_the_map_stays_bounded() {
        let (w, got) = watch(3);
        recv(&w, &Topics::new("other").hash(Topic::Tx), &[1; 32], b"x");
        assert_eq!(w.tracked(), 0);
        let tx = Topics::new("net").hash(Topic::Tx);
        for i in 0..10u8 {
            recv(&w, &tx, &[i; 32], b"x");
        }
        assert_eq!(w.tracked(), 3);
        // The oldest ids were forgotten: their next copy counts as a first one again.
        recv(&w, &tx, &[0; 32], b"x");
        assert!(got.lock().unwrap().is_empty());
        recv(&w, &tx, &[9; 32], b"x");
        assert_eq!(got.lock().unwrap().len(), 1);
    }
}
