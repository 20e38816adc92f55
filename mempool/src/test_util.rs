//! Fixtures for the unit tests: deterministic keys, signed txs (through the chain's shared
//! `TxBuilder`, positional for brevity here) and an in-memory state.

use std::collections::HashMap;

use rumor_chain::test_utils::TxBuilder;
use rumor_chain::{Account, AccountReader, Address, Keypair, VerifiedTx};

pub const CHAIN_ID: u64 = 7;

pub fn key(label: &str) -> Keypair {
    Keypair::from_label(label)
}

pub fn addr(label: &str) -> Address {
    key(label).address()
}

/// A verified tx from `label`'s key; the recipient is fixed, so txs differ only by the
/// arguments.
pub fn tx(label: &str, nonce: u64, fee: u64, amount: u64) -> VerifiedTx {
    tx_on(CHAIN_ID, label, nonce, fee, amount)
}

pub fn tx_on(chain_id: u64, label: &str, nonce: u64, fee: u64, amount: u64) -> VerifiedTx {
    TxBuilder::from_label(label)
        .chain_id(chain_id)
        .to(Address([0xee; 32]))
        .amount(amount)
        .fee(fee)
        .nonce(nonce)
        .verified()
}

#[derive(Debug, Default, Clone)]
pub struct TestState(pub HashMap<Address, Account>);

impl TestState {
    pub fn with(accounts: &[(&str, u64, u64)]) -> Self {
        Self(
            accounts
                .iter()
                .map(|&(l, balance, nonce)| (addr(l), Account { balance, nonce }))
                .collect(),
        )
    }

    pub fn set(&mut self, label: &str, balance: u64, nonce: u64) {
        self.0.insert(addr(label), Account { balance, nonce });
    }
}

impl AccountReader for TestState {
    fn account(&self, address: &Address) -> Account {
        self.0.get(address).copied().unwrap_or_default()
    }
}
