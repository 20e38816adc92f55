//! The scenarios by name, with what each measures, its figures and goals. The texts here are
//! also the sections of `BENCHMARKS.md`, so the document and the tool cannot drift apart.

use super::figure::{FigureSpec, GoalSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    VerifyCeiling,
    Ingest,
    Relay,
    Floor,
    PropagationLoopback,
    PropagationWan,
    FloodBaseline,
    Scale,
    Memory,
    Partition,
    Churn,
    InProcess,
    Blocks,
    Soak,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub title: &'static str,
    /// What is measured, how, and the goal: the section text.
    pub about: &'static str,
    /// Rough wall time of one run on a 2-core machine.
    pub run_time: &'static str,
    pub figures: Vec<FigureSpec>,
}

const CEILING: FigureSpec = FigureSpec::new(
    "ceiling",
    "verify ceiling, all cores (same run)",
    "verifies/s",
);

/// The whole machine's CPU over a network run (context; above 70% the run's latency figures
/// are CPU-bound and not called met).
const MACHINE_CPU: FigureSpec = FigureSpec::new(
    "machine_cpu",
    "machine CPU busy (all processes, all cores)",
    "%",
);

const fn fraction_of_ceiling(fraction: f64) -> GoalSpec {
    GoalSpec::FractionOf {
        of: "ceiling",
        fraction,
        label: "verify ceiling",
    }
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

/// A spec's own figures followed by the floor columns.
fn with_floor(mut figures: Vec<FigureSpec>, p99_goal: Option<f64>) -> Vec<FigureSpec> {
    figures.extend(floor_columns(p99_goal));
    figures
}

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

const fn vs_mesh(key: &'static str) -> GoalSpec {
    GoalSpec::Versus {
        scenario: "propagation-wan",
        key,
        label: "mesh",
    }
}

impl Scenario {
    pub const ALL: [Scenario; 14] = [
        Scenario::VerifyCeiling,
        Scenario::Ingest,
        Scenario::Relay,
        Scenario::Floor,
        Scenario::PropagationLoopback,
        Scenario::PropagationWan,
        Scenario::FloodBaseline,
        Scenario::Scale,
        Scenario::Memory,
        Scenario::Partition,
        Scenario::Churn,
        Scenario::InProcess,
        Scenario::Blocks,
        Scenario::Soak,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::VerifyCeiling => "verify-ceiling",
            Scenario::Ingest => "ingest",
            Scenario::Relay => "relay",
            Scenario::Floor => "floor",
            Scenario::PropagationLoopback => "propagation-loopback",
            Scenario::PropagationWan => "propagation-wan",
            Scenario::FloodBaseline => "flood-baseline",
            Scenario::Scale => "scale",
            Scenario::Memory => "memory",
            Scenario::Partition => "partition",
            Scenario::Churn => "churn",
            Scenario::InProcess => "in-process",
            Scenario::Blocks => "blocks",
            Scenario::Soak => "soak",
        }
    }

    /// `all` (every scenario but `soak`, which takes an hour: name it to run it) or a
    /// comma-separated list of names, in the order given.
    pub fn parse_list(s: &str) -> Result<Vec<Scenario>, String> {
        if s == "all" {
            return Ok(Self::ALL
                .into_iter()
                .filter(|sc| *sc != Scenario::Soak)
                .collect());
        }
        s.split(',')
            .map(|name| {
                Self::ALL
                    .into_iter()
                    .find(|sc| sc.name() == name.trim())
                    .ok_or_else(|| {
                        let names: Vec<&str> = Self::ALL.iter().map(|s| s.name()).collect();
                        format!(
                            "unknown scenario {name:?}; one of: all, {}",
                            names.join(", ")
                        )
                    })
            })
            .collect()
    }

    pub fn spec(self) -> Spec {
        match self {
            Scenario::VerifyCeiling => Spec {
                title: "Signature verification ceiling",
                about: "ed25519 `verify_strict` of pre-signed transactions in this process, \
                    key decompression included (`tx.clone().verify(chain_id)`, the node's path): \
                    one thread per core for 3 s, then one thread for 3 s. No node runs. This is \
                    the reference for ingest and relay: a node cannot accept txs faster than it \
                    can check their signatures.",
                run_time: "about 7 s per run.",
                figures: vec![
                    FigureSpec::new("all_cores", "verify_strict, all cores", "verifies/s"),
                    FigureSpec::new("one_core", "verify_strict, one core", "verifies/s"),
                ],
            },
            Scenario::Ingest => Spec {
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
            },
            Scenario::Relay => Spec {
                title: "Relay: a line of three nodes",
                about: "Nodes A–B–C in a line (B's bootnode is A, C's is B; \
                    `--peers-low 0 --peers-high 2`, so peer exchange adds no link), no producer, \
                    pools raised as for ingest. The tx rate offered to A ramps 1 000, 2 000, \
                    4 000, 8 000, 12 000, 16 000 tx/s, 4 s per step, each step's txs checked \
                    against C's trace 3 s after the step. The ramp stops at the first step where \
                    C saw < 99 % of the txs A accepted (or A accepted < 90 % of the offer). \
                    Figure: the rate A accepted in the last step that passed. Goal: ≥ 0.5 × the \
                    verify ceiling of the same run. All three nodes and the load generator \
                    share the machine's cores, and each node verifies every tx, so on 2 cores \
                    the ceiling / 3 is a hard upper bound.",
                run_time: "30–60 s per run, depending on where the ramp stops.",
                figures: vec![
                    CEILING,
                    FigureSpec::new(
                        "relay_tps",
                        "sustained relay rate A→C (≥ 99 % at C)",
                        "tx/s",
                    )
                    .goal(fraction_of_ceiling(0.5)),
                    FigureSpec::new("c_p99_ms", "A→C arrival p99 at that rate", "ms"),
                ],
            },
            Scenario::Floor => Spec {
                title: "Rumor beside the bare-gossipsub floor: 16 nodes",
                about: concat!(
                    "What `rumor-testnet run --nodes 16 --tps 100 --duration 30s` does (16 \
                    nodes, 4 producers, 1 s slots, loopback), beside the floor. Goal: CPU per \
                    message per node ≤ 1.0 × the floor's.",
                    floor_about!()
                ),
                run_time: "about 90 s per run (Rumor, then the floor).",
                figures: with_floor(
                    vec![
                        FigureSpec::new("tx_delivery", "tx delivery", "%")
                            .goal(GoalSpec::AtLeast(100.0)),
                        FigureSpec::new("tx_p50_all", "tx time to all nodes, p50", "ms"),
                        FigureSpec::new("tx_p99_all", "tx time to all nodes, p99", "ms"),
                        FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
                        MACHINE_CPU,
                    ],
                    None,
                ),
            },
            Scenario::PropagationLoopback => Spec {
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
                        FigureSpec::new("tx_delivery", "tx delivery", "%")
                            .goal(GoalSpec::AtLeast(100.0)),
                        FigureSpec::new("tx_p99_all", "tx time to all nodes, p99", "ms")
                            .goal(GoalSpec::AtMost(50.0)),
                        FigureSpec::new("tx_p50_all", "tx time to all nodes, p50", "ms"),
                        FigureSpec::new("block_delivery", "block delivery", "%")
                            .goal(GoalSpec::AtLeast(100.0)),
                        FigureSpec::new("block_p99_all", "block time to all nodes, p99", "ms")
                            .goal(GoalSpec::AtMost(100.0)),
                        FigureSpec::new("lost", "txs accepted but lost", "txs")
                            .goal(GoalSpec::AtMost(0.0)),
                        FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
                        MACHINE_CPU,
                    ],
                    Some(1.2),
                ),
            },
            Scenario::PropagationWan => Spec {
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
                        FigureSpec::new("tx_delivery", "tx delivery", "%")
                            .goal(GoalSpec::AtLeast(100.0)),
                        FigureSpec::new("lost", "txs accepted but lost", "txs")
                            .goal(GoalSpec::AtMost(0.0)),
                        FigureSpec::new(
                            "tx_all_vs_bound",
                            "tx p99 time to all ÷ p99 shortest-path bound",
                            "×",
                        )
                        .goal(GoalSpec::AtMost(1.25)),
                        FigureSpec::new("tx_dup", "tx duplicates per tx per node", "")
                            .goal(GoalSpec::AtMost(2.0)),
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
                        FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
                        MACHINE_CPU,
                    ],
                    None,
                ),
            },
            Scenario::FloodBaseline => Spec {
                title: "Flooding baseline over emulated WAN",
                about: "The `propagation-wan` scenario with every node started with \
                    `--flood-all` (forward every message to every peer instead of the gossipsub \
                    mesh). Each figure is set beside the same figure of the latest \
                    `propagation-wan` result in `bench/results/` (run `propagation-wan` first; \
                    `--scenario all` does): what the mesh saves in duplicates and bytes, and \
                    what it costs in latency.",
                run_time: "about 45 s per run.",
                figures: vec![
                    FigureSpec::new("tx_delivery", "tx delivery", "%")
                        .goal(GoalSpec::AtLeast(100.0)),
                    FigureSpec::new("tx_dup", "tx duplicates per tx per node", "")
                        .goal(vs_mesh("tx_dup")),
                    FigureSpec::new("tx_p99_all", "tx time to all nodes, p99", "ms")
                        .goal(vs_mesh("tx_p99_all")),
                    FigureSpec::new(
                        "tx_all_vs_bound",
                        "tx p99 time to all ÷ p99 shortest-path bound",
                        "×",
                    )
                    .goal(vs_mesh("tx_all_vs_bound")),
                    FigureSpec::new("bytes_out", "bytes sent per node", "KiB/s")
                        .goal(vs_mesh("bytes_out")),
                    FigureSpec::new("cpu_per_node", "CPU per node", "% of a core")
                        .goal(vs_mesh("cpu_per_node")),
                    MACHINE_CPU,
                ],
            },
            Scenario::Scale => Spec {
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
            },
            Scenario::Memory => Spec {
                title: "Memory of one node",
                about: "17 nodes with `--peers-low 16 --peers-high 16` (everyone connected to \
                    everyone), 4 producers, default pool. Node 0's VmRSS after 20 s idle with 16 \
                    peers, then the maximum of its VmRSS (sampled every 200 ms) while the \
                    network is offered 1 000 tx/s (20 000 txs; one client per node, so when the nodes \
                    cannot keep up the load stretches out and the achieved rate is reported). \
                    Goals: ≤ 50 MiB idle, ≤ 200 MiB loaded.",
                run_time: "about 80 s per run.",
                figures: vec![
                    FigureSpec::new("idle_rss", "RSS idle, 16 peers", "MiB")
                        .goal(GoalSpec::AtMost(50.0)),
                    FigureSpec::new("load_rss", "RSS max under 1 000 tx/s", "MiB")
                        .goal(GoalSpec::AtMost(200.0)),
                    FigureSpec::new("peers", "peers of node 0", ""),
                    FigureSpec::new(
                        "load_tps",
                        "load achieved (accepted, offered 1 000)",
                        "tx/s",
                    ),
                ],
            },
            Scenario::Partition => Spec {
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
                    FigureSpec::new("lost", "txs accepted but lost", "txs")
                        .goal(GoalSpec::AtMost(0.0)),
                    FigureSpec::new("deepest_reorg", "deepest reorg", "blocks"),
                    FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
                    MACHINE_CPU,
                ],
            },
            Scenario::Churn => Spec {
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
                    FigureSpec::new("lost", "txs accepted but lost", "txs")
                        .goal(GoalSpec::AtMost(0.0)),
                    FigureSpec::new("tx_delivery", "tx delivery over live nodes", "%")
                        .goal(GoalSpec::AtLeast(100.0)),
                    FigureSpec::new("kills", "kills", ""),
                    FigureSpec::new("down_s", "node-seconds down", "s"),
                    FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
                    MACHINE_CPU,
                ],
            },
            Scenario::InProcess => Spec {
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
            },
            Scenario::Blocks => Spec {
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
            },
            Scenario::Soak => Spec {
                title: "Soak: an hour of load with partitions and churn",
                about: "What `rumor-testnet run --nodes 16 --tps 50 --duration 1h \
                    --partition 50%@5m+1m/10m --churn 25%@60s` does, with every node sampled \
                    every 10 s: VmRSS and Threads from /proc/<pid>/status, open fds (entries of \
                    /proc/<pid>/fd), `rumor_tasks` (tasks in the node's task set) and \
                    `rumor_runtime_tasks` (every task alive on its tokio runtime) from its \
                    /metrics, and the sizes of chain.redb, local-txs.journal and trace.ndjson. \
                    Pids are re-read from testnet.json at each sample (churn restarts nodes). \
                    The judge fits a least-squares line to each series over the last half of \
                    the run, on the nodes never restarted (the 4 producers, which churn never \
                    kills, and any non-producer it spared: a restart resets RSS, fds and \
                    tasks): a series levels off if slope × window ≤ max(5% of its level, 3 × \
                    the MAD of its residuals, a floor: 2 MiB, 2 fds, 1 thread, 2 tasks, 4 \
                    runtime tasks, 0.5 MiB of journal), else it grows. Slopes are the worst \
                    judged node's, per hour. The chain and trace files are append-only: their \
                    rate is reported (mean per node), not judged. `--soak-duration` shortens \
                    the run (the schedule scales: partitions every min(10 min, duration/3) for \
                    a tenth of that, churn every min(60 s, duration/10), samples every \
                    duration/60 up to 10 s); `soak` runs once whatever `--runs` says and is \
                    not part of `all`. Samples (CSV), the judgement (JSON) and one SVG per \
                    metric go to `bench/results/soak-<stamp>/`. Goals: no judged metric \
                    grows, one head on every node at the end, 0 accepted txs lost.",
                run_time: "the duration (1 h by default) plus about 2 min.",
                figures: vec![
                    FigureSpec::new("leaks", "judged metrics that grow", "")
                        .goal(GoalSpec::AtMost(0.0)),
                    FigureSpec::new("converged", "one head on every node at the end", "%")
                        .goal(GoalSpec::AtLeast(100.0)),
                    FigureSpec::new("lost", "txs accepted but lost", "txs")
                        .goal(GoalSpec::AtMost(0.0)),
                    FigureSpec::new("judged_nodes", "nodes judged (never restarted)", ""),
                    FigureSpec::new("rss_slope", "RSS slope, last half, worst node", "MiB/h"),
                    FigureSpec::new("rss_peak", "RSS peak, any node", "MiB"),
                    FigureSpec::new("fds_slope", "open fds slope, worst node", "fds/h"),
                    FigureSpec::new("fds_peak", "open fds peak, any node", "fds"),
                    FigureSpec::new("threads_slope", "threads slope, worst node", "threads/h"),
                    FigureSpec::new("tasks_slope", "tracked tasks slope, worst node", "tasks/h"),
                    FigureSpec::new("tasks_peak", "tracked tasks peak, any node", "tasks"),
                    FigureSpec::new(
                        "runtime_tasks_slope",
                        "runtime tasks slope, worst node",
                        "tasks/h",
                    ),
                    FigureSpec::new("journal_slope", "tx journal slope, worst node", "MiB/h"),
                    FigureSpec::new(
                        "store_slope",
                        "store growth (chain + journal + trace), mean per node",
                        "MiB/h",
                    ),
                    FigureSpec::new("partitions", "partitions healed", ""),
                    FigureSpec::new("kills", "kills", ""),
                    FigureSpec::new("tx_delivery", "tx delivery over live nodes", "%"),
                    FigureSpec::new("cpu_per_node", "CPU per node", "% of a core"),
                    MACHINE_CPU,
                ],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        assert_eq!(
            Scenario::parse_list("all").unwrap().len(),
            13,
            "all but soak"
        );
        for sc in Scenario::ALL {
            assert_eq!(Scenario::parse_list(sc.name()).unwrap(), vec![sc]);
        }
        assert_eq!(
            Scenario::parse_list("relay, ingest").unwrap(),
            vec![Scenario::Relay, Scenario::Ingest]
        );
        assert!(Scenario::parse_list("nope").is_err());
    }

    #[test]
    fn specs_are_consistent() {
        for sc in Scenario::ALL {
            let spec = sc.spec();
            let keys: Vec<&str> = spec.figures.iter().map(|f| f.key).collect();
            for f in &spec.figures {
                assert_eq!(keys.iter().filter(|k| **k == f.key).count(), 1, "{}", f.key);
                if let GoalSpec::FractionOf { of, .. } = f.goal {
                    assert!(keys.contains(&of), "{}: {of} is not a figure", sc.name());
                }
                if let GoalSpec::Versus { scenario, key, .. } = f.goal {
                    let other = Scenario::parse_list(scenario).unwrap()[0].spec();
                    assert!(other.figures.iter().any(|g| g.key == key), "{key}");
                }
            }
        }
    }
}
