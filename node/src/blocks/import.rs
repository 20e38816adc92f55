//! Import: stage-1 checks on the verification pool, then the ledger import on the blocking
//! pool; blocks whose parent is unknown are buffered while their ancestors are fetched by
//! hash from the peer that sent them.
//!
//! Invariants: an import never runs on an async thread and, once started, is never cut short
//! by shutdown; a block imported here releases the orphans waiting for it, which are imported
//! in turn (iteratively, not recursively); an ancestor walk is bounded ([`MAX_PARENT_WALK`])
//! and stops at shutdown while waiting for a peer; a walk that runs out hands over to a
//! locator catch-up from the same peer (which has no depth limit).

use std::collections::HashSet;
use std::sync::Arc;

use rumor_chain::{Block, BlockHash, Commit, ImportError, ImportOutcome, TxHash};
use rumor_p2p::{Offence, PeerId, Status, SyncRequest, SyncResponse};

use crate::context::Ctx;
use crate::ledger::Imported;
use crate::trace::{Kind, Origin};

/// Ancestors fetched one by one for an orphan before handing over to a locator catch-up. The
/// usual orphan (a child that overtook its parent in gossip) needs one fetch; anything deeper
/// is a gap or a fork, which the locator finds in one round trip and fetches in ranges.
/// Measured: at 64, nodes healing from a 601-block partition through peers that had already
/// healed spent ~4 s walking one block per round trip before the catch-up started (16 nodes,
/// 250 ms slots, heal → one head 11.0 s).
pub const MAX_PARENT_WALK: usize = 4;

/// Checks and imports one block from anywhere (gossip, sync, orphan resolution). On success,
/// blocks waiting for this one are imported too.
pub async fn import(ctx: &Arc<Ctx>, block: Block) -> Result<ImportOutcome, ImportError> {
    import_with(ctx, block, Commit::Durable).await
}

