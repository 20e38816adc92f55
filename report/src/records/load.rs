//! What the load generator saw: accepted, rejected by reason, failed, and the rates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::Summary;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoadStats {
    pub planned: usize,
    pub batch: usize,
    pub offered_tps: f64,
    /// Txs handed to the RPC layer per second, over the sending period.
    pub sent_tps: f64,
    /// Accepted txs per second, from first send to last answer.
    pub accepted_tps: f64,
    pub sent: usize,
    pub accepted: usize,
    /// JSON-RPC error answers, keyed `"<code> <message>"`.
    pub rejected: BTreeMap<String, usize>,
    /// No answer (transport error, timeout), keyed by error text.
    pub failed: BTreeMap<String, usize>,
    /// Txs whose target node did not answer (down) and that another node then answered.
    #[serde(default)]
    pub rerouted: usize,
    /// Accepted, but the node returned a different hash than we computed.
    pub hash_mismatch: usize,
    pub duration_s: f64,
    /// Round-trip time of the submit requests (ms).
    pub request_ms: Option<Summary>,
    pub start_us: u64,
    pub end_us: u64,
    /// Hashes the nodes accepted (not serialized: the report only needs the count).
    #[serde(skip)]
    pub accepted_hashes: Vec<String>,
}

impl LoadStats {
    pub fn rejected_total(&self) -> usize {
        self.rejected.values().sum()
    }

    pub fn failed_total(&self) -> usize {
        self.failed.values().sum()
    }
}

pub fn reason_key(code: i32, message: &str) -> String {
    format!("{code} {message}")
}
