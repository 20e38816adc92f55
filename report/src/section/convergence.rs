//! The convergence part of the report: one line for the run's printed summary and a Markdown
//! section (one head? time from heal to one head, deepest reorg, txs accepted but lost, every
//! fault action, each node's downtime).

use std::fmt::Write;

use crate::model::Convergence;

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}

/// One summary line.
pub fn line(c: &Convergence) -> String {
    let mut s = format!(
        "Convergence: converged {} ({} live nodes{}); txs accepted but lost {} of {}; deepest reorg {}",
        yes(c.converged),
        c.live_nodes.len(),
        if c.dead_nodes.is_empty() {
            String::new()
        } else {
            format!(", dead {:?}", c.dead_nodes)
        },
        c.lost.lost,
        c.lost.accepted,
        c.deepest_reorg
            .map_or("-".into(), |d| format!("{d} blocks")),
    );
    if let Some(p) = c.faults.as_ref().and_then(|f| f.partition.as_ref()) {
        let _ = write!(
            s,
            "; partition built {}+{} blocks, heal → one head {}",
            p.blocks_built[0],
            p.blocks_built[1],
            p.heal_to_one_head_ms
                .map_or("NEVER (within the timeout)".into(), |ms| format!(
                    "{:.1} s",
                    ms / 1000.0
                ))
        );
    }
    if let Some(f) = c.faults.as_ref().filter(|f| !f.links.is_empty()) {
        let parts: Vec<String> = f
            .links
            .iter()
            .map(|l| format!("{} {} of {} links", l.kind, l.links.len(), l.links_total))
            .collect();
        let _ = write!(s, "; link faults: {}", parts.join(", "));
    }
    if let Some(f) = &c.faults {
        let restarts = f.downtime.values().map(|d| d.kills).sum::<usize>();
        if restarts > 0 {
            let down: u64 = f.downtime.values().map(|d| d.down_ms).sum();
            let _ = write!(
                s,
                "; {} kills, {:.1} node-seconds down",
                restarts,
                down as f64 / 1000.0
            );
        }
    }
    s
}

/// The Markdown section.
pub fn section(c: &Convergence) -> String {
    let mut s = String::from("\n## Convergence\n\n");
    let _ = writeln!(
        s,
        "- One head on every live node at the end: **{}**",
        yes(c.converged)
    );
    let _ = writeln!(
        s,
        "- Txs accepted but lost (a `tx_submit` returned the hash; some live node holds it in neither its chain nor its pool): **{}** of {} accepted (checked for {:.1} s while pools drained){}",
        c.lost.lost,
        c.lost.accepted,
        c.lost.waited_ms as f64 / 1000.0,
        if c.lost.sample.is_empty() {
            String::new()
        } else {
            format!("; e.g. {}", c.lost.sample.join(", "))
        }
    );
    if !c.lost.unreadable.is_empty() {
        let _ = writeln!(
            s,
            "- Live nodes whose chain or pool could not be read: {:?}",
            c.lost.unreadable
        );
    }
    let _ = writeln!(
        s,
        "- Deepest reorg on a live node: {}",
        c.deepest_reorg
            .map_or("not reported".into(), |d| format!("{d} blocks"))
    );
    let _ = writeln!(
        s,
        "- Delivery and latency above are over the {} live nodes{}",
        c.live_nodes.len(),
        if c.dead_nodes.is_empty() {
            String::new()
        } else {
            format!("; nodes {:?} were killed and stayed down", c.dead_nodes)
        }
    );
    let Some(f) = &c.faults else {
        return s;
    };
    let _ = writeln!(s, "- Faults: `{}`", f.flags);
    if let Some(p) = &f.partition {
        let _ = writeln!(
            s,
            "- Partition: nodes {:?} cut off from the rest at height {}; blocks built during the cut: {} on that side, {} on the other; heal → one head everywhere: {}",
            p.side,
            p.height_at_cut,
            p.blocks_built[0],
            p.blocks_built[1],
            p.heal_to_one_head_ms
                .map_or("**not within the timeout**".into(), |ms| format!(
                    "**{:.2} s**",
                    ms / 1000.0
                ))
        );
    }
    links_table(&mut s, &f.links);
    if !f.downtime.is_empty() {
        let _ = writeln!(
            s,
            "\n| node | kills | down (s) | down at the end |\n|---|---|---|---|"
        );
        for (i, d) in &f.downtime {
            let _ = writeln!(
                s,
                "| {i} | {} | {:.1} | {} |",
                d.kills,
                d.down_ms as f64 / 1000.0,
                if d.down_at_end { "yes" } else { "" }
            );
        }
    }
    let _ = writeln!(
        s,
        "\n| t (s) | action | nodes | errors |\n|---|---|---|---|"
    );
    for e in &f.events {
        let _ = writeln!(
            s,
            "| {:.1} | {} | {:?} | {} |",
            e.t_ms as f64 / 1000.0,
            e.action,
            e.nodes,
            e.errors.join("; ")
        );
    }
    s
}

/// The link faults: what each did, to which links (`a→b`: the dead direction of a one-way
/// cut), and how many of those links were still connected when it ended (the others were
/// dropped by the nodes' liveness check or by churn, and replaced).
fn links_table(s: &mut String, links: &[crate::records::faults::LinkRecord]) {
    if links.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n| link fault | what | from (s) | to (s) | links taken | still connected at its end | links | errors |\n|---|---|---|---|---|---|---|---|"
    );
    for l in links {
        let sep = if l.kind == "cut-oneway" { "→" } else { "–" };
        let taken: Vec<String> = l
            .links
            .iter()
            .map(|[a, b]| format!("{a}{sep}{b}"))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} | {} | {} of {} | {} | {} | {} |",
            l.kind,
            l.what,
            l.start_ms as f64 / 1000.0,
            l.end_ms
                .map_or("-".into(), |t| format!("{:.1}", t as f64 / 1000.0)),
            l.links.len(),
            l.links_total,
            l.still_connected_at_end
                .map_or("-".into(), |n| n.to_string()),
            taken.join(" "),
            l.errors.join("; ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::faults::FaultLog;
    use crate::records::faults::LostCheck;
    use crate::records::faults::{Downtime, PartitionOutcome};

    #[test]
    fn a_partition_run_reads_as_converged_with_its_heal_time() {
        let mut log = FaultLog {
            flags: "--partition 50%@10s+300s".into(),
            partition: Some(PartitionOutcome {
                side: vec![1, 2],
                height_at_cut: 40,
                blocks_built: [600, 601],
                heal_to_one_head_ms: Some(2_500.0),
            }),
            ..FaultLog::default()
        };
        log.downtime.insert(
            3,
            Downtime {
                kills: 2,
                down_ms: 9_000,
                down_at_end: false,
            },
        );
        let c = Convergence {
            converged: true,
            live_nodes: (0..4).collect(),
            dead_nodes: vec![],
            deepest_reorg: Some(601),
            lost: LostCheck {
                accepted: 100,
                ..LostCheck::default()
            },
            faults: Some(log),
            ..Convergence::default()
        };
        let l = line(&c);
        assert!(l.contains("converged yes"), "{l}");
        assert!(l.contains("lost 0 of 100"), "{l}");
        assert!(l.contains("600+601 blocks, heal → one head 2.5 s"), "{l}");
        assert!(l.contains("2 kills, 9.0 node-seconds down"), "{l}");
        let md = section(&c);
        assert!(
            md.contains("**2.50 s**") && md.contains("| 3 | 2 | 9.0 |  |"),
            "{md}"
        );
    }
}
