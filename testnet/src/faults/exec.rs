//! Carries out a fault schedule on a running testnet, timed from the start of the load, and
//! logs what happened: every action with its time, each node's downtime, and for a partition
//! the blocks each side built and the time from heal to one head everywhere.
//!
//! Cuts are real: each node on one side is told (`fault_cutPeers`) to close its connections to
//! every node on the other side and refuse new ones both ways; heal restores them and the
//! nodes' peer policy redials. Kills are SIGKILL (no shutdown path runs); restarts start the
//! same binary on the same data directory and config. A node restarted during a partition
//! gets its side's cut again before the schedule goes on.
//!
//! With `--backend compose` the same schedule acts on containers: a cut is a host packet
//! filter between the two sides' addresses ([`crate::backend::container::filter`]; it holds for a
//! restarted container too, whose address is fixed), a kill is `docker kill --signal KILL`,
//! a restart is `docker start` of the same container on the same volume.
//!
//! Link faults (one-way cuts, flapping, loss) go through each node's `fault_setLinkFault`
//! on any backend ([`links`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::converge::{self, OneHead};
use super::links::{LinkKind, LinkPlan};
use super::schedule::{Action, Step};
use crate::observe::ready;
use crate::observe::rpc::Rpc;
use crate::process::Started;
use crate::process::spawn_node;
use crate::setup::manifest::Manifest;

mod links;
pub use rumor_report::records::faults::{Downtime, Event, FaultLog, LinkRecord, PartitionOutcome};

/// How long a heal may take to reach one head before the log says it did not.
pub const HEAL_TIMEOUT: Duration = Duration::from_secs(120);

struct Injector<'a> {
    manifest: &'a Manifest,
    rpcs: &'a [Rpc],
    started: &'a Started,
    ready_timeout: Duration,
    t0: Instant,
    down: BTreeMap<usize, Instant>,
    cut: Option<Vec<usize>>,
    /// Link faults running.
    active_links: BTreeMap<LinkKind, ActiveLink>,
    log: FaultLog,
}

/// A link fault running: its record in `log.links`, the links it took, and what it does (a
/// restarted node's ends are set again from it).
struct ActiveLink {
    record: usize,
    links: Vec<(usize, usize)>,
    plan: LinkPlan,
}

/// Runs `steps` (from [`super::plan`]) against the testnet, `t0` being the load's start.
pub async fn inject(
    manifest: &Manifest,
    rpcs: &[Rpc],
    started: &Started,
    steps: Vec<Step>,
    flags: String,
    t0: Instant,
    ready_timeout: Duration,
) -> FaultLog {
    let mut inj = Injector {
        manifest,
        rpcs,
        started,
        ready_timeout,
        t0,
        down: BTreeMap::new(),
        cut: None,
        active_links: BTreeMap::new(),
        log: FaultLog {
            flags,
            ..FaultLog::default()
        },
    };
    for step in steps {
        tokio::time::sleep_until((t0 + step.at).into()).await;
        inj.apply(step.action).await;
    }
    let end = Instant::now();
    for (i, since) in &inj.down {
        let d = inj.log.downtime.entry(*i).or_default();
        d.down_ms += end.duration_since(*since).as_millis() as u64;
        d.down_at_end = true;
    }
    inj.log
}

