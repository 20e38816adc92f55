//! Log set-up: `RUST_LOG`-style filtering (default `info`), human or JSON lines on stderr.
//! Keys never reach a log line: `Keypair`'s `Debug` redacts the secret.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Logs JSON lines appended to `path` instead of stderr, for nodes that run inside another
/// program's process (in-process testnets), whose stderr belongs to that program. `default`
/// is the filter when `RUST_LOG` is unset. Returns false if some logger was already installed.
pub fn init_file(path: &std::path::Path, default: &str) -> std::io::Result<bool> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    Ok(tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .json()
        .try_init()
        .is_ok())
}

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,rumor_gossipsub=warn,libp2p_gossipsub=warn,libp2p_swarm=warn,jsonrpsee_server=warn")
    });
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
