//! Gossiped blocks: the verdict goes to gossipsub as soon as the header-level checks pass, so
//! a block travels on while this node checks its txs and imports it.
//!
//! Invariants: a block is forwarded (`Accept`) only if its header, producer signature and tx
//! root are valid and it is not a second block by its producer for its slot; a forwarded block
//! whose body then fails full validation costs its sender a penalty (`BadBlock`).

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rumor_chain::{Address, Block, BlockHash, ImportError};
use rumor_p2p::{MessageId, Offence, PeerId, Topic, Validation};

use super::import::{import, resolve_orphan};
use crate::context::Ctx;
use crate::trace::{Kind, Origin, now_ms};

/// Recently seen (producer, slot) → block, to spot a producer signing two blocks for one slot.
#[derive(Debug)]
pub struct SlotCache(lru::LruCache<(Address, u64), BlockHash>);

impl SlotCache {
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self(lru::LruCache::new(capacity))
    }

    /// Records the block; returns the other block if this producer already signed one for
    /// this slot.
    pub fn equivocation(
        &mut self,
        producer: Address,
        slot: u64,
        hash: BlockHash,
    ) -> Option<BlockHash> {
        match self.0.get(&(producer, slot)) {
            Some(h) if *h != hash => Some(*h),
            Some(_) => None,
            None => {
                self.0.put((producer, slot), hash);
                None
            }
        }
    }
}

/// Equivocation memory shared by the block tasks.
pub fn slot_cache() -> Mutex<SlotCache> {
    Mutex::new(SlotCache::new(NonZeroUsize::new(4096).expect("non-zero")))
}

/// Handles a gossiped block. The verdict goes to gossipsub as soon as the header-level checks
/// pass (producer, its signature, tx root, sizes, clock), so the block travels on while this
/// node checks the txs and imports it; a block whose body then fails costs its sender a penalty.
pub async fn on_gossip_block(
    ctx: Arc<Ctx>,
    slots: Arc<Mutex<SlotCache>>,
    id: MessageId,
    from: PeerId,
    block: Block,
    received_at_us: u64,
) {
    let received = Instant::now();
    let hash = block.hash();
    let block = Arc::new(block);
    let header = ctx
        .verify
        .check_header(block.clone(), now_ms(), &ctx.metrics)
        .await;
    let verdict = match header {
        Err(e) => {
            tracing::debug!(error = %e, "verification pool unavailable; block ignored");
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
            let other = slots
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .equivocation(block.header.producer, block.header.slot, hash);
            match other {
                Some(first) => {
                    ctx.metrics.equivocations.inc();
                    tracing::warn!(
                        producer = %block.header.producer.short(),
                        slot = block.header.slot,
                        first = %first.short(),
                        second = %hash.short(),
                        "equivocation: second block for the same slot ignored"
                    );
                    Validation::Ignore
                }
                None => Validation::Accept,
            }
        }
    };
    let label = match verdict {
        Validation::Accept => "accept",
        Validation::Reject => "reject",
        Validation::Ignore => "ignore",
    };
    ctx.metrics
        .validation
        .get_or_create(&vec![("kind", "block"), ("result", label)])
        .inc();
    ctx.metrics
        .validation_seconds
        .get_or_create(&vec![("kind", "block")])
        .observe(received.elapsed().as_secs_f64());
    let _ = ctx.net.report(id, from, Topic::Block, verdict).await;
    if verdict != Validation::Accept {
        return;
    }
    ctx.tracer.record(
        Kind::Block,
        &hash.0,
        received_at_us,
        Some(from.to_string()),
        Origin::Gossip,
    );
    let block = Arc::unwrap_or_clone(block);
    match import(&ctx, block.clone()).await {
        Ok(_) | Err(ImportError::AlreadyKnown(_)) => {}
        Err(ImportError::UnknownParent(_)) => resolve_orphan(&ctx, block, from).await,
        Err(e) if e.is_bad_block() => {
            tracing::warn!(%from, block = %hash.short(), error = %e, "forwarded block failed full validation");
            let _ = ctx.net.penalise(from, Offence::BadBlock).await;
        }
        Err(e) => tracing::debug!(%from, block = %hash.short(), error = %e, "block not imported"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivocation_is_a_second_distinct_block_for_a_slot() {
        let mut c = SlotCache::new(NonZeroUsize::new(8).unwrap());
        let p = Address([1; 32]);
        assert_eq!(c.equivocation(p, 5, BlockHash([1; 32])), None);
        assert_eq!(
            c.equivocation(p, 5, BlockHash([1; 32])),
            None,
            "the same block again"
        );
        assert_eq!(
            c.equivocation(p, 5, BlockHash([2; 32])),
            Some(BlockHash([1; 32]))
        );
        assert_eq!(c.equivocation(p, 6, BlockHash([2; 32])), None);
    }
}
