//! Bodies for checked headers: fetched by range from the peer that sent the headers, each
//! answer required to hold exactly the headers' blocks in order, then imported.
//!
//! Invariants: a block at a height other than the one asked for, or an answer of another
//! kind, is a `BadSyncResponse` offence; a block at the right height but with another hash
//! (the peer's chain moved) stops the fetch without penalty; ranges are at most
//! `MAX_BLOCKS_PER_REQUEST` blocks; every request is bounded by the catch-up's deadline; a
//! range's blocks are durable once its last block is (one fsync per range, not per block).

use rumor_chain::{Block, Commit, ImportError, SignedHeader};
use rumor_p2p::{MAX_BLOCKS_PER_REQUEST, Offence, PeerId, SyncRequest, SyncResponse};
use tokio::time::Instant;

use super::import::{import_with, trace_sync};
use super::request::{ask, penalise};
use crate::context::Ctx;

/// Fetches the blocks of `headers` (checked, consecutive) by range and imports them; each
/// answer must hold exactly those blocks, in order. `None` if it stopped early.
pub(super) async fn fetch_bodies(
    ctx: &Ctx,
    peer: PeerId,
    headers: &[SignedHeader],
    deadline: Instant,
) -> Option<()> {
    let mut next = 0;
    while next < headers.len() {
        let want = &headers[next..headers.len().min(next + MAX_BLOCKS_PER_REQUEST as usize)];
        let request = SyncRequest::BlocksByRange {
            start: want[0].header.height,
            count: want.len() as u64,
        };
        let blocks: Vec<Block> = match ask(ctx, peer, request, deadline).await? {
            Ok(SyncResponse::Blocks(b)) if !b.is_empty() && b.len() <= want.len() => b,
            Ok(SyncResponse::Blocks(b)) if b.is_empty() => return None,
            Ok(SyncResponse::Error(e)) => {
                tracing::debug!(error = %e, "range not served");
                return None;
            }
            Ok(_) => {
                penalise(
                    ctx.net.as_ref(),
                    peer,
                    Offence::InvalidSyncData,
                    "not the asked range",
                )
                .await;
                return None;
            }
            Err(e) => {
                tracing::debug!(error = %e, "range request failed");
                return None;
            }
        };
        let last = blocks.len() - 1;
        for (i, (block, header)) in blocks.into_iter().zip(want).enumerate() {
            if block.header.height != header.header.height {
                penalise(
                    ctx.net.as_ref(),
                    peer,
                    Offence::BadSyncResponse,
                    "block outside the asked range",
                )
                .await;
                return None;
            }
            let hash = block.hash();
            if hash != header.hash() {
                // Their chain moved since the headers (or a lie): nothing to build on.
                tracing::debug!(
                    height = header.header.height,
                    "range does not match the headers"
                );
                return None;
            }
            // One fsync per range: the range's last block makes the ones before it durable.
            let commit = if i == last {
                Commit::Durable
            } else {
                Commit::Deferred
            };
            match import_with(ctx, block, commit).await {
                Ok(_) => trace_sync(ctx, &hash, peer),
                Err(ImportError::AlreadyKnown(_)) => {}
                Err(e) => {
                    if e.is_bad_block() {
                        penalise(
                            ctx.net.as_ref(),
                            peer,
                            Offence::InvalidSyncData,
                            "invalid block",
                        )
                        .await;
                    }
                    tracing::info!(error = %e, "catch-up block rejected");
                    return None;
                }
            }
            next += 1;
        }
    }
    Some(())
}
