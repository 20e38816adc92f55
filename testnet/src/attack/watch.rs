//! Watches the honest side of an attack through each node's `net_peers`: which nodes the
//! attacker reached, when every one of them had graylisted it (gossipsub score at or below
//! the graylist threshold) or dropped it (disconnected, banned), and how many peers at the
//! hostile host's address one node held at once (eclipse).

use std::time::{Duration, Instant};

pub use rumor_report::records::attack::Penalty;

use crate::observe::rpc::Rpc;

/// How often the nodes are asked.
pub const POLL: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, Default)]
struct NodeView {
    reached: bool,
    graylisted: bool,
    dropped: bool,
}

/// Polls every node until `until` has passed since `start`.
pub async fn watch(
    rpcs: &[Rpc],
    attacker: &str,
    graylist: f64,
    start: Instant,
    until: Duration,
) -> Penalty {
    let mut views = vec![NodeView::default(); rpcs.len()];
    let mut out = Penalty::default();
    let host = format!("/ip4/{}/", rumor_attack::HOST);
    while start.elapsed() < until {
        let answers = all_peers(rpcs).await;
        for (view, peers) in views.iter_mut().zip(answers) {
            let Some(peers) = peers else { continue };
            let from_host = peers.iter().filter(|p| p.addr.starts_with(&host)).count();
            out.max_from_host = out.max_from_host.max(from_host);
            match peers.iter().find(|p| p.peer_id == attacker) {
                Some(p) => {
                    view.reached = true;
                    if p.score <= graylist {
                        view.graylisted = true;
                    }
                    out.lowest_score = Some(out.lowest_score.map_or(p.score, |s| s.min(p.score)));
                }
                None if view.reached => view.dropped = true,
                None => {}
            }
        }
        let reached = views.iter().filter(|v| v.reached).count();
        let penalised = views
            .iter()
            .filter(|v| v.reached && (v.graylisted || v.dropped))
            .count();
        if out.all_penalised_at_ms.is_none() && reached > 0 && penalised == reached {
            out.all_penalised_at_ms = Some(start.elapsed().as_millis() as u64);
        }
        tokio::time::sleep(POLL).await;
    }
    for (i, v) in views.iter().enumerate() {
        if v.reached {
            out.reached.push(i);
        }
        if v.graylisted {
            out.graylisted.push(i);
        }
        if v.dropped {
            out.dropped.push(i);
        }
    }
    out
}

async fn all_peers(rpcs: &[Rpc]) -> Vec<Option<Vec<crate::observe::rpc::Peer>>> {
    let mut set = tokio::task::JoinSet::new();
    for (i, rpc) in rpcs.iter().enumerate() {
        let rpc = rpc.clone();
        set.spawn(async move { (i, rpc.net_peers().await.ok()) });
    }
    let mut out = vec![None; rpcs.len()];
    while let Some(r) = set.join_next().await {
        if let Ok((i, peers)) = r {
            out[i] = peers;
        }
    }
    out
}
