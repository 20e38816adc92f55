//! Importing a block, step by step: [`ChainStore::import_with`] reads as the list of steps
//! below, in the order they run.
//!
//! Invariant: every write of one import goes into one redb write transaction, committed once
//! (as a side-chain block or as the new head), so a crash leaves the old head or the new one;
//! the in-memory head (state, hash, header) changes only after that commit succeeds.

use std::collections::HashSet;

use redb::WriteTransaction;

use super::branch::Branch;
use super::chain_store::write_txn;
use super::tables::*;
use super::{ChainStore, Commit, ImportError, ImportKind, ImportOutcome, StoreError, beats};
use crate::Address;
use crate::block::{Block, BlockHeader};
use crate::primitives::hash::{BlockHash, TxHash};
use crate::state::{State, StateDiff};
use crate::tx::VerifiedTx;
use crate::validate::{CheckedBlock, check_against_parent, check_block, execute_block};

impl ChainStore {
    /// Checks and imports an untrusted block (stage 1 included; see [`crate::validate`]).
    pub fn import_block(
        &mut self,
        block: Block,
        now_ms: u64,
    ) -> Result<ImportOutcome, ImportError> {
        let checked = check_block(block, &self.genesis, &self.config, now_ms)?;
        self.import(checked)
    }

    /// Imports a block that passed [`check_block`]: parent checks, execution against the
    /// parent's state, fork choice, and one atomic commit.
    pub fn import(&mut self, block: CheckedBlock) -> Result<ImportOutcome, ImportError> {
        self.import_with(block, Commit::Durable)
    }

    /// [`Self::import`] with a choice of how the commit reaches the disk.
    pub fn import_with(
        &mut self,
        block: CheckedBlock,
        commit: Commit,
    ) -> Result<ImportOutcome, ImportError> {
        let hash = block.hash();
        let (header, parent) = self.new_with_parent(&block)?;
        let side_state = self.parent_state(&header, &parent)?;
        let diff = execute_block(
            side_state.as_ref().unwrap_or(&self.state),
            &block,
            self.genesis.chain_id,
        )?;

        let becomes_head = beats(header.height, self.head.height);
        let txn = write_txn(self.db()?, commit)?;
        {
            txn.open_table(BLOCKS)?
                .insert(hash.0, block.block().encode().as_slice())?;
            txn.open_table(DIFFS)?
                .insert(hash.0, diff.encode().as_slice())?;
        }
        let equivocation = self.note_slot(&txn, &block)?;
        let branch = match &side_state {
            Some(_) if becomes_head => self.branch_to(header.parent, &parent)?,
            _ => Branch::default(),
        };
        let height = header.height;
        if !becomes_head || self.beyond_finality(&branch, &hash) {
            txn.commit()?;
            self.keep_side_tip(hash, side_state, &diff);
            return Ok(ImportOutcome {
                hash,
                height,
                kind: ImportKind::SideChain,
                entered: Vec::new(),
                left: Vec::new(),
                equivocation,
            });
        }
        // On a reorg the branch state becomes the head state; on an extension the head state
        // is moved forward in place after the commit (no copy on the hot path).
        let mut new_state = side_state;
        if let Some(s) = new_state.as_mut() {
            s.apply_diff(&diff);
        }
        let switched = self.switch_canonical(
            &txn,
            &branch,
            hash,
            &block.into_block(),
            &diff,
            new_state.as_ref(),
        )?;
        txn.commit()?;
        let kind = self.adopt_head(hash, header, new_state, &diff, &branch);
        Ok(ImportOutcome {
            hash,
            height,
            kind,
            entered: switched.entered,
            left: switched.left,
            equivocation,
        })
    }

    /// The block must be new and its parent stored and compatible; returns the block's header
    /// and its parent's.
    fn new_with_parent(
        &self,
        block: &CheckedBlock,
    ) -> Result<(BlockHeader, BlockHeader), ImportError> {
        let hash = block.hash();
        if self.has_block(&hash)? {
            return Err(ImportError::AlreadyKnown(hash));
        }
        let header = block.header().clone();
        let parent = self
            .header(&header.parent)?
            .ok_or(ImportError::UnknownParent(header.parent))?;
        check_against_parent(&parent, &header)?;
        Ok((header, parent))
    }

    /// The parent's state when it is not the head's (`None` for the head): the cached side
    /// tip's, or streamed from the fork.
    fn parent_state(
        &mut self,
        header: &BlockHeader,
        parent: &BlockHeader,
    ) -> Result<Option<State>, StoreError> {
        if header.parent == self.head_hash {
            return Ok(None);
        }
        Ok(Some(match self.side_tip.take() {
            Some((tip, state)) if tip == header.parent => state,
            _ => self.state_on(&self.branch_to(header.parent, parent)?)?,
        }))
    }

    /// Fork choice stops at the finality depth, whatever path the block came by (gossip, sync,
    /// orphan resolution): the block stays stored, on a branch that cannot win.
    fn beyond_finality(&self, branch: &Branch, hash: &BlockHash) -> bool {
        let depth = branch.revert.len() as u64;
        let beyond = self.config.finality_depth.is_some_and(|f| depth > f);
        if beyond {
            tracing::warn!(
                depth,
                finality = self.config.finality_depth,
                block = %hash.short(),
                "refusing a reorg deeper than the finality depth"
            );
        }
        beyond
    }

