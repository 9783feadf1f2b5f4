//! Instance principals: the instance certificate from the instance metadata service (or,
//! for `InstancePrincipalWithCerts`, from files) is exchanged for a session token at the
//! x509 federation endpoint; requests are then signed `ST$<token>` with an in-memory RSA
//! 2048 session key. The tenancy is the certificate subject's `opc-tenant:` value.

use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex as StdMutex;
use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::Url;

use super::federation::{self, Certificate, FederationInput};
use super::net::{self, Attempts, CallName};
use super::{jwt, AuthError, BoxFuture, Credential, Fetch};
use crate::keys::RsaPrivateKey;
use crate::signer::Signer;

/// The instance metadata service, unless [`METADATA_URL_ENV`] says otherwise.
pub const DEFAULT_METADATA_BASE_URL: &str = "http://169.254.169.254/opc/v2";
/// The Go SDK's override of the metadata base URL.
pub const METADATA_URL_ENV: &str = "OCI_METADATA_BASE_URL";

/// Shown with a 401 that survived one refresh.
pub const INSTANCE_PRINCIPAL_HINT: &str = "instance principal: the session token was refreshed once and still refused; check that a dynamic group matches this instance and that a policy allows it (e.g. `allow dynamic-group <name> to manage users in tenancy`), and for IAM calls that region is the tenancy's home region";

/// The region lookup's cap: a missing metadata service must not cost minutes.
const REGION_ATTEMPTS: Attempts = Attempts {
    max: 3,
    total: Duration::from_secs(3),
};

/// Where the instance certificate comes from.
#[derive(Debug, Clone)]
pub enum CertificateSource {
    /// `{base}/identity/cert.pem`, `/identity/key.pem`, `/identity/intermediate.pem`.
    Metadata { base: String },
    /// `ip_cert.pem`, `ip_key.pem`, optional `leaf_passphrase`, `intermediate.pem` in `dir`.
    Files { dir: PathBuf },
}

/// Fetches instance-principal credentials.
pub struct InstancePrincipalFetcher {
    mode: &'static str,
    certificates: CertificateSource,
    metadata_base: String,
    auth_override: Option<String>,
    region: StdMutex<Option<String>>,
    tenancy: StdMutex<Option<String>>,
    http: reqwest::Client,
}

impl fmt::Debug for InstancePrincipalFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstancePrincipalFetcher")
            .field("mode", &self.mode)
            .field("certificates", &self.certificates)
            .field("metadata_base", &self.metadata_base)
            .field("auth_override", &self.auth_override)
            .field("region", &self.region.lock().expect("region lock"))
            .finish_non_exhaustive()
    }
}

impl InstancePrincipalFetcher {
    /// `region` is the configured region (fetched from the metadata service when `None`);
    /// `metadata_base` is [`METADATA_URL_ENV`] or [`DEFAULT_METADATA_BASE_URL`];
    /// `auth_override` is [`federation::AUTH_URL_ENV`].
    pub fn new(
        mode: &'static str,
        certificates: CertificateSource,
        metadata_base: String,
        auth_override: Option<String>,
        region: Option<String>,
        user_agent: &str,
    ) -> Result<Self, String> {
        Ok(Self {
            mode,
            certificates,
            metadata_base: metadata_base.trim_end_matches('/').to_owned(),
            auth_override,
            region: StdMutex::new(region),
            tenancy: StdMutex::new(None),
            http: net::client(user_agent)?,
        })
    }

    async fn metadata(&self, path: &str, attempts: Attempts) -> Result<String, AuthError> {
        let url = format!("{}{path}", self.metadata_base);
        let parsed = Url::parse(&url).map_err(|e| {
            AuthError::new(
                self.mode,
                format!("invalid instance metadata URL {url:?} (from {METADATA_URL_ENV}): {e}"),
            )
        })?;
        let name = CallName {
            mode: self.mode,
            what: "instance metadata",
            url: &url,
            override_hint: "is this an OCI instance? Set OCI_METADATA_BASE_URL to point at another metadata service",
        };
        let body = net::send(&self.http, name, attempts, &|| {
            let mut request = reqwest::Request::new(reqwest::Method::GET, parsed.clone());
            request
                .headers_mut()
                .insert(AUTHORIZATION, HeaderValue::from_static("Bearer Oracle"));
            Ok(request)
        })
        .await?;
        net::text(name, body)
    }

