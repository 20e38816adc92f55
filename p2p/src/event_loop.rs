//! The event loop: the one task that owns the `Swarm`. It never blocks: node-bound events use
//! `try_send` on a bounded channel (a full channel drops the message with `Ignore` and counts
//! it), and inbound sync requests wait on the node in a bounded set of futures.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use libp2p::gossipsub::{self, MessageAcceptance, PublishError};
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId, Swarm, identify, multiaddr::Protocol};
use lru::LruCache;
use tokio::sync::{mpsc, oneshot};

use crate::addrbook::AddressBook;
use crate::behaviour::{Behaviour, BehaviourEvent};
use crate::config::NetworkConfig;
use crate::gossip::{self, message_id};
use crate::handle::{
    BookEntry, Command, MessageId, NetInfo, NetworkError, NetworkEvent, Offence, PeerInfo,
    PublishOutcome, SyncResponder, Validation,
};
use crate::metrics::P2pMetrics;
use crate::protocol::px::{self, PxRequest, PxResponse};
use crate::protocol::sync::{Status, SyncRequest, SyncResponse, WireResponse};
use crate::publish_queue::PublishQueue;
use crate::seen::SeenCache;
use crate::topic::{Topic, Topics};

/// Penalty (application score) per offence; three reach the graylist threshold.
const OFFENCE_PENALTY: f64 = -30.0;
/// How long a banned peer stays banned.
const BAN_TIME: Duration = Duration::from_secs(600);
/// Banned peers remembered at once.
const MAX_BANNED: usize = 1024;
/// Outbound sync requests awaiting an answer.
const MAX_PENDING_SYNC: usize = 256;
/// How often to ask a peer for more addresses while at or above the low target.
const PX_REFRESH: Duration = Duration::from_secs(30);

type InboundSync = BoxFuture<'static, (ResponseChannel<WireResponse>, SyncResponse)>;

#[derive(Debug, Clone)]
struct Conn {
    outbound: bool,
    addr: Multiaddr,
}

pub(crate) fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Owns the swarm; run it with [`EventLoop::run`].
pub struct EventLoop {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<NetworkEvent>,
    config: NetworkConfig,
    topics: Topics,
    seen: SeenCache,
    status: Arc<Mutex<Status>>,
    book: AddressBook,
    publish_queue: PublishQueue,
    metrics: Arc<P2pMetrics>,
    connected: HashMap<PeerId, Conn>,
    dialing: HashSet<PeerId>,
    pending_status: HashSet<OutboundRequestId>,
    pending_px: HashSet<OutboundRequestId>,
    pending_sync:
        HashMap<OutboundRequestId, (PeerId, oneshot::Sender<Result<SyncResponse, NetworkError>>)>,
    inbound_sync: FuturesUnordered<InboundSync>,
    app_scores: HashMap<PeerId, f64>,
    banned: LruCache<PeerId, Instant>,
    bootnodes: Vec<(Option<PeerId>, Multiaddr)>,
    last_px: Option<Instant>,
    px_rotation: usize,
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("peer_id", self.swarm.local_peer_id())
            .field("connected", &self.connected.len())
            .finish()
    }
}

