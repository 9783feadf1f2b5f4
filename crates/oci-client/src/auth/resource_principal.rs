//! Resource principals. Version 2.2: the platform hands over a session token (RPST) and its
//! private key, inline or as absolute paths to files the platform rotates. No network: the
//! files are re-read when the token is due and after a 401. The tenancy is the token's
//! `res_tenant` claim. Version 1.1 ([`ResourcePrincipal11`]): a resource principal token from
//! a target service, exchanged for a session token, both signed by the instance principal.
//! Version 3.0 ([`ResourcePrincipal30`]): a leaf resource's principal (1.1 or 2.2) climbs a
//! chain of parent resources (`opc-parent-rpt-url`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::{jwt, AuthError, BoxFuture, Credential, Fetch};
use crate::keys::RsaPrivateKey;
use crate::signer::Signer;

pub const VERSION_ENV: &str = "OCI_RESOURCE_PRINCIPAL_VERSION";
pub const RPST_ENV: &str = "OCI_RESOURCE_PRINCIPAL_RPST";
pub const PRIVATE_PEM_ENV: &str = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM";
pub const PASSPHRASE_ENV: &str = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE";
pub const REGION_ENV: &str = "OCI_RESOURCE_PRINCIPAL_REGION";

/// Shown with a 401 that survived one refresh.
pub const RESOURCE_PRINCIPAL_HINT: &str = "resource principal: the session token (OCI_RESOURCE_PRINCIPAL_RPST) was re-read once and still refused; check that it has not expired, that OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM is the key it was issued for, and that a dynamic group matches the resource and a policy allows it";

/// A value given inline or as an absolute path (re-read on every refresh).
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    Inline(String),
    Path(PathBuf),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Inline(_) => f.write_str("Inline(sensitive)"),
            Value::Path(p) => f.debug_tuple("Path").field(p).finish(),
        }
    }
}

impl Value {
    /// An absolute path counts as a path; anything else is the value itself.
    pub fn classify(value: &str) -> Self {
        let trimmed = value.trim();
        if trimmed.starts_with('/') {
            Value::Path(PathBuf::from(trimmed))
        } else {
            Value::Inline(value.to_owned())
        }
    }

    fn is_path(&self) -> bool {
        matches!(self, Value::Path(_))
    }

    fn read(&self, env: &str) -> Result<String, AuthError> {
        match self {
            Value::Inline(v) => Ok(v.clone()),
            Value::Path(p) => std::fs::read_to_string(p).map_err(|e| {
                AuthError::new(
                    "ResourcePrincipal",
                    format!("cannot read {} (from {env}): {e}", p.display()),
                )
            }),
        }
    }
}

/// Resource principal 2.2 inputs.
#[derive(Debug, Clone)]
pub struct ResourcePrincipal22 {
    pub rpst: Value,
    pub private_pem: Value,
    pub passphrase: Option<Value>,
}

impl ResourcePrincipal22 {
    /// Reads the settings from `env`; the pass phrase must be inline iff the key is inline.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, AuthError> {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let missing = |k: &str| {
            AuthError::new(
                "ResourcePrincipal",
                format!("{k} is not set (resource principal version 2.2 needs {RPST_ENV} and {PRIVATE_PEM_ENV}, inline or as absolute paths)"),
            )
        };
        let rpst = Value::classify(&get(RPST_ENV).ok_or_else(|| missing(RPST_ENV))?);
        let private_pem =
            Value::classify(&get(PRIVATE_PEM_ENV).ok_or_else(|| missing(PRIVATE_PEM_ENV))?);
        let passphrase = get(PASSPHRASE_ENV).map(|v| Value::classify(&v));
        if let Some(p) = &passphrase {
            if p.is_path() != private_pem.is_path() {
                return Err(AuthError::new(
                    "ResourcePrincipal",
                    format!(
                        "{PASSPHRASE_ENV} must be a path when {PRIVATE_PEM_ENV} is a path, and inline when it is inline"
                    ),
                ));
            }
        }
        Ok(Self {
            rpst,
            private_pem,
            passphrase,
        })
    }

    fn load(&self) -> Result<Credential, AuthError> {
        let mode = "ResourcePrincipal";
        let token = self.rpst.read(RPST_ENV)?.trim().to_owned();
        let pem = self.private_pem.read(PRIVATE_PEM_ENV)?;
        let passphrase = match &self.passphrase {
            Some(p) => Some(p.read(PASSPHRASE_ENV)?.trim().to_owned()),
            None => None,
        };
        let key = RsaPrivateKey::from_pem(&pem, passphrase.as_deref())
            .map_err(|e| AuthError::new(mode, format!("{PRIVATE_PEM_ENV}: {e}")))?;
        let claims =
            jwt::parse(&token).map_err(|e| AuthError::new(mode, format!("{RPST_ENV}: {e}")))?;
        Ok(Credential {
            signer: Signer::new(format!("ST${token}"), Arc::new(key)),
            issued_at: claims.issued_at,
            expires_at: claims.expires_at,
            tenancy: claims.tenancy,
        })
    }
}

