//! What every plot shares: the canvas size, the machine line at its foot ([`Footer`]), the
//! legend style, and the SVG file written through one function ([`svg`]) that turns plotters'
//! errors into the crate's.

use std::path::Path;

use plotters::prelude::*;

use crate::error::{Error, Result};

pub(crate) const SIZE: (u32, u32) = (960, 560);

/// What every plot states at its foot.
#[derive(Debug, Clone, Default)]
pub struct Footer {
    /// The machine line ([`crate::records::machine::MachineLoad::line`]), or why there is none.
    pub machine: String,
    pub saturated: bool,
}

impl Footer {
    pub fn of(machine: Option<&crate::records::machine::MachineLoad>) -> Self {
        match machine {
            Some(l) => Self {
                machine: l.line(),
                saturated: l.saturated,
            },
            None => Self {
                machine: "machine CPU not measured: cannot tell whether these delays include CPU queueing".into(),
                saturated: false,
            },
        }
    }
}

pub(crate) type PlotResult = std::result::Result<(), String>;

pub(crate) fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Draws the series legend at `at`, the same box on every plot.
pub(crate) fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> PlotResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

/// Runs `draw` on a fresh SVG at `path` with the footer below it.
pub(crate) fn svg(
    path: &Path,
    footer: &Footer,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> PlotResult,
) -> Result<()> {
    let run = || -> PlotResult {
        let root = SVGBackend::new(path, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (body, foot) = root.split_vertically(SIZE.1 - 22);
        draw(&body)?;
        let color: RGBAColor = if footer.saturated {
            RED.to_rgba()
        } else {
            BLACK.mix(0.7)
        };
        foot.draw(&Text::new(
            footer.machine.clone(),
            (12, 4),
            ("sans-serif", 13).into_font().color(&color),
        ))
        .map_err(err)?;
        root.present().map_err(err)
    };
    run().map_err(|message| Error::Plot {
        path: path.to_path_buf(),
        message,
    })
}
