//! What the node says at start-up about an RPC reachable by others.
//!
//! An RPC bound to a loopback address is the operator's own; bound to anything else (a LAN or
//! public address, or the unspecified `0.0.0.0` / `::`) anyone who can reach the port is a
//! client, and the `[rpc]` limits are what stand between them and the node. The defaults are
//! safe for that; this module names each limit an operator turned off or raised past a sane
//! cap, so the start-up log says so in one warning.
//!
//! "Without limits" means any of: no per-client call rate (`rate_per_ip = 0`), no per-client
//! connection cap (`max_connections_per_ip = 0`), a connection limit above
//! [`SANE_MAX_CONNECTIONS`], a burst above [`SANE_BURST`], or the `fault_*` methods on (they
//! let any caller cut the node off from its peers).

use std::net::SocketAddr;

use crate::config::RpcLimits;

/// Connections past which one node's RPC stops being "limited": each open connection costs a
/// task, buffers and a descriptor, and 1 024 is the usual default descriptor limit.
pub const SANE_MAX_CONNECTIONS: u32 = 1024;
/// A burst past which one client can take the node's whole RPC capacity at once (the ingest
/// bench: ~5–7 k submissions/s on 2 cores).
pub const SANE_BURST: u32 = 4096;

/// Whether others can reach an RPC bound to `addr`.
pub fn exposed(addr: SocketAddr) -> bool {
    !addr.ip().to_canonical().is_loopback()
}

/// The reasons the RPC at `addr` counts as unprotected, empty if it is loopback-only or every
/// limit is in place.
pub fn unprotected(addr: SocketAddr, limits: &RpcLimits, fault_control: bool) -> Vec<String> {
    if !exposed(addr) {
        return Vec::new();
    }
    let mut why = Vec::new();
    if limits.rate_per_ip == 0 {
        why.push("no per-client call rate ([rpc] rate_per_ip = 0)".to_owned());
    } else if limits.rate_burst_per_ip > SANE_BURST {
        why.push(format!(
            "a per-client burst of {} calls (over {SANE_BURST})",
            limits.rate_burst_per_ip
        ));
    }
    if limits.max_connections_per_ip == 0 {
        why.push("no per-client connection limit ([rpc] max_connections_per_ip = 0)".to_owned());
    }
    if limits.max_connections > SANE_MAX_CONNECTIONS {
        why.push(format!(
            "max_connections = {} (over {SANE_MAX_CONNECTIONS})",
            limits.max_connections
        ));
    }
    if fault_control {
        why.push("fault_control is on: any client can cut this node off its peers".to_owned());
    }
    why
}

/// Logs the start-up warning, if there is one to give.
pub fn warn_if_unprotected(addr: SocketAddr, limits: &RpcLimits, fault_control: bool) {
    let why = unprotected(addr, limits, fault_control);
    if !why.is_empty() {
        tracing::warn!(
            rpc = %addr,
            problems = %why.join("; "),
            "JSON-RPC is reachable beyond loopback without limits; see README \"Exposing the RPC\""
        );
    } else if exposed(addr) {
        tracing::info!(
            rpc = %addr,
            rate_per_ip = limits.rate_per_ip,
            burst = limits.rate_burst_per_ip,
            max_connections = limits.max_connections,
            max_connections_per_ip = limits.max_connections_per_ip,
            "JSON-RPC reachable beyond loopback, with per-client limits"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn loopback_never_warns_and_safe_defaults_do_not_either() {
        let off = RpcLimits {
            rate_per_ip: 0,
            max_connections_per_ip: 0,
            max_connections: 100_000,
            ..RpcLimits::default()
        };
        assert!(unprotected(at("127.0.0.1:8545"), &off, true).is_empty());
        assert!(unprotected(at("[::1]:8545"), &off, true).is_empty());
        let d = RpcLimits::default();
        assert!(unprotected(at("0.0.0.0:8545"), &d, false).is_empty());
        assert!(unprotected(at("[::]:8545"), &d, false).is_empty());
        assert!(unprotected(at("192.0.2.7:8545"), &d, false).is_empty());
    }

    #[test]
    fn each_missing_limit_is_named() {
        let a = at("0.0.0.0:8545");
        let why = |l: RpcLimits, f: bool| unprotected(a, &l, f).join("; ");
        let d = RpcLimits::default();
        assert!(
            why(
                RpcLimits {
                    rate_per_ip: 0,
                    ..d
                },
                false
            )
            .contains("rate_per_ip = 0")
        );
        assert!(
            why(
                RpcLimits {
                    rate_burst_per_ip: 10_000,
                    ..d
                },
                false
            )
            .contains("burst of 10000")
        );
        assert!(
            why(
                RpcLimits {
                    max_connections_per_ip: 0,
                    ..d
                },
                false
            )
            .contains("max_connections_per_ip = 0")
        );
        assert!(
            why(
                RpcLimits {
                    max_connections: 5000,
                    ..d
                },
                false
            )
            .contains("max_connections = 5000")
        );
        assert!(why(d, true).contains("fault_control"));
        let all = RpcLimits {
            rate_per_ip: 0,
            max_connections_per_ip: 0,
            max_connections: 5000,
            ..d
        };
        assert_eq!(unprotected(a, &all, true).len(), 4);
    }
}
