//! The local-tx journal: txs accepted over this node's RPC are appended to
//! `<data_dir>/local-txs.journal` and made durable before `tx_submit` returns, so a kill -9 right
//! after the answer does not lose them (as geth's local-tx journal, but synchronous). On start
//! the node reloads the journal, resubmits every tx through the normal pipeline (already
//! included or stale ones are refused and dropped), publishes them again, and compacts the file
//! to the ones still pooled.
//!
//! # Invariants
//!
//! - **Group commit**: one writer thread owns the file. Appends queued while it writes are
//!   written together and made durable by one `sync_data`; every waiter is answered only after
//!   the sync that covers its record. A failed write or sync is reported to every waiter of
//!   that batch (the tx stays pooled and relayed, but `tx_submit` answers
//!   `storage_unavailable`), and the batch's bytes are cut off again (the file is truncated to
//!   its last durable length), so a full disk leaves no torn record for later appends to follow:
//!   once space returns ([`Journal::resume`], called by the recovery task of
//!   [`crate::storage`]) appends go on after the last whole record.
//! - A record is a 4-byte little-endian length and the tx's canonical bytes. A torn tail (a
//!   crash mid-write) or an undecodable record ends the load; everything before it is kept,
//!   and the file is cut back to it at open, so new appends are never stranded behind it.
//! - Compaction runs in the writer thread too (so no append is lost meanwhile): it keeps the
//!   records a filter accepts (the ones still pooled), writes them to a temporary file, syncs
//!   it and renames it over the journal.
//!
//! # Bounds
//!
//! - At most [`QUEUE`] appends wait for the writer; more wait in `append` (backpressure on RPC).
//! - A batch holds at most [`MAX_BATCH`] records.
//! - The file is compacted at start and whenever [`COMPACT_EVERY`] records were appended since
//!   the last compaction, so it holds at most that many records beyond the pooled local txs.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use rumor_chain::{Limits, SignedTransaction};
use tokio::sync::{mpsc, oneshot};

/// Appends waiting for the writer.
pub const QUEUE: usize = 1024;
/// Records written and synced together at most.
pub const MAX_BATCH: usize = 256;
/// Appends between compactions.
pub const COMPACT_EVERY: usize = 8192;

/// Keeps a journaled tx at compaction (true: still worth keeping).
pub type Keep = Box<dyn Fn(&SignedTransaction) -> bool + Send>;

enum Op {
    Append(Vec<u8>, oneshot::Sender<io::Result<()>>),
    Compact(oneshot::Sender<io::Result<usize>>),
    Resume(oneshot::Sender<io::Result<()>>),
}

/// The journal's cloneable front; the writer thread stops when every clone is dropped.
#[derive(Debug, Clone)]
pub struct Journal {
    ops: Option<mpsc::Sender<Op>>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("the journal writer has stopped")]
    Stopped,
}

impl JournalError {
    /// The I/O failure (what the store health reports), unless the writer is gone.
    pub fn failure(&self) -> Option<rumor_chain::IoFailure> {
        match self {
            JournalError::Io { source, .. } => Some(rumor_chain::IoFailure::from(source)),
            JournalError::Stopped => None,
        }
    }
}

impl Journal {
    /// No journal (tests, or a node that keeps nothing): appends succeed at once.
    pub fn disabled() -> Self {
        Self { ops: None }
    }

