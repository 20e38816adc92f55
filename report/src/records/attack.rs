//! The hostile peer's run as the report shows it: what the attacker did, how the honest
//! nodes penalised it, the evidence they kept, and blocks built per slot
//! (`rumor_testnet::attack` runs it and fills these in).

use std::time::Duration;

use rumor_attack::AttackStats;
use serde::{Deserialize, Serialize};

/// What happened during one attack.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AttackLog {
    pub scenario: String,
    pub rate: f64,
    pub attacker: AttackStats,
    pub penalty: Penalty,
    /// Seconds from the attacker's first hostile move to every reached node penalising it.
    pub penalised_after_s: Option<f64>,
    /// Equivocation proofs the nodes export at the end (`chain_getEquivocations`), each
    /// checked here against the genesis.
    pub evidence: Evidence,
    /// Set when the attacker could not start.
    pub error: Option<String>,
}

/// Equivocation proofs found on the nodes after a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Nodes that answered.
    pub nodes: usize,
    /// Nodes holding at least one proof that verifies.
    pub nodes_with_proof: usize,
    /// Proofs that did not verify (must stay 0: a node keeps only checked evidence).
    pub invalid: usize,
}

/// What the honest nodes did about the attacker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Penalty {
    /// Nodes the attacker was seen connected to.
    pub reached: Vec<usize>,
    /// Of those, the nodes that graylisted it (score ≤ threshold) or dropped it.
    pub graylisted: Vec<usize>,
    pub dropped: Vec<usize>,
    /// When every reached node had penalised it (ms after the watch started).
    pub all_penalised_at_ms: Option<u64>,
    /// The lowest score any node gave it.
    pub lowest_score: Option<f64>,
    /// The most peers at the hostile host's address one node had at once (any identity).
    pub max_from_host: usize,
}

/// Blocks added to the chain per slot while the load (and any attack) ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Production {
    pub blocks: u64,
    pub slots: u64,
    pub ratio: Option<f64>,
}

impl Production {
    pub fn new(from: Option<u64>, to: Option<u64>, elapsed: Duration, slot_ms: u64) -> Self {
        let blocks = to.unwrap_or(0).saturating_sub(from.unwrap_or(0));
        let slots = elapsed.as_millis() as u64 / slot_ms.max(1);
        Self {
            blocks,
            slots,
            ratio: (slots > 0 && from.is_some() && to.is_some())
                .then(|| blocks as f64 / slots as f64),
        }
    }
}
