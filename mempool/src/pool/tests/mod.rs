//! The pool's unit tests, one file per concern, sharing the helpers below.

use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::TryRecvError;

use super::*;
use crate::error::TxReject;
use crate::test_util::{CHAIN_ID, TestState, addr, tx, tx_on};

fn pool_with(config: PoolConfig) -> Pool {
    Pool::new(CHAIN_ID, config)
}

fn pool() -> Pool {
    pool_with(PoolConfig::default())
}

fn rich(labels: &[&str]) -> TestState {
    let accounts: Vec<_> = labels.iter().map(|&l| (l, 1_000_000, 0)).collect();
    TestState::with(&accounts)
}

fn ins(p: &mut Pool, t: &VerifiedTx, s: &TestState) -> Result<InsertOutcome, InsertError> {
    let r = p.insert(t.clone(), Origin::External, s, Instant::now());
    p.check_invariants().unwrap();
    r
}

fn drain(rx: &mut broadcast::Receiver<TxHash>) -> Vec<TxHash> {
    let mut out = Vec::new();
    while let Ok(h) = rx.try_recv() {
        out.push(h);
    }
    out
}

mod best;
mod block;
mod evict;
mod insert;
mod report;
