//! Rumor's networking: one libp2p swarm (TCP + Noise + Yamux, identify, gossipsub, peer exchange,
//! block sync, mempool anti-entropy, connection limits), owned by one [`EventLoop`] task;
//! everyone else talks to it through a cloneable [`NetworkHandle`] and receives
//! [`NetworkEvent`]s.
//!
//! This crate never touches the mempool or the chain store: it decodes gossip at the edge
//! (undecodable bytes are rejected here and never reach the node), consults the seen-cache, and
//! forwards a message only after the node reports it valid.
//!
//! ```text
//! node ──Command──▶ EventLoop (owns Swarm) ──NetworkEvent──▶ node
//!         (bounded, oneshot replies)          (bounded, try_send)
//! ```

mod config;
mod event_loop;
/// Entry points for the fuzz targets in `fuzz/`: the real read path of each request-response
/// codec on untrusted bytes. Not an API.
#[doc(hidden)]
pub mod fuzzing;
mod gossip;
mod handle;
pub mod meter;
mod metrics;
mod peering;
mod protocol;
mod requests;
mod swarm;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
mod topic;

/// Modules other crates name by path (`rumor_p2p::duplicates::DuplicateWatch`,
/// `rumor_p2p::inbound::SourceLimits`, ...), kept where they were before the grouping.
pub use gossip::duplicates;
pub use peering::{inbound, liveness};
pub use swarm::transport;

use std::sync::{Arc, Mutex};

// The public surface, curated: everything the node, the tests and the benches use, and every
// type that appears in those items' signatures. Nothing else is reachable from outside.
pub use config::{GossipConfig, LazyPush, NetworkConfig, PeerTargets, RequestQuotas, TxSyncConfig};
pub use event_loop::EventLoop;
pub use gossip::seen::{SeenCache, SeenStats};
pub use gossip::{
    Payload, decode as decode_payload, encode_block, encode_compact, max_transmit_bytes, message_id,
};
pub use handle::{
    BlockTxnResponder, BookEntry, MessageId, NetInfo, NetworkError, NetworkEvent, NetworkHandle,
    Offence, PeerInfo, PublishOutcome, Responder, SyncResponder, TxSyncResponder, Validation,
};
pub use libp2p::{Multiaddr, PeerId, identity};
pub use meter::Meter;
pub use metrics::P2pMetrics;
pub use peering::addrbook::{BookConfig, PeerRecord};
pub use protocol::blocktxn::{BlockTxnRequest, BlockTxnResponse};
pub use protocol::sync::{
    MAX_BLOCKS_PER_REQUEST, MAX_RESPONSE_BYTES, Status, SyncRequest, SyncResponse,
};
pub use protocol::txsync::{
    MAX_DIGEST_HASHES, MAX_GET_HASHES, MAX_TXS_RESPONSE_BYTES, TxSyncRequest, TxSyncResponse,
};
/// Part of [`NetworkConfig`]; the rest of the link model lives in `rumor_link`.
pub use rumor_link::LinkEmulation;
/// Link faults (testnet fault injection): the registry in [`NetworkConfig::link_faults`]
/// and what a controller sets in it.
pub use rumor_link::{
    Direction as LinkDirection, FaultError as LinkFaultError, FaultKind as LinkFaultKind,
    LinkFault, LinkFaults,
};
pub use topic::{Topic, TopicName, TopicParseError};

/// The wire protocols' codecs and messages, for peers built on this stack outside a node:
/// the testnet's attack harness speaks them to honest nodes. The node itself never needs them.
pub mod wire {
    pub use crate::gossip::thresholds;
    pub use crate::protocol::px::{
        MAX_RECORDS, PROTOCOL as PX_PROTOCOL, PxCodec, PxRequest, PxResponse, WireRecord,
    };
    pub use crate::protocol::sync::{PROTOCOL as SYNC_PROTOCOL, SyncCodec, WireResponse};
    pub use crate::swarm::IDENTIFY_PROTOCOL;
}

/// The node's transport and gossipsub parameters without the node: the benchmark's
/// bare-gossipsub floor (`rumor-floor`) is built from these, so it differs from a node only in
/// what the node adds on top.
pub mod stack {
    pub use crate::swarm::build_with as swarm;
    pub use crate::topic::Topics;
}

