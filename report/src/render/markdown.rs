//! `report.md`: the same content as `report.json`, for people.

use std::fmt::Write;

use crate::model::Report;
use crate::render::text::{bytes, ms, opt, pct};
use crate::trace::Kind;

pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let m = &r.meta;
    let _ = writeln!(s, "# Rumor propagation report\n");
    let _ = writeln!(
        s,
        "{} nodes ({} producers), {} ms slots, network `{}`, seed {}, WAN emulation: {}.\n",
        m.nodes,
        m.producers,
        m.slot_ms,
        m.network,
        m.seed,
        m.emulation.as_ref().map_or("off".to_string(), |e| format!(
            "regions `{}`, jitter {} ms",
            e.regions, e.jitter_ms
        ))
    );
    let _ = writeln!(s, "- Directory: `{}`", m.dir);
    let _ = writeln!(
        s,
        "- Window: messages whose origin time is in [{}, {}] µs ({:.1} s); counters differenced over {} s",
        m.window.start_us,
        m.window.end_us,
        m.window.end_us.saturating_sub(m.window.start_us) as f64 / 1e6,
        m.counters_interval_s
            .map_or("-".into(), |v| format!("{v:.1}"))
    );
    let _ = writeln!(s, "- Clock: {}", m.clock_source);
    let _ = writeln!(s, "- First seen: {}", m.first_seen);
    let _ = writeln!(s, "- Percentiles: {}", m.percentiles);
    let t = &r.traces;
    let _ = writeln!(
        s,
        "- Trace lines: {} read, {} malformed, {} torn last lines, {} files missing; dropped by the nodes: {} (trace.stats.json), {} (metric); {} nodes left no trace.stats.json",
        t.lines,
        t.malformed,
        t.torn_tails,
        t.missing_files,
        opt(t.dropped_by_stats),
        opt(t.dropped_by_metric),
        t.nodes_without_stats
    );
    match &r.machine {
        Some(l) if l.saturated => {} // in the notes below, as a warning
        Some(l) => {
            let _ = writeln!(s, "- {}", l.line());
        }
        None => {
            let _ = writeln!(
                s,
                "- Machine: CPU not measured (no /proc/stat, or no counters at the start)"
            );
        }
    }
    if let Some(f) = &r.in_process {
        let _ = writeln!(s, "- {}", f.line(m.nodes));
    }
    if let Some(b) = &r.blocks {
        let _ = writeln!(s, "- {}", b.line());
    }
    for note in &m.notes {
        let _ = writeln!(s, "- Note: {note}");
    }

    if let Some(c) = &r.convergence {
        s.push_str(&crate::section::convergence::section(c));
    }

    let _ = writeln!(s, "\n## Propagation\n");
    let _ = writeln!(
        s,
        "| kind | messages | delivery | reach | p50 ms | p90 ms | p99 ms | max ms | never reached | dups/msg/node |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for kind in Kind::ALL {
        let Some(k) = r.kinds.get(&kind) else {
            continue;
        };
        for l in &k.stats.reach {
            let x = l.ms.as_ref();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {}% | {} | {} | {} | {} | {} | {} |",
                kind.as_str(),
                k.stats.delivery.messages,
                pct(k.stats.delivery.ratio),
                l.percent_of_nodes,
                crate::section::clocks::ms(x.map(|v| v.p50), r.clocks.as_ref()),
                crate::section::clocks::ms(x.map(|v| v.p90), r.clocks.as_ref()),
                crate::section::clocks::ms(x.map(|v| v.p99), r.clocks.as_ref()),
                crate::section::clocks::ms(x.map(|v| v.max), r.clocks.as_ref()),
                l.unreached,
                k.duplicates
                    .per_message_per_node
                    .map_or("-".into(), |d| format!("{d:.2}"))
            );
        }
    }
    let _ = writeln!(
        s,
        "\n![tx CDF](cdf-tx.svg)\n\n![block CDF](cdf-block.svg)\n\n![arrivals per node]({})\n",
        crate::render::ARRIVALS_SVG
    );
    s.push_str(&crate::section::cost::bounds(r));
    s.push_str(&crate::section::cost::first_duplicates(r));
    s.push_str(&crate::section::cost::bytes(r));
    s.push_str(&crate::section::clocks::section(r.clocks.as_ref()));
    s.push_str(&crate::section::skew::section(r.skew.as_ref()));
    s.push_str(&crate::section::over_time::section(r.over_time.as_ref()));

    let any_ratio = r.kinds.values().any(|k| k.stats.path_ratio.is_some());
    if any_ratio {
        let _ = writeln!(
            s,
            "## Delivery time ÷ shortest path through live connections\n"
        );
        let _ = writeln!(
            s,
            "| kind | pairs | p50 | p90 | p99 | max | unreachable in graph |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
        for (kind, k) in &r.kinds {
            if let Some(p) = &k.stats.path_ratio {
                let x = p.ratio.as_ref();
                let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}"));
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    kind.as_str(),
                    x.map_or(0, |v| v.count),
                    f(x.map(|v| v.p50)),
                    f(x.map(|v| v.p90)),
                    f(x.map(|v| v.p99)),
                    f(x.map(|v| v.max)),
                    p.unreachable
                );
            }
        }
    }
    if r.kinds.values().any(|k| !k.stats.regions.is_empty()) {
        let _ = writeln!(s, "\n## Per region\n");
        let _ = writeln!(
            s,
            "![arrival delay by region]({})\n",
            crate::render::REGIONS_SVG
        );
        let _ = writeln!(
            s,
            "| kind | region | nodes | delivery | p50 ms | p90 ms | p99 ms | max ms |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|");
        for (kind, k) in &r.kinds {
            for g in &k.stats.regions {
                let x = g.ms.as_ref();
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    kind.as_str(),
                    g.region,
                    g.nodes,
                    pct(g.delivery_ratio),
                    crate::section::clocks::ms(x.map(|v| v.p50), r.clocks.as_ref()),
                    crate::section::clocks::ms(x.map(|v| v.p90), r.clocks.as_ref()),
                    crate::section::clocks::ms(x.map(|v| v.p99), r.clocks.as_ref()),
                    crate::section::clocks::ms(x.map(|v| v.max), r.clocks.as_ref())
                );
            }
        }
    }

    if let Some(l) = &r.load {
        let _ = writeln!(s, "\n## Load\n");
        let _ = writeln!(
            s,
            "Offered {:.1} tx/s; sent {:.1} tx/s; accepted {} of {} planned ({:.1} tx/s) in {:.1} s, batch {}; rejected {}; failed {}; hash mismatches {}; sent on to another node because the target was down: {}.",
            l.offered_tps,
            l.sent_tps,
            l.accepted,
            l.planned,
            l.accepted_tps,
            l.duration_s,
            l.batch,
            l.rejected_total(),
            l.failed_total(),
            l.hash_mismatch,
            l.rerouted
        );
        if let Some(rtt) = &l.request_ms {
            let _ = writeln!(
                s,
                "Request round trip: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms.",
                rtt.p50, rtt.p99, rtt.max
            );
        }
        for (reason, n) in l.rejected.iter().chain(&l.failed) {
            let _ = writeln!(s, "- {n} × {reason}");
        }
    }

    let tp = &r.topology;
    let _ = writeln!(s, "\n## Topology (from `net_peers` at the end)\n");
    let _ = writeln!(
        s,
        "Each node was given 1–3 random earlier nodes as bootnodes; peer exchange grew the rest. {} connections, degree min/mean/max {}/{}/{}, graph {}connected.\n",
        tp.connections,
        opt(tp.min_degree),
        tp.mean_degree.map_or("-".into(), |d| format!("{d:.1}")),
        opt(tp.max_degree),
        if tp.connected { "" } else { "NOT " }
    );
    let _ = writeln!(s, "| degree | nodes |\n|---:|---:|");
    for (d, n) in &tp.degree_histogram {
        let _ = writeln!(s, "| {d} | {n} |");
    }

    let _ = writeln!(s, "\n## Nodes\n");
    let _ = writeln!(
        s,
        "Same head at the end: **{}** ({} distinct head hashes). Bytes/s per node: in mean {} (max {}), out mean {} (max {}).\n",
        if r.heads.same_head { "yes" } else { "no" },
        r.heads.distinct_hashes,
        bytes(r.bandwidth.mean_in_per_s),
        bytes(r.bandwidth.max_in_per_s),
        bytes(r.bandwidth.mean_out_per_s),
        bytes(r.bandwidth.max_out_per_s)
    );
    let _ = writeln!(
        s,
        "| node | producer | region | degree | height | in/s | out/s | peak RSS | tx p50 ms | tx missing | block p50 ms | block missing | trace lines | dropped |"
    );
    let _ = writeln!(
        s,
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for n in &r.nodes {
        let p50 = |k: Kind| ms(n.arrival.ms.get(&k).cloned().flatten().map(|x| x.p50));
        let miss = |k: Kind| opt(n.arrival.missing.get(&k));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            n.index,
            if n.producer { "yes" } else { "" },
            n.region.as_deref().unwrap_or("-"),
            opt(n.degree),
            opt(n.head_height),
            bytes(n.bytes_in_per_s),
            bytes(n.bytes_out_per_s),
            bytes(n.rss_max_kib.map(|k| k as f64 * 1024.0)),
            p50(Kind::Tx),
            miss(Kind::Tx),
            p50(Kind::Block),
            miss(Kind::Block),
            n.trace_lines,
            opt(n.trace_dropped)
        );
    }
    let a = &r.anomalies;
    let _ = writeln!(
        s,
        "\n## Anomalies\n\nMessages without an origin line: {:?}; with several origins: {}; arrivals stamped before their origin: {}; outside the window (excluded): {:?}; blocks not on the final chain (abandoned branches, excluded from block delivery): {}.",
        a.no_origin, a.multiple_origins, a.before_origin, a.outside_window, a.off_chain_blocks
    );
    for (kind, k) in &r.kinds {
        for inc in &k.stats.incomplete {
            let _ = writeln!(
                s,
                "- {} `{}` from node {} missed nodes {:?}",
                kind.as_str(),
                inc.id,
                inc.origin,
                inc.missing
            );
        }
    }
    s
}
