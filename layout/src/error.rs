//! What can stop a measurement: a file that cannot be read or parsed.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("reading {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("parsing {0}: {1}")]
    Parse(PathBuf, syn::Error),
}
