//! The redb chain store: imports, fork choice, reorgs, restarts.

mod common;

use common::*;
use rumor_chain::*;

fn open(dir: &tempfile::TempDir, g: &Genesis) -> ChainStore {
    ChainStore::open(
        &dir.path().join("chain.redb"),
        g.clone(),
        ChainConfig::default(),
    )
    .unwrap()
}

fn state_after(store: &ChainStore, b: &Block) -> State {
    store.state_at(&b.hash()).unwrap().unwrap()
}

#[test]
fn extends_indexes_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis(4);
    let mut store = open(&dir, &g);
    assert_eq!(store.head().1.height, 0);
    assert_eq!(store.head().0, g.block().hash());

    let t = transfer(&account(0), account(1).address(), 50, 5, 0);
    let b1 = next_block(&store, vec![t.clone()]);
    let out = store.import_block(b1.clone(), LATE).unwrap();
    assert_eq!(out.kind, ImportKind::Extended);
    assert_eq!(
        out.entered.iter().map(|t| t.hash()).collect::<Vec<_>>(),
        vec![t.hash()]
    );
    assert!(out.left.is_empty());
    assert_eq!(
        store.tx_location(&t.hash()).unwrap(),
        Some(TxLocation {
            block: b1.hash(),
            height: 1,
            index: 0
        })
    );
    assert_eq!(store.block_by_height(1).unwrap(), Some(b1.clone()));
    assert_eq!(store.account(&account(0).address()).nonce, 1);

    assert!(matches!(
        store.import_block(b1.clone(), LATE),
        Err(ImportError::AlreadyKnown(_))
    ));
    let b2 = next_block(&store, vec![]);
    store.import_block(b2.clone(), LATE).unwrap();
    assert_eq!(store.blocks_by_range(0, 10, usize::MAX).unwrap().len(), 3);
    assert_eq!(
        store.blocks_by_range(1, 10, 1).unwrap().len(),
        1,
        "byte cap keeps at least one"
    );
    drop(store);

    let store = open(&dir, &g);
    assert_eq!(store.head().0, b2.hash());
    assert_head_state_is_replay(&store);
}

#[test]
fn an_in_memory_store_imports_and_indexes_like_a_file_and_starts_fresh_each_time() {
    let g = genesis(4);
    let mut store = ChainStore::open_in_memory(g.clone(), ChainConfig::default()).unwrap();
    assert_eq!(store.head().0, g.block().hash());
    let t = transfer(&account(0), account(1).address(), 50, 5, 0);
    let b1 = next_block(&store, vec![t.clone()]);
    assert_eq!(
        store.import_block(b1.clone(), LATE).unwrap().kind,
        ImportKind::Extended
    );
    assert_eq!(
        store.tx_location(&t.hash()).unwrap().unwrap().block,
        b1.hash()
    );
    assert_eq!(store.account(&account(0).address()).nonce, 1);
    assert_head_state_is_replay(&store);
    drop(store);
    let store = ChainStore::open_in_memory(g.clone(), ChainConfig::default()).unwrap();
    assert_eq!(store.head().1.height, 0, "nothing survives the store");
}

#[test]
fn unknown_parent_and_genesis_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis(2);
    let mut store = open(&dir, &g);
    let b1 = next_block(&store, vec![]);
    let state1 = {
        let c = check_block(b1.clone(), &g, &ChainConfig::default(), LATE).unwrap();
        let mut s = g.initial_state();
        s.apply_diff(&execute_block(&s, &c, CHAIN_ID).unwrap());
        s
    };
    let b2 = block_on(&g, &b1.header, &state1, 2, vec![]);
    let e = store.import_block(b2.clone(), LATE).unwrap_err();
    assert!(matches!(e, ImportError::UnknownParent(p) if p == b1.hash()));
    assert!(!e.is_bad_block());
    store.import_block(b1, LATE).unwrap();
    store.import_block(b2, LATE).unwrap();
    drop(store);

    let mut other = g.clone();
    other.chain_id += 1;
    let e = ChainStore::open(
        &dir.path().join("chain.redb"),
        other,
        ChainConfig::default(),
    )
    .unwrap_err();
    assert!(matches!(e, StoreError::GenesisMismatch { .. }), "{e}");
}

