//! Starting and stopping the testnets scenarios measure, through `up`'s own start-up (in
//! order, RPC ready, then a mesh everywhere) with the scenario's overrides.

use serde::Serialize;

use super::ctx::Ctx;
use crate::error::Result;
use crate::manifest::Manifest;
use crate::process::StopReport;
use crate::rpc::Rpc;
use crate::setup::{NodeOverrides, RegionsOpt, UpOptions};

/// Funds per genesis account: plenty for any number of 1-unit transfers.
pub const BALANCE: u64 = 1_000_000_000_000;

/// Pool limits for ingest and relay: with no producer nothing leaves the pool, so it must hold
/// every tx a run sends, and every sender's 16+ nonces must be pending, not refused.
pub const BIG_POOL_TOML: &str = "[pool]
max_txs = 200000
max_bytes = 67108864
max_pending_per_sender = 64
max_queued_total = 200000
";

/// The shape of a testnet, recorded in results as a parameter.
#[derive(Debug, Clone, Serialize)]
pub struct NetShape {
    pub nodes: usize,
    pub producers: usize,
    pub accounts: usize,
    pub slot_ms: u64,
    /// `none` or `builtin`.
    pub regions: &'static str,
    pub ready_timeout_s: u64,
}

impl NetShape {
    pub fn new(nodes: usize, producers: usize, accounts: usize) -> Self {
        Self {
            nodes,
            producers: producers.min(nodes),
            accounts,
            slot_ms: 1000,
            regions: "none",
            ready_timeout_s: 60,
        }
    }
}

/// `UpOptions` for a testnet in `ctx.work/label`.
pub fn up_options(
    ctx: &Ctx,
    label: &str,
    shape: &NetShape,
    overrides: NodeOverrides,
) -> Result<UpOptions> {
    let dir = crate::dirs::new_testnet_dir(Some(&ctx.work.join(label)))?;
    Ok(UpOptions {
        dir,
        rumor: ctx.rumor.clone(),
        nodes: shape.nodes,
        producers: shape.producers,
        seed: ctx.seed,
        slot_ms: shape.slot_ms,
        chain_id: 1,
        accounts: shape.accounts,
        account_balance: BALANCE,
        regions: match shape.regions {
            "builtin" => RegionsOpt::Builtin,
            _ => RegionsOpt::None,
        },
        jitter_ms: 0,
        ready_timeout: std::time::Duration::from_secs(shape.ready_timeout_s),
        overrides,
    })
}

/// Starts the testnet; every node is registered in `ctx.started` as it starts.
pub async fn start(ctx: &Ctx, opts: &UpOptions) -> Result<(Manifest, Vec<Rpc>)> {
    let m = crate::commands::up::start(opts, &ctx.started, ctx.quiet).await?;
    let rpcs = crate::collect::clients(&m)?;
    Ok((m, rpcs))
}

/// Stops every node started so far (one testnet at a time runs in a scenario).
pub async fn stop(ctx: &Ctx, m: &Manifest) -> StopReport {
    ctx.started.stop(&m.dir).await
}

/// `--runtime-threads N --verify-threads N`, or nothing for the node's defaults.
pub fn thread_args(threads: Option<usize>) -> Vec<String> {
    threads.map_or_else(Vec::new, |t| {
        vec![
            "--runtime-threads".into(),
            t.to_string(),
            "--verify-threads".into(),
            t.to_string(),
        ]
    })
}

/// Deletes a finished testnet's directory unless `--keep` (traces of big networks add up).
pub fn discard(ctx: &Ctx, dir: &std::path::Path) {
    if !ctx.keep {
        let _ = std::fs::remove_dir_all(dir);
    }
}
