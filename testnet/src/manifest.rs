//! `DIR/testnet.json`: everything the other commands need to find and talk to a running
//! testnet (processes, addresses, keys' public halves, regions). Paths are absolute so the
//! file stays valid whatever directory a later command runs from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rumor_chain::Address;
use rumor_link::RegionMatrix;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil;

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
    /// Config file every node gets with `--config` (benchmarks raise pool limits with it).
    #[serde(default)]
    pub node_config: Option<PathBuf>,
    /// Flags appended to every node's command line (benchmarks: `--flood-all`, thread counts).
    #[serde(default)]
    pub node_extra_args: Vec<String>,
    pub nodes: Vec<NodeEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Emulation {
    /// `"builtin"` or the matrix file's path.
    pub source: String,
    pub matrix: RegionMatrix,
    pub jitter_ms: u64,
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
}

impl NodeEntry {
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("node.log")
    }

    pub fn trace_file(&self) -> PathBuf {
        self.data_dir.join("trace.ndjson")
    }

    pub fn trace_stats_file(&self) -> PathBuf {
        self.data_dir.join("trace.stats.json")
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
        fsutil::read_json(&path)
    }

    pub fn save(&self) -> Result<()> {
        fsutil::write_json_atomic(&Self::path(&self.dir), self)
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
