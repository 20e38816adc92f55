//! `/rumor/px/1`: peer exchange. rust-libp2p's gossipsub has no PX (its issue #2398), so a node
//! asks a peer for up to `max` records from that peer's address book.

use libp2p::{Multiaddr, PeerId, StreamProtocol};

use super::codec::{Caps, Codec};
use crate::peering::addrbook::PeerRecord;

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/rumor/px/1");
/// The most records one answer may carry, whatever the request asks.
pub const MAX_RECORDS: u32 = 64;

#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct PxRequest {
    pub max: u32,
}

/// A record as bytes: a peer id and up to a few multiaddrs.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct WireRecord {
    pub peer: Vec<u8>,
    pub addrs: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct PxResponse {
    pub records: Vec<WireRecord>,
}

#[derive(Debug, Clone, Copy)]
pub struct PxCaps;
impl Caps for PxCaps {
    const MAX_REQUEST: usize = 16;
    /// 64 records × (38-byte peer id + 4 addrs × ~20 bytes) with room to spare.
    const MAX_RESPONSE: usize = 32 * 1024;
}

pub type PxCodec = Codec<PxRequest, PxResponse, PxCaps>;

impl From<&PeerRecord> for WireRecord {
    fn from(r: &PeerRecord) -> Self {
        Self {
            peer: r.peer.to_bytes(),
            addrs: r.addrs.iter().map(|a| a.to_vec()).collect(),
        }
    }
}

impl PxResponse {
    /// Decodes records, dropping any that do not parse (a peer may run a newer version).
    /// Returns the records and how many were malformed.
    pub fn records(&self) -> (Vec<PeerRecord>, usize) {
        let mut bad = 0;
        let mut out = Vec::new();
        for r in self.records.iter().take(MAX_RECORDS as usize) {
            let Ok(peer) = PeerId::from_bytes(&r.peer) else {
                bad += 1;
                continue;
            };
            let addrs: Vec<Multiaddr> = r
                .addrs
                .iter()
                .filter_map(|a| Multiaddr::try_from(a.clone()).ok())
                .collect();
            out.push(PeerRecord { peer, addrs });
        }
        bad += self.records.len().saturating_sub(MAX_RECORDS as usize);
        (out, bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode, encode};

    #[test]
    fn round_trip_and_caps() {
        let rec = PeerRecord {
            peer: PeerId::random(),
            addrs: vec!["/ip4/127.0.0.1/tcp/4001".parse().unwrap()],
        };
        let resp = PxResponse {
            records: vec![(&rec).into(); MAX_RECORDS as usize],
        };
        let bytes = encode(&resp, PxCaps::MAX_RESPONSE).unwrap();
        let back: PxResponse = decode(&bytes, PxCaps::MAX_RESPONSE).unwrap();
        let (records, bad) = back.records();
        assert_eq!(bad, 0);
        assert_eq!(records[0], rec);
        assert!(decode::<PxResponse>(&bytes, 10).is_err(), "over the cap");
        let garbage = PxResponse {
            records: vec![WireRecord {
                peer: vec![1, 2, 3],
                addrs: vec![],
            }],
        };
        assert_eq!(garbage.records().1, 1);
        // A length prefix claiming a huge vector fails without allocating it.
        let huge = [0xfc, 0xff, 0xff, 0xff, 0x7f];
        assert!(decode::<PxResponse>(&huge, PxCaps::MAX_RESPONSE).is_err());
    }
}
