//! Credentials and settings, resolved the way OCI users already have them.
//!
//! Each value comes from the first place that has it (blank strings count as unset):
//! 1. the explicit setting ([`Settings`]);
//! 2. the environment (e.g. `OCI_TENANCY_OCID`; [`precedence`] has the variable names);
//! 3. the OCI config file profile: `config_file_profile` (or `DEFAULT`); a named profile
//!    inherits the keys of `[DEFAULT]`, and naming a profile that does not exist is an error.
//!
//! The config file is `$OCI_CONFIG_FILE` if set, else `$OCI_CLI_CONFIG_FILE` if set, else
//! `~/.oci/config`. When a variable is set its file is used even if it does not exist (there is
//! no fallback to `~/.oci/config`): a path set on purpose should not be silently replaced.
//!
//! The private key is `private_key` (PEM text; literal `\n` sequences become newlines), else
//! the file `private_key_path`, else the profile's `key_file`. The pass phrase is
//! `private_key_password`, else the profile's `pass_phrase` (or `passphrase`). When no
//! fingerprint is configured it is computed from the key (the same MD5 OCI shows).
//!
//! Service endpoints are not resolved here: [`ResolvedConfig::endpoints`] captures their
//! inputs (explicit endpoint settings, host overrides, region metadata) and each service client
//! resolves its own endpoint ([`ResolvedConfig::endpoint`]).
//!
//! Modules: [`settings`] (the explicit settings), [`precedence`] (setting > environment >
//! profile, the config file), `ini` (the config file format). Key loading lives in
//! [`crate::keys`], the retry policy in [`crate::http`].
//!
//! Nothing here puts key material, pass phrases or session tokens into messages.

mod ini;
pub mod precedence;
mod principal;

pub use principal::{resolve_complete, TEST_CERTIFICATES_LOCATION_VARS};
pub mod settings;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use precedence::{CONFIG_FILE_ENV_VARS, DEFAULT_PROFILE};
pub use settings::Settings;

/// The former name of [`Settings`], kept (hidden) so existing callers compile unchanged.
#[doc(hidden)]
pub type ProviderSettings = Settings;

use crate::auth::{SharedSource, StaticSource};
use crate::endpoints::{EndpointError, EndpointSettings, ServiceEndpoint};
use crate::http::RetryPolicy;
use crate::keys::{load_private_key, KeyFault, KeyInput, RsaPrivateKey};
use crate::signer::{redact_key_id, Signer};
use precedence::{expand_tilde, host_overrides, ConfigFileRef, Lookup};

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// keyId `<tenancy>/<user>/<fingerprint>`, signed with the user's API key.
    ApiKey,
    /// keyId `ST$<session token>`, signed with the session key (`oci session authenticate`).
    SecurityToken,
    /// The instance certificate from the instance metadata service, federated into a session
    /// token ([`crate::auth::instance_principal`]).
    InstancePrincipal,
    /// Like `InstancePrincipal`, with the certificate and key read from the files in
    /// `test_certificates_location` instead of the metadata service.
    InstancePrincipalWithCerts,
    /// The resource principal session token the platform provides
    /// ([`crate::auth::resource_principal`]; version 2.2).
    ResourcePrincipal,
    /// The pod's service-account token exchanged at the OKE proxymux endpoint
    /// ([`crate::auth::oke`]).
    OkeWorkloadIdentity,
    /// A workload's JWT exchanged at an identity domain
    /// ([`crate::auth::workload_identity_federation`]).
    WorkloadIdentityFederation,
}

const ALL_AUTH: [&str; 7] = [
    "ApiKey",
    "SecurityToken",
    "InstancePrincipal",
    "InstancePrincipalWithCerts",
    "ResourcePrincipal",
    "OKEWorkloadIdentity",
    "WorkloadIdentityFederation",
];

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::ApiKey => "ApiKey",
            AuthMode::SecurityToken => "SecurityToken",
            AuthMode::InstancePrincipal => "InstancePrincipal",
            AuthMode::InstancePrincipalWithCerts => "InstancePrincipalWithCerts",
            AuthMode::ResourcePrincipal => "ResourcePrincipal",
            AuthMode::OkeWorkloadIdentity => "OKEWorkloadIdentity",
            AuthMode::WorkloadIdentityFederation => "WorkloadIdentityFederation",
        }
    }

    /// Whether the credentials come from the platform (no user, no API key).
    pub fn is_principal(self) -> bool {
        !matches!(self, AuthMode::ApiKey | AuthMode::SecurityToken)
    }

    /// Parses an `auth` value, case-insensitively.
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let value = value.trim();
        for mode in [
            AuthMode::ApiKey,
            AuthMode::SecurityToken,
            AuthMode::InstancePrincipal,
            AuthMode::InstancePrincipalWithCerts,
            AuthMode::ResourcePrincipal,
            AuthMode::OkeWorkloadIdentity,
            AuthMode::WorkloadIdentityFederation,
        ] {
            if value.eq_ignore_ascii_case(mode.as_str()) {
                return Ok(mode);
            }
        }
        Err(ConfigError::new(
            Some("auth"),
            format!(
                "invalid auth value {value:?}: expected one of {} (case-insensitive)",
                ALL_AUTH.join(", ")
            ),
        ))
    }
}

