//! Exit statuses of `rumor node`, for whatever supervises it (systemd, Kubernetes, the testnet
//! tool): restart on any failure, but page someone when the status is [`STORE_FAILED`].
//!
//! | status | meaning |
//! |---|---|
//! | 0 | stopped on SIGINT/SIGTERM |
//! | 1 | refused to start or stopped on another error (the one line on stderr names the cause) |
//! | 74 | the chain store or the tx journal failed with an I/O error it could not recover from (EX_IOERR of sysexits.h); the data dir needs attention: a disk that went read-only, a failing device, a store the integrity check refuses. A full disk never ends the node: it waits, degraded, for space |

/// Any other failure (start-up errors included).
pub const FAILURE: u8 = 1;
/// The store could not be recovered after an I/O error (`EX_IOERR`).
pub const STORE_FAILED: u8 = 74;
