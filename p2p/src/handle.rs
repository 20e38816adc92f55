//! The cloneable handle the rest of the node uses, and the commands and events it exchanges
//! with the event loop. Every channel is bounded; every command that has an answer carries a
//! oneshot for it.

use std::sync::{Arc, Mutex};

use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use crate::gossip::Payload;
use crate::gossip::seen::SeenCache;
use crate::peering::addrbook::PeerRecord;
use crate::protocol::blocktxn::{BlockTxnRequest, BlockTxnResponse};
use crate::protocol::sync::{Status, SyncRequest, SyncResponse};
use crate::protocol::txsync::{TxSyncRequest, TxSyncResponse};
use crate::topic::Topic;

/// A gossip message id (SHA-256 of the payload).
pub type MessageId = [u8; 32];

/// What the node decided about a gossip message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Valid: forward it.
    Accept,
    /// Provably invalid: drop it and penalise the peer that sent it.
    Reject,
    /// Not forwarded, no penalty (duplicate, stale, pool full, unknown parent, …).
    Ignore,
}

impl Validation {
    /// The metric label (`result="accept"|"reject"|"ignore"`), for p2p and node counters alike.
    pub const fn as_str(self) -> &'static str {
        match self {
            Validation::Accept => "accept",
            Validation::Reject => "reject",
            Validation::Ignore => "ignore",
        }
    }
}

/// Why the node penalises a peer outside gossip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offence {
    /// A sync answer that was not what was asked in a way a race can explain (a range or
    /// headers that do not fit; the responder's chain may have moved).
    BadSyncResponse,
    /// A sync answer no honest node sends: bytes that do not decode, another kind of answer
    /// than asked, a block that fails its own checks, or another block than the hash asked.
    InvalidSyncData,
    /// A txsync answer that did not decode, was over the bounds, carried txs not asked for, or
    /// txs invalid everywhere (bad signature, wrong chain).
    BadTxSyncResponse,
    /// A txsync request that did not decode or was over the codec's cap.
    BadTxSyncRequest,
    /// A blocktxn answer that did not decode, was over the bounds, or did not carry the asked
    /// txs (count, or a tx without its slot's short id): the sender forwarded the compact
    /// block, so it holds the whole block and could have answered right.
    BadBlockTxnResponse,
    /// A blocktxn request that did not decode or was over the codec's cap.
    BadBlockTxnRequest,
    /// Forwarded a compact block whose short ids are not the block's (its header is signed,
    /// its list is not): a relayer rebuilds a compact block before forwarding it, so it could
    /// have checked.
    BadCompactBlock,
    /// Kept sending requests (status, sync, peer exchange, txsync) after being refused for
    /// going over its quota ([`crate::requests::quota`]).
    RequestFlood,
    /// Gossiped a block whose slot is far behind the clock (a replay). Gossipsub's own
    /// invalid-message penalty does not apply: it remembers the block's first, valid delivery
    /// for two minutes and skips the penalty for a message it has already judged.
    ReplayedBlock,
    /// Kept relaying txs that could not pay (balance, nonce window) while we were in sync.
    UnpayableTxs,
    /// Delivered two blocks by one producer for one slot: an honest relayer forwards only the
    /// first it accepts.
    RelayedEquivocation,
}

impl Offence {
    /// The application-score penalty, against a ban at the graylist threshold (−80). Sync data
    /// no honest node sends bans at once (−100); other wrong answers cost −50 (two ban);
    /// offences an honest peer can stumble into once (a request burst, txs from a state we
    /// have not seen yet) cost −30 (three ban).
    pub const fn penalty(self) -> f64 {
        match self {
            Offence::InvalidSyncData => -100.0,
            Offence::BadSyncResponse
            | Offence::BadTxSyncResponse
            | Offence::BadTxSyncRequest
            | Offence::BadBlockTxnResponse
            | Offence::BadBlockTxnRequest
            | Offence::BadCompactBlock
            | Offence::ReplayedBlock
            | Offence::RelayedEquivocation => -50.0,
            Offence::RequestFlood | Offence::UnpayableTxs => -30.0,
        }
    }
}

/// Result of a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    Published,
    /// No peer is subscribed yet; it will go out when one is (bounded, with expiry).
    Queued,
    /// Gossipsub already has this exact message.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    #[error("the network event loop has stopped")]
    Stopped,
    #[error("publish failed: {0}")]
    Publish(String),
    #[error("dial failed: {0}")]
    Dial(String),
    #[error("sync request failed: {0}")]
    Sync(String),
    #[error("too many requests in flight")]
    Busy,
    #[error("network set-up: {0}")]
    Setup(String),
}