/// A configuration problem. `argument` names the setting at fault, when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub argument: Option<&'static str>,
    pub message: String,
}

impl ConfigError {
    pub fn new(argument: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            argument,
            message: message.into(),
        }
    }
}

impl From<EndpointError> for ConfigError {
    fn from(e: EndpointError) -> Self {
        Self::new(e.argument, e.message)
    }
}

/// Credentials, region and retry policy: everything a service client needs besides its
/// endpoint, which it resolves itself from [`Self::region`] and [`Self::endpoints`].
#[derive(Clone)]
pub struct ResolvedConfig {
    pub auth: AuthMode,
    pub tenancy_ocid: String,
    /// Absent for SecurityToken auth when the profile has no `user`.
    pub user_ocid: Option<String>,
    /// The region identifier; empty when no region was given (an endpoint override can make
    /// it unnecessary).
    pub region: String,
    /// The keyId of the static modes (ApiKey, SecurityToken); empty for the principal modes,
    /// whose keyId changes with every session token.
    pub key_id: String,
    /// Where the signer of each request comes from.
    pub credentials: SharedSource,
    pub retry: RetryPolicy,
    /// The inputs of every service's endpoint.
    pub endpoints: EndpointSettings,
    /// The config file consulted, if it exists.
    pub config_file: Option<PathBuf>,
    /// The profile consulted.
    pub profile: String,
    /// Non-fatal problems worth showing the user (e.g. a fingerprint that does not match the key).
    pub warnings: Vec<String>,
    /// "region is not set: …", naming where the region was looked for.
    region_missing: String,
}

impl ResolvedConfig {
    /// The endpoint of `service` (see [`EndpointSettings::resolve`]); an error naming where
    /// the region was looked for when no endpoint setting, override or region is given.
    pub fn endpoint(&self, service: &ServiceEndpoint) -> Result<String, EndpointError> {
        self.endpoints
            .resolve(service, Some(&self.region))?
            .ok_or_else(|| EndpointError::new(Some("region"), self.region_missing.clone()))
    }
}

impl fmt::Debug for ResolvedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedConfig")
            .field("auth", &self.auth)
            .field("tenancy_ocid", &self.tenancy_ocid)
            .field("user_ocid", &self.user_ocid)
            .field("region", &self.region)
            .field("key_id", &redact_key_id(&self.key_id))
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("endpoints", &self.endpoints)
            .field("config_file", &self.config_file)
            .field("profile", &self.profile)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Resolves settings, environment and config file into a [`ResolvedConfig`]. `env` looks up
