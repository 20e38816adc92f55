//! Unit-test support (compiled for tests only): a small network — genesis, authority and
//! account keys — in a temporary directory, ledgers and stores on it, signed txs, blocks
//! produced on a "remote" store to feed a node under test in any order, and [`FakeNet`], a
//! [`NetPort`] that records every call and answers sync requests from a remote ledger.
//!
//! Invariants: everything here is deterministic (keys from labels, slots counted up from the
//! head; the genesis starts far enough in the past that no produced slot is in the future);
//! tests wait for conditions with a timeout ([`within`], [`FakeNet::wait_until`]), never for a
//! fixed time. The fake port itself is in `fake_net` (shared with the fuzz crate).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use rumor_chain::{
    Block, ChainStore, CheckedBlock, Genesis, Keypair, SignedTransaction, Transaction, VerifiedTx,
    check_block, produce_block,
};
use rumor_mempool::{Pool, PoolConfig};
use rumor_p2p::PeerId;

use crate::blocks::Blocks;
use crate::config::NodeConfig;
use crate::context::{Ctx, Parts};
use crate::metrics::NodeMetrics;
use crate::services::ledger::{HeadSnapshot, Ledger};
use crate::services::trace::Tracer;
use crate::services::verify::VerifyPool;
use crate::txs::journal::Journal;

pub use crate::fake_net::{FakeNet, WAIT, within};

/// The system clock, for tests that build chains and messages around "now" (the nodes they
/// build read `Ctx::clock`, unshifted unless a test sets `clock_offset_ms`).
pub fn now_ms() -> u64 {
    rumor_chain::clock::Clock::system().now_ms()
}

/// [`now_ms`] in µs.
pub fn now_us() -> u64 {
    rumor_chain::clock::Clock::system().now_us()
}

/// Waits until the ledger's head satisfies `cond`.
pub async fn head_until(ledger: &Ledger, what: &str, cond: impl Fn(&HeadSnapshot) -> bool) {
    let mut rx = ledger.watch_head();
    within(what, rx.wait_for(|h| cond(h)))
        .await
        .expect("the ledger outlives the test");
}

/// A deterministic peer id.
pub fn peer(n: u8) -> PeerId {
    rumor_p2p::identity_from_key(&Keypair::from_label(&format!("test/peer-{n}")))
        .public()
        .to_peer_id()
}

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
        let mut config = NodeConfig {
            verify_threads: 1,
            // Journal tests turn it on (see `node_with`); the others need no fsyncs.
            tx_journal: false,
            ..NodeConfig::default()
        };
        // Slots here count up from a genesis far in the past, so every block would look like
        // a replay; the replay test sets the window itself.
        config.chain.replay_window_slots = u64::MAX;
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
            &rumor_api::DataDir::new(self.path(name)).chain_db(),
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
            &self.genesis.limits,
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

    /// A node on a fresh store named `name`, reaching the network through a [`FakeNet`].
    pub fn node(&self, name: &str) -> TestNode {
        self.node_with(
            name,
            Keypair::from_label(&format!("test/node-{name}")),
            |_| {},
        )
    }

    /// [`TestNet::node`] with a key and config changes.
    pub fn node_with(
        &self,
        name: &str,
        key: Keypair,
        tweak: impl FnOnce(&mut NodeConfig),
    ) -> TestNode {
        let mut config = self.config.clone();
        config.data_dir = self.path(name);
        tweak(&mut config);
        let metrics = self.metrics();
        let ledger = Arc::new(Ledger::new(
            self.store(name),
            Pool::new(
                self.genesis.chain_id,
                rumor_mempool::PoolConfig::from(&config.pool),
            ),
            config.orphan_buffer,
            metrics.clone(),
        ));
        // `verify_threads = 0` here means "a pool that has stopped" (the shed paths).
        let verify = if config.verify_threads == 0 {
            VerifyPool::stopped(self.genesis.clone(), metrics.clone())
        } else {
            VerifyPool::start(
                config.verify_threads,
                config.verify_queue,
                self.genesis.clone(),
                config.chain,
                metrics.clone(),
            )
        };
        let net = Arc::new(FakeNet::new());
        let journal = if config.tx_journal {
            // Weak: the writer thread must not keep the store open after the node stops.
            let l = Arc::downgrade(&ledger);
            let path = rumor_api::DataDir::new(&config.data_dir).tx_journal();
            let keep: crate::txs::journal::Keep =
                Box::new(move |t| l.upgrade().is_none_or(|l| l.pool_contains(&t.hash())));
            crate::txs::journal::Journal::open(&path, self.genesis.limits, keep)
                .expect("journal")
                .0
        } else {
            crate::txs::journal::Journal::disabled()
        };
        let ctx = Ctx::new(Parts {
            config,
            genesis: self.genesis.clone(),
            key,
            ledger,
            net: net.clone(),
            verify,
            metrics,
            tracer: Tracer::disabled(),
            meter: None,
        });
        let blocks = Blocks::new(ctx.clone());
        TestNode {
            ctx,
            blocks,
            journal,
            net,
        }
    }

    /// A ledger (to serve sync requests from, as a peer would) holding `n` blocks, and them.
    pub fn remote(&self, name: &str, n: usize) -> (Arc<Ledger>, Vec<Block>) {
        let mut builder = self.store(&format!("{name}-builder"));
        let blocks = self.extend(&mut builder, n);
        let ledger = self.ledger(name, PoolConfig::default(), 8);
        for b in &blocks {
            ledger.import(self.check(b.clone())).expect("a valid chain");
        }
        (ledger, blocks)
    }

    /// Stage-1 checks, as the verification pool runs them.
    pub fn check(&self, block: Block) -> CheckedBlock {
        check_block(block, &self.genesis, &self.config.chain, now_ms()).expect("a valid block")
    }
}

/// A node context wired to a [`FakeNet`], with its block pipeline and local-tx journal.
#[derive(Debug)]
pub struct TestNode {
    pub ctx: Arc<Ctx>,
    pub blocks: Arc<Blocks>,
    pub journal: Journal,
    pub net: Arc<FakeNet>,
}

impl TestNode {
    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ctx.ledger
    }
}
