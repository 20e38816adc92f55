//! The JSON-RPC surface: every bad input gets its JSON-RPC 2.0 (or documented) error code,
//! and none of them stalls the node; subscriptions deliver over WebSocket.

mod common;

use common::*;
use jsonrpsee::core::client::{Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::WsClientBuilder;
use rumor_api::TxReject;
use rumor_chain::{Keypair, TxHash};
use serde_json::{Value, json};

fn key(net: &std::path::Path, name: &str) -> Keypair {
    Keypair::load(&net.join(name)).unwrap()
}

fn raw(tx: &rumor_chain::SignedTransaction) -> Value {
    json!([hex::encode(tx.encode())])
}

fn code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error: {v}"))
}

fn transfer(
    from: &Keypair,
    to: &Keypair,
    amount: u64,
    fee: u64,
    nonce: u64,
    chain_id: u64,
) -> rumor_chain::SignedTransaction {
    rumor_chain::test_utils::TxBuilder::new(from)
        .chain_id(chain_id)
        .to(to.address())
        .amount(amount)
        .fee(fee)
        .nonce(nonce)
        .sign()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_gets_its_code_and_the_node_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 3);
    let node = InProcess::start(&net, "n0", Some("authority-0.key"), true, vec![]).await;
    let a = node.rpc;
    let (alice, bob) = (key(&net, "account-0.key"), key(&net, "account-1.key"));

    // JSON-RPC 2.0 protocol errors.
    assert_eq!(code(&post(a, b"{not json").await.1), -32700, "parse error");
    assert_eq!(
        code(&post(a, b"{\"id\":1,\"method\":\"chain_head\"}").await.1),
        -32600,
        "no jsonrpc field"
    );
    assert_eq!(code(&post(a, b"[]").await.1), -32600, "empty batch");
    assert_eq!(code(&post(a, b"42").await.1), -32600, "not an object");
    let spec_example = br#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#;
    assert_eq!(
        code(&post(a, spec_example).await.1),
        -32600,
        "the spec's invalid-request example"
    );
    assert_eq!(code(&call(a, "no_such_method", json!([])).await), -32601);
    assert_eq!(
        code(&call(a, "tx_submit", json!([12])).await),
        -32602,
        "wrong param type"
    );
    assert_eq!(
        code(&call(a, "tx_submit", json!([])).await),
        -32602,
        "missing param"
    );
    assert_eq!(
        code(&call(a, "tx_submit", json!(["zz"])).await),
        -32602,
        "not hex"
    );
    assert_eq!(
        code(&call(a, "tx_get", json!(["abc"])).await),
        -32602,
        "short hash"
    );
    assert_eq!(code(&call(a, "state_getAccount", json!([7])).await), -32602);
    let big = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tx_submit\",\"params\":[\"{}\"]}}",
        "a".repeat(2 << 20)
    );
    let (status, body) = post(a, big.as_bytes()).await;
    assert!(
        status == 413 || code(&body) == -32007,
        "oversized: {status} {body}"
    );
    let batch: Vec<Value> = (0..200)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "chain_head", "params": []}))
        .collect();
    let (_, body) = post(a, Value::Array(batch).to_string().as_bytes()).await;
    assert_eq!(code(&body), -32010, "batch over the limit");
    // A batch mixing good and bad calls answers each on its own.
    let mixed = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "chain_head", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "nope", "params": []},
        {"jsonrpc": "2.0", "id": 3}
    ]);
    let (_, body) = post(a, mixed.to_string().as_bytes()).await;
    let arr = body.as_array().expect("batch answer");
    assert_eq!(arr.len(), 3);

    // Tx rejections with their documented codes.
    assert_eq!(
        code(&call(a, "tx_submit", json!(["00"])).await),
        TxReject::Decode.code() as i64
    );
    let wrong_chain = transfer(&alice, &bob, 1, 1, 0, 99);
    assert_eq!(
        code(&call(a, "tx_submit", raw(&wrong_chain)).await),
        TxReject::WrongChain.code() as i64
    );
    let mut forged = transfer(&alice, &bob, 1, 1, 0, 1);
    forged.signature.0[3] ^= 1;
    let r = call(a, "tx_submit", raw(&forged)).await;
    assert_eq!(code(&r), TxReject::InvalidSignature.code() as i64);
    assert_eq!(r["error"]["data"], "invalid_signature");
    let too_much = transfer(&alice, &bob, 5_000_000, 1, 0, 1);
    assert_eq!(
        code(&call(a, "tx_submit", raw(&too_much)).await),
        TxReject::InsufficientBalance.code() as i64
    );
    let free = transfer(&alice, &bob, 1, 0, 0, 1);
    assert_eq!(
        code(&call(a, "tx_submit", raw(&free)).await),
        TxReject::FeeTooLow.code() as i64
    );

    let good = transfer(&alice, &bob, 10, 2, 0, 1);
    let r = call(a, "tx_submit", raw(&good)).await;
    assert_eq!(r["result"], good.hash().to_string(), "{r}");
    assert_eq!(
        code(&call(a, "tx_submit", raw(&good)).await),
        TxReject::AlreadyKnown.code() as i64,
        "duplicate"
    );
    let replacement = transfer(&alice, &bob, 11, 2, 0, 1);
    assert_eq!(
        code(&call(a, "tx_submit", raw(&replacement)).await),
        TxReject::ReplacementUnderpriced.code() as i64
    );
    // Once included, nonce 0 is spent.
    wait_for("tx included", T, || async {
        call(a, "tx_get", json!([good.hash().to_string()])).await["result"]["status"]
            .get("included")
            .is_some()
    })
    .await;
    let stale = transfer(&alice, &bob, 12, 3, 0, 1);
    assert_eq!(
        code(&call(a, "tx_submit", raw(&stale)).await),
        TxReject::NonceTooLow.code() as i64
    );

    // Still serving after all of that.
    let head = call(a, "chain_head", json!([])).await;
    assert!(head["result"]["height"].as_u64().unwrap() >= 1);
    let acct = call(a, "state_getAccount", json!([alice.address().to_string()])).await;
    assert_eq!(acct["result"]["nonce"], 1);
    let unknown = call(a, "tx_get", json!([TxHash([9; 32]).to_string()])).await;
    assert_eq!(unknown["result"]["status"], "unknown");
    let status = call(a, "mempool_status", json!([])).await;
    assert!(status["result"]["rejections"].is_object());
    let block = call(a, "chain_getBlockByHeight", json!([1, true])).await;
    assert!(block["result"]["hash"].is_string(), "{block}");
    let missing = call(a, "chain_getBlockByHeight", json!([1_000_000])).await;
    assert_eq!(missing["result"], Value::Null);

    // rpc.discover lists every registered method.
    let doc = call(a, "rpc.discover", json!([])).await;
    assert_eq!(doc["result"]["openrpc"], "1.3.2");
    let methods: Vec<String> = doc["result"]["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    for m in [
        "tx_submit",
        "tx_get",
        "chain_head",
        "net_peers",
        "mempool_subscribePending",
    ] {
        assert!(methods.iter().any(|x| x == m), "{m}");
    }

    // Metrics are served in Prometheus text.
    let text = http_get(node.metrics, "/metrics").await;
    assert!(text.contains("rumor_head_height"), "{text}");
    assert!(text.contains("rumor_rpc_requests_total{method=\"tx_submit\"}"));
    assert!(text.contains("mempool_pending"));
    assert!(text.contains("rumor_p2p_seen_cache_hits_total"));
    node.stop().await;
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_subscriptions_deliver_heads_and_pending_txs() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 2);
    let node = InProcess::start(&net, "n0", Some("authority-0.key"), true, vec![]).await;
    let ws = WsClientBuilder::default()
        .build(format!("ws://{}", node.rpc))
        .await
        .unwrap();
    let mut heads: Subscription<Value> = ws
        .subscribe(
            "chain_subscribeNewHeads",
            rpc_params![],
            "chain_unsubscribeNewHeads",
        )
        .await
        .unwrap();
    let mut pending: Subscription<TxHash> = ws
        .subscribe(
            "mempool_subscribePending",
            rpc_params![],
            "mempool_unsubscribePending",
        )
        .await
        .unwrap();
    let (alice, bob) = (key(&net, "account-0.key"), key(&net, "account-1.key"));
    let tx = transfer(&alice, &bob, 3, 1, 0, 1);
    let r = call(node.rpc, "tx_submit", raw(&tx)).await;
    assert!(r["result"].is_string(), "{r}");
    let got = tokio::time::timeout(T, pending.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got, tx.hash());
    let head = tokio::time::timeout(T, heads.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(head["height"].as_u64().unwrap() >= 1, "{head}");
    assert!(head["hash"].is_string());
    node.stop().await;
}

