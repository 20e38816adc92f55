//! The tx pipeline, shared by RPC and gossip: seen-cache → decode/size/chain id →
//! `verify_strict` on the verification pool → mempool insert → verdict. RPC txs the pool accepts
//! are published; gossip txs get their verdict reported to gossipsub, which forwards only
//! accepted ones.

use std::sync::Arc;
use std::time::Instant;

use rumor_chain::{DecodeError, SignedTransaction, TxError, TxHash};
use rumor_mempool::{InsertError, InsertOutcome, Origin};
use rumor_p2p::{MessageId, PeerId, Topic, Validation};

use crate::context::Ctx;
use crate::trace::{Kind, Origin as TraceOrigin, now_us};
use crate::verify::VerifyError;

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
}

/// A gossiped tx waiting for its verdict.
#[derive(Debug)]
pub struct GossipTx {
    pub id: MessageId,
    pub from: PeerId,
    pub tx: SignedTransaction,
    pub received_at_us: u64,
    pub received: Instant,
}

/// Submits a tx from RPC (or any local source): on success it is pooled and published.
pub async fn submit_local(ctx: &Arc<Ctx>, bytes: &[u8]) -> Result<TxHash, SubmitError> {
    let received_at_us = now_us();
    let tx = SignedTransaction::decode(bytes, &ctx.config.chain.limits)?;
    let hash = tx.hash();
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
    let bytes = verified.signed().encode();
    ctx.ledger
        .blocking(move |l| l.admit(vec![verified], Origin::Local))
        .await
        .map_err(|_| SubmitError::Busy(VerifyError::Stopped))?
        .pop()
        .expect("one result per tx")
        .map_err(SubmitError::Pool)?;
    ctx.tracer
        .record(Kind::Tx, &hash.0, received_at_us, None, TraceOrigin::Rpc);
    if let Err(e) = ctx.net.publish(Topic::Tx, bytes).await {
        // Pooled but not gossiped: a producer here still includes it.
        tracing::warn!(tx = %hash.short(), error = %e, "publish failed");
    }
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
pub async fn validate_gossip_batch(ctx: Arc<Ctx>, batch: Vec<GossipTx>) {
    let txs = batch.iter().map(|g| g.tx.clone()).collect();
    let results = match ctx.verify.verify_txs(txs, true, &ctx.metrics).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, n = batch.len(), "shedding gossip txs");
            for g in &batch {
                report(&ctx, g, Validation::Ignore).await;
            }
            return;
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
    let admitted = match ctx
        .ledger
        .blocking(move |l| l.admit(valid, Origin::External))
        .await
    {
        Ok(results) => results.iter().map(verdict_for_admission).collect(),
        // The runtime is going away: local trouble, never the sender's fault.
        Err(_) => vec![Validation::Ignore; n],
    };
    let mut admitted = admitted.into_iter();
    for (g, v) in batch.iter().zip(verdicts) {
        let v = v.unwrap_or_else(|| admitted.next().expect("one verdict per valid tx"));
        report(&ctx, g, v).await;
    }
}

async fn report(ctx: &Ctx, g: &GossipTx, v: Validation) {
    let label = match v {
        Validation::Accept => "accept",
        Validation::Reject => "reject",
        Validation::Ignore => "ignore",
    };
    ctx.metrics
        .validation
        .get_or_create(&vec![("kind", "tx"), ("result", label)])
        .inc();
    ctx.metrics
        .validation_seconds
        .get_or_create(&vec![("kind", "tx")])
        .observe(g.received.elapsed().as_secs_f64());
    let _ = ctx.net.report(g.id, g.from, Topic::Tx, v).await;
}
