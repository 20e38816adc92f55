//! The sending loop. Each node gets `opts.clients` tasks (one by default, which keeps that
//! node's requests in order), each posting over its own keep-alive connection and taking the
//! next request from the node's queue; the dispatcher paces requests with a token bucket and
//! hands each to its node's queue, so one slow node delays only its own share (and shows up as
//! a lower achieved rate, not as a stall of the whole load). A request that gets no answer at
//! all (the node is down: killed by a fault flag, or crashed) is sent on to the next nodes in
//! turn, as a wallet fails over to another endpoint, so a dead target leaves no nonce gap.
//! After such a miss the worker sends straight to the other nodes for [`DOWN_BACKOFF`] before
//! trying its own node again: a node on another host (a container) that is down does not
//! refuse connections, it leaves them unanswered until the request timeout, and paying that
//! for every request made a 16 s load with one killed container take three minutes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinSet;

use super::bucket::TokenBucket;
use super::plan::{LoadOptions, PlannedTx};
use crate::observe::rpc::{Rpc, SubmitOutcome};
use crate::util::timefmt::now_us;
use rumor_report::analysis::percentile::summarize;
use rumor_report::records::load::{LoadStats, reason_key};

/// Requests queued per node before the dispatcher waits (back-pressure, bounded memory).
const QUEUE_PER_NODE: usize = 64;
/// How long a worker leaves its node alone after it answered nothing.
pub const DOWN_BACKOFF: Duration = Duration::from_secs(5);
/// Answered requests waiting to be tallied.
const ANSWER_QUEUE: usize = 1024;

/// A chunk, its outcomes, the request's round trip, and whether another node answered it.
type Answer = (Vec<PlannedTx>, Vec<SubmitOutcome>, Duration, bool);

/// Where a worker sends a request its own node did not answer.
struct Failover {
    all: Arc<Vec<Rpc>>,
    index: usize,
}

async fn send(rpc: &Rpc, chunk: &[PlannedTx]) -> Vec<SubmitOutcome> {
    if chunk.len() == 1 {
        vec![rpc.submit(&chunk[0].raw_hex).await]
    } else {
        let raw: Vec<String> = chunk.iter().map(|t| t.raw_hex.clone()).collect();
        rpc.submit_batch(&raw).await
    }
}

fn unanswered(outcomes: &[SubmitOutcome]) -> bool {
    outcomes
        .iter()
        .all(|o| matches!(o, SubmitOutcome::Failed(_)))
}

