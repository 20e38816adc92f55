//! The signature-verification pool: dedicated OS threads, so `verify_strict` never runs on the
//! async runtime's threads. Work arrives in batches through a bounded queue; a full queue makes
//! the submitter wait (RPC) or shed the batch (gossip), never grow memory.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Instant;

use std::collections::HashSet;

use rumor_chain::{
    Block, BlockError, ChainConfig, CheckedBlock, Genesis, SignedTransaction, TxError, TxHash,
    VerifiedTx, check_block_skipping, check_header,
};
use tokio::sync::oneshot;

use crate::metrics::NodeMetrics;

enum Job {
    Txs {
        txs: Vec<SignedTransaction>,
        reply: oneshot::Sender<Vec<Result<VerifiedTx, TxError>>>,
    },
    Block {
        block: Box<Block>,
        now_ms: u64,
        /// Txs already verified (they are in our mempool): not checked again.
        known: HashSet<TxHash>,
        reply: oneshot::Sender<Result<CheckedBlock, BlockError>>,
    },
    Header {
        block: Arc<Block>,
        now_ms: u64,
        reply: oneshot::Sender<Result<(), BlockError>>,
    },
}

/// Why a job was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("verification queue is full")]
    Busy,
    #[error("verification pool has stopped")]
    Stopped,
}

impl VerifyError {
    /// The `reason` label of the node's shed counter.
    pub const fn as_str(self) -> &'static str {
        match self {
            VerifyError::Busy => "verify_queue_full",
            VerifyError::Stopped => "stopping",
        }
    }
}

/// Handle to the pool; clones share the threads.
#[derive(Clone)]
pub struct VerifyPool {
    jobs: SyncSender<Job>,
    capacity: usize,
}

impl std::fmt::Debug for VerifyPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyPool")
            .field("capacity", &self.capacity)
            .finish()
    }
}

fn worker(
    jobs: Arc<std::sync::Mutex<Receiver<Job>>>,
    chain_id: u64,
    genesis: Arc<Genesis>,
    config: ChainConfig,
    metrics: Arc<NodeMetrics>,
) {
    loop {
        // The lock is held only while waiting for the next job, not while working on it.
        let job = match jobs.lock().unwrap_or_else(|e| e.into_inner()).recv() {
            Ok(j) => j,
            Err(_) => return,
        };
        metrics.verify_queue.dec();
        let started = Instant::now();
        match job {
            Job::Txs { txs, reply } => {
                let n = txs.len();
                let out = txs.into_iter().map(|t| t.verify(chain_id)).collect();
                let _ = reply.send(out);
                metrics
                    .verify_seconds
                    .observe(started.elapsed().as_secs_f64() / n.max(1) as f64);
            }
            Job::Block {
                block,
                now_ms,
                known,
                reply,
            } => {
                let r =
                    check_block_skipping(*block, &genesis, &config, now_ms, |h| known.contains(h));
                let _ = reply.send(r);
            }
            Job::Header {
                block,
                now_ms,
                reply,
            } => {
                let _ = reply.send(check_header(&block, &genesis, &config, now_ms).map(|_| ()));
            }
        }
    }
}

impl VerifyPool {
    pub fn start(
        threads: usize,
        capacity: usize,
        genesis: Arc<Genesis>,
        config: ChainConfig,
        metrics: Arc<NodeMetrics>,
    ) -> Self {
        let (tx, rx) = sync_channel(capacity);
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let chain_id = genesis.chain_id;
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let genesis = genesis.clone();
            let metrics = metrics.clone();
            std::thread::Builder::new()
                .name(format!("verify-{i}"))
                .spawn(move || worker(rx, chain_id, genesis, config, metrics))
                .expect("spawning a verification thread");
        }
        Self { jobs: tx, capacity }
    }

    /// A pool whose workers are gone: every job fails with [`VerifyError::Stopped`] (tests of
    /// the shed paths).
    #[cfg(test)]
    pub fn stopped() -> Self {
        let (tx, rx) = sync_channel(1);
        drop(rx);
        Self {
            jobs: tx,
            capacity: 1,
        }
    }

    fn submit(&self, job: Job, wait: bool) -> Result<(), VerifyError> {
        if wait {
            // Only reached from tasks that may block briefly (see `verify_txs`).
            self.jobs.send(job).map_err(|_| VerifyError::Stopped)
        } else {
            self.jobs.try_send(job).map_err(|e| match e {
                TrySendError::Full(_) => VerifyError::Busy,
                TrySendError::Disconnected(_) => VerifyError::Stopped,
            })
        }
    }

    /// Verifies a batch. `shed` = drop the batch when the queue is full (gossip) instead of
    /// waiting for room (RPC callers, who get back-pressure).
    pub async fn verify_txs(
        &self,
        txs: Vec<SignedTransaction>,
        shed: bool,
        metrics: &NodeMetrics,
    ) -> Result<Vec<Result<VerifiedTx, TxError>>, VerifyError> {
        let (reply, rx) = oneshot::channel();
        let job = Job::Txs { txs, reply };
        if shed {
            // Counted before the send: the worker may finish (and decrement) first.
            metrics.verify_queue.inc();
            if let Err(e) = self.submit(job, false) {
                metrics.verify_queue.dec();
                return Err(e);
            }
            return rx.await.map_err(|_| VerifyError::Stopped);
        }
        self.run(job, rx, metrics).await
    }

    async fn run<T>(
        &self,
        job: Job,
        rx: oneshot::Receiver<T>,
        metrics: &NodeMetrics,
    ) -> Result<T, VerifyError> {
        metrics.verify_queue.inc();
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Disconnected(_)) => {
                metrics.verify_queue.dec();
                return Err(VerifyError::Stopped);
            }
            Err(TrySendError::Full(job)) => {
                // Only a full queue blocks in `send`; do that wait off the async runtime, so
                // callers that must not lose work get back-pressure instead.
                let this = self.clone();
                let sent = tokio::task::spawn_blocking(move || this.submit(job, true))
                    .await
                    .map_err(|_| VerifyError::Stopped)
                    .and_then(|r| r);
                if let Err(e) = sent {
                    metrics.verify_queue.dec();
                    return Err(e);
                }
            }
        }
        rx.await.map_err(|_| VerifyError::Stopped)
    }

    /// The header-level checks (one signature): enough to decide whether to forward.
    pub async fn check_header(
        &self,
        block: Arc<Block>,
        now_ms: u64,
        metrics: &NodeMetrics,
    ) -> Result<Result<(), BlockError>, VerifyError> {
        let (reply, rx) = oneshot::channel();
        self.run(
            Job::Header {
                block,
                now_ms,
                reply,
            },
            rx,
            metrics,
        )
        .await
    }

    /// Runs stage-1 block checks (producer, signatures, roots) on the pool; txs in `known` are
    /// already verified and skipped.
    pub async fn check_block(
        &self,
        block: Block,
        now_ms: u64,
        known: HashSet<TxHash>,
        metrics: &NodeMetrics,
    ) -> Result<Result<CheckedBlock, BlockError>, VerifyError> {
        let (reply, rx) = oneshot::channel();
        let job = Job::Block {
            block: Box::new(block),
            now_ms,
            known,
            reply,
        };
        self.run(job, rx, metrics).await
    }
}
