//! The catch-up's tests: claims verified before any work, forks healed by locator and ranges,
//! the finality depth, backoff and wrong answers, the production pause, one catch-up at a time,
//! shutdown while waiting for a peer.

use futures::FutureExt;
use rumor_chain::Block;
use rumor_p2p::{MAX_BLOCKS_PER_REQUEST, NetworkError};

use super::*;
use crate::services::port::status_of;
use crate::testing::{TestNet, TestNode, WAIT, peer, within};

fn requests(node: &TestNode) -> Vec<SyncRequest> {
    node.net
        .calls(|c| c.sync_requests.iter().map(|(_, r)| r.clone()).collect())
}

fn kinds(node: &TestNode) -> Vec<&'static str> {
    requests(node).iter().map(|r| r.kind()).collect()
}

fn claim_of(net: &TestNet, block: &Block) -> Status {
    Status {
        genesis: net.genesis.hash(),
        head_height: block.header.height,
        head_hash: block.hash(),
    }
}

#[tokio::test]
async fn a_verified_claim_is_caught_up_headers_first_then_ranges() {
    let net = TestNet::new(2, 1);
    let node = net.node("a");
    let n = MAX_BLOCKS_PER_REQUEST as usize + 6;
    let (remote, chain) = net.remote("remote", n);
    node.net.serve_from(remote.clone());
    let outcome = catch_up(node.blocks.clone(), peer(1), status_of(&remote.head())).await;
    assert_eq!(outcome, Outcome::Progressed);
    assert_eq!(node.ledger().head().hash, chain[n - 1].hash());
    assert_eq!(
        kinds(&node),
        [
            "block_by_hash",
            "headers_by_locator",
            "blocks_by_range",
            "blocks_by_range"
        ]
    );
    assert_eq!(
        requests(&node)[3],
        SyncRequest::BlocksByRange {
            start: MAX_BLOCKS_PER_REQUEST + 1,
            count: 6
        }
    );
    assert_eq!(node.ctx.metrics.blocks_imported.get(), n as u64);
    assert!(!node.blocks.sync.syncing.load(Ordering::SeqCst));
    assert_eq!(
        node.blocks
            .sync
            .production_paused_until_ms
            .load(Ordering::SeqCst),
        0,
        "the producer's pause ends with the catch-up"
    );
    assert!(node.blocks.sync.backoff.is_empty());
    let progressed = vec![("outcome", "progressed")];
    assert_eq!(
        node.ctx.metrics.catch_ups.get_or_create(&progressed).get(),
        1
    );
}

#[tokio::test]
async fn catch_up_onto_a_fork_100_blocks_deep_reorgs_to_the_longer_chain() {
    let net = TestNet::new(2, 1);
    let node = net.node("a");
    // Our own branch of 100 blocks (the first in a slot the remote chain used differently).
    let mut ours = net.store("ours");
    net.extend_with(&mut ours, 1, vec![]);
    net.extend(&mut ours, 99);
    for h in 1..=100 {
        let b = ours.block_by_height(h).unwrap().unwrap();
        node.ledger().import(net.check(b)).unwrap();
    }
    assert_eq!(node.ledger().head().height, 100);
    let (remote, chain) = net.remote("remote", 120);
    node.net.serve_from(remote.clone());
    let outcome = catch_up(node.blocks.clone(), peer(1), status_of(&remote.head())).await;
    assert_eq!(outcome, Outcome::Progressed);
    assert_eq!(node.ledger().head().hash, chain[119].hash());
    assert_eq!(node.ctx.metrics.reorgs.get(), 1);
    assert_eq!(node.ctx.metrics.reorged_blocks.get(), 100);
    assert_eq!(node.ctx.metrics.deepest_reorg.get(), 100);
    assert!(node.net.calls(|c| c.penalties.is_empty()));
}