/// The calls of a batch run together (so their journal appends share syncs), and the answers
/// still come back one per call, in the batch's order, each with its own result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_submissions_is_answered_in_order_one_result_each() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 3);
    let node = InProcess::start(&net, "n0", None, false, vec![]).await;
    let (alice, bob) = (key(&net, "account-0.key"), key(&net, "account-1.key"));
    // 12: under the pool's 16 pending txs per sender.
    let txs: Vec<_> = (0..12)
        .map(|nonce| transfer(&alice, &bob, 1, 1, nonce, 1))
        .collect();
    let mut batch: Vec<Value> = txs
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"jsonrpc": "2.0", "id": i, "method": "tx_submit", "params": raw(t)}))
        .collect();
    // A notification in the middle gets no answer; a bad call gets its own error.
    batch.insert(
        5,
        json!({"jsonrpc": "2.0", "method": "chain_head", "params": []}),
    );
    batch.push(json!({"jsonrpc": "2.0", "id": 99, "method": "nope", "params": []}));
    let (_, body) = post(node.rpc, Value::Array(batch).to_string().as_bytes()).await;
    let answers = body.as_array().expect("a batch answer");
    assert_eq!(answers.len(), 13, "{body}");
    for (i, t) in txs.iter().enumerate() {
        assert_eq!(answers[i]["id"], i, "in order: {body}");
        assert_eq!(
            answers[i]["result"],
            json!(t.hash().to_string()),
            "tx {i}: {}",
            answers[i]
        );
    }
    assert_eq!(answers[12]["id"], 99);
    assert_eq!(code(&answers[12]), -32601);
    node.stop().await;
}
