//! `floor`, `propagation-loopback`, `propagation-wan` and `flood-baseline`: a whole `rumor-testnet run`
//! (start, load, collect, stop, report) whose report supplies the figures.

use std::time::Duration;

use serde::Serialize;

use crate::ctx::{Ctx, RunOutcome};
use crate::error::Result;
use crate::floor::{FloorFigures, FloorLoad};
use crate::net::{self, NetShape, NodeTweaks};
use crate::scenario::{MACHINE_CPU, Spec};
use rumor_report::Report;
use rumor_report::figure::{FigureSpec, GoalSpec};
use rumor_report::trace::Kind;
use rumor_testnet::commands::run::{RunOptions, run_with};
use rumor_testnet::load::LoadOptions;
use rumor_testnet::observe::ready::Readiness;
use rumor_testnet::setup::NodeOverrides;

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub net: NetShape,
    pub tps: f64,
    pub duration_s: f64,
    pub node: NodeTweaks,
}

impl Params {
    pub fn loopback() -> Self {
        Self {
            net: NetShape::new(32, 4, 256),
            tps: 200.0,
            duration_s: 30.0,
            node: NodeTweaks::default(),
        }
    }

    /// The `floor` scenario: the size at which round 1 measured Rumor against bare gossipsub.
    pub fn floor() -> Self {
        Self {
            net: NetShape::new(16, 4, 256),
            tps: 100.0,
            ..Self::loopback()
        }
    }

    pub fn wan() -> Self {
        Self {
            net: NetShape {
                regions: "builtin",
                ..NetShape::new(50, 4, 256)
            },
            tps: 100.0,
            duration_s: 30.0,
            node: NodeTweaks::default(),
        }
    }

    pub fn flood() -> Self {
        Self {
            node: NodeTweaks {
                flood_all: true,
                ..NodeTweaks::default()
            },
            ..Self::wan()
        }
    }
}

/// `run`'s options for a testnet in `ctx.work/label`.
pub fn run_options(ctx: &Ctx, label: &str, p: &Params) -> Result<RunOptions> {
    let overrides = NodeOverrides {
        config: p.node.config(),
        readiness: if p.node.flood_all {
            Readiness::Peers
        } else {
            Readiness::Mesh
        },
        ..Default::default()
    };
    let up = net::up_options(ctx, label, &p.net, overrides)?;
    let load = LoadOptions::paced(p.tps, Duration::from_secs_f64(p.duration_s), 1);
    Ok(RunOptions::new(up, load, ctx.quiet))
}

/// One Rumor run, then (unless flooding) the bare-gossipsub floor on the same nodes' configs
/// and final connection graph with the same load, and their ratios.
pub async fn run_once(ctx: &Ctx, p: &Params) -> Result<RunOutcome> {
    let opts = run_options(ctx, "net", p)?;
    let measured = run_with(&opts, &ctx.started).await?;
    let mut out = RunOutcome::default();
    figures(&measured.report, &mut out);
    out.details = details(&measured.report);
    if !p.node.flood_all {
        let m = rumor_testnet::Manifest::load(&opts.up.dir)?;
        let load = FloorLoad {
            messages: opts.load.total(),
            tps: p.tps,
            msg_bytes: rumor_chain::codec::TX_ENCODED_LEN,
        };
        let binary = crate::floor::locate(&ctx.rumor)?;
        let f =
            crate::floor::run(&binary, &m, &measured.report.topology.edges, load, ctx.seed).await?;
        floor_figures(&measured.report, &f, &mut out);
    }
    finish(ctx, &opts, out)
}

