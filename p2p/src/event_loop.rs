//! The event loop: the one task that owns the `Swarm`. It only selects and dispatches: peer
//! policy ([`PeerPolicy`]), sync bookkeeping ([`SyncRequests`]) and gossip handling
//! ([`GossipHandler`]) are plain structures it calls, and it carries out what they decide on
//! the swarm. It never blocks: node-bound events use `try_send` on a bounded channel (a full
//! channel drops the message with `Ignore` and counts it), and inbound sync requests wait on
//! the node in a bounded set of futures.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{ConnectionId, SwarmEvent};
use libp2p::{PeerId, Swarm, identify};
use tokio::sync::mpsc;

mod blocktxn;
mod links;
mod txsync;

use crate::behaviour::{Behaviour, BehaviourEvent};
use crate::config::NetworkConfig;
use crate::gauges::{self, Snapshot};
use crate::gossip_handler::GossipHandler;
use crate::handle::{Command, NetInfo, NetworkError, NetworkEvent, Offence, PeerInfo};
use crate::liveness::Watch;
use crate::metrics::P2pMetrics;
use crate::peers::{Admit, BootDial, PeerPolicy};
use crate::protocol::blocktxn::WireBlockTxn;
use crate::protocol::px::{PxRequest, PxResponse};
use crate::protocol::sync::{Status, SyncRequest, WireResponse};
use crate::protocol::txsync::WireTxResponse;
use crate::publish_queue::PublishQueue;
use crate::quota::{self, InboundQuotas, Quota};
use crate::seen::SeenCache;
use crate::sync_requests::{Answer, SyncRequests};
use crate::topic::{Topic, Topics};
use crate::txsync_requests::{BlockTxnRequests, TxSyncRequests};

