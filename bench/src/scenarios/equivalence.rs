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
