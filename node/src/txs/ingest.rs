//! The tx pipeline, shared by RPC and gossip: seen-cache → decode/size/chain id → (gossip)
//! the pool's pre-signature checks ([`crate::txs::precheck`]) → `verify_strict` on the
//! verification pool → mempool insert → verdict. RPC txs the pool accepts
//! are published; gossip txs get their verdict reported to gossipsub, which forwards only
//! accepted ones.
//!
//! Invariants: signatures are checked on the verification pool and admission runs on the
//! blocking pool, never on an async thread; every gossip tx gets exactly one verdict —
//! `Reject` (the sender is penalised) only for a tx invalid everywhere and forever, `Ignore`
//! for stateful, policy or overload refusals; an RPC tx is marked seen only once it is known
//! valid, so a bad submission never shadows a good one.

use std::sync::Arc;

use rumor_chain::{DecodeError, SignedTransaction, TxError, TxHash};
use rumor_mempool::{InsertError, InsertOutcome, Origin};
use rumor_p2p::{SeenCache, Topic, Validation};

use crate::context::Ctx;
use crate::metrics::NodeMetrics;
use crate::services::port::NetPort;
use crate::services::trace::{Kind, Origin as TraceOrigin};
use crate::services::verify::VerifyError;
use crate::storage::Store;
use crate::txs::journal::Journal;
use crate::txs::precheck::precheck;

pub use crate::txs::precheck::{GossipTx, Tally};

/// Why a submitted tx was refused. Each maps to a stable JSON-RPC error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error("not a canonical encoded transaction: {0}")]
    Decode(#[from] DecodeError),
    #[error("transaction already known")]
    AlreadyKnown,
    #[error("{0}")]
    Invalid(TxError),
    #[error("{0}")]
    Pool(InsertError),
    #[error("node is overloaded: {0}")]
    Busy(VerifyError),
    /// Pooled and relayed, but not made durable: the node may lose it on a crash.
    #[error("tx journal: {0}; the tx was pooled and relayed but is not durable here")]
    Journal(String),
    /// A store is degraded ([`crate::storage`]): no tx is taken until it recovers.
    #[error("node storage unavailable, not taking transactions until it recovers: {0}")]
    Storage(String),
}

/// Submits a tx from RPC (or any local source): on success it is pooled, journaled (durable
/// before this returns, when the journal is on) and published.
pub async fn submit_local(
    ctx: &Ctx,
    journal: &Journal,
    bytes: &[u8],
) -> Result<TxHash, SubmitError> {
    let tx = SignedTransaction::decode(bytes, &ctx.genesis.limits)?;
    submit(ctx, Some(journal), tx).await
}

/// Resubmits a tx reloaded from the journal (already in it: not appended again).
async fn resubmit_journaled(ctx: &Ctx, tx: SignedTransaction) -> Result<TxHash, SubmitError> {
    submit(ctx, None, tx).await
}

/// Resubmits the journaled txs through the normal pipeline (each is published again when
/// pooled), then compacts the journal to the ones pooled. Returns how many were pooled.
pub async fn restore(ctx: &Ctx, journal: &Journal, txs: Vec<SignedTransaction>) -> usize {
    let n = txs.len();
    let mut pooled = 0;
    for tx in txs {
        match resubmit_journaled(ctx, tx).await {
            Ok(_) => pooled += 1,
            Err(e) => tracing::debug!(error = %e, "journaled tx not restored"),
        }
    }
    if let Err(e) = journal.compact().await {
        tracing::warn!(error = %e, "journal compaction failed");
    }
    if n > 0 {
        tracing::info!(journaled = n, pooled, "local txs restored from the journal");
    }
    pooled
}

