//! A node's view of its own clock and of early blocks, from its metrics page:
//! `rumor_clock_offset_estimate_seconds`, `rumor_clock_offset_samples`,
//! `rumor_clock_out_of_tolerance`, `rumor_future_blocks_total{outcome}`,
//! `rumor_blocks_produced_total` and the tolerance `rumor_limit{name="max_future_ms"}`. Gauges
//! and totals since the node started, read at the end of a run (not differenced).

use serde::{Deserialize, Serialize};

use rumor_api::metrics::{labels, node};

use super::prom::Sample;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ClockCounts {
    /// The node's estimate of its clock minus the other producers', ms (`None`: no estimate:
    /// fewer than 3 samples, or a node without the metric).
    pub offset_estimate_ms: Option<f64>,
    pub samples: f64,
    pub out_of_tolerance: bool,
    /// `[chain] max_future_ms`.
    pub tolerance_ms: Option<f64>,
    /// Early blocks from others: held (then `released`), `refused`, `rejected`, `dropped`.
    pub held: f64,
    pub released: f64,
    pub refused: f64,
    pub rejected: f64,
    pub dropped: f64,
    /// Blocks this node produced.
    pub produced: Option<f64>,
}

fn slot(c: &mut Option<ClockCounts>) -> &mut ClockCounts {
    c.get_or_insert_with(Default::default)
}

/// Takes `s` into `c` if it is one of this module's series; false otherwise.
pub fn take(s: &Sample, c: &mut Option<ClockCounts>) -> bool {
    let name = s.name.as_str();
    if node::CLOCK_OFFSET_ESTIMATE.is_sample(name) {
        slot(c).offset_estimate_ms = Some(s.value * 1000.0);
    } else if node::CLOCK_OFFSET_SAMPLES.is_sample(name) {
        slot(c).samples = s.value;
    } else if node::CLOCK_OUT_OF_TOLERANCE.is_sample(name) {
        slot(c).out_of_tolerance = s.value > 0.0;
    } else if node::BLOCKS_PRODUCED.is_sample(name) {
        slot(c).produced = Some(s.value);
    } else if node::LIMIT.is_sample(name) {
        if s.label("name") != Some(labels::LIMIT_MAX_FUTURE_MS) {
            return false;
        }
        slot(c).tolerance_ms = Some(s.value);
    } else if node::FUTURE_BLOCKS.is_sample(name) {
        let x = slot(c);
        let field = match labels::FUTURE_BLOCK_OUTCOMES
            .iter()
            .position(|o| s.label("outcome") == Some(*o))
        {
            Some(0) => &mut x.held,
            Some(1) => &mut x.released,
            Some(2) => &mut x.refused,
            Some(3) => &mut x.rejected,
            Some(4) => &mut x.dropped,
            _ => return true,
        };
        *field += s.value;
    } else {
        return false;
    }
    true
}

/// The estimate as the node means it: only once it rests on samples.
impl ClockCounts {
    pub fn estimate_ms(&self) -> Option<f64> {
        self.offset_estimate_ms.filter(|_| self.samples > 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::prom::parse;

    #[test]
    fn picks_the_clock_series() {
        let text = r#"
rumor_clock_offset_estimate_seconds 2.013
rumor_clock_offset_samples 12
rumor_clock_out_of_tolerance 1
rumor_future_blocks_total{outcome="held"} 5
rumor_future_blocks_total{outcome="released"} 4
rumor_future_blocks_total{outcome="refused"} 2
rumor_blocks_produced_total 7
rumor_limit{name="max_future_ms"} 500
rumor_limit{name="held_blocks"} 64
rumor_head_height 9
"#;
        let mut c = None;
        let taken: Vec<bool> = parse(text).iter().map(|s| take(s, &mut c)).collect();
        assert_eq!(taken.iter().filter(|t| **t).count(), 8);
        let c = c.unwrap();
        assert!((c.estimate_ms().unwrap() - 2013.0).abs() < 1e-6);
        assert!(c.out_of_tolerance);
        assert_eq!((c.held, c.released, c.refused), (5.0, 4.0, 2.0));
        assert_eq!((c.produced, c.tolerance_ms), (Some(7.0), Some(500.0)));
        let mut none = None;
        assert!(!take(&parse("rumor_head_height 1\n")[0], &mut none));
        assert!(none.is_none());
        let unestimated = ClockCounts {
            offset_estimate_ms: Some(0.0),
            ..Default::default()
        };
        assert_eq!(unestimated.estimate_ms(), None);
    }
}
