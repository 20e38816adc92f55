//! `verify-ceiling`: how many transactions per second this machine can signature-check, in
//! this process, on all cores and on one. No node is involved.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use rumor_chain::{Keypair, SignedTransaction, Transaction};
use serde::Serialize;

use crate::ctx::{Ctx, RunOutcome};
use crate::error::{Error, Result};
use crate::scenario::Spec;
use rumor_report::figure::FigureSpec;

const CHAIN_ID: u64 = 1;
/// Distinct txs (and keys) each thread cycles through: enough that nothing is cached between
/// two checks of the same tx, few enough to sign in milliseconds.
const TXS_PER_THREAD: usize = 256;
pub const DURATION: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rate {
    pub threads: usize,
    pub verified: u64,
    pub failed: u64,
    /// Sum over threads of each thread's verifications / its own elapsed time.
    pub per_s: f64,
}

fn signed_txs(thread: usize) -> Vec<SignedTransaction> {
    (0..TXS_PER_THREAD)
        .map(|i| {
            let key = Keypair::from_label(&format!("bench/verify-{thread}-{i}"));
            Transaction {
                chain_id: CHAIN_ID,
                from: key.address(),
                to: key.address(),
                amount: 1,
                fee: 1,
                nonce: i as u64,
            }
            .sign(&key)
        })
        .collect()
}

/// Blocking: `threads` threads verify for `duration`, starting together.
pub fn measure(threads: usize, duration: Duration) -> Rate {
    let sets: Vec<Vec<SignedTransaction>> = (0..threads).map(signed_txs).collect();
    let barrier = Barrier::new(threads);
    let results: Vec<(u64, u64, f64)> = std::thread::scope(|s| {
        let handles: Vec<_> = sets
            .iter()
            .map(|txs| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let (mut ok, mut bad) = (0u64, 0u64);
                    'outer: loop {
                        for tx in txs {
                            // The node's path: clone out of the pool's copy, check the chain
                            // id and cost, decompress the key, `verify_strict`.
                            match tx.clone().verify(CHAIN_ID) {
                                Ok(_) => ok += 1,
                                Err(_) => bad += 1,
                            }
                            // Reading the clock every 32 checks costs nothing measurable.
                            if (ok + bad) % 32 == 0 && start.elapsed() >= duration {
                                break 'outer;
                            }
                        }
                    }
                    (ok, bad, start.elapsed().as_secs_f64())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((0, 0, 1.0)))
            .collect()
    });
    Rate {
        threads,
        verified: results.iter().map(|r| r.0).sum(),
        failed: results.iter().map(|r| r.1).sum(),
        per_s: results.iter().map(|&(ok, _, t)| ok as f64 / t).sum(),
    }
}

/// [`measure`] off the async runtime.
pub async fn measure_async(threads: usize, duration: Duration) -> Result<Rate> {
    let rate = tokio::task::spawn_blocking(move || measure(threads.max(1), duration))
        .await
        .map_err(|e| Error::Invalid(format!("verify benchmark thread: {e}")))?;
    if rate.failed > 0 {
        return Err(Error::Invalid(format!(
            "{} of the benchmark's own signatures failed to verify",
            rate.failed
        )));
    }
    Ok(rate)
}

pub async fn run_once(ctx: &Ctx) -> Result<RunOutcome> {
    let all = measure_async(ctx.cores, DURATION).await?;
    let one = measure_async(1, DURATION).await?;
    let mut out = RunOutcome::default();
    out.set("all_cores", Some(all.per_s));
    out.set("one_core", Some(one.per_s));
    out.details = serde_json::json!({ "all_cores": all, "one_core": one });
    Ok(out)
}

pub fn parameters(cores: usize) -> serde_json::Value {
    serde_json::json!({
        "threads_all_cores": cores,
        "seconds_each": DURATION.as_secs_f64(),
        "txs_per_thread": TXS_PER_THREAD,
        "call": "SignedTransaction::clone().verify(chain_id) (chain id, cost, key decompression, verify_strict)",
    })
}

// The scenario as BENCHMARKS.md describes it.

/// The `VerifyCeiling` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn spec() -> Spec {
    Spec {
        title: "Signature verification ceiling",
        about: "ed25519 `verify_strict` of pre-signed transactions in this process, \
            key decompression included (`tx.clone().verify(chain_id)`, the node's path): \
            one thread per core for 3 s, then one thread for 3 s. No node runs. This is \
            the reference for ingest and relay: a node cannot accept txs faster than it \
            can check their signatures.",
        run_time: "about 7 s per run.",
        figures: vec![
            FigureSpec::new("all_cores", "verify_strict, all cores", "verifies/s"),
            FigureSpec::new("one_core", "verify_strict, one core", "verifies/s"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_verifications() {
        let r = measure(2, Duration::from_millis(50));
        assert_eq!(r.threads, 2);
        assert_eq!(r.failed, 0);
        assert!(r.verified > 0 && r.per_s > 0.0, "{r:?}");
    }
}
