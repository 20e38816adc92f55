//! Time-to-reach CDFs on a log-scale time axis (the tail is where the story is): every
//! (message, node) pair, per region, the nodes' first duplicates, and the shortest-path bounds
//! as vertical marks.

use std::path::Path;

use plotters::prelude::*;

use super::canvas::{Footer, PlotResult, err, legend, svg};
use crate::analysis::Cdf;
use crate::error::Result;
use crate::trace::Kind;

/// Points per CDF line; more only makes the SVG bigger.
const CDF_POINTS: usize = 400;
/// The left edge of the time axis, ms: the origin's own 0 ms (and anything faster than this)
/// is drawn here, since a log axis has no zero.
const MIN_MS: f64 = 0.01;

/// Step points `(ms, fraction)` of the CDF: after the i-th smallest delay, `(i+1)/expected` of
/// all (message, node) pairs have arrived. Pairs that never arrived keep the curve below 1.
pub fn cdf_points(sorted_ms: &[f64], expected: usize) -> Vec<(f64, f64)> {
    if sorted_ms.is_empty() || expected == 0 {
        return Vec::new();
    }
    let step = sorted_ms.len().div_ceil(CDF_POINTS).max(1);
    let mut idx: Vec<usize> = (0..sorted_ms.len()).step_by(step).collect();
    if idx.last() != Some(&(sorted_ms.len() - 1)) {
        idx.push(sorted_ms.len() - 1);
    }
    idx.into_iter()
        .map(|i| (sorted_ms[i], (i + 1) as f64 / expected as f64))
        .collect()
}

/// Vertical marks on a CDF: `(label, ms)`, e.g. the median shortest-path bound to all nodes.
#[derive(Debug, Clone, Default)]
pub struct CdfMarks {
    pub marks: Vec<(String, f64)>,
}

pub fn cdf(path: &Path, kind: Kind, cdf: &Cdf, marks: &CdfMarks, footer: &Footer) -> Result<()> {
    svg(path, footer, |area| draw(area, kind, cdf, marks))
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    kind: Kind,
    cdf: &Cdf,
    marks: &CdfMarks,
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    let max = cdf
        .sorted_ms
        .iter()
        .chain(&cdf.duplicate_sorted_ms)
        .chain(marks.marks.iter().map(|(_, v)| v))
        .copied()
        .fold(1.0f64, f64::max);
    let lo = cdf
        .sorted_ms
        .iter()
        .chain(&cdf.duplicate_sorted_ms)
        .copied()
        .filter(|&v| v > MIN_MS)
        .fold(f64::INFINITY, f64::min)
        .min(max)
        .max(MIN_MS)
        / 1.5;
    let x = |v: f64| v.max(lo);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{} propagation: time to reach nodes (CDF over all message×node pairs)",
                kind.as_str()
            ),
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d((lo..max * 1.5).log_scale(), 0f64..1.02)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("ms since origin (log scale; the origin's own 0 ms at the left edge)")
        .y_desc("fraction of pairs")
        .x_label_formatter(&|v| format!("{v}"))
        .draw()
        .map_err(err)?;
    let clamp = |p: Vec<(f64, f64)>| p.into_iter().map(|(a, b)| (x(a), b)).collect::<Vec<_>>();
    let mut lines: Vec<(String, Vec<(f64, f64)>)> = vec![(
        "first copy, all nodes".into(),
        clamp(cdf_points(&cdf.sorted_ms, cdf.expected)),
    )];
    for (region, (sorted, expected)) in &cdf.by_region {
        lines.push((region.clone(), clamp(cdf_points(sorted, *expected))));
    }
    for (i, (label, points)) in lines.into_iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let width = if i == 0 { 3 } else { 1 };
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(width)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    if !cdf.duplicate_sorted_ms.is_empty() {
        // Over the same pairs as the first copies: a pair without a duplicate keeps it below.
        let points = clamp(cdf_points(&cdf.duplicate_sorted_ms, cdf.expected));
        let color = BLACK.mix(0.8);
        chart
            .draw_series(DashedLineSeries::new(points, 6, 4, color.stroke_width(2)))
            .map_err(err)?
            .label("first duplicate, all nodes")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    for (i, (label, ms)) in marks.marks.iter().enumerate() {
        let color = if i == 0 {
            RED.mix(0.8)
        } else {
            MAGENTA.mix(0.8)
        };
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x(*ms), 0.0), (x(*ms), 1.02)],
                3,
                3,
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn cdf_points_known_answers() {
        let p = cdf_points(&[0.0, 1.0, 2.0, 3.0], 8);
        assert_eq!(p, vec![(0.0, 0.125), (1.0, 0.25), (2.0, 0.375), (3.0, 0.5)]);
        let many: Vec<f64> = (0..10_000).map(f64::from).collect();
        let p = cdf_points(&many, 10_000);
        assert!(p.len() <= CDF_POINTS + 1);
        assert_eq!(p.last(), Some(&(9999.0, 1.0)));
        assert!(cdf_points(&[], 3).is_empty());
    }

    #[test]
    fn writes_a_log_scale_cdf_with_duplicates_bounds_and_footer() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cdf {
            sorted_ms: vec![0.0, 2.0, 5.0],
            expected: 4,
            duplicate_sorted_ms: vec![3.0, 9.0],
            by_region: BTreeMap::from([("europe".to_string(), (vec![0.0, 2.0], 2))]),
        };
        let p = dir.path().join("cdf.svg");
        let marks = CdfMarks {
            marks: vec![("bound (latency)".into(), 4.0)],
        };
        let footer = Footer {
            machine: "machine: 12% busy".into(),
            saturated: false,
        };
        cdf(&p, Kind::Tx, &c, &marks, &footer).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("<svg"));
        for want in [
            "europe",
            "first duplicate",
            "bound (latency)",
            "machine: 12% busy",
            "log scale",
        ] {
            assert!(text.contains(want), "{want}");
        }
        // Empty data still makes a valid (empty) chart.
        let e = dir.path().join("empty.svg");
        cdf(
            &e,
            Kind::Block,
            &Cdf::default(),
            &CdfMarks::default(),
            &footer,
        )
        .unwrap();
    }
}
