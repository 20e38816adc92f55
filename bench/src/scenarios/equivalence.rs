//! `in-process`: the same network (seed, size, topology seed, load) run twice in a row, once as
//! one `rumor` process per node and once with every node inside the testnet tool's process
//! (`--in-process`), at each size where both fit: 16 nodes × 100 tx/s (the main job) and
//! 32 nodes × 200 tx/s (the goal size). Both runs are measured by the same report; the
//! gap between their tx time-to-all percentiles says whether in-process mode measures the
//! same thing.

use serde::Serialize;

use super::propagation;
use crate::ctx::{Ctx, RunOutcome};
use crate::error::Result;
use crate::net::{self, NetShape, NodeTweaks};
use crate::scenario::Spec;
use rumor_report::figure::{FigureSpec, GoalSpec};
use rumor_testnet::commands::run::run_with;

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    /// `(nodes, tx/s)` pairs, each run in both modes.
    pub sizes: Vec<(usize, f64)>,
    pub duration_s: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            sizes: SIZES.to_vec(),
            duration_s: 30.0,
        }
    }
}

/// The sizes the scenario's figures name (`proc_16_p50`, …).
pub const SIZES: [(usize, f64); 2] = [(16, 100.0), (32, 200.0)];

pub fn parameters(p: &Params) -> serde_json::Value {
    serde_json::json!({ "params": p, "producers": 4, "accounts": 256 })
}

/// A mode's key prefix.
fn mode(in_process: bool) -> &'static str {
    if in_process { "inproc" } else { "proc" }
}

pub async fn run_once(ctx: &Ctx, p: &Params) -> Result<RunOutcome> {
    let mut out = RunOutcome::default();
    let mut saturated = false;
    for &(nodes, tps) in &p.sizes {
        let mut pair = Vec::new();
        for in_process in [false, true] {
            let params = propagation::Params {
                net: NetShape {
                    in_process,
                    ..NetShape::new(nodes, 4, 256)
                },
                tps,
                duration_s: p.duration_s,
                node: NodeTweaks::default(),
            };
            let label = format!("{}-{nodes}", mode(in_process));
            let opts = propagation::run_options(ctx, &label, &params)?;
            let measured = run_with(&opts, &ctx.started).await?;
            let r = &measured.report;
            saturated |= r.machine.is_some_and(|m| m.saturated);
            let mut f = RunOutcome::default();
            propagation::figures(r, &mut f);
            let get = |k: &str| f.values.get(k).copied();
            let prefix = format!("{}_{nodes}", mode(in_process));
            for (what, key) in [
                ("delivery", "tx_delivery"),
                ("p50", "tx_p50_all"),
                ("p99", "tx_p99_all"),
                ("cpu", "cpu_per_node"),
                ("machine", "machine_cpu"),
                ("rss", "rss_per_node"),
            ] {
                out.set(&format!("{prefix}_{what}"), get(key));
            }
            if in_process {
                out.set(
                    &format!("inproc_{nodes}_attributed"),
                    r.in_process
                        .as_ref()
                        .and_then(|x| x.attributed_share)
                        .map(|s| s * 100.0),
                );
            }
            pair.push((get("tx_p50_all"), get("tx_p99_all")));
            if ctx.keep {
                out.notes.push(format!(
                    "report: {}",
                    opts.up.dir.join("report/report.md").display()
                ));
            }
            net::discard(ctx, &opts.up.dir);
        }
        let gap = |a: Option<f64>, b: Option<f64>| {
            a.zip(b.filter(|b| *b > 0.0))
                .map(|(a, b)| (a / b - 1.0).abs() * 100.0)
        };
        out.set(&format!("gap_{nodes}_p50"), gap(pair[1].0, pair[0].0));
        out.set(&format!("gap_{nodes}_p99"), gap(pair[1].1, pair[0].1));
    }
    out.set(
        propagation::SATURATED,
        Some(if saturated { 1.0 } else { 0.0 }),
    );
    Ok(out)
}

// The scenario as BENCHMARKS.md describes it.

