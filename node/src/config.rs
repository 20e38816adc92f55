//! Node configuration: a TOML file and/or flags (flags win). Every bound has a default here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rumor_chain::ChainConfig;
use rumor_mempool::PoolConfig;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// JSON-RPC server limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcLimits {
    /// Largest request body (1 MiB: a batch of 100 txs is ~35 KB).
    pub max_request_bytes: u32,
    /// Largest response body (16 MiB: a full block with txs, or a full mempool listing).
    pub max_response_bytes: u32,
    /// Concurrent HTTP/WebSocket connections (128).
    pub max_connections: u32,
    /// Calls per batch (128).
    pub max_batch: u32,
    /// Subscriptions per WebSocket connection (16).
    pub max_subscriptions_per_connection: u32,
}

impl Default for RpcLimits {
    fn default() -> Self {
        Self {
            max_request_bytes: 1024 * 1024,
            max_response_bytes: 16 * 1024 * 1024,
            max_connections: 128,
            max_batch: 128,
            max_subscriptions_per_connection: 16,
        }
    }
}

/// Mempool limits (see `rumor-mempool` for what each means).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolLimits {
    pub max_txs: usize,
    pub max_bytes: usize,
    pub max_pending_per_sender: usize,
    pub max_queued_per_sender: usize,
    pub max_queued_total: usize,
    pub price_bump_percent: u64,
    pub lifetime_secs: u64,
    pub min_fee: u64,
}

impl Default for PoolLimits {
    fn default() -> Self {
        let p = PoolConfig::default();
        Self {
            max_txs: p.max_txs,
            max_bytes: p.max_bytes,
            max_pending_per_sender: p.max_pending_per_sender,
            max_queued_per_sender: p.max_queued_per_sender,
            max_queued_total: p.max_queued_total,
            price_bump_percent: p.price_bump_percent,
            lifetime_secs: p.lifetime.as_secs(),
            min_fee: p.min_fee,
        }
    }
}

impl PoolLimits {
    pub fn to_pool_config(self) -> PoolConfig {
        PoolConfig {
            max_txs: self.max_txs,
            max_bytes: self.max_bytes,
            max_pending_per_sender: self.max_pending_per_sender,
            max_queued_per_sender: self.max_queued_per_sender,
            max_queued_total: self.max_queued_total,
            price_bump_percent: self.price_bump_percent,
            lifetime: Duration::from_secs(self.lifetime_secs),
            min_fee: self.min_fee,
            ..PoolConfig::default()
        }
    }
}

/// Network knobs exposed to operators (the rest keep `rumor-p2p`'s defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetLimits {
    pub peers_low: usize,
    pub peers_high: usize,
    pub mesh_n: usize,
    pub mesh_n_low: usize,
    pub mesh_n_high: usize,
    pub heartbeat_ms: u64,
    pub seen_cache: usize,
    pub publish_queue: usize,
    pub event_channel: usize,
    /// Forward every message to every peer (the flooding baseline for benchmarks).
    pub flood_all: bool,
    /// Messages above this many bytes trigger IDONTWANT (see `rumor-p2p`'s config).
    pub idontwant_threshold: usize,
}

impl Default for NetLimits {
    fn default() -> Self {
        let n = rumor_p2p::NetworkConfig::default();
        Self {
            peers_low: n.peers.low,
            peers_high: n.peers.high,
            mesh_n: n.gossip.mesh_n,
            mesh_n_low: n.gossip.mesh_n_low,
            mesh_n_high: n.gossip.mesh_n_high,
            heartbeat_ms: n.gossip.heartbeat.as_millis() as u64,
            seen_cache: n.seen_cache,
            publish_queue: n.publish_queue,
            event_channel: n.event_channel,
            flood_all: false,
            idontwant_threshold: n.gossip.idontwant_threshold,
        }
    }
}

