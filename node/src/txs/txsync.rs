//! Mempool anti-entropy, the node's side of `/rumor/txsync/1` (pull, as eth/68's
//! `NewPooledTransactionHashes` + `GetPooledTransactions`): on connect and every few seconds
//! the node pulls a peer's pending-tx digest, asks for the txs it does not know by hash, and
//! feeds them through the normal tx pipeline (verify on the verification pool → admit on the
//! blocking pool). It answers peers' digests and gets from its own pool, off the async
//! threads. Txs a reorg returned to the pool are published again on each round.
//!
//! # Invariants
//!
//! - A fetched tx is pooled only if it passes the same checks as a gossiped one; a tx invalid
//!   everywhere (bad signature, wrong chain), or a tx we did not ask for, costs the peer that
//!   served it a penalty ([`Offence::BadTxSyncResponse`]). Overload and stateful refusals
//!   (stale nonce, pool full) cost it nothing.
//! - A hash is asked for only if it is not in the seen-cache, not pooled and not in the
//!   canonical chain.
//! - Pool reads for answers run on the blocking pool ([`Ledger::blocking`]).
//!
//! # Bounds
//!
//! - One pull asks for at most [`MAX_DIGEST_HASHES`] hashes, fetched in gets of at most
//!   [`MAX_GET_HASHES`] one after another (so one pull has one request in flight); the network
//!   caps requests in flight and answer sizes, and rate-limits peers' requests.
//! - Pulls on connect run at most [`CONNECT_PULLS`] at once (more connections skip theirs:
//!   the periodic round catches up); the periodic round pulls `txsync_peers` peers in turn.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use rumor_chain::{SignedTransaction, TxHash};
use rumor_mempool::Origin;
use rumor_p2p::{
    MAX_DIGEST_HASHES, MAX_GET_HASHES, MAX_TXS_RESPONSE_BYTES, NetworkError, Offence, PeerId,
    Topic, TxSyncRequest, TxSyncResponder, TxSyncResponse,
};

use crate::context::Ctx;
use crate::metrics::NodeMetrics;
use crate::services::ledger::Ledger;
use crate::services::port::NetPort;
use crate::services::trace::{Kind, Origin as TraceOrigin};

/// Pulls started by new connections that may run at once.
pub const CONNECT_PULLS: usize = 2;

/// Why a pull stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Net(#[from] NetworkError),
    #[error("peer refused: {0}")]
    Refused(String),
    #[error("peer answered garbage: {0}")]
    Garbage(&'static str),
    #[error("ledger unavailable")]
    Interrupted,
}

/// What one pull did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pulled {
    /// Hashes in the peer's digest.
    pub announced: usize,
    /// Of them, unknown here (asked for).
    pub missing: usize,
    pub accepted: usize,
    pub ignored: usize,
    pub rejected: usize,
}

/// Answers a txsync request from the pool. Blocking: call on the blocking pool.
pub fn answer(ledger: &Ledger, request: TxSyncRequest) -> TxSyncResponse {
    match request {
        TxSyncRequest::Digest { max } => {
            TxSyncResponse::Digest(ledger.pending_hashes((max as usize).min(MAX_DIGEST_HASHES)))
        }
        TxSyncRequest::Get(hashes) => {
            let mut bytes = 0;
            let mut txs = Vec::new();
            for h in hashes.into_iter().take(MAX_GET_HASHES) {
                let Some((tx, _)) = ledger.pool_get(&TxHash(h)) else {
                    continue;
                };
                bytes += tx.encode().len();
                if bytes > MAX_TXS_RESPONSE_BYTES {
                    break;
                }
                txs.push(tx);
            }
            TxSyncResponse::Txs(txs)
        }
    }
}

/// Serves one inbound request (dropping the responder answers "unavailable").
pub async fn serve(ledger: Arc<Ledger>, request: TxSyncRequest, responder: TxSyncResponder) {
    if let Ok(response) = ledger.blocking(move |l| answer(l, request)).await {
        responder.respond(response);
    }
}

