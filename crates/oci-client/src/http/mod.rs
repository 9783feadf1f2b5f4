//! The signed HTTP layer every service client shares: signing, bounded jittered retries and
//! error decoding. It knows no service: each client describes its API (base path such as
//! `/20160918` or `/admin/v1`, and the decoder of its error bodies) and gives it full URLs.
//!
//! Every attempt gets a fresh `date` and a fresh signature. One `opc-request-id` (32 lowercase
//! hex) is generated per call and sent on every attempt, so the attempts of one call can be
//! correlated. Retries happen on 429, 500/502/503/504, 409 (except `InvalidatedRetryToken`),
//! network errors and timeouts, never on 400/401/403/404/412, and never sleep past the budget.
//!
//! Requests to one endpoint share an adaptive rate limit for the whole process (see
//! `limiter`): after a 429 the rate drops by half and recovers slowly, and a `retry-after`
//! delays every request. A retry after a 429 sleeps at least its `retry-after`.
//!
//! Futures are cancel-safe: dropping one aborts the in-flight request and any pending sleep.

// `OciError` is about 136 bytes and is produced at most once per API call (which costs a
// network round trip), so boxing it would only make matching on it clumsier.
#![allow(clippy::result_large_err)]

mod limiter;
mod retry;
mod shared;
mod tls;

pub use retry::{NegativeRetryBudget, RetryPolicy};

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, DATE};
use reqwest::{Method, Url};

use crate::auth::SharedSource;
use crate::error::{ErrorKind, OciError, ScimError};
use crate::signer::{http_date, Signer};
use limiter::AdaptiveLimiter;

/// Options for the HTTP layer.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Timeout of one attempt (connect + response + body).
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Sent as `User-Agent`. Callers name themselves here (e.g. `my-tool/1.2.3`); the default
    /// is this crate's name and version.
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            user_agent: format!("{}/{}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        }
    }
}

/// An error body as a service's decoder reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodedError {
    /// The service's error code, e.g. `NotAuthorizedOrNotFound`.
    pub code: String,
    pub message: String,
    /// The whole body, for SCIM services.
    pub scim: Option<ScimError>,
}

/// Reads a service's error body for an HTTP status. Never fails: an unreadable body becomes
/// code `BadErrorResponse`.
pub(crate) type ErrorDecoder = fn(status: u16, body: &[u8]) -> DecodedError;

/// What the HTTP layer needs to know about one service API.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServiceApi {
    /// Path segments every operation path starts with: `["20160918"]`, `["admin", "v1"]`.
    pub base_path: &'static [&'static str],
    pub decode_error: ErrorDecoder,
}

impl ServiceApi {
    /// `endpoint` + base path + `segments` (each percent-escaped) + `query`. `endpoint` is
    /// an http(s) origin such as [`crate::endpoints::normalize_endpoint`] returns.
    pub fn url(&self, endpoint: &Url, segments: &[String], query: &[(&str, &str)]) -> Url {
        let mut url = endpoint.clone();
        // http(s) URLs always have path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.clear();
            for segment in self.base_path {
                path.push(segment);
            }
            for segment in segments {
                path.push(segment);
            }
        }
        url.set_query(None);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }
}

/// Parses an endpoint (`scheme://host[:port]`) into a base URL for [`ServiceApi::url`].
pub(crate) fn parse_endpoint(endpoint: &str) -> Result<Url, String> {
    let url = Url::parse(endpoint).map_err(|e| format!("invalid endpoint URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err("the endpoint must be an http:// or https:// URL".to_string());
    }
    Ok(url)
}

/// One API call to make.
pub(crate) struct ApiRequest {
    pub operation: &'static str,
    pub method: Method,
    /// The full URL (see [`ServiceApi::url`]).
    pub url: Url,
    pub body: Option<Vec<u8>>,
    /// Extra headers, identical on every attempt (e.g. `opc-retry-token`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub decode_error: ErrorDecoder,
}

/// A successful (2xx) response. Its body may hold a secret (a create response carries the
/// token), so Debug leaves it out.
pub(crate) struct ApiResponse {
    pub status: u16,
    pub body: Vec<u8>,
    pub opc_request_id: Option<String>,
    /// `METHOD URL` of the request, for error reports.
    pub target: String,
    /// The `opc-next-page` header of a paged OCI list.
    pub next_page: Option<String>,
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

impl ApiResponse {
    /// Decodes a JSON body. The error names only the position and category, never the content
    /// (which may hold a token).
    pub fn json<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
    ) -> Result<T, OciError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let category = match e.classify() {
                serde_json::error::Category::Io => "I/O error",
                serde_json::error::Category::Syntax => "invalid JSON",
                serde_json::error::Category::Data => "unexpected JSON shape",
                serde_json::error::Category::Eof => "truncated JSON",
            };
            let detail = format!("{category} at line {} column {}", e.line(), e.column());
            let mut err = OciError::new(ErrorKind::Decode(detail), operation, self.target.clone());
            err.opc_request_id = self.opc_request_id.clone();
            err
        })
    }
}

