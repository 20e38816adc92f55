//! Link emulation between two real nodes: europe ↔ na_east is 70 ms one way, so gossip in
//! either direction never arrives sooner.

mod common;

use std::time::Duration;

use common::*;
use rumor_link::LinkEmulation;
use rumor_p2p::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_between_regions_70ms_apart_takes_at_least_70ms() {
    let pa = identity_from_key(&rumor_chain::Keypair::from_label("eu"))
        .public()
        .to_peer_id();
    let pb = identity_from_key(&rumor_chain::Keypair::from_label("us"))
        .public()
        .to_peer_id();
    let link = |mine: &str, other: PeerId, theirs: &str| {
        LinkEmulation::from_json(&format!(
            r#"{{"my_region": "{mine}", "peer_regions": {{"{other}": "{theirs}"}}}}"#
        ))
        .unwrap()
    };
    let mut cb = config(0, 4);
    cb.link = Some(link("na_east", pa, "europe"));
    cb.gossip.forward_queue_duration = Duration::from_secs(5);
    let b = start_node("us", cb).await;
    let mut ca = config(0, 4);
    ca.link = Some(link("europe", pb, "na_east"));
    ca.bootnodes = vec![b.addr.clone()];
    let a = start_node("eu", ca).await;
    wait_for_mesh(std::slice::from_ref(&a), 1, Duration::from_secs(30)).await;
    wait_for_mesh(std::slice::from_ref(&b), 1, Duration::from_secs(30)).await;

    for (from, to, k) in [(&a, &b, 1u64), (&b, &a, 2), (&a, &b, 3), (&b, &a, 4)] {
        let tx = tx(k);
        let t0 = rumor_chain::clock::now_us();
        from.handle.publish(Topic::Tx, tx.encode()).await.unwrap();
        wait_for("delivery", Duration::from_secs(10), || async {
            seen_count(to, &tx.hash().0) == 1
        })
        .await;
        let arrived = to.seen.lock().unwrap().deliveries[&tx.hash().0].1;
        let took = Duration::from_micros(arrived - t0);
        eprintln!("tx {k}: {took:?}");
        assert!(
            took >= Duration::from_millis(70),
            "arrived after only {took:?}"
        );
    }
}