pub async fn drive(
    rpcs: &[Rpc],
    txs: Vec<PlannedTx>,
    opts: &LoadOptions,
    bar: &ProgressBar,
) -> LoadStats {
    let mut stats = LoadStats {
        planned: txs.len(),
        batch: opts.batch,
        offered_tps: opts.tps,
        ..Default::default()
    };
    // Answers are consumed concurrently (`collect` below), so a bound only paces the workers.
    let (answer_tx, mut answer_rx) = mpsc::channel::<Answer>(ANSWER_QUEUE);
    // Dropping the JoinSet (e.g. on Ctrl-C) aborts every worker.
    let mut workers = JoinSet::new();
    let mut queues = Vec::with_capacity(rpcs.len());
    let all: Arc<Vec<Rpc>> = Arc::new(rpcs.to_vec());
    for (index, rpc) in rpcs.iter().enumerate() {
        let (tx, rx) = mpsc::channel::<Vec<PlannedTx>>(QUEUE_PER_NODE);
        queues.push(tx);
        let rx = Arc::new(Mutex::new(rx));
        for c in 0..opts.clients.max(1) {
            // The first client reuses the caller's connection pool; extra ones get their own
            // (if that fails, sharing the pool still works, just with fewer connections).
            let client = if c == 0 {
                rpc.clone()
            } else {
                rpc.separate().unwrap_or_else(|_| rpc.clone())
            };
            let failover = Failover {
                all: all.clone(),
                index,
            };
            workers.spawn(worker(client, failover, rx.clone(), answer_tx.clone()));
        }
    }
    drop(answer_tx);

    let start = Instant::now();
    stats.start_us = now_us();
    let mut chunks: Vec<Vec<PlannedTx>> = Vec::new();
    let mut it = txs.into_iter().peekable();
    while it.peek().is_some() {
        chunks.push(it.by_ref().take(opts.batch).collect());
    }

    let mut sent = 0usize;
    let mut send_elapsed = Duration::ZERO;
    let dispatch = async {
        let mut bucket = TokenBucket::new(opts.tps, opts.batch, start);
        for chunk in chunks {
            bucket.acquire(chunk.len() as f64).await;
            let len = chunk.len();
            let target = chunk[0].target;
            if queues[target].send(chunk).await.is_err() {
                break;
            }
            sent += len;
        }
        send_elapsed = start.elapsed();
        drop(queues);
    };
    let mut rtts = Vec::new();
    let collect = async {
        while let Some((chunk, outcomes, rtt, rerouted)) = answer_rx.recv().await {
            rtts.push(rtt.as_secs_f64() * 1000.0);
            if rerouted {
                stats.rerouted += chunk.len();
            }
            bar.inc(chunk.len() as u64);
            for (tx, outcome) in chunk.iter().zip(outcomes) {
                record(&mut stats, tx, outcome);
            }
        }
    };
    tokio::join!(dispatch, collect);
    while workers.join_next().await.is_some() {}

    let total = start.elapsed().as_secs_f64();
    stats.end_us = now_us();
    stats.sent = sent;
    stats.duration_s = total;
    // The first batch goes out at t = 0, so k batches span (k − 1) intervals; adding one
    // interval makes an exact pacer report exactly the offered rate.
    let interval = opts.batch as f64 / opts.tps;
    stats.sent_tps = sent as f64 / (send_elapsed.as_secs_f64() + interval);
    stats.accepted_tps = stats.accepted as f64 / (total + interval);
    stats.request_ms = summarize(rtts);
    stats
}

async fn worker(
    rpc: Rpc,
    failover: Failover,
    queue: Arc<Mutex<mpsc::Receiver<Vec<PlannedTx>>>>,
    answers: mpsc::Sender<Answer>,
) {
    let mut down_until: Option<Instant> = None;
    loop {
        // The lock is held only while waiting for the next request, never across a send.
        let next = queue.lock().await.recv().await;
        let Some(chunk) = next else { return };
        let t = Instant::now();
        let skip_own = down_until.is_some_and(|u| t < u) && failover.all.len() > 1;
        let mut outcomes = if skip_own {
            vec![SubmitOutcome::Failed("node down".into()); chunk.len()]
        } else {
            let o = send(&rpc, &chunk).await;
            down_until = unanswered(&o).then(|| Instant::now() + DOWN_BACKOFF);
            o
        };
        let mut rerouted = false;
        let n = failover.all.len();
        for k in 1..n {
            if !unanswered(&outcomes) {
                break;
            }
            let other = &failover.all[(failover.index + k) % n];
            outcomes = send(other, &chunk).await;
            rerouted = !unanswered(&outcomes);
        }
        if answers
            .send((chunk, outcomes, t.elapsed(), rerouted))
            .await
            .is_err()
        {
            return;
        }
    }
}

fn record(stats: &mut LoadStats, tx: &PlannedTx, outcome: SubmitOutcome) {
    match outcome {
        SubmitOutcome::Accepted(hash) => {
            stats.accepted += 1;
            if hash.trim_start_matches("0x") != tx.hash {
                stats.hash_mismatch += 1;
            }
            stats.accepted_hashes.push(tx.hash.clone());
        }
        SubmitOutcome::Rejected { code, message } => {
            *stats
                .rejected
                .entry(reason_key(code, &message))
                .or_default() += 1;
        }
        SubmitOutcome::Failed(e) => *stats.failed.entry(e).or_default() += 1,
    }
}
