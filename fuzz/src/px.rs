//! `px_codec`: `/rumor/px/1` requests and answers read as the codec reads them off a stream,
//! then the answer's records parsed as the event loop does (`PxResponse::records`).

use rumor_p2p::PeerId;
use rumor_p2p::fuzzing::{
    Caps, MAX_RECORDS, PxCaps, WireRecord, encode, read_px_request, read_px_response,
};

pub fn px_codec(data: &[u8]) {
    if let Ok(request) = read_px_request(data) {
        assert!(data.len() <= PxCaps::MAX_REQUEST);
        let bytes = encode(&request, PxCaps::MAX_REQUEST).expect("a decoded request fits its cap");
        assert!(bytes.len() <= data.len(), "re-encoding grew the request");
        assert_eq!(
            read_px_request(&bytes).expect("re-encoded request"),
            request
        );
    }

    let Ok(response) = read_px_response(data) else {
        return;
    };
    assert!(data.len() <= PxCaps::MAX_RESPONSE);
    let bytes = encode(&response, PxCaps::MAX_RESPONSE).expect("a decoded answer fits its cap");
    assert!(bytes.len() <= data.len(), "re-encoding grew the answer");
    assert_eq!(
        read_px_response(&bytes).expect("re-encoded answer"),
        response
    );

    let (records, bad) = response.records();
    assert!(records.len() <= MAX_RECORDS as usize);
    assert_eq!(records.len() + bad, response.records.len());
    for record in &records {
        let wire = WireRecord::from(record);
        assert_eq!(PeerId::from_bytes(&wire.peer).ok(), Some(record.peer));
        assert!(record.addrs.len() <= wire.addrs.len());
    }
}
