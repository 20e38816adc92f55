//! Link faults on real loopback sockets, through the public API as the transport uses it:
//! a registry, a gate per connection, and `Delayed::with_gate` on the connection's stream.
//! Held-back data is shown by a poll that stays pending (no timing), and delays only by "no
//! earlier than" bounds, which host load can only make easier to meet; every wait is bounded.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use rumor_link::{Delayed, Direction, FaultKind, LinkFault, LinkFaults, LinkParams, MAX_IN_FLIGHT};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout};

const LIMIT: Duration = Duration::from_secs(20);

/// A dialed stream to peer "remote" wrapped with `params` and a gate, and the raw accepted end.
async fn pair(faults: &LinkFaults, params: LinkParams) -> (Delayed, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, server) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let gate = faults.gate(Some("remote"), None, None);
    let client = Delayed::with_gate(client.unwrap(), params, Some(gate)).unwrap();
    (client, server.unwrap().0)
}

fn fault(direction: Direction, kind: FaultKind, end: Option<Duration>) -> LinkFault {
    let start = Instant::now();
    LinkFault {
        direction,
        kind,
        start,
        end: end.map(|d| start + d),
    }
}

fn remote() -> Vec<String> {
    vec!["remote".into()]
}

fn poll_write_once(s: &mut Delayed, buf: &[u8]) -> Poll<std::io::Result<usize>> {
    Pin::new(s).poll_write(&mut Context::from_waker(Waker::noop()), buf)
}

fn poll_flush_once(s: &mut Delayed) -> Poll<std::io::Result<()>> {
    Pin::new(s).poll_flush(&mut Context::from_waker(Waker::noop()))
}

fn poll_read_once(s: &mut Delayed, buf: &mut [u8]) -> Poll<std::io::Result<usize>> {
    Pin::new(s).poll_read(&mut Context::from_waker(Waker::noop()), buf)
}

#[tokio::test]
async fn a_one_way_stall_holds_one_direction_and_a_heal_delivers_everything() {
    let faults = LinkFaults::new();
    let (mut client, mut server) = pair(&faults, LinkParams::default()).await;
    assert!(client.is_gated(), "no delay model, but faultable");

    // No fault: a plain stream.
    client.write_all(b"before").await.unwrap();
    let mut buf = [0u8; 6];
    timeout(LIMIT, server.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"before");

    faults
        .set(&remote(), fault(Direction::Out, FaultKind::Stall, None))
        .unwrap();
    // Like a kernel's send buffer facing a dead path: writes queue, up to a bound, and
    // nothing reaches the socket.
    let chunk = vec![9u8; 64 * 1024];
    let mut queued = 0;
    while let Poll::Ready(n) = poll_write_once(&mut client, &chunk) {
        queued += n.unwrap();
        assert!(queued <= MAX_IN_FLIGHT, "the queue is bounded");
    }
    assert_eq!(queued, MAX_IN_FLIGHT, "then writes wait");
    // A flush does not wait for the path (as on a socket), and moves nothing while stalled.
    assert!(poll_flush_once(&mut client).is_ready());
    assert!(
        poll_write_once(&mut client, b"x").is_pending(),
        "out is stalled"
    );
    // The other direction still flows.
    server.write_all(b"pong").await.unwrap();
    let mut pong = [0u8; 4];
    timeout(LIMIT, client.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"pong");
    assert!(poll_flush_once(&mut client).is_ready());
    assert!(
        poll_write_once(&mut client, b"x").is_pending(),
        "still stalled"
    );

    assert_eq!(faults.clear(Some(&remote())), 1);
    let (written, got) = tokio::join!(
        async {
            client.write_all(b"after heal").await.unwrap();
            client.flush().await.unwrap();
        },
        async {
            let mut got = vec![0u8; MAX_IN_FLIGHT + 10];
            timeout(LIMIT, server.read_exact(&mut got))
                .await
                .unwrap()
                .unwrap();
            got
        }
    );
    let () = written;
    assert!(got[..MAX_IN_FLIGHT].iter().all(|&b| b == 9));
    assert_eq!(
        &got[MAX_IN_FLIGHT..],
        b"after heal",
        "in order, nothing lost"
    );

    // The in direction: bytes wait in the kernel until the stall ends.
    faults
        .set(&remote(), fault(Direction::In, FaultKind::Stall, None))
        .unwrap();
    server.write_all(b"waiting").await.unwrap();
    let mut buf = [0u8; 7];
    assert!(
        poll_read_once(&mut client, &mut buf).is_pending(),
        "in is stalled"
    );
    faults.clear(None);
    timeout(LIMIT, client.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"waiting");
}

