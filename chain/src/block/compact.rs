//! Compact blocks (BIP152, adapted to gossipsub): a block sent as its signed header, a
//! per-block SipHash key, a 6-byte short id per tx and the few txs the producer expects its
//! peers to lack ("prefilled"). A receiver rebuilds the block from the txs it already holds
//! ([`PartialBlock::offer`]), fetches what it lacks by index, and checks the result against
//! the header's tx root ([`PartialBlock::finish`]), which the producer signed.
//!
//! # Invariants
//!
//! - A [`CompactBlock`] that decoded has at most `max_block_txs` txs in all, unique short ids,
//!   and prefilled indexes strictly increasing and inside the block: nothing about it can make
//!   [`CompactBlock::partial`] allocate more than the block's own tx count.
//! - A [`PartialBlock`] slot is filled only by a tx whose short id under this block's key is
//!   the slot's; two different candidates for one slot leave it empty (requested by index),
//!   never guessed.
//! - [`PartialBlock::finish`] returns a block only if its tx root is the header's: a short-id
//!   collision or a wrong short-id list ends in [`CompactError::RootMismatch`], never in a
//!   block the producer did not sign.
//!
//! # Sizes (and why)
//!
//! 6-byte short ids, as BIP152: with a pool of `m` txs and a block of `n`, a false match has
//! probability about `n·m / 2^48` per block (10⁻⁶ at 1 000 × 250 000), and the key changes per
//! block (SHA-256 of the block hash and a producer-chosen nonce), so nobody can grind a
//! collision for every node at once. A 1 000-tx block is 160 KB full and ~6.3 KB compact.

use std::collections::HashMap;
use std::hash::Hasher;

use siphasher::sip::SipHasher24;

use crate::block::{Block, BlockHeader, SignedHeader, tx_root};
use crate::primitives::codec::{self, DecodeError, Limits};
use crate::primitives::crypto::Signature;
use crate::primitives::hash::{BlockHash, TxHash, sha256};
use crate::tx::SignedTransaction;

/// Bytes in a short id.
pub const SHORT_ID_LEN: usize = 6;

/// Encoded bytes before the short ids: header, signature, nonce, short-id count.
const COMPACT_OVERHEAD_LEN: usize = codec::HEADER_ENCODED_LEN + 64 + 8 + 8;
/// Encoded bytes of one prefilled tx: its index (u32) and the tx.
const PREFILLED_LEN: usize = 4 + codec::TX_ENCODED_LEN;

/// A tx's 6-byte id under one block's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShortId(pub [u8; SHORT_ID_LEN]);

/// The SipHash-2-4 key of one compact block: the first 16 bytes of
/// SHA-256(block hash ‖ nonce), as two little-endian u64s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortIdKey {
    k0: u64,
    k1: u64,
}

impl ShortIdKey {
    pub fn new(block: &BlockHash, nonce: u64) -> Self {
        let mut input = [0u8; 40];
        input[..32].copy_from_slice(&block.0);
        input[32..].copy_from_slice(&nonce.to_le_bytes());
        let h = sha256(&input);
        let word = |i: usize| u64::from_le_bytes(h[i..i + 8].try_into().expect("8 bytes"));
        Self {
            k0: word(0),
            k1: word(8),
        }
    }

    /// The low 6 bytes (little-endian) of SipHash-2-4 of the tx hash.
    pub fn short_id(&self, tx: &TxHash) -> ShortId {
        let mut h = SipHasher24::new_with_keys(self.k0, self.k1);
        h.write(&tx.0);
        let v = h.finish().to_le_bytes();
        let mut id = [0u8; SHORT_ID_LEN];
        id.copy_from_slice(&v[..SHORT_ID_LEN]);
        ShortId(id)
    }
}

/// A tx sent in full inside a compact block, at its index in the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefilledTx {
    pub index: u32,
    pub tx: SignedTransaction,
}

