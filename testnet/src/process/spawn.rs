//! Starting one node with the flags of the node contract.

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::error::{Error, Result, io};
use crate::setup::manifest::{Manifest, NodeEntry};

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

/// `rumor node --data-dir DIR --config DIR/node.toml`: everything else is in the config file
/// `up` wrote ([`NodeEntry::config`]); `--data-dir` is repeated on the command line so `down`
/// can recognise the process from `/proc` alone.
pub fn node_args(node: &NodeEntry) -> Vec<String> {
    let path = |p: &Path| p.display().to_string();
    vec![
        "node".into(),
        "--data-dir".into(),
        path(&node.data_dir),
        "--config".into(),
        path(&node.config_file()),
    ]
}

/// `program` with no stdin, stdout and stderr appended to `log_path`, in a process group of
/// its own (a Ctrl-C in the terminal reaches only this tool, which stops its children in order).
pub fn logged_command(program: &Path, log_path: &Path) -> Result<Command> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(io(log_path))?;
    let log2 = log.try_clone().map_err(io(log_path))?;
    let mut c = Command::new(program);
    c.stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .process_group(0);
    Ok(c)
}

/// Starts `node`, logging to `node.log`. The node gets its own process group so a Ctrl-C in
/// the terminal reaches only this tool, which then stops the nodes in order (SIGTERM, so they
/// flush their traces) instead of all of them dying at once.
pub fn spawn_node(manifest: &Manifest, node: &NodeEntry) -> Result<Child> {
    logged_command(&manifest.rumor, &node.log_file())?
        .args(node_args(node))
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
    fn args_name_the_data_dir_and_its_config() {
        let mut o = crate::setup::plan::tests::opts(4, RegionsOpt::Builtin);
        o.producers = 1;
        let (m, _) = plan(&o, Path::new("/t")).unwrap();
        let a = node_args(&m.nodes[3]);
        assert_eq!(
            a,
            [
                "node",
                "--data-dir",
                "/t/node-3",
                "--config",
                "/t/node-3/node.toml"
            ]
        );
        let mut args = vec!["/x/rumor".to_string()];
        args.extend(a);
        assert_eq!(
            crate::process::procfs::node_data_dir(&args),
            Some(PathBuf::from("/t/node-3"))
        );
        let c = m.nodes[0].config(&m, &o.overrides.config);
        assert!(c.producer && c.bootnodes.is_empty() && c.trace);
        assert_eq!(c.link, Some(PathBuf::from("/t/node-0/link.json")));
        assert_eq!(c.log_format, rumor_api::LogFormat::Json);
        let boots = m.nodes[3].config(&m, &o.overrides.config).bootnodes;
        assert_eq!(boots.len(), m.nodes[3].bootnodes.len());
        assert!(boots[0].starts_with("/ip4/127.0.") && boots[0].contains("/p2p/12D3KooW"));
        assert!(c.net.ip_limits_on_loopback && c.net.allow_private_addrs);
    }

    #[test]
    fn missing_binary_is_reported() {
        assert!(matches!(
            locate_rumor(Some(Path::new("/nonexistent/rumor"))),
            Err(Error::NoRumorBinary(_))
        ));
    }
}
