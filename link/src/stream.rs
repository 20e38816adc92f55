//! `Delayed`: a TCP stream whose bytes cross an emulated link, exposed through the `futures`
//! I/O traits that libp2p's transport stack expects.

use std::fmt;
use std::future::{Future, poll_fn};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::io::{AsyncRead, AsyncWrite};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};

use super::control::{Check, ConnGate, RTO_MIN, Slot, WayGate};
use super::fault::{Way, loss_penalty};
use super::pipe::{Next, Pipe, Take};
use super::rng::SplitMix64;
use super::schedule::{DelaySchedule, LinkParams};

mod bounds;
mod gated;
pub use bounds::MAX_IN_FLIGHT;
use bounds::{LINGER, MAX_CHUNK};
use gated::Gated;

/// A TCP stream with link emulation on both directions, link faults only, or a plain
/// pass-through.
///
/// Implements `futures::io::{AsyncRead, AsyncWrite}`. Emulated streams run two Tokio tasks,
/// so they must be created inside a Tokio runtime; both tasks end when the stream is dropped
/// (the writer once the queued bytes are out, or `LINGER` after that was due).
pub struct Delayed(Mode);

enum Mode {
    Passthrough(TcpStream),
    /// No delay model, but a gate that link faults can hold (see `gated`).
    Gated(Box<Gated>),
    Emulated(Box<Emulated>),
}

struct Emulated {
    outgoing: Arc<Pipe>,
    out_schedule: DelaySchedule,
    /// Link faults: the read side's gate (stalls and resets; loss is added to release times),
    /// and loss and resets for writes (the writer task holds stalled chunks).
    in_gate: Option<WayGate>,
    out_faults: Option<(ConnGate, SplitMix64)>,
    /// Set once the FIN has been queued; writes after it fail like writes after `shutdown`.
    fin_at: Option<Instant>,
    /// `None` once `poll_close` has seen the writer finish.
    writer: Option<JoinHandle<io::Result<()>>>,
    linger: Option<oneshot::Sender<Instant>>,
    incoming: Arc<Pipe>,
    reader: JoinHandle<()>,
    timer: Pin<Box<Sleep>>,
}

impl Delayed {
    /// No emulation: forwards straight to the socket, spawning nothing.
    pub fn passthrough(stream: TcpStream) -> Self {
        Self(Mode::Passthrough(stream))
    }

    /// Emulates `params` on both directions, with jitter seeded from the socket addresses.
    /// Zero `params` give a pass-through. Fails only outside a Tokio runtime.
    pub fn new(stream: TcpStream, params: LinkParams) -> io::Result<Self> {
        let seed = seed_of(&stream);
        Self::with_seed(stream, params, seed)
    }

    /// As `new`, with an explicit jitter seed (each direction derives its own from it).
    pub fn with_seed(stream: TcpStream, params: LinkParams, seed: u64) -> io::Result<Self> {
        Self::build(stream, params, None, seed)
    }

    /// As `new`, with the connection's link-fault gate (see [`crate::LinkFaults`]): zero
    /// `params` with a gate give a stream that only faults can hold back, at the cost of two
    /// atomic loads per call while none does.
    pub fn with_gate(
        stream: TcpStream,
        params: LinkParams,
        gate: Option<ConnGate>,
    ) -> io::Result<Self> {
        let seed = seed_of(&stream);
        Self::build(stream, params, gate, seed)
    }

