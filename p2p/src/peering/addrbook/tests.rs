use super::*;

fn addr(port: u16) -> Multiaddr {
    format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()
}

fn book(cap: usize) -> AddressBook {
    AddressBook::new(
        BookConfig {
            capacity: cap,
            allow_private: true,
            ..BookConfig::default()
        },
        42,
    )
}

fn public(port: u16) -> Multiaddr {
    format!("/ip4/8.8.{}.{}/tcp/{port}", port / 256, port % 256)
        .parse()
        .unwrap()
}

#[test]
fn an_unresponsive_peer_backs_off_longer_and_is_never_forgotten_for_it() {
    let now = Instant::now();
    let mut b = book(16);
    let p = PeerId::random();
    b.add(p, [addr(1)], now);
    b.on_connected(&p, now);
    let candidates = |b: &mut AddressBook, t| b.dial_candidates(4, t, |_| false).len();
    for strike in 0..20u32 {
        b.on_unresponsive(&p, now);
        b.on_disconnected(&p, now);
        let backoff = (Duration::from_secs(8) * 2u32.pow(strike.min(8))).min(b.config.max_backoff);
        assert_eq!(
            candidates(&mut b, now + backoff - Duration::from_millis(1)),
            0,
            "{strike}"
        );
        assert_eq!(candidates(&mut b, now + backoff), 1, "{strike}");
        b.on_connected(&p, now);
    }
    assert_eq!(b.forgotten, 0);
}

#[test]
fn a_third_party_never_rewrites_a_known_peer() {
    let now = Instant::now();
    let mut b = book(16);
    let (honest, liar) = (PeerId::random(), PeerId::random());
    b.add(honest, [addr(1)], now);
    assert!(!b.add_second_hand(liar, honest, [addr(666)], now));
    assert_eq!(b.addrs(&honest), vec![addr(1)]);
    // Learned second-hand, then heard first-hand: the peer's own word wins from then on.
    let other = PeerId::random();
    assert!(b.add_second_hand(liar, other, [addr(7)], now));
    b.add(other, [addr(8)], now);
    assert!(!b.add_second_hand(liar, other, [addr(9)], now));
    assert_eq!(b.addrs(&other), vec![addr(8), addr(7)]);
}

#[test]
fn a_flood_of_fresh_records_cannot_push_out_first_hand_peers() {
    let now = Instant::now();
    let mut b = book(8);
    let first: Vec<PeerId> = (0..4).map(|_| PeerId::random()).collect();
    for (i, p) in first.iter().enumerate() {
        b.add(*p, [addr(i as u16 + 1)], now);
    }
    // Many sources: second-hand entries take half the book at most and evict only each
    // other, so first-hand entries are untouched.
    for i in 0..100 {
        b.add_second_hand(PeerId::random(), PeerId::random(), [addr(300 + i)], now);
    }
    assert_eq!(b.len(), 8);
    for p in &first {
        assert!(!b.addrs(p).is_empty(), "a first-hand peer was evicted");
    }
    // One source fills at most its bucket.
    let mut big = book(256);
    let liar = PeerId::random();
    let added = (0..100)
        .filter(|i| big.add_second_hand(liar, PeerId::random(), [addr(100 + i)], now))
        .count();
    assert_eq!(added, BookConfig::default().max_per_source);
}

#[test]
fn private_addresses_stay_local_unless_allowed() {
    let now = Instant::now();
    let mut b = AddressBook::new(BookConfig::default(), 1);
    let (src, p, q) = (PeerId::random(), PeerId::random(), PeerId::random());
    assert!(
        !b.add_second_hand(src, p, [addr(1)], now),
        "loopback, second-hand"
    );
    assert!(b.add_second_hand(src, p, [public(1)], now));
    // First-hand loopback is kept (a LAN peer told us itself) but not passed on.
    b.add(q, [addr(2)], now);
    let shared = b.share(10, &src);
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].peer, p);
    assert!(!is_public(&"/ip4/192.168.1.2/tcp/1".parse().unwrap()));
    assert!(!is_public(&"/ip6/fe80::1/tcp/1".parse().unwrap()));
    assert!(is_public(&public(3)));
}

#[test]
fn filters_undialable_addresses() {
    assert!(dialable(&"/ip4/0.0.0.0/tcp/1".parse().unwrap()).is_none());
    assert!(dialable(&"/ip4/1.2.3.4/udp/1/quic-v1".parse().unwrap()).is_none());
    let p = PeerId::random();
    let with_p2p: Multiaddr = format!("/ip4/1.2.3.4/tcp/5/p2p/{p}").parse().unwrap();
    assert_eq!(
        dialable(&with_p2p),
        Some("/ip4/1.2.3.4/tcp/5".parse().unwrap())
    );
    let mut b = book(4);
    assert!(!b.add(p, ["/ip4/0.0.0.0/tcp/1".parse().unwrap()], Instant::now()));
    assert!(b.is_empty());
}