/// Signed HTTP transport with retries, shared by the service clients.
#[derive(Debug)]
pub(crate) struct HttpClient {
    http: reqwest::Client,
    credentials: SharedSource,
    retry: RetryPolicy,
}

impl HttpClient {
    pub fn new(
        credentials: SharedSource,
        retry: RetryPolicy,
        options: &ClientOptions,
    ) -> Result<Self, String> {
        let http = shared::client(options)?;
        Ok(Self {
            http,
            credentials,
            retry,
        })
    }

    /// Sends `request`, retrying transient failures per the retry policy.
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, OciError> {
        let url = &request.url;
        let target = format!("{} {}", request.method, url);
        let opc_request_id = new_opc_request_id();
        let limiter = AdaptiveLimiter::for_endpoint(url);
        let started = Instant::now();
        let mut attempt: u32 = 1;
        let mut throttled_ms: u64 = 0;
        let mut refreshed_after_401 = false;
        loop {
            let (waited, epoch) = limiter.acquire().await;
            throttled_ms += waited.as_millis() as u64;
            let signer = self.signer_for(&request, &target, &opc_request_id).await?;
            let attempt_started = Instant::now();
            let result = self
                .attempt(&request, url, &target, &opc_request_id, &signer)
                .await;
            let attempt_ms = attempt_started.elapsed().as_millis() as u64;
            let (mut err, retry_after) = match result {
                Ok(response) => {
                    limiter.on_success();
                    tracing::debug!(
                        operation = request.operation,
                        status = response.status,
                        attempt,
                        opc_request_id = %opc_request_id,
                        attempt_ms,
                        throttled_ms,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "OCI request succeeded"
                    );
                    return Ok(response);
                }
                Err(failure) => failure,
            };
            err.attempts = attempt;
            let status = err.status().unwrap_or(0);
            if status == 401 {
                // A session token may have been revoked or expired early: refresh it once and
                // send the request once more (an attempt like any other).
                if !refreshed_after_401 {
                    refreshed_after_401 = true;
                    match self.credentials.refresh_after_unauthorized(&signer).await {
                        Ok(true) => {
                            tracing::debug!(
                                operation = request.operation,
                                attempt,
                                opc_request_id = %opc_request_id,
                                "401 with a session token; refreshed it, sending again"
                            );
                            attempt += 1;
                            continue;
                        }
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "refreshing the session token after a 401 failed");
                        }
                    }
                }
                err.auth_hint = self.credentials.unauthorized_hint();
            }
            if status == 429 {
                limiter.on_throttled(epoch, retry_after);
            }
            let remaining = self.retry.max_duration.saturating_sub(started.elapsed());
            if !self.retry.enabled || !err.is_retryable() || remaining.is_zero() {
                tracing::debug!(
                    operation = request.operation,
                    status,
                    attempt,
                    opc_request_id = %opc_request_id,
                    code = err.code().unwrap_or(""),
                    attempt_ms,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "OCI request failed"
                );
                return Err(err);
            }
            let delay = self
                .retry
                .delay_after(status, attempt)
                .max(retry_after.unwrap_or_default())
                .min(remaining);
            if attempt == 1 {
                if let Some(kind) = unreachable_kind(&err.kind) {
                    tracing::warn!(
                        operation = request.operation,
                        endpoint = %url.origin().ascii_serialization(),
                        error_kind = kind,
                        retry_budget_s = self.retry.max_duration.as_secs(),
                        "OCI endpoint {} unreachable ({kind}); retrying within retry_duration_seconds",
                        url.origin().ascii_serialization()
                    );
                }
            }
            tracing::debug!(
                operation = request.operation,
                status,
                attempt,
                opc_request_id = %opc_request_id,
                code = err.code().unwrap_or(""),
                attempt_ms,
                delay_ms = delay.as_millis() as u64,
                "OCI request failed; retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// The signer of the next attempt; a credential failure ends the call.
    async fn signer_for(
        &self,
        request: &ApiRequest,
        target: &str,
        opc_request_id: &str,
    ) -> Result<Signer, OciError> {
        self.credentials.signer().await.map_err(|e| {
            let mut err =
                OciError::new(ErrorKind::Config(e.to_string()), request.operation, target);
            err.opc_request_id = Some(opc_request_id.to_owned());
            err
        })
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        url: &Url,
        target: &str,
        opc_request_id: &str,
        signer: &Signer,
    ) -> Result<ApiResponse, (OciError, Option<Duration>)> {
        let fail = |kind: ErrorKind| {
            let mut err = OciError::new(kind, request.operation, target);
            err.opc_request_id = Some(opc_request_id.to_owned());
            (err, None)
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
        signer
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
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(limiter::parse_retry_after);
        let next_page = response
            .headers()
            .get("opc-next-page")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
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
                next_page,
            });
        }
        let DecodedError {
            code,
            message,
            scim,
        } = (request.decode_error)(status, &bytes);
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
        err.scim = scim.map(Box::new);
        Err((err, retry_after))
    }
}

