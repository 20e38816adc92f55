//! Starting one node with the flags of the node contract.

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::error::{Error, Result, io};
use crate::manifest::{Manifest, NodeEntry};

/// `--rumor PATH` if given, else the `rumor` next to this executable (how `cargo build`
/// lays out a workspace's binaries, so `cargo run -p rumor-testnet` finds it).
pub fn locate_rumor(explicit: Option<&Path>) -> Result<PathBuf> {
    let candidate = match explicit {
        Some(p) => p.to_path_buf(),
        None => std::env::current_exe()
            .map_err(io("current executable"))?
            .with_file_name("rumor"),
    };
    if !candidate.is_file() {
        return Err(Error::NoRumorBinary(candidate));
    }
    candidate.canonicalize().map_err(io(&candidate))
}

pub fn node_args(manifest: &Manifest, node: &NodeEntry) -> Vec<String> {
    let path = |p: &Path| p.display().to_string();
    let mut args: Vec<String> = vec![
        "node".into(),
        "--data-dir".into(),
        path(&node.data_dir),
        "--key".into(),
        path(&node.key_file),
        "--genesis".into(),
        path(&manifest.genesis),
        "--listen".into(),
        node.p2p.clone(),
    ];
    for &b in &node.bootnodes {
        args.push("--bootnode".into());
        args.push(manifest.nodes[b].dial_addr());
    }
    args.extend([
        "--rpc".into(),
        node.rpc.to_string(),
        "--metrics".into(),
        node.metrics.to_string(),
    ]);
    if node.producer {
        args.push("--producer".into());
    }
    args.extend(["--trace".into(), "--log-format".into(), "json".into()]);
    if let Some(link) = &node.link_file {
        args.push("--link".into());
        args.push(path(link));
    }
    if let Some(config) = &manifest.node_config {
        args.push("--config".into());
        args.push(path(config));
    }
    args.extend(manifest.node_extra_args.iter().cloned());
    args
}

/// Starts `node`, logging to `node.log`. The node gets its own process group so a Ctrl-C in
/// the terminal reaches only this tool, which then stops the nodes in order (SIGTERM, so they
/// flush their traces) instead of all of them dying at once.
pub fn spawn_node(manifest: &Manifest, node: &NodeEntry) -> Result<Child> {
    let log_path = node.log_file();
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io(&log_path))?;
    let log2 = log.try_clone().map_err(io(&log_path))?;
    Command::new(&manifest.rumor)
        .args(node_args(manifest, node))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .process_group(0)
        .spawn()
        .map_err(|source| Error::Spawn {
            index: node.index,
            binary: manifest.rumor.clone(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::{RegionsOpt, plan};

    #[test]
    fn args_follow_the_contract() {
        let mut o = crate::setup::plan::tests::opts(4, RegionsOpt::Builtin);
        o.producers = 1;
        let (m, _) = plan(&o, Path::new("/t")).unwrap();
        let a = node_args(&m, &m.nodes[0]);
        assert_eq!(a[0], "node");
        assert!(a.contains(&"--producer".to_string()));
        assert!(!a.contains(&"--bootnode".to_string()));
        assert!(
            a.windows(2)
                .any(|w| w[0] == "--link" && w[1] == "/t/node-0/link.json")
        );
        assert!(
            a.windows(2)
                .any(|w| w[0] == "--log-format" && w[1] == "json")
        );
        let b = node_args(&m, &m.nodes[3]);
        assert!(!b.contains(&"--producer".to_string()));
        let boots: Vec<&String> = b
            .windows(2)
            .filter(|w| w[0] == "--bootnode")
            .map(|w| &w[1])
            .collect();
        assert_eq!(boots.len(), m.nodes[3].bootnodes.len());
        assert!(boots[0].starts_with("/ip4/127.0.0.1/tcp/") && boots[0].contains("/p2p/12D3KooW"));
        let mut args = vec!["/x/rumor".to_string()];
        args.extend(b);
        assert_eq!(
            crate::process::procfs::node_data_dir(&args),
            Some(PathBuf::from("/t/node-3"))
        );
    }

    #[test]
    fn overrides_reach_the_command_line() {
        let mut o = crate::setup::plan::tests::opts(2, RegionsOpt::None);
        o.overrides.config_toml = Some(String::new());
        o.overrides.extra_args = vec!["--peers-low".into(), "0".into()];
        let (m, _) = plan(&o, Path::new("/t")).unwrap();
        let a = node_args(&m, &m.nodes[1]);
        assert!(
            a.windows(2)
                .any(|w| w[0] == "--config" && w[1] == "/t/node.toml")
        );
        assert_eq!(a[a.len() - 2..], ["--peers-low", "0"]);
        assert_eq!(a[0], "node", "procfs recognition needs `node` first");
    }

    #[test]
    fn missing_binary_is_reported() {
        assert!(matches!(
            locate_rumor(Some(Path::new("/nonexistent/rumor"))),
            Err(Error::NoRumorBinary(_))
        ));
    }
}
