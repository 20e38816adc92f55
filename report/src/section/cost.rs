//! `report.md` sections for what propagation costs beyond first copies: the bounds (latency
//! only and with transmission time), first duplicates, and received bytes by purpose.

use std::fmt::Write;

use crate::analysis::Summary;
use crate::model::Report;
use crate::render::text::ms;

fn p(x: Option<&Summary>, f: fn(&Summary) -> f64) -> String {
    ms(x.map(f))
}

/// Both shortest-path bounds on reaching every node, beside the measured time to reach 100%.
pub fn bounds(r: &Report) -> String {
    let mut s = String::new();
    if !r.kinds.values().any(|k| k.stats.bound_all_ms.is_some()) {
        return s;
    }
    let _ = writeln!(s, "\n## Shortest-path bounds on reaching every node\n");
    let _ = writeln!(
        s,
        "Per message, the cheapest path from its origin to its farthest node through the live connections: latency only, and with each hop's transmission time (message size ÷ link bandwidth) when links are capped. Medians and p99 over messages, ms.\n"
    );
    let _ = writeln!(
        s,
        "| kind | measured 100% p50 | p99 | bound (latency) p50 | p99 | mean size | per hop | bound (with transmission) p50 | p99 | p99 ÷ bound p99 |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (kind, k) in &r.kinds {
        let all = k.stats.reach.last().and_then(|l| l.ms.as_ref());
        let lat = k.stats.bound_all_ms.as_ref();
        let tb = k.stats.transmission_bound.as_ref();
        let tba = tb.and_then(|t| t.bound_all_ms.as_ref());
        let tightest = tba.or(lat);
        let ratio = all
            .zip(tightest)
            .filter(|(_, b)| b.p99 > 0.0)
            .map_or("-".into(), |(a, b)| format!("{:.2}", a.p99 / b.p99));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            kind.as_str(),
            p(all, |x| x.p50),
            p(all, |x| x.p99),
            p(lat, |x| x.p50),
            p(lat, |x| x.p99),
            tb.map_or("-".into(), |t| crate::render::text::bytes(Some(
                t.message_bytes
            ))),
            tb.map_or("-".into(), |t| format!("{:.2}", t.hop_ms)),
            p(tba, |x| x.p50),
            p(tba, |x| x.p99),
            ratio
        );
    }
    s
}

/// When nodes received a second copy, and the table of it.
pub fn first_duplicates(r: &Report) -> String {
    let mut s = String::new();
    if !r.kinds.values().any(|k| k.stats.first_duplicate.is_some()) {
        return s;
    }
    let _ = writeln!(s, "\n## Time to first duplicate\n");
    let _ = writeln!(
        s,
        "When each node received its second copy of a message (timed at receipt, inside gossipsub's message-id function, before its duplicate filter): since the message's origin, and since the node's own first sight (a first sight is written after decoding, so a duplicate can come first: counted as 0 ms). Dashed line on the CDFs.\n"
    );
    let _ = writeln!(
        s,
        "| kind | pairs holding it | with a duplicate | since origin p50 ms | p99 | after first sight p50 ms | p99 | before first sight |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (kind, k) in &r.kinds {
        let Some(d) = &k.stats.first_duplicate else {
            continue;
        };
        let share = if d.pairs > 0 {
            format!(
                "{} ({:.1}%)",
                d.with_duplicate,
                100.0 * d.with_duplicate as f64 / d.pairs as f64
            )
        } else {
            "0".into()
        };
        let (o, a) = (d.since_origin_ms.as_ref(), d.after_first_ms.as_ref());
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            kind.as_str(),
            d.pairs,
            share,
            p(o, |x| x.p50),
            p(o, |x| x.p99),
            p(a, |x| x.p50),
            p(a, |x| x.p99),
            d.before_first_sight
        );
    }
    s
}

/// Received bytes by purpose (mean per node), with the plot.
pub fn bytes(r: &Report) -> String {
    let mut s = String::new();
    let Some(split) = &r.bandwidth.mean_in_split else {
        return s;
    };
    let _ = writeln!(s, "\n## Bytes received, by purpose\n");
    let _ = writeln!(
        s,
        "Mean per node: {}. Payload = first copies of gossip messages; duplicates = further copies; control and other = gossipsub control and framing plus identify, status, sync, txsync, blocktxn and peer exchange (every substream's bytes minus gossip message copies).\n",
        split.line()
    );
    let per_tx = |v: Option<f64>, unit: &str| {
        r.per_tx(v)
            .map_or("-".into(), |x| format!("{x:.2} {unit} per tx per node"))
    };
    let _ = writeln!(
        s,
        "Received ÷ payload: {}. Gossipsub frames sent: {}; file, pipe and eventfd read/write calls (`/proc/<pid>/io`: trace and journal writes, wake-ups; not socket I/O): {} (blocks and control included).\n",
        r.received_per_payload()
            .map_or("-".into(), |x| format!("{x:.2}×")),
        per_tx(r.bandwidth.mean_frames_out_per_s, "frames"),
        per_tx(r.bandwidth.mean_syscalls_per_s, "calls"),
    );
    let _ = writeln!(
        s,
        "![bytes received per node]({})\n",
        crate::render::BYTES_SVG
    );
    s
}
