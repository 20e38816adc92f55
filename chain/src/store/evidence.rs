//! Equivocation evidence in the store: the first block stored for each slot, and the proof
//! when a second one arrives by any path (gossip, sync, orphan resolution), or when the gossip
//! path spots one it did not import.
//!
//! Bound: [`MAX_EVIDENCE`] proofs, one per slot, lowest slots dropped first. Only an authority
//! can create one (both headers must carry its signature), at most one per slot it owns.

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::chain_store::write_txn;
use super::tables::{EVIDENCE, SLOT_BLOCKS};
use super::{ChainStore, StoreError};
use crate::block::evidence::{Equivocation, VerifiedEquivocation};
use crate::primitives::hash::BlockHash;
use crate::validate::CheckedBlock;

/// Most proofs kept (~300 KB): a year of 1 s slots with one misbehaving authority in 32,000
/// would not fill it, and RPC readers page through it newest first.
pub const MAX_EVIDENCE: u64 = 1024;

impl ChainStore {
    /// Records `block` as its slot's first, or, if another block holds the slot, keeps the
    /// proof (both passed `check_block`) and returns it if the slot had none yet.
    pub(super) fn note_slot(
        &self,
        txn: &WriteTransaction,
        block: &CheckedBlock,
    ) -> Result<Option<Equivocation>, StoreError> {
        let slot = block.header().slot;
        let first = {
            let mut slots = txn.open_table(SLOT_BLOCKS)?;
            let first = slots.get(slot)?.map(|v| BlockHash(v.value()));
            if first.is_none() {
                slots.insert(slot, block.hash().0)?;
            }
            first
        };
        let Some(first) = first.filter(|h| *h != block.hash()) else {
            return Ok(None);
        };
        let first = self.stored_block(&first)?.signed_header();
        let Some(ev) = VerifiedEquivocation::from_checked(first, block.block().signed_header())
        else {
            return Ok(None);
        };
        Ok(keep(txn, &ev)?.then(|| ev.into_evidence()))
    }

    /// Keeps verified evidence (from the gossip path, where the second block is not
    /// imported). Returns whether it was new.
    pub fn record_equivocation(&mut self, ev: &VerifiedEquivocation) -> Result<bool, StoreError> {
        let txn = write_txn(self.db()?, super::Commit::Durable)?;
        let new = keep(&txn, ev)?;
        txn.commit()?;
        Ok(new)
    }

    /// Whether a proof for `slot` is kept already (a cheap read, before checking or writing
    /// another one for the same slot).
    pub fn has_equivocation(&self, slot: u64) -> Result<bool, StoreError> {
        let txn = self.db()?.begin_read()?;
        match txn.open_table(EVIDENCE) {
            Ok(t) => Ok(t.get(slot)?.is_some()),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Up to `max` proofs, newest slot first.
    pub fn equivocations(&self, max: usize) -> Result<Vec<Equivocation>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = match txn.open_table(EVIDENCE) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for entry in table.iter()?.rev().take(max) {
            let (slot, bytes) = entry?;
            out.push(Equivocation::decode(bytes.value()).map_err(|e| {
                StoreError::Corrupt(format!("evidence for slot {}: {e}", slot.value()))
            })?);
        }
        Ok(out)
    }
}

/// Stores the proof unless its slot has one; drops the lowest slots beyond the bound.
fn keep(txn: &WriteTransaction, ev: &VerifiedEquivocation) -> Result<bool, StoreError> {
    let mut table = txn.open_table(EVIDENCE)?;
    let slot = ev.evidence().slot();
    if table.get(slot)?.is_some() {
        return Ok(false);
    }
    table.insert(slot, ev.evidence().encode().as_slice())?;
    while table.len()? > MAX_EVIDENCE {
        table.pop_first()?;
    }
    Ok(true)
}
