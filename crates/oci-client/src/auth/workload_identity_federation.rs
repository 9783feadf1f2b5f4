//! Workload identity federation: a workload's JWT (e.g. a projected Kubernetes
//! service-account token, read from a file on every refresh) is exchanged for an OCI session
//! token at an identity domain, `POST {domain}/oauth2/v1/token`, form-encoded:
//! `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`, `requested_token_type`,
//! `subject_token_type` (default `jwt`), `subject_token`, `public_key` (the session key's
//! DER SPKI, base64), and for `urn:oci:token-type:oci-rpst` `res_type` (required) and
//! `rpst_exp`. The client authenticates with HTTP Basic (`OAuthClientCredentials`) or signs
//! the request with instance-principal credentials (`InstancePrincipal`). The answer is
//! `{"token": "<JWT>"}`; the tenancy is its `tenant` claim.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;

use super::net::{self, Attempts, CallName};
use super::{jwt, AuthError, BoxFuture, Credential, CredentialSource, Fetch};
use crate::keys::RsaPrivateKey;
use crate::signer::Signer;

const MODE: &str = "WorkloadIdentityFederation";

/// Shown with a 401 that survived one refresh.
pub const WIF_HINT: &str = "workload identity federation: the session token was exchanged again and still refused; check the identity domain's token exchange trust configuration and the IAM policies of the mapped principal";

/// The requested token type that needs `res_type`.
pub const RPST_TOKEN_TYPE: &str = "urn:oci:token-type:oci-rpst";

/// How the token-exchange request authenticates.
pub enum ExchangeAuth {
    /// HTTP Basic with the OAuth client's id and secret.
    OAuthClient { id: String, secret: String },
    /// Signed with instance-principal credentials.
    InstancePrincipal(Arc<dyn CredentialSource>),
}

impl fmt::Debug for ExchangeAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExchangeAuth::OAuthClient { id, .. } => f
                .debug_struct("OAuthClient")
                .field("id", id)
                .field("secret", &"(sensitive)")
                .finish(),
            ExchangeAuth::InstancePrincipal(source) => {
                f.debug_tuple("InstancePrincipal").field(source).finish()
            }
        }
    }
}

/// The token-exchange settings (the official provider's `token_exchange_*` arguments).
pub struct TokenExchange {
    pub url: Url,
    pub token_path: PathBuf,
    pub auth: ExchangeAuth,
    pub requested_token_type: String,
    pub subject_token_type: String,
    pub resource_type: Option<String>,
    pub rpst_exp: Option<String>,
}

impl fmt::Debug for TokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchange")
            .field("url", &self.url.as_str())
            .field("token_path", &self.token_path)
            .field("auth", &self.auth)
            .field("requested_token_type", &self.requested_token_type)
            .field("subject_token_type", &self.subject_token_type)
            .field("resource_type", &self.resource_type)
            .field("rpst_exp", &self.rpst_exp)
            .finish()
    }
}

/// Fetches workload identity federation credentials.
pub struct WifFetcher {
    exchange: TokenExchange,
    http: reqwest::Client,
}

impl fmt::Debug for WifFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WifFetcher")
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

/// `{domain}/oauth2/v1/token`.
pub fn token_url(domain_url: &str) -> Result<Url, String> {
    let base = domain_url.trim().trim_end_matches('/');
    Url::parse(&format!("{base}/oauth2/v1/token"))
        .map_err(|e| format!("token_exchange_domain_url {base:?} is not a URL: {e}"))
}

impl WifFetcher {
    pub fn new(exchange: TokenExchange, user_agent: &str) -> Result<Self, AuthError> {
        if exchange.requested_token_type == RPST_TOKEN_TYPE && exchange.resource_type.is_none() {
            return Err(AuthError::new(
                MODE,
                format!("token_exchange_resource_type must be set when token_exchange_requested_token_type is {RPST_TOKEN_TYPE}"),
            ));
        }
        Ok(Self {
            exchange,
            http: net::client(user_agent).map_err(|m| AuthError::new(MODE, m))?,
        })
    }

    /// The form body for `subject_token` and the session key's public half.
    pub fn form(&self, subject_token: &str, public_key: &str) -> String {
        let x = &self.exchange;
        let mut fields = BTreeMap::new();
        fields.insert(
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange".to_owned(),
        );
        fields.insert("requested_token_type", x.requested_token_type.clone());
        fields.insert("subject_token_type", x.subject_token_type.clone());
        fields.insert("subject_token", subject_token.to_owned());
        fields.insert("public_key", public_key.to_owned());
        if x.requested_token_type == RPST_TOKEN_TYPE {
            if let Some(res_type) = &x.resource_type {
                fields.insert("res_type", res_type.clone());
            }
            if let Some(exp) = &x.rpst_exp {
                fields.insert("rpst_exp", exp.clone());
            }
        }
        let mut encoder = Url::parse("http://form.invalid/").expect("static URL");
        {
            let mut pairs = encoder.query_pairs_mut();
            for (k, v) in &fields {
                pairs.append_pair(k, v);
            }
        }
        encoder.query().unwrap_or_default().to_owned()
    }