    fn build(
        stream: TcpStream,
        params: LinkParams,
        gate: Option<ConnGate>,
        seed: u64,
    ) -> io::Result<Self> {
        if params.is_zero() {
            return Ok(match gate {
                Some(g) => Self(Mode::Gated(Box::new(Gated::new(stream, g, seed)))),
                None => Self::passthrough(stream),
            });
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        let (read_half, write_half) = stream.into_split();
        let outgoing = Arc::new(Pipe::new(MAX_IN_FLIGHT));
        let incoming = Arc::new(Pipe::new(MAX_IN_FLIGHT));
        let (linger_tx, linger_rx) = oneshot::channel();
        // A lost chunk is retransmitted after an RTO, which a kernel bases on the round trip.
        let rto = RTO_MIN + 2 * params.latency;
        let drain_gate = gate
            .clone()
            .map(|g| WayGate::new(g, Way::Out, Slot::Drain, None, 0));
        let writer = runtime.spawn(run_writer(
            write_half,
            Arc::clone(&outgoing),
            linger_rx,
            drain_gate,
        ));
        let in_schedule = DelaySchedule::new(params, seed ^ 0xA5A5_5A5A_C3C3_3C3C);
        let in_loss = gate
            .clone()
            .map(|g| (g, SplitMix64::new(seed ^ 0x1055), rto));
        let reader = runtime.spawn(run_reader(
            read_half,
            Arc::clone(&incoming),
            in_schedule,
            in_loss,
        ));
        Ok(Self(Mode::Emulated(Box::new(Emulated {
            outgoing,
            out_schedule: DelaySchedule::new(params, seed),
            in_gate: gate
                .clone()
                .map(|g| WayGate::new(g, Way::In, Slot::Read, None, 0)),
            out_faults: gate.map(|g| (g, SplitMix64::new(seed ^ 0x0F7))),
            fin_at: None,
            writer: Some(writer),
            linger: Some(linger_tx),
            incoming,
            reader,
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
        }))))
    }

    /// The emulated parameters (zero for a pass-through).
    pub fn params(&self) -> LinkParams {
        match &self.0 {
            Mode::Passthrough(_) | Mode::Gated(_) => LinkParams::default(),
            Mode::Emulated(e) => e.out_schedule.params(),
        }
    }

    /// Neither delayed nor faultable.
    pub fn is_passthrough(&self) -> bool {
        matches!(self.0, Mode::Passthrough(_))
    }

    /// Not delayed, but link faults can hold it back.
    pub fn is_gated(&self) -> bool {
        matches!(self.0, Mode::Gated(_))
    }
}

/// Jitter and loss seed of a connection: its socket addresses.
fn seed_of(stream: &TcpStream) -> u64 {
    let mut h = DefaultHasher::new();
    stream.local_addr().ok().hash(&mut h);
    stream.peer_addr().ok().hash(&mut h);
    h.finish()
}

impl fmt::Debug for Delayed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Delayed");
        match &self.0 {
            Mode::Passthrough(s) => d.field("passthrough", s),
            Mode::Gated(g) => d.field("gated", &g.stream()),
            Mode::Emulated(e) => d
                .field("params", &e.out_schedule.params())
                .field("closing", &e.fin_at.is_some()),
        };
        d.finish_non_exhaustive()
    }
}

impl Emulated {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if let Some(g) = self.in_gate.as_mut().filter(|g| !g.is_clear()) {
            ready!(g.poll_pass(cx))?;
        }
        loop {
            match self.incoming.read_released(Instant::now(), buf, cx) {
                Take::Data(n) => return Poll::Ready(Ok(n)),
                Take::End(result) => return Poll::Ready(result.map(|()| 0)),
                Take::Empty => {
                    // Nothing queued: a reset set meanwhile must still reach this reader.
                    if let Some(g) = &self.in_gate {
                        g.register_idle(cx);
                        if g.is_reset() {
                            return Poll::Ready(Err(super::control::reset_error()));
                        }
                    }
                    return Poll::Pending;
                }
                Take::NotBefore(at) => {
                    // Later chunks are never due earlier (FIFO), so one timer on the head of
                    // the queue is enough; loop once it fires to re-check against the clock.
                    self.timer.as_mut().reset(at);
                    ready!(self.timer.as_mut().poll(cx));
                }
            }
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.fin_at.is_some() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after close",
            )));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let now = Instant::now();
        let mut extra = Duration::ZERO;
        if let Some((gate, rng)) = self.out_faults.as_mut().filter(|(g, _)| !g.is_clear()) {
            if gate.check(Way::Out, now) == Check::Reset {
                return Poll::Ready(Err(super::control::reset_error()));
            }
            let rto = RTO_MIN + 2 * self.out_schedule.params().latency;
            extra = loss_penalty(rng, gate.loss(Way::Out, now), rto);
        }
        let free = ready!(self.outgoing.poll_space(cx))?;
        let n = buf.len().min(free).min(MAX_CHUNK);
        let release = self.out_schedule.release_after(now, n, extra);
        self.outgoing.push(release, buf[..n].to_vec());
        Poll::Ready(Ok(n))
    }

    fn queue_fin(&mut self) -> Instant {
        match self.fin_at {
            Some(at) => at,
            None => {
                let at = self.out_schedule.release_at(Instant::now(), 0);
                self.outgoing.finish(at, None);
                self.fin_at = Some(at);
                at
            }
        }
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.queue_fin();
        let Some(writer) = self.writer.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        if let Some((gate, _)) = self.out_faults.as_ref().filter(|(g, _)| !g.is_clear())
            && matches!(gate.check(Way::Out, Instant::now()), Check::Closed { .. })
        {
            // The queue and the FIN wait behind a fault, which may outlast any caller: the
            // close returns as a socket's does, and the writer task finishes (or gives up
            // `LINGER` after the FIN was due, once this stream is dropped) on its own.
            return Poll::Ready(Ok(()));
        }
        let joined = ready!(Pin::new(writer).poll(cx));
        self.writer = None;
        Poll::Ready(joined.unwrap_or_else(|e| Err(io::Error::other(e))))
    }
}

impl Drop for Emulated {
    fn drop(&mut self) {
        // Nobody will read any more, and the read half must go for the socket to close.
        self.reader.abort();
        let fin_at = self.queue_fin();
        if let Some(linger) = self.linger.take() {
            // Fails only if the writer is already done, which is fine.
            let _ = linger.send(fin_at);
        }
    }
}