    /// Opens (creating) the journal at `path` and starts its writer, which compacts with
    /// `keep`. Returns the txs it held.
    pub fn open(
        path: &Path,
        limits: Limits,
        keep: Keep,
    ) -> Result<(Self, Vec<SignedTransaction>), JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_owned(),
            source,
        };
        let (txs, len) = load_prefix(path, &limits).map_err(io_err)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io_err)?;
        // A torn tail would strand every later append behind it: cut it off now.
        if file.metadata().map_err(io_err)?.len() != len {
            file.set_len(len).map_err(io_err)?;
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("tx-journal".into())
            .spawn(move || {
                Writer {
                    path,
                    file,
                    len,
                    torn: false,
                    limits,
                    keep,
                }
                .run(rx)
            })
            .map_err(io_err)?;
        Ok((Self { ops: Some(tx) }, txs))
    }

    /// Appends `tx` and returns once it is durable.
    pub async fn append(&self, tx: &SignedTransaction) -> Result<(), JournalError> {
        let Some(ops) = &self.ops else {
            return Ok(());
        };
        let (reply, done) = oneshot::channel();
        ops.send(Op::Append(tx.encode(), reply))
            .await
            .map_err(|_| JournalError::Stopped)?;
        done.await
            .map_err(|_| JournalError::Stopped)?
            .map_err(|source| JournalError::Io {
                path: PathBuf::from("(append)"),
                source,
            })
    }

    /// Cuts off whatever a failed append left and syncs: `Ok` once the journal is whole and
    /// durable again (the recovery task calls it after a failure, once space is back).
    pub async fn resume(&self) -> Result<(), JournalError> {
        let Some(ops) = &self.ops else {
            return Ok(());
        };
        let (reply, done) = oneshot::channel();
        ops.send(Op::Resume(reply))
            .await
            .map_err(|_| JournalError::Stopped)?;
        done.await
            .map_err(|_| JournalError::Stopped)?
            .map_err(|source| JournalError::Io {
                path: PathBuf::from("(resume)"),
                source,
            })
    }

    /// Rewrites the journal with the records its filter keeps; returns how many were kept.
    pub async fn compact(&self) -> Result<usize, JournalError> {
        let Some(ops) = &self.ops else {
            return Ok(0);
        };
        let (reply, done) = oneshot::channel();
        ops.send(Op::Compact(reply))
            .await
            .map_err(|_| JournalError::Stopped)?;
        done.await
            .map_err(|_| JournalError::Stopped)?
            .map_err(|source| JournalError::Io {
                path: PathBuf::from("(compact)"),
                source,
            })
    }
}

/// Reads every whole, decodable record; a missing file is an empty journal.
pub fn load(path: &Path, limits: &Limits) -> io::Result<Vec<SignedTransaction>> {
    load_prefix(path, limits).map(|(txs, _)| txs)
}

/// [`load`], and the length of the file's whole, decodable prefix.
fn load_prefix(path: &Path, limits: &Limits) -> io::Result<(Vec<SignedTransaction>, u64)> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let mut r = BufReader::new(file);
    let mut out = Vec::new();
    let mut good = 0u64;
    loop {
        let mut len = [0u8; 4];
        if r.read_exact(&mut len).is_err() {
            break;
        }
        let len = u32::from_le_bytes(len) as usize;
        if len > limits.max_tx_bytes {
            tracing::warn!(len, "journal record too large; ignoring the rest");
            break;
        }
        let mut buf = vec![0u8; len];
        if r.read_exact(&mut buf).is_err() {
            tracing::warn!("torn journal record at the end; ignoring it");
            break;
        }
        match SignedTransaction::decode(&buf, limits) {
            Ok(tx) => {
                out.push(tx);
                good += 4 + len as u64;
            }
            Err(e) => {
                tracing::warn!(error = %e, "undecodable journal record; ignoring the rest");
                break;
            }
        }
    }
    Ok((out, good))
}

