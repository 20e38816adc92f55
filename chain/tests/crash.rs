//! Crash safety: a child process imports blocks (with periodic reorgs) in a loop and is killed
//! with SIGKILL at random moments; after every kill the store must open at a consistent head whose
//! state equals a replay of the canonical chain, and import must continue from there.
//!
//! The child is this same test binary, re-run with `RUMOR_CRASH_CHILD` set to the store path.

mod common;

use std::time::Duration;

use common::*;
use rand_xoshiro::SplitMix64;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rumor_chain::*;

const CHILD_ENV: &str = "RUMOR_CRASH_CHILD";
const KILLS: usize = 20;

fn open(path: &std::path::Path) -> ChainStore {
    ChainStore::open(path, genesis(8), ChainConfig::default()).unwrap()
}

/// Child mode: import forever. Every 4th step builds a two-block fork from the head's parent,
/// so some kills land in the middle of a reorg commit; most plain extensions use deferred
/// (non-fsynced) commits, so some kills land after commits that never reached the disk.
#[test]
fn crash_child_entry() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return; // Not a child: nothing to do.
    };
    let mut store = open(std::path::Path::new(&path));
    let mut step = 0u64;
    loop {
        step += 1;
        let (head_hash, head) = store.head();
        let head = head.clone();
        let txs = |state: &State| -> Vec<SignedTransaction> {
            (0..8)
                .map(|i| {
                    let a = account(i);
                    let nonce = state.get(&a.address()).nonce;
                    transfer(&a, account((i + 1) % 8).address(), 1 + step % 7, 1, nonce)
                })
                .collect()
        };
        if step.is_multiple_of(4) && head.height > 0 {
            let parent = store.header(&head.parent).unwrap().unwrap();
            let pstate = store.state_at(&head.parent).unwrap().unwrap();
            let f1 = block_on(
                store.genesis(),
                &parent,
                &pstate,
                head.slot + 1,
                txs(&pstate),
            );
            // f1 ties the head (and wins if its hash is lower); f2 overtakes for sure.
            let k1 = store.import_block(f1.clone(), LATE).unwrap().kind;
            let s1 = store.state_at(&f1.hash()).unwrap().unwrap();
            let f2 = block_on(store.genesis(), &f1.header, &s1, head.slot + 2, txs(&s1));
            let k2 = store.import_block(f2.clone(), LATE).unwrap().kind;
            assert!(
                matches!(k1, ImportKind::Reorg { .. }) || matches!(k2, ImportKind::Reorg { .. }),
                "fork from {head_hash:?} must reorg"
            );
            assert_eq!(store.head().0, f2.hash());
        } else {
            // Two of three extensions commit without their own fsync (as catch-up ranges do):
            // a kill may lose them, never the consistency of what reopens.
            let b = next_block(&store, txs(store.state()));
            let commit = if step.is_multiple_of(3) {
                Commit::Durable
            } else {
                Commit::Deferred
            };
            let checked = check_block(b, store.genesis(), &ChainConfig::default(), LATE).unwrap();
            store.import_with(checked, commit).unwrap();
        }
        println!("HEIGHT {}", store.head().1.height);
    }
}

#[test]
fn survives_sigkill_during_imports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    drop(open(&path));
    let exe = std::env::current_exe().unwrap();
    // Kill times vary from run to run: the generator is seeded from the clock.
    let mut rng = SplitMix64::seed_from_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    let mut last_height = 0;
    let mut advanced = 0;
    for kill in 0..KILLS {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "crash_child_entry",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait (bounded) until the child reports its first import, then kill at a random moment.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines() {
                match line {
                    Ok(l) if l.starts_with("HEIGHT") => {
                        let _ = tx.try_send(());
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let status = child.try_wait().unwrap();
            let _ = child.kill();
            panic!("child made no progress within 60 s (exit: {status:?})");
        }
        std::thread::sleep(Duration::from_millis(rng.next_u64() % 400));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let store = open(&path);
        assert_head_state_is_replay(&store);
        let h = store.head().1.height;
        if h > last_height {
            advanced += 1;
        }
        last_height = h;
        eprintln!("kill {kill}: head height {h}");
    }
    assert!(
        advanced >= KILLS / 2,
        "imports kept making progress ({advanced} of {KILLS})"
    );
}
