//! `txsync_codec`: `/rumor/txsync/1` requests and answers read as the codec reads them off a
//! stream (an undecodable request comes back as `Inbound::Garbage`, never as an error), the
//! request bound check, and an answer decoded as the requester does
//! (`WireTxResponse::decode`: counts within the protocol's bounds, canonical txs).

use rumor_chain::Limits;
use rumor_p2p::fuzzing::{
    Caps, Inbound, TxSyncCaps, WireTxResponse, encode, read_txsync_request, read_txsync_response,
};
use rumor_p2p::{MAX_DIGEST_HASHES, MAX_GET_HASHES, TxSyncRequest, TxSyncResponse};

pub fn txsync_codec(data: &[u8]) {
    match read_txsync_request(data).expect("garbage is a value, not a read error") {
        Inbound::Request(request) => {
            assert!(data.len() <= TxSyncCaps::MAX_REQUEST);
            let bytes = encode(&request, TxSyncCaps::MAX_REQUEST).expect("a request fits");
            assert!(bytes.len() <= data.len(), "re-encoding grew the request");
            assert_eq!(
                read_txsync_request(&bytes).expect("re-encoded request"),
                Inbound::Request(request.clone())
            );
            // Whatever fits the codec's cap is within the protocol's bounds.
            assert!(request.is_bounded());
            if let TxSyncRequest::Get(hashes) = &request {
                assert!(hashes.len() <= MAX_GET_HASHES);
            }
        }
        Inbound::Garbage(why) => assert!(!why.is_empty()),
    }

    let Ok(wire) = read_txsync_response(data) else {
        return;
    };
    assert!(data.len() <= TxSyncCaps::MAX_RESPONSE);
    let bytes = encode(&wire, TxSyncCaps::MAX_RESPONSE).expect("a decoded answer fits");
    assert!(bytes.len() <= data.len(), "re-encoding grew the answer");
    assert_eq!(
        read_txsync_response(&bytes).expect("re-encoded answer"),
        wire
    );

    let limits = Limits::default();
    let Ok(response) = wire.clone().decode(&limits) else {
        return;
    };
    match (&wire, response) {
        (WireTxResponse::Digest(raw), TxSyncResponse::Digest(hashes)) => {
            assert!(hashes.len() <= MAX_DIGEST_HASHES);
            assert!(raw.iter().zip(&hashes).all(|(r, h)| *r == h.0));
            assert_eq!(raw.len(), hashes.len());
        }
        (WireTxResponse::Txs(raw), TxSyncResponse::Txs(txs)) => {
            assert!(txs.len() <= MAX_GET_HASHES);
            assert_eq!(raw.len(), txs.len());
            for (r, t) in raw.iter().zip(&txs) {
                assert_eq!(&t.encode(), r, "a tx in an answer is not canonical");
            }
        }
        (WireTxResponse::Error(w), TxSyncResponse::Error(e)) => {
            assert!(e.chars().count() <= 256);
            assert!(w.starts_with(&e));
        }
        (w, r) => panic!("{w:?} decoded as another variant: {r:?}"),
    }
}
