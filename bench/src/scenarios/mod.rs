//! One module per scenario (the propagation ones share one); each runs a single repetition and
//! returns its figure values. Parameters are fixed in code so results stay comparable, and are
//! recorded in every result.

pub mod blocks;
pub mod convergence;
pub mod equivalence;
pub mod idle;
pub mod ingest;
pub mod memory;
pub mod propagation;
pub mod relay;
pub mod scale;
pub mod soak;
pub mod verify_ceiling;

use super::ctx::{Ctx, RunOutcome};
use super::options::BenchOptions;
use super::scenario::{Scenario, Spec};
use crate::error::Result;

pub async fn run_once(sc: Scenario, ctx: &Ctx, opts: &BenchOptions) -> Result<RunOutcome> {
    match sc {
        Scenario::VerifyCeiling => verify_ceiling::run_once(ctx).await,
        Scenario::Ingest => ingest::run_once(ctx, &ingest::Params::default()).await,
        Scenario::Relay => relay::run_once(ctx, &relay::Params::default()).await,
        Scenario::Floor => propagation::run_once(ctx, &propagation::Params::floor()).await,
        Scenario::PropagationLoopback => {
            propagation::run_once(ctx, &propagation::Params::loopback()).await
        }
        Scenario::PropagationWan => propagation::run_once(ctx, &propagation::Params::wan()).await,
        Scenario::FloodBaseline => propagation::run_once(ctx, &propagation::Params::flood()).await,
        Scenario::Scale => scale::run_once(ctx, &opts.scale).await,
        Scenario::Memory => memory::run_once(ctx, &memory::Params::default()).await,
        Scenario::Partition => convergence::run_once(ctx, &convergence::Params::partition()).await,
        Scenario::Churn => convergence::run_once(ctx, &convergence::Params::churn()).await,
        Scenario::InProcess => equivalence::run_once(ctx, &equivalence::Params::default()).await,
        Scenario::Blocks => blocks::run_once(ctx, &blocks::Params::default()).await,
        Scenario::Idle => idle::run_once(ctx, &idle::Params::default()).await,
        Scenario::Soak => {
            soak::run_once(ctx, &soak::Params::new(opts.soak_duration), &opts.out).await
        }
    }
}

pub fn parameters(sc: Scenario, cores: usize, opts: &BenchOptions) -> serde_json::Value {
    let json = |p: propagation::Params| serde_json::to_value(p).unwrap_or_default();
    match sc {
        Scenario::VerifyCeiling => verify_ceiling::parameters(cores),
        Scenario::Ingest => ingest::parameters(&ingest::Params::default()),
        Scenario::Relay => relay::parameters(&relay::Params::default()),
        Scenario::Floor => json(propagation::Params::floor()),
        Scenario::PropagationLoopback => json(propagation::Params::loopback()),
        Scenario::PropagationWan => json(propagation::Params::wan()),
        Scenario::FloodBaseline => json(propagation::Params::flood()),
        Scenario::Scale => scale::parameters(&opts.scale),
        Scenario::Memory => memory::parameters(&memory::Params::default()),
        Scenario::Partition => {
            serde_json::to_value(convergence::Params::partition()).unwrap_or_default()
        }
        Scenario::Churn => serde_json::to_value(convergence::Params::churn()).unwrap_or_default(),
        Scenario::InProcess => equivalence::parameters(&equivalence::Params::default()),
        Scenario::Blocks => blocks::parameters(&blocks::Params::default()),
        Scenario::Idle => idle::parameters(&idle::Params::default()),
        Scenario::Soak => soak::parameters(&soak::Params::new(opts.soak_duration)),
    }
}

/// What `sc` measures, its figures and goals (each scenario's own `spec`).
pub fn spec(sc: Scenario) -> Spec {
    match sc {
        Scenario::VerifyCeiling => verify_ceiling::spec(),
        Scenario::Ingest => ingest::spec(),
        Scenario::Relay => relay::spec(),
        Scenario::Floor => propagation::floor_spec(),
        Scenario::PropagationLoopback => propagation::loopback_spec(),
        Scenario::PropagationWan => propagation::wan_spec(),
        Scenario::FloodBaseline => propagation::flood_spec(),
        Scenario::Scale => scale::spec(),
        Scenario::Memory => memory::spec(),
        Scenario::Partition => convergence::partition_spec(),
        Scenario::Churn => convergence::churn_spec(),
        Scenario::InProcess => equivalence::spec(),
        Scenario::Blocks => blocks::spec(),
        Scenario::Idle => idle::spec(),
        Scenario::Soak => soak::spec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumor_report::figure::GoalSpec;

    #[test]
    fn specs_are_consistent() {
        for sc in Scenario::ALL {
            let this = spec(sc);
            let keys: Vec<&str> = this.figures.iter().map(|f| f.key).collect();
            for f in &this.figures {
                assert_eq!(keys.iter().filter(|k| **k == f.key).count(), 1, "{}", f.key);
                if let GoalSpec::FractionOf { of, .. } = f.goal {
                    assert!(keys.contains(&of), "{}: {of} is not a figure", sc.name());
                }
                if let GoalSpec::Versus { scenario, key, .. } = f.goal {
                    let other = spec(Scenario::parse_list(scenario).unwrap()[0]);
                    assert!(other.figures.iter().any(|g| g.key == key), "{key}");
                }
            }
        }
    }
}
