//! Property test: under random inserts, blocks, reorgs, balance changes and expiry ticks, the
//! pool stays within every bound, never holds a tx below its sender's account nonce, and
//! `best_transactions` yields gap-free nonce sequences that apply cleanly to the state.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rumor_chain::test_utils::TxBuilder;
use rumor_chain::{Account, AccountReader, Address, Keypair, VerifiedTx};
use rumor_mempool::{Origin, Pool, PoolConfig};

const CHAIN_ID: u64 = 3;
const SENDERS: usize = 5;
const NONCES: u64 = 10;
const FEES: [u64; 4] = [1, 3, 7, 20];

/// Every tx the test can use, signed once: `[sender][nonce][fee index]`.
fn txs() -> &'static Vec<Vec<Vec<VerifiedTx>>> {
    static TXS: OnceLock<Vec<Vec<Vec<VerifiedTx>>>> = OnceLock::new();
    TXS.get_or_init(|| {
        (0..SENDERS)
            .map(|s| {
                let key = Keypair::from_label(&format!("prop-{s}"));
                (0..NONCES)
                    .map(|nonce| {
                        FEES.iter()
                            .map(|&fee| {
                                TxBuilder::new(&key)
                                    .chain_id(CHAIN_ID)
                                    .to(Address([0xee; 32]))
                                    .amount((nonce * 7 + fee) % 13)
                                    .fee(fee)
                                    .nonce(nonce)
                                    .verified()
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect()
    })
}

fn sender(i: usize) -> Address {
    txs()[i][0][0].sender()
}

#[derive(Debug, Clone, Default)]
struct State(HashMap<Address, Account>);

impl AccountReader for State {
    fn account(&self, a: &Address) -> Account {
        self.0.get(a).copied().unwrap_or_default()
    }
}

impl State {
    /// Applies a tx as the chain would; `false` (and no change) if it does not apply.
    fn apply(&mut self, tx: &VerifiedTx) -> bool {
        let mut acct = self.account(&tx.sender());
        if acct.nonce != tx.nonce() || acct.balance < tx.cost() {
            return false;
        }
        acct.nonce += 1;
        acct.balance -= tx.cost();
        self.0.insert(tx.sender(), acct);
        true
    }
}

#[derive(Debug, Clone)]
enum Op {
    Insert {
        sender: usize,
        nonce: u64,
        fee: usize,
        local: bool,
    },
    /// A block built from the pool.
    Block {
        max: usize,
    },
    /// A block from elsewhere: one tx (maybe not pooled) at the sender's current nonce.
    ForeignBlock {
        sender: usize,
        fee: usize,
    },
    /// Undo `depth` blocks, then a new branch re-includes the first `keep` of their txs.
    Reorg {
        depth: usize,
        keep: usize,
    },
    /// A balance change from outside the pool's view (a received transfer, say).
    Fund {
        sender: usize,
        balance: u64,
    },
    Tick {
        secs: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..SENDERS, 0..NONCES, 0..FEES.len(), any::<bool>()).prop_map(
            |(sender, nonce, fee, local)| Op::Insert { sender, nonce, fee, local }
        ),
        2 => (0usize..8).prop_map(|max| Op::Block { max }),
        1 => (0..SENDERS, 0..FEES.len()).prop_map(|(sender, fee)| Op::ForeignBlock { sender, fee }),
        1 => (1usize..4, 0usize..6).prop_map(|(depth, keep)| Op::Reorg { depth, keep }),
        1 => (0..SENDERS, 0u64..250).prop_map(|(sender, balance)| Op::Fund { sender, balance }),
        1 => (0u64..5_000).prop_map(|secs| Op::Tick { secs }),
    ]
}

fn config() -> PoolConfig {
    PoolConfig {
        max_txs: 12,
        max_bytes: 11 * 160,
        max_pending_per_sender: 4,
        max_queued_per_sender: 3,
        max_queued_total: 5,
        price_bump_percent: 10,
        lifetime: Duration::from_secs(7_200),
        min_fee: 2,
        pending_broadcast_capacity: 8,
    }
}

fn check(pool: &Pool, state: &State) -> Result<(), TestCaseError> {
    pool.check_invariants().map_err(TestCaseError::fail)?;
    let c = config();
    let st = pool.status();
    prop_assert!(st.pending + st.queued == pool.len());
    prop_assert!(pool.len() <= c.max_txs && st.bytes <= c.max_bytes);
    prop_assert!(st.queued <= c.max_queued_total);
    for i in 0..SENDERS {
        let acct = state.account(&sender(i));
        let content = pool.content_of(&sender(i));
        prop_assert!(content.pending.len() <= c.max_pending_per_sender);
        prop_assert!(content.queued.len() <= c.max_queued_per_sender);
        for tx in content.pending.iter().chain(&content.queued) {
            prop_assert!(tx.nonce() >= acct.nonce, "nonce below the account's");
        }
    }
    // Block building: no gaps, and the whole list applies in order.
    let best = pool.best_transactions(usize::MAX, usize::MAX);
    prop_assert_eq!(best.len(), st.pending);
    let mut next: HashMap<Address, u64> = HashMap::new();
    let mut scratch = state.clone();
    for tx in &best {
        let expected = next
            .entry(tx.sender())
            .or_insert(state.account(&tx.sender()).nonce);
        prop_assert_eq!(tx.nonce(), *expected, "nonce gap in best_transactions");
        *expected += 1;
        prop_assert!(scratch.apply(tx), "a best tx does not apply");
    }
    Ok(())
}

struct Block {
    before: State,
    txs: Vec<VerifiedTx>,
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn pool_stays_bounded_and_gap_free(
        balances in proptest::collection::vec(0u64..250, SENDERS),
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let mut state = State::default();
        for (i, &balance) in balances.iter().enumerate() {
            state.0.insert(sender(i), Account { balance, nonce: 0 });
        }
        let mut pool = Pool::new(CHAIN_ID, config());
        let mut chain: Vec<Block> = Vec::new();
        let mut now = Instant::now();
        for op in ops {
            match op {
                Op::Insert { sender, nonce, fee, local } => {
                    let origin = if local { Origin::Local } else { Origin::External };
                    let tx = txs()[sender][nonce as usize][fee].clone();
                    let _ = pool.insert(tx, origin, &state, now);
                }
                Op::Block { max } => {
                    let before = state.clone();
                    let txs = pool.best_transactions(max, usize::MAX);
                    for tx in &txs {
                        prop_assert!(state.apply(tx));
                    }
                    pool.on_block_imported(&txs, Vec::new(), &state, now);
                    chain.push(Block { before, txs });
                }
                Op::ForeignBlock { sender, fee } => {
                    let before = state.clone();
                    let nonce = state.account(&self::sender(sender)).nonce;
                    let mut txs = Vec::new();
                    if nonce < NONCES {
                        let tx = txs_for(sender, nonce, fee);
                        if state.apply(&tx) {
                            txs.push(tx);
                        }
                    }
                    pool.on_block_imported(&txs, Vec::new(), &state, now);
                    chain.push(Block { before, txs });
                }
                Op::Reorg { depth, keep } => {
                    let depth = depth.min(chain.len());
                    if depth == 0 {
                        continue;
                    }
                    let undone = chain.split_off(chain.len() - depth);
                    state = undone[0].before.clone();
                    let left: Vec<VerifiedTx> =
                        undone.into_iter().flat_map(|b| b.txs).collect();
                    let before = state.clone();
                    // The new branch re-includes a prefix of the old txs, as far as they
                    // still apply (an undone balance change may have unfunded them).
                    let included: Vec<VerifiedTx> = left
                        .iter()
                        .take(keep)
                        .take_while(|tx| state.apply(tx))
                        .cloned()
                        .collect();
                    pool.on_block_imported(&included, left, &state, now);
                    chain.push(Block { before, txs: included });
                }
                Op::Fund { sender, balance } => {
                    // A block of its own, so a reorg can undo it like any other.
                    let before = state.clone();
                    let a = self::sender(sender);
                    let acct = state.account(&a);
                    state.0.insert(a, Account { balance, ..acct });
                    pool.on_block_imported(&[], Vec::new(), &state, now);
                    chain.push(Block { before, txs: Vec::new() });
                }
                Op::Tick { secs } => {
                    now += Duration::from_secs(secs);
                    pool.maintain(now);
                }
            }
            check(&pool, &state)?;
        }
    }
}

fn txs_for(sender: usize, nonce: u64, fee: usize) -> VerifiedTx {
    txs()[sender][nonce as usize][fee].clone()
}