/// Everything `rumor node` needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    pub data_dir: PathBuf,
    /// Node key (also the producer key). Default `<data_dir>/node.key`, created on first start.
    pub key: Option<PathBuf>,
    pub genesis: PathBuf,
    pub listen: Vec<String>,
    pub bootnodes: Vec<String>,
    pub rpc_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    /// Produce blocks in this key's slots (the key must be a genesis authority).
    pub producer: bool,
    pub log_format: LogFormat,
    /// Append a propagation trace line per first sight to `<data_dir>/trace.ndjson`.
    pub trace: bool,
    /// Link-emulation file (testnets only).
    pub link: Option<PathBuf>,
    /// Tokio worker threads (2) and signature-verification threads (the core count).
    /// Few threads per process keep many local nodes from fighting over the scheduler.
    pub runtime_threads: usize,
    pub verify_threads: usize,
    /// Tx batches waiting for the verification pool (256).
    pub verify_queue: usize,
    /// Trace lines waiting for the writer (65 536); beyond that, lines are dropped and counted.
    pub trace_queue: usize,
    /// Blocks whose parent is unknown, held while it is fetched (256).
    pub orphan_buffer: usize,
    pub rpc: RpcLimits,
    pub pool: PoolLimits,
    pub chain: ChainConfig,
    pub net: NetLimits,
}

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("rumor-data"),
            key: None,
            genesis: PathBuf::from("genesis.json"),
            listen: vec!["/ip4/0.0.0.0/tcp/30333".into()],
            bootnodes: Vec::new(),
            rpc_addr: ([127, 0, 0, 1], 8545).into(),
            metrics_addr: ([127, 0, 0, 1], 9615).into(),
            producer: false,
            log_format: LogFormat::Human,
            trace: false,
            link: None,
            runtime_threads: 2,
            verify_threads: default_threads(),
            verify_queue: 256,
            trace_queue: 65_536,
            orphan_buffer: 256,
            rpc: RpcLimits::default(),
            pool: PoolLimits::default(),
            chain: ChainConfig::default(),
            net: NetLimits::default(),
        }
    }
}

/// Why a configuration cannot be used. Each message names the file or flag at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--config {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{flag} {value:?}: {reason}")]
    Invalid {
        flag: &'static str,
        value: String,
        reason: String,
    },
}

impl NodeConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    pub fn key_path(&self) -> PathBuf {
        self.key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("node.key"))
    }

    /// Parses the multiaddrs and builds the network config.
    pub fn network_config(&self) -> Result<rumor_p2p::NetworkConfig, ConfigError> {
        let parse = |flag: &'static str, s: &String| {
            s.parse::<rumor_p2p::Multiaddr>()
                .map_err(|e| ConfigError::Invalid {
                    flag,
                    value: s.clone(),
                    reason: e.to_string(),
                })
        };
        let mut c = rumor_p2p::NetworkConfig {
            listen: self
                .listen
                .iter()
                .map(|s| parse("--listen", s))
                .collect::<Result<_, _>>()?,
            bootnodes: self
                .bootnodes
                .iter()
                .map(|s| parse("--bootnode", s))
                .collect::<Result<_, _>>()?,
            limits: self.chain.limits,
            seen_cache: self.net.seen_cache,
            publish_queue: self.net.publish_queue,
            event_channel: self.net.event_channel,
            ..rumor_p2p::NetworkConfig::default()
        };
        c.peers.low = self.net.peers_low;
        c.peers.high = self.net.peers_high.max(self.net.peers_low);
        c.peers.max_established = (c.peers.high + 8) as u32;
        c.gossip.mesh_n = self.net.mesh_n;
        c.gossip.mesh_n_low = self.net.mesh_n_low;
        c.gossip.mesh_n_high = self.net.mesh_n_high;
        c.gossip.mesh_outbound_min = (self.net.mesh_n_low / 2).min(self.net.mesh_n / 2).min(2);
        c.gossip.heartbeat = Duration::from_millis(self.net.heartbeat_ms.max(50));
        c.gossip.flood_all = self.net.flood_all;
        c.gossip.idontwant_threshold = self.net.idontwant_threshold;
        if let Some(path) = &self.link {
            let link = rumor_p2p::LinkEmulation::load(path).map_err(|e| ConfigError::Invalid {
                flag: "--link",
                value: path.display().to_string(),
                reason: e.to_string(),
            })?;
            // Queued forwards legitimately wait a WAN round trip; don't let gossipsub drop them.
            c.gossip.forward_queue_duration = Duration::from_secs(5);
            c.link = Some(link);
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip_and_unknown_fields() {
        let c = NodeConfig::default();
        let text = toml::to_string(&c).unwrap();
        let back: NodeConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, c);
        let partial: NodeConfig =
            toml::from_str("producer = true\n[rpc]\nmax_batch = 5\n").unwrap();
        assert!(partial.producer);
        assert_eq!(partial.rpc.max_batch, 5);
        assert!(toml::from_str::<NodeConfig>("nonsense = 1").is_err());
    }

    #[test]
    fn bad_multiaddr_names_the_flag() {
        let c = NodeConfig {
            bootnodes: vec!["not-an-addr".into()],
            ..NodeConfig::default()
        };
        let e = c.network_config().unwrap_err().to_string();
        assert!(e.starts_with("--bootnode"), "{e}");
    }
}
