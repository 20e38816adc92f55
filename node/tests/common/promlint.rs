//! The checks `promtool check metrics` runs (client_golang's `promlint`), over the classic
//! Prometheus text format, for machines without promtool: help text, base units, `_total` on
//! counters only, names reserved for histograms and summaries, metric types in names, `:`,
//! camelCase names and labels, abbreviated units, and the same series twice. The messages are
//! promtool's, so a finding reads the same whichever tool found it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

/// One family as the classic parser sees it: samples group under the `# TYPE` name (plus
/// `_bucket`/`_sum`/`_count` for histograms and summaries); a sample of any other name starts
/// an untyped family of its own, with no help.
#[derive(Debug, Default)]
pub struct MetricFamily {
    pub name: String,
    pub help: Option<String>,
    pub kind: String,
    /// Each series' labels (name → value), in order of appearance.
    pub series: Vec<BTreeMap<String, String>>,
}

/// Families of a classic text-format page, in order of appearance.
pub fn parse(text: &str) -> Vec<MetricFamily> {
    let mut families: Vec<MetricFamily> = Vec::new();
    let mut pending_help: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            match families.iter_mut().find(|f| f.name == name) {
                Some(f) => f.help = Some(help.to_owned()),
                None => {
                    pending_help.insert(name.to_owned(), help.to_owned());
                }
            }
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            families.push(MetricFamily {
                name: name.to_owned(),
                help: pending_help.remove(name),
                kind: kind.to_owned(),
                series: Vec::new(),
            });
        } else if line.starts_with('#') || line.trim().is_empty() {
        } else {
            let (name, labels) = sample(line);
            let owner = families.iter().rposition(|f| belongs(f, &name));
            match owner {
                Some(i) => families[i].series.push(labels),
                None => families.push(MetricFamily {
                    name: name.clone(),
                    help: pending_help.remove(&name),
                    kind: "untyped".into(),
                    series: vec![labels],
                }),
            }
        }
    }
    families
}

fn belongs(f: &MetricFamily, sample: &str) -> bool {
    if sample == f.name {
        return true;
    }
    let suffixes: &[&str] = match f.kind.as_str() {
        "histogram" => &["_bucket", "_sum", "_count"],
        "summary" => &["_sum", "_count"],
        _ => &[],
    };
    suffixes
        .iter()
        .any(|s| sample.strip_suffix(s) == Some(f.name.as_str()))
}

/// A sample line's name and labels (values unescaped only as far as equality needs).
fn sample(line: &str) -> (String, BTreeMap<String, String>) {
    let end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .unwrap_or(line.len());
    let name = line[..end].to_owned();
    let mut labels = BTreeMap::new();
    let mut rest = &line[end..];
    if let Some(body) = rest.strip_prefix('{') {
        rest = body;
        loop {
            rest = rest.trim_start_matches([',', ' ']);
            if rest.starts_with('}') || rest.is_empty() {
                break;
            }
            let Some((key, after)) = rest.split_once("=\"") else {
                break;
            };
            let mut value = String::new();
            let mut chars = after.char_indices();
            let mut consumed = after.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => {
                        consumed = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            labels.insert(key.trim().to_owned(), value);
            rest = &after[consumed..];
        }
    }
    (name, labels)
}

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
