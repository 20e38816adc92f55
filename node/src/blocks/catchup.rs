//! The sync client: headers first from a block locator, then bodies by range, from a peer that
//! claims a better head. Heals forks of any depth (up to `[chain] finality_depth`, if set).
//!
//! Invariants:
//! - **A claim is verified before it is acted on**: the claimed head block is fetched by hash
//!   and must have the claimed hash and height and pass `check_header` (producer, signature,
//!   slot not in the future). A claim that cannot be backed starts nothing.
//! - **No claim holds production hostage**: an unverified claim never pauses the producer; a
//!   verified one (a real authority's signed head) pauses it for at most
//!   [`MAX_PRODUCTION_PAUSE`] (`CatchUpState::production_paused_until_ms`, cleared when the
//!   catch-up ends), so the syncing side of a partition stops extending its own branch and
//!   switches; a peer whose catch-up did not move our head is backed off before it can pause us
//!   again.
//! - **Every answer is checked against the request**: headers must chain from a hash of our
//!   locator ([`super::headers`]); bodies must be exactly the headers' blocks, in order. A
//!   wrong answer is an offence of its sender: [`Offence::InvalidSyncData`] when no honest node
//!   could send it (a false claim, another kind of answer, an invalid block),
//!   [`Offence::BadSyncResponse`] when a moving chain can explain it.
//! - **Progress means our head moved**: a catch-up that ends with the same head backs the peer
//!   off ([`Backoff`], exponential, bounded); each round must advance through the peer's chain
//!   or the catch-up ends.
//! - **Bounded**: one catch-up lasts at most [`MAX_SYNC_TIME`]; a round asks for at most
//!   `MAX_HEADERS_PER_REQUEST` headers and bodies in `MAX_BLOCKS_PER_REQUEST` ranges; a reorg
//!   deeper than `finality_depth` is refused and logged. Shutdown ends it between requests or
//!   while waiting for an answer, never in the middle of an import.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rumor_chain::{BlockHash, MAX_HEADERS_PER_REQUEST, check_header};
use rumor_p2p::{Offence, PeerId, Status, SyncRequest, SyncResponse};
use tokio::time::Instant;

use super::headers::check_headers;
use super::request::{ask, penalise};
use super::state::{Blocks, CatchUpState};
use crate::context::Ctx;

pub use super::backoff::Backoff;

/// The longest one catch-up may run.
pub const MAX_SYNC_TIME: Duration = Duration::from_secs(120);
/// How long a catch-up of a *verified* claim may hold our producer back: long enough that a
/// partition of equal halves settles (the side that syncs stops extending its own branch),
/// short enough that no claim holds production hostage (and backoff stops repeats).
pub const MAX_PRODUCTION_PAUSE: Duration = Duration::from_secs(15);

/// Holds `CatchUpState::syncing` while alive.
struct Syncing<'a>(&'a CatchUpState);

impl Drop for Syncing<'_> {
    fn drop(&mut self) {
        self.0.syncing.store(false, Ordering::SeqCst);
        self.0.production_paused_until_ms.store(0, Ordering::SeqCst);
    }
}

/// How a catch-up ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Our head moved.
    Progressed,
    /// It ran but our head did not move: the peer is backed off.
    NoProgress,
    /// The claim could not be backed (nothing asked beyond the claimed block): backed off.
    Unbacked,
    /// Not started: the peer is backed off, another catch-up runs, or the claim is not better.
    Skipped,
}

/// Whether a peer's status claims a head our fork choice would prefer (the store's
/// [`rumor_chain::beats`]: strictly higher; an equal-height rival is not worth a sync).
pub fn claims_better(claim: &Status, mine: (u64, BlockHash)) -> bool {
    claim.head_hash != mine.1 && rumor_chain::beats(claim.head_height, mine.0)
}

