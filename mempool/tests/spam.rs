//! Spam: 100 000 inserts from 1 000 senders into a pool capped at 10 000 txs. The pool must
//! stay within its bounds throughout and end up holding exactly the 10 000 highest-fee txs.
//!
//! Each sender's fees fall with its nonce and all fees are distinct, so "the 10 000 highest"
//! is a well-defined, nonce-closed set: no kept tx needs an evicted predecessor. Pending slots
//! per sender are raised to 100 so that only the global bound is under test.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use rand_xoshiro::SplitMix64;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rumor_chain::test_utils::TxBuilder;
use rumor_chain::{Account, AccountReader, Address, Keypair, TxHash, VerifiedTx};
use rumor_mempool::{InsertError, Origin, Pool, PoolConfig};

const CHAIN_ID: u64 = 9;
const SENDERS: u64 = 1_000;
const PER_SENDER: u64 = 100;
const CAP: usize = 10_000;

/// The workspace's seeded PRNG (deterministic: fixed seeds below).
struct Rng(SplitMix64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(SplitMix64::seed_from_u64(seed))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0.next_u64() % n
    }
}

struct Rich;

impl AccountReader for Rich {
    fn account(&self, _: &Address) -> Account {
        Account {
            balance: u64::MAX / 2,
            nonce: 0,
        }
    }
}

/// One sender's txs in nonce order, with strictly falling fees unique across senders.
fn sender_txs(sender: u64) -> Vec<VerifiedTx> {
    let key = Keypair::from_label(&format!("spam-{sender}"));
    let mut rng = Rng::new(sender);
    let mut level = 0u64;
    let mut levels: Vec<u64> = (0..PER_SENDER)
        .map(|_| {
            level += 1 + rng.below(50);
            level
        })
        .collect();
    levels.reverse();
    levels
        .into_iter()
        .enumerate()
        .map(|(nonce, level)| {
            TxBuilder::new(&key)
                .chain_id(CHAIN_ID)
                .to(Address([0xee; 32]))
                .fee(level * SENDERS + sender)
                .nonce(nonce as u64)
                .verified()
        })
        .collect()
}

/// Signing and verifying 100 000 txs dominates this test, so it is spread over the cores.
fn all_txs() -> Vec<Vec<VerifiedTx>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let mut out: Vec<(u64, Vec<VerifiedTx>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..SENDERS)
                        .step_by(threads as usize)
                        .map(|s| (s, sender_txs(s)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    out.sort_by_key(|(s, _)| *s);
    out.into_iter().map(|(_, txs)| txs).collect()
}

#[test]
fn spam_keeps_the_highest_fee_set_within_bounds() {
    let txs = all_txs();
    let config = PoolConfig {
        max_txs: CAP,
        max_pending_per_sender: PER_SENDER as usize,
        ..PoolConfig::default()
    };
    let mut pool = Pool::new(CHAIN_ID, config);
    let now = Instant::now();
    // Senders interleave at random; each sender's own txs arrive in nonce order.
    let mut next = vec![0usize; SENDERS as usize];
    let mut live: Vec<usize> = (0..SENDERS as usize).collect();
    let mut rng = Rng::new(0x5eed);
    let mut rejected: HashMap<&'static str, u64> = HashMap::new();
    let mut inserts = 0;
    while !live.is_empty() {
        let slot = rng.below(live.len() as u64) as usize;
        let s = live[slot];
        let tx = txs[s][next[s]].clone();
        next[s] += 1;
        if next[s] == PER_SENDER as usize {
            live.swap_remove(slot);
        }
        if let Err(e) = pool.insert(tx, Origin::External, &Rich, now) {
            assert!(
                matches!(e, InsertError::PoolFull { .. }),
                "unexpected rejection {e}"
            );
            *rejected.entry(e.reason().as_str()).or_default() += 1;
        }
        inserts += 1;
        let st = pool.status();
        assert!(pool.len() <= CAP && st.bytes <= config.max_bytes);
        assert!(st.queued <= config.max_queued_total);
        if inserts % 25_000 == 0 {
            pool.check_invariants().unwrap();
        }
    }
    assert_eq!(inserts, 100_000);
    pool.check_invariants().unwrap();

    let mut by_fee: Vec<&VerifiedTx> = txs.iter().flatten().collect();
    by_fee.sort_by_key(|t| std::cmp::Reverse(t.fee()));
    let expected: HashSet<TxHash> = by_fee[..CAP].iter().map(|t| t.hash()).collect();
    let kept: HashSet<TxHash> = txs
        .iter()
        .flatten()
        .map(VerifiedTx::hash)
        .filter(|h| pool.contains(h))
        .collect();
    assert_eq!(pool.len(), CAP);
    assert_eq!(kept, expected, "pool holds exactly the highest-fee set");
    let st = pool.status();
    assert_eq!(st.pending, CAP, "a nonce-closed set is all executable");
    assert_eq!(
        st.counters.evicted + CAP as u64 + rejected["pool_full"],
        100_000
    );
    // Block building drains it in fee order.
    let best = pool.best_transactions(5_000, usize::MAX);
    assert_eq!(best.len(), 5_000);
    assert!(best.iter().all(|t| t.fee() >= by_fee[CAP - 1].fee()));
}