#[test]
fn bounded_and_evicts_the_least_useful() {
    let now = Instant::now();
    let mut b = book(2);
    let (p1, p2, p3) = (PeerId::random(), PeerId::random(), PeerId::random());
    b.add(p1, [addr(1)], now);
    b.add(p2, [addr(2)], now);
    b.on_connected(&p1, now);
    b.on_dial_failure(&p2, now);
    assert!(b.add(p3, [addr(3)], now));
    assert_eq!(b.len(), 2);
    assert!(
        b.addrs(&p2).is_empty(),
        "the failing, unconnected peer made room"
    );
    // Everything connected: no room.
    b.on_connected(&p3, now);
    assert!(!b.add(PeerId::random(), [addr(4)], now));
}

#[test]
fn backoff_and_forgetting() {
    let now = Instant::now();
    let mut b = book(8);
    let p = PeerId::random();
    b.add(p, [addr(1)], now);
    assert_eq!(b.dial_candidates(5, now, |_| false).len(), 1);
    b.on_dial_failure(&p, now);
    assert!(
        b.dial_candidates(5, now, |_| false).is_empty(),
        "backing off"
    );
    assert_eq!(
        b.dial_candidates(5, now + Duration::from_secs(3), |_| false)
            .len(),
        1
    );
    for _ in 1..BookConfig::default().max_failures {
        b.on_dial_failure(&p, now);
    }
    assert!(b.is_empty());
    assert_eq!(b.forgotten, 1);
}

#[test]
fn addresses_per_peer_are_capped_newest_first() {
    let now = Instant::now();
    let mut b = book(8);
    let p = PeerId::random();
    for port in 1..=10 {
        b.add(p, [addr(port)], now);
    }
    let a = b.addrs(&p);
    assert_eq!(a.len(), BookConfig::default().max_addrs_per_peer);
    assert_eq!(a[0], addr(10));
}

#[test]
fn share_prefers_connected_and_excludes_requester() {
    let now = Instant::now();
    let mut b = book(16);
    let peers: Vec<PeerId> = (0..6).map(|_| PeerId::random()).collect();
    for (i, p) in peers.iter().enumerate() {
        b.add(*p, [addr(i as u16 + 1)], now);
    }
    b.on_connected(&peers[3], now);
    let shared = b.share(2, &peers[0]);
    assert_eq!(shared.len(), 2);
    assert_eq!(shared[0].peer, peers[3]);
    assert!(shared.iter().all(|r| r.peer != peers[0]));
}

#[test]
fn dns_names_are_kept_first_hand_only() {
    let now = Instant::now();
    let p = PeerId::random();
    let named: Multiaddr = format!("/dns4/rumor-0.rumor.rumor.svc.cluster.local/tcp/30333/p2p/{p}")
        .parse()
        .unwrap();
    let bare: Multiaddr = "/dns4/rumor-0.rumor.rumor.svc.cluster.local/tcp/30333"
        .parse()
        .unwrap();
    assert_eq!(dialable(&named), Some(bare.clone()));
    assert!(is_dns(&bare) && !is_dns(&addr(1)));
    assert_eq!(
        dialable(&"/dns/localhost/tcp/1".parse().unwrap()),
        Some("/dns/localhost/tcp/1".parse().unwrap())
    );
    assert!(dialable(&"/dns6/x/udp/1".parse().unwrap()).is_none());
    assert!(dialable(&"/dnsaddr/bootstrap.example".parse().unwrap()).is_none());
    // A bootnode by name stays in the book and backs off like any first-hand entry.
    let mut b = book(8);
    assert!(b.add(p, [named], now));
    assert_eq!(b.addrs(&p), vec![bare.clone()]);
    b.on_dial_failure(&p, now);
    assert!(b.dial_candidates(5, now, |_| false).is_empty());
    let later = now + Duration::from_secs(3);
    assert_eq!(
        b.dial_candidates(5, later, |_| false)[0].addrs,
        vec![bare.clone()]
    );
    // Never passed on, never learned from a third party (even with `allow_private`).
    assert!(b.share(10, &PeerId::random()).is_empty());
    let src = PeerId::random();
    assert!(!b.add_second_hand(src, PeerId::random(), [bare], now));
}
