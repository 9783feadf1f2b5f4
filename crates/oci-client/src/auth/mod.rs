//! Credential sources: where the signer of every request comes from.
//!
//! - [`StaticSource`]: one keyId and key for the whole process (API keys, `SecurityToken`).
//! - [`RefreshingSource`]: a session token and an in-memory session key obtained from the
//!   platform (instance principals, resource principals, OKE workload identity), refreshed
//!   when it is due ([`jwt::refresh_due`]) and once after a service answers 401.
//!
//! A refresh is single-flight: concurrent callers wait for the one refresh in flight and
//! then share its result; a caller whose stale signer was already replaced does not refresh
//! again.
//!
//! Nothing here puts a token, a session key or a certificate's key into a message, a log
//! line or `Debug` output.

pub mod federation;
pub mod instance_principal;
pub mod jwt;
pub mod net;
pub mod oke;
pub mod resource_principal;
pub mod workload_identity_federation;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use crate::signer::Signer;

/// A boxed future, so the traits stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why credentials could not be obtained. `mode` names the auth mode, `message` what failed
/// (a URL, a file path, an environment variable to set; never a token or key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{mode}: {message}")]
pub struct AuthError {
    pub mode: &'static str,
    pub message: String,
}

impl AuthError {
    pub fn new(mode: &'static str, message: impl Into<String>) -> Self {
        Self {
            mode,
            message: message.into(),
        }
    }
}

/// Where the signer of each request comes from.
pub trait CredentialSource: Send + Sync + fmt::Debug {
    /// The auth mode, e.g. `InstancePrincipal`.
    fn mode(&self) -> &'static str;

    /// The current signer, refreshed first when it is due.
    fn signer(&self) -> BoxFuture<'_, Result<Signer, AuthError>>;

    /// Called after a service refused `stale` with 401. Returns `Ok(true)` when a different
    /// signer is now current (refreshed here or by a concurrent caller), so the request is
    /// worth sending once more; `Ok(false)` when this source cannot refresh.
    fn refresh_after_unauthorized<'a>(
        &'a self,
        stale: &'a Signer,
    ) -> BoxFuture<'a, Result<bool, AuthError>>;

    /// The tenancy of the principal, once known (from a certificate or token claims).
    fn tenancy(&self) -> Option<String> {
        None
    }

    /// The region the source found itself (e.g. from instance metadata), if any.
    fn region(&self) -> Option<String> {
        None
    }

    /// What to check when a service still answers 401 under this mode.
    fn unauthorized_hint(&self) -> Option<&'static str> {
        None
    }
}

/// One signer for the whole process.
#[derive(Debug, Clone)]
pub struct StaticSource {
    mode: &'static str,
    signer: Signer,
}

impl StaticSource {
    pub fn new(mode: &'static str, signer: Signer) -> Self {
        Self { mode, signer }
    }
}

impl CredentialSource for StaticSource {
    fn mode(&self) -> &'static str {
        self.mode
    }

    fn signer(&self) -> BoxFuture<'_, Result<Signer, AuthError>> {
        let signer = self.signer.clone();
        Box::pin(async move { Ok(signer) })
    }

    fn refresh_after_unauthorized<'a>(
        &'a self,
        _stale: &'a Signer,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async { Ok(false) })
    }
}

/// A session credential obtained from the platform.
#[derive(Clone)]
pub struct Credential {
    pub signer: Signer,
    /// `iat` of the token (seconds since the epoch), when it has one.
    pub issued_at: Option<i64>,
    /// `exp` of the token (seconds since the epoch).
    pub expires_at: i64,
    pub tenancy: Option<String>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("signer", &self.signer)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("tenancy", &self.tenancy)
            .finish()
    }
}

/// Obtains a fresh [`Credential`] (new session key, new token).
pub trait Fetch: Send + Sync + fmt::Debug {
    fn fetch(&self) -> BoxFuture<'_, Result<Credential, AuthError>>;

    /// The region the fetcher found itself, if any.
    fn region(&self) -> Option<String> {
        None
    }
}

/// A credential refreshed when due and after a 401; one refresh in flight at a time.
pub struct RefreshingSource {
    mode: &'static str,
    hint: &'static str,
    fetcher: Box<dyn Fetch>,
    current: tokio::sync::Mutex<Option<Credential>>,
    tenancy: StdMutex<Option<String>>,
    fetches: AtomicU64,
    now: fn() -> i64,
}

