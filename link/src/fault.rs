//! Link faults as a pure function of time: which faults a peer's link has, and whether each
//! direction carries bytes at a given instant. No I/O, no clock of its own: callers pass `now`,
//! so every rule here is checked by plain unit tests.
//!
//! Invariants:
//! - A direction is **closed** while any stall or flap-down window covering it is active; it
//!   is open otherwise. Closing never loses or reorders bytes (see the crate header for why a
//!   byte stream cannot do otherwise).
//! - [`PeerFaults::next_change`] is never later than the next instant at which
//!   [`PeerFaults::state`] could change, so a caller that sleeps until it never misses an edge.
//! - A peer holds at most [`MAX_FAULTS_PER_PEER`] faults: setting a fault replaces the one of
//!   the same kind and direction, or else the oldest once full (a controller re-sending its
//!   faults can never grow the list).

use std::time::Duration;

use tokio::time::Instant;

use super::rng::SplitMix64;

/// Faults one peer's link may hold at once. A testnet sets at most one of each kind per
/// direction (4 kinds × 3 directions would be 12; 8 covers every combination a run uses),
/// and the state check walks the list on every blocked poll, so it stays short.
pub const MAX_FAULTS_PER_PEER: usize = 8;

/// Shortest flap period accepted: below the ~1 ms timer resolution edges would blur, and
/// a link flapping faster than 10 ms is a bandwidth cut, not a flap.
pub const MIN_FLAP_PERIOD: Duration = Duration::from_millis(10);

/// Longest fault, flap period or start offset accepted (a day): keeps `Instant` arithmetic far
/// from overflow whatever a controller sends.
pub const MAX_SPAN: Duration = Duration::from_secs(24 * 3600);

/// Retransmissions modelled per lost chunk: a chunk lost 6 times in a row waits
/// 1 + 2 + … + 32 = 63 RTOs (12.6 s at the 200 ms minimum) and then goes through. Real TCP
/// retries for minutes before giving up; past 6 the wait is already beyond every liveness
/// timeout here, so more would change nothing but the length of a test.
pub const MAX_RETRANSMITS: u32 = 6;

/// One direction of a link, seen from this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Way {
    /// Bytes this node sends to the peer.
    Out,
    /// Bytes the peer sends to this node.
    In,
}

/// The directions a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Out,
    In,
    Both,
}

impl Direction {
    pub fn covers(self, way: Way) -> bool {
        matches!(
            (self, way),
            (Direction::Both, _) | (Direction::Out, Way::Out) | (Direction::In, Way::In)
        )
    }
}

/// What a fault does to the directions it covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultKind {
    /// The direction carries nothing while the fault lasts; its bytes wait, in order, and
    /// flow again when it ends (a one-way cut that TCP rides out).
    Stall,
    /// From the fault's start, the direction is down (as [`FaultKind::Stall`]) for `down` at
    /// the start of every `period`.
    Flap { period: Duration, down: Duration },
    /// Each chunk is lost with probability `share`: it and every byte behind it wait one
    /// retransmission timeout, doubling on each further loss (see [`loss_penalty`]).
    Loss { share: f64 },
    /// Every connection to the peer is reset when the fault is set, and connections made
    /// while it lasts are reset as soon as they are known to be the peer's.
    Reset,
}

impl FaultKind {
    fn same_kind(&self, other: &FaultKind) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// One fault on one peer's link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkFault {
    pub direction: Direction,
    pub kind: FaultKind,
    pub start: Instant,
    /// `None`: until cleared. A reset's window is where new connections are refused: one
    /// without an end (or ending at its start) resets only the connections there are.
    pub end: Option<Instant>,
}

/// Why a fault cannot be set; the message says which field is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultError {
    #[error("{0}")]
    Invalid(String),
    #[error("link faults are set on {0} peers already (the limit)")]
    TooManyPeers(usize),
}

