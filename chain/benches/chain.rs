//! Criterion benches for the chain hot paths: codec, signature checks, block import, and the
//! reopen a node makes after a store I/O error (repair and integrity check of the whole file).
//!
//! `cargo bench -p rumor-chain`

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rumor_chain::test_utils::TxBuilder;
use rumor_chain::*;

const CHAIN_ID: u64 = 1;
const TXS_PER_BLOCK: usize = 1000;

fn keys(n: usize, prefix: &str) -> Vec<Keypair> {
    (0..n)
        .map(|i| Keypair::from_label(&format!("{prefix}-{i}")))
        .collect()
}

fn tx(from: &Keypair, to: Address, nonce: u64) -> SignedTransaction {
    TxBuilder::new(from)
        .chain_id(CHAIN_ID)
        .to(to)
        .nonce(nonce)
        .sign()
}

fn codec_and_signatures(c: &mut Criterion) {
    let key = Keypair::from_label("bench");
    let stx = tx(&key, key.address(), 0);
    let bytes = stx.encode();
    let limits = Limits::default();
    let mut g = c.benchmark_group("tx");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode+decode", |b| {
        b.iter(|| {
            let d = SignedTransaction::decode(std::hint::black_box(&bytes), &limits).unwrap();
            std::hint::black_box(d.encode())
        })
    });
    g.bench_function("hash", |b| b.iter(|| std::hint::black_box(&stx).hash()));
    // The raw dalek call: the floor the codec path is compared against.
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&key.address().0).unwrap();
    let msg = stx.tx.signing_bytes();
    let sig = ed25519_dalek::Signature::from_bytes(&stx.signature.0);
    g.bench_function("raw verify_strict", |b| {
        b.iter(|| vk.verify_strict(std::hint::black_box(&msg), &sig).unwrap())
    });
    // The same, including decompressing the sender's key from its 32 bytes — which any
    // verifier that receives a key as bytes must do; this is the fair floor for the node path.
    let key_bytes = key.address().0;
    g.bench_function("raw decompress+verify_strict", |b| {
        b.iter(|| {
            let vk =
                ed25519_dalek::VerifyingKey::from_bytes(std::hint::black_box(&key_bytes)).unwrap();
            vk.verify_strict(&msg, &sig).unwrap()
        })
    });
    // What the node does per gossiped tx: decode, check chain id, verify, hash.
    g.bench_function("decode+verify (node path)", |b| {
        b.iter(|| {
            let d = SignedTransaction::decode(std::hint::black_box(&bytes), &limits).unwrap();
            std::hint::black_box(d.verify(CHAIN_ID).unwrap())
        })
    });
    g.finish();
}

/// Pre-builds `n` consecutive 1000-tx blocks on a fresh genesis (outside the timing).
fn prepare(n: usize) -> (Genesis, Vec<Block>) {
    let senders = keys(TXS_PER_BLOCK, "sender");
    let addrs: Vec<Address> = senders.iter().map(|k| k.address()).collect();
    let producer = Keypair::from_label("producer");
    let genesis = Genesis::new(CHAIN_ID, 0, 1000, vec![producer.address()], &addrs, 1 << 40);
    let mut state = genesis.initial_state();
    let mut parent = genesis.block().header;
    let mut blocks = Vec::with_capacity(n);
    for k in 0..n {
        let txs = senders.iter().enumerate().map(|(i, s)| {
            tx(s, addrs[(i + 1) % addrs.len()], k as u64)
                .verify(CHAIN_ID)
                .unwrap()
        });
        let p = produce_block(
            &parent,
            &state,
            &genesis,
            &Limits::default(),
            parent.slot + 1,
            &producer,
            txs,
        );
        assert!(p.skipped.is_empty());
        state.apply_diff(&p.diff);
        parent = p.block.header.clone();
        blocks.push(p.block);
    }
    (genesis, blocks)
}

fn block_import(c: &mut Criterion) {
    let mut g = c.benchmark_group("block import (1000 txs, redb)");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(TXS_PER_BLOCK as u64));
    for checked in [false, true] {
        let name = if checked {
            "execute+commit (pre-checked)"
        } else {
            "check+execute+commit"
        };
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let (genesis, blocks) = prepare(iters as usize);
                let dir = tempfile::tempdir().unwrap();
                let mut store = ChainStore::open(
                    &dir.path().join("c.redb"),
                    genesis.clone(),
                    ChainConfig::default(),
                )
                .unwrap();
                let cfg = ChainConfig::default();
                let mut total = Duration::ZERO;
                for block in blocks {
                    if checked {
                        let c = check_block(block, &genesis, &cfg, u64::MAX / 2).unwrap();
                        let t = Instant::now();
                        store.import(c).unwrap();
                        total += t.elapsed();
                    } else {
                        let t = Instant::now();
                        store.import_block(block, u64::MAX / 2).unwrap();
                        total += t.elapsed();
                    }
                }
                total
            })
        });
    }
    g.finish();
}

fn reopen(c: &mut Criterion) {
    let mut g = c.benchmark_group("store reopen");
    g.sample_size(10);
    for n in [10usize, 100] {
        let (genesis, blocks) = prepare(n);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.redb");
        let mut store = ChainStore::open(&path, genesis.clone(), ChainConfig::default()).unwrap();
        for block in blocks {
            store.import_block(block, u64::MAX / 2).unwrap();
        }
        let mb = std::fs::metadata(&path).unwrap().len() / (1 << 20);
        // A cleanly closed file: the integrity check reads all of it.
        g.bench_function(
            format!("integrity check, {n} blocks of {TXS_PER_BLOCK} txs ({mb} MiB)"),
            |b| b.iter(|| store.reopen().unwrap()),
        );
        // A file copied while open (its recovery flag set), as one a failed write leaves:
        // redb's repair runs before the check, as in a reopen after an I/O error.
        let dirty = dir.path().join("dirty.redb");
        std::fs::copy(&path, &dirty).unwrap();
        let copy = dir.path().join("copy.redb");
        g.bench_function(
            format!("repair + integrity check, {n} blocks ({mb} MiB)"),
            |b| {
                b.iter_batched(
                    || std::fs::copy(&dirty, &copy).unwrap(),
                    |_| ChainStore::open(&copy, genesis.clone(), ChainConfig::default()).unwrap(),
                    BatchSize::PerIteration,
                )
            },
        );
    }
    g.finish();
}

fn state_root(c: &mut Criterion) {
    let mut g = c.benchmark_group("state root");
    for n in [1_000usize, 10_000] {
        let mut state = State::default();
        for i in 0..n {
            let mut a = [0u8; 32];
            a[..8].copy_from_slice(&(i as u64).to_le_bytes());
            state.set(
                Address(a),
                Account {
                    balance: 5,
                    nonce: 1,
                },
            );
        }
        g.bench_function(format!("{n} accounts"), |b| {
            b.iter_batched(|| (), |_| state.root(), BatchSize::SmallInput)
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    codec_and_signatures,
    state_root,
    block_import,
    reopen
);
criterion_main!(benches);
