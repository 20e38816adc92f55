//! Import: stage-1 checks on the verification pool, then the ledger import on the blocking
//! pool. Needs only the shared services (a `Ctx`), so every source of blocks calls it.
//!
//! Invariants: an import never runs on an async thread and, once started, is never cut short
//! by shutdown; a block imported here releases the orphans waiting for it, which are imported
//! in turn (iteratively, not recursively).

use std::collections::HashSet;

use rumor_chain::{Block, BlockHash, Commit, ImportError, ImportOutcome, TxHash};
use rumor_p2p::PeerId;

use crate::context::Ctx;
use crate::services::ledger::Imported;
use crate::services::trace::{Kind, Origin};

/// Checks and imports one block from anywhere (gossip, sync, orphan resolution). On success,
/// blocks waiting for this one are imported too.
pub async fn import(ctx: &Ctx, block: Block) -> Result<ImportOutcome, ImportError> {
    import_with(ctx, block, Commit::Durable).await
}

/// [`import`] with a choice of durability for this block (its waiting children are durable).
pub async fn import_with(
    ctx: &Ctx,
    block: Block,
    commit: Commit,
) -> Result<ImportOutcome, ImportError> {
    let Imported { outcome, children } = import_one(ctx, block, commit).await?;
    // Children that were waiting for this block (iteratively, not recursively).
    let mut ready = children;
    while let Some(child) = ready.pop() {
        if let Ok(imported) = import_one(ctx, child, Commit::Durable).await {
            ready.extend(imported.children);
        }
    }
    Ok(outcome)
}

fn internal(e: impl std::fmt::Display) -> ImportError {
    ImportError::Store(rumor_chain::StoreError::Corrupt(e.to_string()))
}

async fn import_one(ctx: &Ctx, block: Block, commit: Commit) -> Result<Imported, ImportError> {
    // Txs already in our pool were verified on arrival; don't check their signatures again.
    let ids: Vec<TxHash> = block.txs.iter().map(|t| t.hash()).collect();
    let hashes = ids.clone();
    let known = if hashes.is_empty() {
        HashSet::new()
    } else {
        ctx.ledger
            .blocking(move |l| l.pooled(hashes))
            .await
            .map_err(internal)?
    };
    let checked = ctx
        .verify
        .check_block(block, ctx.clock.now_ms(), known, &ctx.metrics)
        .await
        .map_err(internal)??;
    let imported = ctx
        .ledger
        .blocking(move |l| l.import_with(checked, commit))
        .await
        .map_err(internal)??;
    trace_txs_first_seen_in_block(ctx, &ids);
    Ok(imported)
}

/// Txs this node never saw alone (it missed their gossip) first reached it inside this block:
/// they count as delivered, and are marked seen so a late gossip copy is not judged again.
fn trace_txs_first_seen_in_block(ctx: &Ctx, ids: &[TxHash]) {
    let seen = ctx.net.seen();
    let now = ctx.clock.now_us();
    for id in ids {
        if seen.insert(id.0) {
            ctx.tracer.record(Kind::Tx, &id.0, now, None, Origin::Block);
        }
    }
}

/// Records the first sight of a block that arrived by sync rather than gossip.
pub(super) fn trace_sync(ctx: &Ctx, hash: &BlockHash, peer: PeerId) {
    ctx.tracer.record(
        Kind::Block,
        &hash.0,
        ctx.clock.now_us(),
        Some(peer.to_string()),
        Origin::Sync,
    );
}
