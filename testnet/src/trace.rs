//! Reading the nodes' propagation traces (`trace.ndjson`, one line per first sight of a
//! message) and their `trace.stats.json`. Lines that don't parse are counted, never fatal:
//! a node killed mid-write leaves a torn last line.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, io};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Tx,
    Block,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Tx, Kind::Block];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tx => "tx",
            Kind::Block => "block",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Rpc,
    Producer,
    Gossip,
    /// Fetched by block sync (catch-up or an orphan's missing parent), not by gossip. It still
    /// reached the node, so it counts as delivered; its time is when the sync answer arrived.
    Sync,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceLine {
    pub kind: Kind,
    pub id: String,
    pub t_us: u64,
    #[serde(default)]
    pub from: Option<String>,
    pub origin: Origin,
}

impl TraceLine {
    /// The node where the message entered the network (RPC submission or block production).
    pub fn is_origin(&self) -> bool {
        matches!(self.origin, Origin::Rpc | Origin::Producer)
    }
}

/// One node's trace.
#[derive(Debug, Clone, Default)]
pub struct NodeTrace {
    pub lines: Vec<TraceLine>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStats {
    pub written: u64,
    pub dropped: u64,
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
        match serde_json::from_str::<TraceLine>(line) {
            Ok(l) if l.id.len() == 64 => t.lines.push(l),
            _ => t.malformed += 1,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_counts_damage() {
        let id = "ab".repeat(32);
        let text = format!(
            "{{\"kind\":\"tx\",\"id\":\"{id}\",\"t_us\":5,\"from\":null,\"origin\":\"rpc\"}}\n\
             {{\"kind\":\"block\",\"id\":\"{id}\",\"t_us\":9,\"from\":\"12D3\",\"origin\":\"gossip\"}}\n\
             not json\n\
             {{\"kind\":\"tx\",\"id\":\"short\",\"t_us\":1,\"from\":null,\"origin\":\"rpc\"}}\n\
             {{\"kind\":\"tx\",\"id\":\"{id}\",\"t_"
        );
        let t = parse(&text);
        assert_eq!(t.lines.len(), 2);
        assert!(t.lines[0].is_origin() && !t.lines[1].is_origin());
        assert_eq!(t.lines[1].from.as_deref(), Some("12D3"));
        assert_eq!(t.malformed, 2);
        assert!(t.torn_tail);
        let missing = read(Path::new("/nonexistent/t"), Path::new("/nonexistent/s")).unwrap();
        assert!(missing.missing);
    }
}
