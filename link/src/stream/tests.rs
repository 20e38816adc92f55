//! End-to-end checks on real loopback sockets and the real clock. Every wait is bounded by a
//! timeout; assertions are "no earlier than", which host load can only make easier to meet.

use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout};

use super::*;

const LATENCY: Duration = Duration::from_millis(70);
const LIMIT: Duration = Duration::from_secs(20);

/// A connected pair: the dialer side wrapped with `params`, the listener side raw.
async fn pair(params: LinkParams) -> (Delayed, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, server) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let client = Delayed::new(client.unwrap(), params).unwrap();
    (client, server.unwrap().0)
}

fn latency_only() -> LinkParams {
    LinkParams {
        latency: LATENCY,
        ..LinkParams::default()
    }
}

/// Cheap, reproducible, non-repeating bytes.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = crate::rng::SplitMix64::new(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

#[tokio::test]
async fn one_way_latency_each_direction() {
    let (mut client, mut server) = pair(latency_only()).await;
    assert!(!client.is_passthrough());

    let written = Instant::now();
    client.write_all(b"ping").await.unwrap();
    client.flush().await.unwrap();
    let mut buf = [0u8; 4];
    timeout(LIMIT, server.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let arrived = Instant::now();
    assert_eq!(&buf, b"ping");
    assert!(
        arrived - written >= LATENCY,
        "ping took {:?}",
        arrived - written
    );

    let answered = Instant::now();
    server.write_all(b"pong").await.unwrap();
    timeout(LIMIT, client.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let back = Instant::now();
    assert_eq!(&buf, b"pong");
    assert!(
        back - answered >= LATENCY,
        "pong took {:?}",
        back - answered
    );
    assert!(back - written >= 2 * LATENCY, "rtt {:?}", back - written);
}

#[tokio::test]
async fn large_transfers_both_ways_with_bandwidth_cap_and_jitter() {
    const LEN: usize = 1 << 20;
    const BW: u64 = 4 << 20;
    let params = LinkParams {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(5),
        bandwidth_bytes_per_sec: Some(BW),
    };
    let (client, server) = pair(params).await;
    let (mut client_rd, mut client_wr) = client.split();
    let (mut server_rd, mut server_wr) = server.into_split();
    let up = pattern(LEN, 1);
    let down = pattern(LEN, 2);
    let start = Instant::now();

    let send_up = async {
        client_wr.write_all(&up).await.unwrap();
        client_wr.close().await.unwrap();
    };
    let recv_up = async {
        let mut got = Vec::new();
        server_rd.read_to_end(&mut got).await.unwrap();
        (got, Instant::now())
    };
    let send_down = async {
        server_wr.write_all(&down).await.unwrap();
        server_wr.shutdown().await.unwrap();
    };
    let recv_down = async {
        // Small reads exercise chunks larger than the caller's buffer.
        let mut got = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            match client_rd.read(&mut buf).await.unwrap() {
                0 => break,
                n => got.extend_from_slice(&buf[..n]),
            }
        }
        (got, Instant::now())
    };
    let (_, (got_up, up_done), _, (got_down, down_done)) = timeout(LIMIT, async {
        tokio::join!(send_up, recv_up, send_down, recv_down)
    })
    .await
    .unwrap();

    assert!(got_up == up, "upload corrupted");
    assert!(got_down == down, "download corrupted");
    let floor = Duration::from_secs_f64(LEN as f64 / BW as f64) + params.latency;
    assert!(
        up_done - start >= floor,
        "upload took {:?}",
        up_done - start
    );
    assert!(
        down_done - start >= floor,
        "download took {:?}",
        down_done - start
    );
}

#[tokio::test]
async fn close_and_eof_are_delayed_and_propagate() {
    let (mut client, mut server) = pair(latency_only()).await;

    let closed = Instant::now();
    timeout(LIMIT, client.close()).await.unwrap().unwrap();
    assert!(client.write(b"late").await.is_err());
    let mut buf = [0u8; 8];
    let n = timeout(LIMIT, server.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 0);
    assert!(closed.elapsed() >= LATENCY);

    let shut = Instant::now();
    server.shutdown().await.unwrap();
    let n = timeout(LIMIT, client.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 0);
    assert!(shut.elapsed() >= LATENCY, "EOF after {:?}", shut.elapsed());
    assert_eq!(client.read(&mut buf).await.unwrap(), 0, "EOF is sticky");
}

#[tokio::test]
async fn reset_surfaces_as_an_error() {
    let (mut client, server) = pair(latency_only()).await;
    server.set_zero_linger().unwrap();
    drop(server);
    let mut buf = [0u8; 8];
    let err = timeout(LIMIT, client.read(&mut buf))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
}

#[tokio::test]
async fn dropping_delivers_queued_bytes_then_eof() {
    let (mut client, mut server) = pair(latency_only()).await;
    client.write_all(b"last words").await.unwrap();
    drop(client);
    let mut got = Vec::new();
    timeout(LIMIT, server.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, b"last words");
}

#[tokio::test]
async fn writes_stall_once_the_queue_is_full() {
    let (mut client, server) = pair(latency_only()).await;
    // The server never reads: the kernel buffers fill, then the emulation's queue.
    let chunk = vec![7u8; 64 * 1024];
    let mut accepted = 0usize;
    while let Ok(n) = timeout(Duration::from_millis(500), client.write(&chunk)).await {
        accepted += n.unwrap();
        // Kernel socket buffers on loopback add a few MiB on top of the emulation's own bound.
        assert!(
            accepted < MAX_IN_FLIGHT + (64 << 20),
            "writes never stalled"
        );
    }
    assert!(accepted >= MAX_IN_FLIGHT, "stalled at {accepted} bytes");
    drop(server);
}

#[tokio::test]
async fn zero_params_are_a_passthrough() {
    let (mut client, mut server) = pair(LinkParams::default()).await;
    assert!(client.is_passthrough());
    assert_eq!(client.params(), LinkParams::default());
    client.write_all(b"hi").await.unwrap();
    client.flush().await.unwrap();
    let mut buf = [0u8; 2];
    timeout(LIMIT, server.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    server.write_all(b"yo").await.unwrap();
    timeout(LIMIT, client.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"yo");
    client.close().await.unwrap();
}

#[test]
fn creating_outside_a_runtime_fails_cleanly() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let std_stream = std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
    std_stream.set_nonblocking(true).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Registering the socket needs a runtime; creating the wrapper must not.
    let stream = rt
        .block_on(async { TcpStream::from_std(std_stream) })
        .unwrap();
    assert!(Delayed::new(stream, latency_only()).is_err());
}

/// Polls the runtime's live task count; only the test's own task may remain.
async fn tasks_wind_down() -> bool {
    let metrics = tokio::runtime::Handle::current().metrics();
    let deadline = Instant::now() + LIMIT;
    while metrics.num_alive_tasks() > 0 {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    true
}

#[tokio::test]
async fn no_task_outlives_its_stream() {
    // Dropped mid-transfer, with data queued both ways.
    let (mut client, mut server) = pair(latency_only()).await;
    client.write_all(&[1u8; 100_000]).await.unwrap();
    server.write_all(&[2u8; 100_000]).await.unwrap();
    // The server stays open and silent: only the drop itself can end the reader task.
    drop(client);
    assert!(tasks_wind_down().await, "tasks still alive after drop");
    drop(server);

    // Closed properly, then dropped.
    let (mut client, server) = pair(latency_only()).await;
    client.write_all(b"x").await.unwrap();
    timeout(LIMIT, client.close()).await.unwrap().unwrap();
    drop(client);
    assert!(tasks_wind_down().await, "tasks still alive after close");
    drop(server);
}

#[test]
fn usable_as_a_libp2p_transport_output() {
    fn check<T: AsyncRead + AsyncWrite + Send + Unpin + fmt::Debug + 'static>() {}
    check::<Delayed>();
}
