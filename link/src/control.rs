//! The node's link-fault registry: faults set per peer by a controller (the node's `fault_*`
//! RPC), and the per-connection gates through which each connection's streams consult them.
//!
//! A connection's gate learns whose it is either at once (the dialer knows the peer id it
//! dials) or after the security handshake, when the transport calls [`LinkFaults::attach`]
//! with the socket addresses of the connection it just authenticated. Until then the gate is
//! open: on the listening side a handshake is never held back by a fault (a fault set on the
//! dialing side holds it from the first byte).
//!
//! Invariants:
//! - The no-fault path costs two atomic loads per poll ([`ConnGate::is_clear`]), plus one
//!   waker registration when the socket leaves a call pending; every lock is taken only once
//!   a fault is set for the connection's peer. Measured (`cargo run --release -p rumor-link
//!   --example gate_cost`, loopback, busy 2-core machine): within −2%..+5% of a raw socket in
//!   bulk throughput and 200-byte round trips, i.e. within the machine's noise.
//! - A change (set, clear) wakes every poller that is held back by the peer's faults, so a
//!   heal is seen at once; scheduled changes (a flap's edges, an end) are met by the
//!   poller's own timer ([`super::fault::PeerFaults::next_change`]).
//! - Bounded: at most [`MAX_FAULTED_PEERS`] peers carry faults (more is an error); peer cells
//!   otherwise exist only while a connection holds them; at most [`MAX_PENDING`] connections
//!   wait to learn their peer (more stay unattached, i.e. never faulted, and are counted).
//! - Lock order: the peer map, then one peer cell; a poller takes only its cell.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use std::future::Future as _;

use futures::task::AtomicWaker;
use tokio::time::{Instant, Sleep};

use super::fault::{FaultError, FaultKind, LinkFault, PeerFaults, Way, loss_penalty};
use super::rng::SplitMix64;

/// Peers that may carry faults at once: the RPC's own cap on peer ids per call
/// (`rumor_api::rpc::MAX_FAULT_PEERS`), so one call can fault a whole testnet of that size.
pub const MAX_FAULTED_PEERS: usize = 4096;

/// Connections waiting for their handshake to name their peer. The swarm's own cap on
/// pending connections (16 each way by default) keeps this far lower; the bound is for a
/// transport used without it.
pub const MAX_PENDING: usize = 4096;

/// Peer cells are pruned (those with no fault and no connection dropped) once the map holds
/// this many: well above a node's connection cap, so pruning is rare.
const PRUNE_AT: usize = 1024;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing under these locks can leave the state half-updated.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The registry; cheap to clone (all clones share it).
#[derive(Debug, Clone, Default)]
pub struct LinkFaults {
    inner: Arc<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    peers: Mutex<HashMap<String, Arc<PeerCell>>>,
    pending: Mutex<HashMap<(SocketAddr, SocketAddr), Weak<ConnShared>>>,
    /// Connections that never learned their peer (pending map full, or no addresses).
    unattached: AtomicU64,
}

#[derive(Debug, Default)]
struct PeerCell {
    /// Some fault is set (it may have ended since: the slow path prunes and resets this).
    active: AtomicBool,
    state: Mutex<CellState>,
}

#[derive(Debug, Default)]
struct CellState {
    faults: PeerFaults,
    conns: Vec<Weak<ConnShared>>,
}

/// Who polls a connection's gate: its stream's reader and writer, and an emulated stream's
/// writer task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Read = 0,
    Write = 1,
    Drain = 2,
}

#[derive(Debug, Default)]
struct ConnShared {
    cell: OnceLock<Arc<PeerCell>>,
    /// Sticky: once reset, every read and write fails.
    reset: AtomicBool,
    wakers: [AtomicWaker; 3],
}

impl ConnShared {
    fn wake_all(&self) {
        for w in &self.wakers {
            w.wake();
        }
    }
}

/// What a gate says about one direction now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Check {
    Open {
        loss: f64,
    },
    /// Held back; re-check no later than `until` (`None`: only a change reopens it).
    Closed {
        until: Option<Instant>,
    },
    Reset,
}

