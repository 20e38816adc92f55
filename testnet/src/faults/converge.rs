//! The checks that prove convergence on a live testnet: one head everywhere, and no accepted tx
//! lost. Both poll until the condition holds or a bound passes; neither ever sleeps blind.
//!
//! "Lost" (the convergence issue's definition): a tx whose `tx_submit` returned its hash on any
//! node, and that is neither in the final chain nor in the pool of *every* live node. Each live
//! node is checked against its own canonical chain (walked by height) and its own pool.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

pub use rumor_report::records::faults::LostCheck;
use tokio::task::JoinSet;

use crate::observe::rpc::{Head, Rpc};

const POLL: Duration = Duration::from_millis(100);
/// Sample of lost hashes kept for the report.
const LOST_SAMPLE: usize = 10;

/// Heads of `nodes` (those that answered), read concurrently.
pub async fn heads(rpcs: &[Rpc], nodes: &[usize]) -> BTreeMap<usize, Head> {
    let mut calls = JoinSet::new();
    for &i in nodes {
        let rpc = rpcs[i].clone();
        calls.spawn(async move { (i, rpc.chain_head().await) });
    }
    let mut out = BTreeMap::new();
    while let Some(done) = calls.join_next().await {
        if let Ok((i, Ok(h))) = done {
            out.insert(i, h);
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneHead {
    /// Every node answered with the same head at this moment.
    At(Instant),
    /// Not within the bound; this many distinct heads (or unanswered nodes) at the last poll.
    Never(usize),
}

/// Polls the heads of `nodes` until all answer with the same block.
pub async fn one_head(rpcs: &[Rpc], nodes: &[usize], timeout: Duration) -> OneHead {
    let deadline = Instant::now() + timeout;
    loop {
        let h = heads(rpcs, nodes).await;
        let distinct: HashSet<_> = h.values().map(|h| h.hash).collect();
        if h.len() == nodes.len() && distinct.len() <= 1 {
            return OneHead::At(Instant::now());
        }
        if Instant::now() >= deadline {
            return OneHead::Never(distinct.len() + nodes.len() - h.len());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One node's canonical chain as read: block hashes (index = height − 1) and each block's tx
/// hashes.
#[derive(Debug, Clone, Default)]
struct Chain {
    blocks: Vec<(String, Vec<String>)>,
}

impl Chain {
    fn txs(&self) -> impl Iterator<Item = &String> {
        self.blocks.iter().flat_map(|(_, txs)| txs)
    }
}

fn norm(h: &str) -> String {
    h.trim_start_matches("0x").to_ascii_lowercase()
}

/// What one node holds: its pool, then the head read after it (a tx moving from pool to
/// block in between is then still found in the chain up to that head).
async fn pool_and_head(rpc: &Rpc) -> Option<(HashSet<String>, (u64, String))> {
    let have: HashSet<String> = rpc.pooled_hashes().await.ok()?.into_iter().collect();
    let head = rpc.chain_head().await.ok()?;
    Some((have, (head.height, head.hash.to_string())))
}

/// The canonical chain up to `key`, read from `rpc` (a node on that head): from the head
/// down, until a block some chain already read holds at that height (one hash at one height
/// means one history below it), whose blocks are then reused. Nodes a few blocks apart cost a
/// few reads each, not a walk from genesis each (with 1 000 nodes on dozens of heads hundreds
/// of blocks high, that was tens of thousands of reads one after another).
async fn walk(
    rpc: &Rpc,
    key: &(u64, String),
    known: &HashMap<(u64, String), Chain>,
) -> Option<Chain> {
    if known.is_empty() {
        // The first chain: every height at once (one by one on a saturated machine, ~0.3 s
        // an answer, a 600-block chain took minutes).
        use futures::StreamExt;
        let blocks: Vec<_> = futures::stream::iter(1..=key.0)
            .map(|h| rpc.canonical_block(h))
            .buffered(crate::observe::collect::CONCURRENT)
            .collect()
            .await;
        let blocks: Option<Vec<_>> = blocks.into_iter().map(|b| b.ok().flatten()).collect();
        return Some(Chain { blocks: blocks? });
    }
    let mut suffix = Vec::new();
    let mut prefix: &[(String, Vec<String>)] = &[];
    for height in (1..=key.0).rev() {
        let (hash, txs) = rpc.canonical_block(height).await.ok()??;
        let at = height as usize - 1;
        if let Some(c) = known
            .values()
            .find(|c| c.blocks.get(at).is_some_and(|(h, _)| *h == hash))
        {
            prefix = &c.blocks[..=at];
            break;
        }
        suffix.push((hash, txs));
    }
    let mut blocks = prefix.to_vec();
    blocks.extend(suffix.into_iter().rev());
    Some(Chain { blocks })
}

/// Every node's pool and head, [`crate::observe::collect::CONCURRENT`] nodes at a time, in `live`'s
/// order (one at a time, 1 000 saturated nodes took many minutes).
async fn pools_and_heads(
    rpcs: &[Rpc],
    live: &[usize],
) -> Vec<Option<(HashSet<String>, (u64, String))>> {
    use futures::StreamExt;
    futures::stream::iter(live)
        .map(|&i| pool_and_head(&rpcs[i]))
        .buffered(crate::observe::collect::CONCURRENT)
        .collect()
        .await
}

/// Checks every accepted tx against every live node, polling until none is missing or
/// `timeout` passes.
pub async fn lost_txs(
    rpcs: &[Rpc],
    live: &[usize],
    accepted: &[String],
    timeout: Duration,
) -> LostCheck {
    let accepted: Vec<String> = accepted.iter().map(|h| norm(h)).collect();
    let start = Instant::now();
    // Chains by (height, head hash): nodes on one head share one walk.
    let mut chains = HashMap::new();
    loop {
        let mut missing: HashSet<&String> = HashSet::new();
        let mut unreadable = Vec::new();
        let mut first_chain = None;
        let read = pools_and_heads(rpcs, live).await;
        for (&i, held) in live.iter().zip(read) {
            // Chains by head: nodes on one head share one walk.
            let held = match held {
                Some((have, key)) if !chains.contains_key(&key) => {
                    match walk(&rpcs[i], &key, &chains).await {
                        Some(chain) => {
                            chains.insert(key.clone(), chain);
                            Some((have, key))
                        }
                        None => None,
                    }
                }
                other => other,
            };
            match held {
                Some((mut have, key)) => {
                    have.extend(chains[&key].txs().cloned());
                    first_chain.get_or_insert(key);
                    missing.extend(accepted.iter().filter(|h| !have.contains(*h)));
                }
                None => {
                    unreadable.push(i);
                    missing.extend(accepted.iter());
                }
            }
        }
        if missing.is_empty() || start.elapsed() >= timeout {
            let mut sample: Vec<String> = missing.iter().map(|h| (*h).clone()).collect();
            sample.sort();
            sample.truncate(LOST_SAMPLE);
            return LostCheck {
                accepted: accepted.len(),
                lost: missing.len(),
                sample,
                waited_ms: start.elapsed().as_millis() as u64,
                unreadable,
                canonical_blocks: first_chain
                    .and_then(|k| chains.remove(&k))
                    .map(|c| c.blocks.into_iter().map(|(hash, _)| hash).collect())
                    .unwrap_or_default(),
            };
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
