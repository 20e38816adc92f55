//! The signature-verification pool: dedicated OS threads, so `verify_strict` never runs on the
//! async runtime's threads. Work arrives in batches through a bounded queue; a full queue makes
//! the submitter wait (RPC) or shed the batch (gossip), never grow memory.
//!
//! A process running many nodes (an in-process testnet) starts one set of [`Workers`] sized to
//! its cores and gives each node a handle: the threads are shared, each job carries its node's
//! rules, metrics and CPU meter, and the queue bound is the pool's, not the node's.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Instant;

use std::collections::HashSet;

use rumor_chain::{
    Block, BlockError, ChainConfig, CheckedBlock, Genesis, SignedTransaction, TxError, TxHash,
    VerifiedTx, check_block_skipping, check_header,
};
use tokio::sync::oneshot;

use rumor_p2p::Meter;

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

/// What a job needs from the node that sent it: with one pool shared by many nodes (an
/// in-process testnet), each job carries its own node's rules, metrics and meter.
struct Sender {
    genesis: Arc<Genesis>,
    config: ChainConfig,
    metrics: Arc<NodeMetrics>,
    meter: Option<Meter>,
}

struct Work {
    from: Arc<Sender>,
    job: Job,
}

/// The verification threads and their bounded queue. A node reaches them through a
/// [`VerifyPool`] handle; the threads stop once every handle and this are dropped.
#[derive(Clone)]
pub struct Workers {
    jobs: SyncSender<Work>,
    capacity: usize,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Workers {
    /// `threads` verification threads behind a queue of `capacity` batches.
    pub fn start(threads: usize, capacity: usize) -> Self {
        let (tx, rx) = sync_channel(capacity);
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("verify-{i}"))
                .spawn(move || worker(rx))
                .expect("spawning a verification thread");
        }
        Self { jobs: tx, capacity }
    }

    /// A node's handle: its jobs are checked against `genesis` and `config`, counted in its
    /// `metrics`, and their time accounted to `meter` when there is one.
    pub fn handle(
        &self,
        genesis: Arc<Genesis>,
        config: ChainConfig,
        metrics: Arc<NodeMetrics>,
        meter: Option<Meter>,
    ) -> VerifyPool {
        VerifyPool {
            workers: self.clone(),
            from: Arc::new(Sender {
                genesis,
                config,
                metrics,
                meter,
            }),
        }
    }
}

/// A node's handle to the pool; clones share the threads.
#[derive(Clone)]
pub struct VerifyPool {
    workers: Workers,
    from: Arc<Sender>,
}

impl std::fmt::Debug for VerifyPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyPool")
            .field("capacity", &self.workers.capacity)
            .finish()
    }
}

fn worker(jobs: Arc<std::sync::Mutex<Receiver<Work>>>) {
    loop {
        // The lock is held only while waiting for the next job, not while working on it.
        let work = match jobs.lock().unwrap_or_else(|e| e.into_inner()).recv() {
            Ok(w) => w,
            Err(_) => return,
        };
        let from = work.from;
        from.metrics.verify_queue.dec();
        match &from.meter {
            Some(m) => m.measure(|| check(&from, work.job)),
            None => check(&from, work.job),
        }
    }
}

fn check(from: &Sender, job: Job) {
    let started = Instant::now();
    match job {
        Job::Txs { txs, reply } => {
            let n = txs.len();
            let chain_id = from.genesis.chain_id;
            let out = txs.into_iter().map(|t| t.verify(chain_id)).collect();
            let _ = reply.send(out);
            from.metrics
                .verify_seconds
                .observe(started.elapsed().as_secs_f64() / n.max(1) as f64);
        }
        Job::Block {
            block,
            now_ms,
            known,
            reply,
        } => {
            let r = check_block_skipping(*block, &from.genesis, &from.config, now_ms, |h| {
                known.contains(h)
            });
            let _ = reply.send(r);
        }
        Job::Header {
            block,
            now_ms,
            reply,
        } => {
            let _ =
                reply.send(check_header(&block, &from.genesis, &from.config, now_ms).map(|_| ()));
        }
    }
}

impl VerifyPool {
    /// A pool of the node's own: `threads` threads, `capacity` batches queued.
    pub fn start(
        threads: usize,
        capacity: usize,
        genesis: Arc<Genesis>,
        config: ChainConfig,
        metrics: Arc<NodeMetrics>,
    ) -> Self {
        Workers::start(threads, capacity).handle(genesis, config, metrics, None)
    }

    /// A pool whose workers are gone: every job fails with [`VerifyError::Stopped`] (tests of
    /// the shed paths).
    #[cfg(test)]
    pub fn stopped(genesis: Arc<Genesis>, metrics: Arc<NodeMetrics>) -> Self {
        let (tx, rx) = sync_channel(1);
        drop(rx);
        Workers {
            jobs: tx,
            capacity: 1,
        }
        .handle(genesis, ChainConfig::default(), metrics, None)
    }

    /// Batches the pool's queue holds (shared by every node using the same [`Workers`]).
    pub fn capacity(&self) -> usize {
        self.workers.capacity
    }

    fn work(&self, job: Job) -> Work {
        Work {
            from: self.from.clone(),
            job,
        }
    }

    fn submit(&self, work: Work, wait: bool) -> Result<(), VerifyError> {
        if wait {
            // Only reached from tasks that may block briefly (see `verify_txs`).
            self.workers
                .jobs
                .send(work)
                .map_err(|_| VerifyError::Stopped)
        } else {
            self.workers.jobs.try_send(work).map_err(|e| match e {
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
            if let Err(e) = self.submit(self.work(job), false) {
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
        match self.workers.jobs.try_send(self.work(job)) {
            Ok(()) => {}
            Err(TrySendError::Disconnected(_)) => {
                metrics.verify_queue.dec();
                return Err(VerifyError::Stopped);
            }
            Err(TrySendError::Full(work)) => {
                // Only a full queue blocks in `send`; do that wait off the async runtime, so
                // callers that must not lose work get back-pressure instead.
                let this = self.clone();
                let sent = tokio::task::spawn_blocking(move || this.submit(work, true))
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
