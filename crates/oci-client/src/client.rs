//! Signed HTTP calls to OCI with bounded, jittered retries.
//!
//! Every attempt gets a fresh `date` and a fresh signature. One `opc-request-id` (32 lowercase
//! hex) is generated per call and sent on every attempt, so the attempts of one call can be
//! correlated. Retries happen on 429, 500/502/503/504, 409 (except `InvalidatedRetryToken`),
//! network errors and timeouts, never on 400/401/403/404/412, and never sleep past the budget.
//!
//! Futures are cancel-safe: dropping one aborts the in-flight request and any pending sleep.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, DATE};
use reqwest::{Method, Url};

use super::error::{ErrorKind, OciError};
use super::signer::{http_date, Signer};

/// The Identity API version path segment.
pub const API_VERSION: &str = "20160918";

/// How transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total time budget from the first attempt; no sleep goes past it.
    pub max_duration: Duration,
    /// Delay before the first retry (before jitter); doubles per retry.
    pub base_delay: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
    /// `false` = a single attempt.
    pub enabled: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_duration: Duration::from_secs(120),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            enabled: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// The jittered delay before retry number `retry` (1-based): half of the exponential
    /// delay `base·2^(retry-1)` (capped at `max_delay`) plus a random part up to the other half.
    pub fn delay(&self, retry: u32) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let capped = exponential.min(self.max_delay);
        let half = capped / 2;
        let jitter_ms = fastrand::u64(0..=half.as_millis() as u64);
        half + Duration::from_millis(jitter_ms)
    }
}

/// Options for the HTTP layer.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Timeout of one attempt (connect + response + body).
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            user_agent: format!("oci-client-rs/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// One API call to make.
pub(crate) struct ApiRequest {
    pub operation: &'static str,
    pub method: Method,
    /// Path segments after `/20160918`, unescaped; they are percent-escaped here.
    pub segments: Vec<String>,
    pub body: Option<Vec<u8>>,
    /// Extra headers, identical on every attempt (e.g. `opc-retry-token`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// A successful (2xx) response. Its body may hold a secret (a create response carries the
/// token), so Debug leaves it out.
pub(crate) struct ApiResponse {
    pub status: u16,
    pub body: Vec<u8>,
    pub opc_request_id: Option<String>,
    /// `METHOD URL` of the request, for error reports.
    pub target: String,
}

impl std::fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("body", &format_args!("({} bytes)", self.body.len()))
            .field("opc_request_id", &self.opc_request_id)
            .field("target", &self.target)
            .finish()
    }
}

/// Signed HTTP transport with retries.
#[derive(Debug)]
pub(crate) struct HttpClient {
    http: reqwest::Client,
    endpoint: Url,
    signer: Signer,
    retry: RetryPolicy,
}

