//! `--endpoints FILE`: a testnet of nodes this tool did not start (a Kubernetes cluster,
//! containers elsewhere, another operator's machines). The file names each node's RPC and
//! metrics address and what the tool cannot learn over RPC (the seed the funded accounts come
//! from, slot length); [`attach`] asks every node the rest (peer id, network, genesis) and
//! writes a `testnet.json` marked `attached`: `load`, `measure` and `status` then work on it as
//! on any testnet, reading traces and clocks over RPC ([`crate::observe::remote`]), and nothing ever
//! starts, stops or signals those nodes.
//!
//! ```json
//! {"seed": 1, "accounts": 256, "slot_ms": 1000,
//!  "nodes": [{"rpc": "10.1.0.7:8545", "metrics": "10.1.0.7:9615", "producer": true, "region": "eu"}]}
//! ```
//! Addresses may be host names; they are resolved once, when the file is read.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::observe::rpc::Rpc;
use crate::setup::manifest::{Manifest, NodeEntry};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    /// The seed the genesis-funded accounts were made from (`rumor-testnet k8s render --seed`).
    pub seed: u64,
    /// Funded accounts `load` may send from.
    #[serde(default)]
    pub accounts: usize,
    #[serde(default = "default_slot_ms")]
    pub slot_ms: u64,
    pub nodes: Vec<Endpoint>,
}

fn default_slot_ms() -> u64 {
    1000
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// `host:port` of the node's JSON-RPC.
    pub rpc: String,
    /// `host:port` of its Prometheus endpoint.
    pub metrics: String,
    #[serde(default)]
    pub producer: bool,
    #[serde(default)]
    pub region: Option<String>,
}

fn resolve(what: &str, addr: &str) -> Result<SocketAddr> {
    addr.to_socket_addrs()
        .map_err(|e| Error::Invalid(format!("{what} {addr:?}: {e}")))?
        .next()
        .ok_or_else(|| Error::Invalid(format!("{what} {addr:?}: no address")))
}

/// Reads and checks an endpoints file.
pub fn read(path: &Path) -> Result<Endpoints> {
    let e: Endpoints = rumor_report::fsutil::read_json(path)?;
    if e.nodes.is_empty() {
        return Err(Error::Invalid(format!("{}: no nodes", path.display())));
    }
    Ok(e)
}

/// Builds and saves the manifest of the nodes in `endpoints`, in `dir` (created), asking each
/// node for its identity; every node must answer and all must share one network.
pub async fn attach(endpoints: &Endpoints, dir: &Path) -> Result<Manifest> {
    rumor_report::fsutil::create_dir_all(dir)?;
    let mut nodes = Vec::with_capacity(endpoints.nodes.len());
    let mut network: Option<String> = None;
    let mut genesis = None;
    for (index, e) in endpoints.nodes.iter().enumerate() {
        let rpc_addr = resolve("rpc", &e.rpc)?;
        let metrics = resolve("metrics", &e.metrics)?;
        let rpc = Rpc::new(&format!("http://{rpc_addr}"), Duration::from_secs(10))?;
        let info = rpc.net_info().await?;
        match &network {
            Some(n) if *n != info.network => {
                return Err(Error::Invalid(format!(
                    "node {index} ({}) is on network {}, node 0 on {n}",
                    e.rpc, info.network
                )));
            }
            Some(_) => {}
            None => network = Some(info.network.clone()),
        }
        if genesis.is_none() {
            genesis = Some(rpc.header(0).await?);
        }
        let data_dir = dir.join(format!("node-{index}"));
        rumor_report::fsutil::create_dir_all(&data_dir)?;
        let p2p = info
            .listen_addrs
            .iter()
            .find(|a| a.starts_with("/ip4/") && !a.starts_with("/ip4/127."))
            .or(info.listen_addrs.first())
            .cloned()
            .unwrap_or_default();
        nodes.push(NodeEntry {
            index,
            key_file: rumor_api::DataDir::new(&data_dir).node_key(),
            data_dir,
            peer_id: info.peer_id,
            address: rumor_chain::Address([0; 32]),
            producer: e.producer,
            pid: None,
            p2p,
            rpc: rpc_addr,
            metrics,
            region: e.region.clone(),
            bootnodes: Vec::new(),
            link_file: None,
            clock_offset_ms: 0,
        });
    }
    let genesis = genesis.expect("at least one node");
    let manifest = Manifest {
        version: 1,
        dir: dir.to_path_buf(),
        rumor: std::path::PathBuf::new(),
        seed: endpoints.seed,
        chain_id: genesis.chain_id,
        slot_ms: endpoints.slot_ms,
        genesis_time_ms: genesis.timestamp,
        network: network.unwrap_or_default(),
        genesis: dir.join("genesis.json"),
        accounts: endpoints.accounts,
        account_balance: 0,
        emulation: None,
        ready_at_us: None,
        in_process: false,
        host_pid: None,
        host_rss_before_kib: None,
        host_heap_before: None,
        prometheus: None,
        attached: true,
        compose: None,
        nodes,
    };
    manifest.save()?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_format() {
        let text = r#"{"seed": 3, "accounts": 8,
            "nodes": [{"rpc": "127.0.0.1:8545", "metrics": "localhost:9615", "producer": true}]}"#;
        let e: Endpoints = serde_json::from_str(text).unwrap();
        assert_eq!((e.seed, e.accounts, e.slot_ms), (3, 8, 1000));
        assert!(e.nodes[0].producer && e.nodes[0].region.is_none());
        assert_eq!(
            resolve("metrics", &e.nodes[0].metrics).unwrap().port(),
            9615
        );
        assert!(resolve("rpc", "no-port").is_err());
        let typo = r#"{"seed": 1, "nodes": [], "acounts": 2}"#;
        assert!(serde_json::from_str::<Endpoints>(typo).is_err());
    }
}
