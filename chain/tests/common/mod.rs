//! Shared fixtures: a small network with labelled keys, and helpers to build valid blocks.
#![allow(dead_code)]

use rumor_chain::test_utils::TxBuilder;
use rumor_chain::*;

pub const CHAIN_ID: u64 = 7;
pub const SLOT_MS: u64 = 1000;
pub const GENESIS_TIME: u64 = 1_700_000_000_000;
pub const BALANCE: u64 = 1_000_000;
/// A clock far enough ahead that no test block is "from the future".
pub const LATE: u64 = u64::MAX / 2;

pub fn authority(i: usize) -> Keypair {
    Keypair::from_label(&format!("authority-{i}"))
}

pub fn account(i: usize) -> Keypair {
    Keypair::from_label(&format!("account-{i}"))
}

/// 2 authorities, `n` funded accounts.
pub fn genesis(n: usize) -> Genesis {
    let accounts: Vec<Address> = (0..n).map(|i| account(i).address()).collect();
    Genesis::new(
        CHAIN_ID,
        GENESIS_TIME,
        SLOT_MS,
        vec![authority(0).address(), authority(1).address()],
        &accounts,
        BALANCE,
    )
}

/// The key of the authority for `slot` in [`genesis`].
pub fn producer_key(slot: u64) -> Keypair {
    authority((slot % 2) as usize)
}

pub fn transfer(
    from: &Keypair,
    to: Address,
    amount: u64,
    fee: u64,
    nonce: u64,
) -> SignedTransaction {
    TxBuilder::new(from)
        .chain_id(CHAIN_ID)
        .to(to)
        .amount(amount)
        .fee(fee)
        .nonce(nonce)
        .sign()
}

pub fn verified(tx: SignedTransaction) -> VerifiedTx {
    tx.verify(CHAIN_ID).expect("fixture tx verifies")
}

/// A valid block on `parent` (whose post-state is `state`) at `slot` with `txs`.
pub fn block_on(
    genesis: &Genesis,
    parent: &BlockHeader,
    state: &State,
    slot: u64,
    txs: Vec<SignedTransaction>,
) -> Block {
    let produced = produce_block(
        parent,
        state,
        genesis,
        &Limits::default(),
        slot,
        &producer_key(slot),
        txs.into_iter().map(verified),
    );
    assert!(
        produced.skipped.is_empty(),
        "fixture txs must apply: {:?}",
        produced.skipped
    );
    produced.block
}

/// Re-signs a tampered header with the right producer key, so only the tampering is wrong.
pub fn resign(mut block: Block) -> Block {
    let key = producer_key(block.header.slot);
    block.signature = key.sign(&block.header.signing_bytes());
    block
}

/// Replays the store's canonical chain from genesis and checks it matches the store's head state.
pub fn assert_head_state_is_replay(store: &ChainStore) {
    let g = store.genesis().clone();
    let mut state = g.initial_state();
    let (head_hash, head) = store.head();
    let head_height = head.height;
    let mut parent = g.block().header;
    for h in 1..=head_height {
        let b = store
            .block_by_height(h)
            .unwrap()
            .expect("canonical block present");
        let c = check_block(b, &g, &ChainConfig::default(), LATE).expect("stored block valid");
        check_against_parent(&parent, c.header()).unwrap();
        let diff = execute_block(&state, &c, g.chain_id).expect("stored block executes");
        state.apply_diff(&diff);
        parent = c.header().clone();
    }
    assert_eq!(parent.hash(), head_hash, "canonical index ends at the head");
    assert_eq!(state.root(), store.state().root());
    assert!(state.iter().eq(store.state().iter()));
}

/// The next valid block on the store's head with `txs`, one slot later.
pub fn next_block(store: &ChainStore, txs: Vec<SignedTransaction>) -> Block {
    let (_, head) = store.head();
    let head = head.clone();
    block_on(store.genesis(), &head, store.state(), head.slot + 1, txs)
}
