//! Block validation in three stages, cheapest and most parallel first:
//! 1. [`check_block`] — everything that needs only the block and genesis (producer, signatures,
//!    roots of the body, sizes, clock). Pure CPU work: the node runs it on its CPU pool.
//! 2. [`check_against_parent`] — height and slot against the parent header.
//! 3. [`execute_block`] — applies the txs to the parent's state and checks the state root.

use serde::{Deserialize, Serialize};

use crate::block::{Block, BlockHeader, SignedHeader, tx_root_of_hashes};
use crate::genesis::Genesis;
use crate::primitives::address::Address;
use crate::primitives::codec::Limits;
use crate::primitives::crypto::SignatureError;
use crate::primitives::hash::{BlockHash, Hash256, TxHash};
use crate::primitives::keys::Keypair;
use crate::state::{Executor, State, StateDiff, TxError};
use crate::tx::{SignedTransaction, VerifiedTx};

/// Chain-rule parameters a node may tune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// The clock tolerance: how far a block's slot may start ahead of our clock and still be
    /// taken at once (default 500 ms). It covers clock skew between nodes (NTP keeps hosts
    /// within tens of ms) without letting a producer mint future slots early. A node whose own
    /// clock estimate (`rumor_clock_offset_estimate_seconds`) is further off than this warns.
    /// Local, not in the genesis: "in the future" is judged against each node's own clock, so
    /// nodes could not agree on it by sharing the number, and a block held or refused here is
    /// valid again once the slot comes (no fork follows from nodes setting it differently).
    pub max_future_ms: u64,
    /// A gossiped block whose slot starts further ahead than `max_future_ms` but within this
    /// (default 10 000 ms, the replay window's floor on the other side) is checked, forwarded
    /// and held until its slot is within the tolerance, then imported; beyond it the block is
    /// refused (ignored: no penalty, its sender's clock may be right and ours wrong).
    pub hold_future_ms: u64,
    /// Beyond this far ahead (default 60 000 ms) a block is rejected and its sender penalised,
    /// but only while our own clock agrees with the network's (our offset estimate is within
    /// `max_future_ms`): no honest relayer forwards a block a minute early unless its own clock
    /// is a minute off.
    pub reject_future_ms: u64,
    /// Blocks held for their slot at once (64): one per slot within `hold_future_ms` at slots
    /// down to ~160 ms. When full, the block due last is dropped (0: none is held).
    pub held_blocks: usize,
    /// Recent blocks of other producers the node's clock-offset estimate looks at (32): per
    /// producer the smallest (receive time − slot start), then the median over producers. A
    /// clock that jumps ahead shows once the older, smaller samples left the window (~40 s at
    /// 1 s slots); one that falls behind, at once.
    pub clock_samples: usize,
    /// Deepest reorg fork choice may carry out (`[chain] finality_depth`), whatever path the
    /// block came by (gossip, sync, orphan resolution); `None`: unlimited. A branch forking
    /// further below our head than this is stored but never made canonical, and logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finality_depth: Option<u64>,
    /// Verify every page checksum of the chain store when it opens (true): a file altered
    /// outside redb then fails to open with an error instead of being trusted. Costs one read
    /// of the whole file at start-up.
    pub check_integrity_on_open: bool,
    /// How many slots behind our clock a gossiped block's slot may be (64, a minute at 1 s
    /// slots; never less than 10 s, see the node's `MIN_REPLAY_WINDOW_MS`). An older one is a replay: rejected, its sender penalised, before any lookup or
    /// signature work. Any peer can check a slot against its clock, and an honest one forwards
    /// a block within seconds of its slot (gossipsub serves IWANTs from ~3.5 s of history; a
    /// block waits at most 4 s for a first subscriber), so 64 slots leaves a wide margin.
    pub replay_window_slots: u64,
    /// The chain store's page cache, in MiB (`[chain] store_cache_mib`, default 16). redb's
    /// own default is 1 GiB, and its cache keeps the pages it has read and written until the
    /// bound: over a 40-minute soak a producer's RSS grew with its `chain.redb` (+131 MiB/h).
    /// At 64 MiB the hour soak still grew (a heap profile of a node at 50 tx/s, heaptrack over
    /// 16 minutes: 25 of its 33 MB of heap were redb pages, filling at ~2 MiB a minute), since
    /// at that rate 64 MiB of pages take ~40 minutes to fill. The node keeps chain state in
    /// memory and reads the store for recent blocks, headers and sync answers; a catch-up's
    /// range read touches each page once, which a cache does not speed up. Two 8-node
    /// testnets side by side at 50 tx/s for 8 minutes, 16 against 64 MiB: the same CPU per
    /// node (4% of a core) and mean block validation time (5.9–6.2 and 6.0–6.1 ms on three
    /// nodes each; the 16 MiB cache had only just filled); a 16-node run with 4 MiB, the cache
    /// full from the second minute: 4% of a core per node, 6.1 ms, peak RSS 47 MiB against
    /// 69 MiB with 64 MiB (BENCHMARKS.md, "Soak"). At 16 MiB the cache is full within ~8
    /// minutes at that rate.
    pub store_cache_mib: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            max_future_ms: 500,
            hold_future_ms: 10_000,
            reject_future_ms: 60_000,
            held_blocks: 64,
            clock_samples: 32,
            finality_depth: None,
            check_integrity_on_open: true,
            replay_window_slots: 64,
            store_cache_mib: 16,
        }
    }
}

