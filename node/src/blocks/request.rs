//! Asking the peer a catch-up follows: every request bounded by the catch-up's deadline and
//! cut short by shutdown, and a wrong answer's sender penalised.
//!
//! Invariant: a leaf of the catch-up (it uses only the shared services), so the claim check,
//! the headers round and the bodies fetch all ask the same way.

use rumor_p2p::{NetworkError, Offence, PeerId, SyncRequest, SyncResponse};
use tokio::time::Instant;

use crate::context::Ctx;
use crate::services::port::NetPort;

/// Sends `request` to `peer`; `None` at shutdown or past the deadline.
pub(super) async fn ask(
    ctx: &Ctx,
    peer: PeerId,
    request: SyncRequest,
    deadline: Instant,
) -> Option<Result<SyncResponse, NetworkError>> {
    let answer = tokio::time::timeout_at(deadline, ctx.net.sync(peer, request));
    match ctx.tasks.unless_cancelled(answer).await {
        None => {
            tracing::debug!("catch-up stopped by shutdown");
            None
        }
        Some(Err(_)) => {
            tracing::info!("catch-up ran out of time");
            None
        }
        Some(Ok(answer)) => Some(answer),
    }
}

pub(super) async fn penalise(net: &dyn NetPort, peer: PeerId, offence: Offence, why: &str) {
    tracing::info!(%peer, why, ?offence, "wrong sync answer");
    let _ = net.penalise(peer, offence).await;
}
