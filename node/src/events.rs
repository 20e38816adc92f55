//! Dispatches network events: gossip txs are batched for the verification pool, blocks and sync
//! requests get their own bounded tasks, peer status may start a catch-up, txsync requests are
//! answered from the pool and a new peer's pending txs are pulled (bounded tasks too).
//!
//! State: the gossip paths' own state is owned here and handed to the tasks — the block
//! pipeline's per-slot cache (equivocation) and the tx path's unpayable tally — as the block
//! pipeline ([`Blocks`]) owns its own.
//!
//! Invariants: this loop only selects and hands out work; every task it starts is tracked
//! ([`crate::services::tasks::Tasks`]) and bounded by a semaphore; a full set of block or batch
//! tasks slows intake (the bounded event channel then pushes back on the network loop), a busy sync
//! server answers "unavailable"; on shutdown it stops taking events at once, and the work
//! already handed out finishes.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use rumor_p2p::{NetworkEvent, Payload};
use tokio::sync::{Semaphore, mpsc};

use crate::blocks::{Blocks, SlotCache};
use crate::context::Ctx;
use crate::txs::ingest::{self, GossipTx};
use crate::txs::precheck::Tally;
use crate::txs::txsync;

/// Txs per verification batch: large enough to amortise hand-offs, small enough to keep the
/// first tx's latency low.
const MAX_BATCH: usize = 64;

