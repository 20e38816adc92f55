//! What the link-fault flags mean for one run, as pure functions: when each fault starts and
//! ends ([`steps`]), which links it takes ([`pick`], from the connection graph the nodes report
//! at that moment, seeded), and which `fault_setLinkFault` call each node gets ([`calls`]).
//!
//! Rules:
//! - A link is an unordered pair of nodes connected when the fault starts, as either end's
//!   `net_peers` reports it. The share is rounded, and at least one link is taken.
//! - The fault belongs to the pair, not to the connection: it holds for connections the pair
//!   makes again while it lasts (each node applies it to every connection to the peer).
//! - Both ends of a link are told, each about its own side: for a one-way cut `a → b`, `a`
//!   holds what it sends to `b` (`out`) and `b` what it receives from `a` (`in`). A dial from
//!   either side then meets the fault from its first byte. A flap is set on both ends with one
//!   absolute start, so both ends go down together. Loss is set on each end's `out` only, so no
//!   direction loses twice.
//! - Every fault is sent with its duration and the nodes end it themselves, on time and even
//!   if this tool stops. The end step only records what became of the links (clearing a
//!   peer's faults would also end another kind still running on the same link).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rumor_api::types::{LinkFaultDirection, LinkFaultMode, LinkFaultSpec};

use super::spec::Faults;
use super::step::{Action, Step};
pub use super::step::{LinkKind, LinkPlan, LinkStart};
use crate::rng::Rng;

/// Seed stream for link choices (independent of the other fault choices).
const STREAM: u64 = 0x11_4C;

fn ppm(f: f64) -> u32 {
    (f * 1e6).round().clamp(1.0, 1e6) as u32
}

/// The start and end steps of the run's link faults.
pub fn steps(faults: &Faults, load: Duration) -> Result<Vec<Step>, String> {
    let mut out = Vec::new();
    let mut add = |at: Duration, share: f64, plan: LinkPlan| {
        out.push(Step {
            at,
            action: Action::LinkStart(LinkStart {
                share_ppm: ppm(share),
                plan,
            }),
        });
        out.push(Step {
            at: plan.end(),
            action: Action::LinkEnd(plan.kind()),
        });
    };
    if let Some(o) = faults.oneway {
        add(
            o.start,
            o.fraction,
            LinkPlan::OneWay {
                end: o.start + o.duration,
            },
        );
    }
    if let Some(f) = faults.flap {
        if f.period >= load {
            return Err(format!(
                "--flap: the load ({load:?}) ends before the first period ({:?}) does",
                f.period
            ));
        }
        // Links are taken when the first outage begins, from the graph as it is then (at the
        // load's start the meshes may still be filling in).
        add(
            f.period,
            f.fraction,
            LinkPlan::Flap {
                period: f.period,
                down: f.down,
                first_down: f.period,
                end: load,
            },
        );
    }
    if let Some(l) = faults.loss {
        let (start, duration) = l.window.unwrap_or((Duration::ZERO, load));
        if duration.is_zero() {
            return Err("--link-loss: the load has no length to lose frames in".into());
        }
        add(
            start,
            l.fraction,
            LinkPlan::Loss {
                loss_ppm: ppm(l.loss),
                end: start + duration,
            },
        );
    }
    Ok(out)
}

/// The links of a connection graph: each node's peers (node indices), as unordered pairs.
pub fn edges(peers: &BTreeMap<usize, Vec<usize>>) -> Vec<(usize, usize)> {
    let set: BTreeSet<(usize, usize)> = peers
        .iter()
        .flat_map(|(&a, ps)| ps.iter().map(move |&b| (a.min(b), a.max(b))))
        .filter(|(a, b)| a != b)
        .collect();
    set.into_iter().collect()
}

/// `share_ppm` of `links` (rounded, at least one if there are any), seeded by the run's seed
/// and the fault's kind; for a one-way cut each link is turned so that `(from, to)` names the
/// dead direction.
pub fn pick(links: &[(usize, usize)], start: &LinkStart, seed: u64) -> Vec<(usize, usize)> {
    if links.is_empty() {
        return Vec::new();
    }
    let kind = start.plan.kind();
    let mut rng = Rng::new(seed, STREAM + kind as u64);
    let k = ((f64::from(start.share_ppm) / 1e6 * links.len() as f64).round() as usize)
        .clamp(1, links.len());
    let mut chosen: Vec<(usize, usize)> = rng
        .sample(links.len(), k)
        .into_iter()
        .map(|i| links[i])
        .collect();
    if kind == LinkKind::OneWay {
        for l in &mut chosen {
            if rng.below(2) == 1 {
                *l = (l.1, l.0);
            }
        }
    }
    chosen.sort_unstable();
    chosen
}