impl Fetch for ResourcePrincipal22 {
    fn fetch(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
        Box::pin(async move { self.load() })
    }
}

/// Resource principal 1.1 settings.
pub const RPT_ENDPOINT_ENV: &str = "OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT";
pub const RPT_PATH_ENV: &str = "OCI_RESOURCE_PRINCIPAL_RPT_PATH";
pub const RPT_ID_ENV: &str = "OCI_RESOURCE_PRINCIPAL_RPT_ID";
pub const RPST_ENDPOINT_ENV: &str = "OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT";
/// The resource principal token path when [`RPT_PATH_ENV`] is not set.
pub const DEFAULT_RPT_PATH: &str = "/20180711/resourcePrincipalToken/{id}";
/// The path of the session token exchange.
pub const RPST_PATH: &str = "/v1/resourcePrincipalSessionToken";

/// Resource principal 1.1: with instance-principal credentials, get a resource principal
/// token (`GET {RPT endpoint}{path}`, `{id}` = `OCI_RESOURCE_PRINCIPAL_RPT_ID` or the
/// instance id from metadata), then exchange it for a session token for an in-memory key
/// (`POST {RPST endpoint or https://auth.<region>.<domain>}/v1/resourcePrincipalSessionToken`).
pub struct ResourcePrincipal11 {
    pub(crate) instance: Arc<dyn super::CredentialSource>,
    pub(crate) rpt_endpoint: String,
    pub(crate) rpt_path: String,
    pub(crate) resource_id: Option<String>,
    pub(crate) metadata_base: String,
    pub(crate) rpst_endpoint: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) http: reqwest::Client,
}

impl fmt::Debug for ResourcePrincipal11 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourcePrincipal11")
            .field("instance", &self.instance)
            .field("rpt_endpoint", &self.rpt_endpoint)
            .field("rpt_path", &self.rpt_path)
            .field("resource_id", &self.resource_id)
            .field("rpst_endpoint", &self.rpst_endpoint)
            .finish_non_exhaustive()
    }
}

