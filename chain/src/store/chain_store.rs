//! The [`ChainStore`] type: what it holds, opening a file (or memory) at its committed head,
//! and the reads. Importing is in `import.rs`, branch walks in `branch.rs`, evidence in
//! `evidence.rs`, header locators in `locator.rs`, recovery from I/O errors in `reopen.rs`.
//!
//! Invariant: the in-memory head (hash, header, state) always equals the last committed head
//! in the file; `ACCOUNTS` mirrors that state.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable};

use super::StoreError;
use super::backend::IoState;
use super::tables::*;
use crate::Address;
use crate::block::evidence::Equivocation;
use crate::block::{Block, BlockHeader};
use crate::genesis::Genesis;
use crate::primitives::codec::HEADER_ENCODED_LEN;
use crate::primitives::hash::{BlockHash, Hash256, TxHash};
use crate::state::{Account, State, StateDiff};
use crate::tx::VerifiedTx;
use crate::validate::ChainConfig;

/// Fork choice: whether a head at `height` displaces ours at `head_height`. Only a strictly
/// higher block does: equal height keeps the head first seen (see the module header).
pub fn beats(height: u64, head_height: u64) -> bool {
    height > head_height
}

/// How an imported block changed the canonical chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportKind {
    /// The block extends the head.
    Extended,
    /// The block's branch overtook the old head; `depth` canonical blocks were replaced.
    Reorg { depth: u64, old_head: BlockHash },
    /// Stored on a branch that is not (yet) canonical.
    SideChain,
}

/// The result of a successful import.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub hash: BlockHash,
    pub height: u64,
    pub kind: ImportKind,
    /// Txs now canonical that were not before (for the mempool to drop).
    pub entered: Vec<VerifiedTx>,
    /// Txs that were canonical and no longer are (for the mempool to take back).
    pub left: Vec<VerifiedTx>,
    /// The block is the second one stored for its slot: the proof, now kept by the store
    /// (only the first proof for a slot is returned).
    pub equivocation: Option<Equivocation>,
}

/// Where a canonical tx sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    pub block: BlockHash,
    pub height: u64,
    pub index: u32,
}

/// The chain store. Synchronous; the node keeps it behind a short-held lock.
pub struct ChainStore {
    /// `None` only between closing a failed handle and a successful reopen ([`Self::reopen`]).
    pub(super) db: Option<Database>,
    /// The file, for [`Self::reopen`] (`None` in memory).
    pub(super) path: Option<PathBuf>,
    /// The first I/O error on the file since it was (re)opened.
    pub(super) io: Arc<IoState>,
    pub(super) genesis: Genesis,
    pub(super) genesis_hash: Hash256,
    pub(super) config: ChainConfig,
    pub(super) state: State,
    pub(super) head_hash: BlockHash,
    pub(super) head: BlockHeader,
    /// The state after the last side-chain block imported: the next block on that branch
    /// executes against it instead of walking back to the fork (one state copy, replaced on
    /// every side-chain import, dropped when a reorg makes a branch canonical).
    pub(super) side_tip: Option<(BlockHash, State)>,
}

impl std::fmt::Debug for ChainStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainStore")
            .field("genesis", &self.genesis_hash)
            .field("head", &self.head_hash)
            .field("height", &self.head.height)
            .finish()
    }
}

/// How an import's commit reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Commit {
    /// Durable when `import` returns (fsync; two-phase commit). Every import from gossip.
    #[default]
    Durable,
    /// Durable with the next `Durable` commit (no fsync of its own). For runs of blocks from
    /// sync, where the last block of each range is durable: a crash in between loses only
    /// those blocks, and the store reopens at the last durable head, consistent.
    Deferred,
}

