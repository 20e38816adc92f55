//! `relay`: a line A–B–C, an offered rate into A that ramps until C misses more than 1 % of
//! what A accepted. Each step's txs are looked up in the nodes' traces after a settle period.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::Serialize;

use super::verify_ceiling;
use crate::ctx::{Ctx, RunOutcome};
use crate::error::{Error, Result};
use crate::net::{self, NetShape, NodeTweaks};
use crate::ramp::{RelayRule, RelayStep, StopReason};
use crate::scenario::{CEILING, Spec, fraction_of_ceiling};
use rumor_report::analysis::percentile::{Summary, summarize};
use rumor_report::figure::FigureSpec;
use rumor_report::trace::{self, Kind, NodeTrace};
use rumor_testnet::load::{LoadOptions, drive, plan_txs};
use rumor_testnet::setup::NodeOverrides;
use rumor_testnet::setup::manifest::Manifest;

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub rates: Vec<f64>,
    pub step_s: f64,
    /// Wait after each step before reading the traces.
    pub settle_s: f64,
    /// Enough that no sender exceeds 64 pending txs over the whole ramp.
    pub accounts: usize,
    pub batch: usize,
    pub clients: usize,
    pub min_delivery: f64,
    pub min_accept_fraction: f64,
    pub node: NodeTweaks,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            rates: vec![1000.0, 2000.0, 4000.0, 8000.0, 12000.0, 16000.0],
            step_s: 4.0,
            settle_s: 3.0,
            accounts: 3000,
            batch: 50,
            clients: 4,
            min_delivery: 0.99,
            min_accept_fraction: 0.9,
            node: NodeTweaks {
                peers: Some((0, 2)),
                big_pool: true,
                ..NodeTweaks::default()
            },
        }
    }
}

impl Params {
    fn rule(&self) -> RelayRule {
        RelayRule {
            min_delivery: self.min_delivery,
            min_accept_fraction: self.min_accept_fraction,
        }
    }
}

/// What the traces say about one step's accepted txs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub accepted: usize,
    pub seen_b: usize,
    pub seen_c: usize,
    /// C's first sight minus A's, over txs both traced.
    pub c_ms: Option<Summary>,
}

