//! The link-fault flags' grammar: `--cut-oneway <share>@<start>+<duration>`,
//! `--flap <share>@<period>/<down>`, `--link-loss <share>/<loss>[@<start>+<duration>]`.
//! Shares are of the node pairs connected when the fault starts (`25%` or `0.25`); times take
//! the CLI's duration format, measured from the start of the load. What each fault does to a
//! link, and what a TCP byte stream cannot model, is `rumor_link`'s crate documentation.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::parse::{fraction, split_at};
use crate::util::timefmt::parse_duration;

/// On that share of the connected links, one direction (chosen per link) carries nothing
/// from `start` for `duration`; the other keeps working.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OneWay {
    pub fraction: f64,
    pub start: Duration,
    pub duration: Duration,
}

/// On that share of the links connected one period into the load, both directions go down
/// for `down` at the start of every `period`, from then until the load ends.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Flap {
    pub fraction: f64,
    pub period: Duration,
    pub down: Duration,
}

/// On that share of the connected links, each direction loses `loss` of its chunks (each
/// lost chunk waits TCP retransmission timeouts), during the window (the whole load without).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinkLoss {
    pub fraction: f64,
    pub loss: f64,
    pub window: Option<(Duration, Duration)>,
}

fn start_plus(s: &str, whole: &str, form: &str) -> Result<(Duration, Duration), String> {
    let (start, duration) = s
        .split_once('+')
        .ok_or_else(|| format!("{whole:?}: expected {form}"))?;
    let duration = parse_duration(duration)?;
    if duration.is_zero() {
        return Err(format!("{whole:?}: the fault must last longer than 0"));
    }
    Ok((parse_duration(start)?, duration))
}

impl std::str::FromStr for OneWay {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        const FORM: &str = "<share of links>@<start>+<duration>, e.g. 25%@5s+20s";
        let (f, rest) = split_at(s, FORM)?;
        let (start, duration) = start_plus(&rest, s, FORM)?;
        Ok(Self {
            fraction: fraction(&f)?,
            start,
            duration,
        })
    }
}

impl std::str::FromStr for Flap {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        const FORM: &str = "<share of links>@<period>/<down>, e.g. 25%@10s/2s";
        let (f, rest) = split_at(s, FORM)?;
        let (period, down) = rest
            .split_once('/')
            .ok_or_else(|| format!("{s:?}: expected {FORM}"))?;
        let (period, down) = (parse_duration(period)?, parse_duration(down)?);
        if period < Duration::from_millis(100) {
            return Err(format!("{s:?}: the flap period must be at least 100ms"));
        }
        if down.is_zero() || down >= period {
            return Err(format!(
                "{s:?}: the down time must be above 0 and below the period"
            ));
        }
        Ok(Self {
            fraction: fraction(&f)?,
            period,
            down,
        })
    }
}

impl std::str::FromStr for LinkLoss {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        const FORM: &str =
            "<share of links>/<loss>[@<start>+<duration>], e.g. 25%/2% or 25%/2%@5s+20s";
        let (shares, window) = match s.split_once('@') {
            Some((a, b)) => (a, Some(start_plus(b, s, FORM)?)),
            None => (s, None),
        };
        let (f, loss) = shares
            .split_once('/')
            .ok_or_else(|| format!("{s:?}: expected {FORM}"))?;
        Ok(Self {
            fraction: fraction(f)?,
            loss: fraction(loss)?,
            window,
        })
    }
}

fn pct(f: f64) -> String {
    format!("{}%", f * 100.0)
}

impl fmt::Display for OneWay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--cut-oneway {}@{:?}+{:?}",
            pct(self.fraction),
            self.start,
            self.duration
        )
    }
}

impl fmt::Display for Flap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--flap {}@{:?}/{:?}",
            pct(self.fraction),
            self.period,
            self.down
        )
    }
}

impl fmt::Display for LinkLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--link-loss {}/{}", pct(self.fraction), pct(self.loss))?;
        if let Some((start, duration)) = self.window {
            write!(f, "@{start:?}+{duration:?}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn the_link_flags_parse_and_print() {
        let o: OneWay = "25%@5s+20s".parse().unwrap();
        assert_eq!(
            o,
            OneWay {
                fraction: 0.25,
                start: 5 * S,
                duration: 20 * S
            }
        );
        assert_eq!(o.to_string(), "--cut-oneway 25%@5s+20s");
        let f: Flap = "0.25@10s/2s".parse().unwrap();
        assert_eq!((f.fraction, f.period, f.down), (0.25, 10 * S, 2 * S));
        assert_eq!(f.to_string(), "--flap 25%@10s/2s");
        let l: LinkLoss = "30%/2%".parse().unwrap();
        assert_eq!((l.fraction, l.window), (0.3, None));
        assert!((l.loss - 0.02).abs() < 1e-12);
        let l: LinkLoss = "30%/5%@1s+2s".parse().unwrap();
        assert_eq!(l.window, Some((S, 2 * S)));
        assert_eq!(l.to_string(), "--link-loss 30%/5%@1s+2s");
    }

    #[test]
    fn bad_link_flags_say_what_is_wrong() {
        for bad in ["25%", "25%@5s", "0%@1s+1s", "25%@1s+0s", "x@1s+1s"] {
            assert!(bad.parse::<OneWay>().is_err(), "{bad}");
        }
        for bad in [
            "25%@10s",
            "25%@10s/10s",
            "25%@10s/0s",
            "25%@50ms/10ms",
            "2@10s/1s",
        ] {
            assert!(bad.parse::<Flap>().is_err(), "{bad}");
        }
        for bad in ["25%", "25%/100%", "25%/0%", "25%/2%@5s", "25%/2%@5s+0s"] {
            assert!(bad.parse::<LinkLoss>().is_err(), "{bad}");
        }
        let e = "25%@10s".parse::<Flap>().unwrap_err();
        assert!(e.contains("<period>/<down>"), "{e}");
    }
}