/// One connection's handle on the registry.
#[derive(Debug, Clone)]
pub struct ConnGate(Arc<ConnShared>);

impl ConnGate {
    /// Whether this connection knows its peer (faults can reach it).
    pub fn is_attached(&self) -> bool {
        self.0.cell.get().is_some()
    }

    /// Nothing can hold this connection back right now: two atomic loads.
    pub(crate) fn is_clear(&self) -> bool {
        !self.0.reset.load(Ordering::Acquire)
            && self
                .0
                .cell
                .get()
                .is_none_or(|c| !c.active.load(Ordering::Acquire))
    }

    pub(crate) fn check(&self, way: Way, now: Instant) -> Check {
        const OPEN: Check = Check::Open { loss: 0.0 };
        if self.0.reset.load(Ordering::Acquire) {
            return Check::Reset;
        }
        let Some(cell) = self.0.cell.get() else {
            return OPEN;
        };
        if !cell.active.load(Ordering::Acquire) {
            return OPEN;
        }
        let mut st = lock(&cell.state);
        st.faults.prune(now);
        if st.faults.is_empty() {
            cell.active.store(false, Ordering::Release);
            return OPEN;
        }
        let s = st.faults.state(way, now);
        if s.refuse {
            self.0.reset.store(true, Ordering::Release);
            return Check::Reset;
        }
        if !s.open {
            return Check::Closed {
                until: st.faults.next_change(now),
            };
        }
        Check::Open { loss: s.loss }
    }

    /// The loss share of `way` now (0 when open without loss, closed or reset: a stall and a
    /// reset are someone else's to apply).
    pub(crate) fn loss(&self, way: Way, now: Instant) -> f64 {
        if self.is_clear() {
            return 0.0;
        }
        match self.check(way, now) {
            Check::Open { loss } => loss,
            _ => 0.0,
        }
    }

    pub(crate) fn is_reset(&self) -> bool {
        self.0.reset.load(Ordering::Acquire)
    }

    pub(crate) fn register(&self, slot: Slot, cx: &Context<'_>) {
        self.0.wakers[slot as usize].register(cx.waker());
    }
}

/// The connection has been reset by a fault.
pub(crate) fn reset_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "link emulation: connection reset by a link fault",
    )
}

/// Least retransmission timeout (Linux's `TCP_RTO_MIN`): a lost chunk waits at least this.
pub const RTO_MIN: Duration = Duration::from_millis(200);

/// One direction of a connection, as its poller sees it: waits while the direction is closed,
/// fails once the connection is reset, and (when it applies loss) holds a lost chunk back by
/// its retransmission delay.
#[derive(Debug)]
pub(crate) struct WayGate {
    gate: ConnGate,
    way: Way,
    slot: Slot,
    /// The retransmission timeout, when this poller applies loss (a plain stream does; an
    /// emulated one adds loss to its release times instead).
    rto: Option<Duration>,
    rng: SplitMix64,
    timer: Option<Pin<Box<Sleep>>>,
    /// A lost chunk waits until then.
    hold: Option<Instant>,
    /// The chunk now passing has had its loss drawn.
    drawn: bool,
}

impl WayGate {
    pub(crate) fn new(
        gate: ConnGate,
        way: Way,
        slot: Slot,
        rto: Option<Duration>,
        seed: u64,
    ) -> Self {
        Self {
            gate,
            way,
            slot,
            rto,
            rng: SplitMix64::new(seed),
            timer: None,
            hold: None,
            drawn: false,
        }
    }

    /// Nothing holds this direction back and no lost chunk is waiting.
    pub(crate) fn is_clear(&self) -> bool {
        self.hold.is_none() && self.gate.is_clear()
    }

