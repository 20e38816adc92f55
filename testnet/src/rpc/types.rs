//! Answers of the node's RPC methods. Unknown fields are ignored and optional ones default,
//! so a node that adds fields does not break the tool.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub height: u64,
    pub hash: String,
    #[serde(default)]
    pub slot: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MempoolStatus {
    #[serde(default)]
    pub pending: u64,
    #[serde(default)]
    pub queued: u64,
    #[serde(default)]
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetInfo {
    pub peer_id: String,
    #[serde(default)]
    pub listen_addrs: Vec<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub network: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerEntry {
    pub peer_id: String,
    #[serde(default)]
    pub addr: String,
    #[serde(default)]
    pub outbound: bool,
    #[serde(default)]
    pub score: f64,
    #[serde(default)]
    pub mesh_topics: Vec<String>,
}

impl PeerEntry {
    /// Mesh topics are reported as short names (`tx`, `block`); accept full topic strings
    /// (`/rumor/<net>/tx/1`) too.
    pub fn in_mesh(&self, kind: &str) -> bool {
        self.mesh_topics
            .iter()
            .any(|t| t == kind || t.split('/').any(|part| part == kind))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub balance: u64,
    pub nonce: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_parsing() {
        let p: PeerEntry = serde_json::from_str(
            r#"{"peer_id":"x","addr":"/ip4/1","outbound":true,"score":0.5,"mesh_topics":["tx","/rumor/ab/block/1"],"extra":1}"#,
        )
        .unwrap();
        assert!(p.in_mesh("tx") && p.in_mesh("block"));
        let m: MempoolStatus =
            serde_json::from_str(r#"{"pending":3,"queued":1,"bytes":480,"senders":2}"#).unwrap();
        assert_eq!(m.pending, 3);
    }
}