impl LinkFault {
    /// Checks the fault's numbers (see [`FaultError`]); `now` bounds how far off its start may be.
    pub fn check(&self, now: Instant) -> Result<(), FaultError> {
        let bad = |m: String| Err(FaultError::Invalid(m));
        if self.start > now + MAX_SPAN {
            return bad(format!("the fault starts more than {MAX_SPAN:?} from now"));
        }
        if let Some(end) = self.end {
            if end < self.start || (end == self.start && self.kind != FaultKind::Reset) {
                return bad("the fault ends before it starts".into());
            }
            if end - self.start > MAX_SPAN {
                return bad(format!("the fault lasts more than {MAX_SPAN:?}"));
            }
        }
        match self.kind {
            FaultKind::Stall => Ok(()),
            FaultKind::Flap { period, down } => {
                if period < MIN_FLAP_PERIOD || period > MAX_SPAN {
                    bad(format!(
                        "the flap period must be within {MIN_FLAP_PERIOD:?}..={MAX_SPAN:?}, got {period:?}"
                    ))
                } else if down.is_zero() || down >= period {
                    bad(format!(
                        "the down time must be above 0 and below the period ({period:?}), got {down:?}"
                    ))
                } else {
                    Ok(())
                }
            }
            FaultKind::Loss { share } => {
                if share.is_finite() && share > 0.0 && share < 1.0 {
                    Ok(())
                } else {
                    bad(format!(
                        "the loss share must be above 0 and below 1 (a stall is a loss of 1), got {share}"
                    ))
                }
            }
            FaultKind::Reset if self.start > now => {
                bad("a reset acts when it is set: it takes no later start".into())
            }
            FaultKind::Reset => Ok(()),
        }
    }

    /// Active at `now`: started, and not ended. A reset without an end is an instant (it
    /// acts on the connections there are when it is set) and is never active afterwards.
    fn active(&self, now: Instant) -> bool {
        let end = match (self.kind, self.end) {
            (FaultKind::Reset, None) => Some(self.start),
            (_, end) => end,
        };
        self.start <= now && end.is_none_or(|end| now < end)
    }

    /// Whether this fault closes `way` at `now`, and when that could next change.
    fn closes(&self, way: Way, now: Instant) -> bool {
        if !self.direction.covers(way) || !self.active(now) {
            return false;
        }
        match self.kind {
            FaultKind::Stall => true,
            FaultKind::Flap { period, down } => flap_phase(self.start, period, now) < down,
            FaultKind::Loss { .. } | FaultKind::Reset => false,
        }
    }

    /// The first instant after `now` at which this fault's effect could change.
    fn next_edge(&self, now: Instant) -> Option<Instant> {
        if now < self.start {
            return Some(self.start);
        }
        if self.end.is_some_and(|e| e <= now) {
            return None;
        }
        let end = self.end;
        let edge = match self.kind {
            FaultKind::Flap { period, down } => {
                let phase = flap_phase(self.start, period, now);
                let to = if phase < down {
                    down - phase
                } else {
                    period - phase
                };
                Some(now + to)
            }
            _ => None,
        };
        match (edge, end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Where `now` falls in the flap's current period.
fn flap_phase(start: Instant, period: Duration, now: Instant) -> Duration {
    let since = now.saturating_duration_since(start).as_nanos();
    // `period` is at most a day and at least 10 ms, so both fit in u64 nanoseconds.
    Duration::from_nanos((since % period.as_nanos()) as u64)
}

/// What one direction of a link does at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WayState {
    /// Bytes flow.
    pub open: bool,
    /// Probability that a chunk is lost (several loss faults combine as independent losses).
    pub loss: f64,
    /// A reset fault is active: connections made now are reset.
    pub refuse: bool,
}

/// The faults set on one peer's link.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerFaults {
    faults: Vec<LinkFault>,
}

impl PeerFaults {
    /// Adds `fault`, replacing the one of the same kind and direction (or the oldest, once
    /// [`MAX_FAULTS_PER_PEER`] are set).
    pub fn set(&mut self, fault: LinkFault) {
        if let Some(f) = self
            .faults
            .iter_mut()
            .find(|f| f.direction == fault.direction && f.kind.same_kind(&fault.kind))
        {
            *f = fault;
            return;
        }
        if self.faults.len() >= MAX_FAULTS_PER_PEER {
            self.faults.remove(0);
        }
        self.faults.push(fault);
    }

    /// Removes every fault; returns whether there was any.
    pub fn clear(&mut self) -> bool {
        let had = !self.faults.is_empty();
        self.faults.clear();
        had
    }

    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    pub fn len(&self) -> usize {
        self.faults.len()
    }

    /// Forgets faults that have ended by `now` (an instant reset as soon as it is set).
    pub fn prune(&mut self, now: Instant) {
        self.faults.retain(|f| f.start > now || f.active(now));
    }