#[test]
fn invalid_block_is_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis(2);
    let mut store = open(&dir, &g);
    let mut b = next_block(&store, vec![]);
    b.header.state_root = Hash256([1; 32]);
    let b = resign(b);
    let e = store.import_block(b.clone(), LATE).unwrap_err();
    assert!(e.is_bad_block());
    assert!(!store.has_block(&b.hash()).unwrap());
    assert_eq!(store.head().1.height, 0);
}

/// Before: ties went to the lower hash, so the second block won whenever its hash was lower,
/// which an authority can grind for. Now the head first seen stays, whatever the hashes.
#[test]
fn equal_height_ties_keep_the_head_first_seen() {
    let g = genesis(2);
    let gh = g.block().header;
    let s0 = g.initial_state();
    let x = block_on(&g, &gh, &s0, 1, vec![]);
    let y = block_on(&g, &gh, &s0, 2, vec![]);
    let (lo, hi) = if x.hash() < y.hash() { (x, y) } else { (y, x) };
    for order in [[&lo, &hi], [&hi, &lo]] {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir, &g);
        for b in order {
            store.import_block(b.clone(), LATE).unwrap();
        }
        assert_eq!(store.head().0, order[0].hash(), "the first seen stays");
        assert!(matches!(
            store.import_block(order[1].clone(), LATE),
            Err(ImportError::AlreadyKnown(h)) if h == order[1].hash()
        ));
        assert_head_state_is_replay(&store);
    }
}

/// Two branches from genesis: A (2 blocks) then B (3 blocks) overtakes, then A (4 blocks) wins back.
#[test]
fn reorg_switches_index_state_and_reports_txs() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis(4);
    let mut store = open(&dir, &g);
    let gh = g.block().header;
    let s0 = g.initial_state();
    let shared = transfer(&account(0), account(3).address(), 10, 1, 0);
    let only_a = transfer(&account(1), account(3).address(), 20, 1, 0);
    let only_b = transfer(&account(2), account(3).address(), 30, 1, 0);

    let a1 = block_on(&g, &gh, &s0, 1, vec![shared.clone()]);
    store.import_block(a1.clone(), LATE).unwrap();
    let a2 = block_on(
        &g,
        &a1.header,
        &state_after(&store, &a1),
        2,
        vec![only_a.clone()],
    );
    store.import_block(a2.clone(), LATE).unwrap();
    let state_a2 = store.state().clone();

    let b1 = block_on(&g, &gh, &s0, 3, vec![shared.clone(), only_b.clone()]);
    assert_eq!(
        store.import_block(b1.clone(), LATE).unwrap().kind,
        ImportKind::SideChain
    );
    let b2 = block_on(&g, &b1.header, &state_after(&store, &b1), 4, vec![]);
    let out = store.import_block(b2.clone(), LATE).unwrap();
    if b2.hash() < a2.hash() {
        assert!(matches!(out.kind, ImportKind::Reorg { depth: 2, .. }));
    } else {
        assert_eq!(out.kind, ImportKind::SideChain);
    }
    let b3 = block_on(&g, &b2.header, &state_after(&store, &b2), 5, vec![]);
    let out = store.import_block(b3.clone(), LATE).unwrap();
    if b2.hash() < a2.hash() {
        assert_eq!(out.kind, ImportKind::Extended);
    } else {
        assert_eq!(
            out.kind,
            ImportKind::Reorg {
                depth: 2,
                old_head: a2.hash()
            }
        );
        assert_eq!(
            out.left.iter().map(|t| t.hash()).collect::<Vec<_>>(),
            vec![only_a.hash()]
        );
        let entered: Vec<_> = out.entered.iter().map(|t| t.hash()).collect();
        assert_eq!(
            entered,
            vec![only_b.hash()],
            "the shared tx never left the chain"
        );
    }
    assert_eq!(store.head().0, b3.hash());
    for (h, b) in [(1, &b1), (2, &b2), (3, &b3)] {
        assert_eq!(store.canonical_hash(h).unwrap(), Some(b.hash()));
    }
    assert_eq!(store.tx_location(&only_a.hash()).unwrap(), None);
    assert_eq!(
        store.tx_location(&shared.hash()).unwrap().unwrap().block,
        b1.hash()
    );
    assert_eq!(store.tx_location(&only_b.hash()).unwrap().unwrap().index, 1);
    assert_head_state_is_replay(&store);

    // Back to A, which must now outgrow B: A3, A4.
    let a3 = block_on(&g, &a2.header, &state_a2, 6, vec![]);
    assert_eq!(
        store.import_block(a3.clone(), LATE).unwrap().kind,
        ImportKind::SideChain
    );
    let a4 = block_on(&g, &a3.header, &state_after(&store, &a3), 7, vec![]);
    let out = store.import_block(a4.clone(), LATE).unwrap();
    assert_eq!(
        out.kind,
        ImportKind::Reorg {
            depth: 3,
            old_head: b3.hash()
        }
    );
    assert_eq!(
        out.left.iter().map(|t| t.hash()).collect::<Vec<_>>(),
        vec![only_b.hash()]
    );
    assert_eq!(
        out.entered.iter().map(|t| t.hash()).collect::<Vec<_>>(),
        vec![only_a.hash()]
    );
    assert_eq!(store.canonical_hash(4).unwrap(), Some(a4.hash()));
    assert_eq!(store.canonical_hash(1).unwrap(), Some(a1.hash()));
    assert_eq!(store.tx_location(&only_b.hash()).unwrap(), None);
    assert_eq!(
        store.tx_location(&shared.hash()).unwrap().unwrap().block,
        a1.hash()
    );
    assert_head_state_is_replay(&store);

    // The same after a restart.
    drop(store);
    let store = open(&dir, &g);
    assert_eq!(store.head().0, a4.hash());
    assert_head_state_is_replay(&store);
}

