//! What a result was measured on and from: the machine (cores, memory, CPU model) and the
//! source (git commit, and whether the working tree had uncommitted changes).

use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs this process may use.
    pub cores: usize,
    pub memory_mib: u64,
    pub cpu_model: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitInfo {
    /// `git rev-parse --short HEAD`, or "unknown" outside a repository.
    pub commit: String,
    /// Uncommitted changes (tracked or untracked) when the benchmark ran.
    pub dirty: bool,
}

impl Machine {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let (model, listed) = parse_cpuinfo(&cpuinfo);
        Self {
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(listed.max(1)),
            memory_mib: parse_mem_total_kib(&meminfo).unwrap_or(0) / 1024,
            cpu_model: model.unwrap_or_else(|| "unknown".into()),
        }
    }

    /// "2 cores, 23.5 GiB, Intel(R) Xeon(R) Processor".
    pub fn describe(&self) -> String {
        format!(
            "{} cores, {:.1} GiB, {}",
            self.cores,
            self.memory_mib as f64 / 1024.0,
            self.cpu_model
        )
    }
}

/// The first `model name` and the number of `processor` entries.
pub fn parse_cpuinfo(text: &str) -> (Option<String>, usize) {
    let value = |l: &str| l.split_once(':').map(|(_, v)| v.trim().to_string());
    let model = text
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(value);
    let count = text.lines().filter(|l| l.starts_with("processor")).count();
    (model, count)
}

pub fn parse_mem_total_kib(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

impl GitInfo {
    /// Asks git about the repository containing `dir`.
    pub fn detect(dir: &Path) -> Self {
        let git = |args: &[&str]| {
            Command::new("git")
                .args(args)
                .current_dir(dir)
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        match git(&["rev-parse", "--short", "HEAD"]) {
            Some(commit) => Self {
                commit,
                dirty: git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty()),
            },
            None => Self {
                commit: "unknown".into(),
                dirty: false,
            },
        }
    }

    /// "9ce06e8" or "9ce06e8+dirty".
    pub fn describe(&self) -> String {
        if self.dirty {
            format!("{}+dirty", self.commit)
        } else {
            self.commit.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let cpu = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t: x\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) Processor\n";
        assert_eq!(
            parse_cpuinfo(cpu),
            (Some("Intel(R) Xeon(R) Processor".into()), 2)
        );
        assert_eq!(parse_cpuinfo(""), (None, 0));
        let mem = "MemTotal:       24684544 kB\nMemFree:  1 kB\n";
        assert_eq!(parse_mem_total_kib(mem), Some(24_684_544));
        assert_eq!(parse_mem_total_kib("x"), None);
    }

    #[test]
    fn describes() {
        let g = GitInfo {
            commit: "abc1234".into(),
            dirty: true,
        };
        assert_eq!(g.describe(), "abc1234+dirty");
        let m = Machine {
            cores: 2,
            memory_mib: 2048,
            cpu_model: "X".into(),
        };
        assert_eq!(m.describe(), "2 cores, 2.0 GiB, X");
        assert!(Machine::detect().cores >= 1);
        let outside = GitInfo::detect(Path::new("/"));
        assert!(!outside.commit.is_empty());
    }
}
