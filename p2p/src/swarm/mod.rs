//! Building the swarm: TCP + Noise + Yamux (optionally through link emulation) behind libp2p's
//! DNS transport, identify, gossipsub, peer exchange, block sync, mempool sync, connection
//! limits and libp2p metrics.
//!
//! DNS: `/dns4/<host>/tcp/<port>`, `/dns6/…` and `/dns/…` addresses are resolved by libp2p's
//! tokio DNS transport (hickory, asynchronous, with the system's resolver configuration) at
//! every dial, not once at start-up: a Kubernetes pod keeps its name when it restarts with
//! another IP, and a name that does not resolve yet (a pod still being scheduled) resolves on
//! the address book's next retry. Cost: one hickory resolver per swarm, ~39 KiB resident
//! (measured over 1 000 of them; it matters only to in-process testnets), and no query unless
//! a name is dialed.

pub(crate) mod behaviour;
pub mod transport;

use std::time::Duration;

use libp2p::core::{ConnectedPoint, Transport as _, upgrade::Version};
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{PeerId, Swarm, connection_limits, identify, identity, noise, tcp, yamux};
use prometheus_client::registry::Registry;

use crate::config::NetworkConfig;
use crate::gossip;
use crate::handle::NetworkError;
use crate::metrics::P2pMetrics;
use crate::peering::inbound::InboundLimits;
use crate::protocol::{blocktxn, px, sync, txsync};
use crate::swarm::behaviour::Behaviour;
use crate::swarm::transport::{BoundTcp, dial_source, socket_addr};
use crate::topic::Topics;
use rumor_link::Delayed;

/// Identify protocol version: peers on other versions are still accepted, it is informational.
pub const IDENTIFY_PROTOCOL: &str = "/rumor/id/1";

fn behaviour(
    key: &identity::Keypair,
    config: &NetworkConfig,
    topics: &Topics,
    registry: &mut Registry,
    metrics: &P2pMetrics,
) -> Result<Behaviour, String> {
    let peers = &config.peers;
    let limits = connection_limits::ConnectionLimits::default()
        .with_max_established(Some(peers.max_established))
        .with_max_established_incoming(Some(
            peers
                .max_established
                .saturating_sub(peers.outbound_reserved)
                .max(1),
        ))
        .with_max_pending_incoming(Some(config.peers.max_pending))
        .with_max_pending_outgoing(Some(config.peers.max_pending))
        // Two, not one: a simultaneous dial in both directions must not kill both connections.
        .with_max_established_per_peer(Some(2));
    let rr_config = request_response::Config::default()
        .with_request_timeout(config.request_timeout)
        .with_max_concurrent_streams(64);
    Ok(Behaviour {
        cut: Default::default(),
        limits: connection_limits::Behaviour::new(limits),
        inbound: InboundLimits::new(peers.inbound, metrics.inbound_refused.clone()),
        gossipsub: gossip::behaviour(
            &config.gossip,
            topics,
            &config.limits,
            &peers.inbound,
            config.duplicates.as_ref(),
            registry,
        )?,
        identify: identify::Behaviour::new(
            identify::Config::new(IDENTIFY_PROTOCOL.into(), key.public())
                .with_agent_version(format!("rumor/{}", env!("CARGO_PKG_VERSION")))
                .with_push_listen_addr_updates(true),
        ),
        px: request_response::Behaviour::new(
            [(px::PROTOCOL, ProtocolSupport::Full)],
            rr_config.clone(),
        ),
        sync: request_response::Behaviour::new(
            [(sync::PROTOCOL, ProtocolSupport::Full)],
            rr_config.clone(),
        ),
        txsync: request_response::Behaviour::new(
            [(txsync::PROTOCOL, ProtocolSupport::Full)],
            rr_config.clone(),
        ),
        blocktxn: request_response::Behaviour::new(
            [(blocktxn::PROTOCOL, ProtocolSupport::Full)],
            rr_config,
        ),
        ping: libp2p::ping::Behaviour::new(config.liveness.ping()),
    })
}

/// Builds the swarm. Connections stay open while idle (peers are managed explicitly).
pub fn build(
    key: identity::Keypair,
    config: &NetworkConfig,
    topics: &Topics,
    registry: &mut Registry,
    metrics: &P2pMetrics,
) -> Result<Swarm<Behaviour>, NetworkError> {
    let b = behaviour(&key, config, topics, registry, metrics)
        .map_err(|e| NetworkError::Setup(e.to_string()))?;
    build_with(key, config, registry, b)
}

/// The swarm's settings: connections stay open while idle; with a meter, connection tasks
/// are spawned through it (see [`crate::meter`]) instead of by the plain tokio executor.
fn swarm_config(
    c: libp2p::swarm::Config,
    meter: Option<crate::Meter>,
    idle: Duration,
) -> libp2p::swarm::Config {
    let c = match meter {
        Some(m) => libp2p::swarm::Config::with_executor(m.executor()),
        None => c,
    };
    c.with_idle_connection_timeout(idle)
}