#[test]
fn side_branch_block_is_executed_against_its_own_parent_state() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis(2);
    let mut store = open(&dir, &g);
    let gh = g.block().header;
    let s0 = g.initial_state();
    // Canonical: account 0 spends nonce 0.
    let a1 = block_on(
        &g,
        &gh,
        &s0,
        1,
        vec![transfer(&account(0), account(1).address(), 1, 1, 0)],
    );
    store.import_block(a1, LATE).unwrap();
    // Side branch from genesis spends nonce 0 again: valid there, must be accepted.
    let b1 = block_on(
        &g,
        &gh,
        &s0,
        2,
        vec![transfer(&account(0), account(1).address(), 2, 1, 0)],
    );
    store.import_block(b1.clone(), LATE).unwrap();
    // A side block with a tx that is only valid on the canonical branch (nonce 1) is invalid.
    let mut bad = block_on(&g, &b1.header, &state_after(&store, &b1), 3, vec![]);
    bad.txs = vec![transfer(&account(0), account(1).address(), 1, 1, 2)];
    bad.header.tx_root = tx_root(&bad.txs);
    let e = store.import_block(resign(bad), LATE).unwrap_err();
    assert!(
        matches!(e, ImportError::Invalid(BlockError::InvalidTx { .. })),
        "{e}"
    );
}