/// A connected peer.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    pub peer: PeerId,
    pub addr: Multiaddr,
    pub outbound: bool,
    pub score: f64,
    pub mesh_topics: Vec<Topic>,
}

/// This node's network identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetInfo {
    pub peer_id: PeerId,
    pub listen_addrs: Vec<Multiaddr>,
    pub topics: Vec<String>,
    pub network: String,
}

/// An address book entry as reported to the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookEntry {
    pub record: PeerRecord,
    pub failures: u32,
    pub connected: bool,
}

/// Commands from handles to the event loop.
#[derive(Debug)]
pub enum Command {
    Publish {
        topic: Topic,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<PublishOutcome, NetworkError>>,
    },
    Report {
        id: MessageId,
        from: PeerId,
        topic: Topic,
        result: Validation,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), NetworkError>>,
    },
    Disconnect {
        peer: PeerId,
        reply: oneshot::Sender<bool>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    AddressBook {
        reply: oneshot::Sender<Vec<BookEntry>>,
    },
    Info {
        reply: oneshot::Sender<NetInfo>,
    },
    Sync {
        peer: PeerId,
        request: SyncRequest,
        reply: oneshot::Sender<Result<SyncResponse, NetworkError>>,
    },
    Penalise {
        peer: PeerId,
        offence: Offence,
    },
    TxSync {
        peer: PeerId,
        request: TxSyncRequest,
        reply: oneshot::Sender<Result<TxSyncResponse, NetworkError>>,
    },
    BlockTxn {
        peer: PeerId,
        request: BlockTxnRequest,
        reply: oneshot::Sender<Result<BlockTxnResponse, NetworkError>>,
    },
    /// Cut `peers` off (`cut`) or restore them; answers how many changed.
    Cut {
        peers: Vec<PeerId>,
        cut: bool,
        reply: oneshot::Sender<usize>,
    },
}

/// Answers one inbound sync request. Dropping it answers "unavailable".
#[derive(Debug)]
pub struct SyncResponder(pub(crate) oneshot::Sender<SyncResponse>);

impl SyncResponder {
    pub fn respond(self, response: SyncResponse) {
        // The requester may have gone; nothing to do then.
        let _ = self.0.send(response);
    }
}

/// Answers one inbound request of a node-served pull protocol (txsync, blocktxn). Dropping
/// it answers "unavailable".
#[derive(Debug)]
pub struct Responder<T>(pub(crate) oneshot::Sender<T>);

impl<T> Responder<T> {
    /// A responder and the receiving end of its answer (what the event loop keeps; tests
    /// and embedders that serve requests without a swarm use it too).
    pub fn channel() -> (Self, oneshot::Receiver<T>) {
        let (tx, rx) = oneshot::channel();
        (Self(tx), rx)
    }

    /// Answers; the event loop cuts the answer to the protocol's bounds.
    pub fn respond(self, response: T) {
        let _ = self.0.send(response);
    }
}

/// Answers one inbound txsync request.
pub type TxSyncResponder = Responder<TxSyncResponse>;
/// Answers one inbound blocktxn request.
pub type BlockTxnResponder = Responder<BlockTxnResponse>;

/// Events from the event loop to the node.
#[derive(Debug)]
pub enum NetworkEvent {
    /// A gossip message seen for the first time, decoded. The node must `report` a verdict.
    Gossip {
        id: MessageId,
        from: PeerId,
        payload: Payload,
        /// Wall-clock µs since the epoch when the loop received it (for propagation traces).
        received_at_us: u64,
    },
    /// A block gossiped again after gossipsub had forgotten it (a seen-cache hit, already
    /// ignored): the node checks whether it is a replay of an old block and penalises `from`
    /// if so. Honest peers forward a block within seconds, inside gossipsub's own memory.
    BlockSeenAgain {
        from: PeerId,
        header: Box<rumor_chain::BlockHeader>,
    },
    PeerConnected {
        peer: PeerId,
        outbound: bool,
    },
    PeerDisconnected {
        peer: PeerId,
    },
    /// A peer told us its chain status (on connect).
    PeerStatus {
        peer: PeerId,
        status: Status,
    },
    /// A peer asks for blocks; answer through `responder`.
    SyncRequest {
        peer: PeerId,
        request: SyncRequest,
        responder: SyncResponder,
    },
    /// A peer asks for our pending-tx digest or for txs by hash; answer through `responder`.
    TxSyncRequest {
        peer: PeerId,
        request: TxSyncRequest,
        responder: TxSyncResponder,
    },
    /// A peer asks for txs of a block by index; answer through `responder`.
    BlockTxnRequest {
        peer: PeerId,
        request: BlockTxnRequest,
        responder: BlockTxnResponder,
    },
}

