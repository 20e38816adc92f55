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
