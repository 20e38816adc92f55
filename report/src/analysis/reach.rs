//! Time for a message to reach a fraction of the nodes, and the delivery ratio.

use serde::{Deserialize, Serialize};

use super::messages::Message;
use super::percentile::{Summary, summarize};

/// The fractions the report tracks.
pub const LEVELS: [f64; 4] = [0.5, 0.9, 0.99, 1.0];

/// Time (µs after origin) by which `fraction` of `n` nodes had the message: the delay of the
/// ⌈fraction·n⌉-th node to see it (the origin counts, at 0). `None` if it never got that far.
pub fn time_to_reach(sorted_delays: &[u64], n: usize, fraction: f64) -> Option<u64> {
    let k = ((fraction * n as f64).ceil() as usize).max(1);
    sorted_delays.get(k - 1).copied()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReachLevel {
    /// Percent of nodes (50, 90, 99, 100).
    pub percent_of_nodes: f64,
    /// Over messages, of the time (ms) to reach that many nodes.
    pub ms: Option<Summary>,
    /// Messages that never reached that many nodes (not in `ms`).
    pub unreached: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub messages: usize,
    /// messages × nodes.
    pub expected: usize,
    /// (message, node) pairs where the node saw the message (origin included).
    pub delivered: usize,
    pub ratio: f64,
}

pub fn delivery(messages: &[&Message], n: usize) -> Delivery {
    let expected = messages.len() * n;
    let delivered: usize = messages.iter().map(|m| m.reached()).sum();
    Delivery {
        messages: messages.len(),
        expected,
        delivered,
        ratio: if expected == 0 {
            0.0
        } else {
            delivered as f64 / expected as f64
        },
    }
}

pub fn levels(messages: &[&Message], n: usize) -> Vec<ReachLevel> {
    let sorted: Vec<Vec<u64>> = messages.iter().map(|m| m.sorted_delays()).collect();
    LEVELS
        .iter()
        .map(|&f| {
            let times: Vec<f64> = sorted
                .iter()
                .filter_map(|d| time_to_reach(d, n, f))
                .map(us_to_ms)
                .collect();
            ReachLevel {
                percent_of_nodes: f * 100.0,
                unreached: messages.len() - times.len(),
                ms: summarize(times),
            }
        })
        .collect()
}

pub fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Kind;

    fn msg(delays: Vec<Option<u64>>) -> Message {
        Message {
            kind: Kind::Tx,
            id: String::new(),
            origin: 0,
            origin_t_us: 0,
            delays_us: delays,
        }
    }

    #[test]
    fn reach_known_answers() {
        // 10 nodes, delays 0, 1..9 ms.
        let d: Vec<u64> = (0..10).map(|i| i * 1000).collect();
        assert_eq!(time_to_reach(&d, 10, 0.5), Some(4000));
        assert_eq!(time_to_reach(&d, 10, 0.9), Some(8000));
        assert_eq!(time_to_reach(&d, 10, 0.99), Some(9000));
        assert_eq!(time_to_reach(&d, 10, 1.0), Some(9000));
        // Only 6 of 10 reached: 50% yes, 90% no.
        assert_eq!(time_to_reach(&d[..6], 10, 0.5), Some(4000));
        assert_eq!(time_to_reach(&d[..6], 10, 0.9), None);
    }

    #[test]
    fn levels_and_delivery_over_messages() {
        let a = msg(vec![Some(0), Some(1000), Some(2000), Some(3000)]);
        let b = msg(vec![Some(0), Some(5000), None, Some(4000)]);
        let msgs = vec![&a, &b];
        let d = delivery(&msgs, 4);
        assert_eq!((d.expected, d.delivered), (8, 7));
        assert_eq!(d.ratio, 7.0 / 8.0);
        let l = levels(&msgs, 4);
        // 50% of 4 = 2 nodes: a at 1 ms, b at 4 ms.
        let half = l[0].ms.as_ref().unwrap();
        assert_eq!((half.count, half.p50, half.max), (2, 1.0, 4.0));
        // 100%: only a made it, at 3 ms.
        let all = &l[3];
        assert_eq!(all.unreached, 1);
        assert_eq!(all.ms.as_ref().unwrap().max, 3.0);
    }
}