/// A block as its signed header, short ids and prefilled txs (see the module note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactBlock {
    pub header: BlockHeader,
    pub signature: Signature,
    /// Chosen by the producer; with the block hash it keys the short ids.
    pub nonce: u64,
    /// One per tx that is not prefilled, in block order.
    pub short_ids: Vec<ShortId>,
    /// Strictly increasing indexes.
    pub prefilled: Vec<PrefilledTx>,
}

/// Why a compact block could not become a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    #[error("two txs of the block share short id {0:02x?}")]
    DuplicateShortId([u8; SHORT_ID_LEN]),
    #[error("{missing} txs still missing")]
    Incomplete { missing: usize },
    #[error("{got} txs offered for {wanted} missing")]
    WrongCount { wanted: usize, got: usize },
    #[error("the tx offered for index {index} does not have that index's short id")]
    WrongTx { index: u32 },
    #[error("the rebuilt block's tx root is not the header's (short-id collision or a wrong list)")]
    RootMismatch,
}

impl CompactBlock {
    /// The compact form of `block` under `nonce`, prefilling the txs `prefill` picks.
    pub fn new(block: &Block, nonce: u64, prefill: impl Fn(&SignedTransaction) -> bool) -> Self {
        let key = ShortIdKey::new(&block.hash(), nonce);
        let mut short_ids = Vec::with_capacity(block.txs.len());
        let mut prefilled = Vec::new();
        for (i, tx) in block.txs.iter().enumerate() {
            if prefill(tx) {
                prefilled.push(PrefilledTx {
                    index: i as u32,
                    tx: tx.clone(),
                });
            } else {
                short_ids.push(key.short_id(&tx.hash()));
            }
        }
        Self {
            header: block.header.clone(),
            signature: block.signature,
            nonce,
            short_ids,
            prefilled,
        }
    }

    pub fn hash(&self) -> BlockHash {
        self.header.hash()
    }

    pub fn signed_header(&self) -> SignedHeader {
        SignedHeader {
            header: self.header.clone(),
            signature: self.signature,
        }
    }

    pub fn key(&self) -> ShortIdKey {
        ShortIdKey::new(&self.hash(), self.nonce)
    }

    /// Txs in the block.
    pub fn tx_count(&self) -> usize {
        self.short_ids.len() + self.prefilled.len()
    }

    pub fn encoded_len(&self) -> usize {
        COMPACT_OVERHEAD_LEN
            + self.short_ids.len() * SHORT_ID_LEN
            + 8
            + self.prefilled.len() * PREFILLED_LEN
    }

