//! The `oci` provider: its configuration, resources, data sources, list resources and
//! ephemeral resources.

mod auth_token;
mod auth_token_ephemeral;
mod auth_token_list;
mod auth_tokens_data_source;
mod common;
mod domains_auth_token;
mod domains_auth_token_data_source;
mod domains_auth_token_ephemeral;
mod domains_auth_token_list;
mod domains_auth_tokens_data_source;
mod domains_model;
mod domains_my_auth_token;
mod domains_my_auth_token_data_source;
mod domains_my_auth_tokens_data_source;
mod identity_domain_data_source;
mod identity_domains_data_source;
mod list_cache;
mod model;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use oci_client::config::{resolve, Settings};
use oci_client::http::ClientOptions;
use oci_client::identity::IdentityClient;
use oci_client::identity_domains::IdentityDomainsClient;
use tfplugin::cty::Type;
use tfplugin::cty::{AttributePath, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{
    async_trait, ConfigureRequest, DataSource, EphemeralResource, ListResource, Provider, Resource,
};
use tfplugin::schema::{Attribute, Block, Schema, Validator};

pub use list_cache::ListCache;

/// The source address configurations use for this provider (`source = "oracle/oci"`).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/oracle/oci";

/// What resources need once the provider is configured.
pub struct Configured {
    pub identity: IdentityClient,
    /// Identity Domains (SCIM); each call names its domain URL.
    pub domains: IdentityDomainsClient,
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

const COMPAT_NOTE: &str = "Accepted for compatibility with the `oracle/oci` provider; it has no effect on the resources of this provider (a warning says so when it is set).";

const WIF_NOTE: &str = "Accepted for compatibility with the `oracle/oci` provider, where it configures `auth = \"WorkloadIdentityFederation\"`; this provider does not support that mode yet, so it has no effect (a warning says so when it is set).";

/// The largest `retry_duration_seconds` accepted, and the budget a negative value (the
/// official provider's "retry for the longest time") stands for: one day.
pub const MAX_RETRY_DURATION_SECONDS: i64 = oci_client::config::MAX_RETRY_DURATION_SECONDS;

/// Arguments of the official provider block that have no meaning here: accepted, and a
/// warning names them when they are set. `(name, why)`.
const NO_EFFECT_ARGUMENTS: [(&str, &str); 15] = [
    (
        "retries_config_file",
        "this provider's retries are set by retry_duration_seconds and disable_auto_retries",
    ),
    ("ignore_defined_tags", "auth tokens have no defined tags"),
    (
        "realm_specific_service_endpoint_template_enabled",
        "endpoints come from region, identity_endpoint or CLIENT_HOST_OVERRIDES",
    ),
    (
        "dual_stack_endpoint_enabled",
        "endpoints come from region, identity_endpoint or CLIENT_HOST_OVERRIDES",
    ),
    (
        "test_time_maintenance_reboot_due",
        "it is used only by the official provider's compute acceptance tests",
    ),
    (
        "workload_identity_token_path",
        "auth WorkloadIdentityFederation is not supported yet",
    ),
    (
        "token_exchange_domain_url",
        "auth WorkloadIdentityFederation is not supported yet",
    ),
    (
        "token_exchange_auth",
        "auth WorkloadIdentityFederation is not supported yet",
    ),
    (
        "token_exchange_client_id",
        "auth WorkloadIdentityFederation is not supported yet",
    ),
    (
        "token_exchange_client_secret",
        "auth WorkloadIdentityFederation is not supported yet",
    ),
    (
        "token_exchange_requested_token_type",
        "auth WorkloadIdentityFederation is not supported yet",
    ),
    (
        "token_exchange_subject_token_type",
        "auth WorkloadIdentityFederation is not supported yet",
    ),
    (
        "token_exchange_resource_type",
        "auth WorkloadIdentityFederation is not supported yet",
    ),
    (
        "token_exchange_rpst_exp",
        "auth WorkloadIdentityFederation is not supported yet",
    ),
    (
        "token_exchange_public_key",
        "auth WorkloadIdentityFederation is not supported yet",
    ),
];

fn provider_schema() -> Schema {
    let s = |name: &str, d: &str| Attribute::string(name).optional().description(d);
    Schema::new(
        Block::new()
            .description("Manages OCI Identity auth tokens. Arguments, environment variables and `~/.oci/config` profiles work as in the official `oracle/oci` provider; every argument of its provider block is accepted.")
            .attribute(s("auth", "Authentication mode: `ApiKey` (default) or `SecurityToken`, case-insensitive. The official provider's other modes (`InstancePrincipal`, `InstancePrincipalWithCerts`, `ResourcePrincipal`, `OKEWorkloadIdentity`, `WorkloadIdentityFederation`) are recognised and rejected as not supported yet. Also `TF_VAR_auth`/`OCI_AUTH`."))
            .attribute(s("tenancy_ocid", "OCID of the tenancy. Also `TF_VAR_tenancy_ocid`/`OCI_TENANCY_OCID`, or `tenancy` in the config profile."))
            .attribute(s("user_ocid", "OCID of the user calling the API. Also `TF_VAR_user_ocid`/`OCI_USER_OCID`, or `user` in the config profile."))
            .attribute(s("fingerprint", "Fingerprint of the API signing key. Also `TF_VAR_fingerprint`/`OCI_FINGERPRINT`, or `fingerprint` in the config profile."))
            .attribute(s("private_key", "The API signing private key as PEM text (literal `\\n` sequences are accepted). Also `TF_VAR_private_key`/`OCI_PRIVATE_KEY`.").sensitive())
            .attribute(s("private_key_path", "Path to the API signing private key. Also `TF_VAR_private_key_path`/`OCI_PRIVATE_KEY_PATH`, or `key_file` in the config profile."))
            .attribute(s("private_key_password", "Pass phrase of an encrypted private key. Also `TF_VAR_private_key_password`/`OCI_PRIVATE_KEY_PASSWORD`, or `pass_phrase` in the config profile.").sensitive())
            .attribute(s("region", "Region, e.g. `us-ashburn-1`. IAM calls must go to the tenancy's home region. Also `TF_VAR_region`/`OCI_REGION`, or `region` in the config profile."))
            .attribute(s("config_file_profile", "Profile of `~/.oci/config` (or `OCI_CONFIG_FILE`) to read; default `DEFAULT`. Also `TF_VAR_config_file_profile`/`OCI_CONFIG_FILE_PROFILE`."))
            .attribute(Attribute::number("retry_duration_seconds").optional().description("How long to keep retrying throttled or failing API calls, in whole seconds (default 120; `0` turns retries off; at most 86400, one day). A negative value means \"retry for the longest time\", as in the official provider: here that is the maximum, 86400 seconds. Also `TF_VAR_retry_duration_seconds`/`OCI_RETRY_DURATION_SECONDS`.").validator(Validator::new("a whole number of seconds, at most 86400 (negative = 86400)", |v| retry_duration_seconds(v).map(|_| ()))))
            .attribute(Attribute::bool("disable_auto_retries").optional().description("Turn off automatic retries of API calls. Also `TF_VAR_disable_auto_retries`/`OCI_DISABLE_AUTO_RETRIES`."))
            .attribute(s("identity_endpoint", "Base URL of the Identity API, overriding the one derived from `region` (for example a local `oci-identity-mock`: `http://127.0.0.1:PORT`). `CLIENT_HOST_OVERRIDES=oci_identity.IdentityClient=URL` works too. Not an argument of the official provider."))
            .attribute(s("retries_config_file", COMPAT_NOTE))
            .attribute(Attribute::new("ignore_defined_tags", Type::list(Type::String)).optional().description(COMPAT_NOTE))
            .attribute(Attribute::bool("realm_specific_service_endpoint_template_enabled").optional().description(COMPAT_NOTE))
            .attribute(Attribute::bool("dual_stack_endpoint_enabled").optional().description(COMPAT_NOTE))
            .attribute(s("test_time_maintenance_reboot_due", COMPAT_NOTE))
            .attribute(s("workload_identity_token_path", WIF_NOTE))
            .attribute(s("token_exchange_domain_url", WIF_NOTE))
            .attribute(s("token_exchange_auth", WIF_NOTE))
            .attribute(s("token_exchange_client_id", WIF_NOTE))
            .attribute(s("token_exchange_client_secret", WIF_NOTE).sensitive())
            .attribute(s("token_exchange_requested_token_type", WIF_NOTE))
            .attribute(s("token_exchange_subject_token_type", WIF_NOTE))
            .attribute(s("token_exchange_resource_type", WIF_NOTE))
            .attribute(s("token_exchange_rpst_exp", WIF_NOTE))
            .attribute(s("token_exchange_public_key", WIF_NOTE)),
    )
}

/// A warning on each argument of [`NO_EFFECT_ARGUMENTS`] that is set (known or not). A
/// sensitive argument's warning carries no attribute path: Terraform would quote its source
/// line, value included, under the warning.
fn warn_no_effect_arguments(config: &Value, diags: &mut Diagnostics) {
    for (name, why) in NO_EFFECT_ARGUMENTS {
        if config.get(name).is_null() {
            continue;
        }
        let summary = format!("{name} has no effect in this provider");
        let detail = format!("{name} is accepted for compatibility with the oracle/oci provider but has no effect here: {why}. Remove it to silence this warning.");
        if name == "token_exchange_client_secret" {
            diags.warning(summary, detail);
        } else {
            diags.attribute_warning(AttributePath::attr(name), summary, detail);
        }
    }
}

/// Reads a known string argument; unknown values are treated as unset.
fn opt_string(config: &Value, name: &str) -> Option<String> {
    config.get_str(name).map(str::to_string)
}

/// The User-Agent of every API call.
fn user_agent() -> String {
    format!("terraform-provider-oci/{}", env!("CARGO_PKG_VERSION"))
}

/// `retry_duration_seconds` as whole seconds: a fraction (`1.5`) or a value beyond
/// [`MAX_RETRY_DURATION_SECONDS`] is an error rather than a silent fallback to the default.
/// A negative value is kept: the client reads it as "the longest time" (the maximum).
fn retry_duration_seconds(value: &Value) -> Result<Option<i64>, String> {
    let Some(n) = value.as_number() else {
        return Ok(None);
    };
    match n.as_i64() {
        Some(seconds) if seconds <= MAX_RETRY_DURATION_SECONDS => Ok(Some(seconds)),
        _ => Err(oci_client::config::retry_duration_problem(&n.to_string())),
    }
}

/// Turns the provider block into client settings; an invalid value is an error diagnostic
/// with its attribute path.
pub fn settings_from_config(config: &Value) -> Result<Settings, Diagnostics> {
    let retry_duration_seconds = retry_duration_seconds(config.get("retry_duration_seconds"))
        .map_err(|problem| {
            let mut diags = Diagnostics::new();
            diags.attribute_error(
                AttributePath::attr("retry_duration_seconds"),
                "Invalid attribute value",
                problem,
            );
            diags
        })?;
    Ok(Settings {
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
        retry_duration_seconds,
        disable_auto_retries: config.get("disable_auto_retries").as_bool(),
        origin: Some("the provider block"),
    })
}

/// A configuration error as a diagnostic, on the attribute at fault when there is one.
fn config_error(diags: &mut Diagnostics, argument: Option<&'static str>, message: String) {
    let summary = "Invalid OCI provider configuration";
    match argument {
        Some(arg) => diags.attribute_error(AttributePath::attr(arg), summary, message),
        None => diags.error(summary, message),
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

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        warn_no_effect_arguments(config, diags);
    }

    async fn configure(&self, req: ConfigureRequest) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if !req.config.is_wholly_known() {
            // Resolving now would silently fall back to other credentials (environment,
            // DEFAULT profile). Make no API calls until Terraform configures us with known values.
            self.data.config_unknown.store(true, Ordering::Relaxed);
            return diags;
        }
        let started = std::time::Instant::now();
        let settings = match settings_from_config(&req.config) {
            Ok(settings) => settings,
            Err(problems) => return problems,
        };
        let resolved = match resolve(&settings, &|k| std::env::var(k).ok()) {
            Ok(r) => r,
            Err(e) => {
                config_error(&mut diags, e.argument, e.message);
                return diags;
            }
        };
        let resolved_ms = started.elapsed().as_secs_f64() * 1000.0;
        for w in &resolved.warnings {
            diags.warning("OCI provider configuration", w.clone());
        }
        if let Err(e) = IdentityClient::endpoint(&resolved) {
            config_error(&mut diags, e.argument, e.message);
            return diags;
        }
        let options = ClientOptions {
            user_agent: user_agent(),
            ..ClientOptions::default()
        };
        let domains = match IdentityDomainsClient::with_options(&resolved, &options) {
            Ok(domains) => domains,
            Err(e) => {
                diags.error(
                    "Cannot create the OCI Identity Domains client",
                    e.to_string(),
                );
                return diags;
            }
        };
        let identity = IdentityClient::with_options(&resolved, &options);
        tracing::debug!(
            resolve_ms = resolved_ms,
            clients_ms = started.elapsed().as_secs_f64() * 1000.0 - resolved_ms,
            "configure: credentials resolved, API clients built"
        );
        match identity {
            Ok(identity) => self.data.set(Configured {
                identity,
                domains,
                lists: ListCache::default(),
            }),
            Err(e) => diags.error("Cannot create the OCI Identity client", e.to_string()),
        }
        diags
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(auth_token::AuthTokenResource::new(self.data.clone())),
            Arc::new(domains_auth_token::DomainsAuthTokenResource::new(
                self.data.clone(),
                domains_auth_token::Variant::Admin,
            )),
            Arc::new(domains_my_auth_token::resource(self.data.clone())),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![
            Arc::new(auth_tokens_data_source::AuthTokensDataSource::new(
                self.data.clone(),
            )),
            Arc::new(
                domains_auth_token_data_source::DomainsAuthTokenDataSource::new(
                    self.data.clone(),
                    domains_auth_token::Variant::Admin,
                ),
            ),
            Arc::new(domains_my_auth_token_data_source::data_source(
                self.data.clone(),
            )),
            Arc::new(
                domains_auth_tokens_data_source::DomainsTokensDataSource::auth_tokens(
                    self.data.clone(),
                ),
            ),
            Arc::new(domains_my_auth_tokens_data_source::my_auth_tokens(
                self.data.clone(),
            )),
            Arc::new(identity_domain_data_source::IdentityDomainDataSource::new(
                self.data.clone(),
            )),
            Arc::new(
                identity_domains_data_source::IdentityDomainsDataSource::new(self.data.clone()),
            ),
        ]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![
            Arc::new(auth_token_list::AuthTokenList::new(self.data.clone())),
            Arc::new(domains_auth_token_list::DomainsAuthTokenList::new(
                self.data.clone(),
            )),
        ]
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
        vec![
            Arc::new(auth_token_ephemeral::AuthTokenEphemeral::new(
                self.data.clone(),
            )),
            Arc::new(
                domains_auth_token_ephemeral::DomainsAuthTokenEphemeral::new(self.data.clone()),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::cty::Number;
    use tfplugin::framework::validate_block;

    fn block_with(retry: Value) -> Value {
        Value::object([("retry_duration_seconds", retry)])
    }

    #[test]
    fn retry_duration_must_be_whole_seconds_in_range() {
        for (value, expected) in [
            (Value::from(5i64), Some(5)),
            (Value::from(0i64), Some(0)),
            (Value::Number(Number::Float(30.0)), Some(30)),
            (Value::from(86_400i64), Some(86_400)),
            // Negative: "retry for the longest time", mapped to the maximum by the client.
            (Value::from(-1i64), Some(-1)),
            (Value::Null, None),
        ] {
            let settings = settings_from_config(&block_with(value.clone())).unwrap();
            assert_eq!(settings.retry_duration_seconds, expected, "{value:?}");
        }
        for bad in [
            Value::Number(Number::Float(1.5)),
            Value::Number(Number::Float(1e20)),
            Value::Number(Number::Big("100000000000000000000".into())),
            Value::from(86_401i64),
        ] {
            // At configure time…
            let diags = settings_from_config(&block_with(bad.clone())).unwrap_err();
            let d = diags.iter().next().unwrap();
            assert_eq!(
                d.attribute,
                Some(AttributePath::attr("retry_duration_seconds")),
                "{bad:?}"
            );
            assert!(
                d.detail.contains("retry_duration_seconds is "),
                "{}",
                d.detail
            );
            // …and at validate time, through the schema.
            let mut diags = Diagnostics::new();
            validate_block(
                &provider_schema().block,
                &block_with(bad.clone()),
                &AttributePath::root(),
                &mut diags,
            );
            let d = diags.iter().next().expect("a validation error");
            assert_eq!(
                d.attribute,
                Some(AttributePath::attr("retry_duration_seconds")),
                "{bad:?}"
            );
        }
        let diags =
            settings_from_config(&block_with(Value::Number(Number::Float(1.5)))).unwrap_err();
        assert!(diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("whole number of seconds"));
        let diags = settings_from_config(&block_with(Value::from(86_401i64))).unwrap_err();
        assert!(diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("at most 86400"));
    }

    /// Every argument of the official provider block (oracle/terraform-provider-oci
    /// `internal/provider/provider.go` `SchemaMap`), with its type.
    const OFFICIAL_ARGUMENTS: [(&str, &str); 26] = [
        ("auth", "string"),
        ("tenancy_ocid", "string"),
        ("user_ocid", "string"),
        ("fingerprint", "string"),
        ("private_key", "string"),
        ("private_key_path", "string"),
        ("private_key_password", "string"),
        ("region", "string"),
        ("workload_identity_token_path", "string"),
        ("token_exchange_domain_url", "string"),
        ("token_exchange_auth", "string"),
        ("token_exchange_client_id", "string"),
        ("token_exchange_client_secret", "string"),
        ("token_exchange_requested_token_type", "string"),
        ("token_exchange_subject_token_type", "string"),
        ("token_exchange_resource_type", "string"),
        ("token_exchange_rpst_exp", "string"),
        ("token_exchange_public_key", "string"),
        ("disable_auto_retries", "bool"),
        ("retry_duration_seconds", "number"),
        ("config_file_profile", "string"),
        ("ignore_defined_tags", "list(string)"),
        ("realm_specific_service_endpoint_template_enabled", "bool"),
        ("test_time_maintenance_reboot_due", "string"),
        ("dual_stack_endpoint_enabled", "bool"),
        ("retries_config_file", "string"),
    ];

    #[test]
    fn every_official_argument_is_accepted_with_its_type() {
        let schema = provider_schema();
        for (name, ty) in OFFICIAL_ARGUMENTS {
            let attr = schema
                .block
                .attributes
                .iter()
                .find(|a| a.name == name)
                .unwrap_or_else(|| panic!("{name} missing"));
            let expected = match ty {
                "string" => Type::String,
                "bool" => Type::Bool,
                "number" => Type::Number,
                _ => Type::list(Type::String),
            };
            assert_eq!(attr.ty, expected, "{name}");
            assert!(attr.optional && !attr.required, "{name}");
        }
        for secret in [
            "private_key",
            "private_key_password",
            "token_exchange_client_secret",
        ] {
            let attr = schema
                .block
                .attributes
                .iter()
                .find(|a| a.name == secret)
                .unwrap();
            assert!(attr.sensitive, "{secret}");
        }
    }

    #[test]
    fn arguments_without_effect_warn_by_name_when_set() {
        let mut diags = Diagnostics::new();
        warn_no_effect_arguments(&Value::object([("region", Value::from("iad"))]), &mut diags);
        assert!(diags.is_empty());
        let block = Value::object(
            NO_EFFECT_ARGUMENTS
                .iter()
                .map(|(name, _)| (*name, Value::from("x"))),
        );
        let mut diags = Diagnostics::new();
        warn_no_effect_arguments(&block, &mut diags);
        assert!(!diags.has_errors());
        assert_eq!(diags.iter().count(), NO_EFFECT_ARGUMENTS.len());
        for ((name, _), d) in NO_EFFECT_ARGUMENTS.iter().zip(diags.iter()) {
            if *name == "token_exchange_client_secret" {
                assert_eq!(d.attribute, None, "Terraform would quote the secret's line");
            } else {
                assert_eq!(d.attribute, Some(AttributePath::attr(*name)));
            }
            assert!(d.detail.starts_with(name), "{}", d.detail);
        }
    }

    #[test]
    fn the_provider_names_itself_to_the_api() {
        assert_eq!(
            user_agent(),
            format!("terraform-provider-oci/{}", env!("CARGO_PKG_VERSION"))
        );
        let settings =
            settings_from_config(&Value::object([("region", Value::from("iad"))])).unwrap();
        assert_eq!(settings.origin(), "the provider block");
    }
}
