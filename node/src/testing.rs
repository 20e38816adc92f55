//! Unit-test support (compiled for tests only): a small network — genesis, authority and
//! account keys — in a temporary directory, ledgers and stores on it, signed txs, and blocks
//! produced on a "remote" store to feed a node under test in any order.
//!
//! Invariant: everything here is deterministic (keys from labels, slots counted up from the
//! head); the genesis starts far enough in the past that no produced slot is in the future.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use rumor_chain::{
    Block, ChainStore, CheckedBlock, Genesis, Keypair, SignedTransaction, Transaction, VerifiedTx,
    check_block, produce_block,
};
use rumor_mempool::{Pool, PoolConfig};

use crate::config::NodeConfig;
use crate::ledger::Ledger;
use crate::metrics::NodeMetrics;
use crate::trace::now_ms;

pub const SLOT_MS: u64 = 1000;
pub const BALANCE: u64 = 1_000_000;

/// A test network: a genesis with funded accounts, in a temp dir that lives as long as this.
#[derive(Debug)]
pub struct TestNet {
    pub dir: tempfile::TempDir,
    pub genesis: Arc<Genesis>,
    pub authorities: Vec<Keypair>,
    pub accounts: Vec<Keypair>,
    pub config: NodeConfig,
}

impl TestNet {
    pub fn new(authorities: usize, accounts: usize) -> Self {
        Self::with_slot_ms(authorities, accounts, SLOT_MS, 1000)
    }

    /// `past_slots`: how many slots before now the genesis starts.
    pub fn with_slot_ms(
        authorities: usize,
        accounts: usize,
        slot_ms: u64,
        past_slots: u64,
    ) -> Self {
        let authorities: Vec<Keypair> = (0..authorities)
            .map(|i| Keypair::from_label(&format!("test/authority-{i}")))
            .collect();
        let accounts: Vec<Keypair> = (0..accounts)
            .map(|i| Keypair::from_label(&format!("test/account-{i}")))
            .collect();
        let genesis = Genesis::new(
            1,
            now_ms() - past_slots * slot_ms,
            slot_ms,
            authorities.iter().map(|k| k.address()).collect(),
            &accounts.iter().map(|k| k.address()).collect::<Vec<_>>(),
            BALANCE,
        );
        let config = NodeConfig {
            verify_threads: 1,
            ..NodeConfig::default()
        };
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            genesis: Arc::new(genesis),
            authorities,
            accounts,
            config,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).expect("node dir");
        p
    }

    /// A chain store named `name` (a fresh one, or the one a node of that name left).
    pub fn store(&self, name: &str) -> ChainStore {
        ChainStore::open(
            &self.path(name).join("chain.redb"),
            (*self.genesis).clone(),
            self.config.chain,
        )
        .expect("chain store")
    }

    pub fn metrics(&self) -> Arc<NodeMetrics> {
        let pool = Pool::new(self.genesis.chain_id, PoolConfig::default());
        let mut registry = prometheus_client::registry::Registry::default();
        Arc::new(NodeMetrics::register(&mut registry, &pool.status()))
    }

    /// A ledger on a fresh store, with `pool` limits and room for `orphans`.
    pub fn ledger(&self, name: &str, pool: PoolConfig, orphans: usize) -> Arc<Ledger> {
        Arc::new(Ledger::new(
            self.store(name),
            Pool::new(self.genesis.chain_id, pool),
            orphans,
            self.metrics(),
        ))
    }

    /// A transfer of 1 from account `from` to the next account.
    pub fn tx(&self, from: usize, nonce: u64, fee: u64) -> SignedTransaction {
        let key = &self.accounts[from];
        Transaction {
            chain_id: self.genesis.chain_id,
            from: key.address(),
            to: self.accounts[(from + 1) % self.accounts.len()].address(),
            amount: 1,
            fee,
            nonce,
        }
        .sign(key)
    }

    pub fn verified(&self, tx: SignedTransaction) -> VerifiedTx {
        tx.verify(self.genesis.chain_id).expect("a valid tx")
    }

    /// The authority key for `slot`.
    pub fn producer(&self, slot: u64) -> &Keypair {
        let address = self.genesis.producer_for_slot(slot);
        self.authorities
            .iter()
            .find(|k| k.address() == address)
            .expect("an authority")
    }

    /// Produces one block on `store`'s head in the next slot (plus `skip` slots) with `txs`,
    /// imports it there and returns it.
    pub fn extend_with(
        &self,
        store: &mut ChainStore,
        skip: u64,
        txs: Vec<SignedTransaction>,
    ) -> Block {
        let head = store.head().1.clone();
        let slot = head.slot + 1 + skip;
        let txs = txs.into_iter().map(|t| self.verified(t));
        let produced = produce_block(
            &head,
            store.state(),
            &self.genesis,
            &self.config.chain.limits,
            slot,
            self.producer(slot),
            txs,
        );
        assert!(produced.skipped.is_empty(), "{:?}", produced.skipped);
        store.import(produced.checked()).expect("own block imports");
        produced.block
    }

    /// `n` empty blocks on `store`'s head.
    pub fn extend(&self, store: &mut ChainStore, n: usize) -> Vec<Block> {
        (0..n).map(|_| self.extend_with(store, 0, vec![])).collect()
    }

    /// Stage-1 checks, as the verification pool runs them.
    pub fn check(&self, block: Block) -> CheckedBlock {
        check_block(block, &self.genesis, &self.config.chain, now_ms()).expect("a valid block")
    }
}
