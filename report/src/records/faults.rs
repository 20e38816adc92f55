//! What the fault flags did, as the report shows it: the log of actions, downtime, partitions
//! and link faults (`rumor_testnet::faults` carries them out and fills these in), and the
//! check that no accepted tx was lost.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FaultLog {
    /// The flags, as given.
    pub flags: String,
    pub events: Vec<Event>,
    /// Per node that was ever killed.
    pub downtime: BTreeMap<usize, Downtime>,
    pub partition: Option<PartitionOutcome>,
    /// Every healed partition in order (a repeated `--partition …/<every>` has several;
    /// `partition` is the last one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<PartitionOutcome>,
    /// Link faults (one-way cuts, flapping, loss): the links each took and what became of them.
    #[serde(default)]
    pub links: Vec<LinkRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// Milliseconds after the load started.
    pub t_ms: u64,
    pub action: String,
    pub nodes: Vec<usize>,
    /// Nodes the action could not reach, with why.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Downtime {
    pub kills: usize,
    /// Total time down (until the end of the faults for a node still down).
    pub down_ms: u64,
    /// Still down when the faults ended (a `--kill` victim): left out of delivery.
    pub down_at_end: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PartitionOutcome {
    /// The cut-off side (node indices); the rest is the other side.
    pub side: Vec<usize>,
    /// The highest head when the cut began.
    pub height_at_cut: u64,
    /// Blocks each side's best head gained during the cut: `[side, rest]`.
    pub blocks_built: [u64; 2],
    /// From heal until every live node reported the same head (`None`: not within
    /// `rumor_testnet::faults::exec::HEAL_TIMEOUT`).
    pub heal_to_one_head_ms: Option<f64>,
}

/// One link fault as it happened.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LinkRecord {
    /// `cut-oneway`, `flap` or `link-loss`.
    pub kind: String,
    /// What it did to each link, in words.
    pub what: String,
    /// Milliseconds after the load started.
    pub start_ms: u64,
    pub end_ms: Option<u64>,
    /// Links (connected node pairs) when it started.
    pub links_total: usize,
    /// The links it took; for `cut-oneway`, `[from, to]` names the dead direction.
    pub links: Vec<[usize; 2]>,
    /// Of those, still connected when it ended (`None` until it has).
    pub still_connected_at_end: Option<usize>,
    /// Nodes the calls could not reach, with why.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LostCheck {
    /// Accepted txs checked.
    pub accepted: usize,
    /// Accepted txs missing from some live node's chain and pool.
    pub lost: usize,
    /// A few of them (hex hashes).
    pub sample: Vec<String>,
    /// How long the check waited for stragglers (the pools drain into blocks as it polls).
    pub waited_ms: u64,
    /// Live nodes that could not be read (counted as holding nothing).
    pub unreadable: Vec<usize>,
    /// Block hashes (hex) of the first live node's final canonical chain, for leaving blocks
    /// of abandoned branches out of block delivery.
    #[serde(skip)]
    pub canonical_blocks: std::collections::HashSet<String>,
}