    async fn fetch_credential(&self) -> Result<Credential, AuthError> {
        let x = &self.exchange;
        let subject = std::fs::read_to_string(&x.token_path).map_err(|e| {
            AuthError::new(
                MODE,
                format!(
                    "cannot read the workload identity token {} ({e}); set workload_identity_token_path",
                    x.token_path.display()
                ),
            )
        })?;
        let subject = subject.trim().to_owned();
        if subject.is_empty() {
            return Err(AuthError::new(
                MODE,
                format!(
                    "the workload identity token file {} is empty",
                    x.token_path.display()
                ),
            ));
        }
        let session =
            RsaPrivateKey::generate_rsa2048().map_err(|e| AuthError::new(MODE, e.to_string()))?;
        let body = self.form(&subject, &session.public_key_pem_body());
        let signer = match &x.auth {
            ExchangeAuth::InstancePrincipal(source) => Some(source.signer().await?),
            ExchangeAuth::OAuthClient { .. } => None,
        };
        let url_text = x.url.as_str().to_owned();
        let name = CallName {
            mode: MODE,
            what: "token exchange",
            url: &url_text,
            override_hint: "token_exchange_domain_url names the identity domain",
        };
        let answer = net::send(&self.http, name, Attempts::DEFAULT, &|| {
            let mut request = reqwest::Request::new(reqwest::Method::POST, x.url.clone());
            request.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            *request.body_mut() = Some(body.clone().into());
            match (&x.auth, &signer) {
                (ExchangeAuth::OAuthClient { id, secret }, _) => {
                    let code =
                        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
                    let mut value =
                        HeaderValue::from_str(&format!("Basic {code}")).map_err(|_| {
                            AuthError::new(
                                MODE,
                                "the OAuth client id or secret is not valid header text",
                            )
                        })?;
                    value.set_sensitive(true);
                    request.headers_mut().insert(AUTHORIZATION, value);
                }
                (ExchangeAuth::InstancePrincipal(_), Some(signer)) => signer
                    .sign_request(&mut request)
                    .map_err(|e| AuthError::new(MODE, e.to_string()))?,
                (ExchangeAuth::InstancePrincipal(_), None) => unreachable!("signer fetched above"),
            }
            Ok(request)
        })
        .await?;
        #[derive(serde::Deserialize)]
        struct Answer {
            token: String,
        }
        let answer: Answer = serde_json::from_slice(&answer).map_err(|_| {
            AuthError::new(
                MODE,
                format!("{url_text} answered without a {{\"token\": …}} body"),
            )
        })?;
        let claims = jwt::parse(&answer.token)
            .map_err(|e| AuthError::new(MODE, format!("the token from {url_text}: {e}")))?;
        Ok(Credential {
            signer: Signer::new(format!("ST${}", answer.token), Arc::new(session)),
            issued_at: claims.issued_at,
            expires_at: claims.expires_at,
            tenancy: claims.tenancy,
        })
    }
}

impl Fetch for WifFetcher {
    fn fetch(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
        Box::pin(self.fetch_credential())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::tests::jwt;
    use std::sync::Mutex;

    fn exchange(url: Url, token_path: PathBuf, rpst: bool) -> TokenExchange {
        TokenExchange {
            url,
            token_path,
            auth: ExchangeAuth::OAuthClient {
                id: "client-id".into(),
                secret: "client-secret-value".into(),
            },
            requested_token_type: if rpst {
                RPST_TOKEN_TYPE.into()
            } else {
                "urn:oci:token-type:oci-upst".into()
            },
            subject_token_type: "jwt".into(),
            resource_type: rpst.then(|| "resource".to_owned()),
            rpst_exp: rpst.then(|| "3600".to_owned()),
        }
    }

    #[tokio::test]
    async fn the_exchange_posts_the_form_with_basic_auth() {
        let seen = Arc::new(Mutex::new(String::new()));
        let log = seen.clone();
        let base = crate::auth::tests::serve(Arc::new(move |text: &str| {
            *log.lock().unwrap() = text.to_owned();
            let now = chrono::Utc::now().timestamp();
            let t = jwt(serde_json::json!({"exp": now + 3600, "iat": now, "tenant": "ocid1.tenancy.oc1..wif"}));
            ("200 OK", serde_json::json!({ "token": t }).to_string())
        }))
        .await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "subject.jwt.value\n").unwrap();
        let fetcher = WifFetcher::new(
            exchange(token_url(&format!("{base}/")).unwrap(), path, true),
            "test",
        )
        .unwrap();
        let shown = format!("{fetcher:?}");
        assert!(!shown.contains("client-secret-value"), "{shown}");
        let cred = fetcher.fetch().await.unwrap();
        assert_eq!(cred.tenancy.as_deref(), Some("ocid1.tenancy.oc1..wif"));
        let request = seen.lock().unwrap().clone();
        assert!(
            request.starts_with("POST /oauth2/v1/token HTTP/1.1"),
            "{request}"
        );
        let code =
            base64::engine::general_purpose::STANDARD.encode("client-id:client-secret-value");
        assert!(request.contains(&format!("Basic {code}")));
        assert!(request
            .to_ascii_lowercase()
            .contains("content-type: application/x-www-form-urlencoded"));
        let body = &request[request.find("\r\n\r\n").unwrap() + 4..];
        let pairs: BTreeMap<String, String> = Url::parse(&format!("http://x/?{body}"))
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(
            pairs["grant_type"],
            "urn:ietf:params:oauth:grant-type:token-exchange"
        );
        assert_eq!(pairs["requested_token_type"], RPST_TOKEN_TYPE);
        assert_eq!(pairs["subject_token_type"], "jwt");
        assert_eq!(pairs["subject_token"], "subject.jwt.value");
        assert_eq!(pairs["res_type"], "resource");
        assert_eq!(pairs["rpst_exp"], "3600");
        assert!(pairs["public_key"].len() > 300 && !pairs["public_key"].contains("BEGIN"));
    }

    #[test]
    fn rpst_needs_a_resource_type() {
        let mut x = exchange(token_url("http://127.0.0.1:1").unwrap(), "/t".into(), true);
        x.resource_type = None;
        let err = WifFetcher::new(x, "test").unwrap_err();
        assert!(
            err.message.contains("token_exchange_resource_type"),
            "{err}"
        );
    }
}
