//! What can go wrong reading a link emulation file or region matrix.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("cannot read link emulation file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid link emulation JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid region matrix: {0}")]
    Matrix(String),
    #[error("unknown region {0:?}")]
    UnknownRegion(String),
}
