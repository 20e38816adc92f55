//! Blocks: header, producer signature, transactions.

pub mod compact;
pub mod evidence;

use serde::{Deserialize, Serialize};

use crate::primitives::address::Address;
use crate::primitives::codec::{self, DecodeError, Limits};
use crate::primitives::crypto::{self, BLOCK_DOMAIN, Signature, SignatureError};
use crate::primitives::hash::{BlockHash, Hash256, TxHash, sha256};
use crate::primitives::keys::Keypair;
use crate::primitives::merkle;
use crate::tx::SignedTransaction;

/// What a producer commits to. The block hash is the SHA-256 of its encoding.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, bincode::Encode, bincode::Decode, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct BlockHeader {
    pub chain_id: u64,
    pub height: u64,
    pub slot: u64,
    pub parent: BlockHash,
    /// Milliseconds since the Unix epoch; must fall inside the block's slot.
    pub timestamp: u64,
    /// Merkle root of the block's tx hashes ([`tx_root`]).
    pub tx_root: Hash256,
    /// Commitment to the state after the block ([`crate::state::State::root`]).
    pub state_root: Hash256,
    pub producer: Address,
}

impl BlockHeader {
    /// Canonical encoding ([`codec::HEADER_ENCODED_LEN`] bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(codec::HEADER_ENCODED_LEN);
        codec::encode_value(self, &mut out);
        out
    }

    /// Decodes exactly one header.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::decode_exact(bytes, codec::HEADER_ENCODED_LEN)
    }

    pub fn hash(&self) -> BlockHash {
        BlockHash(sha256(&self.encode()))
    }

    /// The bytes the producer signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        crypto::signing_bytes(BLOCK_DOMAIN, self.chain_id, &self.encode())
    }
}

/// A header with its producer's signature: enough to check producer, slot and signature
/// without the body (headers-first sync). Canonical encoding: header, then signature
/// ([`SIGNED_HEADER_LEN`] bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeader {
    pub header: BlockHeader,
    pub signature: Signature,
}

/// Encoded size of a [`SignedHeader`].
pub const SIGNED_HEADER_LEN: usize = codec::HEADER_ENCODED_LEN + 64;

impl SignedHeader {
    /// The hash of the block this header belongs to.
    pub fn hash(&self) -> BlockHash {
        self.header.hash()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SIGNED_HEADER_LEN);
        codec::encode_value(&self.header, &mut out);
        codec::encode_value(&self.signature, &mut out);
        out
    }

    /// Decodes exactly one signed header (untrusted bytes; fixed size).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() != SIGNED_HEADER_LEN {
            return Err(DecodeError::Malformed(format!(
                "signed header of {} bytes, expected {SIGNED_HEADER_LEN}",
                bytes.len()
            )));
        }
        let (header, at) = codec::decode_prefix::<BlockHeader>(bytes)?;
        let signature = codec::decode_exact::<Signature>(&bytes[at..], 64)?;
        Ok(Self { header, signature })
    }

    /// Checks the producer's signature with `verify_strict`.
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        crypto::verify(
            &self.header.producer,
            &self.header.signing_bytes(),
            &self.signature,
        )
    }
}

/// A block as gossiped and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    pub header: BlockHeader,
    pub signature: Signature,
    pub txs: Vec<SignedTransaction>,
}

/// Merkle root of the txs' hashes.
pub fn tx_root(txs: &[SignedTransaction]) -> Hash256 {
    tx_root_of_hashes(txs.iter().map(|t| t.hash()))
}

/// Merkle root of tx hashes already computed.
pub fn tx_root_of_hashes(hashes: impl Iterator<Item = TxHash>) -> Hash256 {
    merkle::root_of_leaves(hashes.map(|h| merkle::leaf_hash(&h.0)).collect())
}

impl Block {
    pub fn hash(&self) -> BlockHash {
        self.header.hash()
    }

    /// The header and signature, without the body.
    pub fn signed_header(&self) -> SignedHeader {
        SignedHeader {
            header: self.header.clone(),
            signature: self.signature,
        }
    }

    /// Encoded size without encoding.
    pub fn encoded_len(&self) -> usize {
        codec::BLOCK_OVERHEAD_LEN + self.txs.len() * codec::TX_ENCODED_LEN
    }

    /// Canonical encoding: header, signature, tx count (u64 LE), txs.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        codec::encode_value(&self.header, &mut out);
        codec::encode_value(&self.signature, &mut out);
        codec::encode_value(&(self.txs.len() as u64), &mut out);
        for tx in &self.txs {
            codec::encode_value(tx, &mut out);
        }
        out
    }

    /// Decodes untrusted bytes. The tx count is checked against the cap and against the bytes
    /// present before the tx vector is allocated, so a forged prefix cannot allocate memory.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, DecodeError> {
        if bytes.len() > limits.max_block_bytes {
            return Err(DecodeError::Oversized {
                len: bytes.len(),
                max: limits.max_block_bytes,
            });
        }
        let (header, mut at) = codec::decode_prefix::<BlockHeader>(bytes)?;
        let (signature, used) = codec::decode_prefix::<Signature>(&bytes[at..])?;
        at += used;
        let (count, used) = codec::decode_prefix::<u64>(&bytes[at..])?;
        at += used;
        if count > limits.max_block_txs as u64 {
            return Err(DecodeError::TooManyTxs {
                count,
                max: limits.max_block_txs,
            });
        }
        let available = bytes.len() - at;
        if count.saturating_mul(codec::TX_ENCODED_LEN as u64) > available as u64 {
            return Err(DecodeError::LengthPrefixTooLarge { count, available });
        }
        let mut txs = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let (tx, used) = codec::decode_prefix::<SignedTransaction>(&bytes[at..])?;
            if used > limits.max_tx_bytes {
                return Err(DecodeError::Oversized {
                    len: used,
                    max: limits.max_tx_bytes,
                });
            }
            at += used;
            txs.push(tx);
        }
        if at != bytes.len() {
            return Err(DecodeError::TrailingBytes {
                extra: bytes.len() - at,
            });
        }
        Ok(Self {
            header,
            signature,
            txs,
        })
    }

    /// Signs `header` with the producer's key and assembles the block.
    pub fn seal(header: BlockHeader, txs: Vec<SignedTransaction>, key: &Keypair) -> Self {
        let signature = key.sign(&header.signing_bytes());
        Self {
            header,
            signature,
            txs,
        }
    }

    /// Checks the producer's signature with `verify_strict`.
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        crypto::verify(
            &self.header.producer,
            &self.header.signing_bytes(),
            &self.signature,
        )
    }
}
