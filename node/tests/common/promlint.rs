//! The checks `promtool check metrics` runs (client_golang's `promlint`), over the classic
//! Prometheus text format, for machines without promtool: help text, base units, `_total` on
//! counters only, names reserved for histograms and summaries, metric types in names, `:`,
//! camelCase names and labels, abbreviated units, and the same series twice. The messages are
//! promtool's, so a finding reads the same whichever tool found it.
#![allow(dead_code)]

use std::collections::BTreeSet;

/// Families of a classic text-format page, in order of appearance: the workspace's one
/// `/metrics` reader ([`rumor_api::prom_text`]), which groups samples as promtool does.
pub use rumor_api::prom_text::{MetricFamily, families as parse};

/// Every finding as promtool prints it: `name message`.
pub fn lint(families: &[MetricFamily]) -> Vec<String> {
    let mut out = Vec::new();
    for f in families {
        for problem in problems(f) {
            out.push(format!("{} {problem}", f.name));
        }
    }
    out
}

const UNITS: &[(&str, &str)] = &[
    ("amperes", "amperes"),
    ("bytes", "bytes"),
    ("celsius", "celsius"),
    ("grams", "grams"),
    ("joules", "joules"),
    ("kelvin", "kelvin"),
    ("meters", "meters"),
    ("metres", "metres"),
    ("seconds", "seconds"),
    ("volts", "volts"),
    ("minutes", "seconds"),
    ("hours", "seconds"),
    ("days", "seconds"),
    ("weeks", "seconds"),
    ("kelvins", "kelvin"),
    ("fahrenheit", "celsius"),
    ("rankine", "celsius"),
    ("inches", "meters"),
    ("yards", "meters"),
    ("miles", "meters"),
    ("bits", "bytes"),
    ("calories", "joules"),
    ("pounds", "grams"),
    ("ounces", "grams"),
];
const PREFIXES: &[&str] = &[
    "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi", "mega",
    "mibi", "giga", "gibi", "tera", "tebi", "peta", "pebi",
];
const ABBREVIATIONS: &[&str] = &[
    "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d",
];
const TYPES: &[&str] = &["counter", "gauge", "summary", "histogram", "gaugehistogram"];

fn unit_of(name: &str) -> Option<(&str, &'static str)> {
    for part in name.split('_') {
        if let Some((_, base)) = UNITS.iter().find(|(u, _)| *u == part) {
            return Some((part, base));
        }
        for p in PREFIXES {
            if let Some(rest) = part.strip_prefix(p)
                && let Some((_, base)) = UNITS.iter().find(|(u, _)| *u == rest)
            {
                return Some((part, base));
            }
        }
    }
    None
}

fn has_part(name: &str, part: &str) -> bool {
    name.contains(&format!("_{part}_")) || name.ends_with(&format!("_{part}"))
}

fn camel(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
}

fn problems(f: &MetricFamily) -> Vec<String> {
    let mut p = Vec::new();
    let n = f.name.as_str();
    let (counter, untyped) = (f.kind == "counter", f.kind == "untyped");
    let (histogram, summary) = (f.kind == "histogram", f.kind == "summary");
    if f.help.is_none() {
        p.push("no help text".to_owned());
    }
    if let Some((unit, base)) = unit_of(n)
        && unit != base
    {
        p.push(format!("use base unit \"{base}\" instead of \"{unit}\""));
    }
    if counter && !n.ends_with("_total") {
        p.push("counter metrics should have \"_total\" suffix".to_owned());
    } else if !untyped && !counter && n.ends_with("_total") {
        p.push("non-counter metrics should not have \"_total\" suffix".to_owned());
    }
    if !untyped && f.kind != "gauge" && n.ends_with("_timestamp_seconds") {
        p.push("non-gauge metrics should not have \"_timestamp_seconds\" suffix".to_owned());
    }
    if !untyped {
        if !histogram && n.ends_with("_bucket") {
            p.push("non-histogram metrics should not have \"_bucket\" suffix".to_owned());
        }
        for s in ["_count", "_sum"] {
            if !histogram && !summary && n.ends_with(s) {
                p.push(format!(
                    "non-histogram and non-summary metrics should not have \"{s}\" suffix"
                ));
            }
        }
        for labels in &f.series {
            if !histogram && labels.contains_key("le") {
                p.push("non-histogram metrics should not have \"le\" label".to_owned());
            }
            if !summary && labels.contains_key("quantile") {
                p.push("non-summary metrics should not have \"quantile\" label".to_owned());
            }
        }
    }
    let lower = n.to_ascii_lowercase();
    for t in TYPES {
        if has_part(&lower, t) {
            p.push(format!("metric name should not include type '{t}'"));
        }
    }
    if n.contains(':') {
        p.push("metric names should not contain ':'".to_owned());
    }
    if camel(n) {
        p.push("metric names should be written in 'snake_case' not 'camelCase'".to_owned());
    }
    for labels in &f.series {
        if labels.keys().any(|k| camel(k)) {
            p.push("label names should be written in 'snake_case' not 'camelCase'".to_owned());
        }
    }
    if ABBREVIATIONS.iter().any(|a| has_part(&lower, a)) {
        p.push("metric names should not contain abbreviated units".to_owned());
    }
    // Histogram buckets share labels apart from `le`; every other series must be unique.
    let mut seen = BTreeSet::new();
    for labels in &f.series {
        if histogram || summary {
            continue;
        }
        if !seen.insert(labels) {
            p.push(format!("metric {n}{labels:?} is duplicated"));
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_promtool_finds() {
        let page = "\
# HELP ok_total Fine.
# TYPE ok_total counter
ok_total{a=\"x\"} 1
# HELP bad Counter named in OpenMetrics style.
# TYPE bad counter
bad_total 1
# HELP q_limit_total Gauge with a counter suffix.
# TYPE q_limit_total gauge
q_limit_total 3
# HELP lat_milliseconds Non-base unit.
# TYPE lat_milliseconds gauge
lat_milliseconds 3
# HELP wait_ms Abbreviated.
# TYPE wait_ms gauge
wait_ms 3
# HELP h_seconds Histogram.
# TYPE h_seconds histogram
h_seconds_bucket{le=\"1\"} 1
h_seconds_bucket{le=\"+Inf\"} 1
h_seconds_sum 1
h_seconds_count 1
# HELP cam Camel labels.
# TYPE cam gauge
cam{peerId=\"1\"} 1
cam{peerId=\"1\"} 2
";
        let found = lint(&parse(page));
        let expect = [
            "bad counter metrics should have \"_total\" suffix",
            "bad_total no help text",
            "q_limit_total non-counter metrics should not have \"_total\" suffix",
            "lat_milliseconds use base unit \"seconds\" instead of \"milliseconds\"",
            "wait_ms metric names should not contain abbreviated units",
            "cam label names should be written in 'snake_case' not 'camelCase'",
        ];
        for e in expect {
            assert!(found.iter().any(|f| f == e), "missing {e:?} in {found:#?}");
        }
        assert!(
            found.iter().any(|f| f.contains("is duplicated")),
            "{found:#?}"
        );
        assert!(
            !found.iter().any(|f| f.starts_with("ok_total ")),
            "{found:#?}"
        );
        assert!(
            !found.iter().any(|f| f.starts_with("h_seconds ")),
            "{found:#?}"
        );
    }
}
