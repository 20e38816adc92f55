//! One quantity over the run from Prometheus ([`crate::records::series`]): a thin line per
//! node (at most [`MAX_NODE_LINES`], evenly picked, so a 1 000-node plot stays readable and
//! small) and the mean over all nodes in bold. A node's line breaks where it has no samples (a
//! node down under `--churn` or `--kill`), rather than drawing a slope across the gap.

use std::path::Path;

use plotters::prelude::*;

use super::canvas::{Footer, PlotResult, err, legend, svg};
use crate::error::Result;
use crate::records::series::PlotSeries;

/// Most per-node lines drawn; the mean is always over every node.
pub const MAX_NODE_LINES: usize = 64;

pub fn over_time(path: &Path, plot: &PlotSeries, footer: &Footer) -> Result<()> {
    svg(path, footer, |area| draw(area, plot))
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    plot: &PlotSeries,
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    let finite = || {
        plot.per_node
            .values()
            .flatten()
            .chain(&plot.mean)
            .filter(|(t, v)| t.is_finite() && v.is_finite())
    };
    let (x_min, x_max) = finite().fold((0f64, 1f64), |(lo, hi), &(t, _)| (lo.min(t), hi.max(t)));
    let y_max = finite().fold(0f64, |m, &(_, v)| m.max(v)).max(1.0) * 1.1;
    let y_min = finite().fold(0f64, |m, &(_, v)| m.min(v));
    let n = plot.per_node.len();
    let stride = n.div_ceil(MAX_NODE_LINES).max(1);
    let shown = plot.per_node.iter().step_by(stride).count();
    let caption = if shown < n {
        format!("{} — {shown} of {n} nodes drawn, mean over all", plot.title)
    } else {
        format!("{} — {n} nodes and their mean", plot.title)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x_min..x_max, y_min..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the load started")
        .y_desc(plot.unit.as_str())
        .y_label_formatter(&|v| {
            if v.abs() >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        })
        .draw()
        .map_err(err)?;
    for (k, (_, points)) in plot.per_node.iter().step_by(stride).enumerate() {
        let color = Palette99::pick(k).mix(0.45);
        for (j, run) in segments(points).into_iter().enumerate() {
            let line = chart
                .draw_series(LineSeries::new(run, color.stroke_width(1)))
                .map_err(err)?;
            if k == 0 && j == 0 {
                line.label("one node")
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
            }
        }
    }
    chart
        .draw_series(LineSeries::new(
            plot.mean.iter().copied(),
            BLACK.stroke_width(3),
        ))
        .map_err(err)?
        .label(format!("mean of {n} nodes"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(3)));
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

/// `points` split where a step is over 1.5× the series' smallest one (no samples in between),
/// non-finite values dropped.
pub fn segments(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(t, v)| t.is_finite() && v.is_finite())
        .collect();
    let step = finite
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    for p in finite {
        match out.last_mut() {
            Some(run) if run.last().is_some_and(|l| p.0 - l.0 <= step * 1.5) => run.push(p),
            _ => out.push(vec![p]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn lines_break_where_a_node_had_no_samples() {
        let pts = [
            (0.0, 1.0),
            (1.0, 1.0),
            (5.0, 2.0),
            (6.0, f64::NAN),
            (7.0, 2.0),
        ];
        assert_eq!(
            segments(&pts),
            vec![
                vec![(0.0, 1.0), (1.0, 1.0)],
                vec![(5.0, 2.0)],
                vec![(7.0, 2.0)]
            ]
        );
    }

    #[test]
    fn draws_nodes_and_their_mean() {
        let dir = tempfile::tempdir().unwrap();
        let per_node: BTreeMap<usize, Vec<(f64, f64)>> = (0..100)
            .map(|i| (i, vec![(0.0, i as f64), (1.0, i as f64 + 1.0)]))
            .collect();
        let plot = PlotSeries {
            name: "peers".into(),
            title: "Connected peers".into(),
            unit: "peers".into(),
            query: "q".into(),
            mean: crate::records::series::mean(&per_node),
            per_node,
        };
        let p = dir.path().join("over-time-peers.svg");
        over_time(&p, &plot, &Footer::default()).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(
            svg.contains("50 of 100 nodes drawn"),
            "stride 2 over 100 nodes"
        );
        assert!(svg.contains("mean of 100 nodes"));
    }
}
