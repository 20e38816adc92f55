//! `--backend compose`: every node in its own container on a bridge network of its own,
//! started and stopped with Docker Compose; faults by host packet filters ([`filter`]) and
//! `docker kill -s KILL` / `docker start` on the same volume. The tool talks to the nodes over
//! their container addresses (RPC, metrics) and reads their traces over RPC, never from their
//! volumes.
//!
//! Lifecycle: [`prepare`] (engine, image, network) → [`create`] (compose file, `up
//! --no-start`) → [`start`] in the usual start order → … → [`stop`] (SIGTERM, then the
//! containers' exit codes) → [`remove`] (containers, volumes, network, filters: nothing left).

pub mod compose;
pub mod docker;
pub mod entry;
pub mod filter;
pub mod image;
pub mod inside;

pub use entry::ComposeEntry;

use std::net::Ipv4Addr;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result, io};
use rumor_report::records::process::StopReport;

/// `--backend compose` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeOptions {
    /// Run this image instead of building one from the `rumor` binary.
    pub image: Option<String>,
}

impl ComposeEntry {
    pub fn container(&self, index: usize) -> String {
        compose::container(&self.project, index)
    }

    async fn compose(&self, args: &[&str]) -> Result<String> {
        let file = self.file.display().to_string();
        let mut all = vec!["-p", &self.project, "-f", &file];
        all.extend_from_slice(args);
        docker::compose(&self.compose, &all).await
    }
}

/// `rumor-<8 hex of the directory's path>`: one project per testnet directory.
pub fn project_name(dir: &Path) -> String {
    let h = Sha256::digest(dir.as_os_str().as_encoded_bytes());
    format!("rumor-{}", &hex::encode(h)[..8])
}

/// Checks the engine and Compose, makes sure the image exists (building it from `rumor`
/// unless `opts.image` names one), and creates the testnet's network. Returns the entry and
/// the subnet's first address.
pub async fn prepare(
    dir: &Path,
    rumor: &Path,
    opts: &ComposeOptions,
) -> Result<(ComposeEntry, Ipv4Addr)> {
    docker::engine_version().await.map_err(|e| {
        Error::Docker(format!(
            "--backend compose needs a running Docker Engine: {e}"
        ))
    })?;
    let compose = docker::compose_command().await?;
    let image = match &opts.image {
        Some(tag) => {
            if !image::exists(tag).await {
                return Err(Error::Docker(format!("no image {tag} in the local engine")));
            }
            tag.clone()
        }
        None => {
            // Hashes the ~120 MB binary: on the blocking pool.
            let bin = rumor.to_path_buf();
            let tag = tokio::task::spawn_blocking(move || image::tag_for(&bin))
                .await
                .map_err(|e| Error::Docker(format!("image tag: {e}")))??;
            image::ensure(rumor, &tag).await?.tag
        }
    };
    let project = project_name(dir);
    let network = format!("{project}-net");
    // A network left by an earlier, interrupted run of this directory goes first.
    let _ = docker::docker(["network", "rm", &network]).await;
    let (subnet, base) = create_network(dir, &network, &project).await?;
    Ok((
        ComposeEntry {
            dir: dir.to_path_buf(),
            project,
            file: dir.join("compose.yaml"),
            image,
            network,
            subnet,
            compose,
        },
        base,
    ))
}

/// Subnets tried for a testnet's network: /16s (a /24 per node, [`compose::node_ip`]) in
/// 10.192.0.0/10, the first
/// one picked by the project's hash so that testnets side by side rarely try the same one.
/// Fixed addresses need a subnet the user configured (Docker refuses `ipv4_address` on a
/// network whose subnet it chose), so the tool picks it, skipping any that meets a route of
/// this host; Docker refuses one that overlaps another network ("Pool overlaps"), and the next
/// is tried.
pub fn candidate_subnets(project: &str) -> impl Iterator<Item = Ipv4Addr> {
    const BLOCKS: u32 = 1 << 6; // 10.192.0.0/10 in /16s
    let start = u32::from_str_radix(project.trim_start_matches("rumor-"), 16).unwrap_or(0) % BLOCKS;
    (0..BLOCKS).map(move |k| {
        let block = (start + k) % BLOCKS;
        Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 192, 0, 0)) + (block << 16))
    })
}

