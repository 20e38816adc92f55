//! What `up` will create, computed before anything touches the disk.

use std::path::{Path, PathBuf};

use rumor_chain::{Address, Genesis};

use crate::error::{Error, Result, io};
use crate::setup::manifest::{Emulation, Manifest, NodeEntry};
use crate::setup::{keys, ports, regions::RegionsOpt, topology};
use crate::util::timefmt;

#[derive(Debug, Clone)]
pub struct UpOptions {
    pub dir: PathBuf,
    pub rumor: PathBuf,
    pub nodes: usize,
    pub producers: usize,
    pub seed: u64,
    pub slot_ms: u64,
    pub chain_id: u64,
    /// Genesis-funded accounts (the pool `load` draws senders from).
    pub accounts: usize,
    pub account_balance: u64,
    pub regions: RegionsOpt,
    pub jitter_ms: u64,
    /// Per-connection, per-direction link capacity under emulation (bytes/s).
    pub bandwidth_bytes_per_sec: Option<u64>,
    /// How long to wait for RPC readiness and then for every node to have a mesh.
    pub ready_timeout: std::time::Duration,
    /// What benchmarks change about the nodes; `Default` is what `up` and `run` start.
    pub overrides: NodeOverrides,
    /// Run every node inside this process ([`crate::process::inproc`]) instead of one `rumor` process
    /// each.
    pub in_process: bool,
    /// `--prometheus`: a Prometheus server scraping every node ([`crate::prometheus`]).
    pub prometheus: Option<crate::prometheus::PrometheusOptions>,
    /// `--backend compose`: every node in a container ([`crate::backend::container`]).
    pub compose: Option<crate::backend::container::ComposeOptions>,
}

/// Hooks for benchmarks: a fixed topology and the node config every node starts from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeOverrides {
    /// Bootnodes per node (earlier indices only, since nodes start in order) instead of the
    /// seeded random choice, e.g. a line `[[], [0], [1]]`.
    pub bootnodes: Option<Vec<Vec<usize>>>,
    /// Every node's config starts from this one (limits, threads, flooding); the testnet sets
    /// the per-node fields (paths, addresses, bootnodes, producer) and writes it to the node's
    /// `node.toml`. `Default` is the node's own defaults.
    pub config: rumor_api::NodeConfig,
    /// Keep the genesis authorities but start no node with `--producer`, so nothing drains
    /// the pools (ingest and relay benchmarks).
    pub no_producers: bool,
    /// When start-up is done (`Peers` for `--flood-all`, which forms no mesh).
    pub readiness: crate::observe::ready::Readiness,
    /// `--skew`: nodes started with their clock shifted ([`crate::setup::skew`]).
    pub skew: Vec<crate::setup::skew::Skew>,
}

impl UpOptions {
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Invalid(m));
        if self.nodes == 0 {
            return bad("--nodes must be at least 1".into());
        }
        if self.producers == 0 || self.producers > self.nodes {
            return bad(format!(
                "--producers must be between 1 and --nodes ({}), got {}",
                self.nodes, self.producers
            ));
        }
        if self.in_process && self.compose.is_some() {
            return bad("--in-process and --backend compose are two different backends".into());
        }
        if self.slot_ms == 0 {
            return bad("--slot-ms must be positive".into());
        }
        if let Some(p) = &self.prometheus
            && p.scrape_interval < std::time::Duration::from_millis(100)
        {
            return bad("--scrape-interval must be at least 100ms".into());
        }
        if self.accounts == 0 {
            return bad("--accounts must be at least 1".into());
        }
        if (self.account_balance as u128) * (self.accounts as u128) > u64::MAX as u128 {
            return bad("--accounts × balance exceeds the u64 supply".into());
        }
        crate::setup::skew::validate(&self.overrides.skew, self.nodes).map_err(Error::Invalid)?;
        if let Some(b) = &self.overrides.bootnodes {
            let ok = b.len() == self.nodes
                && b.iter().enumerate().all(|(i, l)| l.iter().all(|&j| j < i));
            if !ok {
                return bad(format!(
                    "topology override must list, for each of the {} nodes, earlier nodes only: {b:?}",
                    self.nodes
                ));
            }
        }
        Ok(())
    }
}

/// Where the nodes listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// Each node its own loopback address ([`node_ip`]), ports picked free on this machine.
    Loopback,
    /// Containers on a network whose subnet starts here: each node its own address, the same
    /// fixed ports in every container.
    Subnet(std::net::Ipv4Addr),
}

/// Builds the manifest (pids empty) and genesis. `dir` must be absolute.
pub fn plan(opts: &UpOptions, dir: &Path) -> Result<(Manifest, Genesis)> {
    plan_at(opts, dir, Addressing::Loopback)
}

