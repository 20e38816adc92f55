//! Per-client RPC state as plain structs: who a client is ([`ClientKey`]), its call rate (a
//! token bucket per client, [`RateTable`]) and its open connections ([`ConnectionTable`]).
//! No I/O and no clock of their own (callers pass `now`), so each is unit-tested here.
//!
//! # Invariants
//!
//! - A client is a source address: an IPv4 address, or an IPv6 /64 (IPv4-mapped IPv6 counts as
//!   IPv4). One host usually owns a whole /64; counting single IPv6 addresses would let it mint
//!   fresh buckets and connection allowances at will.
//! - A call is served only if its client's bucket held a token; a refused call costs a lookup
//!   and a token of debt (bounded by the burst), so refusals are paced at the rate too.
//! - Loopback clients are exempt from the per-client limits unless the config says otherwise
//!   (they are the operator's own tools); the total connection limit applies to everyone.
//!
//! # Bounds
//!
//! - [`RateTable`] remembers at most `max_rate_clients` buckets (`[rpc] max_rate_clients`,
//!   4 096: ~100 KB), least recently seen forgotten first. Forgetting a client only refills its
//!   bucket, so the bound trades memory for how many distinct addresses an attacker needs to
//!   get fresh bursts: at 4 096 it needs over 4 096 addresses (or /64s) in rotation.
//! - [`ConnectionTable`] holds an entry only for a client with an open connection, so it has at
//!   most `max_connections` entries.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use lru::LruCache;

/// One client as the limits see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4(Ipv4Addr),
    /// The first 64 bits of an IPv6 address.
    V6(u64),
}

impl ClientKey {
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(a) => Self::V4(a),
            IpAddr::V6(a) => Self::V6((u128::from(a) >> 64) as u64),
        }
    }
}

/// The client of a connection, as the accept loop found it (put in every request's
/// extensions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub key: ClientKey,
    /// Whether the per-client limits apply (false for an exempt loopback client).
    pub limited: bool,
}

impl Client {
    pub fn new(ip: IpAddr, limit_loopback: bool) -> Self {
        Self {
            key: ClientKey::of(ip),
            limited: limit_loopback || !ip.to_canonical().is_loopback(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// What the rate limit decided about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    Allow,
    /// Refused; one more call would be served after this long.
    Refuse {
        retry_after: Duration,
    },
}

/// A token bucket per client: `burst` calls at once, refilled at `per_sec`. A refused call
/// takes a token as well, so the bucket runs into debt (at most one `burst`) and the wait it
/// answers grows with what the client sent past its refusals: a client that honours
/// `retry_after` is refused once and then served at the rate, while one that keeps
/// `n` calls in flight is paused for about `n / per_sec`, up to `(burst + 1) / per_sec` — a
/// flood's refusals are then paced by the rate, as its served calls are, instead of costing
/// an answer per call it sends.
#[derive(Debug)]
pub struct RateTable {
    per_sec: f64,
    burst: f64,
    buckets: LruCache<ClientKey, Bucket>,
    evicted: u64,
}

impl RateTable {
    /// `per_sec` must be positive (a zero rate means no limiter at all, not a table).
    pub fn new(per_sec: u32, burst: u32, max_clients: u32) -> Self {
        let cap = NonZeroUsize::new(max_clients as usize).unwrap_or(NonZeroUsize::MIN);
        Self {
            per_sec: f64::from(per_sec.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: LruCache::new(cap),
            evicted: 0,
        }
    }

    /// Takes one token from `client`'s bucket, if it has one.
    pub fn take(&mut self, client: ClientKey, now: Instant) -> Rate {
        let (per_sec, burst) = (self.per_sec, self.burst);
        let b = match self.buckets.get_mut(&client) {
            Some(b) => {
                let refill = now.saturating_duration_since(b.last).as_secs_f64() * per_sec;
                b.tokens = (b.tokens + refill).min(burst);
                b.last = now;
                b
            }
            None => {
                let fresh = Bucket {
                    tokens: burst,
                    last: now,
                };
                if let Some((old, _)) = self.buckets.push(client, fresh)
                    && old != client
                {
                    self.evicted += 1;
                }
                self.buckets.get_mut(&client).expect("just inserted")
            }
        };
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Rate::Allow;
        }
        // A refused call is charged too, down to a debt of one burst: a client that keeps
        // sending past its refusals waits longer, up to `burst / per_sec`.
        b.tokens = (b.tokens - 1.0).max(-burst);
        Rate::Refuse {
            retry_after: Duration::from_secs_f64((1.0 - b.tokens) / per_sec),
        }
    }

    /// Clients remembered now.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Clients forgotten to make room, since start.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The node has `max_connections` open.
    Total,
    /// This client has `max_connections_per_ip` open.
    PerClient,
}

impl Refused {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::Total => "max_connections",
            Refused::PerClient => "max_connections_per_ip",
        }
    }
}

/// Open connections, in total and per limited client.
#[derive(Debug)]
pub struct ConnectionTable {
    max_total: u32,
    /// 0: no per-client limit.
    max_per_client: u32,
    total: u32,
    per_client: HashMap<ClientKey, u32>,
}

impl ConnectionTable {
    pub fn new(max_total: u32, max_per_client: u32) -> Self {
        Self {
            max_total,
            max_per_client,
            total: 0,
            per_client: HashMap::new(),
        }
    }