/// A fork 150 blocks deep, both branches carrying txs, imported block by block with the head
/// moving on the other branch in between: each side block executes against its own parent
/// state (the store's cached side tip, or one streamed from the fork after the head moved),
/// and the final reorg replaces 150 blocks at once.
#[test]
fn a_deep_side_chain_imports_block_by_block_and_reorgs_at_once() {
    const DEPTH: u64 = 150;
    let dir = tempfile::tempdir().unwrap();
    let g = genesis(4);
    let mut store = open(&dir, &g);
    let gh = g.block().header;
    let (a_key, b_key, sink) = (account(1), account(2), account(3).address());

    // Branch A: the canonical one at first, one tx per block.
    for n in 0..DEPTH {
        let b = next_block(&store, vec![transfer(&a_key, sink, 1, 1, n)]);
        assert_eq!(
            store.import_block(b, LATE).unwrap().kind,
            ImportKind::Extended
        );
    }
    let a_head = store.head().0;
    // Branch B from genesis, in odd slots well past A's, one tx per block; built off-store.
    let mut b_state = g.initial_state();
    let mut b_parent = gh.clone();
    let mut b_blocks = Vec::new();
    for n in 0..=DEPTH {
        let b = block_on(
            &g,
            &b_parent,
            &b_state,
            1000 + n,
            vec![transfer(&b_key, sink, 1, 1, n)],
        );
        let c = check_block(b.clone(), &g, &ChainConfig::default(), LATE).unwrap();
        b_state.apply_diff(&execute_block(&b_state, &c, g.chain_id).unwrap());
        b_parent = b.header.clone();
        b_blocks.push(b);
    }
    for (i, b) in b_blocks.iter().enumerate() {
        if i == 60 {
            // The head moves on A meanwhile: the side tip stays valid for B.
            let a = next_block(&store, vec![transfer(&a_key, sink, 1, 1, DEPTH)]);
            store.import_block(a, LATE).unwrap();
        }
        let out = store.import_block(b.clone(), LATE).unwrap();
        if store.head().0 != b.hash() {
            assert_eq!(out.kind, ImportKind::SideChain, "B block {i}");
        }
    }
    // B (151 blocks) outgrew A (151 blocks + lower-hash tie-break, or 152 vs 151): whichever
    // way the tie went, import one more B block to be sure B leads.
    let last = b_blocks.last().unwrap().clone();
    let extra = block_on(&g, &last.header, &b_state, 2000, vec![]);
    store.import_block(extra.clone(), LATE).unwrap();
    assert_eq!(store.head().0, extra.hash());
    assert_ne!(store.head().0, a_head);
    assert_eq!(store.state().root(), {
        let c = check_block(extra, &g, &ChainConfig::default(), LATE).unwrap();
        let mut s = b_state.clone();
        s.apply_diff(&execute_block(&b_state, &c, g.chain_id).unwrap());
        s.root()
    });
    for (i, b) in b_blocks.iter().enumerate() {
        assert_eq!(store.canonical_hash(i as u64 + 1).unwrap(), Some(b.hash()));
    }
    assert_head_state_is_replay(&store);
    // A's txs left the index; B's are in it.
    assert_eq!(
        store
            .tx_location(&transfer(&a_key, sink, 1, 1, 0).hash())
            .unwrap(),
        None
    );
    assert!(
        store
            .tx_location(&transfer(&b_key, sink, 1, 1, DEPTH).hash())
            .unwrap()
            .is_some()
    );
}

