//! Mempool anti-entropy over real swarms: a digest and a get over `/rumor/txsync/1`, answers
//! cut to the protocol's bounds, and the per-peer quota. The "node" here is a minimal app that
//! answers from a fixed list of txs.

mod common;

use std::time::Duration;

use common::*;
use rumor_p2p::*;

const T: Duration = Duration::from_secs(30);

/// Answers digests with `digest` and gets from `txs`.
fn run_app(
    mut events: tokio::sync::mpsc::Receiver<NetworkEvent>,
    digest: Vec<rumor_chain::TxHash>,
    txs: Vec<rumor_chain::SignedTransaction>,
) {
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            if let NetworkEvent::TxSyncRequest {
                request, responder, ..
            } = ev
            {
                responder.respond(match request {
                    TxSyncRequest::Digest { .. } => TxSyncResponse::Digest(digest.clone()),
                    TxSyncRequest::Get(hashes) => TxSyncResponse::Txs(
                        txs.iter()
                            .filter(|t| hashes.contains(&t.hash().0))
                            .cloned()
                            .collect(),
                    ),
                });
            }
        }
    });
}

async fn connected(a: &TestNode, b: &TestNode) {
    wait_for("b connected to a", T, || async {
        b.handle
            .peers()
            .await
            .unwrap()
            .iter()
            .any(|p| p.peer == a.peer_id)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_then_a_get_fetch_the_missing_txs() {
    let txs: Vec<_> = (0..10).map(tx).collect();
    let mut digest: Vec<_> = txs.iter().map(|t| t.hash()).collect();
    // More hashes than a digest may carry: the answer is cut to the bound.
    digest.extend((0..MAX_DIGEST_HASHES as u32).map(|i| {
        let mut h = [0u8; 32];
        h[..4].copy_from_slice(&i.to_le_bytes());
        rumor_chain::TxHash(h)
    }));
    let (a, a_events) = start_raw("txsync-a", config(0, 4)).await;
    run_app(a_events, digest.clone(), txs.clone());
    let mut cb = config(0, 4);
    cb.bootnodes = vec![a.addr.clone()];
    let (b, _b_events) = start_raw("txsync-b", cb).await;
    connected(&a, &b).await;

    let answer = b
        .handle
        .txsync(a.peer_id, TxSyncRequest::Digest { max: 10_000 })
        .await
        .unwrap();
    let TxSyncResponse::Digest(got) = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(got.len(), MAX_DIGEST_HASHES);
    assert_eq!(got[..10], digest[..10]);

    let answer = b
        .handle
        .txsync(a.peer_id, TxSyncRequest::get(&got[..3]))
        .await
        .unwrap();
    assert_eq!(answer, TxSyncResponse::Txs(txs[..3].to_vec()));

    // A get over the bound never leaves this node.
    let over = TxSyncRequest::Get(vec![[0; 32]; MAX_GET_HASHES + 1]);
    assert_eq!(
        b.handle.txsync(a.peer_id, over).await,
        Err(NetworkError::Busy)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_over_its_quota_is_refused() {
    let mut ca = config(0, 4);
    ca.txsync.peer_burst = 2;
    ca.txsync.peer_per_sec = 0;
    let (a, a_events) = start_raw("txsync-quota-a", ca).await;
    run_app(a_events, Vec::new(), Vec::new());
    let mut cb = config(0, 4);
    cb.bootnodes = vec![a.addr.clone()];
    let (b, _b_events) = start_raw("txsync-quota-b", cb).await;
    connected(&a, &b).await;
    let digest = || TxSyncRequest::Digest { max: 16 };
    for _ in 0..2 {
        let answer = b.handle.txsync(a.peer_id, digest()).await.unwrap();
        assert_eq!(answer, TxSyncResponse::Digest(Vec::new()));
    }
    let answer = b.handle.txsync(a.peer_id, digest()).await.unwrap();
    assert_eq!(answer, TxSyncResponse::Error("rate_limited".into()));
    let text = {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &a.registry.lock().unwrap()).unwrap();
        out
    };
    assert!(
        text.contains("result=\"rate_limited\""),
        "the refusal is counted:\n{text}"
    );
}

/// A client that sends raw bytes as a `/rumor/txsync/1` request (what a broken or hostile peer
/// could send), and reads whatever comes back.
mod raw {
    use futures::{AsyncReadExt, AsyncWriteExt};
    use libp2p::{StreamProtocol, request_response};

    #[derive(Debug, Clone, Default)]
    pub struct RawCodec;

    impl request_response::Codec for RawCodec {
        type Protocol = StreamProtocol;
        type Request = Vec<u8>;
        type Response = Vec<u8>;

        async fn read_request<T>(
            &mut self,
            _: &StreamProtocol,
            io: &mut T,
        ) -> std::io::Result<Vec<u8>>
        where
            T: futures::AsyncRead + Unpin + Send,
        {
            let mut b = Vec::new();
            io.read_to_end(&mut b).await?;
            Ok(b)
        }

        async fn read_response<T>(
            &mut self,
            _: &StreamProtocol,
            io: &mut T,
        ) -> std::io::Result<Vec<u8>>
        where
            T: futures::AsyncRead + Unpin + Send,
        {
            let mut b = Vec::new();
            io.read_to_end(&mut b).await?;
            Ok(b)
        }

        async fn write_request<T>(
            &mut self,
            _: &StreamProtocol,
            io: &mut T,
            req: Vec<u8>,
        ) -> std::io::Result<()>
        where
            T: futures::AsyncWrite + Unpin + Send,
        {
            io.write_all(&req).await
        }

        async fn write_response<T>(
            &mut self,
            _: &StreamProtocol,
            io: &mut T,
            r: Vec<u8>,
        ) -> std::io::Result<()>
        where
            T: futures::AsyncWrite + Unpin + Send,
        {
            io.write_all(&r).await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_request_penalises_its_sender() {
    use futures::StreamExt;
    use libp2p::request_response::{self, ProtocolSupport};
    use libp2p::swarm::SwarmEvent;

    let (a, a_events) = start_raw("txsync-garbage-a", config(0, 4)).await;
    run_app(a_events, Vec::new(), Vec::new());
    let mut client = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            libp2p::tcp::Config::default(),
            libp2p::noise::Config::new,
            libp2p::yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| {
            request_response::Behaviour::<raw::RawCodec>::new(
                [(
                    libp2p::StreamProtocol::new("/rumor/txsync/1"),
                    ProtocolSupport::Outbound,
                )],
                request_response::Config::default(),
            )
        })
        .unwrap()
        .build();
    client.dial(a.addr.clone()).unwrap();
    // Not a request at all, then one over the request cap.
    let garbage = [vec![0xff; 40], vec![0u8; 64 * 1024]];
    let mut sent = 0;
    let mut failed = 0;
    tokio::time::timeout(T, async {
        while failed < garbage.len() {
            match client.select_next_some().await {
                SwarmEvent::ConnectionEstablished { peer_id, .. } if sent == 0 => {
                    for g in &garbage {
                        client.behaviour_mut().send_request(&peer_id, g.clone());
                        sent += 1;
                    }
                }
                // A refused request ends with a failure or an empty answer (the stream dropped).
                SwarmEvent::Behaviour(
                    request_response::Event::OutboundFailure { .. }
                    | request_response::Event::Message { .. },
                ) => failed += 1,
                SwarmEvent::ConnectionClosed { .. } if sent > 0 => failed = garbage.len(),
                _ => {}
            }
        }
    })
    .await
    .expect("both garbage requests are done");
    let metrics = || {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &a.registry.lock().unwrap()).unwrap();
        out
    };
    wait_for("the sender penalised for both", T, || async {
        metrics().contains("rumor_p2p_peer_penalties_total 2")
    })
    .await;
    assert!(metrics().contains("result=\"garbage\""), "{}", metrics());
}
