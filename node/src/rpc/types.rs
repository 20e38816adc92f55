//! JSON shapes of RPC results. Hashes, addresses and signatures are hex strings.

use std::collections::BTreeMap;

use rumor_chain::{Address, Block, BlockHash, BlockHeader, Signature, SignedTransaction, TxHash};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    Pending,
    Queued,
    Included { height: u64, block: BlockHash },
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxInfo {
    pub tx: Option<SignedTransaction>,
    pub status: TxStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub height: u64,
    pub hash: BlockHash,
    pub slot: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BlockTxs {
    Full(Vec<SignedTransaction>),
    Hashes(Vec<TxHash>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    pub hash: BlockHash,
    pub header: BlockHeader,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderTxs {
    pub pending: Vec<SignedTransaction>,
    pub queued: Vec<SignedTransaction>,
}

/// Pooled txs by sender.
pub type MempoolContent = BTreeMap<Address, SenderTxs>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetInfo {
    pub peer_id: String,
    pub listen_addrs: Vec<String>,
    pub topics: Vec<String>,
    pub network: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    pub peer_id: String,
    pub addr: String,
    pub outbound: bool,
    pub score: f64,
    pub mesh_topics: Vec<String>,
}