    pub fn state(&self, way: Way, now: Instant) -> WayState {
        let mut open = true;
        let mut delivered = 1.0;
        let mut refuse = false;
        for f in &self.faults {
            if f.closes(way, now) {
                open = false;
            }
            if !f.active(now) {
                continue;
            }
            match f.kind {
                FaultKind::Loss { share } if f.direction.covers(way) => delivered *= 1.0 - share,
                FaultKind::Reset => refuse = true,
                _ => {}
            }
        }
        WayState {
            open,
            loss: 1.0 - delivered,
            refuse,
        }
    }

    /// The earliest instant after `now` at which any fault's effect could change.
    pub fn next_change(&self, now: Instant) -> Option<Instant> {
        self.faults.iter().filter_map(|f| f.next_edge(now)).min()
    }
}

/// Uniform in `[0, 1)`.
fn unit(rng: &mut SplitMix64) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// The extra delay of one chunk on a link that loses chunks with probability `share`: zero if
/// it gets through, else `rto × (2^k − 1)` for `k` losses in a row (each retransmission is
/// lost with the same probability, and TCP doubles its timeout on each), `k` at most
/// [`MAX_RETRANSMITS`].
pub fn loss_penalty(rng: &mut SplitMix64, share: f64, rto: Duration) -> Duration {
    if share <= 0.0 {
        return Duration::ZERO;
    }
    let mut lost = 0u32;
    while lost < MAX_RETRANSMITS && unit(rng) < share {
        lost += 1;
    }
    rto * ((1u32 << lost) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);
    const MS: Duration = Duration::from_millis(1);

    fn fault(
        direction: Direction,
        kind: FaultKind,
        start: Instant,
        end: Option<Instant>,
    ) -> LinkFault {
        LinkFault {
            direction,
            kind,
            start,
            end,
        }
    }

    #[test]
    fn a_one_way_stall_closes_one_direction_for_its_window() {
        let t0 = Instant::now();
        let mut p = PeerFaults::default();
        p.set(fault(
            Direction::Out,
            FaultKind::Stall,
            t0 + S,
            Some(t0 + 3 * S),
        ));
        assert!(p.state(Way::Out, t0).open, "not started yet");
        assert_eq!(p.next_change(t0), Some(t0 + S));
        assert!(!p.state(Way::Out, t0 + S).open);
        assert!(p.state(Way::In, t0 + S).open, "the other direction flows");
        assert_eq!(p.next_change(t0 + 2 * S), Some(t0 + 3 * S));
        assert!(p.state(Way::Out, t0 + 3 * S).open, "healed at its end");
        assert_eq!(p.next_change(t0 + 3 * S), None);
        p.prune(t0 + 3 * S);
        assert!(p.is_empty());
    }

    #[test]
    fn a_flap_is_down_at_the_start_of_every_period() {
        let t0 = Instant::now();
        let flap = FaultKind::Flap {
            period: 10 * S,
            down: 2 * S,
        };
        let mut p = PeerFaults::default();
        p.set(fault(Direction::Both, flap, t0, Some(t0 + 35 * S)));
        let down = |t: Duration| !p.state(Way::In, t0 + t).open;
        for (t, want) in [
            (0, true),
            (1999, true),
            (2000, false),
            (9999, false),
            (10_000, true),
            (21_000, true),
            (22_000, false),
            (30_500, true),
            (35_000, false),
        ] {
            assert_eq!(down(t * MS), want, "at {t} ms");
            assert_eq!(
                p.state(Way::Out, t0 + t * MS).open,
                !want,
                "both ways at {t} ms"
            );
        }
        // Every edge is announced, none missed: walking from edge to edge sees each change.
        let mut t = t0;
        let mut edges = Vec::new();
        while let Some(next) = p.next_change(t) {
            assert!(next > t);
            edges.push((next - t0).as_millis());
            t = next;
        }
        assert_eq!(
            edges,
            [2000, 10_000, 12_000, 20_000, 22_000, 30_000, 32_000, 35_000]
        );
    }

    #[test]
    fn losses_combine_and_resets_refuse_only_while_they_last() {
        let t0 = Instant::now();
        let mut p = PeerFaults::default();
        p.set(fault(
            Direction::Out,
            FaultKind::Loss { share: 0.5 },
            t0,
            None,
        ));
        p.set(fault(
            Direction::Both,
            FaultKind::Loss { share: 0.5 },
            t0,
            None,
        ));
        assert_eq!(p.state(Way::Out, t0).loss, 0.75);
        assert_eq!(p.state(Way::In, t0).loss, 0.5);
        assert!(p.state(Way::Out, t0).open, "loss delays, it does not close");

        p.set(fault(Direction::Both, FaultKind::Reset, t0, None));
        assert!(
            !p.state(Way::In, t0).refuse,
            "an instant reset refuses nothing later"
        );
        assert_eq!(p.next_change(t0), None);
        p.set(fault(Direction::Both, FaultKind::Reset, t0, Some(t0 + S)));
        assert_eq!(p.len(), 3, "the second reset replaced the first");
        assert!(
            p.state(Way::In, t0).refuse,
            "connections made in the window"
        );
        assert!(!p.state(Way::In, t0 + S).refuse);
        p.prune(t0 + S);
        assert_eq!(p.len(), 2, "the losses have no end");
    }

    #[test]
    fn setting_replaces_and_the_list_stays_bounded() {
        let t0 = Instant::now();
        let mut p = PeerFaults::default();
        p.set(fault(Direction::Out, FaultKind::Stall, t0, None));
        p.set(fault(Direction::Out, FaultKind::Stall, t0, Some(t0 + S)));
        assert_eq!(p.len(), 1);
        assert!(
            p.state(Way::Out, t0 + S).open,
            "the replacement's end holds"
        );
        for i in 1..=20u32 {
            let share = f64::from(i) / 100.0;
            p.set(fault(Direction::In, FaultKind::Loss { share }, t0, None));
            p.set(fault(
                if i % 2 == 0 {
                    Direction::Out
                } else {
                    Direction::Both
                },
                FaultKind::Flap {
                    period: i * S,
                    down: MS,
                },
                t0,
                None,
            ));
        }
        assert!(p.len() <= MAX_FAULTS_PER_PEER);
        assert!(p.clear());
        assert!(!p.clear());
    }

    #[test]
    fn bad_faults_are_refused_with_the_reason() {
        let t0 = Instant::now();
        let check = |kind, start, end| fault(Direction::Both, kind, start, end).check(t0);
        assert!(check(FaultKind::Stall, t0, None).is_ok());
        assert!(check(FaultKind::Stall, t0, Some(t0)).is_err());
        assert!(check(FaultKind::Stall, t0 + 2 * MAX_SPAN, None).is_err());
        assert!(check(FaultKind::Reset, t0, Some(t0)).is_ok());
        assert!(check(FaultKind::Reset, t0 + S, None).is_err());
        for share in [0.0, 1.0, -0.1, f64::NAN] {
            assert!(
                check(FaultKind::Loss { share }, t0, None).is_err(),
                "{share}"
            );
        }
        let flap = |period, down| FaultKind::Flap { period, down };
        assert!(check(flap(10 * S, 2 * S), t0, None).is_ok());
        let e = check(flap(S, S), t0, None).unwrap_err();
        assert!(e.to_string().contains("below the period"), "{e}");
        assert!(check(flap(MS, Duration::from_micros(10)), t0, None).is_err());
        assert!(check(flap(S, Duration::ZERO), t0, None).is_err());
    }

    #[test]
    fn loss_penalties_follow_tcp_backoff() {
        let rto = Duration::from_millis(200);
        let mut rng = SplitMix64::new(9);
        assert_eq!(loss_penalty(&mut rng, 0.0, rto), Duration::ZERO);
        let n = 20_000;
        let mut lost = 0;
        let mut total = Duration::ZERO;
        for _ in 0..n {
            let p = loss_penalty(&mut rng, 0.1, rto);
            // Only 0, 1, 3, 7, … RTOs: a retransmission waits for the doubled timeout.
            let rtos = (p.as_millis() / 200) as u32;
            assert!((rtos + 1).is_power_of_two(), "{p:?}");
            lost += usize::from(!p.is_zero());
            total += p;
        }
        let share = lost as f64 / f64::from(n);
        assert!((0.09..0.11).contains(&share), "lost {share}");
        // E[2^k − 1] for k ~ geometric(0.1): 0.1/(1−0.2) = 0.125 RTO a chunk.
        let mean = total.as_secs_f64() / f64::from(n) / rto.as_secs_f64();
        assert!((0.11..0.14).contains(&mean), "mean {mean} RTO");
        let worst = loss_penalty(&mut SplitMix64::new(1), 0.999_999, rto);
        assert_eq!(
            worst,
            rto * 63,
            "capped at {MAX_RETRANSMITS} retransmissions"
        );
    }
}
