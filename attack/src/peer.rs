//! The hostile peer's swarm: Rumor's transport (TCP + Noise + Yamux), gossipsub configured as
//! the nodes configure it where it must match (anonymous, content-addressed ids, the same
//! topics) and unlike them where an attacker would differ (it validates nothing, floods its
//! own publishes to every subscriber, and publishes up to 4 MiB), identify, and the nodes'
//! own peer-exchange and sync codecs. Every identity is on one host, [`HOST`].

use std::time::Duration;

use libp2p::Transport as _;
use libp2p::core::upgrade::Version;
use libp2p::gossipsub::{self, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{Swarm, identify, identity, noise, tcp, yamux};
use rumor_p2p::transport::BoundTcp;
use rumor_p2p::wire::{IDENTIFY_PROTOCOL, PX_PROTOCOL, PxCodec, SYNC_PROTOCOL, SyncCodec};
use rumor_p2p::{Topic, message_id};

use crate::error::AttackError;

/// The largest message the attacker publishes (over every topic cap the nodes set).
pub const MAX_PUBLISH: usize = 4 * 1024 * 1024;

#[derive(NetworkBehaviour)]
pub struct Hostile {
    pub gossipsub: gossipsub::Behaviour,
    pub identify: identify::Behaviour,
    pub px: request_response::Behaviour<PxCodec>,
    pub sync: request_response::Behaviour<SyncCodec>,
}

impl std::fmt::Debug for Hostile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hostile")
    }
}

fn setup(e: impl std::fmt::Display) -> AttackError {
    AttackError::Setup(e.to_string())
}

/// The hostile host: every identity listens on, and dials from, this loopback address, so
/// the nodes see one host however many peer ids it mints (the testnet's nodes are on
/// 127.0.0.0/16 and up; see `rumor-testnet`'s `node_ip`).
pub const HOST: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 254, 0, 1);

/// Builds the swarm and subscribes to both of `network`'s topics. A `sink` takes every
/// message and forwards none (it never validates them, so gossipsub never passes them on).
pub fn build(
    key: identity::Keypair,
    network: &str,
    sink: bool,
) -> Result<Swarm<Hostile>, AttackError> {
    let mut gs = gossipsub::ConfigBuilder::default();
    if sink {
        gs.validate_messages();
    }
    let gs_config = gs
        .validation_mode(ValidationMode::Anonymous)
        .message_id_fn(|m: &gossipsub::Message| MessageId::new(&message_id(&m.data)))
        .flood_publish(true)
        // Forget at once what it has seen, so it can publish again any block it once
        // received (the replay attack) instead of being refused as a duplicate.
        .duplicate_cache_time(Duration::from_millis(1))
        .max_transmit_size(MAX_PUBLISH + 64 * 1024)
        .heartbeat_interval(Duration::from_millis(700))
        .build()
        .map_err(setup)?;
    let mut gossipsub =
        gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, gs_config).map_err(setup)?;
    for t in Topic::ALL {
        gossipsub
            .subscribe(&gossipsub::IdentTopic::new(t.name(network)))
            .map_err(setup)?;
    }
    let rr = request_response::Config::default()
        .with_request_timeout(Duration::from_secs(10))
        .with_max_concurrent_streams(256);
    let behaviour = Hostile {
        gossipsub,
        identify: identify::Behaviour::new(identify::Config::new(
            IDENTIFY_PROTOCOL.into(),
            key.public(),
        )),
        px: request_response::Behaviour::new([(PX_PROTOCOL, ProtocolSupport::Full)], rr.clone()),
        sync: request_response::Behaviour::new([(SYNC_PROTOCOL, ProtocolSupport::Full)], rr),
    };
    Ok(libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_other_transport(|k| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
            Ok(BoundTcp::new(
                tcp::Config::default().nodelay(true),
                Some(std::net::IpAddr::V4(HOST)),
            )
            .upgrade(Version::V1Lazy)
            .authenticate(noise::Config::new(k)?)
            .multiplex(yamux::Config::default()))
        })
        .map_err(setup)?
        .with_behaviour(|_| behaviour)
        .map_err(setup)?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build())
}

/// Where every identity listens: [`HOST`], any port.
pub fn listen_addr() -> libp2p::Multiaddr {
    libp2p::Multiaddr::empty()
        .with(libp2p::multiaddr::Protocol::Ip4(HOST))
        .with(libp2p::multiaddr::Protocol::Tcp(0))
}