/// [`import`] with a choice of durability for this block (its waiting children are durable).
pub async fn import_with(
    ctx: &Arc<Ctx>,
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

async fn import_one(ctx: &Arc<Ctx>, block: Block, commit: Commit) -> Result<Imported, ImportError> {
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

/// Buffers an orphan and walks back through its missing ancestors by hash from `peer`.
#[tracing::instrument(name = "orphan", skip_all, fields(block = %orphan.hash().short(), %peer))]
pub async fn resolve_orphan(ctx: &Arc<Ctx>, orphan: Block, peer: PeerId) {
    let mut want = orphan.header.parent;
    let claim = Status {
        genesis: ctx.ledger.head().genesis,
        head_height: orphan.header.height,
        head_hash: orphan.hash(),
    };
    if ctx
        .ledger
        .blocking(move |l| l.buffer_orphan(orphan))
        .await
        .unwrap_or(false)
    {
        ctx.metrics.blocks_orphaned.inc();
    }
    for _ in 0..MAX_PARENT_WALK {
        let fetch = ctx.net.sync(peer, SyncRequest::BlockByHash(want));
        let Some(answer) = ctx.tasks.unless_cancelled(fetch).await else {
            tracing::debug!("orphan walk stopped by shutdown");
            return;
        };
        let block = match answer {
            Ok(SyncResponse::Blocks(mut b)) if b.len() == 1 && b[0].hash() == want => b.remove(0),
            Ok(SyncResponse::Error(e)) => {
                tracing::debug!(%peer, error = %e, "peer could not serve an orphan's parent");
                return;
            }
            Ok(_) => {
                let _ = ctx.net.penalise(peer, Offence::InvalidSyncData).await;
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
            Err(ImportError::AlreadyKnown(_)) => {
                // Imported meanwhile (by the task that brought it) — maybe after that import
                // took its waiting orphans but before ours was buffered: import those now.
                let waiting = ctx.ledger.blocking(move |l| l.take_orphans(&hash)).await;
                for child in waiting.unwrap_or_default() {
                    let _ = import(ctx, child).await;
                }
                return;
            }
            Err(ImportError::UnknownParent(p)) => {
                trace_sync(ctx, &hash, peer);
                let _ = ctx.ledger.blocking(move |l| l.buffer_orphan(block)).await;
                want = p;
            }
            Err(e) => {
                if e.is_bad_block() {
                    let _ = ctx.net.penalise(peer, Offence::InvalidSyncData).await;
                }
                tracing::debug!(%peer, error = %e, "fetched parent rejected");
                return;
            }
        }
    }
    // Deeper than the walk: find the fork point by locator instead (the catch-up verifies the
    // orphan as a claimed head first, and backs the peer off if it leads nowhere).
    tracing::info!("orphan's ancestry deeper than the walk: catching up by locator");
    let c = ctx.clone();
    ctx.tasks.spawn(async move {
        super::catch_up(c, peer, claim).await;
    });
}

#[cfg(test)]
mod tests {
    use rumor_p2p::NetworkError;

    use super::*;
    use crate::blocks::gossip::{on_gossip_block, slot_cache};
    use crate::testing::{TestNet, peer};

    fn requests(node: &crate::testing::TestNode) -> Vec<SyncRequest> {
        node.net
            .calls(|c| c.sync_requests.iter().map(|(_, r)| r.clone()).collect())
    }

    #[tokio::test]
    async fn a_child_before_its_parent_waits_then_both_import() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let slots = Arc::new(slot_cache());
        let mut remote = net.store("remote");
        let blocks = net.extend(&mut remote, 2);
        let (parent, child) = (&blocks[0], &blocks[1]);

        // The child first: forwarded (its header is fine), buffered, its parent asked for
        // (this fake has no peer to answer).
        on_gossip_block(
            node.ctx.clone(),
            slots.clone(),
            child.hash().0,
            peer(1),
            child.clone(),
            0,
        )
        .await;
        assert_eq!(node.ledger().head().height, 0);
        assert_eq!(node.ledger().orphan_count(), 1);
        assert_eq!(node.ctx.metrics.blocks_orphaned.get(), 1);
        assert_eq!(
            requests(&node),
            vec![SyncRequest::BlockByHash(parent.hash())]
        );

        // Then the parent: both are imported, the buffer is empty.
        on_gossip_block(
            node.ctx.clone(),
            slots,
            parent.hash().0,
            peer(2),
            parent.clone(),
            0,
        )
        .await;
        assert_eq!(node.ledger().head().hash, child.hash());
        assert_eq!(node.ledger().head().height, 2);
        assert_eq!(node.ledger().orphan_count(), 0);
        assert_eq!(node.ctx.metrics.orphan_buffer.get(), 0);
        let verdicts = node
            .net
            .calls(|c| c.reports.iter().map(|r| r.3).collect::<Vec<_>>());
        assert_eq!(verdicts, vec![rumor_p2p::Validation::Accept; 2]);
    }

    #[tokio::test]
    async fn an_orphans_missing_ancestors_are_fetched_by_hash_from_its_sender() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let (remote, chain) = net.remote("remote", 3);
        node.net.serve_from(remote.clone());

        resolve_orphan(&node.ctx, chain[2].clone(), peer(7)).await;
        assert_eq!(node.ledger().head().hash, chain[2].hash());
        assert_eq!(node.ledger().orphan_count(), 0);
        assert_eq!(
            requests(&node),
            vec![
                SyncRequest::BlockByHash(chain[1].hash()),
                SyncRequest::BlockByHash(chain[0].hash()),
            ]
        );
        assert!(
            node.net
                .calls(|c| c.sync_requests.iter().all(|(p, _)| *p == peer(7)))
        );
    }

    #[tokio::test]
    async fn a_wrong_answer_to_a_parent_fetch_is_penalised_an_error_is_not() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let mut store = net.store("builder");
        let chain = net.extend(&mut store, 3);
        // Asked for block 1, the peer answers with block 0.
        node.net
            .script(Ok(SyncResponse::Blocks(vec![chain[0].clone()])));
        resolve_orphan(&node.ctx, chain[2].clone(), peer(1)).await;
        let penalties = node.net.calls(|c| c.penalties.clone());
        assert_eq!(penalties, vec![(peer(1), Offence::InvalidSyncData)]);

        node.net
            .script(Ok(SyncResponse::Error("unknown block".into())));
        node.net.script(Err(NetworkError::Busy));
        resolve_orphan(&node.ctx, chain[2].clone(), peer(2)).await;
        resolve_orphan(&node.ctx, chain[2].clone(), peer(3)).await;
        assert_eq!(node.net.calls(|c| c.penalties.len()), 1, "no new penalty");
        assert_eq!(node.ledger().orphan_count(), 1, "held once");
        assert_eq!(node.ledger().head().height, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_orphan_deeper_than_the_walk_is_handed_to_a_locator_catch_up() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let n = MAX_PARENT_WALK + 10;
        let (remote, chain) = net.remote("remote", n);
        node.net.serve_from(remote);
        resolve_orphan(&node.ctx, chain[n - 1].clone(), peer(7)).await;
        crate::testing::head_until(node.ledger(), "the orphan's chain", |h| {
            h.hash == chain[n - 1].hash()
        })
        .await;
        let kinds = node.net.calls(|c| {
            c.sync_requests
                .iter()
                .map(|(_, r)| r.kind())
                .collect::<Vec<_>>()
        });
        assert_eq!(kinds[MAX_PARENT_WALK - 1], "block_by_hash");
        assert!(kinds.contains(&"headers_by_locator"), "{kinds:?}");
        crate::testing::within("shutdown", node.ctx.tasks.shutdown(crate::testing::WAIT))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_orphan_whose_parent_lands_during_the_walk_is_not_stranded() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let (remote, chain) = net.remote("remote", 2);
        node.net.serve_from(remote);
        // The parent is imported by someone else after the child failed with an unknown
        // parent, but before the child was buffered (so that import released nothing).
        node.ledger().import(net.check(chain[0].clone())).unwrap();
        resolve_orphan(&node.ctx, chain[1].clone(), peer(1)).await;
        assert_eq!(node.ledger().head().hash, chain[1].hash());
        assert_eq!(node.ledger().orphan_count(), 0);
    }
}
