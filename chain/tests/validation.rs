//! Block validation: one test per rejection reason, plus the penalty classification.

mod common;

use common::*;
use rumor_chain::*;

struct Fx {
    g: Genesis,
    state: State,
    parent: BlockHeader,
    cfg: ChainConfig,
}

fn fx() -> Fx {
    let g = genesis(4);
    Fx {
        state: g.initial_state(),
        parent: g.block().header,
        g,
        cfg: ChainConfig::default(),
    }
}

fn good(f: &Fx, slot: u64) -> Block {
    block_on(
        &f.g,
        &f.parent,
        &f.state,
        slot,
        vec![transfer(&account(0), account(1).address(), 10, 2, 0)],
    )
}

fn check(f: &Fx, b: Block) -> Result<StateDiff, BlockError> {
    let c = check_block(b, &f.g, &f.cfg, LATE)?;
    check_against_parent(&f.parent, c.header())?;
    execute_block(&f.state, &c, CHAIN_ID)
}

#[test]
fn a_good_block_passes_all_stages() {
    let f = fx();
    let diff = check(&f, good(&f, 1)).unwrap();
    assert_eq!(diff.changes.len(), 3);
}

#[test]
fn wrong_chain_id() {
    let f = fx();
    let mut b = good(&f, 1);
    b.header.chain_id += 1;
    let e = check(&f, resign(b)).unwrap_err();
    assert!(matches!(e, BlockError::WrongChainId { .. }));
    assert!(e.is_bad_block());
}

#[test]
fn genesis_position() {
    let f = fx();
    let mut b = good(&f, 2);
    b.header.height = 0;
    assert_eq!(
        check(&f, resign(b)).unwrap_err(),
        BlockError::GenesisPosition
    );
}

#[test]
fn wrong_producer() {
    let f = fx();
    let mut b = good(&f, 1);
    b.header.producer = authority(0).address(); // slot 1 belongs to authority 1
    let b = Block::seal(b.header, b.txs, &authority(0));
    let e = check(&f, b).unwrap_err();
    assert!(matches!(e, BlockError::WrongProducer { slot: 1, .. }));
    assert!(e.is_bad_block());
}

#[test]
fn bad_signature() {
    let f = fx();
    let mut b = good(&f, 1);
    b.signature.0[5] ^= 1;
    assert!(matches!(
        check(&f, b).unwrap_err(),
        BlockError::BadSignature(_)
    ));
}

#[test]
fn timestamp_outside_slot() {
    let f = fx();
    for ts in [GENESIS_TIME + SLOT_MS - 1, GENESIS_TIME + 2 * SLOT_MS] {
        let mut b = good(&f, 1);
        b.header.timestamp = ts;
        assert!(matches!(
            check(&f, resign(b)).unwrap_err(),
            BlockError::TimestampOutsideSlot { .. }
        ));
    }
}

#[test]
fn future_slot_is_not_penalised() {
    let f = fx();
    let b = good(&f, 10);
    let now = f.g.slot_start_ms(10) - f.cfg.max_future_ms - 1;
    let e = check_block(b.clone(), &f.g, &f.cfg, now).unwrap_err();
    assert!(matches!(e, BlockError::FutureSlot { slot: 10, .. }));
    assert!(!e.is_bad_block());
    // Within the tolerance it passes.
    check_block(b, &f.g, &f.cfg, now + 1).unwrap();
}

#[test]
fn too_many_txs_and_too_large() {
    let mut f = fx();
    let txs = (0..3)
        .map(|i| transfer(&account(i), account(3).address(), 1, 1, 0))
        .collect();
    let b = block_on(&f.g, &f.parent, &f.state, 1, txs);
    f.g.limits.max_block_txs = 2;
    assert_eq!(
        check(&f, b.clone()).unwrap_err(),
        BlockError::TooManyTxs { count: 3, max: 2 }
    );
    f.g.limits.max_block_txs = 100;
    f.g.limits.max_block_bytes = b.encoded_len() - 1;
    assert!(matches!(
        check(&f, b).unwrap_err(),
        BlockError::TooLarge { .. }
    ));
}