/// `Some(kind)` when a transport failure means the endpoint cannot be reached at all: its
/// name does not resolve or it refuses connections (worth a WARN: the apply waits on it).
fn unreachable_kind(kind: &ErrorKind) -> Option<&'static str> {
    let ErrorKind::Network(detail) = kind else {
        return None;
    };
    let detail = detail.to_ascii_lowercase();
    if detail.contains("dns error")
        || detail.contains("failed to lookup address")
        || detail.contains("name or service not known")
        || detail.contains("no such host")
    {
        Some("name does not resolve")
    } else if detail.contains("connection refused") {
        Some("connection refused")
    } else {
        None
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

pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
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

/// The standard OCI error body, `{"code": "...", "message": "..."}`; anything else becomes
/// `BadErrorResponse`.
pub(crate) fn decode_oci_error(status: u16, body: &[u8]) -> DecodedError {
    #[derive(serde::Deserialize)]
    struct Body {
        code: Option<String>,
        message: Option<String>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(Body {
            code: Some(code),
            message,
        }) => DecodedError {
            code,
            message: message.unwrap_or_default(),
            scim: None,
        },
        _ => bad_error_body(status, "an OCI error body"),
    }
}

/// `BadErrorResponse` for a body that is not the expected `kind` of error body. The message
/// never quotes the body.
pub(crate) fn bad_error_body(status: u16, kind: &str) -> DecodedError {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("unexpected status");
    DecodedError {
        code: "BadErrorResponse".to_owned(),
        message: format!("the service returned HTTP {status} ({reason}) without {kind}"),
        scim: None,
    }
}

/// 32 lowercase hex characters.
pub(crate) fn new_opc_request_id() -> String {
    (0..32)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).expect("digit < 16"))
        .collect()
}

