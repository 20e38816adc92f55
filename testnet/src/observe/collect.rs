//! Live state of a running testnet, read over RPC, the metrics endpoint and `/proc`: what the
//! report needs from the nodes before they are stopped.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::observe::metrics::{self, NodeCounters};
use crate::observe::rpc::{Head, MempoolStatus, Peer, Rpc};
use crate::process::procfs::{self, MemUsage};
use crate::setup::manifest::Manifest;
use crate::util::timefmt::now_us;

pub const RPC_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NodeLive {
    pub index: usize,
    pub alive: bool,
    pub peers: Option<Vec<Peer>>,
    pub head: Option<Head>,
    pub mempool: Option<MempoolStatus>,
    pub counters: Option<NodeCounters>,
    pub mem: Option<MemUsage>,
    /// First error met while asking this node.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Live {
    pub at_us: u64,
    pub nodes: Vec<NodeLive>,
    /// The machine's CPU counters when the snapshot began (the saturation check's end).
    #[serde(default)]
    pub machine: Option<crate::process::machine::MachineSample>,
    /// The memory and threads of the process hosting an in-process testnet.
    #[serde(default)]
    pub tool_mem: Option<MemUsage>,
    #[serde(default)]
    pub tool_threads: Option<u64>,
    /// The host's live heap, bytes, when this snapshot runs in the host itself.
    #[serde(default)]
    pub tool_heap: Option<u64>,
}

pub fn clients(manifest: &Manifest) -> Result<Vec<Rpc>> {
    manifest
        .nodes
        .iter()
        .map(|n| Rpc::new(&n.rpc_url(), RPC_TIMEOUT))
        .collect()
}

/// Whether node `index` runs: its process (by pid and command line), or for an in-process
/// testnet, the process hosting it.
pub fn alive(manifest: &Manifest, index: usize) -> bool {
    if manifest.in_process {
        return manifest.host_pid.is_some_and(procfs::is_host);
    }
    if manifest.attached {
        // Not a process of this machine's: up as far as this tool can tell (its answers decide).
        return true;
    }
    let n = &manifest.nodes[index];
    // A container's node runs on the container's data directory; its process is visible here
    // (same host) under the pid `docker inspect` gave.
    let data_dir = match &manifest.compose {
        Some(_) => std::path::Path::new(crate::backend::container::compose::DATA_DIR),
        None => n.data_dir.as_path(),
    };
    n.pid.is_some_and(|pid| procfs::is_node(pid, data_dir))
}

/// Nodes asked at once by [`snapshot`] and [`counters`]. One by one, a snapshot of 1 000
/// in-process nodes on a saturated machine (~2 s an answer, four requests a node) would take
/// over two hours; the order of the results stays the nodes' order.
pub const CONCURRENT: usize = 64;

/// Everything one node answers for the report.
async fn node_live(manifest: &Manifest, rpc: &Rpc, i: usize) -> NodeLive {
    let node = &manifest.nodes[i];
    let mut live = NodeLive {
        index: i,
        alive: alive(manifest, i),
        mem: node.pid.and_then(procfs::mem),
        ..Default::default()
    };
    let mut note = |e: &crate::error::Error| {
        live.error.get_or_insert_with(|| e.to_string());
    };
    let peers = rpc.net_peers().await.inspect_err(&mut note).ok();
    let head = rpc.chain_head().await.inspect_err(&mut note).ok();
    let mempool = rpc.mempool_status().await.inspect_err(&mut note).ok();
    let counters = metrics::scrape(node.metrics, &manifest.network)
        .await
        .inspect_err(&mut note)
        .ok()
        .map(|c| with_cpu(c, node.pid, manifest.in_process));
    if manifest.in_process || manifest.attached {
        // The host runs (or the node is not ours to see); this node is up if it answers.
        live.alive &= peers.is_some();
    }
    live.peers = peers;
    live.head = head;
    live.mempool = mempool;
    live.counters = counters;
    live
}

/// Asks every node for everything, [`CONCURRENT`] nodes at a time.
pub async fn snapshot(manifest: &Manifest, rpcs: &[Rpc]) -> Live {
    let at_us = now_us();
    let machine = crate::process::machine::sample();
    let nodes: Vec<NodeLive> = futures::stream::iter(rpcs.iter().enumerate())
        .map(|(i, rpc)| node_live(manifest, rpc, i))
        .buffered(CONCURRENT)
        .collect()
        .await;
    let (tool_mem, tool_threads) = manifest
        .host_pid
        .filter(|_| manifest.in_process)
        .map(host_sample)
        .unwrap_or_default();
    let tool_heap = (manifest.in_process && manifest.host_pid == Some(std::process::id()))
        .then(crate::util::heap::live_bytes);
    Live {
        at_us,
        nodes,
        machine,
        tool_mem,
        tool_threads,
        tool_heap,
    }
}

/// Every node's counters now (`None` where the scrape failed).
pub async fn counters(manifest: &Manifest) -> Vec<Option<NodeCounters>> {
    futures::stream::iter(&manifest.nodes)
        .map(|n| async move {
            let c = metrics::scrape(n.metrics, &manifest.network).await.ok();
            c.map(|c| with_cpu(c, n.pid, manifest.in_process))
        })
        .buffered(CONCURRENT)
        .collect()
        .await
}

/// Adds the process's CPU time and system calls, read at the same moment as its metrics; an
/// in-process node has its own CPU accounting on the metrics page instead, and no system
/// calls of its own.
fn with_cpu(mut c: NodeCounters, pid: Option<u32>, in_process: bool) -> NodeCounters {
    if in_process {
        c.cpu_s = c.busy_s;
    } else {
        c.cpu_s = pid.and_then(procfs::cpu_seconds);
        c.syscalls = pid.and_then(procfs::syscalls).map(|n| n as f64);
    }
    c
}

/// Polls heads until every node reports the same block or `timeout` passes. Blocks keep
/// coming every slot, so one pass can straddle a block; agreement on any pass is enough.
pub async fn converged_heads(rpcs: &[Rpc], timeout: Duration) -> (bool, Vec<Option<Head>>) {
    let deadline = Instant::now() + timeout;
    loop {
        let heads: Vec<Option<Head>> = futures::stream::iter(rpcs)
            .map(|rpc| async move { rpc.chain_head().await.ok() })
            .buffered(CONCURRENT)
            .collect()
            .await;
        let first = heads.first().cloned().flatten();
        let same = first.is_some() && heads.iter().all(|h| h == &first);
        if same || Instant::now() >= deadline {
            return (same, heads);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The memory and threads of process `pid` (the host of an in-process testnet) now.
pub fn host_sample(pid: u32) -> (Option<MemUsage>, Option<u64>) {
    (procfs::mem(pid), procfs::threads(pid))
}
