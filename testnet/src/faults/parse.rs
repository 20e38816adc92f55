//! Pieces of the fault flags' grammar shared by [`super::spec`] and [`super::link_spec`].

pub(super) fn fraction(s: &str) -> Result<f64, String> {
    let s = s.trim();
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => s.parse::<f64>(),
    }
    .map_err(|_| format!("{s:?} is not a fraction (e.g. 50% or 0.5)"))?;
    if !(v > 0.0 && v < 1.0) {
        return Err(format!(
            "{s:?}: the fraction must be above 0 and below 100%"
        ));
    }
    Ok(v)
}

pub(super) fn split_at(s: &str, what: &str) -> Result<(String, String), String> {
    s.split_once('@')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| format!("{s:?}: expected {what}"))
}
