//! Fetching a node's `/metrics` page: one HTTP/1.1 GET per connection with hyper's client
//! (chunked bodies, status and header parsing are hyper's), bounded in time and size.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::error::{Error, Result};

/// Largest page accepted; a metrics page is a few tens of KiB.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// What the tool asks for: OpenMetrics first, as Prometheus does (a node serves the classic
/// text format otherwise; [`super::prom`] reads both), anything else last (the Prometheus API
/// answers JSON whatever this says).
const ACCEPT: &str =
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn fetch(addr: SocketAddr, path: &str) -> std::result::Result<String, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(conn);
    let req = Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::ACCEPT, ACCEPT)
        .body(Empty::<Bytes>::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    if status != StatusCode::OK {
        driver.abort();
        return Err(format!("unexpected status {status}").into());
    }
    let body = Limited::new(resp.into_body(), MAX_BODY).collect().await?;
    driver.abort();
    Ok(String::from_utf8(body.to_bytes().to_vec())?)
}

pub async fn get(addr: SocketAddr, path: &str, timeout: Duration) -> Result<String> {
    let err = |message: String| Error::Metrics {
        endpoint: format!("http://{addr}{path}"),
        message,
    };
    tokio::time::timeout(timeout, fetch(addr, path))
        .await
        .map_err(|_| err("timed out".into()))?
        .map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn serve_once(response: &'static [u8]) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(response).await.unwrap();
        });
        addr
    }

    #[tokio::test]
    async fn plain_and_chunked_bodies_and_bad_status() {
        let t = Duration::from_secs(5);
        let plain = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nup 1\n\n\n").await;
        assert_eq!(get(plain, "/metrics", t).await.unwrap(), "up 1\n\n\n");
        let chunked = serve_once(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        )
        .await;
        assert_eq!(get(chunked, "/metrics", t).await.unwrap(), "hello world");
        let missing = serve_once(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").await;
        let e = get(missing, "/metrics", t).await.unwrap_err().to_string();
        assert!(e.contains("404"), "{e}");
        let garbage = serve_once(b"garbage").await;
        assert!(get(garbage, "/metrics", t).await.is_err());
    }
}
