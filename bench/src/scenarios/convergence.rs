//! `partition` and `churn`: a whole `rumor-testnet run` with fault flags, whose report's
//! convergence section supplies the figures (the convergence issue's goal runs).

use std::time::Duration;

use serde::Serialize;

use crate::ctx::{Ctx, RunOutcome};
use crate::error::Result;
use crate::net::{self, NetShape};
use crate::scenario::{MACHINE_CPU, Spec};
use rumor_report::Report;
use rumor_report::figure::{FigureSpec, GoalSpec};
use rumor_report::trace::Kind;
use rumor_testnet::commands::run::RunOptions;
use rumor_testnet::faults::{Churn, Faults, Partition};
use rumor_testnet::load::LoadOptions;
use rumor_testnet::setup::NodeOverrides;

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub net: NetShape,
    pub tps: f64,
    pub duration_s: f64,
    pub faults: Faults,
}

impl Params {
    /// `run --nodes 16 --slot-ms 250 --partition 50%@10s+300s` (100 tx/s for 30 s).
    pub fn partition() -> Self {
        Self {
            net: NetShape {
                slot_ms: 250,
                ..NetShape::new(16, 4, 256)
            },
            tps: 100.0,
            duration_s: 30.0,
            faults: Faults {
                partition: Some(Partition {
                    fraction: 0.5,
                    start: Duration::from_secs(10),
                    duration: Duration::from_secs(300),
                    every: None,
                }),
                ..Faults::default()
            },
        }
    }

    /// `run --nodes 16 --churn 25%@5s --duration 120s` (100 tx/s).
    pub fn churn() -> Self {
        Self {
            net: NetShape::new(16, 4, 256),
            tps: 100.0,
            duration_s: 120.0,
            faults: Faults {
                churn: Some(Churn {
                    fraction: 0.25,
                    period: Duration::from_secs(5),
                }),
                ..Faults::default()
            },
        }
    }
}

fn run_options(ctx: &Ctx, p: &Params) -> Result<RunOptions> {
    let up = net::up_options(ctx, "net", &p.net, NodeOverrides::default())?;
    let load = LoadOptions::paced(p.tps, Duration::from_secs_f64(p.duration_s), 1);
    let mut opts = RunOptions::new(up, load, ctx.quiet);
    opts.faults = p.faults;
    Ok(opts)
}

pub async fn run_once(ctx: &Ctx, p: &Params) -> Result<RunOutcome> {
    let opts = run_options(ctx, p)?;
    super::propagation::run_and_report(ctx, &opts, figures, details).await
}

fn details(r: &Report) -> serde_json::Value {
    serde_json::json!({ "load": r.load, "convergence": r.convergence })
}

/// The convergence figures of a report (each scenario shows its own subset).
pub fn figures(r: &Report, out: &mut RunOutcome) {
    let Some(c) = &r.convergence else { return };
    out.set("converged", Some(if c.converged { 100.0 } else { 0.0 }));
    out.set("lost", Some(c.lost.lost as f64));
    out.set("deepest_reorg", c.deepest_reorg.map(|d| d as f64));
    out.set(
        "tx_delivery",
        r.kinds
            .get(&Kind::Tx)
            .map(|k| k.stats.delivery.ratio * 100.0),
    );
    out.set("cpu_per_node", r.bandwidth.cpu_mean_percent);
    super::propagation::machine(r, out);
    let Some(f) = &c.faults else { return };
    if let Some(p) = &f.partition {
        out.set("heal_s", p.heal_to_one_head_ms.map(|ms| ms / 1000.0));
        out.set(
            "blocks_built",
            Some(p.blocks_built[0].min(p.blocks_built[1]) as f64),
        );
    }
    if !f.downtime.is_empty() {
        out.set(
            "kills",
            Some(f.downtime.values().map(|d| d.kills).sum::<usize>() as f64),
        );
        out.set(
            "down_s",
            Some(f.downtime.values().map(|d| d.down_ms).sum::<u64>() as f64 / 1000.0),
        );
    }
}

// The scenario as BENCHMARKS.md describes it.

/// The `Partition` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn partition_spec() -> Spec {
    Spec {
        title: "Partition heal: 16 nodes, 300 s apart",
        about: "What `rumor-testnet run --nodes 16 --slot-ms 250 --partition 50%@10s+300s` \
            does: 16 nodes (4 producers, 250 ms slots), 100 tx/s for 30 s; from 10 s to \
            310 s half the nodes (half the producers) are cut off from the rest (real \
            connection cuts both ways through each node's `fault_*` RPC), so each side \
            builds its own branch; then the cut is lifted. Goals: one head on every \
            node, ≥ 600 blocks on each side before the heal, one head everywhere ≤ 10 s \
            after it, 0 accepted txs lost.",
        run_time: "about 5 min 30 s per run.",
        figures: vec![
            FigureSpec::new("converged", "one head on every node", "%")
                .goal(GoalSpec::AtLeast(100.0)),
            FigureSpec::new("blocks_built", "blocks built by the smaller side", "")
                .goal(GoalSpec::AtLeast(600.0)),
            FigureSpec::new("heal_s", "heal → one head everywhere", "s")
                .goal(GoalSpec::AtMost(10.0)),
            FigureSpec::new("lost", "txs accepted but lost", "txs").goal(GoalSpec::AtMost(0.0)),
            FigureSpec::new("deepest_reorg", "deepest reorg", "blocks"),
            FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
            MACHINE_CPU,
        ],
    }
}

/// The `Churn` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn churn_spec() -> Spec {
    Spec {
        title: "Churn: 16 nodes, a quarter of the others killed every 5 s",
        about: "What `rumor-testnet run --nodes 16 --churn 25%@5s --duration 120s` does: \
            16 nodes (4 producers, 1 s slots), 100 tx/s for 120 s over every node's RPC \
            (failing over to the next node when the target is down); every 5 s a quarter \
            of the 12 non-producers get SIGKILL and last round's victims restart from \
            their data directories. Goals: one head on every node, 0 accepted txs lost, \
            tx delivery 100% over the live nodes.",
        run_time: "about 2 min 10 s per run.",
        figures: vec![
            FigureSpec::new("converged", "one head on every node", "%")
                .goal(GoalSpec::AtLeast(100.0)),
            FigureSpec::new("lost", "txs accepted but lost", "txs").goal(GoalSpec::AtMost(0.0)),
            FigureSpec::new("tx_delivery", "tx delivery over live nodes", "%")
                .goal(GoalSpec::AtLeast(100.0)),
            FigureSpec::new("kills", "kills", ""),
            FigureSpec::new("down_s", "node-seconds down", "s"),
            FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
            MACHINE_CPU,
        ],
    }
}
