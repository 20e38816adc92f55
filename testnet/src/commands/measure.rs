//! `measure`: read a testnet's traces and live state and write the report. Also the final
//! step of `run`, which calls [`finish`] after it has stopped the nodes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::load::LoadRecord;
use crate::error::Result;
use crate::observe::collect::{self, Live};
use crate::observe::metrics::NodeCounters;
use crate::observe::rpc::Head;
use crate::prometheus::OverTimeExt;
use crate::report::{self, BuildInput, peer_indices};
use crate::setup::manifest::Manifest;
use crate::util::timefmt::now_us;
use rumor_report::Report;
use rumor_report::analysis::{self, Analysis, LatencyGraph, Window};
use rumor_report::records::process::StopReport;
use rumor_report::records::series::OverTime;
use rumor_report::render::table;
use rumor_report::trace::{self, NodeTrace};

/// After the load ends, messages keep counting for this long (blocks carrying the last txs).
pub const DRAIN: Duration = Duration::from_secs(2);
/// Messages from the last `SETTLE` before collection are not counted: they may still be
/// on their way, which would show up as lost deliveries.
pub const SETTLE: Duration = Duration::from_secs(2);
/// How long to wait for every node to report the same head.
pub const HEADS_TIMEOUT: Duration = Duration::from_secs(6);

#[derive(Debug)]
pub struct Measured {
    pub report: Report,
    pub files: Vec<PathBuf>,
    pub summary: String,
}

/// Every node's trace; for nodes not on this machine's clock (remote, or `--skew`), shifted
/// onto the tool's clock by the offsets in `clocks.json` ([`crate::observe::remote`]).
pub fn read_traces(m: &Manifest) -> Result<Vec<NodeTrace>> {
    let clocks =
        crate::observe::remote::load_clocks(m).filter(|_| crate::observe::remote::clocks_differ(m));
    m.nodes
        .iter()
        .map(|n| {
            let mut t = trace::read(&n.trace_file(), &n.trace_stats_file())?;
            if let Some(o) = clocks.as_ref().and_then(|c| c.get(&n.index)) {
                t.shift(o);
            }
            Ok(t)
        })
        .collect()
}

#[derive(Debug)]
pub struct FinishInput<'a> {
    pub manifest: &'a Manifest,
    pub live: &'a Live,
    pub heads: (bool, Vec<Option<Head>>),
    pub window: Window,
    pub counters_start: Option<(u64, &'a [Option<NodeCounters>])>,
    /// The machine's CPU counters when the load started.
    pub machine_start: Option<crate::process::machine::MachineSample>,
    pub load: Option<crate::load::LoadStats>,
    pub shutdown: Option<StopReport>,
    pub convergence: Option<rumor_report::model::Convergence>,
    pub notes: Vec<String>,
}

/// Traces → analysis → report files. Nodes dead at the end (killed by `--kill`) are left out:
/// delivery and latency are over the live nodes; the convergence section lists the others.
pub fn finish(input: FinishInput<'_>) -> Result<Measured> {
    let dead: Vec<usize> = input
        .convergence
        .as_ref()
        .map(|c| c.dead_nodes.clone())
        .unwrap_or_default();
    let keep = |i: usize| !dead.contains(&i);
    let mut sub = input.manifest.clone();
    sub.nodes.retain(|n| keep(n.index));
    let live = Live {
        at_us: input.live.at_us,
        machine: input.live.machine,
        tool_mem: input.live.tool_mem,
        tool_threads: input.live.tool_threads,
        tool_heap: input.live.tool_heap,
        nodes: input
            .live
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, n)| n.clone())
            .collect(),
    };
    let counters_start: Option<(u64, Vec<Option<NodeCounters>>)> =
        input.counters_start.map(|(t, c)| {
            let kept = c
                .iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, c)| c.clone())
                .collect();
            (t, kept)
        });
    let heads = (
        input.heads.0,
        input
            .heads
            .1
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, h)| h.clone())
            .collect(),
    );
    let m = &sub;
    let traces = read_traces(m)?;
    let regions = m.regions();
    // The latency graph needs every node's links; with dead nodes the bound is left out.
    let graph = m
        .emulation
        .as_ref()
        .zip(regions.as_ref())
        .filter(|_| dead.is_empty())
        .map(|(e, r)| LatencyGraph::from_peers(&peer_indices(m, &live), r, &e.matrix));
    let canonical = input
        .convergence
        .as_ref()
        .map(|c| &c.lost.canonical_blocks)
        .filter(|c| !c.is_empty());
    let transmission = transmission(m, &live);
    let mut analysis: Analysis = analysis::analyze(analysis::Input {
        traces: &traces,
        window: input.window,
        regions: regions.as_deref(),
        graph: graph.as_ref(),
        canonical_blocks: canonical,
        transmission: transmission.as_ref(),
    });
    analysis.renumber(&m.nodes.iter().map(|n| n.index).collect::<Vec<_>>());
    let mut report = report::build(BuildInput {
        manifest: m,
        analysis: &analysis,
        traces: &traces,
        live: &live,
        counters_start: counters_start.as_ref().map(|(t, c)| (*t, c.as_slice())),
        machine_start: input.machine_start,
        load: input.load,
        heads,
        shutdown: input.shutdown,
        convergence: input.convergence,
        notes: input.notes,
    });
    let over_time = over_time(input.manifest);
    report.over_time = Some(rumor_report::section::over_time::summarize(&over_time));
    let files = rumor_report::write(&m.report_dir(), &report, &analysis, Some(&over_time))?;
    let summary = table::summary(&report);
    Ok(Measured {
        report,
        files,
        summary,
    })
}

