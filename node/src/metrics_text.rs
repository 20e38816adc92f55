//! The `/metrics` page in the Prometheus text format (0.0.4) for scrapers that do not ask for
//! OpenMetrics: `curl`, `promtool check metrics`, agents that only speak the classic format.
//! Prometheus itself asks for OpenMetrics first and gets prometheus-client's own encoding.
//!
//! prometheus-client only writes OpenMetrics, whose families differ from the classic format's
//! in three ways this module undoes: a counter family is named without `_total` while its
//! samples carry it (a classic parser then sees a `# HELP`/`# TYPE` for one name and samples of
//! another, untyped and without help: every counter "has no help text"), `info`/`unknown` are
//! not classic types, and `# UNIT`, exemplars, `_created` samples and `# EOF` do not exist
//! there. Invariant: every sample of the input appears once in the output with its labels and
//! value unchanged, under a family whose `# HELP` and `# TYPE` name it exactly.

/// The classic text format's content type.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether an `Accept` header prefers OpenMetrics to the classic text format: the highest
/// `q` among `application/openmetrics-text` ranges is positive and at least the highest among
/// `text/plain` ones. `*/*` alone (curl) or no header gets the classic format, as
/// client_golang serves by default.
pub fn wants_openmetrics(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    let (mut om, mut text) = (0.0f32, 0.0f32);
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, v)| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "application/openmetrics-text" => om = om.max(q),
            "text/plain" => text = text.max(q),
            _ => {}
        }
    }
    om > 0.0 && om >= text
}

/// A family being copied: its OpenMetrics name and the classic name of its samples' family.
struct Family {
    name: String,
    kind: String,
}

/// Converts prometheus-client's OpenMetrics text into the classic text format.
pub fn to_text_format(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    let mut help: Option<(String, String)> = None;
    let mut family: Option<Family> = None;
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            help = Some((name.to_owned(), text.to_owned()));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            let (classic, kind) = match kind {
                "counter" => (format!("{name}_total"), "counter"),
                "gauge" => (name.to_owned(), "gauge"),
                "histogram" => (name.to_owned(), "histogram"),
                "summary" => (name.to_owned(), "summary"),
                "info" => (format!("{name}_info"), "gauge"),
                _ => (name.to_owned(), "untyped"),
            };
            if let Some((_, text)) = help.take().filter(|(h, _)| h == name) {
                out.push_str(&format!("# HELP {classic} {}\n", classic_help(&text)));
            }
            out.push_str(&format!("# TYPE {classic} {kind}\n"));
            family = Some(Family {
                name: name.to_owned(),
                kind: kind.to_owned(),
            });
        } else if line.starts_with('#') || line.trim().is_empty() {
            // `# UNIT`, `# EOF` and other comments have no classic equivalent.
        } else if let Some(sample) = classic_sample(line, family.as_ref()) {
            out.push_str(&sample);
            out.push('\n');
        }
    }
    out
}

/// OpenMetrics escapes `"` in help text; the classic format only knows `\\` and `\n`.
fn classic_help(text: &str) -> String {
    text.replace("\\\"", "\"")
}

/// One sample line without exemplar or timestamp (a classic timestamp is in ms, an
/// OpenMetrics one in seconds; the scrape time serves), or `None` for a counter's `_created`.
fn classic_sample(line: &str, family: Option<&Family>) -> Option<String> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .unwrap_or(line.len());
    let name = &line[..name_end];
    let mut rest = &line[name_end..];
    let mut labels = "";
    if rest.starts_with('{') {
        let end = label_block_end(rest)?;
        labels = &rest[..=end];
        rest = &rest[end + 1..];
    }
    let value = rest.split_whitespace().next()?;
    if let Some(f) = family
        && name == format!("{}_created", f.name)
        && f.kind == "counter"
    {
        return None;
    }
    let labels = if labels == "{}" { "" } else { labels };
    Some(format!("{name}{labels} {value}"))
}

/// Index of the `}` closing the label block `s` starts with (quoted values may hold `}`).
fn label_block_end(s: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '}' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::Gauge;
    use prometheus_client::metrics::histogram::Histogram;
    use prometheus_client::metrics::info::Info;
    use prometheus_client::registry::{Registry, Unit};

    use super::*;

    #[test]
    fn negotiates_like_prometheus_and_curl() {
        // Prometheus 2.42's scrape header.
        assert!(wants_openmetrics(Some(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        )));
        assert!(!wants_openmetrics(Some("*/*")));
        assert!(!wants_openmetrics(None));
        assert!(!wants_openmetrics(Some("text/plain;version=0.0.4")));
        assert!(!wants_openmetrics(Some(
            "text/plain;q=0.9, application/openmetrics-text;q=0.5"
        )));
        assert!(!wants_openmetrics(Some("application/openmetrics-text;q=0")));
        assert!(wants_openmetrics(Some(
            "Application/OpenMetrics-Text; version=1.0.0"
        )));
    }

    #[test]
    fn every_family_gets_its_classic_name_help_and_type() {
        let mut r = Registry::default();
        let c: Counter = Counter::default();
        c.inc_by(3);
        r.register("demo_events", "Events seen, \"quoted\"", c);
        let g: Gauge = Gauge::default();
        g.set(-2);
        r.register_with_unit("demo_size", "Size", Unit::Bytes, g);
        let f: Family<Vec<(String, String)>, Counter> = Family::default();
        f.get_or_create(&vec![("path".into(), "a}b \"#\" c".into())])
            .inc();
        r.register("demo_labelled", "Labelled", f);
        let h = Histogram::new([0.5, 1.0]);
        h.observe(0.7);
        r.register("demo_latency_seconds", "Latency", h);
        r.register("demo_build", "Build", Info::new(vec![("v", "1")]));
        let mut om = String::new();
        encode(&mut om, &r).unwrap();
        let text = to_text_format(&om);
        let expect = [
            "# HELP demo_events_total Events seen, \"quoted\".",
            "# TYPE demo_events_total counter",
            "demo_events_total 3",
            "# HELP demo_size_bytes Size.",
            "# TYPE demo_size_bytes gauge",
            "demo_size_bytes -2",
            "# TYPE demo_labelled_total counter",
            "demo_labelled_total{path=\"a}b \\\"#\\\" c\"} 1",
            "# TYPE demo_latency_seconds histogram",
            "demo_latency_seconds_bucket{le=\"1.0\"} 1",
            "demo_latency_seconds_count 1",
            "# HELP demo_build_info Build.",
            "# TYPE demo_build_info gauge",
            "demo_build_info{v=\"1\"} 1",
        ];
        for line in expect {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        assert!(
            !text.contains("# UNIT") && !text.contains("# EOF"),
            "{text}"
        );
        // Every sample line of the input is kept.
        let samples = |s: &str| s.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(samples(&text), samples(&om));
    }

    #[test]
    fn drops_exemplars_timestamps_and_created() {
        let om = "# HELP x Things.\n# TYPE x counter\nx_total{a=\"1\"} 5 1700000000.5 # {trace=\"ab\"} 1.0\nx_created 1700000000.0\n# EOF\n";
        assert_eq!(
            to_text_format(om),
            "# HELP x_total Things.\n# TYPE x_total counter\nx_total{a=\"1\"} 5\n"
        );
    }
}
