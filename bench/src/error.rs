//! The benchmark suite's error type. The harness's and the report's errors pass through
//! unchanged; the suite's own (the floor nodes it drives, its files, its options) name what is
//! at fault with the same wording as the harness's, so the binary prints one line either way.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Testnet(#[from] rumor_testnet::Error),
    #[error(transparent)]
    Report(#[from] rumor_report::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid option: {0}")]
    Invalid(String),
    #[error("node {index}: cannot start {binary}: {source}")]
    Spawn {
        index: usize,
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("node {index} exited during start-up ({status}); its log is {log}")]
    NodeExited {
        index: usize,
        status: String,
        log: PathBuf,
    },
    #[error("timed out after {secs} s waiting for {what}")]
    Timeout { what: String, secs: u64 },
    #[error("interrupted (Ctrl-C); every node this run started has been stopped")]
    Interrupted,
}

impl Error {
    /// Ctrl-C, seen by the suite or by the harness under it.
    pub fn is_interrupted(&self) -> bool {
        matches!(
            self,
            Error::Interrupted | Error::Testnet(rumor_testnet::Error::Interrupted)
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `map_err` helper for I/O on a known path.
pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
