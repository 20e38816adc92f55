//! Bootnodes given by DNS name (`/dns4/<host>/tcp/<port>/p2p/<id>`, `/dns/…`), as a Kubernetes
//! StatefulSet's pods name each other: two real nodes on loopback, `localhost` resolved by
//! libp2p's DNS transport.

mod common;

use std::time::Duration;

use common::*;
use libp2p::multiaddr::Protocol;
use rumor_p2p::{Multiaddr, PeerId, identity_from_key};

/// `addr`'s TCP port.
fn port_of(addr: &Multiaddr) -> u16 {
    addr.iter()
        .find_map(|p| match p {
            Protocol::Tcp(port) => Some(port),
            _ => None,
        })
        .expect("a TCP listen address")
}

async fn connected(node: &TestNode, peer: PeerId) -> bool {
    node.handle
        .peers()
        .await
        .unwrap()
        .iter()
        .any(|p| p.peer == peer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_joins_through_a_dns4_bootnode() {
    let a = start_node("dns-a", config(1, 4)).await;
    let by_name: Multiaddr = format!("/dns4/localhost/tcp/{}/p2p/{}", port_of(&a.addr), a.peer_id)
        .parse()
        .unwrap();
    let mut c = config(1, 4);
    c.bootnodes = vec![by_name];
    let b = start_node("dns-b", c).await;
    wait_for("b connected to a by name", Duration::from_secs(20), || {
        connected(&b, a.peer_id)
    })
    .await;
    wait_for("a sees b", Duration::from_secs(20), || {
        connected(&a, b.peer_id)
    })
    .await;
}

/// The bootnode's name is there before the node is (a pod that is still starting): the first
/// dial fails, the address book keeps the name and redials it with its backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_bootnode_that_starts_later_is_redialed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let a_id = identity_from_key(&rumor_chain::Keypair::from_label("dns-late-a"))
        .public()
        .to_peer_id();
    let mut c = config(1, 4);
    c.bootnodes = vec![
        format!("/dns/localhost/tcp/{port}/p2p/{a_id}")
            .parse()
            .unwrap(),
    ];
    let b = start_node("dns-late-b", c).await;
    wait_for(
        "b's first dial to the name failed and the name is booked",
        Duration::from_secs(20),
        || async {
            b.handle.address_book().await.unwrap().iter().any(|e| {
                e.record.peer == a_id
                    && e.failures >= 1
                    && e.record
                        .addrs
                        .iter()
                        .any(|a| a.iter().any(|p| matches!(p, Protocol::Dns(_))))
            })
        },
    )
    .await;
    let mut ca = config(1, 4);
    ca.listen = vec![format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()];
    let a = start_node("dns-late-a", ca).await;
    assert_eq!(a.peer_id, a_id);
    wait_for(
        "b redialed a by name once it was up",
        Duration::from_secs(30),
        || connected(&b, a_id),
    )
    .await;
}
