//! Sending signals. The workspace forbids `unsafe`, so instead of `libc::kill` this runs the
//! system's `kill` utility (procps / util-linux, present on every Linux box this targets).

use std::process::{Command, Stdio};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Term,
    Kill,
}

/// Sends `sig` to `pid`; `false` if it could not be delivered (typically: already gone).
pub fn send(pid: u32, sig: Signal) -> bool {
    let name = match sig {
        Signal::Term => "TERM",
        Signal::Kill => "KILL",
    };
    Command::new("kill")
        .args(["-s", name, &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
