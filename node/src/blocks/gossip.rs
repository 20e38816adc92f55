//! Gossiped blocks: the verdict goes to gossipsub as soon as the header-level checks pass, so
//! a block travels on while this node checks its txs and imports it.
//!
//! Invariants: a block is forwarded (`Accept`) only if its header, producer signature and tx
//! root are valid and it is not a second block by its producer for its slot. Blame goes only
//! where the sender could have checked: a block whose slot is more than
//! `[chain] replay_window_slots` behind the clock is a replay and rejected (its sender penalised) before any other work; a block
//! more than [`STALE_DEPTH`] below our head, or one we already store, is ignored (not
//! forwarded, no penalty: an honest peer may relay a block we got by sync first). A forwarded
//! block whose body then fails full validation is *not* its relayer's fault (the relayer
//! checked what we checked before forwarding): it is counted and logged against its producer,
//! and no peer is penalised. A block from the future is held, refused or rejected by
//! [`super::future`] (the clock tolerance), after its header checks.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rumor_chain::{Address, Block, BlockHash, Equivocation, SignedHeader};
use rumor_p2p::{MessageId, Offence, PeerId, Topic, Validation};

use super::state::Blocks;
use crate::context::Ctx;
use crate::metrics::NodeMetrics;
use crate::services::ledger::Ledger;
use crate::services::port::NetPort;
use crate::services::trace::{Kind, Origin};

/// How far below our head a gossiped block is ignored unchecked. Gossip cannot make such a
/// block canonical (its branch would have to outgrow ours, which locator sync handles from the
/// peer's status); 64 is the depth the old orphan walk covered, far beyond the few blocks a
/// race or a slow link puts a honest block behind the head.
pub const STALE_DEPTH: u64 = 64;

/// The replay window never shrinks below this, however short the slots: an honest block can
/// arrive up to ~4 s late (the 4 s publish-queue TTL for blocks, gossipsub's ~3.5 s of IWANT
/// history). Measured: with 40 ms slots and no floor (64 slots = 2.6 s), two nodes healing a
/// partition banned each other for the blocks each had queued while cut off.
pub const MIN_REPLAY_WINDOW_MS: u64 = 10_000;

/// Whether a block for `slot` is a replay at `now_ms`: its slot started more than `window`
/// slots (`[chain] replay_window_slots`), and at least [`MIN_REPLAY_WINDOW_MS`], ago.
pub fn replayed(genesis: &rumor_chain::Genesis, window: u64, slot: u64, now_ms: u64) -> bool {
    let window_ms = window
        .saturating_mul(genesis.slot_ms)
        .max(MIN_REPLAY_WINDOW_MS);
    genesis.slot_start_ms(slot).saturating_add(window_ms) < now_ms
}

/// Recently seen (producer, slot) → the first block's signed header and the peer that
/// delivered it, to spot a producer signing two blocks for one slot. 4096 entries of ~250
/// bytes: over an hour of 1 s slots.
#[derive(Debug)]
pub struct SlotCache(lru::LruCache<(Address, u64), (SignedHeader, PeerId)>);

impl SlotCache {
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self(lru::LruCache::new(capacity))
    }

    /// Records the header (its signature checked) as delivered by `from`; returns the first
    /// header and its deliverer if this producer already signed another block for this slot.
    pub fn equivocation(
        &mut self,
        header: &SignedHeader,
        from: PeerId,
    ) -> Option<(SignedHeader, PeerId)> {
        let key = (header.header.producer, header.header.slot);
        match self.0.get(&key) {
            Some((first, by)) if first.hash() != header.hash() => Some((first.clone(), *by)),
            Some(_) => None,
            None => {
                self.0.put(key, (header.clone(), from));
                None
            }
        }
    }
}

/// Entries of the equivocation memory (see [`SlotCache`]).
pub const SLOT_CACHE: usize = 4096;

/// Equivocation memory shared by the block tasks.
pub fn slot_cache() -> Mutex<SlotCache> {
    Mutex::new(SlotCache::new(
        NonZeroUsize::new(SLOT_CACHE).expect("non-zero"),
    ))
}

