//! Block sync: a late node catches up over `/rumor/sync/1`, and an orphan's parent is fetched.
//! The "node" side here is a minimal app over the real chain store: it answers sync requests
//! from its store and imports what it receives.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use rumor_chain::*;
use rumor_p2p::*;

const LATE: u64 = u64::MAX / 2;
const T: Duration = Duration::from_secs(60);

fn genesis() -> Genesis {
    Genesis::new(
        1,
        0,
        1000,
        vec![Keypair::from_label("auth").address()],
        &[],
        0,
    )
}

fn status_of(store: &ChainStore) -> Status {
    let (hash, head) = store.head();
    Status {
        genesis: genesis_status().genesis,
        head_height: head.height,
        head_hash: hash,
    }
}

fn produce(store: &mut ChainStore, n: usize) -> Vec<Block> {
    let key = Keypair::from_label("auth");
    let mut out = Vec::new();
    for _ in 0..n {
        let (_, head) = store.head();
        let head = head.clone();
        let p = produce_block(
            &head,
            store.state(),
            store.genesis(),
            &Limits::default(),
            head.slot + 1,
            &key,
            [],
        );
        store.import_block(p.block.clone(), LATE).unwrap();
        out.push(p.block);
    }
    out
}

/// Serves sync requests from `store` and imports gossip / catches up into it.
fn run_app(
    node: &TestNode,
    mut events: tokio::sync::mpsc::Receiver<NetworkEvent>,
    store: Arc<Mutex<ChainStore>>,
) {
    let handle = node.handle.clone();
    let syncing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            match ev {
                NetworkEvent::SyncRequest {
                    request, responder, ..
                } => {
                    let s = store.lock().unwrap();
                    let resp = match request {
                        SyncRequest::BlocksByRange { start, count } => SyncResponse::Blocks(
                            s.blocks_by_range(
                                start,
                                count.min(MAX_BLOCKS_PER_REQUEST),
                                MAX_RESPONSE_BYTES,
                            )
                            .unwrap(),
                        ),
                        SyncRequest::BlockByHash(h) => match s.block(&h).unwrap() {
                            Some(b) => SyncResponse::Blocks(vec![b]),
                            None => SyncResponse::Error("unknown block".into()),
                        },
                        SyncRequest::Status(_) => SyncResponse::Status(status_of(&s)),
                        SyncRequest::HeadersByLocator { locator, max } => {
                            match s.headers_after(&locator, max).unwrap() {
                                Some(h) => SyncResponse::Headers(h),
                                None => SyncResponse::Error("no common ancestor".into()),
                            }
                        }
                    };
                    responder.respond(resp);
                }
                NetworkEvent::PeerStatus { peer, status } => {
                    // Both sides send a status on connect, so one peer may report twice.
                    if syncing.swap(true, std::sync::atomic::Ordering::SeqCst) {
                        continue;
                    }
                    let syncing = syncing.clone();
                    let h = handle.clone();
                    let store = store.clone();
                    tokio::spawn(async move {
                        loop {
                            let mine = store.lock().unwrap().head().1.height;
                            if mine >= status.head_height {
                                break;
                            }
                            let resp = h
                                .sync(
                                    peer,
                                    SyncRequest::BlocksByRange {
                                        start: mine + 1,
                                        count: 64,
                                    },
                                )
                                .await
                                .unwrap();
                            let SyncResponse::Blocks(blocks) = resp else {
                                panic!("{resp:?}")
                            };
                            assert!(!blocks.is_empty());
                            let mut s = store.lock().unwrap();
                            for b in blocks {
                                match s.import_block(b, LATE) {
                                    Ok(_) | Err(ImportError::AlreadyKnown(_)) => {}
                                    Err(e) => panic!("{e}"),
                                }
                            }
                            h.set_status(status_of(&s));
                        }
                        syncing.store(false, std::sync::atomic::Ordering::SeqCst);
                    });
                }
                NetworkEvent::Gossip {
                    id,
                    from,
                    payload: Payload::Block(block),
                    ..
                } => {
                    let result = store.lock().unwrap().import_block((*block).clone(), LATE);
                    let verdict = match result {
                        Ok(_) => Validation::Accept,
                        Err(ImportError::UnknownParent(parent)) => {
                            // Fetch the orphan's parent from whoever sent it, then retry.
                            let resp = handle
                                .sync(from, SyncRequest::BlockByHash(parent))
                                .await
                                .unwrap();
                            let SyncResponse::Blocks(b) = resp else {
                                panic!("{resp:?}")
                            };
                            let mut s = store.lock().unwrap();
                            s.import_block(b[0].clone(), LATE).unwrap();
                            s.import_block(*block, LATE).unwrap();
                            Validation::Accept
                        }
                        Err(e) if e.is_bad_block() => Validation::Reject,
                        Err(_) => Validation::Ignore,
                    };
                    let _ = handle.report(id, from, Topic::Block, verdict).await;
                }
                _ => {}
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_node_catches_up_and_fetches_an_orphans_parent() {
    let dir = tempfile::tempdir().unwrap();
    let mut a_store = ChainStore::open(
        &dir.path().join("a.redb"),
        genesis(),
        ChainConfig::default(),
    )
    .unwrap();
    produce(&mut a_store, 100);
    let a_store = Arc::new(Mutex::new(a_store));
    let (a, a_events) = start_raw("sync-a", config(0, 4)).await;
    a.handle.set_status(status_of(&a_store.lock().unwrap()));
    run_app(&a, a_events, a_store.clone());

    let b_store = Arc::new(Mutex::new(
        ChainStore::open(
            &dir.path().join("b.redb"),
            genesis(),
            ChainConfig::default(),
        )
        .unwrap(),
    ));
    let mut cb = config(0, 4);
    cb.bootnodes = vec![a.addr.clone()];
    let (b, b_events) = start_raw("sync-b", cb).await;
    run_app(&b, b_events, b_store.clone());

    wait_for("b catches up to 100", T, || async {
        b_store.lock().unwrap().head().1.height == 100
    })
    .await;
    assert_eq!(
        b_store.lock().unwrap().head().0,
        a_store.lock().unwrap().head().0
    );

    // Two more blocks at a; only the second is gossiped, so b sees an orphan.
    wait_for_mesh_raw(&a).await;
    let blocks = produce(&mut a_store.lock().unwrap(), 2);
    let out = a
        .handle
        .publish(Topic::Block, rumor_p2p::encode_block(&blocks[1]))
        .await
        .unwrap();
    assert_eq!(out, PublishOutcome::Published);
    let want = blocks[1].hash();
    wait_for("b imports the orphan and its parent", T, || async {
        b_store.lock().unwrap().head().0 == want
    })
    .await;
}

async fn wait_for_mesh_raw(node: &TestNode) {
    wait_for("block mesh", T, || async {
        node.handle
            .peers()
            .await
            .unwrap()
            .iter()
            .any(|p| p.mesh_topics.contains(&Topic::Block))
    })
    .await;
}
