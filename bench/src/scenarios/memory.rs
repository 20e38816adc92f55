//! `memory`: one node's resident set with 16 peers, idle and under load.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::ctx::{Ctx, RunOutcome};
use crate::error::{Error, Result};
use crate::net::{self, NetShape, NodeTweaks};
use crate::scenario::Spec;
use rumor_report::figure::{FigureSpec, GoalSpec};
use rumor_testnet::commands::load::run_load;
use rumor_testnet::load::LoadOptions;
use rumor_testnet::observe::rpc::Rpc;
use rumor_testnet::process::procfs;
use rumor_testnet::setup::NodeOverrides;

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub nodes: usize,
    pub peers: usize,
    pub idle_s: f64,
    pub tps: f64,
    pub load_s: f64,
    pub sample_ms: u64,
    pub accounts: usize,
    /// How long to wait for node 0 to reach `peers` peers before measuring anyway.
    pub peers_timeout_s: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            nodes: 17,
            peers: 16,
            idle_s: 20.0,
            tps: 1000.0,
            load_s: 20.0,
            sample_ms: 200,
            accounts: 2000,
            peers_timeout_s: 60.0,
        }
    }
}

pub fn shape(p: &Params) -> NetShape {
    NetShape::new(p.nodes, 4, p.accounts)
}

pub fn parameters(p: &Params) -> serde_json::Value {
    serde_json::json!({ "params": p, "net": shape(p) })
}

const MIB: f64 = 1024.0;

/// Polls node 0's peer count until it reaches `want` or `timeout` passes; the last count.
async fn wait_peers(rpc: &Rpc, want: usize, timeout: Duration) -> usize {
    let deadline = Instant::now() + timeout;
    loop {
        let n = rpc.net_peers().await.map_or(0, |p| p.len());
        if n >= want || Instant::now() >= deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn run_once(ctx: &Ctx, p: &Params) -> Result<RunOutcome> {
    let overrides = NodeOverrides {
        config: NodeTweaks {
            peers: Some((p.peers, p.peers)),
            ..NodeTweaks::default()
        }
        .config(),
        ..Default::default()
    };
    let opts = net::up_options(ctx, "net", &shape(p), overrides)?;
    let (m, rpcs) = net::start(ctx, &opts).await?;
    let pid = m.nodes[0]
        .pid
        .ok_or_else(|| Error::Invalid("node 0 has no pid".into()))?;
    let rss_mib = || procfs::mem(pid).map(|m| m.rss_kib as f64 / MIB);

    let peers_reached = wait_peers(
        &rpcs[0],
        p.peers,
        Duration::from_secs_f64(p.peers_timeout_s),
    )
    .await;
    tokio::time::sleep(Duration::from_secs_f64(p.idle_s)).await;
    let peers_after_idle = rpcs[0].net_peers().await.map_or(0, |p| p.len());
    let idle = rss_mib();

    let load = LoadOptions {
        accounts: Some(p.accounts),
        ..LoadOptions::paced(p.tps, Duration::from_secs_f64(p.load_s), 1)
    };
    let sending = run_load(&m, &rpcs, &load, ctx.quiet);
    tokio::pin!(sending);
    let mut tick = tokio::time::interval(Duration::from_millis(p.sample_ms));
    let mut max_rss = idle.unwrap_or(0.0);
    let record = loop {
        tokio::select! {
            r = &mut sending => break r?,
            _ = tick.tick() => {
                if let Some(r) = rss_mib() {
                    max_rss = max_rss.max(r);
                }
            }
        }
    };
    let hwm = procfs::mem(pid).map(|m| m.hwm_kib as f64 / MIB);
    net::stop(ctx, &m).await;
    net::discard(ctx, &m.dir);

    let mut out = RunOutcome::default();
    out.set("idle_rss", idle);
    out.set("load_rss", Some(max_rss));
    out.set("peers", Some(peers_after_idle as f64));
    out.set("load_tps", Some(record.stats.accepted_tps));
    if peers_reached < p.peers {
        out.notes.push(format!(
            "node 0 had {peers_reached} of {} peers after {} s; measured anyway",
            p.peers, p.peers_timeout_s
        ));
    }
    out.details = serde_json::json!({
        "peers_reached": peers_reached,
        "peers_after_idle": peers_after_idle,
        "idle_rss_mib": idle,
        "load_rss_max_mib": max_rss,
        "vm_hwm_mib_after_load": hwm,
        "load": record.stats,
    });
    Ok(out)
}

// The scenario as BENCHMARKS.md describes it.

/// The `Memory` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn spec() -> Spec {
    Spec {
        title: "Memory of one node",
        about: "17 nodes with `--peers-low 16 --peers-high 16` (everyone connected to \
            everyone), 4 producers, default pool. Node 0's VmRSS after 20 s idle with 16 \
            peers, then the maximum of its VmRSS (sampled every 200 ms) while the \
            network is offered 1 000 tx/s (20 000 txs; one client per node, so when the nodes \
            cannot keep up the load stretches out and the achieved rate is reported). \
            Goals: ≤ 50 MiB idle, ≤ 200 MiB loaded.",
        run_time: "about 80 s per run.",
        figures: vec![
            FigureSpec::new("idle_rss", "RSS idle, 16 peers", "MiB").goal(GoalSpec::AtMost(50.0)),
            FigureSpec::new("load_rss", "RSS max under 1 000 tx/s", "MiB")
                .goal(GoalSpec::AtMost(200.0)),
            FigureSpec::new("peers", "peers of node 0", ""),
            FigureSpec::new(
                "load_tps",
                "load achieved (accepted, offered 1 000)",
                "tx/s",
            ),
        ],
    }
}
