use super::*;
use crate::fault::Direction;

fn stall(direction: Direction, end: Option<Instant>) -> LinkFault {
    LinkFault {
        direction,
        kind: FaultKind::Stall,
        start: Instant::now(),
        end,
    }
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[tokio::test(start_paused = true)]
async fn faults_reach_connections_made_before_and_after_they_are_set() {
    let reg = LinkFaults::new();
    let before = reg.gate(Some("b"), None, None);
    assert!(before.is_attached() && before.is_clear());
    assert_eq!(reg.set(&["b".into()], stall(Direction::Out, None)), Ok(1));
    let after = reg.gate(Some("b"), None, None);
    let other = reg.gate(Some("c"), None, None);
    let now = Instant::now();
    for g in [&before, &after] {
        assert!(!g.is_clear());
        assert_eq!(g.check(Way::Out, now), Check::Closed { until: None });
        assert_eq!(g.check(Way::In, now), Check::Open { loss: 0.0 });
    }
    assert!(other.is_clear());
    assert_eq!(reg.faulted_peers(), 1);
    assert_eq!(reg.clear(Some(&["b".into(), "c".into()])), 1);
    assert!(before.is_clear() && after.is_clear());
    assert_eq!(reg.clear(None), 0);
}

#[tokio::test(start_paused = true)]
async fn a_listener_side_connection_learns_its_peer_after_the_handshake() {
    let reg = LinkFaults::new();
    reg.set(&["p".into()], stall(Direction::In, None)).unwrap();
    let g = reg.gate(None, Some(addr(1)), Some(addr(2)));
    assert!(!g.is_attached(), "open during the handshake");
    assert_eq!(g.check(Way::In, Instant::now()), Check::Open { loss: 0.0 });
    assert_eq!(
        reg.attach(Some(addr(9)), addr(2), "p"),
        0,
        "another connection"
    );
    assert_eq!(reg.attach(Some(addr(1)), addr(2), "p"), 1);
    assert!(matches!(
        g.check(Way::In, Instant::now()),
        Check::Closed { .. }
    ));
    // A dialer's address names only the remote.
    let d = reg.gate(None, Some(addr(3)), Some(addr(4)));
    assert_eq!(reg.attach(None, addr(4), "p"), 1);
    assert!(d.is_attached());
    drop(reg.gate(None, Some(addr(5)), Some(addr(6))));
    assert_eq!(reg.attach(Some(addr(5)), addr(6), "p"), 0, "dropped first");
    let lone = reg.gate(None, None, None);
    assert!(!lone.is_attached());
    assert_eq!(reg.unattached(), 1);
}

#[tokio::test(start_paused = true)]
async fn resets_hit_existing_connections_and_new_ones_in_their_window() {
    let reg = LinkFaults::new();
    let old = reg.gate(Some("p"), None, None);
    let now = Instant::now();
    let reset = |end| LinkFault {
        direction: Direction::Both,
        kind: FaultKind::Reset,
        start: now,
        end,
    };
    reg.set(&["p".into()], reset(None)).unwrap();
    assert_eq!(old.check(Way::In, now), Check::Reset);
    assert_eq!(old.check(Way::In, now), Check::Reset, "sticky");
    assert!(
        reg.gate(Some("p"), None, None).is_clear(),
        "later ones live"
    );
    reg.set(&["p".into()], reset(Some(now + Duration::from_secs(1))))
        .unwrap();
    let during = reg.gate(Some("p"), None, None);
    assert_eq!(during.check(Way::Out, now), Check::Reset);
    tokio::time::advance(Duration::from_secs(1)).await;
    let later = reg.gate(Some("p"), None, None);
    assert_eq!(
        later.check(Way::Out, Instant::now()),
        Check::Open { loss: 0.0 }
    );
    assert!(later.is_clear(), "the ended fault was pruned");
}

#[tokio::test(start_paused = true)]
async fn a_held_poller_is_woken_by_a_clear_and_by_the_end_of_its_fault() {
    let reg = LinkFaults::new();
    let g = reg.gate(Some("p"), None, None);
    reg.set(&["p".into()], stall(Direction::Both, None))
        .unwrap();
    let mut way = WayGate::new(g, Way::Out, Slot::Write, None, 1);
    let held = tokio::spawn(async move {
        std::future::poll_fn(|cx| way.poll_pass(cx))
            .await
            .map(|()| way)
    });
    tokio::task::yield_now().await;
    assert!(!held.is_finished(), "held while stalled");
    reg.clear(None);
    // With the clock paused, a missed wake-up would jump straight to this timeout.
    let mut way = tokio::time::timeout(Duration::from_secs(3600), held)
        .await
        .expect("a clear wakes the poller")
        .unwrap()
        .unwrap();

    let end = Instant::now() + Duration::from_secs(3);
    reg.set(&["p".into()], stall(Direction::Both, Some(end)))
        .unwrap();
    let t0 = Instant::now();
    std::future::poll_fn(|cx| way.poll_pass(cx)).await.unwrap();
    assert_eq!(Instant::now() - t0, Duration::from_secs(3), "its own timer");
}

#[tokio::test(start_paused = true)]
async fn too_many_faulted_peers_are_refused() {
    let reg = LinkFaults::new();
    let many: Vec<String> = (0..MAX_FAULTED_PEERS).map(|i| i.to_string()).collect();
    assert_eq!(
        reg.set(&many, stall(Direction::In, None)),
        Ok(MAX_FAULTED_PEERS)
    );
    assert_eq!(
        reg.set(&many[..10], stall(Direction::Out, None)),
        Ok(10),
        "the same peers again"
    );
    assert_eq!(
        reg.set(&["one more".into()], stall(Direction::In, None)),
        Err(FaultError::TooManyPeers(MAX_FAULTED_PEERS))
    );
    assert!(matches!(
        reg.set(
            &["x".into()],
            LinkFault {
                kind: FaultKind::Loss { share: 2.0 },
                ..stall(Direction::In, None)
            }
        ),
        Err(FaultError::Invalid(_))
    ));
}
