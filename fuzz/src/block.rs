//! `block`: `Block::decode` (gossip and sync) under the default caps and under small ones,
//! then the stage-1 checks (`check_block`) and, for a block that passes them, the stage-2 and
//! stage-3 checks against the genesis (`check_against_parent`, `execute_block`).

use rumor_chain::codec::{BLOCK_OVERHEAD_LEN, TX_ENCODED_LEN};
use rumor_chain::{
    Block, Genesis, Limits, check_against_parent, check_block, execute_block, tx_root,
};

use crate::fixture::{NOW_MS, chain_config, genesis, small_limits};

pub fn block(data: &[u8]) {
    for limits in [Limits::default(), small_limits()] {
        let Ok(block) = Block::decode(data, &limits) else {
            continue;
        };
        let bytes = block.encode();
        assert_eq!(bytes, data, "a decoded block re-encodes to other bytes");
        assert_eq!(block.encoded_len(), data.len());
        assert_eq!(
            data.len(),
            BLOCK_OVERHEAD_LEN + block.txs.len() * TX_ENCODED_LEN
        );
        assert!(data.len() <= limits.max_block_bytes);
        assert!(block.txs.len() <= limits.max_block_txs);
        assert_eq!(Block::decode(&bytes, &limits).as_ref(), Ok(&block));
        check(block, limits);
    }
}

/// The validation stages on a decoded block; whatever passes is consistent.
fn check(block: Block, limits: Limits) {
    let genesis = genesis();
    // The limits are consensus (in the genesis); the chain below is built on the fixture's.
    let limited = Genesis {
        limits,
        ..genesis.clone()
    };
    let Ok(checked) = check_block(block.clone(), &limited, &chain_config(), NOW_MS) else {
        return;
    };
    assert_eq!(checked.hash(), block.hash());
    assert_eq!(checked.block(), &block);
    assert_eq!(tx_root(&block.txs), block.header.tx_root);
    let hashes: Vec<_> = block.txs.iter().map(|t| t.hash()).collect();
    assert_eq!(checked.tx_hashes(), hashes.as_slice());
    assert!(block.verify_signature().is_ok());
    for tx in &block.txs {
        assert!(tx.clone().verify(genesis.chain_id).is_ok());
    }
    let parent = genesis.block().header;
    if check_against_parent(&parent, &block.header).is_err() {
        return;
    }
    let state = genesis.initial_state();
    if let Ok(diff) = execute_block(&state, &checked, genesis.chain_id) {
        assert_eq!(state.root_with(&diff), block.header.state_root);
        let mut after = state.clone();
        after.apply_diff(&diff);
        assert_eq!(after.root(), block.header.state_root);
    }
}
