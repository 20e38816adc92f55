//! Fuzz targets for Rumor: one function per target, each taking arbitrary bytes, running the
//! project's real decoder or checker on them and asserting what must hold. They are plain
//! functions (no libFuzzer here), so `cargo test` replays the committed corpora through them
//! on stable; `libfuzzer/` wraps each in a `fuzz_target!` for coverage-guided runs.
//!
//! Invariants every target asserts: no panic on any input; a value that decodes re-encodes to
//! bytes that decode to the same value — the very input bytes where the format is canonical
//! (the chain's codec), never more bytes than the input where it is not (the request-response
//! codecs' varints); decoded sizes are within the declared caps; and a verdict or check never
//! passes what fails an independent check of the same property.

mod block;
pub mod fixture;
mod gossip;
mod header;
mod px;
mod rpc_envelope;
pub mod seeds;
mod state_diff;
mod sync;
mod tx;
mod txsync;

pub use block::block;
pub use gossip::{gossip_path, gossip_verdict};
pub use header::header;
pub use px::px_codec;
pub use rpc_envelope::rpc_envelope;
pub use state_diff::state_diff;
pub use sync::sync_codec;
pub use tx::tx;
pub use txsync::txsync_codec;

/// A fuzz target: takes any bytes, panics if a property fails.
pub type Target = fn(&[u8]);

/// Every target by name (the name of its `fuzz/libfuzzer/fuzz_targets/*.rs` file and of its
/// corpus directory).
pub const TARGETS: [(&str, Target); 9] = [
    ("tx", tx),
    ("header", header),
    ("block", block),
    ("state_diff", state_diff),
    ("px_codec", px_codec),
    ("sync_codec", sync_codec),
    ("txsync_codec", txsync_codec),
    ("rpc_envelope", rpc_envelope),
    ("gossip_path", gossip_path),
];
