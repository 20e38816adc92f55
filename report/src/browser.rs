//! `report.html` in a real browser: headless Chromium (Debian's `chromium`, or the binary in
//! `RUMOR_CHROMIUM`) loads the page from disk and dumps the DOM it built; the check fails on
//! any console message (the page has no scripts, so any message is an error: a blocked fetch,
//! a CSP violation, a parse problem) and on a plot that is not an inline SVG in the DOM.
//! Without a browser the test prints a notice and passes (`.ci/run` installs one).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one page load may take (a cold start of Chromium here: ~1.3 s).
const LOAD_TIMEOUT: Duration = Duration::from_secs(90);

/// The browser binary, if there is one.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RUMOR_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// What the browser made of a page.
#[derive(Debug)]
pub struct Loaded {
    /// The DOM after loading (`--dump-dom`).
    pub dom: String,
    /// Console messages, as Chromium logged them.
    pub console: Vec<String>,
}

/// Loads `page` (a file) in headless `browser`.
pub fn load(browser: &Path, page: &Path, scratch: &Path) -> Result<Loaded, String> {
    let url = format!("file://{}", page.display());
    let (out, err) = (scratch.join("dom.html"), scratch.join("browser.log"));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("profile").display()
        ))
        .arg("--dump-dom")
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).map_err(|e| e.to_string())?)
        .stderr(std::fs::File::create(&err).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("{}: {e}", browser.display()))?;
    let deadline = Instant::now() + LOAD_TIMEOUT;
    loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) if status.success() => break,
            Some(status) => return Err(format!("browser exited with {status}")),
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("browser took over {LOAD_TIMEOUT:?}"));
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let log = std::fs::read_to_string(&err).unwrap_or_default();
    Ok(Loaded {
        dom: std::fs::read_to_string(&out).map_err(|e| e.to_string())?,
        console: log
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect(),
    })
}

/// Problems with a loaded report: console messages, and plots in `plots` that are not an
/// inline SVG in the DOM.
pub fn problems(loaded: &Loaded, plots: &[&str]) -> Vec<String> {
    let mut p: Vec<String> = loaded
        .console
        .iter()
        .map(|l| format!("console: {l}"))
        .collect();
    for plot in plots {
        if !loaded.dom.contains(&format!("data-plot=\"{plot}\"><svg")) {
            p.push(format!("plot {plot} is not an inline SVG in the DOM"));
        }
    }
    if loaded.dom.contains("class=\"missing-plot\"") {
        p.push("the page reports a missing plot".into());
    }
    p
}
