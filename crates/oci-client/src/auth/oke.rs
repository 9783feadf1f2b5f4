//! OKE workload identity: the pod's service-account token buys a resource principal session
//! token for an in-memory session key at the cluster's proxymux endpoint,
//! `POST https://$KUBERNETES_SERVICE_HOST:12250/resourcePrincipalSessionTokens` (TLS with the
//! cluster CA). The answer is a JSON string holding base64 of `{"token": "ST$<jwt>"}`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;

use super::net::{self, Attempts, CallName};
use super::{jwt, AuthError, BoxFuture, Credential, Fetch};
use crate::keys::RsaPrivateKey;
use crate::signer::Signer;

pub const HOST_ENV: &str = "KUBERNETES_SERVICE_HOST";
pub const CA_PATH_ENV: &str = "OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH";
pub const DEFAULT_CA_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
pub const DEFAULT_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
pub const PROXYMUX_PORT: u16 = 12250;

/// Shown with a 401 that survived one refresh.
pub const OKE_HINT: &str = "OKE workload identity: the session token was refreshed once and still refused; check that a policy allows the workload (`allow any-user to … where all {request.principal.type = 'workload', request.principal.service_account = '…'}`) and that region is right";

const MODE: &str = "OKEWorkloadIdentity";

/// Fetches OKE workload identity credentials.
pub struct OkeFetcher {
    url: Url,
    token_path: PathBuf,
    http: reqwest::Client,
}

impl fmt::Debug for OkeFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OkeFetcher")
            .field("url", &self.url.as_str())
            .field("token_path", &self.token_path)
            .finish_non_exhaustive()
    }
}

impl OkeFetcher {
    /// `host` from [`HOST_ENV`], `ca_path` from [`CA_PATH_ENV`] (else [`DEFAULT_CA_PATH`]),
    /// `token_path` from `workload_identity_token_path` (else [`DEFAULT_TOKEN_PATH`]).
    pub fn new(
        host: &str,
        ca_path: PathBuf,
        token_path: PathBuf,
        user_agent: &str,
    ) -> Result<Self, AuthError> {
        let host = host.trim();
        let host_part = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let url = Url::parse(&format!(
            "https://{host_part}:{PROXYMUX_PORT}/resourcePrincipalSessionTokens"
        ))
        .map_err(|e| {
            AuthError::new(MODE, format!("{HOST_ENV} {host:?} is not a host name: {e}"))
        })?;
        let ca = std::fs::read(&ca_path).map_err(|e| {
            AuthError::new(
                MODE,
                format!(
                    "cannot read the cluster CA {} ({e}); set {CA_PATH_ENV} to its path",
                    ca_path.display()
                ),
            )
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&ca).map_err(|e| {
            AuthError::new(
                MODE,
                format!(
                    "the cluster CA {} is not PEM certificates: {e}",
                    ca_path.display()
                ),
            )
        })?;
        let http = net::builder(user_agent)
            .tls_certs_only(certs)
            .build()
            .map_err(|e| AuthError::new(MODE, format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            url,
            token_path,
            http,
        })
    }

    async fn fetch_credential(&self) -> Result<Credential, AuthError> {
        let sa_token = std::fs::read_to_string(&self.token_path).map_err(|e| {
            AuthError::new(
                MODE,
                format!(
                    "cannot read the service account token {} ({e}); set workload_identity_token_path (TF_VAR_workload_identity_token_path / OCI_WORKLOAD_IDENTITY_TOKEN_PATH)",
                    self.token_path.display()
                ),
            )
        })?;
        let sa_token = sa_token.trim().to_owned();
        let session =
            RsaPrivateKey::generate_rsa2048().map_err(|e| AuthError::new(MODE, e.to_string()))?;
        let body = serde_json::json!({"podKey": session.public_key_pem_body()}).to_string();
        let url_text = self.url.as_str().to_owned();
        let name = CallName {
            mode: MODE,
            what: "OKE token exchange",
            url: &url_text,
            override_hint: "KUBERNETES_SERVICE_HOST names the host; a 403 means the cluster must be an enhanced cluster and the service account bound to a policy",
        };
        let answer = net::send(&self.http, name, Attempts::DEFAULT, &|| {
            let mut request = reqwest::Request::new(reqwest::Method::POST, self.url.clone());
            let headers = request.headers_mut();
            let mut bearer = HeaderValue::from_str(&format!("Bearer {sa_token}")).map_err(|_| {
                AuthError::new(MODE, "the service account token is not a valid header value")
            })?;
            bearer.set_sensitive(true);
            headers.insert(AUTHORIZATION, bearer);
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(
                "opc-request-id",
                HeaderValue::from_str(&crate::http::new_opc_request_id()).expect("hex"),
            );
            *request.body_mut() = Some(body.clone().into());
            Ok(request)
        })
        .await
        .map_err(|mut e| {
            if e.message.contains("HTTP 403") {
                e.message.push_str("; ensure the cluster is an enhanced cluster and the service account is bound to a policy");
            }
            e
        })?;
        let token = decode_answer(&answer)
            .map_err(|m| AuthError::new(MODE, format!("the answer of {url_text}: {m}")))?;
        let claims = jwt::parse(&token)
            .map_err(|e| AuthError::new(MODE, format!("the token from {url_text}: {e}")))?;
        Ok(Credential {
            signer: Signer::new(format!("ST${token}"), Arc::new(session)),
            issued_at: claims.issued_at,
            expires_at: claims.expires_at,
            tenancy: claims.tenancy,
        })
    }
}

/// The JWT in an answer: a JSON string, base64 of `{"token": "ST$<jwt>"}`.
pub fn decode_answer(body: &[u8]) -> Result<String, String> {
    let text: String = serde_json::from_slice(body).map_err(|_| "not a JSON string".to_owned())?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| "the string is not base64".to_owned())?;
    #[derive(serde::Deserialize)]
    struct Inner {
        token: String,
    }
    let inner: Inner =
        serde_json::from_slice(&decoded).map_err(|_| "no {\"token\": …} inside".to_owned())?;
    Ok(inner
        .token
        .strip_prefix("ST$")
        .unwrap_or(&inner.token)
        .to_owned())
}

