//! Clock skew with real `rumor` processes (`--skew`): a producer whose clock runs 2 s ahead.
//!
//! Within a tolerance set wide enough (3 s), its blocks are taken at once like everyone's, no
//! node holds or refuses a block, and it knows its offset (`chain_clock`). Beyond the default
//! tolerance (500 ms) the others hold its blocks until their slots and count them, it reports
//! itself out of tolerance (RPC, metric, one warning in its log), the others note the early
//! blocks, the chain goes on, and the report shows the skew and the node's own estimate.
//!
//! Every wait is on a condition with a bound; the only figure checked is the estimate, within
//! generous bounds (network delay and block building only add to it).

mod common;

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use rumor_testnet::Manifest;
use rumor_testnet::commands::{measure, up};
use rumor_testnet::observe::collect;
use rumor_testnet::observe::metrics::clock::ClockCounts;
use rumor_testnet::observe::rpc::Rpc;
use rumor_testnet::process::Started;
use rumor_testnet::setup::{RegionsOpt, UpOptions};

/// Waits up to `limit` for `probe` to give a value.
async fn until<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn options(dir: &Path, nodes: usize, slot_ms: u64, skew: &str) -> UpOptions {
    let mut overrides = rumor_testnet::setup::NodeOverrides {
        skew: vec![skew.parse().unwrap()],
        ..Default::default()
    };
    overrides.config.verify_threads = 1;
    UpOptions {
        dir: dir.to_path_buf(),
        rumor: common::rumor_bin(),
        nodes,
        producers: nodes,
        seed: 29,
        slot_ms,
        chain_id: 1,
        accounts: 4,
        account_balance: 1_000_000_000,
        regions: RegionsOpt::None,
        jitter_ms: 0,
        bandwidth_bytes_per_sec: None,
        ready_timeout: Duration::from_secs(60),
        overrides,
        in_process: false,
        prometheus: None,
        compose: None,
    }
}

async fn clock_counts(m: &Manifest, i: usize) -> ClockCounts {
    let c = rumor_testnet::observe::metrics::scrape(m.nodes[i].metrics, &m.network)
        .await
        .expect("metrics answer");
    c.clock.expect("the clock series")
}

/// Producers of node 0's canonical blocks above `from`, in height order.
async fn producers_above(rpc: &Rpc, from: u64) -> Vec<rumor_chain::Address> {
    let head = rpc.chain_head().await.unwrap().height;
    let mut out = Vec::new();
    for h in from + 1..=head {
        if let Ok(header) = rpc.header(h).await {
            out.push(header.producer);
        }
    }
    out
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_producer_ahead_within_the_tolerance_has_its_blocks_taken_and_knows_its_offset() {
    let _serial = common::serial();
    runtime().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        // 3 s slots: a block built 2 s early still comes after the previous slot's block.
        let mut opts = options(&tmp.path().join("net"), 3, 3000, "2:+2000");
        opts.overrides.config.chain.max_future_ms = 3000;
        let started = Started::default();
        let m = up::start(&opts, &started, true).await.unwrap();
        let rpcs = collect::clients(&m).unwrap();
        let from = rpcs[0].chain_head().await.unwrap().height;
        let skewed = m.nodes[2].address;

        let status = until(
            "the skewed node's estimate",
            Duration::from_secs(120),
            || async {
                let s = rpcs[2].chain_clock().await.ok()?;
                s.offset_estimate_ms.is_some().then_some(s)
            },
        )
        .await;
        let offset = status.offset_estimate_ms.unwrap();
        eprintln!("within the tolerance: node 2 (+2000 ms) estimates {status:?}");
        assert!((1500..=2800).contains(&offset), "{status:?}");
        assert_eq!(status.within_tolerance, Some(true), "{status:?}");
        assert_eq!(status.tolerance_ms, 3000);

        // Its blocks and everyone else's make the chain.
        let chain = until(
            "two blocks of every producer",
            Duration::from_secs(120),
            || async {
                let p = producers_above(&rpcs[0], from).await;
                let n = |a| p.iter().filter(|x| **x == a).count();
                m.nodes.iter().all(|x| n(x.address) >= 2).then_some(p)
            },
        )
        .await;
        assert!(chain.contains(&skewed));
        for i in 0..3 {
            let c = clock_counts(&m, i).await;
            assert_eq!(
                (c.held, c.refused, c.rejected, c.dropped),
                (0.0, 0.0, 0.0, 0.0),
                "node {i} took every block at once: {c:?}"
            );
            assert!(!c.out_of_tolerance, "node {i}: {c:?}");
        }
        let (same, heads) = collect::converged_heads(&rpcs, Duration::from_secs(20)).await;
        assert!(same, "{heads:?}");
        let stop = started.stop(&opts.dir).await;
        assert!(stop.killed.is_empty(), "{stop:?}");
    });
}