#[tokio::test]
async fn an_emulated_link_holds_a_stalled_direction_until_the_stall_ends() {
    let faults = LinkFaults::new();
    let params = LinkParams {
        latency: Duration::from_millis(20),
        ..LinkParams::default()
    };
    let (mut client, mut server) = pair(&faults, params).await;
    assert!(!client.is_gated() && !client.is_passthrough());
    let stall = Duration::from_millis(400);
    faults
        .set(
            &remote(),
            fault(Direction::Out, FaultKind::Stall, Some(stall)),
        )
        .unwrap();
    let sent = Instant::now();
    client.write_all(b"through the cut").await.unwrap();
    client.flush().await.unwrap();
    let mut buf = [0u8; 15];
    timeout(LIMIT, server.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"through the cut");
    assert!(
        sent.elapsed() >= stall,
        "arrived after {:?}",
        sent.elapsed()
    );

    let t = Instant::now();
    faults
        .set(
            &remote(),
            fault(Direction::In, FaultKind::Stall, Some(stall)),
        )
        .unwrap();
    server.write_all(b"back").await.unwrap();
    let mut back = [0u8; 4];
    timeout(LIMIT, client.read_exact(&mut back))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&back, b"back");
    assert!(t.elapsed() >= stall, "read after {:?}", t.elapsed());
}

#[tokio::test]
async fn a_flapping_lossy_link_delivers_every_byte_in_order_late() {
    for params in [
        LinkParams::default(),
        LinkParams {
            latency: Duration::from_millis(5),
            ..LinkParams::default()
        },
    ] {
        let faults = LinkFaults::new();
        let (mut client, mut server) = pair(&faults, params).await;
        let sent = Instant::now();
        let flap = FaultKind::Flap {
            period: Duration::from_millis(300),
            down: Duration::from_millis(100),
        };
        faults
            .set(&remote(), fault(Direction::Both, flap, None))
            .unwrap();
        faults
            .set(
                &remote(),
                fault(Direction::Out, FaultKind::Loss { share: 0.1 }, None),
            )
            .unwrap();
        let data: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let to_send = data.clone();
        let writer = async move {
            for chunk in to_send.chunks(2048) {
                client.write_all(chunk).await.unwrap();
                client.flush().await.unwrap();
            }
            // Bytes still queued behind a flap go out after the close, as from a socket.
            client.close().await.unwrap();
        };
        let reader = async {
            let mut got = vec![0u8; data.len()];
            server.read_exact(&mut got).await.unwrap();
            got
        };
        let ((), got) = timeout(LIMIT, async { tokio::join!(writer, reader) })
            .await
            .unwrap();
        assert!(got == data, "bytes lost or reordered ({params:?})");
        // The flap starts down.
        assert!(
            sent.elapsed() >= Duration::from_millis(100),
            "took {:?}",
            sent.elapsed()
        );
    }
}

#[tokio::test]
async fn a_reset_fails_the_connection_on_both_ends() {
    for params in [
        LinkParams::default(),
        LinkParams {
            latency: Duration::from_millis(5),
            ..LinkParams::default()
        },
    ] {
        let faults = LinkFaults::new();
        let (mut client, mut server) = pair(&faults, params).await;
        let reading = async {
            let mut buf = [0u8; 8];
            client.read(&mut buf).await
        };
        let reset = async {
            tokio::task::yield_now().await;
            faults
                .set(&remote(), fault(Direction::Both, FaultKind::Reset, None))
                .unwrap();
        };
        let (read, ()) = timeout(LIMIT, async { tokio::join!(reading, reset) })
            .await
            .unwrap();
        let e = read.expect_err("the reset reaches a waiting reader");
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset);
        let e = client.write_all(b"x").await.expect_err("and every write");
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset);
        drop(client);
        // The far end sees the connection end.
        let mut rest = Vec::new();
        let _ = timeout(LIMIT, server.read_to_end(&mut rest)).await.unwrap();
        // A connection made after an instant reset lives.
        let (mut again, mut far) = pair(&faults, params).await;
        again.write_all(b"ok").await.unwrap();
        again.flush().await.unwrap();
        let mut ok = [0u8; 2];
        timeout(LIMIT, far.read_exact(&mut ok))
            .await
            .unwrap()
            .unwrap();
    }
}
