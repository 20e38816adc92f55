//! Unit tests of the peer policy: targets, dialing and backoff, pruning order, peer-exchange
//! pacing, penalties and bans. Time is passed in, so nothing here sleeps.

use super::*;

fn addr(port: u16) -> Multiaddr {
    format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()
}

fn policy(low: usize, high: usize) -> PeerPolicy {
    let mut config = NetworkConfig::default();
    config.peers.low = low;
    config.peers.high = high;
    config.peers.max_pending = 3;
    config.peers.outbound_reserved = low as u32;
    config.address_book.allow_private = true;
    PeerPolicy::new(PeerId::random(), &config)
}

/// `n` random peers, sorted (the order PX rotation and pruning ties use).
fn peers(n: usize) -> Vec<PeerId> {
    let mut v: Vec<PeerId> = (0..n).map(|_| PeerId::random()).collect();
    v.sort();
    v
}

fn connect(p: &mut PeerPolicy, peer: PeerId, outbound: bool, now: Instant) -> Admit {
    p.on_connected(peer, outbound, addr(1), 1, now)
}

fn no_mesh() -> HashSet<PeerId> {
    HashSet::new()
}

#[test]
fn bootnodes_with_an_id_are_dialed_and_booked_bare_addresses_just_dialed() {
    let id = PeerId::random();
    let with_id: Multiaddr = format!("/ip4/10.0.0.1/tcp/7/p2p/{id}").parse().unwrap();
    let bare: Multiaddr = "/ip4/10.0.0.2/tcp/8".parse().unwrap();
    let config = NetworkConfig {
        bootnodes: vec![with_id.clone(), bare.clone()],
        ..NetworkConfig::default()
    };
    let mut p = PeerPolicy::new(PeerId::random(), &config);
    let dials = p.bootstrap(Instant::now());
    assert_eq!(
        dials,
        vec![
            BootDial::Peer {
                peer: id,
                addr: with_id
            },
            BootDial::Addr(bare)
        ]
    );
    assert_eq!(p.book().addrs(&id), vec![addr_at("10.0.0.1", 7)]);
    assert_eq!(p.book().len(), 1);
}

fn addr_at(ip: &str, port: u16) -> Multiaddr {
    format!("/ip4/{ip}/tcp/{port}").parse().unwrap()
}

#[test]
fn below_the_low_target_dials_book_peers_within_the_pending_cap() {
    let now = Instant::now();
    let mut p = policy(8, 16);
    let book: Vec<PeerId> = peers(6);
    for (i, peer) in book.iter().enumerate() {
        p.on_identify(*peer, vec![addr(i as u16 + 1)], now);
    }
    // One is connected already and one is being dialed: neither is a candidate, and the
    // dial in progress uses up one of the three pending slots.
    assert_eq!(connect(&mut p, book[0], true, now), Admit::New);
    p.dial_started(book[1]);
    let t = p.tick(now, &no_mesh());
    assert_eq!(t.dial.len(), 2, "max_pending 3 minus one dial in progress");
    assert!(
        t.dial
            .iter()
            .all(|r| r.peer != book[0] && r.peer != book[1])
    );
    // Dials that started count against the cap on the next tick.
    for r in &t.dial {
        p.dial_started(r.peer);
    }
    assert!(p.tick(now, &no_mesh()).dial.is_empty());
}

#[test]
fn at_the_low_target_nothing_is_dialed() {
    let now = Instant::now();
    let mut p = policy(2, 4);
    let ps = peers(3);
    p.on_identify(ps[2], vec![addr(3)], now);
    connect(&mut p, ps[0], true, now);
    connect(&mut p, ps[1], false, now);
    let t = p.tick(now, &no_mesh());
    assert!(t.dial.is_empty());
    assert!(t.prune.is_empty());
}

#[test]
fn a_failed_dial_backs_off_before_the_peer_is_tried_again() {
    let now = Instant::now();
    let mut p = policy(4, 8);
    let peer = PeerId::random();
    p.on_identify(peer, vec![addr(1)], now);
    let t = p.tick(now, &no_mesh());
    assert_eq!(t.dial.len(), 1);
    p.dial_started(peer);
    p.dial_failed(&peer, now);
    assert!(p.tick(now, &no_mesh()).dial.is_empty(), "backing off");
    // The first failure backs off 2 × the 1 s base.
    let later = now + Duration::from_secs(2);
    assert_eq!(p.tick(later, &no_mesh()).dial.len(), 1);
    assert_eq!(p.book_entries()[0].failures, 1);
}

