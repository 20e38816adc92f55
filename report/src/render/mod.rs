//! Writing a report: `report.json` (machine-readable), `report.md` ([`markdown`]),
//! `report.html` ([`html`]), SVG plots ([`crate::plots`]), and the summary table printed at
//! the end of a run ([`table`]); [`text`] formats numbers and plain-text tables for all of
//! them (and for the benchmark suite's documents).

pub mod html;
pub mod markdown;
pub mod table;
pub mod text;

use std::path::{Path, PathBuf};

use crate::analysis::Analysis;
use crate::error::{Result, io};
use crate::fsutil;
use crate::model::Report;
use crate::trace::Kind;

/// Plot files besides `cdf-<kind>.svg`.
/// The self-contained page ([`html`]).
pub const REPORT_HTML: &str = "report.html";
pub const ARRIVALS_SVG: &str = "arrivals.svg";
pub const BYTES_SVG: &str = "bytes.svg";
pub const REGIONS_SVG: &str = "regions.svg";

/// The shortest-path bounds drawn on a kind's CDF: the median over messages of the bound on
/// reaching every node, latency only and with transmission time.
fn cdf_marks(report: &Report, kind: Kind) -> crate::plots::CdfMarks {
    let mut marks = Vec::new();
    if let Some(k) = report.kinds.get(&kind) {
        if let Some(b) = &k.stats.bound_all_ms {
            marks.push(("bound to all nodes, median (latency only)".into(), b.p50));
        }
        if let Some(b) = k
            .stats
            .transmission_bound
            .as_ref()
            .and_then(|t| t.bound_all_ms.as_ref())
        {
            marks.push((
                "bound to all nodes, median (with transmission)".into(),
                b.p50,
            ));
        }
    }
    crate::plots::CdfMarks { marks }
}

/// Writes everything into `dir` (created if needed); returns the files written. `over_time`:
/// the Prometheus series, drawn one plot each.
pub fn write(
    dir: &Path,
    report: &Report,
    analysis: &Analysis,
    over_time: Option<&crate::records::series::OverTime>,
) -> Result<Vec<PathBuf>> {
    fsutil::create_dir_all(dir)?;
    let mut files = Vec::new();
    let footer = crate::plots::Footer::of(report.machine.as_ref());
    for kind in Kind::ALL {
        let path = dir.join(format!("cdf-{}.svg", kind.as_str()));
        crate::plots::cdf(
            &path,
            kind,
            &analysis.cdf[&kind],
            &cdf_marks(report, kind),
            &footer,
        )?;
        files.push(path);
    }
    let path = dir.join(ARRIVALS_SVG);
    crate::plots::arrivals(&path, &analysis.per_node, &footer)?;
    files.push(path);
    let split: Vec<_> = report
        .nodes
        .iter()
        .filter_map(|n| Some((n.index, n.bytes_in_split?)))
        .collect();
    if !split.is_empty() {
        let path = dir.join(BYTES_SVG);
        crate::plots::bytes(&path, &split, &footer)?;
        files.push(path);
    }
    if analysis.cdf.values().any(|c| !c.by_region.is_empty()) {
        let path = dir.join(REGIONS_SVG);
        crate::plots::regions(&path, &analysis.cdf, &footer)?;
        files.push(path);
    }
    for plot in over_time.iter().flat_map(|o| &o.plots) {
        let path = dir.join(crate::section::over_time::file_name(plot));
        crate::plots::over_time(&path, plot, &footer)?;
        files.push(path);
    }

    let json = dir.join("report.json");
    fsutil::write_json_atomic(&json, report)?;
    files.push(json);
    let md = dir.join("report.md");
    let markdown = markdown::render(report);
    std::fs::write(&md, &markdown).map_err(io(&md))?;
    files.push(md);
    let page = dir.join(REPORT_HTML);
    let title = format!(
        "Rumor propagation report: {} nodes, {}",
        report.meta.nodes, report.meta.dir
    );
    let text = html::render(dir, &title, &table::summary(report), &markdown);
    std::fs::write(&page, text).map_err(io(&page))?;
    files.push(page);
    Ok(files)
}
