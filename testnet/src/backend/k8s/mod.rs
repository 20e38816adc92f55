//! `rumor-testnet k8s render`: Kubernetes manifests for a Rumor network. One YAML file per
//! object in `--out DIR` (a Namespace, a ConfigMap with the genesis and one node config per
//! ordinal, a Secret with each ordinal's node key, a headless Service, a StatefulSet), named
//! so that `kubectl apply -f DIR` creates them in dependency order.
//!
//! Invariants:
//! - Keys, peer ids, the genesis authorities and the funded accounts come from
//!   [`crate::setup`], and the bootnode graph is `up`'s ([`crate::setup::topology`]): one seed
//!   names the same network on a laptop and in a cluster (so `load` signs with the same
//!   accounts). Each bootnode is addressed by its pod's stable DNS name ([`node::pod_host`]).
//! - Pod `rumor-<i>` runs `/etc/rumor/rumor-<i>.toml` (chosen by `$(POD_NAME)`) and the key of
//!   ordinal `i`; ordinals `0..producers` hold the authority keys and produce.
//! - Rendering is deterministic given the options (genesis time included): re-rendering with
//!   the same flags and `--genesis-time-ms` gives byte-identical files.
//!
//! Bounds: ConfigMap and Secret data are each at most [`MAX_OBJECT_DATA`] bytes (the API
//! server's limit for both, 1 MiB): checked here so an oversized network fails at render
//! time, not at `kubectl apply`. Measured: a node config is ~1.8 KB of TOML and the genesis
//! ~110 bytes per funded account, so a ConfigMap holds about 560 ordinals with the default 256
//! accounts. Above [`CLIENT_SIDE_APPLY_MAX`] (about 120 ordinals) the render warns that
//! client-side `kubectl apply` cannot take it.

pub mod node;
pub mod objects;
mod options;

pub use options::K8sOptions;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result, io};
use crate::setup::plan::{GenesisParams, genesis};
use crate::setup::{keys, topology};
use rumor_report::fsutil;

/// The API server refuses a ConfigMap or Secret whose data exceeds 1 MiB.
pub const MAX_OBJECT_DATA: usize = 1024 * 1024;
/// `kubectl apply` (client-side) stores the whole object in an annotation, and annotations
/// are limited to 256 KiB: above this, `kubectl apply --server-side` is needed.
pub const CLIENT_SIDE_APPLY_MAX: usize = 256 * 1024;

/// The rendered objects, in apply order.
#[derive(Debug, Clone)]
pub struct Manifests {
    /// File name → object.
    pub objects: Vec<(String, Value)>,
    /// First 8 hex of the genesis hash (the gossip topics' network).
    pub network: String,
    /// Ordinal `i`'s libp2p peer id.
    pub peer_ids: Vec<String>,
    /// Things the user must know to apply them (e.g. server-side apply for a large ConfigMap).
    pub warnings: Vec<String>,
}

/// The files [`Manifests::write`] creates, in apply order.
pub const FILES: [&str; 5] = [
    "00-namespace.yaml",
    "10-configmap.yaml",
    "20-secret.yaml",
    "30-service.yaml",
    "40-statefulset.yaml",
];

fn data_size(data: &Map<String, Value>) -> usize {
    data.iter()
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum()
}

fn within_limit(what: &str, data: &Map<String, Value>, nodes: usize) -> Result<()> {
    let size = data_size(data);
    if size > MAX_OBJECT_DATA {
        return Err(Error::Invalid(format!(
            "the {what} for {nodes} nodes would hold {size} bytes, over Kubernetes' {MAX_OBJECT_DATA}-byte limit: \
             render fewer nodes (or fewer --funded-accounts) per network"
        )));
    }
    Ok(())
}

