//! Inbound connections per source: at most `per_ip` established inbound connections from one
//! IP address and `per_subnet` from one subnet (IPv4 /24, IPv6 /64), so one host minting peer
//! ids cannot fill our inbound slots (an eclipse). The slots it cannot take are the reserved
//! outbound ones (`connection_limits`' incoming cap, set from
//! [`crate::config::PeerTargets::outbound_reserved`]) and these per-source shares.
//!
//! Loopback sources are exempt unless `on_loopback`: a local process is the operator's own,
//! and many tools run whole clusters on 127.0.0.1. `rumor-testnet` gives every node its own
//! loopback address and turns the limits on.
//!
//! Invariant: the counts are exactly the established inbound connections from each source
//! (recorded on `ConnectionEstablished`, which fires only once every behaviour accepted the
//! connection, removed on `ConnectionClosed`). Bound: the maps hold at most one entry per
//! established inbound connection, which `connection_limits` caps.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::task::{Context, Poll};

use libp2p::core::transport::PortUse;
use libp2p::core::{ConnectedPoint, Endpoint};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::behaviour::ConnectionEstablished;
use libp2p::swarm::{
    ConnectionClosed, ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler,
    THandlerInEvent, THandlerOutEvent, ToSwarm, dummy,
};
use libp2p::{Multiaddr, PeerId};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

/// The per-source caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLimits {
    /// Established inbound connections from one IP address (4).
    pub per_ip: usize,
    /// Established inbound connections from one /24 (IPv4) or /64 (IPv6) (8).
    pub per_subnet: usize,
    /// Apply the caps to loopback sources too (false).
    pub on_loopback: bool,
}

impl Default for SourceLimits {
    fn default() -> Self {
        Self {
            per_ip: 4,
            per_subnet: 8,
            on_loopback: false,
        }
    }
}

/// Why an inbound connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("too many inbound connections from this IP address")]
    Ip,
    #[error("too many inbound connections from this subnet")]
    Subnet,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Ip => "ip",
            Refusal::Subnet => "subnet",
        }
    }
}

/// A subnet key: the first 3 bytes of an IPv4 address or 8 of an IPv6 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Subnet {
    V4([u8; 3]),
    V6([u8; 8]),
}

pub(crate) fn subnet(ip: IpAddr) -> Subnet {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Subnet::V4([o[0], o[1], o[2]])
        }
        IpAddr::V6(v6) => {
            let mut s = [0u8; 8];
            s.copy_from_slice(&v6.octets()[..8]);
            Subnet::V6(s)
        }
    }
}

/// The IP address a multiaddr starts with.
pub(crate) fn ip_of(addr: &Multiaddr) -> Option<IpAddr> {
    addr.iter().find_map(|p| match p {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    })
}

/// The counts and the decision, without a swarm.
#[derive(Debug, Default)]
pub(crate) struct SourceCounts {
    limits: SourceLimits,
    by_ip: HashMap<IpAddr, usize>,
    by_subnet: HashMap<Subnet, usize>,
    conns: HashMap<ConnectionId, IpAddr>,
}

impl SourceCounts {
    pub fn new(limits: SourceLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    fn exempt(&self, ip: IpAddr) -> bool {
        ip.is_loopback() && !self.limits.on_loopback
    }

    /// Whether one more inbound connection from `ip` fits.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        if self.exempt(ip) {
            return Ok(());
        }
        if self.by_ip.get(&ip).copied().unwrap_or(0) >= self.limits.per_ip {
            return Err(Refusal::Ip);
        }
        if self.by_subnet.get(&subnet(ip)).copied().unwrap_or(0) >= self.limits.per_subnet {
            return Err(Refusal::Subnet);
        }
        Ok(())
    }

    /// An inbound connection from `ip` is established.
    pub fn opened(&mut self, id: ConnectionId, ip: IpAddr) {
        if self.exempt(ip) || self.conns.insert(id, ip).is_some() {
            return;
        }
        *self.by_ip.entry(ip).or_default() += 1;
        *self.by_subnet.entry(subnet(ip)).or_default() += 1;
    }

    /// A connection closed (any direction; unknown ids are ignored).
    pub fn closed(&mut self, id: ConnectionId) {
        let Some(ip) = self.conns.remove(&id) else {
            return;
        };
        decrement(&mut self.by_ip, ip);
        decrement(&mut self.by_subnet, subnet(ip));
    }

    #[cfg(test)]
    pub fn count_from(&self, ip: IpAddr) -> usize {
        self.by_ip.get(&ip).copied().unwrap_or(0)
    }
}

