//! The soak's per-node samples: what one look at a node's process, endpoint and data directory
//! gives, the pure parsers behind it, the CSV they are written to, and the per-lifetime series
//! the judge reads.
//!
//! Pids are re-read from the testnet's manifest at every sample (`testnet.json` is rewritten
//! when churn restarts a node), so a restarted node's samples carry its new pid and a lifetime
//! is a run of samples with one pid.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use rumor_api::layout::DataDir;
use rumor_api::metrics::node::{RUNTIME_TASKS, TASKS};
use rumor_api::prom_text;
use rumor_testnet::observe::metrics::http;
use rumor_testnet::setup::manifest::{Manifest, NodeEntry};

/// One node at one instant. `None`: not readable then (a node down under churn).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since the load started.
    pub t_s: f64,
    pub node: usize,
    pub producer: bool,
    pub pid: Option<u32>,
    pub rss_kib: Option<u64>,
    pub fds: Option<u64>,
    pub threads: Option<u64>,
    /// `rumor_tasks`: the node's tracked tasks.
    pub tasks: Option<u64>,
    /// `rumor_runtime_tasks`: every task alive on its runtime.
    pub runtime_tasks: Option<u64>,
    pub chain_bytes: Option<u64>,
    pub journal_bytes: Option<u64>,
    pub trace_bytes: Option<u64>,
}

/// A sampled quantity, as the judge and the CSV name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    RssMib,
    Fds,
    Threads,
    Tasks,
    RuntimeTasks,
    JournalMib,
    ChainMib,
    TraceMib,
    StoreMib,
}

const MIB: f64 = 1024.0 * 1024.0;

impl Metric {
    pub const ALL: [Metric; 9] = [
        Metric::RssMib,
        Metric::Fds,
        Metric::Threads,
        Metric::Tasks,
        Metric::RuntimeTasks,
        Metric::JournalMib,
        Metric::ChainMib,
        Metric::TraceMib,
        Metric::StoreMib,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::RssMib => "rss",
            Metric::Fds => "fds",
            Metric::Threads => "threads",
            Metric::Tasks => "tasks",
            Metric::RuntimeTasks => "runtime_tasks",
            Metric::JournalMib => "journal",
            Metric::ChainMib => "chain",
            Metric::TraceMib => "trace",
            Metric::StoreMib => "store",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::RssMib
            | Metric::JournalMib
            | Metric::ChainMib
            | Metric::TraceMib
            | Metric::StoreMib => "MiB",
            Metric::Fds => "fds",
            Metric::Threads => "threads",
            Metric::Tasks | Metric::RuntimeTasks => "tasks",
        }
    }

    pub fn of(self, s: &Sample) -> Option<f64> {
        let mib = |b: Option<u64>| b.map(|b| b as f64 / MIB);
        match self {
            Metric::RssMib => s.rss_kib.map(|k| k as f64 / 1024.0),
            Metric::Fds => s.fds.map(|v| v as f64),
            Metric::Threads => s.threads.map(|v| v as f64),
            Metric::Tasks => s.tasks.map(|v| v as f64),
            Metric::RuntimeTasks => s.runtime_tasks.map(|v| v as f64),
            Metric::JournalMib => mib(s.journal_bytes),
            Metric::ChainMib => mib(s.chain_bytes),
            Metric::TraceMib => mib(s.trace_bytes),
            Metric::StoreMib => Some(
                mib(s.chain_bytes)? + mib(s.journal_bytes).unwrap_or(0.0) + mib(s.trace_bytes)?,
            ),
        }
    }
}

/// `VmRSS` (KiB) and `Threads` of a `/proc/<pid>/status` text.
pub fn parse_status(status: &str) -> (Option<u64>, Option<u64>) {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    (field("VmRSS:"), field("Threads:"))
}

/// `rumor_tasks` and `rumor_runtime_tasks` of a `/metrics` text.
pub fn parse_tasks(metrics: &str) -> (Option<u64>, Option<u64>) {
    let samples = prom_text::parse(metrics);
    let get = |name: &str| {
        samples
            .iter()
            .find(|s| s.name == name && s.value.is_finite() && s.value >= 0.0)
            .map(|s| s.value as u64)
    };
    (get(TASKS.sample), get(RUNTIME_TASKS.sample))
}

fn file_len(p: &Path) -> Option<u64> {
    std::fs::metadata(p).ok().map(|m| m.len())
}

/// Open file descriptors of a process (entries of `/proc/<pid>/fd`).
pub fn count_fds(pid: u32) -> Option<u64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64)
}

/// One node now: its process (if its pid is alive), its endpoint, its files.
pub async fn sample_node(node: &NodeEntry, t_s: f64, timeout: Duration) -> Sample {
    let dir = DataDir::new(&node.data_dir);
    let mut s = Sample {
        t_s,
        node: node.index,
        producer: node.producer,
        pid: node.pid,
        chain_bytes: file_len(&dir.chain_db()),
        journal_bytes: file_len(&dir.tx_journal()),
        trace_bytes: file_len(&dir.trace()),
        ..Sample::default()
    };
    if let Some(pid) = node.pid
        && let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
    {
        (s.rss_kib, s.threads) = parse_status(&status);
        s.fds = count_fds(pid);
    }
    if s.rss_kib.is_some()
        && let Ok(text) = http::get(node.metrics, "/metrics", timeout).await
    {
        (s.tasks, s.runtime_tasks) = parse_tasks(&text);
    }
    s
}

