//! The ledger's tests: imports, admission, orphans, production, and async callers.

use rumor_mempool::PoolConfig;

use super::*;
use crate::testing::TestNet;

#[test]
fn an_import_moves_the_head_snapshot_and_clears_included_txs() {
    let net = TestNet::new(2, 2);
    let ledger = net.ledger("a", PoolConfig::default(), 8);
    let mut heads = ledger.subscribe_heads();
    let mut watch = ledger.watch_head();
    let tx = net.tx(0, 0, 5);
    let admitted = ledger.admit(vec![net.verified(tx.clone())], Origin::External);
    assert!(matches!(admitted[..], [Ok(InsertOutcome::Pending)]));
    assert!(ledger.pool_contains(&tx.hash()));

    let mut remote = net.store("remote");
    let block = net.extend_with(&mut remote, 0, vec![tx.clone()]);
    let imported = ledger.import(net.check(block.clone())).unwrap();
    assert_eq!(imported.outcome.kind, ImportKind::Extended);
    assert!(imported.children.is_empty());

    let head = ledger.head();
    assert_eq!((head.height, head.hash), (1, block.hash()));
    assert_eq!(head.slot, block.header.slot);
    assert!(watch.has_changed().unwrap());
    assert_eq!(*watch.borrow_and_update(), head);
    assert!(
        !ledger.pool_contains(&tx.hash()),
        "included tx left the pool"
    );
    let event = heads.try_recv().unwrap();
    assert_eq!((event.height, event.hash, event.txs), (1, block.hash(), 1));
    assert_eq!(event.reorg_depth, 0);
    assert_eq!(ledger.metrics.head_height.get(), 1);
    let stored = ledger.read_chain(|c| c.block_by_height(1)).unwrap();
    assert_eq!(stored, Some(block));
}

#[test]
fn admission_checks_txs_against_the_current_head() {
    let net = TestNet::new(1, 2);
    let ledger = net.ledger("a", PoolConfig::default(), 8);
    let stranger = rumor_chain::Transaction {
        chain_id: net.genesis.chain_id,
        from: Keypair::from_label("stranger").address(),
        to: net.accounts[0].address(),
        amount: 1,
        fee: 5,
        nonce: 0,
    }
    .sign(&Keypair::from_label("stranger"));
    let results = ledger.admit(
        vec![
            net.verified(net.tx(0, 0, 5)),
            net.verified(net.tx(0, 0, 5)),
            net.verified(stranger),
        ],
        Origin::External,
    );
    assert!(results[0].is_ok());
    assert_eq!(results[1], Err(InsertError::AlreadyKnown));
    assert!(matches!(
        results[2],
        Err(InsertError::InsufficientBalance { .. })
    ));

    // Once a block spends account 1's nonce 0, a tx with that nonce is stale.
    let mut remote = net.store("remote");
    let block = net.extend_with(&mut remote, 0, vec![net.tx(1, 0, 7)]);
    ledger.import(net.check(block)).unwrap();
    let stale = ledger.admit(vec![net.verified(net.tx(1, 0, 9))], Origin::External);
    assert!(matches!(stale[0], Err(InsertError::NonceTooLow { .. })));
    assert_eq!(ledger.account(&net.accounts[1].address()).nonce, 1);
}

#[test]
fn an_import_hands_back_the_orphans_waiting_for_it() {
    let net = TestNet::new(2, 1);
    let ledger = net.ledger("a", PoolConfig::default(), 8);
    let mut remote = net.store("remote");
    let blocks = net.extend(&mut remote, 3);
    assert!(ledger.buffer_orphan(blocks[1].clone()));
    assert!(!ledger.buffer_orphan(blocks[1].clone()), "held once");
    assert!(ledger.buffer_orphan(blocks[2].clone()));
    assert_eq!(ledger.orphan_count(), 2);
    assert_eq!(ledger.metrics.orphan_buffer.get(), 2);

    let imported = ledger.import(net.check(blocks[0].clone())).unwrap();
    assert_eq!(imported.children, vec![blocks[1].clone()]);
    let imported = ledger.import(net.check(blocks[1].clone())).unwrap();
    assert_eq!(imported.children, vec![blocks[2].clone()]);
    assert_eq!(ledger.orphan_count(), 0);
    assert_eq!(ledger.metrics.orphan_buffer.get(), 0);
}

#[test]
fn the_orphan_buffer_is_bounded() {
    let net = TestNet::new(1, 1);
    let ledger = net.ledger("a", PoolConfig::default(), 2);
    let mut remote = net.store("remote");
    let blocks = net.extend(&mut remote, 4);
    for b in &blocks[1..] {
        ledger.buffer_orphan(b.clone());
    }
    assert_eq!(ledger.orphan_count(), 2, "the oldest orphan was dropped");
    let imported = ledger.import(net.check(blocks[0].clone())).unwrap();
    assert!(
        imported.children.is_empty(),
        "the orphan for it was dropped"
    );
    let imported = ledger.import(net.check(blocks[1].clone())).unwrap();
    assert_eq!(imported.children, vec![blocks[2].clone()]);
}

#[test]
fn produce_builds_on_the_head_with_pooled_txs_once_per_slot() {
    let net = TestNet::new(1, 2);
    let ledger = net.ledger("a", PoolConfig::default(), 8);
    let tx = net.tx(0, 0, 5);
    ledger.admit(vec![net.verified(tx.clone())], Origin::Local);
    let slot = ledger.head().slot + 3;
    let limits = net.genesis.limits;
    let (block, outcome) = ledger
        .produce(slot, &net.genesis, &limits, net.producer(slot))
        .unwrap();
    assert_eq!(block.txs, vec![tx.clone()]);
    assert_eq!(outcome.kind, ImportKind::Extended);
    assert_eq!(ledger.head().hash, block.hash());
    assert_eq!(ledger.head().slot, slot);
    assert!(!ledger.pool_contains(&tx.hash()));
    assert!(
        ledger
            .produce(slot, &net.genesis, &limits, net.producer(slot))
            .is_none(),
        "never twice for one slot"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn async_callers_wait_for_the_chain_lock_off_the_runtime() {
    let net = TestNet::new(1, 1);
    let ledger = net.ledger("a", PoolConfig::default(), 8);
    let who = net.accounts[0].address();
    // Another thread holds the chain lock (as an import does through its commit).
    let (held_tx, held_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let l = ledger.clone();
    let holder = std::thread::spawn(move || {
        l.read_chain(|_| {
            held_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        })
    });
    held_rx.await.unwrap();
    let l = ledger.clone();
    let read = tokio::spawn(async move { l.blocking(move |l| l.account(&who)).await });
    tokio::task::yield_now().await;
    // The runtime's only thread is free while the read waits, and the head is readable.
    assert!(!read.is_finished());
    assert_eq!(ledger.head().height, 0);
    release_tx.send(()).unwrap();
    let account = read.await.unwrap().unwrap();
    assert_eq!(account.balance, crate::testing::BALANCE);
    holder.join().unwrap();
}
