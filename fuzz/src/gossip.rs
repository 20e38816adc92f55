//! `gossip_path`: a gossip message from bytes to verdict, through the code that handles it in
//! a running node. The first byte picks the topic (even: tx, odd: block), the rest is the
//! payload. Then, as in the node:
//!
//! 1. `rumor_p2p::decode_payload`, the decode at the edge; undecodable bytes are `Reject`ed
//!    there and never reach the node (as `gossip_handler` does);
//! 2. a tx: `ingest::validate_gossip_batch` (the verification pool's `verify_strict`, then
//!    admission to the mempool against the ledger's state);
//!    a block: `blocks::on_gossip_block` (stale/known check against the chain store, the
//!    header checks on the verification pool, equivocation; an accepted block is imported);
//!    a compact block: `blocks::on_gossip_compact` (the same screen, a rebuild from the pool;
//!    the port answers no blocktxn or sync request, so what the pool lacks is `Ignore`d);
//! 3. the verdict the node reports through its network port.
//!
//! The node runs on the fixture's genesis, with a chain store in a temporary directory, one
//! verification thread and a current-thread runtime, all made once per process; the port is
//! the node's `FakeNet` (feature `test-utils`), which records verdicts and fails sync
//! requests, as a peer that does not answer would.
//! The seen-cache in front of the decode is left out: it would make every repeat of an input
//! `Ignore`.
//!
//! Asserted: exactly one verdict per decoded message, for that message; a decoded payload is
//! canonical; an `Accept`ed one passes the stateless checks on its own (a tx's chain id, cost
//! and signature, a block's header checks), and an accepted tx is in the mempool; a tx is
//! `Reject`ed (its sender penalised) only if it fails the stateless checks.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use prometheus_client::registry::Registry;
use rumor_chain::{Block, ChainStore, Keypair, SignedTransaction, check_header};
use rumor_mempool::{Pool, PoolConfig};
use rumor_node::NodeConfig;
use rumor_node::blocks::{Blocks, SlotCache, on_gossip_block, on_gossip_compact, slot_cache};
use rumor_node::context::{Ctx, Parts};
use rumor_node::fake_net::FakeNet;
use rumor_node::metrics::NodeMetrics;
use rumor_node::services::ledger::Ledger;
use rumor_node::services::trace::Tracer;
use rumor_node::services::verify::VerifyPool;
use rumor_node::txs::ingest::{GossipTx, Tally, validate_gossip_batch};
use rumor_p2p::{MessageId, Payload, PeerId, Topic, Validation};

use crate::fixture;

/// One node for the whole process.
struct Node {
    runtime: tokio::runtime::Runtime,
    ctx: Arc<Ctx>,
    blocks: Arc<Blocks>,
    port: Arc<FakeNet>,
    slots: Arc<Mutex<SlotCache>>,
    unpayable: Arc<Tally>,
    from: PeerId,
    /// One message at a time (tests run in parallel threads): verdicts are read per message.
    turn: Mutex<()>,
}

