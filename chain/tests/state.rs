//! The state transition: every rejection reason, fees, aliasing, and the state root.

mod common;

use common::*;
use rumor_chain::*;

fn setup() -> (Genesis, State) {
    let g = genesis(4);
    let s = g.initial_state();
    (g, s)
}

#[test]
fn transfer_moves_amount_fee_and_nonce() {
    let (_, state) = setup();
    let producer = authority(0).address();
    let mut ex = Executor::new(&state, CHAIN_ID);
    let tx = transfer(&account(0), account(1).address(), 100, 7, 0);
    ex.apply(&tx, &producer).unwrap();
    assert_eq!(
        ex.get(&account(0).address()),
        Account {
            balance: BALANCE - 107,
            nonce: 1
        }
    );
    assert_eq!(ex.get(&account(1).address()).balance, BALANCE + 100);
    assert_eq!(ex.get(&producer).balance, 7);
    let diff = ex.into_diff();
    assert_eq!(diff.changes.len(), 3);
    // The base state was not touched.
    assert_eq!(state.get(&account(0).address()).balance, BALANCE);
}

#[test]
fn rejections() {
    let (_, state) = setup();
    let p = authority(0).address();
    let mut ex = Executor::new(&state, CHAIN_ID);
    let a = account(0);
    let to = account(1).address();

    let other_chain = Transaction {
        chain_id: 99,
        from: a.address(),
        to,
        amount: 1,
        fee: 1,
        nonce: 0,
    }
    .sign(&a);
    assert!(matches!(
        ex.apply(&other_chain, &p),
        Err(TxError::WrongChainId {
            expected: CHAIN_ID,
            got: 99
        })
    ));

    let mut bad_sig = transfer(&a, to, 1, 1, 0);
    bad_sig.signature.0[0] ^= 1;
    assert!(matches!(
        ex.apply(&bad_sig, &p),
        Err(TxError::BadSignature(_))
    ));

    let overflow = transfer(&a, to, u64::MAX, 1, 0);
    assert_eq!(ex.apply(&overflow, &p), Err(TxError::CostOverflow));
    assert_eq!(
        overflow.clone().verify(CHAIN_ID).unwrap_err(),
        TxError::CostOverflow
    );

    let future = transfer(&a, to, 1, 1, 5);
    assert_eq!(
        ex.apply(&future, &p),
        Err(TxError::NonceMismatch {
            expected: 0,
            got: 5
        })
    );

    let too_much = transfer(&a, to, BALANCE, 1, 0);
    assert_eq!(
        ex.apply(&too_much, &p),
        Err(TxError::InsufficientBalance {
            need: BALANCE + 1,
            have: BALANCE
        })
    );

    // An unfunded sender.
    let poor = account(50);
    let t = transfer(&poor, to, 0, 1, 0);
    assert!(matches!(
        ex.apply(&t, &p),
        Err(TxError::InsufficientBalance { have: 0, .. })
    ));

    // A recipient balance overflow (only reachable with a supply near u64::MAX).
    let rich = Genesis::new(
        CHAIN_ID,
        0,
        1,
        vec![p],
        &[a.address(), to],
        u64::MAX / 2 + 1,
    );
    assert!(rich.validate().is_err(), "such a genesis is refused");
    let mut s = State::default();
    s.set(
        a.address(),
        Account {
            balance: 10,
            nonce: 0,
        },
    );
    s.set(
        to,
        Account {
            balance: u64::MAX - 5,
            nonce: 0,
        },
    );
    let mut ex2 = Executor::new(&s, CHAIN_ID);
    assert_eq!(
        ex2.apply(&transfer(&a, to, 9, 0, 0), &p),
        Err(TxError::BalanceOverflow)
    );
    assert!(
        ex2.into_diff().changes.is_empty(),
        "a failed tx leaves no trace"
    );

    // Nothing failed above changed the state.
    assert!(ex.into_diff().changes.is_empty());
}

#[test]
fn penalty_classification() {
    assert!(
        TxError::WrongChainId {
            expected: 1,
            got: 2
        }
        .is_bad_transaction()
    );
    assert!(TxError::BadSignature(SignatureError::Invalid).is_bad_transaction());
    assert!(TxError::CostOverflow.is_bad_transaction());
    assert!(
        !TxError::NonceMismatch {
            expected: 1,
            got: 2
        }
        .is_bad_transaction()
    );
    assert!(!TxError::InsufficientBalance { need: 1, have: 0 }.is_bad_transaction());
    assert!(!TxError::BalanceOverflow.is_bad_transaction());
}