/// environment variables; production passes `&|k| std::env::var(k).ok()`.
pub fn resolve(
    settings: &Settings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedConfig, ConfigError> {
    let lookup = Lookup {
        env,
        origin: settings.origin(),
    };
    let home = lookup.env("HOME");

    let auth = match lookup.get(&settings.auth, "auth") {
        Some(found) => AuthMode::parse(&found.value)?,
        None => AuthMode::ApiKey,
    };
    if auth.is_principal() {
        return principal::resolve_principal(auth, settings, &lookup);
    }
    let named_profile = lookup
        .get(&settings.config_file_profile, "config_file_profile")
        .map(|f| f.value);
    if auth == AuthMode::SecurityToken && named_profile.is_none() {
        return Err(ConfigError::new(
            Some("config_file_profile"),
            "auth SecurityToken requires config_file_profile: name the profile written by `oci session authenticate`",
        ));
    }
    let file = ConfigFileRef::load(&lookup, home.as_deref(), named_profile.as_deref())?;

    let tenancy_ocid = lookup
        .get(&settings.tenancy_ocid, "tenancy_ocid")
        .or_else(|| file.value("tenancy"))
        .ok_or_else(|| file.missing("tenancy_ocid", "tenancy"))?;
    check_ocid("tenancy_ocid", &tenancy_ocid.value)?;
    let user_ocid = lookup
        .get(&settings.user_ocid, "user_ocid")
        .or_else(|| file.value("user"));
    if let Some(user) = &user_ocid {
        check_ocid("user_ocid", &user.value)?;
    }

    let endpoints = EndpointSettings {
        explicit: settings
            .identity_endpoint
            .iter()
            .map(|url| ("identity_endpoint", url.clone()))
            .collect::<BTreeMap<_, _>>(),
        host_overrides: host_overrides(&|k| lookup.env(k)),
        region_metadata: lookup.env("OCI_REGION_METADATA"),
        default_realm: lookup.env("OCI_DEFAULT_REALM"),
    };
    let region = lookup
        .get(&settings.region, "region")
        .or_else(|| file.value("region"))
        .map(|r| endpoints.canonical_region(&r.value))
        .unwrap_or_default();
    let region_missing = file.missing("region", "region").message;

    let key = load_key(settings, &lookup, &file, home.as_deref())?;
    let mut warnings = Vec::new();

    let key_id = match auth {
        AuthMode::ApiKey => {
            let user = user_ocid
                .as_ref()
                .ok_or_else(|| file.missing("user_ocid", "user"))?;
            let fingerprint = match lookup
                .get(&settings.fingerprint, "fingerprint")
                .or_else(|| file.value("fingerprint"))
            {
                Some(found) => {
                    let given = normalize_fingerprint(&found.value)?;
                    let actual = key.fingerprint();
                    if given != actual {
                        warnings.push(format!(
                            "fingerprint {given} (from {}) does not match the private key, whose fingerprint is {actual}; \
                             OCI will reject the requests with 401 NotAuthenticated unless the key registered under {given} is this key",
                            found.source.describe(&file)
                        ));
                    }
                    given
                }
                None => key.fingerprint(),
            };
            format!("{}/{}/{}", tenancy_ocid.value, user.value, fingerprint)
        }
        AuthMode::SecurityToken => {
            let token_file = file.value("security_token_file").ok_or_else(|| {
                ConfigError::new(
                    Some("config_file_profile"),
                    format!(
                        "auth SecurityToken: profile {} of {} has no security_token_file",
                        file.profile,
                        file.display()
                    ),
                )
            })?;
            let path = expand_tilde(&token_file.value, home.as_deref());
            let token = std::fs::read_to_string(&path).map_err(|e| {
                ConfigError::new(
                    Some("config_file_profile"),
                    format!("cannot read security_token_file {}: {e}", path.display()),
                )
            })?;
            let token = token.trim();
            if token.is_empty() {
                return Err(ConfigError::new(
                    Some("config_file_profile"),
                    format!("security_token_file {} is empty; run `oci session authenticate` or `oci session refresh`", path.display()),
                ));
            }
            format!("ST${token}")
        }
        _ => unreachable!("principal modes are resolved by principal::resolve_principal"),
    };

    let retry = retry_policy_from(settings, &lookup)?;
    let signer = Signer::new(key_id.clone(), Arc::new(key));
    Ok(ResolvedConfig {
        auth,
        tenancy_ocid: tenancy_ocid.value,
        user_ocid: user_ocid.map(|u| u.value),
        region,
        key_id,
        credentials: Arc::new(StaticSource::new(auth.as_str(), signer)),
        retry,
        endpoints,
        config_file: file.exists.then(|| file.path.clone()).flatten(),
        profile: file.profile.clone(),
        warnings,
        region_missing,
    })
}

/// The largest retry budget accepted, in seconds (one day); a negative budget, the official
/// provider's "retry for the longest time", stands for it.
pub const MAX_RETRY_DURATION_SECONDS: i64 = 86_400;

/// Why a `retry_duration_seconds` value is refused (`value` as the user wrote it).
pub fn retry_duration_problem(value: &str) -> String {
    format!(
        "retry_duration_seconds is {value}: it must be a whole number of seconds, at most {MAX_RETRY_DURATION_SECONDS} (one day). \
         0 turns retries off; a negative value means \"retry for the longest time\", which is {MAX_RETRY_DURATION_SECONDS} seconds here."
    )
}

/// Builds the retry policy from the settings alone (no environment): see [`resolve`].
pub fn retry_policy(settings: &Settings) -> Result<RetryPolicy, ConfigError> {
    let lookup = Lookup {
        env: &|_| None,
        origin: settings.origin(),
    };
    retry_policy_from(settings, &lookup)
}

/// The retry policy: `retry_duration_seconds` (else `TF_VAR_retry_duration_seconds`, else
/// `OCI_RETRY_DURATION_SECONDS`) sets the budget — 0 = no retries, negative = the longest,
/// [`MAX_RETRY_DURATION_SECONDS`]; `disable_auto_retries` (same environment fallback) turns
/// retries off.
fn retry_policy_from(settings: &Settings, lookup: &Lookup<'_>) -> Result<RetryPolicy, ConfigError> {
    let budget = match settings.retry_duration_seconds {
        Some(seconds) => Some(seconds),
        None => match lookup.get(&None, "retry_duration_seconds") {
            Some(found) => Some(found.value.parse::<i64>().map_err(|_| {
                ConfigError::new(
                    Some("retry_duration_seconds"),
                    format!(
                        "{} (from {})",
                        retry_duration_problem(&format!("{:?}", found.value)),
                        describe_env(&found.source)
                    ),
                )
            })?),
            None => None,
        },
    };
    let budget = match budget {
        Some(seconds) if seconds < 0 => Some(MAX_RETRY_DURATION_SECONDS),
        Some(seconds) if seconds > MAX_RETRY_DURATION_SECONDS => {
            return Err(ConfigError::new(
                Some("retry_duration_seconds"),
                retry_duration_problem(&seconds.to_string()),
            ))
        }
        other => other,
    };
    let disabled = match settings.disable_auto_retries {
        Some(disabled) => disabled,
        None => match lookup.get(&None, "disable_auto_retries") {
            Some(found) => parse_go_bool(&found.value).ok_or_else(|| {
                ConfigError::new(
                    Some("disable_auto_retries"),
                    format!(
                        "disable_auto_retries is {:?} (from {}): it must be true or false",
                        found.value,
                        describe_env(&found.source)
                    ),
                )
            })?,
            None => false,
        },
    };
    RetryPolicy::from_budget(budget, disabled)
        .map_err(|e| ConfigError::new(Some("retry_duration_seconds"), e.to_string()))
}

fn describe_env(source: &precedence::Source) -> String {
    match source {
        precedence::Source::Env(var) => format!("environment variable {var}"),
        precedence::Source::Setting(origin) => (*origin).to_owned(),
        precedence::Source::Profile(key) => format!("`{key}` in the config profile"),
    }
}

/// A boolean as Go's `strconv.ParseBool` reads it (the official provider's environment
/// defaults go through it).
fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Finds the key and pass phrase by precedence and loads the key; errors name the setting to fix.
fn load_key(
    settings: &Settings,
    lookup: &Lookup<'_>,
    file: &ConfigFileRef,
    home: Option<&str>,
) -> Result<RsaPrivateKey, ConfigError> {
    let password = lookup
        .get(&settings.private_key_password, "private_key_password")
        .or_else(|| file.value("pass_phrase"));
    let passphrase = password.as_ref().map(|p| p.value.as_str());
    let (result, argument) = if let Some(found) = lookup.get(&settings.private_key, "private_key") {
        let origin = format!("private_key (from {})", found.source.describe(file));
        let input = KeyInput::Text {
            pem: &found.value,
            origin: &origin,
        };
        (load_private_key(input, passphrase), "private_key")
    } else {
        let (path, argument) = match lookup.get(&settings.private_key_path, "private_key_path") {
            Some(found) => (found.value, "private_key_path"),
            None => match file.value("key_file") {
                Some(found) => (found.value, "config_file_profile"),
                None => return Err(file.missing_key()),
            },
        };
        let path = expand_tilde(&path, home);
        (
            load_private_key(KeyInput::File(&path), passphrase),
            argument,
        )
    };
    result.map_err(|e| {
        let explicit_password = password.as_ref().is_some_and(|p| p.source.is_explicit());
        let argument = match e.fault {
            KeyFault::MissingPassphrase => "private_key_password",
            KeyFault::WrongPassphrase if explicit_password => "private_key_password",
            _ => argument,
        };
        ConfigError::new(Some(argument), e.message)
    })
}

/// Lowercases a fingerprint and checks it is 16 colon-separated hex bytes.
fn normalize_fingerprint(value: &str) -> Result<String, ConfigError> {
    let fingerprint = value.trim().to_ascii_lowercase();
    let parts: Vec<&str> = fingerprint.split(':').collect();
    let valid = parts.len() == 16
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
    if !valid {
        return Err(ConfigError::new(
            Some("fingerprint"),
            format!("fingerprint {value:?} is not a key fingerprint (16 colon-separated hex bytes, e.g. 12:34:56:...)"),
        ));
    }
    Ok(fingerprint)
}

fn check_ocid(argument: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(ConfigError::new(
            Some(argument),
            format!("{argument} {value:?} is not a valid OCID"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{IdentityClient, IDENTITY_SERVICE};
    use crate::keys::tests::{fixture, FIXTURE_FINGERPRINT, FIXTURE_PASS};
    use std::collections::HashMap;
    use std::time::Duration;

    const TENANCY: &str = "ocid1.tenancy.oc1..tenancy";
    const USER: &str = "ocid1.user.oc1..user";

    fn key_path(name: &str) -> String {
        format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    struct Setup {
        dir: tempfile::TempDir,
        vars: HashMap<String, String>,
    }

    impl Setup {
        /// A HOME with `.oci/config` holding `config`.
        fn new(config: &str) -> Self {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join(".oci")).unwrap();
            std::fs::write(dir.path().join(".oci/config"), config).unwrap();
            let mut vars = HashMap::new();
            vars.insert("HOME".to_owned(), dir.path().display().to_string());
            Self { dir, vars }
        }

        fn set(mut self, key: &str, value: &str) -> Self {
            self.vars.insert(key.to_owned(), value.to_owned());
            self
        }

        fn resolve(&self, settings: &Settings) -> Result<ResolvedConfig, ConfigError> {
            let vars = self.vars.clone();
            resolve(settings, &move |k| vars.get(k).cloned())
        }
    }

    fn default_profile() -> String {
        format!(
            "# comment\n[DEFAULT]\nuser = {USER}\nfingerprint = {FIXTURE_FINGERPRINT}\nkey_file = {}\ntenancy = {TENANCY}\nregion = us-ashburn-1\n\n\
             [OTHER]\n; another comment\nUSER=ocid1.user.oc1..other\nregion=eu-frankfurt-1\n",
            key_path("rsa2048_pkcs1.pem")
        )
    }

    #[test]
    fn default_profile_alone_is_enough() {
        let cfg = Setup::new(&default_profile())
            .resolve(&Settings::default())
            .unwrap();
        assert_eq!(cfg.auth, AuthMode::ApiKey);
        assert_eq!(cfg.tenancy_ocid, TENANCY);
        assert_eq!(cfg.user_ocid.as_deref(), Some(USER));
        assert_eq!(cfg.region, "us-ashburn-1");
        assert_eq!(
            cfg.key_id,
            format!("{TENANCY}/{USER}/{FIXTURE_FINGERPRINT}")
        );
        let signer = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(cfg.credentials.signer())
            .unwrap();
        assert_eq!(signer.key_id(), cfg.key_id);
        assert_eq!(
            IdentityClient::endpoint(&cfg).unwrap(),
            "https://identity.us-ashburn-1.oci.oraclecloud.com"
        );
        assert_eq!(cfg.retry, RetryPolicy::default());
        assert_eq!(cfg.profile, "DEFAULT");
        assert!(cfg.warnings.is_empty());
    }

    #[test]
    fn named_profiles_inherit_default() {
        let setup = Setup::new(&default_profile()).set("OCI_CONFIG_FILE_PROFILE", "OTHER");
        let cfg = setup.resolve(&Settings::default()).unwrap();
        assert_eq!(cfg.user_ocid.as_deref(), Some("ocid1.user.oc1..other"));
        assert_eq!(cfg.region, "eu-frankfurt-1");
        assert_eq!(cfg.tenancy_ocid, TENANCY, "inherited from DEFAULT");
    }

    #[test]
    fn precedence_setting_then_tf_var_then_oci_then_profile() {
        let setup = Setup::new(&default_profile());
        let settings = Settings {
            region: Some("phx".into()),
            ..Default::default()
        };
        let setup = setup
            .set("TF_VAR_region", "fra")
            .set("OCI_REGION", "lhr")
            .set("OCI_USER_OCID", "ocid1.user.oc1..env");
        let cfg = setup.resolve(&settings).unwrap();
        assert_eq!(cfg.region, "us-phoenix-1");
        assert_eq!(cfg.user_ocid.as_deref(), Some("ocid1.user.oc1..env"));
        let cfg = setup.resolve(&Settings::default()).unwrap();
        assert_eq!(cfg.region, "eu-frankfurt-1");
        let setup = setup.set("TF_VAR_region", "  ");
        assert_eq!(
            setup.resolve(&Settings::default()).unwrap().region,
            "uk-london-1"
        );
        let blank = Settings {
            region: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(setup.resolve(&blank).unwrap().region, "uk-london-1");
    }

    #[test]
    fn config_file_path_env_overrides_home() {
        let setup = Setup::new("[DEFAULT]\ntenancy = ocid1.tenancy.oc1..home\n");
        let other = setup.dir.path().join("elsewhere");
        std::fs::write(&other, default_profile()).unwrap();
        let setup = setup.set("OCI_CLI_CONFIG_FILE", &other.display().to_string());
        let cfg = setup.resolve(&Settings::default()).unwrap();
        assert_eq!(cfg.tenancy_ocid, TENANCY);
        assert_eq!(cfg.config_file.as_deref(), Some(other.as_path()));
        // OCI_CONFIG_FILE wins over OCI_CLI_CONFIG_FILE and is used even when missing.
        let setup = setup.set("OCI_CONFIG_FILE", "~/missing");
        let err = setup.resolve(&Settings::default()).unwrap_err();
        assert_eq!(err.argument, Some("tenancy_ocid"));
        assert!(
            err.message.contains("missing (file not found)"),
            "{}",
            err.message
        );
    }

    #[test]
    fn missing_values_say_where_they_were_looked_for() {
        let setup = Setup::new("[DEFAULT]\nregion = iad\n");
        let block = Settings {
            origin: Some("the configuration block"),
            ..Default::default()
        };
        let err = setup.resolve(&block).unwrap_err();
        let path = setup.dir.path().join(".oci/config");
        assert_eq!(err.argument, Some("tenancy_ocid"));
        assert_eq!(
            err.message,
            format!(
                "tenancy_ocid is not set: set it in the configuration block, TF_VAR_tenancy_ocid/OCI_TENANCY_OCID, or `tenancy` in profile DEFAULT of {}",
                path.display()
            )
        );
        let setup = setup.set("OCI_TENANCY_OCID", TENANCY);
        let err = setup.resolve(&Settings::default()).unwrap_err();
        assert_eq!(err.argument, Some("private_key"));
        assert!(err.message.contains("key_file"), "{}", err.message);
        let settings = Settings {
            private_key_path: Some(key_path("rsa2048_pkcs8.pem")),
            ..Default::default()
        };
        let err = setup.resolve(&settings).unwrap_err();
        assert_eq!(err.argument, Some("user_ocid"));
        // The region is needed only to find a service endpoint: each client asks for it.
        let no_region = Setup::new("")
            .set("OCI_TENANCY_OCID", TENANCY)
            .set("OCI_USER_OCID", USER);
        let cfg = no_region.resolve(&settings).unwrap();
        let err = cfg.endpoint(&IDENTITY_SERVICE).unwrap_err();
        assert_eq!(err.argument, Some("region"));
        assert!(
            err.message.starts_with("region is not set: set it in the explicit settings, TF_VAR_region/OCI_REGION, or `region` in profile DEFAULT of "),
            "{}",
            err.message
        );
        assert!(IdentityClient::new(&cfg).is_err());
    }

    #[test]
    fn unknown_named_profile_is_an_error() {
        let setup = Setup::new(&default_profile());
        let settings = Settings {
            config_file_profile: Some("NOPE".into()),
            ..Default::default()
        };
        let err = setup.resolve(&settings).unwrap_err();
        assert_eq!(err.argument, Some("config_file_profile"));
        assert!(
            err.message.contains("\"NOPE\"") && err.message.contains("DEFAULT, OTHER"),
            "{}",
            err.message
        );
    }

    #[test]
    fn private_key_text_wins_and_literal_newlines_are_expanded() {
        let setup =
            Setup::new(&default_profile().replace(&key_path("rsa2048_pkcs1.pem"), "/nonexistent"));
        let flattened = fixture("rsa2048_pkcs8.pem").replace('\n', "\\n");
        let settings = Settings {
            private_key: Some(flattened),
            private_key_path: Some("/also/nonexistent".into()),
            ..Default::default()
        };
        let cfg = setup.resolve(&settings).unwrap();
        assert!(cfg.key_id.ends_with(FIXTURE_FINGERPRINT));
        let err = setup.resolve(&Settings::default()).unwrap_err();
        assert_eq!(err.argument, Some("config_file_profile"));
        assert!(err.message.contains("/nonexistent"));
    }

    #[test]
    fn encrypted_keys_and_pass_phrases() {
        let profile = default_profile().replace("rsa2048_pkcs1.pem", "rsa2048_pkcs8_encrypted.pem");
        let setup = Setup::new(&profile);
        let err = setup.resolve(&Settings::default()).unwrap_err();
        assert_eq!(err.argument, Some("private_key_password"));
        assert!(err.message.contains("no pass phrase"));

        let wrong = Settings {
            private_key_password: Some("hunter2".into()),
            ..Default::default()
        };
        let err = setup.resolve(&wrong).unwrap_err();
        assert_eq!(err.argument, Some("private_key_password"));
        assert!(
            err.message.contains("wrong pass phrase") && !err.message.contains("hunter2"),
            "{}",
            err.message
        );

        let right = Settings {
            private_key_password: Some(FIXTURE_PASS.into()),
            ..Default::default()
        };
        assert!(setup.resolve(&right).is_ok());
        for key in ["pass_phrase", "passphrase"] {
            let in_default = Setup::new(
                &profile.replace("[DEFAULT]\n", &format!("[DEFAULT]\n{key}={FIXTURE_PASS}\n")),
            );
            assert!(in_default.resolve(&Settings::default()).is_ok(), "{key}");
        }
    }

    #[test]
    fn fingerprint_is_computed_when_missing_and_checked_when_given() {
        let without =
            default_profile().replace(&format!("fingerprint = {FIXTURE_FINGERPRINT}\n"), "");
        let cfg = Setup::new(&without).resolve(&Settings::default()).unwrap();
        assert!(cfg.key_id.ends_with(FIXTURE_FINGERPRINT));

        let other = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99";
        let settings = Settings {
            fingerprint: Some(other.to_uppercase()),
            ..Default::default()
        };
        let cfg = Setup::new(&default_profile()).resolve(&settings).unwrap();
        assert!(cfg.key_id.ends_with(other));
        assert_eq!(cfg.warnings.len(), 1);
        assert!(cfg.warnings[0].contains(FIXTURE_FINGERPRINT));

        let bad = Settings {
            fingerprint: Some("abc".into()),
            ..Default::default()
        };
        assert_eq!(
            Setup::new(&default_profile())
                .resolve(&bad)
                .unwrap_err()
                .argument,
            Some("fingerprint")
        );
    }

    #[test]
    fn auth_modes() {
        let setup = Setup::new(&default_profile());
        for (value, expected) in [("apikey", AuthMode::ApiKey), ("APIKEY", AuthMode::ApiKey)] {
            let settings = Settings {
                auth: Some(value.into()),
                ..Default::default()
            };
            assert_eq!(setup.resolve(&settings).unwrap().auth, expected);
        }
        let settings = Settings {
            auth: Some("instanceprincipal".into()),
            ..Default::default()
        };
        assert_eq!(
            setup.resolve(&settings).unwrap().auth,
            AuthMode::InstancePrincipal
        );
        let settings = Settings {
            auth: Some("workloadidentityfederation".into()),
            ..Default::default()
        };
        let err = setup.resolve(&settings).unwrap_err();
        assert_eq!(err.argument, Some("auth"));
        assert!(
            err.message.contains("missing required WorkloadIdentityFederation configuration field(s): region, workload_identity_token_path, token_exchange_domain_url, token_exchange_requested_token_type, token_exchange_client_id, token_exchange_client_secret"),
            "{}",
            err.message
        );
        let settings = Settings {
            auth: Some("Magic".into()),
            ..Default::default()
        };
        let err = setup.resolve(&settings).unwrap_err();
        assert!(
            err.message
                .contains("ApiKey, SecurityToken, InstancePrincipal"),
            "{}",
            err.message
        );
        let from_env = setup.set("TF_VAR_auth", "ResourcePrincipal");
        assert!(from_env
            .resolve(&Settings::default())
            .unwrap_err()
            .message
            .contains("ResourcePrincipal"));
    }

    #[test]
    fn security_token_auth() {
        let setup = Setup::new("");
        let token_path = setup.dir.path().join("token");
        std::fs::write(&token_path, "eyJhbGciOi.session.token\n").unwrap();
        let config = format!(
            "[SESSION]\nfingerprint = {FIXTURE_FINGERPRINT}\nkey_file = {}\ntenancy = {TENANCY}\nregion = iad\nsecurity_token_file = ~/token\n",
            key_path("rsa2048_pkcs8.pem")
        );
        std::fs::write(setup.dir.path().join(".oci/config"), config).unwrap();
        let mut settings = Settings {
            auth: Some("securitytoken".into()),
            ..Default::default()
        };
        let err = setup.resolve(&settings).unwrap_err();
        assert_eq!(err.argument, Some("config_file_profile"));
        settings.config_file_profile = Some("SESSION".into());
        let cfg = setup.resolve(&settings).unwrap();
        assert_eq!(cfg.auth, AuthMode::SecurityToken);
        assert_eq!(cfg.key_id, "ST$eyJhbGciOi.session.token");
        assert_eq!(cfg.user_ocid, None);
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("eyJhbGciOi"), "{shown}");
    }

    #[test]
    fn endpoint_overrides_make_region_optional() {
        let setup = Setup::new("")
            .set("OCI_TENANCY_OCID", TENANCY)
            .set("OCI_USER_OCID", USER);
        let setup = setup.set(
            "CLIENT_HOST_OVERRIDES",
            "oci_identity.IdentityClient=http://127.0.0.1:4567",
        );
        let settings = Settings {
            private_key_path: Some(key_path("rsa2048_pkcs1.pem")),
            ..Default::default()
        };
        let cfg = setup.resolve(&settings).unwrap();
        assert_eq!(
            IdentityClient::endpoint(&cfg).unwrap(),
            "http://127.0.0.1:4567"
        );
        assert_eq!(cfg.region, "");
        let explicit = Settings {
            identity_endpoint: Some("http://localhost:1/".into()),
            ..settings
        };
        assert_eq!(
            IdentityClient::endpoint(&setup.resolve(&explicit).unwrap()).unwrap(),
            "http://localhost:1"
        );
        assert_eq!(
            IdentityClient::new(&setup.resolve(&explicit).unwrap())
                .unwrap()
                .base_url(),
            "http://localhost:1"
        );
    }

    #[test]
    fn retry_settings() {
        let settings = Settings {
            retry_duration_seconds: Some(5),
            ..Default::default()
        };
        assert_eq!(
            retry_policy(&settings).unwrap().max_duration,
            Duration::from_secs(5)
        );
        let settings = Settings {
            disable_auto_retries: Some(true),
            ..Default::default()
        };
        assert!(!retry_policy(&settings).unwrap().enabled);
        // A negative budget is the official "retry for the longest time": the maximum here.
        for negative in [-1, -100, i64::MIN] {
            let settings = Settings {
                retry_duration_seconds: Some(negative),
                ..Default::default()
            };
            assert_eq!(
                retry_policy(&settings).unwrap().max_duration,
                Duration::from_secs(MAX_RETRY_DURATION_SECONDS as u64)
            );
        }
        let settings = Settings {
            retry_duration_seconds: Some(MAX_RETRY_DURATION_SECONDS + 1),
            ..Default::default()
        };
        let err = retry_policy(&settings).unwrap_err();
        assert_eq!(err.argument, Some("retry_duration_seconds"));
        assert!(err.message.contains("at most 86400"), "{}", err.message);
    }

    #[test]
    fn retry_settings_from_the_environment() {
        let setup = Setup::new(&default_profile())
            .set("TF_VAR_retry_duration_seconds", "7")
            .set("OCI_RETRY_DURATION_SECONDS", "9");
        let cfg = setup.resolve(&Settings::default()).unwrap();
        assert_eq!(cfg.retry.max_duration, Duration::from_secs(7));
        // The provider block wins over the environment.
        let explicit = Settings {
            retry_duration_seconds: Some(3),
            ..Default::default()
        };
        assert_eq!(
            setup.resolve(&explicit).unwrap().retry.max_duration,
            Duration::from_secs(3)
        );
        let setup = Setup::new(&default_profile()).set("OCI_RETRY_DURATION_SECONDS", "-1");
        assert_eq!(
            setup
                .resolve(&Settings::default())
                .unwrap()
                .retry
                .max_duration,
            Duration::from_secs(MAX_RETRY_DURATION_SECONDS as u64)
        );
        for bad in ["1.5", "abc", "86401", "1e3"] {
            let setup = Setup::new(&default_profile()).set("TF_VAR_retry_duration_seconds", bad);
            let err = setup.resolve(&Settings::default()).unwrap_err();
            assert_eq!(err.argument, Some("retry_duration_seconds"), "{bad}");
            assert!(
                err.message.contains("retry_duration_seconds is ")
                    && (bad == "86401"
                        || err
                            .message
                            .contains("environment variable TF_VAR_retry_duration_seconds")),
                "{bad}: {}",
                err.message
            );
        }
        let setup = Setup::new(&default_profile()).set("OCI_DISABLE_AUTO_RETRIES", "true");
        assert!(!setup.resolve(&Settings::default()).unwrap().retry.enabled);
        let setup = Setup::new(&default_profile()).set("TF_VAR_disable_auto_retries", "maybe");
        assert_eq!(
            setup.resolve(&Settings::default()).unwrap_err().argument,
            Some("disable_auto_retries")
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let settings = Settings {
            private_key: Some("fake key material MIIsecret".into()),
            private_key_password: Some("hunter2".into()),
            ..Default::default()
        };
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("MIIsecret")
                && !shown.contains("hunter2")
                && shown.contains("(sensitive)"),
            "{shown}"
        );
        let cfg = Setup::new(&default_profile())
            .resolve(&Settings::default())
            .unwrap();
        let shown = format!("{cfg:?}");
        let key_line = fixture("rsa2048_pkcs1.pem")
            .lines()
            .nth(2)
            .unwrap()
            .to_owned();
        assert!(!shown.contains(&key_line));
    }

    #[test]
    fn region_keys_from_region_metadata_become_identifiers() {
        let meta = r#"{"realmKey":"oc99","realmDomainComponent":"example.com","regionKey":"xyz","regionIdentifier":"xx-city-1"}"#;
        let setup = Setup::new(&default_profile().replace("region = us-ashburn-1", "region = xyz"))
            .set("OCI_REGION_METADATA", meta);
        let cfg = setup.resolve(&Settings::default()).unwrap();
        assert_eq!(cfg.region, "xx-city-1");
        assert_eq!(
            IdentityClient::endpoint(&cfg).unwrap(),
            "https://identity.xx-city-1.oci.example.com"
        );
    }

    #[test]
    fn the_origin_names_explicit_settings_in_messages() {
        let other = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99";
        let settings = Settings {
            fingerprint: Some(other.into()),
            origin: Some("the example block"),
            ..Default::default()
        };
        let cfg = Setup::new(&default_profile()).resolve(&settings).unwrap();
        assert!(
            cfg.warnings[0].contains("(from the example block)"),
            "{}",
            cfg.warnings[0]
        );
        let err = Setup::new("").resolve(&settings).unwrap_err();
        assert!(
            err.message
                .starts_with("tenancy_ocid is not set: set it in the example block, "),
            "{}",
            err.message
        );
    }

    #[test]
    fn retry_budget_zero_means_no_waiting() {
        let settings = Settings {
            retry_duration_seconds: Some(0),
            ..Default::default()
        };
        assert_eq!(
            retry_policy(&settings).unwrap().max_duration,
            Duration::ZERO
        );
    }
}