async fn run_writer(
    mut socket: OwnedWriteHalf,
    pipe: Arc<Pipe>,
    dropped: oneshot::Receiver<Instant>,
    gate: Option<WayGate>,
) -> io::Result<()> {
    let drain = drain(&mut socket, &pipe, gate);
    tokio::pin!(drain);
    let result = tokio::select! {
        result = &mut drain => result,
        // An `Err` here means the handle closed normally and the drain finishes on its own.
        Ok(fin_at) = dropped => {
            match tokio::time::timeout_at(fin_at + LINGER, &mut drain).await {
                Ok(result) => result,
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "link emulation: remote stopped reading after the stream was dropped",
                )),
            }
        }
    };
    if let Err(e) = &result {
        pipe.break_with(e);
    }
    result
}

/// Writes each chunk at its release time, once the link's out direction (if faults can reach
/// it) lets it pass: a stalled direction holds released chunks, and the FIN, in order.
async fn drain(
    socket: &mut OwnedWriteHalf,
    pipe: &Pipe,
    mut gate: Option<WayGate>,
) -> io::Result<()> {
    loop {
        match poll_fn(|cx| pipe.poll_next(cx)).await {
            Next::Chunk(chunk) => {
                tokio::time::sleep_until(chunk.release).await;
                pass(gate.as_mut()).await?;
                socket.write_all(&chunk.data).await?;
                pipe.release(chunk.data.len());
            }
            Next::End(at) => {
                tokio::time::sleep_until(at).await;
                pass(gate.as_mut()).await?;
                return socket.shutdown().await;
            }
        }
    }
}

async fn pass(gate: Option<&mut WayGate>) -> io::Result<()> {
    match gate {
        Some(g) => poll_fn(|cx| g.poll_pass(cx)).await,
        None => Ok(()),
    }
}

/// Reads the socket into the incoming pipe, each chunk stamped with its release time; a chunk
/// the link loses (faults) is stamped later by its retransmission wait.
async fn run_reader(
    mut socket: OwnedReadHalf,
    pipe: Arc<Pipe>,
    mut schedule: DelaySchedule,
    mut loss: Option<(ConnGate, SplitMix64, Duration)>,
) {
    let mut buf = vec![0u8; MAX_CHUNK];
    let mut extra = move |now| match loss.as_mut() {
        Some((gate, rng, rto)) => loss_penalty(rng, gate.loss(Way::In, now), *rto),
        None => Duration::ZERO,
    };
    loop {
        // Waiting for room before reading keeps unread bytes in the kernel, whose window then
        // slows the remote down: the emulation never buffers more than `MAX_IN_FLIGHT`.
        let Ok(free) = poll_fn(|cx| pipe.poll_space(cx)).await else {
            return;
        };
        let want = free.min(buf.len());
        match socket.read(&mut buf[..want]).await {
            Ok(0) => {
                pipe.finish(schedule.release_at(Instant::now(), 0), None);
                return;
            }
            Ok(n) => {
                let now = Instant::now();
                let release = schedule.release_after(now, n, extra(now));
                pipe.push(release, buf[..n].to_vec())
            }
            Err(e) => {
                pipe.finish(schedule.release_at(Instant::now(), 0), Some(&e));
                return;
            }
        }
    }
}

impl AsyncRead for Delayed {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().0 {
            Mode::Passthrough(s) => {
                let mut rb = ReadBuf::new(buf);
                ready!(tokio::io::AsyncRead::poll_read(Pin::new(s), cx, &mut rb))?;
                Poll::Ready(Ok(rb.filled().len()))
            }
            Mode::Gated(g) => g.poll_read(cx, buf),
            Mode::Emulated(e) => e.poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Delayed {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().0 {
            Mode::Passthrough(s) => tokio::io::AsyncWrite::poll_write(Pin::new(s), cx, buf),
            Mode::Gated(g) => g.poll_write(cx, buf),
            Mode::Emulated(e) => e.poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().0 {
            Mode::Passthrough(s) => {
                tokio::io::AsyncWrite::poll_write_vectored(Pin::new(s), cx, bufs)
            }
            Mode::Gated(g) => g.poll_write_vectored(cx, bufs),
            Mode::Emulated(e) => {
                let buf = bufs
                    .iter()
                    .find(|b| !b.is_empty())
                    .map_or(&[][..], |b| &b[..]);
                e.poll_write(cx, buf)
            }
        }
    }

    /// For an emulated stream, bytes count as flushed once queued: they are "on the wire",
    /// and waiting out the latency here would stall every libp2p flush by a one-way delay.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            Mode::Passthrough(s) => tokio::io::AsyncWrite::poll_flush(Pin::new(s), cx),
            Mode::Gated(g) => g.poll_flush(cx),
            Mode::Emulated(e) => Poll::Ready(e.outgoing.check()),
        }
    }

    /// Completes once every queued byte and the FIN have been written to the socket.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            Mode::Passthrough(s) => tokio::io::AsyncWrite::poll_shutdown(Pin::new(s), cx),
            Mode::Gated(g) => g.poll_close(cx),
            Mode::Emulated(e) => e.poll_close(cx),
        }
    }
}

#[cfg(test)]
mod tests;