fn record(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

struct Writer {
    path: PathBuf,
    file: File,
    /// The file's length after the last durable batch: everything past it is a failed write.
    len: u64,
    /// A failed write may have left bytes past `len` that could not be cut off yet.
    torn: bool,
    limits: Limits,
    keep: Keep,
}

impl Writer {
    fn run(mut self, mut ops: mpsc::Receiver<Op>) {
        let mut appended = 0usize;
        while let Some(op) = ops.blocking_recv() {
            let reply = match op {
                Op::Resume(reply) => {
                    let _ = reply.send(self.resume());
                    continue;
                }
                Op::Compact(reply) => reply,
                Op::Append(bytes, reply) => {
                    let mut buf = Vec::new();
                    record(&bytes, &mut buf);
                    let mut waiting = vec![reply];
                    // Group commit: take the appends queued meanwhile, up to a batch.
                    let (mut compact, mut resume) = (None, None);
                    while waiting.len() < MAX_BATCH {
                        match ops.try_recv() {
                            Ok(Op::Append(b, r)) => {
                                record(&b, &mut buf);
                                waiting.push(r);
                            }
                            Ok(Op::Compact(r)) => {
                                compact = Some(r);
                                break;
                            }
                            Ok(Op::Resume(r)) => {
                                resume = Some(r);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    let result = self.write_batch(&buf);
                    appended += waiting.len();
                    for w in waiting {
                        let r = match &result {
                            Ok(()) => Ok(()),
                            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
                        };
                        let _ = w.send(r);
                    }
                    if let Some(r) = resume {
                        let _ = r.send(self.resume());
                    }
                    match compact {
                        Some(r) => r,
                        None if appended >= COMPACT_EVERY => {
                            let (r, _) = oneshot::channel();
                            r
                        }
                        None => continue,
                    }
                }
            };
            let result = self.compact();
            if let Err(e) = &result {
                tracing::warn!(path = %self.path.display(), error = %e, "journal compaction failed");
            }
            let _ = reply.send(result);
            appended = 0;
        }
    }

    /// Appends `buf` and syncs it; on failure cuts the file back to its last durable length.
    fn write_batch(&mut self, buf: &[u8]) -> io::Result<()> {
        self.cut_back()?;
        let result = self
            .file
            .write_all(buf)
            .and_then(|()| self.file.sync_data());
        match &result {
            Ok(()) => self.len += buf.len() as u64,
            Err(_) => {
                self.torn = true;
                // Shrinking needs no space; if even that fails, the next write tries again.
                let _ = self.cut_back();
            }
        }
        result
    }

    /// Cuts off what a failed write left and syncs.
    fn resume(&mut self) -> io::Result<()> {
        self.cut_back()?;
        self.file.sync_data()
    }

    /// Drops what a failed write left past the last durable length.
    fn cut_back(&mut self) -> io::Result<()> {
        if self.torn {
            self.file.set_len(self.len)?;
            self.torn = false;
        }
        Ok(())
    }

    fn compact(&mut self) -> io::Result<usize> {
        let kept = self.rewrite();
        if kept.is_err() {
            // A half-written copy only takes space; the journal itself is untouched.
            let _ = std::fs::remove_file(self.path.with_extension("journal.tmp"));
        }
        kept
    }

    fn rewrite(&mut self) -> io::Result<usize> {
        self.cut_back()?;
        let kept: Vec<SignedTransaction> = load(&self.path, &self.limits)?
            .into_iter()
            .filter(|t| (self.keep)(t))
            .collect();
        let tmp = self.path.with_extension("journal.tmp");
        let mut buf = Vec::new();
        for t in &kept {
            record(&t.encode(), &mut buf);
        }
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&buf)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent()
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        self.len = buf.len() as u64;
        Ok(kept.len())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use rumor_chain::{Keypair, Transaction};

    use super::*;

    fn tx(nonce: u64) -> SignedTransaction {
        let key = Keypair::from_label("journal/test");
        Transaction {
            chain_id: 1,
            from: key.address(),
            to: key.address(),
            amount: 1,
            fee: 1,
            nonce,
        }
        .sign(&key)
    }

    fn keep_all() -> Keep {
        Box::new(|_| true)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn appends_are_durable_and_reload_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local-txs.journal");
        let (j, held) = Journal::open(&path, Limits::default(), keep_all()).unwrap();
        assert!(held.is_empty());
        // Concurrent appends share syncs (group commit); each returns once durable.
        let appends = (0..50u64).map(|n| {
            let j = j.clone();
            tokio::spawn(async move { j.append(&tx(n)).await })
        });
        for a in appends {
            a.await.unwrap().unwrap();
        }
        let mut loaded = load(&path, &Limits::default()).unwrap();
        loaded.sort_by_key(|t| t.tx.nonce);
        assert_eq!(loaded, (0..50).map(tx).collect::<Vec<_>>());
        drop(j);
        let (_j, held) = Journal::open(&path, Limits::default(), keep_all()).unwrap();
        assert_eq!(held.len(), 50);
    }

    #[test]
    fn a_torn_tail_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut buf = Vec::new();
        record(&tx(0).encode(), &mut buf);
        record(&tx(1).encode(), &mut buf);
        buf.truncate(buf.len() - 3);
        std::fs::write(&path, &buf).unwrap();
        assert_eq!(load(&path, &Limits::default()).unwrap(), vec![tx(0)]);
        // A length over the tx cap ends the load without allocating it.
        let mut bad = Vec::new();
        record(&tx(0).encode(), &mut bad);
        bad.extend_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, &bad).unwrap();
        assert_eq!(load(&path, &Limits::default()).unwrap(), vec![tx(0)]);
        assert!(
            load(&dir.path().join("missing"), &Limits::default())
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_torn_tail_is_cut_off_at_open_so_later_appends_are_not_stranded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local-txs.journal");
        let mut buf = Vec::new();
        record(&tx(0).encode(), &mut buf);
        record(&tx(1).encode(), &mut buf);
        buf.truncate(buf.len() - 3);
        std::fs::write(&path, &buf).unwrap();
        let (j, held) = Journal::open(&path, Limits::default(), keep_all()).unwrap();
        assert_eq!(held, vec![tx(0)]);
        j.append(&tx(2)).await.unwrap();
        j.resume().await.unwrap();
        assert_eq!(load(&path, &Limits::default()).unwrap(), vec![tx(0), tx(2)]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn compaction_keeps_what_the_filter_keeps_and_appends_continue() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local-txs.journal");
        let drop_odd = Arc::new(AtomicBool::new(false));
        let flag = drop_odd.clone();
        let keep: Keep = Box::new(move |t| !flag.load(Ordering::SeqCst) || t.tx.nonce % 2 == 0);
        let (j, _) = Journal::open(&path, Limits::default(), keep).unwrap();
        for n in 0..6 {
            j.append(&tx(n)).await.unwrap();
        }
        drop_odd.store(true, Ordering::SeqCst);
        assert_eq!(j.compact().await.unwrap(), 3);
        j.append(&tx(6)).await.unwrap();
        let nonces: Vec<u64> = load(&path, &Limits::default())
            .unwrap()
            .iter()
            .map(|t| t.tx.nonce)
            .collect();
        assert_eq!(nonces, vec![0, 2, 4, 6]);
    }

    #[tokio::test]
    async fn a_disabled_journal_accepts_everything() {
        let j = Journal::disabled();
        j.append(&tx(0)).await.unwrap();
        assert_eq!(j.compact().await.unwrap(), 0);
    }
}

#[cfg(test)]
mod node_tests {
    use rumor_chain::Keypair;
    use rumor_p2p::Topic;

    use super::*;
    use crate::testing::TestNet;
    use crate::txs::ingest::{restore, submit_local};

    fn journal_of(net: &TestNet, name: &str) -> Vec<SignedTransaction> {
        load(
            &rumor_api::DataDir::new(net.path(name)).tx_journal(),
            &Limits::default(),
        )
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_rpc_tx_is_journaled_before_submit_returns_and_restored_elsewhere() {
        let net = TestNet::new(1, 2);
        let key = Keypair::from_label("test/node-a");
        let a = net.node_with("a", key.clone(), |c| c.tx_journal = true);
        let tx = net.tx(0, 0, 5);
        submit_local(&a.ctx, &a.journal, &tx.encode())
            .await
            .unwrap();
        let journaled = journal_of(&net, "a");
        assert_eq!(journaled, vec![tx.clone()], "durable once submit returned");

        // A node that reloads it pools the tx through the pipeline and publishes it again.
        let b = net.node_with("b", key, |c| c.tx_journal = true);
        assert_eq!(restore(&b.ctx, &b.journal, journaled.clone()).await, 1);
        assert!(b.ledger().pool_contains(&tx.hash()));
        let published = b.net.calls(|c| c.published.clone());
        assert_eq!(published, vec![(Topic::Tx, tx.encode())]);
        // Restoring again finds it known; nothing is appended twice.
        assert_eq!(restore(&b.ctx, &b.journal, journaled).await, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn included_txs_are_not_restored_and_leave_the_journal() {
        let net = TestNet::new(1, 2);
        let key = Keypair::from_label("test/node-a");
        let a = net.node_with("a", key, |c| c.tx_journal = true);
        let (mined, waiting) = (net.tx(0, 0, 5), net.tx(1, 0, 5));
        for t in [&mined, &waiting] {
            submit_local(&a.ctx, &a.journal, &t.encode()).await.unwrap();
        }
        let mut remote = net.store("remote");
        let block = net.extend_with(&mut remote, 0, vec![mined.clone()]);
        a.ledger().import(net.check(block)).unwrap();
        // Compaction keeps only what is still pooled.
        assert_eq!(a.journal.compact().await.unwrap(), 1);
        assert_eq!(journal_of(&net, "a"), vec![waiting]);
        assert_eq!(
            restore(&a.ctx, &a.journal, vec![mined]).await,
            0,
            "stale now"
        );
    }
}
