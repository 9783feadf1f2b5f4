//! OCI client: configuration, keys, request signing, HTTP with retries, errors and the
//! Identity auth-token API. Nothing in here knows about Terraform.
//!
//! Typical use:
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use oci_client::{config, IdentityClient};
//! let cfg = config::resolve(&config::ProviderSettings::default(), &|k| std::env::var(k).ok())?;
//! let client = IdentityClient::new(&cfg)?;
//! let tokens = client.list_auth_tokens(cfg.user_ocid.as_deref().unwrap_or_default()).await?;
//! # let _ = tokens; Ok(()) }
//! ```

pub mod client;
pub mod config;
pub mod endpoints;
pub mod error;
pub mod identity;
pub mod keys;
pub mod signer;

pub use client::RetryPolicy;
pub use config::{resolve, AuthMode, ConfigError, ProviderSettings, ResolvedConfig};
pub use error::{ErrorKind, OciError};
pub use identity::{AuthToken, IdentityClient};
