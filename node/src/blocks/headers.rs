//! Checks on a headers-by-locator answer, before any body is fetched.
//!
//! Invariant: an answer passes only if its headers form one chain (each parent is the
//! previous hash, heights +1, slots strictly increasing) starting at the child of a hash we
//! sent in the locator (whose header we hold), and each header passes
//! [`check_signed_header`] (chain id, producer of the slot, slot window, signature). Any
//! failure is the sender's fault, except a slot in the future (that may be our clock).

use rumor_chain::{
    BlockError, BlockHash, BlockHeader, ChainConfig, Genesis, SignedHeader, check_signed_header,
};

/// Why an answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadersError {
    #[error("first header's parent {0} is not in our locator")]
    NotFromLocator(BlockHash),
    #[error("header {index} does not follow the previous one")]
    Unchained { index: usize },
    #[error("header {index}: {source}")]
    Invalid { index: usize, source: BlockError },
}

impl HeadersError {
    /// Whether the sender deserves a penalty.
    pub fn is_offence(&self) -> bool {
        match self {
            HeadersError::Invalid { source, .. } => source.is_bad_block(),
            _ => true,
        }
    }
}

/// Checks `headers` (non-empty) against the `locator` we sent; `ancestor` is our header of the
/// first header's parent (`None` if we hold no such block).
pub fn check_headers(
    locator: &[BlockHash],
    ancestor: Option<&BlockHeader>,
    headers: &[SignedHeader],
    genesis: &Genesis,
    config: &ChainConfig,
    now_ms: u64,
) -> Result<(), HeadersError> {
    let Some(first) = headers.first() else {
        return Ok(());
    };
    let parent = first.header.parent;
    let ancestor = match ancestor {
        Some(a) if locator.contains(&parent) && a.hash() == parent => a,
        _ => return Err(HeadersError::NotFromLocator(parent)),
    };
    let mut prev_hash = parent;
    let mut prev = ancestor;
    for (index, h) in headers.iter().enumerate() {
        let header = &h.header;
        if header.parent != prev_hash
            || header.height != prev.height.saturating_add(1)
            || header.slot <= prev.slot
        {
            return Err(HeadersError::Unchained { index });
        }
        check_signed_header(h, genesis, config, now_ms)
            .map_err(|source| HeadersError::Invalid { index, source })?;
        prev_hash = h.hash();
        prev = header;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestNet;
    use crate::testing::now_ms;

    fn setup() -> (TestNet, Vec<SignedHeader>, BlockHeader) {
        let net = TestNet::new(2, 1);
        let mut store = net.store("s");
        let chain = net.extend(&mut store, 4);
        let genesis = net.genesis.block().header;
        (
            net,
            chain.iter().map(|b| b.signed_header()).collect(),
            genesis,
        )
    }

    fn check(
        net: &TestNet,
        locator: &[BlockHash],
        a: &BlockHeader,
        h: &[SignedHeader],
    ) -> Result<(), HeadersError> {
        check_headers(
            locator,
            Some(a),
            h,
            &net.genesis,
            &net.config.chain,
            now_ms(),
        )
    }

    #[test]
    fn a_chain_from_a_locator_hash_passes() {
        let (net, headers, genesis) = setup();
        let locator = [BlockHash([7; 32]), genesis.hash()];
        assert_eq!(check(&net, &locator, &genesis, &headers), Ok(()));
        assert_eq!(check(&net, &locator, &genesis, &headers[..1]), Ok(()));
    }

    #[test]
    fn wrong_answers_are_offences() {
        let (net, headers, genesis) = setup();
        let locator = [genesis.hash()];
        // Not starting at a locator hash's child.
        let err = check(&net, &locator, &genesis, &headers[1..]).unwrap_err();
        assert!(matches!(err, HeadersError::NotFromLocator(_)) && err.is_offence());
        let none = check_headers(
            &locator,
            None,
            &headers,
            &net.genesis,
            &net.config.chain,
            now_ms(),
        );
        assert!(matches!(none, Err(HeadersError::NotFromLocator(_))));
        // A gap.
        let gap = [headers[0].clone(), headers[2].clone()];
        assert_eq!(
            check(&net, &locator, &genesis, &gap),
            Err(HeadersError::Unchained { index: 1 })
        );
        // A forged signature.
        let mut forged = headers.clone();
        forged[3].header.timestamp += 1;
        let err = check(&net, &locator, &genesis, &forged).unwrap_err();
        assert!(matches!(err, HeadersError::Invalid { index: 3, .. }) && err.is_offence());
        // Another producer's slot (signed by the wrong key): the header is re-slotted.
        let mut wrong = headers.clone();
        wrong[0].header.slot += 1;
        let err = check(&net, &locator, &genesis, &wrong[..1]).unwrap_err();
        assert!(err.is_offence(), "{err}");
        // Slot order.
        let mut order = headers.clone();
        order[1].header.slot = order[0].header.slot;
        let err = check(&net, &locator, &genesis, &order[..2]).unwrap_err();
        assert!(err.is_offence(), "{err}");
    }
}
