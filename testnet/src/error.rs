//! The library's one error type. Every variant names the file, node or endpoint at fault, so
//! the binary can print it as a single line.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Key(#[from] rumor_chain::KeyError),
    #[error(transparent)]
    Genesis(#[from] rumor_chain::GenesisError),
    #[error(transparent)]
    Link(#[from] rumor_link::LinkError),
    #[error(transparent)]
    NodeConfig(#[from] rumor_api::ConfigFileError),
    #[error("RPC {endpoint} {method}: {message}")]
    Rpc {
        endpoint: String,
        method: String,
        message: String,
    },
    #[error("metrics {endpoint}: {message}")]
    Metrics { endpoint: String, message: String },
    #[error(
        "no rumor binary at {0} (build it with `cargo build --release -p rumor-node`, or pass --rumor PATH)"
    )]
    NoRumorBinary(PathBuf),
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
    #[error("invalid option: {0}")]
    Invalid(String),
    #[error("no testnet in {0} (testnet.json is missing)")]
    NoTestnet(PathBuf),
    #[error("the testnet in {dir} still has running nodes (pids {pids:?}); run `down` first")]
    AlreadyRunning { dir: PathBuf, pids: Vec<u32> },
    #[error("docker: {0}")]
    Docker(String),
    #[error("prometheus: {0}")]
    Prometheus(String),
    /// Reading traces, writing the report and its plots.
    #[error(transparent)]
    Report(#[from] rumor_report::Error),
    #[error("interrupted (Ctrl-C); every node this run started has been stopped")]
    Interrupted,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `map_err` helper for I/O on a known path.
pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}

/// `map_err` helper for JSON read from a known path.
pub fn json(path: impl Into<PathBuf>) -> impl FnOnce(serde_json::Error) -> Error {
    let path = path.into();
    move |source| Error::Json { path, source }
}
