//! The `oci` provider: its configuration, resources, data sources and list resources.

mod auth_token;
mod auth_token_list;
mod auth_tokens_data_source;
mod common;
mod list_cache;
mod model;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use oci_client::config::{resolve, ProviderSettings};
use oci_client::identity::IdentityClient;
use tfplugin::cty::Type;
use tfplugin::cty::{AttributePath, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{
    async_trait, ConfigureRequest, DataSource, ListResource, Provider, Resource,
};
use tfplugin::schema::{Attribute, Block, Schema};

pub use list_cache::ListCache;

/// The source address configurations use for this provider (`source = "oracle/oci"`).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/oracle/oci";

/// What resources need once the provider is configured.
pub struct Configured {
    pub identity: IdentityClient,
    /// Coalesces and caches `ListAuthTokens` per user for the life of this provider process.
    pub lists: ListCache,
}

/// Shared between the provider and its resources: set by `ConfigureProvider`.
#[derive(Default)]
pub struct ProviderData {
    configured: RwLock<Option<Arc<Configured>>>,
    /// The provider block depends on values known only after apply.
    config_unknown: AtomicBool,
}

impl ProviderData {
    /// The configured clients, or a diagnostic when the provider was not configured.
    pub fn get(&self, diags: &mut Diagnostics) -> Option<Arc<Configured>> {
        let c = self.configured.read().ok().and_then(|c| c.clone());
        if c.is_none() {
            if self.config_unknown() {
                diags.error(
                    "Provider configuration not known yet",
                    "The oci provider block depends on values known only after apply, so the OCI API cannot be called yet. Apply the resources it depends on first (for example with -target).",
                );
            } else {
                diags.provider_bug(
                    "Provider not configured",
                    "A resource was used before the provider was configured.",
                );
            }
        }
        c
    }

    /// True when the provider block held unknown values: reads keep the prior state then.
    pub fn config_unknown(&self) -> bool {
        self.config_unknown.load(Ordering::Relaxed)
    }

    /// Installs clients directly (tests and tools that bypass `ConfigureProvider`).
    pub fn set(&self, configured: Configured) {
        if let Ok(mut c) = self.configured.write() {
            *c = Some(Arc::new(configured));
        }
    }
}

pub struct OciProvider {
    data: Arc<ProviderData>,
}

impl OciProvider {
    pub fn new() -> Self {
        OciProvider {
            data: Arc::new(ProviderData::default()),
        }
    }
}

impl Default for OciProvider {
    fn default() -> Self {
        Self::new()
    }
}

const COMPAT_NOTE: &str = "Accepted for compatibility with the `oracle/oci` provider; it has no effect on the resources of this provider.";

fn provider_schema() -> Schema {
    let s = |name: &str, d: &str| Attribute::string(name).optional().description(d);
    Schema::new(
        Block::new()
            .description("Manages OCI Identity auth tokens. Arguments, environment variables and `~/.oci/config` profiles work as in the official `oracle/oci` provider.")
            .attribute(s("auth", "Authentication mode: `ApiKey` (default) or `SecurityToken`. Also `TF_VAR_auth`/`OCI_AUTH`."))
            .attribute(s("tenancy_ocid", "OCID of the tenancy. Also `TF_VAR_tenancy_ocid`/`OCI_TENANCY_OCID`, or `tenancy` in the config profile."))
            .attribute(s("user_ocid", "OCID of the user calling the API. Also `TF_VAR_user_ocid`/`OCI_USER_OCID`, or `user` in the config profile."))
            .attribute(s("fingerprint", "Fingerprint of the API signing key. Also `TF_VAR_fingerprint`/`OCI_FINGERPRINT`, or `fingerprint` in the config profile."))
            .attribute(s("private_key", "The API signing private key as PEM text (literal `\\n` sequences are accepted). Also `TF_VAR_private_key`/`OCI_PRIVATE_KEY`.").sensitive())
            .attribute(s("private_key_path", "Path to the API signing private key. Also `TF_VAR_private_key_path`/`OCI_PRIVATE_KEY_PATH`, or `key_file` in the config profile."))
            .attribute(s("private_key_password", "Pass phrase of an encrypted private key. Also `TF_VAR_private_key_password`/`OCI_PRIVATE_KEY_PASSWORD`, or `pass_phrase` in the config profile.").sensitive())
            .attribute(s("region", "Region, e.g. `us-ashburn-1`. IAM calls must go to the tenancy's home region. Also `TF_VAR_region`/`OCI_REGION`, or `region` in the config profile."))
            .attribute(s("config_file_profile", "Profile of `~/.oci/config` (or `OCI_CONFIG_FILE`) to read; default `DEFAULT`."))
            .attribute(Attribute::number("retry_duration_seconds").optional().description("How long to keep retrying throttled or failing API calls, in seconds (default 120)."))
            .attribute(Attribute::bool("disable_auto_retries").optional().description("Turn off automatic retries of API calls."))
            .attribute(s("identity_endpoint", "Base URL of the Identity API, overriding the one derived from `region` (for example a local `oci-identity-mock`: `http://127.0.0.1:PORT`). `CLIENT_HOST_OVERRIDES=oci_identity.IdentityClient=URL` works too."))
            .attribute(s("retries_config_file", COMPAT_NOTE))
            .attribute(Attribute::new("ignore_defined_tags", Type::list(Type::String)).optional().description(COMPAT_NOTE))
            .attribute(Attribute::bool("realm_specific_service_endpoint_template_enabled").optional().description(COMPAT_NOTE))
            .attribute(Attribute::bool("dual_stack_endpoint_enabled").optional().description(COMPAT_NOTE)),
    )
}

/// Reads a known string argument; unknown values are treated as unset.
fn opt_string(config: &Value, name: &str) -> Option<String> {
    config.get_str(name).map(str::to_string)
}

/// Turns the provider block into client settings.
pub fn settings_from_config(config: &Value) -> ProviderSettings {
    ProviderSettings {
        auth: opt_string(config, "auth"),
        tenancy_ocid: opt_string(config, "tenancy_ocid"),
        user_ocid: opt_string(config, "user_ocid"),
        fingerprint: opt_string(config, "fingerprint"),
        private_key: opt_string(config, "private_key"),
        private_key_path: opt_string(config, "private_key_path"),
        private_key_password: opt_string(config, "private_key_password"),
        region: opt_string(config, "region"),
        config_file_profile: opt_string(config, "config_file_profile"),
        identity_endpoint: opt_string(config, "identity_endpoint"),
        retry_duration_seconds: config
            .get("retry_duration_seconds")
            .as_number()
            .and_then(|n| n.as_i64()),
        disable_auto_retries: config.get("disable_auto_retries").as_bool(),
    }
}

#[async_trait]
impl Provider for OciProvider {
    fn type_name(&self) -> &'static str {
        "oci"
    }

    fn schema(&self) -> Schema {
        provider_schema()
    }

    async fn configure(&self, req: ConfigureRequest) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if !req.config.is_wholly_known() {
            // Resolving now would silently fall back to other credentials (environment,
            // DEFAULT profile). Make no API calls until Terraform configures us with known values.
            self.data.config_unknown.store(true, Ordering::Relaxed);
            return diags;
        }
        let settings = settings_from_config(&req.config);
        let resolved = match resolve(&settings, &|k| std::env::var(k).ok()) {
            Ok(r) => r,
            Err(e) => {
                let summary = "Invalid OCI provider configuration";
                match e.argument {
                    Some(arg) => {
                        diags.attribute_error(AttributePath::attr(arg), summary, e.message)
                    }
                    None => diags.error(summary, e.message),
                }
                return diags;
            }
        };
        for w in &resolved.warnings {
            diags.warning("OCI provider configuration", w.clone());
        }
        match IdentityClient::new(&resolved) {
            Ok(identity) => self.data.set(Configured {
                identity,
                lists: ListCache::default(),
            }),
            Err(e) => diags.error("Cannot create the OCI Identity client", e.to_string()),
        }
        diags
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(auth_token::AuthTokenResource::new(
            self.data.clone(),
        ))]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(
            auth_tokens_data_source::AuthTokensDataSource::new(self.data.clone()),
        )]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![Arc::new(auth_token_list::AuthTokenList::new(
            self.data.clone(),
        ))]
    }
}