/// Builds a swarm for any behaviour over the node's own transport: TCP from the listen
/// address, Noise, Yamux, link emulation when `config.link` is set and link faults when
/// `config.link_faults` is, DNS names resolved at each dial, libp2p's bandwidth metrics. The benchmark's bare-gossipsub floor
/// uses it, so floor and node pay for the same transport.
pub fn build_with<B: NetworkBehaviour>(
    key: identity::Keypair,
    config: &NetworkConfig,
    registry: &mut Registry,
    b: B,
) -> Result<Swarm<B>, NetworkError> {
    let setup = |e: &dyn std::fmt::Display| NetworkError::Setup(e.to_string());
    let dns_setup = |e: &std::io::Error| {
        NetworkError::Setup(format!(
            "reading the system DNS resolver configuration (/etc/resolv.conf): {e}"
        ))
    };
    let idle = Duration::from_secs(24 * 3600);
    let source = dial_source(&config.listen);
    let tcp = move || BoundTcp::new(tcp::Config::default().nodelay(true), source);
    let meter = config.meter.clone();
    if config.link.is_none() && config.link_faults.is_none() {
        return Ok(libp2p::SwarmBuilder::with_existing_identity(key)
            .with_tokio()
            .with_other_transport(|k| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
                Ok(tcp()
                    .upgrade(Version::V1Lazy)
                    .authenticate(noise::Config::new(k)?)
                    .multiplex(yamux::Config::default()))
            })
            .map_err(|e| setup(&e))?
            .with_dns()
            .map_err(|e| dns_setup(&e))?
            .with_bandwidth_metrics(registry)
            .with_behaviour(|_| b)
            .map_err(|e| setup(&e))?
            .with_swarm_config(|c| swarm_config(c, meter, idle))
            .build());
    }
    let link = config.link.clone();
    let faults = config.link_faults.clone();
    let attach = faults.clone();
    // A WAN handshake takes several emulated round trips.
    let handshake = Duration::from_secs(if link.is_some() { 30 } else { 10 });
    let swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_other_transport(|k| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
            Ok(tcp()
                .and_then(
                    move |stream: tcp::tokio::TcpStream, endpoint: ConnectedPoint| {
                        futures::future::ready(wrap(
                            stream.0,
                            &endpoint,
                            link.as_ref(),
                            faults.as_ref(),
                        ))
                    },
                )
                .upgrade(Version::V1Lazy)
                .authenticate(noise::Config::new(k)?)
                .multiplex_ext(move |peer, endpoint| {
                    if let Some(f) = &attach {
                        attach_after_handshake(f, peer, endpoint);
                    }
                    yamux::Config::default()
                }))
        })
        .map_err(|e| setup(&e))?
        .with_dns()
        .map_err(|e| dns_setup(&e))?
        .with_bandwidth_metrics(registry)
        .with_behaviour(|_| b)
        .map_err(|e| setup(&e))?
        .with_swarm_config(|c| swarm_config(c, meter, idle))
        .with_connection_timeout(handshake)
        .build();
    Ok(swarm)
}

/// The peer a dial names (`/p2p/<id>`; the swarm appends it to every dial by peer id).
fn dialed_peer(endpoint: &ConnectedPoint) -> Option<PeerId> {
    match endpoint {
        ConnectedPoint::Dialer { address, .. } => address.iter().find_map(|p| match p {
            Protocol::P2p(id) => Some(id),
            _ => None,
        }),
        ConnectedPoint::Listener { .. } => None,
    }
}

/// Wraps a new TCP stream below the security upgrade. Only the dialer knows the remote peer
/// before the handshake, so it emulates both directions of the link's delays (see
/// `rumor_link`) and attaches its fault gate at once; a listener's gate learns its peer after
/// the handshake ([`attach_after_handshake`]).
fn wrap(
    stream: tokio::net::TcpStream,
    endpoint: &ConnectedPoint,
    link: Option<&rumor_link::LinkEmulation>,
    faults: Option<&rumor_link::LinkFaults>,
) -> std::io::Result<Delayed> {
    let peer = dialed_peer(endpoint).map(|p| p.to_string());
    let params = match (link, &peer) {
        (Some(link), Some(p)) => link.params_for(p),
        _ => Default::default(),
    };
    let gate = faults.map(|f| {
        f.gate(
            peer.as_deref(),
            stream.local_addr().ok(),
            stream.peer_addr().ok(),
        )
    });
    Delayed::with_gate(stream, params, gate)
}

/// After the handshake, a connection's gate learns whose it is: a listener's by its socket
/// addresses (which libp2p's TCP listener reports exactly), a dialer's that named no peer
/// by the address it dialed.
fn attach_after_handshake(
    faults: &rumor_link::LinkFaults,
    peer: &PeerId,
    endpoint: &ConnectedPoint,
) {
    let peer = peer.to_string();
    match endpoint {
        ConnectedPoint::Listener {
            local_addr,
            send_back_addr,
        } => {
            if let (Some(l), Some(r)) = (socket_addr(local_addr), socket_addr(send_back_addr)) {
                faults.attach(Some(l), r, &peer);
            }
        }
        ConnectedPoint::Dialer { address, .. } => {
            if dialed_peer(endpoint).is_none()
                && let Some(r) = socket_addr(address)
            {
                faults.attach(None, r, &peer);
            }
        }
    }
}