/// Runs until the event channel closes or shutdown begins. The block pipeline gets the block
/// events; the gossip-tx path's state (the unpayable tally) is owned here, as the block
/// pipeline's per-slot cache is.
pub async fn run(blocks: Arc<Blocks>, mut events: mpsc::Receiver<NetworkEvent>) {
    let ctx = blocks.ctx.clone();
    let slots: Arc<Mutex<SlotCache>> = Arc::new(crate::blocks::slot_cache());
    let unpayable: Arc<Tally> = Arc::default();
    // Bounds on concurrent work: tx batches in flight, blocks being imported, sync answers.
    let tx_batches = Arc::new(Semaphore::new(ctx.config.verify_threads.max(1) * 2));
    let block_tasks = Arc::new(Semaphore::new(8));
    let sync_tasks = Arc::new(Semaphore::new(8));
    let txsync_tasks = Arc::new(Semaphore::new(8));
    let connect_pulls = Arc::new(Semaphore::new(txsync::CONNECT_PULLS));
    let mut batch: Vec<GossipTx> = Vec::with_capacity(MAX_BATCH);
    loop {
        // Block for the first event, then drain what is already queued into the batch.
        let first = if batch.is_empty() {
            match ctx.tasks.unless_cancelled(events.recv()).await {
                Some(Some(e)) => Some(e),
                // Closed, or shutting down.
                _ => break,
            }
        } else {
            events.try_recv().ok()
        };
        if ctx.tasks.is_cancelled() {
            break;
        }
        let Some(event) = first else {
            if !dispatch(&ctx, &unpayable, &tx_batches, &mut batch).await {
                break;
            }
            continue;
        };
        match event {
            NetworkEvent::Gossip {
                id,
                from,
                payload: Payload::Tx(tx),
                received_at_us,
            } => {
                batch.push(GossipTx {
                    id,
                    from,
                    tx,
                    received_at_us,
                    received: Instant::now(),
                });
                if batch.len() >= MAX_BATCH
                    && !dispatch(&ctx, &unpayable, &tx_batches, &mut batch).await
                {
                    break;
                }
            }
            NetworkEvent::Gossip {
                id,
                from,
                payload: payload @ (Payload::Block(_) | Payload::CompactBlock(_)),
                received_at_us,
            } => {
                let slot = ctx
                    .tasks
                    .unless_cancelled(block_tasks.clone().acquire_owned());
                let Some(permit) = slot.await else {
                    break;
                };
                let permit = permit.expect("never closed");
                let (b, s) = (blocks.clone(), slots.clone());
                ctx.tasks.spawn(async move {
                    match payload {
                        Payload::Block(block) => {
                            crate::blocks::on_gossip_block(b, s, id, from, *block, received_at_us)
                                .await
                        }
                        Payload::CompactBlock(compact) => {
                            crate::blocks::on_gossip_compact(b, s, id, from, *compact).await
                        }
                        Payload::Tx(_) => unreachable!("matched blocks only"),
                    }
                    drop(permit);
                });
            }
            NetworkEvent::BlockSeenAgain { from, header } => {
                crate::blocks::on_block_seen_again(&ctx, from, &header).await;
            }
            NetworkEvent::BlockTxnRequest {
                request, responder, ..
            } => match sync_tasks.clone().try_acquire_owned() {
                Ok(permit) => {
                    let b = blocks.clone();
                    ctx.tasks.spawn(async move {
                        crate::blocks::serve_block_txn(b, request, responder).await;
                        drop(permit);
                    });
                }
                // Busy: dropping the responder answers "unavailable".
                Err(_) => drop(responder),
            },
            NetworkEvent::PeerStatus { peer, status } => {
                let head = ctx.ledger.head();
                if crate::blocks::claims_better(&status, (head.height, head.hash)) {
                    let b = blocks.clone();
                    ctx.tasks.spawn(async move {
                        crate::blocks::catch_up(b, peer, status).await;
                    });
                }
            }
            NetworkEvent::SyncRequest {
                request, responder, ..
            } => match sync_tasks.clone().try_acquire_owned() {
                Ok(permit) => {
                    let ledger = ctx.ledger.clone();
                    ctx.tasks.spawn(async move {
                        crate::blocks::serve_sync(ledger, request, responder).await;
                        drop(permit);
                    });
                }
                // Busy: dropping the responder answers "unavailable".
                Err(_) => drop(responder),
            },
            NetworkEvent::TxSyncRequest {
                request, responder, ..
            } => match txsync_tasks.clone().try_acquire_owned() {
                Ok(permit) => {
                    let ledger = ctx.ledger.clone();
                    ctx.tasks.spawn(async move {
                        txsync::serve(ledger, request, responder).await;
                        drop(permit);
                    });
                }
                // Busy: dropping the responder answers "unavailable".
                Err(_) => drop(responder),
            },
            NetworkEvent::PeerConnected { peer, outbound } => {
                tracing::debug!(%peer, outbound, "peer connected");
                // Anti-entropy on connect: pull the newcomer's pending txs (skipped when
                // enough pulls already run; the periodic round catches up).
                if let Ok(permit) = connect_pulls.clone().try_acquire_owned() {
                    let c = ctx.clone();
                    ctx.tasks.spawn(async move {
                        // Shutdown cuts a pull short (it may wait on slow peers).
                        let pulled = c.tasks.unless_cancelled(txsync::pull(&c, peer)).await;
                        if let Some(Err(e)) = pulled {
                            tracing::debug!(%peer, error = %e, "txsync pull on connect failed");
                        }
                        drop(permit);
                    });
                }
            }
            NetworkEvent::PeerDisconnected { peer } => {
                tracing::debug!(%peer, "peer disconnected");
            }
        }
    }
}

/// Hands the batch to a validation task, waiting for a slot (so intake slows when verification
/// falls behind, and the bounded event channel pushes back on the network loop). False if
/// shutdown began while waiting (the batch is dropped unjudged).
async fn dispatch(
    ctx: &Arc<Ctx>,
    unpayable: &Arc<Tally>,
    slots: &Arc<Semaphore>,
    batch: &mut Vec<GossipTx>,
) -> bool {
    let Some(permit) = ctx
        .tasks
        .unless_cancelled(slots.clone().acquire_owned())
        .await
    else {
        return false;
    };
    let permit = permit.expect("never closed");
    let (c, u) = (ctx.clone(), unpayable.clone());
    let b = std::mem::replace(batch, Vec::with_capacity(MAX_BATCH));
    ctx.tasks.spawn(async move {
        ingest::validate_gossip_batch(c, u, b).await;
        drop(permit);
    });
    true
}