impl Injector<'_> {
    fn live(&self) -> Vec<usize> {
        (0..self.rpcs.len())
            .filter(|i| !self.down.contains_key(i))
            .collect()
    }

    fn event(&mut self, action: &str, nodes: Vec<usize>, errors: Vec<String>) {
        let t_ms = self.t0.elapsed().as_millis() as u64;
        self.log.events.push(Event {
            t_ms,
            action: action.into(),
            nodes,
            errors,
        });
    }

    async fn apply(&mut self, action: Action) {
        match action {
            Action::Cut { side } => {
                let heads = converge::heads(self.rpcs, &self.live()).await;
                let height_at_cut = heads.values().map(|h| h.height).max().unwrap_or(0);
                let errors = self.set_cut(&side, &self.live(), true).await;
                self.log.partition = Some(PartitionOutcome {
                    side: side.clone(),
                    height_at_cut,
                    ..PartitionOutcome::default()
                });
                self.cut = Some(side.clone());
                self.event("cut", side, errors);
            }
            Action::Heal => {
                let Some(side) = self.cut.take() else { return };
                let live = self.live();
                let heads = converge::heads(self.rpcs, &live).await;
                let best = |on_side: bool| {
                    heads
                        .iter()
                        .filter(|(i, _)| side.contains(i) == on_side)
                        .map(|(_, h)| h.height)
                        .max()
                        .unwrap_or(0)
                };
                let errors = self.set_cut(&side, &live, false).await;
                let healed = Instant::now();
                self.event("heal", side.clone(), errors);
                let one = converge::one_head(self.rpcs, &live, HEAL_TIMEOUT).await;
                if let Some(p) = self.log.partition.as_mut() {
                    let base = p.height_at_cut;
                    p.blocks_built = [
                        best(true).saturating_sub(base),
                        best(false).saturating_sub(base),
                    ];
                    p.heal_to_one_head_ms = match one {
                        OneHead::At(t) => Some(t.duration_since(healed).as_secs_f64() * 1000.0),
                        OneHead::Never(_) => None,
                    };
                    self.log.partitions.push(p.clone());
                }
                let what = match one {
                    OneHead::At(_) => "one head after heal",
                    OneHead::Never(_) => "no single head within the heal timeout",
                };
                self.event(what, live, Vec::new());
            }
            Action::Kill(nodes) => {
                let mut errors = Vec::new();
                for &i in &nodes {
                    let killed = match &self.manifest.compose {
                        Some(entry) => match crate::backend::container::kill(entry, i).await {
                            Ok(()) => true,
                            Err(e) => {
                                errors.push(format!("node {i}: {e}"));
                                continue;
                            }
                        },
                        None => {
                            let started = self.started.clone();
                            tokio::task::spawn_blocking(move || started.kill(i))
                                .await
                                .unwrap_or(false)
                        }
                    };
                    if killed {
                        self.down.insert(i, Instant::now());
                        self.log.downtime.entry(i).or_default().kills += 1;
                    } else {
                        errors.push(format!("node {i}: not running here"));
                    }
                }
                self.event("kill", nodes, errors);
            }
            Action::Restart(nodes) => {
                let mut errors = Vec::new();
                for &i in &nodes {
                    if let Err(e) = self.restart(i).await {
                        errors.push(format!("node {i}: {e}"));
                    }
                }
                // A node restarted during a partition is on its side of the cut again (a
                // container's filter outlives it: nothing to do).
                if let Some(side) = self.cut.clone().filter(|_| self.manifest.compose.is_none()) {
                    let mut more = self.set_cut(&side, &nodes, true).await;
                    errors.append(&mut more);
                }
                // Link faults live in the node's process and went with it: its ends of every
                // faulted link are set again, for what is left of each fault.
                let mut more = self.link_reapply(&nodes).await;
                errors.append(&mut more);
                self.event("restart", nodes, errors);
            }
            Action::LinkStart(start) => self.link_start(start).await,
            Action::LinkEnd(kind) => self.link_end(kind).await,
        }
    }

    async fn restart(&mut self, i: usize) -> crate::Result<()> {
        let node = &self.manifest.nodes[i];
        let pid = match &self.manifest.compose {
            Some(entry) => crate::backend::container::start(entry, &[i])
                .await?
                .first()
                .copied()
                .flatten()
                .unwrap_or(0),
            None => {
                let child = spawn_node(self.manifest, node)?;
                let pid = child.id();
                self.started.replace(i, &node.data_dir, child);
                pid
            }
        };
        if let Ok(mut m) = Manifest::load(&self.manifest.dir) {
            m.nodes[i].pid = Some(pid);
            let _ = m.save();
        }
        if let Some(since) = self.down.remove(&i) {
            self.log.downtime.entry(i).or_default().down_ms += since.elapsed().as_millis() as u64;
        }
        let started = self.started.clone();
        ready::wait_rpc(node, &self.rpcs[i], self.ready_timeout, &move || {
            started.exited(i)
        })
        .await
    }

    /// Tells each of `targets` to cut (or restore) every node on the other side of `side`;
    /// for containers, sets the host filter between the two sides.
    async fn set_cut(&self, side: &[usize], targets: &[usize], cut: bool) -> Vec<String> {
        let side: BTreeSet<usize> = side.iter().copied().collect();
        if let Some(entry) = &self.manifest.compose {
            let chain = crate::backend::container::filter::chain_name(&entry.project);
            let ips = |on_side: bool| -> Vec<std::net::Ipv4Addr> {
                self.manifest
                    .nodes
                    .iter()
                    .filter(|n| side.contains(&n.index) == on_side)
                    .filter_map(|n| n.ip())
                    .collect()
            };
            let done = if cut {
                crate::backend::container::filter::cut(&chain, &ips(true), &ips(false)).await
            } else {
                crate::backend::container::filter::heal(&chain).await
            };
            return done.err().map(|e| e.to_string()).into_iter().collect();
        }
        let ids = |on_side: bool| -> Vec<String> {
            self.manifest
                .nodes
                .iter()
                .filter(|n| side.contains(&n.index) == on_side)
                .map(|n| n.peer_id.clone())
                .collect()
        };
        let (side_ids, rest_ids) = (ids(true), ids(false));
        let mut calls = JoinSet::new();
        for &i in targets {
            let rpc = self.rpcs[i].clone();
            let others = if side.contains(&i) {
                rest_ids.clone()
            } else {
                side_ids.clone()
            };
            calls.spawn(async move { (i, rpc.set_cut(others, cut).await) });
        }
        let mut errors = Vec::new();
        while let Some(done) = calls.join_next().await {
            if let Ok((i, Err(e))) = done {
                errors.push(format!("node {i}: {e}"));
            }
        }
        errors
    }
}
