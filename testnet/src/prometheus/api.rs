//! Prometheus's HTTP API (`/api/v1/targets`, `/api/v1/query`, `/api/v1/query_range`), over the
//! tool's bounded HTTP client ([`crate::observe::metrics::http`]): answers parsed into typed values, an
//! `"error"` answer or a non-200 status returned as [`Error::Prometheus`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Longest wait for one API answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    #[serde(default)]
    error: Option<String>,
}

async fn get<T: DeserializeOwned>(
    addr: SocketAddr,
    path: &str,
    query: &[(&str, &str)],
) -> Result<T> {
    let qs = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let url = if qs.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{qs}")
    };
    let text = crate::observe::metrics::http::get(addr, &url, TIMEOUT)
        .await
        .map_err(|e| Error::Prometheus(e.to_string()))?;
    let env: Envelope<T> = serde_json::from_str(&text)
        .map_err(|e| Error::Prometheus(format!("{path}: unreadable answer: {e}")))?;
    match (env.status.as_str(), env.data) {
        ("success", Some(data)) => Ok(data),
        _ => Err(Error::Prometheus(format!(
            "{path}: {}",
            env.error.unwrap_or(env.status)
        ))),
    }
}

/// One scrape target as `/api/v1/targets` describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub scrape_url: String,
    /// `up`, `down` or `unknown` (not scraped yet).
    pub health: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub last_error: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Targets {
    active_targets: Vec<Target>,
}

/// The active targets.
pub async fn targets(addr: SocketAddr) -> Result<Vec<Target>> {
    Ok(
        get::<Targets>(addr, "/api/v1/targets", &[("state", "active")])
            .await?
            .active_targets,
    )
}

/// One series of a query's answer: its labels and `(unix seconds, value)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    result_type: String,
    result: Vec<RawSeries>,
}

#[derive(Debug, Deserialize)]
struct RawSeries {
    metric: BTreeMap<String, String>,
    #[serde(default)]
    value: Option<(f64, String)>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

impl Answer {
    fn series(self) -> Result<Vec<Series>> {
        if self.result_type != "vector" && self.result_type != "matrix" {
            return Err(Error::Prometheus(format!(
                "expected a vector or matrix, got {}",
                self.result_type
            )));
        }
        Ok(self
            .result
            .into_iter()
            .map(|r| Series {
                labels: r.metric,
                points: r
                    .value
                    .into_iter()
                    .chain(r.values)
                    // Values are strings so that NaN and ±Inf survive JSON.
                    .filter_map(|(t, v)| Some((t, v.parse::<f64>().ok()?)))
                    .collect(),
            })
            .collect())
    }
}

/// An instant query, evaluated now.
pub async fn query(addr: SocketAddr, promql: &str) -> Result<Vec<Series>> {
    get::<Answer>(addr, "/api/v1/query", &[("query", promql)])
        .await?
        .series()
}

/// A range query over `[start, end]` (unix seconds) every `step` seconds.
pub async fn query_range(
    addr: SocketAddr,
    promql: &str,
    start: f64,
    end: f64,
    step: f64,
) -> Result<Vec<Series>> {
    let (start, end, step) = (
        format!("{start:.3}"),
        format!("{end:.3}"),
        format!("{step:.3}"),
    );
    get::<Answer>(
        addr,
        "/api/v1/query_range",
        &[
            ("query", promql),
            ("start", &start),
            ("end", &end),
            ("step", &step),
        ],
    )
    .await?
    .series()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vectors_and_matrices_with_special_values() {
        let matrix: Envelope<Answer> = serde_json::from_str(
            r#"{"status":"success","data":{"resultType":"matrix","result":[
                {"metric":{"node":"1"},"values":[[1700000000.5,"3"],[1700000001.5,"NaN"],[1700000002.5,"+Inf"]]}]}}"#,
        )
        .unwrap();
        let s = matrix.data.unwrap().series().unwrap();
        assert_eq!(s[0].labels["node"], "1");
        assert_eq!(s[0].points.len(), 3);
        assert_eq!(s[0].points[0], (1_700_000_000.5, 3.0));
        assert!(s[0].points[1].1.is_nan());
        let vector: Envelope<Answer> = serde_json::from_str(
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.0,"7"]}]}}"#,
        )
        .unwrap();
        assert_eq!(
            vector.data.unwrap().series().unwrap()[0].points,
            vec![(1.0, 7.0)]
        );
        let scalar: Envelope<Answer> = serde_json::from_str(
            r#"{"status":"success","data":{"resultType":"scalar","result":[]}}"#,
        )
        .unwrap();
        assert!(scalar.data.unwrap().series().is_err());
    }

    #[test]
    fn reads_targets() {
        let t: Envelope<Targets> = serde_json::from_str(
            r#"{"status":"success","data":{"activeTargets":[{"scrapeUrl":"http://127.0.0.1:1/metrics","health":"up","labels":{"node":"0"},"lastError":""}],"droppedTargets":[]}}"#,
        )
        .unwrap();
        let t = t.data.unwrap().active_targets;
        assert_eq!(t[0].health, "up");
        assert_eq!(t[0].labels["node"], "0");
    }
}
