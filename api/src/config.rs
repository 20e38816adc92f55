//! `NodeConfig`: everything `rumor node` takes, as a TOML file (`--config`) and/or flags (flags
//! win). The node reads it; the testnet tool writes one per node with `toml::to_string`.
//!
//! Invariant: every bound has its default here. `rumor-mempool` builds its `PoolConfig` default
//! from [`PoolLimits`]; `rumor-p2p` (which does not depend on this crate) keeps its own
//! `NetworkConfig` defaults and a node test checks that [`NetLimits`] equals them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rumor_chain::ChainConfig;
use serde::{Deserialize, Serialize};

use crate::layout::DataDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Self::Human),
            "json" => Ok(Self::Json),
            other => Err(format!("expected `human` or `json`, got `{other}`")),
        }
    }
}

/// Calls per JSON-RPC batch the node accepts by default (clients size their batches by it).
pub const DEFAULT_MAX_BATCH: u32 = 128;

/// JSON-RPC server limits. The defaults are safe for an RPC bound beyond loopback (see the
/// README, "Exposing the RPC"); the per-client limits exempt loopback clients unless
/// `limit_loopback` is on, so a node bound to 127.0.0.1 behaves as it always did.
///
/// A *client* is one source address: an IPv4 address, or an IPv6 /64 (one host usually holds a
/// whole /64, so counting single IPv6 addresses would let it open unlimited buckets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcLimits {
    /// Largest request body (1 MiB: a batch of 100 txs is ~35 KB).
    pub max_request_bytes: u32,
    /// Largest response body (16 MiB: a full block with txs, or a full mempool listing).
    pub max_response_bytes: u32,
    /// Concurrent HTTP/WebSocket connections (128). A connection over it is closed at once.
    pub max_connections: u32,
    /// Concurrent connections from one client (16; 0 = no per-client limit), so one client
    /// cannot take every slot.
    pub max_connections_per_ip: u32,
    /// Calls per batch (128).
    pub max_batch: u32,
    /// Subscriptions per WebSocket connection (16).
    pub max_subscriptions_per_connection: u32,
    /// Calls per second each client may make, sustained (100; 0 = no rate limit): a token
    /// bucket per client. Every call counts, each call of a batch and each notification too;
    /// a call over the rate is answered with error −32040 (`rumor_api::errors::RATE_LIMITED`).
    pub rate_per_ip: u32,
    /// The bucket's size: calls a client may make at once after being idle (256: two full
    /// batches).
    pub rate_burst_per_ip: u32,
    /// Clients whose buckets the node remembers (4 096); past it, the least recently seen
    /// client is forgotten (and starts again with a full bucket).
    pub max_rate_clients: u32,
    /// Apply the per-client limits (rate, connections per client) to loopback clients too
    /// (false: clients on the node's own host are the operator's tools and the testnet's load).
    pub limit_loopback: bool,
    /// Messages (responses and subscription items) a WebSocket connection may have waiting to
    /// be sent (256). A client that reads slower than that is not read from until it catches
    /// up, and a lagging subscription skips items, so a slow reader holds at most this many.
    pub ws_send_buffer: u32,
    /// Seconds between WebSocket pings (30; 0 = none); a client that answers nothing for three
    /// intervals is disconnected.
    pub ws_ping_interval_secs: u32,
    /// A client that takes no byte of its answers for this many seconds is disconnected (30).
    /// Meanwhile nothing more is read from it (HTTP and WebSocket alike), so a client that
    /// sends and never reads holds only what fits in the socket buffers and `ws_send_buffer`.
    pub send_timeout_secs: u32,
    /// Seconds a connection may go without sending a complete request head — a new one, one
    /// sending its headers slowly, or an idle HTTP keep-alive one — before it is closed (30).
    /// WebSockets are governed by the pings instead.
    pub idle_timeout_secs: u32,
}

impl Default for RpcLimits {
    fn default() -> Self {
        Self {
            max_request_bytes: 1024 * 1024,
            max_response_bytes: 16 * 1024 * 1024,
            max_connections: 128,
            max_connections_per_ip: 16,
            max_batch: DEFAULT_MAX_BATCH,
            max_subscriptions_per_connection: 16,
            rate_per_ip: 100,
            rate_burst_per_ip: 2 * DEFAULT_MAX_BATCH,
            max_rate_clients: 4096,
            limit_loopback: false,
            ws_send_buffer: 256,
            ws_ping_interval_secs: 30,
            send_timeout_secs: 30,
            idle_timeout_secs: 30,
        }
    }
}

