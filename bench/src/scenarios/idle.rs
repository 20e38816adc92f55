//! `idle`: what a node costs when nothing happens — 100 nodes in one process (`--in-process`,
//! each node's CPU from its own meter) with next to no load: one tx every 20 s, three in all
//! (a run needs messages to report on, and its window ends with the last one: at 0.02 tx/s a
//! 60 s run sent its one tx at once and measured 20 s of start-up instead). Blocks are still produced every slot (4
//! producers, 1 s slots): an idle chain is not a silent one.

use serde::Serialize;

use crate::ctx::{Ctx, RunOutcome};
use crate::error::Result;
use crate::net::{NetShape, NodeTweaks};
use crate::scenario::{MACHINE_CPU, Spec};
use crate::scenarios::propagation;
use rumor_report::figure::{FigureSpec, GoalSpec};
use rumor_testnet::commands::run::run_with;

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub nodes: usize,
    pub tps: f64,
    pub duration_s: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            nodes: 100,
            tps: 0.05,
            duration_s: 60.0,
        }
    }
}

fn propagation_params(p: &Params) -> propagation::Params {
    propagation::Params {
        net: NetShape {
            in_process: true,
            ..NetShape::new(p.nodes, 4, 256)
        },
        tps: p.tps,
        duration_s: p.duration_s,
        node: NodeTweaks::default(),
    }
}

pub fn parameters(p: &Params) -> serde_json::Value {
    serde_json::json!({ "params": p, "net": propagation_params(p).net })
}

pub async fn run_once(ctx: &Ctx, p: &Params) -> Result<RunOutcome> {
    let opts = propagation::run_options(ctx, "net", &propagation_params(p))?;
    let measured = run_with(&opts, &ctx.started).await?;
    let mut out = RunOutcome::default();
    propagation::figures(&measured.report, &mut out);
    propagation::finish(ctx, &opts, out)
}

/// The `Idle` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn spec() -> Spec {
    Spec {
        title: "Idle: what a node costs when nothing happens",
        about: "100 nodes in one process (`rumor-testnet run --in-process --nodes 100 --tps \
            0.05 --duration 60s`: the node library on one shared runtime, chain stores in \
            memory; each node's CPU from its own meter, the poll time of its tasks and \
            connections plus its verification and blocking-pool jobs), 4 producers with 1 s \
            slots, one tx every 20 s (a run needs messages to report on, and its window ends \
            with the last). What is left is \
            the periodic work: empty blocks and their relay, gossipsub heartbeats and their \
            gossip, liveness pings, status, peer exchange and mempool anti-entropy rounds. \
            Goal (issue #26): at most 0.05% of a core per node.",
        run_time: "about 2 min per run.",
        figures: vec![
            FigureSpec::new("cpu_per_node", "CPU per node", "% of a core")
                .goal(GoalSpec::AtMost(0.05)),
            FigureSpec::new("bytes_out", "bytes sent per node", "KiB/s"),
            FigureSpec::new("rss_per_node", "memory per node (live heap)", "MiB"),
            FigureSpec::new("tx_delivery", "tx delivery", "%"),
            MACHINE_CPU,
        ],
    }
}
