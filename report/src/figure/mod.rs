//! A scenario's figures: what each one is (spec), and what the runs measured against its goal
//! (resolved). Goals may depend on another figure of the same invocation (ingest against the
//! verify ceiling measured moments before) or on another scenario's latest result (flooding
//! against the mesh).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod goal;
pub mod spread;

use goal::{Comparison, Goal};
use spread::{Spread, spread_of};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GoalSpec {
    /// A reference or context figure: no goal.
    None,
    AtLeast(f64),
    AtMost(f64),
    /// ≥ `fraction` × the median of figure `of` from the same runs.
    FractionOf {
        of: &'static str,
        fraction: f64,
        label: &'static str,
    },
    /// Side by side with figure `key` of the latest result of `scenario`.
    Versus {
        scenario: &'static str,
        key: &'static str,
        label: &'static str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FigureSpec {
    /// Stable key in the result JSON (`values` of each run).
    pub key: &'static str,
    /// Human name for the table.
    pub label: &'static str,
    pub unit: &'static str,
    pub goal: GoalSpec,
}

impl FigureSpec {
    pub const fn new(key: &'static str, label: &'static str, unit: &'static str) -> Self {
        Self {
            key,
            label,
            unit,
            goal: GoalSpec::None,
        }
    }

    pub const fn goal(mut self, goal: GoalSpec) -> Self {
        self.goal = goal;
        self
    }
}

/// One figure in the result JSON and the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub key: String,
    pub label: String,
    pub unit: String,
    /// `None` when no run produced the figure.
    pub measured: Option<Spread>,
    pub goal: Option<Goal>,
    /// measured median / goal.
    pub ratio: Option<f64>,
    pub met: Option<bool>,
    pub versus: Option<Comparison>,
    /// A latency figure from a run whose machine was saturated: CPU queueing, not
    /// propagation, so it is not called met whatever its value.
    #[serde(default)]
    pub cpu_bound: bool,
}

impl Figure {
    /// Whether a saturated machine decides the figure: a latency (a time, or a time's ratio
    /// to its bound or to the floor), or CPU per message, which a saturated machine caps at
    /// its cores ÷ (nodes × rate) whatever the real cost (at 32 nodes × 200 tx/s on 2 cores:
    /// 0.31 ms, which Rumor and the floor both "measured").
    pub fn is_latency(&self) -> bool {
        self.unit == "ms"
            || self.key.contains("vs_bound")
            || self.key.contains("path_ratio")
            || self.key.starts_with("vs_floor_p")
            || self.key.contains("cpu_per_msg")
            || self.key == "vs_floor_cpu"
            || self.key.starts_with("gap_")
            || self.key == "p50_cut"
            || self.key == "p99_cut"
    }

    /// Marks a figure the saturation decides ([`Self::is_latency`]) CPU-bound: never met.
    pub fn mark_cpu_bound(&mut self) {
        if self.is_latency() {
            self.cpu_bound = true;
            if self.met.is_some() {
                self.met = Some(false);
            }
        }
    }
}

/// Looks up another scenario's latest figure: `(scenario, key) → comparison`.
pub type Lookup<'a> = &'a dyn Fn(&str, &str) -> Option<(f64, String)>;

/// Pools every run's values per figure, then attaches goals.
pub fn resolve(
    specs: &[FigureSpec],
    runs: &[BTreeMap<String, f64>],
    lookup: Lookup<'_>,
) -> Vec<Figure> {
    let samples =
        |key: &str| -> Vec<f64> { runs.iter().filter_map(|r| r.get(key)).copied().collect() };
    let medians: BTreeMap<&str, f64> = specs
        .iter()
        .filter_map(|s| Some((s.key, spread_of(s.key, &samples(s.key))?.median)))
        .collect();
    specs
        .iter()
        .map(|s| {
            let measured = spread_of(s.key, &samples(s.key));
            let goal = match s.goal {
                GoalSpec::None | GoalSpec::Versus { .. } => None,
                GoalSpec::AtLeast(v) => Some(Goal::at_least(v)),
                GoalSpec::AtMost(v) => Some(Goal::at_most(v)),
                GoalSpec::FractionOf {
                    of,
                    fraction,
                    label,
                } => medians.get(of).map(|&base| Goal {
                    basis: Some(format!("{fraction} × {label}")),
                    ..Goal::at_least(fraction * base)
                }),
            };
            let versus = match s.goal {
                GoalSpec::Versus {
                    scenario,
                    key,
                    label,
                } => lookup(scenario, key).map(|(value, source)| Comparison {
                    label: label.into(),
                    value,
                    source,
                }),
                _ => None,
            };
            let median = measured.as_ref().map(|m| m.median);
            Figure {
                key: s.key.into(),
                label: s.label.into(),
                unit: s.unit.into(),
                ratio: goal.as_ref().zip(median).and_then(|(g, m)| g.ratio(m)),
                met: goal.as_ref().zip(median).map(|(g, m)| g.met(m)),
                measured,
                goal,
                versus,
                cpu_bound: false,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn goals_relative_to_another_figure_and_versus() {
        let specs = [
            FigureSpec::new("ceiling", "verify ceiling", "verifies/s"),
            FigureSpec::new("ingest", "accepted", "tx/s").goal(GoalSpec::FractionOf {
                of: "ceiling",
                fraction: 0.7,
                label: "verify ceiling",
            }),
            FigureSpec::new("p99", "p99", "ms").goal(GoalSpec::AtMost(50.0)),
            FigureSpec::new("dups", "duplicates", "").goal(GoalSpec::Versus {
                scenario: "propagation-wan",
                key: "tx_dup",
                label: "mesh",
            }),
            FigureSpec::new("never", "never measured", ""),
        ];
        let runs = vec![
            run(&[
                ("ceiling", 40_000.0),
                ("ingest", 10_000.0),
                ("p99", 40.0),
                ("dups", 6.0),
            ]),
            run(&[("ceiling", 42_000.0), ("ingest", 14_000.0), ("p99", 60.0)]),
            run(&[("ceiling", 41_000.0), ("ingest", 12_000.0), ("p99", 70.0)]),
        ];
        let lookup = |s: &str, k: &str| {
            (s == "propagation-wan" && k == "tx_dup").then(|| (1.5, "wan.json @abc".to_string()))
        };
        let f = resolve(&specs, &runs, &lookup);
        assert!(f[0].goal.is_none() && f[0].ratio.is_none());
        let g = f[1].goal.as_ref().unwrap();
        assert!((g.value - 28_700.0).abs() < 1e-6);
        assert_eq!(g.basis.as_deref(), Some("0.7 × verify ceiling"));
        assert!((f[1].ratio.unwrap() - 12_000.0 / 28_700.0).abs() < 1e-9);
        assert_eq!(f[1].met, Some(false));
        assert_eq!(f[2].measured.as_ref().unwrap().median, 60.0);
        assert_eq!(f[2].met, Some(false));
        assert_eq!(f[3].measured.as_ref().unwrap().runs(), 1);
        assert_eq!(f[3].versus.as_ref().unwrap().value, 1.5);
        assert!(f[4].measured.is_none() && f[4].met.is_none());
    }
}
