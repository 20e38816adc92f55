//! A real Prometheus server watching a testnet (`up|run --prometheus`): every node's
//! `/metrics` is a target through file-based service discovery ([`config`]), the server runs
//! on loopback with its data inside the testnet directory ([`server`]), and the report reads
//! bytes/s, pool sizes, peers and heads over the run from its HTTP API ([`api`], [`series`]).
//!
//! Invariants: everything lives in `DIR/prometheus/` (config, targets, TSDB, log); the server
//! listens on 127.0.0.1 only; it is recorded in `testnet.json` (pid, address) before anything
//! else waits on it, so `down` or a Ctrl-C can stop it; without the `prometheus` binary the
//! config and targets are still written and the report says which plots it could not draw.
//!
//! Bounds: one scrape of each node per interval (1 s by default: ~20 points in a 20 s run at
//! the cost of one ~40 KiB page per node per second), the TSDB kept for a day at most
//! (`--storage.tsdb.retention.time`), API answers read up to 16 MiB each, and every query has
//! a timeout.

pub mod api;
pub mod config;
pub mod series;
pub mod server;
pub mod watch;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The directory under the testnet's directory holding everything Prometheus.
pub const DIR: &str = "prometheus";
/// The series the report reads, saved while the server was up.
pub const SERIES_FILE: &str = "series.json";
/// Scrape interval unless `--scrape-interval` says otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// What `--prometheus` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusOptions {
    /// The server binary: `--prometheus-bin`, else `prometheus` on `PATH`.
    pub binary: Option<PathBuf>,
    pub scrape_interval: Duration,
}

impl Default for PrometheusOptions {
    fn default() -> Self {
        Self {
            binary: None,
            scrape_interval: DEFAULT_INTERVAL,
        }
    }
}

/// The server as `testnet.json` records it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// `None` when the binary was not found (config written, no server) and after `down`.
    pub pid: Option<u32>,
    /// Where its UI and HTTP API answer.
    pub addr: Option<SocketAddr>,
    pub scrape_interval_ms: u64,
    /// Why no server runs, when none does.
    #[serde(default)]
    pub not_started: Option<String>,
}

impl Entry {
    pub fn url(&self) -> Option<String> {
        self.addr.map(|a| format!("http://{a}"))
    }
}

/// `DIR/prometheus` for a testnet directory.
pub fn dir(testnet: &Path) -> PathBuf {
    testnet.join(DIR)
}
