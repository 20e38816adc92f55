//! Early blocks and the clock estimate in the gossip pipeline.
//!
//! A gossiped block whose slot starts ahead of our clock is checked as of the moment it
//! becomes admissible ([`check_at`]): producer, signature, tx root — so only real blocks are
//! held or counted. Then, by [`crate::services::clock::Tolerance`]: within the tolerance it goes
//! on as any block; early, it is forwarded (`Accept`: peers judge it by their own clocks) and held
//! in [`Holding`] until due, then imported by [`release`]; too early, it is ignored; far too
//! early while our clock agrees with the network's, rejected. Each outcome is counted
//! (`rumor_future_blocks_total{outcome}`) and noted in the log once a minute per producer.
//!
//! Every gossiped block with a valid header by another producer, unless rejected, is a clock
//! sample: the estimate is exported (`rumor_clock_offset_estimate_seconds`,
//! `chain_clock`), and the node warns once when it leaves the tolerance and once when it
//! returns.
//!
//! Invariants: a held block is imported through the same path as any accepted gossip block
//! (`orphan::import_accepted`), never before its slot is within the tolerance; the
//! buffer is bounded ([`crate::services::clock::held`]); the releaser sleeps until the next
//! block is due or a new one arrives, and stops at shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rumor_chain::{Block, BlockHash, BlockHeader};
use rumor_p2p::{PeerId, Validation};

use super::state::{Blocks, Held};
use crate::context::Ctx;
use crate::metrics::NodeMetrics;
use crate::services::clock::{Change, Inserted, Timing};

/// The time (our clock) to check a gossiped block's header at: now, or for a block from the
/// future the moment it becomes admissible, so its signature is checked before its timing
/// decides what becomes of it ([`verdict`]).
pub(super) fn check_at(ctx: &Ctx, header: &BlockHeader) -> u64 {
    let start = ctx.genesis.slot_start_ms(header.slot);
    let now = ctx.clock.now_ms();
    now.max(start.saturating_sub(ctx.config.chain.max_future_ms))
}

/// A gossiped block whose header checked out, received at `received_at_us` (our clock): a
/// clock sample. Updates the estimate's metrics and warns when its standing changes.
fn sample(blocks: &Blocks, header: &BlockHeader, received_at_us: u64) {
    let ctx = &blocks.ctx;
    let start = ctx.genesis.slot_start_ms(header.slot);
    let change =
        blocks
            .clock_watch
            .observe(header.producer, header.slot, received_at_us / 1000, start);
    let standing = blocks.clock_watch.standing();
    let m = &ctx.metrics;
    m.clock_samples.set(standing.samples as i64);
    if let Some(e) = standing.estimate {
        m.clock_offset_estimate.set(e.offset_ms as f64 / 1000.0);
        m.clock_out_of_tolerance
            .set(i64::from(standing.within == Some(false)));
    }
    let tolerance_ms = blocks.clock_watch.tolerance().max_future_ms;
    match change {
        Some(Change::Left(e)) if e.offset_ms > 0 => tracing::warn!(
            offset_ms = e.offset_ms,
            tolerance_ms,
            producers = e.producers,
            samples = e.samples,
            "our clock runs ahead of the other producers' by about {} ms, beyond the {tolerance_ms} ms tolerance: \
             peers hold or refuse the blocks we produce (run NTP)",
            e.offset_ms
        ),
        Some(Change::Left(e)) => tracing::warn!(
            offset_ms = e.offset_ms,
            tolerance_ms,
            producers = e.producers,
            samples = e.samples,
            "our clock runs behind the other producers' by about {} ms, beyond the {tolerance_ms} ms tolerance: \
             we hold or refuse their blocks, and ours arrive late (run NTP)",
            e.offset_ms.unsigned_abs()
        ),
        Some(Change::Returned(e)) => tracing::info!(
            offset_ms = e.offset_ms,
            tolerance_ms,
            producers = e.producers,
            "our clock is back within the tolerance of the other producers'"
        ),
        None => {}
    }
}

fn count(metrics: &NodeMetrics, outcome: &'static str) {
    metrics
        .future_blocks
        .get_or_create(&vec![("outcome", outcome)])
        .inc();
}

