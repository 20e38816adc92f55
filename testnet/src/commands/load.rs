//! `load`: sign and send transfers against a running testnet; records what it did in
//! `DIR/load.json` so a later `measure` knows the window and the counters' starting point.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::load::{LoadOptions, LoadStats, drive, plan_txs};
use crate::observe::collect;
use crate::observe::metrics::NodeCounters;
use crate::observe::rpc::Rpc;
use crate::setup::keys;
use crate::setup::manifest::Manifest;
use crate::util::timefmt::now_us;
use rumor_report::fsutil;

pub const FILE: &str = "load.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadRecord {
    pub stats: LoadStats,
    /// Counters of every node just before the first tx was sent.
    pub counters_start_us: u64,
    pub counters_start: Vec<Option<NodeCounters>>,
    /// The machine's CPU counters at the same moment (the saturation check's start).
    #[serde(default)]
    pub machine_start: Option<crate::process::machine::MachineSample>,
}

impl LoadRecord {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    pub fn load(dir: &Path) -> Option<Self> {
        fsutil::read_json(&Self::path(dir)).ok()
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        Ok(fsutil::write_json_atomic(&Self::path(dir), self)?)
    }
}

/// Reads the senders' nonces, signs the txs and drives them. Shared by `load` and `run`.
pub async fn run_load(
    manifest: &Manifest,
    rpcs: &[Rpc],
    opts: &LoadOptions,
    quiet: bool,
) -> Result<LoadRecord> {
    let accounts = opts.validate(manifest)?;
    let addresses: Vec<rumor_chain::Address> = (0..accounts)
        .map(|j| keys::account_key(manifest.seed, j).address())
        .collect();
    // On-chain nonces, so a second `load` against the same testnet continues where the
    // first left off instead of being rejected as "nonce too low".
    let nonces: Vec<u64> = rpcs
        .first()
        .ok_or_else(|| Error::Invalid("the testnet has no nodes".into()))?
        .accounts(&addresses)
        .await?
        .into_iter()
        .map(|a| a.nonce)
        .collect();
    let (m, o) = (manifest.clone(), opts.clone());
    let txs = tokio::task::spawn_blocking(move || plan_txs(&m, &o, &nonces))
        .await
        .map_err(|e| Error::Invalid(format!("signing txs: {e}")))?;

    let counters_start_us = now_us();
    let machine_start = crate::process::machine::sample();
    let counters_start = collect::counters(manifest).await;
    let bar = crate::util::progress::bar(txs.len() as u64, "load", quiet);
    bar.set_message(format!("txs at {} tx/s", opts.tps));
    let stats = drive(rpcs, txs, opts, &bar).await;
    bar.finish_with_message(format!(
        "accepted {}, rejected {}, failed {}",
        stats.accepted,
        stats.rejected_total(),
        stats.failed_total()
    ));
    Ok(LoadRecord {
        stats,
        counters_start_us,
        counters_start,
        machine_start,
    })
}

/// `load` as a command.
pub async fn load(dir: &Path, opts: &LoadOptions, quiet: bool) -> Result<LoadStats> {
    let manifest = Manifest::load(dir)?;
    let rpcs = collect::clients(&manifest)?;
    let record = tokio::select! {
        r = run_load(&manifest, &rpcs, opts, quiet) => r?,
        _ = crate::util::shutdown::signal() => return Err(Error::Interrupted),
    };
    record.save(&manifest.dir)?;
    Ok(record.stats)
}

pub fn describe(s: &LoadStats) -> String {
    let mut out = format!(
        "offered {:.1} tx/s, sent {:.1} tx/s; accepted {} of {} ({:.1} tx/s) in {:.1} s; rejected {}; failed {}\n",
        s.offered_tps,
        s.sent_tps,
        s.accepted,
        s.planned,
        s.accepted_tps,
        s.duration_s,
        s.rejected_total(),
        s.failed_total()
    );
    for (reason, n) in s.rejected.iter().chain(&s.failed) {
        out.push_str(&format!("  {n} × {reason}\n"));
    }
    out
}