/// The Prometheus series saved during the run, or every plot marked not drawn and why.
fn over_time(m: &Manifest) -> OverTime {
    if let Some(o) = OverTime::load(&m.dir) {
        return o;
    }
    OverTime::none(match &m.prometheus {
        None => "run without --prometheus",
        Some(p) => p
            .not_started
            .as_deref()
            .unwrap_or("the series were not read while Prometheus ran"),
    })
}

/// Reads the series over `window` from the testnet's Prometheus, if one runs, and saves them
/// for the report.
pub async fn read_series(m: &Manifest, window: Window) -> Result<()> {
    let Some(p) = &m.prometheus else {
        return Ok(());
    };
    let series = crate::prometheus::collect_series(p, window.start_us, window.end_us).await;
    series.save(&m.dir)
}

/// With a bandwidth cap: the cap and each kind's mean gossip message size over the run (all
/// nodes' first receipts since they started), for the bound with transmission time.
fn transmission(m: &Manifest, live: &Live) -> Option<analysis::Transmission> {
    let bytes_per_sec = m.emulation.as_ref()?.bandwidth_bytes_per_sec? as f64;
    let mut mean_bytes = std::collections::BTreeMap::new();
    for kind in rumor_report::trace::Kind::ALL {
        let mut sum = crate::observe::metrics::counters::RecvCounts::default();
        for c in live.nodes.iter().filter_map(|n| n.counters.as_ref()) {
            let k = match kind {
                rumor_report::trace::Kind::Tx => c.tx,
                rumor_report::trace::Kind::Block => c.block,
            };
            if let Some(k) = k {
                sum.filtered += k.filtered;
                sum.bytes_filtered += k.bytes_filtered;
            }
        }
        if let Some(b) = sum.mean_bytes() {
            mean_bytes.insert(kind, b);
        }
    }
    Some(analysis::Transmission {
        bytes_per_sec,
        mean_bytes,
    })
}

/// `measure` against a running testnet.
pub async fn measure(dir: &Path, quiet: bool) -> Result<Measured> {
    let m = Manifest::load(dir)?;
    let rpcs = collect::clients(&m)?;
    let record = LoadRecord::load(&m.dir);
    let mut notes = vec![
        "measured while the nodes were running: trace lines still buffered in a node are not counted, and trace.stats.json does not exist yet".to_string(),
    ];
    let window = match &record {
        Some(r) => {
            let end = r.stats.end_us + DRAIN.as_micros() as u64;
            // Give the last messages of the window time to arrive.
            let ready_at = end + SETTLE.as_micros() as u64;
            let now = now_us();
            if now < ready_at {
                tokio::time::sleep(Duration::from_micros(ready_at - now)).await;
            }
            Window {
                start_us: r.stats.start_us,
                end_us: end,
            }
        }
        None => {
            notes.push("no load.json: window is from mesh readiness until 2 s ago".into());
            Window {
                start_us: m.ready_at_us.unwrap_or(m.genesis_time_ms * 1000),
                end_us: now_us().saturating_sub(SETTLE.as_micros() as u64),
            }
        }
    };
    let spinner = crate::util::progress::spinner("collect", quiet);
    spinner.set_message("peers, heads, metrics, memory");
    let live = collect::snapshot(&m, &rpcs).await;
    if m.prometheus.as_ref().and_then(|p| p.pid).is_some() {
        spinner.set_message("series from Prometheus");
        read_series(&m, window).await?;
    }
    let heads = collect::converged_heads(&rpcs, HEADS_TIMEOUT).await;
    crate::observe::remote::collect(&m, &rpcs, &spinner).await?;
    spinner.set_message("traces and report");
    let out = finish(FinishInput {
        manifest: &m,
        live: &live,
        heads,
        window,
        counters_start: record
            .as_ref()
            .map(|r| (r.counters_start_us, r.counters_start.as_slice())),
        machine_start: record.as_ref().and_then(|r| r.machine_start),
        load: record.as_ref().map(|r| r.stats.clone()),
        shutdown: None,
        convergence: None,
        notes,
    });
    spinner.finish_and_clear();
    out
}
