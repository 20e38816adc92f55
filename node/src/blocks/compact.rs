//! Compact blocks: publishing our blocks compact, rebuilding gossiped ones, and serving the
//! txs peers lack (`/rumor/blocktxn/1`).
//!
//! A gossiped compact block is screened on its header first (replay, stale, known: as a whole
//! block), then rebuilt from the pool; the txs the pool lacks are asked of the peer that sent
//! it, and if that fails (no answer in `blocktxn_timeout_ms`, a short-id collision, a wrong
//! answer) the whole block is fetched from that peer by hash. Only then does the block get
//! the verdict a whole block gets ([`super::gossip::conclude`]: header, signature, tx root,
//! equivocation), so validation order, verdicts and penalties are those of whole blocks.
//!
//! Invariants:
//! - A compact block is forwarded (`Accept`) only after it became a whole block that passed
//!   the header-level checks. Every forwarder therefore holds the whole block and can answer
//!   blocktxn requests for it ([`RecentBlocks`] until it is stored).
//! - Blame goes where the sender could have checked: a compact block whose short ids are not
//!   those of the block its header commits to (found by fetching the whole block) is rejected,
//!   as is a wrong blocktxn answer; a collision with our own pool, a busy or slow peer, or a
//!   block the peer no longer has costs nobody, and the message is ignored and forgotten so
//!   that another copy can be judged.
//! - The trace records a compact block when it became whole: that is when the node holds it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumor_chain::{Block, BlockHash, CompactBlock, PartialBlock};
use rumor_p2p::{
    BlockTxnRequest, BlockTxnResponder, BlockTxnResponse, MessageId, Offence, PeerId, SyncRequest,
    SyncResponse, Validation,
};

use super::gossip::{SlotCache, conclude, report, screen};
use super::state::Blocks;
#[cfg(doc)]
use super::state::RecentBlocks;
use crate::context::Ctx;
use crate::services::port::NetPort;

/// The block-topic message for our own block: compact (the txs submitted to us in the last
/// `compact_prefill_ms` sent whole, as peers are least likely to hold them yet) or whole,
/// per `[net] compact_blocks`. `fresh` holds those recent local txs' hashes.
pub fn message_for(
    blocks: &Blocks,
    block: &Arc<Block>,
    fresh: &std::collections::HashSet<rumor_chain::TxHash>,
) -> Vec<u8> {
    let ctx = &blocks.ctx;
    blocks.remember(block);
    let (form, bytes) = if ctx.config.net.compact_blocks {
        let nonce = nonce_for(&block.hash());
        let compact = CompactBlock::new(block, nonce, |tx| fresh.contains(&tx.hash()));
        ("compact", rumor_p2p::encode_compact(&compact))
    } else {
        ("full", rumor_p2p::encode_block(block))
    };
    ctx.metrics
        .block_bytes_published
        .get_or_create(&vec![("form", form)])
        .inc_by(bytes.len() as u64);
    bytes
}

/// A nonce nobody can predict before the block is out (std's randomly keyed SipHash of the
/// block hash), so no one can grind txs whose short ids collide under this block's key.
fn nonce_for(hash: &BlockHash) -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(hash.0)
}

