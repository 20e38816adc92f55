//! The `/metrics` endpoint: OpenMetrics text to scrapers that ask for it (Prometheus does),
//! the classic Prometheus text format (0.0.4, [`crate::metrics_text`]) to the rest (curl,
//! promtool), on its own port, served by hyper's HTTP/1.1 server (one connection per scrape is
//! typical; keep-alive also works).
//!
//! Bounds: at most [`MAX_SCRAPES`] connections are served at once (a scrape encodes the whole
//! registry, ~50 KiB, under a lock; more would only queue on that lock), further ones wait in
//! the accept queue; a request head must arrive within [`HEADER_TIMEOUT`] and hyper caps its
//! size (~400 KiB by default), so a slow or oversized client cannot hold a slot.
//!
//! Invariants: a scrape's refresh (which reads the pool through the ledger) and the encoding
//! (under the registry lock) run on the blocking pool, never on a runtime thread; connections
//! are tracked tasks that end at shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::metrics_text::{TEXT_FORMAT, to_text_format, wants_openmetrics};
use crate::services::tasks::Tasks;

/// Most connections served at once.
pub const MAX_SCRAPES: usize = 8;
/// Longest wait for a request head.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the endpoint serves: the registry and a hook run before each scrape.
#[derive(Clone)]
pub struct Exporter {
    pub registry: Arc<Mutex<Registry>>,
    pub refresh: Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter").finish_non_exhaustive()
    }
}

impl Exporter {
    /// The response to one request, computed on the blocking pool.
    pub async fn respond_off_runtime(
        &self,
        method: Method,
        path: String,
        accept: Option<String>,
    ) -> Response<Full<Bytes>> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.respond(&method, &path, accept.as_deref()))
            .await
            .unwrap_or_else(|_| {
                let mut r = Response::new(Full::new(Bytes::from_static(b"scrape failed\n")));
                *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                r
            })
    }

    /// The response to one request (blocking: refresh hook and encoding; tested below);
    /// `accept` is the request's `Accept` header.
    pub fn respond(
        &self,
        method: &Method,
        path: &str,
        accept: Option<&str>,
    ) -> Response<Full<Bytes>> {
        let reply = |status: StatusCode, content_type: &'static str, body: String| {
            let mut r = Response::new(Full::new(Bytes::from(body)));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(content_type),
            );
            r
        };
        if path != "/metrics" {
            return reply(StatusCode::NOT_FOUND, "text/plain", "try /metrics\n".into());
        }
        if method != Method::GET && method != Method::HEAD {
            return reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain",
                "GET /metrics\n".into(),
            );
        }
        (self.refresh)();
        let mut body = String::new();
        let encoded = {
            let r = self.registry.lock().unwrap_or_else(|e| e.into_inner());
            encode(&mut body, &r)
        };
        match encoded {
            Ok(()) if wants_openmetrics(accept) => reply(StatusCode::OK, OPENMETRICS, body),
            Ok(()) => reply(StatusCode::OK, TEXT_FORMAT, to_text_format(&body)),
            Err(_) => reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                "encoding failed\n".into(),
            ),
        }
    }
}

/// Binds the metrics listener (so a bad address fails at start-up, naming the flag).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves until shutdown; each connection is a tracked task.
pub async fn serve(listener: TcpListener, exporter: Exporter, tasks: Tasks) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_SCRAPES));
    loop {
        let Some(accepted) = tasks.unless_cancelled(listener.accept()).await else {
            return;
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let Some(Ok(permit)) = tasks.unless_cancelled(slots.clone().acquire_owned()).await else {
            return;
        };
        let exporter = exporter.clone();
        let t = tasks.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let service = service_fn(move |req: Request<Incoming>| {
                let exporter = exporter.clone();
                async move {
                    let accept = req
                        .headers()
                        .get(header::ACCEPT)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let resp = exporter
                        .respond_off_runtime(
                            req.method().clone(),
                            req.uri().path().to_owned(),
                            accept,
                        )
                        .await;
                    Ok::<_, Infallible>(resp)
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Some(Err(e)) = t.unless_cancelled(conn).await {
                tracing::debug!(error = %e, "metrics connection");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use http_body_util::BodyExt;
    use prometheus_client::metrics::counter::Counter;

    use super::*;

    fn exporter() -> (Exporter, Arc<AtomicUsize>) {
        let mut registry = Registry::default();
        let c: Counter = Counter::default();
        c.inc_by(3);
        registry.register("demo", "A demo counter", c);
        let refreshed = Arc::new(AtomicUsize::new(0));
        let r = refreshed.clone();
        (
            Exporter {
                registry: Arc::new(Mutex::new(registry)),
                refresh: Arc::new(move || {
                    r.fetch_add(1, Ordering::Relaxed);
                }),
            },
            refreshed,
        )
    }

    #[tokio::test]
    async fn serves_metrics_and_refuses_the_rest() {
        let (e, refreshed) = exporter();
        let om = Some("application/openmetrics-text; version=1.0.0");
        let ok = e.respond(&Method::GET, "/metrics", om);
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers()[header::CONTENT_TYPE], OPENMETRICS);
        let body = ok.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("# TYPE demo counter\ndemo_total 3"), "{text}");
        assert!(text.ends_with("# EOF\n"));
        let classic = e.respond(&Method::GET, "/metrics", Some("*/*"));
        assert_eq!(classic.headers()[header::CONTENT_TYPE], TEXT_FORMAT);
        let body = classic.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.contains("# TYPE demo_total counter\ndemo_total 3"),
            "{text}"
        );
        assert_eq!(refreshed.load(Ordering::Relaxed), 2);
        assert_eq!(
            e.respond(&Method::GET, "/", None).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            e.respond(&Method::POST, "/metrics", None).status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(refreshed.load(Ordering::Relaxed), 2, "only scrapes refresh");
    }

    #[tokio::test]
    async fn answers_over_http() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (e, _) = exporter();
        let listener = bind(([127, 0, 0, 1], 0).into()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tasks = Tasks::new();
        let server = tokio::spawn(serve(listener, e, tasks.clone()));
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        tokio::time::timeout(Duration::from_secs(10), s.read_to_string(&mut out))
            .await
            .unwrap()
            .unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.contains("demo_total 3"));
        tasks.shutdown(Duration::from_secs(5)).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .unwrap()
            .unwrap();
    }
}
