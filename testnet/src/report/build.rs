//! Assembles the report from the analysis and what was read from the live nodes.

use std::collections::BTreeMap;

use crate::load::LoadStats;
use crate::observe::collect::Live;
use crate::observe::metrics::NodeCounters;
use crate::observe::rpc::Head;
use crate::setup::manifest::Manifest;
use crate::util::timefmt::now_us;
use rumor_report::analysis::duplicates::duplicates;
use rumor_report::analysis::messages::count_origins;
use rumor_report::analysis::{Analysis, LatencyGraph, Window};
use rumor_report::records::process::StopReport;
use rumor_report::trace::{Kind, NodeTrace};

use rumor_report::model::*;
use rumor_report::section::bytes::ByteSplit;

pub const CLOCK_SOURCE: &str = "host wall clock (CLOCK_REALTIME, µs since the Unix epoch); every node runs on this host and stamps its own trace with it, so no clock offsets apply";
pub const CLOCK_SOURCE_REMOTE: &str = "each node's own wall clock (CLOCK_REALTIME, µs since the Unix epoch), shifted onto this tool's clock by the node's offset estimated over RPC (see Clocks)";
pub const FIRST_SEEN: &str = "the moment a node first had the message: accepted over RPC (origin of a tx), produced it (origin of a block), or first received it by gossip, as written to its trace.ndjson; time to reach node X = X.t_us − origin.t_us";
pub const PERCENTILES: &str = "nearest rank: the p-th percentile of n values is the ⌈p·n/100⌉-th smallest; 'time to reach k% of nodes' for one message is the arrival delay of the ⌈k·N/100⌉-th node (origin included at 0), then p50/p90/p99/max are taken over messages";

#[derive(Debug)]
pub struct BuildInput<'a> {
    pub manifest: &'a Manifest,
    pub analysis: &'a Analysis,
    pub traces: &'a [NodeTrace],
    /// Snapshot taken at the end of the measurement, before any node was stopped.
    pub live: &'a Live,
    /// Counters at the start of the measurement (`None`: since node start).
    pub counters_start: Option<(u64, &'a [Option<NodeCounters>])>,
    /// The machine's CPU counters at the start of the measurement.
    pub machine_start: Option<crate::process::machine::MachineSample>,
    pub load: Option<LoadStats>,
    pub heads: (bool, Vec<Option<Head>>),
    pub shutdown: Option<StopReport>,
    pub convergence: Option<Convergence>,
    pub notes: Vec<String>,
}

/// Node indices each node is connected to, from its `net_peers` answer.
pub fn peer_indices(manifest: &Manifest, live: &Live) -> Vec<Vec<usize>> {
    live.nodes
        .iter()
        .map(|n| {
            n.peers
                .iter()
                .flatten()
                .filter_map(|p| manifest.index_of(&p.peer_id))
                .collect()
        })
        .collect()
}

