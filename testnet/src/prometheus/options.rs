//! What `--prometheus` asks for, how `testnet.json` records the server, and where its files
//! live (`DIR/prometheus/`).

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

/// Where a started server is kept so that a failure, `down` or Ctrl-C stops it (the harness's
/// registry of started processes, `crate::process::Started`).
pub trait Keeper: Sync {
    fn keep(&self, child: std::process::Child, dir: &Path);
    /// `Some(status)` if the kept server has exited.
    fn exited(&self) -> Option<String>;
}