#[tokio::test]
async fn a_reorg_deeper_than_the_finality_depth_is_refused() {
    let net = TestNet::new(2, 1);
    let node = net.node_with("a", rumor_chain::Keypair::from_label("x"), |c| {
        c.chain.finality_depth = Some(5)
    });
    let mut ours = net.store("ours");
    net.extend_with(&mut ours, 1, vec![]);
    net.extend(&mut ours, 9);
    for h in 1..=10 {
        let b = ours.block_by_height(h).unwrap().unwrap();
        node.ledger().import(net.check(b)).unwrap();
    }
    let mine = node.ledger().head();
    let (remote, _) = net.remote("remote", 20);
    node.net.serve_from(remote.clone());
    let outcome = catch_up(node.blocks.clone(), peer(1), status_of(&remote.head())).await;
    assert_eq!(outcome, Outcome::NoProgress);
    assert_eq!(node.ledger().head(), mine);
    assert!(
        !kinds(&node).contains(&"blocks_by_range"),
        "no body fetched"
    );
}

#[tokio::test]
async fn a_claim_that_cannot_be_backed_starts_nothing_and_backs_off() {
    let net = TestNet::new(2, 1);
    let node = net.node("a");
    let (remote, chain) = net.remote("remote", 5);
    node.net.serve_from(remote);
    // A head the peer does not have.
    let mut claim = claim_of(&net, &chain[4]);
    claim.head_hash = BlockHash([3; 32]);
    let outcome = catch_up(node.blocks.clone(), peer(1), claim).await;
    assert_eq!(outcome, Outcome::Unbacked);
    assert_eq!(kinds(&node), ["block_by_hash"]);
    assert!(
        node.net.calls(|c| c.penalties.is_empty()),
        "not served is no offence"
    );
    // Backed off: the next claim from that peer is not even looked at.
    let again = catch_up(node.blocks.clone(), peer(1), claim_of(&net, &chain[4])).await;
    assert_eq!(again, Outcome::Skipped);
    assert_eq!(requests(&node).len(), 1);
    // A claim whose height lies about the block: an offence.
    let mut lie = claim_of(&net, &chain[2]);
    lie.head_height = 50;
    assert_eq!(
        catch_up(node.blocks.clone(), peer(2), lie).await,
        Outcome::Unbacked
    );
    let penalties = node.net.calls(|c| c.penalties.clone());
    assert_eq!(penalties, vec![(peer(2), Offence::InvalidSyncData)]);
    assert_eq!(node.ledger().head().height, 0);
    assert!(!node.blocks.sync.syncing.load(Ordering::SeqCst));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_claim_does_not_stop_the_producer() {
    // 100 ms slots, one authority: every slot is ours.
    let net = TestNet::with_slot_ms(1, 1, 100, 10);
    let node = net.node_with("a", net.authorities[0].clone(), |_| {});
    node.net.hold_sync();
    let claim = Status {
        genesis: net.genesis.hash(),
        head_height: 1_000,
        head_hash: BlockHash([8; 32]),
    };
    node.ctx
        .tasks
        .spawn(catch_up(node.blocks.clone(), peer(1), claim).map(|_| ()));
    node.net
        .wait_until("the claim being checked", |c| c.held == 1)
        .await;
    node.ctx
        .tasks
        .spawn(crate::blocks::producer::run(node.blocks.clone()));
    crate::testing::head_until(node.ledger(), "blocks produced meanwhile", |h| {
        h.height >= 2
    })
    .await;
    assert!(
        node.blocks.sync.syncing.load(Ordering::SeqCst),
        "the claim is still pending"
    );
    within("shutdown", node.ctx.tasks.shutdown(WAIT))
        .await
        .unwrap();
}

#[tokio::test]
async fn no_progress_backs_the_peer_off_and_wrong_headers_are_offences() {
    let net = TestNet::new(2, 1);
    let node = net.node("a");
    let mut store = net.store("builder");
    let chain = net.extend(&mut store, 4);
    let claim = claim_of(&net, &chain[3]);
    // The claim checks out, but the headers request fails.
    node.net
        .script(Ok(SyncResponse::Blocks(vec![chain[3].clone()])));
    node.net.script(Err(NetworkError::Busy));
    assert_eq!(
        catch_up(node.blocks.clone(), peer(1), claim).await,
        Outcome::NoProgress
    );
    assert_eq!(node.blocks.sync.backoff.len(), 1);
    assert_eq!(
        catch_up(node.blocks.clone(), peer(1), claim).await,
        Outcome::Skipped,
        "backed off"
    );
    // Headers that skip a block: an offence, nothing imported.
    let gapped = vec![chain[0].signed_header(), chain[2].signed_header()];
    node.net
        .script(Ok(SyncResponse::Blocks(vec![chain[3].clone()])));
    node.net.script(Ok(SyncResponse::Headers(gapped)));
    assert_eq!(
        catch_up(node.blocks.clone(), peer(2), claim).await,
        Outcome::NoProgress
    );
    // Right headers, but a range answer from elsewhere: an offence.
    let headers: Vec<_> = chain.iter().map(|b| b.signed_header()).collect();
    node.net
        .script(Ok(SyncResponse::Blocks(vec![chain[3].clone()])));
    node.net.script(Ok(SyncResponse::Headers(headers)));
    node.net
        .script(Ok(SyncResponse::Blocks(vec![chain[1].clone()])));
    assert_eq!(
        catch_up(node.blocks.clone(), peer(3), claim).await,
        Outcome::NoProgress
    );
    let penalties = node.net.calls(|c| c.penalties.clone());
    assert_eq!(
        penalties,
        vec![
            (peer(2), Offence::BadSyncResponse),
            (peer(3), Offence::BadSyncResponse)
        ]
    );
    assert_eq!(node.ledger().head().height, 0);
}

#[test]
fn a_claim_is_better_as_fork_choice_says() {
    let claim = |h, b| Status {
        genesis: rumor_chain::Hash256([0; 32]),
        head_height: h,
        head_hash: BlockHash([b; 32]),
    };
    let mine = (10, BlockHash([5; 32]));
    assert!(claims_better(&claim(11, 9), mine), "higher");
    assert!(
        !claims_better(&claim(10, 4), mine),
        "same height: ours stays, whatever the hash (first seen)"
    );
    assert!(!claims_better(&claim(10, 5), mine), "ours");
    assert!(!claims_better(&claim(10, 6), mine));
    assert!(!claims_better(&claim(9, 0), mine));
}

#[tokio::test]
async fn only_one_catch_up_runs_at_a_time() {
    let net = TestNet::new(2, 1);
    let node = net.node("a");
    let (remote, _) = net.remote("remote", 3);
    node.blocks.sync.syncing.store(true, Ordering::SeqCst);
    let outcome = catch_up(node.blocks.clone(), peer(1), status_of(&remote.head())).await;
    assert_eq!(outcome, Outcome::Skipped);
    assert!(requests(&node).is_empty());
    assert!(
        node.blocks.sync.syncing.load(Ordering::SeqCst),
        "the running one still owns it"
    );
}

#[tokio::test]
async fn shutdown_ends_a_catch_up_waiting_for_its_peer() {
    let net = TestNet::new(2, 1);
    let node = net.node("a");
    let (remote, _) = net.remote("remote", 3);
    node.net.hold_sync();
    node.ctx
        .tasks
        .spawn(catch_up(node.blocks.clone(), peer(1), status_of(&remote.head())).map(|_| ()));
    node.net
        .wait_until("a request in flight", |c| c.held == 1)
        .await;
    within("the catch-up to stop", node.ctx.tasks.shutdown(WAIT))
        .await
        .unwrap();
    assert!(
        !node.blocks.sync.syncing.load(Ordering::SeqCst),
        "released on the way out"
    );
    assert_eq!(requests(&node).len(), 1, "no request after shutdown");
}