/// The floor's figures, Rumor's per-message figures computed the same way, and Rumor ÷ floor.
pub fn floor_figures(r: &Report, f: &FloorFigures, out: &mut RunOutcome) {
    out.set("floor_tx_delivery", f.delivery_percent);
    out.set("floor_tx_p50_all", f.p50_all_ms);
    out.set("floor_tx_p99_all", f.p99_all_ms);
    out.set("floor_cpu_per_msg", f.cpu_ms_per_msg);
    out.set("floor_bytes_per_msg", f.bytes_out_per_msg);
    out.set("floor_rss", f.rss_max_mib);
    out.set("floor_machine_cpu", f.machine.map(|m| m.cpu_share * 100.0));
    out.set("floor_syscalls_per_msg", f.syscalls_per_msg);
    let cpu = r.per_tx(r.bandwidth.cpu_mean_percent.map(|c| c / 100.0 * 1000.0));
    let bytes = r.per_tx(r.bandwidth.mean_out_per_s);
    out.set("cpu_per_msg", cpu);
    out.set("bytes_per_msg", bytes);
    let ratio = |a: Option<f64>, b: Option<f64>| a.zip(b.filter(|b| *b > 0.0)).map(|(a, b)| a / b);
    let get = |k: &str| out.values.get(k).copied();
    let (p50, p99, rss) = (get("tx_p50_all"), get("tx_p99_all"), get("rss_per_node"));
    let syscalls = get("syscalls_per_msg");
    out.set("vs_floor_cpu", ratio(cpu, f.cpu_ms_per_msg));
    out.set("vs_floor_p50", ratio(p50, f.p50_all_ms));
    out.set("vs_floor_p99", ratio(p99, f.p99_all_ms));
    out.set("vs_floor_bytes", ratio(bytes, f.bytes_out_per_msg));
    out.set("vs_floor_rss", ratio(rss, f.rss_max_mib));
    out.set("vs_floor_syscalls", ratio(syscalls, f.syscalls_per_msg));
    if let Some(m) = f.machine.filter(|m| m.saturated) {
        out.notes.push(format!(
            "the floor's run was CPU-bound too (machine {:.0}% busy)",
            m.cpu_share * 100.0
        ));
    }
}

/// One whole `run` whose report supplies a run's figures (`figures`) and the details kept in
/// the result (`details`); the testnet directory goes unless `--keep`.
pub async fn run_and_report(
    ctx: &Ctx,
    opts: &RunOptions,
    figures: fn(&Report, &mut RunOutcome),
    details: fn(&Report) -> serde_json::Value,
) -> Result<RunOutcome> {
    let measured = run_with(opts, &ctx.started).await?;
    let mut out = RunOutcome::default();
    figures(&measured.report, &mut out);
    out.details = details(&measured.report);
    finish(ctx, opts, out)
}

/// Notes where the report is (with `--keep`) and deletes the testnet directory otherwise.
pub(crate) fn finish(ctx: &Ctx, opts: &RunOptions, mut out: RunOutcome) -> Result<RunOutcome> {
    if ctx.keep {
        out.notes.push(format!(
            "report: {}",
            opts.up.dir.join("report/report.md").display()
        ));
    }
    net::discard(ctx, &opts.up.dir);
    Ok(out)
}

/// Every figure the three scenarios use, from a report (each scenario shows its own subset).
pub fn figures(r: &Report, out: &mut RunOutcome) {
    for kind in Kind::ALL {
        let Some(k) = r.kinds.get(&kind) else {
            continue;
        };
        let name = kind.as_str();
        let all = k.stats.reach.iter().find(|l| l.percent_of_nodes >= 100.0);
        let all_ms = all.and_then(|l| l.ms.as_ref());
        out.set(
            &format!("{name}_delivery"),
            Some(k.stats.delivery.ratio * 100.0),
        );
        out.set(&format!("{name}_p99_all"), all_ms.map(|s| s.p99));
        out.set(&format!("{name}_p50_all"), all_ms.map(|s| s.p50));
        out.set(
            &format!("{name}_path_ratio_p99"),
            k.stats
                .path_ratio
                .as_ref()
                .and_then(|p| p.ratio.as_ref())
                .map(|s| s.p99),
        );
        out.set(&format!("{name}_dup"), k.duplicates.per_message_per_node);
        let bound = k.stats.bound_all_ms.as_ref().map(|b| b.p99);
        out.set(&format!("{name}_bound_all_p99"), bound);
        out.set(
            &format!("{name}_all_vs_bound"),
            all_ms
                .zip(bound)
                .filter(|(_, b)| *b > 0.0)
                .map(|(a, b)| a.p99 / b),
        );
    }
    out.set("lost", r.convergence.as_ref().map(|c| c.lost.lost as f64));
    out.set("bytes_in_vs_payload", r.received_per_payload());
    out.set(
        "frames_per_msg",
        r.per_tx(r.bandwidth.mean_frames_out_per_s),
    );
    out.set(
        "syscalls_per_msg",
        r.per_tx(r.bandwidth.mean_syscalls_per_s),
    );
    out.set("bytes_out", r.bandwidth.mean_out_per_s.map(|b| b / 1024.0));
    out.set("cpu_per_node", r.bandwidth.cpu_mean_percent);
    machine(r, out);
    // In-process nodes have no RSS of their own: the host's live heap per node instead.
    let in_process = r
        .in_process
        .as_ref()
        .and_then(|f| f.heap_per_node_kib)
        .map(|k| k / 1024.0);
    out.set(
        "rss_per_node",
        mean(
            r.nodes
                .iter()
                .filter_map(|n| n.rss_max_kib)
                .map(|k| k as f64 / 1024.0),
        )
        .or(in_process),
    );
}

