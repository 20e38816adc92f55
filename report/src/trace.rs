//! Reading the nodes' propagation traces (`trace.ndjson`, one line per first sight of a
//! message and one per first duplicate; the format is `rumor_api::trace`) and their `trace.stats.json`. Lines that don't parse are counted, never fatal:
//! a node killed mid-write leaves a torn last line.

use std::path::Path;

pub use rumor_api::trace::{Kind, Origin, TraceLine, TraceStats};

use crate::error::{Result, io};

/// One node's trace.
#[derive(Debug, Clone, Default)]
pub struct NodeTrace {
    /// First sights, one per message (normally).
    pub lines: Vec<TraceLine>,
    /// First duplicates ([`Origin::Duplicate`] lines): the second copy of a message received.
    pub duplicates: Vec<TraceLine>,
    /// Lines that were not valid trace records.
    pub malformed: u64,
    /// The file did not end in a newline: the last line was cut short.
    pub torn_tail: bool,
    /// The node's own count of lines it could not write (`trace.stats.json`, written on clean
    /// shutdown), if present.
    pub stats: Option<TraceStats>,
    /// The file was missing altogether.
    pub missing: bool,
}

impl NodeTrace {
    /// A trace of these lines and nothing wrong with it (tests and fixtures).
    /// First duplicates go to [`Self::duplicates`], as when read from a file.
    pub fn of(lines: Vec<TraceLine>) -> Self {
        let mut t = Self::default();
        for l in lines {
            t.push(l);
        }
        t
    }

    /// Moves every time onto another clock: `t − offset` ([`crate::records::clock::correct`]).
    pub fn shift(&mut self, offset: &crate::records::clock::ClockOffset) {
        for l in self.lines.iter_mut().chain(self.duplicates.iter_mut()) {
            l.t_us = crate::records::clock::correct(l.t_us, Some(offset));
        }
    }

    /// Files a well-formed line: a first duplicate apart from first sights.
    fn push(&mut self, l: TraceLine) {
        if l.is_duplicate() {
            self.duplicates.push(l);
        } else {
            self.lines.push(l);
        }
    }
}

pub fn parse(text: &str) -> NodeTrace {
    let mut t = NodeTrace {
        torn_tail: !text.is_empty() && !text.ends_with('\n'),
        ..Default::default()
    };
    let mut lines: Vec<&str> = text.split('\n').collect();
    if t.torn_tail {
        lines.pop();
    }
    for line in lines.into_iter().map(str::trim).filter(|l| !l.is_empty()) {
        match TraceLine::parse(line) {
            Some(l) => t.push(l),
            None => t.malformed += 1,
        }
    }
    t
}

pub fn read(trace_file: &Path, stats_file: &Path) -> Result<NodeTrace> {
    let mut t = match std::fs::read_to_string(trace_file) {
        Ok(text) => parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => NodeTrace {
            missing: true,
            ..Default::default()
        },
        Err(e) => return Err(io(trace_file)(e)),
    };
    t.stats = std::fs::read_to_string(stats_file)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok());
    Ok(t)
}

/// Synthetic trace lines for tests, here and in the crates that build reports.
#[cfg(any(test, feature = "test-utils"))]
pub mod synthetic {
    use super::{Kind, NodeTrace, Origin, TraceLine};

    /// A line for message `[id; 32]`.
    pub fn line(kind: Kind, id: u8, t_us: u64, origin: Origin) -> TraceLine {
        TraceLine::new(kind, &[id; 32], t_us, None, origin)
    }

    pub fn traces(per_node: Vec<Vec<TraceLine>>) -> Vec<NodeTrace> {
        per_node.into_iter().map(NodeTrace::of).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_counts_damage() {
        let id = "ab".repeat(32);
        let text = format!(
            "{{\"kind\":\"tx\",\"id\":\"{id}\",\"t_us\":5,\"from\":null,\"origin\":\"rpc\"}}\n\
             {{\"kind\":\"block\",\"id\":\"{id}\",\"t_us\":9,\"from\":\"12D3\",\"origin\":\"gossip\"}}\n\
             {{\"kind\":\"block\",\"id\":\"{id}\",\"t_us\":12,\"from\":null,\"origin\":\"duplicate\"}}\n\
             not json\n\
             {{\"kind\":\"tx\",\"id\":\"short\",\"t_us\":1,\"from\":null,\"origin\":\"rpc\"}}\n\
             {{\"kind\":\"tx\",\"id\":\"{id}\",\"t_"
        );
        let t = parse(&text);
        assert_eq!(t.lines.len(), 2);
        assert!(t.lines[0].is_origin() && !t.lines[1].is_origin());
        assert_eq!(t.lines[1].from.as_deref(), Some("12D3"));
        // The duplicate is kept apart from first sights.
        assert_eq!(t.duplicates.len(), 1);
        assert_eq!(
            (t.duplicates[0].kind, t.duplicates[0].t_us),
            (Kind::Block, 12)
        );
        assert_eq!(t.malformed, 2);
        assert!(t.torn_tail);
        let missing = read(Path::new("/nonexistent/t"), Path::new("/nonexistent/s")).unwrap();
        assert!(missing.missing);
    }
}