/// `journal`: where a local tx is appended (`None`: restored from it, not appended again).
async fn submit(
    ctx: &Ctx,
    journal: Option<&Journal>,
    tx: SignedTransaction,
) -> Result<TxHash, SubmitError> {
    let received_at_us = ctx.clock.now_us();
    let hash = tx.hash();
    // A node that cannot persist takes no new tx (restored ones are already durable here).
    if journal.is_some()
        && let Some(why) = ctx.ledger.storage().refusal()
    {
        return Err(SubmitError::Storage(why));
    }
    if ctx.net.seen().contains(&hash.0) {
        return Err(SubmitError::AlreadyKnown);
    }
    let pooled = ctx.ledger.blocking(move |l| l.pool_contains(&hash));
    if pooled
        .await
        .map_err(|_| SubmitError::Busy(VerifyError::Stopped))?
    {
        return Err(SubmitError::AlreadyKnown);
    }
    let verified = ctx
        .verify
        .verify_txs(vec![tx], false, &ctx.metrics)
        .await
        .map_err(SubmitError::Busy)?
        .pop()
        .expect("one result per tx")
        .map_err(SubmitError::Invalid)?;
    // Mark it seen only once it is known valid: a bad submission must not shadow a good one.
    if !ctx.net.seen().insert(hash.0) {
        return Err(SubmitError::AlreadyKnown);
    }
    let signed = verified.signed().clone();
    let bytes = signed.encode();
    ctx.ledger
        .blocking(move |l| l.admit(vec![verified], Origin::Local))
        .await
        .map_err(|_| SubmitError::Busy(VerifyError::Stopped))?
        .pop()
        .expect("one result per tx")
        .map_err(SubmitError::Pool)?;
    ctx.tracer
        .record(Kind::Tx, &hash.0, received_at_us, None, TraceOrigin::Rpc);
    // Gossip and the journal's group commit run side by side: the network does not wait for
    // the fsync (measured: publishing after it added the fsync to every tx's time-to-all), and
    // the caller still hears back only once the tx is durable.
    let journaled = async {
        let Some(journal) = journal else {
            return Ok(());
        };
        let appended = journal.append(&signed).await;
        // A failure degrades the journal; only the recovery task's resume (ordered after the
        // failed write in the writer thread) brings it back, never a success reported late.
        if let Err(e) = &appended {
            // A writer that stopped is not "out of space": the node gives up on it in time.
            let failure = e.failure().unwrap_or_else(|| rumor_chain::IoFailure {
                kind: std::io::ErrorKind::Other,
                message: e.to_string(),
            });
            ctx.ledger.storage().failed(Store::Journal, &failure);
        }
        appended.map_err(|e| e.to_string())
    };
    let (journaled, published) = tokio::join!(journaled, ctx.net.publish(Topic::Tx, bytes));
    if let Err(e) = published {
        // Pooled but not gossiped: a producer here still includes it.
        tracing::warn!(tx = %hash.short(), error = %e, "publish failed");
    }
    journaled.map_err(SubmitError::Journal)?;
    Ok(hash)
}

fn verdict_for_admission(r: &Result<InsertOutcome, InsertError>) -> Validation {
    match r {
        Ok(_) => Validation::Accept,
        // Known already (e.g. submitted here too): still worth forwarding.
        Err(InsertError::AlreadyKnown) => Validation::Accept,
        Err(e) if e.is_bad_transaction() => Validation::Reject,
        Err(_) => Validation::Ignore,
    }
}

/// Validates a batch of gossiped txs and reports each verdict. Under overload (verification
/// queue full) the batch is ignored, never penalised.
#[tracing::instrument(name = "gossip_txs", skip_all, fields(n = batch.len()))]
pub async fn validate_gossip_batch(ctx: Arc<Ctx>, unpayable: Arc<Tally>, batch: Vec<GossipTx>) {
    // Verdicts decided before verification; `None` = verify it.
    let mut verdicts = precheck(&ctx, &unpayable, &batch).await;
    let unjudged: Vec<&GossipTx> = batch
        .iter()
        .zip(&verdicts)
        .filter(|(_, v)| v.is_none())
        .map(|(g, _)| g)
        .collect();
    let decided = if unjudged.is_empty() {
        Vec::new()
    } else {
        verify_and_admit(&ctx, &unjudged).await
    };
    let mut decided = decided.into_iter();
    for v in verdicts.iter_mut().filter(|v| v.is_none()) {
        *v = decided.next();
    }
    for (g, v) in batch.iter().zip(verdicts) {
        report(
            &ctx.metrics,
            ctx.net.as_ref(),
            g,
            v.expect("one verdict per tx"),
        )
        .await;
    }
}

