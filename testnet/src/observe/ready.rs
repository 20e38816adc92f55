//! Start-up readiness: a node is up when its RPC answers `net_info` with a listen address;
//! the testnet is ready when every node has a peer and a gossipsub mesh for both topics.

use std::time::{Duration, Instant};

use futures::StreamExt;
use indicatif::ProgressBar;

use crate::error::{Error, Result};
use crate::observe::rpc::Rpc;
use crate::setup::manifest::NodeEntry;

const POLL: Duration = Duration::from_millis(100);

/// Waits for one freshly started node; fails early if its process exits (`exited` returns
/// the exit status once it has).
pub async fn wait_rpc(
    node: &NodeEntry,
    rpc: &Rpc,
    timeout: Duration,
    exited: &(dyn Fn() -> Option<String> + Sync),
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = exited() {
            return Err(Error::NodeExited {
                index: node.index,
                status,
                log: node.log_file(),
            });
        }
        if let Ok(info) = rpc.net_info().await
            && !info.listen_addrs.is_empty()
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: format!(
                    "node {} to answer net_info at {} (log: {})",
                    node.index,
                    rpc.endpoint(),
                    node.log_file().display()
                ),
                secs: timeout.as_secs(),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// What "ready" means for a testnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Readiness {
    /// A peer and a gossipsub mesh for both topics at every node.
    #[default]
    Mesh,
    /// A peer at every node. For `--flood-all` networks: flooding makes every peer an
    /// explicit peer, and gossipsub never puts explicit peers in a mesh.
    Peers,
}

impl std::str::FromStr for Readiness {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "mesh" => Ok(Readiness::Mesh),
            "peers" => Ok(Readiness::Peers),
            other => Err(format!("{other:?}: `mesh` or `peers`")),
        }
    }
}

impl Readiness {
    pub fn ready(self, peers: &[crate::observe::rpc::Peer]) -> bool {
        match self {
            Readiness::Mesh => meshed(peers),
            Readiness::Peers => !peers.is_empty(),
        }
    }
}

/// True if this peer list shows a peer and a mesh for both topics.
pub fn meshed(peers: &[crate::observe::rpc::Peer]) -> bool {
    !peers.is_empty()
        && peers.iter().any(|p| p.in_mesh("tx"))
        && peers.iter().any(|p| p.in_mesh("block"))
}

/// `net_peers` calls in flight at once while waiting for the mesh.
const MESH_POLLS: usize = 64;

pub async fn wait_mesh(
    rpcs: &[Rpc],
    timeout: Duration,
    bar: &ProgressBar,
    readiness: Readiness,
) -> Result<()> {
    if rpcs.len() < 2 {
        return Ok(()); // a lone node has nobody to mesh with
    }
    let deadline = Instant::now() + timeout;
    loop {
        // Every node each round, MESH_POLLS at a time: one by one, a round of 1 000 busy
        // in-process nodes took longer than the whole timeout (~2 s per answer, saturated).
        let ready: Vec<(usize, bool)> = futures::stream::iter(rpcs.iter().enumerate())
            .map(|(i, rpc)| async move {
                let ok = matches!(rpc.net_peers().await, Ok(p) if readiness.ready(&p));
                (i, ok)
            })
            .buffer_unordered(MESH_POLLS)
            .collect()
            .await;
        let mut waiting: Vec<usize> = ready.into_iter().filter(|r| !r.1).map(|r| r.0).collect();
        waiting.sort_unstable();
        bar.set_position((rpcs.len() - waiting.len()) as u64);
        if waiting.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let what = match readiness {
                Readiness::Mesh => "a gossip mesh",
                Readiness::Peers => "a peer",
            };
            return Err(Error::Timeout {
                what: format!("{what} at nodes {waiting:?}"),
                secs: timeout.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::rpc::Peer;

    fn peer(topics: &[&str]) -> Peer {
        Peer {
            peer_id: "p".into(),
            addr: String::new(),
            outbound: true,
            score: 0.0,
            mesh_topics: topics.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn mesh_needs_both_topics() {
        assert!(!meshed(&[]));
        assert!(!meshed(&[peer(&["tx"])]));
        assert!(meshed(&[peer(&["tx"]), peer(&["block"])]));
        assert!(meshed(&[peer(&["tx", "block"])]));
        assert!(Readiness::Peers.ready(&[peer(&[])]));
        assert!(!Readiness::Mesh.ready(&[peer(&[])]));
        assert!(!Readiness::Peers.ready(&[]));
    }
}
