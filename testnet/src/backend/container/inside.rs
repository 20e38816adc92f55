//! A node's world inside its container: the fixed ports and paths, and the rewrite of its
//! config for them. A leaf: `testnet.json`'s node entries use it without the rest of the
//! container backend.

use std::path::Path;

/// Ports inside every container.
pub const P2P_PORT: u16 = 30333;
pub const RPC_PORT: u16 = 8545;
pub const METRICS_PORT: u16 = 9615;

/// Paths inside every container.
pub const DATA_DIR: &str = "/data";
pub const CONFIG_DIR: &str = "/etc/rumor";

/// A path under [`CONFIG_DIR`].
pub fn config_path(name: &str) -> std::path::PathBuf {
    Path::new(CONFIG_DIR).join(name)
}

/// Rewrites a node's config for life inside its container: files at the container's paths
/// (`compose::mounts`); p2p stays on the container's own address (as planned), RPC and metrics listen
/// on every interface: the host reaches them over that address, the image's healthcheck over
/// loopback.
pub fn inside(c: &mut rumor_api::NodeConfig, has_link: bool) {
    c.data_dir = DATA_DIR.into();
    c.key = Some(config_path(rumor_api::layout::NODE_KEY));
    c.genesis = config_path(GENESIS);
    c.link = has_link.then(|| config_path(rumor_api::layout::LINK));
    c.rpc_addr = ([0, 0, 0, 0], RPC_PORT).into();
    // The tool is the RPC's one client (from the network's gateway address, not loopback): it
    // loads at any rate over many connections, so the per-client limits an exposed RPC needs
    // are off on the testnet's private network (the node warns about it in its log).
    c.rpc.rate_per_ip = 0;
    c.rpc.max_connections_per_ip = 0;
    c.metrics_addr = ([0, 0, 0, 0], METRICS_PORT).into();
}

/// The genesis file's name inside the container.
pub const GENESIS: &str = "genesis.json";