#[test]
fn a_disconnected_peer_is_not_redialed_at_once() {
    let now = Instant::now();
    let mut p = policy(4, 8);
    let peer = PeerId::random();
    p.on_identify(peer, vec![addr(1)], now);
    connect(&mut p, peer, true, now);
    p.on_disconnected(&peer, now);
    assert_eq!(p.connected_count(), 0);
    assert!(p.tick(now, &no_mesh()).dial.is_empty());
    assert_eq!(
        p.tick(now + Duration::from_secs(1), &no_mesh()).dial.len(),
        1
    );
}

/// Before: outbound peers outside the mesh went before inbound mesh peers, so an attacker
/// connecting many times to us (and grafting) pushed out the peers we chose.
#[test]
fn prunes_inbound_peers_first_and_never_outbound_below_the_reserve() {
    let now = Instant::now();
    let mut p = policy(1, 2);
    let ps = peers(5);
    // (peer, outbound, in mesh)
    let setup = [
        (ps[0], true, true),
        (ps[1], false, true),
        (ps[2], true, false),
        (ps[3], false, false),
        (ps[4], false, false),
    ];
    let mut mesh = HashSet::new();
    for (peer, outbound, in_mesh) in setup {
        connect(&mut p, peer, outbound, now);
        if in_mesh {
            mesh.insert(peer);
        }
    }
    // Within the grace period nobody is pruned.
    assert!(p.tick(now, &mesh).prune.is_empty());
    let later = now + PRUNE_GRACE;
    let t = p.tick(later, &mesh);
    // 5 connected, high 2: three go. Inbound non-mesh (ps[3], ps[4]), then inbound mesh
    // (ps[1]); both outbound peers stay, in the mesh or not.
    assert_eq!(t.prune, vec![ps[3], ps[4], ps[1]]);
    // Asked for more, outbound peers go only down to the reserve (1 here).
    let all_mesh: HashSet<PeerId> = ps.iter().copied().collect();
    assert_eq!(
        p.prune(5, &all_mesh, later),
        vec![ps[1], ps[3], ps[4], ps[0]]
    );
}

/// One host's many identities in the book yield at most `outbound_per_subnet` dials.
#[test]
fn dials_spread_over_subnets() {
    let now = Instant::now();
    let mut p = policy(8, 16);
    p.targets.max_pending = 8;
    let sybils = peers(20);
    for (i, s) in sybils.iter().enumerate() {
        p.book.add(*s, [addr_at("10.9.9.9", 1000 + i as u16)], now);
    }
    let honest = peers(3);
    for (i, h) in honest.iter().enumerate() {
        p.book.add(*h, [addr_at(&format!("10.0.{i}.1"), 7)], now);
    }
    let dial = p.tick(now, &no_mesh()).dial;
    let from_sybil = dial.iter().filter(|r| sybils.contains(&r.peer)).count();
    assert_eq!(from_sybil, 2, "{dial:?}");
    assert!(honest.iter().all(|h| dial.iter().any(|r| r.peer == *h)));
    // Dials in flight count: the next tick adds none to that host.
    for r in &dial {
        p.dial_started(r.peer);
    }
    let again = p.tick(now, &no_mesh()).dial;
    assert!(again.iter().all(|r| !sybils.contains(&r.peer)), "{again:?}");
    // Once they fail, the host may be tried again.
    for r in &dial {
        p.dial_failed(&r.peer, now);
    }
    let later = p.tick(now + Duration::from_secs(600), &no_mesh()).dial;
    assert!(later.iter().filter(|r| sybils.contains(&r.peer)).count() <= 2);
}

