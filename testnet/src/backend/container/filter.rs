//! Partitions between containers by host packet filters: a chain of the testnet's own, jumped
//! to from Docker's `DOCKER-USER` chain (which sees all traffic between containers on a
//! bridge), rejects every packet from one side to the other. TCP gets a reset — connections
//! close and dials fail at once, as a process-mode cut closes connections and refuses dials —
//! and anything else is dropped. Heal flushes the chain; `down` deletes it.
//!
//! Rules are O(n), not O(n²): one jump per source address into its side's chain, which lists
//! the other side's addresses. All rules change in one `iptables-restore --noflush` call, so a
//! cut is atomic.

use std::net::Ipv4Addr;

use super::docker;
use crate::error::{Error, Result};

/// Docker's chain for user rules, consulted before its own for forwarded traffic.
pub const DOCKER_USER: &str = "DOCKER-USER";

/// `RUMOR-<8 hex>` for a project `rumor-<8 hex>` (iptables chain names: ≤ 28 characters).
pub fn chain_name(project: &str) -> String {
    format!(
        "RUMOR-{}",
        project.trim_start_matches("rumor-").to_uppercase()
    )
}

/// The `iptables-restore --noflush` input that makes `chain` cut `side` from `rest`
/// (`None`: the chains emptied, i.e. healed).
pub fn rules(chain: &str, cut: Option<(&[Ipv4Addr], &[Ipv4Addr])>) -> String {
    let (s, r) = (format!("{chain}-S"), format!("{chain}-R"));
    let mut out = format!("*filter\n:{chain} - [0:0]\n:{s} - [0:0]\n:{r} - [0:0]\n");
    if let Some((side, rest)) = cut {
        for (from, into) in [(side, &s), (rest, &r)] {
            for ip in from {
                out.push_str(&format!("-A {chain} -s {ip}/32 -j {into}\n"));
            }
        }
        for (into, to) in [(&s, rest), (&r, side)] {
            for ip in to {
                out.push_str(&format!(
                    "-A {into} -d {ip}/32 -p tcp -j REJECT --reject-with tcp-reset\n\
                     -A {into} -d {ip}/32 -j DROP\n"
                ));
            }
        }
    }
    out.push_str("COMMIT\n");
    out
}

async fn restore(input: String) -> Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("iptables-restore")
        .arg("--noflush")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::Docker(format!("iptables-restore: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .await
            .map_err(|e| Error::Docker(format!("iptables-restore: {e}")))?;
    }
    let out = tokio::time::timeout(docker::CALL_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| Error::Docker("iptables-restore: no answer".into()))?
        .map_err(|e| Error::Docker(format!("iptables-restore: {e}")))?;
    if !out.status.success() {
        return Err(Error::Docker(format!(
            "iptables-restore: {} ({}); partitions between containers need root and Docker's \
             iptables chains",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Cuts `side` from `rest` (replacing any earlier cut of this chain).
pub async fn cut(chain: &str, side: &[Ipv4Addr], rest: &[Ipv4Addr]) -> Result<()> {
    restore(rules(chain, Some((side, rest)))).await?;
    // Jumped to once, first in DOCKER-USER.
    if docker::output("iptables", ["-C", DOCKER_USER, "-j", chain])
        .await
        .is_err()
    {
        docker::output("iptables", ["-I", DOCKER_USER, "1", "-j", chain]).await?;
    }
    Ok(())
}

/// Ends the cut (the chain stays, empty, until [`remove`]).
pub async fn heal(chain: &str) -> Result<()> {
    restore(rules(chain, None)).await
}

/// Deletes the chain and its jump, if they exist.
pub async fn remove(chain: &str) -> Result<()> {
    if docker::output("iptables", ["-n", "-L", chain])
        .await
        .is_err()
    {
        return Ok(());
    }
    while docker::output("iptables", ["-D", DOCKER_USER, "-j", chain])
        .await
        .is_ok()
    {}
    for c in [chain.to_owned(), format!("{chain}-S"), format!("{chain}-R")] {
        let _ = docker::output("iptables", ["-F", &c]).await;
    }
    for c in [chain.to_owned(), format!("{chain}-S"), format!("{chain}-R")] {
        let _ = docker::output("iptables", ["-X", &c]).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_rejects_both_ways_and_heal_empties_the_chains() {
        let side = [Ipv4Addr::new(10, 0, 0, 2)];
        let rest = [Ipv4Addr::new(10, 0, 0, 3), Ipv4Addr::new(10, 0, 0, 4)];
        let text = rules("RUMOR-AB", Some((&side, &rest)));
        assert!(text.starts_with("*filter\n:RUMOR-AB - [0:0]\n"));
        assert!(text.contains("-A RUMOR-AB -s 10.0.0.2/32 -j RUMOR-AB-S\n"));
        assert!(text.contains("-A RUMOR-AB -s 10.0.0.4/32 -j RUMOR-AB-R\n"));
        assert!(
            text.contains(
                "-A RUMOR-AB-S -d 10.0.0.3/32 -p tcp -j REJECT --reject-with tcp-reset\n"
            )
        );
        assert!(text.contains("-A RUMOR-AB-R -d 10.0.0.2/32 -j DROP\n"));
        // Rules grow with the node count, not its square: 3 jumps + 2 × 3 targets.
        assert_eq!(text.lines().filter(|l| l.starts_with("-A")).count(), 3 + 6);
        assert!(text.ends_with("COMMIT\n"));
        let healed = rules("RUMOR-AB", None);
        assert!(!healed.contains("-A "));
        assert_eq!(chain_name("rumor-0a1b2c3d"), "RUMOR-0A1B2C3D");
    }
}
