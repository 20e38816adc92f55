//! Sending signals, through `nix`'s safe wrapper of `kill(2)` (the workspace forbids `unsafe`,
//! so `libc::kill` is not an option; this replaces running the system's `kill` utility, a
//! process spawn per signal).

use nix::sys::signal::{self as sys, Signal as SysSignal};
use nix::unistd::Pid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Term,
    Kill,
}

/// Sends `sig` to `pid`; `false` if it could not be delivered (typically: already gone).
pub fn send(pid: u32, sig: Signal) -> bool {
    let sig = match sig {
        Signal::Term => SysSignal::SIGTERM,
        Signal::Kill => SysSignal::SIGKILL,
    };
    i32::try_from(pid).is_ok_and(|pid| sys::kill(Pid::from_raw(pid), sig).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminates_a_child_and_reports_a_gone_pid() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        assert!(send(pid, Signal::Term));
        assert!(!child.wait().unwrap().success());
        // Reaped: no such process any more.
        assert!(!send(pid, Signal::Term));
        // Not a pid kill(2) can name.
        assert!(!send(u32::MAX, Signal::Kill));
    }
}
