//! The one reader of the node's `/metrics` page (Prometheus text format 0.0.4 and OpenMetrics
//! as prometheus-client writes it), for every tool that reads it: the testnet's scrapes, the
//! soak's samples, the node's promtool-style lint. The writer is the node's (prometheus-client,
//! plus `node/src/metrics_text.rs` for the classic format).
//!
//! Hand-written on purpose: `prometheus-parse` (0.2.5, the kept crate for this) reads only
//! the classic format, cuts label sets at the first `}` even inside a quoted value, and brings
//! regex, chrono and itertools; what is needed here is ~100 lines. Invariant: [`parse`] is
//! tolerant — comments, blank lines and lines it cannot read are skipped, never failing the
//! scrape — and [`families`] groups samples the way a classic parser (promtool) does.

use std::collections::BTreeMap;

/// A sample's labels, in the order written.
type Labels = Vec<(String, String)>;

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Every readable sample of a page, in order (timestamps dropped).
pub fn parse(text: &str) -> Vec<Sample> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let (name, labels, rest) = head(line.trim())?;
    // Value, then an optional timestamp.
    let value = match rest.split_whitespace().next()? {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some(Sample {
        name,
        labels,
        value,
    })
}

/// A sample line's name, labels and what follows them; `None` for comments, blank lines and
/// lines with no name or an unterminated label set.
fn head(line: &str) -> Option<(String, Labels, &str)> {
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace())?;
    let name = line[..name_end].to_string();
    let rest = &line[name_end..];
    match rest.strip_prefix('{') {
        Some(body) => {
            let (labels, after) = parse_labels(body)?;
            Some((name, labels, after))
        }
        None => Some((name, Vec::new(), rest)),
    }
}

/// Parses `k="v",k2="v2"}` (after the `{`), honouring `\"`, `\\` and `\n` escapes.
fn parse_labels(mut s: &str) -> Option<(Labels, &str)> {
    let mut labels = Vec::new();
    loop {
        s = s.trim_start_matches([' ', ',']);
        if let Some(after) = s.strip_prefix('}') {
            return Some((labels, after));
        }
        let eq = s.find('=')?;
        let key = s[..eq].trim().to_string();
        s = s[eq + 1..].trim_start().strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = s.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                '"' => break i,
                c => value.push(c),
            }
        };
        labels.push((key, value));
        s = &s[end + 1..];
    }
}

/// One family as a classic parser sees it: samples group under the `# TYPE` name (plus
/// `_bucket`/`_sum`/`_count` for histograms and summaries); a sample of any other name starts
/// an untyped family of its own, with no help.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MetricFamily {
    pub name: String,
    pub help: Option<String>,
    /// The `# TYPE` word (`untyped` when there was none).
    pub kind: String,
    /// Each series' labels (name → value), in order of appearance.
    pub series: Vec<BTreeMap<String, String>>,
}

/// Families of a page, in order of appearance.
pub fn families(text: &str) -> Vec<MetricFamily> {
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
        } else if let Some((name, labels, _)) = head(line.trim()) {
            let labels: BTreeMap<String, String> = labels.into_iter().collect();
            match families.iter().rposition(|f| f.owns(&name)) {
                Some(i) => families[i].series.push(labels),
                None => families.push(MetricFamily {
                    help: pending_help.remove(&name),
                    name,
                    kind: "untyped".into(),
                    series: vec![labels],
                }),
            }
        }
    }
    families
}

impl MetricFamily {
    /// Whether a sample named `sample` is this family's, as a classic parser decides.
    pub fn owns(&self, sample: &str) -> bool {
        if sample == self.name {
            return true;
        }
        let suffixes: &[&str] = match self.kind.as_str() {
            "histogram" => &["_bucket", "_sum", "_count"],
            "summary" => &["_sum", "_count"],
            _ => &[],
        };
        suffixes
            .iter()
            .any(|s| sample.strip_suffix(s) == Some(self.name.as_str()))
    }
}

#[cfg(test)]
mod tests;
