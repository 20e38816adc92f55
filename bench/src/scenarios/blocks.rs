//! `blocks`: block-heavy relay, compact against whole blocks on the same network in one bench
//! run: 8 nodes (4 producers) over the built-in WAN regions with every link capped at
//! [`BANDWIDTH_MBIT`] per direction, 150 tx/s offered with 6.5 s slots (about 1 000 txs per
//! block, the issue's own example size), 60 s of load, run once with `[net] compact_blocks = true` and once with `false`, same seed,
//! topology and load. Figures per mode: block-topic bytes per node per block, block
//! time-to-all p50/p99, extra round trips per compact block, rebuilds without a round trip,
//! failures; then compact against full.
//!
//! Why this size: the issue asks for ≥ 500 txs per block; at 1 000 tx/s this 2-core machine
//! holds no network at all (each tx costs every node ~0.5 ms, so 8 nodes × 1 000 tx/s need
//! 4 cores), and 8 × 250 tx/s already kept it 79% busy (measured); 8 × 200 is about 1.3.
//! So the blocks grow with the slot, not the rate: 6.5 s slots make ~1 000-tx blocks (160 KB
//! whole). With 2.5 s slots (~460 txs, session 8) the p99 cut was 37%: the whole block's
//! transmission time is then a smaller share of its time to all. 200 tx/s with 5 s slots kept
//! the machine 74–79% busy (session 9: saturated, not judged), hence 150 tx/s. 60 s of load
//! gives 9 blocks a run.

use serde::Serialize;

use super::propagation;
use crate::ctx::{Ctx, RunOutcome};
use crate::error::Result;
use crate::net::{self, NetShape, NodeTweaks};
use crate::scenario::Spec;
use rumor_report::figure::{FigureSpec, GoalSpec};
use rumor_report::trace::Kind;
use rumor_testnet::commands::run::run_with;

/// Each emulated link's capacity per direction (Mbit/s): a block of 500 txs (80 KB whole)
/// takes 128 ms to cross one link, its compact form (3–6 KB) under 10 ms.
pub const BANDWIDTH_MBIT: f64 = 5.0;

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub nodes: usize,
    pub tps: f64,
    pub slot_ms: u64,
    pub duration_s: f64,
    pub bandwidth_mbit: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            nodes: 8,
            tps: 150.0,
            slot_ms: 6500,
            duration_s: 60.0,
            bandwidth_mbit: BANDWIDTH_MBIT,
        }
    }
}

pub fn parameters(p: &Params) -> serde_json::Value {
    serde_json::json!({ "params": p, "producers": 4, "accounts": 256, "regions": "builtin" })
}

fn mode(compact: bool) -> &'static str {
    if compact { "compact" } else { "full" }
}

pub async fn run_once(ctx: &Ctx, p: &Params) -> Result<RunOutcome> {
    let mut out = RunOutcome::default();
    let mut saturated = false;
    let mut per_mode = Vec::new();
    for compact in [true, false] {
        let params = propagation::Params {
            net: NetShape {
                regions: "builtin",
                slot_ms: p.slot_ms,
                bandwidth_mbit: Some(p.bandwidth_mbit),
                ..NetShape::new(p.nodes, 4, 256)
            },
            tps: p.tps,
            duration_s: p.duration_s,
            node: NodeTweaks {
                compact_blocks: Some(compact),
                ..NodeTweaks::default()
            },
        };
        let name = mode(compact);
        let opts = propagation::run_options(ctx, name, &params)?;
        let measured = run_with(&opts, &ctx.started).await?;
        let r = &measured.report;
        saturated |= r.machine.is_some_and(|m| m.saturated);
        let mut f = RunOutcome::default();
        propagation::figures(r, &mut f);
        let get = |k: &str| f.values.get(k).copied();
        let relay = r.blocks.clone().unwrap_or_default();
        let txs_per_block = r
            .load
            .as_ref()
            .map(|l| l.accepted as f64)
            .zip(
                r.kinds
                    .get(&Kind::Block)
                    .map(|k| k.stats.delivery.messages as f64),
            )
            .filter(|(_, b)| *b > 0.0)
            .map(|(t, b)| t / b);
        let values = [
            (
                "block_bytes",
                relay.bytes_in_per_node_per_block.map(|b| b / 1000.0),
            ),
            ("block_p50", get("block_p50_all")),
            ("block_p99", get("block_p99_all")),
            ("block_delivery", get("block_delivery")),
            ("tx_delivery", get("tx_delivery")),
            ("txs_per_block", txs_per_block),
            ("round_trips", relay.round_trips_per_block),
            (
                "no_round_trip",
                relay.no_round_trip_share.map(|s| s * 100.0),
            ),
            (
                "failures",
                relay.compact.map(|c| c.failed + c.bad + c.full_fetch),
            ),
            ("machine", get("machine_cpu")),
        ];
        for (what, v) in values {
            out.set(&format!("{name}_{what}"), v);
        }
        per_mode.push((
            relay.bytes_in_per_node_per_block,
            get("block_p50_all"),
            get("block_p99_all"),
        ));
        if ctx.keep {
            out.notes.push(format!(
                "report: {}",
                opts.up.dir.join("report/report.md").display()
            ));
        }
        net::discard(ctx, &opts.up.dir);
    }
    let cut = |compact: Option<f64>, full: Option<f64>| {
        compact
            .zip(full.filter(|f| *f > 0.0))
            .map(|(c, f)| (1.0 - c / f) * 100.0)
    };
    out.set("bytes_cut", cut(per_mode[0].0, per_mode[1].0));
    out.set("p50_cut", cut(per_mode[0].1, per_mode[1].1));
    out.set("p99_cut", cut(per_mode[0].2, per_mode[1].2));
    out.set(
        propagation::SATURATED,
        Some(if saturated { 1.0 } else { 0.0 }),
    );
    Ok(out)
}