    /// Counts a new connection from `client`, or says why it may not open.
    pub fn admit(&mut self, client: Client) -> Result<(), Refused> {
        if self.total >= self.max_total {
            return Err(Refused::Total);
        }
        if client.limited && self.max_per_client > 0 {
            let n = self.per_client.entry(client.key).or_insert(0);
            if *n >= self.max_per_client {
                return Err(Refused::PerClient);
            }
            *n += 1;
        }
        self.total += 1;
        Ok(())
    }

    /// Forgets a connection [`Self::admit`] counted.
    pub fn release(&mut self, client: Client) {
        self.total = self.total.saturating_sub(1);
        if client.limited
            && self.max_per_client > 0
            && let Some(n) = self.per_client.get_mut(&client.key)
        {
            *n -= 1;
            if *n == 0 {
                self.per_client.remove(&client.key);
            }
        }
    }

    pub fn open(&self) -> u32 {
        self.total
    }

    /// Clients with a per-client count (at most `max_total`).
    pub fn clients(&self) -> usize {
        self.per_client.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn refused(t: &mut RateTable, c: ClientKey, at: Instant) -> bool {
        matches!(t.take(c, at), Rate::Refuse { .. })
    }

    #[test]
    fn clients_are_ipv4_addresses_and_ipv6_slash_64s() {
        assert_eq!(
            ClientKey::of(ip("10.0.0.1")),
            ClientKey::of(ip("::ffff:10.0.0.1"))
        );
        assert_ne!(ClientKey::of(ip("10.0.0.1")), ClientKey::of(ip("10.0.0.2")));
        assert_eq!(
            ClientKey::of(ip("2001:db8:1:2::1")),
            ClientKey::of(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            ClientKey::of(ip("2001:db8:1:2::1")),
            ClientKey::of(ip("2001:db8:1:3::1"))
        );
        assert!(
            !Client::new(ip("127.0.0.2"), false).limited,
            "loopback exempt"
        );
        assert!(!Client::new(ip("::1"), false).limited);
        assert!(Client::new(ip("127.0.0.2"), true).limited);
        assert!(Client::new(ip("192.0.2.1"), false).limited);
    }

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let mut t = RateTable::new(10, 3, 16);
        let a = ClientKey::of(ip("192.0.2.1"));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(t.take(a, t0), Rate::Allow);
        }
        match t.take(a, t0) {
            Rate::Refuse { retry_after } => {
                assert_eq!(
                    retry_after,
                    Duration::from_millis(200),
                    "the refused call's token and the next one, at 10/s"
                )
            }
            Rate::Allow => panic!("over the burst"),
        }
        // Another client is untouched by the first one's flood.
        assert_eq!(t.take(ClientKey::of(ip("192.0.2.2")), t0), Rate::Allow);
        // The refusal cost a token: 200 ms refill one token (100 ms to pay the debt); a long
        // idle refills only up to the burst.
        assert!(refused(&mut t, a, t0 + Duration::from_millis(100)));
        assert_eq!(t.take(a, t0 + Duration::from_millis(300)), Rate::Allow);
        assert!(refused(&mut t, a, t0 + Duration::from_millis(300)));
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(t.take(a, later), Rate::Allow);
        }
        assert!(refused(&mut t, a, later));
    }

