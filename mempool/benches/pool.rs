//! Pool throughput: inserts at 0/50/100% full, block building, and block import.
//!
//! The pool holds up to 10 000 txs from 1 000 senders (10 nonces each); a measured batch is
//! 1 000 txs from 100 further senders, paying more than anything pooled so that at 100% full
//! every insert evicts. Signatures are made once up front: the pool never checks them.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rumor_chain::test_utils::TxBuilder;
use rumor_chain::{Account, Address, Keypair, State, VerifiedTx};
use rumor_mempool::{Origin, Pool, PoolConfig};

const CHAIN_ID: u64 = 1;
const NONCES: u64 = 10;
const CAP: usize = 10_000;
const BATCH: usize = 1_000;

fn signed(senders: std::ops::Range<u64>, fee_base: u64) -> Vec<VerifiedTx> {
    senders
        .flat_map(|s| {
            let key = Keypair::from_label(&format!("bench-{s}"));
            (0..NONCES).map(move |nonce| {
                let fee = fee_base + (s * 7919 + nonce * 104_729) % 1_000;
                TxBuilder::new(&key)
                    .chain_id(CHAIN_ID)
                    .to(Address([0xee; 32]))
                    .fee(fee)
                    .nonce(nonce)
                    .verified()
            })
        })
        .collect()
}

struct Fixture {
    state: State,
    fill: Vec<VerifiedTx>,
    batch: Vec<VerifiedTx>,
}

impl Fixture {
    fn new() -> Self {
        let senders = (CAP as u64) / NONCES;
        let fill = signed(0..senders, 1_000);
        let batch = signed(senders..senders + BATCH as u64 / NONCES, 10_000);
        let mut state = State::default();
        for tx in fill.iter().chain(&batch) {
            let account = Account {
                balance: 1_000_000_000,
                nonce: 0,
            };
            state.set(tx.sender(), account);
        }
        Self { state, fill, batch }
    }

    /// A pool holding the first `n` fill txs (whole senders, nonce order).
    fn pool(&self, n: usize) -> Pool {
        let config = PoolConfig {
            max_txs: CAP,
            ..PoolConfig::default()
        };
        let mut pool = Pool::new(CHAIN_ID, config);
        let now = Instant::now();
        for tx in &self.fill[..n] {
            pool.insert(tx.clone(), Origin::External, &self.state, now)
                .unwrap();
        }
        pool
    }
}

fn benches(c: &mut Criterion) {
    let fx = Fixture::new();
    let mut g = c.benchmark_group("insert");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for percent in [0usize, 50, 100] {
        g.bench_function(format!("{BATCH}_txs_at_{percent}pct_full"), |b| {
            b.iter_batched(
                || (fx.pool(CAP * percent / 100), fx.batch.clone()),
                |(mut pool, batch)| {
                    let now = Instant::now();
                    for tx in batch {
                        let r = pool.insert(tx, Origin::External, &fx.state, now);
                        debug_assert!(r.is_ok());
                        black_box(r).ok();
                    }
                    pool
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();

    let mut g = c.benchmark_group("block");
    g.sample_size(20);
    let full = fx.pool(CAP);
    g.bench_function("best_transactions_5000_of_10000", |b| {
        b.iter(|| black_box(full.best_transactions(5_000, usize::MAX)))
    });
    g.bench_function("on_block_imported_2000_included", |b| {
        b.iter_batched(
            || {
                let pool = fx.pool(CAP);
                let included = pool.best_transactions(2_000, usize::MAX);
                let mut state = fx.state.clone();
                for tx in &included {
                    let mut a = state.get(&tx.sender());
                    a.nonce += 1;
                    a.balance -= tx.cost();
                    state.set(tx.sender(), a);
                }
                (pool, included, state)
            },
            |(mut pool, included, state)| {
                let up = pool.on_block_imported(&included, Vec::new(), &state, Instant::now());
                assert_eq!(up.included, 2_000);
                pool
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(pool, benches);
criterion_main!(pool);
