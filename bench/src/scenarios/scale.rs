//! `scale`: ever larger networks under a light load, until one misses a delivery, saturates the
//! machine, fails to start, or takes longer than its budget. The largest that passed is the
//! figure. The ramp runs twice: with one `rumor` process per node, then with every node in the
//! runner's own process (`--in-process`).

use std::time::{Duration, Instant};

use serde::Serialize;

use super::propagation::{self, Params as RunParams};
use crate::ctx::{Ctx, RunOutcome};
use crate::error::Result;
use crate::net::{self, NetShape, NodeTweaks};
use crate::ramp::{StopReason, last_passing};
use crate::scenario::Spec;
use rumor_report::figure::{FigureSpec, GoalSpec};
use rumor_testnet::commands::run::run_with;

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub first: usize,
    pub step: usize,
    pub max: usize,
    pub tps: f64,
    pub duration_s: f64,
    /// `--runtime-threads` and `--verify-threads` for every node (`None`: node defaults).
    pub node_threads: Option<usize>,
    /// A step slower than this (start to stopped and analysed) ends the ramp.
    pub step_budget_s: f64,
    pub ready_timeout_s: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            first: 10,
            step: 10,
            max: 500,
            tps: 50.0,
            duration_s: 20.0,
            node_threads: Some(1),
            step_budget_s: 600.0,
            ready_timeout_s: 300,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub nodes: usize,
    pub passed: bool,
    pub elapsed_s: f64,
    pub error: Option<String>,
    /// The run's figures (delivery, p99, RSS, CPU, …) when it completed.
    pub values: std::collections::BTreeMap<String, f64>,
    pub details: serde_json::Value,
}

pub fn parameters(p: &Params) -> serde_json::Value {
    serde_json::json!({ "params": p, "producers": 4, "accounts": 256, "regions": "none" })
}

fn step_params(p: &Params, nodes: usize, in_process: bool) -> RunParams {
    RunParams {
        net: NetShape {
            ready_timeout_s: p.ready_timeout_s,
            in_process,
            ..NetShape::new(nodes, 4, 256)
        },
        tps: p.tps,
        duration_s: p.duration_s,
        node: NodeTweaks {
            threads: p.node_threads,
            ..NodeTweaks::default()
        },
    }
}

/// One ramp in one mode: its steps and why it stopped.
async fn ramp(ctx: &Ctx, p: &Params, in_process: bool) -> Result<(Vec<StepRecord>, StopReason)> {
    let mut records: Vec<StepRecord> = Vec::new();
    let mut stop = StopReason::Exhausted;
    let mut nodes = p.first;
    while nodes <= p.max {
        let t0 = Instant::now();
        let sp = step_params(p, nodes, in_process);
        let label = format!("{}n{nodes}", if in_process { "inproc-" } else { "" });
        let opts = propagation::run_options(ctx, &label, &sp)?;
        let result = run_with(&opts, &ctx.started).await;
        let elapsed = t0.elapsed();
        let mut rec = StepRecord {
            nodes,
            passed: false,
            elapsed_s: elapsed.as_secs_f64(),
            error: None,
            values: Default::default(),
            details: serde_json::Value::Null,
        };
        match result {
            Ok(measured) => {
                let mut o = RunOutcome::default();
                propagation::figures(&measured.report, &mut o);
                let d = &measured.report.kinds[&rumor_report::trace::Kind::Tx]
                    .stats
                    .delivery;
                // 100 % means every (tx, node) pair, not a rounded ratio.
                let delivered_all = d.messages > 0 && d.delivered == d.expected;
                let saturated = measured.report.machine.is_some_and(|m| m.saturated);
                let in_budget = elapsed <= Duration::from_secs_f64(p.step_budget_s);
                rec.passed = delivered_all && !saturated && in_budget;
                if !delivered_all {
                    stop = StopReason::Failed;
                } else if saturated {
                    stop = StopReason::Saturated;
                } else if !in_budget {
                    stop = StopReason::OverBudget;
                }
                rec.values = o.values;
                rec.details = propagation::details(&measured.report);
            }
            Err(e) => {
                rec.error = Some(e.to_string());
                stop = StopReason::Failed;
            }
        }
        if rec.passed {
            net::discard(ctx, &opts.up.dir);
        }
        let passed = rec.passed;
        records.push(rec);
        if !passed {
            break;
        }
        nodes += p.step;
    }

    Ok((records, stop))
}

