//! Arrival delay per region as box plots (quartiles; whiskers at 1.5 × IQR), one panel per
//! kind: which regions pay for distance, and how widely.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::prelude::*;

use super::canvas::{Footer, PlotResult, err, svg};
use crate::analysis::Cdf;
use crate::error::Result;
use crate::trace::Kind;

pub fn regions(path: &Path, cdf: &BTreeMap<Kind, Cdf>, footer: &Footer) -> Result<()> {
    svg(path, footer, |area| {
        let panels = area.split_evenly((Kind::ALL.len(), 1));
        for (kind, panel) in Kind::ALL.iter().zip(panels.iter()) {
            let empty = Cdf::default();
            draw(panel, *kind, cdf.get(kind).unwrap_or(&empty))?;
        }
        Ok(())
    })
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    kind: Kind,
    cdf: &Cdf,
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    let regions: Vec<(&String, Quartiles)> = cdf
        .by_region
        .iter()
        .filter(|(_, (ms, _))| !ms.is_empty())
        .map(|(r, (ms, _))| (r, Quartiles::new(ms)))
        .collect();
    let y_max = regions
        .iter()
        .map(|(_, q)| q.values()[4])
        .fold(1.0f32, f32::max)
        * 1.1;
    let names: Vec<String> = regions.iter().map(|(r, _)| (*r).clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{} arrival delay by region (ms since origin)",
                kind.as_str()
            ),
            ("sans-serif", 16),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(56)
        // A segmented range a..b has a segment for b too: n regions need 0..n-1.
        .build_cartesian_2d(
            (0..names.len().saturating_sub(1)).into_segmented(),
            0f32..y_max,
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc("ms")
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(err)?;
    chart
        .draw_series(regions.iter().enumerate().map(|(i, (_, q))| {
            Boxplot::new_vertical(SegmentValue::CenterOf(i), q)
                .width(30)
                .style(Palette99::pick(i).stroke_width(2))
        }))
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_box_per_region_and_kind() {
        let dir = tempfile::tempdir().unwrap();
        let c = |a: Vec<f64>, b: Vec<f64>| Cdf {
            by_region: BTreeMap::from([
                ("asia".to_string(), (a, 4)),
                ("europe".to_string(), (b, 4)),
            ]),
            ..Default::default()
        };
        let cdf = BTreeMap::from([
            (Kind::Tx, c(vec![1.0, 2.0, 3.0, 40.0], vec![5.0, 6.0])),
            (Kind::Block, c(vec![10.0, 20.0], vec![])),
        ]);
        let p = dir.path().join("regions.svg");
        regions(&p, &cdf, &Footer::default()).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("asia") && text.contains("europe"));
        assert!(text.contains("block arrival delay by region"));
        regions(
            &dir.path().join("e.svg"),
            &BTreeMap::new(),
            &Footer::default(),
        )
        .unwrap();
    }
}