impl ResourcePrincipal11 {
    /// Reads the 1.1 variables from `env`; `instance` signs the two calls.
    pub fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        instance: Arc<dyn super::CredentialSource>,
        metadata_base: String,
        region: Option<String>,
        user_agent: &str,
    ) -> Result<Self, AuthError> {
        let get = |k: &str| {
            env(k)
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().to_owned())
        };
        let rpt_endpoint = get(RPT_ENDPOINT_ENV).ok_or_else(|| {
            AuthError::new(
                "ResourcePrincipal",
                format!("{RPT_ENDPOINT_ENV} is not set (resource principal version 1.1 needs it)"),
            )
        })?;
        Ok(Self {
            instance,
            rpt_endpoint: rpt_endpoint.trim_end_matches('/').to_owned(),
            rpt_path: get(RPT_PATH_ENV).unwrap_or_else(|| DEFAULT_RPT_PATH.to_owned()),
            resource_id: get(RPT_ID_ENV),
            metadata_base: metadata_base.trim_end_matches('/').to_owned(),
            rpst_endpoint: get(RPST_ENDPOINT_ENV),
            region,
            http: super::net::client(user_agent)
                .map_err(|m| AuthError::new("ResourcePrincipal", m))?,
        })
    }

    async fn signed(
        &self,
        method: reqwest::Method,
        url: &str,
        what: &str,
        override_hint: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, AuthError> {
        let signer = self.instance.signer().await?;
        signed_call(&self.http, &signer, method, url, what, override_hint, body)
            .await
            .map(|(_, body)| body)
    }

    async fn fetch_credential(&self) -> Result<Credential, AuthError> {
        let mode = "ResourcePrincipal";
        let id = match &self.resource_id {
            Some(id) => id.clone(),
            None => {
                let url = format!("{}/instance/id", self.metadata_base);
                let parsed = reqwest::Url::parse(&url).map_err(|e| {
                    AuthError::new(mode, format!("invalid metadata URL {url:?}: {e}"))
                })?;
                let name = super::net::CallName {
                    mode,
                    what: "instance metadata",
                    url: &url,
                    override_hint: "set OCI_RESOURCE_PRINCIPAL_RPT_ID, or OCI_METADATA_BASE_URL to point at another metadata service",
                };
                let body =
                    super::net::send(&self.http, name, super::net::Attempts::DEFAULT, &|| {
                        let mut request =
                            reqwest::Request::new(reqwest::Method::GET, parsed.clone());
                        request.headers_mut().insert(
                            reqwest::header::AUTHORIZATION,
                            reqwest::header::HeaderValue::from_static("Bearer Oracle"),
                        );
                        Ok(request)
                    })
                    .await?;
                super::net::text(name, body)?
            }
        };
        let rpt_url = format!(
            "{}{}",
            self.rpt_endpoint,
            self.rpt_path.replace("{id}", &id)
        );
        let body = self
            .signed(
                reqwest::Method::GET,
                &rpt_url,
                "resource principal token",
                "OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT and OCI_RESOURCE_PRINCIPAL_RPT_PATH",
                None,
            )
            .await?;
        let rpt: RptAnswer = serde_json::from_slice(&body).map_err(|_| {
            AuthError::new(
                mode,
                format!("{rpt_url} answered without resourcePrincipalToken and servicePrincipalSessionToken"),
            )
        })?;
        let session =
            RsaPrivateKey::generate_rsa2048().map_err(|e| AuthError::new(mode, e.to_string()))?;
        let region = self.region.clone().or_else(|| self.instance.region());
        let base = rpst_base(self.rpst_endpoint.as_deref(), RPST_ENDPOINT_ENV, region)?;
        let signer = self.instance.signer().await?;
        let token = exchange_rpt(
            &self.http,
            &signer,
            &base,
            "OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT, else https://auth.<region>.<realm domain>",
            &rpt,
            &session,
        )
        .await?;
        let claims = jwt::parse(&token)
            .map_err(|e| AuthError::new(mode, format!("the token from {base}{RPST_PATH}: {e}")))?;
        Ok(Credential {
            signer: Signer::new(format!("ST${token}"), Arc::new(session)),
            issued_at: claims.issued_at,
            expires_at: claims.expires_at,
            tenancy: claims.tenancy,
        })
    }
}

impl Fetch for ResourcePrincipal11 {
    fn fetch(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
        Box::pin(self.fetch_credential())
    }

    fn region(&self) -> Option<String> {
        self.region.clone().or_else(|| self.instance.region())
    }
}