/// Owns the swarm; run it with [`EventLoop::run`].
pub struct EventLoop {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<NetworkEvent>,
    config: NetworkConfig,
    status: Arc<Mutex<Status>>,
    metrics: Arc<P2pMetrics>,
    peers: PeerPolicy,
    sync: SyncRequests<OutboundRequestId, ResponseChannel<WireResponse>>,
    txsync: TxSyncRequests<OutboundRequestId, ResponseChannel<WireTxResponse>>,
    blocktxn: BlockTxnRequests<OutboundRequestId, ResponseChannel<WireBlockTxn>>,
    gossip: GossipHandler,
    quotas: InboundQuotas,
    liveness: Watch<ConnectionId, PeerId>,
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("peer_id", self.swarm.local_peer_id())
            .field("connected", &self.peers.connected_count())
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
        let peers = PeerPolicy::new(*swarm.local_peer_id(), &config);
        let sync = SyncRequests::new(config.max_inbound_sync, config.request_timeout);
        let txsync = TxSyncRequests::new(txsync::bounds(&config));
        let blocktxn = BlockTxnRequests::new(blocktxn::bounds(&config));
        let quotas = InboundQuotas::new(&config.quotas);
        let liveness = Watch::new(&config.liveness);
        let gossip = GossipHandler::new(
            topics,
            seen,
            PublishQueue::new(config.publish_queue, config.publish_ttl),
            config.limits,
            metrics.clone(),
        )
        .with_clock(config.clock);
        Self {
            swarm,
            commands,
            events,
            config,
            status,
            metrics,
            peers,
            sync,
            txsync,
            blocktxn,
            gossip,
            quotas,
            liveness,
        }
    }

    /// Runs until every [`crate::NetworkHandle`] is dropped.
    pub async fn run(mut self) {
        for dial in self.peers.bootstrap(Instant::now()) {
            match dial {
                BootDial::Peer { peer, addr } => {
                    let opts = DialOpts::peer_id(peer).addresses(vec![addr]).build();
                    if self.swarm.dial(opts).is_ok() {
                        self.peers.dial_started(peer);
                    }
                }
                BootDial::Addr(addr) => {
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
                Some((channel, response)) = self.sync.next_inbound(), if self.sync.inbound_len() != 0 => {
                    let _ = self.swarm.behaviour_mut().sync.send_response(channel, response.to_wire());
                }
                Some((channel, response)) = self.txsync.next_inbound(), if self.txsync.inbound_len() != 0 => {
                    self.send_txsync_response(channel, response);
                }
                Some((channel, response)) = self.blocktxn.next_inbound(), if self.blocktxn.inbound_len() != 0 => {
                    self.send_blocktxn_response(channel, response);
                }
                _ = tick.tick() => self.maintain(),
            }
        }
        tracing::debug!("network event loop stopped");
    }

    fn local_status(&self) -> Status {
        *self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn emit(&self, event: NetworkEvent) -> bool {
        self.events.try_send(event).is_ok()
    }

    // ---- swarm events -------------------------------------------------------------------

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(e)) => {
                let events = &self.events;
                self.gossip
                    .on_event(&mut self.swarm.behaviour_mut().gossipsub, e, |ev| {
                        events.try_send(ev).is_ok()
                    });
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                self.peers
                    .on_identify(peer_id, info.listen_addrs, Instant::now());
            }
            SwarmEvent::Behaviour(BehaviourEvent::Px(e)) => self.on_px(e),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.on_sync(e),
            SwarmEvent::Behaviour(BehaviourEvent::Txsync(e)) => self.on_txsync(e),
            SwarmEvent::Behaviour(BehaviourEvent::Blocktxn(e)) => self.on_blocktxn(e),
            SwarmEvent::Behaviour(BehaviourEvent::Ping(e)) => self.on_ping(e),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } => {
                let outbound = endpoint.is_dialer();
                let addr = endpoint.get_remote_address().clone();
                let admit = self.peers.on_connected(
                    peer_id,
                    outbound,
                    addr,
                    num_established.get() as usize,
                    Instant::now(),
                );
                match admit {
                    Admit::Refused => {
                        let _ = self.swarm.disconnect_peer_id(peer_id);
                        return;
                    }
                    Admit::Again => return,
                    Admit::New => {}
                }
                if self.config.gossip.flood_all {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .add_explicit_peer(&peer_id);
                }
                // A peer penalised before keeps its (decayed) score across the reconnect.
                if let Some(score) = self.peers.app_score(&peer_id, Instant::now()) {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .set_application_score(&peer_id, score);
                }
                let status = self.local_status();
                let id = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_request(&peer_id, SyncRequest::Status(status));
                self.sync.status_sent(id);
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
                self.peers.on_disconnected(&peer_id, Instant::now());
                self.txsync.forget(&peer_id);
                self.blocktxn.forget(&peer_id);
                self.quotas.forget(&peer_id);
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
                self.peers.dial_failed(&p, Instant::now());
                tracing::debug!(peer = %p, error = %error, "dial failed");
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
            }
            _ => {}
        }
    }

    fn on_px(&mut self, event: request_response::Event<PxRequest, PxResponse>) {
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
            } => match self
                .sync
                .on_response(request_id, response, &self.config.limits)
            {
                Answer::Status(status) => self.on_peer_status(peer, status),
                Answer::Garbage => self.penalise(peer, Offence::InvalidSyncData),
                Answer::Delivered | Answer::Unknown => {}
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                self.sync.on_failure(request_id, error.to_string());
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
        let kind = match request {
            SyncRequest::Status(_) => quota::Kind::Status,
            _ => quota::Kind::Sync,
        };
        if !self.within_quota(kind, peer) {
            let _ = self
                .swarm
                .behaviour_mut()
                .sync
                .send_response(channel, WireResponse::Error("rate_limited".to_owned()));
            return;
        }
        if let SyncRequest::Status(theirs) = request {
            let local = self.local_status();
            let _ = self
                .swarm
                .behaviour_mut()
                .sync
                .send_response(channel, WireResponse::Status(local));
            self.on_peer_status(peer, theirs);
            return;
        }
        let events = &self.events;
        let served = self.sync.serve(channel, |responder| {
            events
                .try_send(NetworkEvent::SyncRequest {
                    peer,
                    request,
                    responder,
                })
                .is_ok()
        });
        if let Err(channel) = served {
            let _ = self
                .swarm
                .behaviour_mut()
                .sync
                .send_response(channel, WireResponse::Error("busy".to_owned()));
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

    /// Whether `peer` may make one more `kind` request now; a refusal is counted, and a peer
    /// that keeps on after refusals is penalised.
    fn within_quota(&mut self, kind: quota::Kind, peer: PeerId) -> bool {
        match self.quotas.allow(kind, peer, Instant::now()) {
            Quota::Allow => true,
            Quota::Refuse { offence } => {
                self.metrics
                    .rate_limited
                    .get_or_create(&vec![("protocol", kind.as_str())])
                    .inc();
                tracing::debug!(%peer, kind = kind.as_str(), "request over quota");
                if offence {
                    self.penalise(peer, Offence::RequestFlood);
                }
                false
            }
        }
    }

    fn penalise(&mut self, peer: PeerId, offence: Offence) {
        let penalty = self.peers.penalise(peer, offence.penalty(), Instant::now());
        self.metrics.peer_penalties.inc();
        self.swarm
            .behaviour_mut()
            .gossipsub
            .set_application_score(&peer, penalty.score);
        tracing::info!(%peer, ?offence, score = penalty.score, "peer penalised");
        if penalty.banned {
            self.metrics.peer_bans.inc();
            let _ = self.swarm.disconnect_peer_id(peer);
            tracing::warn!(%peer, "peer banned");
        }
    }

    // ---- commands -----------------------------------------------------------------------

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { topic, data, reply } => {
                let gs = &mut self.swarm.behaviour_mut().gossipsub;
                let _ = reply.send(self.gossip.publish(gs, topic, data));
            }
            Command::Report {
                id,
                from,
                topic,
                result,
            } => {
                // A report for an id gossipsub no longer holds is harmless (it answers false).
                let gs = &mut self.swarm.behaviour_mut().gossipsub;
                self.gossip.report(gs, &id, &from, topic, result);
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
                let _ = reply.send(self.peers.book_entries());
            }
            Command::Info { reply } => {
                let topics = self.gossip.topics();
                let _ = reply.send(NetInfo {
                    peer_id: *self.swarm.local_peer_id(),
                    listen_addrs: self.swarm.listeners().cloned().collect(),
                    topics: Topic::ALL
                        .iter()
                        .map(|t| t.name(topics.network()))
                        .collect(),
                    network: topics.network().to_owned(),
                });
            }
            Command::Sync {
                peer,
                request,
                reply,
            } => {
                if self.sync.outbound_full() {
                    let _ = reply.send(Err(NetworkError::Busy));
                    return;
                }
                self.count_sync("outbound", &request);
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.sync.outbound_sent(id, reply);
            }
            Command::Penalise { peer, offence } => self.penalise(peer, offence),
            Command::Cut { peers, cut, reply } => {
                let _ = reply.send(self.set_cut(&peers, cut));
            }
            Command::TxSync {
                peer,
                request,
                reply,
            } => self.send_txsync(peer, request, reply),
            Command::BlockTxn {
                peer,
                request,
                reply,
            } => self.send_blocktxn(peer, request, reply),
        }
    }

    fn peer_infos(&self) -> Vec<PeerInfo> {
        let gs = &self.swarm.behaviour().gossipsub;
        let topics = self.gossip.topics();
        self.peers
            .connections()
            .map(|(peer, c)| PeerInfo {
                peer: *peer,
                addr: c.addr.clone(),
                outbound: c.outbound,
                score: gs.peer_score(peer).unwrap_or(0.0),
                mesh_topics: Topic::ALL
                    .into_iter()
                    .filter(|t| gs.mesh_peers(&topics.hash(*t)).any(|p| p == peer))
                    .collect(),
            })
            .collect()
    }

    // ---- maintenance --------------------------------------------------------------------

    /// Every tick: retry the publish queue, keep the peer targets, refresh the gauges.
    fn maintain(&mut self) {
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
    fn ban_graylisted(&mut self, now: Instant) {
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
    fn mesh_peers(&self) -> HashSet<PeerId> {
        let gs = &self.swarm.behaviour().gossipsub;
        let topics = self.gossip.topics();
        let mut mesh = HashSet::new();
        for t in Topic::ALL {
            mesh.extend(gs.mesh_peers(&topics.hash(t)).copied());
        }
        mesh
    }

    fn refresh_gauges(&self) {
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
        };
        gauges::refresh(&self.metrics, &snapshot);
    }
}