/// How a compact block ended.
enum Rebuilt {
    /// Whole, and by which path (for the metric).
    Block(Box<Block>, &'static str),
    /// The compact block (or the answer to our request) was wrong in a way its sender could
    /// have checked.
    Bad(Offence),
    /// Could not be rebuilt for reasons nobody is to blame for.
    Failed(&'static str),
}

/// Handles a gossiped compact block (see the module note).
#[tracing::instrument(name = "gossip_compact", skip_all, fields(block = %compact.hash().short(), %from))]
pub async fn on_gossip_compact(
    blocks: Arc<Blocks>,
    slots: Arc<Mutex<SlotCache>>,
    id: MessageId,
    from: PeerId,
    compact: CompactBlock,
) {
    let ctx = blocks.ctx.clone();
    let received = Instant::now();
    let hash = compact.hash();
    if let Some(verdict) = screen(&blocks, &compact.header, hash, from).await {
        report(&ctx.metrics, ctx.net.as_ref(), id, from, verdict, received).await;
        return;
    }
    let outcome = rebuild(&ctx, &compact, from).await;
    let label: &'static str = match &outcome {
        Rebuilt::Block(_, how) => how,
        Rebuilt::Bad(_) => "bad",
        Rebuilt::Failed(_) => "failed",
    };
    ctx.metrics
        .compact_blocks
        .get_or_create(&vec![("result", label)])
        .inc();
    match outcome {
        Rebuilt::Block(block, _) => {
            let block = Arc::new(*block);
            blocks.remember(&block);
            let at = ctx.clock.now_us();
            conclude(blocks, &slots, id, from, block, received, at).await;
        }
        Rebuilt::Bad(Offence::BadCompactBlock) => {
            tracing::info!(%from, block = %hash.short(), "compact block whose short ids are not its block's");
            // Gossipsub penalises the sender of a rejected message.
            report(
                &ctx.metrics,
                ctx.net.as_ref(),
                id,
                from,
                Validation::Reject,
                received,
            )
            .await;
        }
        Rebuilt::Bad(offence) => {
            // A wrong answer to our request: the answer, not the message, was at fault.
            tracing::info!(%from, block = %hash.short(), ?offence, "wrong answer for a compact block");
            let _ = ctx.net.penalise(from, offence).await;
            ctx.net.seen().forget(&id);
            report(
                &ctx.metrics,
                ctx.net.as_ref(),
                id,
                from,
                Validation::Ignore,
                received,
            )
            .await;
        }
        Rebuilt::Failed(why) => {
            tracing::debug!(%from, block = %hash.short(), why, "compact block not rebuilt");
            // Not judged: forget it, so another copy (or sync) can bring it.
            ctx.net.seen().forget(&id);
            report(
                &ctx.metrics,
                ctx.net.as_ref(),
                id,
                from,
                Validation::Ignore,
                received,
            )
            .await;
        }
    }
}

/// Rebuilds `compact` from the pool, then from `from`'s answer, then from the whole block.
/// What the pool made of a compact block: a finished attempt, or slots still to fetch.
enum Pooled {
    Done(Result<Box<Block>, rumor_chain::CompactError>),
    Partial(Box<PartialBlock>),
}

async fn rebuild(ctx: &Ctx, compact: &CompactBlock, from: PeerId) -> Rebuilt {
    let Ok(mut partial) = compact.partial() else {
        // Two txs of the block share a short id: only the whole block helps.
        return whole(ctx, compact, from).await;
    };
    // The pool scan and, when it fills every slot, the tx-root check (a SHA-256 per tx and
    // the Merkle tree) run on the blocking pool, in one job: CPU work stays off the async
    // threads.
    let pooled = ctx
        .ledger
        .blocking(move |l| {
            l.offer_pool(&mut partial);
            if partial.missing().is_empty() {
                Pooled::Done(partial.finish().map(Box::new))
            } else {
                Pooled::Partial(Box::new(partial))
            }
        })
        .await;
    let finished = match pooled {
        Err(_) => return Rebuilt::Failed("shutting down"),
        Ok(Pooled::Done(done)) => done.map(|b| (b, "rebuilt")),
        Ok(Pooled::Partial(mut partial)) => {
            let missing = partial.missing();
            ctx.metrics.compact_missing_txs.inc_by(missing.len() as u64);
            let wait = Duration::from_millis(ctx.config.net.blocktxn_timeout_ms);
            match fetch_missing(ctx.net.as_ref(), wait, &mut partial, missing, from).await {
                Ok(()) => match ctx.ledger.blocking(move |_| partial.finish()).await {
                    Ok(done) => done.map(|b| (Box::new(b), "fetched")),
                    Err(_) => return Rebuilt::Failed("shutting down"),
                },
                Err(Some(offence)) => return Rebuilt::Bad(offence),
                Err(None) => return whole(ctx, compact, from).await,
            }
        }
    };
    match finished {
        Ok((block, how)) => Rebuilt::Block(block, how),
        // A collision with our pool, or a wrong list: the whole block tells which.
        Err(_) => whole(ctx, compact, from).await,
    }
}

/// Asks `from` for the `missing` txs. `Err(Some(_))`: its answer was wrong (it holds the
/// block, so it could have answered right); `Err(None)`: no usable answer, nobody's fault.
async fn fetch_missing(
    net: &dyn NetPort,
    wait: Duration,
    partial: &mut PartialBlock,
    missing: Vec<u32>,
    from: PeerId,
) -> Result<(), Option<Offence>> {
    let request = BlockTxnRequest::new(partial.hash(), missing);
    match tokio::time::timeout(wait, net.block_txn(from, request)).await {
        Ok(Ok(BlockTxnResponse::Txs(txs))) => partial
            .fill(txs)
            .map_err(|_| Some(Offence::BadBlockTxnResponse)),
        Ok(Ok(BlockTxnResponse::Error(e))) => {
            tracing::debug!(%from, error = %e, "blocktxn refused");
            Err(None)
        }
        Ok(Err(e)) => {
            tracing::debug!(%from, error = %e, "blocktxn failed");
            Err(None)
        }
        Err(_) => Err(None),
    }
}

/// Fetches the whole block from `from` by hash and checks that `compact` is its compact form.
async fn whole(ctx: &Ctx, compact: &CompactBlock, from: PeerId) -> Rebuilt {
    let hash = compact.hash();
    let answer = ctx.net.sync(from, SyncRequest::BlockByHash(hash)).await;
    let block = match answer {
        Ok(SyncResponse::Blocks(mut blocks)) if blocks.len() == 1 => blocks.remove(0),
        _ => return Rebuilt::Failed("the whole block could not be fetched"),
    };
    if block.hash() != hash {
        return Rebuilt::Failed("another block came back");
    }
    // Hashing every tx (short ids, tx root): on the blocking pool.
    let max_txs = ctx.genesis.limits.max_block_txs;
    let c = compact.clone();
    let judged = ctx
        .ledger
        .blocking(move |_| {
            let matches = c.matches(&block);
            let fits = block.txs.len() <= max_txs
                && rumor_chain::tx_root(&block.txs) == block.header.tx_root;
            (block, matches, fits)
        })
        .await;
    let Ok((block, matches, fits)) = judged else {
        return Rebuilt::Failed("shutting down");
    };
    if matches {
        Rebuilt::Block(Box::new(block), "full_fetch")
    } else if !fits {
        // The peer's block does not fit its own header: we cannot tell what the list was for.
        Rebuilt::Failed("the fetched block does not match its header")
    } else {
        Rebuilt::Bad(Offence::BadCompactBlock)
    }
}

/// Answers a blocktxn request from the recent blocks or the store.
pub async fn serve_block_txn(
    blocks: Arc<Blocks>,
    request: BlockTxnRequest,
    responder: BlockTxnResponder,
) {
    let ctx = &blocks.ctx;
    let hash = request.block();
    let recent = blocks
        .recent
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&hash);
    let block = match recent {
        Some(b) => Some(b),
        None => ctx
            .ledger
            .blocking(move |l| l.read_chain(|c| c.block(&hash).ok().flatten()))
            .await
            .ok()
            .flatten()
            .map(Arc::new),
    };
    let response = match block {
        None => BlockTxnResponse::Error("unknown block".into()),
        Some(b) => {
            let txs: Option<Vec<_>> = request
                .indexes
                .iter()
                .map(|&i| b.txs.get(i as usize).cloned())
                .collect();
            match txs {
                Some(txs) => BlockTxnResponse::Txs(txs),
                None => BlockTxnResponse::Error("index out of range".into()),
            }
        }
    };
    responder.respond(response);
}

