//! `/rumor/txsync/1`: mempool anti-entropy by pull, as eth/68's `NewPooledTransactionHashes` +
//! `GetPooledTransactions`. A node asks a peer for a digest of its pending tx hashes, then asks
//! for the txs it does not know by hash; they enter the node's normal validation pipeline.
//!
//! # Bounds (and why)
//!
//! - A digest carries at most [`MAX_DIGEST_HASHES`] hashes (4 096 × 32 B = 128 KiB): about one
//!   full pool's pending set at default limits, small enough to send every few seconds.
//! - A get asks for at most [`MAX_GET_HASHES`] txs (256): an answer of 256 default-sized txs is
//!   ~41 KB, and a node that missed a whole pool needs only 16 round trips.
//! - An answer carries at most [`MAX_TXS_RESPONSE_BYTES`] of encoded txs (the responder stops
//!   adding txs before it), and the codec refuses any message over its cap before decoding.
//! - Any answer over those counts, or with a tx that does not decode, is garbage: the sender
//!   is penalised.

use libp2p::StreamProtocol;
use rumor_chain::{DecodeError, Limits, SignedTransaction, TxHash};

use super::codec::Caps;

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/rumor/txsync/1");
/// Most hashes in one digest.
pub const MAX_DIGEST_HASHES: usize = 4096;
/// Most txs asked for in one get.
pub const MAX_GET_HASHES: usize = 256;
/// Most bytes of encoded txs in one answer.
pub const MAX_TXS_RESPONSE_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum TxSyncRequest {
    /// "Send me up to `max` of your pending tx hashes" (capped at [`MAX_DIGEST_HASHES`]).
    Digest { max: u32 },
    /// "Send me these txs" (at most [`MAX_GET_HASHES`]; more make the request garbage).
    Get(Vec<[u8; 32]>),
}

impl TxSyncRequest {
    /// Short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            TxSyncRequest::Digest { .. } => "digest",
            TxSyncRequest::Get(_) => "get",
        }
    }

    /// Whether the request is within the protocol's bounds.
    pub fn is_bounded(&self) -> bool {
        match self {
            TxSyncRequest::Digest { .. } => true,
            TxSyncRequest::Get(h) => h.len() <= MAX_GET_HASHES,
        }
    }

    /// A get for `hashes` (the caller chunks by [`MAX_GET_HASHES`]).
    pub fn get(hashes: &[TxHash]) -> Self {
        TxSyncRequest::Get(hashes.iter().map(|h| h.0).collect())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum WireTxResponse {
    Digest(Vec<[u8; 32]>),
    /// Canonical encodings of signed txs.
    Txs(Vec<Vec<u8>>),
    /// The responder could not serve the request (busy, rate limited, bad request).
    Error(String),
}

/// A decoded answer, as the node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxSyncResponse {
    Digest(Vec<TxHash>),
    Txs(Vec<SignedTransaction>),
    Error(String),
}

/// Why an answer is garbage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxSyncDecodeError {
    #[error("{got} items, more than the {max} allowed")]
    TooMany { got: usize, max: usize },
    #[error("undecodable tx: {0}")]
    Tx(#[from] DecodeError),
}

impl TxSyncResponse {
    /// The wire form, cut to the protocol's bounds (a digest to [`MAX_DIGEST_HASHES`], txs to
    /// [`MAX_GET_HASHES`] and [`MAX_TXS_RESPONSE_BYTES`]) whatever the node handed over.
    pub(crate) fn to_wire(&self) -> WireTxResponse {
        match self {
            TxSyncResponse::Digest(h) => {
                WireTxResponse::Digest(h.iter().take(MAX_DIGEST_HASHES).map(|h| h.0).collect())
            }
            TxSyncResponse::Txs(txs) => {
                let mut bytes = 0;
                let mut out = Vec::new();
                for tx in txs.iter().take(MAX_GET_HASHES) {
                    let encoded = tx.encode();
                    bytes += encoded.len();
                    if bytes > MAX_TXS_RESPONSE_BYTES {
                        break;
                    }
                    out.push(encoded);
                }
                WireTxResponse::Txs(out)
            }
            TxSyncResponse::Error(e) => WireTxResponse::Error(e.chars().take(256).collect()),
        }
    }
}

