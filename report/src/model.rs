//! The shape of `report.json`. Times are milliseconds unless a field name says otherwise.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::duplicates::Duplicates;
use crate::analysis::{Anomalies, KindStats, NodeArrival, Window};
use crate::records::load::LoadStats;
use crate::records::process::StopReport;
use crate::trace::Kind;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub meta: Meta,
    pub load: Option<LoadStats>,
    pub kinds: BTreeMap<Kind, KindReport>,
    pub nodes: Vec<NodeReport>,
    pub bandwidth: Bandwidth,
    pub topology: Topology,
    pub heads: Heads,
    pub traces: TraceHealth,
    pub anomalies: Anomalies,
    pub shutdown: Option<StopReport>,
    /// The whole machine's CPU over the measurement (all processes, all cores) and whether it
    /// was saturated: then the latency figures are CPU queueing, not propagation.
    #[serde(default)]
    pub machine: Option<crate::records::machine::MachineLoad>,
    /// One head, nothing lost, faults and downtime (`run` only).
    #[serde(default)]
    pub convergence: Option<Convergence>,
    /// `--in-process`: the process's footprint and how per-node CPU was measured.
    #[serde(default)]
    pub in_process: Option<crate::section::footprint::InProcess>,
    /// What blocks cost on the wire and how compact blocks were rebuilt.
    #[serde(default)]
    pub blocks: Option<crate::section::blocks::BlockRelay>,
    /// Bytes/s, pool size, peers and heads over the run from Prometheus (`--prometheus`), or
    /// why they could not be plotted.
    #[serde(default)]
    pub over_time: Option<crate::section::over_time::OverTimeReport>,
    /// Clock offsets of nodes not on this machine's clock, and what that leaves measurable.
    #[serde(default)]
    pub clocks: Option<crate::section::clocks::ClockReport>,
    /// `--skew`: the skewed nodes, their own clock estimates, and what became of early blocks.
    #[serde(default)]
    pub skew: Option<crate::section::skew::SkewReport>,
}

impl Report {
    /// A per-node rate over the counters interval turned into an amount per tx: `per_s` ×
    /// interval ÷ the txs published in it (`None` without txs or an interval). The per-message
    /// cost figures (CPU, bytes, frames, system calls) include what blocks and control cost.
    pub fn per_tx(&self, per_s: Option<f64>) -> Option<f64> {
        let txs = self.kinds.get(&Kind::Tx)?.stats.delivery.messages as f64;
        let interval = self.meta.counters_interval_s?;
        per_s
            .filter(|_| txs > 0.0 && interval > 0.0)
            .map(|v| v * interval / txs)
    }

    /// Bytes received per node ÷ the payload in them (first copies of gossip messages).
    pub fn received_per_payload(&self) -> Option<f64> {
        let s = self.bandwidth.mean_in_split.as_ref()?;
        (s.payload > 0.0).then(|| s.total() / s.payload)
    }
}

