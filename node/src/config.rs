//! Node configuration: `rumor_api::NodeConfig` (a TOML file and/or flags; flags win), turned
//! into the configs of the libraries that enforce each bound.
//!
//! Invariant: the `[net]` defaults written in `rumor-api` equal `rumor-p2p`'s own (a test below
//! compares them; p2p does not depend on the api crate). The pool builds its defaults from
//! `rumor_api::PoolLimits` itself.

use std::time::Duration;

use rumor_api::ConfigFileError;
pub use rumor_api::config::{LogFormat, NetLimits, NodeConfig, PoolLimits, RpcLimits};

/// Why a configuration cannot be used. Each message names the file or flag at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    File(#[from] ConfigFileError),
    #[error("{flag} {value:?}: {reason}")]
    Invalid {
        flag: &'static str,
        value: String,
        reason: String,
    },
}

/// Checks the `[chain]` settings the chain crate does not: the clock bounds' order, and room
/// for one held block and one clock sample.
pub fn check_chain(config: &NodeConfig) -> Result<(), ConfigError> {
    let c = &config.chain;
    let invalid = |flag, value: String, reason: String| ConfigError::Invalid {
        flag,
        value,
        reason,
    };
    crate::services::clock::Tolerance::new(c).map_err(|e| {
        invalid(
            "[chain] max_future_ms/hold_future_ms/reject_future_ms",
            format!(
                "{}/{}/{}",
                c.max_future_ms, c.hold_future_ms, c.reject_future_ms
            ),
            e.to_string(),
        )
    })?;
    if c.clock_samples == 0 {
        return Err(invalid(
            "[chain] clock_samples",
            "0".into(),
            "the clock estimate needs at least one sample".into(),
        ));
    }
    Ok(())
}

/// Parses the multiaddrs and builds the network config.
pub fn network_config(
    config: &NodeConfig,
    limits: rumor_chain::Limits,
) -> Result<rumor_p2p::NetworkConfig, ConfigError> {
    let parse = |flag: &'static str, s: &String| {
        s.parse::<rumor_p2p::Multiaddr>()
            .map_err(|e| ConfigError::Invalid {
                flag,
                value: s.clone(),
                reason: e.to_string(),
            })
    };
    let mut c = rumor_p2p::NetworkConfig {
        listen: config
            .listen
            .iter()
            .map(|s| parse("--listen", s))
            .collect::<Result<_, _>>()?,
        bootnodes: config
            .bootnodes
            .iter()
            .map(|s| parse("--bootnode", s))
            .collect::<Result<_, _>>()?,
        limits,
        seen_cache: config.net.seen_cache,
        publish_queue: config.net.publish_queue,
        event_channel: config.net.event_channel,
        clock: rumor_chain::clock::Clock::with_offset_ms(config.clock_offset_ms),
        ..rumor_p2p::NetworkConfig::default()
    };
    c.peers.low = config.net.peers_low;
    c.peers.high = config.net.peers_high.max(config.net.peers_low);
    c.peers.outbound_reserved = config.net.outbound_reserved.min(c.peers.low as u32);
    c.peers.max_established = (c.peers.high + 8) as u32 + c.peers.outbound_reserved;
    c.peers.outbound_per_subnet = config.net.outbound_per_subnet.max(1);
    c.peers.inbound = rumor_p2p::inbound::SourceLimits {
        per_ip: config.net.inbound_per_ip.max(1),
        per_subnet: config.net.inbound_per_subnet.max(1),
        on_loopback: config.net.ip_limits_on_loopback,
    };
    c.gossip.mesh_n = config.net.mesh_n;
    c.gossip.mesh_n_low = config.net.mesh_n_low;
    c.gossip.mesh_n_high = config.net.mesh_n_high;
    c.gossip.mesh_outbound_min = (config.net.mesh_n_low / 2)
        .min(config.net.mesh_n / 2)
        .min(2);
    c.gossip.heartbeat = Duration::from_millis(config.net.heartbeat_ms.max(50));
    c.gossip.flood_all = config.net.flood_all;
    c.gossip.idontwant_threshold = config.net.idontwant_threshold;
    c.gossip.lazy_push = config.net.lazy_push.then(|| rumor_p2p::LazyPush {
        eager_peers: config.net.lazy_eager_peers.max(1),
        lazy_wait: Duration::from_millis(config.net.lazy_wait_ms.max(1)),
        announce_interval: Duration::from_millis(config.net.lazy_announce_ms.max(1)),
        ..rumor_p2p::LazyPush::default()
    });
    c.txsync.max_inbound = config.net.txsync_max_inbound.max(1);
    c.txsync.peer_burst = config.net.txsync_peer_burst.max(1);
    c.txsync.peer_per_sec = config.net.txsync_peer_per_sec;
    c.quotas = quotas(&config.net);
    c.address_book.allow_private = config.net.allow_private_addrs;
    c.liveness.interval = Duration::from_millis(config.net.ping_interval_ms.max(100));
    c.liveness.timeout = Duration::from_millis(config.net.ping_timeout_ms.max(100));
    if config.fault_control {
        // Every connection is wrapped so `fault_setLinkFault` can reach it (two atomic loads
        // per read or write while no fault is set; see `rumor_link`).
        c.link_faults = Some(rumor_p2p::LinkFaults::new());
    }
    if let Some(path) = &config.link {
        let link = rumor_p2p::LinkEmulation::load(path).map_err(|e| ConfigError::Invalid {
            flag: "--link",
            value: path.display().to_string(),
            reason: e.to_string(),
        })?;
        // Queued forwards legitimately wait a WAN round trip; don't let gossipsub drop them.
        c.gossip.forward_queue_duration = Duration::from_secs(5);
        c.link = Some(link);
    }
    Ok(c)
}