/// Sends one request signed by `signer` (JSON, `host` signed as for any OCI API); returns the
/// 2xx response's headers and body.
async fn signed_call(
    http: &reqwest::Client,
    signer: &Signer,
    method: reqwest::Method,
    url: &str,
    what: &str,
    override_hint: &str,
    body: Option<Vec<u8>>,
) -> Result<(reqwest::header::HeaderMap, Vec<u8>), AuthError> {
    let mode = "ResourcePrincipal";
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| AuthError::new(mode, format!("invalid URL {url:?} ({override_hint}): {e}")))?;
    let name = super::net::CallName {
        mode,
        what,
        url,
        override_hint,
    };
    super::net::send_full(http, name, super::net::Attempts::DEFAULT, &|| {
        let mut request = reqwest::Request::new(method.clone(), parsed.clone());
        request.headers_mut().insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        request.headers_mut().insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        if let Some(body) = &body {
            *request.body_mut() = Some(body.clone().into());
        }
        signer
            .sign_request(&mut request)
            .map_err(|e| AuthError::new(mode, e.to_string()))?;
        Ok(request)
    })
    .await
}

/// The origin the session token exchange is sent to: `endpoint`'s (the Go SDK keeps only the
/// scheme and host), else `https://auth.<region>.<realm domain>`.
fn rpst_base(
    endpoint: Option<&str>,
    env_name: &str,
    region: Option<String>,
) -> Result<String, AuthError> {
    match endpoint {
        Some(endpoint) => {
            let url = reqwest::Url::parse(endpoint).map_err(|e| {
                AuthError::new(
                    "ResourcePrincipal",
                    format!("invalid {env_name} {endpoint:?}: {e}"),
                )
            })?;
            Ok(url.origin().ascii_serialization())
        }
        None => {
            let region = crate::endpoints::canonical_region(&region.unwrap_or_default());
            let domain = crate::endpoints::realm_domain(crate::endpoints::realm_of(&region))
                .unwrap_or("oraclecloud.com");
            Ok(format!("https://auth.{region}.{domain}"))
        }
    }
}

/// The resource principal and service principal session tokens a target service answers.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RptAnswer {
    resource_principal_token: String,
    service_principal_session_token: String,
}

/// Exchanges an RPT for a session token bound to `session` at `{base}/v1/resourcePrincipalSessionToken`,
/// signed by `signer`.
async fn exchange_rpt(
    http: &reqwest::Client,
    signer: &Signer,
    base: &str,
    override_hint: &str,
    rpt: &RptAnswer,
    session: &RsaPrivateKey,
) -> Result<String, AuthError> {
    let rpst_url = format!("{base}{RPST_PATH}");
    let request_body = serde_json::json!({
        "resourcePrincipalToken": rpt.resource_principal_token,
        "servicePrincipalSessionToken": rpt.service_principal_session_token,
        "sessionPublicKey": session.public_key_pem_body(),
    })
    .to_string()
    .into_bytes();
    let (_, body) = signed_call(
        http,
        signer,
        reqwest::Method::POST,
        &rpst_url,
        "resource principal session token",
        override_hint,
        Some(request_body),
    )
    .await?;
    #[derive(serde::Deserialize)]
    struct Answer {
        token: String,
    }
    serde_json::from_slice::<Answer>(&body)
        .map(|a| a.token)
        .map_err(|_| {
            AuthError::new(
                "ResourcePrincipal",
                format!("{rpst_url} answered without a {{\"token\": …}} body"),
            )
        })
}

/// Resource principal 3.0 settings.
pub const VERSION_FOR_LEAF_ENV: &str = "OCI_RESOURCE_PRINCIPAL_VERSION_FOR_LEAF_RESOURCE";
pub const RPT_URL_FOR_PARENT_ENV: &str = "OCI_RESOURCE_PRINCIPAL_RPT_URL_FOR_PARENT_RESOURCE";
pub const RPST_ENDPOINT_FOR_PARENT_ENV: &str =
    "OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT_FOR_PARENT_RESOURCE";
pub const REGION_FOR_LEAF_ENV: &str = "OCI_RESOURCE_PRINCIPAL_REGION_FOR_LEAF_RESOURCE";
/// The response header naming the next parent's resource principal token URL.
pub const PARENT_RPT_URL_HEADER: &str = "opc-parent-rpt-url";
/// How many resource principal tokens a 3.0 chain fetches at most (the Go SDK's depth).
pub const MAX_PARENT_DEPTH: u32 = 10;