    /// Canonical encoding: header, signature, nonce, short-id count (u64 LE), short ids,
    /// prefilled count (u64 LE), then each prefilled tx as index (u32 LE) and tx.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        codec::encode_value(&self.header, &mut out);
        codec::encode_value(&self.signature, &mut out);
        codec::encode_value(&self.nonce, &mut out);
        codec::encode_value(&(self.short_ids.len() as u64), &mut out);
        for id in &self.short_ids {
            out.extend_from_slice(&id.0);
        }
        codec::encode_value(&(self.prefilled.len() as u64), &mut out);
        for p in &self.prefilled {
            codec::encode_value(&p.index, &mut out);
            codec::encode_value(&p.tx, &mut out);
        }
        out
    }

    /// Decodes untrusted bytes. Counts are checked against `max_block_txs` and against the
    /// bytes present before anything is allocated; prefilled indexes must increase strictly
    /// and fall inside the block.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, DecodeError> {
        if bytes.len() > limits.max_block_bytes {
            return Err(DecodeError::Oversized {
                len: bytes.len(),
                max: limits.max_block_bytes,
            });
        }
        let (header, mut at) = codec::decode_prefix::<BlockHeader>(bytes)?;
        let next = |at: &mut usize| -> Result<u64, DecodeError> {
            let (v, used) = codec::decode_prefix::<u64>(&bytes[*at..])?;
            *at += used;
            Ok(v)
        };
        let (signature, used) = codec::decode_prefix::<Signature>(&bytes[at..])?;
        at += used;
        let nonce = next(&mut at)?;
        let ids = next(&mut at)?;
        let within = |count: u64, each: usize, at: usize| {
            if count > limits.max_block_txs as u64 {
                return Err(DecodeError::TooManyTxs {
                    count,
                    max: limits.max_block_txs,
                });
            }
            let available = bytes.len() - at;
            if count.saturating_mul(each as u64) > available as u64 {
                return Err(DecodeError::LengthPrefixTooLarge { count, available });
            }
            Ok(count as usize)
        };
        let ids = within(ids, SHORT_ID_LEN, at)?;
        let short_ids: Vec<ShortId> = bytes[at..at + ids * SHORT_ID_LEN]
            .chunks_exact(SHORT_ID_LEN)
            .map(|c| ShortId(c.try_into().expect("chunk of 6")))
            .collect();
        at += ids * SHORT_ID_LEN;
        let filled = next(&mut at)?;
        let filled = within(filled, PREFILLED_LEN, at)?;
        let total = ids + filled;
        if total > limits.max_block_txs {
            return Err(DecodeError::TooManyTxs {
                count: total as u64,
                max: limits.max_block_txs,
            });
        }
        let mut prefilled = Vec::with_capacity(filled);
        for _ in 0..filled {
            let (index, used) = codec::decode_prefix::<u32>(&bytes[at..])?;
            at += used;
            let (tx, used) = codec::decode_prefix::<SignedTransaction>(&bytes[at..])?;
            at += used;
            let increasing = prefilled
                .last()
                .is_none_or(|p: &PrefilledTx| p.index < index);
            if !increasing || index as usize >= total {
                return Err(DecodeError::Malformed(format!(
                    "prefilled index {index} out of order or outside a block of {total} txs"
                )));
            }
            prefilled.push(PrefilledTx { index, tx });
        }
        if at != bytes.len() {
            return Err(DecodeError::TrailingBytes {
                extra: bytes.len() - at,
            });
        }
        Ok(Self {
            header,
            signature,
            nonce,
            short_ids,
            prefilled,
        })
    }

    /// Whether this is a compact form of `block`: the same header and signature, and each tx
    /// either prefilled as itself or listed under its own short id. A peer that fetched the
    /// whole block after a failed rebuild tells with this whether the compact block was wrong
    /// (its relayer's fault) or only collided with its own pool.
    pub fn matches(&self, block: &Block) -> bool {
        if self.header != block.header
            || self.signature != block.signature
            || self.tx_count() != block.txs.len()
        {
            return false;
        }
        let key = self.key();
        let mut ids = self.short_ids.iter();
        let mut pre = self.prefilled.iter().peekable();
        block
            .txs
            .iter()
            .enumerate()
            .all(|(i, tx)| match pre.peek() {
                Some(p) if p.index as usize == i => pre.next().is_some_and(|p| &p.tx == tx),
                _ => ids.next() == Some(&key.short_id(&tx.hash())),
            })
    }

    /// Starts rebuilding: the prefilled txs in place, every other slot waiting for its short
    /// id. Fails if two slots share a short id (the producer's choice of nonce collided; the
    /// receiver falls back to the full block).
    pub fn partial(&self) -> Result<PartialBlock, CompactError> {
        let total = self.tx_count();
        let mut slots: Vec<Slot> = Vec::with_capacity(total);
        let mut wanted = HashMap::with_capacity(self.short_ids.len());
        let mut ids = self.short_ids.iter();
        let mut pre = self.prefilled.iter().peekable();
        for i in 0..total {
            if pre.peek().is_some_and(|p| p.index as usize == i) {
                let p = pre.next().expect("peeked");
                slots.push(Slot::Filled(p.tx.clone(), None));
                continue;
            }
            let id = *ids.next().expect("counts add up: checked at decode");
            if wanted.insert(id, i).is_some() {
                return Err(CompactError::DuplicateShortId(id.0));
            }
            slots.push(Slot::Empty(id));
        }
        Ok(PartialBlock {
            header: self.header.clone(),
            signature: self.signature,
            key: self.key(),
            slots,
            wanted,
        })
    }
}

