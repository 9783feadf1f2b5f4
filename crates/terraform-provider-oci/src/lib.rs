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
mod filter;
mod identity_domain_data_source;
mod identity_domains_data_source;
mod list_cache;
mod model;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use oci_client::config::{resolve_complete, Settings};
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

const AUTH_DESCRIPTION: &str = "Authentication mode, case-insensitive. Also `TF_VAR_auth`/`OCI_AUTH`. \
`ApiKey` (default): the user's API signing key (`user_ocid`, `fingerprint`, `private_key`/`private_key_path`, `tenancy_ocid`, or the config profile). \
`SecurityToken`: the session of `oci session authenticate`; needs `config_file_profile`. \
`InstancePrincipal`: the instance certificate from the instance metadata service (`OCI_METADATA_BASE_URL`, default `http://169.254.169.254/opc/v2`) is federated into a session token at `https://auth.<region>.<realm domain>/v1/x509` (`OCI_SDK_AUTH_CLIENT_REGION_URL` overrides it); the tenancy comes from the certificate, `region` defaults to the instance's region, user credentials are ignored. \
`InstancePrincipalWithCerts`: the same with `ip_cert.pem`, `ip_key.pem`, optional `leaf_passphrase` and `intermediate.pem` read from the directory `TF_VAR_test_certificates_location` (else the working directory); needs `region`. \
`ResourcePrincipal`: `OCI_RESOURCE_PRINCIPAL_VERSION=2.2` with `OCI_RESOURCE_PRINCIPAL_RPST` and `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM` (inline or absolute paths, re-read on refresh) and optional `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE`; `region`, else `OCI_RESOURCE_PRINCIPAL_REGION`. Version 1.1: `OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT` (with `OCI_RESOURCE_PRINCIPAL_RPT_PATH`, `OCI_RESOURCE_PRINCIPAL_RPT_ID`, `OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT`) and instance-principal credentials. Version 3.0: the leaf's principal from the `…_FOR_LEAF_RESOURCE` variables (`OCI_RESOURCE_PRINCIPAL_VERSION_FOR_LEAF_RESOURCE` 2.2 or 1.1) gets the parent's token at `OCI_RESOURCE_PRINCIPAL_RPT_URL_FOR_PARENT_RESOURCE`, exchanged at `OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT_FOR_PARENT_RESOURCE`, following `opc-parent-rpt-url` up to 10 tokens. \
`OKEWorkloadIdentity`: the pod's service-account token (`workload_identity_token_path`, else the standard path) is exchanged at `https://$KUBERNETES_SERVICE_HOST:12250` with the CA at `OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH`; `region`, else `OCI_RESOURCE_PRINCIPAL_REGION`. \
`WorkloadIdentityFederation`: the JWT in `workload_identity_token_path` is exchanged at `<token_exchange_domain_url>/oauth2/v1/token` (`token_exchange_auth` `OAuthClientCredentials` with `token_exchange_client_id`/`token_exchange_client_secret`, or `InstancePrincipal`; `token_exchange_requested_token_type`, `token_exchange_subject_token_type` (default `jwt`), `token_exchange_resource_type`, `token_exchange_rpst_exp`); needs `region`. \
Session tokens are refreshed ahead of expiry (5 minutes, or half the lifetime for shorter tokens) and once after a 401.";

const WORKLOAD_IDENTITY_TOKEN_PATH_NOTE: &str = "Path to the workload's token: the JWT exchanged by `auth = \"WorkloadIdentityFederation\"` (required there, as in the official provider), and the Kubernetes service-account token of `auth = \"OKEWorkloadIdentity\"` (default `/var/run/secrets/kubernetes.io/serviceaccount/token`; the official provider always uses that default). Also `TF_VAR_workload_identity_token_path`/`OCI_WORKLOAD_IDENTITY_TOKEN_PATH`.";

const WIF_NOTE: &str = "Used by `auth = \"WorkloadIdentityFederation\"` as in the `oracle/oci` provider (the token exchange at `<token_exchange_domain_url>/oauth2/v1/token`); also `TF_VAR_<name>`/`OCI_<NAME>`. With another `auth` it has no effect, and a warning says so when it is set.";

/// The largest `retry_duration_seconds` accepted, and the budget a negative value (the
/// official provider's "retry for the longest time") stands for: one day.
pub const MAX_RETRY_DURATION_SECONDS: i64 = oci_client::config::MAX_RETRY_DURATION_SECONDS;

/// Arguments of the official provider block that have no meaning here: accepted, and a
/// warning names them when they are set. `(name, why)`.
const NO_EFFECT_ARGUMENTS: [(&str, &str); 14] = [
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
        "token_exchange_domain_url",
        "it is used only with auth = \"WorkloadIdentityFederation\"",
    ),
    (
        "token_exchange_auth",
        "it is used only with auth = \"WorkloadIdentityFederation\"",
    ),
    (
        "token_exchange_client_id",
        "it is used only with auth = \"WorkloadIdentityFederation\"",
    ),
    (
        "token_exchange_client_secret",
        "it is used only with auth = \"WorkloadIdentityFederation\"",
    ),
    (
        "token_exchange_requested_token_type",
        "it is used only with auth = \"WorkloadIdentityFederation\"",
    ),
    (
        "token_exchange_subject_token_type",
        "it is used only with auth = \"WorkloadIdentityFederation\"",
    ),
    (
        "token_exchange_resource_type",
        "it is used only with auth = \"WorkloadIdentityFederation\"",
    ),
    (
        "token_exchange_rpst_exp",
        "it is used only with auth = \"WorkloadIdentityFederation\"",
    ),
    (
        "token_exchange_public_key",
        "it is used only with auth = \"WorkloadIdentityFederation\"",
    ),
];