/// Handles a gossiped block. The verdict goes to gossipsub as soon as the header-level checks
/// pass (producer, its signature, tx root, sizes, clock), so the block travels on while this
/// node checks the txs and imports it; a block whose body then fails costs its sender a penalty.
#[tracing::instrument(name = "gossip_block", skip_all, fields(block = %block.hash().short(), %from))]
pub async fn on_gossip_block(
    blocks: Arc<Blocks>,
    slots: Arc<Mutex<SlotCache>>,
    id: MessageId,
    from: PeerId,
    block: Block,
    received_at_us: u64,
) {
    let received = Instant::now();
    let hash = block.hash();
    if let Some(verdict) = screen(&blocks, &block.header, hash, from).await {
        report(
            &blocks.ctx.metrics,
            blocks.ctx.net.as_ref(),
            id,
            from,
            verdict,
            received,
        )
        .await;
        return;
    }
    conclude(
        blocks,
        &slots,
        id,
        from,
        Arc::new(block),
        received,
        received_at_us,
    )
    .await;
}

/// The checks before any signature work, on the header alone: a replay of an old slot is
/// rejected (its sender penalised), a stale or already stored block ignored. `None`: go on.
pub(super) async fn screen(
    blocks: &Blocks,
    header: &rumor_chain::BlockHeader,
    hash: BlockHash,
    from: PeerId,
) -> Option<Validation> {
    let ctx = &blocks.ctx;
    if replayed(
        &ctx.genesis,
        ctx.config.chain.replay_window_slots,
        header.slot,
        ctx.clock.now_ms(),
    ) {
        tracing::info!(%from, block = %hash.short(), slot = header.slot, "replayed old block rejected");
        ctx.metrics.replayed_blocks.inc();
        let _ = ctx.net.penalise(from, Offence::ReplayedBlock).await;
        return Some(Validation::Reject);
    }
    let why = unchecked_ignore(blocks, header.height, hash).await?;
    tracing::debug!(%from, block = %hash.short(), why, "block ignored before checks");
    Some(Validation::Ignore)
}

/// Counts and reports a verdict on block message `id` to gossipsub.
pub(super) async fn report(
    metrics: &NodeMetrics,
    net: &dyn NetPort,
    id: MessageId,
    from: PeerId,
    verdict: Validation,
    received: Instant,
) {
    metrics
        .validation
        .get_or_create(&vec![("kind", "block"), ("result", verdict.as_str())])
        .inc();
    metrics
        .validation_seconds
        .get_or_create(&vec![("kind", "block")])
        .observe(received.elapsed().as_secs_f64());
    let _ = net.report(id, from, Topic::Block, verdict).await;
}

/// The header-level verdict on a whole block (however it arrived), reported; then, if it
/// was accepted, trace and import.
pub(super) async fn conclude(
    blocks: Arc<Blocks>,
    slots: &Mutex<SlotCache>,
    id: MessageId,
    from: PeerId,
    block: Arc<Block>,
    received: Instant,
    received_at_us: u64,
) {
    let hash = block.hash();
    let verdict = judge(&blocks, slots, &block, hash, &id, from, received_at_us).await;
    report(
        &blocks.ctx.metrics,
        blocks.ctx.net.as_ref(),
        id,
        from,
        verdict,
        received,
    )
    .await;
    if verdict != Validation::Accept {
        return;
    }
    after_accept(blocks, block, hash, from, received_at_us).await;
}

/// A block gossiped again after gossipsub forgot it (already ignored by the network layer): if
/// its slot is outside the replay window, its sender replayed it and is penalised. No
/// lookup, no signature work.
pub async fn on_block_seen_again(ctx: &Ctx, from: PeerId, header: &rumor_chain::BlockHeader) {
    if replayed(
        &ctx.genesis,
        ctx.config.chain.replay_window_slots,
        header.slot,
        ctx.clock.now_ms(),
    ) {
        tracing::info!(%from, block = %header.hash().short(), slot = header.slot, "replayed old block (seen before) from peer");
        ctx.metrics.replayed_blocks.inc();
        let _ = ctx.net.penalise(from, Offence::ReplayedBlock).await;
    }
}

