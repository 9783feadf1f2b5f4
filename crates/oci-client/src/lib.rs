//! A client for Oracle Cloud Infrastructure (OCI) APIs: configuration and credentials as the
//! OCI CLI and SDKs read them, RSA key loading, HTTP request signing, endpoints per region and
//! realm, signed HTTP with bounded retries, typed errors, and per-service clients for the
//! Identity auth-token API and Identity Domains (SCIM) auth tokens.
//!
//! # Module map
//!
//! | Module | What it does |
//! | --- | --- |
//! | [`config`] | [`resolve`]: explicit [`Settings`] > environment > `~/.oci/config` profile → [`ResolvedConfig`] (credentials, region, retry policy, endpoint inputs). Submodules: [`config::settings`], [`config::precedence`], the INI reader. |
//! | [`auth`] | Credential sources ([`auth::CredentialSource`]): a static signer (API keys, `SecurityToken`) or a session token refreshed when due and after a 401, single-flight ([`auth::RefreshingSource`]) for instance principals, resource principals 2.2/1.1, OKE workload identity and workload identity federation. |
//! | [`keys`] | RSA private keys (PKCS#1/PKCS#8, encrypted or not), fingerprints, [`keys::load_private_key`]. |
//! | [`signer`] | OCI HTTP signatures (draft-cavage) for requests. |
//! | [`endpoints`] | Region/realm tables, host overrides, [`endpoints::ServiceEndpoint`] and [`endpoints::EndpointSettings`]: how a service finds its endpoint. |
//! | [`http`] | The shared signed HTTP layer (signing, [`RetryPolicy`], error-body decoding per service), [`ClientOptions`] (timeouts, User-Agent). Knows no service. |
//! | [`error`] | [`OciError`] and [`ErrorKind`] with hints and retryability; [`error::ScimError`]. |
//! | [`identity`] | [`IdentityClient`]: auth tokens of the Identity API (`/20160918`), endpoint from region/realm/overrides. |
//! | [`identity_domains`] | [`IdentityDomainsClient`]: `/admin/v1/AuthTokens` on a domain URL given per call. |
//!
//! Layering: `config` → `auth`, `endpoints`, `keys`, `http`, `signer`; `http` asks `auth` for
//! the signer of each attempt, and `auth` → `keys`, `signer` (plus two small helpers of
//! `http`); the service clients → `config`, `endpoints`, `http`, `error`. No module below
//! `config` depends on it.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use oci_client::{resolve, ClientOptions, IdentityClient, IdentityDomainsClient, Settings};
//!
//! // Settings left unset come from the environment and then ~/.oci/config.
//! let settings = Settings {
//!     region: Some("us-ashburn-1".into()),
//!     ..Default::default()
//! };
//! let cfg = resolve(&settings, &|k| std::env::var(k).ok())?;
//! let options = ClientOptions {
//!     user_agent: "my-tool/1.0".into(),
//!     ..Default::default()
//! };
//!
//! let identity = IdentityClient::with_options(&cfg, &options)?;
//! let tokens = identity
//!     .list_auth_tokens(cfg.user_ocid.as_deref().unwrap_or_default())
//!     .await?;
//! println!("{} tokens at {}", tokens.len(), identity.base_url());
//!
//! let domains = IdentityDomainsClient::with_options(&cfg, &options)?;
//! let page = domains
//!     .list_auth_tokens(
//!         "https://idcs-0123456789abcdef.identity.oraclecloud.com",
//!         &oci_client::identity_domains::ListQuery::default(),
//!     )
//!     .await?;
//! println!("{} domain tokens", page.total_results);
//! # Ok(()) }
//! ```

pub mod auth;
pub mod config;
pub mod endpoints;
pub mod error;
pub mod http;
pub mod identity;
pub mod identity_domains;
pub mod keys;
pub mod signer;
#[cfg(test)]
mod test_tls;

pub use config::{resolve, AuthMode, ConfigError, ResolvedConfig, Settings};
pub use endpoints::EndpointError;
pub use error::{ErrorKind, OciError};
pub use http::{ClientOptions, RetryPolicy};
pub use identity::{AuthToken, IdentityClient};
pub use identity_domains::IdentityDomainsClient;

#[doc(hidden)]
pub use config::ProviderSettings;
