//! What wrapping a connection for link faults costs while no fault is set: the same loopback
//! transfers through a plain socket, through `Delayed`'s pass-through, and through a gated
//! `Delayed` whose peer has no fault (what every connection of a node with
//! `fault_control = true` is). Bulk: 256 MiB in 16 KiB writes; ping-pong: 20 000 round trips
//! of 200 bytes (gossip-sized frames, where a per-call cost would show most). Best of 5 rounds
//! each, interleaved, so a busy machine hurts all three alike.
//!
//! `cargo run --release -p rumor-link --example gate_cost`
//!
//! Measured (2 cores shared with other builds, load average ~5): gated against a raw socket,
//! bulk time −2.0%, −1.7%, −0.6%, +0.9% and round trip +2.5%, +5.2%, +1.7%, +1.0% in four
//! runs; one run under a burst of contention read +31% / +44% (its pass-through figures were
//! off too). Two atomic loads per call are below what this machine can resolve.

use std::time::{Duration, Instant};

use futures::io::{AsyncReadExt, AsyncWriteExt};
use rumor_link::{Delayed, LinkFaults, LinkParams};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const BULK: usize = 256 << 20;
const CHUNK: usize = 16 << 10;
const ROUND_TRIPS: usize = 20_000;
const FRAME: usize = 200;
const ROUNDS: usize = 5;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Raw,
    Passthrough,
    Gated,
}

async fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (c, s) = tokio::join!(TcpStream::connect(addr), l.accept());
    let c = c.unwrap();
    c.set_nodelay(true).unwrap();
    let s = s.unwrap().0;
    s.set_nodelay(true).unwrap();
    (c, s)
}

/// The client end as `kind` wraps it; the server end is always a plain socket.
enum Client {
    Raw(TcpStream),
    Wrapped(Delayed),
}

impl Client {
    async fn new(kind: Kind, s: TcpStream, faults: &LinkFaults) -> Self {
        match kind {
            Kind::Raw => Client::Raw(s),
            Kind::Passthrough => Client::Wrapped(Delayed::new(s, LinkParams::default()).unwrap()),
            Kind::Gated => {
                let gate = faults.gate(Some("peer"), None, None);
                let d = Delayed::with_gate(s, LinkParams::default(), Some(gate)).unwrap();
                assert!(d.is_gated());
                Client::Wrapped(d)
            }
        }
    }

    async fn write_all(&mut self, b: &[u8]) {
        match self {
            Client::Raw(s) => s.write_all(b).await.unwrap(),
            Client::Wrapped(d) => d.write_all(b).await.unwrap(),
        }
    }

    async fn read_exact(&mut self, b: &mut [u8]) {
        match self {
            Client::Raw(s) => {
                s.read_exact(b).await.unwrap();
            }
            Client::Wrapped(d) => d.read_exact(b).await.unwrap(),
        }
    }
}

async fn bulk(kind: Kind, faults: &LinkFaults) -> Duration {
    let (c, mut s) = pair().await;
    let mut c = Client::new(kind, c, faults).await;
    let sink = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 << 10];
        let mut n = 0;
        while n < BULK {
            n += s.read(&mut buf).await.unwrap();
        }
    });
    let data = vec![7u8; CHUNK];
    let t = Instant::now();
    for _ in 0..BULK / CHUNK {
        c.write_all(&data).await;
    }
    sink.await.unwrap();
    t.elapsed()
}

async fn ping_pong(kind: Kind, faults: &LinkFaults) -> Duration {
    let (c, mut s) = pair().await;
    let mut c = Client::new(kind, c, faults).await;
    let echo = tokio::spawn(async move {
        let mut buf = [0u8; FRAME];
        for _ in 0..ROUND_TRIPS {
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        }
    });
    let mut buf = [1u8; FRAME];
    let t = Instant::now();
    for _ in 0..ROUND_TRIPS {
        c.write_all(&buf.clone()).await;
        c.read_exact(&mut buf).await;
    }
    echo.await.unwrap();
    t.elapsed()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let faults = LinkFaults::new();
    // Another peer carries a fault, so the registry is live; this connection's peer has none.
    faults
        .set(
            &["someone else".into()],
            rumor_link::LinkFault {
                direction: rumor_link::Direction::Both,
                kind: rumor_link::FaultKind::Stall,
                start: tokio::time::Instant::now(),
                end: None,
            },
        )
        .unwrap();
    let kinds = [Kind::Raw, Kind::Passthrough, Kind::Gated];
    let mut best_bulk = [Duration::MAX; 3];
    let mut best_rtt = [Duration::MAX; 3];
    for _ in 0..ROUNDS {
        for (i, k) in kinds.iter().enumerate() {
            best_bulk[i] = best_bulk[i].min(bulk(*k, &faults).await);
            best_rtt[i] = best_rtt[i].min(ping_pong(*k, &faults).await);
        }
    }
    println!("best of {ROUNDS} rounds, loopback, 2 worker threads");
    println!(
        "{:<12} {:>12} {:>16}",
        "stream", "bulk MB/s", "round trip µs"
    );
    for (i, k) in kinds.iter().enumerate() {
        println!(
            "{:<12} {:>12.0} {:>16.1}",
            format!("{k:?}"),
            BULK as f64 / 1e6 / best_bulk[i].as_secs_f64(),
            best_rtt[i].as_secs_f64() * 1e6 / ROUND_TRIPS as f64
        );
    }
    let rel = |i: usize, base: &[Duration; 3]| {
        (base[i].as_secs_f64() / base[0].as_secs_f64() - 1.0) * 100.0
    };
    println!(
        "gated vs raw: bulk time {:+.1}%, round trip {:+.1}%",
        rel(2, &best_bulk),
        rel(2, &best_rtt)
    );
}