/// Builds every object.
pub fn render(opts: &K8sOptions) -> Result<Manifests> {
    options::check(opts)?;
    let n = opts.nodes;
    let genesis = genesis(
        &GenesisParams {
            seed: opts.seed,
            producers: opts.producers,
            accounts: opts.accounts,
            account_balance: opts.account_balance,
            chain_id: opts.chain_id,
            slot_ms: opts.slot_ms,
        },
        opts.genesis_time_ms,
    )?;
    let node_keys: Vec<_> = (0..n)
        .map(|i| keys::node_key(opts.seed, i, opts.producers))
        .collect();
    let peer_ids: Vec<String> = node_keys.iter().map(keys::peer_id).collect();
    let boot = topology::bootnodes(n, opts.seed);

    let mut config = Map::new();
    let genesis_json = serde_json::to_string_pretty(&genesis)
        .map_err(|e| Error::Invalid(format!("genesis: {e}")))?;
    config.insert(node::GENESIS_FILE.into(), json!(genesis_json));
    for (i, boots) in boot.iter().enumerate() {
        let bootnodes = boots
            .iter()
            .map(|&j| {
                node::dial_addr(
                    &node::pod_host(j, &opts.namespace, &opts.cluster_domain),
                    &peer_ids[j],
                )
            })
            .collect();
        let toml = node::config(i < opts.producers, bootnodes).to_toml()?;
        config.insert(node::config_file(i), json!(toml));
    }
    within_limit("ConfigMap", &config, n)?;

    let b64 = base64::engine::general_purpose::STANDARD;
    let secret: Map<String, Value> = node_keys
        .iter()
        .enumerate()
        .map(|(i, k)| (node::key_file(i), json!(b64.encode(k.to_file_json()))))
        .collect();
    within_limit("Secret", &secret, n)?;

    let spec = objects::Spec {
        namespace: opts.namespace.clone(),
        replicas: n,
        image: opts.image.clone(),
        storage: opts.storage.clone(),
        storage_class: opts.storage_class.clone(),
    };
    let config_map = objects::config_map(&opts.namespace, &config);
    let mut warnings = Vec::new();
    let cm_size = config_map.to_string().len();
    if cm_size > CLIENT_SIDE_APPLY_MAX {
        warnings.push(format!(
            "the ConfigMap is {} KiB, too large for client-side `kubectl apply` (its \
             last-applied annotation is limited to 256 KiB): use `kubectl apply --server-side -f DIR`",
            cm_size / 1024
        ));
    }
    let objects = FILES
        .iter()
        .map(|f| f.to_string())
        .zip([
            objects::namespace(&opts.namespace),
            config_map,
            objects::secret(&opts.namespace, &secret),
            objects::headless_service(&opts.namespace),
            objects::stateful_set(&spec),
        ])
        .collect();
    Ok(Manifests {
        objects,
        network: genesis.network_id(),
        peer_ids,
        warnings,
    })
}

impl Manifests {
    /// One YAML document per object, each with a comment saying what made it.
    pub fn yaml(&self) -> Result<Vec<(String, String)>> {
        // serde_yaml_ng (the workspace's YAML crate, as for compose.yaml) writes multi-line
        // text (TOML, genesis) as literal blocks.
        self.objects
            .iter()
            .map(|(file, object)| {
                let body = serde_yaml_ng::to_string(object).map_err(|e| Error::Io {
                    path: file.into(),
                    source: std::io::Error::other(format!("writing YAML: {e}")),
                })?;
                Ok((
                    file.clone(),
                    format!(
                        "# Rendered by `rumor-testnet k8s render` (network {}); `kubectl apply -f` this directory.\n{body}",
                        self.network
                    ),
                ))
            })
            .collect()
    }