#[test]
fn px_rotates_over_peers_and_is_paced() {
    let t0 = Instant::now();
    let mut p = policy(4, 8);
    assert_eq!(p.tick(t0, &no_mesh()).ask_px, None, "nobody to ask");
    let ps = peers(2);
    connect(&mut p, ps[0], true, t0);
    connect(&mut p, ps[1], true, t0);
    assert_eq!(p.tick(t0, &no_mesh()).ask_px, Some(ps[0]));
    p.px_answered(PeerId::random(), Vec::new(), t0);
    // Below the low target: again after one tick interval (500 ms), to the next peer.
    assert_eq!(p.tick(t0, &no_mesh()).ask_px, None);
    let t1 = t0 + Duration::from_millis(500);
    assert_eq!(p.tick(t1, &no_mesh()).ask_px, Some(ps[1]));
    p.px_failed();
    let t2 = t1 + Duration::from_millis(500);
    assert_eq!(p.tick(t2, &no_mesh()).ask_px, Some(ps[0]));

    // At the low target: only every PX_REFRESH.
    let mut p = policy(2, 8);
    connect(&mut p, ps[0], true, t0);
    connect(&mut p, ps[1], true, t0);
    assert!(p.tick(t0, &no_mesh()).ask_px.is_some());
    p.px_answered(PeerId::random(), Vec::new(), t0);
    assert_eq!(
        p.tick(t0 + Duration::from_secs(29), &no_mesh()).ask_px,
        None
    );
    assert!(p.tick(t0 + PX_REFRESH, &no_mesh()).ask_px.is_some());
}

#[test]
fn px_requests_in_flight_are_capped() {
    let mut now = Instant::now();
    let mut p = policy(4, 8);
    connect(&mut p, PeerId::random(), true, now);
    for _ in 0..MAX_PX_IN_FLIGHT {
        assert!(p.tick(now, &no_mesh()).ask_px.is_some());
        now += Duration::from_secs(1);
    }
    assert_eq!(p.tick(now, &no_mesh()).ask_px, None, "all answers pending");
    p.px_failed();
    assert!(p.tick(now, &no_mesh()).ask_px.is_some());
}

#[test]
fn three_offences_ban_until_the_ban_expires() {
    let now = Instant::now();
    let mut p = policy(4, 8);
    let peer = PeerId::random();
    connect(&mut p, peer, true, now);
    assert_eq!(
        p.penalise(peer, -30.0, now),
        Penalty {
            score: -30.0,
            banned: false
        }
    );
    assert!(!p.penalise(peer, -30.0, now).banned);
    let third = p.penalise(peer, -30.0, now);
    assert_eq!(third.score, -90.0);
    assert!(third.banned);
    p.on_disconnected(&peer, now);
    // Banned: refused on connect, until the ban runs out.
    assert!(p.is_banned(&peer, now + BAN_TIME - Duration::from_secs(1)));
    assert_eq!(connect(&mut p, peer, false, now), Admit::Refused);
    assert_eq!(p.connected_count(), 0);
    let later = now + BAN_TIME;
    assert!(!p.is_banned(&peer, later));
    assert_eq!(connect(&mut p, peer, false, later), Admit::New);
}

#[test]
fn scores_survive_a_reconnect_and_decay() {
    let now = Instant::now();
    let mut p = policy(4, 8);
    let peer = PeerId::random();
    connect(&mut p, peer, true, now);
    p.penalise(peer, -30.0, now);
    p.penalise(peer, -30.0, now);
    p.on_disconnected(&peer, now);
    // Reconnecting does not wipe the slate: the third offence bans.
    connect(&mut p, peer, true, now);
    assert_eq!(p.app_score(&peer, now), Some(-60.0));
    let third = p.penalise(peer, -30.0, now);
    assert_eq!(third.score, -90.0);
    assert!(third.banned);
    // One half-life later the score has halved.
    let later = now + SCORE_HALF_LIFE;
    assert!((p.app_score(&peer, later).unwrap() + 45.0).abs() < 1e-9);
    assert_eq!(p.app_score(&PeerId::random(), now), None);
}

