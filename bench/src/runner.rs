//! Runs one scenario `--runs` times, pools the runs into figures, writes the JSON result and
//! appends the rows to `BENCHMARKS.md`. Every node a run starts is registered in the run's
//! context, and stopped here whether the run succeeds, fails or is interrupted.

use std::path::PathBuf;
use std::time::Instant;

use super::ctx::Ctx;
use super::machine::{GitInfo, Machine};
pub use super::options::BenchOptions;
use super::record::{document, rows};
use super::scenario::Scenario;
use super::scenarios;
use super::scenarios::propagation::SATURATED;
use crate::error::{Error, Result};
use crate::record::result::{self, BenchResult, RunRecord};
use rumor_report::figure::{Figure, resolve};
use rumor_testnet::process::Started;
use rumor_testnet::util::timefmt;

#[derive(Debug)]
pub struct Finished {
    pub result: BenchResult,
    pub file: PathBuf,
    pub summary: String,
}

/// The environment every scenario of one invocation shares.
#[derive(Debug, Clone)]
pub struct Env {
    pub machine: Machine,
    pub git: GitInfo,
    /// `work/<UTC stamp>`: this invocation's testnets.
    pub work: PathBuf,
}

impl Env {
    pub fn detect(opts: &BenchOptions) -> Self {
        let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Self {
            machine: Machine::detect(),
            git: GitInfo::detect(&here),
            work: opts.work.join(timefmt::timestamp(timefmt::now_ms() / 1000)),
        }
    }
}

pub async fn run_scenario(opts: &BenchOptions, env: &Env, sc: Scenario) -> Result<Finished> {
    if opts.runs == 0 {
        return Err(Error::Invalid("--runs must be at least 1".into()));
    }
    let started_at = timefmt::now_ms() / 1000;
    let t0 = Instant::now();
    // A soak is one long run: its figures are slopes over that run, not medians.
    let runs = if sc == Scenario::Soak { 1 } else { opts.runs };
    let mut per_run = Vec::with_capacity(runs);
    for run in 1..=runs {
        if !opts.quiet {
            eprintln!("bench: {} run {run}/{runs}", sc.name());
        }
        per_run.push(one_run(opts, env, sc, run).await?);
    }
    // Successful runs delete their directories; drop the parents if that left them empty
    // (`remove_dir` refuses non-empty ones, so failed runs' files stay).
    let _ = std::fs::remove_dir(env.work.join(sc.name()));
    let _ = std::fs::remove_dir(&env.work);
    let values: Vec<_> = per_run.iter().map(|r| r.values.clone()).collect();
    let lookup = |scenario: &str, key: &str| -> Option<(f64, String)> {
        let (name, r) = result::latest(&opts.out, scenario).ok()??;
        let v = r.figure(key)?.measured.as_ref()?.median;
        Some((v, format!("{name} @{}", r.git.describe())))
    };
    let mut figures = resolve(&scenarios::spec(sc).figures, &values, &lookup);
    let saturated: Vec<usize> = per_run
        .iter()
        .filter(|r| r.values.get(SATURATED) == Some(&1.0))
        .map(|r| r.run)
        .collect();
    if !saturated.is_empty() {
        figures.iter_mut().for_each(Figure::mark_cpu_bound);
    }
    let mut notes: Vec<String> = per_run
        .iter()
        .flat_map(|r| {
            let error = r
                .error
                .iter()
                .map(move |e| format!("run {}: failed: {e}", r.run));
            let notes = r.notes.iter().map(move |n| format!("run {}: {n}", r.run));
            error.chain(notes)
        })
        .collect();
    if !saturated.is_empty() {
        notes.push(format!(
            "the machine was saturated (over {:.0}% of its cores busy) in run(s) {saturated:?}: \
             the latency figures are CPU queueing, not propagation, and are not called met",
            rumor_report::records::machine::SATURATED_SHARE * 100.0
        ));
    }
    let result = BenchResult {
        scenario: sc.name().into(),
        tool: format!("rumor-bench {}", env!("CARGO_PKG_VERSION")),
        started_at,
        run_time_s: t0.elapsed().as_secs_f64(),
        runs,
        git: env.git.clone(),
        machine: env.machine.clone(),
        parameters: scenarios::parameters(sc, env.machine.cores, opts),
        figures,
        per_run,
        notes,
    };
    let file = result.save(&opts.out)?;
    document::append_to_file(&opts.document, &env.machine, sc, &rows::rows(&result))?;
    let summary = format!(
        "{} ({}), {} run(s) in {}\n{}{}",
        scenarios::spec(sc).title,
        sc.name(),
        result.runs,
        rumor_report::render::text::duration_text(result.run_time_s),
        rows::summary(&result),
        result
            .notes
            .iter()
            .map(|n| format!("  {n}\n"))
            .collect::<String>()
    );
    Ok(Finished {
        result,
        file,
        summary,
    })
}

/// One repetition. A failed run is recorded (its figures are left out of the medians); only
/// Ctrl-C aborts the scenario.
async fn one_run(opts: &BenchOptions, env: &Env, sc: Scenario, run: usize) -> Result<RunRecord> {
    let dir = env.work.join(sc.name()).join(format!("run-{run}"));
    let ctx = Ctx {
        rumor: opts.rumor.clone(),
        work: rumor_testnet::util::dirs::new_testnet_dir(Some(&dir))?,
        quiet: opts.quiet,
        keep: opts.keep,
        started: Started::default(),
        cores: env.machine.cores,
        seed: opts.seed,
    };
    let t0 = Instant::now();
    let outcome = tokio::select! {
        r = scenarios::run_once(sc, &ctx, opts) => r,
        _ = rumor_testnet::util::shutdown::signal() => Err(Error::Interrupted),
    };
    // Normally nothing is left; after an error or Ctrl-C this stops what the run started.
    ctx.started.stop(&ctx.work).await;
    let mut record = RunRecord {
        run,
        run_time_s: t0.elapsed().as_secs_f64(),
        ..Default::default()
    };
    match outcome {
        Err(e) if e.is_interrupted() => return Err(e),
        Err(e) => {
            if !opts.quiet {
                eprintln!(
                    "bench: {} run {run} failed: {e} (files kept in {})",
                    sc.name(),
                    ctx.work.display()
                );
            }
            record.error = Some(e.to_string());
        }
        Ok(o) => {
            record.values = o.values;
            record.details = o.details;
            record.notes = o.notes;
            if !opts.keep {
                let _ = std::fs::remove_dir_all(&ctx.work);
            }
        }
    }
    Ok(record)
}
