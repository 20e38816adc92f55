//! `DIR/compose.yaml`: one service per node, each its own container with a fixed address on
//! the testnet's own bridge network, its data directory a named volume, and its config, key,
//! genesis and link file mounted read-only from the node's directory under `DIR`.
//!
//! The network is created by the tool before the file is written (Docker picks a free subnet,
//! so no address range can collide with the host's), and is `external` to Compose; `down`
//! removes it with the project.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use serde::Serialize;

use super::ComposeEntry;
pub use super::inside::{
    CONFIG_DIR, DATA_DIR, GENESIS, METRICS_PORT, P2P_PORT, RPC_PORT, config_path, inside,
};
use crate::setup::manifest::NodeEntry;

#[derive(Debug, Serialize)]
pub struct ComposeFile {
    pub services: BTreeMap<String, Service>,
    pub networks: BTreeMap<String, Network>,
    pub volumes: BTreeMap<String, Volume>,
}

#[derive(Debug, Serialize)]
pub struct Service {
    pub image: String,
    pub container_name: String,
    pub command: Vec<String>,
    pub user: String,
    pub networks: BTreeMap<String, Attachment>,
    pub volumes: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// SIGTERM, then this long for the node's clean shutdown (≤ 5 s by design) before SIGKILL.
    pub stop_grace_period: String,
}

#[derive(Debug, Serialize)]
pub struct Attachment {
    pub ipv4_address: String,
}

#[derive(Debug, Serialize)]
pub struct Network {
    pub external: bool,
    pub name: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Volume {
    pub labels: BTreeMap<String, String>,
}

/// The label every object of a testnet carries (its directory), so `down` and the tests can
/// find whatever is left.
pub const LABEL: &str = "org.rumor.testnet";

/// A node's service name and container name.
pub fn service(index: usize) -> String {
    format!("node-{index}")
}

pub fn container(project: &str, index: usize) -> String {
    format!("{project}-node-{index}")
}

/// Node `i`'s address in the testnet's /16: each node its own /24 (`a.b.(i+1).2`), as on a
/// real network and as in process mode (`setup::plan::node_ip`), so the nodes' per-subnet
/// connection limits apply between them as between hosts; past 255 nodes the /24s are
/// shared (`a.b.(i mod 255 + 1).(2 + i div 255)`). Measured before, with every container in
/// one /24: 16 nodes kept a mean degree of 4.0 (outbound dials are capped per subnet) against
/// 9.9 in process mode.
pub fn node_ip(subnet: Ipv4Addr, index: usize) -> Ipv4Addr {
    let (i, round) = ((index % 255) as u32, (index / 255) as u32);
    Ipv4Addr::from(u32::from(subnet) + ((i + 1) << 8) + 2 + round)
}

/// The read-only mounts of one node: `(host path, container path)`.
pub fn mounts(node: &NodeEntry, genesis: &Path) -> Vec<(std::path::PathBuf, std::path::PathBuf)> {
    let dir = node.dir();
    let mut m = vec![
        (
            dir.node_config(),
            config_path(rumor_api::layout::NODE_CONFIG),
        ),
        (dir.node_key(), config_path(rumor_api::layout::NODE_KEY)),
        (genesis.to_path_buf(), config_path(GENESIS)),
    ];
    if let Some(link) = &node.link_file {
        m.push((link.clone(), config_path(rumor_api::layout::LINK)));
    }
    m
}

/// The compose file for `nodes`.
pub fn render(entry: &ComposeEntry, nodes: &[NodeEntry], genesis: &Path) -> ComposeFile {
    let label = |v: &str| BTreeMap::from([(LABEL.to_owned(), v.to_owned())]);
    let dir_label = entry.dir.display().to_string();
    let mut services = BTreeMap::new();
    let mut volumes = BTreeMap::new();
    for n in nodes {
        let name = service(n.index);
        let volume = format!("{name}-data");
        let mut vols = vec![format!("{volume}:{DATA_DIR}")];
        vols.extend(
            mounts(n, genesis)
                .into_iter()
                .map(|(host, inside)| format!("{}:{}:ro", host.display(), inside.display())),
        );
        let mut labels = label(&dir_label);
        labels.insert("org.rumor.node".into(), n.index.to_string());
        services.insert(
            name.clone(),
            Service {
                image: entry.image.clone(),
                container_name: container(&entry.project, n.index),
                command: vec![
                    "node".into(),
                    "--data-dir".into(),
                    DATA_DIR.into(),
                    "--config".into(),
                    config_path(rumor_api::layout::NODE_CONFIG)
                        .display()
                        .to_string(),
                ],
                user: format!("{0}:{0}", super::image::UID),
                networks: BTreeMap::from([(
                    NETWORK_KEY.to_owned(),
                    Attachment {
                        ipv4_address: n.ip().map(|ip| ip.to_string()).unwrap_or_default(),
                    },
                )]),
                volumes: vols,
                labels,
                // The open-file limit is the engine's default: a node holds a few dozen sockets,
                // and raising it is refused where the engine runs unprivileged.
                stop_grace_period: "10s".into(),
            },
        );
        volumes.insert(
            volume,
            Volume {
                labels: label(&dir_label),
            },
        );
    }
    ComposeFile {
        services,
        networks: BTreeMap::from([(
            NETWORK_KEY.to_owned(),
            Network {
                external: true,
                name: entry.network.clone(),
            },
        )]),
        volumes,
    }
}

/// The network's key inside the compose file.
pub const NETWORK_KEY: &str = "rumor";

/// The file's text (YAML).
pub fn to_yaml(file: &ComposeFile) -> String {
    let body = serde_yaml_ng::to_string(file).unwrap_or_default();
    format!(
        "# Written by rumor-testnet (--backend compose): one service per node.\n\
         # Start/stop through the tool (`rumor-testnet up|down --backend compose`); by hand:\n\
         #   docker compose -p <project> -f compose.yaml ps\n{body}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_gets_a_slash_24_of_its_own() {
        let net: Ipv4Addr = "10.200.0.0".parse().unwrap();
        assert_eq!(node_ip(net, 0).to_string(), "10.200.1.2");
        assert_eq!(node_ip(net, 254).to_string(), "10.200.255.2");
        assert_eq!(node_ip(net, 255).to_string(), "10.200.1.3");
        assert_eq!(node_ip(net, 300).to_string(), "10.200.46.3");
    }
}