impl Fetch for OkeFetcher {
    fn fetch(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
        Box::pin(self.fetch_credential())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::tests::jwt;

    fn answer(token: &str) -> Vec<u8> {
        let inner = serde_json::json!({"token": token}).to_string();
        serde_json::to_vec(&base64::engine::general_purpose::STANDARD.encode(inner)).unwrap()
    }

    #[test]
    fn answers_are_decoded_and_st_stripped() {
        let t = jwt(serde_json::json!({"exp": 10, "iat": 0}));
        assert_eq!(decode_answer(&answer(&format!("ST${t}"))).unwrap(), t);
        assert_eq!(decode_answer(&answer(&t)).unwrap(), t);
        assert!(decode_answer(b"{\"token\":\"x\"}").is_err());
        assert!(decode_answer(b"\"!!notbase64\"").is_err());
    }

    #[test]
    fn a_missing_ca_names_the_variable() {
        let err = OkeFetcher::new(
            "127.0.0.2",
            "/nonexistent/ca.crt".into(),
            DEFAULT_TOKEN_PATH.into(),
            "test",
        )
        .unwrap_err();
        assert!(
            err.message.contains(CA_PATH_ENV) && err.message.contains("/nonexistent/ca.crt"),
            "{err}"
        );
    }

    /// A TLS stub of the proxymux endpoint on the first free `127.0.0.N:12250`, with a
    /// certificate for that IP issued by a CA of its own. Returns the host and the CA PEM.
    async fn proxymux(handler: crate::auth::tests::Handler) -> Option<(String, String)> {
        let mut bound = None;
        for n in 2..=254u8 {
            let host = format!("127.0.0.{n}");
            if let Ok(listener) =
                tokio::net::TcpListener::bind((host.as_str(), PROXYMUX_PORT)).await
            {
                bound = Some((host, listener));
                break;
            }
        }
        let (host, listener) = bound?;
        let (config, ca) = crate::test_tls::server_config(&host, "proxymux test CA");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, handler) = (acceptor.clone(), handler.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        crate::auth::tests::answer(tls, handler).await;
                    }
                });
            }
        });
        Some((host, ca.pem()))
    }

    #[tokio::test]
    async fn the_exchange_over_tls_with_the_cluster_ca() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let log = seen.clone();
        let Some((host, ca_pem)) = proxymux(Arc::new(move |text: &str| {
            log.lock().unwrap().push(text.to_owned());
            if !text.contains("Bearer good-sa-token") {
                return ("403 Forbidden", r#"{"code":"NotAuthorizedOrNotFound","message":"no"}"#.to_owned());
            }
            let now = chrono::Utc::now().timestamp();
            let t = jwt(serde_json::json!({"exp": now + 3600, "iat": now, "res_tenant": "ocid1.tenancy.oc1..oke"}));
            ("200 OK", String::from_utf8(answer(&format!("ST${t}"))).unwrap())
        }))
        .await
        else {
            eprintln!("no free 127.0.0.N:12250: skipping the OKE TLS exchange test");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.crt");
        std::fs::write(&ca, ca_pem).unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "good-sa-token\n").unwrap();
        let fetcher = OkeFetcher::new(&host, ca, token.clone(), "test").unwrap();
        let cred = fetcher.fetch().await.unwrap();
        assert_eq!(cred.tenancy.as_deref(), Some("ocid1.tenancy.oc1..oke"));
        assert!(cred.signer.key_id().starts_with("ST$ey"));
        let request = seen.lock().unwrap()[0].clone();
        assert!(
            request.starts_with("POST /resourcePrincipalSessionTokens HTTP/1.1"),
            "{request}"
        );
        let lower = request.to_ascii_lowercase();
        assert!(
            lower.contains("content-type: application/json") && lower.contains("opc-request-id: ")
        );
        let body: serde_json::Value =
            serde_json::from_str(&request[request.find("\r\n\r\n").unwrap() + 4..]).unwrap();
        let pod_key = body["podKey"].as_str().unwrap();
        assert!(!pod_key.contains("BEGIN") && !pod_key.contains('\n') && pod_key.len() > 300);

        std::fs::write(&token, "bad-sa-token").unwrap();
        let err = fetcher.fetch().await.unwrap_err();
        assert!(
            err.message.contains("HTTP 403")
                && err.message.contains("ensure the cluster is an enhanced cluster and the service account is bound to a policy"),
            "{err}"
        );
        assert!(!err.to_string().contains("bad-sa-token"));
    }

    #[tokio::test]
    async fn an_unreadable_token_names_the_argument() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.crt");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.2".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(&ca, cert.pem()).unwrap();
        let fetcher = OkeFetcher::new("127.0.0.2", ca, dir.path().join("token"), "test").unwrap();
        let shown = format!("{fetcher:?}");
        assert!(
            shown.contains("https://127.0.0.2:12250/resourcePrincipalSessionTokens"),
            "{shown}"
        );
        let err = fetcher.fetch().await.unwrap_err();
        assert!(
            err.message.contains("workload_identity_token_path"),
            "{err}"
        );
    }
}
