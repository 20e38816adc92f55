//! Moving between branches by state diffs, one block at a time.
//!
//! Invariant: nothing here holds more than one block or diff at once, whatever the fork depth: a
//! [`Branch`] is block hashes only (32 bytes per block), and states are built by streaming diffs
//! into one copy of the head state. The side-chain tip's state is cached by the store (one copy),
//! so importing a side chain of length L costs O(L) diff applications, not O(L²).

use redb::ReadableDatabase;

use super::tables::DIFFS;
use super::{ChainStore, StoreError};
use crate::block::BlockHeader;
use crate::primitives::hash::BlockHash;
use crate::state::{State, StateDiff};

/// How to get from the head to a block on another branch, by hash.
#[derive(Debug, Default)]
pub(super) struct Branch {
    /// Canonical blocks to undo, head first.
    pub revert: Vec<BlockHash>,
    /// Side blocks to apply, lowest first, ending at the target.
    pub apply: Vec<BlockHash>,
}

impl ChainStore {
    /// A stored block's state diff.
    pub(super) fn diff(&self, hash: &BlockHash) -> Result<StateDiff, StoreError> {
        let txn = self.db()?.begin_read()?;
        let diffs = txn.open_table(DIFFS)?;
        let bytes = diffs
            .get(hash.0)?
            .ok_or_else(|| StoreError::Corrupt(format!("diff {hash} missing")))?;
        StateDiff::decode(bytes.value())
            .map_err(|e| StoreError::Corrupt(format!("diff {hash}: {e}")))
    }

    /// The path from the head to `target` (a stored, non-head block) via their common ancestor.
    pub(super) fn branch_to(
        &self,
        target: BlockHash,
        target_header: &BlockHeader,
    ) -> Result<Branch, StoreError> {
        let mut apply = Vec::new();
        let mut cursor = target;
        let mut cursor_header = target_header.clone();
        while self.canonical_hash(cursor_header.height)? != Some(cursor) {
            apply.push(cursor);
            cursor = cursor_header.parent;
            cursor_header = self
                .header(&cursor)?
                .ok_or_else(|| StoreError::Corrupt(format!("ancestor {cursor} missing")))?;
        }
        apply.reverse();
        let mut revert = Vec::new();
        for height in (cursor_header.height + 1..=self.head.height).rev() {
            revert.push(
                self.canonical_hash(height)?
                    .ok_or_else(|| StoreError::Corrupt(format!("canonical {height} missing")))?,
            );
        }
        Ok(Branch { revert, apply })
    }

    /// The state at the end of `branch`: the head state with the canonical diffs undone back
    /// to the fork and the branch's diffs applied, one diff in memory at a time.
    pub(super) fn state_on(&self, branch: &Branch) -> Result<State, StoreError> {
        let mut state = self.state.clone();
        for r in &branch.revert {
            state.revert_diff(&self.diff(r)?);
        }
        for a in &branch.apply {
            state.apply_diff(&self.diff(a)?);
        }
        Ok(state)
    }
}