    /// The instance's region from the metadata service (cached).
    pub async fn region_from_metadata(&self) -> Result<String, AuthError> {
        if let Some(region) = self.region.lock().expect("region lock").clone() {
            return Ok(region);
        }
        let region = self
            .metadata("/instance/region", REGION_ATTEMPTS)
            .await
            .map_err(|e| {
                AuthError::new(
                    self.mode,
                    format!("{} — or set region in the provider block", e.message),
                )
            })?;
        if region.is_empty() {
            return Err(AuthError::new(
                self.mode,
                "the instance metadata service returned an empty region; set region",
            ));
        }
        *self.region.lock().expect("region lock") = Some(region.clone());
        Ok(region)
    }

    fn read_file(&self, dir: &std::path::Path, name: &str) -> Result<String, AuthError> {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| {
            AuthError::new(
                self.mode,
                format!(
                    "cannot read {} ({e}); set test_certificates_location (TF_VAR_test_certificates_location) to the directory holding ip_cert.pem, ip_key.pem and intermediate.pem",
                    path.display()
                ),
            )
        })
    }

    /// Leaf PEM, leaf key, intermediate PEM.
    async fn certificates(&self) -> Result<(String, RsaPrivateKey, String), AuthError> {
        match &self.certificates {
            CertificateSource::Metadata { .. } => {
                let cert = self
                    .metadata("/identity/cert.pem", Attempts::DEFAULT)
                    .await?;
                let key = self
                    .metadata("/identity/key.pem", Attempts::DEFAULT)
                    .await?;
                let intermediate = self
                    .metadata("/identity/intermediate.pem", Attempts::DEFAULT)
                    .await?;
                let key = RsaPrivateKey::from_pem(&key, None).map_err(|e| {
                    AuthError::new(
                        self.mode,
                        format!(
                            "the key at {}/identity/key.pem is unusable: {e}",
                            self.metadata_base
                        ),
                    )
                })?;
                Ok((cert, key, intermediate))
            }
            CertificateSource::Files { dir } => {
                let cert = self.read_file(dir, "ip_cert.pem")?;
                let key = self.read_file(dir, "ip_key.pem")?;
                let passphrase_path = dir.join("leaf_passphrase");
                let passphrase = if passphrase_path.exists() {
                    Some(self.read_file(dir, "leaf_passphrase")?.trim().to_owned())
                } else {
                    None
                };
                let intermediate = self.read_file(dir, "intermediate.pem")?;
                let key = RsaPrivateKey::from_pem(&key, passphrase.as_deref()).map_err(|e| {
                    AuthError::new(
                        self.mode,
                        format!(
                            "the key {} is unusable: {e}",
                            dir.join("ip_key.pem").display()
                        ),
                    )
                })?;
                Ok((cert, key, intermediate))
            }
        }
    }

    async fn fetch_credential(&self) -> Result<Credential, AuthError> {
        let mode = self.mode;
        let (leaf_pem, leaf_key, intermediate_pem) = self.certificates().await?;
        let leaf = Certificate::from_pem(&leaf_pem)
            .map_err(|m| AuthError::new(mode, format!("instance certificate: {m}")))?;
        let intermediate = Certificate::from_pem(&intermediate_pem)
            .map_err(|m| AuthError::new(mode, format!("intermediate certificate: {m}")))?;
        let tenancy = leaf.tenancy().ok_or_else(|| {
            AuthError::new(
                mode,
                "the instance certificate's subject has no `opc-tenant:` attribute naming the tenancy",
            )
        })?;
        {
            let mut known = self.tenancy.lock().expect("tenancy lock");
            if let Some(before) = known.as_ref().filter(|t| **t != tenancy) {
                return Err(AuthError::new(
                    mode,
                    format!(
                        "the instance certificate's tenancy changed from {before} to {tenancy}"
                    ),
                ));
            }
            *known = Some(tenancy.clone());
        }
        let region = match &self.certificates {
            CertificateSource::Metadata { .. } => self.region_from_metadata().await?,
            CertificateSource::Files { .. } => self
                .region
                .lock()
                .expect("region lock")
                .clone()
                .unwrap_or_default(),
        };
        let url = federation::federation_url(self.auth_override.as_deref(), &region)
            .map_err(|m| AuthError::new(mode, m))?;
        let session =
            RsaPrivateKey::generate_rsa2048().map_err(|e| AuthError::new(mode, e.to_string()))?;
        let session_body = session.public_key_pem_body();
        let input = FederationInput {
            tenancy: &tenancy,
            leaf: &leaf,
            leaf_key: &leaf_key,
            intermediates: std::slice::from_ref(&intermediate),
            session_public_key_body: &session_body,
        };
        let token = federation::federate(&self.http, mode, &url, &input).await?;
        let claims = jwt::parse(&token)
            .map_err(|e| AuthError::new(mode, format!("the token from {url}: {e}")))?;
        Ok(Credential {
            signer: Signer::new(format!("ST${token}"), std::sync::Arc::new(session)),
            issued_at: claims.issued_at,
            expires_at: claims.expires_at,
            tenancy: Some(tenancy),
        })
    }
}