    /// Writes the files into `dir` (created if missing). Refuses a directory holding anything
    /// else: `kubectl apply -f DIR` would apply it too. Returns the paths written.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        fsutil::create_dir_all(dir)?;
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let name = entry.map_err(io(dir))?.file_name();
            let name = name.to_string_lossy();
            if !FILES.contains(&name.as_ref()) {
                return Err(Error::Invalid(format!(
                    "--out {}: holds `{name}`, which `kubectl apply -f` would apply too; \
                     use a new or empty directory",
                    dir.display()
                )));
            }
        }
        let mut written = Vec::new();
        for (file, text) in self.yaml()? {
            let path = dir.join(&file);
            std::fs::write(&path, text).map_err(io(&path))?;
            written.push(path);
        }
        Ok(written)
    }
}

/// What `k8s render` prints.
pub fn describe(opts: &K8sOptions, m: &Manifests, dir: &Path) -> String {
    let mut s = format!(
        "Rendered {} nodes ({} producing) of network {} into {} (namespace {}, image {}):\n",
        opts.nodes,
        opts.producers,
        m.network,
        dir.display(),
        opts.namespace,
        opts.image
    );
    for (file, object) in &m.objects {
        s.push_str(&format!(
            "  {file}: {} {}\n",
            object["kind"].as_str().unwrap_or("?"),
            object["metadata"]["name"].as_str().unwrap_or("?")
        ));
    }
    for w in &m.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s.push_str(&format!(
        "Apply with `kubectl apply -f {}`; pods are {}-0 … {}-{} in namespace {}.\n",
        dir.display(),
        node::APP,
        node::APP,
        opts.nodes - 1,
        opts.namespace
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(nodes: usize) -> K8sOptions {
        K8sOptions {
            nodes,
            producers: nodes.min(4),
            seed: 3,
            slot_ms: 1000,
            chain_id: 1,
            accounts: 8,
            account_balance: 1_000_000,
            genesis_time_ms: 1,
            image: "rumor:latest".into(),
            namespace: "rumor".into(),
            cluster_domain: "cluster.local".into(),
            storage: "1Gi".into(),
            storage_class: None,
        }
    }

    #[test]
    fn the_seed_names_the_same_network_as_up() {
        let mut up = crate::setup::plan::tests::opts(6, crate::setup::RegionsOpt::None);
        up.seed = 3;
        up.producers = 4;
        let (manifest, g) = crate::setup::plan(&up, Path::new("/tmp/x")).unwrap();
        let m = render(&opts(6)).unwrap();
        let planned: Vec<String> = manifest.nodes.iter().map(|n| n.peer_id.clone()).collect();
        assert_eq!(m.peer_ids, planned);
        let cm = &m.objects[1].1;
        let genesis: rumor_chain::Genesis =
            serde_json::from_str(cm["data"][node::GENESIS_FILE].as_str().unwrap()).unwrap();
        assert_eq!(genesis.authorities, g.authorities);
    }

    #[test]
    fn size_limits_are_checked_when_rendering() {
        assert!(render(&opts(10)).unwrap().warnings.is_empty());
        let big = render(&opts(200)).unwrap();
        assert!(
            big.warnings[0].contains("--server-side"),
            "{:?}",
            big.warnings
        );
        let e = render(&opts(1000)).unwrap_err().to_string();
        assert!(e.contains("ConfigMap") && e.contains("1048576"), "{e}");
    }

    #[test]
    fn bad_options_are_refused() {
        for (o, flag) in [
            (
                K8sOptions {
                    producers: 7,
                    ..opts(6)
                },
                "--producers",
            ),
            (
                K8sOptions {
                    namespace: "A".into(),
                    ..opts(6)
                },
                "--namespace",
            ),
            (
                K8sOptions {
                    storage: "lots".into(),
                    ..opts(6)
                },
                "--storage",
            ),
            (
                K8sOptions {
                    image: "".into(),
                    ..opts(6)
                },
                "--image",
            ),
            (
                K8sOptions {
                    nodes: 0,
                    ..opts(6)
                },
                "--nodes",
            ),
        ] {
            let e = render(&o).unwrap_err().to_string();
            assert!(e.contains(flag), "{e}");
        }
    }
}
