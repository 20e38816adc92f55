//! `DIR/testnet.json`: everything the other commands need to find and talk to a running
//! testnet (processes, addresses, keys' public halves, regions). Paths are absolute so the
//! file stays valid whatever directory a later command runs from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rumor_api::{DataDir, LogFormat, NodeConfig};
use rumor_chain::Address;
use rumor_link::RegionMatrix;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use rumor_report::fsutil;

pub const FILE: &str = "testnet.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub dir: PathBuf,
    /// The `rumor` binary the nodes run.
    pub rumor: PathBuf,
    pub seed: u64,
    pub chain_id: u64,
    pub slot_ms: u64,
    pub genesis_time_ms: u64,
    /// First 8 hex chars of the genesis hash; part of the gossip topic names.
    pub network: String,
    pub genesis: PathBuf,
    /// Genesis-funded accounts `"{seed}/account-{j}"`, `j < accounts`.
    pub accounts: usize,
    pub account_balance: u64,
    /// Present when link emulation is on.
    pub emulation: Option<Emulation>,
    /// When every node had a mesh (µs since the epoch): blocks before it are not measured.
    #[serde(default)]
    pub ready_at_us: Option<u64>,
    /// The nodes ran inside the testnet tool's process (`--in-process`): no pids, and no
    /// per-node `/proc` figures (CPU comes from each node's meter instead).
    #[serde(default)]
    pub in_process: bool,
    /// The process the nodes run in while an in-process testnet is up (`None` otherwise, and
    /// once it has stopped them).
    #[serde(default)]
    pub host_pid: Option<u32>,
    /// The host's resident set just before its first node started, KiB: what the nodes' share
    /// of its memory is measured from (a benchmark's host outlives many testnets).
    #[serde(default)]
    pub host_rss_before_kib: Option<u64>,
    /// The host's live heap just before its first node started, bytes ([`crate::util::heap`]).
    #[serde(default)]
    pub host_heap_before: Option<u64>,
    /// `--prometheus`: the server watching the nodes (or why none runs).
    #[serde(default)]
    pub prometheus: Option<crate::prometheus::Entry>,
    /// The nodes were not started by this tool (`--endpoints`): nothing here starts, stops or
    /// reads the files of them; traces and clocks come over RPC.
    #[serde(default)]
    pub attached: bool,
    /// `--backend compose`: the nodes run in containers of this Compose project.
    #[serde(default)]
    pub compose: Option<crate::backend::container::entry::ComposeEntry>,
    pub nodes: Vec<NodeEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Emulation {
    /// `"builtin"` or the matrix file's path.
    pub source: String,
    pub matrix: RegionMatrix,
    pub jitter_ms: u64,
    /// Per-connection, per-direction link capacity (bytes/s; `None`: unlimited).
    #[serde(default)]
    pub bandwidth_bytes_per_sec: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeEntry {
    pub index: usize,
    pub data_dir: PathBuf,
    pub key_file: PathBuf,
    pub peer_id: String,
    pub address: Address,
    pub producer: bool,
    /// `None` before the node is started and after `down`.
    pub pid: Option<u32>,
    /// Multiaddr without the `/p2p/` suffix.
    pub p2p: String,
    pub rpc: SocketAddr,
    pub metrics: SocketAddr,
    pub region: Option<String>,
    /// Indices of the earlier nodes this one was given as bootnodes.
    pub bootnodes: Vec<usize>,
    pub link_file: Option<PathBuf>,
    /// `--skew`: this node's clock runs this many ms ahead (negative: behind) of the system
    /// clock (its config's `clock_offset_ms`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clock_offset_ms: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl NodeEntry {
    pub fn dir(&self) -> DataDir {
        DataDir::new(&self.data_dir)
    }

    pub fn log_file(&self) -> PathBuf {
        self.dir().node_log()
    }

    pub fn trace_file(&self) -> PathBuf {
        self.dir().trace()
    }

    pub fn trace_stats_file(&self) -> PathBuf {
        self.dir().trace_stats()
    }

    /// The node's `--config` file, written by `up` from [`Self::config`].
    pub fn config_file(&self) -> PathBuf {
        self.dir().node_config()
    }

    /// This node's whole config: `template` (what a benchmark changes; the node's defaults
    /// otherwise) with the fields the testnet decides per node.
    pub fn config(&self, manifest: &Manifest, template: &NodeConfig) -> NodeConfig {
        let mut c = self.host_config(manifest, template);
        if manifest.compose.is_some() {
            crate::backend::container::inside::inside(&mut c, self.link_file.is_some());
        }
        c
    }

    /// The node's IPv4 address (its p2p listen address).
    pub fn ip(&self) -> Option<std::net::Ipv4Addr> {
        self.p2p
            .strip_prefix("/ip4/")?
            .split('/')
            .next()?
            .parse()
            .ok()
    }

    fn host_config(&self, manifest: &Manifest, template: &NodeConfig) -> NodeConfig {
        // Every node listens on its own loopback address (`setup::plan::node_ip`): loopback
        // addresses are the testnet's own, and each is a host, so the per-address connection
        // limits apply between nodes as between machines.
        let mut net = template.net;
        net.allow_private_addrs = true;
        net.ip_limits_on_loopback = true;
        NodeConfig {
            net,
            data_dir: self.data_dir.clone(),
            key: Some(self.key_file.clone()),
            genesis: manifest.genesis.clone(),
            listen: vec![self.p2p.clone()],
            bootnodes: self
                .bootnodes
                .iter()
                .map(|&b| manifest.nodes[b].dial_addr())
                .collect(),
            rpc_addr: self.rpc,
            metrics_addr: self.metrics,
            producer: self.producer,
            log_format: LogFormat::Json,
            trace: true,
            link: self.link_file.clone(),
            clock_offset_ms: self.clock_offset_ms,
            ..template.clone()
        }
    }

    /// The address other nodes dial: listen address plus `/p2p/<peer id>`.
    pub fn dial_addr(&self) -> String {
        format!("{}/p2p/{}", self.p2p, self.peer_id)
    }

    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc)
    }
}

impl Manifest {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    pub fn load(dir: &Path) -> Result<Self> {
        let path = Self::path(dir);
        if !path.exists() {
            return Err(Error::NoTestnet(dir.to_path_buf()));
        }
        Ok(fsutil::read_json(&path)?)
    }

    pub fn save(&self) -> Result<()> {
        Ok(fsutil::write_json_atomic(&Self::path(&self.dir), self)?)
    }

    pub fn report_dir(&self) -> PathBuf {
        self.dir.join("report")
    }

    /// Node index by peer id, for mapping `net_peers` answers and trace `from` fields.
    pub fn index_of(&self, peer_id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.peer_id == peer_id)
    }

    pub fn regions(&self) -> Option<Vec<String>> {
        self.nodes.iter().map(|n| n.region.clone()).collect()
    }
}