/// Mempool limits (see `rumor-mempool`'s `PoolConfig` for what each means).
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
        Self {
            max_txs: 10_000,
            max_bytes: 2 * 1024 * 1024,
            max_pending_per_sender: 16,
            max_queued_per_sender: 64,
            max_queued_total: 2_500,
            price_bump_percent: 10,
            lifetime_secs: 3 * 60 * 60,
            min_fee: 1,
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
    /// Mempool anti-entropy: every this many ms (±25% jitter; 5 000; 0 = off, except the pull
    /// on connect), pull the pending-tx digest of `txsync_peers` peers (2) and fetch what is
    /// missing.
    pub txsync_interval_ms: u64,
    pub txsync_peers: usize,
    /// Inbound txsync requests served at once (16), and each peer's quota: a burst (32)
    /// refilled per second (4). See `rumor-p2p`'s `TxSyncConfig`.
    pub txsync_max_inbound: usize,
    pub txsync_peer_burst: u32,
    pub txsync_peer_per_sec: u32,
    /// Each peer's quota on inbound requests (see `rumor-p2p`'s `RequestQuotas`): Status
    /// greetings (a burst of 8, 30 a minute), block/header fetches (128, 32 a second), peer
    /// exchange (16, 2 a second). Over quota a request is refused; a peer that keeps on is
    /// penalised and then banned.
    pub status_peer_burst: u32,
    pub status_peer_per_min: u32,
    pub sync_peer_burst: u32,
    pub sync_peer_per_sec: u32,
    pub px_peer_burst: u32,
    pub px_peer_per_sec: u32,
    /// Learn loopback/private addresses from peer exchange and share them (off: a node on the
    /// internet must not dial or spread them). `rumor-testnet` turns it on for its nodes,
    /// which all listen on 127.0.0.1.
    pub allow_private_addrs: bool,
    /// Connection slots inbound peers cannot take (8; at most `peers_low`): kept for the
    /// peers this node chooses, and never pruned below.
    pub outbound_reserved: u32,
    /// Established inbound connections from one IP address (4) and from one /24 or /64 (8);
    /// outbound dials go to at most `outbound_per_subnet` (2) peers of one subnet at once.
    pub inbound_per_ip: usize,
    pub inbound_per_subnet: usize,
    pub outbound_per_subnet: usize,
    /// Apply those per-address limits to loopback peers too (off: local clusters on
    /// 127.0.0.1 are the operator's own). `rumor-testnet` gives each node its own loopback
    /// address and turns it on.
    pub ip_limits_on_loopback: bool,
    /// Publish this node's blocks as compact blocks (header, 6-byte short ids, and the txs
    /// submitted here in the last `compact_prefill_ms` sent whole; peers rebuild them from
    /// their pools and fetch what they lack over `/rumor/blocktxn/1`). Off: whole blocks, for
    /// comparison. Either way a node takes both forms.
    pub compact_blocks: bool,
    pub compact_prefill_ms: u64,
    /// How long a node waits for a peer's missing txs before it fetches the whole block
    /// instead (2 000 ms).
    pub blocktxn_timeout_ms: u64,
    /// Liveness: every `ping_interval_ms` (3 000) each connection is pinged, and an answer
    /// must come within `ping_timeout_ms` (10 000); a connection that answered before and then
    /// answers nothing for 2 × interval + timeout (16 s) is closed, so a link that carries
    /// nothing back (one way) goes within about 20 s. See `rumor-p2p`'s `liveness`.
    pub ping_interval_ms: u64,
    pub ping_timeout_ms: u64,
    /// Lazy push for txs (on): `lazy_eager_peers` (2) tx-mesh peers push whole txs to this
    /// node, the others send ids, fetched if the tx has not come `lazy_wait_ms` (30) later.
    /// Off: every mesh peer pushes every tx (stock gossipsub). Ids owed to a lazy peer leave
    /// together every `lazy_announce_ms` (50). See `rumor-p2p`'s `LazyPush`.
    pub lazy_push: bool,
    pub lazy_eager_peers: usize,
    pub lazy_wait_ms: u64,
    pub lazy_announce_ms: u64,
}

