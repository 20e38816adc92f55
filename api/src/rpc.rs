//! The RPC interface as `#[rpc(server, client)]` traits, one per namespace. Method names on
//! the wire are `<namespace>_<name>` (e.g. `tx_submit`). The node implements the generated
//! `*Server` traits; every client (testnet, bench, wallet, tests) calls the generated `*Client`
//! methods, so no method name is spelled as a string outside this file and the OpenRPC method
//! table (`openrpc.rs`, which reads this file's constants; this file does not read it).

use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;
use rumor_chain::{Address, BlockHash, TxHash};

use crate::types::*;

#[rpc(server, client, namespace = "tx")]
pub trait TxApi {
    /// Submits a canonical encoded signed tx (hex); returns its hash.
    #[method(name = "submit")]
    async fn submit(&self, raw_hex: String) -> RpcResult<TxHash>;

    /// A tx and where it is.
    #[method(name = "get")]
    async fn get(&self, hash: TxHash) -> RpcResult<TxInfo>;
}

#[rpc(server, client, namespace = "chain")]
pub trait ChainApi {
    #[method(name = "head")]
    async fn head(&self) -> RpcResult<Head>;

    #[method(name = "getBlockByHeight")]
    async fn block_by_height(
        &self,
        height: u64,
        full_txs: Option<bool>,
    ) -> RpcResult<Option<BlockInfo>>;

    #[method(name = "getBlockByHash")]
    async fn block_by_hash(
        &self,
        hash: BlockHash,
        full_txs: Option<bool>,
    ) -> RpcResult<Option<BlockInfo>>;

    /// Equivocation proofs this node holds (two signed headers by one producer for one
    /// slot), newest slot first, at most `max` (default and cap [`MAX_EQUIVOCATIONS`]).
    #[method(name = "getEquivocations")]
    async fn equivocations(&self, max: Option<u64>) -> RpcResult<Vec<EquivocationInfo>>;

    /// This node's clock against the other producers' (its offset estimate and tolerance):
    /// whether its blocks, and theirs, are taken at once.
    #[method(name = "clock")]
    async fn clock(&self) -> RpcResult<ClockStatus>;

    /// New canonical heads.
    #[subscription(name = "subscribeNewHeads" => "newHead", unsubscribe = "unsubscribeNewHeads", item = HeadEvent)]
    async fn subscribe_new_heads(&self) -> SubscriptionResult;
}

#[rpc(server, client, namespace = "state")]
pub trait StateApi {
    #[method(name = "getAccount")]
    async fn account(&self, address: Address) -> RpcResult<Account>;
}

#[rpc(server, client, namespace = "mempool")]
pub trait MempoolApi {
    #[method(name = "status")]
    async fn status(&self) -> RpcResult<MempoolStatus>;

    #[method(name = "content")]
    async fn content(&self) -> RpcResult<MempoolContent>;

    /// Hashes of txs as they become pending.
    #[subscription(name = "subscribePending" => "pendingTx", unsubscribe = "unsubscribePending", item = TxHash)]
    async fn subscribe_pending(&self) -> SubscriptionResult;
}

#[rpc(server, client, namespace = "net")]
pub trait NetApi {
    #[method(name = "info")]
    async fn info(&self) -> RpcResult<NetInfo>;

    #[method(name = "peers")]
    async fn peers(&self) -> RpcResult<Vec<Peer>>;
}

#[rpc(server, client, namespace = "node")]
pub trait NodeApi {
    /// Whether the node persists what it accepts and follows the chain ([`NodeHealth`]): a
    /// node whose disk is full answers `ok: false` with the store `degraded` and why. Reads no
    /// store, takes no lock: it answers while the node is in trouble.
    #[method(name = "health")]
    async fn health(&self) -> RpcResult<NodeHealth>;
}

/// Most proofs one `chain_getEquivocations` answer carries (~100 KB of JSON).
pub const MAX_EQUIVOCATIONS: u64 = 256;

/// Peer ids one `fault_*` call may name (the node answers -32602 beyond it); the node's
/// p2p cut list holds as many.
pub const MAX_FAULT_PEERS: usize = 4096;

/// Fault injection for testnets: cut this node off from peers (their connections closed, new
/// ones refused both ways) and restore them; make its links to peers fail in one direction,
/// flap, lose or reset. Served only when the node's config sets
/// `fault_control = true` (the testnet tool does, for runs with fault flags); otherwise these
/// methods do not exist (-32601).
#[rpc(server, client, namespace = "fault")]
pub trait FaultApi {
    /// Cuts the given peers (base58 peer ids) off; returns how many were not cut already.
    #[method(name = "cutPeers")]
    async fn cut_peers(&self, peer_ids: Vec<String>) -> RpcResult<usize>;

    /// Ends the cut for the given peers; returns how many were cut.
    #[method(name = "restorePeers")]
    async fn restore_peers(&self, peer_ids: Vec<String>) -> RpcResult<usize>;

    /// Sets a link fault ([`LinkFaultSpec`]) on this node's links to the given peers, their
    /// connections now and any made while it lasts (replacing a fault of the same mode and
    /// direction); returns how many peers. -32602 for a malformed fault, or beyond
    /// [`MAX_FAULT_PEERS`] faulted peers.
    #[method(name = "setLinkFault")]
    async fn set_link_fault(&self, peer_ids: Vec<String>, fault: LinkFaultSpec)
    -> RpcResult<usize>;

    /// Clears every link fault on the links to the given peers (every peer when omitted);
    /// held bytes flow again at once. Returns how many peers had any.
    #[method(name = "clearLinkFaults")]
    async fn clear_link_faults(&self, peer_ids: Option<Vec<String>>) -> RpcResult<usize>;
}

/// Most bytes one `trace_read` answer carries (whole lines only; a page may be shorter). At
/// ~150 bytes a line that is ~7 000 lines a call, well under the server's response cap (the
/// hex-free NDJSON text is carried as one JSON string, escaping its quotes: < 1.2× on the wire).
pub const MAX_TRACE_PAGE: u64 = 1 << 20;

/// The node's propagation trace and the clock it is stamped with, for a tool that cannot read
/// the node's files (containers, other hosts): the trace is read in pages from a byte offset,
/// and the clock is sampled to estimate this node's offset to the reader's clock.
#[rpc(server, client, namespace = "trace")]
pub trait TraceApi {
    /// The node's wall clock, µs since the Unix epoch: the clock every trace line's `t_us`
    /// comes from. Answered without any lock or I/O, so a reader's round trip bounds it tightly.
    #[method(name = "clock")]
    async fn clock(&self) -> RpcResult<ClockReading>;

    /// Whole trace lines from byte `offset` of the trace file, at most `max_bytes` (default
    /// and cap [`MAX_TRACE_PAGE`]). An offset past the end returns an empty page; -32602 when
    /// the node keeps no trace.
    #[method(name = "read")]
    async fn read(&self, offset: u64, max_bytes: Option<u64>) -> RpcResult<TracePage>;

    /// The trace writer's counts so far (lines written, lines dropped).
    #[method(name = "stats")]
    async fn stats(&self) -> RpcResult<crate::trace::TraceStats>;
}

/// Wire names of the methods a client sends in JSON-RPC batches: jsonrpsee's generated client
/// has no batch call, so a batch names its methods. The node's tests check that its server
/// registers each of these.
pub mod method {
    pub const TX_SUBMIT: &str = "tx_submit";
    pub const STATE_GET_ACCOUNT: &str = "state_getAccount";
}
