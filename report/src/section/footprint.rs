//! What an in-process testnet (`--in-process`) costs, and how its per-node CPU was measured.
//!
//! With every node in this tool's process, `/proc` can only give the process's totals: RSS,
//! threads and CPU for all nodes and the load generator together. Per-node CPU comes from
//! each node's meter (`rumor_busy_seconds_total`: the poll time of its tasks and connections
//! plus its verification and blocking-pool jobs, see `rumor_p2p::meter`). The share of the
//! process's CPU the meters account for is reported beside them, so what they miss (the
//! runtime's own work, the JSON-RPC server's tasks, the load generator) is visible.

use serde::{Deserialize, Serialize};

use crate::records::machine::MachineSample;
use crate::records::process::{MemUsage, USER_HZ};

/// How per-node CPU is measured in this mode (stated in the report).
pub const CPU_SOURCE: &str = "per-node meters: wall time inside each poll of the node's tasks and connections, plus its verification and blocking-pool jobs (rumor_busy_seconds_total); not /proc";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InProcess {
    pub cpu_source: String,
    /// This process's CPU over the counters interval, % of one core (nodes, load generator,
    /// runtime).
    pub process_cpu_percent: Option<f64>,
    /// The sum of the nodes' meters over the same interval, % of one core.
    pub attributed_cpu_percent: Option<f64>,
    /// `attributed ÷ process` (0–1).
    pub attributed_share: Option<f64>,
    /// The process's resident set at the end and its peak, KiB.
    pub rss_kib: Option<u64>,
    pub rss_max_kib: Option<u64>,
    /// The host's resident set at the end, less what it held before its first node started,
    /// ÷ nodes, KiB (a long-lived host, such as the benchmark runner, held memory of its own
    /// before; its peak may even come from an earlier testnet, so the peak is not used).
    pub rss_per_node_kib: Option<f64>,
    /// The host's live heap at the end less its own before the first node, ÷ nodes, KiB
    /// (counted by the allocator, `rumor_testnet::util::heap`; only when the report is made by the host).
    #[serde(default)]
    pub heap_per_node_kib: Option<f64>,
    /// OS threads of the whole process (no node has threads of its own).
    pub threads: Option<u64>,
}

/// What is known of the host process: its pid, its resident set before its first node
/// started, and its memory and threads at the end.
#[derive(Debug, Clone, Copy, Default)]
pub struct Host {
    pub pid: Option<u32>,
    pub rss_before_kib: Option<u64>,
    /// Live heap bytes before the first node and at the end.
    pub heap_before: Option<u64>,
    pub heap: Option<u64>,
    pub mem: Option<MemUsage>,
    pub threads: Option<u64>,
}

/// The footprint from the machine readings at both ends of the interval (each carries the CPU
/// of the process that took it: the host's only if the host took both), the nodes' metered CPU
/// (% of a core each) and the host.
pub fn footprint(
    nodes: usize,
    host: Host,
    start: Option<&MachineSample>,
    end: Option<&MachineSample>,
    node_cpu_percent: &[Option<f64>],
) -> InProcess {
    let Host {
        pid: host_pid,
        rss_before_kib,
        heap_before,
        heap,
        mem,
        threads,
    } = host;
    let process_cpu_percent = start.zip(end).and_then(|(a, b)| {
        let host = host_pid?;
        if a.tool_pid != Some(host) || b.tool_pid != Some(host) {
            return None;
        }
        let ticks = b.tool_ticks?.checked_sub(a.tool_ticks?)?;
        let wall_s = b.at_us.checked_sub(a.at_us).filter(|w| *w > 0)? as f64 / 1e6;
        Some(ticks as f64 / USER_HZ / wall_s * 100.0)
    });
    let metered: Vec<f64> = node_cpu_percent.iter().flatten().copied().collect();
    let attributed_cpu_percent = (!metered.is_empty()).then(|| metered.iter().sum::<f64>());
    InProcess {
        cpu_source: CPU_SOURCE.into(),
        process_cpu_percent,
        attributed_cpu_percent,
        attributed_share: attributed_cpu_percent
            .zip(process_cpu_percent)
            .filter(|(_, p)| *p > 0.0)
            .map(|(a, p)| a / p),
        rss_kib: mem.map(|m| m.rss_kib),
        rss_max_kib: mem.map(|m| m.hwm_kib),
        rss_per_node_kib: mem
            .filter(|_| nodes > 0)
            .map(|m| m.rss_kib.saturating_sub(rss_before_kib.unwrap_or(0)) as f64 / nodes as f64),
        heap_per_node_kib: heap
            .zip(heap_before)
            .filter(|_| nodes > 0)
            .map(|(h, b)| h.saturating_sub(b) as f64 / 1024.0 / nodes as f64),
        threads,
    }
}

impl InProcess {
    /// The summary's line.
    pub fn line(&self, nodes: usize) -> String {
        let mib = |k: Option<f64>| k.map_or("-".into(), |k| format!("{:.1} MiB", k / 1024.0));
        let pc = |p: Option<f64>| p.map_or("-".into(), |p| format!("{p:.0}%"));
        format!(
            "In-process: {nodes} nodes in one process, RSS {} (peak {}), live heap {} per node, {} threads; CPU per node from each node's meter: together {} of a core, {} of this process's {}",
            mib(self.rss_kib.map(|k| k as f64)),
            mib(self.rss_max_kib.map(|k| k as f64)),
            mib(self.heap_per_node_kib),
            crate::render::text::opt(self.threads),
            pc(self.attributed_cpu_percent),
            self.attributed_share
                .map_or("-".into(), |s| format!("{:.0}%", s * 100.0)),
            pc(self.process_cpu_percent),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_per_node_memory() {
        let a = MachineSample {
            at_us: 0,
            tool_pid: Some(9),
            tool_ticks: Some(100),
            ..Default::default()
        };
        let b = MachineSample {
            at_us: 2_000_000,
            tool_pid: Some(9),
            tool_ticks: Some(300),
            ..Default::default()
        };
        let host = Host {
            pid: Some(9),
            rss_before_kib: Some(1024),
            heap_before: Some(1 << 20),
            heap: Some(5 << 20),
            mem: Some(MemUsage {
                hwm_kib: 8192,
                rss_kib: 4096,
            }),
            threads: Some(7),
        };
        let f = footprint(
            4,
            host,
            Some(&a),
            Some(&b),
            &[Some(20.0), Some(20.0), None, Some(40.0)],
        );
        // 200 ticks over 2 s = 1 s/s = one core.
        assert!((f.process_cpu_percent.unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(f.attributed_cpu_percent, Some(80.0));
        assert!((f.attributed_share.unwrap() - 0.8).abs() < 1e-9);
        assert_eq!(f.rss_per_node_kib, Some(768.0), "(4096 − 1024) ÷ 4");
        assert_eq!(f.heap_per_node_kib, Some(1024.0), "(5 − 1) MiB ÷ 4");
        assert!(
            f.line(4)
                .contains("80% of a core, 80% of this process's 100%")
        );
        let none = footprint(4, host, None, Some(&b), &[]);
        assert_eq!(none.process_cpu_percent, None);
        // Readings taken by another process (a separate `load`) say nothing about the host.
        let other = MachineSample {
            tool_pid: Some(10),
            ..a
        };
        let f = footprint(4, host, Some(&other), Some(&b), &[]);
        assert_eq!(f.process_cpu_percent, None);
        assert_eq!(none.attributed_share, None);
    }
}