fn decrement<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: K) {
    if let Some(n) = map.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            map.remove(&key);
        }
    }
}

/// The behaviour: refuses an established inbound connection over its source's share.
#[derive(Debug)]
pub struct InboundLimits {
    counts: SourceCounts,
    refused: Family<Vec<(&'static str, &'static str)>, Counter>,
}

impl InboundLimits {
    pub(crate) fn new(
        limits: SourceLimits,
        refused: Family<Vec<(&'static str, &'static str)>, Counter>,
    ) -> Self {
        Self {
            counts: SourceCounts::new(limits),
            refused,
        }
    }
}

impl NetworkBehaviour for InboundLimits {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        if let Some(ip) = ip_of(remote)
            && let Err(why) = self.counts.check(ip)
        {
            self.refused
                .get_or_create(&vec![("reason", why.as_str())])
                .inc();
            tracing::debug!(%remote, %why, "inbound connection refused");
            return Err(ConnectionDenied::new(why));
        }
        Ok(dummy::ConnectionHandler)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(ConnectionEstablished {
                connection_id,
                endpoint: ConnectedPoint::Listener { send_back_addr, .. },
                ..
            }) => {
                if let Some(ip) = ip_of(send_back_addr) {
                    self.counts.opened(connection_id, ip);
                }
            }
            FromSwarm::ConnectionClosed(ConnectionClosed { connection_id, .. }) => {
                self.counts.closed(connection_id)
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _: PeerId,
        _: ConnectionId,
        e: THandlerOutEvent<Self>,
    ) {
        libp2p::core::util::unreachable(e)
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_source_gets_its_share_and_no_more() {
        let mut c = SourceCounts::new(SourceLimits {
            per_ip: 2,
            per_subnet: 3,
            on_loopback: true,
        });
        let a = ip("10.1.2.3");
        for i in 0..2 {
            assert_eq!(c.check(a), Ok(()));
            c.opened(ConnectionId::new_unchecked(i), a);
        }
        assert_eq!(c.check(a), Err(Refusal::Ip));
        // Another address of the same /24: one more fits the subnet's share of 3.
        let b = ip("10.1.2.99");
        assert_eq!(c.check(b), Ok(()));
        c.opened(ConnectionId::new_unchecked(2), b);
        assert_eq!(c.check(ip("10.1.2.200")), Err(Refusal::Subnet));
        // Another subnet is untouched.
        assert_eq!(c.check(ip("10.1.3.1")), Ok(()));
        // Closing frees the share; closing twice or an unknown id changes nothing.
        c.closed(ConnectionId::new_unchecked(0));
        c.closed(ConnectionId::new_unchecked(0));
        c.closed(ConnectionId::new_unchecked(77));
        assert_eq!(c.count_from(a), 1);
        assert_eq!(c.check(a), Ok(()));
        // IPv6 sources share a /64.
        c.opened(ConnectionId::new_unchecked(10), ip("2001:db8::1"));
        c.opened(ConnectionId::new_unchecked(11), ip("2001:db8::2"));
        c.opened(ConnectionId::new_unchecked(12), ip("2001:db8::3"));
        assert_eq!(c.check(ip("2001:db8::4")), Err(Refusal::Subnet));
        assert_eq!(c.check(ip("2001:db8:0:1::4")), Ok(()));
    }

    #[test]
    fn loopback_is_exempt_unless_asked() {
        let mut c = SourceCounts::new(SourceLimits {
            per_ip: 1,
            per_subnet: 1,
            on_loopback: false,
        });
        let lo = ip("127.0.0.1");
        for i in 0..10 {
            c.opened(ConnectionId::new_unchecked(i), lo);
            assert_eq!(c.check(lo), Ok(()));
        }
        let mut c = SourceCounts::new(SourceLimits {
            per_ip: 1,
            per_subnet: 4,
            on_loopback: true,
        });
        c.opened(ConnectionId::new_unchecked(0), ip("127.0.5.1"));
        assert_eq!(c.check(ip("127.0.5.1")), Err(Refusal::Ip));
        assert_eq!(c.check(ip("127.0.6.1")), Ok(()), "each node its own /24");
    }
}