/// Every node of the testnet in `dir` now (the manifest re-read for current pids); empty
/// while the testnet is not up yet.
pub async fn sample_all(dir: &Path, t_s: f64) -> Vec<Sample> {
    let Ok(m) = Manifest::load(dir) else {
        return Vec::new();
    };
    let timeout = Duration::from_secs(2);
    let mut looks = tokio::task::JoinSet::new();
    for n in m.nodes {
        looks.spawn(async move { sample_node(&n, t_s, timeout).await });
    }
    let mut out: Vec<Sample> = looks.join_all().await;
    out.sort_by_key(|s| s.node);
    out
}

pub const CSV_HEADER: &str = "t_s,node,producer,pid,rss_kib,fds,threads,tasks,runtime_tasks,chain_bytes,journal_bytes,trace_bytes";

/// The samples as CSV (empty cells for values not read).
pub fn to_csv(samples: &[Sample]) -> String {
    let mut out = String::with_capacity(64 * (samples.len() + 1));
    out.push_str(CSV_HEADER);
    out.push('\n');
    let o = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    for s in samples {
        let _ = writeln!(
            out,
            "{:.1},{},{},{},{},{},{},{},{},{},{},{}",
            s.t_s,
            s.node,
            s.producer,
            o(s.pid.map(u64::from)),
            o(s.rss_kib),
            o(s.fds),
            o(s.threads),
            o(s.tasks),
            o(s.runtime_tasks),
            o(s.chain_bytes),
            o(s.journal_bytes),
            o(s.trace_bytes)
        );
    }
    out
}

/// Nodes whose process was never replaced: one pid over every sample that read one.
pub fn never_restarted(samples: &[Sample]) -> Vec<usize> {
    let mut pids: BTreeMap<usize, (Option<u32>, bool)> = BTreeMap::new();
    for s in samples {
        let e = pids.entry(s.node).or_insert((s.pid, true));
        if s.pid.is_some() && e.0.is_some() && s.pid != e.0 {
            e.1 = false;
        }
        if e.0.is_none() {
            e.0 = s.pid;
        }
    }
    pids.into_iter()
        .filter(|(_, (_, one))| *one)
        .map(|(n, _)| n)
        .collect()
}

/// `metric` of each of `nodes` over time (samples that read it).
pub fn series(
    samples: &[Sample],
    metric: Metric,
    nodes: &[usize],
) -> Vec<(usize, Vec<(f64, f64)>)> {
    let mut by: BTreeMap<usize, Vec<(f64, f64)>> = nodes.iter().map(|&n| (n, Vec::new())).collect();
    for s in samples {
        if let (Some(points), Some(v)) = (by.get_mut(&s.node), metric.of(s)) {
            points.push((s.t_s, v));
        }
    }
    by.into_iter().collect()
}

/// Per restart count of each node: how many distinct pids it had.
pub fn lifetimes(samples: &[Sample]) -> BTreeMap<usize, usize> {
    let mut pids: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for s in samples {
        if let Some(p) = s.pid {
            let v = pids.entry(s.node).or_default();
            if v.last() != Some(&p) {
                v.push(p);
            }
        }
    }
    pids.into_iter().map(|(n, v)| (n, v.len())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_status_and_metrics() {
        let status = "Name:\trumor\nVmHWM:\t  90000 kB\nVmRSS:\t   81234 kB\nThreads:\t23\n";
        assert_eq!(parse_status(status), (Some(81234), Some(23)));
        assert_eq!(parse_status("Name:\tzombie\n"), (None, None));
        let metrics = "# HELP rumor_tasks Tasks\n# TYPE rumor_tasks gauge\nrumor_tasks 17\n\
                       rumor_runtime_tasks 211\nrumor_tasks_other 9\n";
        assert_eq!(parse_tasks(metrics), (Some(17), Some(211)));
        assert_eq!(parse_tasks("rumor_head_height 4\n"), (None, None));
    }

    fn s(t: f64, node: usize, pid: Option<u32>, rss: u64) -> Sample {
        Sample {
            t_s: t,
            node,
            pid,
            rss_kib: pid.map(|_| rss),
            chain_bytes: Some(2 * 1024 * 1024),
            trace_bytes: Some(1024 * 1024),
            ..Sample::default()
        }
    }

    #[test]
    fn restarts_split_lifetimes_and_only_whole_ones_are_judged() {
        let samples = vec![
            s(0.0, 0, Some(100), 1024),
            s(0.0, 1, Some(200), 2048),
            s(10.0, 0, Some(100), 1024),
            s(10.0, 1, None, 0), // down
            s(20.0, 0, Some(100), 1024),
            s(20.0, 1, Some(300), 1024), // restarted: new pid
        ];
        assert_eq!(never_restarted(&samples), vec![0]);
        assert_eq!(lifetimes(&samples), BTreeMap::from([(0, 1), (1, 2)]));
        let rss = series(&samples, Metric::RssMib, &[0]);
        assert_eq!(rss, vec![(0, vec![(0.0, 1.0), (10.0, 1.0), (20.0, 1.0)])]);
        assert_eq!(Metric::StoreMib.of(&samples[0]), Some(3.0));
        let csv = to_csv(&samples[..2]);
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.starts_with(CSV_HEADER));
        assert_eq!(
            csv.lines().nth(1).unwrap(),
            "0.0,0,false,100,1024,,,,,2097152,,1048576"
        );
    }
}
