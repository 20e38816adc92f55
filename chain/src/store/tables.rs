//! The redb tables and their value layouts. Every table is written only by
//! [`super::ChainStore`]'s import transaction (or the one-time genesis initialisation).

use redb::TableDefinition;

/// Block hash → canonical encoding of the block (all valid blocks, any branch).
pub const BLOCKS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("blocks");
/// Block hash → encoded `StateDiff` (before/after of every touched account): the undo log.
pub const DIFFS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("diffs");
/// Height → canonical block hash.
pub const CANONICAL: TableDefinition<u64, [u8; 32]> = TableDefinition::new("canonical");
/// Tx hash → (block hash, height, position) for canonical txs only.
pub const TX_INDEX: TableDefinition<[u8; 32], ([u8; 32], u64, u32)> =
    TableDefinition::new("tx_index");
/// Address → (balance, nonce) at the head. Empty accounts are absent.
pub const ACCOUNTS: TableDefinition<[u8; 32], (u64, u64)> = TableDefinition::new("accounts");
/// Slot → hash of the first block stored for it (any branch): a second one is an equivocation.
pub const SLOT_BLOCKS: TableDefinition<u64, [u8; 32]> = TableDefinition::new("slot_blocks");
/// Slot → encoded [`crate::block::evidence::Equivocation`] (verified), at most
/// [`super::MAX_EVIDENCE`] entries, lowest slots dropped first.
pub const EVIDENCE: TableDefinition<u64, &[u8]> = TableDefinition::new("evidence");
/// Singletons: [`HEAD`], [`GENESIS`].
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

pub const HEAD: &str = "head";
pub const GENESIS: &str = "genesis";