/// The libp2p identity for a node key: the same ed25519 key, so the peer id follows from it.
pub fn identity_from_key(key: &rumor_chain::Keypair) -> identity::Keypair {
    identity::Keypair::ed25519_from_bytes(key.secret_bytes())
        .expect("a 32-byte ed25519 secret is always valid")
}

/// Everything `start` returns: spawn `event_loop.run()` and keep the rest.
#[derive(Debug)]
pub struct Network {
    pub handle: NetworkHandle,
    pub events: tokio::sync::mpsc::Receiver<NetworkEvent>,
    pub event_loop: EventLoop,
    pub metrics: Arc<P2pMetrics>,
}

/// Builds the swarm, listens, subscribes to both topics and registers metrics. `status` is the
/// chain status advertised to peers until the node updates it through the handle.
pub fn start(
    key: identity::Keypair,
    network: &str,
    status: Status,
    config: NetworkConfig,
    registry: &mut prometheus_client::registry::Registry,
) -> Result<Network, NetworkError> {
    let topics = topic::Topics::new(network);
    let local_peer_id = key.public().to_peer_id();
    let metrics = Arc::new(P2pMetrics::register(registry));
    let mut swarm = swarm::build(key, &config, &topics, registry, &metrics)?;
    for addr in &config.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NetworkError::Setup(format!("listen on {addr}: {e}")))?;
    }
    for t in Topic::ALL {
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&t.ident(network))
            .map_err(|e| NetworkError::Setup(format!("subscribe: {e}")))?;
    }
    for (name, value) in [
        ("seen_cache", config.seen_cache),
        ("publish_queue", config.publish_queue),
        ("command_channel", config.command_channel),
        ("event_channel", config.event_channel),
        ("address_book", config.address_book.capacity),
        ("inbound_sync", config.max_inbound_sync),
        ("inbound_txsync", config.txsync.max_inbound),
        ("outbound_txsync", config.txsync.max_outbound),
        ("txsync_peer_burst", config.txsync.peer_burst as usize),
        ("txsync_peer_per_sec", config.txsync.peer_per_sec as usize),
        ("inbound_blocktxn", config.blocktxn.max_inbound),
        ("outbound_blocktxn", config.blocktxn.max_outbound),
        ("blocktxn_peer_burst", config.blocktxn.peer_burst as usize),
        (
            "blocktxn_peer_per_sec",
            config.blocktxn.peer_per_sec as usize,
        ),
        ("peers_low", config.peers.low),
        ("peers_high", config.peers.high),
        ("max_established", config.peers.max_established as usize),
        ("max_pending", config.peers.max_pending as usize),
        ("outbound_reserved", config.peers.outbound_reserved as usize),
        ("outbound_per_subnet", config.peers.outbound_per_subnet),
        ("inbound_per_ip", config.peers.inbound.per_ip),
        ("inbound_per_subnet", config.peers.inbound.per_subnet),
        ("cut_peers", peering::peers::MAX_CUT),
        ("link_fault_peers", rumor_link::MAX_FAULTED_PEERS),
        ("link_fault_pending", rumor_link::MAX_PENDING),
        ("status_peer_burst", config.quotas.status_burst as usize),
        ("sync_peer_burst", config.quotas.sync_burst as usize),
        ("px_peer_burst", config.quotas.px_burst as usize),
        (
            "gossip_lazy_pending",
            config.gossip.lazy_push.map_or(0, |l| l.max_pending),
        ),
        (
            "gossip_lazy_announce_batch",
            config.gossip.lazy_push.map_or(0, |l| l.max_announce_batch),
        ),
    ] {
        metrics.set_limit(name, value);
    }
    let (command_tx, command_rx) = tokio::sync::mpsc::channel(config.command_channel);
    let (event_tx, event_rx) = tokio::sync::mpsc::channel(config.event_channel);
    let seen = SeenCache::new(config.seen_cache);
    let status = Arc::new(Mutex::new(status));
    let handle = NetworkHandle {
        commands: command_tx,
        seen: seen.clone(),
        status: status.clone(),
        local_peer_id,
        link_faults: config.link_faults.clone(),
    };
    let event_loop = EventLoop::new(
        swarm,
        command_rx,
        event_tx,
        config,
        topics,
        seen,
        status,
        metrics.clone(),
    );
    Ok(Network {
        handle,
        events: event_rx,
        event_loop,
        metrics,
    })
}
