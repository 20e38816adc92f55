//! The sync server: answers peers' status and block requests.
//!
//! Invariants: the status comes from the head snapshot (no lock); block reads run on the
//! blocking pool, never on an async thread; answers are capped in count and bytes (headers at
//! `MAX_HEADERS_PER_REQUEST`, from the common ancestor with the asker's locator).

use std::sync::Arc;

use rumor_p2p::{MAX_BLOCKS_PER_REQUEST, MAX_RESPONSE_BYTES};
use rumor_p2p::{SyncRequest, SyncResponder, SyncResponse};

use crate::services::ledger::Ledger;
use crate::services::port::status_of;

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
        SyncRequest::HeadersByLocator { locator, max } => ledger.read_chain(|chain| {
            chain.headers_after(&locator, max).map(|h| match h {
                Some(h) => SyncResponse::Headers(h),
                None => SyncResponse::Error("no common ancestor".into()),
            })
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
pub async fn serve_sync(ledger: Arc<Ledger>, request: SyncRequest, responder: SyncResponder) {
    let response = match request {
        SyncRequest::Status(_) => answer(&ledger, request),
        request => ledger
            .blocking(move |l| answer(l, request))
            .await
            .unwrap_or_else(|_| SyncResponse::Error("internal".into())),
    };
    responder.respond(response);
}

#[cfg(test)]
mod tests {
    use rumor_chain::BlockHash;

    use super::*;
    use crate::testing::TestNet;

    #[test]
    fn answers_status_ranges_and_hashes_within_the_caps() {
        let net = TestNet::new(2, 1);
        let n = MAX_BLOCKS_PER_REQUEST as usize + 3;
        let (ledger, chain) = net.remote("remote", n);
        let head = ledger.head();
        let asked = SyncRequest::Status(status_of(&head));
        match answer(&ledger, asked) {
            SyncResponse::Status(s) => {
                assert_eq!(
                    (s.head_height, s.head_hash),
                    (n as u64, chain[n - 1].hash())
                );
                assert_eq!(s.genesis, net.genesis.hash());
            }
            other => panic!("{other:?}"),
        }
        let range = |start, count| answer(&ledger, SyncRequest::BlocksByRange { start, count });
        assert_eq!(
            range(2, 2),
            SyncResponse::Blocks(chain[1..3].to_vec()),
            "heights 2 and 3"
        );
        match range(1, u64::MAX) {
            SyncResponse::Blocks(b) => {
                assert_eq!(b.len() as u64, MAX_BLOCKS_PER_REQUEST, "count capped");
                assert_eq!(b[0], chain[0]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            answer(&ledger, SyncRequest::BlockByHash(chain[4].hash())),
            SyncResponse::Blocks(vec![chain[4].clone()])
        );
        assert_eq!(
            answer(&ledger, SyncRequest::BlockByHash(BlockHash([9; 32]))),
            SyncResponse::Error("unknown block".into())
        );
    }

    #[test]
    fn answers_headers_after_the_common_ancestor_of_a_locator() {
        let net = TestNet::new(2, 1);
        let (ledger, chain) = net.remote("remote", 12);
        let ask = |locator: Vec<BlockHash>, max| {
            answer(&ledger, SyncRequest::HeadersByLocator { locator, max })
        };
        // Unknown entries are skipped; the first of ours is the ancestor.
        let locator = vec![
            BlockHash([9; 32]),
            chain[4].hash(),
            net.genesis.block().hash(),
        ];
        let want: Vec<_> = chain[5..8].iter().map(|b| b.signed_header()).collect();
        assert_eq!(ask(locator, 3), SyncResponse::Headers(want));
        let all = ask(vec![net.genesis.block().hash()], u64::MAX);
        assert!(matches!(all, SyncResponse::Headers(h) if h.len() == 12));
        assert_eq!(
            ask(vec![BlockHash([9; 32])], 3),
            SyncResponse::Error("no common ancestor".into())
        );
    }
}
