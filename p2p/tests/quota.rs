//! Per-peer request quotas: a peer that floods Status greetings is refused over its quota,
//! penalised for keeping on, and banned (disconnected); the node it spammed never hands the
//! flood to its application beyond the quota.

mod common;

use std::time::Duration;

use common::*;
use rumor_p2p::{NetworkError, SyncRequest, SyncResponse};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_flooder_is_refused_then_banned() {
    let victim = start_node("quota-victim", config(2, 4)).await;
    let mut c = config(2, 4);
    c.bootnodes = vec![victim.addr.clone()];
    let spammer = start_node("quota-spammer", c).await;
    let t = Duration::from_secs(20);
    let connected = || async {
        victim
            .handle
            .peers()
            .await
            .unwrap()
            .iter()
            .any(|p| p.peer == spammer.peer_id)
    };
    wait_for("the spammer connects", t, connected).await;

    // Far over the default quota (a burst of 8, 0.5/s): 3 offences take 8 + 48 requests.
    let status = genesis_status();
    let mut refused = 0;
    let mut answered = 0;
    let mut failed = 0;
    for _ in 0..100 {
        match spammer
            .handle
            .sync(victim.peer_id, SyncRequest::Status(status))
            .await
        {
            Ok(SyncResponse::Error(e)) if e == "rate_limited" => refused += 1,
            Ok(SyncResponse::Status(_)) => answered += 1,
            Ok(other) => panic!("unexpected answer {other:?}"),
            Err(NetworkError::Sync(_)) => failed += 1,
            Err(e) => panic!("{e}"),
        }
    }
    // The greeting on connect took one token; the rest of the burst is answered.
    assert!(answered <= 8, "answered {answered}");
    // Three offences of 16 refusals each; the last refusal's answer may be lost to the ban's
    // disconnect.
    assert!(refused >= 47, "refused {refused}");
    assert!(
        failed > 0,
        "the spammer was disconnected: later requests fail"
    );
    wait_for("the victim bans the spammer", t, || async {
        !connected().await
    })
    .await;
}