impl ChainConfig {
    /// [`Self::store_cache_mib`] in bytes (at least 1 MiB).
    pub fn store_cache_bytes(&self) -> usize {
        usize::try_from(self.store_cache_mib.max(1))
            .unwrap_or(usize::MAX / (1 << 20))
            .saturating_mul(1 << 20)
    }
}

/// Why a block is not valid (or not importable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error("wrong chain id: expected {expected}, got {got}")]
    WrongChainId { expected: u64, got: u64 },
    #[error("block at height 0 / slot 0: only genesis may have those")]
    GenesisPosition,
    #[error("slot {slot} belongs to {expected}, block is by {got}")]
    WrongProducer {
        slot: u64,
        expected: Address,
        got: Address,
    },
    #[error("producer signature: {0}")]
    BadSignature(SignatureError),
    #[error("timestamp {timestamp} is outside slot {slot} [{start}, {end})")]
    TimestampOutsideSlot {
        slot: u64,
        timestamp: u64,
        start: u64,
        end: u64,
    },
    #[error("slot {slot} starts at {start} ms, more than the tolerance ahead of now ({now} ms)")]
    FutureSlot { slot: u64, start: u64, now: u64 },
    #[error("{count} txs exceed the cap of {max}")]
    TooManyTxs { count: usize, max: usize },
    #[error("{size} bytes exceed the cap of {max}")]
    TooLarge { size: usize, max: usize },
    #[error("tx root mismatch: header {header}, computed {computed}")]
    TxRootMismatch { header: Hash256, computed: Hash256 },
    #[error("tx {index} invalid: {source}")]
    InvalidTx { index: usize, source: TxError },
    #[error("height {got} does not follow parent height {parent}")]
    WrongHeight { parent: u64, got: u64 },
    #[error("slot {got} is not after parent slot {parent}")]
    SlotNotAfterParent { parent: u64, got: u64 },
    #[error("state root mismatch: header {header}, computed {computed}")]
    StateRootMismatch { header: Hash256, computed: Hash256 },
}

impl BlockError {
    /// Whether whoever sent this block deserves a penalty: true when the block is invalid in
    /// itself, for every node. A block from the future may only reflect our own clock.
    pub fn is_bad_block(&self) -> bool {
        !matches!(self, BlockError::FutureSlot { .. })
    }
}

/// A block that passed [`check_block`]: producer, signatures and body are right. Holding one
/// means no signature work remains; only the parent-dependent checks do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedBlock {
    block: Block,
    hash: BlockHash,
    tx_hashes: Vec<TxHash>,
}

impl CheckedBlock {
    pub fn block(&self) -> &Block {
        &self.block
    }
    pub fn header(&self) -> &BlockHeader {
        &self.block.header
    }
    pub fn hash(&self) -> BlockHash {
        self.hash
    }
    pub fn tx_hashes(&self) -> &[TxHash] {
        &self.tx_hashes
    }
    pub fn into_block(self) -> Block {
        self.block
    }
    /// The block's txs as verified txs (their signatures were checked with the block).
    pub fn verified_txs(&self) -> Vec<VerifiedTx> {
        self.block
            .txs
            .iter()
            .cloned()
            .map(VerifiedTx::new_unchecked)
            .collect()
    }
}

