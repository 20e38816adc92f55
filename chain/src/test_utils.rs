//! Fixtures shared by the workspace's tests and benches (feature `test-utils`, on in this
//! crate's own tests): one builder for signed transfers, so every test states only the fields
//! it cares about. Never part of a node build.
//!
//! Invariant: a built tx is signed by the builder's key and sent from that key's address, so
//! it always passes [`SignedTransaction::verify`] for its own chain id (unless the caller made
//! its cost overflow).

use crate::{Address, Keypair, SignedTransaction, Transaction, VerifiedTx};

/// A transfer from `key`, to its own address, of amount 1, fee 1, nonce 0 on chain 1 until
/// told otherwise.
#[derive(Clone)]
pub struct TxBuilder {
    key: Keypair,
    tx: Transaction,
}

impl std::fmt::Debug for TxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxBuilder").field("tx", &self.tx).finish()
    }
}

impl TxBuilder {
    pub fn new(key: &Keypair) -> Self {
        let from = key.address();
        Self {
            key: key.clone(),
            tx: Transaction {
                chain_id: 1,
                from,
                to: from,
                amount: 1,
                fee: 1,
                nonce: 0,
            },
        }
    }

    /// From the deterministic key of `label` ([`Keypair::from_label`]).
    pub fn from_label(label: &str) -> Self {
        Self::new(&Keypair::from_label(label))
    }

    pub fn chain_id(mut self, chain_id: u64) -> Self {
        self.tx.chain_id = chain_id;
        self
    }

    pub fn to(mut self, to: Address) -> Self {
        self.tx.to = to;
        self
    }

    pub fn amount(mut self, amount: u64) -> Self {
        self.tx.amount = amount;
        self
    }

    pub fn fee(mut self, fee: u64) -> Self {
        self.tx.fee = fee;
        self
    }

    pub fn nonce(mut self, nonce: u64) -> Self {
        self.tx.nonce = nonce;
        self
    }

    /// The unsigned transfer.
    pub fn transaction(&self) -> Transaction {
        self.tx.clone()
    }

    pub fn sign(self) -> SignedTransaction {
        self.tx.sign(&self.key)
    }

    /// Signed and verified for its own chain id.
    pub fn verified(self) -> VerifiedTx {
        let chain_id = self.tx.chain_id;
        self.sign().verify(chain_id).expect("a built tx verifies")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_setters_reach_the_signed_tx() {
        let key = Keypair::from_label("builder");
        let plain = TxBuilder::new(&key).sign();
        assert_eq!(plain.tx.from, key.address());
        assert_eq!(plain.tx.to, key.address());
        assert_eq!(
            (plain.tx.chain_id, plain.tx.amount, plain.tx.fee),
            (1, 1, 1)
        );
        assert_eq!(plain.tx.nonce, 0);
        let v = TxBuilder::from_label("builder")
            .chain_id(9)
            .to(Address([3; 32]))
            .amount(5)
            .fee(2)
            .nonce(4)
            .verified();
        let tx = &v.signed().tx;
        assert_eq!((tx.chain_id, tx.amount, tx.fee, tx.nonce), (9, 5, 2, 4));
        assert_eq!(tx.to, Address([3; 32]));
        assert_eq!(tx.from, key.address());
    }
}
