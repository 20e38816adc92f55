//! What one pod runs: object names, the paths inside the container, each ordinal's stable DNS
//! name, and its `rumor_api::NodeConfig` (written as TOML by the config's own serializer).
//!
//! Invariant: every path a config names is a mount of [`super::objects::stateful_set`], and
//! every name here is the one the objects use; tests/k8s.rs checks both on rendered output.

use std::net::SocketAddr;
use std::path::PathBuf;

use rumor_api::{LogFormat, NodeConfig};

/// The StatefulSet's and the headless Service's name: pods are `rumor-0`, `rumor-1`, ….
pub const APP: &str = "rumor";
/// Genesis and every ordinal's node config.
pub const CONFIG_MAP: &str = "rumor-config";
/// Every ordinal's node key, `rumor-<i>.key`.
pub const KEYS_SECRET: &str = "rumor-node-keys";
/// The genesis file's name in the ConfigMap (and so under [`CONFIG_DIR`]), as in compose.
pub const GENESIS_FILE: &str = crate::backend::container::compose::GENESIS;

/// The node image's contract, one definition with the compose backend's: ports inside the
/// container, the ConfigMap's mount ([`CONFIG_DIR`], read-only) and the data volume's
/// ([`DATA_DIR`]: the image's `VOLUME` and working directory).
pub use crate::backend::container::compose::{
    CONFIG_DIR, DATA_DIR, METRICS_PORT, P2P_PORT, RPC_PORT,
};
/// The binary the pod runs, and the user and group it runs as (not root): the image's.
pub use crate::backend::container::image::{BINARY, UID};
/// The Secret's mount in the init container only (read-only): the node never sees the other
/// ordinals' keys.
pub const SECRET_DIR: &str = "/etc/rumor-keys";
/// A memory-backed emptyDir holding this pod's own key, owner-only (`rumor key import`).
pub const KEY_DIR: &str = "/run/rumor";

/// Verification threads per node: the container's CPU limit (one core), not the core count of
/// the machine that rendered the manifests (`NodeConfig::default` would take that).
pub const VERIFY_THREADS: usize = 1;

pub fn pod_name(i: usize) -> String {
    format!("{APP}-{i}")
}

/// `rumor-<i>.rumor.<namespace>.svc.<cluster domain>`: the pod's DNS name through the headless
/// Service (it exists while the pod has an IP, ready or not: `publishNotReadyAddresses`).
pub fn pod_host(i: usize, namespace: &str, cluster_domain: &str) -> String {
    format!("{}.{APP}.{namespace}.svc.{cluster_domain}", pod_name(i))
}

/// The ConfigMap key (and file under [`CONFIG_DIR`]) of ordinal `i`'s config: the container
/// selects it as `$(POD_NAME).toml`.
pub fn config_file(i: usize) -> String {
    format!("{}.toml", pod_name(i))
}

/// The Secret key (and file under [`SECRET_DIR`]) of ordinal `i`'s node key.
pub fn key_file(i: usize) -> String {
    format!("{}.key", pod_name(i))
}

/// Where the node reads its own key: written by the init container.
pub fn key_path() -> PathBuf {
    PathBuf::from(KEY_DIR).join(rumor_api::layout::NODE_KEY)
}

/// A bootnode multiaddr by DNS name.
pub fn dial_addr(host: &str, peer_id: &str) -> String {
    format!("/dns4/{host}/tcp/{P2P_PORT}/p2p/{peer_id}")
}

/// Ordinal `i`'s config: the node's defaults, with the pod's paths, addresses on the pod
/// network (0.0.0.0: the pod IP is not known when rendering), its bootnodes by name, and
/// private addresses allowed (pod IPs are private). Unlike compose's, the RPC keeps its
/// per-client limits: every pod in the cluster can reach it (`kubectl port-forward` arrives
/// from loopback inside the pod, which the limits exempt).
pub fn config(producer: bool, bootnodes: Vec<String>) -> NodeConfig {
    let mut net = rumor_api::NetLimits {
        allow_private_addrs: true,
        ..Default::default()
    };
    // Pods are separate hosts with their own IPs: the per-address limits apply as they are.
    net.ip_limits_on_loopback = false;
    let any = |port: u16| SocketAddr::from(([0, 0, 0, 0], port));
    NodeConfig {
        data_dir: DATA_DIR.into(),
        key: Some(key_path()),
        genesis: PathBuf::from(CONFIG_DIR).join(GENESIS_FILE),
        listen: vec![format!("/ip4/0.0.0.0/tcp/{P2P_PORT}")],
        bootnodes,
        rpc_addr: any(RPC_PORT),
        metrics_addr: any(METRICS_PORT),
        producer,
        log_format: LogFormat::Json,
        // First sights, for measuring propagation over the network (grows with traffic).
        trace: true,
        runtime_threads: 2,
        verify_threads: VERIFY_THREADS,
        net,
        ..NodeConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_statefulset() {
        assert_eq!(pod_name(3), "rumor-3");
        assert_eq!(
            pod_host(3, "net", "cluster.local"),
            "rumor-3.rumor.net.svc.cluster.local"
        );
        assert_eq!(config_file(3), "rumor-3.toml");
        assert_eq!(key_file(3), "rumor-3.key");
        assert_eq!(key_path(), PathBuf::from("/run/rumor/node.key"));
    }

    #[test]
    fn config_round_trips_through_toml_and_binds_the_pod_network() {
        let c = config(true, vec![dial_addr("h", "id")]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rumor-1.toml");
        std::fs::write(&path, c.to_toml().unwrap()).unwrap();
        assert_eq!(NodeConfig::load(&path).unwrap(), c);
        assert_eq!(c.rpc_addr.to_string(), "0.0.0.0:8545");
        assert_eq!(c.metrics_addr.to_string(), "0.0.0.0:9615");
        assert!(c.net.allow_private_addrs && c.producer);
        assert_eq!(c.bootnodes, vec!["/dns4/h/tcp/30333/p2p/id".to_string()]);
    }
}
