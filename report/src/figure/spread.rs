//! Repeated runs of one figure: median with min–max, and a flag for runs that disagree too
//! much to trust the median (on a 2-core machine a background job can halve a rate).

use serde::{Deserialize, Serialize};

/// max/min above this marks a figure as noisy.
pub const NOISE_RATIO: f64 = 1.5;

/// A median latency (a `p50` figure) is held to a tighter spread: runs that differ by more
/// than 10% at p50 are flagged (issue #13). Medians move little between honest runs; when
/// they do, something else (a busy core, a saturated machine) set them.
pub const P50_NOISE_RATIO: f64 = 1.10;

/// The noise threshold for the figure `key`.
pub fn noise_ratio(key: &str) -> f64 {
    if key.contains("p50") {
        P50_NOISE_RATIO
    } else {
        NOISE_RATIO
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// The per-run values, in run order (runs that produced no value are left out).
    pub samples: Vec<f64>,
    pub noisy: bool,
}

/// `None` when no run produced a (finite) value. Noisy above [`NOISE_RATIO`]; see
/// [`spread_of`] for a figure's own threshold.
pub fn spread(samples: &[f64]) -> Option<Spread> {
    spread_with(samples, NOISE_RATIO)
}

/// The spread of the figure `key`, judged noisy by its own threshold ([`noise_ratio`]).
pub fn spread_of(key: &str, samples: &[f64]) -> Option<Spread> {
    spread_with(samples, noise_ratio(key))
}

fn spread_with(samples: &[f64], ratio: f64) -> Option<Spread> {
    let kept: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    let mut sorted = kept.clone();
    sorted.sort_by(f64::total_cmp);
    let (&min, &max) = (sorted.first()?, sorted.last()?);
    Some(Spread {
        median: median_of_sorted(&sorted),
        min,
        max,
        noisy: is_noisy(min, max, ratio),
        samples: kept,
    })
}

/// The middle value; with an even count, the mean of the two middle ones.
fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// max/min > `ratio`. Figures here are non-negative; a zero next to a positive value is as
/// noisy as it gets, two zeros are perfectly steady.
pub fn is_noisy(min: f64, max: f64, ratio: f64) -> bool {
    if max <= 0.0 {
        return false;
    }
    if min <= 0.0 {
        return true;
    }
    max / min > ratio
}

impl Spread {
    pub fn runs(&self) -> usize {
        self.samples.len()
    }

    pub fn max_over_min(&self) -> Option<f64> {
        (self.min > 0.0).then(|| self.max / self.min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max() {
        let s = spread(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(s.samples, vec![3.0, 1.0, 2.0], "run order kept");
        assert!(s.noisy, "3/1 > 1.5");
        let even = spread(&[10.0, 12.0, 11.0, 13.0]).unwrap();
        assert_eq!(even.median, 11.5);
        assert!(!even.noisy);
        assert_eq!(spread(&[7.0]).unwrap().median, 7.0);
        assert!(spread(&[]).is_none());
        assert!(spread(&[f64::NAN]).is_none());
        assert_eq!(spread(&[f64::NAN, 4.0]).unwrap().runs(), 1);
    }

    #[test]
    fn noise_flag() {
        assert!(
            !is_noisy(100.0, 150.0, NOISE_RATIO),
            "exactly 1.5 is not above it"
        );
        assert!(is_noisy(100.0, 150.1, NOISE_RATIO));
        assert!(!is_noisy(0.0, 0.0, NOISE_RATIO));
        assert!(is_noisy(0.0, 0.2, NOISE_RATIO));
        assert_eq!(spread(&[0.0, 1.0]).unwrap().max_over_min(), None);
        assert_eq!(spread(&[2.0, 3.0]).unwrap().max_over_min(), Some(1.5));
    }

    /// Medians are held to 10%: a p50 latency that moved 12% between runs is flagged, the
    /// same spread on a p99 is not.
    #[test]
    fn p50_figures_are_held_to_ten_percent() {
        assert!(spread_of("tx_p50_all", &[10.0, 11.2, 10.5]).unwrap().noisy);
        assert!(!spread_of("tx_p50_all", &[10.0, 10.9]).unwrap().noisy);
        assert!(!spread_of("tx_p99_all", &[10.0, 11.2]).unwrap().noisy);
    }
}
