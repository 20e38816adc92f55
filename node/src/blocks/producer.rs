//! Block production: in each of our slots, build on our (fully imported) head from the pool's
//! best txs, import locally, then publish.
//!
//! Invariants: never for another authority's slot, never twice for a slot; paused only while a
//! catch-up of a verified claim runs, and at most `MAX_PRODUCTION_PAUSE` (an unverified claim
//! never stops us); a block is published only after it is
//! imported here; the build (and its durable commit) runs on the blocking pool; shutdown stops
//! the loop between slots, never in the middle of a build.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rumor_chain::{Block, TxHash};
use rumor_p2p::Topic;

use crate::blocks::Blocks;
use crate::blocks::compact::message_for;
use crate::context::Ctx;
use crate::services::trace::{Kind, Origin};

/// Builds, imports and returns our block for `slot` with the hashes of the txs submitted to
/// us in the last `compact_prefill_ms` (a compact block sends those whole), or `None` if there
/// is nothing to do. Blocking (the import commits to the store).
fn build(ctx: &Ctx, slot: u64) -> Option<(Block, HashSet<TxHash>)> {
    if ctx.genesis.producer_for_slot(slot) != ctx.key.address() {
        return None;
    }
    let window = Duration::from_millis(ctx.config.net.compact_prefill_ms);
    let fresh = Instant::now()
        .checked_sub(window)
        .map(|since| ctx.ledger.local_since(since))
        .unwrap_or_default();
    let (block, outcome) = ctx
        .ledger
        .produce(slot, &ctx.genesis, &ctx.genesis.limits, &ctx.key)?;
    ctx.metrics.blocks_produced.inc();
    tracing::info!(
        slot,
        height = outcome.height,
        hash = %outcome.hash.short(),
        txs = block.txs.len(),
        "produced block"
    );
    Some((block, fresh))
}

/// Runs until shutdown, waking at each slot start. Works with the block pipeline: it reads the
/// catch-up's production pause and hands our block to the compact-block path.
pub async fn run(blocks: Arc<Blocks>) {
    let ctx = &blocks.ctx;
    let genesis = ctx.genesis.clone();
    loop {
        let now = ctx.clock.now_ms();
        let slot = genesis.slot_at(now) + 1;
        let start = genesis.slot_start_ms(slot);
        let wait = tokio::time::sleep(Duration::from_millis(start.saturating_sub(now)));
        if ctx.tasks.unless_cancelled(wait).await.is_none() {
            return;
        }
        if genesis.producer_for_slot(slot) != ctx.key.address() {
            continue;
        }
        let paused_until = blocks
            .sync
            .production_paused_until_ms
            .load(Ordering::SeqCst);
        if ctx.clock.now_ms() < paused_until {
            tracing::info!(
                slot,
                "skipping our slot while catching up onto a verified head"
            );
            continue;
        }
        let head_slot = ctx.ledger.head().slot;
        if head_slot >= slot {
            // Already built on (the ledger checks again under its lock). With every clock
            // right this does not happen: some producer's clock, or ours, is off.
            tracing::info!(
                slot,
                head_slot,
                "our slot starts with the head already at or past it: skipped (a producer's clock, or ours, is off)"
            );
            continue;
        }
        let c = ctx.clone();
        let built = tokio::task::spawn_blocking(move || match c.tasks.meter() {
            Some(m) => m.measure(|| build(&c, slot)),
            None => build(&c, slot),
        });
        let Ok(Some((block, fresh))) = built.await else {
            continue;
        };
        let hash = block.hash();
        ctx.tracer.record(
            Kind::Block,
            &hash.0,
            ctx.clock.now_us(),
            None,
            Origin::Producer,
        );
        let message = message_for(&blocks, &Arc::new(block), &fresh);
        if let Err(e) = ctx.net.publish(Topic::Block, message).await {
            tracing::warn!(block = %hash.short(), error = %e, "block publish failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use rumor_mempool::Origin as PoolOrigin;

    use super::*;
    use crate::testing::{TestNet, WAIT, within};

    #[tokio::test]
    async fn builds_only_in_our_slots_on_the_head_with_pooled_txs() {
        let net = TestNet::new(2, 2);
        let me = net.authorities[0].clone();
        let node = net.node_with("a", me.clone(), |_| {});
        let tx = net.tx(0, 0, 5);
        node.ledger()
            .admit(vec![net.verified(tx.clone())], PoolOrigin::Local);
        let head = node.ledger().head();
        let ours = (head.slot + 1..)
            .find(|s| net.genesis.producer_for_slot(*s) == me.address())
            .unwrap();
        assert!(build(&node.ctx, ours + 1).is_none(), "not our slot");
        let (block, fresh) = build(&node.ctx, ours).expect("our slot");
        assert_eq!(block.txs, vec![tx.clone()]);
        assert_eq!(
            fresh,
            HashSet::from([tx.hash()]),
            "submitted here just now: a compact block sends it whole"
        );
        assert_eq!(block.header.producer, me.address());
        assert_eq!(node.ledger().head().hash, block.hash());
        assert_eq!(node.ctx.metrics.blocks_produced.get(), 1);
        assert!(build(&node.ctx, ours).is_none(), "once per slot");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_producer_imports_then_publishes_its_blocks() {
        // 100 ms slots, one authority: every slot is ours.
        let net = TestNet::with_slot_ms(1, 1, 100, 10);
        let node = net.node_with("a", net.authorities[0].clone(), |_| {});
        node.ctx.tasks.spawn(run(node.blocks.clone()));
        node.net
            .wait_until("a published block", |c| {
                c.published.iter().any(|(t, _)| *t == Topic::Block)
            })
            .await;
        // Shutdown stops the loop between slots.
        within("the producer to stop", node.ctx.tasks.shutdown(WAIT))
            .await
            .unwrap();
        let bytes = node.net.calls(|c| c.published[0].1.clone());
        let payload = rumor_p2p::decode_payload(Topic::Block, &bytes, &net.genesis.limits);
        let Ok(rumor_p2p::Payload::CompactBlock(compact)) = payload else {
            panic!("a compact block by default: {payload:?}");
        };
        let hash = compact.hash();
        let stored = node.ledger().read_chain(|c| c.block(&hash)).unwrap();
        let stored = stored.expect("imported before it was published");
        assert!(compact.matches(&stored));
    }
}
