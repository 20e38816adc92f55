//! `in-process`: the same network (seed, size, topology seed, load) run twice in a row, once as
//! one `rumor` process per node and once with every node inside the testnet tool's process
//! (`--in-process`), at each size where both fit: 16 nodes × 100 tx/s (the main job) and
//! 32 nodes × 200 tx/s (the goal size). Both runs are measured by the same report; the
//! gap between their tx time-to-all percentiles says whether in-process mode measures the
//! same thing.

use serde::Serialize;

use super::propagation;
use crate::ctx::{Ctx, RunOutcome};
use crate::net::{self, NetShape, NodeTweaks};
use rumor_testnet::commands::run::run_with;
use rumor_testnet::error::Result;
use rumor_testnet::report::Report;
use rumor_testnet::trace::Kind;

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
            let f = figures(r, in_process);
            let prefix = format!("{}_{nodes}", mode(in_process));
            out.set(&format!("{prefix}_delivery"), f.delivery);
            out.set(&format!("{prefix}_p50"), f.p50);
            out.set(&format!("{prefix}_p99"), f.p99);
            out.set(&format!("{prefix}_cpu"), f.cpu_per_node);
            out.set(&format!("{prefix}_machine"), f.machine);
            out.set(&format!("{prefix}_rss"), f.rss_per_node_mib);
            if in_process {
                out.set(
                    &format!("inproc_{nodes}_attributed"),
                    r.in_process
                        .as_ref()
                        .and_then(|x| x.attributed_share)
                        .map(|s| s * 100.0),
                );
            }
            pair.push(f);
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
        out.set(&format!("gap_{nodes}_p50"), gap(pair[1].p50, pair[0].p50));
        out.set(&format!("gap_{nodes}_p99"), gap(pair[1].p99, pair[0].p99));
    }
    out.set(
        propagation::SATURATED,
        Some(if saturated { 1.0 } else { 0.0 }),
    );
    Ok(out)
}

struct ModeFigures {
    delivery: Option<f64>,
    p50: Option<f64>,
    p99: Option<f64>,
    cpu_per_node: Option<f64>,
    machine: Option<f64>,
    rss_per_node_mib: Option<f64>,
}

fn figures(r: &Report, in_process: bool) -> ModeFigures {
    let tx = r.kinds.get(&Kind::Tx);
    let all = tx.and_then(|k| {
        k.stats
            .reach
            .iter()
            .find(|l| l.percent_of_nodes >= 100.0)?
            .ms
            .clone()
    });
    let rss = if in_process {
        r.in_process
            .as_ref()
            .and_then(|f| f.rss_per_node_kib)
            .map(|k| k / 1024.0)
    } else {
        let v: Vec<f64> = r
            .nodes
            .iter()
            .filter_map(|n| n.rss_max_kib)
            .map(|k| k as f64 / 1024.0)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    ModeFigures {
        delivery: tx.map(|k| k.stats.delivery.ratio * 100.0),
        p50: all.as_ref().map(|s| s.p50),
        p99: all.as_ref().map(|s| s.p99),
        cpu_per_node: r.bandwidth.cpu_mean_percent,
        machine: r.machine.map(|m| m.cpu_share * 100.0),
        rss_per_node_mib: rss,
    }
}
