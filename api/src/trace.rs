//! The propagation trace format: one NDJSON line per first sight of a tx or block, written by
//! the node (`<data-dir>/trace.ndjson`) and read by the testnet tool, plus the writer's own
//! counts (`<data-dir>/trace.stats.json`, written on clean shutdown).
//!
//! Line: `{"kind":"tx"|"block","id":"<64 hex>","t_us":<µs since the Unix epoch>,"from":"<peer id>"|null,"origin":"rpc"|"producer"|"gossip"|"sync"|"block"|"duplicate"}`
//!
//! Every origin but `duplicate` marks the node's first sight of the message; `duplicate`
//! marks the first copy after that (see [`Origin::Duplicate`]).
//!
//! Invariant: this file is the only definition of the format; both sides compile against it,
//! so a change here is a change for writer and reader at once.

use serde::{Deserialize, Serialize};

/// What a line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Tx,
    Block,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Tx, Kind::Block];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Tx => "tx",
            Kind::Block => "block",
        }
    }
}

/// How the node came to have the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Submitted to this node over JSON-RPC (the tx's origin).
    Rpc,
    /// Produced by this node (the block's origin).
    Producer,
    Gossip,
    /// Fetched by block sync (catch-up or an orphan's missing parent), not by gossip. It still
    /// reached the node, so it counts as delivered; its time is when the sync answer arrived.
    /// For a tx: pulled by mempool anti-entropy (`/rumor/txsync/1`).
    Sync,
    /// A tx the node first had inside an imported block (it missed the tx's gossip, e.g. while
    /// down or cut off); its time is the block's import.
    Block,
    /// Not a first sight: the second copy of a message this node received over gossip (the
    /// first copy gossipsub's duplicate filter dropped), once per message. Its time is the
    /// receipt, before any decoding. Readers of first sights skip these lines.
    Duplicate,
}

/// One trace record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceLine {
    pub kind: Kind,
    /// The tx or block hash, 64 lowercase hex digits.
    pub id: String,
    /// Wall-clock microseconds since the Unix epoch, by the node's clock
    /// ([`rumor_chain::clock::Clock`]: the system clock, unless shifted for a test).
    pub t_us: u64,
    /// The peer that sent it (gossip and sync), else `null`.
    #[serde(default)]
    pub from: Option<String>,
    pub origin: Origin,
}

impl TraceLine {
    pub fn new(kind: Kind, id: &[u8; 32], t_us: u64, from: Option<String>, origin: Origin) -> Self {
        Self {
            kind,
            id: hex::encode(id),
            t_us,
            from,
            origin,
        }
    }

    /// The node where the message entered the network (RPC submission or block production).
    pub fn is_origin(&self) -> bool {
        matches!(self.origin, Origin::Rpc | Origin::Producer)
    }

    /// The node's first duplicate of the message, not its first sight.
    pub fn is_duplicate(&self) -> bool {
        self.origin == Origin::Duplicate
    }

    /// Parses one line; `None` for anything that is not a well-formed record (a torn line
    /// from a killed node, or an id that is not 32 bytes of hex).
    pub fn parse(line: &str) -> Option<Self> {
        serde_json::from_str::<TraceLine>(line.trim())
            .ok()
            .filter(|l| l.id.len() == 64 && l.id.bytes().all(|b| b.is_ascii_hexdigit()))
    }
}

/// The writer's counts, in `trace.stats.json`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct TraceStats {
    /// Lines written.
    pub written: u64,
    /// Lines dropped because the writer's queue was full (or a write failed).
    pub dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_lines_parse_back() {
        let line = TraceLine::new(
            Kind::Block,
            &[0xab; 32],
            9,
            Some("12D3".into()),
            Origin::Sync,
        );
        let text = serde_json::to_string(&line).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"kind\":\"block\",\"id\":\"{}\",\"t_us\":9,\"from\":\"12D3\",\"origin\":\"sync\"}}",
                "ab".repeat(32)
            )
        );
        assert_eq!(TraceLine::parse(&text), Some(line));
        assert!(
            TraceLine::parse(
                "{\"kind\":\"tx\",\"id\":\"short\",\"t_us\":1,\"from\":null,\"origin\":\"rpc\"}"
            )
            .is_none()
        );
        assert!(TraceLine::parse("{\"kind\":\"tx\",\"id\":\"").is_none());
    }
}