#[test]
fn tx_root_mismatch() {
    let f = fx();
    let mut b = good(&f, 1);
    b.txs
        .push(transfer(&account(1), account(2).address(), 1, 1, 0));
    let e = check(&f, b).unwrap_err();
    assert!(matches!(e, BlockError::TxRootMismatch { .. }), "{e}");
}

#[test]
fn invalid_tx_signature_or_chain() {
    let f = fx();
    let mut tx = transfer(&account(0), account(1).address(), 10, 2, 0);
    tx.signature.0[1] ^= 1;
    let mut b = good(&f, 1);
    b.txs = vec![tx];
    b.header.tx_root = tx_root(&b.txs);
    let e = check(&f, resign(b)).unwrap_err();
    assert!(
        matches!(
            e,
            BlockError::InvalidTx {
                index: 0,
                source: TxError::BadSignature(_)
            }
        ),
        "{e}"
    );
    assert!(e.is_bad_block());
}

#[test]
fn invalid_tx_against_state() {
    let f = fx();
    // Nonce 1 with the account at nonce 0: structurally fine, fails on execution.
    let mut b = good(&f, 1);
    b.txs = vec![transfer(&account(0), account(1).address(), 10, 2, 1)];
    b.header.tx_root = tx_root(&b.txs);
    let e = check(&f, resign(b)).unwrap_err();
    assert!(
        matches!(
            e,
            BlockError::InvalidTx {
                index: 0,
                source: TxError::NonceMismatch { .. }
            }
        ),
        "{e}"
    );
    assert!(
        e.is_bad_block(),
        "a block with an inapplicable tx is invalid for everyone"
    );
}

#[test]
fn wrong_height() {
    let f = fx();
    let mut b = good(&f, 1);
    b.header.height = 2;
    assert_eq!(
        check(&f, resign(b)).unwrap_err(),
        BlockError::WrongHeight { parent: 0, got: 2 }
    );
}

#[test]
fn slot_not_after_parent() {
    let f = fx();
    let b1 = good(&f, 3);
    let c1 = check_block(b1.clone(), &f.g, &f.cfg, LATE).unwrap();
    let diff = execute_block(&f.state, &c1, CHAIN_ID).unwrap();
    let mut s1 = f.state.clone();
    s1.apply_diff(&diff);
    for slot in [1, 3] {
        let b2 = block_on(&f.g, &b1.header, &s1, slot, vec![]);
        assert_eq!(
            check_against_parent(&b1.header, &b2.header).unwrap_err(),
            BlockError::SlotNotAfterParent {
                parent: 3,
                got: slot
            }
        );
    }
}

#[test]
fn state_root_mismatch() {
    let f = fx();
    let mut b = good(&f, 1);
    b.header.state_root = Hash256([9; 32]);
    let e = check(&f, resign(b)).unwrap_err();
    assert!(matches!(e, BlockError::StateRootMismatch { .. }));
    assert!(e.is_bad_block());
}

#[test]
fn header_check_and_skipping_known_txs() {
    let f = fx();
    let mut tx = transfer(&account(0), account(1).address(), 10, 2, 0);
    tx.signature.0[1] ^= 1;
    let mut b = good(&f, 1);
    b.txs = vec![tx.clone()];
    b.header.tx_root = tx_root(&b.txs);
    let b = resign(b);
    // The header alone is fine: a node may forward it before checking the txs.
    assert!(check_header(&b, &f.g, &f.cfg, LATE).is_ok());
    assert!(matches!(
        check_block(b.clone(), &f.g, &f.cfg, LATE),
        Err(BlockError::InvalidTx { index: 0, .. })
    ));
    // A caller that vouches for the tx skips its check (it is the caller's promise).
    let known = tx.hash();
    assert!(check_block_skipping(b.clone(), &f.g, &f.cfg, LATE, |h| *h == known).is_ok());
    // The header check still catches a bad producer signature.
    let mut bad = b;
    bad.signature.0[0] ^= 1;
    assert!(matches!(
        check_header(&bad, &f.g, &f.cfg, LATE),
        Err(BlockError::BadSignature(_))
    ));
}
