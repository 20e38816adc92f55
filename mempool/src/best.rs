//! Choosing a block's txs: highest fee first, each sender's nonces in order.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use rumor_chain::{Address, VerifiedTx};

use crate::pooled::PooledTx;
use crate::sender::SenderTxs;

/// A sender's next executable tx. Max-heap order: highest fee, then local, then oldest.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Head {
    fee: u64,
    origin_rank: u8,
    oldest_first: Reverse<u64>,
    sender: Address,
    nonce: u64,
}

impl Head {
    fn of(sender: Address, nonce: u64, tx: &PooledTx) -> Self {
        Self {
            fee: tx.fee(),
            origin_rank: tx.origin.rank(),
            oldest_first: Reverse(tx.seq),
            sender,
            nonce,
        }
    }
}

/// Pending txs in inclusion order, up to `max_count` txs and `max_bytes` encoded bytes.
///
/// A heap holds only each sender's lowest not-yet-chosen pending nonce, so a sender's `n + 1`
/// can never come before its `n`; a sender whose next tx does not fit the byte budget is
/// dropped entirely for the same reason. Cost: O(senders + max_count · log senders).
pub(crate) fn best_transactions(
    senders: &HashMap<Address, SenderTxs>,
    pending: usize,
    max_count: usize,
    max_bytes: usize,
) -> Vec<VerifiedTx> {
    let mut heap: BinaryHeap<Head> = senders
        .iter()
        .filter(|(_, s)| s.pending > 0)
        .filter_map(|(addr, s)| {
            let nonce = s.account.nonce;
            s.txs.get(&nonce).map(|t| Head::of(*addr, nonce, t))
        })
        .collect();
    let mut out = Vec::with_capacity(max_count.min(pending));
    let mut bytes = 0usize;
    while out.len() < max_count {
        let Some(head) = heap.pop() else { break };
        let s = &senders[&head.sender];
        let tx = &s.txs[&head.nonce].tx;
        let size = tx.encoded_len();
        if bytes.saturating_add(size) > max_bytes {
            continue;
        }
        bytes += size;
        out.push(tx.clone());
        if let Some(next) = head.nonce.checked_add(1).filter(|&n| s.is_pending(n)) {
            heap.push(Head::of(head.sender, next, &s.txs[&next]));
        }
    }
    out
}