/// Verification then admission of the txs the pre-checks let through: one verdict each, in
/// order. Under overload (verification queue full) they are all ignored, never penalised.
async fn verify_and_admit(ctx: &Ctx, batch: &[&GossipTx]) -> Vec<Validation> {
    let txs = batch.iter().map(|g| g.tx.clone()).collect();
    let results = match ctx.verify.verify_txs(txs, true, &ctx.metrics).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, n = batch.len(), "shedding gossip txs");
            shed(ctx.net.seen(), &ctx.metrics, batch, e.as_str());
            return vec![Validation::Ignore; batch.len()];
        }
    };
    // Verdicts known from verification alone; `None` = valid, decided by the pool.
    let mut verdicts: Vec<Option<Validation>> = Vec::with_capacity(batch.len());
    let mut valid = Vec::new();
    for (g, r) in batch.iter().zip(results) {
        verdicts.push(match r {
            Err(e) if e.is_bad_transaction() => Some(Validation::Reject),
            Err(_) => Some(Validation::Ignore),
            Ok(vtx) => {
                ctx.tracer.record(
                    Kind::Tx,
                    &g.id,
                    g.received_at_us,
                    Some(g.from.to_string()),
                    TraceOrigin::Gossip,
                );
                valid.push(vtx);
                None
            }
        });
    }
    let n = valid.len();
    let admitted = if valid.is_empty() {
        Vec::new()
    } else {
        let fast = ctx.ledger.try_admit(valid, Origin::External);
        let admitted = match fast {
            Ok(results) => Ok(results),
            Err(valid) => {
                ctx.ledger
                    .blocking(move |l| l.admit(valid, Origin::External))
                    .await
            }
        };
        match admitted {
            Ok(results) => results.iter().map(verdict_for_admission).collect(),
            // The runtime is going away: local trouble, never the sender's fault.
            Err(_) => {
                shed(
                    ctx.net.seen(),
                    &ctx.metrics,
                    batch,
                    VerifyError::Stopped.as_str(),
                );
                vec![Validation::Ignore; n]
            }
        }
    };
    let mut admitted = admitted.into_iter();
    verdicts
        .into_iter()
        .map(|v| v.unwrap_or_else(|| admitted.next().expect("one verdict per valid tx")))
        .collect()
}

/// Txs dropped unjudged for local reasons: counted, and forgotten by the seen-cache so that a
/// later copy (IWANT, anti-entropy) is judged instead of dropped as a duplicate.
fn shed(seen: &SeenCache, metrics: &NodeMetrics, batch: &[&GossipTx], reason: &'static str) {
    for g in batch {
        seen.forget(&g.id);
    }
    metrics.count_shed("tx", reason, batch.len());
}

