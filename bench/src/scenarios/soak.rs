//! `soak`: 16 nodes under steady load for an hour (`--soak-duration`), a partition every
//! 10 minutes and churn throughout, every node sampled every 10 s; the judge
//! ([`crate::soak::judge`]) says whether memory, fds, threads, tasks and the journal level off,
//! and the store's growth rate is reported. The run's own convergence report supplies lost
//! txs and the one-head check at the end.
//!
//! The schedule scales with the duration so a 5-minute soak still has every fault: partitions
//! every min(10 min, duration/3), each lasting a tenth of that, the first half a period in;
//! churn every min(60 s, duration/10).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::watch;

use crate::ctx::{Ctx, RunOutcome};
use crate::error::Result;
use crate::net::{self, NetShape};
use crate::scenario::{MACHINE_CPU, Spec};
use crate::soak::{self, Judgement, sample};
use rumor_report::Report;
use rumor_report::figure::{FigureSpec, GoalSpec};
use rumor_report::plots::Footer;
use rumor_testnet::commands::run::{RunOptions, run_with};
use rumor_testnet::faults::{Churn, Faults, Partition};
use rumor_testnet::load::LoadOptions;
use rumor_testnet::setup::NodeOverrides;

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub net: NetShape,
    pub tps: f64,
    pub duration_s: f64,
    pub sample_s: f64,
    /// The judged window starts at this share of the duration (the last half).
    pub judge_from: f64,
    pub faults: Faults,
}

impl Params {
    pub fn new(duration: Duration) -> Self {
        let every = Duration::from_secs(600).min(duration / 3);
        let churn = Duration::from_secs(60).min(duration / 10);
        Self {
            net: NetShape::new(16, 4, 256),
            tps: 50.0,
            duration_s: duration.as_secs_f64(),
            sample_s: (duration.as_secs_f64() / 60.0).clamp(1.0, 10.0),
            judge_from: 0.5,
            faults: Faults {
                partition: Some(Partition {
                    fraction: 0.5,
                    start: every / 2,
                    duration: every / 10,
                    every: Some(every),
                }),
                churn: Some(Churn {
                    fraction: 0.25,
                    period: churn.max(Duration::from_secs(1)),
                }),
                kill: None,
                ..Faults::default()
            },
        }
    }
}

impl Default for Params {
    fn default() -> Self {
        Self::new(Duration::from_secs(3600))
    }
}

pub fn parameters(p: &Params) -> serde_json::Value {
    serde_json::json!({ "params": p, "faults": p.faults.to_string() })
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Samples every node of the testnet in `dir` every `period` until `stop`; times are Unix
/// seconds (re-based on the load's start afterwards).
async fn sampler(
    dir: std::path::PathBuf,
    period: Duration,
    mut stop: watch::Receiver<bool>,
) -> Vec<sample::Sample> {
    let mut out = Vec::new();
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => out.extend(sample::sample_all(&dir, now_s()).await),
            _ = stop.changed() => return out,
        }
    }
}

pub async fn run_once(ctx: &Ctx, p: &Params, results: &std::path::Path) -> Result<RunOutcome> {
    let up = net::up_options(ctx, "net", &p.net, NodeOverrides::default())?;
    let load = LoadOptions::paced(p.tps, Duration::from_secs_f64(p.duration_s), 1);
    let mut opts = RunOptions::new(up, load, ctx.quiet);
    opts.faults = p.faults;
    let (stop, stopped) = watch::channel(false);
    let sampling = tokio::spawn(sampler(
        opts.up.dir.clone(),
        Duration::from_secs_f64(p.sample_s),
        stopped,
    ));
    let measured = run_with(&opts, &ctx.started).await;
    let _ = stop.send(true);
    let mut samples = sampling.await.unwrap_or_default();
    let measured = measured?;
    let r = &measured.report;
    let start_s = r.load.as_ref().map_or(0.0, |l| l.start_us as f64 / 1e6);
    for s in &mut samples {
        s.t_s -= start_s;
    }
    samples.retain(|s| s.t_s >= 0.0);
    let judgement = soak::judge_all(&samples, p.duration_s * p.judge_from, p.duration_s);
    let stamp = rumor_testnet::util::timefmt::timestamp(now_s() as u64);
    let dir = results.join(format!("soak-{stamp}"));
    let files = soak::write_files(&dir, &samples, &judgement, &Footer::of(r.machine.as_ref()))?;

    let mut out = RunOutcome::default();
    figures(r, &judgement, &samples, &mut out);
    out.notes.extend(judgement.leaks.iter().map(|v| v.line()));
    out.notes.extend(
        judgement
            .growth
            .iter()
            .map(|v| format!("{} (append-only: a rate, not judged)", v.rate_line())),
    );
    out.notes.push(format!(
        "load ran {:.0} s (--soak-duration), {}; judged window {:.0}–{:.0} s",
        p.duration_s, p.faults, judgement.from_s, judgement.to_s
    ));
    out.notes.push(
        "the machine is shared with other engineers' builds: CPU figures and timings include \
         their load"
            .into(),
    );
    out.notes.push(format!(
        "samples, judgement and plots: {} ({})",
        dir.display(),
        files.join(", ")
    ));
    out.details = serde_json::json!({
        "judgement": judgement,
        "files": dir,
        "load": r.load,
        "convergence": r.convergence,
    });
    net::discard(ctx, &opts.up.dir);
    Ok(out)
}

fn figures(r: &Report, j: &Judgement, samples: &[sample::Sample], out: &mut RunOutcome) {
    super::convergence::figures(r, out);
    out.set("leaks", Some(j.growing() as f64));
    out.set("judged_nodes", Some(j.judged_nodes.len() as f64));
    for (key, m) in [
        ("rss_slope", sample::Metric::RssMib),
        ("fds_slope", sample::Metric::Fds),
        ("threads_slope", sample::Metric::Threads),
        ("tasks_slope", sample::Metric::Tasks),
        ("runtime_tasks_slope", sample::Metric::RuntimeTasks),
        ("journal_slope", sample::Metric::JournalMib),
        ("store_slope", sample::Metric::StoreMib),
    ] {
        let v = j.verdict(m);
        let slope = if key == "store_slope" {
            v.and_then(|v| v.mean_slope_per_h)
        } else {
            v.and_then(|v| v.worst.as_ref()).map(|w| w.1.slope_per_h)
        };
        out.set(key, slope);
    }
    let peak = |m: sample::Metric| samples.iter().filter_map(|s| m.of(s)).reduce(f64::max);
    out.set("rss_peak", peak(sample::Metric::RssMib));
    out.set("fds_peak", peak(sample::Metric::Fds));
    out.set("tasks_peak", peak(sample::Metric::Tasks));
    out.set(
        "partitions",
        r.convergence
            .as_ref()
            .and_then(|c| c.faults.as_ref())
            .map(|f| f.partitions.len() as f64),
    );
}

// The scenario as BENCHMARKS.md describes it.

/// The `Soak` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn spec() -> Spec {
    Spec {
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
            FigureSpec::new("leaks", "judged metrics that grow", "").goal(GoalSpec::AtMost(0.0)),
            FigureSpec::new("converged", "one head on every node at the end", "%")
                .goal(GoalSpec::AtLeast(100.0)),
            FigureSpec::new("lost", "txs accepted but lost", "txs").goal(GoalSpec::AtMost(0.0)),
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
    }
}
