//! The composed libp2p behaviour. Field order matters: `cut`, `limits` and `inbound` come first
//! so a connection to a cut-off peer or over the limits is refused before any other behaviour builds
//! a handler for it.

use libp2p::swarm::NetworkBehaviour;
use libp2p::{allow_block_list, connection_limits, identify, ping, request_response};

use crate::protocol::blocktxn::BlockTxnCodec;
use crate::protocol::px::PxCodec;
use crate::protocol::sync::SyncCodec;
use crate::protocol::txsync::TxSyncCodec;

#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Peers the operator cut off (fault injection): their connections are closed and new ones,
    /// in either direction, denied.
    pub cut: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub limits: connection_limits::Behaviour,
    /// Per-source inbound caps (IP, subnet): after `limits`, so its counts see only
    /// connections the global caps let through.
    pub inbound: crate::peering::inbound::InboundLimits,
    pub gossipsub: crate::gossip::Gossipsub,
    pub identify: identify::Behaviour,
    pub px: request_response::Behaviour<PxCodec>,
    pub sync: request_response::Behaviour<SyncCodec>,
    pub txsync: request_response::Behaviour<TxSyncCodec>,
    pub blocktxn: request_response::Behaviour<BlockTxnCodec>,
    /// The liveness check ([`crate::peering::liveness`]).
    pub ping: ping::Behaviour,
}

impl std::fmt::Debug for Behaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Behaviour")
    }
}
