//! Tests of the written report on the fixture (a report made by the real builder): its
//! cost sections, and `report.html` in a real browser
//! ([`rumor_report::browser`]: without Chromium the test prints a notice and passes).

use std::path::PathBuf;

use rumor_report::browser::{chromium, load, problems};
use rumor_report::render::{ARRIVALS_SVG, BYTES_SVG, REGIONS_SVG, REPORT_HTML};
use rumor_report::section::cost::{bounds, bytes, first_duplicates};

#[test]
fn renders_bounds_duplicates_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = super::fixture::report(dir.path());
    let b = bounds(&r);
    assert!(b.contains("with transmission"), "{b}");
    // The block row: 30 000 B at 625 000 B/s is 48 ms a hop.
    assert!(b.contains("| 48.00 |"), "{b}");
    let d = first_duplicates(&r);
    assert!(d.contains("| tx | 3 | 2 (66.7%) |"), "{d}");
    let y = bytes(&r);
    assert!(y.contains("payload") && y.contains("bytes.svg"), "{y}");
}

#[test]
fn sections_are_empty_without_their_data() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, _) = super::fixture::report(dir.path());
    for k in r.kinds.values_mut() {
        k.stats.bound_all_ms = None;
        k.stats.first_duplicate = None;
    }
    r.bandwidth.mean_in_split = None;
    assert!(bounds(&r).is_empty());
    assert!(first_duplicates(&r).is_empty());
    assert!(bytes(&r).is_empty());
}

fn browser_or_notice() -> Option<PathBuf> {
    let b = chromium();
    if b.is_none() {
        eprintln!(
            "NOTICE: no Chromium (apt-get install chromium, or set RUMOR_CHROMIUM): report.html was not checked in a browser"
        );
    }
    b
}

#[test]
fn the_html_report_loads_in_chromium_without_console_errors_and_with_every_plot() {
    let Some(browser) = browser_or_notice() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let (r, a) = super::fixture::report(dir.path());
    rumor_report::write(&out, &r, &a, None).unwrap();
    let loaded = load(&browser, &out.join(REPORT_HTML), dir.path()).unwrap();
    assert!(
        loaded.dom.contains("Rumor propagation report"),
        "{}",
        loaded.dom
    );
    let plots = [
        "cdf-tx.svg",
        "cdf-block.svg",
        ARRIVALS_SVG,
        BYTES_SVG,
        REGIONS_SVG,
    ];
    let found = problems(&loaded, &plots);
    assert!(found.is_empty(), "{found:#?}");
}

/// The check is not vacuous: a console error, a blocked fetch and a missing plot are
/// each caught.
#[test]
fn the_browser_check_catches_console_errors_and_missing_plots() {
    let Some(browser) = browser_or_notice() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
            &page,
            "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'\"></head>\
             <body><script>console.error('boom')</script><img src=\"x.png\">\
             <p class=\"missing-plot\">gone</p></body></html>",
        )
        .unwrap();
    let loaded = load(&browser, &page, dir.path()).unwrap();
    let found = problems(&loaded, &["a.svg"]);
    assert!(found.iter().any(|p| p.contains("boom")), "{found:#?}");
    assert!(found.iter().any(|p| p.contains("x.png")), "{found:#?}");
    assert!(found.iter().any(|p| p.contains("a.svg")), "{found:#?}");
    assert!(
        found.iter().any(|p| p.contains("missing plot")),
        "{found:#?}"
    );
}