/// Catches up from `peer`, which claims the head `claim`.
#[tracing::instrument(name = "catch_up", skip_all, fields(%peer, target = claim.head_height))]
pub async fn catch_up(blocks: Arc<Blocks>, peer: PeerId, claim: Status) -> Outcome {
    let (ctx, state) = (&blocks.ctx, &blocks.sync);
    let start = ctx.ledger.head();
    if claim.genesis != start.genesis || !claims_better(&claim, (start.height, start.hash)) {
        return Outcome::Skipped;
    }
    if !state.backoff.ready(&peer, std::time::Instant::now()) {
        tracing::debug!("peer backed off");
        return Outcome::Skipped;
    }
    if !ctx.ledger.storage().chain_usable() {
        return Outcome::Skipped; // It could store nothing, and the peer would be backed off.
    }
    if state.syncing.swap(true, Ordering::SeqCst) {
        return Outcome::Skipped;
    }
    let _syncing = Syncing(state);
    let deadline = Instant::now() + MAX_SYNC_TIME;
    let outcome = if verify_claim(ctx, peer, &claim, deadline).await {
        tracing::info!("catching up");
        let pause = ctx.clock.now_ms() + MAX_PRODUCTION_PAUSE.as_millis() as u64;
        state
            .production_paused_until_ms
            .store(pause, Ordering::SeqCst);
        let mut cursor = None;
        while let Some(next) = round(ctx, peer, &claim, cursor, deadline).await {
            cursor = Some(next);
        }
        if ctx.ledger.head().hash != start.hash {
            Outcome::Progressed
        } else {
            Outcome::NoProgress
        }
    } else {
        Outcome::Unbacked
    };
    let label = match outcome {
        Outcome::Progressed => "progressed",
        Outcome::NoProgress => "no_progress",
        Outcome::Unbacked | Outcome::Skipped => "unbacked",
    };
    ctx.metrics
        .catch_ups
        .get_or_create(&vec![("outcome", label)])
        .inc();
    if outcome == Outcome::Progressed {
        state.backoff.succeeded(&peer);
    } else {
        let wait = state.backoff.failed(peer, std::time::Instant::now());
        tracing::debug!(?outcome, ?wait, "peer backed off");
    }
    ctx.metrics
        .sync_backoff_peers
        .set(state.backoff.len() as i64);
    tracing::info!(height = ctx.ledger.head().height, ?outcome, "catch-up done");
    outcome
}

/// Fetches the claimed head block and checks it is what was claimed and a valid block header.
async fn verify_claim(ctx: &Ctx, peer: PeerId, claim: &Status, deadline: Instant) -> bool {
    let request = SyncRequest::BlockByHash(claim.head_hash);
    let block = match ask(ctx, peer, request, deadline).await {
        Some(Ok(SyncResponse::Blocks(mut b))) if b.len() == 1 => b.remove(0),
        Some(Ok(SyncResponse::Error(e))) => {
            tracing::debug!(error = %e, "claimed head not served");
            return false;
        }
        Some(Ok(_)) => {
            penalise(
                ctx.net.as_ref(),
                peer,
                Offence::InvalidSyncData,
                "not the claimed block",
            )
            .await;
            return false;
        }
        Some(Err(e)) => {
            tracing::debug!(error = %e, "claimed head fetch failed");
            return false;
        }
        None => return false,
    };
    if block.hash() != claim.head_hash || block.header.height != claim.head_height {
        penalise(
            ctx.net.as_ref(),
            peer,
            Offence::InvalidSyncData,
            "claimed head does not match its status",
        )
        .await;
        return false;
    }
    match check_header(&block, &ctx.genesis, &ctx.config.chain, ctx.clock.now_ms()) {
        Ok(_) => true,
        Err(e) => {
            if e.is_bad_block() {
                penalise(
                    ctx.net.as_ref(),
                    peer,
                    Offence::InvalidSyncData,
                    "claimed head is invalid",
                )
                .await;
            }
            tracing::info!(error = %e, "claimed head refused");
            false
        }
    }
}

