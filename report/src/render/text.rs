//! Plain aligned text tables for the terminal (status and the run summary).

pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let cols = headers.len();
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            width[i] = width[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let pad = width[i].saturating_sub(c.chars().count());
            // Numbers read better right-aligned; the first column is a label.
            if i == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s.trim_end().to_string()
    };
    let mut out = line(headers.to_vec());
    out.push('\n');
    out.push_str(&line(
        width
            .iter()
            .map(|&w| "-".repeat(w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

pub fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

pub fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"))
}

pub fn pct(ratio: f64) -> String {
    format!("{:.2}%", ratio * 100.0)
}

pub fn bytes(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(b) if b >= 1024.0 * 1024.0 => format!("{:.1} MiB", b / 1024.0 / 1024.0),
        Some(b) if b >= 1024.0 => format!("{:.1} KiB", b / 1024.0),
        Some(b) => format!("{b:.0} B"),
    }
}

/// A value with its unit, with as many digits as its size deserves and thin-space-free
/// thousands grouping ("41 230 tx/s", "37.5 ms", "1.84").
pub fn with_unit(v: f64, unit: &str) -> String {
    let n = number(v);
    match unit {
        "" => n,
        // Percent and "times" read as part of the number.
        "%" | "×" => format!("{n}{unit}"),
        u => format!("{n} {u}"),
    }
}

pub fn number(v: f64) -> String {
    number_scaled(v, v)
}

/// `v` with the digits `scale` would get, so a range prints alike ("90–110", not "90.0–110").
pub fn number_scaled(v: f64, scale: f64) -> String {
    let a = scale.abs();
    if a >= 1000.0 {
        group_thousands(v.round() as i64)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn group_thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// A Markdown table row; `|` inside a cell is escaped.
pub fn row(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
    format!("| {} |", cells.join(" | "))
}

/// "42 s", "4 min 10 s", "1 h 02 min".
pub fn duration_text(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let t = render(
            &["node", "height"],
            &[vec!["0".into(), "12".into()], vec!["10".into(), "3".into()]],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "node  height");
        assert_eq!(lines[2], "0         12");
        assert_eq!(lines[3], "10         3");
        assert_eq!(bytes(Some(2048.0)), "2.0 KiB");
        assert_eq!(pct(1.0), "100.00%");
    }

    #[test]
    fn numbers() {
        assert_eq!(number(41_230.4), "41 230");
        assert_eq!(number(1_234_567.0), "1 234 567");
        assert_eq!(number(-1500.0), "-1 500");
        assert_eq!(number(250.0), "250");
        assert_eq!(number(37.46), "37.5");
        assert_eq!(number(1.843), "1.84");
        assert_eq!(number_scaled(90.0, 100.0), "90");
        assert_eq!(number_scaled(9.5, 1500.0), "10");
        assert_eq!(with_unit(99.5, "%"), "99.5%");
        assert_eq!(with_unit(3.0, ""), "3.00");
        assert_eq!(with_unit(2.434, "×"), "2.43×");
        assert_eq!(with_unit(12_000.0, "tx/s"), "12 000 tx/s");
    }
}
