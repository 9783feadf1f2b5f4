//! Resource principals, version 2.2: the platform hands over a session token (RPST) and its
//! private key, inline or as absolute paths to files the platform rotates. No network: the
//! files are re-read when the token is due and after a 401. The tenancy is the token's
//! `res_tenant` claim.

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