/// 32 ASCII alphanumerics, as the Go SDK generates for `opc-retry-token`.
pub(crate) fn new_retry_token() -> String {
    (0..32).map(|_| fastrand::alphanumeric()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn unreachable_endpoints_are_recognised() {
        let network = |d: &str| ErrorKind::Network(d.to_owned());
        assert_eq!(
            unreachable_kind(&network("error sending request for url (http://127.0.0.1:9/): client error (Connect): tcp connect error: Connection refused (os error 111)")),
            Some("connection refused")
        );
        assert_eq!(
            unreachable_kind(&network("error sending request: client error (Connect): dns error: failed to lookup address information: Name or service not known")),
            Some("name does not resolve")
        );
        assert_eq!(unreachable_kind(&network("connection reset by peer")), None);
        assert_eq!(unreachable_kind(&ErrorKind::Timeout), None);
    }

    #[tokio::test]
    async fn real_transport_errors_are_classified() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = reqwest::Client::new();
        let err = client
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            unreachable_kind(&transport_kind(&err)),
            Some("connection refused")
        );
        let err = client
            .get("http://no-such-host.invalid/")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            unreachable_kind(&transport_kind(&err)),
            Some("name does not resolve"),
            "{}",
            error_chain(&err)
        );
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            decode_oci_error(
                404,
                br#"{"code":"NotAuthorizedOrNotFound","message":"gone"}"#
            ),
            DecodedError {
                code: "NotAuthorizedOrNotFound".to_owned(),
                message: "gone".to_owned(),
                scim: None
            }
        );
        let DecodedError { code, message, .. } = decode_oci_error(502, b"<html>bad gateway</html>");
        assert_eq!(code, "BadErrorResponse");
        assert!(message.contains("502") && !message.contains("html"));
    }

    #[test]
    fn urls_escape_path_segments_under_the_base_path() {
        let api = ServiceApi {
            base_path: &["20160918"],
            decode_error: decode_oci_error,
        };
        let endpoint = parse_endpoint("http://127.0.0.1:9").unwrap();
        let url = api.url(
            &endpoint,
            &[
                "users".into(),
                "ocid1.user.oc1..a/b?c#d %".into(),
                "authTokens".into(),
            ],
            &[],
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/20160918/users/ocid1.user.oc1..a%2Fb%3Fc%23d%20%25/authTokens"
        );
        let scim = ServiceApi {
            base_path: &["admin", "v1"],
            decode_error: decode_oci_error,
        };
        let url = scim.url(
            &endpoint,
            &["AuthTokens".into()],
            &[("filter", "user.value eq \"u 1\""), ("count", "5")],
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/admin/v1/AuthTokens?filter=user.value+eq+%22u+1%22&count=5"
        );
        assert!(parse_endpoint("mailto:x@example.com").is_err());
    }

    fn list_request(base: &str) -> ApiRequest {
        ApiRequest {
            operation: "ListAuthTokens",
            method: Method::GET,
            url: Url::parse(&format!("{base}/20160918/users/u/authTokens")).unwrap(),
            body: None,
            headers: Vec::new(),
            decode_error: decode_oci_error,
        }
    }

    /// A service that refuses the first session token (`token-0`) with 401.
    async fn refusing_first_token(
        refuse_all: bool,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let requests = std::sync::Arc::new(AtomicUsize::new(0));
        let seen = requests.clone();
        let base = crate::auth::tests::serve(std::sync::Arc::new(move |text: &str| {
            seen.fetch_add(1, Ordering::SeqCst);
            if refuse_all || text.contains("keyId=\"ST$token-0\"") {
                (
                    "401 Unauthorized",
                    r#"{"code":"NotAuthenticated","message":"The required information to complete authentication was not provided or was incorrect."}"#.to_owned(),
                )
            } else {
                ("200 OK", "[]".to_owned())
            }
        }))
        .await;
        (base, requests)
    }

    #[tokio::test]
    async fn a_401_refreshes_the_session_once_and_retries_once() {
        use std::sync::atomic::Ordering;
        let (base, requests) = refusing_first_token(false).await;
        let source = crate::auth::tests::source(3600, 0);
        let http = HttpClient::new(
            source.clone(),
            RetryPolicy::default(),
            &ClientOptions::default(),
        )
        .unwrap();
        let response = http.send(list_request(&base)).await.unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(requests.load(Ordering::SeqCst), 2);
        assert_eq!(source.fetch_count(), 2);
        // The new token is kept.
        http.send(list_request(&base)).await.unwrap();
        assert_eq!(source.fetch_count(), 2);
    }

    #[tokio::test]
    async fn a_second_401_is_returned_with_the_mode_hint() {
        use std::sync::atomic::Ordering;
        let (base, requests) = refusing_first_token(true).await;
        let source = crate::auth::tests::source(3600, 0);
        let http = HttpClient::new(
            source.clone(),
            RetryPolicy::default(),
            &ClientOptions::default(),
        )
        .unwrap();
        let err = http.send(list_request(&base)).await.unwrap_err();
        assert_eq!(err.status(), Some(401));
        assert_eq!(err.attempts, 2);
        assert_eq!(requests.load(Ordering::SeqCst), 2);
        assert_eq!(source.fetch_count(), 2);
        assert_eq!(err.hint(), Some("hint"));
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("token-"), "{shown}");
    }

    #[tokio::test]
    async fn concurrent_401s_share_one_refresh_through_the_http_layer() {
        let (base, _) = refusing_first_token(false).await;
        let source = crate::auth::tests::source(3600, 20);
        let http = std::sync::Arc::new(
            HttpClient::new(
                source.clone(),
                RetryPolicy::default(),
                &ClientOptions::default(),
            )
            .unwrap(),
        );
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let http = http.clone();
                let base = base.clone();
                tokio::spawn(async move { http.send(list_request(&base)).await.map(|r| r.status) })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), 200);
        }
        assert_eq!(source.fetch_count(), 2);
    }

    #[test]
    fn default_user_agent_is_the_crate_name() {
        let agent = ClientOptions::default().user_agent;
        assert!(agent.starts_with("oci-client/"), "{agent}");
    }
}
