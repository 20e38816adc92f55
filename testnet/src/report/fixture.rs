//! A small but complete report for tests: three nodes in two regions with a bandwidth cap,
//! built by the real analysis and builder from synthetic traces and counters.

use std::collections::BTreeMap;
use std::path::Path;

use crate::observe::collect::{Live, NodeLive};
use crate::observe::metrics::NodeCounters;
use crate::observe::metrics::counters::RecvCounts;
use crate::setup::{RegionsOpt, plan};
use rumor_report::analysis::{self, Analysis, LatencyGraph, Transmission, Window};
use rumor_report::model::Report;
use rumor_report::trace::synthetic::line;
use rumor_report::trace::{Kind, NodeTrace, Origin};

/// The report and its analysis (plots need both).
pub fn report(dir: &Path) -> (Report, Analysis) {
    use Origin::*;
    let mut opts = crate::setup::plan::tests::opts(3, RegionsOpt::Builtin);
    opts.bandwidth_bytes_per_sec = Some(625_000);
    let (m, _) = plan(&opts, dir).unwrap();
    let t0 = 1_000_000;
    let traces: Vec<NodeTrace> = vec![
        vec![
            line(Kind::Tx, 1, t0, Rpc),
            line(Kind::Block, 2, t0 + 90_000, Gossip),
            line(Kind::Tx, 1, t0 + 60_000, Duplicate),
        ],
        vec![
            line(Kind::Tx, 1, t0 + 40_000, Gossip),
            line(Kind::Block, 2, t0 + 20_000, Producer),
            line(Kind::Tx, 1, t0 + 45_000, Duplicate),
        ],
        vec![
            line(Kind::Tx, 1, t0 + 80_000, Gossip),
            line(Kind::Block, 2, t0 + 150_000, Gossip),
            line(Kind::Block, 2, t0 + 170_000, Duplicate),
        ],
    ]
    .into_iter()
    .map(NodeTrace::of)
    .collect();
    let counters = |i: f64| NodeCounters {
        bytes_in: Some(100_000.0 * i),
        bytes_out: Some(90_000.0 * i),
        tx: Some(RecvCounts {
            unfiltered: 4.0,
            filtered: 2.0,
            bytes_unfiltered: 800.0 * i,
            bytes_filtered: 400.0 * i,
        }),
        block: Some(RecvCounts {
            unfiltered: 2.0,
            filtered: 1.0,
            bytes_unfiltered: 60_000.0 * i,
            bytes_filtered: 30_000.0 * i,
        }),
        ..Default::default()
    };
    let live = Live {
        at_us: t0 + 10_000_000,
        nodes: (0..3)
            .map(|i| NodeLive {
                index: i,
                alive: true,
                counters: Some(counters(1.0 + i as f64)),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let regions = m.regions().unwrap();
    let matrix = &m.emulation.as_ref().unwrap().matrix;
    let graph = LatencyGraph::from_peers(&[vec![1], vec![0, 2], vec![1]], &regions, matrix);
    let transmission = Transmission {
        bytes_per_sec: 625_000.0,
        mean_bytes: BTreeMap::from([(Kind::Tx, 200.0), (Kind::Block, 30_000.0)]),
    };
    let a = analysis::analyze(analysis::Input {
        traces: &traces,
        window: Window {
            start_us: 0,
            end_us: u64::MAX,
        },
        regions: Some(&regions),
        graph: Some(&graph),
        canonical_blocks: None,
        transmission: Some(&transmission),
    });
    let r = super::build(super::BuildInput {
        manifest: &m,
        analysis: &a,
        traces: &traces,
        live: &live,
        counters_start: Some((t0, &[None, None, None])),
        machine_start: None,
        load: None,
        heads: (true, vec![None, None, None]),
        shutdown: None,
        convergence: None,
        notes: vec![],
    });
    (r, a)
}
