//! What the fault flags mean for one testnet, decided before anything happens: which nodes
//! form the cut-off side, which are killed when, and when each comes back. Pure and seeded
//! (`--seed` fixes it), so a run can be repeated exactly.
//!
//! Rules:
//! - The cut-off side takes the asked share of the producers *and* of the other nodes
//!   (rounded, at least one node, never all), so both sides keep producing blocks and a
//!   partition really grows two branches.
//! - Only non-producer nodes are killed (`--kill`, `--churn`): producers are the blocks' origin,
//!   as the load targets are the txs'; the load fails over to a live node when its target is
//!   down. `--kill` victims stay down and are never churned.
//! - A repeated partition (`every`) cuts again at each period from its start while the load
//!   runs, each time with a newly drawn side (same rule), so different links are cut.
//! - Churn: at each multiple of the period, last period's victims are restarted, then a new
//!   share (at least one) is killed from the others; after the load ends, everything churned is
//!   restarted at the next multiple.

use std::time::Duration;

use super::spec::Faults;
pub use super::step::{Action, Step};
use crate::rng::Rng;

/// Seed stream for fault choices (independent of topology and load order).
const STREAM: u64 = 0xFA17;

/// The steps in time order (restarts before kills at the same instant).
pub fn plan(
    faults: &Faults,
    producers: &[bool],
    seed: u64,
    load: Duration,
) -> Result<Vec<Step>, String> {
    let n = producers.len();
    let mut rng = Rng::new(seed, STREAM);
    let mut steps = Vec::new();
    if let Some(p) = faults.partition {
        let pick = |rng: &mut Rng, group: Vec<usize>| -> Vec<usize> {
            let k = (p.fraction * group.len() as f64).round() as usize;
            let mut g = group;
            rng.shuffle(&mut g);
            g.truncate(k);
            g
        };
        // One cut, or with `every` one per period while the load runs (each its own side).
        let mut start = p.start;
        loop {
            let prod: Vec<usize> = (0..n).filter(|&i| producers[i]).collect();
            let rest: Vec<usize> = (0..n).filter(|&i| !producers[i]).collect();
            let mut side = pick(&mut rng, prod);
            side.extend(pick(&mut rng, rest));
            if side.is_empty() {
                side.push(n - 1);
            }
            if side.len() >= n {
                return Err(format!(
                    "--partition {}% of {n} nodes leaves nobody on the other side",
                    p.fraction * 100.0
                ));
            }
            side.sort_unstable();
            steps.push(Step {
                at: start,
                action: Action::Cut { side },
            });
            steps.push(Step {
                at: start + p.duration,
                action: Action::Heal,
            });
            match p.every {
                Some(every) if start + every < load => start += every,
                _ => break,
            }
        }
    }
    let mut eligible: Vec<usize> = (0..n).filter(|&i| !producers[i]).collect();
    rng.shuffle(&mut eligible);
    if let Some(k) = faults.kill {
        if k.n > eligible.len() {
            return Err(format!(
                "--kill {}: only {} non-producer nodes can be killed",
                k.n,
                eligible.len()
            ));
        }
        let mut victims: Vec<usize> = eligible.drain(..k.n).collect();
        victims.sort_unstable();
        steps.push(Step {
            at: k.at,
            action: Action::Kill(victims),
        });
    }
    if let Some(c) = faults.churn {
        if eligible.is_empty() {
            return Err("--churn: no non-producer node is left to churn".into());
        }
        let per_round = ((c.fraction * eligible.len() as f64).round() as usize).max(1);
        let mut down: Vec<usize> = Vec::new();
        let mut k = 1u32;
        loop {
            let at = c.period * k;
            if !down.is_empty() {
                steps.push(Step {
                    at,
                    action: Action::Restart(std::mem::take(&mut down)),
                });
            }
            if at >= load {
                break;
            }
            let just_back: Vec<usize> = steps
                .last()
                .and_then(|s| match &s.action {
                    Action::Restart(v) if s.at == at => Some(v.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let mut pool: Vec<usize> = eligible
                .iter()
                .copied()
                .filter(|i| !just_back.contains(i))
                .collect();
            if pool.len() < per_round {
                pool = eligible.clone();
            }
            rng.shuffle(&mut pool);
            pool.truncate(per_round);
            pool.sort_unstable();
            down = pool.clone();
            steps.push(Step {
                at,
                action: Action::Kill(pool),
            });
            k += 1;
        }
    }
    steps.extend(super::links::steps(faults, load)?);
    // Stable: same-time steps keep their order (a round's restart before its kill).
    steps.sort_by_key(|s| s.at);
    Ok(steps)
}

/// When the last step happens (zero without faults).
pub fn last_step(steps: &[Step]) -> Duration {
    steps.iter().map(|s| s.at).max().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::spec::{Churn, Kill, Partition};

    fn producers(n: usize, p: usize) -> Vec<bool> {
        (0..n).map(|i| i < p).collect()
    }

    #[test]
    fn a_partition_splits_producers_and_the_rest_alike() {
        let f = Faults {
            partition: Some("50%@10s+300s".parse::<Partition>().unwrap()),
            ..Faults::default()
        };
        let steps = plan(&f, &producers(16, 4), 1, Duration::from_secs(30)).unwrap();
        assert_eq!(steps.len(), 2);
        let Action::Cut { side } = &steps[0].action else {
            panic!("{steps:?}")
        };
        assert_eq!(side.len(), 8);
        assert_eq!(side.iter().filter(|&&i| i < 4).count(), 2, "{side:?}");
        assert_eq!(steps[0].at, Duration::from_secs(10));
        assert_eq!(
            steps[1],
            Step {
                at: Duration::from_secs(310),
                action: Action::Heal
            }
        );
        // Seeded: the same seed, the same side.
        assert_eq!(
            plan(&f, &producers(16, 4), 1, Duration::ZERO).unwrap(),
            steps
        );
    }

    #[test]
    fn a_repeated_partition_cuts_each_period_while_the_load_runs() {
        let f = Faults {
            partition: Some("50%@5m+1m/10m".parse::<Partition>().unwrap()),
            ..Faults::default()
        };
        let steps = plan(&f, &producers(16, 4), 1, Duration::from_secs(3600)).unwrap();
        let cuts: Vec<u64> = steps
            .iter()
            .filter(|s| matches!(s.action, Action::Cut { .. }))
            .map(|s| s.at.as_secs())
            .collect();
        assert_eq!(cuts, [300, 900, 1500, 2100, 2700, 3300]);
        let heals: Vec<u64> = steps
            .iter()
            .filter(|s| s.action == Action::Heal)
            .map(|s| s.at.as_secs())
            .collect();
        assert_eq!(heals, [360, 960, 1560, 2160, 2760, 3360]);
        for s in &steps {
            if let Action::Cut { side } = &s.action {
                assert_eq!(side.len(), 8);
                assert_eq!(side.iter().filter(|&&i| i < 4).count(), 2, "{side:?}");
            }
        }
        // Cut and heal alternate.
        for pair in steps.chunks(2) {
            assert!(matches!(pair[0].action, Action::Cut { .. }));
            assert_eq!(pair[1].action, Action::Heal);
        }
    }

    #[test]
    fn kills_spare_producers_and_churn_restarts_everything_it_killed() {
        let f = Faults {
            churn: Some(Churn {
                fraction: 0.25,
                period: Duration::from_secs(5),
            }),
            kill: Some(Kill {
                n: 2,
                at: Duration::from_secs(7),
            }),
            ..Faults::default()
        };
        let steps = plan(&f, &producers(16, 4), 3, Duration::from_secs(20)).unwrap();
        let mut down = std::collections::BTreeSet::new();
        let mut killed_for_good = Vec::new();
        for s in &steps {
            match &s.action {
                Action::Kill(v) => {
                    assert!(v.iter().all(|&i| i >= 4), "producers are never killed");
                    for &i in v {
                        assert!(down.insert(i), "node {i} killed while down");
                    }
                    if s.at == Duration::from_secs(7) {
                        assert_eq!(v.len(), 2);
                        killed_for_good = v.clone();
                    } else {
                        assert_eq!(v.len(), 3, "25% of the 10 churnable nodes, 2.5 rounded up");
                    }
                }
                Action::Restart(v) => {
                    for i in v {
                        assert!(down.remove(i), "node {i} restarted while up");
                        assert!(!killed_for_good.contains(i));
                    }
                }
                _ => panic!("{s:?}"),
            }
        }
        let mut left: Vec<usize> = down.into_iter().collect();
        left.sort_unstable();
        killed_for_good.sort_unstable();
        assert_eq!(left, killed_for_good, "only --kill victims stay down");
        assert_eq!(last_step(&steps), Duration::from_secs(20));
    }

    #[test]
    fn impossible_plans_are_refused() {
        let kill = Faults {
            kill: Some(Kill {
                n: 3,
                at: Duration::ZERO,
            }),
            ..Faults::default()
        };
        assert!(plan(&kill, &producers(4, 2), 1, Duration::ZERO).is_err());
        let churn = Faults {
            churn: Some(Churn {
                fraction: 0.5,
                period: Duration::from_secs(1),
            }),
            ..Faults::default()
        };
        assert!(plan(&churn, &producers(2, 2), 1, Duration::ZERO).is_err());
    }
}
