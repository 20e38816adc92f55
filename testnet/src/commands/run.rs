//! `run`: the whole job in one command — up, load, collect, stop, report.

use std::time::{Duration, Instant};

use super::load::{LoadRecord, run_load};
use super::measure::{DRAIN, FinishInput, HEADS_TIMEOUT, Measured, SETTLE, finish};
use super::up;
use crate::attack::{self, AttackPlan};
use crate::error::{Error, Result};
use crate::faults::{self, Faults, converge};
use crate::load::LoadOptions;
use crate::observe::collect::{self, Live};
use crate::observe::rpc::Head;
use crate::process::Started;
use crate::setup::UpOptions;
use crate::setup::manifest::Manifest;
use crate::util::timefmt::now_us;
use rumor_report::analysis::Window;
use rumor_report::model::Convergence;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub up: UpOptions,
    pub load: LoadOptions,
    pub drain: Duration,
    pub settle: Duration,
    /// `--partition`, `--churn`, `--kill` (none by default).
    pub faults: Faults,
    /// A hostile peer during the load (`rumor-testnet attack`).
    pub attack: Option<AttackPlan>,
    pub quiet: bool,
}

/// After the faults end, how long the live nodes get to reach one head.
pub const CONVERGE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the lost-tx check keeps polling while pools drain into blocks.
pub const LOST_TIMEOUT: Duration = Duration::from_secs(30);

impl RunOptions {
    pub fn new(up: UpOptions, load: LoadOptions, quiet: bool) -> Self {
        Self {
            up,
            load,
            drain: DRAIN,
            settle: SETTLE,
            faults: Faults::default(),
            attack: None,
            quiet,
        }
    }
}

/// Everything read from the live testnet, before its nodes are stopped.
struct Collected {
    manifest: Manifest,
    record: LoadRecord,
    window: Window,
    live: Live,
    heads: (bool, Vec<Option<Head>>),
    convergence: Convergence,
}

pub async fn run(opts: &RunOptions) -> Result<Measured> {
    let started = Started::default();
    let result = tokio::select! {
        r = live_part(opts, &started) => r,
        _ = crate::util::shutdown::signal() => Err(Error::Interrupted),
    };
    conclude(opts, &started, result).await
}

/// `run` for a caller that owns the nodes' registry and handles Ctrl-C itself (the benchmark
/// runner, which runs several testnets in a row): if this future is dropped, whatever it
/// started is still in `started` for the caller to stop.
pub async fn run_with(opts: &RunOptions, started: &Started) -> Result<Measured> {
    let result = live_part(opts, started).await;
    conclude(opts, started, result).await
}

async fn conclude(
    opts: &RunOptions,
    started: &Started,
    result: Result<Collected>,
) -> Result<Measured> {
    // Whatever happened, stop every node this run started before going on.
    let stopping = crate::util::progress::spinner("stopping", opts.quiet);
    stopping.set_message("SIGTERM to every node, waiting for clean exits");
    let stop = started.stop(&opts.up.dir).await;
    stopping.finish_and_clear();
    let c = result?;

    let mut notes = vec![format!(
        "load ran {:.1} s; messages originating up to {:.1} s after it count; collection began {:.1} s after that",
        c.record.stats.duration_s,
        opts.drain.as_secs_f64(),
        opts.settle.as_secs_f64()
    )];
    if let Some(f) = &c.convergence.faults {
        notes.push(format!(
            "faults: {} (times from the start of the load; see the convergence section)",
            f.flags
        ));
    }
    let measured = finish(FinishInput {
        manifest: &c.manifest,
        live: &c.live,
        heads: c.heads,
        window: c.window,
        counters_start: Some((c.record.counters_start_us, &c.record.counters_start)),
        machine_start: c.record.machine_start,
        load: Some(c.record.stats.clone()),
        shutdown: Some(stop),
        convergence: Some(c.convergence),
        notes,
    })?;
    Ok(measured)
}