/// Stage 1a: everything about the block that needs neither its parent nor its txs'
/// signatures: chain id, sizes, producer for the slot, timestamp, clock, the producer's
/// signature and the tx root. Cheap (one signature), so a node can forward a block as soon as
/// this passes and check the txs while it travels on.
pub fn check_header(
    block: &Block,
    genesis: &Genesis,
    config: &ChainConfig,
    now_ms: u64,
) -> Result<Vec<TxHash>, BlockError> {
    let h = &block.header;
    if h.chain_id != genesis.chain_id {
        return Err(BlockError::WrongChainId {
            expected: genesis.chain_id,
            got: h.chain_id,
        });
    }
    if h.height == 0 || h.slot == 0 {
        return Err(BlockError::GenesisPosition);
    }
    let limits = &genesis.limits;
    if block.txs.len() > limits.max_block_txs {
        return Err(BlockError::TooManyTxs {
            count: block.txs.len(),
            max: limits.max_block_txs,
        });
    }
    if block.encoded_len() > limits.max_block_bytes {
        return Err(BlockError::TooLarge {
            size: block.encoded_len(),
            max: limits.max_block_bytes,
        });
    }
    check_signed_header(&block.signed_header(), genesis, config, now_ms)?;
    let tx_hashes: Vec<TxHash> = block.txs.iter().map(|t| t.hash()).collect();
    let computed = tx_root_of_hashes(tx_hashes.iter().copied());
    if computed != h.tx_root {
        return Err(BlockError::TxRootMismatch {
            header: h.tx_root,
            computed,
        });
    }
    Ok(tx_hashes)
}

/// Stage 0: what a header alone (with its signature, without the body) must satisfy: chain
/// id, position, producer for the slot, timestamp inside the slot, slot not in the future,
/// producer signature. Headers-first sync checks fetched headers with this.
pub fn check_signed_header(
    signed: &SignedHeader,
    genesis: &Genesis,
    config: &ChainConfig,
    now_ms: u64,
) -> Result<(), BlockError> {
    let h = &signed.header;
    if h.chain_id != genesis.chain_id {
        return Err(BlockError::WrongChainId {
            expected: genesis.chain_id,
            got: h.chain_id,
        });
    }
    if h.height == 0 || h.slot == 0 {
        return Err(BlockError::GenesisPosition);
    }
    let expected = genesis.producer_for_slot(h.slot);
    if h.producer != expected {
        return Err(BlockError::WrongProducer {
            slot: h.slot,
            expected,
            got: h.producer,
        });
    }
    let start = genesis.slot_start_ms(h.slot);
    let end = start.saturating_add(genesis.slot_ms);
    if h.timestamp < start || h.timestamp >= end {
        return Err(BlockError::TimestampOutsideSlot {
            slot: h.slot,
            timestamp: h.timestamp,
            start,
            end,
        });
    }
    if start > now_ms.saturating_add(config.max_future_ms) {
        return Err(BlockError::FutureSlot {
            slot: h.slot,
            start,
            now: now_ms,
        });
    }
    signed
        .verify_signature()
        .map_err(BlockError::BadSignature)?;
    Ok(())
}

/// Stage 1: [`check_header`] plus every tx's chain id, cost and signature (`verify_strict`).
pub fn check_block(
    block: Block,
    genesis: &Genesis,
    config: &ChainConfig,
    now_ms: u64,
) -> Result<CheckedBlock, BlockError> {
    check_block_skipping(block, genesis, config, now_ms, |_| false)
}

/// [`check_block`], except that txs for which `verified(hash)` is true are not re-checked:
/// the caller vouches that it already verified exactly those bytes (e.g. they sit in its
/// mempool as `VerifiedTx`s). A block of txs the node has already seen then costs one
/// signature check instead of one per tx.
pub fn check_block_skipping(
    block: Block,
    genesis: &Genesis,
    config: &ChainConfig,
    now_ms: u64,
    verified: impl Fn(&TxHash) -> bool,
) -> Result<CheckedBlock, BlockError> {
    let tx_hashes = check_header(&block, genesis, config, now_ms)?;
    for (index, (tx, hash)) in block.txs.iter().zip(&tx_hashes).enumerate() {
        if verified(hash) {
            continue;
        }
        tx.clone()
            .verify(genesis.chain_id)
            .map_err(|source| BlockError::InvalidTx { index, source })?;
    }
    Ok(CheckedBlock {
        hash: block.hash(),
        block,
        tx_hashes,
    })
}

