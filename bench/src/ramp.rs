//! Ramps: raise the load (or the network size) step by step and stop at the first step that
//! fails; the result is the last step that passed. Pure, so the stop rules are tested without
//! starting a node.

use serde::{Deserialize, Serialize};

/// Why a ramp ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every step passed.
    Exhausted,
    /// The step's figure fell below the threshold (delivery < 99 %, delivery < 100 %).
    Failed,
    /// The entry node accepted clearly less than was offered: higher offered rates would
    /// measure the load generator or ingest, not relay.
    IngestBound,
    /// The step took longer than its time budget.
    OverBudget,
    /// The machine was more than 70% busy over the step: its latencies are CPU queueing, so
    /// the size does not hold (issue #13's saturation check).
    Saturated,
}

/// One relay step, as the ramp sees it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RelayStep {
    pub offered_tps: f64,
    /// Accepted at the entry node per second of the step.
    pub accepted_tps: f64,
    /// Share of the accepted txs the far end saw.
    pub delivery: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelayRule {
    /// Delivery at the far end needed to pass (0.99).
    pub min_delivery: f64,
    /// Stop (after this step) when accepted < this × offered.
    pub min_accept_fraction: f64,
}

impl RelayRule {
    pub fn passes(&self, s: &RelayStep) -> bool {
        s.delivery >= self.min_delivery
    }

    /// `None` to go on with the next rate, else why to stop after `s`.
    pub fn stop_after(&self, s: &RelayStep, last_rate: bool) -> Option<StopReason> {
        if !self.passes(s) {
            Some(StopReason::Failed)
        } else if s.accepted_tps < self.min_accept_fraction * s.offered_tps {
            Some(StopReason::IngestBound)
        } else if last_rate {
            Some(StopReason::Exhausted)
        } else {
            None
        }
    }

    /// The relayed rate of the last passing step before the first failure: what the entry
    /// node accepted (never more than was offered), since that is what had to be relayed.
    pub fn sustained(&self, steps: &[RelayStep]) -> Option<f64> {
        steps
            .iter()
            .take_while(|s| self.passes(s))
            .last()
            .map(|s| s.accepted_tps.min(s.offered_tps))
    }
}

/// The value of the last step that passed before the first that did not.
pub fn last_passing<T: Copy>(steps: &[(T, bool)]) -> Option<T> {
    steps
        .iter()
        .take_while(|(_, ok)| *ok)
        .last()
        .map(|(v, _)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: RelayRule = RelayRule {
        min_delivery: 0.99,
        min_accept_fraction: 0.9,
    };

    fn step(offered: f64, accepted: f64, delivery: f64) -> RelayStep {
        RelayStep {
            offered_tps: offered,
            accepted_tps: accepted,
            delivery,
        }
    }

    #[test]
    fn relay_stops_at_the_first_step_below_99_percent() {
        let steps = [
            step(1000.0, 1000.0, 1.0),
            step(2000.0, 1995.0, 0.995),
            step(4000.0, 3990.0, 0.97),
        ];
        assert_eq!(RULE.stop_after(&steps[0], false), None);
        assert_eq!(RULE.stop_after(&steps[1], false), None);
        assert_eq!(RULE.stop_after(&steps[2], false), Some(StopReason::Failed));
        assert_eq!(RULE.sustained(&steps), Some(1995.0));
        assert_eq!(RULE.sustained(&steps[2..]), None);
        assert_eq!(RULE.sustained(&[]), None);
    }

    #[test]
    fn relay_stops_when_ingest_cannot_keep_up_or_rates_run_out() {
        let s = step(16_000.0, 9_000.0, 1.0);
        assert_eq!(RULE.stop_after(&s, false), Some(StopReason::IngestBound));
        assert_eq!(
            RULE.sustained(&[s]),
            Some(9_000.0),
            "what was relayed, not offered"
        );
        let last = step(16_000.0, 15_900.0, 1.0);
        assert_eq!(RULE.stop_after(&last, true), Some(StopReason::Exhausted));
        // Accepting more than offered (bucket slack) never reports more than offered.
        assert_eq!(RULE.sustained(&[step(1000.0, 1010.0, 1.0)]), Some(1000.0));
        // Exactly 99% passes.
        assert!(RULE.passes(&step(1.0, 1.0, 0.99)));
    }

    #[test]
    fn last_passing_step() {
        assert_eq!(
            last_passing(&[(50, true), (100, true), (150, false), (200, true)]),
            Some(100)
        );
        assert_eq!(last_passing(&[(50, false)]), None);
        assert_eq!(last_passing::<u32>(&[]), None);
        assert_eq!(last_passing(&[(50, true), (100, true)]), Some(100));
    }
}
