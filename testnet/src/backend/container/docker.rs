//! The Docker CLI, run as a child process: `docker …` and Compose (`docker compose` v2, or
//! the standalone `docker-compose` v1 where the plugin is absent — Debian 12 ships v1).
//!
//! Invariant: every call has a deadline ([`CALL_TIMEOUT`], longer for builds), its stderr is
//! kept for the error, and nothing here blocks a runtime thread (tokio's process API).

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;

use crate::error::{Error, Result};

/// Longest wait for one Docker CLI call (start or stop of a whole compose project included:
/// 50 containers start in ~20 s here).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs `program args…`, returns its stdout; a non-zero exit is an error with its stderr.
pub async fn output<I, S>(program: &str, args: I) -> Result<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().into()).collect();
    let shown = format!(
        "{program} {}",
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let child = tokio::process::Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(CALL_TIMEOUT, child)
        .await
        .map_err(|_| Error::Docker(format!("{shown}: no answer within {CALL_TIMEOUT:?}")))?
        .map_err(|e| Error::Docker(format!("{shown}: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let err = err.trim();
        let tail: String = err
            .lines()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" | ");
        return Err(Error::Docker(format!("{shown}: {} ({tail})", out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `docker args…`.
pub async fn docker<I, S>(args: I) -> Result<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    output("docker", args).await
}

/// The Docker Engine's version, or why it cannot be reached.
pub async fn engine_version() -> Result<String> {
    Ok(docker(["version", "--format", "{{.Server.Version}}"])
        .await?
        .trim()
        .to_owned())
}

/// How to call Compose here: `["docker", "compose"]` (v2 plugin) or `["docker-compose"]` (v1).
pub async fn compose_command() -> Result<Vec<String>> {
    if docker(["compose", "version"]).await.is_ok() {
        return Ok(vec!["docker".into(), "compose".into()]);
    }
    if output("docker-compose", ["version"]).await.is_ok() {
        return Ok(vec!["docker-compose".into()]);
    }
    Err(Error::Docker(
        "neither `docker compose` nor `docker-compose` works here (install Docker Compose: \
         `apt-get install docker-compose` or the compose plugin)"
            .into(),
    ))
}

/// Runs Compose (`command` from [`compose_command`]) with `args`.
pub async fn compose(command: &[String], args: &[&str]) -> Result<String> {
    let (program, pre) = command
        .split_first()
        .ok_or_else(|| Error::Docker("empty compose command".into()))?;
    output(
        program,
        pre.iter().map(String::as_str).chain(args.iter().copied()),
    )
    .await
}

/// A container's state as `docker inspect` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ContainerState {
    #[serde(rename = "Running")]
    pub running: bool,
    /// The container's main process on this host (0 when not running).
    #[serde(rename = "Pid")]
    pub pid: u32,
    #[serde(rename = "ExitCode")]
    pub exit_code: i64,
    #[serde(rename = "OOMKilled", default)]
    pub oom_killed: bool,
}

#[derive(serde::Deserialize)]
struct Inspected {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "State")]
    state: ContainerState,
}

/// The state of each named container (`None` where it does not exist), in one call.
pub async fn states(names: &[String]) -> Result<Vec<Option<ContainerState>>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    // `docker inspect` exits non-zero if any name is missing but still prints the others.
    let out = tokio::process::Command::new("docker")
        .arg("inspect")
        .args(names)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(CALL_TIMEOUT, out)
        .await
        .map_err(|_| Error::Docker("docker inspect: no answer".into()))?
        .map_err(|e| Error::Docker(format!("docker inspect: {e}")))?;
    let found: Vec<Inspected> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    Ok(names
        .iter()
        .map(|n| {
            found
                .iter()
                .find(|i| i.name.trim_start_matches('/') == n)
                .map(|i| i.state.clone())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_output_parses() {
        let text = r#"[{"Name":"/a","State":{"Status":"running","Running":true,"Pid":42,"ExitCode":0,"OOMKilled":false}},
                       {"Name":"/b","State":{"Running":false,"Pid":0,"ExitCode":137}}]"#;
        let v: Vec<Inspected> = serde_json::from_str(text).unwrap();
        assert_eq!(v[0].name, "/a");
        assert!(v[0].state.running && v[0].state.pid == 42);
        assert_eq!(v[1].state.exit_code, 137);
    }
}
