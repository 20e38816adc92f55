//! A small propagation run with its floor: 4 real `rumor` nodes, 20 tx/s for 3 s, then 4
//! `rumor-floor` processes on the same configs and final graph with the same load. Both must
//! deliver everything, and every floor column and ratio must be measured.

mod common;

use std::time::Duration;

use rumor_bench::net::{NetShape, NodeTweaks};
use rumor_bench::scenarios::propagation::{self, Params};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_run_measures_rumor_and_its_floor_on_the_same_graph() {
    let work = tempfile::tempdir().unwrap();
    let ctx = common::ctx(work.path(), 3);
    let p = Params {
        net: NetShape::new(4, 1, 16),
        tps: 20.0,
        duration_s: 3.0,
        node: NodeTweaks::default(),
    };
    let out = tokio::time::timeout(Duration::from_secs(240), propagation::run_once(&ctx, &p))
        .await
        .expect("the run and its floor finish in time")
        .expect("the run and its floor succeed");
    let v = |k: &str| {
        out.values
            .get(k)
            .copied()
            .unwrap_or_else(|| panic!("{k} missing from {:?}", out.values))
    };
    assert_eq!(v("tx_delivery"), 100.0);
    assert_eq!(v("floor_tx_delivery"), 100.0);
    for k in [
        "floor_tx_p50_all",
        "floor_tx_p99_all",
        "floor_cpu_per_msg",
        "cpu_per_msg",
        "vs_floor_cpu",
        "vs_floor_p99",
        "vs_floor_bytes",
        "floor_rss",
        "vs_floor_rss",
    ] {
        assert!(v(k) > 0.0, "{k} = {}", v(k));
    }
    // Every message leaves its origin at least once, tx-sized plus framing.
    let size = rumor_chain::codec::TX_ENCODED_LEN as f64;
    assert!(
        v("floor_bytes_per_msg") >= size * 0.75,
        "floor bytes per message per node {} for {size}-byte messages over 4 nodes",
        v("floor_bytes_per_msg")
    );
    assert!(v("bytes_per_msg") >= size * 0.75);
    // The floor's processes are gone and the testnet directory was discarded.
    assert!(
        !work.path().join("net").exists(),
        "testnet directory left behind"
    );
}
