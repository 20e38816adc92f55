//! Arrival delay per node: p50 and p90 of the messages each node did not originate.

use std::path::Path;

use plotters::prelude::*;

use super::canvas::{Footer, PlotResult, err, legend, svg};
use crate::analysis::NodeArrival;
use crate::error::Result;
use crate::trace::Kind;

pub fn arrivals(path: &Path, nodes: &[NodeArrival], footer: &Footer) -> Result<()> {
    svg(path, footer, |area| draw(area, nodes))
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    nodes: &[NodeArrival],
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    let series = |kind: Kind, p90: bool| -> Vec<(f64, f64)> {
        nodes
            .iter()
            .filter_map(|n| {
                let s = n.ms.get(&kind)?.as_ref()?;
                Some((n.index as f64, if p90 { s.p90 } else { s.p50 }))
            })
            .collect()
    };
    let all: Vec<(String, Vec<(f64, f64)>)> = vec![
        ("tx p50".into(), series(Kind::Tx, false)),
        ("tx p90".into(), series(Kind::Tx, true)),
        ("block p50".into(), series(Kind::Block, false)),
        ("block p90".into(), series(Kind::Block, true)),
    ];
    let y_max = all
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(_, y)| y))
        .fold(1.0f64, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Arrival delay per node (messages originated elsewhere)",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5f64..(nodes.len() as f64 - 0.5).max(0.5), 0f64..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("node index")
        .y_desc("ms since origin")
        .x_labels(nodes.len().clamp(2, 32))
        // Nodes are categories: label whole indices only.
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-6 && *x >= 0.0 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(err)?;
    for (i, (label, points)) in all.into_iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(PointSeries::of_element(
                points,
                4,
                color.filled(),
                &|c, s, st| Circle::new(c, s, st),
            ))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn writes_the_arrivals_plot() {
        let dir = tempfile::tempdir().unwrap();
        let nodes = vec![NodeArrival {
            index: 0,
            region: None,
            originated: BTreeMap::new(),
            ms: BTreeMap::from([(
                Kind::Tx,
                crate::analysis::percentile::summarize(vec![1.0, 3.0]),
            )]),
            missing: BTreeMap::new(),
        }];
        let p = dir.path().join("arrivals.svg");
        arrivals(&p, &nodes, &Footer::default()).unwrap();
        assert!(std::fs::read_to_string(&p).unwrap().contains("tx p50"));
    }
}
