//! `/rumor/sync/1`: block sync. `Status` is exchanged on connect; `BlocksByRange` and
//! `BlockByHash` fetch blocks (to catch up, and to find an orphan's missing parent);
//! `HeadersByLocator` finds the common ancestor of any fork from a block locator and answers
//! the signed headers after it (headers first, bodies then by range or hash). Responses are
//! capped in bytes, blocks and headers; blocks and headers travel in their canonical encoding
//! and are decoded (with the chain's limits) before the node sees them.
//!
//! Compatibility: variants are only ever appended, so a peer that predates one still decodes
//! every older request and answer unchanged (it fails a request it does not know, which the
//! asker treats as a failed request).

use libp2p::StreamProtocol;
use rumor_chain::{
    Block, BlockHash, DecodeError, Hash256, Limits, MAX_HEADERS_PER_REQUEST, SignedHeader,
};

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
    /// "Here are hashes of my chain (a block locator); send the headers of yours after the
    /// first one you have." At most `MAX_LOCATOR_LEN` entries are looked at, at most
    /// [`MAX_HEADERS_PER_REQUEST`] headers come back.
    HeadersByLocator {
        locator: Vec<BlockHash>,
        max: u64,
    },
}

impl SyncRequest {
    /// Short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            SyncRequest::Status(_) => "status",
            SyncRequest::BlocksByRange { .. } => "blocks_by_range",
            SyncRequest::BlockByHash(_) => "block_by_hash",
            SyncRequest::HeadersByLocator { .. } => "headers_by_locator",
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
    /// Canonical encodings of signed headers, lowest first.
    Headers(Vec<Vec<u8>>),
}

/// A decoded response, as the node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResponse {
    Status(Status),
    Blocks(Vec<Block>),
    Error(String),
    /// Signed headers, lowest first (not yet checked).
    Headers(Vec<SignedHeader>),
}

impl SyncResponse {
    pub(crate) fn to_wire(&self) -> WireResponse {
        match self {
            SyncResponse::Status(s) => WireResponse::Status(*s),
            SyncResponse::Blocks(b) => WireResponse::Blocks(b.iter().map(|b| b.encode()).collect()),
            SyncResponse::Error(e) => WireResponse::Error(e.clone()),
            SyncResponse::Headers(h) => {
                WireResponse::Headers(h.iter().map(|h| h.encode()).collect())
            }
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
            WireResponse::Headers(raw) => {
                if raw.len() as u64 > MAX_HEADERS_PER_REQUEST {
                    return Err(DecodeError::Malformed(format!(
                        "{} headers, more than {MAX_HEADERS_PER_REQUEST}",
                        raw.len()
                    )));
                }
                SyncResponse::Headers(
                    raw.iter()
                        .map(|h| SignedHeader::decode(h))
                        .collect::<Result<_, _>>()?,
                )
            }
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SyncCaps;
impl Caps for SyncCaps {
    /// Room for a locator of `MAX_LOCATOR_LEN` hashes.
    const MAX_REQUEST: usize = 4096;
    const MAX_RESPONSE: usize = MAX_RESPONSE_BYTES + 64 * 1024;
}

pub type SyncCodec = Codec<SyncRequest, WireResponse, SyncCaps>;

#[cfg(test)]
mod tests {
    use rumor_chain::{BlockHeader, MAX_LOCATOR_LEN, Signature};

    use super::*;
    use crate::protocol::codec::{decode, encode};

    fn header(height: u64) -> SignedHeader {
        SignedHeader {
            header: BlockHeader {
                chain_id: 1,
                height,
                slot: height,
                parent: BlockHash([1; 32]),
                timestamp: 5,
                tx_root: Hash256([2; 32]),
                state_root: Hash256([3; 32]),
                producer: rumor_chain::Address([4; 32]),
            },
            signature: Signature([6; 64]),
        }
    }

    #[test]
    fn older_variants_keep_their_encoding_and_new_ones_come_after() {
        // Pinned bytes: an old peer decodes these exactly as before.
        let range = SyncRequest::BlocksByRange { start: 3, count: 2 };
        assert_eq!(
            encode(&range, SyncCaps::MAX_REQUEST).unwrap(),
            vec![1, 3, 2]
        );
        let by_hash = encode(&SyncRequest::BlockByHash(BlockHash([7; 32])), 256).unwrap();
        assert_eq!(by_hash[0], 2);
        assert_eq!(
            encode(&WireResponse::Error("x".into()), 16).unwrap(),
            vec![2, 1, b'x']
        );
        let locator = SyncRequest::HeadersByLocator {
            locator: vec![BlockHash([9; 32]); MAX_LOCATOR_LEN],
            max: u64::MAX,
        };
        let bytes = encode(&locator, SyncCaps::MAX_REQUEST).expect("a full locator fits");
        assert_eq!(bytes[0], 3, "appended after the old variants");
        assert_eq!(
            decode::<SyncRequest>(&bytes, SyncCaps::MAX_REQUEST).unwrap(),
            locator
        );
        assert_eq!(
            encode(&WireResponse::Headers(vec![]), 16).unwrap(),
            vec![3, 0]
        );
    }

    #[test]
    fn headers_round_trip_and_oversized_or_garbled_answers_are_refused() {
        let headers: Vec<SignedHeader> = (1..=3).map(header).collect();
        let wire = SyncResponse::Headers(headers.clone()).to_wire();
        let limits = Limits::default();
        assert_eq!(
            wire.clone().decode(&limits),
            Ok(SyncResponse::Headers(headers))
        );
        let too_many = WireResponse::Headers(vec![
            header(1).encode();
            MAX_HEADERS_PER_REQUEST as usize + 1
        ]);
        assert!(too_many.decode(&limits).is_err());
        let garbled = WireResponse::Headers(vec![vec![0; 10]]);
        assert!(garbled.decode(&limits).is_err());
    }
}
