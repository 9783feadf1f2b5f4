//! The settings a caller gives explicitly (e.g. from its own configuration language).

use std::fmt;

/// Settings given explicitly by the caller. `None` (or a blank string) = not set, so the
/// environment and then the config file profile are consulted (see [`super::precedence`]).
#[derive(Default, Clone)]
pub struct Settings {
    pub auth: Option<String>,
    pub tenancy_ocid: Option<String>,
    pub user_ocid: Option<String>,
    pub fingerprint: Option<String>,
    pub private_key: Option<String>,
    pub private_key_path: Option<String>,
    pub private_key_password: Option<String>,
    pub region: Option<String>,
    pub config_file_profile: Option<String>,
    /// Base URL of the Identity API (scheme, host, optional port; no path). Read by
    /// [`crate::IdentityClient`], not by [`super::resolve`].
    pub identity_endpoint: Option<String>,
    /// Retry budget in seconds (0 = no retries; negative = the longest,
    /// [`super::MAX_RETRY_DURATION_SECONDS`]; more than that is rejected).
    pub retry_duration_seconds: Option<i64>,
    pub disable_auto_retries: Option<bool>,
    /// The service-account token file of `OKEWorkloadIdentity` (default: the standard
    /// Kubernetes path). Also `TF_VAR_workload_identity_token_path` /
    /// `OCI_WORKLOAD_IDENTITY_TOKEN_PATH`.
    pub workload_identity_token_path: Option<String>,
    /// The `token_exchange_*` arguments of `WorkloadIdentityFederation` (each also
    /// `TF_VAR_<name>` / `OCI_<NAME>`).
    pub token_exchange: TokenExchangeSettings,
    /// How messages name the place these settings come from, e.g. `"the configuration block"`.
    /// Default: `"the explicit settings"`.
    pub origin: Option<&'static str>,
}

impl Settings {
    /// How messages name where these settings come from.
    pub fn origin(&self) -> &'static str {
        self.origin.unwrap_or("the explicit settings")
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sensitive = |v: &Option<String>| v.as_ref().map(|_| "(sensitive)");
        f.debug_struct("Settings")
            .field("auth", &self.auth)
            .field("tenancy_ocid", &self.tenancy_ocid)
            .field("user_ocid", &self.user_ocid)
            .field("fingerprint", &self.fingerprint)
            .field("private_key", &sensitive(&self.private_key))
            .field("private_key_path", &self.private_key_path)
            .field(
                "private_key_password",
                &sensitive(&self.private_key_password),
            )
            .field("region", &self.region)
            .field("config_file_profile", &self.config_file_profile)
            .field("identity_endpoint", &self.identity_endpoint)
            .field("retry_duration_seconds", &self.retry_duration_seconds)
            .field("disable_auto_retries", &self.disable_auto_retries)
            .field(
                "workload_identity_token_path",
                &self.workload_identity_token_path,
            )
            .field("token_exchange", &self.token_exchange)
            .field("origin", &self.origin)
            .finish()
    }
}

/// The `token_exchange_*` settings of `WorkloadIdentityFederation`.
#[derive(Default, Clone)]
pub struct TokenExchangeSettings {
    pub domain_url: Option<String>,
    /// `OAuthClientCredentials` (default) or `InstancePrincipal`.
    pub auth: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub requested_token_type: Option<String>,
    /// Default `jwt`.
    pub subject_token_type: Option<String>,
    pub resource_type: Option<String>,
    pub rpst_exp: Option<String>,
    /// Accepted; the session key's public half is sent instead (as the Go SDK does).
    pub public_key: Option<String>,
}

impl fmt::Debug for TokenExchangeSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchangeSettings")
            .field("domain_url", &self.domain_url)
            .field("auth", &self.auth)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "(sensitive)"),
            )
            .field("requested_token_type", &self.requested_token_type)
            .field("subject_token_type", &self.subject_token_type)
            .field("resource_type", &self.resource_type)
            .field("rpst_exp", &self.rpst_exp)
            .field("public_key", &self.public_key)
            .finish()
    }
}