#[derive(Debug, Clone)]
enum Slot {
    /// Waiting for a tx with this short id.
    Empty(ShortId),
    /// Filled; with the candidate's hash when it came from [`PartialBlock::offer`].
    Filled(SignedTransaction, Option<TxHash>),
    /// Two different candidates matched: left for a request by index.
    Ambiguous(ShortId),
}

/// A block being rebuilt from a [`CompactBlock`] (see the module note).
#[derive(Debug, Clone)]
pub struct PartialBlock {
    header: BlockHeader,
    signature: Signature,
    key: ShortIdKey,
    slots: Vec<Slot>,
    wanted: HashMap<ShortId, usize>,
}

impl PartialBlock {
    pub fn hash(&self) -> BlockHash {
        self.header.hash()
    }

    /// Offers txs this node holds (with their hashes): each whose short id is an empty slot's
    /// fills it. A second, different candidate for a slot empties it again (ambiguous).
    pub fn offer<'a>(&mut self, txs: impl IntoIterator<Item = (TxHash, &'a SignedTransaction)>) {
        if self.wanted.is_empty() {
            return;
        }
        for (hash, tx) in txs {
            let id = self.key.short_id(&hash);
            let Some(&i) = self.wanted.get(&id) else {
                continue;
            };
            self.slots[i] = match &self.slots[i] {
                Slot::Empty(_) => Slot::Filled(tx.clone(), Some(hash)),
                Slot::Filled(t, Some(h)) if *h == hash && t == tx => continue,
                Slot::Filled(..) | Slot::Ambiguous(_) => Slot::Ambiguous(id),
            };
        }
    }

    /// Indexes still to fetch, in block order.
    pub fn missing(&self) -> Vec<u32> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| !matches!(s, Slot::Filled(..)))
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// Fills the missing slots, in [`Self::missing`]'s order, with `txs` (a peer's answer):
    /// each must carry its slot's short id. Nothing is filled if any does not.
    pub fn fill(&mut self, txs: Vec<SignedTransaction>) -> Result<(), CompactError> {
        let missing = self.missing();
        if txs.len() != missing.len() {
            return Err(CompactError::WrongCount {
                wanted: missing.len(),
                got: txs.len(),
            });
        }
        for (&i, tx) in missing.iter().zip(&txs) {
            let (Slot::Empty(id) | Slot::Ambiguous(id)) = &self.slots[i as usize] else {
                unreachable!("missing lists only unfilled slots");
            };
            if self.key.short_id(&tx.hash()) != *id {
                return Err(CompactError::WrongTx { index: i });
            }
        }
        for (i, tx) in missing.into_iter().zip(txs) {
            self.slots[i as usize] = Slot::Filled(tx, None);
        }
        Ok(())
    }

    /// The block, if every slot is filled and the txs match the header's tx root.
    pub fn finish(self) -> Result<Block, CompactError> {
        let missing = self.missing().len();
        if missing > 0 {
            return Err(CompactError::Incomplete { missing });
        }
        let txs: Vec<SignedTransaction> = self
            .slots
            .into_iter()
            .map(|s| match s {
                Slot::Filled(tx, _) => tx,
                _ => unreachable!("no slot missing"),
            })
            .collect();
        if tx_root(&txs) != self.header.tx_root {
            return Err(CompactError::RootMismatch);
        }
        Ok(Block {
            header: self.header,
            signature: self.signature,
            txs,
        })
    }
}

#[cfg(test)]
mod tests;