    /// Ready once the next chunk may pass; `Err` once the connection is reset.
    pub(crate) fn poll_pass(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let now = Instant::now();
            if let Some(until) = self.hold {
                if now < until {
                    if self.sleep(until, cx).is_pending() {
                        return Poll::Pending;
                    }
                    continue;
                }
                self.hold = None;
            }
            match self.gate.check(self.way, now) {
                Check::Reset => return Poll::Ready(Err(reset_error())),
                Check::Closed { until } => {
                    self.gate.register(self.slot, cx);
                    // A change between the check and the registration must not be missed.
                    if !matches!(self.gate.check(self.way, now), Check::Closed { .. }) {
                        continue;
                    }
                    match until {
                        Some(t) if self.sleep(t, cx).is_ready() => continue,
                        _ => return Poll::Pending,
                    }
                }
                Check::Open { loss } => {
                    if let Some(rto) = self.rto.filter(|_| loss > 0.0 && !self.drawn) {
                        self.drawn = true;
                        let penalty = loss_penalty(&mut self.rng, loss, rto);
                        if !penalty.is_zero() {
                            self.hold = Some(now + penalty);
                            continue;
                        }
                    }
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }

    /// Whether a fault holds this direction back now (closed, or a lost chunk waiting).
    pub(crate) fn held_back(&self, now: Instant) -> bool {
        self.hold.is_some_and(|t| now < t)
            || matches!(self.gate.check(self.way, now), Check::Closed { .. })
    }

    /// Waits on the gate's changes without being held by it (a poller idle for another
    /// reason, which a reset must still reach).
    pub(crate) fn register_idle(&self, cx: &Context<'_>) {
        self.gate.register(self.slot, cx);
    }

    pub(crate) fn is_reset(&self) -> bool {
        self.gate.is_reset()
    }

    /// The chunk the last pass let through has gone: the next one draws its own loss.
    pub(crate) fn passed(&mut self) {
        self.drawn = false;
    }

    fn sleep(&mut self, until: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(until)));
        timer.as_mut().reset(until);
        timer.as_mut().poll(cx)
    }
}

impl LinkFaults {
    pub fn new() -> Self {
        Self::default()
    }

