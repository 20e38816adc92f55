//! Link emulation through the public API, as the transport uses it: a node in `europe` dials a
//! peer in `na_east` (70 ms one way in the bundled matrix) and wraps the dialed stream.

use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use rumor_link::{Delayed, LinkEmulation};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout};

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn message_between_regions_70ms_apart_never_arrives_before_70ms() {
    let emulation = LinkEmulation::from_json(
        r#"{ "my_region": "europe", "peer_regions": { "remote-peer": "na_east" } }"#,
    )
    .unwrap();
    let params = emulation.params_for("remote-peer");
    let one_way = Duration::from_millis(70);
    assert_eq!(params.latency, one_way);

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (dialed, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let mut dialer = Delayed::new(dialed.unwrap(), params).unwrap();
    // The listener side is not wrapped: emulation lives on the dialer side only.
    let mut listener_side = accepted.unwrap().0;

    for round in 0..5u8 {
        let sent = Instant::now();
        dialer.write_all(&[round; 100]).await.unwrap();
        dialer.flush().await.unwrap();
        let mut buf = [0u8; 100];
        timeout(LIMIT, listener_side.read_exact(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(buf, [round; 100]);
        assert!(
            sent.elapsed() >= one_way,
            "arrived after {:?}",
            sent.elapsed()
        );

        let replied = Instant::now();
        listener_side.write_all(&[round; 10]).await.unwrap();
        let mut reply = [0u8; 10];
        timeout(LIMIT, dialer.read_exact(&mut reply))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reply, [round; 10]);
        assert!(
            replied.elapsed() >= one_way,
            "reply after {:?}",
            replied.elapsed()
        );
        assert!(
            sent.elapsed() >= 2 * one_way,
            "round trip {:?}",
            sent.elapsed()
        );
    }
    timeout(LIMIT, dialer.close()).await.unwrap().unwrap();
}

#[tokio::test]
async fn unknown_peers_are_not_delayed() {
    let emulation = LinkEmulation::from_json(r#"{ "my_region": "europe" }"#).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dialed = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let wrapped = Delayed::new(dialed, emulation.params_for("stranger")).unwrap();
    assert!(wrapped.is_passthrough());
}