impl fmt::Debug for RefreshingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingSource")
            .field("mode", &self.mode)
            .field("fetcher", &self.fetcher)
            .field("fetches", &self.fetches.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl RefreshingSource {
    /// `hint` is shown with a 401 that survived one refresh.
    pub fn new(mode: &'static str, hint: &'static str, fetcher: Box<dyn Fetch>) -> Self {
        Self {
            mode,
            hint,
            fetcher,
            current: tokio::sync::Mutex::new(None),
            tenancy: StdMutex::new(None),
            fetches: AtomicU64::new(0),
            now: unix_now,
        }
    }

    /// How many credentials were fetched so far (the first one included).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    fn with_clock(mut self, now: fn() -> i64) -> Self {
        self.now = now;
        self
    }

    async fn fetch_into(&self, slot: &mut Option<Credential>) -> Result<Signer, AuthError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let credential = self.fetcher.fetch().await?;
        if let Some(tenancy) = &credential.tenancy {
            *self.tenancy.lock().expect("tenancy lock") = Some(tenancy.clone());
        }
        tracing::debug!(
            mode = self.mode,
            expires_at = credential.expires_at,
            "obtained a session token"
        );
        let signer = credential.signer.clone();
        *slot = Some(credential);
        Ok(signer)
    }
}

impl CredentialSource for RefreshingSource {
    fn mode(&self) -> &'static str {
        self.mode
    }

    fn signer(&self) -> BoxFuture<'_, Result<Signer, AuthError>> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            let now = (self.now)();
            if let Some(c) = current.as_ref() {
                if !jwt::refresh_due(now, c.issued_at, c.expires_at) {
                    return Ok(c.signer.clone());
                }
            }
            let still_valid = current
                .as_ref()
                .filter(|c| now < c.expires_at)
                .map(|c| c.signer.clone());
            match self.fetch_into(&mut current).await {
                Ok(signer) => Ok(signer),
                // Due but not expired: keep using it and try again on the next request.
                Err(e) => match still_valid {
                    Some(signer) => {
                        tracing::warn!(mode = self.mode, error = %e, "cannot refresh the session token yet; the current one is still valid");
                        Ok(signer)
                    }
                    None => Err(e),
                },
            }
        })
    }

    fn refresh_after_unauthorized<'a>(
        &'a self,
        stale: &'a Signer,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            if let Some(c) = current.as_ref() {
                if c.signer.key_id() != stale.key_id() {
                    return Ok(true);
                }
            }
            tracing::debug!(
                mode = self.mode,
                "a service refused the session token (401); refreshing it"
            );
            self.fetch_into(&mut current).await.map(|_| true)
        })
    }

    fn tenancy(&self) -> Option<String> {
        self.tenancy.lock().expect("tenancy lock").clone()
    }

    fn region(&self) -> Option<String> {
        self.fetcher.region()
    }

    fn unauthorized_hint(&self) -> Option<&'static str> {
        Some(self.hint)
    }
}

