//! The gossip block path's tests: verdicts before import, wrong signatures, equivocation,
//! bad bodies (no relayer blamed), replays, stale and known blocks, shedding unjudged.

use rumor_chain::{Keypair, tx_root};

use super::*;
use crate::services::port::NetPort;
use crate::testing::{TestNet, TestNode, peer};

async fn deliver(node: &TestNode, slots: &Arc<Mutex<SlotCache>>, block: &Block, n: u8) {
    let id = block.hash().0;
    let (blocks, slots) = (node.blocks.clone(), slots.clone());
    on_gossip_block(blocks, slots, id, peer(n), block.clone(), 0).await;
}

fn verdicts(node: &TestNode) -> Vec<Validation> {
    node.net
        .calls(|c| c.reports.iter().map(|(.., v)| *v).collect())
}

#[test]
fn equivocation_is_a_second_distinct_block_for_a_slot() {
    let net = TestNet::new(2, 1);
    let mut c = SlotCache::new(NonZeroUsize::new(8).unwrap());
    let (mut one, mut two) = (net.store("one"), net.store("two"));
    let a = net.extend_with(&mut one, 0, vec![]).signed_header();
    let b = net
        .extend_with(&mut two, 0, vec![net.tx(0, 0, 5)])
        .signed_header();
    let later = net.extend_with(&mut one, 0, vec![]).signed_header();
    assert_eq!(c.equivocation(&a, peer(1)), None);
    assert_eq!(c.equivocation(&a, peer(2)), None, "the same block again");
    assert_eq!(c.equivocation(&b, peer(3)), Some((a.clone(), peer(1))));
    assert_eq!(c.equivocation(&later, peer(3)), None, "another slot");
}

#[tokio::test]
async fn a_valid_block_is_forwarded_then_imported() {
    let net = TestNet::new(2, 1);
    let node = net.node("a");
    let slots = Arc::new(slot_cache());
    let mut remote = net.store("remote");
    let block = net.extend_with(&mut remote, 0, vec![net.tx(0, 0, 5)]);
    deliver(&node, &slots, &block, 1).await;
    let reports = node.net.calls(|c| c.reports.clone());
    assert_eq!(
        reports,
        vec![(block.hash().0, peer(1), Topic::Block, Validation::Accept)]
    );
    assert_eq!(node.ledger().head().hash, block.hash());
    assert!(node.net.calls(|c| c.penalties.is_empty()));
}

#[tokio::test]
async fn a_block_shed_unjudged_is_forgotten_and_costs_nobody() {
    let net = TestNet::new(2, 1);
    let node = net.node_with("a", Keypair::from_label("test/node-a"), |c| {
        c.verify_threads = 0
    });
    let slots = Arc::new(slot_cache());
    let mut remote = net.store("remote");
    let block = net.extend_with(&mut remote, 0, vec![]);
    assert!(node.net.seen().insert(block.hash().0));
    deliver(&node, &slots, &block, 1).await;
    assert_eq!(verdicts(&node), vec![Validation::Ignore]);
    assert!(!node.net.seen().contains(&block.hash().0));
    assert!(node.net.calls(|c| c.penalties.is_empty()));
    assert_ne!(node.ledger().head().hash, block.hash());
}

#[tokio::test]
async fn a_block_signed_by_the_wrong_key_is_rejected_and_not_imported() {
    let net = TestNet::new(2, 1);
    let node = net.node("a");
    let slots = Arc::new(slot_cache());
    let mut remote = net.store("remote");
    let good = net.extend_with(&mut remote, 0, vec![]);
    let forged = Block::seal(good.header.clone(), vec![], &Keypair::from_label("mallory"));
    deliver(&node, &slots, &forged, 1).await;
    assert_eq!(verdicts(&node), vec![Validation::Reject]);
    assert_eq!(node.ledger().head().height, 0);
    // The forgery did not take the slot: the real block is still accepted.
    deliver(&node, &slots, &good, 2).await;
    assert_eq!(
        verdicts(&node),
        vec![Validation::Reject, Validation::Accept]
    );
    assert_eq!(node.ledger().head().hash, good.hash());
}