/// The host's IPv4 routes as (network, mask), from `/proc/net/route` (little-endian hex).
fn host_routes() -> Vec<(u32, u32)> {
    let Ok(text) = std::fs::read_to_string("/proc/net/route") else {
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let dest = u32::from_str_radix(f.get(1)?, 16).ok()?.swap_bytes();
            let mask = u32::from_str_radix(f.get(7)?, 16).ok()?.swap_bytes();
            // The default route (mask 0) meets everything and is no conflict.
            (mask != 0).then_some((dest & mask, mask))
        })
        .collect()
}

/// Whether `net/16` meets any of `routes`.
fn meets(net: Ipv4Addr, routes: &[(u32, u32)]) -> bool {
    let (n, m) = (u32::from(net), 0xffff_0000u32);
    routes
        .iter()
        .any(|&(d, rm)| (n & rm) == (d & rm) || (d & m) == n)
}

/// Creates the testnet's bridge network on the first free candidate subnet.
async fn create_network(dir: &Path, network: &str, project: &str) -> Result<(String, Ipv4Addr)> {
    let label = format!("{}={}", compose::LABEL, dir.display());
    let routes = host_routes();
    let mut last = None;
    for base in candidate_subnets(project)
        .filter(|b| !meets(*b, &routes))
        .take(16)
    {
        let subnet = format!("{base}/16");
        match docker::docker([
            "network", "create", "--driver", "bridge", "--subnet", &subnet, "--label", &label,
            network,
        ])
        .await
        {
            Ok(_) => return Ok((subnet, base)),
            Err(e) if e.to_string().contains("overlaps") => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::Docker("no free subnet for the testnet's network".into())))
}

/// `a.b.c.d/len` → its first address; refuses a subnet too small for a testnet.
pub fn parse_subnet(cidr: &str) -> Result<Ipv4Addr> {
    let bad = || Error::Docker(format!("unexpected subnet {cidr:?}"));
    let (ip, len) = cidr.split_once('/').ok_or_else(bad)?;
    let ip: Ipv4Addr = ip.parse().map_err(|_| bad())?;
    let len: u32 = len.parse().map_err(|_| bad())?;
    if !(8..=24).contains(&len) {
        return Err(bad());
    }
    Ok(ip)
}

/// How many nodes a /16 holds laid out by [`compose::node_ip`] (255 /24s × 253 addresses);
/// a smaller subnet holds none.
pub fn capacity(cidr: &str) -> usize {
    match cidr
        .split_once('/')
        .and_then(|(_, l)| l.parse::<u32>().ok())
    {
        Some(l) if l <= 16 => 255 * 253,
        _ => 0,
    }
}

/// Writes the compose file and creates (does not start) every container.
pub async fn create(
    entry: &ComposeEntry,
    nodes: &[crate::setup::manifest::NodeEntry],
    genesis: &Path,
) -> Result<()> {
    if nodes.len() > capacity(&entry.subnet) {
        return Err(Error::Invalid(format!(
            "{} nodes do not fit Docker's subnet {}",
            nodes.len(),
            entry.subnet
        )));
    }
    // The node runs as the image's user: it must read its key (0600) and config.
    for n in nodes {
        for (host, _) in compose::mounts(n, genesis) {
            std::os::unix::fs::chown(&host, Some(image::UID), Some(image::UID))
                .map_err(io(&host))?;
        }
    }
    let text = compose::to_yaml(&compose::render(entry, nodes, genesis));
    std::fs::write(&entry.file, text).map_err(io(&entry.file))?;
    entry.compose(&["up", "--no-start"]).await?;
    Ok(())
}

/// Starts these nodes' containers (one Docker call); returns their host pids.
pub async fn start(entry: &ComposeEntry, indices: &[usize]) -> Result<Vec<Option<u32>>> {
    if indices.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = indices.iter().map(|&i| entry.container(i)).collect();
    docker::docker(std::iter::once("start".to_owned()).chain(names.iter().cloned())).await?;
    pids(entry, indices).await
}

/// The host pid of each node's container process (`None`: not running).
pub async fn pids(entry: &ComposeEntry, indices: &[usize]) -> Result<Vec<Option<u32>>> {
    let names: Vec<String> = indices.iter().map(|&i| entry.container(i)).collect();
    Ok(docker::states(&names)
        .await?
        .into_iter()
        .map(|s| s.filter(|s| s.running && s.pid > 0).map(|s| s.pid))
        .collect())
}

/// SIGKILL to one node's container (no shutdown path runs); its volume stays.
pub async fn kill(entry: &ComposeEntry, index: usize) -> Result<()> {
    docker::docker(["kill", "--signal", "KILL", &entry.container(index)]).await?;
    Ok(())
}

