//! The block pipeline: stage-1 checks on the verification pool, import against the parent's
//! state under the chain lock, orphans (unknown parent → buffer + fetch), equivocation, and
//! catch-up sync from peers that are ahead.

use std::num::NonZeroUsize;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rumor_chain::{Address, Block, BlockHash, ImportError, ImportOutcome, TxHash};
use rumor_p2p::protocol::sync::{MAX_BLOCKS_PER_REQUEST, MAX_RESPONSE_BYTES};
use rumor_p2p::{
    MessageId, Offence, PeerId, SyncRequest, SyncResponder, SyncResponse, Topic, Validation,
};

use crate::context::{Ctx, status_of};
use crate::ledger::{Imported, Ledger};
use crate::trace::{Kind, Origin, now_ms};

/// Ancestors fetched one by one for an orphan before giving up (longer gaps use range sync).
const MAX_PARENT_WALK: usize = 64;

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

/// Checks and imports one block from anywhere (gossip, sync, orphan resolution). On success,
/// blocks waiting for this one are imported too.
pub async fn import(ctx: &Arc<Ctx>, block: Block) -> Result<ImportOutcome, ImportError> {
    let Imported { outcome, children } = import_one(ctx, block).await?;
    // Children that were waiting for this block (iteratively, not recursively).
    let mut ready = children;
    while let Some(child) = ready.pop() {
        if let Ok(imported) = import_one(ctx, child).await {
            ready.extend(imported.children);
        }
    }
    Ok(outcome)
}

fn internal(e: impl std::fmt::Display) -> ImportError {
    ImportError::Store(rumor_chain::StoreError::Corrupt(e.to_string()))
}

async fn import_one(ctx: &Arc<Ctx>, block: Block) -> Result<Imported, ImportError> {
    // Txs already in our pool were verified on arrival; don't check their signatures again.
    let hashes: Vec<TxHash> = block.txs.iter().map(|t| t.hash()).collect();
    let known = ctx.ledger.pooled(hashes);
    let checked = ctx
        .verify
        .check_block(block, now_ms(), known, &ctx.metrics)
        .await
        .map_err(internal)??;
    ctx.ledger
        .blocking(move |l| l.import(checked))
        .await
        .map_err(internal)?
}

/// Records the first sight of a block that arrived by sync rather than gossip.
fn trace_sync(ctx: &Ctx, hash: &BlockHash, peer: PeerId) {
    ctx.tracer.record(
        Kind::Block,
        &hash.0,
        crate::trace::now_us(),
        Some(peer.to_string()),
        Origin::Sync,
    );
}

/// Buffers an orphan and walks back through its missing ancestors by hash from `peer`.
pub async fn resolve_orphan(ctx: &Arc<Ctx>, orphan: Block, peer: PeerId) {
    let mut want = orphan.header.parent;
    if ctx.ledger.buffer_orphan(orphan) {
        ctx.metrics.blocks_orphaned.inc();
    }
    for _ in 0..MAX_PARENT_WALK {
        let block = match ctx.net.sync(peer, SyncRequest::BlockByHash(want)).await {
            Ok(SyncResponse::Blocks(mut b)) if b.len() == 1 && b[0].hash() == want => b.remove(0),
            Ok(SyncResponse::Error(e)) => {
                tracing::debug!(%peer, error = %e, "peer could not serve an orphan's parent");
                return;
            }
            Ok(_) => {
                let _ = ctx.net.penalise(peer, Offence::BadSyncResponse).await;
                return;
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "parent fetch failed");
                return;
            }
        };
        let hash = block.hash();
        match import(ctx, block.clone()).await {
            Ok(_) => {
                trace_sync(ctx, &hash, peer);
                return;
            }
            Err(ImportError::AlreadyKnown(_)) => return,
            Err(ImportError::UnknownParent(p)) => {
                trace_sync(ctx, &hash, peer);
                ctx.ledger.buffer_orphan(block);
                want = p;
            }
            Err(e) => {
                if e.is_bad_block() {
                    let _ = ctx.net.penalise(peer, Offence::BadSyncResponse).await;
                }
                tracing::debug!(%peer, error = %e, "fetched parent rejected");
                return;
            }
        }
    }
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

/// Catches up from `peer` (whose head is at `target`) with range requests.
pub async fn catch_up(ctx: Arc<Ctx>, peer: PeerId, target: u64) {
    if ctx.syncing.swap(true, Ordering::SeqCst) {
        return;
    }
    tracing::info!(%peer, target, "catching up");
    loop {
        let mine = ctx.ledger.head().height;
        if mine >= target {
            break;
        }
        let request = SyncRequest::BlocksByRange {
            start: mine + 1,
            count: MAX_BLOCKS_PER_REQUEST,
        };
        let blocks = match ctx.net.sync(peer, request).await {
            Ok(SyncResponse::Blocks(b)) if !b.is_empty() => b,
            Ok(other) => {
                tracing::debug!(%peer, ?other, "catch-up ended");
                break;
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "catch-up request failed");
                break;
            }
        };
        let mut progressed = false;
        for b in blocks {
            let hash = b.hash();
            match import(&ctx, b.clone()).await {
                Ok(_) => {
                    trace_sync(&ctx, &hash, peer);
                    progressed = true;
                }
                Err(ImportError::AlreadyKnown(_)) => {}
                Err(ImportError::UnknownParent(_)) => {
                    // Our chain forked from theirs below our head: walk back by hash.
                    resolve_orphan(&ctx, b, peer).await;
                    progressed = true;
                    break;
                }
                Err(e) => {
                    if e.is_bad_block() {
                        let _ = ctx.net.penalise(peer, Offence::BadSyncResponse).await;
                    }
                    tracing::info!(%peer, error = %e, "catch-up block rejected");
                    break;
                }
            }
        }
        if !progressed {
            break;
        }
    }
    ctx.syncing.store(false, Ordering::SeqCst);
    tracing::info!(height = ctx.ledger.head().height, "catch-up done");
}

/// Answers a peer's sync request: the status from the head snapshot (no lock), blocks from
/// the store (blocking: call it on the blocking pool).
pub fn answer(ledger: &Ledger, request: SyncRequest) -> SyncResponse {
    let read = match request {
        SyncRequest::Status(_) => return SyncResponse::Status(status_of(&ledger.head())),
        SyncRequest::BlocksByRange { start, count } => ledger.read_chain(|chain| {
            chain
                .blocks_by_range(start, count.min(MAX_BLOCKS_PER_REQUEST), MAX_RESPONSE_BYTES)
                .map(SyncResponse::Blocks)
        }),
        SyncRequest::BlockByHash(h) => ledger.read_chain(|chain| {
            chain.block(&h).map(|b| match b {
                Some(b) => SyncResponse::Blocks(vec![b]),
                None => SyncResponse::Error("unknown block".into()),
            })
        }),
    };
    read.unwrap_or_else(|e| SyncResponse::Error(format!("store: {e}")))
}

/// Answers a peer's sync request and sends the answer.
pub async fn serve_sync(ctx: Arc<Ctx>, request: SyncRequest, responder: SyncResponder) {
    let response = match request {
        SyncRequest::Status(_) => answer(&ctx.ledger, request),
        request => ctx
            .ledger
            .blocking(move |l| answer(l, request))
            .await
            .unwrap_or_else(|_| SyncResponse::Error("internal".into())),
    };
    responder.respond(response);
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
