//! The delayed stream's bounds, each with the reason for its size. A leaf: the stream and its
//! gated variant both read these, and neither reaches into the other for them.

use std::time::Duration;

/// Most bytes held by the emulation per direction of one connection (queued, or sleeping until
/// release). Past it, `poll_write` returns `Pending` and the reader task stops reading the
/// socket, so back-pressure reaches the application and the remote kernel as it would on a
/// real link. It also caps throughput at `MAX_IN_FLIGHT / latency` (about 20 MB/s at 200 ms),
/// like a TCP window would.
pub const MAX_IN_FLIGHT: usize = 4 * 1024 * 1024;

/// Largest chunk one write or socket read turns into: finer chunks let a bandwidth-capped
/// link deliver the start of a large write before its end, as a real one does.
pub(super) const MAX_CHUNK: usize = 64 * 1024;

/// After a `Delayed` is dropped without `close`, its queued bytes keep flowing (as a kernel
/// keeps sending after `close(2)`), but a remote that stops reading cannot pin the writer task
/// forever: it gives up this long after the emulated FIN was due.
pub(super) const LINGER: Duration = Duration::from_secs(10);
