//! Entry points for the fuzz targets in `fuzz/` (crate `rumor-fuzz`); not an API, and nothing
//! in the node uses them.
//!
//! Each `read_*` runs, on untrusted bytes, exactly what the protocol's codec does when a
//! message arrives: the capped read of the stream (`take(max + 1)`), the size check and the
//! limited bincode decode. The checks a receiver applies next are the protocols' own public
//! methods (`WireResponse::decode`, `WireTxResponse::decode`, `PxResponse::records`,
//! `TxSyncRequest::is_bounded`), so the targets call those directly.

use std::io;

use futures::executor::block_on;
use futures::io::Cursor;
use libp2p::request_response::Codec as _;

use crate::protocol::codec;
use crate::protocol::{px, sync, txsync};

pub use crate::protocol::codec::Caps;
pub use crate::protocol::px::PxCaps;
pub use crate::protocol::sync::SyncCaps;
pub use crate::protocol::txsync::{Inbound, TxSyncCaps, TxSyncDecodeError, WireTxResponse};
pub use crate::wire::{MAX_RECORDS, PxRequest, PxResponse, WireRecord, WireResponse};

/// What every writer sends: the value's encoding, refused if over `max`.
pub fn encode<T: bincode::Encode>(value: &T, max: usize) -> io::Result<Vec<u8>> {
    codec::encode(value, max)
}

/// `/rumor/px/1`: an inbound request, as the codec reads it.
pub fn read_px_request(bytes: &[u8]) -> io::Result<PxRequest> {
    block_on(px::PxCodec::default().read_request(&px::PROTOCOL, &mut Cursor::new(bytes)))
}

/// `/rumor/px/1`: an answer, as the codec reads it.
pub fn read_px_response(bytes: &[u8]) -> io::Result<PxResponse> {
    block_on(px::PxCodec::default().read_response(&px::PROTOCOL, &mut Cursor::new(bytes)))
}

/// `/rumor/sync/1`: an inbound request, as the codec reads it.
pub fn read_sync_request(bytes: &[u8]) -> io::Result<crate::SyncRequest> {
    block_on(sync::SyncCodec::default().read_request(&sync::PROTOCOL, &mut Cursor::new(bytes)))
}

/// `/rumor/sync/1`: an answer, as the codec reads it (before `WireResponse::decode`).
pub fn read_sync_response(bytes: &[u8]) -> io::Result<WireResponse> {
    block_on(sync::SyncCodec::default().read_response(&sync::PROTOCOL, &mut Cursor::new(bytes)))
}

/// `/rumor/txsync/1`: an inbound request, as the codec reads it (undecodable bytes come back
/// as [`Inbound::Garbage`], as on the wire).
pub fn read_txsync_request(bytes: &[u8]) -> io::Result<Inbound> {
    block_on(
        txsync::TxSyncCodec::default().read_request(&txsync::PROTOCOL, &mut Cursor::new(bytes)),
    )
}

/// `/rumor/txsync/1`: an answer, as the codec reads it (before `WireTxResponse::decode`).
pub fn read_txsync_response(bytes: &[u8]) -> io::Result<WireTxResponse> {
    block_on(
        txsync::TxSyncCodec::default().read_response(&txsync::PROTOCOL, &mut Cursor::new(bytes)),
    )
}