/// Pulls `peer`'s digest and fetches the txs unknown here.
#[tracing::instrument(name = "txsync_pull", skip(ctx), fields(%peer))]
pub async fn pull(ctx: &Arc<Ctx>, peer: PeerId) -> Result<Pulled, PullError> {
    let max = MAX_DIGEST_HASHES as u32;
    let hashes = match ctx.net.txsync(peer, TxSyncRequest::Digest { max }).await? {
        TxSyncResponse::Digest(h) => h,
        TxSyncResponse::Error(e) => return Err(PullError::Refused(e)),
        TxSyncResponse::Txs(_) => {
            return Err(garbage(ctx.net.as_ref(), peer, "txs for a digest").await);
        }
    };
    let mut pulled = Pulled {
        announced: hashes.len(),
        ..Pulled::default()
    };
    let mut distinct = HashSet::with_capacity(hashes.len());
    let seen = ctx.net.seen();
    let candidates: Vec<TxHash> = hashes
        .into_iter()
        .filter(|h| !seen.contains(&h.0) && distinct.insert(*h))
        .collect();
    let missing = if candidates.is_empty() {
        Vec::new()
    } else {
        ctx.ledger
            .blocking(move |l| l.unknown_txs(candidates))
            .await
            .map_err(|_| PullError::Interrupted)?
    };
    pulled.missing = missing.len();
    for chunk in missing.chunks(MAX_GET_HASHES) {
        let txs = match ctx.net.txsync(peer, TxSyncRequest::get(chunk)).await? {
            TxSyncResponse::Txs(txs) => txs,
            TxSyncResponse::Error(e) => return Err(PullError::Refused(e)),
            TxSyncResponse::Digest(_) => {
                return Err(garbage(ctx.net.as_ref(), peer, "a digest for a get").await);
            }
        };
        let asked: HashSet<&TxHash> = chunk.iter().collect();
        let mut served = HashSet::new();
        if !txs.iter().all(|t| {
            let h = t.hash();
            asked.contains(&h) && served.insert(h)
        }) {
            return Err(garbage(ctx.net.as_ref(), peer, "txs not asked for").await);
        }
        let (accepted, ignored, rejected) = admit_fetched(ctx, peer, txs).await;
        pulled.accepted += accepted;
        pulled.ignored += ignored;
        pulled.rejected += rejected;
    }
    if pulled.missing > 0 {
        tracing::debug!(?pulled, "pulled missing txs");
    }
    Ok(pulled)
}

async fn garbage(net: &dyn NetPort, peer: PeerId, what: &'static str) -> PullError {
    let _ = net.penalise(peer, Offence::BadTxSyncResponse).await;
    PullError::Garbage(what)
}

/// The tx pipeline for fetched txs: verify → admit, marked seen once pooled; a tx invalid
/// everywhere penalises `peer` (once per answer). Returns (accepted, ignored, rejected).
async fn admit_fetched(
    ctx: &Arc<Ctx>,
    peer: PeerId,
    txs: Vec<SignedTransaction>,
) -> (usize, usize, usize) {
    let n = txs.len();
    let results = match ctx.verify.verify_txs(txs, true, &ctx.metrics).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, n, "shedding fetched txs");
            count(&ctx.metrics, "ignored", n);
            return (0, n, 0);
        }
    };
    let (mut ignored, mut rejected) = (0, 0);
    let mut valid = Vec::new();
    for r in results {
        match r {
            Ok(v) => valid.push(v),
            Err(e) if e.is_bad_transaction() => rejected += 1,
            Err(_) => ignored += 1,
        }
    }
    let hashes: Vec<TxHash> = valid.iter().map(|v| v.hash()).collect();
    let m = valid.len();
    let admitted = if valid.is_empty() {
        Vec::new()
    } else {
        let admit = ctx
            .ledger
            .blocking(move |l| l.admit(valid, Origin::External));
        match admit.await {
            Ok(r) => r,
            // The runtime is going away: local trouble, never the peer's fault.
            Err(_) => {
                count(&ctx.metrics, "ignored", ignored + m);
                return (0, ignored + m, rejected);
            }
        }
    };
    let mut accepted = 0;
    for (h, r) in hashes.iter().zip(&admitted) {
        match r {
            Ok(_) => {
                accepted += 1;
                if ctx.net.seen().insert(h.0) {
                    ctx.tracer.record(
                        Kind::Tx,
                        &h.0,
                        ctx.clock.now_us(),
                        Some(peer.to_string()),
                        TraceOrigin::Sync,
                    );
                }
            }
            Err(e) if e.is_bad_transaction() => rejected += 1,
            Err(_) => ignored += 1,
        }
    }
    count(&ctx.metrics, "accepted", accepted);
    count(&ctx.metrics, "ignored", ignored);
    count(&ctx.metrics, "rejected", rejected);
    if rejected > 0 {
        tracing::info!(%peer, rejected, "peer served invalid txs");
        let _ = ctx.net.penalise(peer, Offence::BadTxSyncResponse).await;
    }
    (accepted, ignored, rejected)
}