async fn report(metrics: &NodeMetrics, net: &dyn NetPort, g: &GossipTx, v: Validation) {
    let label = v.as_str();
    metrics
        .validation
        .get_or_create(&vec![("kind", "tx"), ("result", label)])
        .inc();
    metrics
        .validation_seconds
        .get_or_create(&vec![("kind", "tx")])
        .observe(g.received.elapsed().as_secs_f64());
    let _ = net.report(g.id, g.from, Topic::Tx, v).await;
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use rumor_chain::Transaction;
    use rumor_p2p::PeerId;

    use super::*;
    use crate::services::port::NetPort;
    use crate::testing::{TestNet, TestNode, peer};

    fn gossip(tx: SignedTransaction, from: PeerId) -> GossipTx {
        GossipTx {
            id: tx.hash().0,
            from,
            tx,
            received_at_us: crate::testing::now_us(),
            received: Instant::now(),
        }
    }

    fn verdicts(node: &TestNode) -> Vec<Validation> {
        node.net
            .calls(|c| c.reports.iter().map(|(.., v)| *v).collect())
    }

    fn penalties(node: &TestNode) -> usize {
        node.net.calls(|c| c.penalties.len())
    }

    /// A tx from account `from` signed by another account's key.
    fn forged(net: &TestNet, from: usize) -> SignedTransaction {
        let mut tx = net.tx(from, 0, 5);
        tx.signature = net.tx(from + 1, 0, 5).signature;
        tx
    }

    #[tokio::test]
    async fn a_valid_gossip_tx_is_accepted_pooled_and_reported_once() {
        let net = TestNet::new(1, 2);
        let node = net.node("a");
        let tx = net.tx(0, 0, 5);
        validate_gossip_batch(
            node.ctx.clone(),
            Arc::default(),
            vec![gossip(tx.clone(), peer(1))],
        )
        .await;
        let reports = node.net.calls(|c| c.reports.clone());
        assert_eq!(
            reports,
            vec![(tx.hash().0, peer(1), Topic::Tx, Validation::Accept)]
        );
        assert!(node.ledger().pool_contains(&tx.hash()));
        assert_eq!(penalties(&node), 0);
    }

    #[tokio::test]
    async fn a_bad_signature_is_rejected_so_gossipsub_penalises_the_sender() {
        let net = TestNet::new(1, 2);
        let node = net.node("a");
        let bad = forged(&net, 0);
        validate_gossip_batch(
            node.ctx.clone(),
            Arc::default(),
            vec![gossip(bad.clone(), peer(1))],
        )
        .await;
        assert_eq!(verdicts(&node), vec![Validation::Reject]);
        assert!(!node.ledger().pool_contains(&bad.hash()));
    }

    #[tokio::test]
    async fn a_mixed_batch_gets_one_verdict_per_tx_in_order() {
        let net = TestNet::new(1, 3);
        let node = net.node("a");
        let wrong_chain = Transaction {
            chain_id: net.genesis.chain_id + 1,
            ..net.tx(2, 0, 5).tx
        }
        .sign(&net.accounts[2]);
        let batch = vec![
            gossip(net.tx(0, 0, 5), peer(1)),
            gossip(forged(&net, 1), peer(2)),
            gossip(wrong_chain, peer(3)),
            // Spends more than the account holds: stateful, so no penalty.
            gossip(
                Transaction {
                    amount: crate::testing::BALANCE * 2,
                    ..net.tx(2, 0, 5).tx
                }
                .sign(&net.accounts[2]),
                peer(4),
            ),
            gossip(net.tx(1, 0, 6), peer(5)),
        ];
        validate_gossip_batch(node.ctx.clone(), Arc::default(), batch).await;
        assert_eq!(
            verdicts(&node),
            vec![
                Validation::Accept,
                Validation::Reject,
                Validation::Reject,
                Validation::Ignore,
                Validation::Accept,
            ]
        );
        let froms: Vec<PeerId> = node.net.calls(|c| c.reports.iter().map(|r| r.1).collect());
        assert_eq!(froms, (1..=5).map(peer).collect::<Vec<_>>());
        assert_eq!(node.ledger().pool_status().pending, 2);
    }

    #[tokio::test]
    async fn stale_and_duplicate_txs_cost_the_sender_nothing() {
        let net = TestNet::new(1, 2);
        let node = net.node("a");
        // Account 0's nonce 0 lands in a block; a tx with that nonce is then stale.
        let mut remote = net.store("remote");
        let block = net.extend_with(&mut remote, 0, vec![net.tx(0, 0, 5)]);
        node.ledger().import(net.check(block)).unwrap();
        let pooled = net.tx(1, 0, 5);
        node.ledger()
            .admit(vec![net.verified(pooled.clone())], Origin::Local);
        let batch = vec![
            gossip(net.tx(0, 0, 9), peer(1)),
            // Already pooled (e.g. submitted here): forwarded, as before this refactor.
            gossip(pooled, peer(2)),
        ];
        validate_gossip_batch(node.ctx.clone(), Arc::default(), batch).await;
        assert_eq!(
            verdicts(&node),
            vec![Validation::Ignore, Validation::Accept]
        );
        assert_eq!(penalties(&node), 0);
    }

    #[tokio::test]
    async fn a_full_pool_ignores_without_penalty() {
        let net = TestNet::new(1, 3);
        let key = rumor_chain::Keypair::from_label("test/node-a");
        let node = net.node_with("a", key, |c| c.pool.max_txs = 1);
        validate_gossip_batch(
            node.ctx.clone(),
            Arc::default(),
            vec![gossip(net.tx(0, 0, 5), peer(1))],
        )
        .await;
        let late = net.tx(1, 0, 5);
        validate_gossip_batch(
            node.ctx.clone(),
            Arc::default(),
            vec![gossip(late.clone(), peer(2))],
        )
        .await;
        assert_eq!(
            verdicts(&node),
            vec![Validation::Accept, Validation::Ignore]
        );
        assert!(!node.ledger().pool_contains(&late.hash()));
        assert_eq!(penalties(&node), 0);
    }

    #[tokio::test]
    async fn txs_shed_under_local_overload_are_forgotten_not_penalised() {
        let net = TestNet::new(1, 3);
        let key = rumor_chain::Keypair::from_label("test/node-a");
        // A verification pool that has stopped: every batch is shed unjudged.
        let node = net.node_with("a", key, |c| c.verify_threads = 0);
        let txs = [net.tx(0, 0, 5), net.tx(1, 0, 5)];
        for t in &txs {
            // The network marks an id seen when it hands the message over.
            assert!(node.net.seen().insert(t.hash().0));
        }
        validate_gossip_batch(
            node.ctx.clone(),
            Arc::default(),
            txs.iter().map(|t| gossip(t.clone(), peer(1))).collect(),
        )
        .await;
        assert_eq!(verdicts(&node), vec![Validation::Ignore; 2]);
        assert_eq!(penalties(&node), 0);
        for t in &txs {
            assert!(
                !node.net.seen().contains(&t.hash().0),
                "a shed tx must be judged when it comes back"
            );
            assert!(!node.ledger().pool_contains(&t.hash()));
        }
        let shed = node
            .ctx
            .metrics
            .shed
            .get_or_create(&vec![("kind", "tx"), ("reason", "stopping")])
            .get();
        assert_eq!(shed, 2);
    }

    #[tokio::test]
    async fn an_rpc_tx_is_pooled_marked_seen_and_published_once() {
        let net = TestNet::new(1, 2);
        let node = net.node("a");
        let tx = net.tx(0, 0, 5);
        let hash = submit_local(&node.ctx, &node.journal, &tx.encode())
            .await
            .unwrap();
        assert_eq!(hash, tx.hash());
        assert!(node.ledger().pool_contains(&hash));
        assert!(node.net.seen().contains(&hash.0));
        assert_eq!(
            submit_local(&node.ctx, &node.journal, &tx.encode()).await,
            Err(SubmitError::AlreadyKnown)
        );
        let published = node.net.calls(|c| c.published.clone());
        assert_eq!(published, vec![(Topic::Tx, tx.encode())]);
    }

    #[tokio::test]
    async fn a_refused_rpc_tx_is_not_marked_seen_or_published() {
        let net = TestNet::new(1, 2);
        let node = net.node("a");
        let bad = forged(&net, 0);
        assert!(matches!(
            submit_local(&node.ctx, &node.journal, &bad.encode()).await,
            Err(SubmitError::Invalid(TxError::BadSignature(_)))
        ));
        assert!(matches!(
            submit_local(&node.ctx, &node.journal, &[1, 2, 3]).await,
            Err(SubmitError::Decode(_))
        ));
        assert!(!node.net.seen().contains(&bad.hash().0));
        assert!(node.net.calls(|c| c.published.is_empty()));
        // The good tx with those bytes' sender and nonce still goes through.
        assert!(
            submit_local(&node.ctx, &node.journal, &net.tx(0, 0, 5).encode())
                .await
                .is_ok()
        );
    }
}