async fn live_part(opts: &RunOptions, started: &Started) -> Result<Collected> {
    // The schedule is checked before any node starts: an impossible one costs nothing.
    if opts.up.in_process && (opts.faults.churn.is_some() || opts.faults.kill.is_some()) {
        return Err(Error::Invalid(
            "--churn and --kill kill and restart node processes; with --in-process only \
             --partition applies"
                .into(),
        ));
    }
    let producers: Vec<bool> = (0..opts.up.nodes).map(|i| i < opts.up.producers).collect();
    let steps = faults::plan(&opts.faults, &producers, opts.up.seed, opts.load.duration)
        .map_err(Error::Invalid)?;
    let mut up_opts = opts.up.clone();
    if opts.faults.any() {
        up_opts.overrides.config.fault_control = true;
    }
    let manifest = up::start(&up_opts, started, opts.quiet).await?;
    crate::util::dirs::mark_latest(&manifest.dir);
    let rpcs = collect::clients(&manifest)?;
    let t0 = Instant::now();
    let inject = async {
        if steps.is_empty() {
            return None;
        }
        let flags = opts.faults.to_string();
        Some(
            faults::inject(
                &manifest,
                &rpcs,
                started,
                steps,
                flags,
                t0,
                opts.up.ready_timeout,
            )
            .await,
        )
    };
    let attack = async {
        let plan = opts.attack?;
        Some(attack::carry_out(plan, &manifest, &rpcs, opts.load.duration).await)
    };
    let height_before = attack::best_height(&rpcs).await;
    let load_start = Instant::now();
    let (record, fault_log, attack_log) = tokio::join!(
        run_load(&manifest, &rpcs, &opts.load, opts.quiet),
        inject,
        attack
    );
    let production = attack::Production::new(
        height_before,
        attack::best_height(&rpcs).await,
        load_start.elapsed(),
        manifest.slot_ms,
    );
    let record = record?;
    record.save(&manifest.dir)?;
    let dead: Vec<usize> = fault_log
        .as_ref()
        .map(|f| {
            f.downtime
                .iter()
                .filter(|(_, d)| d.down_at_end)
                .map(|(i, _)| *i)
                .collect()
        })
        .unwrap_or_default();
    let live_nodes: Vec<usize> = (0..rpcs.len()).filter(|i| !dead.contains(i)).collect();

    let spinner = crate::util::progress::spinner("collect", opts.quiet);
    if fault_log.is_some() {
        spinner.set_message("waiting for one head on every live node");
        let _ = converge::one_head(&rpcs, &live_nodes, CONVERGE_TIMEOUT).await;
    }
    spinner.set_message("letting the last messages propagate");
    tokio::time::sleep(opts.drain).await;
    let window = Window {
        start_us: record.stats.start_us,
        end_us: now_us(),
    };
    tokio::time::sleep(opts.settle).await;
    // Counters, CPU and the machine are read before the lost-tx check: that check asks every
    // node about every accepted tx over RPC, work that is not propagation and must not be
    // counted per message (nor in the machine's share).
    // Restarts (churn) changed pids since start-up.
    let manifest = Manifest::load(&manifest.dir).unwrap_or(manifest);
    spinner.set_message("peers, metrics, memory");
    let live = collect::snapshot(&manifest, &rpcs).await;
    // Nodes whose files are not here (containers): clocks and traces over RPC, before they stop.
    crate::observe::remote::collect(&manifest, &rpcs, &spinner).await?;
    if manifest.prometheus.is_some() {
        spinner.set_message("series from Prometheus");
        super::measure::read_series(&manifest, window).await?;
    }
    spinner.set_message("checking every accepted tx is held by every live node");
    let lost = converge::lost_txs(
        &rpcs,
        &live_nodes,
        &record.stats.accepted_hashes,
        LOST_TIMEOUT,
    )
    .await;
    spinner.set_message("heads");
    let live_rpcs: Vec<_> = live_nodes.iter().map(|&i| rpcs[i].clone()).collect();
    let (same, live_heads) = collect::converged_heads(&live_rpcs, HEADS_TIMEOUT).await;
    let mut heads = vec![None; rpcs.len()];
    for (k, &i) in live_nodes.iter().enumerate() {
        heads[i] = live_heads[k].clone();
    }
    spinner.finish_and_clear();
    let deepest_reorg = live_nodes
        .iter()
        .filter_map(|&i| live.nodes.get(i)?.counters.as_ref()?.deepest_reorg)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
        .map(|v| v as u64);
    let convergence = Convergence {
        converged: same,
        live_nodes,
        dead_nodes: dead,
        deepest_reorg,
        lost,
        faults: fault_log,
        production: Some(production),
        attack: attack_log,
    };
    Ok(Collected {
        manifest,
        record,
        window,
        live,
        heads: (same, heads),
        convergence,
    })
}
