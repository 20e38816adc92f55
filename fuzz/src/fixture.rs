//! A fixed, deterministic chain for the targets that check more than decoding: a genesis with
//! two authorities and four funded accounts (keys from labels), a fixed genesis time long
//! past, and a short valid chain of blocks on it. The seed corpora are built from the same
//! fixture, so the seeds stay valid blocks and txs for as long as the fixture is unchanged.

use rumor_chain::test_utils::TxBuilder;
use rumor_chain::{
    Block, BlockHeader, ChainConfig, Genesis, Keypair, Limits, SignedTransaction, State, StateDiff,
    produce_block,
};

pub const CHAIN_ID: u64 = 1;
/// 2023-11-14: every slot of the fixture's chain is long past, so never "in the future".
pub const GENESIS_TIME_MS: u64 = 1_700_000_000_000;
pub const SLOT_MS: u64 = 1000;
pub const BALANCE: u64 = 1_000_000;
/// "Now" for the checks that take a clock (slot 1000), so the header and block targets are
/// deterministic. The gossip path uses the real clock, as the node does.
pub const NOW_MS: u64 = GENESIS_TIME_MS + 1000 * SLOT_MS;

pub fn authorities() -> Vec<Keypair> {
    (0..2)
        .map(|i| Keypair::from_label(&format!("fuzz/authority-{i}")))
        .collect()
}

pub fn accounts() -> Vec<Keypair> {
    (0..4)
        .map(|i| Keypair::from_label(&format!("fuzz/account-{i}")))
        .collect()
}

pub fn genesis() -> Genesis {
    Genesis::new(
        CHAIN_ID,
        GENESIS_TIME_MS,
        SLOT_MS,
        authorities().iter().map(|k| k.address()).collect(),
        &accounts().iter().map(|k| k.address()).collect::<Vec<_>>(),
        BALANCE,
    )
}

pub fn chain_config() -> ChainConfig {
    ChainConfig {
        // The fixture's genesis and seed blocks are fixed bytes from the past, so with the
        // default window every block would be a replay and the path would stop there. The
        // replay check has its own tests in the node crate.
        replay_window_slots: u64::MAX,
        ..ChainConfig::default()
    }
}

/// Small caps, so the targets also reach the "over the cap" paths with short inputs.
pub fn small_limits() -> Limits {
    Limits {
        max_tx_bytes: rumor_chain::codec::TX_ENCODED_LEN,
        max_block_txs: 2,
        max_block_bytes: rumor_chain::codec::BLOCK_OVERHEAD_LEN
            + 2 * rumor_chain::codec::TX_ENCODED_LEN,
    }
}

/// A transfer of `amount` from account `from` to the next account.
pub fn tx(from: usize, nonce: u64, amount: u64) -> SignedTransaction {
    let accounts = accounts();
    TxBuilder::new(&accounts[from])
        .chain_id(CHAIN_ID)
        .to(accounts[(from + 1) % accounts.len()].address())
        .amount(amount)
        .nonce(nonce)
        .sign()
}

/// `n` valid blocks on the genesis (block `i` in slot `i + 1`, carrying one tx of account
/// `i % 4`), each with the state diff it makes.
pub fn chain(n: usize) -> Vec<(Block, StateDiff)> {
    let genesis = genesis();
    let authorities = authorities();
    let limits = genesis.limits;
    let mut head: BlockHeader = genesis.block().header;
    let mut state: State = genesis.initial_state();
    let mut out = Vec::new();
    for i in 0..n {
        let slot = i as u64 + 1;
        let producer = genesis.producer_for_slot(slot);
        let key = authorities
            .iter()
            .find(|k| k.address() == producer)
            .expect("an authority");
        let tx = tx(i % 4, (i / 4) as u64, 10 + i as u64)
            .verify(CHAIN_ID)
            .expect("a valid tx");
        let produced = produce_block(&head, &state, &genesis, &limits, slot, key, [tx]);
        assert!(produced.skipped.is_empty(), "{:?}", produced.skipped);
        state.apply_diff(&produced.diff);
        head = produced.block.header.clone();
        out.push((produced.block, produced.diff));
    }
    out
}