/// The leaf resource's variable standing for a 1.1/2.2 variable in resource principal 3.0
/// (the Go SDK's `…_FOR_LEAF_RESOURCE` names), and whether the plain variable is the fallback
/// (the Go SDK reads the RPT and RPST endpoints of a 1.1 leaf from the plain variables).
pub fn leaf_variable(name: &str) -> Option<(&'static str, bool)> {
    Some(match name {
        RPST_ENV => ("OCI_RESOURCE_PRINCIPAL_RPST_FOR_LEAF_RESOURCE", false),
        PRIVATE_PEM_ENV => (
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_FOR_LEAF_RESOURCE",
            false,
        ),
        PASSPHRASE_ENV => (
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE_FOR_LEAF_RESOURCE",
            false,
        ),
        REGION_ENV => (REGION_FOR_LEAF_ENV, false),
        RPT_ENDPOINT_ENV => (
            "OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT_FOR_LEAF_RESOURCE",
            true,
        ),
        RPT_PATH_ENV => ("OCI_RESOURCE_PRINCIPAL_RPT_PATH_FOR_LEAF_RESOURCE", false),
        RPT_ID_ENV => (
            "OCI_RESOURCE_PRINCIPAL_RESOURCE_ID_FOR_LEAF_RESOURCE",
            false,
        ),
        RPST_ENDPOINT_ENV => (
            "OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT_FOR_LEAF_RESOURCE",
            true,
        ),
        _ => return None,
    })
}

/// Resource principal 3.0: the leaf resource's principal (1.1 or 2.2, from the
/// `…_FOR_LEAF_RESOURCE` variables) gets the parent's resource principal token
/// (`GET OCI_RESOURCE_PRINCIPAL_RPT_URL_FOR_PARENT_RESOURCE`) and exchanges it for a session
/// token for an in-memory key (`POST {OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT_FOR_PARENT_RESOURCE,
/// else https://auth.<region>.<domain>}/v1/resourcePrincipalSessionToken`), both signed by the
/// leaf; while the answer names an `opc-parent-rpt-url` (other than the URL just used, up to
/// 10 tokens), the session token so far signs the same two calls for that parent. The tenancy
/// is the leaf's, the region the leaf's.
pub struct ResourcePrincipal30 {
    pub(crate) leaf: Arc<dyn super::CredentialSource>,
    pub(crate) leaf_region: Option<String>,
    pub(crate) rpt_url: String,
    pub(crate) rpst_endpoint: Option<String>,
    pub(crate) http: reqwest::Client,
}

impl fmt::Debug for ResourcePrincipal30 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourcePrincipal30")
            .field("leaf", &self.leaf)
            .field("rpt_url", &self.rpt_url)
            .field("rpst_endpoint", &self.rpst_endpoint)
            .finish_non_exhaustive()
    }
}

