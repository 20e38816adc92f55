//! Block production: in each of our slots, build on our (fully imported) head from the pool's
//! best txs, import locally, then publish. Never for another authority's slot, never while a
//! catch-up is running (our head would be stale).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rumor_chain::Block;
use rumor_p2p::Topic;

use crate::context::Ctx;
use crate::trace::{Kind, Origin, now_ms, now_us};

/// Builds, imports and returns our block for `slot`, or `None` if there is nothing to do.
/// Blocking (the import commits to the store).
fn build(ctx: &Ctx, slot: u64) -> Option<Block> {
    if ctx.genesis.producer_for_slot(slot) != ctx.key.address() {
        return None;
    }
    let (block, outcome) =
        ctx.ledger
            .produce(slot, &ctx.genesis, &ctx.config.chain.limits, &ctx.key)?;
    ctx.metrics.blocks_produced.inc();
    tracing::info!(
        slot,
        height = outcome.height,
        hash = %outcome.hash.short(),
        txs = block.txs.len(),
        "produced block"
    );
    Some(block)
}

/// Runs forever (until aborted), waking at each slot start.
pub async fn run(ctx: Arc<Ctx>) {
    let genesis = ctx.genesis.clone();
    loop {
        let now = now_ms();
        let slot = genesis.slot_at(now) + 1;
        let start = genesis.slot_start_ms(slot);
        tokio::time::sleep(Duration::from_millis(start.saturating_sub(now))).await;
        if genesis.producer_for_slot(slot) != ctx.key.address() {
            continue;
        }
        if ctx.syncing.load(Ordering::SeqCst) {
            tracing::info!(slot, "skipping our slot while catching up");
            continue;
        }
        if ctx.ledger.head().slot >= slot {
            // Already built on (the ledger checks again under its lock).
            continue;
        }
        let c = ctx.clone();
        let Ok(Some(block)) = tokio::task::spawn_blocking(move || build(&c, slot)).await else {
            continue;
        };
        let hash = block.hash();
        ctx.tracer
            .record(Kind::Block, &hash.0, now_us(), None, Origin::Producer);
        if let Err(e) = ctx.net.publish(Topic::Block, block.encode()).await {
            tracing::warn!(block = %hash.short(), error = %e, "block publish failed");
        }
    }
}
