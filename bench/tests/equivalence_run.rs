//! The `in-process` scenario at its smallest size: the same 4-node network, seed and load run
//! as node processes and then inside this process. Both must deliver every tx, and every
//! side-by-side figure and gap must be measured.

mod common;

use std::time::Duration;

use rumor_bench::scenarios::equivalence::{self, Params};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_small_network_is_measured_both_ways() {
    let work = tempfile::tempdir().unwrap();
    let ctx = common::ctx(work.path(), 5);
    let p = Params {
        sizes: vec![(4, 20.0)],
        duration_s: 3.0,
    };
    let out = tokio::time::timeout(Duration::from_secs(300), equivalence::run_once(&ctx, &p))
        .await
        .expect("both runs finish in time")
        .expect("both runs succeed");
    let v = |k: &str| {
        out.values
            .get(k)
            .copied()
            .unwrap_or_else(|| panic!("{k} missing from {:?}", out.values))
    };
    for mode in ["proc", "inproc"] {
        assert_eq!(v(&format!("{mode}_4_delivery")), 100.0, "{mode}");
        let (p50, p99) = (v(&format!("{mode}_4_p50")), v(&format!("{mode}_4_p99")));
        assert!(p50 > 0.0 && p50 <= p99, "{mode}: p50 {p50}, p99 {p99}");
        assert!(v(&format!("{mode}_4_cpu")) > 0.0, "{mode}: CPU per node");
        assert!(v(&format!("{mode}_4_rss")) > 0.0, "{mode}: memory per node");
    }
    assert!(
        v("inproc_4_attributed") > 0.0,
        "the meters account for some CPU"
    );
    assert!(v("gap_4_p50") >= 0.0 && v("gap_4_p99") >= 0.0);
    assert!(
        ctx.started.embedded.is_empty(),
        "every in-process node was stopped"
    );
}
