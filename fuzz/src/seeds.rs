//! Seed inputs for every target: small valid encodings made by the project's own encoders
//! from the [`fixture`](crate::fixture), plus a few edge cases. `cargo run -p rumor-fuzz
//! --example seeds` writes them to `fuzz/corpus/<target>/seed-<name>`.

use rumor_chain::{Block, SignedHeader};
use rumor_p2p::fuzzing::{PxRequest, PxResponse, WireRecord, WireResponse, WireTxResponse, encode};
use rumor_p2p::{Status, SyncRequest, TxSyncRequest};

use crate::fixture;

/// A named seed.
pub type Seed = (String, Vec<u8>);

fn named(items: impl IntoIterator<Item = (impl Into<String>, Vec<u8>)>) -> Vec<Seed> {
    items.into_iter().map(|(n, b)| (n.into(), b)).collect()
}

/// A value in the request-response codecs' encoding (a macro: the encoder is generic over
/// bincode's trait, which this crate does not name).
macro_rules! wire {
    ($value:expr) => {
        encode(&$value, usize::MAX).expect("a seed encodes")
    };
}

/// Every target's seeds, by target name.
pub fn all() -> Vec<(&'static str, Vec<Seed>)> {
    let chain = fixture::chain(3);
    let blocks: Vec<&Block> = chain.iter().map(|(b, _)| b).collect();
    let genesis = fixture::genesis();
    let genesis_block = genesis.block();
    let signed: Vec<SignedHeader> = blocks.iter().map(|b| b.signed_header()).collect();
    let txs: Vec<_> = (0..4).map(|a| fixture::tx(a, 0, 5)).collect();

    let mut tx_seeds = named(
        txs.iter()
            .enumerate()
            .map(|(i, t)| (format!("tx-{i}"), t.encode())),
    );
    tx_seeds.push(("wrong-chain".into(), {
        let mut t = fixture::tx(0, 0, 5);
        t.tx.chain_id = 2;
        t.encode()
    }));
    tx_seeds.push(("truncated".into(), txs[0].encode()[..100].to_vec()));

    let mut header_seeds = named(
        signed
            .iter()
            .enumerate()
            .map(|(i, h)| (format!("signed-{}", i + 1), h.encode())),
    );
    header_seeds.push(("header-1".into(), blocks[0].header.encode()));
    header_seeds.push(("genesis".into(), genesis_block.header.encode()));

    let mut block_seeds = named(
        blocks
            .iter()
            .enumerate()
            .map(|(i, b)| (format!("block-{}", i + 1), b.encode())),
    );
    block_seeds.push(("genesis".into(), genesis_block.encode()));
    block_seeds.push(("huge-count".into(), {
        let mut b = genesis_block.encode();
        let at = b.len() - 8;
        b[at..].copy_from_slice(&u64::MAX.to_le_bytes());
        b
    }));

    let mut diff_seeds = named(chain.iter().enumerate().map(|(i, (_, d))| {
        (
            format!("diff-{}", i + 1),
            rumor_chain::fuzzing::encode_state_diff(d),
        )
    }));
    diff_seeds.push((
        "empty".into(),
        rumor_chain::fuzzing::encode_state_diff(&Default::default()),
    ));

    let record = |label: &str, addrs: &[&str]| WireRecord {
        peer: rumor_p2p::identity_from_key(&rumor_chain::Keypair::from_label(label))
            .public()
            .to_peer_id()
            .to_bytes(),
        addrs: addrs
            .iter()
            .map(|a| a.parse::<rumor_p2p::Multiaddr>().expect("addr").to_vec())
            .collect(),
    };
    let px_seeds = named([
        ("request", wire!(PxRequest { max: 64 })),
        (
            "response",
            wire!(PxResponse {
                records: vec![
                    record("fuzz/peer-1", &["/ip4/127.0.0.1/tcp/4001"]),
                    record(
                        "fuzz/peer-2",
                        &["/ip6/::1/tcp/4002", "/dns4/node.example/tcp/1"]
                    ),
                ],
            }),
        ),
        (
            "bad-record",
            wire!(PxResponse {
                records: vec![WireRecord {
                    peer: vec![1, 2, 3],
                    addrs: vec![vec![4, 5]],
                }],
            }),
        ),
        ("empty-response", wire!(PxResponse { records: vec![] })),
    ]);

    let status = Status {
        genesis: genesis.hash(),
        head_height: 3,
        head_hash: blocks[2].hash(),
    };
    let sync_seeds = named([
        ("status", wire!(SyncRequest::Status(status))),
        (
            "range",
            wire!(SyncRequest::BlocksByRange { start: 1, count: 3 }),
        ),
        ("by-hash", wire!(SyncRequest::BlockByHash(blocks[0].hash()))),
        (
            "locator",
            wire!(SyncRequest::HeadersByLocator {
                locator: vec![blocks[1].hash(), genesis_block.hash()],
                max: 16,
            }),
        ),
        ("status-answer", wire!(WireResponse::Status(status))),
        (
            "blocks-answer",
            wire!(WireResponse::Blocks(
                blocks.iter().map(|b| b.encode()).collect(),
            )),
        ),
        (
            "headers-answer",
            wire!(WireResponse::Headers(
                signed.iter().map(|h| h.encode()).collect(),
            )),
        ),
        ("error-answer", wire!(WireResponse::Error("busy".into()))),
        (
            "bad-block-answer",
            wire!(WireResponse::Blocks(vec![vec![0; 12]])),
        ),
    ]);

    let hashes: Vec<[u8; 32]> = txs.iter().map(|t| t.hash().0).collect();
    let txsync_seeds = named([
        ("digest", wire!(TxSyncRequest::Digest { max: 4096 })),
        ("get", wire!(TxSyncRequest::Get(hashes.clone()))),
        ("digest-answer", wire!(WireTxResponse::Digest(hashes))),
        (
            "txs-answer",
            wire!(WireTxResponse::Txs(
                txs.iter().map(|t| t.encode()).collect()
            )),
        ),
        (
            "error-answer",
            wire!(WireTxResponse::Error("rate limited".into())),
        ),
        (
            "bad-tx-answer",
            wire!(WireTxResponse::Txs(vec![vec![1, 2, 3]])),
        ),
    ]);

    let rpc_seeds = named(
        [
            (
                "call",
                r#"{"jsonrpc":"2.0","method":"chain_head","params":[],"id":1}"#,
            ),
            (
                "notification",
                r#"{"jsonrpc":"2.0","method":"m","params":{"a":1}}"#,
            ),
            ("batch", r#"[{"jsonrpc":"2.0","method":"m","id":"x"},1]"#),
            (
                "spec-invalid",
                r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#,
            ),
            ("bad-id", r#"{"jsonrpc":"2.0","method":"m","id":{}}"#),
            ("number", "42"),
            ("null", "null"),
            ("not-json", "{nope"),
        ]
        .map(|(n, s)| (n, s.as_bytes().to_vec())),
    );

    // Topic selector byte, then the payload: even = tx, odd = block.
    let mut gossip_seeds = named(txs.iter().enumerate().map(|(i, t)| {
        let mut b = vec![0];
        b.extend(t.encode());
        (format!("tx-{i}"), b)
    }));
    gossip_seeds.extend(named(blocks.iter().enumerate().map(|(i, bl)| {
        let mut b = vec![1];
        b.extend(rumor_p2p::encode_block(bl));
        (format!("block-{}", i + 1), b)
    })));
    gossip_seeds.extend(named(blocks.iter().enumerate().map(|(i, bl)| {
        let mut b = vec![1];
        let compact = rumor_chain::CompactBlock::new(bl, i as u64, |_| false);
        b.extend(rumor_p2p::encode_compact(&compact));
        (format!("compact-{}", i + 1), b)
    })));
    gossip_seeds.push(("tx-on-block-topic".into(), {
        let mut b = vec![1];
        b.extend(txs[0].encode());
        b
    }));
    gossip_seeds.push(("forged-tx".into(), {
        let mut t = txs[0].clone();
        t.signature = txs[1].signature;
        let mut b = vec![0];
        b.extend(t.encode());
        b
    }));

    vec![
        ("tx", tx_seeds),
        ("header", header_seeds),
        ("block", block_seeds),
        ("state_diff", diff_seeds),
        ("px_codec", px_seeds),
        ("sync_codec", sync_seeds),
        ("txsync_codec", txsync_seeds),
        ("rpc_envelope", rpc_seeds),
        ("gossip_path", gossip_seeds),
    ]
}
