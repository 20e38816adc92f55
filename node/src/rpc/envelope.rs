//! Checks the JSON-RPC 2.0 request envelope before jsonrpsee parses it.
//!
//! jsonrpsee answers some invalid requests with −32700 (parse error) where the specification
//! requires −32600 (invalid request): valid JSON that is not an object or array (`42`, `"x"`,
//! `null`), and objects whose members have the wrong types — the spec's own example is
//! `{"jsonrpc": "2.0", "method": 1, "params": "bar"}`. This HTTP middleware answers exactly those
//! cases and passes everything else (including real parse errors and batches) through untouched.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use serde_json::{Value, json};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The error response for a single request whose envelope is invalid, or `None` if jsonrpsee
/// should handle the body (valid request, batch, or not JSON at all).
pub fn check(body: &[u8]) -> Option<Value> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let o = match v {
        Value::Array(_) => return None,
        Value::Object(o) => o,
        _ => return Some(invalid(Value::Null)),
    };
    let id = o.get("id");
    let id_ok = matches!(
        id,
        None | Some(Value::Null | Value::String(_) | Value::Number(_))
    );
    let valid = id_ok
        && o.get("jsonrpc").and_then(Value::as_str) == Some("2.0")
        && matches!(o.get("method"), Some(Value::String(_)))
        && matches!(
            o.get("params"),
            None | Some(Value::Array(_) | Value::Object(_))
        );
    if valid {
        return None;
    }
    Some(invalid(if id_ok {
        id.cloned().unwrap_or(Value::Null)
    } else {
        Value::Null
    }))
}

fn invalid(id: Value) -> Value {
    json!({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid request"}, "id": id})
}

/// Tower layer installing [`EnvelopeCheck`].
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeLayer {
    pub max_body: usize,
}

impl<S> tower::Layer<S> for EnvelopeLayer {
    type Service = EnvelopeCheck<S>;
    fn layer(&self, inner: S) -> Self::Service {
        EnvelopeCheck {
            inner,
            max_body: self.max_body,
        }
    }
}

#[derive(Debug, Clone)]
pub struct EnvelopeCheck<S> {
    inner: S,
    max_body: usize,
}

impl<S, B> tower::Service<http::Request<B>> for EnvelopeCheck<S>
where
    S: tower::Service<HttpRequest, Response = HttpResponse> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        // The clone is the ready service's twin; keep the ready one for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let max = self.max_body;
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if req.method() != http::Method::POST || declared.is_some_and(|n| n > max) {
            // Not a call, or oversized: jsonrpsee's own answers are the right ones.
            return Box::pin(inner.call(req.map(HttpBody::new)));
        }
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let bytes = match Limited::new(body, max).collect().await {
                Ok(c) => c.to_bytes(),
                Err(_) => {
                    let err = json!({"jsonrpc": "2.0", "error": {"code": -32007,
                        "message": "Request is too big"}, "id": null});
                    return Ok(json_response(http::StatusCode::PAYLOAD_TOO_LARGE, &err));
                }
            };
            if let Some(err) = check(&bytes) {
                return Ok(json_response(http::StatusCode::OK, &err));
            }
            inner
                .call(http::Request::from_parts(
                    parts,
                    HttpBody::from(bytes.to_vec()),
                ))
                .await
        })
    }
}

fn json_response(status: http::StatusCode, body: &Value) -> HttpResponse {
    let mut r = HttpResponse::new(HttpBody::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> Option<(i64, Value)> {
        check(body.as_bytes()).map(|v| (v["error"]["code"].as_i64().unwrap(), v["id"].clone()))
    }

    #[test]
    fn spec_examples() {
        assert_eq!(
            code(r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#),
            Some((-32600, Value::Null))
        );
        assert_eq!(code("42"), Some((-32600, Value::Null)));
        assert_eq!(code("null"), Some((-32600, Value::Null)));
        assert_eq!(code(r#""x""#), Some((-32600, Value::Null)));
        assert_eq!(
            code(r#"{"jsonrpc": "2.0", "method": "m", "params": 3, "id": 7}"#),
            Some((-32600, json!(7)))
        );
        assert_eq!(
            code(r#"{"jsonrpc": "2.0", "method": "m", "id": {}}"#),
            Some((-32600, Value::Null))
        );
        assert_eq!(
            code(r#"{"method": "m", "id": "a"}"#),
            Some((-32600, json!("a")))
        );
        // Left to jsonrpsee: valid calls, notifications, batches, and non-JSON.
        assert_eq!(
            code(r#"{"jsonrpc": "2.0", "method": "m", "params": [1], "id": 1}"#),
            None
        );
        assert_eq!(
            code(r#"{"jsonrpc": "2.0", "method": "m", "params": {"a": 1}}"#),
            None
        );
        assert_eq!(code(r#"{"jsonrpc": "2.0", "method": "m"}"#), None);
        assert_eq!(code("[1, 2]"), None);
        assert_eq!(code("[]"), None);
        assert_eq!(code("{nope"), None);
    }
}