impl ResourcePrincipal30 {
    /// Reads the parent variables from `env`; `leaf` is the leaf resource's principal.
    pub fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        leaf: Arc<dyn super::CredentialSource>,
        leaf_region: Option<String>,
        user_agent: &str,
    ) -> Result<Self, AuthError> {
        let get = |k: &str| {
            env(k)
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().to_owned())
        };
        let rpt_url = get(RPT_URL_FOR_PARENT_ENV).ok_or_else(|| {
            AuthError::new(
                "ResourcePrincipal",
                format!(
                    "{RPT_URL_FOR_PARENT_ENV} is not set (resource principal version 3.0 needs it)"
                ),
            )
        })?;
        reqwest::Url::parse(&rpt_url).map_err(|e| {
            AuthError::new(
                "ResourcePrincipal",
                format!("invalid {RPT_URL_FOR_PARENT_ENV} {rpt_url:?}: {e}"),
            )
        })?;
        Ok(Self {
            leaf,
            leaf_region,
            rpt_url,
            rpst_endpoint: get(RPST_ENDPOINT_FOR_PARENT_ENV),
            http: super::net::client(user_agent)
                .map_err(|m| AuthError::new("ResourcePrincipal", m))?,
        })
    }

    async fn fetch_credential(&self) -> Result<Credential, AuthError> {
        let mode = "ResourcePrincipal";
        let session = Arc::new(
            RsaPrivateKey::generate_rsa2048().map_err(|e| AuthError::new(mode, e.to_string()))?,
        );
        let base = rpst_base(
            self.rpst_endpoint.as_deref(),
            RPST_ENDPOINT_FOR_PARENT_ENV,
            self.region(),
        )?;
        let rpst_hint =
            "OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT_FOR_PARENT_RESOURCE, else https://auth.<region>.<realm domain>";
        let mut signer = self.leaf.signer().await?;
        let mut url = self.rpt_url.clone();
        let mut depth = 1;
        loop {
            // As the Go SDK: the scheme, host and path of the URL (no query).
            let mut target = reqwest::Url::parse(&url).map_err(|e| {
                AuthError::new(
                    mode,
                    format!("invalid resource principal token URL {url:?} (from {PARENT_RPT_URL_HEADER} or {RPT_URL_FOR_PARENT_ENV}): {e}"),
                )
            })?;
            target.set_query(None);
            target.set_fragment(None);
            let (headers, body) = signed_call(
                &self.http,
                &signer,
                reqwest::Method::GET,
                target.as_str(),
                "resource principal token",
                if depth == 1 {
                    RPT_URL_FOR_PARENT_ENV
                } else {
                    "the opc-parent-rpt-url of the previous answer"
                },
                None,
            )
            .await?;
            let rpt: RptAnswer = serde_json::from_slice(&body).map_err(|_| {
                AuthError::new(
                    mode,
                    format!("{target} answered without resourcePrincipalToken and servicePrincipalSessionToken"),
                )
            })?;
            let token = exchange_rpt(&self.http, &signer, &base, rpst_hint, &rpt, &session).await?;
            let parent = headers
                .get(PARENT_RPT_URL_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .unwrap_or_default()
                .to_owned();
            if depth >= MAX_PARENT_DEPTH || parent.is_empty() || parent.eq_ignore_ascii_case(&url) {
                let claims = jwt::parse(&token).map_err(|e| {
                    AuthError::new(mode, format!("the resource principal session token: {e}"))
                })?;
                return Ok(Credential {
                    signer: Signer::new(format!("ST${token}"), session),
                    issued_at: claims.issued_at,
                    expires_at: claims.expires_at,
                    tenancy: self.leaf.tenancy().or(claims.tenancy),
                });
            }
            tracing::debug!(depth, "following the parent resource principal token URL");
            signer = Signer::new(format!("ST${token}"), session.clone());
            url = parent;
            depth += 1;
        }
    }
}

impl Fetch for ResourcePrincipal30 {
    fn fetch(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
        Box::pin(self.fetch_credential())
    }

    fn region(&self) -> Option<String> {
        self.leaf_region.clone().or_else(|| self.leaf.region())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::tests::jwt;
    use crate::auth::{CredentialSource, RefreshingSource};
    use std::collections::HashMap;

    const TENANCY: &str = "ocid1.tenancy.oc1..rp";

    fn token(n: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        jwt(
            serde_json::json!({"exp": now + 3600, "iat": now, "res_tenant": TENANCY, "ptype": "resource", "jti": n}),
        )
    }

    fn key_pem() -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/keys/rsa2048_pkcs8.pem",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn env_of(vars: HashMap<&'static str, String>) -> impl Fn(&str) -> Option<String> {
        move |k| vars.get(k).cloned()
    }