/// Why a block is ignored without any signature work: stale (far below our head) or already
/// stored or held for its slot. `None`: check it.
async fn unchecked_ignore(blocks: &Blocks, height: u64, hash: BlockHash) -> Option<&'static str> {
    let ctx = &blocks.ctx;
    if blocks.held.contains(&hash) {
        return Some("held");
    }
    // Saturating: the height is the sender's, up to u64::MAX (found by fuzzing: `+` overflowed,
    // a panic in debug builds and, wrapped in release, a far-future block called stale).
    if height.saturating_add(STALE_DEPTH) < ctx.ledger.head().height {
        return Some("stale");
    }
    let known = ctx
        .ledger
        .blocking(move |l| l.read_chain(|c| c.has_block(&hash).unwrap_or(false)))
        .await
        .unwrap_or(false);
    known.then_some("known")
}

/// The header-level verdict: producer, signature, tx root, sizes, equivocation, then the
/// clock ([`super::future`]: a block from the future is checked as of its slot first).
async fn judge(
    blocks: &Blocks,
    slots: &Mutex<SlotCache>,
    block: &Arc<Block>,
    hash: BlockHash,
    id: &MessageId,
    from: PeerId,
    received_at_us: u64,
) -> Validation {
    let ctx = &blocks.ctx;
    let at = super::future::check_at(ctx, &block.header);
    let header = ctx
        .verify
        .check_header(block.clone(), at, &ctx.metrics)
        .await;
    match header {
        Err(e) => {
            tracing::debug!(error = %e, "verification pool unavailable; block shed");
            // Not judged: forget it, so a later copy or sync can bring it back.
            ctx.net.seen().forget(id);
            ctx.metrics.count_shed("block", e.as_str(), 1);
            Validation::Ignore
        }
        Ok(Err(e)) if e.is_bad_block() => {
            tracing::info!(%from, block = %hash.short(), error = %e, "invalid block");
            Validation::Reject
        }
        Ok(Err(e)) => {
            tracing::debug!(%from, block = %hash.short(), error = %e, "block ignored");
            Validation::Ignore
        }
        Ok(Ok(())) => {
            let second = block.signed_header();
            let other = slots
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .equivocation(&second, from);
            match other {
                Some((first, first_from)) => {
                    on_equivocation(
                        ctx.net.as_ref(),
                        &ctx.ledger,
                        first,
                        first_from,
                        second,
                        from,
                    )
                    .await;
                    Validation::Ignore
                }
                None => super::future::verdict(blocks, &block.header, hash, from, received_at_us),
            }
        }
    }
}

/// A second block by one producer for one slot: not forwarded (an honest node forwards only
/// the first it sees), the proof kept. The peer that delivered both is penalised: an honest
/// relayer forwards one block per slot, so a second from the same peer is its own doing.
async fn on_equivocation(
    net: &dyn NetPort,
    ledger: &Arc<Ledger>,
    first: SignedHeader,
    first_from: PeerId,
    second: SignedHeader,
    from: PeerId,
) {
    tracing::info!(
        slot = second.header.slot,
        first = %first.hash().short(),
        second = %second.hash().short(),
        "second block for one slot: ignored, evidence kept"
    );
    if first_from == from {
        let _ = net.penalise(from, Offence::RelayedEquivocation).await;
    }
    let Ok(ev) = Equivocation::new(first, second) else {
        return;
    };
    let _ = ledger.blocking(move |l| l.record_equivocation(ev)).await;
}

/// An accepted block: traced, then imported (its body checked in full), or held first if its
/// slot is still ahead of the tolerance.
async fn after_accept(
    blocks: Arc<Blocks>,
    block: Arc<Block>,
    hash: BlockHash,
    from: PeerId,
    received_at_us: u64,
) {
    blocks.ctx.tracer.record(
        Kind::Block,
        &hash.0,
        received_at_us,
        Some(from.to_string()),
        Origin::Gossip,
    );
    if super::future::hold_if_early(&blocks, &block, from) {
        return;
    }
    super::orphan::import_accepted(&blocks, Arc::unwrap_or_clone(block), hash, from).await;
}

#[cfg(test)]
mod tests;