// The scenario as BENCHMARKS.md describes it.

macro_rules! relay_figures {
    ($v:ident, $mode:literal, $label:literal) => {
        $v.extend([
            FigureSpec::new(
                concat!($mode, "_block_bytes"),
                concat!($label, ": block bytes received per node per block"),
                "KB",
            ),
            FigureSpec::new(
                concat!($mode, "_block_p50"),
                concat!($label, ": block time to all, p50"),
                "ms",
            ),
            FigureSpec::new(
                concat!($mode, "_block_p99"),
                concat!($label, ": block time to all, p99"),
                "ms",
            ),
            FigureSpec::new(
                concat!($mode, "_block_delivery"),
                concat!($label, ": block delivery"),
                "%",
            ),
            FigureSpec::new(
                concat!($mode, "_tx_delivery"),
                concat!($label, ": tx delivery"),
                "%",
            ),
            FigureSpec::new(
                concat!($mode, "_txs_per_block"),
                concat!($label, ": txs per block (accepted ÷ blocks)"),
                "",
            ),
            FigureSpec::new(
                concat!($mode, "_machine"),
                concat!($label, ": machine CPU busy"),
                "%",
            ),
        ])
    };
}

fn blocks_figures() -> Vec<FigureSpec> {
    let mut v = Vec::with_capacity(20);
    relay_figures!(v, "compact", "compact");
    v.push(
        FigureSpec::new(
            "compact_no_round_trip",
            "compact: blocks rebuilt without a round trip",
            "%",
        )
        .goal(GoalSpec::AtLeast(85.0)),
    );
    v.push(FigureSpec::new(
        "compact_round_trips",
        "compact: extra round trips per block received",
        "",
    ));
    v.push(FigureSpec::new(
        "compact_failures",
        "compact: blocks not rebuilt from pool + blocktxn (whole-block fetch, failed, wrong)",
        "",
    ));
    relay_figures!(v, "full", "whole blocks");
    v.push(
        FigureSpec::new(
            "bytes_cut",
            "block bytes per node, compact below whole",
            "%",
        )
        .goal(GoalSpec::AtLeast(90.0)),
    );
    v.push(FigureSpec::new(
        "p50_cut",
        "block p50 time to all, compact below whole",
        "%",
    ));
    v.push(
        FigureSpec::new("p99_cut", "block p99 time to all, compact below whole", "%")
            .goal(GoalSpec::AtLeast(50.0)),
    );
    v
}

/// The `Blocks` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn spec() -> Spec {
    Spec {
        title: "Compact blocks against whole blocks",
        about: "One network run twice in a row, the same seed, topology and load: 8 \
            nodes (4 producers) over the built-in WAN regions with every emulated link \
            capped at 5 Mbit/s per direction, 150 tx/s offered with 6.5 s slots (about \
            1 000 txs per block, the issue's example size), for 60 s; first with compact blocks (`[net] \
            compact_blocks = true`: header, 6-byte short ids, the producer's fresh local \
            txs whole; peers rebuild from their pools and ask the sender for what they \
            lack over `/rumor/blocktxn/1`), then with whole blocks. Block bytes are the \
            block-topic bytes each node received (every copy) per block; round trips \
            and rebuilds come from the nodes' `rumor_compact_blocks_total`. Goals (issue \
            #15): block bytes per node ≥ 90% lower, ≥ 85% of compact blocks rebuilt \
            without a round trip, block p99 time-to-all ≥ 50% lower; the latency goal \
            only on an unsaturated machine. (Why not 1 000 tx/s: each tx costs every \
            node ~0.5 ms here, so 8 nodes at 1 000 tx/s need 4 cores; 8 × 250 tx/s \
            already kept the machine 79% busy; so blocks grow with the slot instead. With \
            2.5 s slots, ~460-tx blocks, the p99 cut was 37%; 200 tx/s with 5 s slots \
            kept the machine 74–79% busy.)",
        run_time: "about 4 min per run (two testnet runs).",
        figures: blocks_figures(),
    }
}
