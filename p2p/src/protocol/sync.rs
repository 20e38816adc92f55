//! `/rumor/sync/1`: block sync. `Status` is exchanged on connect; `BlocksByRange` and
//! `BlockByHash` fetch blocks (to catch up, and to find an orphan's missing parent). Responses
//! are capped in bytes and in blocks; blocks travel in their canonical encoding and are
//! decoded (with the chain's limits) before the node sees them.

use libp2p::StreamProtocol;
use rumor_chain::{Block, BlockHash, DecodeError, Hash256, Limits};

use super::codec::{Caps, Codec};

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/rumor/sync/1");
/// Most blocks one `BlocksByRange` answer carries, whatever was asked.
pub const MAX_BLOCKS_PER_REQUEST: u64 = 64;
/// Most bytes of blocks in one answer (the responder stops adding blocks before this).
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// A node's view of its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Status {
    pub genesis: Hash256,
    pub head_height: u64,
    pub head_hash: BlockHash,
}

#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum SyncRequest {
    /// "Here is mine; what is yours?"
    Status(Status),
    BlocksByRange {
        start: u64,
        count: u64,
    },
    BlockByHash(BlockHash),
}

impl SyncRequest {
    /// Short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            SyncRequest::Status(_) => "status",
            SyncRequest::BlocksByRange { .. } => "blocks_by_range",
            SyncRequest::BlockByHash(_) => "block_by_hash",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum WireResponse {
    Status(Status),
    /// Canonical encodings of blocks.
    Blocks(Vec<Vec<u8>>),
    /// The responder could not serve the request (busy, unknown, wrong network).
    Error(String),
}

/// A decoded response, as the node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResponse {
    Status(Status),
    Blocks(Vec<Block>),
    Error(String),
}

impl SyncResponse {
    pub(crate) fn to_wire(&self) -> WireResponse {
        match self {
            SyncResponse::Status(s) => WireResponse::Status(*s),
            SyncResponse::Blocks(b) => WireResponse::Blocks(b.iter().map(|b| b.encode()).collect()),
            SyncResponse::Error(e) => WireResponse::Error(e.clone()),
        }
    }
}

impl WireResponse {
    /// Decodes the blocks; any undecodable block makes the whole answer garbage.
    pub fn decode(self, limits: &Limits) -> Result<SyncResponse, DecodeError> {
        Ok(match self {
            WireResponse::Status(s) => SyncResponse::Status(s),
            WireResponse::Error(e) => SyncResponse::Error(e.chars().take(256).collect()),
            WireResponse::Blocks(raw) => SyncResponse::Blocks(
                raw.iter()
                    .map(|b| Block::decode(b, limits))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SyncCaps;
impl Caps for SyncCaps {
    const MAX_REQUEST: usize = 256;
    const MAX_RESPONSE: usize = MAX_RESPONSE_BYTES + 64 * 1024;
}

pub type SyncCodec = Codec<SyncRequest, WireResponse, SyncCaps>;