#[test]
fn banned_peers_are_neither_dialed_nor_learned() {
    let now = Instant::now();
    let mut p = policy(4, 8);
    let (bad, good) = (PeerId::random(), PeerId::random());
    p.on_identify(bad, vec![addr(1)], now);
    for _ in 0..3 {
        p.penalise(bad, -30.0, now);
    }
    assert!(
        p.tick(now, &no_mesh()).dial.is_empty(),
        "banned, not dialed"
    );
    let records = |peer| PeerRecord {
        peer,
        addrs: vec![addr(2)],
    };
    let me = p.me;
    let learned = p.px_answered(
        PeerId::random(),
        vec![records(bad), records(me), records(good)],
        now,
    );
    assert_eq!(learned, 1, "only the good peer");
    assert!(p.book().addrs(&me).is_empty());
}

#[test]
fn a_second_connection_is_not_a_new_peer() {
    let now = Instant::now();
    let mut p = policy(4, 8);
    let peer = PeerId::random();
    p.on_identify(peer, vec![addr(1)], now);
    p.dial_started(peer);
    assert_eq!(p.on_connected(peer, true, addr(1), 1, now), Admit::New);
    assert_eq!(p.on_connected(peer, false, addr(2), 2, now), Admit::Again);
    assert_eq!(p.connected_count(), 1);
    assert_eq!(p.outbound_count(), 1);
    // A late dial failure for a connected peer does not count against it.
    p.dial_failed(&peer, now);
    assert_eq!(p.book_entries()[0].failures, 0);
    assert!(p.book_entries()[0].connected);
}

#[test]
fn px_answers_are_capped_and_skip_the_requester() {
    let now = Instant::now();
    let mut p = policy(4, 8);
    let ps = peers(80);
    for (i, peer) in ps.iter().enumerate() {
        p.on_identify(*peer, vec![addr(i as u16 + 1)], now);
    }
    // The config's 32 caps a request for more.
    assert_eq!(p.px_request(&ps[0], 1000).len(), 32);
    assert_eq!(p.px_request(&ps[0], 5).len(), 5);
    assert!(p.px_request(&ps[0], 100).iter().all(|r| r.peer != ps[0]));
}

#[test]
fn the_ban_list_is_bounded() {
    let now = Instant::now();
    let mut p = policy(4, 8);
    let first = PeerId::random();
    for _ in 0..3 {
        p.penalise(first, -30.0, now);
    }
    for _ in 0..MAX_BANNED {
        let peer = PeerId::random();
        for _ in 0..3 {
            p.penalise(peer, -30.0, now);
        }
    }
    assert_eq!(p.banned.len(), MAX_BANNED);
    assert!(!p.is_banned(&first, now), "the oldest ban made room");
}

#[test]
fn a_cut_peer_is_neither_dialed_nor_admitted_until_restored() {
    let now = Instant::now();
    let mut p = policy(4, 8);
    let ps = peers(3);
    for (i, peer) in ps.iter().enumerate() {
        p.on_identify(*peer, vec![addr(i as u16 + 1)], now);
    }
    assert!(p.cut(ps[0]));
    assert!(!p.cut(ps[0]), "already cut");
    let dialed: Vec<PeerId> = p
        .tick(now, &no_mesh())
        .dial
        .iter()
        .map(|r| r.peer)
        .collect();
    assert_eq!(dialed.len(), 2);
    assert!(!dialed.contains(&ps[0]), "cut, not dialed");
    assert_eq!(connect(&mut p, ps[0], false, now), Admit::Refused);
    assert_eq!(p.connected_count(), 0);
    // Restored: dialed again from the book, with no failure counted against it.
    assert!(p.restore(&ps[0]));
    assert!(!p.restore(&ps[0]));
    for peer in &dialed {
        p.dial_failed(peer, now);
    }
    let later = now + Duration::from_secs(1);
    let again: Vec<PeerId> = p
        .tick(later, &no_mesh())
        .dial
        .iter()
        .map(|r| r.peer)
        .collect();
    assert!(again.contains(&ps[0]), "{again:?}");
    assert_eq!(connect(&mut p, ps[0], true, later), Admit::New);
}

#[test]
fn the_cut_list_is_bounded_and_never_holds_ourselves() {
    let mut p = policy(4, 8);
    assert!(!p.cut(p.me));
    for _ in 0..MAX_CUT {
        assert!(p.cut(PeerId::random()));
    }
    assert!(!p.cut(PeerId::random()), "full");
    assert_eq!(p.cut_count(), MAX_CUT);
}