#[cfg(test)]
mod tests {
    use rumor_mempool::Origin as PoolOrigin;
    use rumor_p2p::NetworkError;

    use super::*;
    use crate::services::port::NetPort;
    use crate::testing::{TestNet, TestNode, peer};

    /// A block of 4 txs built elsewhere on genesis, and its compact form.
    fn remote_block(net: &TestNet) -> (Block, CompactBlock) {
        let mut remote = net.store("remote");
        let txs = (0..4).map(|i| net.tx(i, 0, 5)).collect();
        let block = net.extend_with(&mut remote, 0, txs);
        let compact = CompactBlock::new(&block, 7, |_| false);
        (block, compact)
    }

    fn pool(node: &TestNode, net: &TestNet, txs: &[rumor_chain::SignedTransaction]) {
        let verified = txs.iter().map(|t| net.verified(t.clone())).collect();
        node.ledger().admit(verified, PoolOrigin::External);
    }

    async fn deliver(node: &TestNode, compact: &CompactBlock) -> Validation {
        let slots = Arc::new(super::super::slot_cache());
        let id = [9; 32];
        on_gossip_compact(node.blocks.clone(), slots, id, peer(1), compact.clone()).await;
        node.net.calls(|c| c.verdict(&id)).expect("a verdict")
    }

    fn outcomes(node: &TestNode, result: &'static str) -> u64 {
        node.ctx
            .metrics
            .compact_blocks
            .get_or_create(&vec![("result", result)])
            .get()
    }

    #[tokio::test]
    async fn a_compact_block_whose_txs_are_pooled_is_rebuilt_without_a_request() {
        let net = TestNet::new(2, 4);
        let node = net.node("a");
        let (block, compact) = remote_block(&net);
        pool(&node, &net, &block.txs);
        assert_eq!(deliver(&node, &compact).await, Validation::Accept);
        assert_eq!(node.ledger().head().hash, block.hash());
        assert!(
            node.net
                .calls(|c| c.block_txn_requests.is_empty() && c.sync_requests.is_empty())
        );
        assert_eq!(outcomes(&node, "rebuilt"), 1);
    }