    /// A side-chain block was stored: its state becomes the cached side tip, so the next block
    /// on that branch need not walk back to the fork.
    fn keep_side_tip(&mut self, hash: BlockHash, side_state: Option<State>, diff: &StateDiff) {
        if let Some(mut state) = side_state {
            state.apply_diff(diff);
            self.side_tip = Some((hash, state));
        }
    }

    /// The canonical switch, streamed (one reverted or applied block in memory at a time):
    /// the canonical index, the tx index, the accounts mirror and the head pointer, all in
    /// `txn`. `new_state` is the branch's state on a reorg, `None` on an extension.
    fn switch_canonical(
        &self,
        txn: &WriteTransaction,
        branch: &Branch,
        hash: BlockHash,
        block: &Block,
        diff: &StateDiff,
        new_state: Option<&State>,
    ) -> Result<Switched, StoreError> {
        let mut touched: HashSet<Address> = diff.changes.keys().copied().collect();
        let mut index = CanonicalIndex::open(txn)?;
        for r in &branch.revert {
            index.leave(self.stored_block(r)?)?;
            touched.extend(self.diff(r)?.changes.keys().copied());
        }
        for a in &branch.apply {
            index.enter(*a, &self.stored_block(a)?)?;
            touched.extend(self.diff(a)?.changes.keys().copied());
        }
        index.enter(hash, block)?;
        let switched = index.finish();
        let mut accounts = txn.open_table(ACCOUNTS)?;
        for addr in touched {
            let acct = match new_state {
                Some(s) => s.get(&addr),
                None => diff.changes[&addr].after,
            };
            if acct.is_empty() {
                accounts.remove(addr.0)?;
            } else {
                accounts.insert(addr.0, (acct.balance, acct.nonce))?;
            }
        }
        txn.open_table(META)?.insert(HEAD, hash.0.as_slice())?;
        Ok(switched)
    }

    /// After the commit: the new head in memory, and what kind of move it was.
    fn adopt_head(
        &mut self,
        hash: BlockHash,
        header: BlockHeader,
        new_state: Option<State>,
        diff: &StateDiff,
        branch: &Branch,
    ) -> ImportKind {
        let old_head = self.head_hash;
        match new_state {
            Some(s) => {
                self.state = s;
                self.side_tip = None;
            }
            None => self.state.apply_diff(diff),
        }
        self.head_hash = hash;
        self.head = header;
        if branch.revert.is_empty() {
            return ImportKind::Extended;
        }
        tracing::info!(
            old_head = %old_head.short(),
            new_head = %hash.short(),
            depth = branch.revert.len(),
            "reorg"
        );
        ImportKind::Reorg {
            depth: branch.revert.len() as u64,
            old_head,
        }
    }
}

/// The txs a canonical switch made canonical and took back.
struct Switched {
    entered: Vec<VerifiedTx>,
    left: Vec<VerifiedTx>,
}

/// The canonical and tx index tables of one import's transaction, and the txs moved so far.
struct CanonicalIndex<'t> {
    canonical: redb::Table<'t, u64, [u8; 32]>,
    tx_index: redb::Table<'t, [u8; 32], ([u8; 32], u64, u32)>,
    left_hashes: HashSet<TxHash>,
    left: Vec<VerifiedTx>,
    entered_hashes: HashSet<TxHash>,
    entered: Vec<VerifiedTx>,
}

impl<'t> CanonicalIndex<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            canonical: txn.open_table(CANONICAL)?,
            tx_index: txn.open_table(TX_INDEX)?,
            left_hashes: HashSet::new(),
            left: Vec::new(),
            entered_hashes: HashSet::new(),
            entered: Vec::new(),
        })
    }

    /// A canonical block leaves the chain (reverted, head first).
    fn leave(&mut self, block: Block) -> Result<(), StoreError> {
        self.canonical.remove(block.header.height)?;
        for tx in block.txs {
            let h = tx.hash();
            self.tx_index.remove(h.0)?;
            self.left_hashes.insert(h);
            self.left.push(VerifiedTx::new_unchecked(tx));
        }
        Ok(())
    }

    /// A block becomes canonical (applied, lowest first).
    fn enter(&mut self, hash: BlockHash, block: &Block) -> Result<(), StoreError> {
        let height = block.header.height;
        self.canonical.insert(height, hash.0)?;
        for (i, tx) in block.txs.iter().enumerate() {
            let th = tx.hash();
            self.tx_index.insert(th.0, (hash.0, height, i as u32))?;
            self.entered_hashes.insert(th);
            if !self.left_hashes.contains(&th) {
                self.entered.push(VerifiedTx::new_unchecked(tx.clone()));
            }
        }
        Ok(())
    }

    /// A tx that left and re-entered on the new branch did neither.
    fn finish(mut self) -> Switched {
        let entered_hashes = &self.entered_hashes;
        self.left.retain(|t| !entered_hashes.contains(&t.hash()));
        Switched {
            entered: self.entered,
            left: self.left,
        }
    }
}
