//! A compact block's missing txs over real swarms (`/rumor/blocktxn/1`): an answer by index,
//! an out-of-bounds request refused without reaching the node, and the per-peer quota. The
//! "node" here is a minimal app that answers from one fixed block.

mod common;

use std::time::Duration;

use common::*;
use rumor_chain::{BlockHash, SignedTransaction};
use rumor_p2p::*;

const T: Duration = Duration::from_secs(30);

/// Answers requests for `block` from `txs` by index; any other block is unknown.
fn run_app(
    mut events: tokio::sync::mpsc::Receiver<NetworkEvent>,
    block: BlockHash,
    txs: Vec<SignedTransaction>,
) {
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            if let NetworkEvent::BlockTxnRequest {
                request, responder, ..
            } = ev
            {
                responder.respond(if request.block() == block {
                    BlockTxnResponse::Txs(
                        request
                            .indexes
                            .iter()
                            .map(|&i| txs[i as usize].clone())
                            .collect(),
                    )
                } else {
                    BlockTxnResponse::Error("unknown block".into())
                });
            }
        }
    });
}

async fn pair(name: &str, tweak: impl FnOnce(&mut NetworkConfig)) -> (TestNode, TestNode) {
    let mut ca = config(0, 4);
    tweak(&mut ca);
    let (a, a_events) = start_raw(&format!("{name}-a"), ca).await;
    run_app(a_events, BlockHash([7; 32]), (0..10).map(tx).collect());
    let mut cb = config(0, 4);
    cb.bootnodes = vec![a.addr.clone()];
    let (b, _b_events) = start_raw(&format!("{name}-b"), cb).await;
    wait_for("b connected to a", T, || async {
        b.handle
            .peers()
            .await
            .unwrap()
            .iter()
            .any(|p| p.peer == a.peer_id)
    })
    .await;
    (a, b)
}

fn metrics(node: &TestNode) -> String {
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &node.registry.lock().unwrap()).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_txs_come_back_by_index_and_an_unknown_block_is_refused() {
    let (a, b) = pair("blocktxn", |_| {}).await;
    let ask = |block, indexes| BlockTxnRequest::new(BlockHash(block), indexes);
    let answer = b
        .handle
        .block_txn(a.peer_id, ask([7; 32], vec![1, 4, 9]))
        .await;
    assert_eq!(answer, Ok(BlockTxnResponse::Txs(vec![tx(1), tx(4), tx(9)])));
    let answer = b.handle.block_txn(a.peer_id, ask([8; 32], vec![0])).await;
    assert_eq!(answer, Ok(BlockTxnResponse::Error("unknown block".into())));
    // Out of order: outside the protocol's bounds, refused before it is sent.
    let answer = b
        .handle
        .block_txn(a.peer_id, ask([7; 32], vec![2, 1]))
        .await;
    assert_eq!(answer, Err(NetworkError::Busy));
    let text = metrics(&a);
    assert!(
        text.contains(
            "rumor_p2p_blocktxn_requests_total{direction=\"inbound\",result=\"served\"} 2"
        ),
        "served requests are counted:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_over_its_quota_is_refused() {
    let (a, b) = pair("blocktxn-quota", |c| {
        c.blocktxn.peer_burst = 2;
        c.blocktxn.peer_per_sec = 0;
    })
    .await;
    let ask = || BlockTxnRequest::new(BlockHash([7; 32]), vec![0]);
    for _ in 0..2 {
        let answer = b.handle.block_txn(a.peer_id, ask()).await.unwrap();
        assert_eq!(answer, BlockTxnResponse::Txs(vec![tx(0)]));
    }
    let answer = b.handle.block_txn(a.peer_id, ask()).await.unwrap();
    assert_eq!(answer, BlockTxnResponse::Error("rate_limited".into()));
    assert!(metrics(&a).contains("result=\"rate_limited\""));
}
