//! `report.html`: the report as one self-contained page — the summary table, `report.md`
//! rendered (pulldown-cmark, tables on), and every plot inlined as SVG where the Markdown
//! links it. No scripts, no external fetches (a Content-Security-Policy forbids them), so it
//! opens from disk, offline, in any browser, and can be mailed as one file.
//!
//! Invariant: an image link becomes the inline SVG of that file in the report directory, or,
//! if the file is missing or the link is not a plain `.svg` file name, a visible
//! `missing-plot` notice — never a fetch.

use std::path::Path;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

const STYLE: &str = r#"
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1f24;
       max-width: 1100px; margin: 2em auto; padding: 0 1.2em; }
h1 { border-bottom: 2px solid #d0d7de; padding-bottom: .3em; }
h2 { margin-top: 2em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; display: block; overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; }
th { background: #f6f8fa; }
tr:nth-child(even) td { background: #fbfcfd; }
td { font-variant-numeric: tabular-nums; }
code, pre { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; }
pre.summary { background: #f6f8fa; border: 1px solid #d0d7de; padding: 1em; overflow-x: auto; }
figure.plot { margin: 1.5em 0; }
figure.plot svg { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figure.plot figcaption { color: #57606a; font-size: 13px; }
.missing-plot { color: #b42318; font-weight: bold; }
"#;

/// The page for the report in `dir`: `summary` (the run's printed table) and `markdown`
/// (`report.md`), with plots read from `dir`.
pub fn render(dir: &Path, title: &str, summary: &str, markdown: &str) -> String {
    let mut body = String::new();
    html::push_html(
        &mut body,
        inline_plots(dir, Parser::new_ext(markdown, Options::ENABLE_TABLES)),
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h2 id=\"summary\">Summary</h2>\n<pre class=\"summary\">{}</pre>\n{body}</body>\n</html>\n",
        escape(title),
        escape(summary),
    )
}

/// Replaces each image (its start, alt text and end) with the inline plot.
fn inline_plots<'a>(dir: &'a Path, events: Parser<'a>) -> impl Iterator<Item = Event<'a>> + 'a {
    let mut in_image = false;
    events.filter_map(move |e| match e {
        Event::Start(Tag::Image { dest_url, .. }) => {
            in_image = true;
            Some(Event::Html(figure(dir, &dest_url).into()))
        }
        Event::End(TagEnd::Image) => {
            in_image = false;
            None
        }
        _ if in_image => None, // the alt text
        e => Some(e),
    })
}

fn figure(dir: &Path, name: &str) -> String {
    let plain = !name.is_empty()
        && name.ends_with(".svg")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    let svg = plain
        .then(|| std::fs::read_to_string(dir.join(name)).ok())
        .flatten()
        .and_then(|text| text.find("<svg").map(|at| text[at..].to_string()));
    match svg {
        Some(svg) => format!(
            "<figure class=\"plot\" data-plot=\"{0}\">{svg}<figcaption>{0}</figcaption></figure>\n",
            escape(name)
        ),
        None => format!(
            "<p class=\"missing-plot\" data-plot=\"{0}\">plot {0} is missing</p>\n",
            escape(name)
        ),
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inlines_plots_renders_tables_and_never_links_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.svg"), "<svg width=\"10\"><rect/></svg>").unwrap();
        let md = "# T\n\n| x | y |\n|---|---:|\n| 1 | 2 |\n\n![alt text](a.svg)\n\n![gone](b.svg)\n\n![escape](../etc/passwd.svg)\n";
        let page = render(dir.path(), "run <1>", "a < b", md);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>run &lt;1&gt;</title>"));
        assert!(page.contains("<pre class=\"summary\">a &lt; b</pre>"));
        assert!(
            page.contains("<table>") && page.contains("<td style=\"text-align: right\">2</td>")
        );
        assert!(page.contains("data-plot=\"a.svg\"><svg width=\"10\"><rect/></svg>"));
        assert!(!page.contains("alt text"));
        assert!(page.contains("plot b.svg is missing"));
        assert!(page.contains("plot ../etc/passwd.svg is missing"));
        assert!(!page.contains("<img") && !page.contains("<script"));
    }
}