/// The verdict, by its timing, on a gossiped block whose header checked out (and that is not
/// a second block for its slot), received at `received_at_us`; the block is a clock sample
/// unless it is rejected (then our clock is known good and the block is its sender's fault).
pub(super) fn verdict(
    blocks: &Blocks,
    header: &BlockHeader,
    hash: BlockHash,
    from: PeerId,
    received_at_us: u64,
) -> Validation {
    let ctx = &blocks.ctx;
    let start = ctx.genesis.slot_start_ms(header.slot);
    let now = ctx.clock.now_ms();
    let timing = blocks
        .clock_watch
        .tolerance()
        .timing(start, now, blocks.clock_watch.trusted());
    if timing != Timing::Reject {
        sample(blocks, header, received_at_us);
    }
    if timing == Timing::Now {
        return Validation::Accept;
    }
    let ahead_ms = start - now;
    if blocks
        .clock_watch
        .note_future(header.producer, Instant::now())
    {
        tracing::warn!(
            producer = %header.producer.short(),
            slot = header.slot,
            ahead_ms,
            outcome = timing.as_str(),
            "blocks by this producer arrive {ahead_ms} ms before their slot by our clock: its clock or ours is off"
        );
    }
    match timing {
        Timing::Now | Timing::Hold { .. } => Validation::Accept,
        Timing::Refuse => {
            tracing::debug!(%from, block = %hash.short(), ahead_ms, "block too far in the future to hold: ignored");
            count(&ctx.metrics, "refused");
            Validation::Ignore
        }
        Timing::Reject => {
            tracing::info!(%from, block = %hash.short(), ahead_ms, "block far in the future while our clock agrees with the network's: rejected");
            count(&ctx.metrics, "rejected");
            // Gossipsub penalises the sender of a rejected message (first judgement).
            Validation::Reject
        }
    }
}

/// An accepted gossiped block that is still early: held until its slot is within the
/// tolerance (true), or not early (false: import it now).
pub(super) fn hold_if_early(blocks: &Blocks, block: &Arc<Block>, from: PeerId) -> bool {
    let ctx = &blocks.ctx;
    let start = ctx.genesis.slot_start_ms(block.header.slot);
    let Timing::Hold { due_ms } =
        blocks
            .clock_watch
            .tolerance()
            .timing(start, ctx.clock.now_ms(), true)
    else {
        return false;
    };
    let hash = block.hash();
    let item = Held {
        block: block.clone(),
        from,
    };
    let inserted = blocks.held.lock().insert(due_ms, hash, item);
    match inserted {
        Inserted::Held => count(&ctx.metrics, "held"),
        Inserted::AlreadyHeld => {}
        Inserted::HeldDropping(dropped) => {
            count(&ctx.metrics, "held");
            count(&ctx.metrics, "dropped");
            tracing::info!(dropped = %dropped.short(), "held-block buffer full: dropped the block due last");
        }
        Inserted::Full => {
            count(&ctx.metrics, "dropped");
            tracing::info!(block = %hash.short(), "held-block buffer full of blocks due sooner: not held");
        }
    }
    ctx.metrics.held_blocks.set(blocks.held.len() as i64);
    blocks.held.changed.notify_one();
    true
}