/// Two valid blocks by the producer of slot 1, both on genesis: an equivocation.
fn equivocating_pair(net: &TestNet) -> (Block, Block) {
    let (mut one, mut two) = (net.store("one"), net.store("two"));
    let first = net.extend_with(&mut one, 0, vec![]);
    let second = net.extend_with(&mut two, 0, vec![net.tx(0, 0, 5)]);
    assert_eq!(first.header.slot, second.header.slot);
    (first, second)
}

#[tokio::test]
async fn a_second_block_for_one_slot_is_ignored_as_equivocation() {
    let net = TestNet::new(2, 1);
    let node = net.node("a");
    let slots = Arc::new(slot_cache());
    let (first, second) = equivocating_pair(&net);
    deliver(&node, &slots, &first, 1).await;
    deliver(&node, &slots, &second, 2).await;
    assert_eq!(
        verdicts(&node),
        vec![Validation::Accept, Validation::Ignore]
    );
    assert_eq!(node.ctx.metrics.equivocations.get(), 1);
    assert_eq!(node.ledger().head().hash, first.hash());
    assert!(
        node.net.calls(|c| c.penalties.is_empty()),
        "two peers relayed one block each: honest"
    );
    // The proof is kept and exported, though the second block was not imported.
    let kept = node.ledger().read_chain(|c| c.equivocations(10).unwrap());
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].first, first.signed_header());
    assert_eq!(kept[0].second, second.signed_header());
    // The same pair again changes nothing.
    deliver(&node, &slots, &second, 3).await;
    assert_eq!(node.ctx.metrics.equivocations.get(), 1);
}

/// A peer that delivers both blocks of an equivocation is penalised: an honest relayer
/// forwards one block per slot.
#[tokio::test]
async fn a_peer_delivering_both_blocks_of_an_equivocation_is_penalised() {
    let net = TestNet::new(2, 1);
    let node = net.node("a");
    let slots = Arc::new(slot_cache());
    let (first, second) = equivocating_pair(&net);
    deliver(&node, &slots, &first, 7).await;
    deliver(&node, &slots, &second, 7).await;
    assert_eq!(
        node.net.calls(|c| c.penalties.clone()),
        vec![(peer(7), Offence::RelayedEquivocation)]
    );
}

#[tokio::test]
async fn a_forwarded_block_whose_body_fails_costs_no_relayer() {
    let net = TestNet::new(1, 2);
    let node = net.node("a");
    let slots = Arc::new(slot_cache());
    let mut remote = net.store("remote");
    let template = net.extend_with(&mut remote, 0, vec![]);
    // A tx signed by the wrong key, under a header that commits to it and is properly
    // signed: the header checks pass, the body's do not.
    let mut bad_tx = net.tx(0, 0, 5);
    bad_tx.signature = net.tx(1, 0, 5).signature;
    let mut header = template.header.clone();
    header.tx_root = tx_root(std::slice::from_ref(&bad_tx));
    let block = Block::seal(header, vec![bad_tx], net.producer(template.header.slot));
    deliver(&node, &slots, &block, 3).await;
    assert_eq!(verdicts(&node), vec![Validation::Accept]);
    // The relayer checked the header, as we did, before forwarding: the body is its
    // producer's fault. Penalising the relayer would let one faulty producer get honest
    // peers banned (three such blocks used to).
    assert!(node.net.calls(|c| c.penalties.is_empty()));
    assert_eq!(node.ctx.metrics.bad_bodies.get(), 1);
    assert_eq!(node.ledger().head().height, 0);
}

#[tokio::test]
async fn an_old_block_seen_again_costs_its_sender_a_fresh_one_nothing() {
    let mut net = TestNet::new(2, 1);
    net.config.chain.replay_window_slots = 64;
    let node = node_without_verify(&net);
    let mut remote = net.store("remote");
    let old = net.extend_with(&mut remote, 0, vec![]);
    on_block_seen_again(&node.ctx, peer(6), &old.header).await;
    let mut fresh = old.clone();
    fresh.header.slot = net.genesis.slot_at(node.ctx.clock.now_ms());
    on_block_seen_again(&node.ctx, peer(7), &fresh.header).await;
    assert_eq!(
        node.net.calls(|c| c.penalties.clone()),
        vec![(peer(6), Offence::ReplayedBlock)]
    );
}