fn quotas(net: &NetLimits) -> rumor_p2p::RequestQuotas {
    rumor_p2p::RequestQuotas {
        status_burst: net.status_peer_burst,
        status_per_sec: f64::from(net.status_peer_per_min) / 60.0,
        sync_burst: net.sync_peer_burst,
        sync_per_sec: f64::from(net.sync_peer_per_sec),
        px_burst: net.px_peer_burst,
        px_per_sec: f64::from(net.px_peer_per_sec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_net_defaults_equal_the_p2p_defaults() {
        let n = rumor_p2p::NetworkConfig::default();
        let net = NetLimits::default();
        assert_eq!((net.peers_low, net.peers_high), (n.peers.low, n.peers.high));
        assert_eq!(
            (net.mesh_n, net.mesh_n_low, net.mesh_n_high),
            (n.gossip.mesh_n, n.gossip.mesh_n_low, n.gossip.mesh_n_high)
        );
        assert_eq!(net.heartbeat_ms, n.gossip.heartbeat.as_millis() as u64);
        assert_eq!(
            (net.seen_cache, net.publish_queue, net.event_channel),
            (n.seen_cache, n.publish_queue, n.event_channel)
        );
        assert_eq!(net.idontwant_threshold, n.gossip.idontwant_threshold);
        let lazy = n.gossip.lazy_push.expect("lazy push on by default");
        assert!(net.lazy_push);
        assert_eq!(
            (net.lazy_eager_peers, net.lazy_wait_ms, net.lazy_announce_ms),
            (
                lazy.eager_peers,
                lazy.lazy_wait.as_millis() as u64,
                lazy.announce_interval.as_millis() as u64
            )
        );
        assert_eq!(net.flood_all, n.gossip.flood_all);
        assert_eq!(quotas(&net), n.quotas);
        assert_eq!(net.allow_private_addrs, n.address_book.allow_private);
        assert_eq!(
            (net.ping_interval_ms, net.ping_timeout_ms),
            (
                n.liveness.interval.as_millis() as u64,
                n.liveness.timeout.as_millis() as u64
            )
        );
        assert_eq!(
            (
                net.outbound_reserved,
                net.outbound_per_subnet,
                net.inbound_per_ip,
                net.inbound_per_subnet,
                net.ip_limits_on_loopback
            ),
            (
                n.peers.outbound_reserved,
                n.peers.outbound_per_subnet,
                n.peers.inbound.per_ip,
                n.peers.inbound.per_subnet,
                n.peers.inbound.on_loopback
            )
        );
        assert_eq!(
            (
                net.txsync_max_inbound,
                net.txsync_peer_burst,
                net.txsync_peer_per_sec
            ),
            (
                n.txsync.max_inbound,
                n.txsync.peer_burst,
                n.txsync.peer_per_sec
            )
        );
    }

    #[test]
    fn clock_bounds_out_of_order_name_the_keys() {
        assert!(check_chain(&NodeConfig::default()).is_ok());
        let mut c = NodeConfig::default();
        c.chain.hold_future_ms = 100;
        let e = check_chain(&c).unwrap_err().to_string();
        assert!(e.starts_with("[chain] max_future_ms/hold_future_ms"), "{e}");
        let mut c = NodeConfig::default();
        c.chain.clock_samples = 0;
        assert!(check_chain(&c).is_err());
    }

    #[test]
    fn bad_multiaddr_names_the_flag() {
        let c = NodeConfig {
            bootnodes: vec!["not-an-addr".into()],
            ..NodeConfig::default()
        };
        let e = network_config(&c, Default::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--bootnode"), "{e}");
    }
}
