//! Reading `/proc/<pid>`: command line (to prove a pid is one of our nodes before signalling
//! it — pids get reused), state (zombies count as gone), memory (VmHWM / VmRSS) and CPU time
//! (utime + stime).

use std::path::{Path, PathBuf};

pub use rumor_report::records::process::{MemUsage, USER_HZ};

/// The argv of `pid`, or `None` if it is gone (or a zombie, whose cmdline is empty).
pub fn cmdline(pid: u32) -> Option<Vec<String>> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args = parse_cmdline(&raw);
    (!args.is_empty()).then_some(args)
}

pub fn parse_cmdline(raw: &[u8]) -> Vec<String> {
    raw.split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// The `--data-dir` of a `rumor node` command line, if that is what `args` is.
pub fn node_data_dir(args: &[String]) -> Option<PathBuf> {
    let exe = Path::new(args.first()?).file_name()?;
    if exe != "rumor" || args.get(1).map(String::as_str) != Some("node") {
        return None;
    }
    let pos = args.iter().position(|a| a == "--data-dir")?;
    args.get(pos + 1).map(PathBuf::from)
}

/// True if `pid` is alive and is a `rumor node` running on `data_dir`.
pub fn is_node(pid: u32, data_dir: &Path) -> bool {
    if is_zombie(pid) {
        return false;
    }
    cmdline(pid)
        .and_then(|a| node_data_dir(&a))
        .is_some_and(|d| d == data_dir)
}

/// Whether `pid` is a live (not zombie) process: used for the recorded host of an in-process
/// testnet, whose pid is cleared once it has stopped its nodes.
pub fn is_host(pid: u32) -> bool {
    !is_zombie(pid) && std::path::Path::new(&format!("/proc/{pid}/stat")).exists()
}

/// Whether `pid` is a live `rumor-testnet … --in-process` command: the only kind of host
/// `down` signals (a recorded pid may have been reused by anything else since).
pub fn is_in_process_command(pid: u32) -> bool {
    !is_zombie(pid)
        && cmdline(pid).is_some_and(|a| {
            a.first().is_some_and(|b| b.ends_with("rumor-testnet"))
                && a.iter().any(|x| x == "--in-process")
        })
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| parse_state(&s))
        .is_some_and(|c| c == 'Z' || c == 'X')
}

/// The state letter of a `/proc/<pid>/stat` line. The command name is in parentheses and may
/// itself contain spaces and parentheses, so split after the *last* `)`.
pub fn parse_state(stat: &str) -> Option<char> {
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Every running `rumor node` whose `--data-dir` lies inside `dir`: catches nodes that a
/// killed `up` started but never got to record in `testnet.json`.
pub fn nodes_under(dir: &Path) -> Vec<(u32, PathBuf)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out: Vec<(u32, PathBuf)> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| !is_zombie(pid))
        .filter_map(|pid| Some((pid, node_data_dir(&cmdline(pid)?)?)))
        .filter(|(_, d)| d.starts_with(dir))
        .collect();
    out.sort();
    out
}

pub fn mem(pid: u32) -> Option<MemUsage> {
    parse_status(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

pub fn parse_status(status: &str) -> Option<MemUsage> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some(MemUsage {
        hwm_kib: field("VmHWM:")?,
        rss_kib: field("VmRSS:")?,
    })
}

/// CPU time (user + system, all threads) a process has used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    parse_cpu_seconds(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Threads of a process (`Threads:` of `/proc/<pid>/status`).
pub fn threads(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))?
        .trim()
        .parse()
        .ok()
}

/// Read/write-family system calls a process has made so far (`syscr` + `syscw` of
/// `/proc/<pid>/io`, summed over its threads, dead ones included): read(2), write(2) and their
/// vector forms on files, pipes and eventfds; socket send/recv go around the counters.
pub fn syscalls(pid: u32) -> Option<u64> {
    parse_io_syscalls(&std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?)
}

/// `syscr` + `syscw` from a `/proc/<pid>/io` text.
pub fn parse_io_syscalls(io: &str) -> Option<u64> {
    let field = |name: &str| -> Option<u64> {
        io.lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .parse()
            .ok()
    };
    Some(field("syscr:")? + field("syscw:")?)
}

/// CPU time of this process (the load generator shares the cores with the nodes).
pub fn own_cpu_seconds() -> Option<f64> {
    parse_cpu_seconds(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// utime + stime from a `/proc/<pid>/stat` line: fields 14 and 15, i.e. the 12th and 13th
/// after the command name's closing parenthesis (field 3, the state, is the 1st).
pub fn parse_cpu_seconds(stat: &str) -> Option<f64> {
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: u64 = rest.next()?.parse().ok()?;
    let stime: u64 = rest.next()?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_node_command_lines() {
        let raw = b"/x/target/release/rumor\0node\0--data-dir\0/t/node-1\0--trace\0";
        let args = parse_cmdline(raw);
        assert_eq!(node_data_dir(&args), Some(PathBuf::from("/t/node-1")));
        let other = parse_cmdline(b"/bin/sleep\0--data-dir\0/t/node-1\0");
        assert_eq!(node_data_dir(&other), None);
        let keygen = parse_cmdline(b"rumor\0keygen\0--data-dir\0/t\0");
        assert_eq!(node_data_dir(&keygen), None);
        assert_eq!(node_data_dir(&[]), None);
    }

    #[test]
    fn stat_and_status_parsing() {
        assert_eq!(parse_state("42 (we)ird name) S 1 2"), Some('S'));
        assert_eq!(parse_state("42 (rumor) Z 1"), Some('Z'));
        let status = "Name:\trumor\nVmPeak:\t 100 kB\nVmHWM:\t   5120 kB\nVmRSS:\t   4096 kB\n";
        assert_eq!(
            parse_status(status),
            Some(MemUsage {
                hwm_kib: 5120,
                rss_kib: 4096
            })
        );
        assert_eq!(parse_status("Name:\tkthread\n"), None);
    }

    #[test]
    fn cpu_time_from_stat() {
        let stat = "42 (ru n) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3 0";
        assert_eq!(parse_cpu_seconds(stat), Some(3.0));
        assert_eq!(parse_cpu_seconds("42 (x) S 1"), None);
        assert!(own_cpu_seconds().is_some());
        assert!(threads(std::process::id()).is_some_and(|t| t >= 1));
    }

    #[test]
    fn syscalls_from_io() {
        let io = "rchar: 10\nwchar: 20\nsyscr: 7\nsyscw: 5\nread_bytes: 0\n";
        assert_eq!(parse_io_syscalls(io), Some(12));
        assert_eq!(parse_io_syscalls("rchar: 10\n"), None);
        assert!(syscalls(std::process::id()).is_some_and(|n| n > 0));
    }

    #[test]
    fn own_process_is_not_a_node() {
        assert!(!is_node(std::process::id(), Path::new("/")));
        assert!(mem(std::process::id()).is_some());
    }
}
