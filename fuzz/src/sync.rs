//! `sync_codec`: `/rumor/sync/1` requests and answers read as the codec reads them off a
//! stream, then an answer decoded as the requester does (`WireResponse::decode` with the
//! chain's limits: blocks and signed headers in their canonical encodings).

use rumor_chain::{Limits, MAX_HEADERS_PER_REQUEST};
use rumor_p2p::SyncResponse;
use rumor_p2p::fuzzing::{
    Caps, SyncCaps, WireResponse, encode, read_sync_request, read_sync_response,
};

pub fn sync_codec(data: &[u8]) {
    if let Ok(request) = read_sync_request(data) {
        assert!(data.len() <= SyncCaps::MAX_REQUEST);
        let bytes = encode(&request, SyncCaps::MAX_REQUEST).expect("a decoded request fits");
        assert!(bytes.len() <= data.len(), "re-encoding grew the request");
        assert_eq!(
            read_sync_request(&bytes).expect("re-encoded request"),
            request
        );
        let _ = request.kind();
    }

    let Ok(wire) = read_sync_response(data) else {
        return;
    };
    assert!(data.len() <= SyncCaps::MAX_RESPONSE);
    let bytes = encode(&wire, SyncCaps::MAX_RESPONSE).expect("a decoded answer fits");
    assert!(bytes.len() <= data.len(), "re-encoding grew the answer");
    assert_eq!(read_sync_response(&bytes).expect("re-encoded answer"), wire);

    for limits in [Limits::default(), crate::fixture::small_limits()] {
        let Ok(response) = wire.clone().decode(&limits) else {
            continue;
        };
        match (&wire, response) {
            (WireResponse::Status(w), SyncResponse::Status(s)) => assert_eq!(*w, s),
            (WireResponse::Blocks(raw), SyncResponse::Blocks(blocks)) => {
                assert_eq!(raw.len(), blocks.len());
                for (r, b) in raw.iter().zip(&blocks) {
                    assert_eq!(&b.encode(), r, "a block in an answer is not canonical");
                    assert!(b.txs.len() <= limits.max_block_txs);
                    assert!(r.len() <= limits.max_block_bytes);
                }
            }
            (WireResponse::Headers(raw), SyncResponse::Headers(headers)) => {
                assert!(headers.len() as u64 <= MAX_HEADERS_PER_REQUEST);
                assert_eq!(raw.len(), headers.len());
                for (r, h) in raw.iter().zip(&headers) {
                    assert_eq!(&h.encode(), r, "a header in an answer is not canonical");
                }
            }
            (WireResponse::Error(w), SyncResponse::Error(e)) => {
                assert!(e.chars().count() <= 256);
                assert!(w.starts_with(&e));
            }
            (w, r) => panic!("{w:?} decoded as another variant: {r:?}"),
        }
    }
}