fn count(metrics: &NodeMetrics, result: &'static str, n: usize) {
    if n > 0 {
        metrics
            .txsync_txs
            .get_or_create(&vec![("result", result)])
            .inc_by(n as u64);
    }
}

/// Publishes the txs a reorg returned to the pool; returns how many went out.
pub async fn reannounce(ctx: &Arc<Ctx>) -> usize {
    let Ok(txs) = ctx.ledger.blocking(|l| l.take_reannounce()).await else {
        return 0;
    };
    let mut sent = 0;
    for tx in txs {
        match ctx.net.publish(Topic::Tx, tx.encode()).await {
            Ok(_) => sent += 1,
            Err(e) => tracing::debug!(tx = %tx.hash().short(), error = %e, "re-announce failed"),
        }
    }
    ctx.metrics.txs_reannounced.inc_by(sent as u64);
    sent
}

/// `interval` ± 25%, from a fresh random seed.
fn jittered(interval: Duration, round: u64) -> Duration {
    let r = std::collections::hash_map::RandomState::new().hash_one(round);
    let quarter = interval / 4;
    let span = quarter.as_millis().max(1) as u64 * 2;
    interval - quarter + Duration::from_millis(r % span)
}

/// The periodic round: re-announce reorged-out txs, then pull `txsync_peers` connected peers
/// in turn. Runs until shutdown; off when `txsync_interval_ms` is 0.
pub async fn run(ctx: Arc<Ctx>) {
    let interval = Duration::from_millis(ctx.config.net.txsync_interval_ms);
    if interval.is_zero() {
        return;
    }
    let fanout = ctx.config.net.txsync_peers.max(1);
    let mut next = 0usize;
    for round in 0u64.. {
        let nap = tokio::time::sleep(jittered(interval, round));
        if ctx.tasks.unless_cancelled(nap).await.is_none() {
            return;
        }
        reannounce(&ctx).await;
        let Ok(peers) = ctx.net.peers().await else {
            continue;
        };
        for i in 0..fanout.min(peers.len()) {
            let peer = peers[(next + i) % peers.len()].peer;
            match ctx.tasks.unless_cancelled(pull(&ctx, peer)).await {
                None => return,
                Some(Err(e)) => tracing::debug!(%peer, error = %e, "txsync pull failed"),
                Some(Ok(_)) => {}
            }
        }
        next = next.wrapping_add(fanout);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::port::NetPort;
    use crate::testing::{TestNet, peer};

    fn digest(txs: &[&SignedTransaction]) -> Result<TxSyncResponse, NetworkError> {
        Ok(TxSyncResponse::Digest(
            txs.iter().map(|t| t.hash()).collect(),
        ))
    }

    fn served(txs: &[&SignedTransaction]) -> Result<TxSyncResponse, NetworkError> {
        Ok(TxSyncResponse::Txs(
            txs.iter().map(|&t| t.clone()).collect(),
        ))
    }

    fn requests(node: &crate::testing::TestNode) -> Vec<TxSyncRequest> {
        node.net
            .calls(|c| c.txsync_requests.iter().map(|(_, r)| r.clone()).collect())
    }

    #[tokio::test]
    async fn a_digest_with_unknown_hashes_triggers_a_get_and_the_txs_are_pooled() {
        let net = TestNet::new(1, 4);
        let node = net.node("a");
        let (new1, new2) = (net.tx(0, 0, 5), net.tx(1, 0, 5));
        let pooled = net.tx(2, 0, 5);
        node.ledger()
            .admit(vec![net.verified(pooled.clone())], Origin::Local);
        let seen = net.tx(3, 0, 5);
        node.net.seen().insert(seen.hash().0);
        node.net
            .script_txsync(digest(&[&new1, &pooled, &seen, &new2, &new1]));
        node.net.script_txsync(served(&[&new1, &new2]));
        let pulled = pull(&node.ctx, peer(1)).await.unwrap();
        assert_eq!(
            pulled,
            Pulled {
                announced: 5,
                missing: 2,
                accepted: 2,
                ignored: 0,
                rejected: 0
            }
        );
        assert_eq!(
            requests(&node),
            vec![
                TxSyncRequest::Digest {
                    max: MAX_DIGEST_HASHES as u32
                },
                TxSyncRequest::get(&[new1.hash(), new2.hash()]),
            ],
            "only the unknown hashes, once each"
        );
        for t in [&new1, &new2] {
            assert!(node.ledger().pool_contains(&t.hash()));
            assert!(node.net.seen().contains(&t.hash().0), "marked seen");
        }
        assert!(node.net.calls(|c| c.penalties.is_empty()));
        // Fetched txs are not gossip: no verdicts to report.
        assert!(node.net.calls(|c| c.reports.is_empty()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_peer_is_pulled_on_connect() {
        let net = TestNet::new(1, 1);
        let node = net.node("a");
        let (tx, rx) = tokio::sync::mpsc::channel(8);
        let dispatcher = tokio::spawn(crate::events::run(node.blocks.clone(), rx));
        let event = rumor_p2p::NetworkEvent::PeerConnected {
            peer: peer(4),
            outbound: true,
        };
        tx.send(event).await.unwrap();
        node.net
            .wait_until("a digest request to the new peer", |c| {
                c.txsync_requests
                    .iter()
                    .any(|(p, r)| *p == peer(4) && matches!(r, TxSyncRequest::Digest { .. }))
            })
            .await;
        drop(tx);
        crate::testing::within("the dispatcher ends", dispatcher)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_known_digest_asks_for_nothing() {
        let net = TestNet::new(1, 2);
        let node = net.node("a");
        let pooled = net.tx(0, 0, 5);
        node.ledger()
            .admit(vec![net.verified(pooled.clone())], Origin::Local);
        // In the chain: a block holds account 1's nonce 0.
        let mut remote = net.store("remote");
        let mined = net.tx(1, 0, 5);
        let block = net.extend_with(&mut remote, 0, vec![mined.clone()]);
        node.ledger().import(net.check(block)).unwrap();
        node.net.script_txsync(digest(&[&pooled, &mined]));
        let pulled = pull(&node.ctx, peer(1)).await.unwrap();
        assert_eq!(pulled.missing, 0);
        assert_eq!(requests(&node).len(), 1, "the digest only");
    }

    #[tokio::test]
    async fn a_served_tx_with_a_bad_signature_penalises_the_server() {
        let net = TestNet::new(1, 3);
        let node = net.node("a");
        let good = net.tx(0, 0, 5);
        let mut forged = net.tx(1, 0, 5);
        forged.signature = net.tx(2, 0, 5).signature;
        node.net.script_txsync(digest(&[&good, &forged]));
        node.net.script_txsync(served(&[&good, &forged]));
        let pulled = pull(&node.ctx, peer(7)).await.unwrap();
        assert_eq!((pulled.accepted, pulled.rejected), (1, 1));
        assert!(node.ledger().pool_contains(&good.hash()));
        assert!(!node.ledger().pool_contains(&forged.hash()));
        assert!(!node.net.seen().contains(&forged.hash().0));
        let penalties = node.net.calls(|c| c.penalties.clone());
        assert_eq!(penalties, vec![(peer(7), Offence::BadTxSyncResponse)]);
    }

    #[tokio::test]
    async fn a_stale_served_tx_costs_the_server_nothing() {
        let net = TestNet::new(1, 2);
        let node = net.node("a");
        let mut remote = net.store("remote");
        let block = net.extend_with(&mut remote, 0, vec![net.tx(0, 0, 5)]);
        node.ledger().import(net.check(block)).unwrap();
        // Same sender and nonce, another fee: a different hash, but stale here.
        let stale = net.tx(0, 0, 9);
        node.net.script_txsync(digest(&[&stale]));
        node.net.script_txsync(served(&[&stale]));
        let pulled = pull(&node.ctx, peer(1)).await.unwrap();
        assert_eq!((pulled.accepted, pulled.ignored), (0, 1));
        assert!(node.net.calls(|c| c.penalties.is_empty()));
    }

    #[tokio::test]
    async fn txs_not_asked_for_are_garbage_and_dropped() {
        let net = TestNet::new(1, 3);
        let node = net.node("a");
        let (asked, extra) = (net.tx(0, 0, 5), net.tx(1, 0, 5));
        node.net.script_txsync(digest(&[&asked]));
        node.net.script_txsync(served(&[&asked, &extra]));
        assert_eq!(
            pull(&node.ctx, peer(2)).await,
            Err(PullError::Garbage("txs not asked for"))
        );
        assert!(!node.ledger().pool_contains(&extra.hash()));
        let penalties = node.net.calls(|c| c.penalties.clone());
        assert_eq!(penalties, vec![(peer(2), Offence::BadTxSyncResponse)]);
        // A refusal is not an offence.
        node.net
            .script_txsync(Ok(TxSyncResponse::Error("rate_limited".into())));
        assert_eq!(
            pull(&node.ctx, peer(3)).await,
            Err(PullError::Refused("rate_limited".into()))
        );
        assert_eq!(node.net.calls(|c| c.penalties.len()), 1);
    }

    #[tokio::test]
    async fn many_missing_hashes_are_fetched_in_bounded_gets() {
        let net = TestNet::new(1, 1);
        let node = net.node("a");
        let hashes: Vec<TxHash> = (0..MAX_GET_HASHES as u32 * 2 + 1)
            .map(|i| {
                let mut h = [9u8; 32];
                h[..4].copy_from_slice(&i.to_le_bytes());
                TxHash(h)
            })
            .collect();
        node.net
            .script_txsync(Ok(TxSyncResponse::Digest(hashes.clone())));
        for _ in 0..3 {
            node.net.script_txsync(Ok(TxSyncResponse::Txs(Vec::new())));
        }
        let pulled = pull(&node.ctx, peer(1)).await.unwrap();
        assert_eq!(pulled.missing, hashes.len());
        let gets: Vec<usize> = requests(&node)
            .iter()
            .filter_map(|r| match r {
                TxSyncRequest::Get(h) => Some(h.len()),
                TxSyncRequest::Digest { .. } => None,
            })
            .collect();
        assert_eq!(gets, vec![MAX_GET_HASHES, MAX_GET_HASHES, 1]);
    }

    #[test]
    fn answers_come_from_the_pool_and_are_bounded() {
        let net = TestNet::new(1, 4);
        let node = net.node("a");
        let txs: Vec<SignedTransaction> = (0..4).map(|a| net.tx(a, 0, 5)).collect();
        node.ledger().admit(
            txs.iter().map(|t| net.verified(t.clone())).collect(),
            Origin::External,
        );
        let l = node.ledger();
        let TxSyncResponse::Digest(all) = answer(l, TxSyncRequest::Digest { max: 100 }) else {
            panic!("a digest")
        };
        assert_eq!(all.len(), 4);
        let TxSyncResponse::Digest(two) = answer(l, TxSyncRequest::Digest { max: 2 }) else {
            panic!("a digest")
        };
        assert_eq!(two.len(), 2, "at most `max`");
        // Unknown hashes are skipped; more than a get may carry are not looked at.
        let mut asked = vec![[0u8; 32]; MAX_GET_HASHES];
        asked[0] = txs[1].hash().0;
        asked.push(txs[2].hash().0);
        assert_eq!(
            answer(l, TxSyncRequest::Get(asked)),
            TxSyncResponse::Txs(vec![txs[1].clone()])
        );
    }

    #[tokio::test]
    async fn txs_a_reorg_returns_to_the_pool_are_published_again() {
        let net = TestNet::new(2, 2);
        let node = net.node("a");
        let tx = net.tx(0, 0, 5);
        // Branch A: one block with the tx.
        let mut a = net.store("branch-a");
        let a1 = net.extend_with(&mut a, 0, vec![tx.clone()]);
        node.ledger().import(net.check(a1)).unwrap();
        assert!(!node.ledger().pool_contains(&tx.hash()));
        // Branch B: two empty blocks from genesis (a later slot, so a different first block).
        let mut b = net.store("branch-b");
        let b1 = net.extend_with(&mut b, 1, vec![]);
        let b2 = net.extend_with(&mut b, 0, vec![]);
        node.ledger().import(net.check(b1)).unwrap();
        node.ledger().import(net.check(b2)).unwrap();
        assert!(node.ledger().pool_contains(&tx.hash()), "reinjected");
        assert_eq!(reannounce(&node.ctx).await, 1);
        let published = node.net.calls(|c| c.published.clone());
        assert_eq!(published, vec![(Topic::Tx, tx.encode())]);
        assert_eq!(reannounce(&node.ctx).await, 0, "announced once");
    }
}