/// [`plan`] with the nodes at `addressing`.
pub fn plan_at(
    opts: &UpOptions,
    dir: &Path,
    addressing: Addressing,
) -> Result<(Manifest, Genesis)> {
    opts.validate()?;
    let n = opts.nodes;
    let node_keys: Vec<_> = (0..n)
        .map(|i| keys::node_key(opts.seed, i, opts.producers))
        .collect();
    let peer_ids: Vec<String> = node_keys.iter().map(keys::peer_id).collect();
    // Genesis now: slot 1 starts one slot later, by which time most nodes are up; blocks made
    // before the mesh forms are outside the measurement window anyway.
    let genesis = genesis(
        &GenesisParams {
            seed: opts.seed,
            producers: opts.producers,
            accounts: opts.accounts,
            account_balance: opts.account_balance,
            chain_id: opts.chain_id,
            slot_ms: opts.slot_ms,
        },
        timefmt::now_ms(),
    )?;

    let emulation = opts.regions.matrix()?;
    let regions: Option<Vec<String>> = emulation.as_ref().map(|(m, _, _)| m.assign(n, opts.seed));
    let boot = match &opts.overrides.bootnodes {
        Some(b) => b.clone(),
        None => topology::bootnodes(n, opts.seed),
    };
    let ports = match addressing {
        Addressing::Loopback => ports::free_ports(3 * n).map_err(io("127.0.0.1:0"))?,
        Addressing::Subnet(_) => Vec::new(),
    };
    use crate::backend::container::compose::{METRICS_PORT, P2P_PORT, RPC_PORT};
    let addrs = |i: usize| -> (String, std::net::SocketAddr, std::net::SocketAddr) {
        match addressing {
            Addressing::Loopback => (
                format!("/ip4/{}/tcp/{}", node_ip(i), ports[3 * i]),
                ([127, 0, 0, 1], ports[3 * i + 1]).into(),
                ([127, 0, 0, 1], ports[3 * i + 2]).into(),
            ),
            Addressing::Subnet(base) => {
                let ip = crate::backend::container::compose::node_ip(base, i);
                (
                    format!("/ip4/{ip}/tcp/{P2P_PORT}"),
                    (ip, RPC_PORT).into(),
                    (ip, METRICS_PORT).into(),
                )
            }
        }
    };

    let nodes = (0..n)
        .map(|i| {
            let data_dir = dir.join(format!("node-{i}"));
            let (p2p, rpc, metrics) = addrs(i);
            NodeEntry {
                index: i,
                key_file: rumor_api::DataDir::new(&data_dir).node_key(),
                link_file: regions
                    .as_ref()
                    .map(|_| rumor_api::DataDir::new(&data_dir).link()),
                data_dir,
                peer_id: peer_ids[i].clone(),
                address: node_keys[i].address(),
                producer: i < opts.producers && !opts.overrides.no_producers,
                pid: None,
                p2p,
                rpc,
                metrics,
                region: regions.as_ref().map(|r| r[i].clone()),
                bootnodes: boot[i].clone(),
                clock_offset_ms: crate::setup::skew::offset_of(&opts.overrides.skew, i),
            }
        })
        .collect();

    let manifest = Manifest {
        version: 1,
        dir: dir.to_path_buf(),
        rumor: opts.rumor.clone(),
        seed: opts.seed,
        chain_id: opts.chain_id,
        slot_ms: opts.slot_ms,
        genesis_time_ms: genesis.genesis_time_ms,
        network: genesis.network_id(),
        genesis: dir.join("genesis.json"),
        accounts: opts.accounts,
        account_balance: opts.account_balance,
        emulation: emulation.map(|(matrix, source, _)| Emulation {
            source,
            matrix,
            jitter_ms: opts.jitter_ms,
            bandwidth_bytes_per_sec: opts.bandwidth_bytes_per_sec,
        }),
        ready_at_us: None,
        in_process: opts.in_process,
        host_pid: None,
        host_rss_before_kib: None,
        host_heap_before: None,
        prometheus: None,
        attached: false,
        compose: None,
        nodes,
    };
    Ok((manifest, genesis))
}

/// What fixes a seeded testnet's genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenesisParams {
    pub seed: u64,
    pub producers: usize,
    pub accounts: usize,
    pub account_balance: u64,
    pub chain_id: u64,
    pub slot_ms: u64,
}

/// The genesis of a seeded testnet: the first `producers` node keys ([`keys::node_key`]) are
/// the authorities, the seed's first `accounts` account keys are funded. `up` and
/// `k8s render` both build it here, so one seed names the same authorities and accounts.
pub fn genesis(p: &GenesisParams, genesis_time_ms: u64) -> Result<Genesis> {
    let authorities: Vec<Address> = (0..p.producers)
        .map(|i| keys::node_key(p.seed, i, p.producers).address())
        .collect();
    let accounts: Vec<Address> = (0..p.accounts)
        .map(|j| keys::account_key(p.seed, j).address())
        .collect();
    let genesis = Genesis::new(
        p.chain_id,
        genesis_time_ms,
        p.slot_ms,
        authorities,
        &accounts,
        p.account_balance,
    );
    genesis.validate()?;
    Ok(genesis)
}

