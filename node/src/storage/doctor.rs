//! The recovery task: while a store is degraded it makes the attempts [`super::policy`] says
//! are due, off the async threads (probe write, reopen, journal truncation), and stops the node
//! when the policy gives up. See [`super`] for the bounds.
//!
//! Invariants: one attempt per store at a time (this one task makes them all); an attempt
//! never runs on an async thread; the task sleeps, without polling, while no store is degraded
//! (it wakes on the monitor's notification) and between attempts (until the next is due).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rumor_chain::IoFailure;
use rumor_p2p::{PeerId, Status};

use super::{Attempt, Store, Verdict};
use crate::context::Ctx;
use crate::txs::journal::Journal;

/// The probe written (then removed) before an attempt after "out of space": 1 MiB, half a
/// maximum-size block (2 MiB) and far above a block of ordinary size, so passing it means
/// space has really returned, not that a few pages were freed; it costs a few ms of writes
/// per attempt. A store that needs more fails again, and the backoff goes on from where it was.
pub const PROBE_BYTES: usize = 1 << 20;

/// Writes `PROBE_BYTES` to `path`, syncs it and removes it (whatever happened): `Ok` means the
/// file system takes writes again.
pub fn probe_space(path: &Path) -> io::Result<()> {
    let written = File::create(path).and_then(|mut f| {
        f.write_all(&vec![0u8; PROBE_BYTES])?;
        f.sync_data()
    });
    let removed = std::fs::remove_file(path);
    written?;
    match removed {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Runs until shutdown, or until the policy gives up (then raises `Ctx::fatal`). `journal` is
/// the local-tx journal (resumed when its store is back); `catch_up` starts a catch-up of the
/// head missed while the chain store was degraded, once it is back.
pub async fn run(ctx: Arc<Ctx>, journal: Journal, catch_up: impl Fn(PeerId, Status) + Send) {
    let storage = ctx.ledger.storage();
    loop {
        let next = storage.next_attempt();
        let wait = async {
            tokio::select! {
                () = storage.notified() => {}
                () = async {
                    match next {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
        };
        if ctx.tasks.unless_cancelled(wait).await.is_none() {
            return;
        }
        for store in storage.due(Instant::now()) {
            attempt(&ctx, &journal, &catch_up, store).await;
        }
        if let Some(reason) = ctx.fatal.get() {
            tracing::error!(%reason, "stopping the node: a store cannot be recovered");
            return;
        }
        if let Verdict::GiveUp(reason) = storage.verdict(Instant::now()) {
            tracing::error!(%reason, "stopping the node: a store cannot be recovered");
            ctx.fatal.raise(reason);
            return;
        }
    }
}

/// One attempt to bring `store` back.
async fn attempt(ctx: &Ctx, journal: &Journal, catch_up: &impl Fn(PeerId, Status), store: Store) {
    let storage = ctx.ledger.storage();
    let probe = storage
        .failure(store)
        .is_some_and(|f| f.out_of_space())
        .then(|| ctx.config.dir().space_probe());
    let interrupted = |e: crate::services::ledger::Interrupted| {
        Attempt::Retry(IoFailure {
            kind: io::ErrorKind::Interrupted,
            message: e.to_string(),
        })
    };
    let result = match store {
        Store::Chain => ctx
            .ledger
            .blocking(move |l| l.recover_chain(probe.as_deref()))
            .await
            .unwrap_or_else(|e| Err(interrupted(e))),
        Store::Journal => {
            let probed = match probe {
                Some(p) => match tokio::task::spawn_blocking(move || probe_space(&p)).await {
                    Ok(r) => r.map_err(|e| Attempt::Retry(IoFailure::from(&e))),
                    Err(e) => Err(interrupted(crate::services::ledger::Interrupted(
                        e.to_string(),
                    ))),
                },
                None => Ok(()),
            };
            match probed {
                Ok(()) => journal.resume().await.map_err(|e| match e.failure() {
                    Some(f) => Attempt::Retry(f),
                    None => Attempt::Fatal(format!("tx journal: {e}")),
                }),
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => {
            storage.attempt_succeeded(store);
            match store {
                // The journal is whole again and synced: nothing further to confirm.
                Store::Journal => storage.wrote(Store::Journal),
                Store::Chain => {
                    tracing::info!("chain store reopened; its next write confirms the recovery");
                    if let Some((peer, claim)) = ctx.missed.take() {
                        catch_up(peer, claim);
                    }
                }
            }
        }
        Err(Attempt::Retry(f)) => storage.attempt_failed(store, &f),
        Err(Attempt::Fatal(reason)) => ctx.fatal.raise(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("probe");
        probe_space(&path).unwrap();
        assert!(!path.exists());
        let missing = dir.path().join("no-such-dir/probe");
        assert_eq!(
            probe_space(&missing).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }
}