impl EventLoop {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        swarm: Swarm<Behaviour>,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<NetworkEvent>,
        config: NetworkConfig,
        topics: Topics,
        seen: SeenCache,
        status: Arc<Mutex<Status>>,
        metrics: Arc<P2pMetrics>,
    ) -> Self {
        let seed = swarm
            .local_peer_id()
            .to_bytes()
            .iter()
            .fold(0xcbf29ce484222325u64, |h, b| {
                (h ^ *b as u64).wrapping_mul(0x100000001b3)
            });
        let bootnodes = config
            .bootnodes
            .iter()
            .map(|a| {
                let peer = a.iter().find_map(|p| match p {
                    Protocol::P2p(id) => Some(id),
                    _ => None,
                });
                (peer, a.clone())
            })
            .collect();
        Self {
            book: AddressBook::new(config.address_book, seed),
            publish_queue: PublishQueue::new(config.publish_queue, config.publish_ttl),
            banned: LruCache::new(NonZeroUsize::new(MAX_BANNED).expect("non-zero")),
            swarm,
            commands,
            events,
            config,
            topics,
            seen,
            status,
            metrics,
            connected: HashMap::new(),
            dialing: HashSet::new(),
            pending_status: HashSet::new(),
            pending_px: HashSet::new(),
            pending_sync: HashMap::new(),
            inbound_sync: FuturesUnordered::new(),
            app_scores: HashMap::new(),
            bootnodes,
            last_px: None,
            px_rotation: 0,
        }
    }

    /// Runs until every [`crate::NetworkHandle`] is dropped.
    pub async fn run(mut self) {
        let now = Instant::now();
        for (peer, addr) in self.bootnodes.clone() {
            match peer {
                Some(p) => {
                    // Dialed at once whatever the peer targets: bootnodes are how we join.
                    self.book.add(p, [addr.clone()], now);
                    let opts = DialOpts::peer_id(p).addresses(vec![addr]).build();
                    if self.swarm.dial(opts).is_ok() {
                        self.dialing.insert(p);
                    }
                }
                None => {
                    if let Err(e) = self.swarm.dial(addr.clone()) {
                        tracing::warn!(%addr, error = %e, "bootnode dial failed");
                    }
                }
            }
        }
        self.maintain();
        let mut tick = tokio::time::interval(self.config.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(c) => self.on_command(c),
                    None => break,
                },
                Some((channel, response)) = self.inbound_sync.next(), if !self.inbound_sync.is_empty() => {
                    let _ = self.swarm.behaviour_mut().sync.send_response(channel, response.to_wire());
                }
                _ = tick.tick() => self.maintain(),
            }
        }
        tracing::debug!("network event loop stopped");
    }

    fn local_status(&self) -> Status {
        *self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_banned(&mut self, peer: &PeerId) -> bool {
        match self.banned.get(peer) {
            Some(until) if *until > Instant::now() => true,
            Some(_) => {
                self.banned.pop(peer);
                false
            }
            None => false,
        }
    }

    fn report(&mut self, id: &MessageId, from: &PeerId, topic: Topic, result: Validation) {
        let acceptance = match result {
            Validation::Accept => MessageAcceptance::Accept,
            Validation::Reject => MessageAcceptance::Reject,
            Validation::Ignore => MessageAcceptance::Ignore,
        };
        let label = match result {
            Validation::Accept => "accept",
            Validation::Reject => "reject",
            Validation::Ignore => "ignore",
        };
        self.metrics
            .validation
            .get_or_create(&vec![("topic", topic.label()), ("result", label)])
            .inc();
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&gossipsub::MessageId::new(id), from, acceptance);
    }

    fn emit(&mut self, event: NetworkEvent) -> bool {
        self.events.try_send(event).is_ok()
    }

    // ---- swarm events -------------------------------------------------------------------

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(e)) => self.on_gossip(e),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                self.book.add(peer_id, info.listen_addrs, Instant::now());
            }
            SwarmEvent::Behaviour(BehaviourEvent::Px(e)) => self.on_px(e),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.on_sync(e),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } => {
                self.dialing.remove(&peer_id);
                if self.is_banned(&peer_id) {
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                    return;
                }
                if num_established.get() > 1 {
                    return;
                }
                let outbound = endpoint.is_dialer();
                self.connected.insert(
                    peer_id,
                    Conn {
                        outbound,
                        addr: endpoint.get_remote_address().clone(),
                    },
                );
                self.book.on_connected(&peer_id, Instant::now());
                if self.config.gossip.flood_all {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .add_explicit_peer(&peer_id);
                }
                let status = self.local_status();
                let id = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_request(&peer_id, SyncRequest::Status(status));
                self.pending_status.insert(id);
                self.emit(NetworkEvent::PeerConnected {
                    peer: peer_id,
                    outbound,
                });
                tracing::debug!(peer = %peer_id, outbound, "connected");
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.connected.remove(&peer_id);
                self.app_scores.remove(&peer_id);
                self.book.on_disconnected(&peer_id, Instant::now());
                if self.config.gossip.flood_all {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .remove_explicit_peer(&peer_id);
                }
                self.emit(NetworkEvent::PeerDisconnected { peer: peer_id });
                tracing::debug!(peer = %peer_id, "disconnected");
            }
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(p),
                error,
                ..
            } => {
                self.dialing.remove(&p);
                if !self.connected.contains_key(&p) {
                    self.book.on_dial_failure(&p, Instant::now());
                }
                tracing::debug!(peer = %p, error = %error, "dial failed");
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
            }
            _ => {}
        }
    }

    fn on_gossip(&mut self, event: gossipsub::Event) {
        let gossipsub::Event::Message {
            propagation_source,
            message_id: gs_id,
            message,
        } = event
        else {
            if let gossipsub::Event::Subscribed { .. } = event {
                // A new subscriber: anything waiting for one may go now.
                self.flush_publish_queue();
            }
            return;
        };
        let received_at_us = now_us();
        let Some(topic) = self.topics.topic(&message.topic) else {
            // Only subscribed topics are delivered, and we subscribe to ours alone.
            self.swarm
                .behaviour_mut()
                .gossipsub
                .report_message_validation_result(
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
            self.report(&id, &propagation_source, topic, Validation::Ignore);
            return;
        }
        let payload = match gossip::decode(topic, &message.data, &self.config.limits) {
            Ok(p) => p,
            Err(e) => {
                count(&self.metrics, "undecodable");
                tracing::debug!(peer = %propagation_source, topic = topic.label(), error = %e, "undecodable gossip");
                self.report(&id, &propagation_source, topic, Validation::Reject);
                return;
            }
        };
        if self.emit(NetworkEvent::Gossip {
            id,
            from: propagation_source,
            payload,
            received_at_us,
        }) {
            count(&self.metrics, "first_seen");
        } else {
            // The node is saturated: shed load without penalising anyone.
            count(&self.metrics, "dropped_event_queue_full");
            self.report(&id, &propagation_source, topic, Validation::Ignore);
        }
    }

    fn on_px(&mut self, event: request_response::Event<PxRequest, PxResponse>) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                let n = request.max.min(self.config.px_records).min(px::MAX_RECORDS) as usize;
                let records = self.book.share(n, &peer).iter().map(Into::into).collect();
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .px
                    .send_response(channel, PxResponse { records });
                self.metrics
                    .px
                    .get_or_create(&vec![("direction", "inbound"), ("result", "answered")])
                    .inc();
            }
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                self.pending_px.remove(&request_id);
                let (records, bad) = response.records();
                let now = Instant::now();
                let me = *self.swarm.local_peer_id();
                let mut learned = 0;
                for r in records {
                    if r.peer != me
                        && !self.is_banned(&r.peer)
                        && self.book.add(r.peer, r.addrs, now)
                    {
                        learned += 1;
                    }
                }
                tracing::debug!(%peer, learned, bad, "peer exchange answer");
                self.metrics
                    .px
                    .get_or_create(&vec![("direction", "outbound"), ("result", "ok")])
                    .inc();
            }
            request_response::Event::OutboundFailure { request_id, .. } => {
                self.pending_px.remove(&request_id);
                self.metrics
                    .px
                    .get_or_create(&vec![("direction", "outbound"), ("result", "failed")])
                    .inc();
            }
            _ => {}
        }
    }

    fn on_sync(&mut self, event: request_response::Event<SyncRequest, WireResponse>) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => self.on_sync_request(peer, request, channel),
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => self.on_sync_response(peer, request_id, response),
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                self.pending_status.remove(&request_id);
                if let Some((_, reply)) = self.pending_sync.remove(&request_id) {
                    let _ = reply.send(Err(NetworkError::Sync(error.to_string())));
                }
                tracing::debug!(%peer, %error, "sync request failed");
            }
            _ => {}
        }
    }

    fn on_sync_request(
        &mut self,
        peer: PeerId,
        request: SyncRequest,
        channel: ResponseChannel<WireResponse>,
    ) {
        self.count_sync("inbound", &request);
        let local = self.local_status();
        if let SyncRequest::Status(theirs) = request {
            let _ = self
                .swarm
                .behaviour_mut()
                .sync
                .send_response(channel, WireResponse::Status(local));
            self.on_peer_status(peer, theirs);
            return;
        }
        let busy = |this: &mut Self, channel, why: &str| {
            let _ = this
                .swarm
                .behaviour_mut()
                .sync
                .send_response(channel, WireResponse::Error(why.to_owned()));
        };
        if self.inbound_sync.len() >= self.config.max_inbound_sync {
            return busy(self, channel, "busy");
        }
        let (tx, rx) = oneshot::channel();
        if !self.emit(NetworkEvent::SyncRequest {
            peer,
            request,
            responder: SyncResponder(tx),
        }) {
            return busy(self, channel, "busy");
        }
        let timeout = self.config.request_timeout;
        self.inbound_sync.push(Box::pin(async move {
            let response = match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(r)) => r,
                _ => SyncResponse::Error("unavailable".into()),
            };
            (channel, response)
        }));
    }

    fn on_sync_response(
        &mut self,
        peer: PeerId,
        request_id: OutboundRequestId,
        response: WireResponse,
    ) {
        if self.pending_status.remove(&request_id) {
            match response {
                WireResponse::Status(s) => self.on_peer_status(peer, s),
                _ => self.penalise(peer, Offence::BadSyncResponse),
            }
            return;
        }
        let Some((_, reply)) = self.pending_sync.remove(&request_id) else {
            return;
        };
        match response.decode(&self.config.limits) {
            Ok(r) => {
                let _ = reply.send(Ok(r));
            }
            Err(e) => {
                self.penalise(peer, Offence::BadSyncResponse);
                let _ = reply.send(Err(NetworkError::Sync(format!("garbage answer: {e}"))));
            }
        }
    }

    fn count_sync(&self, direction: &'static str, request: &SyncRequest) {
        self.metrics
            .sync
            .get_or_create(&vec![("direction", direction), ("kind", request.kind())])
            .inc();
    }

    fn on_peer_status(&mut self, peer: PeerId, status: Status) {
        if status.genesis != self.local_status().genesis {
            // Another network: nothing to exchange.
            tracing::debug!(%peer, "peer is on another genesis; disconnecting");
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        }
        self.emit(NetworkEvent::PeerStatus { peer, status });
    }

    fn penalise(&mut self, peer: PeerId, offence: Offence) {
        let score = self.app_scores.entry(peer).or_insert(0.0);
        *score += OFFENCE_PENALTY;
        let score = *score;
        self.metrics.peer_penalties.inc();
        self.swarm
            .behaviour_mut()
            .gossipsub
            .set_application_score(&peer, score);
        tracing::info!(%peer, ?offence, score, "peer penalised");
        if score <= gossip::thresholds().graylist_threshold {
            self.banned.put(peer, Instant::now() + BAN_TIME);
            self.metrics.peer_bans.inc();
            let _ = self.swarm.disconnect_peer_id(peer);
            tracing::warn!(%peer, "peer banned");
        }
    }

    // ---- commands -----------------------------------------------------------------------

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { topic, data, reply } => {
                let _ = reply.send(self.publish(topic, data));
            }
            Command::Report {
                id,
                from,
                topic,
                result,
            } => {
                // A report for an id gossipsub no longer holds is harmless (it answers false).
                self.report(&id, &from, topic, result);
            }
            Command::Dial { addr, reply } => {
                let r = self
                    .swarm
                    .dial(addr)
                    .map_err(|e| NetworkError::Dial(e.to_string()));
                let _ = reply.send(r);
            }
            Command::Disconnect { peer, reply } => {
                let _ = reply.send(self.swarm.disconnect_peer_id(peer).is_ok());
            }
            Command::Peers { reply } => {
                let _ = reply.send(self.peer_infos());
            }
            Command::AddressBook { reply } => {
                let entries = self
                    .book
                    .all()
                    .into_iter()
                    .map(|(record, failures, connected)| BookEntry {
                        record,
                        failures,
                        connected,
                    })
                    .collect();
                let _ = reply.send(entries);
            }
            Command::Info { reply } => {
                let _ = reply.send(NetInfo {
                    peer_id: *self.swarm.local_peer_id(),
                    listen_addrs: self.swarm.listeners().cloned().collect(),
                    topics: Topic::ALL
                        .iter()
                        .map(|t| t.name(self.topics.network()))
                        .collect(),
                    network: self.topics.network().to_owned(),
                });
            }
            Command::Sync {
                peer,
                request,
                reply,
            } => {
                if self.pending_sync.len() >= MAX_PENDING_SYNC {
                    let _ = reply.send(Err(NetworkError::Busy));
                    return;
                }
                self.count_sync("outbound", &request);
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.pending_sync.insert(id, (peer, reply));
            }
            Command::Penalise { peer, offence } => self.penalise(peer, offence),
        }
    }

    fn publish(&mut self, topic: Topic, data: Vec<u8>) -> Result<PublishOutcome, NetworkError> {
        self.seen.insert(message_id(&data));
        let result = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(self.topics.hash(topic), data.clone());
        let (outcome, label) = match result {
            Ok(_) => (Ok(PublishOutcome::Published), "published"),
            Err(PublishError::Duplicate) => (Ok(PublishOutcome::Duplicate), "duplicate"),
            Err(PublishError::NoPeersSubscribedToTopic) => {
                self.publish_queue.push(topic, data, Instant::now());
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

    fn flush_publish_queue(&mut self) {
        if self.publish_queue.is_empty() {
            return;
        }
        let swarm = &mut self.swarm;
        let topics = &self.topics;
        let metrics = &self.metrics;
        self.publish_queue.retry(Instant::now(), |q| {
            match swarm
                .behaviour_mut()
                .gossipsub
                .publish(topics.hash(q.topic), q.data.clone())
            {
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

    fn peer_infos(&self) -> Vec<PeerInfo> {
        let gs = &self.swarm.behaviour().gossipsub;
        self.connected
            .iter()
            .map(|(peer, c)| PeerInfo {
                peer: *peer,
                addr: c.addr.clone(),
                outbound: c.outbound,
                score: gs.peer_score(peer).unwrap_or(0.0),
                mesh_topics: Topic::ALL
                    .into_iter()
                    .filter(|t| gs.mesh_peers(&self.topics.hash(*t)).any(|p| p == peer))
                    .collect(),
            })
            .collect()
    }

    // ---- maintenance --------------------------------------------------------------------

    fn maintain(&mut self) {
        let now = Instant::now();
        self.flush_publish_queue();
        self.keep_peer_targets(now);
        self.update_gauges();
    }

    fn keep_peer_targets(&mut self, now: Instant) {
        let targets = self.config.peers;
        let n = self.connected.len();
        if n < targets.low {
            let room = (targets.low - n)
                .min(targets.max_pending as usize)
                .saturating_sub(self.dialing.len());
            let me = *self.swarm.local_peer_id();
            let mut banned: HashSet<PeerId> = HashSet::new();
            for (p, until) in self.banned.iter() {
                if *until > now {
                    banned.insert(*p);
                }
            }
            let connected = &self.connected;
            let dialing = &self.dialing;
            let candidates = self.book.dial_candidates(room, now, |p| {
                *p == me || connected.contains_key(p) || dialing.contains(p) || banned.contains(p)
            });
            for c in candidates {
                let opts = DialOpts::peer_id(c.peer)
                    .addresses(c.addrs)
                    .condition(PeerCondition::DisconnectedAndNotDialing)
                    .build();
                match self.swarm.dial(opts) {
                    Ok(()) => {
                        self.dialing.insert(c.peer);
                    }
                    Err(e) => {
                        tracing::debug!(peer = %c.peer, error = %e, "dial not started");
                        self.book.on_dial_failure(&c.peer, now);
                    }
                }
            }
        }
        // Ask a peer for more addresses: every tick while short of the low target, and
        // occasionally otherwise so the book stays fresh.
        let px_due = match self.last_px {
            None => true,
            Some(t) if n < targets.low => now.duration_since(t) >= self.config.tick,
            Some(t) => now.duration_since(t) >= PX_REFRESH,
        };
        if px_due && n > 0 && self.pending_px.len() < 4 {
            let mut peers: Vec<PeerId> = self.connected.keys().copied().collect();
            peers.sort();
            let peer = peers[self.px_rotation % peers.len()];
            self.px_rotation = self.px_rotation.wrapping_add(1);
            let id = self.swarm.behaviour_mut().px.send_request(
                &peer,
                PxRequest {
                    max: self.config.px_records,
                },
            );
            self.pending_px.insert(id);
            self.last_px = Some(now);
            self.metrics
                .px
                .get_or_create(&vec![("direction", "outbound"), ("result", "sent")])
                .inc();
        }
        if n > targets.high {
            self.prune(n - targets.high);
        }
    }

    /// Disconnects `excess` peers, preferring inbound peers outside every mesh, so the peers
    /// we chose and the peers carrying our traffic stay.
    fn prune(&mut self, excess: usize) {
        let gs = &self.swarm.behaviour().gossipsub;
        let mut mesh: HashSet<PeerId> = HashSet::new();
        for t in Topic::ALL {
            mesh.extend(gs.mesh_peers(&self.topics.hash(t)).copied());
        }
        let mut victims: Vec<(bool, bool, PeerId)> = self
            .connected
            .iter()
            .map(|(p, c)| (mesh.contains(p), c.outbound, *p))
            .collect();
        victims.sort();
        for (_, _, p) in victims.into_iter().take(excess) {
            let _ = self.swarm.disconnect_peer_id(p);
        }
    }

    fn update_gauges(&mut self) {
        let m = &self.metrics;
        let outbound = self.connected.values().filter(|c| c.outbound).count();
        m.peers
            .get_or_create(&vec![("direction", "outbound")])
            .set(outbound as i64);
        m.peers
            .get_or_create(&vec![("direction", "inbound")])
            .set((self.connected.len() - outbound) as i64);
        for t in Topic::ALL {
            let n = self
                .swarm
                .behaviour()
                .gossipsub
                .mesh_peers(&self.topics.hash(t))
                .count();
            m.mesh_peers
                .get_or_create(&vec![("topic", t.label())])
                .set(n as i64);
        }
        m.publish_queue_len.set(self.publish_queue.len() as i64);
        let dropped = self.publish_queue.dropped;
        m.publish_queue_dropped
            .inc_by(dropped.saturating_sub(m.publish_queue_dropped.get()));
        m.address_book_len.set(self.book.len() as i64);
        m.address_book_forgotten.inc_by(
            self.book
                .forgotten
                .saturating_sub(m.address_book_forgotten.get()),
        );
        m.update_seen(self.seen.stats());
        m.queue_len
            .get_or_create(&vec![("queue", "commands")])
            .set(self.commands.len() as i64);
        m.queue_len
            .get_or_create(&vec![("queue", "events")])
            .set((self.events.max_capacity() - self.events.capacity()) as i64);
        m.queue_len
            .get_or_create(&vec![("queue", "inbound_sync")])
            .set(self.inbound_sync.len() as i64);
    }
}