fn provider_schema() -> Schema {
    let s = |name: &str, d: &str| Attribute::string(name).optional().description(d);
    Schema::new(
        Block::new()
            .description("Manages OCI Identity auth tokens. Arguments, environment variables and `~/.oci/config` profiles work as in the official `oracle/oci` provider; every argument of its provider block is accepted.")
            .attribute(s("auth", AUTH_DESCRIPTION))
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
            .attribute(s("workload_identity_token_path", WORKLOAD_IDENTITY_TOKEN_PATH_NOTE))
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
    let federation = config
        .get_str("auth")
        .is_some_and(|a| a.trim().eq_ignore_ascii_case("WorkloadIdentityFederation"));
    for (name, why) in NO_EFFECT_ARGUMENTS {
        if config.get(name).is_null() {
            continue;
        }
        let why = match name {
            "token_exchange_public_key" if federation => {
                "the public half of the in-memory session key is sent instead, as the official provider's SDK does"
            }
            _ if federation && name.starts_with("token_exchange_") => continue,
            _ => why,
        };
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
        workload_identity_token_path: opt_string(config, "workload_identity_token_path"),
        token_exchange: oci_client::config::settings::TokenExchangeSettings {
            domain_url: opt_string(config, "token_exchange_domain_url"),
            auth: opt_string(config, "token_exchange_auth"),
            client_id: opt_string(config, "token_exchange_client_id"),
            client_secret: opt_string(config, "token_exchange_client_secret"),
            requested_token_type: opt_string(config, "token_exchange_requested_token_type"),
            subject_token_type: opt_string(config, "token_exchange_subject_token_type"),
            resource_type: opt_string(config, "token_exchange_resource_type"),
            rpst_exp: opt_string(config, "token_exchange_rpst_exp"),
            public_key: opt_string(config, "token_exchange_public_key"),
        },
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
        let resolved = match resolve_complete(&settings, &|k| std::env::var(k).ok()).await {
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

    /// The principal modes resolve from the provider block with the environment injected
    /// (no process environment is touched).
    #[tokio::test]
    async fn principal_auth_modes_resolve_through_the_provider_block() {
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::Utc::now().timestamp();
        let claims = serde_json::json!({"exp": now + 3600, "iat": now, "res_tenant": "ocid1.tenancy.oc1..rp"});
        use base64::Engine as _;
        let b64 = |v: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let token = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"RS256"}"#.into()),
            b64(claims.to_string())
        );
        std::fs::write(dir.path().join("rpst"), &token).unwrap();
        let key = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../oci-client/tests/fixtures/keys/rsa2048_pkcs8.pem"
        ))
        .unwrap();
        std::fs::write(dir.path().join("private.pem"), key).unwrap();
        let vars: std::collections::HashMap<&str, String> = [
            ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2".to_owned()),
            (
                "OCI_RESOURCE_PRINCIPAL_RPST",
                dir.path().join("rpst").display().to_string(),
            ),
            (
                "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM",
                dir.path().join("private.pem").display().to_string(),
            ),
            ("OCI_RESOURCE_PRINCIPAL_REGION", "us-phoenix-1".to_owned()),
        ]
        .into_iter()
        .collect();
        let env = move |k: &str| vars.get(k).cloned();
        let block = Value::object([
            ("auth", Value::from("RESOURCEPRINCIPAL")),
            ("region", Value::from("iad")),
        ]);
        let settings = settings_from_config(&block).unwrap();
        let cfg = resolve_complete(&settings, &env).await.unwrap();
        assert_eq!(cfg.auth, oci_client::AuthMode::ResourcePrincipal);
        assert_eq!(cfg.region, "us-ashburn-1");
        assert_eq!(cfg.tenancy_ocid, "ocid1.tenancy.oc1..rp");
        assert!(!format!("{cfg:?}").contains(&token));

        let block = Value::object([
            ("auth", Value::from("InstancePrincipal")),
            ("workload_identity_token_path", Value::from("/tmp/sa-token")),
        ]);
        let settings = settings_from_config(&block).unwrap();
        assert_eq!(
            settings.workload_identity_token_path.as_deref(),
            Some("/tmp/sa-token")
        );
        let cfg = oci_client::resolve(&settings, &|_| None).unwrap();
        assert_eq!(cfg.auth, oci_client::AuthMode::InstancePrincipal);

        let mut diags = Diagnostics::new();
        warn_no_effect_arguments(&block, &mut diags);
        assert!(
            diags.is_empty(),
            "workload_identity_token_path has an effect now"
        );
    }

    #[test]
    fn token_exchange_arguments_take_effect_under_workload_identity_federation() {
        let block = Value::object([
            ("auth", Value::from("workloadidentityfederation")),
            ("region", Value::from("us-ashburn-1")),
            ("workload_identity_token_path", Value::from("/t")),
            (
                "token_exchange_domain_url",
                Value::from("https://idcs-x.identity.oraclecloud.com"),
            ),
            ("token_exchange_client_id", Value::from("id")),
            (
                "token_exchange_client_secret",
                Value::from("not-a-real-secret"),
            ),
            (
                "token_exchange_requested_token_type",
                Value::from("urn:oci:token-type:oci-upst"),
            ),
            ("token_exchange_public_key", Value::from("pk")),
        ]);
        let mut diags = Diagnostics::new();
        warn_no_effect_arguments(&block, &mut diags);
        assert_eq!(diags.iter().count(), 1, "only token_exchange_public_key");
        let settings = settings_from_config(&block).unwrap();
        assert!(!format!("{settings:?}").contains("not-a-real-secret"));
        let cfg = oci_client::resolve(&settings, &|_| None).unwrap();
        assert_eq!(cfg.auth, oci_client::AuthMode::WorkloadIdentityFederation);
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
