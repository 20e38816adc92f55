//! The data-dir layout: the file names a node writes and a testnet reads.
//!
//! Invariant: no other crate spells these names; both the node and the testnet tool take
//! paths from [`DataDir`].

use std::path::{Path, PathBuf};

/// The node key (when `--key` is not given), created on first start.
pub const NODE_KEY: &str = "node.key";
/// The redb chain store.
pub const CHAIN_DB: &str = "chain.redb";
/// The propagation trace ([`crate::trace`]).
pub const TRACE: &str = "trace.ndjson";
/// The trace writer's counts ([`crate::trace::TraceStats`]).
pub const TRACE_STATS: &str = "trace.stats.json";
/// The node's config file, as a testnet writes it ([`crate::NodeConfig`] in TOML).
pub const NODE_CONFIG: &str = "node.toml";
/// A testnet node's link-emulation file.
pub const LINK: &str = "link.json";
/// The local-tx journal.
pub const TX_JOURNAL: &str = "local-txs.journal";
/// Written and removed at once by a node whose disk was full, to learn whether space returned.
pub const SPACE_PROBE: &str = "space-probe.tmp";
/// A testnet node's stdout and stderr.
pub const NODE_LOG: &str = "node.log";
/// The log of every node of an in-process testnet, in the testnet's directory (JSON lines, each
/// event inside a node's `run` carries its index).
pub const IN_PROCESS_LOG: &str = "nodes.log";

/// A node's data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(PathBuf);

impl DataDir {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn node_key(&self) -> PathBuf {
        self.0.join(NODE_KEY)
    }

    pub fn chain_db(&self) -> PathBuf {
        self.0.join(CHAIN_DB)
    }

    pub fn trace(&self) -> PathBuf {
        self.0.join(TRACE)
    }

    /// The local-tx journal (txs accepted over RPC, reloaded on start).
    pub fn tx_journal(&self) -> PathBuf {
        self.0.join(TX_JOURNAL)
    }

    /// The probe file a degraded node writes to test for space (removed at once).
    pub fn space_probe(&self) -> PathBuf {
        self.0.join(SPACE_PROBE)
    }

    pub fn trace_stats(&self) -> PathBuf {
        self.0.join(TRACE_STATS)
    }

    pub fn node_config(&self) -> PathBuf {
        self.0.join(NODE_CONFIG)
    }

    pub fn link(&self) -> PathBuf {
        self.0.join(LINK)
    }

    pub fn node_log(&self) -> PathBuf {
        self.0.join(NODE_LOG)
    }
}
