//! `/rumor/blocktxn/1`: the txs of a block by index (BIP152's `getblocktxn`/`blocktxn`). A
//! node rebuilding a compact block asks the peer that sent it for the txs its pool lacks;
//! that peer holds the whole block, because a node forwards a compact block only after
//! rebuilding it.
//!
//! # Bounds (and why)
//!
//! - A request names one block and at most [`MAX_INDEXES`] indexes (the default
//!   `max_block_txs`, 10 000: a whole block, the worst a fresh node can lack).
//! - An answer carries at most [`MAX_INDEXES`] txs and [`MAX_RESPONSE_BYTES`] of them (a full
//!   default block is 1.6 MB); the codec refuses anything larger before decoding.
//! - An answer with a different number of txs than asked, or with a tx that does not decode,
//!   is garbage: its sender is penalised. One whose txs do not carry the asked slots' short
//!   ids is caught by the asker ([`rumor_chain::PartialBlock::fill`]).

use libp2p::StreamProtocol;
use rumor_chain::{BlockHash, DecodeError, Limits, SignedTransaction};

use super::codec::{Caps, Surfaced};

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/rumor/blocktxn/1");
/// Most indexes in one request (and txs in one answer).
pub const MAX_INDEXES: usize = 10_000;
/// Most bytes of encoded txs in one answer: a full default block (10 000 × 160 B) and room.
pub const MAX_RESPONSE_BYTES: usize = 2 * 1024 * 1024;

/// "Send me these txs of block `block`", indexes in increasing order.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct BlockTxnRequest {
    pub block: [u8; 32],
    pub indexes: Vec<u32>,
}

impl BlockTxnRequest {
    pub fn new(block: BlockHash, indexes: Vec<u32>) -> Self {
        Self {
            block: block.0,
            indexes,
        }
    }

    pub fn block(&self) -> BlockHash {
        BlockHash(self.block)
    }