pub async fn run_once(ctx: &Ctx, p: &Params) -> Result<RunOutcome> {
    let mut out = RunOutcome::default();
    let mut details = serde_json::Map::new();
    for in_process in [false, true] {
        let (records, stop) = ramp(ctx, p, in_process).await?;
        let prefix = if in_process { "inproc_" } else { "" };
        let ladder: Vec<(usize, bool)> = records.iter().map(|r| (r.nodes, r.passed)).collect();
        let largest = last_passing(&ladder);
        let at = largest.and_then(|n| records.iter().find(|r| r.nodes == n));
        out.set(
            &format!("{prefix}largest_nodes"),
            Some(largest.unwrap_or(0) as f64),
        );
        for key in ["rss_per_node", "cpu_per_node", "tx_p99_all", "machine_cpu"] {
            out.set(
                &format!("{prefix}{key}"),
                at.and_then(|r| r.values.get(key).copied()),
            );
        }
        let mode = if in_process {
            "in-process"
        } else {
            "processes"
        };
        out.notes.push(format!(
            "{mode}: ramp stopped: {stop:?} at {} nodes",
            records.last().map_or(0, |r| r.nodes)
        ));
        details.insert(
            mode.to_string(),
            serde_json::json!({ "stop": stop, "steps": records }),
        );
    }
    out.details = serde_json::Value::Object(details);
    Ok(out)
}

// The scenario as BENCHMARKS.md describes it.

/// The `Scale` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn spec() -> Spec {
    Spec {
        title: "Scale: the largest network this machine holds",
        about: "Networks of 10, 20, 30, … nodes (4 producers, loopback), each loaded \
            with 50 tx/s for 20 s, first with one `rumor` process per node (each with \
            `--runtime-threads 1 --verify-threads 1` to keep the thread count down), \
            then with every node inside the runner's process (`--in-process`: one \
            runtime, one verification pool). A size holds if every tx reaches every \
            node and the machine stays at most 70% busy (above that, latencies are CPU \
            queueing: issue #13's saturation check); each ramp stops at the first size \
            that does not hold, fails to start, or takes longer than its 10 min budget. \
            Figures: the largest size that held in each mode, with its peak RSS per \
            node (in-process: the host's live heap, counted by its allocator, less its \
            own before the nodes, ÷ nodes), CPU per node (in-process: each node's meter), p99 time to all and \
            machine CPU. Goal: ≥ 250 nodes (round 1; issue #14 asks 500 at 20 tx/s and \
            1 000 at 10 tx/s with WAN regions; the hand-run sizes are under \
            \"100 nodes over emulated WAN in one process\").",
        run_time: "5–15 min per run: about 40 s per size, both modes.",
        figures: vec![
            FigureSpec::new(
                "largest_nodes",
                "processes: largest network that holds (100 % delivery, ≤ 70% busy)",
                "nodes",
            )
            .goal(GoalSpec::AtLeast(250.0)),
            FigureSpec::new(
                "rss_per_node",
                "processes: peak RSS per node at that size (mean)",
                "MiB",
            ),
            FigureSpec::new(
                "cpu_per_node",
                "processes: CPU per node at that size (mean)",
                "% of a core",
            ),
            FigureSpec::new(
                "tx_p99_all",
                "processes: tx time to all nodes at that size, p99",
                "ms",
            ),
            FigureSpec::new(
                "machine_cpu",
                "processes: machine CPU busy at that size",
                "%",
            ),
            FigureSpec::new(
                "inproc_largest_nodes",
                "in-process: largest network that holds (100 % delivery, ≤ 70% busy)",
                "nodes",
            )
            .goal(GoalSpec::AtLeast(250.0)),
            FigureSpec::new(
                "inproc_rss_per_node",
                "in-process: live heap per node at that size",
                "MiB",
            ),
            FigureSpec::new(
                "inproc_cpu_per_node",
                "in-process: CPU per node at that size (meters)",
                "% of a core",
            ),
            FigureSpec::new(
                "inproc_tx_p99_all",
                "in-process: tx time to all nodes at that size, p99",
                "ms",
            ),
            FigureSpec::new(
                "inproc_machine_cpu",
                "in-process: machine CPU busy at that size",
                "%",
            ),
        ],
    }
}