    #[test]
    fn calls_past_a_refusal_deepen_the_wait_up_to_one_burst() {
        let mut t = RateTable::new(10, 4, 16);
        let a = ClientKey::of(ip("192.0.2.1"));
        let t0 = Instant::now();
        for _ in 0..4 {
            assert_eq!(t.take(a, t0), Rate::Allow);
        }
        let waits: Vec<_> = (0..6)
            .map(|_| match t.take(a, t0) {
                Rate::Refuse { retry_after } => retry_after.as_millis(),
                Rate::Allow => panic!("over the burst"),
            })
            .collect();
        // 1, 2, 3, 4 tokens owed (each wait = debt + 1 at 10/s), then capped at the burst.
        assert_eq!(waits, [200, 300, 400, 500, 500, 500]);
        // A client that honours the last answer is served then, and is refused once more
        // only if it goes on at once.
        assert_eq!(t.take(a, t0 + Duration::from_millis(500)), Rate::Allow);
        assert!(refused(&mut t, a, t0 + Duration::from_millis(500)));
    }

    #[test]
    fn the_table_is_bounded_and_forgets_the_least_recently_seen() {
        let mut t = RateTable::new(1, 1, 2);
        let t0 = Instant::now();
        let (a, b, c) = (
            ClientKey::of(ip("192.0.2.1")),
            ClientKey::of(ip("192.0.2.2")),
            ClientKey::of(ip("192.0.2.3")),
        );
        assert_eq!(t.take(a, t0), Rate::Allow);
        assert_eq!(t.take(b, t0), Rate::Allow);
        assert!(refused(&mut t, a, t0), "a seen last");
        assert_eq!(t.take(c, t0), Rate::Allow, "evicts b");
        assert_eq!((t.len(), t.evicted()), (2, 1));
        assert!(refused(&mut t, a, t0), "a kept");
        assert_eq!(t.take(b, t0), Rate::Allow, "b forgotten: a fresh bucket");
        assert_eq!((t.len(), t.evicted()), (2, 2));
    }

    #[test]
    fn connections_are_capped_in_total_and_per_client() {
        let mut t = ConnectionTable::new(4, 2);
        let a = Client::new(ip("192.0.2.1"), false);
        let b = Client::new(ip("192.0.2.2"), false);
        let local = Client::new(ip("127.0.0.1"), false);
        assert_eq!(t.admit(a), Ok(()));
        assert_eq!(t.admit(a), Ok(()));
        assert_eq!(t.admit(a), Err(Refused::PerClient));
        assert_eq!(t.admit(b), Ok(()), "another client still gets in");
        assert_eq!(t.admit(local), Ok(()));
        assert_eq!(t.admit(b), Err(Refused::Total));
        assert_eq!((t.open(), t.clients()), (4, 2));
        t.release(a);
        t.release(a);
        assert_eq!((t.open(), t.clients()), (2, 1), "a forgotten");
        assert_eq!(t.admit(local), Ok(()));
        assert_eq!(t.admit(local), Ok(()), "loopback: no per-client cap");
        assert_eq!(t.admit(a), Err(Refused::Total));
        let mut unlimited = ConnectionTable::new(8, 0);
        for _ in 0..8 {
            assert_eq!(unlimited.admit(a), Ok(()));
        }
        assert_eq!(unlimited.clients(), 0);
    }
}
