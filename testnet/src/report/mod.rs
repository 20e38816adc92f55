//! The propagation report: `report.json` (machine-readable), `report.md`, SVG plots, and the
//! summary table printed at the end of a run.

pub mod blocks;
pub mod build;
pub mod convergence;
pub mod footprint;
pub mod markdown;
pub mod model;
pub mod plots;
pub mod table;

use std::path::{Path, PathBuf};

pub use build::{BuildInput, build};
pub use model::Report;

use crate::analysis::Analysis;
use crate::error::{Result, io};
use crate::fsutil;
use crate::trace::Kind;

/// Writes everything into `dir` (created if needed); returns the files written.
pub fn write(dir: &Path, report: &Report, analysis: &Analysis) -> Result<Vec<PathBuf>> {
    fsutil::create_dir_all(dir)?;
    let mut files = Vec::new();
    for kind in Kind::ALL {
        let path = dir.join(format!("cdf-{}.svg", kind.as_str()));
        plots::cdf(&path, kind, &analysis.cdf[&kind])?;
        files.push(path);
    }
    let path = dir.join("arrivals.svg");
    plots::arrivals(&path, &analysis.per_node)?;
    files.push(path);

    let json = dir.join("report.json");
    fsutil::write_json_atomic(&json, report)?;
    files.push(json);
    let md = dir.join("report.md");
    std::fs::write(&md, markdown::render(report)).map_err(io(&md))?;
    files.push(md);
    Ok(files)
}
