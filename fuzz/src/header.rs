//! `header`: `BlockHeader::decode` and `SignedHeader::decode` (headers-first sync), then the
//! header checks a node runs on a fetched header: `check_signed_header` and the node's
//! `check_headers` on a one-header answer.

use rumor_chain::codec::HEADER_ENCODED_LEN;
use rumor_chain::{BlockHeader, SIGNED_HEADER_LEN, SignedHeader, check_signed_header};
use rumor_node::blocks::headers::check_headers;

use crate::fixture::{NOW_MS, chain_config, genesis};

pub fn header(data: &[u8]) {
    if let Ok(header) = BlockHeader::decode(data) {
        let bytes = header.encode();
        assert_eq!(bytes, data, "a decoded header re-encodes to other bytes");
        assert_eq!(bytes.len(), HEADER_ENCODED_LEN);
        assert_eq!(BlockHeader::decode(&bytes).as_ref(), Ok(&header));
        assert_eq!(header.hash().0, rumor_chain::hash::sha256(data));
    }
    let Ok(signed) = SignedHeader::decode(data) else {
        return;
    };
    let bytes = signed.encode();
    assert_eq!(
        bytes, data,
        "a decoded signed header re-encodes to other bytes"
    );
    assert_eq!(bytes.len(), SIGNED_HEADER_LEN);
    assert_eq!(SignedHeader::decode(&bytes).as_ref(), Ok(&signed));
    assert_eq!(
        BlockHeader::decode(&data[..HEADER_ENCODED_LEN]).as_ref(),
        Ok(&signed.header)
    );

    let genesis = genesis();
    let config = chain_config();
    let checked = check_signed_header(&signed, &genesis, &config, NOW_MS);
    if checked.is_ok() {
        let h = &signed.header;
        assert_eq!(h.chain_id, genesis.chain_id);
        assert_eq!(h.producer, genesis.producer_for_slot(h.slot));
        assert!(h.timestamp >= genesis.slot_start_ms(h.slot));
        assert!(signed.verify_signature().is_ok());
    }
    // As the first header of an answer to a locator naming the genesis block.
    let ancestor = genesis.block().header;
    let locator = [ancestor.hash()];
    let answer = std::slice::from_ref(&signed);
    if let Ok(()) = check_headers(&locator, Some(&ancestor), answer, &genesis, &config, NOW_MS) {
        assert!(
            checked.is_ok(),
            "check_headers passed a header check_signed_header refused"
        );
        assert_eq!(signed.header.parent, ancestor.hash());
        assert_eq!(signed.header.height, 1);
    }
}