/// The whole machine's CPU over the run, and whether it was saturated (1) or not (0): a
/// saturated run's latency figures are CPU-bound, and the runner does not call them met.
pub fn machine(r: &Report, out: &mut RunOutcome) {
    out.set("machine_cpu", r.machine.map(|m| m.cpu_share * 100.0));
    out.set(
        SATURATED,
        r.machine.map(|m| if m.saturated { 1.0 } else { 0.0 }),
    );
}

/// The value key a run sets to 1 when its machine was saturated.
pub const SATURATED: &str = "machine_saturated";

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The parts of the report worth keeping in the result (the full report is in the testnet
/// directory with `--keep`).
pub fn details(r: &Report) -> serde_json::Value {
    serde_json::json!({
        "load": r.load,
        "delivery": r.kinds.iter().map(|(k, v)| (k.as_str(), &v.stats.delivery)).collect::<std::collections::BTreeMap<_, _>>(),
        "reach": r.kinds.iter().map(|(k, v)| (k.as_str(), &v.stats.reach)).collect::<std::collections::BTreeMap<_, _>>(),
        "path_ratio": r.kinds.iter().map(|(k, v)| (k.as_str(), &v.stats.path_ratio)).collect::<std::collections::BTreeMap<_, _>>(),
        "bound_all_ms": r.kinds.iter().map(|(k, v)| (k.as_str(), &v.stats.bound_all_ms)).collect::<std::collections::BTreeMap<_, _>>(),
        "duplicates": r.kinds.iter().map(|(k, v)| (k.as_str(), &v.duplicates)).collect::<std::collections::BTreeMap<_, _>>(),
        "bandwidth": r.bandwidth,
        "topology": {
            "min_degree": r.topology.min_degree,
            "mean_degree": r.topology.mean_degree,
            "max_degree": r.topology.max_degree,
            "connected": r.topology.connected,
        },
        "heads_same": r.heads.same_head,
        "traces": r.traces,
        "anomalies": r.anomalies,
    })
}

// The scenario as BENCHMARKS.md describes it.

/// Text shared by the scenarios with floor columns.
macro_rules! floor_about {
    () => {
        " Floor columns: right after the Rumor run, `rumor-floor` (a bare \
    rust-libp2p gossipsub node: same libp2p, transport, link emulation, keys and gossipsub \
    parameters, no validation, scoring or other protocols) runs on the same nodes' configs and \
    the Rumor run's final connection graph, carrying the same number of tx-sized messages at the \
    same rate, published round-robin over the nodes; measured the same way (CPU from /proc over \
    the window, bytes from libp2p's bandwidth counters, arrival times from the same trace \
    analysis). Each ratio is Rumor ÷ floor within one run; Rumor's CPU and bytes per message \
    include its blocks (the floor carries none)."
    };
}

/// The floor columns of a propagation scenario: the bare-gossipsub floor run right after Rumor
/// on the same nodes, graph and load (`crate::floor`), and Rumor ÷ floor per message.
/// `p99_goal`: the goal on Rumor's p99 time-to-all ÷ the floor's, if the scenario sets one.
fn floor_columns(p99_goal: Option<f64>) -> Vec<FigureSpec> {
    let p99 = FigureSpec::new("vs_floor_p99", "tx p99 time to all ÷ floor", "×");
    vec![
        FigureSpec::new("floor_tx_delivery", "floor: tx delivery", "%"),
        FigureSpec::new("floor_tx_p50_all", "floor: tx time to all nodes, p50", "ms"),
        FigureSpec::new("floor_tx_p99_all", "floor: tx time to all nodes, p99", "ms"),
        FigureSpec::new("vs_floor_p50", "tx p50 time to all ÷ floor", "×"),
        match p99_goal {
            Some(g) => p99.goal(GoalSpec::AtMost(g)),
            None => p99,
        },
        FigureSpec::new("cpu_per_msg", "CPU per message per node", "CPU ms"),
        FigureSpec::new(
            "floor_cpu_per_msg",
            "floor: CPU per message per node",
            "CPU ms",
        ),
        FigureSpec::new("vs_floor_cpu", "CPU per message ÷ floor", "×").goal(GoalSpec::AtMost(1.0)),
        FigureSpec::new("bytes_per_msg", "bytes sent per tx per node", "B"),
        FigureSpec::new(
            "floor_bytes_per_msg",
            "floor: bytes sent per message per node",
            "B",
        ),
        FigureSpec::new("vs_floor_bytes", "bytes per message ÷ floor", "×"),
        FigureSpec::new(
            "syscalls_per_msg",
            "file, pipe and eventfd read/write calls per tx per node",
            "",
        ),
        FigureSpec::new(
            "floor_syscalls_per_msg",
            "floor: file, pipe and eventfd read/write calls per message per node",
            "",
        ),
        FigureSpec::new(
            "vs_floor_syscalls",
            "read/write calls per message ÷ floor",
            "×",
        ),
        FigureSpec::new("rss_per_node", "peak RSS per node", "MiB"),
        FigureSpec::new("floor_rss", "floor: peak RSS per node", "MiB"),
        FigureSpec::new("vs_floor_rss", "peak RSS ÷ floor", "×"),
        FigureSpec::new(
            "floor_machine_cpu",
            "floor: machine CPU busy (all processes, all cores)",
            "%",
        ),
    ]
}

/// Bytes received per node ÷ the payload in them (issue #26).
fn received_per_payload() -> FigureSpec {
    FigureSpec::new(
        "bytes_in_vs_payload",
        "bytes received per node ÷ payload",
        "×",
    )
}

/// Gossipsub frames (RPCs) each node sends per tx (issue #26).
fn frames_per_msg() -> FigureSpec {
    FigureSpec::new(
        "frames_per_msg",
        "gossipsub frames sent per tx per node",
        "",
    )
}

/// Duplicates per tx per node.
fn tx_dup() -> FigureSpec {
    FigureSpec::new("tx_dup", "tx duplicates per tx per node", "")
}

/// A spec's own figures followed by the floor columns.
fn with_floor(mut figures: Vec<FigureSpec>, p99_goal: Option<f64>) -> Vec<FigureSpec> {
    figures.extend(floor_columns(p99_goal));
    figures
}

const fn vs_mesh(key: &'static str) -> GoalSpec {
    GoalSpec::Versus {
        scenario: "propagation-wan",
        key,
        label: "mesh",
    }
}

/// The `Floor` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn floor_spec() -> Spec {
    Spec {
        title: "Rumor beside the bare-gossipsub floor: 16 nodes",
        about: concat!(
            "What `rumor-testnet run --nodes 16 --tps 100 --duration 30s` does (16 \
            nodes, 4 producers, 1 s slots, loopback), beside the floor. Goal: CPU per \
            message per node ≤ 1.0 × the floor's (issue #26: ≤ 0.6×); bytes received per \
            node ≤ 2.0 × the payload in them; duplicates ≤ 1.5 per tx per node. Frames are \
            gossipsub RPCs written (`rumor_p2p_gossip_rpcs_sent`). Read/write calls are \
            `syscr` + `syscw` of `/proc/<pid>/io` (every thread): file, pipe and eventfd \
            calls, i.e. trace and journal writes and cross-thread wake-ups; the kernel does \
            not count socket send/recv there (see the per-message system-call table below \
            for `perf stat -e raw_syscalls:sys_enter`).",
            floor_about!()
        ),
        run_time: "about 90 s per run (Rumor, then the floor).",
        figures: with_floor(
            vec![
                FigureSpec::new("tx_delivery", "tx delivery", "%").goal(GoalSpec::AtLeast(100.0)),
                FigureSpec::new("tx_p50_all", "tx time to all nodes, p50", "ms"),
                FigureSpec::new("tx_p99_all", "tx time to all nodes, p99", "ms"),
                FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
                MACHINE_CPU,
                received_per_payload().goal(GoalSpec::AtMost(2.0)),
                tx_dup().goal(GoalSpec::AtMost(1.5)),
                frames_per_msg(),
            ],
            None,
        ),
    }
}