    /// Within the protocol's bounds: at most [`MAX_INDEXES`], strictly increasing.
    pub fn is_bounded(&self) -> bool {
        self.indexes.len() <= MAX_INDEXES && self.indexes.windows(2).all(|w| w[0] < w[1])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum WireBlockTxn {
    /// Canonical encodings of the asked txs, in the asked order.
    Txs(Vec<Vec<u8>>),
    /// The responder could not serve the request (unknown block, index out of range, busy).
    Error(String),
}

/// A decoded answer, as the node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockTxnResponse {
    Txs(Vec<SignedTransaction>),
    Error(String),
}

/// Why an answer is garbage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockTxnDecodeError {
    #[error("{got} txs, more than the {MAX_INDEXES} allowed")]
    TooMany { got: usize },
    #[error("undecodable tx: {0}")]
    Tx(#[from] DecodeError),
}

impl BlockTxnResponse {
    /// The wire form. A tx list over the protocol's bounds is sent as an error instead of cut:
    /// a partial answer would only fail the asker's count check.
    pub(crate) fn to_wire(&self) -> WireBlockTxn {
        match self {
            BlockTxnResponse::Txs(txs) => {
                let bytes: usize = txs.len() * rumor_chain::codec::TX_ENCODED_LEN;
                if txs.len() > MAX_INDEXES || bytes > MAX_RESPONSE_BYTES {
                    return WireBlockTxn::Error("answer over the protocol's bounds".into());
                }
                WireBlockTxn::Txs(txs.iter().map(|t| t.encode()).collect())
            }
            BlockTxnResponse::Error(e) => WireBlockTxn::Error(e.chars().take(256).collect()),
        }
    }
}

impl WireBlockTxn {
    /// Decodes and checks the bounds; any undecodable tx makes the whole answer garbage.
    pub fn decode(self, limits: &Limits) -> Result<BlockTxnResponse, BlockTxnDecodeError> {
        Ok(match self {
            WireBlockTxn::Txs(raw) => {
                if raw.len() > MAX_INDEXES {
                    return Err(BlockTxnDecodeError::TooMany { got: raw.len() });
                }
                BlockTxnResponse::Txs(
                    raw.iter()
                        .map(|t| SignedTransaction::decode(t, limits))
                        .collect::<Result<_, _>>()?,
                )
            }
            WireBlockTxn::Error(e) => BlockTxnResponse::Error(e.chars().take(256).collect()),
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct BlockTxnCaps;
impl Caps for BlockTxnCaps {
    /// A full request: the hash, [`MAX_INDEXES`] varint indexes of at most 3 bytes each
    /// (bincode's standard varint: a u32 below 65 536 takes 3), a length prefix.
    const MAX_REQUEST: usize = 32 + MAX_INDEXES * 3 + 16;
    /// A full answer, plus a length prefix per tx and the envelope.
    const MAX_RESPONSE: usize = MAX_RESPONSE_BYTES + MAX_INDEXES * 4 + 64;
}

/// The bounded codec, with undecodable requests surfaced as garbage.
pub type BlockTxnCodec = Surfaced<BlockTxnRequest, WireBlockTxn, BlockTxnCaps>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode, encode};
    use rumor_chain::test_utils::TxBuilder;

    fn tx(nonce: u64) -> SignedTransaction {
        TxBuilder::from_label("blocktxn/test").nonce(nonce).sign()
    }

    #[test]
    fn a_whole_block_fits_both_caps_and_one_index_more_does_not() {
        let all: Vec<u32> = (0..MAX_INDEXES as u32).collect();
        let req = BlockTxnRequest::new(BlockHash([1; 32]), all.clone());
        assert!(req.is_bounded());
        let bytes = encode(&req, BlockTxnCaps::MAX_REQUEST).unwrap();
        assert_eq!(
            decode::<BlockTxnRequest>(&bytes, BlockTxnCaps::MAX_REQUEST).unwrap(),
            req
        );
        let mut over = all;
        over.push(MAX_INDEXES as u32);
        assert!(!BlockTxnRequest::new(BlockHash([1; 32]), over).is_bounded());
        let answer = BlockTxnResponse::Txs(vec![tx(0); MAX_INDEXES]).to_wire();
        assert!(matches!(answer, WireBlockTxn::Txs(_)));
        assert!(encode(&answer, BlockTxnCaps::MAX_RESPONSE).is_ok());
    }

    #[test]
    fn unordered_or_repeated_indexes_are_out_of_bounds() {
        assert!(!BlockTxnRequest::new(BlockHash([1; 32]), vec![3, 2]).is_bounded());
        assert!(!BlockTxnRequest::new(BlockHash([1; 32]), vec![2, 2]).is_bounded());
    }

    #[test]
    fn answers_round_trip_and_garbage_is_caught() {
        let limits = Limits::default();
        let wire = BlockTxnResponse::Txs(vec![tx(1), tx(2)]).to_wire();
        let bytes = encode(&wire, BlockTxnCaps::MAX_RESPONSE).unwrap();
        let back: WireBlockTxn = decode(&bytes, BlockTxnCaps::MAX_RESPONSE).unwrap();
        assert_eq!(
            back.decode(&limits).unwrap(),
            BlockTxnResponse::Txs(vec![tx(1), tx(2)])
        );
        let junk = WireBlockTxn::Txs(vec![tx(0).encode(), b"junk".to_vec()]);
        assert!(matches!(
            junk.decode(&limits),
            Err(BlockTxnDecodeError::Tx(_))
        ));
        let too_many = WireBlockTxn::Txs(vec![tx(0).encode(); MAX_INDEXES + 1]);
        assert!(matches!(
            too_many.decode(&limits),
            Err(BlockTxnDecodeError::TooMany { .. })
        ));
        let over = BlockTxnResponse::Txs(vec![tx(0); MAX_INDEXES + 1]).to_wire();
        assert!(matches!(over, WireBlockTxn::Error(_)));
    }
}