#[test]
fn a_producer_ahead_beyond_the_tolerance_is_held_says_so_and_the_chain_goes_on() {
    let _serial = common::serial();
    runtime().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("net");
        // The default tolerance (500 ms); 500 ms slots.
        let opts = options(&dir, 4, 500, "3:+2000");
        let started = Started::default();
        let m = up::start(&opts, &started, true).await.unwrap();
        let rpcs = collect::clients(&m).unwrap();

        // The skewed node knows.
        let status = until(
            "the skewed node out of tolerance",
            Duration::from_secs(60),
            || async {
                let s = rpcs[3].chain_clock().await.ok()?;
                (s.within_tolerance == Some(false)).then_some(s)
            },
        )
        .await;
        let offset = status.offset_estimate_ms.unwrap();
        eprintln!("beyond the tolerance: node 3 (+2000 ms) estimates {status:?}");
        assert!((1500..=2800).contains(&offset), "{status:?}");
        assert!(clock_counts(&m, 3).await.out_of_tolerance);

        // The others held its blocks and imported them when their slots came.
        until(
            "its blocks held and released",
            Duration::from_secs(60),
            || async {
                let mut total = ClockCounts::default();
                for i in 0..3 {
                    let c = clock_counts(&m, i).await;
                    total.held += c.held;
                    total.released += c.released;
                }
                (total.held >= 2.0 && total.released >= 1.0).then_some(())
            },
        )
        .await;
        for (i, rpc) in rpcs.iter().take(3).enumerate() {
            let s = rpc.chain_clock().await.unwrap();
            assert_ne!(s.within_tolerance, Some(false), "node {i}: {s:?}");
        }

        // The rest of the chain goes on.
        let h = rpcs[0].chain_head().await.unwrap().height;
        until("the chain to grow", Duration::from_secs(60), || async {
            (rpcs[0].chain_head().await.ok()?.height >= h + 6).then_some(())
        })
        .await;

        // The report shows the skew and the node's own estimate (read live).
        let measured = measure::measure(&dir, true).await.unwrap();
        let skew = measured.report.skew.as_ref().expect("a skew section");
        assert_eq!(skew.nodes.len(), 1);
        let n = &skew.nodes[0];
        assert_eq!((n.index, n.skew_ms), (3, 2000));
        assert!(n.beyond_tolerance, "{n:?}");
        let own = n.estimate_ms.unwrap();
        assert!((1500.0..=2800.0).contains(&own), "{n:?}");
        assert!(skew.early_at_unskewed.held >= 2.0, "{skew:?}");
        eprintln!("{}", rumor_report::section::skew::line(skew));
        let md = std::fs::read_to_string(dir.join("report/report.md")).unwrap();
        assert!(md.contains("## Clock skew"), "{md}");
        // The tool measured the node's clock over RPC (and corrected its trace by it).
        let clocks = measured.report.clocks.as_ref().expect("clocks measured");
        let c3 = clocks.nodes.iter().find(|c| c.index == 3).unwrap();
        assert!((c3.offset_ms - 2000.0).abs() < 250.0, "{clocks:?}");

        let stop = started.stop(&opts.dir).await;
        assert!(stop.killed.is_empty(), "nothing hung: {stop:?}");
        assert_eq!(stop.terminated.len(), 4, "{stop:?}");

        // It said so once (not per block); the others noted its early blocks.
        let log = |i: usize| std::fs::read_to_string(m.nodes[i].log_file()).unwrap();
        let warned = log(3).matches("our clock runs ahead").count();
        assert_eq!(warned, 1, "{}", log(3));
        assert!(
            (0..3).any(|i| log(i).contains("before their slot by our clock")),
            "an honest node noted the early blocks"
        );
    });
}