impl Delivery {
    pub fn ratio_c(&self) -> f64 {
        if self.accepted == 0 {
            0.0
        } else {
            self.seen_c as f64 / self.accepted as f64
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub step: RelayStep,
    pub sent_tps: f64,
    pub rejected: usize,
    pub failed: usize,
    pub delivery: Delivery,
    /// Trace lines the nodes dropped so far (a dropped line at C looks like a lost tx).
    pub trace_dropped: Vec<Option<f64>>,
}

fn first_sight(t: &NodeTrace) -> HashMap<&str, u64> {
    let mut m = HashMap::new();
    for l in t.lines.iter().filter(|l| l.kind == Kind::Tx) {
        let e = m.entry(l.id.as_str()).or_insert(l.t_us);
        *e = (*e).min(l.t_us);
    }
    m
}

/// `accepted`: hashes A accepted in this step; `traces`: A, B, C.
pub fn delivery(accepted: &[String], a: &NodeTrace, b: &NodeTrace, c: &NodeTrace) -> Delivery {
    let (ta, tc) = (first_sight(a), first_sight(c));
    let tb: HashSet<&str> = b.lines.iter().map(|l| l.id.as_str()).collect();
    let mut delays = Vec::new();
    let mut seen_c = 0;
    for h in accepted {
        if let Some(&c_us) = tc.get(h.as_str()) {
            seen_c += 1;
            if let Some(&a_us) = ta.get(h.as_str()) {
                delays.push(c_us.saturating_sub(a_us) as f64 / 1000.0);
            }
        }
    }
    Delivery {
        accepted: accepted.len(),
        seen_b: accepted.iter().filter(|h| tb.contains(h.as_str())).count(),
        seen_c,
        c_ms: summarize(delays),
    }
}

pub fn shape(p: &Params) -> NetShape {
    NetShape::new(3, 1, p.accounts)
}

pub fn parameters(p: &Params) -> serde_json::Value {
    serde_json::json!({
        "params": p,
        "net": shape(p),
        "topology": "line A-B-C (bootnodes [[], [0], [1]])",
        "no_producer": true,
    })
}

fn read_traces(m: &Manifest) -> Result<Vec<NodeTrace>> {
    m.nodes
        .iter()
        .map(|n| trace::read(&n.trace_file(), &n.trace_stats_file()))
        .collect::<rumor_report::Result<_>>()
        .map_err(Into::into)
}

pub async fn run_once(ctx: &Ctx, p: &Params) -> Result<RunOutcome> {
    let ceiling = verify_ceiling::measure_async(ctx.cores, verify_ceiling::DURATION).await?;
    let overrides = NodeOverrides {
        bootnodes: Some(vec![vec![], vec![0], vec![1]]),
        config: p.node.config(),
        no_producers: true,
        ..Default::default()
    };
    let opts = net::up_options(ctx, "line", &shape(p), overrides)?;
    let (m, rpcs) = net::start(ctx, &opts).await?;
    let degrees: Vec<Option<usize>> = {
        let mut d = Vec::new();
        for r in &rpcs {
            d.push(r.net_peers().await.ok().map(|p| p.len()));
        }
        d
    };
    let rule = p.rule();
    let mut nonces = vec![0u64; p.accounts];
    let mut records: Vec<StepRecord> = Vec::new();
    let mut stop = StopReason::Exhausted;
    for (i, &rate) in p.rates.iter().enumerate() {
        let load = LoadOptions {
            clients: p.clients,
            targets: Some(vec![0]),
            ..LoadOptions::paced(rate, Duration::from_secs_f64(p.step_s), p.batch)
        };
        load.validate(&m)?;
        let (mm, lo, start) = (m.clone(), load.clone(), nonces.clone());
        let txs = tokio::task::spawn_blocking(move || plan_txs(&mm, &lo, &start))
            .await
            .map_err(|e| Error::Invalid(format!("signing txs: {e}")))?;
        // No blocks are made, so each sender's next step continues after its last nonce.
        for t in &txs {
            nonces[t.sender] = nonces[t.sender].max(t.nonce + 1);
        }
        let bar = rumor_testnet::util::progress::bar(txs.len() as u64, "relay", ctx.quiet);
        bar.set_message(format!("{rate} tx/s into A"));
        let stats = drive(&rpcs, txs, &load, &bar).await;
        bar.finish_and_clear();
        tokio::time::sleep(Duration::from_secs_f64(p.settle_s)).await;
        let traces = read_traces(&m)?;
        let d = delivery(&stats.accepted_hashes, &traces[0], &traces[1], &traces[2]);
        let counters = rumor_testnet::observe::collect::counters(&m).await;
        let step = RelayStep {
            offered_tps: rate,
            accepted_tps: stats.accepted as f64 / stats.duration_s.max(1e-9),
            delivery: d.ratio_c(),
        };
        records.push(StepRecord {
            step,
            sent_tps: stats.sent_tps,
            rejected: stats.rejected_total(),
            failed: stats.failed_total(),
            delivery: d,
            trace_dropped: counters
                .iter()
                .map(|c| c.as_ref().and_then(|c| c.trace_dropped))
                .collect(),
        });
        if let Some(reason) = rule.stop_after(&step, i + 1 == p.rates.len()) {
            stop = reason;
            break;
        }
    }
    net::stop(ctx, &m).await;
    net::discard(ctx, &m.dir);

    let steps: Vec<RelayStep> = records.iter().map(|r| r.step).collect();
    let sustained = rule.sustained(&steps);
    let passing = records.iter().take_while(|r| rule.passes(&r.step)).last();
    let mut out = RunOutcome::default();
    out.set("ceiling", Some(ceiling.per_s));
    // No passing step means nothing was relayed reliably: a measured 0, not a missing value.
    out.set("relay_tps", Some(sustained.unwrap_or(0.0)));
    out.set(
        "c_p99_ms",
        passing.and_then(|r| r.delivery.c_ms.as_ref().map(|s| s.p99)),
    );
    out.notes.push(format!(
        "ramp stopped: {stop:?} after {} of {} steps",
        records.len(),
        p.rates.len()
    ));
    if records
        .iter()
        .flat_map(|r| &r.trace_dropped)
        .any(|d| d.unwrap_or(0.0) > 0.0)
    {
        out.notes
            .push("some nodes dropped trace lines: delivery may be undercounted".into());
    }
    out.details = serde_json::json!({
        "ceiling": ceiling,
        "degrees": degrees,
        "stop": stop,
        "steps": records,
    });
    Ok(out)
}

// The scenario as BENCHMARKS.md describes it.

/// The `Relay` scenario: what it measures (a section of `BENCHMARKS.md`), its figures and goals.
pub fn spec() -> Spec {
    Spec {
        title: "Relay: a line of three nodes",
        about: "Nodes A–B–C in a line (B's bootnode is A, C's is B; \
            `--peers-low 0 --peers-high 2`, so peer exchange adds no link), no producer, \
            pools raised as for ingest. The tx rate offered to A ramps 1 000, 2 000, \
            4 000, 8 000, 12 000, 16 000 tx/s, 4 s per step, each step's txs checked \
            against C's trace 3 s after the step. The ramp stops at the first step where \
            C saw < 99 % of the txs A accepted (or A accepted < 90 % of the offer). \
            Figure: the rate A accepted in the last step that passed. Goal: ≥ 0.5 × the \
            verify ceiling of the same run. All three nodes and the load generator \
            share the machine's cores, and each node verifies every tx, so on 2 cores \
            the ceiling / 3 is a hard upper bound.",
        run_time: "30–60 s per run, depending on where the ramp stops.",
        figures: vec![
            CEILING,
            FigureSpec::new(
                "relay_tps",
                "sustained relay rate A→C (≥ 99 % at C)",
                "tx/s",
            )
            .goal(fraction_of_ceiling(0.5)),
            FigureSpec::new("c_p99_ms", "A→C arrival p99 at that rate", "ms"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumor_report::trace::Origin::*;
    use rumor_report::trace::{NodeTrace, Origin, TraceLine};

    fn line(kind: Kind, id: u8, t_us: u64, origin: Origin) -> TraceLine {
        TraceLine::new(kind, &[id; 32], t_us, None, origin)
    }

    #[test]
    fn delivery_counts_accepted_txs_seen_downstream() {
        let t: Vec<NodeTrace> = [
            vec![line(Kind::Tx, 1, 1_000, Rpc), line(Kind::Tx, 2, 2_000, Rpc)],
            vec![
                line(Kind::Tx, 1, 1_500, Gossip),
                line(Kind::Tx, 2, 2_400, Gossip),
            ],
            vec![
                line(Kind::Tx, 1, 4_000, Gossip),
                line(Kind::Tx, 9, 1, Gossip),
            ],
        ]
        .map(NodeTrace::of)
        .into();
        let accepted = vec!["01".repeat(32), "02".repeat(32), "03".repeat(32)];
        let d = delivery(&accepted, &t[0], &t[1], &t[2]);
        assert_eq!((d.accepted, d.seen_b, d.seen_c), (3, 2, 1));
        assert_eq!(d.c_ms.as_ref().unwrap().max, 3.0);
        assert!((d.ratio_c() - 1.0 / 3.0).abs() < 1e-12);
        let none = delivery(&[], &t[0], &t[1], &t[2]);
        assert_eq!(none.ratio_c(), 0.0);
    }
}
