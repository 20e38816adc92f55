//! The event loop's peer upkeep: peer exchange (`/rumor/px/1`) in both directions, and the
//! maintenance tick that keeps the peer targets (dials, prunes), bans graylisted peers and
//! refreshes the gauges.
//!
//! Invariant: the peer policy decides ([`PeerPolicy`](crate::peering::peers::PeerPolicy)); this only
//! carries its decisions out on the swarm.

use std::collections::HashSet;
use std::time::Instant;

use libp2p::PeerId;
use libp2p::request_response;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};

use super::EventLoop;
use super::gauges::{self, Snapshot};
use crate::metrics::P2pMetrics;
use crate::protocol::px::{PxRequest, PxResponse};
use crate::requests::quota;
use crate::topic::Topic;

impl EventLoop {
    pub(super) fn on_px(&mut self, event: request_response::Event<PxRequest, PxResponse>) {
        let count = |m: &P2pMetrics, direction: &'static str, result: &'static str| {
            m.px.get_or_create(&vec![("direction", direction), ("result", result)])
                .inc();
        };
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                if !self.within_quota(quota::Kind::Px, peer) {
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .px
                        .send_response(channel, PxResponse { records: vec![] });
                    count(&self.metrics, "inbound", "rate_limited");
                    return;
                }
                let records = self
                    .peers
                    .px_request(&peer, request.max)
                    .iter()
                    .map(Into::into)
                    .collect();
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .px
                    .send_response(channel, PxResponse { records });
                count(&self.metrics, "inbound", "answered");
            }
            request_response::Event::Message {
                peer,
                message: request_response::Message::Response { response, .. },
                ..
            } => {
                let (records, bad) = response.records();
                let learned = self.peers.px_answered(peer, records, Instant::now());
                tracing::debug!(%peer, learned, bad, "peer exchange answer");
                count(&self.metrics, "outbound", "ok");
            }
            request_response::Event::OutboundFailure { .. } => {
                self.peers.px_failed();
                count(&self.metrics, "outbound", "failed");
            }
            _ => {}
        }
    }

    /// Every tick: retry the publish queue, keep the peer targets, refresh the gauges.
    pub(super) fn maintain(&mut self) {
        let now = Instant::now();
        self.gossip.flush(&mut self.swarm.behaviour_mut().gossipsub);
        let tick = self.peers.tick(now, &self.mesh_peers());
        for c in tick.dial {
            let opts = DialOpts::peer_id(c.peer)
                .addresses(c.addrs)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            match self.swarm.dial(opts) {
                Ok(()) => self.peers.dial_started(c.peer),
                Err(e) => {
                    tracing::debug!(peer = %c.peer, error = %e, "dial not started");
                    self.peers.dial_failed(&c.peer, now);
                }
            }
        }
        if let Some(peer) = tick.ask_px {
            let max = self.config.px_records;
            self.swarm
                .behaviour_mut()
                .px
                .send_request(&peer, PxRequest { max });
            self.metrics
                .px
                .get_or_create(&vec![("direction", "outbound"), ("result", "sent")])
                .inc();
        }
        for p in tick.prune {
            let _ = self.swarm.disconnect_peer_id(p);
        }
        self.ban_graylisted(now);
        self.refresh_gauges();
        self.link_health(now);
    }

    /// Bans every connected peer whose gossip score fell to the graylist threshold (invalid
    /// messages, or offences): gossipsub alone would only ignore its RPCs and keep decoding
    /// them, so a flooder would still cost us bandwidth and CPU. Measured: a 200 msg/s garbage
    /// flood was graylisted within 0.3 s but went on for the whole run.
    pub(super) fn ban_graylisted(&mut self, now: Instant) {
        let threshold = crate::gossip::thresholds().graylist_threshold;
        let gs = &self.swarm.behaviour().gossipsub;
        let graylisted: Vec<PeerId> = self
            .peers
            .connections()
            .filter(|(p, _)| gs.peer_score(p).is_some_and(|s| s <= threshold))
            .map(|(p, _)| *p)
            .collect();
        for peer in graylisted {
            self.peers.ban(peer, now);
            self.metrics.peer_bans.inc();
            let _ = self.swarm.disconnect_peer_id(peer);
            tracing::warn!(%peer, "peer banned: gossip score at the graylist threshold");
        }
    }

    /// Every peer in the mesh of either topic.
    pub(super) fn mesh_peers(&self) -> HashSet<PeerId> {
        let gs = &self.swarm.behaviour().gossipsub;
        let topics = self.gossip.topics();
        let mut mesh = HashSet::new();
        for t in Topic::ALL {
            mesh.extend(gs.mesh_peers(&topics.hash(t)).copied());
        }
        mesh
    }

    pub(super) fn refresh_gauges(&self) {
        let gs = &self.swarm.behaviour().gossipsub;
        let topics = self.gossip.topics();
        let outbound = self.peers.outbound_count();
        let book = self.peers.book();
        let queue = self.gossip.queue();
        let snapshot = Snapshot {
            outbound_peers: outbound,
            inbound_peers: self.peers.connected_count() - outbound,
            mesh: Topic::ALL
                .into_iter()
                .map(|t| (t, gs.mesh_peers(&topics.hash(t)).count()))
                .collect(),
            publish_queue_len: queue.len(),
            publish_queue_dropped: queue.dropped,
            address_book_len: book.len(),
            cut_peers: self.peers.cut_count(),
            address_book_forgotten: book.forgotten,
            seen: self.gossip.seen().stats(),
            commands: self.commands.len(),
            events: self.events.max_capacity() - self.events.capacity(),
            inbound_sync: self.sync.inbound_len(),
            frames: gs.frame_counts(),
            lazy: gs.choke_counts(),
        };
        gauges::refresh(&self.metrics, &snapshot);
    }
}
