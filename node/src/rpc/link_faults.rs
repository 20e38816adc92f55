//! `fault_setLinkFault` / `fault_clearLinkFaults`: the RPC's link-fault parameters turned into
//! the link layer's faults ([`rumor_p2p::LinkFault`]), which the network's registry applies to
//! this node's connections.
//!
//! Invariant: every malformed parameter is a -32602 naming the field; nothing is set unless
//! the whole call is valid. Times arrive as Unix milliseconds on the node's own clock (so the
//! two ends of a link, told the same start, flap together) and become monotonic instants here.

use std::time::Duration;

use jsonrpsee::core::RpcResult;
use rumor_api::errors::{internal, invalid_params};
use rumor_api::rpc::MAX_FAULT_PEERS;
use rumor_api::types::{LinkFaultDirection, LinkFaultMode, LinkFaultSpec};
use rumor_p2p::{LinkDirection, LinkFault, LinkFaultError, LinkFaultKind, LinkFaults};
use tokio::time::Instant;

use super::impls::RpcImpl;

/// The link fault `spec` describes, `now_ms` being the node's Unix clock at `now`.
pub fn to_link_fault(spec: &LinkFaultSpec, now_ms: u64, now: Instant) -> Result<LinkFault, String> {
    let need =
        |v: Option<u64>, name: &str| v.ok_or_else(|| format!("mode {:?} needs {name}", spec.mode));
    let unused = |present: bool, name: &str| {
        if present {
            Err(format!("{name} does not apply to mode {:?}", spec.mode))
        } else {
            Ok(())
        }
    };
    let kind = match spec.mode {
        LinkFaultMode::Flap => {
            unused(spec.loss.is_some(), "loss")?;
            LinkFaultKind::Flap {
                period: Duration::from_millis(need(spec.period_ms, "period_ms")?),
                down: Duration::from_millis(need(spec.down_ms, "down_ms")?),
            }
        }
        LinkFaultMode::Loss => {
            unused(
                spec.period_ms.is_some() || spec.down_ms.is_some(),
                "period_ms/down_ms",
            )?;
            LinkFaultKind::Loss {
                share: spec.loss.ok_or("mode Loss needs loss")?,
            }
        }
        LinkFaultMode::Stall | LinkFaultMode::Reset => {
            unused(
                spec.period_ms.is_some() || spec.down_ms.is_some() || spec.loss.is_some(),
                "period_ms/down_ms/loss",
            )?;
            if spec.mode == LinkFaultMode::Stall {
                LinkFaultKind::Stall
            } else {
                LinkFaultKind::Reset
            }
        }
    };
    let start = match spec.start_unix_ms {
        None => now,
        Some(ms) if ms >= now_ms => now + Duration::from_millis(ms - now_ms),
        Some(ms) => now
            .checked_sub(Duration::from_millis(now_ms - ms))
            .ok_or("start_unix_ms is further in the past than this node has run")?,
    };
    let end = match spec.duration_ms {
        None => None,
        Some(0) => return Err("duration_ms must be above 0".into()),
        Some(d) => Some(start + Duration::from_millis(d.min(u64::from(u32::MAX)))),
    };
    let fault = LinkFault {
        direction: match spec.direction {
            LinkFaultDirection::Out => LinkDirection::Out,
            LinkFaultDirection::In => LinkDirection::In,
            LinkFaultDirection::Both => LinkDirection::Both,
        },
        kind,
        start,
        end,
    };
    fault.check(now).map_err(|e| e.to_string())?;
    Ok(fault)
}

/// Peer ids as the link layer keys them (their canonical base58 form), each checked.
fn peer_keys(peer_ids: &[String]) -> RpcResult<Vec<String>> {
    if peer_ids.len() > MAX_FAULT_PEERS {
        return Err(invalid_params(format!(
            "at most {MAX_FAULT_PEERS} peer ids per call, got {}",
            peer_ids.len()
        )));
    }
    peer_ids
        .iter()
        .map(|s| {
            s.parse::<rumor_p2p::PeerId>()
                .map(|p| p.to_string())
                .map_err(|e| invalid_params(format!("peer id {s:?}: {e}")))
        })
        .collect()
}