/// Shorthand for an `Arc<dyn CredentialSource>`.
pub type SharedSource = Arc<dyn CredentialSource>;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::keys::RsaPrivateKey;
    use std::sync::atomic::AtomicUsize;
    use std::sync::OnceLock;

    /// A tiny HTTP/1.1 server on 127.0.0.1: `handler` gets the whole request text (head and
    /// body) and returns the status line (e.g. `"200 OK"`) and body. Returns the origin.
    pub(crate) type Handler = Arc<dyn Fn(&str) -> (&'static str, String) + Send + Sync>;

    pub(crate) async fn serve(handler: Handler) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(answer(sock, handler.clone()));
            }
        });
        base
    }

    /// Reads one request (head and `content-length` body) and answers it with `handler`.
    pub(crate) async fn answer<S>(mut sock: S, handler: Handler)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let Ok(n) = sock.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .and_then(|v| v.trim().parse::<usize>().ok())
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    break;
                }
            }
        }
        let text = String::from_utf8_lossy(&buf).to_string();
        let (status, body) = handler(&text);
        let reply = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = sock.write_all(reply.as_bytes()).await;
        let _ = sock.shutdown().await;
    }

    pub(crate) fn test_key() -> Arc<RsaPrivateKey> {
        static KEY: OnceLock<Arc<RsaPrivateKey>> = OnceLock::new();
        KEY.get_or_init(|| Arc::new(RsaPrivateKey::generate_rsa2048().unwrap()))
            .clone()
    }

    #[derive(Debug)]
    pub(crate) struct Counting {
        calls: AtomicUsize,
        lifetime: i64,
        delay_ms: u64,
    }

    impl Fetch for Counting {
        fn fetch(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
            Box::pin(async move {
                tokio::time::sleep(std::time::Duration::from_millis(self.delay_ms)).await;
                let n = self.calls.fetch_add(1, Ordering::SeqCst);
                let now = unix_now();
                Ok(Credential {
                    signer: Signer::new(format!("ST$token-{n}"), test_key()),
                    issued_at: Some(now),
                    expires_at: now + self.lifetime,
                    tenancy: Some("ocid1.tenancy.oc1..t".into()),
                })
            })
        }
    }

    pub(crate) fn source(lifetime: i64, delay_ms: u64) -> Arc<RefreshingSource> {
        Arc::new(RefreshingSource::new(
            "InstancePrincipal",
            "hint",
            Box::new(Counting {
                calls: AtomicUsize::new(0),
                lifetime,
                delay_ms,
            }),
        ))
    }

    #[tokio::test]
    async fn concurrent_first_use_fetches_once() {
        let src = source(3600, 50);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let src = src.clone();
                tokio::spawn(async move { src.signer().await.unwrap().key_id().to_owned() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "ST$token-0");
        }
        assert_eq!(src.fetch_count(), 1);
        assert_eq!(src.tenancy().as_deref(), Some("ocid1.tenancy.oc1..t"));
    }

    #[tokio::test]
    async fn concurrent_401s_share_one_refresh() {
        let src = source(3600, 30);
        let stale = src.signer().await.unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let src = src.clone();
                let stale = stale.clone();
                tokio::spawn(async move {
                    assert!(src.refresh_after_unauthorized(&stale).await.unwrap());
                    src.signer().await.unwrap().key_id().to_owned()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "ST$token-1");
        }
        assert_eq!(src.fetch_count(), 2);
        // A caller holding the replaced signer does not refresh again.
        assert!(src.refresh_after_unauthorized(&stale).await.unwrap());
        assert_eq!(src.fetch_count(), 2);
    }

    #[tokio::test]
    async fn a_due_token_is_refreshed_before_use() {
        // Lifetime 10 s: due at half the lifetime (5 s), so with a clock 6 s ahead it is due.
        let src = source(10, 0);
        src.signer().await.unwrap();
        src.signer().await.unwrap();
        assert_eq!(src.fetch_count(), 1);
        let ahead = Arc::into_inner(src).unwrap().with_clock(|| unix_now() + 6);
        // Seed it, then the next call must refresh.
        ahead.signer().await.unwrap();
        let before = ahead.fetch_count();
        ahead.signer().await.unwrap();
        assert_eq!(ahead.fetch_count(), before + 1);
    }

    #[derive(Debug)]
    struct FailsAfterFirst(AtomicUsize);

    impl Fetch for FailsAfterFirst {
        fn fetch(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
            Box::pin(async move {
                if self.0.fetch_add(1, Ordering::SeqCst) > 0 {
                    return Err(AuthError::new("InstancePrincipal", "federation down"));
                }
                let now = unix_now();
                Ok(Credential {
                    signer: Signer::new("ST$first", test_key()),
                    issued_at: Some(now - 3000),
                    // Due (within 5 minutes) but not expired.
                    expires_at: now + 100,
                    tenancy: None,
                })
            })
        }
    }

    #[tokio::test]
    async fn a_due_token_is_kept_while_the_refresh_fails_and_it_is_still_valid() {
        let src = RefreshingSource::new(
            "InstancePrincipal",
            "hint",
            Box::new(FailsAfterFirst(AtomicUsize::new(0))),
        );
        assert_eq!(src.signer().await.unwrap().key_id(), "ST$first");
        assert_eq!(src.signer().await.unwrap().key_id(), "ST$first");
        assert_eq!(src.fetch_count(), 2);
        // After a 401 there is no fallback: the error names the mode.
        let stale = src.signer().await.unwrap();
        let err = src.refresh_after_unauthorized(&stale).await.unwrap_err();
        assert_eq!(err.to_string(), "InstancePrincipal: federation down");
    }

    #[tokio::test]
    async fn static_sources_never_refresh() {
        let src = StaticSource::new("ApiKey", Signer::new("t/u/f", test_key()));
        let s = src.signer().await.unwrap();
        assert_eq!(s.key_id(), "t/u/f");
        assert!(!src.refresh_after_unauthorized(&s).await.unwrap());
    }

    #[tokio::test]
    async fn debug_output_hides_tokens() {
        let src = source(3600, 0);
        src.signer().await.unwrap();
        let shown = format!("{src:?}");
        assert!(!shown.contains("token-0"), "{shown}");
        let cred = Credential {
            signer: Signer::new("ST$secret.jwt.value", test_key()),
            issued_at: None,
            expires_at: 0,
            tenancy: None,
        };
        let shown = format!("{cred:?}");
        assert!(!shown.contains("secret.jwt"), "{shown}");
    }
}
