//! The fault flags' grammar: `--partition <fraction>@<start>+<duration>[/<every>]`,
//! `--churn <fraction>@<period>`, `--kill <n>@<time>`. Fractions are `50%` or `0.5`; times take
//! the CLI's duration format (`10s`, `500ms`, `2m`, bare seconds), measured from the start of
//! the load. `/<every>` repeats the partition: a new cut every `every` from `start` while the
//! load runs (each healed `duration` after it began, so `every` must exceed `duration`).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use super::link_spec::{Flap, LinkLoss, OneWay};
use super::parse::{fraction, split_at};
use crate::util::timefmt::parse_duration;

/// That share of the nodes is cut off from the rest at `start` and healed `duration` later;
/// with `every`, again at `start + k·every` for as long as the load runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Partition {
    pub fraction: f64,
    pub start: Duration,
    pub duration: Duration,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<Duration>,
}

/// Every `period`, that share of the eligible nodes is killed (SIGKILL); each is restarted from
/// its data directory one period later.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Churn {
    pub fraction: f64,
    pub period: Duration,
}

/// `n` eligible nodes are killed (SIGKILL) at `at` and stay down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kill {
    pub n: usize,
    pub at: Duration,
}

/// The faults of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    pub partition: Option<Partition>,
    pub churn: Option<Churn>,
    pub kill: Option<Kill>,
    /// Link faults ([`super::link_spec`]).
    #[serde(default)]
    pub oneway: Option<OneWay>,
    #[serde(default)]
    pub flap: Option<Flap>,
    #[serde(default)]
    pub loss: Option<LinkLoss>,
}

impl Faults {
    pub fn any(&self) -> bool {
        self.partition.is_some() || self.churn.is_some() || self.kill.is_some() || self.any_link()
    }

    /// Any link fault (one-way cuts, flapping, loss).
    pub fn any_link(&self) -> bool {
        self.oneway.is_some() || self.flap.is_some() || self.loss.is_some()
    }
}

impl std::str::FromStr for Partition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        const FORM: &str =
            "<fraction>@<start>+<duration>[/<every>], e.g. 50%@10s+60s or 50%@5m+1m/10m";
        let (f, rest) = split_at(s, FORM)?;
        let (start, rest) = rest
            .split_once('+')
            .ok_or_else(|| format!("{s:?}: expected {FORM}"))?;
        let (duration, every) = match rest.split_once('/') {
            Some((d, e)) => (d, Some(parse_duration(e)?)),
            None => (rest, None),
        };
        let duration = parse_duration(duration)?;
        if duration.is_zero() {
            return Err(format!("{s:?}: the partition must last longer than 0"));
        }
        if every.is_some_and(|e| e <= duration) {
            return Err(format!(
                "{s:?}: a repeated partition must be healed before the next cut (every > duration)"
            ));
        }
        Ok(Self {
            fraction: fraction(&f)?,
            start: parse_duration(start)?,
            duration,
            every,
        })
    }
}

impl std::str::FromStr for Churn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (f, period) = split_at(s, "<fraction>@<period>, e.g. 25%@5s")?;
        let period = parse_duration(&period)?;
        if period < Duration::from_millis(100) {
            return Err(format!("{s:?}: the churn period must be at least 100ms"));
        }
        Ok(Self {
            fraction: fraction(&f)?,
            period,
        })
    }
}

impl std::str::FromStr for Kill {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (n, at) = split_at(s, "<n>@<time>, e.g. 2@30s")?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: {n:?} is not a node count"))?;
        if n == 0 {
            return Err(format!("{s:?}: kill at least one node"));
        }
        Ok(Self {
            n,
            at: parse_duration(&at)?,
        })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--partition {}%@{:?}+{:?}",
            self.fraction * 100.0,
            self.start,
            self.duration
        )?;
        match self.every {
            Some(e) => write!(f, "/{e:?}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Churn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--churn {}%@{:?}", self.fraction * 100.0, self.period)
    }
}

impl fmt::Display for Kill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--kill {}@{:?}", self.n, self.at)
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            self.partition.map(|p| p.to_string()),
            self.churn.map(|c| c.to_string()),
            self.kill.map(|k| k.to_string()),
            self.oneway.map(|o| o.to_string()),
            self.flap.map(|f| f.to_string()),
            self.loss.map(|l| l.to_string()),
        ]
        .into_iter()
        .flatten()
        .collect();
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_flags_parse() {
        let p: Partition = "50%@10s+300s".parse().unwrap();
        assert_eq!(
            p,
            Partition {
                fraction: 0.5,
                start: Duration::from_secs(10),
                duration: Duration::from_secs(300),
                every: None,
            }
        );
        let r: Partition = "50%@5m+1m/10m".parse().unwrap();
        assert_eq!(r.every, Some(Duration::from_secs(600)));
        assert_eq!(r.duration, Duration::from_secs(60));
        assert_eq!(r.to_string(), "--partition 50%@300s+60s/600s");
        let c: Churn = "0.25@5s".parse().unwrap();
        assert_eq!((c.fraction, c.period), (0.25, Duration::from_secs(5)));
        let k: Kill = "2@1.5s".parse().unwrap();
        assert_eq!((k.n, k.at), (2, Duration::from_millis(1500)));
        assert_eq!(p.to_string(), "--partition 50%@10s+300s");
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for bad in [
            "50%",
            "50%@10s",
            "0%@1s+1s",
            "100%@1s+1s",
            "x@1s+1s",
            "50%@1s+0s",
            "50%@1s+60s/60s",
            "50%@1s+60s/x",
        ] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
        for bad in ["25%", "25%@10ms", "1.5@5s"] {
            assert!(bad.parse::<Churn>().is_err(), "{bad}");
        }
        for bad in ["0@1s", "two@1s", "2"] {
            assert!(bad.parse::<Kill>().is_err(), "{bad}");
        }
        let e = "50%@10s".parse::<Partition>().unwrap_err();
        assert!(e.contains("<fraction>@<start>+<duration>"), "{e}");
    }
}