/// One round: the headers after our locator (led by `cursor`, the last header of the previous
/// round), checked; the bodies we lack, checked against them and imported. `Some(last header)`
/// to go on, `None` when done or failed.
async fn round(
    ctx: &Ctx,
    peer: PeerId,
    claim: &Status,
    cursor: Option<BlockHash>,
    deadline: Instant,
) -> Option<BlockHash> {
    if Instant::now() >= deadline {
        return None;
    }
    let ours = match ctx.ledger.blocking(|l| l.read_chain(|c| c.locator())).await {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "locator");
            return None;
        }
        Err(_) => return None,
    };
    let locator: Vec<BlockHash> = cursor.into_iter().chain(ours).collect();
    let request = SyncRequest::HeadersByLocator {
        locator: locator.clone(),
        max: MAX_HEADERS_PER_REQUEST,
    };
    let headers = match ask(ctx, peer, request, deadline).await? {
        Ok(SyncResponse::Headers(h)) => h,
        Ok(SyncResponse::Error(e)) => {
            tracing::debug!(error = %e, "headers not served");
            return None;
        }
        Ok(_) => {
            penalise(
                ctx.net.as_ref(),
                peer,
                Offence::InvalidSyncData,
                "not headers",
            )
            .await;
            return None;
        }
        Err(e) => {
            tracing::debug!(error = %e, "headers request failed");
            return None;
        }
    };
    let last = headers.last()?.hash();
    let full = headers.len() as u64 >= MAX_HEADERS_PER_REQUEST;
    let parent = headers[0].header.parent;
    let hashes: Vec<(BlockHash, u64)> = headers
        .iter()
        .map(|h| (h.hash(), h.header.height))
        .collect();
    // Our header of the parent; how many leading headers we hold, and how many are canonical.
    let read = ctx.ledger.blocking(move |l| {
        l.read_chain(|c| -> Result<_, rumor_chain::StoreError> {
            let ancestor = c.header(&parent)?;
            let mut known = 0;
            while known < hashes.len() && c.has_block(&hashes[known].0)? {
                known += 1;
            }
            let mut canonical = 0;
            while canonical < known
                && c.canonical_hash(hashes[canonical].1)? == Some(hashes[canonical].0)
            {
                canonical += 1;
            }
            Ok((ancestor, known, canonical))
        })
    });
    let (ancestor, known, canonical) = match read.await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "store read");
            return None;
        }
        Err(_) => return None,
    };
    let checked = check_headers(
        &locator,
        ancestor.as_ref(),
        &headers,
        &ctx.genesis,
        &ctx.config.chain,
        ctx.clock.now_ms(),
    );
    if let Err(e) = checked {
        if e.is_offence() {
            penalise(
                ctx.net.as_ref(),
                peer,
                Offence::BadSyncResponse,
                &e.to_string(),
            )
            .await;
        }
        tracing::info!(error = %e, "headers refused");
        return None;
    }
    let ancestor = ancestor?;
    if Some(parent) != cursor
        && refused_by_finality(
            ctx.config.chain.finality_depth,
            ctx.ledger.head().height,
            ancestor.height + canonical as u64,
        )
    {
        return None;
    }
    super::bodies::fetch_bodies(ctx, peer, &headers[known..], deadline).await?;
    // Go on through their chain (which may grow meanwhile) until we stand on its last header
    // or an answer brings nothing new; the deadline bounds it.
    let head = ctx.ledger.head();
    let more = cursor != Some(last) && head.hash != last;
    let _ = (full, claim);
    more.then_some(last)
}

/// Whether a branch forking from our canonical chain at `fork_height` would reorg deeper than
/// the configured finality depth (logged if so).
fn refused_by_finality(finality_depth: Option<u64>, head_height: u64, fork_height: u64) -> bool {
    let Some(finality) = finality_depth else {
        return false;
    };
    let depth = head_height.saturating_sub(fork_height);
    if depth > finality {
        tracing::warn!(
            depth,
            finality,
            fork_height,
            "refusing a reorg deeper than the finality depth"
        );
        return true;
    }
    false
}

#[cfg(test)]
mod tests;
