//! The sync client: catches up from a peer whose head is ahead with range requests, walking
//! back by hash when our chain forked from theirs.
//!
//! Invariants: at most one catch-up runs at a time (`Ctx::syncing`, which also holds the
//! producer back); each round must make progress or the catch-up ends; a peer whose answer
//! holds an invalid block is penalised (`BadSyncResponse`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use rumor_chain::ImportError;
use rumor_p2p::protocol::sync::MAX_BLOCKS_PER_REQUEST;
use rumor_p2p::{Offence, PeerId, SyncRequest, SyncResponse};

use super::import::{import, resolve_orphan, trace_sync};
use crate::context::Ctx;

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
