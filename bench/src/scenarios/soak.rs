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
use crate::soak::{self, Judgement, sample};
use rumor_report::Report;
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
