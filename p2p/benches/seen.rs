//! Seen-cache and gossip-edge costs: what every received gossip message pays before any
//! signature work. `cargo bench -p rumor-p2p`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rumor_chain::test_utils::TxBuilder;
use rumor_p2p::{SeenCache, decode_payload, message_id};

fn seen_cache(c: &mut Criterion) {
    let mut g = c.benchmark_group("seen-cache (65 536)");
    g.throughput(Throughput::Elements(1));
    let cache = SeenCache::new(65_536);
    let ids: Vec<[u8; 32]> = (0..200_000u64)
        .map(|i| message_id(&i.to_le_bytes()))
        .collect();
    let mut i = 0usize;
    g.bench_function("insert new (evicting)", |b| {
        b.iter(|| {
            i = (i + 1) % ids.len();
            cache.insert(ids[i])
        })
    });
    let hot = SeenCache::new(65_536);
    for id in &ids[..1000] {
        hot.insert(*id);
    }
    let mut j = 0usize;
    g.bench_function("hit", |b| {
        b.iter(|| {
            j = (j + 1) % 1000;
            hot.insert(ids[j])
        })
    });
    g.finish();
}

fn edge(c: &mut Criterion) {
    let key = rumor_chain::Keypair::from_label("bench");
    let tx = TxBuilder::new(&key).sign();
    let bytes = tx.encode();
    let limits = rumor_chain::Limits::default();
    let mut g = c.benchmark_group("gossip edge");
    g.throughput(Throughput::Elements(1));
    g.bench_function("message id (SHA-256 of 160 B)", |b| {
        b.iter(|| message_id(std::hint::black_box(&bytes)))
    });
    g.bench_function("decode tx payload", |b| {
        b.iter(|| {
            decode_payload(rumor_p2p::Topic::Tx, std::hint::black_box(&bytes), &limits).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, seen_cache, edge);
criterion_main!(benches);
