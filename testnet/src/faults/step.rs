//! A fault schedule's steps: what to do and when (data only). [`super::schedule`] plans the
//! node faults and [`super::links`] the link faults; [`super::exec`] carries them out.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Cut `side` off from every other node, both ways.
    Cut { side: Vec<usize> },
    /// Restore every cut connection.
    Heal,
    /// SIGKILL these nodes.
    Kill(Vec<usize>),
    /// Start these (killed) nodes again from their data directories.
    Restart(Vec<usize>),
    /// Fault a share of the connected links (`super::links`).
    LinkStart(LinkStart),
    /// End the link fault of that kind.
    LinkEnd(LinkKind),
}

/// One action, `at` after the load started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: Duration,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LinkKind {
    OneWay,
    Flap,
    Loss,
}

impl LinkKind {
    pub fn label(self) -> &'static str {
        match self {
            LinkKind::OneWay => "cut-oneway",
            LinkKind::Flap => "flap",
            LinkKind::Loss => "link-loss",
        }
    }
}

/// What a started link fault does, times from the start of the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPlan {
    /// One direction of each link (chosen per link) carries nothing until `end`.
    OneWay { end: Duration },
    /// Both directions down for `down` at every multiple of `period` from `first_down` until
    /// `end`.
    Flap {
        period: Duration,
        down: Duration,
        first_down: Duration,
        end: Duration,
    },
    /// Each direction loses `loss_ppm` parts per million of its chunks until `end`.
    Loss { loss_ppm: u32, end: Duration },
}

impl LinkPlan {
    pub fn kind(&self) -> LinkKind {
        match self {
            LinkPlan::OneWay { .. } => LinkKind::OneWay,
            LinkPlan::Flap { .. } => LinkKind::Flap,
            LinkPlan::Loss { .. } => LinkKind::Loss,
        }
    }

    pub fn end(&self) -> Duration {
        match *self {
            LinkPlan::OneWay { end } | LinkPlan::Flap { end, .. } | LinkPlan::Loss { end, .. } => {
                end
            }
        }
    }
}

/// A link fault's start: take `share_ppm` parts per million of the connected links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkStart {
    pub share_ppm: u32,
    pub plan: LinkPlan,
}
