//! The attack table: one row per run (the clean run first), each scenario's honest-side
//! figures against the clean run's, and whether it met the goals: honest delivery 100%,
//! honest p99 time-to-all ≤ 1.5× the clean run's, blocks on ≥ 95% of slots, and (where the
//! attacker can be told from an honest peer) every reached node penalising it within 10 s.
//! The eclipse row is judged by how many of the hostile host's identities one node held at
//! once (its per-IP inbound share plus the outbound dials allowed into one subnet).
//! Every row also counts the nodes exporting an equivocation proof: all of them after the
//! equivocation scenario, none after any other run (a false proof is a bug).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{AttackLog, Evidence, Production};
use rumor_report::model::Report;
use rumor_report::render::text as textable;
use rumor_report::trace::Kind;

pub const MAX_P99_RATIO: f64 = 1.5;
pub const MIN_PRODUCTION: f64 = 0.95;
pub const MAX_PENALTY_S: f64 = 10.0;

/// The most peers one host can be to a node with the nodes' default limits: its inbound
/// share per IP plus the outbound dials allowed into one subnet.
pub fn max_host_share() -> usize {
    let net = rumor_api::NetLimits::default();
    net.inbound_per_ip + net.outbound_per_subnet
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub scenario: String,
    /// Tx delivery over the honest nodes (delivered ÷ expected pairs).
    pub delivery: Option<f64>,
    /// p99 over txs of the time to reach every honest node (ms), and ÷ the clean run's.
    pub p99_ms: Option<f64>,
    pub p99_vs_clean: Option<f64>,
    pub production: Option<Production>,
    pub penalised_after_s: Option<f64>,
    pub expects_penalty: bool,
    /// Equivocation proofs the nodes exported at the end.
    pub evidence: Option<Evidence>,
    /// Eclipse: identities the hostile host minted, and the most one node held at once.
    pub sybils: usize,
    pub max_held: Option<usize>,
    /// Hostile moves the attacker made (publishes, requests, answers).
    pub moves: u64,
    pub lost: usize,
    pub converged: bool,
    /// The machine's CPU over the run (all processes), as a share of its cores.
    pub cpu_share: Option<f64>,
    pub met: bool,
    /// The goals it missed, in words.
    pub misses: Vec<String>,
    pub dir: String,
}

fn p99_all(r: &Report) -> Option<f64> {
    let k = r.kinds.get(&Kind::Tx)?;
    k.stats
        .reach
        .iter()
        .find(|l| l.percent_of_nodes >= 100.0)?
        .ms
        .as_ref()
        .map(|s| s.p99)
}

/// The machine's CPU over the run (every process: nodes, attacker, load, this tool), as a
/// share of all cores; the nodes' own sum where the machine was not measured.
fn cpu_share(r: &Report, cores: usize) -> Option<f64> {
    if let Some(m) = &r.machine {
        return Some(m.cpu_share);
    }
    let per_node = r.bandwidth.cpu_mean_percent?;
    Some(per_node * r.meta.nodes as f64 / (100.0 * cores.max(1) as f64))
}