impl Default for NetLimits {
    fn default() -> Self {
        Self {
            peers_low: 8,
            peers_high: 16,
            mesh_n: 8,
            mesh_n_low: 6,
            mesh_n_high: 12,
            heartbeat_ms: 700,
            seen_cache: 65_536,
            publish_queue: 1024,
            event_channel: 8192,
            flood_all: false,
            idontwant_threshold: 1000,
            txsync_interval_ms: 5000,
            txsync_peers: 2,
            txsync_max_inbound: 16,
            txsync_peer_burst: 32,
            txsync_peer_per_sec: 4,
            status_peer_burst: 8,
            status_peer_per_min: 30,
            sync_peer_burst: 128,
            sync_peer_per_sec: 32,
            px_peer_burst: 16,
            px_peer_per_sec: 2,
            allow_private_addrs: false,
            outbound_reserved: 8,
            inbound_per_ip: 4,
            inbound_per_subnet: 8,
            outbound_per_subnet: 2,
            ip_limits_on_loopback: false,
            compact_blocks: true,
            compact_prefill_ms: 500,
            blocktxn_timeout_ms: 2000,
            ping_interval_ms: 3000,
            ping_timeout_ms: 10_000,
            lazy_push: true,
            lazy_eager_peers: 2,
            lazy_wait_ms: 30,
            lazy_announce_ms: 50,
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
    /// Threads of the runtime's blocking pool at most (16; tokio's own default is 512): pool
    /// admissions, store reads for peers and RPC calls that touch the ledger run there, and
    /// most of them wait on the ledger's lock, so a burst (peers catching up from us while
    /// txs keep coming) grew one soak node's pool to 76 threads that then never went idle
    /// long enough (10 s) to exit. Past the bound, jobs queue for a thread instead; each
    /// caller is itself bounded by its own channel or request limit.
    pub blocking_threads: usize,
    /// Tx batches waiting for the verification pool (256).
    pub verify_queue: usize,
    /// Trace lines waiting for the writer (65 536); beyond that, lines are dropped and counted.
    pub trace_queue: usize,
    /// Message ids the trace's first-duplicate watch remembers (8 192; least recently seen
    /// forgotten first): `rumor_p2p::duplicates`.
    pub trace_duplicate_ids: usize,
    /// Journal txs accepted over RPC to `<data_dir>/local-txs.journal` before `tx_submit`
    /// returns, and restore them on start (true).
    pub tx_journal: bool,
    /// Keep the chain store in memory instead of `<data_dir>/chain.redb` (false): nothing
    /// survives a restart, and no block costs an fsync. For in-process testnets of many nodes.
    pub in_memory_store: bool,
    /// Blocks whose parent is unknown, held while it is fetched (256).
    pub orphan_buffer: usize,
    /// After a store I/O error (chain store or tx journal), retries back off up to this many
    /// ms between attempts (2 000): the longest a node waits to resume once the disk is fine.
    pub store_retry_max_ms: u64,
    /// How long a store may fail with an I/O error other than "out of space" before the node
    /// gives up and exits with status 74 (60 s). A full disk never ends the node.
    pub store_give_up_ms: u64,
    /// Serve the `fault_*` RPC methods (cut peers off, restore them) so a testnet tool can
    /// inject partitions (false). Never turn this on for a node others rely on.
    pub fault_control: bool,
    /// Testing only (hidden: not written unless set, not in `--help`): run this node's clock
    /// this many ms ahead (negative: behind) of the system clock, as a machine with a skewed
    /// clock would (`rumor-testnet --skew`). Every wall-clock reading of the node goes through
    /// it: slots, the future/replay checks, trace stamps, `trace_clock`.
    #[serde(skip_serializing_if = "is_zero")]
    pub clock_offset_ms: i64,
    pub rpc: RpcLimits,
    pub pool: PoolLimits,
    pub chain: ChainConfig,
    pub net: NetLimits,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
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
            blocking_threads: 16,
            verify_queue: 256,
            trace_queue: 65_536,
            trace_duplicate_ids: 8192,
            tx_journal: true,
            in_memory_store: false,
            orphan_buffer: 256,
            store_retry_max_ms: 2_000,
            store_give_up_ms: 60_000,
            fault_control: false,
            clock_offset_ms: 0,
            rpc: RpcLimits::default(),
            pool: PoolLimits::default(),
            chain: ChainConfig::default(),
            net: NetLimits::default(),
        }
    }
}

/// Why a configuration file cannot be used. Each message names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
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
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("encoding a node config: {0}")]
    Encode(#[from] toml::ser::Error),
}

impl NodeConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigFileError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// The TOML text `load` reads back as an equal config.
    pub fn to_toml(&self) -> Result<String, ConfigFileError> {
        Ok(toml::to_string(self)?)
    }

    pub fn save(&self, path: &Path) -> Result<(), ConfigFileError> {
        std::fs::write(path, self.to_toml()?).map_err(|source| ConfigFileError::Write {
            path: path.to_owned(),
            source,
        })
    }

    pub fn dir(&self) -> DataDir {
        DataDir::new(&self.data_dir)
    }

    pub fn key_path(&self) -> PathBuf {
        self.key.clone().unwrap_or_else(|| self.dir().node_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip_and_unknown_fields() {
        let c = NodeConfig::default();
        let text = c.to_toml().unwrap();
        let back: NodeConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, c);
        let partial: NodeConfig =
            toml::from_str("producer = true\n[rpc]\nmax_batch = 5\n").unwrap();
        assert!(partial.producer);
        assert_eq!(partial.rpc.max_batch, 5);
        assert!(toml::from_str::<NodeConfig>("nonsense = 1").is_err());
        assert!(!text.contains("clock_offset_ms"), "hidden unless set");
        let skewed = NodeConfig {
            clock_offset_ms: -1500,
            ..NodeConfig::default()
        };
        let back: NodeConfig = toml::from_str(&skewed.to_toml().unwrap()).unwrap();
        assert_eq!(back.clock_offset_ms, -1500);
    }

    #[test]
    fn saved_config_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        let c = NodeConfig {
            key: Some("/k".into()),
            link: Some("/l".into()),
            producer: true,
            log_format: LogFormat::Json,
            ..NodeConfig::default()
        };
        c.save(&path).unwrap();
        assert_eq!(NodeConfig::load(&path).unwrap(), c);
        assert_eq!("json".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert!("xml".parse::<LogFormat>().is_err());
    }
}