    #[tokio::test]
    async fn inline_values() {
        let t = token(1);
        let env = env_of(HashMap::from([
            (RPST_ENV, t.clone()),
            (PRIVATE_PEM_ENV, key_pem()),
        ]));
        let rp = ResourcePrincipal22::from_env(&env).unwrap();
        let shown = format!("{rp:?}");
        assert!(
            !shown.contains(&t[..20]) && !shown.contains("PRIVATE KEY"),
            "{shown}"
        );
        let source =
            RefreshingSource::new("ResourcePrincipal", RESOURCE_PRINCIPAL_HINT, Box::new(rp));
        let signer = source.signer().await.unwrap();
        assert_eq!(signer.key_id(), format!("ST${t}"));
        assert_eq!(source.tenancy().as_deref(), Some(TENANCY));
    }

    #[tokio::test]
    async fn files_are_re_read_after_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let rpst = dir.path().join("rpst");
        let pem = dir.path().join("private.pem");
        std::fs::write(&rpst, token(1)).unwrap();
        std::fs::write(&pem, key_pem()).unwrap();
        let env = env_of(HashMap::from([
            (RPST_ENV, rpst.display().to_string()),
            (PRIVATE_PEM_ENV, pem.display().to_string()),
        ]));
        let rp = ResourcePrincipal22::from_env(&env).unwrap();
        assert!(rp.rpst.is_path());
        let source =
            RefreshingSource::new("ResourcePrincipal", RESOURCE_PRINCIPAL_HINT, Box::new(rp));
        let first = source.signer().await.unwrap();
        let rotated = token(2);
        std::fs::write(&rpst, &rotated).unwrap();
        // Not due: still the first token.
        assert_eq!(source.signer().await.unwrap().key_id(), first.key_id());
        // After a 401 the file is read again.
        assert!(source.refresh_after_unauthorized(&first).await.unwrap());
        assert_eq!(
            source.signer().await.unwrap().key_id(),
            format!("ST${rotated}")
        );

        std::fs::remove_file(&rpst).unwrap();
        let err = source
            .refresh_after_unauthorized(&source.signer().await.unwrap())
            .await
            .unwrap_err();
        assert!(
            err.message.contains(&rpst.display().to_string()) && err.message.contains(RPST_ENV),
            "{err}"
        );
    }

    #[test]
    fn passphrase_rules() {
        let inline_key = HashMap::from([
            (RPST_ENV, token(1)),
            (PRIVATE_PEM_ENV, key_pem()),
            (PASSPHRASE_ENV, "/abs/pass".to_owned()),
        ]);
        let err = ResourcePrincipal22::from_env(&env_of(inline_key)).unwrap_err();
        assert!(err.message.contains(PASSPHRASE_ENV), "{err}");
        let path_key = HashMap::from([
            (RPST_ENV, token(1)),
            (PRIVATE_PEM_ENV, "/abs/key.pem".to_owned()),
            (PASSPHRASE_ENV, "secret-pass".to_owned()),
        ]);
        let err = ResourcePrincipal22::from_env(&env_of(path_key)).unwrap_err();
        assert!(!err.to_string().contains("secret-pass"));
        let missing = HashMap::from([(RPST_ENV, token(1))]);
        let err = ResourcePrincipal22::from_env(&env_of(missing)).unwrap_err();
        assert!(err.message.contains(PRIVATE_PEM_ENV), "{err}");
    }

    #[tokio::test]
    async fn encrypted_key_with_passphrase_file() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = format!("{}/tests/fixtures/keys", env!("CARGO_MANIFEST_DIR"));
        let pass = dir.path().join("passphrase");
        std::fs::write(&pass, format!("{}\n", crate::keys::tests::FIXTURE_PASS)).unwrap();
        let rpst = dir.path().join("rpst");
        std::fs::write(&rpst, token(1)).unwrap();
        let env = env_of(HashMap::from([
            (RPST_ENV, rpst.display().to_string()),
            (
                PRIVATE_PEM_ENV,
                format!("{fixtures}/rsa2048_pkcs8_encrypted.pem"),
            ),
            (PASSPHRASE_ENV, pass.display().to_string()),
        ]));
        let rp = ResourcePrincipal22::from_env(&env).unwrap();
        assert!(rp.fetch().await.is_ok());
    }
}

