//! The small HTTP client of the credential sources (instance metadata, federation, OKE):
//! short timeouts, a few retries on 5xx and connection failures, none on 4xx, and a cap on
//! the total time. Messages name the URL and the environment variable that overrides it,
//! never a header or a body.

use std::time::{Duration, Instant};

use super::AuthError;

/// Connect timeout of one attempt.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Timeout of one attempt.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A plain client with the short timeouts.
pub fn client(user_agent: &str) -> Result<reqwest::Client, String> {
    builder(user_agent)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// The builder [`client`] uses, for callers that add TLS settings.
pub fn builder(user_agent: &str) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(user_agent.to_owned())
}

/// How one platform call is retried.
#[derive(Debug, Clone, Copy)]
pub struct Attempts {
    pub max: u32,
    /// No new attempt starts after this much time.
    pub total: Duration,
}

impl Attempts {
    pub const DEFAULT: Attempts = Attempts {
        max: 3,
        total: Duration::from_secs(20),
    };
}

/// What a call is, for messages: `"instance metadata"`, the URL, and the env override.
#[derive(Debug, Clone, Copy)]
pub struct CallName<'a> {
    pub mode: &'static str,
    pub what: &'a str,
    pub url: &'a str,
    pub override_hint: &'a str,
}

impl CallName<'_> {
    fn error(&self, detail: String) -> AuthError {
        AuthError::new(
            self.mode,
            format!(
                "{} request to {} failed: {detail}{}",
                self.what,
                self.url,
                if self.override_hint.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", self.override_hint)
                }
            ),
        )
    }
}

/// The OCI error code and message of an error body (or an OAuth 2.0 error's `error` and
/// `error_description`, as identity domains answer token requests), if it has them (never the
/// raw body).
fn describe_error_body(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        code: Option<String>,
        message: Option<String>,
        error: Option<String>,
        error_description: Option<String>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(Body {
            code: Some(code),
            message,
            ..
        }) => format!(" {code}: {}", message.unwrap_or_default()),
        Ok(Body {
            error: Some(error),
            error_description,
            ..
        }) => format!(" {error}: {}", error_description.unwrap_or_default()),
        _ => String::new(),
    }
}

/// Sends the request `build` makes (a fresh one per attempt) until a 2xx, a 4xx, or the
/// attempts run out; returns the 2xx body.
pub async fn send(
    http: &reqwest::Client,
    name: CallName<'_>,
    attempts: Attempts,
    build: &(dyn Fn() -> Result<reqwest::Request, AuthError> + Send + Sync),
) -> Result<Vec<u8>, AuthError> {
    send_full(http, name, attempts, build)
        .await
        .map(|(_, body)| body)
}

/// [`send`], returning the 2xx response's headers too.
pub async fn send_full(
    http: &reqwest::Client,
    name: CallName<'_>,
    attempts: Attempts,
    build: &(dyn Fn() -> Result<reqwest::Request, AuthError> + Send + Sync),
) -> Result<(reqwest::header::HeaderMap, Vec<u8>), AuthError> {
    let started = Instant::now();
    let mut attempt = 1;
    loop {
        let request = build()?;
        let failure = match http.execute(request).await {
            Ok(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await.map(|b| b.to_vec());
                match body {
                    Ok(body) if status.is_success() => return Ok((headers, body)),
                    Ok(body) => {
                        let detail =
                            format!("HTTP {}{}", status.as_u16(), describe_error_body(&body));
                        if !status.is_server_error() {
                            return Err(name.error(detail));
                        }
                        detail
                    }
                    Err(e) => crate::http::error_chain(&e),
                }
            }
            Err(e) => crate::http::error_chain(&e),
        };
        let delay = Duration::from_millis(200 * u64::from(attempt));
        if attempt >= attempts.max || started.elapsed() + delay >= attempts.total {
            let tries = if attempt == 1 {
                String::new()
            } else {
                format!(" (after {attempt} attempts)")
            };
            return Err(name.error(format!("{failure}{tries}")));
        }
        tracing::debug!(
            mode = name.mode,
            url = name.url,
            attempt,
            "platform request failed; retrying"
        );
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

/// Text of a body, trimmed; an error naming the call when it is not UTF-8.
pub fn text(name: CallName<'_>, body: Vec<u8>) -> Result<String, AuthError> {
    String::from_utf8(body)
        .map(|s| s.trim().to_owned())
        .map_err(|_| name.error("the response is not UTF-8 text".into()))
}
