//! `run`: the whole job in one command — up, load, collect, stop, report.

use std::time::Duration;

use super::load::{LoadRecord, run_load};
use super::measure::{DRAIN, FinishInput, HEADS_TIMEOUT, Measured, SETTLE, finish};
use super::started::Started;
use super::up;
use crate::analysis::Window;
use crate::collect::{self, Live};
use crate::error::{Error, Result};
use crate::load::LoadOptions;
use crate::manifest::Manifest;
use crate::rpc::Head;
use crate::setup::UpOptions;
use crate::timefmt::now_us;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub up: UpOptions,
    pub load: LoadOptions,
    pub drain: Duration,
    pub settle: Duration,
    pub quiet: bool,
}

impl RunOptions {
    pub fn new(up: UpOptions, load: LoadOptions, quiet: bool) -> Self {
        Self {
            up,
            load,
            drain: DRAIN,
            settle: SETTLE,
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
}

pub async fn run(opts: &RunOptions) -> Result<Measured> {
    let started = Started::default();
    let result = tokio::select! {
        r = live_part(opts, &started) => r,
        _ = crate::shutdown::signal() => Err(Error::Interrupted),
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
    let stopping = crate::progress::spinner("stopping", opts.quiet);
    stopping.set_message("SIGTERM to every node, waiting for clean exits");
    let stop = started.stop(&opts.up.dir).await;
    stopping.finish_and_clear();
    let c = result?;

    let notes = vec![format!(
        "load ran {:.1} s; messages originating up to {:.1} s after it count; collection began {:.1} s after that",
        c.record.stats.duration_s,
        opts.drain.as_secs_f64(),
        opts.settle.as_secs_f64()
    )];
    let measured = finish(FinishInput {
        manifest: &c.manifest,
        live: &c.live,
        heads: c.heads,
        window: c.window,
        counters_start: Some((c.record.counters_start_us, &c.record.counters_start)),
        load: Some(c.record.stats.clone()),
        shutdown: Some(stop),
        notes,
    })?;
    Ok(measured)
}

async fn live_part(opts: &RunOptions, started: &Started) -> Result<Collected> {
    let manifest = up::start(&opts.up, started, opts.quiet).await?;
    crate::dirs::mark_latest(&manifest.dir);
    let rpcs = collect::clients(&manifest)?;
    let record = run_load(&manifest, &rpcs, &opts.load, opts.quiet).await?;
    record.save(&manifest.dir)?;

    let spinner = crate::progress::spinner("collect", opts.quiet);
    spinner.set_message("letting the last messages propagate");
    tokio::time::sleep(opts.drain).await;
    let window = Window {
        start_us: record.stats.start_us,
        end_us: now_us(),
    };
    tokio::time::sleep(opts.settle).await;
    spinner.set_message("peers, heads, metrics, memory");
    let live = collect::snapshot(&manifest, &rpcs).await;
    let heads = collect::converged_heads(&rpcs, HEADS_TIMEOUT).await;
    spinner.finish_and_clear();
    Ok(Collected {
        manifest,
        record,
        window,
        live,
        heads,
    })
}
