//! Received bytes per second per node, stacked by purpose ([`crate::section::bytes`]).

use std::path::Path;

use plotters::prelude::*;

use super::canvas::{Footer, PlotResult, err, legend, svg};
use crate::error::Result;
use crate::section::bytes::ByteSplit;

/// One layer of the stack.
type Part = fn(&ByteSplit) -> f64;

/// `nodes`: (node index, its split in bytes per second), nodes without counters left out.
pub fn bytes(path: &Path, nodes: &[(usize, ByteSplit)], footer: &Footer) -> Result<()> {
    svg(path, footer, |area| draw(area, nodes))
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    nodes: &[(usize, ByteSplit)],
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    const KIB: f64 = 1024.0;
    let y_max = nodes
        .iter()
        .map(|(_, s)| s.total() / KIB)
        .fold(1.0f64, f64::max)
        * 1.1;
    let x_max = nodes.iter().map(|(i, _)| *i).max().unwrap_or(0) as f64 + 0.5;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Bytes received per node, by purpose (KiB/s over the measurement)",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5f64..x_max.max(0.5), 0f64..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("node index")
        .y_desc("KiB/s")
        .disable_x_mesh()
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-6 && *x >= 0.0 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(err)?;
    let parts: [(&str, Part); 3] = [
        ("payload (first copies)", |s| s.payload),
        ("duplicate copies", |s| s.duplicates),
        ("control and other protocols", |s| s.control_other),
    ];
    let mut base: Vec<f64> = vec![0.0; nodes.len()];
    for (p, (label, value)) in parts.into_iter().enumerate() {
        let color = Palette99::pick(p).to_rgba();
        let bars: Vec<Rectangle<(f64, f64)>> = nodes
            .iter()
            .zip(base.iter_mut())
            .map(|((i, s), b)| {
                let (lo, hi) = (*b, *b + value(s) / KIB);
                *b = hi;
                let x = *i as f64;
                Rectangle::new([(x - 0.4, lo), (x + 0.4, hi)], color.filled())
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_stacked_bars_with_a_legend() {
        let dir = tempfile::tempdir().unwrap();
        let s = ByteSplit {
            payload: 4096.0,
            duplicates: 2048.0,
            control_other: 1024.0,
        };
        let p = dir.path().join("bytes.svg");
        bytes(&p, &[(0, s), (1, s.scaled(2.0))], &Footer::default()).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        for want in ["payload", "duplicate copies", "control and other"] {
            assert!(text.contains(want), "{want}");
        }
        assert!(text.matches("<rect").count() >= 6);
        bytes(&dir.path().join("e.svg"), &[], &Footer::default()).unwrap();
    }
}