/// Stops every container (SIGTERM, the grace period, then SIGKILL) and reads how each ended:
/// exit status 0 is a clean stop, anything else (137: SIGKILL) was killed.
pub async fn stop(entry: &ComposeEntry, nodes: usize) -> Result<StopReport> {
    let names: Vec<String> = (0..nodes).map(|i| entry.container(i)).collect();
    let before = docker::states(&names).await?;
    entry.compose(&["stop", "--timeout", "10"]).await?;
    let after = docker::states(&names).await?;
    let mut report = StopReport::default();
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        match (b, a) {
            (Some(b), Some(a)) if b.running => {
                if a.exit_code == 0 {
                    report.terminated.push(i)
                } else {
                    report.killed.push(i)
                }
            }
            _ => report.not_running.push(i),
        }
    }
    Ok(report)
}

/// Removes everything the testnet made in Docker: containers, volumes, network, filters.
/// Idempotent.
pub async fn remove(entry: &ComposeEntry) -> Result<()> {
    let mut first_error = None;
    if entry.file.exists()
        && let Err(e) = entry
            .compose(&["down", "--volumes", "--remove-orphans", "--timeout", "10"])
            .await
    {
        first_error.get_or_insert(e);
    }
    // Anything labelled with this directory that Compose did not know about.
    let label = format!("label={}={}", compose::LABEL, entry.dir.display());
    if let Ok(ids) = docker::docker(["ps", "-aq", "--filter", &label]).await {
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let _ = docker::docker(["rm", "-f", "-v"].into_iter().chain(ids)).await;
        }
    }
    if let Ok(vols) = docker::docker(["volume", "ls", "-q", "--filter", &label]).await {
        let vols: Vec<&str> = vols.split_whitespace().collect();
        if !vols.is_empty() {
            let _ = docker::docker(["volume", "rm", "-f"].into_iter().chain(vols)).await;
        }
    }
    if let Err(e) = docker::docker(["network", "rm", &entry.network]).await
        && !e.to_string().contains("No such network")
        && !e.to_string().contains("not found")
    {
        first_error.get_or_insert(e);
    }
    if let Err(e) = filter::remove(&filter::chain_name(&entry.project)).await {
        first_error.get_or_insert(e);
    }
    first_error.map_or(Ok(()), Err)
}

/// What is left in Docker of the testnet in `dir` (containers, volumes, networks), by label.
pub async fn leftovers(dir: &Path) -> Result<Vec<String>> {
    let label = format!("label={}={}", compose::LABEL, dir.display());
    let mut left = Vec::new();
    for (kind, args) in [
        ("container", vec!["ps", "-aq", "--filter", &label]),
        ("volume", vec!["volume", "ls", "-q", "--filter", &label]),
        ("network", vec!["network", "ls", "-q", "--filter", &label]),
    ] {
        for id in docker::docker(args).await?.split_whitespace() {
            left.push(format!("{kind} {id}"));
        }
    }
    Ok(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets() {
        assert_eq!(
            parse_subnet("172.18.0.0/16").unwrap(),
            Ipv4Addr::new(172, 18, 0, 0)
        );
        assert!(parse_subnet("172.18.0.0/30").is_err());
        assert!(parse_subnet("nonsense").is_err());
        assert_eq!(capacity("192.168.16.0/20"), 0);
        assert_eq!(capacity("172.18.0.0/16"), 64_515);
    }

    #[test]
    fn candidates_are_private_slash_16s_avoiding_routes() {
        let all: Vec<Ipv4Addr> = candidate_subnets("rumor-0000000a").take(3).collect();
        assert_eq!(all[0], Ipv4Addr::new(10, 202, 0, 0));
        assert_eq!(all[1], Ipv4Addr::new(10, 203, 0, 0));
        assert!(
            all.iter()
                .all(|a| a.octets()[0] == 10 && a.octets()[1] >= 192)
        );
        let routes = [(u32::from(Ipv4Addr::new(10, 202, 7, 0)), 0xffff_ff00)];
        assert!(meets(all[0], &routes));
        assert!(!meets(all[1], &routes));
        // A wider route covering the /16 also meets it.
        assert!(meets(
            all[1],
            &[(u32::from(Ipv4Addr::new(10, 0, 0, 0)), 0xff00_0000)]
        ));
    }

    #[test]
    fn one_project_per_directory() {
        let a = project_name(Path::new("/tmp/a"));
        assert_ne!(a, project_name(Path::new("/tmp/b")));
        assert!(a.starts_with("rumor-") && a.len() == 14);
    }
}
