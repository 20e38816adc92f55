//! Gossip handling: what the event loop does with the messages gossipsub hands it, with the
//! node's verdicts, and with publishes. It owns the topic map, the seen-cache handle and the
//! publish queue, and acts on the gossipsub behaviour it is lent, never on the whole swarm.
//!
//! Inbound: topic check → seen-cache → decode at the edge → hand to the node.
//!
//! # Invariants
//!
//! - Every message gossipsub hands over gets exactly one validation verdict: from here
//!   (`Reject` for a foreign topic or undecodable bytes, `Ignore` for a seen-cache hit or when
//!   the node's event queue is full) or from the node, through [`GossipHandler::report`].
//! - Undecodable bytes never reach the node, and nobody is penalised for load we shed.
//! - What we publish is marked seen first, so its echoes are dropped before any work.
//! - A publish with no subscribed peer is queued, not lost, and retried whenever a peer
//!   subscribes and on every tick ([`GossipHandler::flush`]).
//!
//! # Bounds
//!
//! - The publish queue: `publish_queue` messages, each for at most `publish_ttl` (see
//!   [`crate::gossip::publish_queue`]): a node that never finds a peer must not grow without limit.
//! - Events to the node go through a bounded channel with `try_send`: the event loop must
//!   never wait on the node, so a full channel drops the message with `Ignore`.

use std::sync::Arc;
use std::time::Instant;

use gossipsub::{self, MessageAcceptance, PublishError};
use libp2p::PeerId;
use rumor_chain::Limits;

use crate::gossip::publish_queue::PublishQueue;
use crate::gossip::seen::SeenCache;
use crate::gossip::{self, Payload, message_id};
use crate::handle::{MessageId, NetworkError, NetworkEvent, PublishOutcome, Validation};
use crate::metrics::P2pMetrics;
use crate::topic::{Topic, Topics};

use rumor_chain::clock::Clock;

#[derive(Debug)]
pub(crate) struct GossipHandler {
    topics: Topics,
    seen: SeenCache,
    queue: PublishQueue,
    limits: Limits,
    metrics: Arc<P2pMetrics>,
    /// Stamps each message's arrival (the node's clock: [`NetworkConfig::clock`](crate::NetworkConfig)).
    clock: Clock,
}

impl GossipHandler {
    pub fn new(
        topics: Topics,
        seen: SeenCache,
        queue: PublishQueue,
        limits: Limits,
        metrics: Arc<P2pMetrics>,
    ) -> Self {
        Self {
            topics,
            seen,
            queue,
            limits,
            metrics,
            clock: Clock::system(),
        }
    }