/// One mode's figures at one size of the `in-process` scenario (keys `<mode>_<nodes>_<what>`).
macro_rules! mode_figures {
    ($v:ident, $mode:literal, $nodes:literal, $label:literal) => {
        $v.push(FigureSpec::new(
            concat!($mode, "_", $nodes, "_delivery"),
            concat!($label, ": tx delivery"),
            "%",
        ));
        $v.push(FigureSpec::new(
            concat!($mode, "_", $nodes, "_p50"),
            concat!($label, ": tx time to all, p50"),
            "ms",
        ));
        $v.push(FigureSpec::new(
            concat!($mode, "_", $nodes, "_p99"),
            concat!($label, ": tx time to all, p99"),
            "ms",
        ));
        $v.push(FigureSpec::new(
            concat!($mode, "_", $nodes, "_cpu"),
            concat!($label, ": CPU per node"),
            "% of a core",
        ));
        $v.push(FigureSpec::new(
            concat!($mode, "_", $nodes, "_rss"),
            concat!($label, ": memory per node"),
            "MiB",
        ));
        $v.push(FigureSpec::new(
            concat!($mode, "_", $nodes, "_machine"),
            concat!($label, ": machine CPU busy"),
            "%",
        ));
    };
}

/// The `in-process` scenario's figures: per size, both modes side by side, then the gaps
/// (|in-process ÷ processes − 1|, in %; the goal is on the 32-node pair).
fn equivalence_figures() -> Vec<FigureSpec> {
    let mut v = Vec::with_capacity(32);
    mode_figures!(v, "proc", 16, "16 × 100 tx/s, processes");
    mode_figures!(v, "inproc", 16, "16 × 100 tx/s, in-process");
    v.push(FigureSpec::new(
        "inproc_16_attributed",
        "16 × 100 tx/s, in-process: process CPU the node meters account for",
        "%",
    ));
    v.push(FigureSpec::new("gap_16_p50", "16 × 100 tx/s: p50 gap", "%"));
    v.push(FigureSpec::new("gap_16_p99", "16 × 100 tx/s: p99 gap", "%"));
    mode_figures!(v, "proc", 32, "32 × 200 tx/s, processes");
    mode_figures!(v, "inproc", 32, "32 × 200 tx/s, in-process");
    v.push(FigureSpec::new(
        "inproc_32_attributed",
        "32 × 200 tx/s, in-process: process CPU the node meters account for",
        "%",
    ));
    v.push(
        FigureSpec::new("gap_32_p50", "32 × 200 tx/s: p50 gap", "%").goal(GoalSpec::AtMost(15.0)),
    );
    v.push(
        FigureSpec::new("gap_32_p99", "32 × 200 tx/s: p99 gap", "%").goal(GoalSpec::AtMost(15.0)),
    );
    v
}

/// The `InProcess` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn spec() -> Spec {
    Spec {
        title: "In-process beside process mode: the same network both ways",
        about: "The same testnet (seed, size, topology, 4 producers, 1 s slots, \
            loopback, load over every node's RPC) run twice in a row: once as one `rumor` \
            process per node, once with every node inside the testnet tool's process \
            (`rumor-testnet run --in-process`: the node library on one shared runtime and \
            one verification pool, chain stores in memory). Sizes: 16 nodes × 100 tx/s \
            for 30 s (the main job) and 32 nodes × 200 tx/s for 30 s. In-process CPU per \
            node comes from each node's meter (poll time of its tasks and connections, \
            plus its verification and blocking-pool jobs), process-mode CPU from /proc; \
            memory per node is each process's peak RSS in process mode and, in-process, the \
            host's live heap (counted by its allocator) less its own before the first \
            node, ÷ nodes. Goal: at 32 nodes × \
            200 tx/s, the in-process p50 and p99 tx time-to-all within 15% of process \
            mode's (a gap is |in-process ÷ process − 1|); like any latency figure, only \
            judged when the machine was not saturated.",
        run_time: "about 5 min per run (four testnet runs).",
        figures: equivalence_figures(),
    }
}
