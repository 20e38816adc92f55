//! The bare-gossipsub floor's contract: how `rumor-bench` drives a `rumor-floor` process.
//!
//! The bench starts one `rumor-floor --plan <plan.json>` per node of a Rumor run it has just
//! measured, on the same node configs (listen address, key, link emulation, gossipsub
//! parameters) and the same connection graph, then talks to each over stdin/stdout, one JSON
//! object per line:
//!
//! 1. floor → `{"reply":"ready"}` once connected to its graph neighbours with a mesh;
//! 2. bench → `{"cmd":"start","at_us":T}`: message `k` (of `plan.messages`) is published by node
//!    `k mod plan.nodes` at `T + k / plan.tps` seconds — Rumor's load spreads txs round-robin
//!    over the nodes' RPC in the same way;
//! 3. bench → `{"cmd":"snapshot"}` at the window's start and end; floor →
//!    `{"reply":"metrics","text":"…","seen":N}`, its Prometheus text (libp2p bandwidth counters), which
//!    the bench reads as it reads a node's `/metrics`. The bench samples CPU and memory from
//!    `/proc/<pid>` at the same moments, as it does for nodes;
//! 4. bench closes stdin: the floor writes its trace ([`crate::trace`] format, to
//!    `plan.out_dir` / [`crate::layout::TRACE`]) and exits.
//!
//! Invariant: this module is the only definition of the plan and the line protocol.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One floor node's instructions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorPlan {
    /// The Rumor node's `node.toml`: the floor takes its listen address, key (so the same peer
    /// id), link emulation, genesis (network id, size limits) and gossipsub parameters.
    pub node_config: PathBuf,
    /// This node's index and the number of nodes (for the publishing schedule).
    pub index: usize,
    pub nodes: usize,
    /// Full multiaddrs (with `/p2p/<id>`) this node dials: its graph neighbours of higher index.
    pub dial: Vec<String>,
    /// Graph neighbours in all (dialled and dialling): the node is ready with this many peers.
    pub degree: usize,
    /// Messages in the whole network, offered at `tps` per second.
    pub messages: usize,
    pub tps: f64,
    /// Payload size of each message: a Rumor tx's encoded size, so both carry the same bytes.
    pub msg_bytes: usize,
    /// Makes payloads (and so message ids) differ between runs.
    pub seed: u64,
    /// Where the trace goes.
    pub out_dir: PathBuf,
}

/// bench → floor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "lowercase")]
pub enum Command {
    Start { at_us: u64 },
    Snapshot,
}

/// floor → bench.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "lowercase")]
pub enum Reply {
    Ready,
    /// `text`: the Prometheus text; `seen`: messages this node has had so far (published or
    /// received), so a caller can wait for delivery instead of sleeping.
    Metrics {
        text: String,
        seen: u64,
    },
}

/// Message `k`'s payload: `k` and the seed, zero-padded to `len` (at least 16) bytes.
pub fn payload(k: u64, seed: u64, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(len.max(16));
    p.extend_from_slice(&k.to_le_bytes());
    p.extend_from_slice(&seed.to_le_bytes());
    p.resize(len.max(16), 0);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_the_documented_shape() {
        let s = serde_json::to_string(&Command::Start { at_us: 7 }).unwrap();
        assert_eq!(s, r#"{"cmd":"start","at_us":7}"#);
        assert_eq!(
            serde_json::to_string(&Command::Snapshot).unwrap(),
            r#"{"cmd":"snapshot"}"#
        );
        assert_eq!(
            serde_json::to_string(&Reply::Ready).unwrap(),
            r#"{"reply":"ready"}"#
        );
        let m: Reply =
            serde_json::from_str(r#"{"reply":"metrics","text":"a 1\n","seen":3}"#).unwrap();
        assert_eq!(
            m,
            Reply::Metrics {
                text: "a 1\n".into(),
                seen: 3
            }
        );
    }

    #[test]
    fn payloads_are_distinct_and_sized() {
        assert_eq!(payload(1, 9, 200).len(), 200);
        assert_ne!(payload(1, 9, 200), payload(2, 9, 200));
        assert_ne!(payload(1, 9, 200), payload(1, 8, 200));
        assert_eq!(payload(1, 9, 3).len(), 16);
    }
}