    /// A gate for a new connection: attached to `peer` at once when it is known (the dialer),
    /// else waiting under its socket addresses for [`LinkFaults::attach`].
    pub fn gate(
        &self,
        peer: Option<&str>,
        local: Option<SocketAddr>,
        remote: Option<SocketAddr>,
    ) -> ConnGate {
        let conn = Arc::new(ConnShared::default());
        match (peer, local, remote) {
            (Some(p), _, _) => self.attach_conn(&conn, p),
            (None, Some(l), Some(r)) => {
                let mut pending = lock(&self.inner.pending);
                if pending.len() >= MAX_PENDING / 2 {
                    pending.retain(|_, w| w.strong_count() > 0);
                }
                if pending.len() < MAX_PENDING {
                    pending.insert((l, r), Arc::downgrade(&conn));
                } else {
                    self.inner.unattached.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {
                self.inner.unattached.fetch_add(1, Ordering::Relaxed);
            }
        }
        ConnGate(conn)
    }

    /// After a handshake: the connection between `local` and `remote` is `peer`'s. Without
    /// `local` (a dialer's address names only the remote), every waiting connection to
    /// `remote` is. Returns how many connections were attached.
    pub fn attach(&self, local: Option<SocketAddr>, remote: SocketAddr, peer: &str) -> usize {
        let conns: Vec<Arc<ConnShared>> = {
            let mut pending = lock(&self.inner.pending);
            let keys: Vec<(SocketAddr, SocketAddr)> = match local {
                Some(l) => vec![(l, remote)],
                None => pending
                    .keys()
                    .filter(|(_, r)| *r == remote)
                    .copied()
                    .collect(),
            };
            keys.iter()
                .filter_map(|k| pending.remove(k)?.upgrade())
                .collect()
        };
        for c in &conns {
            self.attach_conn(c, peer);
        }
        conns.len()
    }

    fn attach_conn(&self, conn: &Arc<ConnShared>, peer: &str) {
        let cell = self.cell(peer);
        let mut st = lock(&cell.state);
        if conn.cell.set(Arc::clone(&cell)).is_err() {
            return;
        }
        st.conns.retain(|w| w.strong_count() > 0);
        st.conns.push(Arc::downgrade(conn));
    }

    fn cell(&self, peer: &str) -> Arc<PeerCell> {
        let mut peers = lock(&self.inner.peers);
        if let Some(c) = peers.get(peer) {
            return Arc::clone(c);
        }
        if peers.len() >= PRUNE_AT {
            peers.retain(|_, c| Arc::strong_count(c) > 1 || !lock(&c.state).faults.is_empty());
        }
        let c = Arc::new(PeerCell::default());
        peers.insert(peer.to_owned(), Arc::clone(&c));
        c
    }

    /// Sets `fault` on the links to each of `peers` (replacing one of the same kind and
    /// direction); a reset acts on their connections at once. Returns how many peers.
    pub fn set(&self, peers: &[String], mut fault: LinkFault) -> Result<usize, FaultError> {
        let now = Instant::now();
        fault.check(now)?;
        if fault.kind == FaultKind::Reset && fault.end == Some(fault.start) {
            fault.end = None;
        }
        let cells: Vec<Arc<PeerCell>> = {
            let mut map = lock(&self.inner.peers);
            let faulted = |c: &PeerCell| {
                let mut st = lock(&c.state);
                st.faults.prune(now);
                !st.faults.is_empty()
            };
            let mut new: Vec<&String> = peers
                .iter()
                .filter(|p| !map.get(*p).is_some_and(|c| faulted(c)))
                .collect();
            new.sort_unstable();
            new.dedup();
            let already = map.values().filter(|c| faulted(c)).count();
            if already + new.len() > MAX_FAULTED_PEERS {
                return Err(FaultError::TooManyPeers(MAX_FAULTED_PEERS));
            }
            peers
                .iter()
                .map(|p| Arc::clone(map.entry(p.clone()).or_default()))
                .collect()
        };
        for cell in &cells {
            let conns: Vec<Arc<ConnShared>> = {
                let mut st = lock(&cell.state);
                st.faults.set(fault);
                // An instant reset is done once it has hit the connections below.
                st.faults.prune(now);
                cell.active.store(!st.faults.is_empty(), Ordering::Release);
                st.conns.retain(|w| w.strong_count() > 0);
                st.conns.iter().filter_map(Weak::upgrade).collect()
            };
            for c in conns {
                if fault.kind == FaultKind::Reset {
                    c.reset.store(true, Ordering::Release);
                }
                c.wake_all();
            }
        }
        Ok(peers.len())
    }

    /// Clears every fault on the links to `peers` (all peers when `None`); returns how many
    /// peers had any. Held-back bytes flow again at once.
    pub fn clear(&self, peers: Option<&[String]>) -> usize {
        let cells: Vec<Arc<PeerCell>> = {
            let map = lock(&self.inner.peers);
            match peers {
                Some(ps) => ps.iter().filter_map(|p| map.get(p).cloned()).collect(),
                None => map.values().cloned().collect(),
            }
        };
        let mut cleared = 0;
        for cell in cells {
            let conns: Vec<Arc<ConnShared>> = {
                let mut st = lock(&cell.state);
                if !st.faults.clear() {
                    continue;
                }
                cell.active.store(false, Ordering::Release);
                st.conns.iter().filter_map(Weak::upgrade).collect()
            };
            cleared += 1;
            for c in conns {
                c.wake_all();
            }
        }
        cleared
    }

    /// Peers whose links carry a fault now (ended ones forgotten).
    pub fn faulted_peers(&self) -> usize {
        let now = Instant::now();
        lock(&self.inner.peers)
            .values()
            .filter(|c| {
                let mut st = lock(&c.state);
                st.faults.prune(now);
                !st.faults.is_empty()
            })
            .count()
    }

    /// Connections that never learned their peer, so no fault could reach them.
    pub fn unattached(&self) -> u64 {
        self.inner.unattached.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests;
