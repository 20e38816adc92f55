//! Starting and stopping the testnets scenarios measure, through `up`'s own start-up (in
//! order, RPC ready, then a mesh everywhere) with the scenario's overrides.

use rumor_api::NodeConfig;
use serde::Serialize;

use super::ctx::Ctx;
use crate::error::Result;
use rumor_testnet::observe::rpc::Rpc;
use rumor_testnet::process::StopReport;
use rumor_testnet::setup::manifest::Manifest;
use rumor_testnet::setup::{NodeOverrides, RegionsOpt, UpOptions};

/// Funds per genesis account: plenty for any number of 1-unit transfers.
pub const BALANCE: u64 = 1_000_000_000_000;

/// What a scenario changes about every node's config (recorded in results as a parameter).
/// The nodes get it as typed `rumor_api::NodeConfig` fields, written to their `node.toml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NodeTweaks {
    /// Forward every message to every peer (`[net] flood_all`, the flooding baseline).
    pub flood_all: bool,
    /// Peer targets `[net] peers_low`, `peers_high`.
    pub peers: Option<(usize, usize)>,
    /// Tokio worker and signature-verification threads per node.
    pub threads: Option<usize>,
    /// Pool limits for ingest and relay: with no producer nothing leaves the pool, so it must
    /// hold every tx a run sends, and every sender's 16+ nonces must be pending, not refused.
    pub big_pool: bool,
    /// `[net] compact_blocks` (`None`: the node's default, compact).
    pub compact_blocks: Option<bool>,
}

impl NodeTweaks {
    pub fn config(&self) -> NodeConfig {
        let mut c = NodeConfig::default();
        c.net.flood_all = self.flood_all;
        if let Some((low, high)) = self.peers {
            c.net.peers_low = low;
            c.net.peers_high = high;
        }
        if let Some(t) = self.threads {
            c.runtime_threads = t;
            c.verify_threads = t;
        }
        if let Some(on) = self.compact_blocks {
            c.net.compact_blocks = on;
        }
        if self.big_pool {
            c.pool.max_txs = 200_000;
            c.pool.max_bytes = 64 * 1024 * 1024;
            c.pool.max_pending_per_sender = 64;
            c.pool.max_queued_total = 200_000;
        }
        c
    }
}

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
    /// Every node inside the testnet tool's process (`--in-process`).
    pub in_process: bool,
    /// Emulated links capped at this many Mbit/s per direction (with `regions`).
    pub bandwidth_mbit: Option<f64>,
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
            in_process: false,
            bandwidth_mbit: None,
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
    let dir = rumor_testnet::util::dirs::new_testnet_dir(Some(&ctx.work.join(label)))?;
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
        bandwidth_bytes_per_sec: shape.bandwidth_mbit.map(|m| (m * 1e6 / 8.0) as u64),
        ready_timeout: std::time::Duration::from_secs(shape.ready_timeout_s),
        overrides,
        in_process: shape.in_process,
        prometheus: None,
        compose: None,
    })
}

/// Starts the testnet; every node is registered in `ctx.started` as it starts.
pub async fn start(ctx: &Ctx, opts: &UpOptions) -> Result<(Manifest, Vec<Rpc>)> {
    let m = rumor_testnet::commands::up::start(opts, &ctx.started, ctx.quiet).await?;
    let rpcs = rumor_testnet::observe::collect::clients(&m)?;
    Ok((m, rpcs))
}

/// Stops every node started so far (one testnet at a time runs in a scenario).
pub async fn stop(ctx: &Ctx, m: &Manifest) -> StopReport {
    ctx.started.stop(&m.dir).await
}

/// `--runtime-threads N --verify-threads N`, or nothing for the node's defaults.
/// Deletes a finished testnet's directory unless `--keep` (traces of big networks add up).
pub fn discard(ctx: &Ctx, dir: &std::path::Path) {
    if !ctx.keep {
        let _ = std::fs::remove_dir_all(dir);
    }
}