impl HttpClient {
    pub fn new(
        endpoint: &str,
        signer: Signer,
        retry: RetryPolicy,
        options: &ClientOptions,
    ) -> Result<Self, String> {
        let endpoint = Url::parse(endpoint).map_err(|e| format!("invalid endpoint URL: {e}"))?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.cannot_be_a_base() {
            return Err("the endpoint must be an http:// or https:// URL".to_string());
        }
        let http = reqwest::Client::builder()
            .timeout(options.request_timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(options.user_agent.clone())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", error_chain(&e)))?;
        Ok(Self {
            http,
            endpoint,
            signer,
            retry,
        })
    }

    /// The URL for a path under the API version, with every segment percent-escaped.
    pub fn url(&self, segments: &[String]) -> Url {
        let mut url = self.endpoint.clone();
        {
            // `new` accepts only http(s) base URLs, which always have path segments.
            if let Ok(mut path) = url.path_segments_mut() {
                path.clear().push(API_VERSION);
                for segment in segments {
                    path.push(segment);
                }
            }
        }
        url
    }

    /// Sends `request`, retrying transient failures per the retry policy.
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, OciError> {
        let url = self.url(&request.segments);
        let target = format!("{} {}", request.method, url);
        let opc_request_id = new_opc_request_id();
        let started = Instant::now();
        let mut attempt: u32 = 1;
        loop {
            let result = self.attempt(&request, &url, &target, &opc_request_id).await;
            let mut err = match result {
                Ok(response) => {
                    tracing::debug!(
                        operation = request.operation,
                        status = response.status,
                        attempt,
                        opc_request_id = %opc_request_id,
                        "OCI request succeeded"
                    );
                    return Ok(response);
                }
                Err(err) => err,
            };
            err.attempts = attempt;
            let status = err.status().unwrap_or(0);
            let remaining = self.retry.max_duration.saturating_sub(started.elapsed());
            if !self.retry.enabled || !err.is_retryable() || remaining.is_zero() {
                tracing::debug!(
                    operation = request.operation,
                    status,
                    attempt,
                    opc_request_id = %opc_request_id,
                    code = err.code().unwrap_or(""),
                    "OCI request failed"
                );
                return Err(err);
            }
            let delay = self.retry.delay(attempt).min(remaining);
            tracing::debug!(
                operation = request.operation,
                status,
                attempt,
                opc_request_id = %opc_request_id,
                code = err.code().unwrap_or(""),
                delay_ms = delay.as_millis() as u64,
                "OCI request failed; retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        url: &Url,
        target: &str,
        opc_request_id: &str,
    ) -> Result<ApiResponse, OciError> {
        let fail = |kind: ErrorKind| {
            let mut err = OciError::new(kind, request.operation, target);
            err.opc_request_id = Some(opc_request_id.to_owned());
            err
        };
        let mut http_request = reqwest::Request::new(request.method.clone(), url.clone());
        let headers: &mut HeaderMap = http_request.headers_mut();
        headers.insert(
            DATE,
            HeaderValue::from_str(&http_date(chrono::Utc::now())).expect("dates are ASCII"),
        );
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            HeaderName::from_static("opc-request-id"),
            HeaderValue::from_str(opc_request_id).expect("hex is a valid header value"),
        );
        for (name, value) in &request.headers {
            headers.insert(name.clone(), value.clone());
        }
        let body = request.body.clone().unwrap_or_default();
        self.signer
            .sign(&request.method, url, http_request.headers_mut(), &body)
            .map_err(|e| fail(ErrorKind::Config(e.to_string())))?;
        if request.body.is_some() {
            *http_request.body_mut() = Some(body.into());
        }

        let response = self
            .http
            .execute(http_request)
            .await
            .map_err(|e| fail(transport_kind(&e)))?;
        let status = response.status().as_u16();
        let server_request_id = response
            .headers()
            .get("opc-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| fail(transport_kind(&e)))?;
        let opc_request_id = server_request_id.unwrap_or_else(|| opc_request_id.to_owned());
        if (200..300).contains(&status) {
            return Ok(ApiResponse {
                status,
                body: bytes.to_vec(),
                opc_request_id: Some(opc_request_id),
                target: target.to_owned(),
            });
        }
        let (code, message) = parse_error_body(status, &bytes);
        let mut err = OciError::new(
            ErrorKind::Service {
                status,
                code,
                message,
            },
            request.operation,
            target,
        );
        err.opc_request_id = Some(opc_request_id);
        Err(err)
    }
}

/// Classifies a transport failure. The detail is the error chain, which names the URL and
/// the I/O cause but never headers or bodies.
fn transport_kind(err: &reqwest::Error) -> ErrorKind {
    if err.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network(error_chain(err))
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Reads `{"code": "...", "message": "..."}`; anything else becomes `BadErrorResponse`.
fn parse_error_body(status: u16, body: &[u8]) -> (String, String) {
    #[derive(serde::Deserialize)]
    struct Body {
        code: Option<String>,
        message: Option<String>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(Body {
            code: Some(code),
            message,
        }) => (code, message.unwrap_or_default()),
        _ => {
            let reason = reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("unexpected status");
            (
                "BadErrorResponse".to_owned(),
                format!("the service returned HTTP {status} ({reason}) without an OCI error body"),
            )
        }
    }
}

/// 32 lowercase hex characters.
pub fn new_opc_request_id() -> String {
    (0..32)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).expect("digit < 16"))
        .collect()
}

/// 32 ASCII alphanumerics, as the Go SDK generates for `opc-retry-token`.
pub fn new_retry_token() -> String {
    (0..32).map(|_| fastrand::alphanumeric()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy() {
        let p = RetryPolicy::default();
        assert_eq!(
            (p.max_duration, p.base_delay, p.max_delay, p.enabled),
            (
                Duration::from_secs(120),
                Duration::from_secs(1),
                Duration::from_secs(30),
                true
            )
        );
        assert!(!RetryPolicy::disabled().enabled);
    }

    #[test]
    fn delays_grow_are_jittered_and_capped() {
        let p = RetryPolicy::default();
        for _ in 0..200 {
            let d1 = p.delay(1);
            assert!(
                d1 >= Duration::from_millis(500) && d1 <= Duration::from_secs(1),
                "{d1:?}"
            );
            let d3 = p.delay(3);
            assert!(
                d3 >= Duration::from_secs(2) && d3 <= Duration::from_secs(4),
                "{d3:?}"
            );
            let d40 = p.delay(40);
            assert!(
                d40 >= Duration::from_secs(15) && d40 <= Duration::from_secs(30),
                "{d40:?}"
            );
        }
    }

    #[test]
    fn ids_have_the_expected_shape() {
        let id = new_opc_request_id();
        assert_eq!(id.len(), 32);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        let token = new_retry_token();
        assert_eq!(token.len(), 32);
        assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(new_retry_token(), token);
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            parse_error_body(
                404,
                br#"{"code":"NotAuthorizedOrNotFound","message":"gone"}"#
            ),
            ("NotAuthorizedOrNotFound".to_owned(), "gone".to_owned())
        );
        let (code, message) = parse_error_body(502, b"<html>bad gateway</html>");
        assert_eq!(code, "BadErrorResponse");
        assert!(message.contains("502") && !message.contains("html"));
    }

    #[test]
    fn urls_escape_path_segments() {
        let key = crate::keys::RsaPrivateKey::from_pem(
            &crate::keys::tests::fixture("rsa2048_pkcs8.pem"),
            None,
        )
        .unwrap();
        let signer = Signer::new("t/u/f", std::sync::Arc::new(key));
        let client = HttpClient::new(
            "http://127.0.0.1:9",
            signer,
            RetryPolicy::default(),
            &ClientOptions::default(),
        )
        .unwrap();
        let url = client.url(&[
            "users".into(),
            "ocid1.user.oc1..a/b?c#d %".into(),
            "authTokens".into(),
        ]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/20160918/users/ocid1.user.oc1..a%2Fb%3Fc%23d%20%25/authTokens"
        );
    }
}