#[tokio::test]
async fn a_replayed_old_block_is_rejected_before_any_lookup_or_signature_check() {
    let mut net = TestNet::new(2, 1);
    // The genesis started 1 000 slots ago; a block for slot 1 is far outside the window.
    net.config.chain.replay_window_slots = 64;
    let node = node_without_verify(&net);
    let slots = Arc::new(slot_cache());
    let mut remote = net.store("remote");
    let old = net.extend_with(&mut remote, 0, vec![]);
    let now = node.ctx.clock.now_ms();
    assert!(replayed(&net.genesis, 64, old.header.slot, now));
    assert!(!replayed(&net.genesis, 64, 960, now));
    deliver(&node, &slots, &old, 4).await;
    assert_eq!(
        verdicts(&node),
        vec![Validation::Reject],
        "its sender penalised"
    );
    assert_eq!(shed_total(&node), 0, "never reached the verification pool");
    assert_eq!(node.ctx.metrics.replayed_blocks.get(), 1);
    assert_eq!(
        node.net.calls(|c| c.penalties.clone()),
        vec![(peer(4), Offence::ReplayedBlock)],
        "penalised directly: gossipsub skips its penalty for a block it once accepted"
    );
}

/// A node whose verification pool is stopped: any signature work would shed the block (and
/// count it), so an `Ignore` with nothing shed proves the block was never checked.
fn node_without_verify(net: &TestNet) -> TestNode {
    net.node_with("a", Keypair::from_label("test/node-a"), |c| {
        c.verify_threads = 0
    })
}

fn shed_total(node: &TestNode) -> usize {
    let mut text = String::new();
    let mut reg = prometheus_client::registry::Registry::default();
    reg.register("shed", "", node.ctx.metrics.shed.clone());
    prometheus_client::encoding::text::encode(&mut text, &reg).unwrap();
    text.lines()
        .filter(|l| l.starts_with("shed_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as usize
}

#[tokio::test]
async fn a_replayed_known_block_is_ignored_before_any_signature_check() {
    let net = TestNet::new(2, 1);
    let node = node_without_verify(&net);
    let slots = Arc::new(slot_cache());
    let mut remote = net.store("remote");
    let block = net.extend_with(&mut remote, 0, vec![net.tx(0, 0, 5)]);
    node.ledger().import(net.check(block.clone())).unwrap();
    deliver(&node, &slots, &block, 1).await;
    assert_eq!(verdicts(&node), vec![Validation::Ignore]);
    assert_eq!(shed_total(&node), 0, "never reached the verification pool");
    assert!(
        node.net.calls(|c| c.penalties.is_empty()),
        "a relayer is not punished"
    );
}

#[tokio::test]
async fn a_block_far_below_the_head_is_ignored_before_any_signature_check() {
    let net = TestNet::new(2, 1);
    let node = node_without_verify(&net);
    let slots = Arc::new(slot_cache());
    let mut ours = net.store("ours");
    for _ in 0..STALE_DEPTH + 2 {
        let b = net.extend_with(&mut ours, 0, vec![]);
        node.ledger().import(net.check(b)).unwrap();
    }
    // Block 1 of another branch: unknown to us, and far below our head.
    let mut theirs = net.store("theirs");
    let old = net.extend_with(&mut theirs, 1, vec![]);
    deliver(&node, &slots, &old, 1).await;
    assert_eq!(verdicts(&node), vec![Validation::Ignore]);
    assert_eq!(shed_total(&node), 0, "never reached the verification pool");
    // A block near the head does reach the checks (and is shed by the stopped pool).
    let mut near = net.store("near");
    for _ in 0..STALE_DEPTH {
        net.extend_with(&mut near, 0, vec![]);
    }
    let fresh = net.extend_with(&mut near, 7, vec![]);
    deliver(&node, &slots, &fresh, 2).await;
    assert_eq!(shed_total(&node), 1);
}