    /// Stamps arrivals with `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    pub fn seen(&self) -> &SeenCache {
        &self.seen
    }

    pub fn queue(&self) -> &PublishQueue {
        &self.queue
    }

    /// A gossipsub event. `emit` offers the node an event and says whether it was taken.
    pub fn on_event(
        &mut self,
        gs: &mut crate::gossip::Gossipsub,
        event: gossipsub::Event,
        emit: impl FnOnce(NetworkEvent) -> bool,
    ) {
        let gossipsub::Event::Message {
            propagation_source,
            message_id: gs_id,
            message,
        } = event
        else {
            if let gossipsub::Event::Subscribed { .. } = event {
                // A new subscriber: anything waiting for one may go now.
                self.flush(gs);
            }
            return;
        };
        let received_at_us = self.clock.now_us();
        let Some(topic) = self.topics.topic(&message.topic) else {
            // Only subscribed topics are delivered, and we subscribe to ours alone.
            gs.report_message_validation_result(
                &gs_id,
                &propagation_source,
                MessageAcceptance::Reject,
            );
            return;
        };
        let id = message_id(&message.data);
        let count = |m: &P2pMetrics, outcome: &'static str| {
            m.gossip_received
                .get_or_create(&vec![("topic", topic.label()), ("result", outcome)])
                .inc();
        };
        if !self.seen.insert(id) {
            count(&self.metrics, "seen_cache_hit");
            self.report(gs, &id, &propagation_source, topic, Validation::Ignore);
            // Gossipsub drops copies it remembers (60 s): a block that gets here again came
            // after that, which an honest relayer does not do. Let the node judge its age.
            if topic == Topic::Block {
                let header = match gossip::decode(topic, &message.data, &self.limits) {
                    Ok(Payload::Block(b)) => Some(b.header),
                    Ok(Payload::CompactBlock(c)) => Some(c.header),
                    _ => None,
                };
                if let Some(header) = header {
                    let _ = emit(NetworkEvent::BlockSeenAgain {
                        from: propagation_source,
                        header: Box::new(header),
                    });
                }
            }
            return;
        }
        let payload = match gossip::decode(topic, &message.data, &self.limits) {
            Ok(p) => p,
            Err(e) => {
                count(&self.metrics, "undecodable");
                tracing::debug!(peer = %propagation_source, topic = topic.label(), error = %e, "undecodable gossip");
                self.report(gs, &id, &propagation_source, topic, Validation::Reject);
                return;
            }
        };
        if emit(NetworkEvent::Gossip {
            id,
            from: propagation_source,
            payload,
            received_at_us,
        }) {
            count(&self.metrics, "first_seen");
        } else {
            // The node is saturated: shed load without penalising anyone, and without
            // remembering the id, so a later copy is judged instead of dropped as seen.
            self.seen.forget(&id);
            count(&self.metrics, "dropped_event_queue_full");
            self.report(gs, &id, &propagation_source, topic, Validation::Ignore);
        }
    }

    /// Passes a verdict on message `id` from `from` to gossipsub (which forwards on `Accept`
    /// and penalises `from` on `Reject`). A verdict for an id gossipsub no longer holds is
    /// harmless.
    pub fn report(
        &self,
        gs: &mut crate::gossip::Gossipsub,
        id: &MessageId,
        from: &PeerId,
        topic: Topic,
        result: Validation,
    ) {
        let acceptance = match result {
            Validation::Accept => MessageAcceptance::Accept,
            Validation::Reject => MessageAcceptance::Reject,
            Validation::Ignore => MessageAcceptance::Ignore,
        };
        let label = result.as_str();
        self.metrics
            .validation
            .get_or_create(&vec![("topic", topic.label()), ("result", label)])
            .inc();
        gs.report_message_validation_result(&gossipsub::MessageId::new(id), from, acceptance);
    }

    /// Publishes `data` on `topic`, or queues it while no peer is subscribed.
    pub fn publish(
        &mut self,
        gs: &mut crate::gossip::Gossipsub,
        topic: Topic,
        data: Vec<u8>,
    ) -> Result<PublishOutcome, NetworkError> {
        self.seen.insert(message_id(&data));
        let result = gs.publish(self.topics.hash(topic), data.clone());
        let (outcome, label) = match result {
            Ok(_) => (Ok(PublishOutcome::Published), "published"),
            Err(PublishError::Duplicate) => (Ok(PublishOutcome::Duplicate), "duplicate"),
            Err(PublishError::NoPeersSubscribedToTopic) => {
                self.queue.push(topic, data, Instant::now());
                (Ok(PublishOutcome::Queued), "queued")
            }
            Err(e) => (Err(NetworkError::Publish(e.to_string())), "failed"),
        };
        self.metrics
            .publish
            .get_or_create(&vec![("topic", topic.label()), ("result", label)])
            .inc();
        outcome
    }

    /// Retries the publish queue (dropping what expired).
    pub fn flush(&mut self, gs: &mut crate::gossip::Gossipsub) {
        if self.queue.is_empty() {
            return;
        }
        let topics = &self.topics;
        let metrics = &self.metrics;
        self.queue.retry(Instant::now(), |q| {
            match gs.publish(topics.hash(q.topic), q.data.clone()) {
                Ok(_) | Err(PublishError::Duplicate) => {
                    metrics
                        .publish
                        .get_or_create(&vec![("topic", q.topic.label()), ("result", "published")])
                        .inc();
                    true
                }
                Err(PublishError::NoPeersSubscribedToTopic) => false,
                Err(e) => {
                    tracing::warn!(error = %e, "queued publish failed");
                    true
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::GossipConfig;

    use crate::handle::NetworkEvent;

    const NETWORK: &str = "abcdef01";

    /// A handler and a gossipsub behaviour with no peers at all.
    fn setup(ttl: Duration) -> (GossipHandler, crate::gossip::Gossipsub, Arc<P2pMetrics>) {
        let topics = Topics::new(NETWORK);
        let mut registry = prometheus_client::registry::Registry::default();
        let gs = gossip::behaviour(
            &GossipConfig::default(),
            &topics,
            &Limits::default(),
            &Default::default(),
            None,
            &mut registry,
        )
        .unwrap();
        let metrics = Arc::new(P2pMetrics::register(&mut registry));
        let handler = GossipHandler::new(
            topics,
            SeenCache::new(64),
            PublishQueue::new(8, ttl),
            Limits::default(),
            metrics.clone(),
        );
        (handler, gs, metrics)
    }

    fn counted(m: &P2pMetrics, topic: &'static str, result: &'static str) -> u64 {
        m.gossip_received
            .get_or_create(&vec![("topic", topic), ("result", result)])
            .get()
    }

    fn tx_bytes(amount: u64) -> Vec<u8> {
        rumor_chain::test_utils::TxBuilder::from_label("k")
            .amount(amount)
            .sign()
            .encode()
    }

    fn message(topic: Topic, data: Vec<u8>) -> gossipsub::Event {
        gossipsub::Event::Message {
            propagation_source: PeerId::random(),
            message_id: gossipsub::MessageId::new(&message_id(&data)),
            message: gossipsub::Message {
                source: None,
                data,
                sequence_number: None,
                topic: topic.ident(NETWORK).hash(),
            },
        }
    }

    #[test]
    fn first_sight_goes_to_the_node_once_decoded() {
        let (mut h, mut gs, m) = setup(Duration::from_secs(60));
        let data = tx_bytes(1);
        let mut emitted = Vec::new();
        h.on_event(&mut gs, message(Topic::Tx, data.clone()), |e| {
            emitted.push(e);
            true
        });
        let [NetworkEvent::Gossip { id, payload, .. }] = emitted.as_slice() else {
            panic!("expected one gossip event, got {emitted:?}");
        };
        assert_eq!(*id, message_id(&data));
        assert!(matches!(payload, Payload::Tx(_)));
        assert_eq!(counted(&m, "tx", "first_seen"), 1);
        // The same bytes again (from anyone): a seen-cache hit, never offered to the node.
        h.on_event(&mut gs, message(Topic::Tx, data), |_| {
            panic!("emitted twice")
        });
        assert_eq!(counted(&m, "tx", "seen_cache_hit"), 1);
        assert_eq!(
            m.validation
                .get_or_create(&vec![("topic", "tx"), ("result", "ignore")])
                .get(),
            1
        );
    }

    #[test]
    fn undecodable_and_foreign_messages_never_reach_the_node() {
        let (mut h, mut gs, m) = setup(Duration::from_secs(60));
        h.on_event(&mut gs, message(Topic::Block, b"garbage".to_vec()), |_| {
            panic!("garbage emitted")
        });
        assert_eq!(counted(&m, "block", "undecodable"), 1);
        assert_eq!(
            m.validation
                .get_or_create(&vec![("topic", "block"), ("result", "reject")])
                .get(),
            1
        );
        let mut foreign = message(Topic::Tx, tx_bytes(2));
        if let gossipsub::Event::Message { message, .. } = &mut foreign {
            message.topic = Topic::Tx.ident("ffffffff").hash();
        }
        h.on_event(&mut gs, foreign, |_| panic!("foreign topic emitted"));
        assert!(!h.seen().contains(&message_id(&tx_bytes(2))));
    }

    #[test]
    fn a_full_node_queue_sheds_without_remembering() {
        let (mut h, mut gs, m) = setup(Duration::from_secs(60));
        h.on_event(&mut gs, message(Topic::Tx, tx_bytes(3)), |_| false);
        assert_eq!(counted(&m, "tx", "dropped_event_queue_full"), 1);
        assert_eq!(counted(&m, "tx", "first_seen"), 0);
        assert!(
            !h.seen().contains(&message_id(&tx_bytes(3))),
            "shed, so forgotten"
        );
        // The next copy is offered to the node, not dropped as a duplicate.
        let mut offered = 0;
        h.on_event(&mut gs, message(Topic::Tx, tx_bytes(3)), |_| {
            offered += 1;
            true
        });
        assert_eq!(offered, 1);
        assert_eq!(counted(&m, "tx", "first_seen"), 1);
        assert_eq!(
            m.validation
                .get_or_create(&vec![("topic", "tx"), ("result", "ignore")])
                .get(),
            1
        );
    }

    #[test]
    fn publishing_without_peers_queues_and_marks_seen() {
        let (mut h, mut gs, m) = setup(Duration::from_secs(60));
        let data = tx_bytes(4);
        assert_eq!(
            h.publish(&mut gs, Topic::Tx, data.clone()),
            Ok(PublishOutcome::Queued)
        );
        assert!(h.seen().contains(&message_id(&data)));
        assert_eq!(h.queue().len(), 1);
        assert_eq!(
            m.publish
                .get_or_create(&vec![("topic", "tx"), ("result", "queued")])
                .get(),
            1
        );
        // Still nobody subscribed: a retry keeps it.
        h.flush(&mut gs);
        assert_eq!(h.queue().len(), 1);
    }

    #[test]
    fn expired_publishes_are_dropped_on_flush() {
        let (mut h, mut gs, _) = setup(Duration::ZERO);
        h.publish(&mut gs, Topic::Block, b"block".to_vec()).unwrap();
        assert_eq!(h.queue().len(), 1);
        h.flush(&mut gs);
        assert!(h.queue().is_empty());
        assert_eq!(h.queue().dropped, 1);
    }
}
