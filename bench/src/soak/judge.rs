//! The soak's judge: does a series level off, or grow? Pure, so it is tested beside itself.
//!
//! A leak is a slope that does not level off. For each series the judge fits a least-squares
//! line to its samples in the judged window (the last half of the run: the first half holds
//! the warm-up, caches and pools filling to their bounds) and compares the growth that line
//! predicts over the window (slope × window) with what the series does anyway: the larger of
//! a share of its level (`rel`, 5 % by default), `k` × the median absolute deviation of its
//! residuals around the line (noise: allocator arenas, per-request buffers, churned peers'
//! connections), and an absolute floor per metric (one thread, two fds). Growth within that
//! is "levels off". Beyond it, the judge asks whether the growth is still going on: the slope
//! of the window's second half, times the whole window, must exceed the allowance too (a
//! one-off step, such as a thread pool growing by one mid-window, has a flat second half and
//! levels off). Only then "grows: +X/h".
//!
//! Only series of one process lifetime are judged: a restart resets RSS, fds and tasks, so a
//! node restarted by churn in the window is left out (the soak judges the nodes never killed:
//! the producers, which churn never kills, and any non-producer churn happened to spare).

use serde::{Deserialize, Serialize};

/// How much growth counts as noise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Share of the series' median level in the window.
    pub rel: f64,
    /// Multiple of the residuals' median absolute deviation.
    pub k: f64,
    /// Absolute floor, in the series' unit.
    pub floor: f64,
}

impl Rule {
    pub const fn new(floor: f64) -> Self {
        Self {
            rel: 0.05,
            k: 3.0,
            floor,
        }
    }
}

/// The verdict on one series over the judged window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesVerdict {
    /// Least-squares slope, per hour.
    pub slope_per_h: f64,
    /// The slope of the window's second half, per hour (`None`: too few samples there).
    pub late_slope_per_h: Option<f64>,
    /// slope × window length: the growth the fit predicts over the window.
    pub growth: f64,
    /// Growth allowed as noise (max of rel × level, k × MAD, floor).
    pub allowed: f64,
    /// Median value in the window.
    pub level: f64,
    /// Samples in the window.
    pub samples: usize,
    pub levels_off: bool,
}

/// Least-squares fit of `v = a + b·t`: `(b, a)`. `None` with fewer than two distinct times.
pub fn fit(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mt = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mv = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut stt, mut stv) = (0.0, 0.0);
    for &(t, v) in points {
        stt += (t - mt) * (t - mt);
        stv += (t - mt) * (v - mv);
    }
    if stt <= 0.0 {
        return None;
    }
    let b = stv / stt;
    Some((b, mv - b * mt))
}

pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

/// Median absolute deviation from the median.
pub fn mad(values: &[f64]) -> Option<f64> {
    let m = median(values)?;
    let dev: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    median(&dev)
}

/// Least samples in the window for a verdict (a line through three points says little).
pub const MIN_SAMPLES: usize = 5;

/// Judges `points` (`(seconds, value)`, one process lifetime) over `[from_s, to_s]`.
pub fn judge_series(
    points: &[(f64, f64)],
    from_s: f64,
    to_s: f64,
    rule: Rule,
) -> Option<SeriesVerdict> {
    let window: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(t, v)| *t >= from_s && *t <= to_s && v.is_finite())
        .collect();
    if window.len() < MIN_SAMPLES {
        return None;
    }
    let (slope, intercept) = fit(&window)?;
    let span = window.last()?.0 - window.first()?.0;
    let residuals: Vec<f64> = window
        .iter()
        .map(|&(t, v)| v - (intercept + slope * t))
        .collect();
    let level = median(&window.iter().map(|p| p.1).collect::<Vec<_>>())?;
    let noise = mad(&residuals)?;
    let growth = slope * span;
    let allowed = (rule.rel * level.abs()).max(rule.k * noise).max(rule.floor);
    let mid = window.first()?.0 + span / 2.0;
    let late: Vec<(f64, f64)> = window.iter().copied().filter(|p| p.0 >= mid).collect();
    let late_slope = (late.len() >= MIN_SAMPLES)
        .then(|| fit(&late).map(|(b, _)| b))
        .flatten();
    let still_growing = late_slope.is_none_or(|b| b * span > allowed);
    Some(SeriesVerdict {
        slope_per_h: slope * 3600.0,
        late_slope_per_h: late_slope.map(|b| b * 3600.0),
        growth,
        allowed,
        level,
        samples: window.len(),
        levels_off: growth <= allowed || !still_growing,
    })
}

