//! Carrying out link faults on a running testnet: at a fault's start, read the connection
//! graph from every live node, take the share of links [`super::super::links::pick`] chooses,
//! and tell both ends of each (`fault_setLinkFault`); at its end, record how many of those
//! links were still connected (the rest were dropped by the nodes' liveness check, or by
//! churn) and log both as events. The nodes end each fault themselves, on time.

use std::collections::{BTreeMap, BTreeSet};

use tokio::task::JoinSet;

use super::{Injector, LinkRecord};
use crate::faults::links::{self, LinkKind, LinkPlan, LinkStart};
use crate::observe::rpc::Rpc;
use crate::util::timefmt::now_ms;

fn describe(plan: &LinkPlan) -> String {
    let s = |d: std::time::Duration| format!("{:.1} s", d.as_secs_f64());
    match *plan {
        LinkPlan::OneWay { .. } => "one direction carries nothing (held, not lost)".into(),
        LinkPlan::Flap { period, down, .. } => format!(
            "both directions down {} at the start of every {}",
            s(down),
            s(period)
        ),
        LinkPlan::Loss { loss_ppm, .. } => format!(
            "{}% of chunks lost each way (retransmitted after a TCP timeout)",
            f64::from(loss_ppm) / 1e4
        ),
    }
}

/// Each live node's peers, as node indices (peers the manifest does not know are left out;
/// a node that does not answer counts as having none).
async fn graph(
    manifest: &crate::setup::manifest::Manifest,
    rpcs: &[Rpc],
    live: &[usize],
) -> BTreeMap<usize, Vec<usize>> {
    let mut calls = JoinSet::new();
    for &i in live {
        let rpc = rpcs[i].clone();
        calls.spawn(async move { (i, rpc.net_peers().await) });
    }
    let mut out = BTreeMap::new();
    while let Some(done) = calls.join_next().await {
        if let Ok((i, Ok(peers))) = done {
            let ids = peers
                .iter()
                .filter_map(|p| manifest.index_of(&p.peer_id))
                .collect();
            out.insert(i, ids);
        }
    }
    out
}

impl Injector<'_> {
    /// Sends `calls` (each node its own ends), all at once; the errors, sorted.
    async fn send(&self, calls: Vec<links::Call>) -> Vec<String> {
        let mut jobs = JoinSet::new();
        for c in calls {
            let rpc = self.rpcs[c.node].clone();
            let ids = c
                .peers
                .iter()
                .map(|&p| self.manifest.nodes[p].peer_id.clone())
                .collect();
            jobs.spawn(async move { (c.node, rpc.set_link_fault(ids, c.spec).await) });
        }
        let mut errors = Vec::new();
        while let Some(done) = jobs.join_next().await {
            match done {
                Ok((i, Err(e))) => errors.push(format!("node {i}: {e}")),
                Err(e) => errors.push(e.to_string()),
                Ok(_) => {}
            }
        }
        errors.sort();
        errors
    }

    /// Sets the ends that `restarted` nodes hold of every running link fault again (a
    /// restart starts a node with no faults), each for what is left of its fault; the
    /// other ends kept theirs.
    pub(super) async fn link_reapply(&self, restarted: &[usize]) -> Vec<String> {
        let (elapsed, now) = (self.t0.elapsed(), now_ms());
        let calls: Vec<links::Call> = self
            .active_links
            .values()
            .flat_map(|a| links::calls(&a.plan, &a.links, elapsed, now))
            .filter(|c| restarted.contains(&c.node))
            .collect();
        self.send(calls).await
    }

    pub(super) async fn link_start(&mut self, start: LinkStart) {
        let kind = start.plan.kind();
        let live = self.live();
        let all = links::edges(&graph(self.manifest, self.rpcs, &live).await);
        let chosen = links::pick(&all, &start, self.manifest.seed);
        let calls = links::calls(&start.plan, &chosen, self.t0.elapsed(), now_ms());
        let mut errors = self.send(calls).await;
        if chosen.is_empty() {
            errors.push("no connected links to fault".into());
        }
        self.log.links.push(LinkRecord {
            kind: kind.label().into(),
            what: describe(&start.plan),
            start_ms: self.t0.elapsed().as_millis() as u64,
            end_ms: None,
            links_total: all.len(),
            links: chosen.iter().map(|&(a, b)| [a, b]).collect(),
            still_connected_at_end: None,
            errors: errors.clone(),
        });
        let nodes = links::nodes_of(&chosen);
        let record = super::ActiveLink {
            record: self.log.links.len() - 1,
            links: chosen,
            plan: start.plan,
        };
        self.active_links.insert(kind, record);
        self.event(kind.label(), nodes, errors);
    }

    pub(super) async fn link_end(&mut self, kind: LinkKind) {
        let Some(super::ActiveLink {
            record,
            links: chosen,
            ..
        }) = self.active_links.remove(&kind)
        else {
            return;
        };
        let live = self.live();
        let g = graph(self.manifest, self.rpcs, &live).await;
        let connected: BTreeSet<(usize, usize)> = links::edges(&g).into_iter().collect();
        let still = chosen
            .iter()
            .filter(|&&(a, b)| connected.contains(&(a.min(b), a.max(b))))
            .count();
        let t_ms = self.t0.elapsed().as_millis() as u64;
        if let Some(r) = self.log.links.get_mut(record) {
            r.end_ms = Some(t_ms);
            r.still_connected_at_end = Some(still);
        }
        let what = format!(
            "{} end ({still} of {} links still connected)",
            kind.label(),
            chosen.len()
        );
        self.event(&what, links::nodes_of(&chosen), Vec::new());
    }
}