/// Cloneable handle to the network.
#[derive(Debug, Clone)]
pub struct NetworkHandle {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) seen: SeenCache,
    pub(crate) status: Arc<Mutex<Status>>,
    pub(crate) local_peer_id: PeerId,
    pub(crate) link_faults: Option<rumor_link::LinkFaults>,
}

impl NetworkHandle {
    /// The link-fault registry of this node's connections, when fault control is on.
    pub fn link_faults(&self) -> Option<&rumor_link::LinkFaults> {
        self.link_faults.as_ref()
    }

    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// The seen-cache shared with the event loop (the node feeds it RPC-submitted txs).
    pub fn seen(&self) -> &SeenCache {
        &self.seen
    }

    /// Updates the chain status this node advertises to peers.
    pub fn set_status(&self, status: Status) {
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = status;
    }

    /// Items waiting in the command channel.
    pub fn command_backlog(&self) -> usize {
        self.commands.max_capacity() - self.commands.capacity()
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetworkError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| NetworkError::Stopped)?;
        rx.await.map_err(|_| NetworkError::Stopped)
    }

    /// Publishes `data` on `topic` (marking it seen first, so its echoes are dropped).
    pub async fn publish(
        &self,
        topic: Topic,
        data: Vec<u8>,
    ) -> Result<PublishOutcome, NetworkError> {
        self.ask(|reply| Command::Publish { topic, data, reply })
            .await?
    }

    /// Reports the node's verdict on a gossip message.
    pub async fn report(
        &self,
        id: MessageId,
        from: PeerId,
        topic: Topic,
        result: Validation,
    ) -> Result<(), NetworkError> {
        self.commands
            .send(Command::Report {
                id,
                from,
                topic,
                result,
            })
            .await
            .map_err(|_| NetworkError::Stopped)
    }

    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetworkError> {
        self.ask(|reply| Command::Dial { addr, reply }).await?
    }

    /// Cuts `peers` off (`cut = true`: connections closed, dials and inbound connections
    /// refused both ways, as a network partition would) or restores them. For fault injection
    /// only; the node exposes it when its config enables the control endpoint. Answers how many
    /// peers changed state.
    pub async fn set_cut(&self, peers: Vec<PeerId>, cut: bool) -> Result<usize, NetworkError> {
        self.ask(|reply| Command::Cut { peers, cut, reply }).await
    }

    pub async fn disconnect(&self, peer: PeerId) -> Result<bool, NetworkError> {
        self.ask(|reply| Command::Disconnect { peer, reply }).await
    }

    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetworkError> {
        self.ask(|reply| Command::Peers { reply }).await
    }

    pub async fn address_book(&self) -> Result<Vec<BookEntry>, NetworkError> {
        self.ask(|reply| Command::AddressBook { reply }).await
    }

    pub async fn info(&self) -> Result<NetInfo, NetworkError> {
        self.ask(|reply| Command::Info { reply }).await
    }

    /// Sends a sync request and waits for the (decoded) answer.
    pub async fn sync(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> Result<SyncResponse, NetworkError> {
        self.ask(|reply| Command::Sync {
            peer,
            request,
            reply,
        })
        .await?
    }

    /// Sends a txsync request and waits for the (decoded, bounds-checked) answer.
    pub async fn txsync(
        &self,
        peer: PeerId,
        request: TxSyncRequest,
    ) -> Result<TxSyncResponse, NetworkError> {
        self.ask(|reply| Command::TxSync {
            peer,
            request,
            reply,
        })
        .await?
    }

    /// Asks `peer` for txs of a block by index and waits for the (decoded, bounds-checked)
    /// answer.
    pub async fn block_txn(
        &self,
        peer: PeerId,
        request: BlockTxnRequest,
    ) -> Result<BlockTxnResponse, NetworkError> {
        self.ask(|reply| Command::BlockTxn {
            peer,
            request,
            reply,
        })
        .await?
    }

    /// Penalises a peer for misbehaviour the node detected outside gossip.
    pub async fn penalise(&self, peer: PeerId, offence: Offence) -> Result<(), NetworkError> {
        self.commands
            .send(Command::Penalise { peer, offence })
            .await
            .map_err(|_| NetworkError::Stopped)
    }
}
