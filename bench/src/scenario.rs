//! The scenarios by name, and the shape of what each measures ([`Spec`]: the section of
//! `BENCHMARKS.md`, its figures and goals). Each scenario's own text and figures are beside
//! its code (`scenarios/<name>.rs`, `spec()`), gathered by [`crate::scenarios::spec`], so the
//! document and the tool cannot drift apart.

use rumor_report::figure::{FigureSpec, GoalSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    VerifyCeiling,
    Ingest,
    Relay,
    Floor,
    PropagationLoopback,
    PropagationWan,
    FloodBaseline,
    Scale,
    Memory,
    Partition,
    Churn,
    InProcess,
    Blocks,
    Idle,
    Soak,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub title: &'static str,
    /// What is measured, how, and the goal: the section text.
    pub about: &'static str,
    /// Rough wall time of one run on a 2-core machine.
    pub run_time: &'static str,
    pub figures: Vec<FigureSpec>,
}

pub(crate) const CEILING: FigureSpec = FigureSpec::new(
    "ceiling",
    "verify ceiling, all cores (same run)",
    "verifies/s",
);

/// The whole machine's CPU over a network run (context; above 70% the run's latency figures
/// are CPU-bound and not called met).
pub(crate) const MACHINE_CPU: FigureSpec = FigureSpec::new(
    "machine_cpu",
    "machine CPU busy (all processes, all cores)",
    "%",
);

pub(crate) const fn fraction_of_ceiling(fraction: f64) -> GoalSpec {
    GoalSpec::FractionOf {
        of: "ceiling",
        fraction,
        label: "verify ceiling",
    }
}

impl Scenario {
    pub const ALL: [Scenario; 15] = [
        Scenario::VerifyCeiling,
        Scenario::Ingest,
        Scenario::Relay,
        Scenario::Floor,
        Scenario::PropagationLoopback,
        Scenario::PropagationWan,
        Scenario::FloodBaseline,
        Scenario::Scale,
        Scenario::Memory,
        Scenario::Partition,
        Scenario::Churn,
        Scenario::InProcess,
        Scenario::Blocks,
        Scenario::Idle,
        Scenario::Soak,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::VerifyCeiling => "verify-ceiling",
            Scenario::Ingest => "ingest",
            Scenario::Relay => "relay",
            Scenario::Floor => "floor",
            Scenario::PropagationLoopback => "propagation-loopback",
            Scenario::PropagationWan => "propagation-wan",
            Scenario::FloodBaseline => "flood-baseline",
            Scenario::Scale => "scale",
            Scenario::Memory => "memory",
            Scenario::Partition => "partition",
            Scenario::Churn => "churn",
            Scenario::InProcess => "in-process",
            Scenario::Blocks => "blocks",
            Scenario::Idle => "idle",
            Scenario::Soak => "soak",
        }
    }

    /// `all` (every scenario but `soak`, which takes an hour: name it to run it) or a
    /// comma-separated list of names, in the order given.
    pub fn parse_list(s: &str) -> Result<Vec<Scenario>, String> {
        if s == "all" {
            return Ok(Self::ALL
                .into_iter()
                .filter(|sc| *sc != Scenario::Soak)
                .collect());
        }
        s.split(',')
            .map(|name| {
                Self::ALL
                    .into_iter()
                    .find(|sc| sc.name() == name.trim())
                    .ok_or_else(|| {
                        let names: Vec<&str> = Self::ALL.iter().map(|s| s.name()).collect();
                        format!(
                            "unknown scenario {name:?}; one of: all, {}",
                            names.join(", ")
                        )
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        assert_eq!(
            Scenario::parse_list("all").unwrap().len(),
            Scenario::ALL.len() - 1,
            "all but soak"
        );
        for sc in Scenario::ALL {
            assert_eq!(Scenario::parse_list(sc.name()).unwrap(), vec![sc]);
        }
        assert_eq!(
            Scenario::parse_list("relay, ingest").unwrap(),
            vec![Scenario::Relay, Scenario::Ingest]
        );
        assert!(Scenario::parse_list("nope").is_err());
    }
}
