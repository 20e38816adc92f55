//! Hostile payloads. Each is built with the chain crate's own encoders, so it is exactly as
//! well-formed as the attack wants it to be and no more.

use rumor_chain::{
    Address, Block, BlockHash, BlockHeader, Genesis, Hash256, Keypair, SignedTransaction,
    Transaction,
};
use rumor_link::SplitMix64;
use rumor_p2p::wire::WireRecord;
use rumor_p2p::{Multiaddr, PeerId};

/// Random bytes of a random length in `min..=max`.
pub fn garbage(rng: &mut SplitMix64, min: usize, max: usize) -> Vec<u8> {
    let len = min + rng.up_to((max - min) as u64) as usize;
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

fn random_key(rng: &mut SplitMix64) -> Keypair {
    let mut secret = [0u8; 32];
    for chunk in secret.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    Keypair::from_secret(secret)
}

fn address(rng: &mut SplitMix64) -> Address {
    random_key(rng).address()
}

/// A tx that claims to come from a funded genesis account but is signed by another key: it
/// decodes, passes every stateless check but the signature, and is invalid everywhere.
pub fn invalid_sig_tx(rng: &mut SplitMix64, genesis: &Genesis) -> SignedTransaction {
    let funded: Vec<Address> = genesis.alloc.iter().map(|a| a.address).collect();
    let from = if funded.is_empty() {
        address(rng)
    } else {
        funded[rng.up_to(funded.len() as u64 - 1) as usize]
    };
    let mut signed = Transaction {
        chain_id: genesis.chain_id,
        from,
        to: address(rng),
        amount: 1,
        fee: 1,
        nonce: rng.up_to(16),
    }
    .sign(&random_key(rng));
    signed.tx.from = from;
    signed
}

/// A validly signed tx from a fresh key that holds nothing.
pub fn unfunded_tx(rng: &mut SplitMix64, genesis: &Genesis) -> SignedTransaction {
    let key = random_key(rng);
    Transaction {
        chain_id: genesis.chain_id,
        from: key.address(),
        to: address(rng),
        amount: 1 + rng.up_to(1000),
        fee: 1,
        nonce: 0,
    }
    .sign(&key)
}

/// A block that decodes but is signed by a key that is no authority, on a parent nobody has.
pub fn bogus_block(rng: &mut SplitMix64, genesis: &Genesis, height: u64) -> Block {
    let key = random_key(rng);
    let header = BlockHeader {
        chain_id: genesis.chain_id,
        height,
        slot: height,
        parent: BlockHash(random_hash(rng)),
        timestamp: genesis.slot_start_ms(height),
        tx_root: rumor_chain::tx_root(&[]),
        state_root: Hash256(random_hash(rng)),
        producer: key.address(),
    };
    Block::seal(header, vec![], &key)
}

/// Two different empty blocks for `slot` on `parent`, both validly signed by `key` (the slot's
/// authority): an equivocation. An empty block leaves the state as it was, so the state root
/// is the parent's, and the two differ only in their timestamps.
pub fn equivocating_pair(
    genesis: &Genesis,
    parent: &BlockHeader,
    slot: u64,
    key: &Keypair,
) -> [Block; 2] {
    let start = genesis.slot_start_ms(slot);
    [1, 2].map(|offset| {
        let header = BlockHeader {
            chain_id: genesis.chain_id,
            height: parent.height + 1,
            slot,
            parent: parent.hash(),
            timestamp: start + offset,
            tx_root: rumor_chain::tx_root(&[]),
            state_root: parent.state_root,
            producer: key.address(),
        };
        Block::seal(header, vec![], key)
    })
}

pub fn random_hash(rng: &mut SplitMix64) -> [u8; 32] {
    let mut h = [0u8; 32];
    for chunk in h.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    h
}

/// Peer-exchange records: every honest peer's id re-pointed at a dead loopback port, then
/// made-up peers at dead ports, up to `max` records.
pub fn poisoned_records(rng: &mut SplitMix64, honest: &[PeerId], max: usize) -> Vec<WireRecord> {
    let dead = |rng: &mut SplitMix64| -> Multiaddr {
        format!("/ip4/127.0.0.1/tcp/{}", 1 + rng.up_to(1000))
            .parse()
            .expect("valid multiaddr")
    };
    let mut out: Vec<WireRecord> = honest
        .iter()
        .take(max)
        .map(|p| WireRecord {
            peer: p.to_bytes(),
            addrs: vec![dead(rng).to_vec()],
        })
        .collect();
    while out.len() < max {
        out.push(WireRecord {
            peer: PeerId::random().to_bytes(),
            addrs: vec![dead(rng).to_vec()],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use rumor_chain::Limits;

    use super::*;

    fn genesis() -> Genesis {
        let a = Keypair::from_label("a").address();
        Genesis::new(7, 0, 1000, vec![a], &[a], 100)
    }

    #[test]
    fn payloads_are_as_well_formed_as_intended() {
        let g = genesis();
        let mut rng = SplitMix64::new(1);
        let limits = Limits::default();
        let bad = invalid_sig_tx(&mut rng, &g);
        let decoded = SignedTransaction::decode(&bad.encode(), &limits).unwrap();
        assert!(
            decoded.verify_signature().is_err(),
            "signature must not verify"
        );
        let unfunded = unfunded_tx(&mut rng, &g);
        assert!(unfunded.verify_signature().is_ok(), "validly signed");
        let block = bogus_block(&mut rng, &g, 5);
        assert!(Block::decode(&block.encode(), &limits).is_ok());
        assert!(!g.authorities.contains(&block.header.producer));
        let honest = [PeerId::random()];
        let recs = poisoned_records(&mut rng, &honest, 4);
        assert_eq!(recs.len(), 4);
        assert_eq!(recs[0].peer, honest[0].to_bytes());
        let g = garbage(&mut rng, 3, 9);
        assert!((3..=9).contains(&g.len()));
    }

    /// The pair passes every check a node makes before forwarding (and execution: empty),
    /// and proves an equivocation.
    #[test]
    fn an_equivocating_pair_is_two_valid_blocks_for_one_slot() {
        let key = Keypair::from_label("a");
        let g = genesis();
        let parent = g.block().header;
        let [a, b] = equivocating_pair(&g, &parent, 3, &key);
        let config = rumor_chain::ChainConfig::default();
        let now = g.slot_start_ms(3);
        let state = g.initial_state();
        for block in [&a, &b] {
            let checked = rumor_chain::check_block(block.clone(), &g, &config, now).unwrap();
            rumor_chain::check_against_parent(&parent, &block.header).unwrap();
            rumor_chain::execute_block(&state, &checked, g.chain_id).unwrap();
        }
        let ev = rumor_chain::Equivocation::new(a.signed_header(), b.signed_header()).unwrap();
        assert!(ev.verify(&g).is_ok());
    }
}
