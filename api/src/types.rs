//! JSON shapes of RPC results, as the node writes them and every client reads them. Hashes,
//! addresses and signatures are hex strings.
//!
//! Invariant: a field may be added, never renamed or removed; readers ignore unknown fields
//! (serde's default), so an older client keeps working against a newer node.

use std::collections::BTreeMap;

pub use rumor_chain::Account;
use rumor_chain::{
    Address, Block, BlockHash, BlockHeader, Equivocation, EvidenceError, Signature, SignedHeader,
    SignedTransaction, TxHash,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::schema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    Pending,
    Queued,
    Included {
        height: u64,
        #[schemars(with = "schema::Hash32")]
        block: BlockHash,
    },
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TxInfo {
    #[schemars(with = "Option<schema::SignedTransaction>")]
    pub tx: Option<SignedTransaction>,
    pub status: TxStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Head {
    pub height: u64,
    #[schemars(with = "schema::Hash32")]
    pub hash: BlockHash,
    pub slot: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum BlockTxs {
    Full(#[schemars(with = "Vec<schema::SignedTransaction>")] Vec<SignedTransaction>),
    Hashes(#[schemars(with = "Vec<schema::Hash32>")] Vec<TxHash>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BlockInfo {
    #[schemars(with = "schema::Hash32")]
    pub hash: BlockHash,
    #[schemars(with = "schema::BlockHeader")]
    pub header: BlockHeader,
    #[schemars(with = "schema::SignatureHex")]
    pub signature: Signature,
    pub size: usize,
    pub txs: BlockTxs,
}

impl BlockInfo {
    pub fn new(block: Block, full: bool) -> Self {
        Self {
            hash: block.hash(),
            size: block.encoded_len(),
            txs: if full {
                BlockTxs::Full(block.txs)
            } else {
                BlockTxs::Hashes(block.txs.iter().map(|t| t.hash()).collect())
            },
            header: block.header,
            signature: block.signature,
        }
    }
}

/// A block header with its producer's signature (no body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignedHeaderInfo {
    #[schemars(with = "schema::Hash32")]
    pub hash: BlockHash,
    #[schemars(with = "schema::BlockHeader")]
    pub header: BlockHeader,
    #[schemars(with = "schema::SignatureHex")]
    pub signature: Signature,
}

/// Proof that `producer` signed two blocks for `slot` (`chain_getEquivocations`). Anyone with
/// the genesis can check it: [`EquivocationInfo::evidence`], then `Equivocation::verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EquivocationInfo {
    pub slot: u64,
    #[schemars(with = "schema::AddressHex")]
    pub producer: Address,
    /// The block the node stored or saw first.
    pub first: SignedHeaderInfo,
    pub second: SignedHeaderInfo,
}

impl From<Equivocation> for EquivocationInfo {
    fn from(ev: Equivocation) -> Self {
        let info = |h: SignedHeader| SignedHeaderInfo {
            hash: h.hash(),
            header: h.header,
            signature: h.signature,
        };
        Self {
            slot: ev.slot(),
            producer: ev.producer(),
            first: info(ev.first),
            second: info(ev.second),
        }
    }
}

impl EquivocationInfo {
    /// The proof itself, for a reader to verify (the `hash` fields are not trusted).
    pub fn evidence(&self) -> Result<Equivocation, EvidenceError> {
        let header = |h: &SignedHeaderInfo| SignedHeader {
            header: h.header.clone(),
            signature: h.signature,
        };
        Equivocation::new(header(&self.first), header(&self.second))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MempoolStatus {
    pub pending: usize,
    pub queued: usize,
    pub bytes: usize,
    pub senders: usize,
    pub max_txs: usize,
    pub max_bytes: usize,
    /// Rejections since start, by reason.
    pub rejections: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SenderTxs {
    #[schemars(with = "Vec<schema::SignedTransaction>")]
    pub pending: Vec<SignedTransaction>,
    #[schemars(with = "Vec<schema::SignedTransaction>")]
    pub queued: Vec<SignedTransaction>,
}

/// Pooled txs by sender.
pub type MempoolContent = BTreeMap<Address, SenderTxs>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NetInfo {
    pub peer_id: String,
    pub listen_addrs: Vec<String>,
    pub topics: Vec<String>,
    pub network: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Peer {
    pub peer_id: String,
    pub addr: String,
    pub outbound: bool,
    pub score: f64,
    pub mesh_topics: Vec<String>,
}

impl Peer {
    /// Mesh topics are reported as short names (`tx`, `block`); full topic strings
    /// (`/rumor/<net>/tx/1`) are recognised too.
    pub fn in_mesh(&self, kind: &str) -> bool {
        self.mesh_topics
            .iter()
            .any(|t| t == kind || t.split('/').any(|part| part == kind))
    }
}

/// A new canonical head, as published to `chain_subscribeNewHeads` (notification `newHead`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HeadEvent {
    pub height: u64,
    #[schemars(with = "schema::Hash32")]
    pub hash: BlockHash,
    pub slot: u64,
    pub txs: usize,
    pub reorg_depth: u64,
}

/// `node_health`: whether this node persists what it accepts and follows the chain, and what
/// is wrong if not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NodeHealth {
    /// Every part below is `ok`.
    pub ok: bool,
    /// The chain store (`<data_dir>/chain.redb`).
    pub store: StoreHealth,
    /// The local-tx journal (`<data_dir>/local-txs.journal`; `ok` when the journal is off).
    pub journal: StoreHealth,
    /// The canonical head.
    pub head: Head,
    /// A catch-up from a peer is running.
    pub syncing: bool,
}

/// One store's state, tagged by `status`: `{"status":"ok"}` or `{"status":"degraded",…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StoreHealth {
    Ok,
    /// Its writes fail: the node takes no txs over RPC (`storage_unavailable`), keeps relaying
    /// and serving what it can, and retries by itself.
    Degraded {
        /// The first error, as the OS reported it.
        reason: String,
        /// Out of space (disk full, quota): retried for as long as it lasts.
        out_of_space: bool,
        /// When it started (ms since the epoch).
        since_ms: u64,
        /// Operations that failed since then.
        failures: u64,
        /// When the node stops with exit status 74 unless the store recovers first (ms since
        /// the epoch); absent while out of space.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gives_up_at_ms: Option<u64>,
    },
}

impl StoreHealth {
    pub fn is_ok(&self) -> bool {
        matches!(self, StoreHealth::Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_parse_tolerantly_and_know_their_mesh() {
        let p: Peer = serde_json::from_str(
            r#"{"peer_id":"x","addr":"/ip4/1","outbound":true,"score":0.5,"mesh_topics":["tx","/rumor/ab/block/1"],"extra":1}"#,
        )
        .unwrap();
        assert!(p.in_mesh("tx") && p.in_mesh("block"));
        let m: MempoolStatus = serde_json::from_str(
            r#"{"pending":3,"queued":1,"bytes":480,"senders":2,"max_txs":9,"max_bytes":9,"rejections":{"fee_too_low":2},"new":true}"#,
        )
        .unwrap();
        assert_eq!(m.pending, 3);
        assert_eq!(m.rejections["fee_too_low"], 2);
    }

    #[test]
    fn store_health_is_tagged_by_status() {
        assert_eq!(
            serde_json::to_value(StoreHealth::Ok).unwrap(),
            serde_json::json!({"status": "ok"})
        );
        let degraded = StoreHealth::Degraded {
            reason: "No space left on device (os error 28)".into(),
            out_of_space: true,
            since_ms: 5,
            failures: 2,
            gives_up_at_ms: None,
        };
        let json = serde_json::to_value(&degraded).unwrap();
        assert_eq!(json["status"], "degraded");
        assert!(json.get("gives_up_at_ms").is_none());
        assert_eq!(
            serde_json::from_value::<StoreHealth>(json).unwrap(),
            degraded
        );
    }
}

/// `chain_clock`: what the node knows of its own clock against the other producers'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClockStatus {
    /// Our clock minus the other producers', ms (positive: ahead), estimated from their
    /// blocks: per producer the least (receive time − slot start), median over producers
    /// (ourselves at 0 when we produce). `null` until `samples` ≥ 3.
    pub offset_estimate_ms: Option<i64>,
    /// How far a block's slot may start ahead of our clock and be taken at once
    /// (`[chain] max_future_ms`); beyond it blocks are held, refused or rejected.
    pub tolerance_ms: u64,
    /// Recent blocks the estimate rests on (at most `[chain] clock_samples`).
    pub samples: u64,
    /// Other producers those came from.
    pub producers: u64,
    /// |offset_estimate_ms| ≤ tolerance_ms; `null` until there is an estimate.
    pub within_tolerance: Option<bool>,
    /// Gossiped blocks held now until their slot comes.
    pub held_blocks: u64,
}

/// `trace_clock`: the node's wall clock when it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClockReading {
    /// µs since the Unix epoch.
    pub t_us: u64,
}

/// `trace_read`: a page of the trace file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TracePage {
    /// The page's first byte in the file.
    pub offset: u64,
    /// Whole NDJSON lines (each ending in `\n`), as written ([`crate::trace`]).
    pub lines: String,
    /// Where the next page starts (`offset` + the page's length).
    pub next_offset: u64,
    /// The file's length when this page was read: the page reached it when
    /// `next_offset == file_len`.
    pub file_len: u64,
}

/// Which directions of a link a fault acts on, seen from the node told: `out` is what it
/// sends to the peer, `in` what it receives from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkFaultDirection {
    Out,
    In,
    Both,
}

/// What a link fault does (see `rumor_link`'s crate documentation for what a TCP byte stream
/// can model): `stall` holds the direction's bytes (in order) until the fault ends; `flap` is
/// a stall for `down_ms` at the start of every `period_ms`; `loss` delays a share `loss` of
/// chunks by TCP retransmission timeouts; `reset` fails the connections at once (and, for
/// `duration_ms`, new ones as soon as they are known to be the peer's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkFaultMode {
    Stall,
    Flap,
    Loss,
    Reset,
}

/// A link fault, as `fault_setLinkFault` takes it. A request parameter, so unknown keys are
/// refused: a misspelt `duration_ms` must not leave a fault without an end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkFaultSpec {
    pub direction: LinkFaultDirection,
    pub mode: LinkFaultMode,
    /// `flap`: the period and the time down at the start of each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_ms: Option<u64>,
    /// `loss`: the share of chunks lost, above 0 and below 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// When the fault starts, in ms since the Unix epoch on the node's clock (default: when
    /// the call arrives; not later for `reset`). A flap's periods count from here, so both
    /// ends of a link given the same start flap together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_unix_ms: Option<u64>,
    /// How long the fault lasts from its start (default: until cleared). The node ends it
    /// itself, so a controller that goes away leaves no fault behind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}