impl RpcImpl {
    fn link_faults(&self) -> RpcResult<&LinkFaults> {
        self.ctx
            .net
            .link_faults()
            .ok_or_else(|| internal("this node's network has no link-fault control"))
    }

    pub(super) fn set_link_fault_impl(
        &self,
        peer_ids: Vec<String>,
        spec: LinkFaultSpec,
    ) -> RpcResult<usize> {
        let peers = peer_keys(&peer_ids)?;
        let fault = to_link_fault(&spec, self.ctx.clock.now_ms(), Instant::now())
            .map_err(invalid_params)?;
        let set = self
            .link_faults()?
            .set(&peers, fault)
            .map_err(|e| match e {
                LinkFaultError::Invalid(m) => invalid_params(m),
                e @ LinkFaultError::TooManyPeers(_) => invalid_params(e.to_string()),
            })?;
        tracing::info!(peers = set, ?spec, "link fault set");
        Ok(set)
    }

    pub(super) fn clear_link_faults_impl(&self, peer_ids: Option<Vec<String>>) -> RpcResult<usize> {
        let peers = peer_ids.as_deref().map(peer_keys).transpose()?;
        let cleared = self.link_faults()?.clear(peers.as_deref());
        tracing::info!(cleared, "link faults cleared");
        Ok(cleared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: LinkFaultMode) -> LinkFaultSpec {
        LinkFaultSpec {
            direction: LinkFaultDirection::Out,
            mode,
            period_ms: None,
            down_ms: None,
            loss: None,
            start_unix_ms: None,
            duration_ms: None,
        }
    }

    #[test]
    fn specs_become_faults_anchored_on_the_node_clock() {
        let now = Instant::now();
        let now_ms = 1_000_000;
        let f = to_link_fault(
            &LinkFaultSpec {
                period_ms: Some(10_000),
                down_ms: Some(2000),
                start_unix_ms: Some(now_ms + 5000),
                duration_ms: Some(20_000),
                ..spec(LinkFaultMode::Flap)
            },
            now_ms,
            now,
        )
        .unwrap();
        assert_eq!(f.start, now + Duration::from_secs(5));
        assert_eq!(f.end, Some(now + Duration::from_secs(25)));
        assert_eq!(
            f.kind,
            LinkFaultKind::Flap {
                period: Duration::from_secs(10),
                down: Duration::from_secs(2)
            }
        );
        assert_eq!(f.direction, LinkDirection::Out);
        let stall = to_link_fault(&spec(LinkFaultMode::Stall), now_ms, now).unwrap();
        assert_eq!((stall.start, stall.end), (now, None));
        let loss = LinkFaultSpec {
            loss: Some(0.1),
            ..spec(LinkFaultMode::Loss)
        };
        assert!(to_link_fault(&loss, now_ms, now).is_ok());
    }

    #[test]
    fn malformed_specs_say_which_field() {
        let now = Instant::now();
        let e = |s: LinkFaultSpec| to_link_fault(&s, 1_000_000, now).unwrap_err();
        assert!(e(spec(LinkFaultMode::Flap)).contains("period_ms"));
        assert!(e(spec(LinkFaultMode::Loss)).contains("loss"));
        let stray = LinkFaultSpec {
            loss: Some(0.5),
            ..spec(LinkFaultMode::Stall)
        };
        assert!(e(stray).contains("does not apply"));
        let long_down = LinkFaultSpec {
            period_ms: Some(100),
            down_ms: Some(100),
            ..spec(LinkFaultMode::Flap)
        };
        assert!(e(long_down).contains("below the period"));
        let zero = LinkFaultSpec {
            duration_ms: Some(0),
            ..spec(LinkFaultMode::Stall)
        };
        assert!(e(zero).contains("duration_ms"));
        let late_reset = LinkFaultSpec {
            start_unix_ms: Some(2_000_000),
            ..spec(LinkFaultMode::Reset)
        };
        assert!(e(late_reset).contains("reset"));
        assert!(peer_keys(&["nope".into()]).is_err());
        let json = r#"{"direction":"in","mode":"stall","duraton_ms":5}"#;
        assert!(
            serde_json::from_str::<LinkFaultSpec>(json).is_err(),
            "a misspelt key is refused"
        );
    }
}