/// Node `i`'s own loopback address, 127.a.b.1 with a.b = i + 1 (Linux routes all of
/// 127.0.0.0/8 to loopback): each node is its own host and its own /24, as on a real network,
/// so the nodes' per-IP and per-subnet connection limits apply between them as they would
/// between machines. The nodes dial from it (`rumor_p2p::transport`). RPC and metrics stay
/// on 127.0.0.1. Up to 65 534 nodes; 127.254.0.0/16 and above are left for tools (the attack
/// harness's hostile host).
pub fn node_ip(i: usize) -> std::net::Ipv4Addr {
    let n = (i + 1) as u16;
    std::net::Ipv4Addr::new(127, (n >> 8) as u8, (n & 0xff) as u8, 1)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn every_node_is_its_own_host_and_subnet() {
        assert_eq!(node_ip(0).to_string(), "127.0.1.1");
        assert_eq!(node_ip(254).to_string(), "127.0.255.1");
        assert_eq!(node_ip(255).to_string(), "127.1.0.1");
        let subnets: std::collections::HashSet<[u8; 3]> = (0..2000)
            .map(|i| {
                let o = node_ip(i).octets();
                assert!(node_ip(i).is_loopback());
                [o[0], o[1], o[2]]
            })
            .collect();
        assert_eq!(subnets.len(), 2000);
    }

    pub(crate) fn opts(nodes: usize, regions: RegionsOpt) -> UpOptions {
        UpOptions {
            dir: "/tmp/x".into(),
            rumor: "/bin/true".into(),
            nodes,
            producers: 2,
            seed: 3,
            slot_ms: 1000,
            chain_id: 1,
            accounts: 8,
            account_balance: 1_000_000,
            regions,
            jitter_ms: 0,
            bandwidth_bytes_per_sec: None,
            ready_timeout: std::time::Duration::from_secs(1),
            overrides: NodeOverrides::default(),
            in_process: false,
            prometheus: None,
            compose: None,
        }
    }

    #[test]
    fn plan_is_deterministic_except_ports() {
        let o = opts(6, RegionsOpt::Builtin);
        let (a, ga) = plan(&o, Path::new("/tmp/x")).unwrap();
        let (b, _) = plan(&o, Path::new("/tmp/x")).unwrap();
        assert_eq!(a.nodes.len(), 6);
        for (x, y) in a.nodes.iter().zip(&b.nodes) {
            assert_eq!(x.peer_id, y.peer_id);
            assert_eq!(x.region, y.region);
            assert_eq!(x.bootnodes, y.bootnodes);
        }
        assert_eq!(ga.authorities.len(), 2);
        assert_eq!(ga.authorities[0], a.nodes[0].address);
        assert!(a.nodes[1].producer && !a.nodes[2].producer);
        assert!(a.emulation.is_some() && a.nodes[0].link_file.is_some());
        assert_eq!(a.network.len(), 8);
    }

    #[test]
    fn overrides_fix_the_topology_and_silence_producers() {
        let mut o = opts(3, RegionsOpt::None);
        o.overrides = NodeOverrides {
            bootnodes: Some(vec![vec![], vec![0], vec![1]]),
            no_producers: true,
            ..Default::default()
        };
        let (m, g) = plan(&o, Path::new("/tmp/x")).unwrap();
        let boots: Vec<_> = m.nodes.iter().map(|n| n.bootnodes.clone()).collect();
        assert_eq!(boots, vec![vec![], vec![0], vec![1]]);
        assert!(m.nodes.iter().all(|n| !n.producer));
        assert_eq!(g.authorities.len(), 2, "authorities stay in genesis");
        o.overrides.bootnodes = Some(vec![vec![], vec![2], vec![1]]);
        assert!(matches!(o.validate(), Err(Error::Invalid(_))));
    }

    #[test]
    fn a_skewed_node_gets_its_clock_offset_in_its_config() {
        let mut o = opts(3, RegionsOpt::None);
        o.overrides.skew = vec!["1:-1500".parse().unwrap()];
        let (m, _) = plan(&o, Path::new("/tmp/x")).unwrap();
        let offsets: Vec<i64> = m.nodes.iter().map(|n| n.clock_offset_ms).collect();
        assert_eq!(offsets, vec![0, -1500, 0]);
        let template = rumor_api::NodeConfig::default();
        assert_eq!(m.nodes[1].config(&m, &template).clock_offset_ms, -1500);
        assert_eq!(m.nodes[0].config(&m, &template).clock_offset_ms, 0);
        o.overrides.skew = vec!["3:+1".parse().unwrap()];
        assert!(matches!(o.validate(), Err(Error::Invalid(_))));
    }

    #[test]
    fn options_are_checked() {
        let mut o = opts(2, RegionsOpt::None);
        o.producers = 3;
        assert!(matches!(o.validate(), Err(Error::Invalid(_))));
        o.producers = 0;
        assert!(o.validate().is_err());
    }
}