impl Fetch for InstancePrincipalFetcher {
    fn fetch(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
        Box::pin(self.fetch_credential())
    }

    fn region(&self) -> Option<String> {
        self.region.lock().expect("region lock").clone()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::auth::federation::tests::{leaf_pem, INSTANCE, TENANCY};
    use crate::auth::jwt::tests::jwt;
    use crate::auth::{CredentialSource, RefreshingSource};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A tiny HTTP/1.1 server: instance metadata (requiring `Bearer Oracle`) and `/v1/x509`.
    pub(crate) struct Stub {
        pub base: String,
        pub federations: Arc<AtomicUsize>,
        pub last_federation: Arc<StdMutex<String>>,
        /// Every request, in order.
        pub log: Arc<StdMutex<Vec<String>>>,
    }

    pub(crate) async fn stub(region: &'static str) -> Stub {
        let (cert, key) = leaf_pem(TENANCY);
        let federations = Arc::new(AtomicUsize::new(0));
        let last = Arc::new(StdMutex::new(String::new()));
        let (count, last_req) = (federations.clone(), last.clone());
        let log = Arc::new(StdMutex::new(Vec::new()));
        let all = log.clone();
        let base = crate::auth::tests::serve(Arc::new(move |text: &str| {
            all.lock().unwrap().push(text.to_owned());
            let path = text.split_whitespace().nth(1).unwrap_or("").to_owned();
            let session_signed = text.contains("keyId=\"ST$");
            let now = chrono::Utc::now().timestamp();
            if path.starts_with("/20180711/resourcePrincipalToken/") {
                return if session_signed {
                    ("200 OK", serde_json::json!({"resourcePrincipalToken": "rpt-value", "servicePrincipalSessionToken": "spst-value"}).to_string())
                } else {
                    ("401 Unauthorized", String::new())
                };
            }
            if path == "/v1/resourcePrincipalSessionToken" {
                let token = jwt(serde_json::json!({"exp": now + 3600, "iat": now, "res_tenant": "ocid1.tenancy.oc1..resource"}));
                return if session_signed {
                    ("200 OK", serde_json::json!({ "token": token }).to_string())
                } else {
                    ("401 Unauthorized", String::new())
                };
            }
            let authorized = text
                .to_ascii_lowercase()
                .contains("authorization: bearer oracle");
            match path.as_str() {
                "/v1/x509" => {
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    *last_req.lock().unwrap() = text.to_owned();
                    let now = chrono::Utc::now().timestamp();
                    let token = jwt(serde_json::json!({"exp": now + 3600, "iat": now, "tenant": TENANCY, "jti": n}));
                    ("200 OK", serde_json::json!({ "token": token }).to_string())
                }
                _ if !authorized => ("401 Unauthorized", String::new()),
                "/opc/v2/instance/region" => ("200 OK", region.to_owned()),
                "/opc/v2/instance/id" => ("200 OK", INSTANCE.to_owned()),
                "/opc/v2/identity/cert.pem" | "/opc/v2/identity/intermediate.pem" => {
                    ("200 OK", cert.clone())
                }
                "/opc/v2/identity/key.pem" => ("200 OK", key.clone()),
                _ => ("404 Not Found", String::new()),
            }
        }))
        .await;
        Stub {
            base,
            federations,
            last_federation: last,
            log,
        }
    }

    #[tokio::test]
    async fn metadata_then_federation_then_session_signer() {
        let stub = stub("iad").await;
        let fetcher = InstancePrincipalFetcher::new(
            "InstancePrincipal",
            CertificateSource::Metadata {
                base: format!("{}/opc/v2", stub.base),
            },
            format!("{}/opc/v2", stub.base),
            Some(stub.base.clone()),
            None,
            "test",
        )
        .unwrap();
        let source = RefreshingSource::new(
            "InstancePrincipal",
            INSTANCE_PRINCIPAL_HINT,
            Box::new(fetcher),
        );
        let signer = source.signer().await.unwrap();
        assert!(signer.key_id().starts_with("ST$"));
        assert_eq!(source.tenancy().as_deref(), Some(TENANCY));
        assert_eq!(source.region().as_deref(), Some("iad"));
        assert_eq!(stub.federations.load(Ordering::SeqCst), 1);
        let request = stub.last_federation.lock().unwrap().clone();
        assert!(request.starts_with("POST /v1/x509 HTTP/1.1"));
        assert!(request.contains("fed-x509-sha256"));
        // Cached until due.
        source.signer().await.unwrap();
        assert_eq!(stub.federations.load(Ordering::SeqCst), 1);
        // A 401 refresh federates again with a new session key.
        assert!(source.refresh_after_unauthorized(&signer).await.unwrap());
        assert_eq!(stub.federations.load(Ordering::SeqCst), 2);
        assert_ne!(source.signer().await.unwrap().key_id(), signer.key_id());
        let shown = format!("{source:?}");
        assert!(!shown.contains(&signer.key_id()[3..]), "{shown}");
    }

    #[tokio::test]
    async fn missing_metadata_service_fails_fast_naming_the_url_and_variable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}/opc/v2");
        let fetcher = InstancePrincipalFetcher::new(
            "InstancePrincipal",
            CertificateSource::Metadata { base: base.clone() },
            base.clone(),
            None,
            None,
            "test",
        )
        .unwrap();
        let started = std::time::Instant::now();
        let err = fetcher.region_from_metadata().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            err.message.contains(&format!("{base}/instance/region")),
            "{err}"
        );
        assert!(err.message.contains("OCI_METADATA_BASE_URL"), "{err}");
    }

    #[tokio::test]
    async fn certificates_from_files() {
        let stub = stub("us-ashburn-1").await;
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = leaf_pem(TENANCY);
        std::fs::write(dir.path().join("ip_cert.pem"), &cert).unwrap();
        std::fs::write(dir.path().join("ip_key.pem"), &key).unwrap();
        std::fs::write(dir.path().join("intermediate.pem"), &cert).unwrap();
        let fetcher = InstancePrincipalFetcher::new(
            "InstancePrincipalWithCerts",
            CertificateSource::Files {
                dir: dir.path().to_owned(),
            },
            "http://127.0.0.1:1/opc/v2".into(),
            Some(stub.base.clone()),
            Some("us-ashburn-1".into()),
            "test",
        )
        .unwrap();
        let cred = fetcher.fetch().await.unwrap();
        assert_eq!(cred.tenancy.as_deref(), Some(TENANCY));
        assert_eq!(stub.federations.load(Ordering::SeqCst), 1);

        // An encrypted key with `leaf_passphrase` (the stub does not check that the key
        // matches the certificate).
        let fixtures = format!("{}/tests/fixtures/keys", env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(
            format!("{fixtures}/rsa2048_pkcs8_encrypted.pem"),
            dir.path().join("ip_key.pem"),
        )
        .unwrap();
        let err = fetcher.fetch().await.unwrap_err();
        assert!(err.message.contains("pass phrase"), "{err}");
        std::fs::write(
            dir.path().join("leaf_passphrase"),
            format!("{}\n", crate::keys::tests::FIXTURE_PASS),
        )
        .unwrap();
        fetcher.fetch().await.unwrap();
        assert_eq!(stub.federations.load(Ordering::SeqCst), 2);

        std::fs::remove_file(dir.path().join("ip_key.pem")).unwrap();
        let err = fetcher.fetch().await.unwrap_err();
        assert!(
            err.message.contains("ip_key.pem")
                && err.message.contains("test_certificates_location"),
            "{err}"
        );
        assert!(!err.to_string().contains("PRIVATE KEY"));
    }
}
