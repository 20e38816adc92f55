//! Block production: in each of our slots, build on our (fully imported) head from the pool's
//! best txs, import locally, then publish. Never for another authority's slot, never while a
//! catch-up is running (our head would be stale).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rumor_chain::{Block, codec::BLOCK_OVERHEAD_LEN, produce_block};
use rumor_p2p::Topic;

use crate::context::Ctx;
use crate::trace::{Kind, Origin, now_ms, now_us};

/// Builds, imports and returns our block for `slot`, or `None` if there is nothing to do.
fn build(ctx: &Ctx, slot: u64) -> Option<Block> {
    let genesis = &ctx.genesis;
    if genesis.producer_for_slot(slot) != ctx.key.address() {
        return None;
    }
    let mut chain = ctx.chain();
    let (_, head) = chain.head();
    let head = head.clone();
    if head.slot >= slot {
        return None;
    }
    let limits = ctx.config.chain.limits;
    let candidates = ctx.pool().best_transactions(
        limits.max_block_txs,
        limits.max_block_bytes - BLOCK_OVERHEAD_LEN,
    );
    let produced = produce_block(
        &head,
        chain.state(),
        genesis,
        &limits,
        slot,
        &ctx.key,
        candidates,
    );
    if !produced.skipped.is_empty() {
        tracing::debug!(
            skipped = produced.skipped.len(),
            "candidates that no longer apply"
        );
    }
    match chain.import(produced.checked()) {
        Ok(outcome) => {
            ctx.after_import(&chain, &outcome);
            ctx.metrics.blocks_produced.inc();
            tracing::info!(
                slot,
                height = outcome.height,
                hash = %outcome.hash.short(),
                txs = produced.block.txs.len(),
                "produced block"
            );
            Some(produced.block)
        }
        Err(e) => {
            tracing::error!(slot, error = %e, "own block failed to import");
            None
        }
    }
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
