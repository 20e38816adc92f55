//! Dispatches network events: gossip txs are batched for the verification pool, blocks and sync
//! requests get their own bounded tasks, peer status may start a catch-up.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use rumor_p2p::{NetworkEvent, Payload};
use tokio::sync::{Semaphore, mpsc};

use crate::blocks::{self, SlotCache};
use crate::context::Ctx;
use crate::ingest::{self, GossipTx};

/// Txs per verification batch: large enough to amortise hand-offs, small enough to keep the
/// first tx's latency low.
const MAX_BATCH: usize = 64;

pub async fn run(ctx: Arc<Ctx>, mut events: mpsc::Receiver<NetworkEvent>) {
    let slots: Arc<Mutex<SlotCache>> = Arc::new(blocks::slot_cache());
    // Bounds on concurrent work: tx batches in flight, blocks being imported, sync answers.
    let tx_batches = Arc::new(Semaphore::new(ctx.config.verify_threads.max(1) * 2));
    let block_tasks = Arc::new(Semaphore::new(8));
    let sync_tasks = Arc::new(Semaphore::new(8));
    let mut batch: Vec<GossipTx> = Vec::with_capacity(MAX_BATCH);
    loop {
        // Block for the first event, then drain what is already queued into the batch.
        let first = if batch.is_empty() {
            match events.recv().await {
                Some(e) => Some(e),
                None => break,
            }
        } else {
            events.try_recv().ok()
        };
        let Some(event) = first else {
            dispatch(&ctx, &tx_batches, &mut batch).await;
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
                if batch.len() >= MAX_BATCH {
                    dispatch(&ctx, &tx_batches, &mut batch).await;
                }
            }
            NetworkEvent::Gossip {
                id,
                from,
                payload: Payload::Block(block),
                received_at_us,
            } => {
                let permit = block_tasks
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("never closed");
                let (c, s) = (ctx.clone(), slots.clone());
                tokio::spawn(async move {
                    blocks::on_gossip_block(c, s, id, from, *block, received_at_us).await;
                    drop(permit);
                });
            }
            NetworkEvent::PeerStatus { peer, status } => {
                let mine = ctx.ledger.head().height;
                if status.head_height > mine {
                    tokio::spawn(blocks::catch_up(ctx.clone(), peer, status.head_height));
                }
            }
            NetworkEvent::SyncRequest {
                request, responder, ..
            } => match sync_tasks.clone().try_acquire_owned() {
                Ok(permit) => {
                    let c = ctx.clone();
                    tokio::spawn(async move {
                        blocks::serve_sync(c, request, responder).await;
                        drop(permit);
                    });
                }
                // Busy: dropping the responder answers "unavailable".
                Err(_) => drop(responder),
            },
            NetworkEvent::PeerConnected { peer, outbound } => {
                tracing::debug!(%peer, outbound, "peer connected");
            }
            NetworkEvent::PeerDisconnected { peer } => {
                tracing::debug!(%peer, "peer disconnected");
            }
        }
    }
}

/// Hands the batch to a validation task, waiting for a slot (so intake slows when verification
/// falls behind, and the bounded event channel pushes back on the network loop).
async fn dispatch(ctx: &Arc<Ctx>, slots: &Arc<Semaphore>, batch: &mut Vec<GossipTx>) {
    let permit = slots.clone().acquire_owned().await.expect("never closed");
    let c = ctx.clone();
    let b = std::mem::replace(batch, Vec::with_capacity(MAX_BATCH));
    tokio::spawn(async move {
        ingest::validate_gossip_batch(c, b).await;
        drop(permit);
    });
}
