//! The sync client: catches up from a peer whose head is ahead with range requests, walking
//! back by hash when our chain forked from theirs.
//!
//! Invariants: at most one catch-up runs at a time (`Ctx::syncing`, which also holds the
//! producer back, and is released however the catch-up ends); each round must make progress
//! or the catch-up ends; a peer whose answer holds an invalid block is penalised
//! (`BadSyncResponse`); shutdown ends it between requests or while waiting for an answer,
//! never in the middle of an import.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rumor_chain::ImportError;
use rumor_p2p::MAX_BLOCKS_PER_REQUEST;
use rumor_p2p::{Offence, PeerId, SyncRequest, SyncResponse};

use super::import::{import, resolve_orphan, trace_sync};
use crate::context::Ctx;

/// Holds `Ctx::syncing` while alive.
struct Syncing<'a>(&'a AtomicBool);

impl Drop for Syncing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Catches up from `peer` (whose head is at `target`) with range requests.
#[tracing::instrument(name = "catch_up", skip_all, fields(%peer, target))]
pub async fn catch_up(ctx: Arc<Ctx>, peer: PeerId, target: u64) {
    if ctx.syncing.swap(true, Ordering::SeqCst) {
        return;
    }
    let _syncing = Syncing(&ctx.syncing);
    tracing::info!("catching up");
    loop {
        let mine = ctx.ledger.head().height;
        if mine >= target {
            break;
        }
        let request = SyncRequest::BlocksByRange {
            start: mine + 1,
            count: MAX_BLOCKS_PER_REQUEST,
        };
        let Some(answer) = ctx
            .tasks
            .unless_cancelled(ctx.net.sync(peer, request))
            .await
        else {
            tracing::debug!("catch-up stopped by shutdown");
            break;
        };
        let blocks = match answer {
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
    tracing::info!(height = ctx.ledger.head().height, "catch-up done");
}

#[cfg(test)]
mod tests {
    use rumor_p2p::MAX_BLOCKS_PER_REQUEST;

    use super::*;
    use crate::testing::{TestNet, TestNode, WAIT, peer, within};

    fn requests(node: &TestNode) -> Vec<SyncRequest> {
        node.net
            .calls(|c| c.sync_requests.iter().map(|(_, r)| r.clone()).collect())
    }

    #[tokio::test]
    async fn catch_up_requests_ranges_until_level_and_imports_every_block() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let n = MAX_BLOCKS_PER_REQUEST as usize + 6;
        let (remote, chain) = net.remote("remote", n);
        node.net.serve_from(remote);
        catch_up(node.ctx.clone(), peer(1), n as u64).await;
        assert_eq!(node.ledger().head().hash, chain[n - 1].hash());
        assert_eq!(
            requests(&node),
            vec![
                SyncRequest::BlocksByRange {
                    start: 1,
                    count: MAX_BLOCKS_PER_REQUEST
                },
                SyncRequest::BlocksByRange {
                    start: MAX_BLOCKS_PER_REQUEST + 1,
                    count: MAX_BLOCKS_PER_REQUEST
                },
            ]
        );
        assert_eq!(node.ctx.metrics.blocks_imported.get(), n as u64);
        assert!(
            !node.ctx.syncing.load(Ordering::SeqCst),
            "producer released"
        );
    }

    #[tokio::test]
    async fn catch_up_onto_a_fork_walks_back_and_reorgs() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        // Our own block at height 1, in a slot the remote chain skipped.
        let mut ours = net.store("ours");
        let mine = net.extend_with(&mut ours, 1, vec![]);
        node.ledger().import(net.check(mine)).unwrap();
        let (remote, chain) = net.remote("remote", 3);
        node.net.serve_from(remote);

        catch_up(node.ctx.clone(), peer(1), 3).await;
        assert_eq!(node.ledger().head().hash, chain[2].hash());
        assert_eq!(node.ctx.metrics.reorgs.get(), 1);
        assert_eq!(
            requests(&node),
            vec![
                SyncRequest::BlocksByRange {
                    start: 2,
                    count: MAX_BLOCKS_PER_REQUEST
                },
                SyncRequest::BlockByHash(chain[0].hash()),
                SyncRequest::BlocksByRange {
                    start: 3,
                    count: MAX_BLOCKS_PER_REQUEST
                },
            ]
        );
    }

    #[tokio::test]
    async fn a_failed_catch_up_ends_and_releases_the_producer() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        // No peer answers this fake.
        catch_up(node.ctx.clone(), peer(1), 10).await;
        assert_eq!(requests(&node).len(), 1);
        assert!(!node.ctx.syncing.load(Ordering::SeqCst));
        assert_eq!(node.ledger().head().height, 0);
    }

    #[tokio::test]
    async fn an_invalid_block_in_a_range_answer_is_penalised() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let mut store = net.store("builder");
        let chain = net.extend(&mut store, 2);
        let mut bad = chain[1].clone();
        bad.header.timestamp += 1; // no longer what the producer signed
        node.net
            .script(Ok(SyncResponse::Blocks(vec![chain[0].clone(), bad])));
        catch_up(node.ctx.clone(), peer(4), 2).await;
        assert_eq!(node.ledger().head().hash, chain[0].hash());
        let penalties = node.net.calls(|c| c.penalties.clone());
        assert_eq!(penalties, vec![(peer(4), Offence::BadSyncResponse)]);
    }

    #[tokio::test]
    async fn only_one_catch_up_runs_at_a_time() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        node.ctx.syncing.store(true, Ordering::SeqCst);
        catch_up(node.ctx.clone(), peer(1), 10).await;
        assert!(requests(&node).is_empty());
        assert!(
            node.ctx.syncing.load(Ordering::SeqCst),
            "the running one still owns it"
        );
    }

    #[tokio::test]
    async fn shutdown_ends_a_catch_up_waiting_for_its_peer() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        node.net.hold_sync();
        node.ctx
            .tasks
            .spawn(catch_up(node.ctx.clone(), peer(1), 10));
        node.net
            .wait_until("a request in flight", |c| c.held == 1)
            .await;
        assert!(node.ctx.syncing.load(Ordering::SeqCst));
        within("the catch-up to stop", node.ctx.tasks.shutdown(WAIT))
            .await
            .unwrap();
        assert!(
            !node.ctx.syncing.load(Ordering::SeqCst),
            "released on the way out"
        );
        assert_eq!(requests(&node).len(), 1, "no request after shutdown");
    }
}
