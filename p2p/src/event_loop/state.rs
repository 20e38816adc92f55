//! What the event loop owns (the swarm, the channels to the node, every piece of bookkeeping)
//! and the helpers all its handlers share: emitting to the node, the per-peer quota and
//! penalties. The handlers live in the sibling files, one concern each.
//!
//! Invariant: only the event loop task touches these fields; nothing here blocks (node-bound
//! events use `try_send`).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use libp2p::request_response::{OutboundRequestId, ResponseChannel};
use libp2p::swarm::ConnectionId;
use libp2p::{PeerId, Swarm};
use tokio::sync::mpsc;

use crate::config::NetworkConfig;
use crate::gossip::handler::GossipHandler;
use crate::gossip::publish_queue::PublishQueue;
use crate::gossip::seen::SeenCache;
use crate::handle::{Command, NetworkEvent, Offence};
use crate::metrics::P2pMetrics;
use crate::peering::liveness::Watch;
use crate::peering::peers::PeerPolicy;
use crate::protocol::blocktxn::WireBlockTxn;
use crate::protocol::sync::{Status, WireResponse};
use crate::protocol::txsync::WireTxResponse;
use crate::requests::pull::{BlockTxnRequests, Bounds, TxSyncRequests};
use crate::requests::quota::{self, InboundQuotas, Quota};
use crate::requests::sync::SyncRequests;
use crate::swarm::behaviour::Behaviour;
use crate::topic::Topics;

/// Owns the swarm; run it with [`EventLoop::run`].
pub struct EventLoop {
    pub(super) swarm: Swarm<Behaviour>,
    pub(super) commands: mpsc::Receiver<Command>,
    pub(super) events: mpsc::Sender<NetworkEvent>,
    pub(super) config: NetworkConfig,
    pub(super) status: Arc<Mutex<Status>>,
    pub(super) metrics: Arc<P2pMetrics>,
    pub(super) peers: PeerPolicy,
    pub(super) sync: SyncRequests<OutboundRequestId, ResponseChannel<WireResponse>>,
    pub(super) txsync: TxSyncRequests<OutboundRequestId, ResponseChannel<WireTxResponse>>,
    pub(super) blocktxn: BlockTxnRequests<OutboundRequestId, ResponseChannel<WireBlockTxn>>,
    pub(super) gossip: GossipHandler,
    pub(super) quotas: InboundQuotas,
    pub(super) liveness: Watch<ConnectionId, PeerId>,
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
        let txsync = TxSyncRequests::new(Bounds::of(&config.txsync, config.request_timeout));
        let blocktxn = BlockTxnRequests::new(Bounds::of(&config.blocktxn, config.request_timeout));
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

    pub(super) fn local_status(&self) -> Status {
        *self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn emit(&self, event: NetworkEvent) -> bool {
        self.events.try_send(event).is_ok()
    }

    /// Whether `peer` may make one more `kind` request now; a refusal is counted, and a peer
    /// that keeps on after refusals is penalised.
    pub(super) fn within_quota(&mut self, kind: quota::Kind, peer: PeerId) -> bool {
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

    pub(super) fn penalise(&mut self, peer: PeerId, offence: Offence) {
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
}