impl WireTxResponse {
    /// Decodes and checks the bounds; any undecodable tx makes the whole answer garbage.
    pub fn decode(self, limits: &Limits) -> Result<TxSyncResponse, TxSyncDecodeError> {
        let check = |got: usize, max: usize| {
            if got > max {
                Err(TxSyncDecodeError::TooMany { got, max })
            } else {
                Ok(())
            }
        };
        Ok(match self {
            WireTxResponse::Digest(h) => {
                check(h.len(), MAX_DIGEST_HASHES)?;
                TxSyncResponse::Digest(h.into_iter().map(TxHash).collect())
            }
            WireTxResponse::Txs(raw) => {
                check(raw.len(), MAX_GET_HASHES)?;
                TxSyncResponse::Txs(
                    raw.iter()
                        .map(|t| SignedTransaction::decode(t, limits))
                        .collect::<Result<_, _>>()?,
                )
            }
            WireTxResponse::Error(e) => TxSyncResponse::Error(e.chars().take(256).collect()),
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct TxSyncCaps;
impl Caps for TxSyncCaps {
    /// A full get: 256 hashes of 32 bytes, plus a tag and a length prefix (so one hash more
    /// is already over the cap).
    const MAX_REQUEST: usize = MAX_GET_HASHES * 32 + 16;
    /// A full answer of txs, plus a length prefix per tx; a full digest is smaller.
    const MAX_RESPONSE: usize = MAX_TXS_RESPONSE_BYTES + MAX_GET_HASHES * 4 + 64;
}

/// An inbound txsync request, or the reason it was garbage.
pub type Inbound = super::codec::Inbound<TxSyncRequest>;

/// The bounded codec of [`super::codec`], with undecodable requests surfaced as garbage.
pub type TxSyncCodec = super::codec::Surfaced<TxSyncRequest, WireTxResponse, TxSyncCaps>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode, encode};
    use rumor_chain::test_utils::TxBuilder;

    fn tx(nonce: u64) -> SignedTransaction {
        TxBuilder::from_label("txsync/test").nonce(nonce).sign()
    }

    #[test]
    fn a_full_get_and_a_full_digest_fit_their_caps() {
        let get = TxSyncRequest::Get(vec![[7; 32]; MAX_GET_HASHES]);
        let bytes = encode(&get, TxSyncCaps::MAX_REQUEST).unwrap();
        assert_eq!(
            decode::<TxSyncRequest>(&bytes, TxSyncCaps::MAX_REQUEST).unwrap(),
            get
        );
        let over = TxSyncRequest::Get(vec![[7; 32]; MAX_GET_HASHES + 1]);
        assert!(!over.is_bounded());
        assert!(
            encode(&over, TxSyncCaps::MAX_REQUEST).is_err(),
            "refused by the cap"
        );
        let digest = TxSyncResponse::Digest(vec![TxHash([1; 32]); MAX_DIGEST_HASHES]).to_wire();
        assert!(encode(&digest, TxSyncCaps::MAX_RESPONSE).is_ok());
    }

    #[test]
    fn answers_are_cut_to_the_bounds() {
        let many = TxSyncResponse::Digest(vec![TxHash([1; 32]); MAX_DIGEST_HASHES + 10]);
        match many.to_wire() {
            WireTxResponse::Digest(h) => assert_eq!(h.len(), MAX_DIGEST_HASHES),
            other => panic!("unexpected {other:?}"),
        }
        let txs = TxSyncResponse::Txs((0..MAX_GET_HASHES as u64 + 5).map(tx).collect());
        let wire = txs.to_wire();
        match &wire {
            WireTxResponse::Txs(t) => assert_eq!(t.len(), MAX_GET_HASHES),
            other => panic!("unexpected {other:?}"),
        }
        let bytes = encode(&wire, TxSyncCaps::MAX_RESPONSE).unwrap();
        let back: WireTxResponse = decode(&bytes, TxSyncCaps::MAX_RESPONSE).unwrap();
        let decoded = back.decode(&Limits::default()).unwrap();
        assert_eq!(
            decoded,
            TxSyncResponse::Txs((0..MAX_GET_HASHES as u64).map(tx).collect())
        );
    }

    #[test]
    fn oversized_or_undecodable_answers_are_garbage() {
        let limits = Limits::default();
        let big = WireTxResponse::Digest(vec![[1; 32]; MAX_DIGEST_HASHES + 1]);
        assert!(matches!(
            big.decode(&limits),
            Err(TxSyncDecodeError::TooMany { .. })
        ));
        let junk = WireTxResponse::Txs(vec![tx(0).encode(), b"junk".to_vec()]);
        assert!(matches!(
            junk.decode(&limits),
            Err(TxSyncDecodeError::Tx(_))
        ));
        let too_many = WireTxResponse::Txs(vec![tx(0).encode(); MAX_GET_HASHES + 1]);
        assert!(too_many.decode(&limits).is_err());
        // Oversized bytes are refused before any decoding.
        let bytes = vec![0u8; TxSyncCaps::MAX_RESPONSE + 1];
        assert!(decode::<WireTxResponse>(&bytes, TxSyncCaps::MAX_RESPONSE).is_err());
    }
}
