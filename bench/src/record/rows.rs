//! A result as table rows: one row per figure, in the columns every scenario section shares.

use crate::record::result::BenchResult;
use rumor_report::figure::Figure;
use rumor_report::figure::spread::noise_ratio;
use rumor_report::render::text::{duration_text, number_scaled, row, with_unit};

pub const HEADER: &str = "| date (UTC) | commit | figure | measured: median (min–max) | runs | goal, or compared with | ratio = measured / goal | run time | notes |";
pub const SEPARATOR: &str = "|---|---|---|---|---|---|---|---|---|";

/// Markdown rows for `BENCHMARKS.md`.
pub fn rows(r: &BenchResult) -> Vec<String> {
    cells(r).iter().map(|c| row(c)).collect()
}

/// The terminal summary: figure, measured, runs, goal, ratio, notes.
pub fn summary(r: &BenchResult) -> String {
    let picked: Vec<Vec<String>> = cells(r)
        .into_iter()
        .map(|c| {
            vec![
                c[2].clone(),
                c[3].clone(),
                c[4].clone(),
                c[5].clone(),
                c[6].clone(),
                c[8].clone(),
            ]
        })
        .collect();
    rumor_report::render::text::render(
        &["figure", "measured", "runs", "goal", "ratio", "notes"],
        &picked,
    )
}

/// One row of cells per figure, in [`HEADER`]'s columns.
pub fn cells(r: &BenchResult) -> Vec<Vec<String>> {
    let failed = r.per_run.iter().filter(|p| p.error.is_some()).count();
    r.figures
        .iter()
        .map(|f| {
            let mut notes = figure_notes(f);
            if failed > 0 {
                notes.push(format!("{failed} of {} runs failed (see JSON)", r.runs));
            }
            vec![
                rumor_testnet::util::timefmt::utc_minute(r.started_at),
                r.git.describe(),
                f.label.clone(),
                measured(f),
                f.measured.as_ref().map_or(0, |m| m.runs()).to_string(),
                goal(f),
                ratio(f),
                duration_text(r.run_time_s),
                notes.join("; "),
            ]
        })
        .collect()
}

fn measured(f: &Figure) -> String {
    match &f.measured {
        None => "no value (every run failed)".into(),
        Some(m) if m.runs() == 1 || m.min == m.max => with_unit(m.median, &f.unit),
        Some(m) => format!(
            "{} ({}–{})",
            with_unit(m.median, &f.unit),
            number_scaled(m.min, m.median),
            number_scaled(m.max, m.median)
        ),
    }
}

fn goal(f: &Figure) -> String {
    if let Some(g) = &f.goal {
        return g.describe(&f.unit);
    }
    if let Some(v) = &f.versus {
        return v.describe(&f.unit);
    }
    "— (context)".into()
}

fn ratio(f: &Figure) -> String {
    let Some(m) = &f.measured else {
        return "—".into();
    };
    if f.cpu_bound {
        return "not judged: CPU-bound (machine saturated)".into();
    }
    if let Some(g) = &f.goal {
        return g.verdict(m.median);
    }
    if let Some(v) = &f.versus {
        return v.verdict(m.median);
    }
    "—".into()
}

fn figure_notes(f: &Figure) -> Vec<String> {
    let Some(m) = &f.measured else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    if m.noisy {
        let limit = noise_ratio(&f.key);
        notes.push(match m.max_over_min() {
            Some(r) => format!("noisy: max/min {r:.2} > {limit}"),
            None => "noisy: min is 0".into(),
        });
    }
    if f.cpu_bound {
        notes.push("runs on a saturated machine: CPU queueing moves the latencies".into());
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::result::tests::sample;

    #[test]
    fn one_row_per_figure() {
        let mut r = sample("ingest", 1_709_210_096);
        r.per_run[2].error = Some("boom".into());
        let rows = rows(&r);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0],
            "| 2024-02-29 12:34 | abc1234 | accepted | 100 tx/s (90–110) | 3 | ≥ 100 tx/s | 1.00: met (≥ 1 meets) | 12 s | 1 of 3 runs failed (see JSON) |"
        );
        assert_eq!(
            HEADER.matches('|').count(),
            rows[0].matches('|').count(),
            "row and header have the same columns"
        );
        assert_eq!(SEPARATOR.matches('|').count(), HEADER.matches('|').count());
        assert!(summary(&r).contains("accepted"));
    }

    #[test]
    fn formatting_helpers() {
        assert_eq!(duration_text(42.4), "42 s");
        assert_eq!(duration_text(250.0), "4 min 10 s");
        assert_eq!(duration_text(3720.0), "1 h 02 min");
        assert_eq!(row(&["a|b".into(), "c".into()]), "| a\\|b | c |");
    }
}