/// Stage 2: the block must directly follow its parent.
pub fn check_against_parent(parent: &BlockHeader, header: &BlockHeader) -> Result<(), BlockError> {
    if header.height != parent.height.saturating_add(1) {
        return Err(BlockError::WrongHeight {
            parent: parent.height,
            got: header.height,
        });
    }
    if header.slot <= parent.slot {
        return Err(BlockError::SlotNotAfterParent {
            parent: parent.slot,
            got: header.slot,
        });
    }
    Ok(())
}

/// Stage 3: applies the block's txs to its parent's state; returns the diff if the resulting
/// state root matches the header's.
pub fn execute_block(
    parent_state: &State,
    block: &CheckedBlock,
    chain_id: u64,
) -> Result<StateDiff, BlockError> {
    let header = block.header();
    let mut exec = Executor::new(parent_state, chain_id);
    for (index, tx) in block.block().txs.iter().enumerate() {
        exec.apply_verified(&tx.tx, &header.producer)
            .map_err(|source| BlockError::InvalidTx { index, source })?;
    }
    let computed = exec.root();
    if computed != header.state_root {
        return Err(BlockError::StateRootMismatch {
            header: header.state_root,
            computed,
        });
    }
    Ok(exec.into_diff())
}

/// A block a producer assembled, with what it left out.
#[derive(Debug)]
pub struct Produced {
    pub block: Block,
    pub diff: StateDiff,
    /// Candidates that did not apply (stale nonce, no balance), with why.
    pub skipped: Vec<(TxHash, TxError)>,
}

impl Produced {
    /// The block as a [`CheckedBlock`]: it was built from verified txs and signed by us, so
    /// checking it again would only repeat signature work.
    pub fn checked(&self) -> CheckedBlock {
        let tx_hashes = self.block.txs.iter().map(|t| t.hash()).collect();
        CheckedBlock {
            hash: self.block.hash(),
            block: self.block.clone(),
            tx_hashes,
        }
    }
}

/// Builds and signs a block on `parent` for `slot`: applies `candidates` in order, skipping any
/// that fail against the running state, up to the size caps.
pub fn produce_block(
    parent: &BlockHeader,
    parent_state: &State,
    genesis: &Genesis,
    limits: &Limits,
    slot: u64,
    key: &Keypair,
    candidates: impl IntoIterator<Item = VerifiedTx>,
) -> Produced {
    let producer = key.address();
    let mut exec = Executor::new(parent_state, genesis.chain_id);
    let mut txs: Vec<SignedTransaction> = Vec::new();
    let mut hashes = Vec::new();
    let mut skipped = Vec::new();
    let mut size = crate::primitives::codec::BLOCK_OVERHEAD_LEN;
    for tx in candidates {
        if txs.len() >= limits.max_block_txs || size + tx.encoded_len() > limits.max_block_bytes {
            break;
        }
        match exec.apply_verified(tx.tx(), &producer) {
            Ok(()) => {
                size += tx.encoded_len();
                hashes.push(tx.hash());
                txs.push(tx.into_signed());
            }
            Err(e) => skipped.push((tx.hash(), e)),
        }
    }
    let header = BlockHeader {
        chain_id: genesis.chain_id,
        height: parent.height + 1,
        slot,
        parent: parent.hash(),
        timestamp: genesis.slot_start_ms(slot),
        tx_root: tx_root_of_hashes(hashes.into_iter()),
        state_root: exec.root(),
        producer,
    };
    Produced {
        block: Block::seal(header, txs, key),
        diff: exec.into_diff(),
        skipped,
    }
}

#[cfg(test)]
mod config_tests {
    use super::ChainConfig;

    #[test]
    fn the_store_cache_is_bounded_in_whole_mib() {
        assert_eq!(ChainConfig::default().store_cache_bytes(), 16 << 20);
        let none = ChainConfig {
            store_cache_mib: 0,
            ..ChainConfig::default()
        };
        assert_eq!(none.store_cache_bytes(), 1 << 20);
        let toml: ChainConfig = serde_json::from_str(r#"{"store_cache_mib": 8}"#).unwrap();
        assert_eq!(toml.store_cache_bytes(), 8 << 20);
    }
}
