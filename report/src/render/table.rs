//! The summary printed to stdout at the end of `run` and `measure`.

use std::fmt::Write;

use crate::model::Report;
use crate::render::text::{self as textable, bytes, pct};
use crate::section::clocks;
use crate::trace::Kind;

pub fn summary(r: &Report) -> String {
    let mut out = String::new();
    let emu = r
        .meta
        .emulation
        .as_ref()
        .map_or("off".to_string(), |e| format!("regions {}", e.regions));
    let window_s = (r.meta.window.end_us.saturating_sub(r.meta.window.start_us)) as f64 / 1e6;
    let _ = writeln!(
        out,
        "Propagation: {} nodes ({} producers), {} ms slots, window {:.1} s, WAN emulation {}",
        r.meta.nodes, r.meta.producers, r.meta.slot_ms, window_s, emu
    );
    if let Some(m) = &r.machine {
        let _ = writeln!(out, "{}", m.line());
        if let (Some(n), Some(load)) = (
            crate::records::machine::nodes_within_budget(r.meta.nodes, m.cpu_share),
            r.load.as_ref(),
        ) {
            let _ = writeln!(
                out,
                "At {:.0} tx/s this machine holds about {n} nodes under {:.0}% CPU (linear estimate from this run)",
                load.offered_tps,
                crate::records::machine::SATURATED_SHARE * 100.0
            );
        }
    }
    let mut rows = Vec::new();
    for kind in Kind::ALL {
        let Some(k) = r.kinds.get(&kind) else {
            continue;
        };
        for (i, level) in k.stats.reach.iter().enumerate() {
            let s = level.ms.as_ref();
            let first = i == 0;
            rows.push(vec![
                if first {
                    kind.as_str().to_string()
                } else {
                    String::new()
                },
                if first {
                    k.stats.delivery.messages.to_string()
                } else {
                    String::new()
                },
                if first {
                    pct(k.stats.delivery.ratio)
                } else {
                    String::new()
                },
                format!("{}%", level.percent_of_nodes),
                clocks::ms(s.map(|s| s.p50), r.clocks.as_ref()),
                clocks::ms(s.map(|s| s.p90), r.clocks.as_ref()),
                clocks::ms(s.map(|s| s.p99), r.clocks.as_ref()),
                clocks::ms(s.map(|s| s.max), r.clocks.as_ref()),
                level.unreached.to_string(),
                if first {
                    k.duplicates
                        .per_message_per_node
                        .map_or("-".into(), |d| format!("{d:.2}"))
                } else {
                    String::new()
                },
                if first {
                    k.stats
                        .path_ratio
                        .as_ref()
                        .and_then(|p| p.ratio.as_ref())
                        .map_or("-".into(), |p| format!("{:.2}", p.p50))
                } else {
                    String::new()
                },
            ]);
        }
    }
    out.push_str(&textable::render(
        &[
            "kind",
            "msgs",
            "delivery",
            "reach",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "unreached",
            "dups/msg/node",
            "path ratio p50",
        ],
        &rows,
    ));
    if let Some(l) = &r.load {
        let _ = writeln!(
            out,
            "Load: offered {:.1} tx/s, sent {:.1} tx/s, accepted {} of {} ({:.1} tx/s), rejected {}, failed {}{}",
            l.offered_tps,
            l.sent_tps,
            l.accepted,
            l.planned,
            l.accepted_tps,
            l.rejected_total(),
            l.failed_total(),
            if l.rerouted > 0 {
                format!(
                    " ({} sent on to another node: their target was down)",
                    l.rerouted
                )
            } else {
                String::new()
            }
        );
        for (reason, count) in &l.rejected {
            let _ = writeln!(out, "  rejected {count}× {reason}");
        }
    }
    let t = &r.topology;
    let _ = writeln!(
        out,
        "Peers: degree min/mean/max {}/{}/{} ({} connections, {}connected); bytes/s per node in {} out {}; peak RSS {}; CPU per node {}",
        textable::opt(t.min_degree),
        t.mean_degree.map_or("-".into(), |d| format!("{d:.1}")),
        textable::opt(t.max_degree),
        t.connections,
        if t.connected { "" } else { "NOT " },
        bytes(r.bandwidth.mean_in_per_s),
        bytes(r.bandwidth.mean_out_per_s),
        bytes(r.bandwidth.rss_max_kib.map(|k| k as f64 * 1024.0)),
        r.bandwidth
            .cpu_mean_percent
            .map_or("-".into(), |c| format!("{c:.0}% of a core")),
    );
    if let Some(f) = &r.in_process {
        let _ = writeln!(out, "{}", f.line(r.meta.nodes));
    }
    if let Some(b) = &r.blocks {
        let _ = writeln!(out, "{}", b.line());
    }
    let heights: Vec<u64> = r.heads.heights.iter().flatten().copied().collect();
    let _ = writeln!(
        out,
        "Heads: {} (heights {}..{}); trace lines {}, dropped {}, malformed {}",
        if r.heads.same_head {
            "all nodes on the same head"
        } else {
            "NOT all on the same head"
        },
        textable::opt(heights.iter().min()),
        textable::opt(heights.iter().max()),
        r.traces.lines,
        textable::opt(r.traces.dropped_by_stats),
        r.traces.malformed,
    );
    if let Some(c) = &r.convergence {
        let _ = writeln!(out, "{}", crate::section::convergence::line(c));
    }
    if let Some(c) = &r.clocks {
        let _ = writeln!(out, "{}", clocks::line(c));
    }
    if let Some(s) = &r.skew {
        let _ = writeln!(out, "{}", crate::section::skew::line(s));
    }
    out
}
