//! TCP that dials from the address it listens on.
//!
//! libp2p's TCP transport binds a dial to the unspecified address (with its listen port, for
//! port reuse), so the kernel picks the source address: on loopback always 127.0.0.1, on a
//! multi-homed host whichever interface the route names. A node listening on one specific
//! address dials from it instead, so its peers see the host it is; the per-source caps
//! ([`crate::peering::inbound`]) count by that address, and a testnet that gives each node its own
//! 127.x address is then as many hosts as nodes. Listening, and dials of another address
//! family, stay libp2p's own.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt;
use futures::future::BoxFuture;
use libp2p::core::transport::{DialOpts, ListenerId, Transport, TransportError, TransportEvent};
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, tcp};

/// The one specific IP address all of `listen` share, if they do (no unspecified address).
pub fn dial_source(listen: &[Multiaddr]) -> Option<IpAddr> {
    let mut ips = listen.iter().map(|a| {
        a.iter().find_map(|p| match p {
            Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
            Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
            _ => None,
        })
    });
    let first = ips.next()??;
    (!first.is_unspecified() && ips.all(|ip| ip == Some(first))).then_some(first)
}

/// The socket address of an `/ip4|ip6/…/tcp/…[/p2p/…]` multiaddr.
pub(crate) fn socket_addr(addr: &Multiaddr) -> Option<SocketAddr> {
    let mut it = addr.iter();
    let ip = match it.next()? {
        Protocol::Ip4(ip) => IpAddr::V4(ip),
        Protocol::Ip6(ip) => IpAddr::V6(ip),
        _ => return None,
    };
    let port = match it.next()? {
        Protocol::Tcp(port) => port,
        _ => return None,
    };
    match it.next() {
        None | Some(Protocol::P2p(_)) => Some(SocketAddr::new(ip, port)),
        _ => None,
    }
}

/// Whether a dial to `remote` leaves from `source`: same address family, and both loopback or
/// both not (as libp2p's own port reuse decides). A node listening on 127.0.0.1 that dials
/// another host must not bind to loopback, where the connect would fail.
fn binds(source: IpAddr, remote: IpAddr) -> bool {
    source.is_ipv4() == remote.is_ipv4()
        && source.is_loopback() == remote.is_loopback()
        && !remote.is_unspecified()
}

/// libp2p's tokio TCP transport, with dials bound to `source` when it is set.
pub struct BoundTcp {
    inner: tcp::tokio::Transport,
    source: Option<IpAddr>,
}

impl std::fmt::Debug for BoundTcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundTcp")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl BoundTcp {
    pub fn new(config: tcp::Config, source: Option<IpAddr>) -> Self {
        Self {
            inner: tcp::tokio::Transport::new(config),
            source,
        }
    }
}

impl Transport for BoundTcp {
    type Output = tcp::tokio::TcpStream;
    type Error = io::Error;
    type ListenerUpgrade = <tcp::tokio::Transport as Transport>::ListenerUpgrade;
    type Dial = BoxFuture<'static, io::Result<Self::Output>>;

    fn listen_on(
        &mut self,
        id: ListenerId,
        addr: Multiaddr,
    ) -> Result<(), TransportError<Self::Error>> {
        self.inner.listen_on(id, addr)
    }

    fn remove_listener(&mut self, id: ListenerId) -> bool {
        self.inner.remove_listener(id)
    }

    fn dial(
        &mut self,
        addr: Multiaddr,
        opts: DialOpts,
    ) -> Result<Self::Dial, TransportError<Self::Error>> {
        let remote = socket_addr(&addr);
        let (Some(source), Some(remote)) = (self.source, remote) else {
            return self.inner.dial(addr, opts).map(|d| d.boxed());
        };
        if !binds(source, remote.ip()) {
            return self.inner.dial(addr, opts).map(|d| d.boxed());
        }
        Ok(async move {
            let socket = if remote.is_ipv4() {
                tokio::net::TcpSocket::new_v4()?
            } else {
                tokio::net::TcpSocket::new_v6()?
            };
            socket.bind(SocketAddr::new(source, 0))?;
            let stream = socket.connect(remote).await?;
            stream.set_nodelay(true)?;
            Ok(tcp::tokio::TcpStream(stream))
        }
        .boxed())
    }

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<TransportEvent<Self::ListenerUpgrade, Self::Error>> {
        Pin::new(&mut self.inner).poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(v: &[&str]) -> Vec<Multiaddr> {
        v.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn dials_from_the_one_specific_listen_address() {
        let ip: IpAddr = "127.0.5.1".parse().unwrap();
        assert_eq!(dial_source(&addrs(&["/ip4/127.0.5.1/tcp/0"])), Some(ip));
        assert_eq!(
            dial_source(&addrs(&["/ip4/127.0.5.1/tcp/1", "/ip4/127.0.5.1/tcp/2"])),
            Some(ip)
        );
        assert_eq!(dial_source(&addrs(&["/ip4/0.0.0.0/tcp/0"])), None);
        assert_eq!(
            dial_source(&addrs(&["/ip4/127.0.5.1/tcp/1", "/ip4/10.0.0.1/tcp/2"])),
            None
        );
        assert_eq!(dial_source(&[]), None);
        assert_eq!(
            socket_addr(
                &"/ip4/1.2.3.4/tcp/5/p2p/12D3KooWSJxudAkkjXLrrmiM2LmAAwhreZnXVdZQG62qhMZyoG3V"
                    .parse()
                    .unwrap()
            ),
            Some("1.2.3.4:5".parse().unwrap())
        );
        assert_eq!(socket_addr(&"/dns4/x/tcp/5".parse().unwrap()), None);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(binds(ip("127.0.5.1"), ip("127.0.9.1")));
        assert!(
            !binds(ip("127.0.0.1"), ip("10.0.0.5")),
            "loopback never dials another host"
        );
        assert!(!binds(ip("10.0.0.1"), ip("127.0.0.1")));
        assert!(!binds(ip("10.0.0.1"), ip("::1")));
        assert!(binds(ip("10.0.0.1"), ip("10.0.0.7")));
    }
}
