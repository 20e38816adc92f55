//! Early blocks and the clock estimate in the gossip pipeline.
//!
//! A gossiped block whose slot starts ahead of our clock is checked as of the moment it
//! becomes admissible ([`check_at`]): producer, signature, tx root — so only real blocks are
//! held or counted. Then, by [`crate::clock::Tolerance`]: within the tolerance it goes on as
//! any block; early, it is forwarded (`Accept`: peers judge it by their own clocks) and held
//! in [`Holding`] until due, then imported by [`release`]; too early, it is ignored; far too
//! early while our clock agrees with the network's, rejected. Each outcome is counted
//! (`rumor_future_blocks_total{outcome}`) and noted in the log once a minute per producer.
//!
//! Every gossiped block with a valid header by another producer is a clock sample
//! ([`sample`]): the estimate is exported (`rumor_clock_offset_estimate_seconds`,
//! `chain_clock`), and the node warns once when it leaves the tolerance and once when it
//! returns.
//!
//! Invariants: a held block is imported through the same path as any accepted gossip block
//! ([`super::gossip::import_accepted`]), never before its slot is within the tolerance; the
//! buffer is bounded ([`crate::clock::held`]); the releaser sleeps until the next block is due
//! or a new one arrives, and stops at shutdown.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumor_chain::{Block, BlockHash, BlockHeader};
use rumor_p2p::{PeerId, Validation};
use tokio::sync::Notify;

use crate::clock::{Change, HeldBlocks, Inserted, Timing};
use crate::context::Ctx;

/// A held block and the peer that sent it (asked for its ancestors if they are missing).
#[derive(Debug)]
pub struct Held {
    block: Arc<Block>,
    from: PeerId,
}

/// The early-block buffer and the signal that wakes its releaser.
#[derive(Debug)]
pub struct Holding {
    blocks: Mutex<HeldBlocks<Held>>,
    changed: Notify,
}

impl Holding {
    pub fn new(capacity: usize) -> Self {
        Self {
            blocks: Mutex::new(HeldBlocks::new(capacity)),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HeldBlocks<Held>> {
        self.blocks.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn contains(&self, hash: &BlockHash) -> bool {
        self.lock().contains(hash)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

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
pub(super) fn sample(ctx: &Ctx, header: &BlockHeader, received_at_us: u64) {
    let start = ctx.genesis.slot_start_ms(header.slot);
    let change =
        ctx.clock_watch
            .observe(header.producer, header.slot, received_at_us / 1000, start);
    let standing = ctx.clock_watch.standing();
    let m = &ctx.metrics;
    m.clock_samples.set(standing.samples as i64);
    if let Some(e) = standing.estimate {
        m.clock_offset_estimate.set(e.offset_ms as f64 / 1000.0);
        m.clock_out_of_tolerance
            .set(i64::from(standing.within == Some(false)));
    }
    let tolerance_ms = ctx.clock_watch.tolerance().max_future_ms;
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

fn count(ctx: &Ctx, outcome: &'static str) {
    ctx.metrics
        .future_blocks
        .get_or_create(&vec![("outcome", outcome)])
        .inc();
}

/// The verdict, by its timing, on a gossiped block whose header checked out (and that is not
/// a second block for its slot).
pub(super) fn verdict(
    ctx: &Ctx,
    header: &BlockHeader,
    hash: BlockHash,
    from: PeerId,
) -> Validation {
    let start = ctx.genesis.slot_start_ms(header.slot);
    let now = ctx.clock.now_ms();
    let timing = ctx
        .clock_watch
        .tolerance()
        .timing(start, now, ctx.clock_watch.trusted());
    if timing == Timing::Now {
        return Validation::Accept;
    }
    let ahead_ms = start - now;
    if ctx.clock_watch.note_future(header.producer, Instant::now()) {
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
            count(ctx, "refused");
            Validation::Ignore
        }
        Timing::Reject => {
            tracing::info!(%from, block = %hash.short(), ahead_ms, "block far in the future while our clock agrees with the network's: rejected");
            count(ctx, "rejected");
            // Gossipsub penalises the sender of a rejected message (first judgement).
            Validation::Reject
        }
    }
}

/// An accepted gossiped block that is still early: held until its slot is within the
/// tolerance (true), or not early (false: import it now).
pub(super) fn hold_if_early(ctx: &Ctx, block: &Arc<Block>, from: PeerId) -> bool {
    let start = ctx.genesis.slot_start_ms(block.header.slot);
    let Timing::Hold { due_ms } =
        ctx.clock_watch
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
    let inserted = ctx.held.lock().insert(due_ms, hash, item);
    match inserted {
        Inserted::Held => count(ctx, "held"),
        Inserted::AlreadyHeld => {}
        Inserted::HeldDropping(dropped) => {
            count(ctx, "held");
            count(ctx, "dropped");
            tracing::info!(dropped = %dropped.short(), "held-block buffer full: dropped the block due last");
        }
        Inserted::Full => {
            count(ctx, "dropped");
            tracing::info!(block = %hash.short(), "held-block buffer full of blocks due sooner: not held");
        }
    }
    ctx.metrics.held_blocks.set(ctx.held.len() as i64);
    ctx.held.changed.notify_one();
    true
}

/// Imports held blocks as they fall due, until shutdown.
pub async fn release(ctx: Arc<Ctx>) {
    loop {
        let next = ctx.held.lock().next_due();
        let wait = match next {
            Some(due) => Duration::from_millis(due.saturating_sub(ctx.clock.now_ms())),
            None => Duration::from_secs(3600),
        };
        let woken = async {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = ctx.held.changed.notified() => {}
            }
        };
        if ctx.tasks.unless_cancelled(woken).await.is_none() {
            return;
        }
        let due = ctx.held.lock().take_due(ctx.clock.now_ms());
        if due.is_empty() {
            continue;
        }
        ctx.metrics.held_blocks.set(ctx.held.len() as i64);
        for Held { block, from } in due {
            count(&ctx, "released");
            let hash = block.hash();
            tracing::debug!(block = %hash.short(), slot = block.header.slot, "held block due: importing");
            super::gossip::import_accepted(&ctx, Arc::unwrap_or_clone(block), hash, from).await;
        }
    }
}