/// With a finality depth, fork choice refuses a switch that would revert more blocks than that,
/// by whatever path the block arrives; a shallower fork still wins.
#[test]
fn fork_choice_refuses_reorgs_deeper_than_the_finality_depth() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis(4);
    let config = ChainConfig {
        finality_depth: Some(1),
        ..ChainConfig::default()
    };
    let mut store = ChainStore::open(&dir.path().join("chain.redb"), g.clone(), config).unwrap();
    let gh = g.block().header;
    let s0 = g.initial_state();
    let a1 = next_block(&store, vec![]);
    store.import_block(a1.clone(), LATE).unwrap();
    let a2 = next_block(&store, vec![]);
    store.import_block(a2.clone(), LATE).unwrap();

    // B forks at genesis: winning would revert A1 and A2 (depth 2 > 1).
    let b1 = block_on(&g, &gh, &s0, 100, vec![]);
    let b2 = block_on(&g, &b1.header, &s0, 101, vec![]);
    let b3 = block_on(&g, &b2.header, &s0, 102, vec![]);
    for b in [&b1, &b2, &b3] {
        let out = store.import_block(b.clone(), LATE).unwrap();
        assert_eq!(out.kind, ImportKind::SideChain);
    }
    assert_eq!(store.head().0, a2.hash(), "the deeper fork did not win");
    assert!(store.has_block(&b3.hash()).unwrap(), "but it is stored");

    // C forks at A1: winning reverts only A2 (depth 1), which is allowed.
    let s1 = state_after(&store, &a1);
    let c2 = block_on(&g, &a1.header, &s1, 200, vec![]);
    let k2 = store.import_block(c2.clone(), LATE).unwrap().kind;
    let c3 = block_on(&g, &c2.header, &s1, 201, vec![]);
    let k3 = store.import_block(c3.clone(), LATE).unwrap().kind;
    // c2 ties a2 (and wins if its hash is lower); c3 overtakes for sure.
    assert!(
        [&k2, &k3]
            .iter()
            .any(|k| matches!(k, ImportKind::Reorg { depth: 1, .. })),
        "{k2:?} {k3:?}"
    );
    assert_eq!(store.head().0, c3.hash());
    assert_head_state_is_replay(&store);
}

/// A store file damaged outside redb (here: every page after the header overwritten) fails to
/// open with an error, never a panic, and is not trusted. Without the integrity check on open,
/// redb panics reading the damaged tree.
#[test]
fn a_damaged_store_file_is_refused_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis(4);
    let path = dir.path().join("chain.redb");
    {
        let mut store = open(&dir, &g);
        for _ in 0..20 {
            let b = next_block(&store, vec![]);
            store.import_block(b, LATE).unwrap();
        }
    }
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192);
    for b in &mut bytes[4096..] {
        *b ^= 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let opened = std::panic::catch_unwind(|| {
        ChainStore::open(&path, g.clone(), ChainConfig::default()).map(|_| ())
    });
    match opened {
        Ok(Err(e)) => eprintln!("refused: {e}"),
        Ok(Ok(())) => panic!("a damaged store opened"),
        Err(_) => panic!("opening a damaged store panicked"),
    }
}

/// Before: a second block for a slot was only noticed on the gossip path, and only logged.
/// Now the store spots it by any path, keeps the proof across restarts, and returns it.
#[test]
fn a_second_block_for_a_slot_leaves_evidence_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis(2);
    let gh = g.block().header;
    let s0 = g.initial_state();
    let first = block_on(&g, &gh, &s0, 1, vec![]);
    let mut second = first.clone();
    second.header.timestamp += 1;
    let second = resign(second);
    {
        let mut store = open(&dir, &g);
        assert!(
            store
                .import_block(first.clone(), LATE)
                .unwrap()
                .equivocation
                .is_none()
        );
        let out = store.import_block(second.clone(), LATE).unwrap();
        let ev = out.equivocation.expect("evidence");
        assert_eq!(ev.first, first.signed_header());
        assert_eq!(ev.second, second.signed_header());
        assert_eq!(store.equivocations(10).unwrap(), vec![ev.clone()]);
        // The gossip path's copy of the same proof is not kept twice.
        assert!(store.has_equivocation(1).unwrap());
        assert!(!store.has_equivocation(2).unwrap());
        let verified = ev.verify(&g).unwrap();
        assert!(!store.record_equivocation(&verified).unwrap());
        // A block extending the first is not evidence.
        let s1 = state_after(&store, &first);
        let next = block_on(&g, &first.header, &s1, 2, vec![]);
        assert!(
            store
                .import_block(next, LATE)
                .unwrap()
                .equivocation
                .is_none()
        );
    }
    let store = open(&dir, &g);
    let kept = store.equivocations(10).unwrap();
    assert_eq!(kept.len(), 1, "kept across a restart");
    assert_eq!(kept[0].slot(), 1);
    assert!(kept[0].clone().verify(&g).is_ok());
}