#[cfg(test)]
mod tests {
    use rumor_p2p::{Status, Validation};

    use super::*;
    use crate::services::port::status_of;
    use crate::testing::{TestNet, WAIT, head_until, peer, within};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn gossip_txs_are_batched_and_every_one_gets_a_verdict() {
        let net = TestNet::new(1, 4);
        let node = net.node("a");
        let (tx, rx) = mpsc::channel(64);
        let mut ids = Vec::new();
        for a in 0..4 {
            for nonce in 0..5 {
                let t = net.tx(a, nonce, 5);
                ids.push(t.hash().0);
                let event = NetworkEvent::Gossip {
                    id: t.hash().0,
                    from: peer(a as u8),
                    payload: Payload::Tx(t),
                    received_at_us: 0,
                };
                tx.send(event).await.unwrap();
            }
        }
        drop(tx);
        within(
            "the dispatcher drains its channel",
            run(node.blocks.clone(), rx),
        )
        .await;
        node.net
            .wait_until("20 verdicts", |c| c.reports.len() == 20)
            .await;
        node.net.calls(|c| {
            for id in &ids {
                assert_eq!(c.verdict(id), Some(Validation::Accept));
            }
        });
        assert_eq!(node.ledger().pool_status().pending, 20);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn blocks_are_imported_and_a_peer_ahead_starts_a_catch_up() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let (remote, chain) = net.remote("remote", 5);
        node.net.serve_from(remote.clone());
        let (tx, rx) = mpsc::channel(8);
        let dispatcher = tokio::spawn(run(node.blocks.clone(), rx));
        let first = chain[0].clone();
        tx.send(NetworkEvent::Gossip {
            id: first.hash().0,
            from: peer(1),
            payload: Payload::Block(Box::new(first.clone())),
            received_at_us: 0,
        })
        .await
        .unwrap();
        head_until(node.ledger(), "the gossiped block", |h| {
            h.hash == first.hash()
        })
        .await;

        let status: Status = status_of(&remote.head());
        tx.send(NetworkEvent::PeerStatus {
            peer: peer(2),
            status,
        })
        .await
        .unwrap();
        head_until(node.ledger(), "caught up", |h| h.height == 5).await;
        assert_eq!(node.ledger().head().hash, chain[4].hash());
        drop(tx);
        within("the dispatcher ends", dispatcher).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_stops_intake_and_lets_an_import_in_flight_commit() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let mut remote = net.store("remote");
        let block = net.extend_with(&mut remote, 0, vec![net.tx(0, 0, 5)]);
        node.net.hold_reports();
        let (tx, rx) = mpsc::channel(8);
        node.ctx.tasks.spawn(run(node.blocks.clone(), rx));
        tx.send(NetworkEvent::Gossip {
            id: block.hash().0,
            from: peer(1),
            payload: Payload::Block(Box::new(block.clone())),
            received_at_us: 0,
        })
        .await
        .unwrap();
        // The block task has checked the header and waits to report its verdict.
        node.net
            .wait_until("the block task in flight", |c| c.held == 1)
            .await;
        let tasks = node.ctx.tasks.clone();
        let shutdown = tokio::spawn(async move { tasks.shutdown(WAIT).await });
        // Intake stops at once: the dispatcher drops its end of the channel.
        within("the dispatcher to stop", tx.closed()).await;
        assert!(!shutdown.is_finished(), "the block task is still running");
        assert_eq!(node.ledger().head().height, 0);
        node.net.release_reports();
        within("the drain", shutdown).await.unwrap().unwrap();
        assert_eq!(
            node.ledger().head().hash,
            block.hash(),
            "the import committed"
        );
        assert!(node.ctx.tasks.is_empty());
        let verdict = node.net.calls(|c| c.verdict(&block.hash().0));
        assert_eq!(verdict, Some(Validation::Accept));
    }
}
