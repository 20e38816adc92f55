//! The sync server: answers peers' status and block requests.
//!
//! Invariants: the status comes from the head snapshot (no lock); block reads run on the
//! blocking pool, never on an async thread; answers are capped in count and bytes.

use std::sync::Arc;

use rumor_p2p::protocol::sync::{MAX_BLOCKS_PER_REQUEST, MAX_RESPONSE_BYTES};
use rumor_p2p::{SyncRequest, SyncResponder, SyncResponse};

use crate::context::Ctx;
use crate::ledger::Ledger;
use crate::port::status_of;

/// Answers a peer's sync request: the status from the head snapshot (no lock), blocks from
/// the store (blocking: call it on the blocking pool).
pub fn answer(ledger: &Ledger, request: SyncRequest) -> SyncResponse {
    let read = match request {
        SyncRequest::Status(_) => return SyncResponse::Status(status_of(&ledger.head())),
        SyncRequest::BlocksByRange { start, count } => ledger.read_chain(|chain| {
            chain
                .blocks_by_range(start, count.min(MAX_BLOCKS_PER_REQUEST), MAX_RESPONSE_BYTES)
                .map(SyncResponse::Blocks)
        }),
        SyncRequest::BlockByHash(h) => ledger.read_chain(|chain| {
            chain.block(&h).map(|b| match b {
                Some(b) => SyncResponse::Blocks(vec![b]),
                None => SyncResponse::Error("unknown block".into()),
            })
        }),
    };
    read.unwrap_or_else(|e| SyncResponse::Error(format!("store: {e}")))
}

/// Answers a peer's sync request and sends the answer.
pub async fn serve_sync(ctx: Arc<Ctx>, request: SyncRequest, responder: SyncResponder) {
    let response = match request {
        SyncRequest::Status(_) => answer(&ctx.ledger, request),
        request => ctx
            .ledger
            .blocking(move |l| answer(l, request))
            .await
            .unwrap_or_else(|_| SyncResponse::Error("internal".into())),
    };
    responder.respond(response);
}
