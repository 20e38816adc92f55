//! Accepted gossip blocks into the chain, and orphans: a block whose parent is unknown is
//! buffered while its ancestors are fetched by hash from the peer that sent it.
//!
//! Invariants: an ancestor walk is bounded ([`MAX_PARENT_WALK`]) and stops at shutdown while
//! waiting for a peer; a walk that runs out hands over to a locator catch-up from the same
//! peer (which has no depth limit); a block not stored because the chain store is degraded is
//! noted (`Ctx::missed`) and caught up once the store is back.

use std::sync::Arc;

use rumor_chain::{Block, BlockHash, ImportError};
use rumor_p2p::{Offence, PeerId, Status, SyncRequest, SyncResponse};

use super::catchup::catch_up;
use super::import::{import, trace_sync};
use super::state::Blocks;

/// Ancestors fetched one by one for an orphan before handing over to a locator catch-up. The
/// usual orphan (a child that overtook its parent in gossip) needs one fetch; anything deeper
/// is a gap or a fork, which the locator finds in one round trip and fetches in ranges.
/// Measured: at 64, nodes healing from a 601-block partition through peers that had already
/// healed spent ~4 s walking one block per round trip before the catch-up started (16 nodes,
/// 250 ms slots, heal → one head 11.0 s).
pub const MAX_PARENT_WALK: usize = 4;

/// Imports an accepted gossip block (now, or when a held one falls due).
pub(super) async fn import_accepted(
    blocks: &Arc<Blocks>,
    block: Block,
    hash: BlockHash,
    from: PeerId,
) {
    let ctx = &blocks.ctx;
    match import(ctx, block.clone()).await {
        Ok(_) | Err(ImportError::AlreadyKnown(_)) => {}
        Err(ImportError::UnknownParent(_)) => resolve_orphan(blocks, block, from).await,
        Err(e) if e.is_bad_block() => {
            ctx.metrics.bad_bodies.inc();
            tracing::warn!(%from, producer = %block.header.producer.short(), block = %hash.short(), error = %e,
                "a block with a valid header failed full validation (its producer's fault, not the relayer's)");
        }
        Err(e) => {
            if e.io().is_some() {
                // Forwarded but not stored: caught up once the store is back.
                let claim = rumor_p2p::Status {
                    genesis: ctx.ledger.head().genesis,
                    head_height: block.header.height,
                    head_hash: hash,
                };
                ctx.missed.note(from, claim);
            }
            tracing::debug!(%from, block = %hash.short(), error = %e, "block not imported")
        }
    }
}

/// Buffers an orphan and walks back through its missing ancestors by hash from `peer`.
#[tracing::instrument(name = "orphan", skip_all, fields(block = %orphan.hash().short(), %peer))]
pub async fn resolve_orphan(blocks: &Arc<Blocks>, orphan: Block, peer: PeerId) {
    let ctx = &blocks.ctx;
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
    let b = blocks.clone();
    ctx.tasks.spawn(async move {
        catch_up(b, peer, claim).await;
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
            node.blocks.clone(),
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
            node.blocks.clone(),
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

        resolve_orphan(&node.blocks, chain[2].clone(), peer(7)).await;
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
        resolve_orphan(&node.blocks, chain[2].clone(), peer(1)).await;
        let penalties = node.net.calls(|c| c.penalties.clone());
        assert_eq!(penalties, vec![(peer(1), Offence::InvalidSyncData)]);

        node.net
            .script(Ok(SyncResponse::Error("unknown block".into())));
        node.net.script(Err(NetworkError::Busy));
        resolve_orphan(&node.blocks, chain[2].clone(), peer(2)).await;
        resolve_orphan(&node.blocks, chain[2].clone(), peer(3)).await;
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
        resolve_orphan(&node.blocks, chain[n - 1].clone(), peer(7)).await;
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
        resolve_orphan(&node.blocks, chain[1].clone(), peer(1)).await;
        assert_eq!(node.ledger().head().hash, chain[1].hash());
        assert_eq!(node.ledger().orphan_count(), 0);
    }
}