/// One metric over every judged node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricVerdict {
    pub metric: String,
    pub unit: String,
    /// Nodes judged (one lifetime covering the window).
    pub nodes: usize,
    /// Nodes whose series grows.
    pub growing: Vec<usize>,
    /// The node with the largest growth ÷ allowed, and its verdict.
    pub worst: Option<(usize, SeriesVerdict)>,
    /// Mean slope over the judged nodes, per hour.
    pub mean_slope_per_h: Option<f64>,
}

impl MetricVerdict {
    pub fn levels_off(&self) -> bool {
        self.nodes > 0 && self.growing.is_empty()
    }

    /// `rss: levels off (worst node 3: +0.4 MiB/h, allowed 2.1 MiB over the window; 5 nodes)`.
    pub fn line(&self) -> String {
        let Some((node, w)) = &self.worst else {
            return format!(
                "{}: not judged (no node had one lifetime spanning the window)",
                self.metric
            );
        };
        let what = if self.levels_off() {
            "levels off".to_string()
        } else {
            format!(
                "grows: {:+.2} {}/h (nodes {:?})",
                w.slope_per_h, self.unit, self.growing
            )
        };
        let late = w
            .late_slope_per_h
            .map_or_else(|| "n/a".to_string(), |b| format!("{b:+.2} {}/h", self.unit));
        format!(
            "{}: {what} — worst node {node}: {:+.2} {u}/h (second half {late}), {:+.2} {u} \
             over the window vs {:.2} {u} allowed, level {:.1} {u}; {} node(s) judged",
            self.metric,
            w.slope_per_h,
            w.growth,
            w.allowed,
            w.level,
            self.nodes,
            u = self.unit
        )
    }
}

impl MetricVerdict {
    /// For a series that grows by design (an append-only file): its rate, not a verdict.
    /// `chain: +12.3 MiB/h mean per node (second half of the worst: +11.0 MiB/h), 4 node(s)`.
    pub fn rate_line(&self) -> String {
        let (Some(mean), Some((node, w))) = (self.mean_slope_per_h, &self.worst) else {
            return format!(
                "{}: no rate (no node had one lifetime spanning the window)",
                self.metric
            );
        };
        let late = w
            .late_slope_per_h
            .map_or_else(|| "n/a".to_string(), |b| format!("{b:+.2} {}/h", self.unit));
        format!(
            "{}: {mean:+.2} {u}/h mean per node over the window (node {node}: {:+.2} {u}/h, \
             second half {late}), level {:.1} {u}; {} node(s)",
            self.metric,
            w.slope_per_h,
            w.level,
            self.nodes,
            u = self.unit
        )
    }
}