pub fn build(input: BuildInput<'_>) -> Report {
    let m = input.manifest;
    let n = m.nodes.len();
    let (start_us, start_counters) = match input.counters_start {
        Some((t, c)) => (t, Some(c)),
        None => (m.genesis_time_ms * 1000, None),
    };
    let interval_s = (input.live.at_us.saturating_sub(start_us)) as f64 / 1e6;
    let deltas: Vec<Option<NodeCounters>> = input
        .live
        .nodes
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let end = l.counters.as_ref()?;
            Some(match start_counters.and_then(|s| s.get(i)?.as_ref()) {
                Some(s) => end.since(s),
                None => end.clone(),
            })
        })
        .collect();
    let counter_window = Window {
        start_us,
        end_us: input.live.at_us,
    };

    let kinds = Kind::ALL
        .iter()
        .map(|&kind| {
            let per_node: Vec<_> = deltas
                .iter()
                .map(|d| {
                    d.as_ref().and_then(|d| match kind {
                        Kind::Tx => d.tx,
                        Kind::Block => d.block,
                    })
                })
                .collect();
            let messages = count_origins(input.traces, kind, counter_window);
            (
                kind,
                KindReport {
                    stats: input.analysis.kinds[&kind].clone(),
                    duplicates: duplicates(&per_node, messages),
                },
            )
        })
        .collect();

    let rate = |v: Option<f64>| v.filter(|_| interval_s > 0.0).map(|b| b / interval_s);
    let nodes: Vec<NodeReport> = m
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let live = input.live.nodes.get(i);
            let delta = deltas.get(i).cloned().flatten();
            NodeReport {
                index: m.nodes[i].index,
                peer_id: node.peer_id.clone(),
                producer: node.producer,
                region: node.region.clone(),
                degree: live.and_then(|l| l.peers.as_ref()).map(Vec::len),
                bytes_in_per_s: rate(delta.as_ref().and_then(|d| d.bytes_in)),
                bytes_out_per_s: rate(delta.as_ref().and_then(|d| d.bytes_out)),
                bytes_in_split: delta
                    .as_ref()
                    .and_then(ByteSplit::of)
                    .filter(|_| interval_s > 0.0)
                    .map(|s| s.scaled(1.0 / interval_s)),
                rss_max_kib: live.and_then(|l| l.mem).map(|m| m.hwm_kib),
                rss_kib: live.and_then(|l| l.mem).map(|m| m.rss_kib),
                cpu_percent: rate(delta.as_ref().and_then(|d| d.cpu_s)).map(|c| c * 100.0),
                syscalls_per_s: rate(delta.as_ref().and_then(|d| d.syscalls)),
                frames_out_per_s: rate(delta.as_ref().and_then(|d| d.frames_out)),
                head_height: input.heads.1.get(i).cloned().flatten().map(|h| h.height),
                arrival: input.analysis.per_node[i].clone(),
                trace_lines: input.traces.get(i).map_or(0, |t| t.lines.len()),
                trace_dropped: input.traces.get(i).and_then(|t| t.stats).map(|s| s.dropped),
            }
        })
        .collect();

    let peers = peer_indices(m, input.live);
    let mut heads_hashes: Vec<String> = input
        .heads
        .1
        .iter()
        .flatten()
        .map(|h| h.hash.to_string())
        .collect();
    heads_hashes.sort_unstable();
    heads_hashes.dedup();

    let machine = input
        .machine_start
        .zip(input.live.machine)
        .and_then(|(a, b)| {
            crate::process::machine::between(&a, &b, crate::process::machine::cores())
        });
    let in_process = m.in_process.then(|| {
        let cpu: Vec<Option<f64>> = nodes.iter().map(|x| x.cpu_percent).collect();
        let host = rumor_report::section::footprint::Host {
            pid: m.host_pid,
            rss_before_kib: m.host_rss_before_kib,
            heap_before: m.host_heap_before,
            heap: input.live.tool_heap,
            mem: input.live.tool_mem,
            threads: input.live.tool_threads,
        };
        rumor_report::section::footprint::footprint(
            n,
            host,
            input.machine_start.as_ref(),
            input.live.machine.as_ref(),
            &cpu,
        )
    });
    let blocks = Some(rumor_report::section::blocks::relay(
        &deltas,
        count_origins(input.traces, Kind::Block, counter_window),
    ));
    let mut notes = input.notes;
    if let Some(f) = &in_process {
        notes.push(format!("in-process nodes; CPU per node: {}", f.cpu_source));
    }
    if let Some(l) = machine.filter(|l| l.saturated) {
        notes.push(l.line());
    }
    let canonical = input
        .convergence
        .as_ref()
        .map(|c| &c.lost.canonical_blocks)
        .filter(|c| !c.is_empty());
    let skew = super::skew::build(m, input.live, input.traces, canonical);
    Report {
        meta: Meta {
            tool: format!("rumor-testnet {}", env!("CARGO_PKG_VERSION")),
            generated_at_us: now_us(),
            dir: m.dir.display().to_string(),
            seed: m.seed,
            nodes: n,
            producers: m.nodes.iter().filter(|x| x.producer).count(),
            slot_ms: m.slot_ms,
            network: m.network.clone(),
            emulation: m.emulation.as_ref().map(|e| EmulationMeta {
                regions: e.source.clone(),
                jitter_ms: e.jitter_ms,
            }),
            window: input.analysis.window,
            counters_interval_s: Some(interval_s),
            clock_source: if crate::observe::remote::clocks_differ(m) {
                CLOCK_SOURCE_REMOTE.into()
            } else {
                CLOCK_SOURCE.into()
            },
            first_seen: FIRST_SEEN.into(),
            percentiles: PERCENTILES.into(),
            notes,
        },
        load: input.load,
        kinds,
        bandwidth: bandwidth(&nodes),
        nodes,
        topology: topology(&peers, m),
        heads: Heads {
            same_head: input.heads.0,
            heights: input
                .heads
                .1
                .iter()
                .map(|h| h.as_ref().map(|h| h.height))
                .collect(),
            distinct_hashes: heads_hashes.len(),
        },
        traces: trace_health(input.traces, input.live),
        anomalies: input.analysis.anomalies.clone(),
        shutdown: input.shutdown,
        machine,
        convergence: input.convergence,
        in_process,
        blocks,
        over_time: None,
        clocks: crate::observe::remote::load_clocks(m)
            .filter(|_| crate::observe::remote::clocks_differ(m))
            .map(|c| {
                let nodes: Vec<usize> = m.nodes.iter().map(|n| n.index).collect();
                rumor_report::section::clocks::build(&c, &nodes)
            }),
        skew,
    }
}