/// One row; `clean_p99` is `None` for the clean run itself.
pub fn row(r: &Report, attack: Option<&AttackLog>, clean_p99: Option<f64>, cores: usize) -> Row {
    let conv = r.convergence.as_ref();
    let tx = r.kinds.get(&Kind::Tx);
    let delivery = tx.map(|k| k.stats.delivery.ratio);
    let complete = tx.is_some_and(|k| k.stats.delivery.delivered == k.stats.delivery.expected);
    let p99_ms = p99_all(r);
    let p99_vs_clean = p99_ms.zip(clean_p99).map(|(a, c)| a / c.max(0.001));
    let production = conv.and_then(|c| c.production);
    let scenario = attack.map_or("clean".to_owned(), |a| a.scenario.clone());
    let expects_penalty = scenario
        .parse::<rumor_attack::Scenario>()
        .is_ok_and(|s| s.expects_penalty());
    let penalised_after_s = attack.and_then(|a| a.penalised_after_s);
    let evidence = attack.map(|a| a.evidence);
    let max_held = attack
        .filter(|a| a.attacker.sybils > 0)
        .map(|a| a.penalty.max_from_host);
    let mut misses = Vec::new();
    if let Some(held) = max_held {
        let cap = max_host_share();
        if held > cap {
            misses.push(format!(
                "one host held {held} of a node's peers (cap {cap})"
            ));
        }
    }
    if let Some(e) = evidence {
        let wanted = scenario == rumor_attack::Scenario::Equivocation.name();
        if e.invalid > 0 {
            misses.push(format!("{} exported proofs do not verify", e.invalid));
        }
        if wanted && (e.nodes == 0 || e.nodes_with_proof < e.nodes) {
            misses.push("not every node exports the equivocation proof".to_owned());
        }
        if !wanted && e.nodes_with_proof > 0 {
            misses.push("a proof of an equivocation that did not happen".to_owned());
        }
    }
    if !complete {
        misses.push("delivery below 100%".to_owned());
    }
    if p99_vs_clean.is_some_and(|x| x > MAX_P99_RATIO) {
        misses.push(format!("p99 over {MAX_P99_RATIO}× clean"));
    }
    if production
        .and_then(|p| p.ratio)
        .is_none_or(|x| x < MIN_PRODUCTION)
    {
        misses.push(format!(
            "blocks on under {:.0}% of slots",
            MIN_PRODUCTION * 100.0
        ));
    }
    if expects_penalty && penalised_after_s.is_none_or(|s| s > MAX_PENALTY_S) {
        misses.push(format!("attacker not penalised within {MAX_PENALTY_S} s"));
    }
    if r.machine.is_some_and(|m| m.saturated) {
        misses.push("machine saturated: latencies are CPU-bound".to_owned());
    }
    if let Some(e) = attack.and_then(|a| a.error.as_ref()) {
        misses.push(format!("attacker failed: {e}"));
    }
    let lost = conv.map_or(0, |c| c.lost.lost);
    if lost > 0 {
        misses.push(format!("{lost} accepted txs lost"));
    }
    let converged = conv.is_some_and(|c| c.converged);
    if !converged {
        misses.push("no single head at the end".to_owned());
    }
    // Eclipse's moves are its identities' connections.
    let moves = attack.map_or(0, |a| {
        a.attacker.published
            + a.attacker.publish_refused
            + a.attacker.requests
            + a.attacker.answered
            + if a.attacker.sybils > 0 {
                a.attacker.connections
            } else {
                0
            }
    });
    Row {
        scenario,
        delivery,
        p99_ms,
        p99_vs_clean,
        production,
        penalised_after_s,
        expects_penalty,
        evidence,
        sybils: attack.map_or(0, |a| a.attacker.sybils),
        max_held,
        moves,
        lost,
        converged,
        cpu_share: cpu_share(r, cores),
        met: misses.is_empty(),
        misses,
        dir: r.meta.dir.clone(),
    }
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("–".to_owned(), f)
}

/// The table as aligned text (the same columns as the Markdown).
pub fn text(rows: &[Row]) -> String {
    let header = [
        "scenario",
        "delivery",
        "p99 ms",
        "÷ clean",
        "blocks/slots",
        "penalised",
        "proofs",
        "moves",
        "CPU",
        "goals",
    ];
    let body: Vec<Vec<String>> = rows.iter().map(cells).collect();
    textable::render(&header, &body)
}

fn cells(r: &Row) -> Vec<String> {
    let production = r.production.map_or("–".to_owned(), |p| {
        format!(
            "{}/{} ({})",
            p.blocks,
            p.slots,
            opt(p.ratio, |x| format!("{:.0}%", x * 100.0))
        )
    });
    let penalised = match (r.scenario.as_str(), r.penalised_after_s, r.expects_penalty) {
        ("clean" | "clean-again", _, _) => "–".to_owned(),
        (_, _, false) if r.max_held.is_some() => {
            format!("held ≤ {} of {} ids", r.max_held.unwrap_or(0), r.sybils)
        }
        (_, Some(s), _) => format!("{s:.1} s"),
        (_, None, true) => "never".to_owned(),
        (_, None, false) => "n/a".to_owned(),
    };
    vec![
        r.scenario.clone(),
        opt(r.delivery, |x| format!("{:.2}%", x * 100.0)),
        opt(r.p99_ms, |x| format!("{x:.1}")),
        opt(r.p99_vs_clean, |x| format!("{x:.2}×")),
        production,
        penalised,
        r.evidence.map_or("–".to_owned(), |e| {
            format!("{}/{}", e.nodes_with_proof, e.nodes)
        }),
        r.moves.to_string(),
        opt(r.cpu_share, |x| format!("{:.0}%", x * 100.0)),
        if r.met {
            "met".to_owned()
        } else {
            format!("missed: {}", r.misses.join("; "))
        },
    ]
}

/// The Markdown section written to `attack.md`.
pub fn markdown(rows: &[Row], params: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Attack runs\n\n{params}\n");
    let _ = writeln!(
        out,
        "| scenario | honest delivery | honest p99 to all (ms) | ÷ clean | blocks / slots | attacker penalised after | nodes with an equivocation proof | attacker moves | machine CPU (all processes, share of cores) | goals |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let _ = writeln!(out, "| {} |", cells(r).join(" | "));
    }
    let _ = writeln!(
        out,
        "\nGoals: honest delivery 100%, p99 ≤ {MAX_P99_RATIO}× the clean run, blocks on ≥ {:.0}% of slots, \
         the attacker graylisted or dropped by every node it reached within {MAX_PENALTY_S} s of its first \
         hostile move (n/a where an honest peer could send the same; for eclipse, the most of the host's \
         identities one node held at once, at most {} with the default limits); every node exporting a verified \
         equivocation proof after the equivocation run, none after any other. Each run's own report is in its directory.",
        MIN_PRODUCTION * 100.0,
        max_host_share()
    );
    out
}
