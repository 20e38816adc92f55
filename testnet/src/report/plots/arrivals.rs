//! SVG plots (plotters, SVG backend only: no fonts or bitmap code to build).

use std::path::Path;

use plotters::prelude::*;

use crate::analysis::{Cdf, NodeArrival};
use crate::error::{Error, Result};
use crate::trace::Kind;

/// Points per CDF line; more only makes the SVG bigger.
const CDF_POINTS: usize = 400;
const SIZE: (u32, u32) = (960, 560);

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

pub fn cdf(path: &Path, kind: Kind, cdf: &Cdf) -> Result<()> {
    draw_cdf(path, kind, cdf).map_err(|message| Error::Plot {
        path: path.to_path_buf(),
        message,
    })
}

fn draw_cdf(path: &Path, kind: Kind, cdf: &Cdf) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let x_max = cdf.sorted_ms.last().copied().unwrap_or(1.0).max(1.0) * 1.05;
    let mut chart = ChartBuilder::on(&root)
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
        .build_cartesian_2d(0f64..x_max, 0f64..1.02)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("ms since origin")
        .y_desc("fraction of nodes reached")
        .draw()
        .map_err(|x| e(&x))?;
    let mut lines: Vec<(String, Vec<(f64, f64)>)> =
        vec![("all nodes".into(), cdf_points(&cdf.sorted_ms, cdf.expected))];
    for (region, (sorted, expected)) in &cdf.by_region {
        lines.push((region.clone(), cdf_points(sorted, *expected)));
    }
    for (i, (label, points)) in lines.into_iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let width = if i == 0 { 3 } else { 1 };
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(width)))
            .map_err(|x| e(&x))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))
}

pub fn arrivals(path: &Path, nodes: &[NodeArrival]) -> Result<()> {
    draw_arrivals(path, nodes).map_err(|message| Error::Plot {
        path: path.to_path_buf(),
        message,
    })
}

fn draw_arrivals(path: &Path, nodes: &[NodeArrival]) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
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
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Arrival delay per node (messages originated elsewhere)",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5f64..(nodes.len() as f64 - 0.5).max(0.5), 0f64..y_max)
        .map_err(|x| e(&x))?;
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
        .map_err(|x| e(&x))?;
    for (i, (label, points)) in all.into_iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(PointSeries::of_element(
                points,
                4,
                color.filled(),
                &|c, s, st| Circle::new(c, s, st),
            ))
            .map_err(|x| e(&x))?
            .label(label)
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))
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
    fn writes_svgs() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cdf {
            sorted_ms: vec![0.0, 2.0, 5.0],
            expected: 4,
            by_region: BTreeMap::from([("europe".to_string(), (vec![0.0, 2.0], 2))]),
        };
        let p = dir.path().join("cdf.svg");
        cdf(&p, Kind::Tx, &c).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("<svg") && text.contains("europe"));
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
        arrivals(&p, &nodes).unwrap();
        assert!(std::fs::read_to_string(&p).unwrap().contains("tx p50"));
        // Empty data still makes a valid (empty) chart.
        cdf(&dir.path().join("empty.svg"), Kind::Block, &Cdf::default()).unwrap();
    }
}
