//! `ingest`: how fast one node accepts pre-signed txs over JSON-RPC, against the verify ceiling
//! measured at the start of the same run.

use std::time::Duration;

use serde::Serialize;

use super::verify_ceiling;
use crate::ctx::{Ctx, RunOutcome};
use crate::error::{Error, Result};
use crate::net::{self, NetShape, NodeTweaks};
use crate::scenario::{CEILING, Spec, fraction_of_ceiling};
use rumor_report::figure::FigureSpec;
use rumor_testnet::load::{LoadOptions, LoadStats, drive, plan_txs};
use rumor_testnet::process::procfs;
use rumor_testnet::setup::NodeOverrides;

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub accounts: usize,
    pub nonces_per_account: usize,
    pub clients: usize,
    pub batches: Vec<usize>,
    pub node: NodeTweaks,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            // 64 000 txs: about 3 s of submission at the rates seen on 2 cores, long enough
            // that connection set-up and the last stragglers don't dominate.
            accounts: 4000,
            nonces_per_account: 16,
            clients: 8,
            batches: vec![1, 100],
            node: NodeTweaks {
                big_pool: true,
                ..NodeTweaks::default()
            },
        }
    }
}

/// One batch size's measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    pub batch: usize,
    pub accepted_tps: f64,
    pub load: LoadStats,
    /// CPU of this process (the load generator) and of the node during submission, % of one
    /// core.
    pub client_cpu_percent: Option<f64>,
    pub node_cpu_percent: Option<f64>,
    /// The node's pool after submission (pending should equal accepted).
    pub pool_pending: Option<usize>,
}

pub fn shape(p: &Params) -> NetShape {
    NetShape::new(1, 1, p.accounts)
}

pub fn parameters(p: &Params) -> serde_json::Value {
    serde_json::json!({ "params": p, "net": shape(p), "no_producer": true })
}

pub async fn run_once(ctx: &Ctx, p: &Params) -> Result<RunOutcome> {
    let ceiling = verify_ceiling::measure_async(ctx.cores, verify_ceiling::DURATION).await?;
    let mut subs = Vec::new();
    for &batch in &p.batches {
        subs.push(submit(ctx, p, batch).await?);
    }
    let mut out = RunOutcome::default();
    out.set("ceiling", Some(ceiling.per_s));
    for s in &subs {
        let b = s.batch;
        out.set(&format!("accepted_b{b}"), Some(s.accepted_tps));
        out.set(&format!("client_cpu_b{b}"), s.client_cpu_percent);
        out.set(&format!("node_cpu_b{b}"), s.node_cpu_percent);
        let refused = s.load.rejected_total() + s.load.failed_total();
        if refused > 0 {
            out.notes.push(format!(
                "batch {b}: {refused} txs not accepted: {:?} {:?}",
                s.load.rejected, s.load.failed
            ));
        }
    }
    out.details = serde_json::json!({ "ceiling": ceiling, "submissions": subs });
    Ok(out)
}

/// A fresh node, every tx sent as fast as the clients go, then the node is stopped.
async fn submit(ctx: &Ctx, p: &Params, batch: usize) -> Result<Submission> {
    let overrides = NodeOverrides {
        config: p.node.config(),
        no_producers: true,
        ..Default::default()
    };
    let opts = net::up_options(ctx, &format!("batch-{batch}"), &shape(p), overrides)?;
    let (m, rpcs) = net::start(ctx, &opts).await?;
    let load = LoadOptions {
        clients: p.clients,
        txs: Some(p.accounts * p.nonces_per_account),
        targets: Some(vec![0]),
        // Unpaced: the bucket refills faster than any client can send.
        ..LoadOptions::paced(1e9, Duration::from_secs(1), batch)
    };
    load.validate(&m)?;
    let (mm, lo, accounts) = (m.clone(), load.clone(), p.accounts);
    let txs = tokio::task::spawn_blocking(move || plan_txs(&mm, &lo, &vec![0; accounts]))
        .await
        .map_err(|e| Error::Invalid(format!("signing txs: {e}")))?;

    let pid = m.nodes[0].pid;
    let bar = rumor_testnet::util::progress::bar(txs.len() as u64, "ingest", ctx.quiet);
    bar.set_message(format!("batch {batch}, {} clients", p.clients));
    let (client0, node0) = (procfs::own_cpu_seconds(), pid.and_then(procfs::cpu_seconds));
    let stats = drive(&rpcs, txs, &load, &bar).await;
    let (client1, node1) = (procfs::own_cpu_seconds(), pid.and_then(procfs::cpu_seconds));
    bar.finish_and_clear();
    let percent = |a: Option<f64>, b: Option<f64>| {
        a.zip(b)
            .filter(|_| stats.duration_s > 0.0)
            .map(|(a, b)| 100.0 * (b - a) / stats.duration_s)
    };
    let pool_pending = rpcs[0].mempool_status().await.ok().map(|s| s.pending);
    net::stop(ctx, &m).await;
    net::discard(ctx, &m.dir);
    Ok(Submission {
        batch,
        // Successful submissions / wall time from the first send to the last answer.
        accepted_tps: stats.accepted as f64 / stats.duration_s.max(1e-9),
        client_cpu_percent: percent(client0, client1),
        node_cpu_percent: percent(node0, node1),
        pool_pending,
        load: stats,
    })
}

// The scenario as BENCHMARKS.md describes it.

/// The `Ingest` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn spec() -> Spec {
    Spec {
        title: "Ingest: one node, txs over JSON-RPC",
        about: "One node, no producer (nothing drains the pool), pool limits raised \
            (`[pool] max_txs = 200000`, `max_bytes = 64 MiB`, \
            `max_pending_per_sender = 64`, `max_queued_total = 200000`). 4 000 funded \
            accounts × 16 nonces = 64 000 pre-signed txs, every one admissible, sent as \
            fast as 8 concurrent keep-alive HTTP clients go, in requests of 1 and then \
            (on a fresh node) of 100 txs. Figure: accepted txs / wall time of the \
            submission phase. Goal: ≥ 0.7 × the verify ceiling measured at the start of \
            the same run. The clients share the cores with the node; their CPU use \
            (from `/proc/self/stat`) and the node's are reported in % of one core.",
        run_time: "about 15 s per run.",
        figures: vec![
            CEILING,
            FigureSpec::new("accepted_b1", "accepted, batch 1", "tx/s")
                .goal(fraction_of_ceiling(0.7)),
            FigureSpec::new("accepted_b100", "accepted, batch 100", "tx/s")
                .goal(fraction_of_ceiling(0.7)),
            FigureSpec::new(
                "client_cpu_b1",
                "load generator CPU, batch 1",
                "% of a core",
            ),
            FigureSpec::new(
                "client_cpu_b100",
                "load generator CPU, batch 100",
                "% of a core",
            ),
            FigureSpec::new("node_cpu_b1", "node CPU, batch 1", "% of a core"),
            FigureSpec::new("node_cpu_b100", "node CPU, batch 100", "% of a core"),
        ],
    }
}