    #[tokio::test]
    async fn missing_txs_are_asked_of_the_sender_by_index() {
        let net = TestNet::new(2, 4);
        let node = net.node("a");
        let (block, compact) = remote_block(&net);
        pool(&node, &net, &[block.txs[0].clone(), block.txs[2].clone()]);
        node.net.script_block_txn(Ok(BlockTxnResponse::Txs(vec![
            block.txs[1].clone(),
            block.txs[3].clone(),
        ])));
        assert_eq!(deliver(&node, &compact).await, Validation::Accept);
        let asked = node.net.calls(|c| c.block_txn_requests.clone());
        assert_eq!(
            asked,
            vec![(peer(1), BlockTxnRequest::new(block.hash(), vec![1, 3]))]
        );
        assert_eq!(node.ledger().head().hash, block.hash());
        assert_eq!(outcomes(&node, "fetched"), 1);
        assert_eq!(node.ctx.metrics.compact_missing_txs.get(), 2);
    }

    #[tokio::test]
    async fn a_wrong_answer_costs_its_sender_and_the_block_waits_for_another_copy() {
        let net = TestNet::new(2, 4);
        let node = net.node("a");
        let (block, compact) = remote_block(&net);
        pool(&node, &net, &block.txs[..3]);
        node.net
            .script_block_txn(Ok(BlockTxnResponse::Txs(vec![block.txs[0].clone()])));
        assert_eq!(deliver(&node, &compact).await, Validation::Ignore);
        assert_eq!(
            node.net.calls(|c| c.penalties.clone()),
            vec![(peer(1), Offence::BadBlockTxnResponse)]
        );
        assert!(
            !node.net.seen().contains(&[9; 32]),
            "forgotten: a copy is judged"
        );
        assert_eq!(node.ledger().head().height, 0);
    }

    #[tokio::test]
    async fn without_an_answer_the_whole_block_is_fetched_by_hash() {
        let net = TestNet::new(2, 4);
        let node = net.node("a");
        let (block, compact) = remote_block(&net);
        let remote = net.ledger("server", rumor_mempool::PoolConfig::default(), 8);
        remote.import(net.check(block.clone())).unwrap();
        node.net.serve_from(remote);
        node.net
            .script_block_txn(Err(NetworkError::Sync("timed out".into())));
        assert_eq!(deliver(&node, &compact).await, Validation::Accept);
        assert_eq!(node.ledger().head().hash, block.hash());
        assert_eq!(outcomes(&node, "full_fetch"), 1);
        assert!(node.net.calls(|c| c.penalties.is_empty()));
    }

    #[tokio::test]
    async fn a_short_id_list_that_is_not_the_blocks_is_rejected() {
        let net = TestNet::new(2, 4);
        let node = net.node("a");
        let (block, mut compact) = remote_block(&net);
        compact.short_ids.swap(0, 1);
        pool(&node, &net, &block.txs);
        let remote = net.ledger("server", rumor_mempool::PoolConfig::default(), 8);
        remote.import(net.check(block.clone())).unwrap();
        node.net.serve_from(remote);
        // Rebuilt in the wrong order: the tx root fails, the whole block shows the list wrong.
        assert_eq!(deliver(&node, &compact).await, Validation::Reject);
        assert_eq!(outcomes(&node, "bad"), 1);
        assert_eq!(node.ledger().head().height, 0);
    }

    #[tokio::test]
    async fn a_peer_that_cannot_serve_the_block_costs_nobody() {
        let net = TestNet::new(2, 4);
        let node = net.node("a");
        let (_, compact) = remote_block(&net);
        // The pool is empty, the sender does not answer, no peer serves the whole block.
        assert_eq!(deliver(&node, &compact).await, Validation::Ignore);
        assert!(node.net.calls(|c| c.penalties.is_empty()));
        assert_eq!(outcomes(&node, "failed"), 1);
    }

    async fn served(node: &TestNode, request: BlockTxnRequest) -> BlockTxnResponse {
        let (responder, rx) = rumor_p2p::Responder::channel();
        serve_block_txn(node.blocks.clone(), request, responder).await;
        rx.await.unwrap()
    }

    #[tokio::test]
    async fn blocktxn_is_answered_from_recent_blocks_and_from_the_store() {
        let net = TestNet::new(2, 4);
        let node = net.node("a");
        let (block, _) = remote_block(&net);
        let hash = block.hash();
        let ask = |i: Vec<u32>| BlockTxnRequest::new(hash, i);
        assert!(matches!(
            served(&node, ask(vec![0])).await,
            BlockTxnResponse::Error(_)
        ));
        node.blocks.remember(&Arc::new(block.clone()));
        assert_eq!(
            served(&node, ask(vec![1, 3])).await,
            BlockTxnResponse::Txs(vec![block.txs[1].clone(), block.txs[3].clone()])
        );
        assert!(matches!(
            served(&node, ask(vec![4])).await,
            BlockTxnResponse::Error(_)
        ));
        // Once stored, even when no longer recent.
        let other = net.node("b");
        other.ledger().import(net.check(block.clone())).unwrap();
        assert_eq!(
            served(&other, ask(vec![0])).await,
            BlockTxnResponse::Txs(vec![block.txs[0].clone()])
        );
    }
}