#[cfg(test)]
mod v3_tests {
    use super::*;
    use crate::auth::jwt::tests::jwt;
    use crate::auth::{CredentialSource, StaticSource};
    use std::sync::Mutex;

    /// A parent chain that never ends: each token URL names the next as its parent. The client
    /// stops after 10 tokens, the first signed by the leaf, each later one by the session token
    /// before it; one session key throughout.
    #[tokio::test]
    async fn the_parent_chain_is_followed_up_to_depth_10() {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = seen.clone();
        let base = crate::auth::tests::serve(Arc::new(move |text: &str| {
            let line = text.lines().next().unwrap_or_default().to_owned();
            let key_id = text
                .split("keyId=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_default()
                .to_owned();
            log.lock().unwrap().push(format!("{line} {key_id}"));
            let now = chrono::Utc::now().timestamp();
            if let Some(n) = line
                .strip_prefix("GET /rpt/")
                .and_then(|r| r.split(' ').next())
                .and_then(|n| n.parse::<u32>().ok())
            {
                let host = text
                    .lines()
                    .find_map(|l| l.strip_prefix("host: "))
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                let status: &'static str = Box::leak(
                    format!("200 OK\r\nopc-parent-rpt-url: http://{host}/rpt/{}", n + 1)
                        .into_boxed_str(),
                );
                let body = serde_json::json!({
                    "resourcePrincipalToken": format!("rpt-{n}"),
                    "servicePrincipalSessionToken": format!("spst-{n}"),
                });
                (status, body.to_string())
            } else {
                let n = log.lock().unwrap().len();
                let t = jwt(serde_json::json!({"exp": now + 3600, "iat": now, "res_tenant": "ocid1.tenancy.oc1..parent", "n": n}));
                ("200 OK", serde_json::json!({ "token": t }).to_string())
            }
        }))
        .await;
        let leaf_token = jwt(serde_json::json!({"exp": 4_000_000_000_i64, "res_tenant": "t"}));
        let leaf: Arc<dyn CredentialSource> = Arc::new(StaticSource::new(
            "ResourcePrincipal",
            Signer::new(format!("ST${leaf_token}"), crate::auth::tests::test_key()),
        ));
        let env = |k: &str| match k {
            RPT_URL_FOR_PARENT_ENV => Some(format!("{base}/rpt/1?ignored=1")),
            RPST_ENDPOINT_FOR_PARENT_ENV => Some(format!("{base}/some/path")),
            _ => None,
        };
        let v3 =
            ResourcePrincipal30::from_env(&env, leaf, Some("us-ashburn-1".into()), "test").unwrap();
        let shown = format!("{v3:?}");
        assert!(!shown.contains(&leaf_token), "{shown}");
        let cred = v3.fetch().await.unwrap();
        let seen = seen.lock().unwrap().clone();
        let gets: Vec<&String> = seen.iter().filter(|l| l.starts_with("GET ")).collect();
        let posts: Vec<&String> = seen.iter().filter(|l| l.starts_with("POST ")).collect();
        assert_eq!(gets.len(), 10, "{seen:#?}");
        assert_eq!(posts.len(), 10, "{seen:#?}");
        assert!(
            gets[0].starts_with("GET /rpt/1 HTTP/1.1 ST$"),
            "no query: {}",
            gets[0]
        );
        assert!(gets[0].ends_with(&leaf_token), "the leaf signs first");
        assert!(
            posts[0].ends_with(&leaf_token),
            "the leaf signs the first exchange"
        );
        assert!(
            posts
                .iter()
                .all(|p| p.starts_with("POST /v1/resourcePrincipalSessionToken ")),
            "{posts:#?}"
        );
        assert!(
            !gets[1].ends_with(&leaf_token),
            "then the session token so far"
        );
        assert!(cred.signer.key_id().starts_with("ST$"));
        // The tenancy is the leaf's (None for this static leaf: then the token's).
        assert_eq!(cred.tenancy.as_deref(), Some("ocid1.tenancy.oc1..parent"));
    }
}