fn node() -> &'static Node {
    static NODE: OnceLock<Node> = OnceLock::new();
    NODE.get_or_init(|| {
        let genesis = Arc::new(fixture::genesis());
        let config = NodeConfig {
            verify_threads: 1,
            tx_journal: false,
            chain: fixture::chain_config(),
            ..NodeConfig::default()
        };
        // The store's file is unlinked once open (the directory goes with `dir`): the node
        // keeps it through its open handle, and nothing is left behind in the temp dir.
        let dir = tempfile::tempdir().expect("temp dir");
        let store = ChainStore::open(
            &rumor_api::DataDir::new(dir.path()).chain_db(),
            (*genesis).clone(),
            config.chain,
        )
        .expect("chain store");
        drop(dir);
        let pool = Pool::new(genesis.chain_id, PoolConfig::from(&config.pool));
        let metrics = Arc::new(NodeMetrics::register(
            &mut Registry::default(),
            &pool.status(),
        ));
        let ledger = Arc::new(Ledger::new(
            store,
            pool,
            config.orphan_buffer,
            metrics.clone(),
        ));
        let verify = VerifyPool::start(
            config.verify_threads,
            config.verify_queue,
            genesis.clone(),
            config.chain,
            metrics.clone(),
        );
        let port = Arc::new(FakeNet::new());
        let ctx = Ctx::new(Parts {
            config,
            genesis,
            key: Keypair::from_label("fuzz/node"),
            ledger,
            net: port.clone(),
            verify,
            metrics,
            tracer: Tracer::disabled(),
            meter: None,
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let from = rumor_p2p::identity_from_key(&Keypair::from_label("fuzz/peer"))
            .public()
            .to_peer_id();
        Node {
            runtime,
            blocks: Blocks::new(ctx.clone()),
            ctx,
            port,
            slots: Arc::new(slot_cache()),
            unpayable: Arc::default(),
            from,
            turn: Mutex::new(()),
        }
    })
}

impl Node {
    /// Runs `work` and returns the one verdict it reported for `id` on `topic`.
    fn verdict(
        &self,
        id: MessageId,
        topic: Topic,
        work: impl std::future::Future<Output = ()>,
    ) -> Validation {
        self.runtime.block_on(work);
        // Everything the port recorded is taken (and dropped), so the record stays bounded.
        let calls = self.port.take_calls();
        match calls.reports.as_slice() {
            [(i, _, t, v)] => {
                assert_eq!((*i, *t), (id, topic), "a verdict for another message");
                *v
            }
            other => panic!("{} verdicts for one message: {other:?}", other.len()),
        }
    }

    fn judge_tx(&self, id: MessageId, tx: SignedTransaction) -> Validation {
        let batch = vec![GossipTx {
            id,
            from: self.from,
            tx,
            received_at_us: 0,
            received: Instant::now(),
        }];
        self.verdict(
            id,
            Topic::Tx,
            validate_gossip_batch(self.ctx.clone(), self.unpayable.clone(), batch),
        )
    }

    fn judge_block(&self, id: MessageId, block: Block) -> Validation {
        let work = on_gossip_block(
            self.blocks.clone(),
            self.slots.clone(),
            id,
            self.from,
            block,
            0,
        );
        self.verdict(id, Topic::Block, work)
    }

    fn judge_compact(&self, id: MessageId, compact: rumor_chain::CompactBlock) -> Validation {
        let work = on_gossip_compact(
            self.blocks.clone(),
            self.slots.clone(),
            id,
            self.from,
            compact,
        );
        self.verdict(id, Topic::Block, work)
    }
}

pub fn gossip_path(data: &[u8]) {
    gossip_verdict(data);
}

/// [`gossip_path`], returning the verdict (`None` for an empty input).
pub fn gossip_verdict(data: &[u8]) -> Option<Validation> {
    let (&selector, payload) = data.split_first()?;
    let topic = if selector % 2 == 0 {
        Topic::Tx
    } else {
        Topic::Block
    };
    let node = node();
    let _turn = node.turn.lock().unwrap_or_else(|e| e.into_inner());
    let limits = node.ctx.genesis.limits;
    let id = rumor_p2p::message_id(payload);
    let Ok(decoded) = rumor_p2p::decode_payload(topic, payload, &limits) else {
        // `Reject`ed at the edge; the node never sees it.
        return Some(Validation::Reject);
    };
    match decoded {
        Payload::Tx(tx) => {
            assert_eq!(tx.encode(), payload, "a decoded gossip tx is not canonical");
            let verdict = node.judge_tx(id, tx.clone());
            if verdict == Validation::Accept {
                assert!(
                    tx.clone().verify(node.ctx.genesis.chain_id).is_ok(),
                    "accepted a tx that fails the stateless checks"
                );
                assert!(node.ctx.ledger.pool_contains(&tx.hash()));
            }
            if verdict == Validation::Reject {
                // A penalty only for a tx invalid everywhere and forever.
                assert!(
                    tx.clone().verify(node.ctx.genesis.chain_id).is_err(),
                    "rejected a tx that passes the stateless checks"
                );
            }
            Some(verdict)
        }
        Payload::Block(block) => {
            let block = *block;
            assert_eq!(
                rumor_p2p::encode_block(&block),
                payload,
                "a decoded gossip block is not canonical"
            );
            let verdict = node.judge_block(id, block.clone());
            if verdict == Validation::Accept {
                let checked = check_header(
                    &block,
                    &node.ctx.genesis,
                    &node.ctx.config.chain,
                    node.ctx.clock.now_ms(),
                );
                assert!(
                    checked.is_ok(),
                    "accepted a block whose header checks fail: {checked:?}"
                );
            }
            Some(verdict)
        }
        Payload::CompactBlock(compact) => {
            let compact = *compact;
            assert_eq!(
                rumor_p2p::encode_compact(&compact),
                payload,
                "a decoded compact block is not canonical"
            );
            let hash = compact.hash();
            let verdict = node.judge_compact(id, compact);
            if verdict == Validation::Accept {
                // Accepted only as a whole block that passed the header checks (it was rebuilt
                // from the pool: the port answers no request), which the store now holds or
                // the orphan buffer keeps.
                let stored = node
                    .ctx
                    .ledger
                    .read_chain(|c| c.block(&hash).ok().flatten());
                if let Some(block) = stored {
                    let checked = check_header(
                        &block,
                        &node.ctx.genesis,
                        &node.ctx.config.chain,
                        node.ctx.clock.now_ms(),
                    );
                    assert!(
                        checked.is_ok(),
                        "accepted a compact block whose header checks fail"
                    );
                }
            }
            Some(verdict)
        }
    }
}