/// One `fault_setLinkFault` call: `node` faults its links to `peers` (node indices).
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub node: usize,
    pub peers: Vec<usize>,
    pub spec: LinkFaultSpec,
}

fn spec(direction: LinkFaultDirection, mode: LinkFaultMode) -> LinkFaultSpec {
    LinkFaultSpec {
        direction,
        mode,
        period_ms: None,
        down_ms: None,
        loss: None,
        start_unix_ms: None,
        duration_ms: None,
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// The calls that set `plan` on `links`, made `elapsed` into the load when the clock reads
/// `now_unix_ms`; grouped so each node gets one call per distinct fault.
pub fn calls(
    plan: &LinkPlan,
    links: &[(usize, usize)],
    elapsed: Duration,
    now_unix_ms: u64,
) -> Vec<Call> {
    let left = |end: Duration| Some(ms(end.saturating_sub(elapsed)).max(1));
    let mut per_end: Vec<(usize, usize, LinkFaultSpec)> = Vec::new();
    match *plan {
        LinkPlan::OneWay { end } => {
            let base = |d| LinkFaultSpec {
                duration_ms: left(end),
                ..spec(d, LinkFaultMode::Stall)
            };
            for &(from, to) in links {
                per_end.push((from, to, base(LinkFaultDirection::Out)));
                per_end.push((to, from, base(LinkFaultDirection::In)));
            }
        }
        LinkPlan::Flap {
            period,
            down,
            first_down,
            end,
        } => {
            // One absolute anchor for both ends, so they go down together.
            let anchor = if first_down >= elapsed {
                now_unix_ms + ms(first_down - elapsed)
            } else {
                now_unix_ms.saturating_sub(ms(elapsed - first_down))
            };
            let s = LinkFaultSpec {
                period_ms: Some(ms(period)),
                down_ms: Some(ms(down)),
                start_unix_ms: Some(anchor),
                duration_ms: Some(ms(end.saturating_sub(first_down)).max(1)),
                ..spec(LinkFaultDirection::Both, LinkFaultMode::Flap)
            };
            for &(a, b) in links {
                per_end.push((a, b, s.clone()));
                per_end.push((b, a, s.clone()));
            }
        }
        LinkPlan::Loss { loss_ppm, end } => {
            let s = LinkFaultSpec {
                loss: Some(f64::from(loss_ppm) / 1e6),
                duration_ms: left(end),
                ..spec(LinkFaultDirection::Out, LinkFaultMode::Loss)
            };
            for &(a, b) in links {
                per_end.push((a, b, s.clone()));
                per_end.push((b, a, s.clone()));
            }
        }
    }
    let mut out: Vec<Call> = Vec::new();
    for (node, peer, spec) in per_end {
        match out.iter_mut().find(|c| c.node == node && c.spec == spec) {
            Some(c) => c.peers.push(peer),
            None => out.push(Call {
                node,
                peers: vec![peer],
                spec,
            }),
        }
    }
    out.sort_by_key(|c| c.node);
    out
}

/// Every node a set of links touches, sorted.
pub fn nodes_of(links: &[(usize, usize)]) -> Vec<usize> {
    let set: BTreeSet<usize> = links.iter().flat_map(|&(a, b)| [a, b]).collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::spec::{Flap, LinkLoss, OneWay};

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn steps_start_and_end_each_link_fault() {
        let faults = Faults {
            oneway: Some(OneWay {
                fraction: 0.25,
                start: 5 * S,
                duration: 20 * S,
            }),
            flap: Some(Flap {
                fraction: 0.5,
                period: 10 * S,
                down: 2 * S,
            }),
            loss: Some(LinkLoss {
                fraction: 0.1,
                loss: 0.02,
                window: None,
            }),
            ..Faults::default()
        };
        let steps = steps(&faults, 40 * S).unwrap();
        let at = |kind: LinkKind, start: bool| {
            steps
                .iter()
                .find(|s| match &s.action {
                    Action::LinkStart(l) => start && l.plan.kind() == kind,
                    Action::LinkEnd(k) => !start && *k == kind,
                    _ => false,
                })
                .map(|s| s.at)
        };
        assert_eq!(at(LinkKind::OneWay, true), Some(5 * S));
        assert_eq!(at(LinkKind::OneWay, false), Some(25 * S));
        assert_eq!(
            at(LinkKind::Flap, true),
            Some(10 * S),
            "at the first outage"
        );
        assert_eq!(at(LinkKind::Flap, false), Some(40 * S));
        assert_eq!(at(LinkKind::Loss, false), Some(40 * S));
        let too_short = Faults {
            flap: faults.flap,
            ..Faults::default()
        };
        assert!(super::steps(&too_short, 10 * S).is_err());
    }

    #[test]
    fn links_are_picked_from_the_graph_seeded_and_turned_for_one_way_cuts() {
        // A 5-node full mesh, reported from both ends (and one self-loop that is ignored).
        let peers: BTreeMap<usize, Vec<usize>> = (0..5)
            .map(|i| (i, (0..5).filter(|&j| j != i || i == 4).collect()))
            .collect();
        let links = edges(&peers);
        assert_eq!(links.len(), 10);
        let start = |plan| LinkStart {
            share_ppm: 250_000,
            plan,
        };
        let cut = start(LinkPlan::OneWay { end: S });
        let a = pick(&links, &cut, 7);
        assert_eq!(a.len(), 3, "25% of 10, rounded");
        assert_eq!(a, pick(&links, &cut, 7), "seeded");
        let flap = start(LinkPlan::Flap {
            period: S,
            down: S / 2,
            first_down: S,
            end: 2 * S,
        });
        let f = pick(&links, &flap, 7);
        assert!(f.iter().all(|&(x, y)| x < y), "flaps keep pairs unordered");
        // Over many seeds, one-way cuts run both ways.
        let turned = (0..50u64)
            .flat_map(|seed| pick(&links, &cut, seed))
            .filter(|&(x, y)| x > y)
            .count();
        assert!(turned > 20 && turned < 130, "{turned} of 150 turned");
        assert!(pick(&[], &cut, 1).is_empty());
        let tiny = LinkStart {
            share_ppm: 1,
            ..cut
        };
        assert_eq!(pick(&links, &tiny, 1).len(), 1, "at least one link");
    }

    #[test]
    fn each_end_is_told_about_its_own_side() {
        let cut = LinkPlan::OneWay { end: 25 * S };
        let calls = calls(&cut, &[(0, 1), (0, 2), (3, 0)], 5 * S, 1_000_000);
        let find = |node, dir| {
            calls
                .iter()
                .find(|c| c.node == node && c.spec.direction == dir)
                .map(|c| c.peers.clone())
        };
        assert_eq!(find(0, LinkFaultDirection::Out), Some(vec![1, 2]));
        assert_eq!(find(0, LinkFaultDirection::In), Some(vec![3]));
        assert_eq!(find(1, LinkFaultDirection::In), Some(vec![0]));
        assert_eq!(find(3, LinkFaultDirection::Out), Some(vec![0]));
        assert!(calls.iter().all(|c| c.spec.duration_ms == Some(20_000)));
        assert!(calls.iter().all(|c| c.spec.mode == LinkFaultMode::Stall));

        let flap = LinkPlan::Flap {
            period: 10 * S,
            down: 2 * S,
            first_down: 10 * S,
            end: 40 * S,
        };
        let calls = super::calls(&flap, &[(0, 1)], S, 1_000_000);
        assert_eq!(calls.len(), 2);
        for c in &calls {
            assert_eq!(
                c.spec.start_unix_ms,
                Some(1_009_000),
                "one anchor for both ends"
            );
            assert_eq!(c.spec.duration_ms, Some(30_000));
            assert_eq!(c.spec.direction, LinkFaultDirection::Both);
        }
        let loss = LinkPlan::Loss {
            loss_ppm: 20_000,
            end: 40 * S,
        };
        let calls = super::calls(&loss, &[(0, 1)], Duration::ZERO, 0);
        assert!(
            calls
                .iter()
                .all(|c| c.spec.direction == LinkFaultDirection::Out)
        );
        assert_eq!(calls[0].spec.loss, Some(0.02));
        assert_eq!(nodes_of(&[(3, 1), (1, 0)]), vec![0, 1, 3]);
    }
}
