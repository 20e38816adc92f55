//! Goals and how a measured figure compares with one. The ratio is always measured / goal, and
//! every rendering states which side of 1 meets the goal, so a reader never has to guess
//! whether bigger is better.

use serde::{Deserialize, Serialize};

use crate::render::text::with_unit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Met when measured ≥ goal (rates, delivery, network size).
    AtLeast,
    /// Met when measured ≤ goal (latency, memory, duplicates).
    AtMost,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub direction: Direction,
    pub value: f64,
    /// Where a derived goal comes from, e.g. "0.7 × verify ceiling".
    pub basis: Option<String>,
}

/// A figure set beside the same figure of another scenario instead of a goal (the flooding
/// baseline beside the mesh).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// What the other figure is, e.g. "mesh".
    pub label: String,
    pub value: f64,
    /// Which result it came from (file name and commit).
    pub source: String,
}

impl Goal {
    pub fn at_least(value: f64) -> Self {
        Self {
            direction: Direction::AtLeast,
            value,
            basis: None,
        }
    }

    pub fn at_most(value: f64) -> Self {
        Self {
            direction: Direction::AtMost,
            value,
            basis: None,
        }
    }

    /// measured / goal; `None` for a zero goal (no meaningful ratio).
    pub fn ratio(&self, measured: f64) -> Option<f64> {
        (self.value != 0.0).then(|| measured / self.value)
    }

    pub fn met(&self, measured: f64) -> bool {
        match self.direction {
            Direction::AtLeast => measured >= self.value,
            Direction::AtMost => measured <= self.value,
        }
    }

    /// "≥ 28 861 tx/s (0.7 × verify ceiling)".
    pub fn describe(&self, unit: &str) -> String {
        let op = match self.direction {
            Direction::AtLeast => "≥",
            Direction::AtMost => "≤",
        };
        let mut s = format!("{op} {}", with_unit(self.value, unit));
        if let Some(b) = &self.basis {
            s.push_str(&format!(" ({b})"));
        }
        s
    }

    /// "0.43: missed, 57% short (≥ 1 meets)" / "0.80: met (≤ 1 meets)".
    pub fn verdict(&self, measured: f64) -> String {
        let Some(r) = self.ratio(measured) else {
            return if self.met(measured) { "met" } else { "missed" }.into();
        };
        let needs = match self.direction {
            Direction::AtLeast => "≥ 1 meets",
            Direction::AtMost => "≤ 1 meets",
        };
        if self.met(measured) {
            return format!("{}: met ({needs})", ratio_number(r));
        }
        let by = match self.direction {
            Direction::AtLeast => format!("{} short", percent((1.0 - r) * 100.0)),
            Direction::AtMost => format!("{} over", percent((r - 1.0) * 100.0)),
        };
        format!("{}: missed, {by} ({needs})", ratio_number(r))
    }
}

impl Comparison {
    /// "mesh 1.84 (propagation-wan-20261122-101500.json @9ce06e8)".
    pub fn describe(&self, unit: &str) -> String {
        format!(
            "{} {} ({})",
            self.label,
            with_unit(self.value, unit),
            self.source
        )
    }

    /// "2.30× mesh".
    pub fn verdict(&self, measured: f64) -> String {
        if self.value == 0.0 {
            return format!("{} is 0", self.label);
        }
        format!("{}× {}", ratio_number(measured / self.value), self.label)
    }
}

/// Two decimals, or four when two would round a miss (or a meet) to exactly 1.00.
pub fn ratio_number(r: f64) -> String {
    if r != 1.0 && (r - 1.0).abs() < 0.005 {
        format!("{r:.4}")
    } else {
        format!("{r:.2}")
    }
}

fn percent(p: f64) -> String {
    if p < 1.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_goals() {
        let mut g = Goal::at_least(28_861.0);
        g.basis = Some("0.7 × verify ceiling".into());
        assert_eq!(g.describe("tx/s"), "≥ 28 861 tx/s (0.7 × verify ceiling)");
        assert_eq!(g.verdict(12_410.0), "0.43: missed, 57% short (≥ 1 meets)");
        assert_eq!(g.verdict(30_000.0), "1.04: met (≥ 1 meets)");
        assert!(g.met(28_861.0));
        // Delivery 99.87% against 100%: the ratio must not round to a misleading 1.00.
        let d = Goal::at_least(100.0);
        assert_eq!(d.verdict(99.87), "0.9987: missed, 0.13% short (≥ 1 meets)");
    }

    #[test]
    fn at_most_goals() {
        let g = Goal::at_most(50.0);
        assert_eq!(g.describe("ms"), "≤ 50.0 ms");
        assert_eq!(g.verdict(65.0), "1.30: missed, 30% over (≤ 1 meets)");
        assert_eq!(g.verdict(40.0), "0.80: met (≤ 1 meets)");
        assert_eq!(Goal::at_most(0.0).verdict(0.0), "met");
        assert_eq!(Goal::at_most(0.0).ratio(1.0), None);
    }

    #[test]
    fn comparisons() {
        let c = Comparison {
            label: "mesh".into(),
            value: 1.5,
            source: "propagation-wan-x.json @abc".into(),
        };
        assert_eq!(c.verdict(3.45), "2.30× mesh");
        assert_eq!(c.describe(""), "mesh 1.50 (propagation-wan-x.json @abc)");
    }
}