/// Imports held blocks as they fall due, until shutdown.
pub async fn release(blocks: Arc<Blocks>) {
    let ctx = &blocks.ctx;
    loop {
        let next = blocks.held.lock().next_due();
        let wait = match next {
            Some(due) => Duration::from_millis(due.saturating_sub(ctx.clock.now_ms())),
            None => Duration::from_secs(3600),
        };
        let woken = async {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = blocks.held.changed.notified() => {}
            }
        };
        if ctx.tasks.unless_cancelled(woken).await.is_none() {
            return;
        }
        let due = blocks.held.lock().take_due(ctx.clock.now_ms());
        if due.is_empty() {
            continue;
        }
        ctx.metrics.held_blocks.set(blocks.held.len() as i64);
        for Held { block, from } in due {
            count(&ctx.metrics, "released");
            let hash = block.hash();
            tracing::debug!(block = %hash.short(), slot = block.header.slot, "held block due: importing");
            super::orphan::import_accepted(&blocks, Arc::unwrap_or_clone(block), hash, from).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use rumor_chain::Keypair;

    use super::*;
    use crate::blocks::gossip::{on_gossip_block, slot_cache};
    use crate::testing::{TestNet, TestNode, head_until, now_ms, peer, within};

    /// Delivers `block` from peer `n`, received at `at_ms` (the node's clock).
    async fn deliver(node: &TestNode, block: &Block, n: u8, at_ms: u64) {
        let slots = Arc::new(slot_cache());
        let id = block.hash().0;
        on_gossip_block(
            node.blocks.clone(),
            slots,
            id,
            peer(n),
            block.clone(),
            at_ms * 1000,
        )
        .await;
    }

    fn verdicts(node: &TestNode) -> Vec<Validation> {
        node.net
            .calls(|c| c.reports.iter().map(|(.., v)| *v).collect())
    }

    fn counted(node: &TestNode, outcome: &'static str) -> u64 {
        node.ctx
            .metrics
            .future_blocks
            .get_or_create(&vec![("outcome", outcome)])
            .get()
    }

    /// A block on genesis for the first slot starting at least `ahead_ms` after now.
    fn block_ahead(net: &TestNet, ahead_ms: u64) -> Block {
        let mut store = net.store(&format!("builder-{ahead_ms}"));
        let slot = net.genesis.slot_at(now_ms() + ahead_ms) + 1;
        net.extend_with(&mut store, slot - 1, vec![])
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_early_block_is_forwarded_held_and_imported_when_its_slot_comes() {
        // 100 ms slots: a block 700..800 ms ahead is due 200..300 ms from now.
        let net = TestNet::with_slot_ms(2, 1, 100, 1000);
        let node = net.node("a");
        let block = block_ahead(&net, 700);
        deliver(&node, &block, 1, now_ms()).await;
        assert_eq!(verdicts(&node), vec![Validation::Accept], "forwarded");
        assert!(node.blocks.held.contains(&block.hash()));
        assert_eq!(node.ctx.metrics.held_blocks.get(), 1);
        assert_eq!(counted(&node, "held"), 1);
        assert_eq!(node.ledger().head().height, 0, "not before its slot");
        // Another copy is ignored before any check, and held once.
        deliver(&node, &block, 2, now_ms()).await;
        assert_eq!(verdicts(&node)[1], Validation::Ignore);
        assert_eq!(counted(&node, "held"), 1);

        node.ctx.tasks.spawn(release(node.blocks.clone()));
        head_until(node.ledger(), "the held block imported", |h| {
            h.hash == block.hash()
        })
        .await;
        assert!(
            now_ms() + node.ctx.config.chain.max_future_ms
                >= net.genesis.slot_start_ms(block.header.slot),
            "imported once within the tolerance"
        );
        assert_eq!(counted(&node, "released"), 1);
        assert!(node.blocks.held.is_empty());
        assert!(node.net.calls(|c| c.penalties.is_empty()));
        within("shutdown", node.ctx.tasks.shutdown(crate::testing::WAIT))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_block_beyond_the_hold_window_is_ignored_without_blame() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let block = block_ahead(&net, 15_000);
        deliver(&node, &block, 1, now_ms()).await;
        assert_eq!(verdicts(&node), vec![Validation::Ignore]);
        assert!(node.blocks.held.is_empty());
        assert_eq!(counted(&node, "refused"), 1);
        assert!(node.net.calls(|c| c.penalties.is_empty()));
        assert_eq!(node.ledger().head().height, 0);
    }

    #[tokio::test]
    async fn a_block_far_in_the_future_is_rejected_only_once_our_clock_is_known_good() {
        // Four producers: one that sends far-future blocks is outvoted in the estimate.
        let net = TestNet::new(4, 1);
        let node = net.node("a");
        // Our clock is not known yet: the sender's may be the right one.
        deliver(&node, &block_ahead(&net, 120_000), 1, now_ms()).await;
        assert_eq!(verdicts(&node), vec![Validation::Ignore]);
        // Three blocks of three other producers, on time: our clock agrees with theirs.
        let mut store = net.store("on-time");
        let slot = net.genesis.slot_at(now_ms()) - 3;
        let on_time = net.extend_with(&mut store, slot - 1, vec![]);
        let mut blocks = vec![on_time];
        blocks.extend(net.extend(&mut store, 2));
        for b in &blocks {
            let start = net.genesis.slot_start_ms(b.header.slot);
            deliver(&node, b, 2, start + 15).await;
        }
        assert!(node.blocks.clock_watch.trusted());
        deliver(&node, &block_ahead(&net, 130_000), 3, now_ms()).await;
        assert_eq!(verdicts(&node).last(), Some(&Validation::Reject));
        assert_eq!(counted(&node, "rejected"), 1);
        assert_eq!(counted(&node, "refused"), 1);
    }

    #[tokio::test]
    async fn a_node_whose_clock_runs_ahead_sees_it_in_the_blocks_it_receives() {
        let net = TestNet::with_slot_ms(3, 1, 1000, 100);
        let node = net.node_with("a", Keypair::from_label("test/node-a"), |c| {
            c.clock_offset_ms = 2_000;
        });
        assert!(node.ctx.clock.now_ms() >= now_ms() + 2_000);
        let mut store = net.store("remote");
        let blocks = net.extend(&mut store, 4);
        for b in &blocks {
            // Each arrives 2 s (and a little) after its slot starts, by our clock.
            let start = net.genesis.slot_start_ms(b.header.slot);
            deliver(&node, b, 1, start + 2_000 + b.header.slot % 7).await;
        }
        assert_eq!(verdicts(&node), vec![Validation::Accept; 4]);
        let standing = node.blocks.clock_watch.standing();
        let e = standing.estimate.expect("an estimate");
        assert!((2_000..2_007).contains(&e.offset_ms), "{e:?}");
        assert_eq!((standing.samples, standing.within), (4, Some(false)));
        let m = &node.ctx.metrics;
        assert!((m.clock_offset_estimate.get() - 2.0).abs() < 0.01);
        assert_eq!(m.clock_samples.get(), 4);
        assert_eq!(m.clock_out_of_tolerance.get(), 1);
    }
}