fn bandwidth(nodes: &[NodeReport]) -> Bandwidth {
    let stat = |f: fn(&NodeReport) -> Option<f64>| {
        let v: Vec<f64> = nodes.iter().filter_map(f).collect();
        if v.is_empty() {
            return (None, None);
        }
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (Some(mean), v.iter().copied().reduce(f64::max))
    };
    let (mean_in, max_in) = stat(|n| n.bytes_in_per_s);
    let (mean_out, max_out) = stat(|n| n.bytes_out_per_s);
    let (cpu_mean, _) = stat(|n| n.cpu_percent);
    let (syscalls, _) = stat(|n| n.syscalls_per_s);
    let (frames, _) = stat(|n| n.frames_out_per_s);
    Bandwidth {
        mean_in_per_s: mean_in,
        mean_out_per_s: mean_out,
        max_in_per_s: max_in,
        max_out_per_s: max_out,
        mean_in_split: ByteSplit::mean(nodes.iter().filter_map(|n| n.bytes_in_split.as_ref())),
        rss_max_kib: nodes.iter().filter_map(|n| n.rss_max_kib).max(),
        cpu_mean_percent: cpu_mean,
        mean_syscalls_per_s: syscalls,
        mean_frames_out_per_s: frames,
    }
}

fn topology(peers: &[Vec<usize>], m: &Manifest) -> Topology {
    let mut g = LatencyGraph::new(peers.len());
    let mut edges = std::collections::BTreeSet::new();
    for (a, list) in peers.iter().enumerate() {
        for &b in list {
            g.connect(a, b, 1);
            if a != b {
                edges.insert([a.min(b), a.max(b)]);
            }
        }
    }
    let degrees: Vec<usize> = (0..g.len()).map(|i| g.degree(i)).collect();
    let mut hist = BTreeMap::new();
    for &d in &degrees {
        *hist.entry(d).or_insert(0) += 1;
    }
    Topology {
        degree_histogram: hist,
        min_degree: degrees.iter().min().copied(),
        mean_degree: (!degrees.is_empty())
            .then(|| degrees.iter().sum::<usize>() as f64 / degrees.len() as f64),
        max_degree: degrees.iter().max().copied(),
        connections: degrees.iter().sum::<usize>() / 2,
        connected: !g.is_empty() && g.shortest_from(0).iter().all(Option::is_some),
        bootnodes: m.nodes.iter().map(|x| x.bootnodes.clone()).collect(),
        edges: edges.into_iter().collect(),
    }
}

fn trace_health(traces: &[NodeTrace], live: &Live) -> TraceHealth {
    let stats: Vec<u64> = traces
        .iter()
        .filter_map(|t| t.stats)
        .map(|s| s.dropped)
        .collect();
    let metric: Vec<f64> = live
        .nodes
        .iter()
        .filter_map(|l| l.counters.as_ref()?.trace_dropped)
        .collect();
    TraceHealth {
        lines: traces.iter().map(|t| t.lines.len()).sum(),
        malformed: traces.iter().map(|t| t.malformed).sum(),
        torn_tails: traces.iter().filter(|t| t.torn_tail).count(),
        missing_files: traces.iter().filter(|t| t.missing).count(),
        dropped_by_stats: (!stats.is_empty()).then(|| stats.iter().sum()),
        dropped_by_metric: (!metric.is_empty()).then(|| metric.iter().sum()),
        nodes_without_stats: traces.iter().filter(|t| t.stats.is_none()).count(),
    }
}