/// Judges one metric over nodes: `series` is node → points of its one judged lifetime.
pub fn judge_metric(
    metric: &str,
    unit: &str,
    series: &[(usize, Vec<(f64, f64)>)],
    from_s: f64,
    to_s: f64,
    rule: Rule,
) -> MetricVerdict {
    let verdicts: Vec<(usize, SeriesVerdict)> = series
        .iter()
        .filter_map(|(n, pts)| Some((*n, judge_series(pts, from_s, to_s, rule)?)))
        .collect();
    let score = |v: &SeriesVerdict| v.growth / v.allowed.max(f64::MIN_POSITIVE);
    let worst = verdicts
        .iter()
        .max_by(|a, b| score(&a.1).total_cmp(&score(&b.1)))
        .cloned();
    let mean_slope_per_h = (!verdicts.is_empty())
        .then(|| verdicts.iter().map(|v| v.1.slope_per_h).sum::<f64>() / verdicts.len() as f64);
    MetricVerdict {
        metric: metric.into(),
        unit: unit.into(),
        nodes: verdicts.len(),
        growing: verdicts
            .iter()
            .filter(|v| !v.1.levels_off)
            .map(|v| v.0)
            .collect(),
        worst,
        mean_slope_per_h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(f: impl Fn(f64) -> f64, to_s: u32, step: u32) -> Vec<(f64, f64)> {
        (0..=to_s / step)
            .map(|i| {
                let t = f64::from(i * step);
                (t, f(t))
            })
            .collect()
    }

    #[test]
    fn fits_a_line_and_measures_spread() {
        let (b, a) = fit(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]).unwrap();
        assert!((b - 2.0).abs() < 1e-12 && (a - 1.0).abs() < 1e-12);
        assert!(fit(&[(1.0, 1.0), (1.0, 2.0)]).is_none());
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(mad(&[1.0, 2.0, 3.0, 4.0, 100.0]), Some(1.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_plateau_with_noise_levels_off() {
        // Warm-up growth in the first half, then flat with ±2 MiB of sawtooth.
        let rss = |t: f64| {
            let base = if t < 1800.0 { 40.0 + t / 60.0 } else { 70.0 };
            base + if (t as u64 / 10).is_multiple_of(2) {
                2.0
            } else {
                -2.0
            }
        };
        let v = judge_series(&series(rss, 3600, 10), 1800.0, 3600.0, Rule::new(1.0)).unwrap();
        assert!(v.levels_off, "{v:?}");
        assert!(v.slope_per_h.abs() < 1.0, "{v:?}");
        assert!((v.level - 70.0).abs() < 2.5);
    }

    #[test]
    fn a_steady_climb_grows() {
        // 10 MiB/h on ~70 MiB: 5 MiB over half an hour, above 5 % (3.5 MiB) and the noise.
        let leak = |t: f64| {
            65.0 + t / 360.0
                + if (t as u64 / 10).is_multiple_of(2) {
                    0.5
                } else {
                    -0.5
                }
        };
        let v = judge_series(&series(leak, 3600, 10), 1800.0, 3600.0, Rule::new(1.0)).unwrap();
        assert!(!v.levels_off, "{v:?}");
        assert!((v.slope_per_h - 10.0).abs() < 0.2, "{v:?}");
    }

    #[test]
    fn small_integer_counts_use_the_floor() {
        // Threads 21 → 22 once in the window: the fit sees growth, the flat second half
        // says it stopped.
        let threads = |t: f64| if t < 2500.0 { 21.0 } else { 22.0 };
        let v = judge_series(&series(threads, 3600, 10), 1800.0, 3600.0, Rule::new(1.0)).unwrap();
        assert!(v.growth > v.allowed, "{v:?}");
        assert_eq!(v.late_slope_per_h, Some(0.0));
        assert!(v.levels_off, "{v:?}");
        // Tasks +1 per minute: 30 over the window, far above 5 % of ~100 and a floor of 4.
        let tasks = |t: f64| 80.0 + (t / 60.0).floor();
        let v = judge_series(&series(tasks, 3600, 10), 1800.0, 3600.0, Rule::new(4.0)).unwrap();
        assert!(!v.levels_off, "{v:?}");
    }

    #[test]
    fn too_few_samples_give_no_verdict() {
        let pts = series(|_| 1.0, 40, 10);
        assert!(judge_series(&pts, 0.0, 40.0, Rule::new(1.0)).is_some());
        assert!(judge_series(&pts, 20.0, 40.0, Rule::new(1.0)).is_none());
    }

    #[test]
    fn a_metric_is_as_bad_as_its_worst_node() {
        let flat = series(|_| 50.0, 3600, 10);
        let leak = series(|t| 50.0 + t / 100.0, 3600, 10);
        let m = judge_metric(
            "rss",
            "MiB",
            &[(0, flat.clone()), (1, leak), (2, flat)],
            1800.0,
            3600.0,
            Rule::new(1.0),
        );
        assert_eq!(m.nodes, 3);
        assert_eq!(m.growing, vec![1]);
        assert!(!m.levels_off());
        assert_eq!(m.worst.as_ref().unwrap().0, 1);
        assert!(
            m.line().starts_with("rss: grows: +36.00 MiB/h"),
            "{}",
            m.line()
        );
        let none = judge_metric("fds", "", &[], 0.0, 1.0, Rule::new(2.0));
        assert!(!none.levels_off());
        assert!(none.line().contains("not judged"));
        assert!(none.rate_line().contains("no rate"));
        assert!(
            m.rate_line().starts_with("rss: +12.00 MiB/h mean per node"),
            "{}",
            m.rate_line()
        );
    }
}
