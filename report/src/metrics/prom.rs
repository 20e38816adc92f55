//! A tolerant parser for the Prometheus / OpenMetrics text format: comments, unknown lines and
//! unparsable values are skipped rather than failing the whole scrape.

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

pub fn parse(text: &str) -> Vec<Sample> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace())?;
    let name = line[..name_end].to_string();
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if rest.starts_with('{') {
        let (parsed, after) = parse_labels(&rest[1..])?;
        labels = parsed;
        rest = after;
    }
    // Value, then an optional timestamp.
    let value = rest.split_whitespace().next()?;
    let value = match value {
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

/// Parses `k="v",k2="v2"}` (after the `{`), honouring `\"`, `\\` and `\n` escapes.
fn parse_labels(mut s: &str) -> Option<(Vec<(String, String)>, &str)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_labels_values_and_skips_junk() {
        let text = r#"# HELP x y
# TYPE libp2p_bandwidth_bytes counter
libp2p_bandwidth_bytes_total{protocols="/ip4/tcp",direction="Inbound"} 1234
gossipsub_topic_msg_recv_counts_total{hash="/rumor/ab12cd34/tx/1"} 7 1700000000
weird{a="x\"y\\z",b="}"} 1.5e3
garbage line here
plain 3
# EOF
"#;
        let s = parse(text);
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].label("direction"), Some("Inbound"));
        assert_eq!(s[0].value, 1234.0);
        assert_eq!(s[1].label("hash"), Some("/rumor/ab12cd34/tx/1"));
        assert_eq!(s[2].label("a"), Some("x\"y\\z"));
        assert_eq!(s[2].label("b"), Some("}"));
        assert_eq!(s[2].value, 1500.0);
        assert_eq!(s[3].name, "plain");
    }
}
