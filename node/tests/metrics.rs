//! `/metrics` as operators' tools read it: a live node's page (two nodes, txs gossiped, a
//! block imported, RPC calls good and bad) passes promtool's lint — promtool's own where it is
//! installed (`promtool`, or `RUMOR_PROMTOOL`), always the same checks in Rust
//! (`common/promlint.rs`) — and its labels stay bounded whatever clients send.

mod common;
#[path = "common/promlint.rs"]
mod promlint;

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One GET with `accept`; the response's content type and body.
async fn get(addr: SocketAddr, accept: &str) -> (String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(T, s.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    let (head, body) = out.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let content_type = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    assert!(!chunked, "the page is sent whole, with a length");
    (content_type, body.to_owned())
}

/// `promtool check metrics` on `page`: `None` when promtool is not installed, else its
/// findings (one per line; empty when clean).
fn promtool(page: &str) -> Option<Vec<String>> {
    let bin = std::env::var("RUMOR_PROMTOOL").unwrap_or_else(|_| "promtool".into());
    let mut child = Command::new(&bin)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let findings: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    assert!(
        out.status.success() || !findings.is_empty(),
        "promtool failed without saying why: {:?}",
        out.status
    );
    Some(findings)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_nodes_page_passes_promtool_and_keeps_labels_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 2);
    let producer = InProcess::start(&net, "n0", Some("authority-0.key"), true, vec![]).await;
    let follower = InProcess::start(&net, "n1", None, false, vec![producer.p2p.clone()]).await;
    submit_transfers(&net, follower.rpc, 0..3).await;
    for i in 0..20 {
        // Method names are the client's choice: none may become a label value.
        let r = call(follower.rpc, &format!("no_such_method_{i}"), json!([])).await;
        assert_eq!(r["error"]["code"], -32601, "{r}");
    }
    wait_for("the txs in a block on the follower", T, || async {
        let head = call(follower.rpc, "chain_head", json!([])).await;
        head["result"]["height"].as_u64().unwrap_or(0) >= 1 && pending(&follower).await == 0
    })
    .await;

    // curl's `Accept: */*` gets the classic text format; Prometheus's header gets OpenMetrics.
    let (content_type, page) = get(follower.metrics, "*/*").await;
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let (om_type, om) = get(
        follower.metrics,
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    )
    .await;
    assert!(
        om_type.starts_with("application/openmetrics-text"),
        "{om_type}"
    );
    assert!(om.ends_with("# EOF\n"));

    let families = promlint::parse(&page);
    for name in [
        "rumor_head_height",
        "rumor_blocks_imported_total",
        "rumor_rpc_requests_total",
        "rumor_p2p_gossip_received_total",
        "mempool_admitted_total",
        "mempool_limit_max_queued",
        "gossipsub_topic_msg_recv_bytes_total",
        "libp2p_bandwidth_bytes_total",
    ] {
        assert!(
            families
                .iter()
                .any(|f| f.name == name && !f.series.is_empty()),
            "{name} missing or empty:\n{page}"
        );
    }
    let findings = promlint::lint(&families);
    assert!(
        findings.is_empty(),
        "lint findings:\n{}",
        findings.join("\n")
    );
    // The same checks over the OpenMetrics page read as classic text (what promtool saw
    // before the node negotiated) flag every counter: the lint is not vacuous on live data.
    let misread = promlint::lint(&promlint::parse(&om));
    assert!(
        misread
            .iter()
            .any(|f| f == "rumor_blocks_imported_total no help text"),
        "{misread:#?}"
    );
    match promtool(&page) {
        Some(found) => assert!(found.is_empty(), "promtool:\n{}", found.join("\n")),
        None => eprintln!("NOTICE: promtool not installed; the same checks ran in Rust only"),
    }

    // Bounded labels: every value comes from the node's own fixed sets.
    assert!(
        !page.contains("no_such_method"),
        "client input became a label"
    );
    for f in &families {
        assert!(
            f.series.len() <= 64,
            "{} has {} series",
            f.name,
            f.series.len()
        );
    }
    follower.stop().await;
    producer.stop().await;
}