/// The `PropagationLoopback` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn loopback_spec() -> Spec {
    Spec {
        title: "Propagation on loopback: 32 nodes",
        about: concat!(
            "What `rumor-testnet run --nodes 32 --tps 200 --duration 30s` does: 32 \
            nodes (4 producers, 1 s slots) on loopback without link emulation, 200 tx/s \
            for 30 s spread over every node's RPC. Goals: every tx and block reaches \
            every node; p99 over messages of the time to reach all nodes ≤ 50 ms for \
            txs, ≤ 100 ms for blocks; p99 time to all ≤ 1.2 × the floor's; CPU per \
            message per node ≤ 1.0 × the floor's.",
            floor_about!()
        ),
        run_time: "about 40 s per run.",
        figures: with_floor(
            vec![
                FigureSpec::new("tx_delivery", "tx delivery", "%").goal(GoalSpec::AtLeast(100.0)),
                FigureSpec::new("tx_p99_all", "tx time to all nodes, p99", "ms")
                    .goal(GoalSpec::AtMost(50.0)),
                FigureSpec::new("tx_p50_all", "tx time to all nodes, p50", "ms"),
                FigureSpec::new("block_delivery", "block delivery", "%")
                    .goal(GoalSpec::AtLeast(100.0)),
                FigureSpec::new("block_p99_all", "block time to all nodes, p99", "ms")
                    .goal(GoalSpec::AtMost(100.0)),
                FigureSpec::new("lost", "txs accepted but lost", "txs").goal(GoalSpec::AtMost(0.0)),
                FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
                MACHINE_CPU,
                received_per_payload(),
                tx_dup(),
                frames_per_msg(),
            ],
            Some(1.2),
        ),
    }
}