pub(super) fn write_txn(
    db: &Database,
    commit: Commit,
) -> Result<redb::WriteTransaction, StoreError> {
    let mut txn = db.begin_write()?;
    match commit {
        Commit::Durable => txn.set_two_phase_commit(true),
        Commit::Deferred => txn
            .set_durability(redb::Durability::None)
            .map_err(|e| StoreError::Corrupt(format!("deferred commit: {e}")))?,
    }
    Ok(txn)
}

impl ChainStore {
    /// Opens (or creates) the store at `path` for `genesis`, resuming from the committed head.
    pub fn open(path: &Path, genesis: Genesis, config: ChainConfig) -> Result<Self, StoreError> {
        Self::open_file(path, genesis, config, Arc::default())
    }

    /// A store held in memory (redb's in-memory backend): the same tables and checks as
    /// [`Self::open`], but nothing survives the process and no commit reaches a disk. For
    /// in-process testnets of many nodes, where a file per node would cost an fsync per block
    /// per node.
    pub fn open_in_memory(genesis: Genesis, config: ChainConfig) -> Result<Self, StoreError> {
        genesis.validate()?;
        let db = redb::Builder::new().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Self::from_db(db, genesis, config, None, Arc::default())
    }

    pub(super) fn from_db(
        db: Database,
        genesis: Genesis,
        config: ChainConfig,
        path: Option<PathBuf>,
        io: Arc<IoState>,
    ) -> Result<Self, StoreError> {
        let genesis_hash = genesis.hash();
        let stored = {
            let txn = db.begin_read()?;
            match txn.open_table(META) {
                Ok(meta) => meta.get(GENESIS)?.map(|v| v.value().to_vec()),
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(e.into()),
            }
        };
        match stored {
            None => Self::initialise(&db, &genesis)?,
            Some(bytes) => {
                let stored = Hash256(
                    bytes
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("genesis hash length".into()))?,
                );
                if stored != genesis_hash {
                    return Err(StoreError::GenesisMismatch {
                        stored,
                        expected: genesis_hash,
                    });
                }
            }
        }
        let txn = db.begin_read()?;
        let meta = txn.open_table(META)?;
        let head_hash = BlockHash(
            meta.get(HEAD)?
                .ok_or_else(|| StoreError::Corrupt("no head".into()))?
                .value()
                .try_into()
                .map_err(|_| StoreError::Corrupt("head hash length".into()))?,
        );
        let mut state = State::default();
        for entry in txn.open_table(ACCOUNTS)?.iter()? {
            let (addr, acct) = entry?;
            let (balance, nonce) = acct.value();
            state.set(Address(addr.value()), Account { balance, nonce });
        }
        drop(meta);
        drop(txn);
        let mut store = Self {
            db: Some(db),
            path,
            io,
            genesis,
            genesis_hash,
            config,
            state,
            head_hash,
            side_tip: None,
            head: BlockHeader::decode(&[0u8; HEADER_ENCODED_LEN])
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        };
        store.head = store
            .header(&head_hash)?
            .ok_or_else(|| StoreError::Corrupt("head block missing".into()))?;
        if store.state.root() != store.head.state_root {
            return Err(StoreError::Corrupt(
                "account table does not match the head's state root".into(),
            ));
        }
        Ok(store)
    }

    fn initialise(db: &Database, genesis: &Genesis) -> Result<(), StoreError> {
        let block = genesis.block();
        let hash = block.hash();
        let txn = write_txn(db, Commit::Durable)?;
        {
            txn.open_table(BLOCKS)?
                .insert(hash.0, block.encode().as_slice())?;
            txn.open_table(DIFFS)?
                .insert(hash.0, StateDiff::default().encode().as_slice())?;
            txn.open_table(CANONICAL)?.insert(0, hash.0)?;
            txn.open_table(TX_INDEX)?;
            txn.open_table(SLOT_BLOCKS)?;
            txn.open_table(EVIDENCE)?;
            let mut accounts = txn.open_table(ACCOUNTS)?;
            for (addr, acct) in genesis.initial_state().iter() {
                accounts.insert(addr.0, (acct.balance, acct.nonce))?;
            }
            let mut meta = txn.open_table(META)?;
            meta.insert(GENESIS, genesis.hash().0.as_slice())?;
            meta.insert(HEAD, hash.0.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    pub fn genesis_hash(&self) -> Hash256 {
        self.genesis_hash
    }

    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The canonical head's hash and header.
    pub fn head(&self) -> (BlockHash, &BlockHeader) {
        (self.head_hash, &self.head)
    }

    /// The state at the head.
    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn account(&self, address: &Address) -> Account {
        self.state.get(address)
    }

    pub fn has_block(&self, hash: &BlockHash) -> Result<bool, StoreError> {
        let txn = self.db()?.begin_read()?;
        Ok(txn.open_table(BLOCKS)?.get(hash.0)?.is_some())
    }

    /// Any stored block (canonical or not).
    pub fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(BLOCKS)?;
        let Some(bytes) = table.get(hash.0)? else {
            return Ok(None);
        };
        let limits = crate::primitives::codec::Limits {
            max_block_bytes: usize::MAX,
            max_block_txs: usize::MAX,
            ..self.genesis.limits
        };
        Block::decode(bytes.value(), &limits)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("block {hash}: {e}")))
    }

    /// Any stored block's header (decodes only the signed-header prefix; see
    /// [`Self::signed_header`], which reads the same bytes).
    pub fn header(&self, hash: &BlockHash) -> Result<Option<BlockHeader>, StoreError> {
        Ok(self.signed_header(hash)?.map(|s| s.header))
    }

    /// The canonical block hash at `height`.
    pub fn canonical_hash(&self, height: u64) -> Result<Option<BlockHash>, StoreError> {
        let txn = self.db()?.begin_read()?;
        Ok(txn
            .open_table(CANONICAL)?
            .get(height)?
            .map(|v| BlockHash(v.value())))
    }

    /// The canonical block at `height`.
    pub fn block_by_height(&self, height: u64) -> Result<Option<Block>, StoreError> {
        match self.canonical_hash(height)? {
            Some(h) => self.block(&h),
            None => Ok(None),
        }
    }

    /// Up to `count` consecutive canonical blocks from `start`, stopping before `max_bytes`
    /// of encoded blocks would be exceeded (at least one block is returned if any exists).
    pub fn blocks_by_range(
        &self,
        start: u64,
        count: u64,
        max_bytes: usize,
    ) -> Result<Vec<Block>, StoreError> {
        let mut out = Vec::new();
        let mut bytes = 0;
        for height in start..start.saturating_add(count) {
            let Some(block) = self.block_by_height(height)? else {
                break;
            };
            bytes += block.encoded_len();
            if !out.is_empty() && bytes > max_bytes {
                break;
            }
            out.push(block);
        }
        Ok(out)
    }

    /// Where a canonical tx is.
    pub fn tx_location(&self, tx: &TxHash) -> Result<Option<TxLocation>, StoreError> {
        let txn = self.db()?.begin_read()?;
        Ok(txn.open_table(TX_INDEX)?.get(tx.0)?.map(|v| {
            let (block, height, index) = v.value();
            TxLocation {
                block: BlockHash(block),
                height,
                index,
            }
        }))
    }

    /// The state after any stored block (streams diffs from the head; cost grows with the
    /// distance from the head).
    pub fn state_at(&self, hash: &BlockHash) -> Result<Option<State>, StoreError> {
        if *hash == self.head_hash {
            return Ok(Some(self.state.clone()));
        }
        let Some(header) = self.header(hash)? else {
            return Ok(None);
        };
        Ok(Some(self.state_on(&self.branch_to(*hash, &header)?)?))
    }

    /// A block that must be stored (it is on a branch the store walked).
    pub(super) fn stored_block(&self, hash: &BlockHash) -> Result<Block, StoreError> {
        self.block(hash)?
            .ok_or_else(|| StoreError::Corrupt(format!("block {hash} missing")))
    }
}
