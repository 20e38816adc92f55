//! Where testnets live: by default `./testnet-runs/<UTC timestamp>`, with `./testnet-runs/latest`
//! pointing at the newest so `load`, `status`, `measure` and `down` find it without `--dir`.

use std::path::{Path, PathBuf};

use crate::error::{Result, io};
use crate::util::timefmt;

pub const RUNS_ROOT: &str = "testnet-runs";
pub const LATEST: &str = "latest";

fn absolute(p: &Path) -> Result<PathBuf> {
    if p.is_absolute() {
        return Ok(p.to_path_buf());
    }
    Ok(std::env::current_dir().map_err(io("."))?.join(p))
}

/// Creates the directory for a new testnet and returns its canonical path. An explicit `--dir`
/// may exist already (it must not hold a testnet; the caller checks).
pub fn new_testnet_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    let dir = match explicit {
        Some(p) => absolute(p)?,
        None => {
            let root = absolute(Path::new(RUNS_ROOT))?;
            let stamp = timefmt::timestamp(timefmt::now_ms() / 1000);
            let mut dir = root.join(&stamp);
            let mut k = 1;
            while dir.exists() {
                dir = root.join(format!("{stamp}-{k}"));
                k += 1;
            }
            dir
        }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    dir.canonicalize().map_err(io(&dir))
}

/// Points `<parent>/latest` at `dir` when `dir` is under the default runs root.
pub fn mark_latest(dir: &Path) {
    let Ok(root) = absolute(Path::new(RUNS_ROOT)).and_then(|r| r.canonicalize().map_err(io(&r)))
    else {
        return;
    };
    if dir.parent() != Some(root.as_path()) {
        return;
    }
    let Some(name) = dir.file_name() else { return };
    let link = root.join(LATEST);
    let _ = std::fs::remove_file(&link);
    // Best effort: a missing `latest` only means passing --dir explicitly.
    let _ = std::os::unix::fs::symlink(name, &link);
}

/// The testnet a command acts on: `--dir`, else `./testnet-runs/latest`.
pub fn existing_testnet_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    let dir = match explicit {
        Some(p) => absolute(p)?,
        None => absolute(&Path::new(RUNS_ROOT).join(LATEST))?,
    };
    Ok(dir.canonicalize().unwrap_or(dir))
}