/// The `PropagationWan` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn wan_spec() -> Spec {
    Spec {
        title: "Propagation over emulated WAN: 50 nodes",
        about: concat!(
            "50 nodes placed in the bundled regions (`--regions builtin`: per-link \
            latency by region pair), 4 producers, 100 tx/s for 30 s. Goals: every tx \
            reaches every node; the p99 over txs of the time to reach all nodes ≤ 1.25 × \
            the p99 over txs of the shortest-path bound on that time (for each tx, the \
            latest Dijkstra arrival from its origin over the live connections weighted \
            by link latency) — that is, p99 time-to-all ÷ p99 bound; the p99 of the \
            per-delivery ratio (each (tx, node) delivery ÷ its own bound) is shown as \
            context, it is dominated by same-region pairs whose bound is a few ms; \
            duplicates per tx per node (gossipsub's unfiltered − filtered receive counts \
            ÷ (txs × nodes)) ≤ 2 — Ethereum mainnet measures about 3 at D = 8.",
            floor_about!()
        ),
        run_time: "about 45 s per run.",
        figures: with_floor(
            vec![
                FigureSpec::new("tx_delivery", "tx delivery", "%").goal(GoalSpec::AtLeast(100.0)),
                FigureSpec::new("lost", "txs accepted but lost", "txs").goal(GoalSpec::AtMost(0.0)),
                FigureSpec::new(
                    "tx_all_vs_bound",
                    "tx p99 time to all ÷ p99 shortest-path bound",
                    "×",
                )
                .goal(GoalSpec::AtMost(1.25)),
                tx_dup().goal(GoalSpec::AtMost(2.0)),
                FigureSpec::new("tx_p99_all", "tx time to all nodes, p99", "ms"),
                FigureSpec::new("tx_bound_all_p99", "shortest-path bound on it, p99", "ms"),
                FigureSpec::new(
                    "tx_path_ratio_p99",
                    "per-delivery ratio to its bound, p99",
                    "×",
                ),
                FigureSpec::new("block_delivery", "block delivery", "%")
                    .goal(GoalSpec::AtLeast(100.0)),
                FigureSpec::new("bytes_out", "bytes sent per node", "KiB/s"),
                received_per_payload(),
                frames_per_msg(),
                FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
                MACHINE_CPU,
            ],
            None,
        ),
    }
}

/// The `FloodBaseline` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn flood_spec() -> Spec {
    Spec {
        title: "Flooding baseline over emulated WAN",
        about: "The `propagation-wan` scenario with every node started with \
            `--flood-all` (forward every message to every peer instead of the gossipsub \
            mesh). Each figure is set beside the same figure of the latest \
            `propagation-wan` result in `bench/results/` (run `propagation-wan` first; \
            `--scenario all` does): what the mesh saves in duplicates and bytes, and \
            what it costs in latency.",
        run_time: "about 45 s per run.",
        figures: vec![
            FigureSpec::new("tx_delivery", "tx delivery", "%").goal(GoalSpec::AtLeast(100.0)),
            tx_dup().goal(vs_mesh("tx_dup")),
            FigureSpec::new("tx_p99_all", "tx time to all nodes, p99", "ms")
                .goal(vs_mesh("tx_p99_all")),
            FigureSpec::new(
                "tx_all_vs_bound",
                "tx p99 time to all ÷ p99 shortest-path bound",
                "×",
            )
            .goal(vs_mesh("tx_all_vs_bound")),
            FigureSpec::new("bytes_out", "bytes sent per node", "KiB/s").goal(vs_mesh("bytes_out")),
            FigureSpec::new("cpu_per_node", "CPU per node", "% of a core")
                .goal(vs_mesh("cpu_per_node")),
            MACHINE_CPU,
        ],
    }
}