#[test]
fn aliasing_self_transfer_and_producer() {
    let (_, state) = setup();
    let a = account(0);
    // Self-transfer: only the fee leaves.
    let mut ex = Executor::new(&state, CHAIN_ID);
    ex.apply(
        &transfer(&a, a.address(), 500, 3, 0),
        &authority(0).address(),
    )
    .unwrap();
    assert_eq!(
        ex.get(&a.address()),
        Account {
            balance: BALANCE - 3,
            nonce: 1
        }
    );
    // Sender is the producer: pays the fee to itself.
    let mut ex = Executor::new(&state, CHAIN_ID);
    ex.apply(&transfer(&a, account(1).address(), 10, 3, 0), &a.address())
        .unwrap();
    assert_eq!(
        ex.get(&a.address()),
        Account {
            balance: BALANCE - 10,
            nonce: 1
        }
    );
    // Recipient is the producer.
    let mut ex = Executor::new(&state, CHAIN_ID);
    ex.apply(
        &transfer(&a, account(1).address(), 10, 3, 0),
        &account(1).address(),
    )
    .unwrap();
    assert_eq!(ex.get(&account(1).address()).balance, BALANCE + 13);
    // All three the same.
    let mut ex = Executor::new(&state, CHAIN_ID);
    ex.apply(&transfer(&a, a.address(), 10, 3, 0), &a.address())
        .unwrap();
    assert_eq!(
        ex.get(&a.address()),
        Account {
            balance: BALANCE,
            nonce: 1
        }
    );
}

#[test]
fn state_root_is_order_independent_and_matches_incremental() {
    let (g, mut state) = setup();
    let mut other = State::default();
    for alloc in g.alloc.iter().rev() {
        other.set(
            alloc.address,
            Account {
                balance: alloc.balance,
                nonce: 0,
            },
        );
    }
    assert_eq!(state.root(), other.root());

    let mut ex = Executor::new(&state, CHAIN_ID);
    ex.apply(
        &transfer(&account(0), account(9).address(), 10, 1, 0),
        &authority(0).address(),
    )
    .unwrap();
    let predicted = ex.root();
    let diff = ex.into_diff();
    state.apply_diff(&diff);
    assert_eq!(state.root(), predicted);
    state.revert_diff(&diff);
    assert_eq!(state.root(), other.root());
    // An emptied account disappears from the commitment.
    let mut s = State::default();
    s.set(
        account(0).address(),
        Account {
            balance: 1,
            nonce: 0,
        },
    );
    let empty_root = State::default().root();
    s.set(account(0).address(), Account::default());
    assert_eq!(s.root(), empty_root);
    assert!(s.is_empty());
}

#[test]
fn genesis_validation_and_identity() {
    let g = genesis(3);
    g.validate().unwrap();
    assert_eq!(g.network_id().len(), 8);
    let mut g2 = g.clone();
    g2.chain_id += 1;
    assert_ne!(g.hash(), g2.hash());
    assert_ne!(g.block().hash(), g2.block().hash());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("genesis.json");
    g.save(&p).unwrap();
    assert_eq!(Genesis::load(&p).unwrap(), g);

    let mut bad = g.clone();
    bad.slot_ms = 0;
    assert!(bad.validate().is_err());
    let mut bad = g.clone();
    bad.authorities.clear();
    assert!(bad.validate().is_err());
    let mut bad = g.clone();
    bad.alloc.push(bad.alloc[0].clone());
    assert!(bad.validate().is_err());
    let mut bad = g.clone();
    bad.limits.max_block_bytes = bad.limits.max_tx_bytes - 1;
    assert!(bad.validate().is_err(), "a block must fit one tx");

    // The consensus limits are part of the genesis: another limit is another network, and a
    // file written before they moved there loads with the defaults.
    let mut other = g.clone();
    other.limits.max_block_txs -= 1;
    assert_ne!(g.hash(), other.hash());
    let mut json: serde_json::Value = serde_json::to_value(&g).unwrap();
    json.as_object_mut().unwrap().remove("limits");
    std::fs::write(&p, json.to_string()).unwrap();
    assert_eq!(Genesis::load(&p).unwrap().limits, Limits::default());

    let mut bad = g;
    bad.authorities.push(bad.authorities[0]);
    assert!(bad.validate().is_err());
    std::fs::write(&p, "{\"chain_id\": 1}").unwrap();
    let err = Genesis::load(&p).unwrap_err().to_string();
    assert!(err.contains("genesis.json"), "{err}");
}