/// Whether the live network converged: the convergence issue's proof, per run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Convergence {
    /// Every live node reported the same head at the end.
    pub converged: bool,
    /// Nodes running at the end: delivery and latency figures are computed over these.
    pub live_nodes: Vec<usize>,
    /// Nodes killed and not restarted (left out of delivery, shown here).
    pub dead_nodes: Vec<usize>,
    /// The deepest reorg any live node made (blocks), from its metrics.
    pub deepest_reorg: Option<u64>,
    /// Txs whose `tx_submit` returned a hash and that some live node holds in neither its
    /// chain nor its pool.
    pub lost: crate::records::faults::LostCheck,
    /// What the fault flags did, when given.
    pub faults: Option<crate::records::faults::FaultLog>,
    /// Blocks added per slot while the load ran.
    #[serde(default)]
    pub production: Option<crate::records::attack::Production>,
    /// The hostile peer's run and what the honest nodes did about it (`attack` only).
    #[serde(default)]
    pub attack: Option<crate::records::attack::AttackLog>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub tool: String,
    pub generated_at_us: u64,
    pub dir: String,
    pub seed: u64,
    pub nodes: usize,
    pub producers: usize,
    pub slot_ms: u64,
    pub network: String,
    pub emulation: Option<EmulationMeta>,
    /// Messages count if their origin time is inside this window.
    pub window: Window,
    /// Interval over which counters (bytes, duplicates) were differenced.
    pub counters_interval_s: Option<f64>,
    pub clock_source: String,
    pub first_seen: String,
    pub percentiles: String,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmulationMeta {
    pub regions: String,
    pub jitter_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KindReport {
    #[serde(flatten)]
    pub stats: KindStats,
    pub duplicates: Duplicates,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeReport {
    pub index: usize,
    pub peer_id: String,
    pub producer: bool,
    pub region: Option<String>,
    /// Connected peers at the end (from `net_peers`).
    pub degree: Option<usize>,
    pub bytes_in_per_s: Option<f64>,
    pub bytes_out_per_s: Option<f64>,
    /// Received bytes per second by purpose ([`crate::section::bytes`]).
    #[serde(default)]
    pub bytes_in_split: Option<crate::section::bytes::ByteSplit>,
    /// Peak resident set (VmHWM), KiB.
    pub rss_max_kib: Option<u64>,
    pub rss_kib: Option<u64>,
    /// CPU used over the counters interval, in % of one core (100 = one core busy).
    #[serde(default)]
    pub cpu_percent: Option<f64>,
    /// Read/write-family system calls per second over the counters interval (process nodes;
    /// `/proc/<pid>/io`: files, pipes, eventfds — socket send/recv are not counted there).
    #[serde(default)]
    pub syscalls_per_s: Option<f64>,
    /// Gossipsub RPCs (frames) sent per second over the counters interval.
    #[serde(default)]
    pub frames_out_per_s: Option<f64>,
    pub head_height: Option<u64>,
    pub arrival: NodeArrival,
    pub trace_lines: usize,
    pub trace_dropped: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Bandwidth {
    pub mean_in_per_s: Option<f64>,
    pub mean_out_per_s: Option<f64>,
    pub max_in_per_s: Option<f64>,
    pub max_out_per_s: Option<f64>,
    /// Mean over nodes of their received bytes per second by purpose.
    #[serde(default)]
    pub mean_in_split: Option<crate::section::bytes::ByteSplit>,
    pub rss_max_kib: Option<u64>,
    /// Mean over nodes of their CPU use over the counters interval, % of one core.
    #[serde(default)]
    pub cpu_mean_percent: Option<f64>,
    /// Mean over nodes of their read/write-family system calls per second (see
    /// [`NodeReport::syscalls_per_s`]).
    #[serde(default)]
    pub mean_syscalls_per_s: Option<f64>,
    /// Mean over nodes of the gossipsub RPCs (frames) they sent per second.
    #[serde(default)]
    pub mean_frames_out_per_s: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Topology {
    /// Degree → number of nodes with that many connected peers.
    pub degree_histogram: BTreeMap<usize, usize>,
    pub min_degree: Option<usize>,
    pub mean_degree: Option<f64>,
    pub max_degree: Option<usize>,
    /// Distinct connections (undirected).
    pub connections: usize,
    pub connected: bool,
    /// Bootnodes given per node at start (the seed topology peer exchange grew from).
    pub bootnodes: Vec<Vec<usize>>,
    /// The connections at the end of the measurement, `[a, b]` with `a < b`, sorted: the graph
    /// the benchmark's bare-gossipsub floor is run on.
    #[serde(default)]
    pub edges: Vec<[usize; 2]>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Heads {
    /// Every node reported the same head block at the end.
    pub same_head: bool,
    pub heights: Vec<Option<u64>>,
    pub distinct_hashes: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TraceHealth {
    pub lines: usize,
    pub malformed: u64,
    pub torn_tails: usize,
    pub missing_files: usize,
    /// Lines the nodes could not write, by their own count (`trace.stats.json`).
    pub dropped_by_stats: Option<u64>,
    /// Same, from the `rumor_trace_dropped_total` metric at the end.
    pub dropped_by_metric: Option<f64>,
    /// Nodes that left no `trace.stats.json` (not cleanly stopped, or still running).
    pub nodes_without_stats: usize,
}
