//! Credentials and settings, resolved the way OCI users already have them.
//!
//! Each value comes from the first place that has it (blank strings count as unset):
//! 1. the explicit setting ([`ProviderSettings`]);
//! 2. the environment: `TF_VAR_<arg>`, then `OCI_<ARG>` (e.g. `TF_VAR_tenancy_ocid`,
//!    `OCI_TENANCY_OCID`);
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
//! Nothing here puts key material, pass phrases or session tokens into messages.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::client::RetryPolicy;
use super::endpoints::resolve_identity_endpoint;
use super::keys::{KeyError, RsaPrivateKey};
use super::signer::{redact_key_id, Signer};

/// Environment variables naming the config file, in lookup order.
pub const CONFIG_FILE_ENV_VARS: [&str; 2] = ["OCI_CONFIG_FILE", "OCI_CLI_CONFIG_FILE"];
/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "DEFAULT";

/// Settings as given by the user (e.g. a provider configuration block). `None` = not set.
#[derive(Default, Clone)]
pub struct ProviderSettings {
    pub auth: Option<String>,
    pub tenancy_ocid: Option<String>,
    pub user_ocid: Option<String>,
    pub fingerprint: Option<String>,
    pub private_key: Option<String>,
    pub private_key_path: Option<String>,
    pub private_key_password: Option<String>,
    pub region: Option<String>,
    pub config_file_profile: Option<String>,
    /// Base URL of the Identity API (scheme, host, optional port; no path).
    pub identity_endpoint: Option<String>,
    pub retry_duration_seconds: Option<i64>,
    pub disable_auto_retries: Option<bool>,
}

impl fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sensitive = |v: &Option<String>| v.as_ref().map(|_| "(sensitive)");
        f.debug_struct("ProviderSettings")
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
            .finish()
    }
}

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// keyId `<tenancy>/<user>/<fingerprint>`, signed with the user's API key.
    ApiKey,
    /// keyId `ST$<session token>`, signed with the session key (`oci session authenticate`).
    SecurityToken,
}

const SUPPORTED_AUTH: [&str; 2] = ["ApiKey", "SecurityToken"];
const UNSUPPORTED_AUTH: [&str; 5] = [
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
        }
    }

    /// Parses an `auth` value, case-insensitively.
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("ApiKey") {
            return Ok(AuthMode::ApiKey);
        }
        if value.eq_ignore_ascii_case("SecurityToken") {
            return Ok(AuthMode::SecurityToken);
        }
        if let Some(known) = UNSUPPORTED_AUTH
            .iter()
            .find(|m| m.eq_ignore_ascii_case(value))
        {
            return Err(ConfigError::new(
                Some("auth"),
                format!("auth mode {known} is not supported by this provider yet; use ApiKey or SecurityToken"),
            ));
        }
        let all: Vec<&str> = SUPPORTED_AUTH
            .iter()
            .chain(UNSUPPORTED_AUTH.iter())
            .copied()
            .collect();
        Err(ConfigError::new(
            Some("auth"),
            format!(
                "invalid auth value {value:?}: expected one of {} (case-insensitive)",
                all.join(", ")
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

/// Everything needed to call the Identity API.
#[derive(Clone)]
pub struct ResolvedConfig {
    pub auth: AuthMode,
    pub tenancy_ocid: String,
    /// Absent for SecurityToken auth when the profile has no `user`.
    pub user_ocid: Option<String>,
    /// The region identifier; empty when no region was given because an endpoint override
    /// made it unnecessary.
    pub region: String,
    pub key_id: String,
    pub signer: Signer,
    /// Base URL without `/20160918`, e.g. `https://identity.us-ashburn-1.oci.oraclecloud.com`.
    pub identity_endpoint: String,
    pub retry: RetryPolicy,
    /// The config file consulted, if it exists.
    pub config_file: Option<PathBuf>,
    /// The profile consulted.
    pub profile: String,
    /// Non-fatal problems worth showing the user (e.g. a fingerprint that does not match the key).
    pub warnings: Vec<String>,
}

impl fmt::Debug for ResolvedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedConfig")
            .field("auth", &self.auth)
            .field("tenancy_ocid", &self.tenancy_ocid)
            .field("user_ocid", &self.user_ocid)
            .field("region", &self.region)
            .field("key_id", &redact_key_id(&self.key_id))
            .field("identity_endpoint", &self.identity_endpoint)
            .field("retry", &self.retry)
            .field("config_file", &self.config_file)
            .field("profile", &self.profile)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Resolves settings, environment and config file into a [`ResolvedConfig`]. `env` looks up
/// environment variables; production passes `&|k| std::env::var(k).ok()`.
pub fn resolve(
    settings: &ProviderSettings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedConfig, ConfigError> {
    let env = |key: &str| env(key).filter(|v| !v.trim().is_empty());
    let lookup = |explicit: &Option<String>, arg: &str| -> Option<Found> {
        if let Some(value) = explicit.as_ref().filter(|v| !v.trim().is_empty()) {
            return Some(Found {
                value: value.trim().to_owned(),
                source: Source::Setting,
            });
        }
        [
            format!("TF_VAR_{arg}"),
            format!("OCI_{}", arg.to_ascii_uppercase()),
        ]
        .into_iter()
        .find_map(|var| {
            env(&var).map(|value| Found {
                value: value.trim().to_owned(),
                source: Source::Env(var),
            })
        })
    };
    let home = env("HOME");

    let auth = match lookup(&settings.auth, "auth") {
        Some(found) => AuthMode::parse(&found.value)?,
        None => AuthMode::ApiKey,
    };
    let named_profile =
        lookup(&settings.config_file_profile, "config_file_profile").map(|f| f.value);
    if auth == AuthMode::SecurityToken && named_profile.is_none() {
        return Err(ConfigError::new(
            Some("config_file_profile"),
            "auth SecurityToken requires config_file_profile: name the profile written by `oci session authenticate`",
        ));
    }
    let file = ConfigFileRef::load(&env, home.as_deref(), named_profile.as_deref())?;

    let tenancy_ocid = lookup(&settings.tenancy_ocid, "tenancy_ocid")
        .or_else(|| file.value("tenancy"))
        .ok_or_else(|| file.missing("tenancy_ocid", "tenancy"))?;
    check_ocid("tenancy_ocid", &tenancy_ocid.value)?;
    let user_ocid = lookup(&settings.user_ocid, "user_ocid").or_else(|| file.value("user"));
    if let Some(user) = &user_ocid {
        check_ocid("user_ocid", &user.value)?;
    }
    let region = lookup(&settings.region, "region").or_else(|| file.value("region"));

    let identity_endpoint = resolve_identity_endpoint(
        settings.identity_endpoint.as_deref(),
        &env,
        region.as_ref().map(|r| r.value.as_str()),
    )?
    .ok_or_else(|| file.missing("region", "region"))?;
    let region = region
        .map(|r| super::endpoints::canonical_region(&r.value))
        .unwrap_or_default();

    let key = load_private_key(settings, &lookup, &file, home.as_deref())?;
    let mut warnings = Vec::new();

    let key_id = match auth {
        AuthMode::ApiKey => {
            let user = user_ocid
                .as_ref()
                .ok_or_else(|| file.missing("user_ocid", "user"))?;
            let fingerprint = match lookup(&settings.fingerprint, "fingerprint")
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
    };

    let retry = retry_policy(settings)?;
    let signer = Signer::new(key_id.clone(), Arc::new(key));
    Ok(ResolvedConfig {
        auth,
        tenancy_ocid: tenancy_ocid.value,
        user_ocid: user_ocid.map(|u| u.value),
        region,
        key_id,
        signer,
        identity_endpoint,
        retry,
        config_file: file.exists.then(|| file.path.clone()).flatten(),
        profile: file.profile.clone(),
        warnings,
    })
}

/// Builds the retry policy: `retry_duration_seconds` sets the budget (0 = no retries; negative
/// is rejected), `disable_auto_retries = true` turns retries off.
pub fn retry_policy(settings: &ProviderSettings) -> Result<RetryPolicy, ConfigError> {
    let mut policy = RetryPolicy::default();
    if let Some(seconds) = settings.retry_duration_seconds {
        let seconds = u64::try_from(seconds).map_err(|_| {
            ConfigError::new(
                Some("retry_duration_seconds"),
                format!("retry_duration_seconds must be 0 or more, got {seconds}"),
            )
        })?;
        policy.max_duration = Duration::from_secs(seconds);
    }
    if settings.disable_auto_retries == Some(true) {
        policy.enabled = false;
    }
    Ok(policy)
}

/// Where a value came from.
#[derive(Debug, Clone)]
enum Source {
    Setting,
    Env(String),
    Profile(&'static str),
}

impl Source {
    fn describe(&self, file: &ConfigFileRef) -> String {
        match self {
            Source::Setting => "the provider settings".to_owned(),
            Source::Env(var) => format!("environment variable {var}"),
            Source::Profile(key) => {
                format!("`{key}` in profile {} of {}", file.profile, file.display())
            }
        }
    }
}

/// A setting and where it came from. Values can be keys or pass phrases: Debug hides them.
#[derive(Clone)]
struct Found {
    value: String,
    source: Source,
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Found")
            .field("value", &"(hidden)")
            .field("source", &self.source)
            .finish()
    }
}

/// The config file and the profile being read.
struct ConfigFileRef {
    path: Option<PathBuf>,
    exists: bool,
    profile: String,
    ini: Ini,
}

impl ConfigFileRef {
    fn load(
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&str>,
        named_profile: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let path = CONFIG_FILE_ENV_VARS
            .iter()
            .find_map(|var| env(var))
            .map(|p| expand_tilde(p.trim(), home))
            .or_else(|| home.map(|h| Path::new(h).join(".oci").join("config")));
        let profile = named_profile.unwrap_or(DEFAULT_PROFILE).to_owned();
        let exists = path.as_deref().is_some_and(Path::is_file);
        let ini = match (&path, exists) {
            (Some(p), true) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    ConfigError::new(
                        None,
                        format!("cannot read the OCI config file {}: {e}", p.display()),
                    )
                })?;
                Ini::parse(&text)
            }
            _ => Ini::default(),
        };
        let file = Self {
            path,
            exists,
            profile,
            ini,
        };
        if let Some(name) = named_profile {
            if !file.exists {
                return Err(ConfigError::new(
                    Some("config_file_profile"),
                    format!(
                        "config_file_profile is {name:?} but the OCI config file {} does not exist",
                        file.display()
                    ),
                ));
            }
            if !file.ini.sections.contains_key(name) {
                let mut names: Vec<&str> = file.ini.sections.keys().map(String::as_str).collect();
                names.sort_unstable();
                return Err(ConfigError::new(
                    Some("config_file_profile"),
                    format!(
                        "profile {name:?} was not found in {} (profiles there: {})",
                        file.display(),
                        names.join(", ")
                    ),
                ));
            }
        }
        Ok(file)
    }

    fn display(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "~/.oci/config".to_owned(), |p| p.display().to_string())
    }

    /// A profile value, falling back to `[DEFAULT]`.
    fn value(&self, key: &'static str) -> Option<Found> {
        [self.profile.as_str(), DEFAULT_PROFILE]
            .iter()
            .find_map(|section| self.ini.get(section, key))
            .map(|value| Found {
                value: value.to_owned(),
                source: Source::Profile(key),
            })
    }

    /// "`arg` is not set: set it in …" naming every place that was consulted.
    fn missing(&self, arg: &'static str, key: &str) -> ConfigError {
        let not_found = if self.exists { "" } else { " (file not found)" };
        ConfigError::new(
            Some(arg),
            format!(
                "{arg} is not set: set it in the provider block, TF_VAR_{arg}/OCI_{}, or `{key}` in profile {} of {}{not_found}",
                arg.to_ascii_uppercase(),
                self.profile,
                self.display()
            ),
        )
    }
}

/// A parsed INI file: `[SECTION]` headers, `key = value` lines (split on the first `=`),
/// `#`/`;` comment lines. Keys are case-insensitive; section names are case-sensitive.
#[derive(Debug, Default)]
struct Ini {
    sections: HashMap<String, HashMap<String, String>>,
}

impl Ini {
    fn parse(text: &str) -> Self {
        let mut ini = Ini::default();
        let mut current: Option<String> = None;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let name = name.trim().to_owned();
                ini.sections.entry(name.clone()).or_default();
                current = Some(name);
                continue;
            }
            let (Some(section), Some((key, value))) = (&current, line.split_once('=')) else {
                continue;
            };
            ini.sections
                .entry(section.clone())
                .or_default()
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        ini
    }

    fn get(&self, section: &str, key: &str) -> Option<&str> {
        let values = self.sections.get(section)?;
        let aliases: &[&str] = if key == "pass_phrase" {
            &["pass_phrase", "passphrase"]
        } else {
            &[key]
        };
        aliases
            .iter()
            .find_map(|k| values.get(*k))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

fn load_private_key(
    settings: &ProviderSettings,
    lookup: &dyn Fn(&Option<String>, &str) -> Option<Found>,
    file: &ConfigFileRef,
    home: Option<&str>,
) -> Result<RsaPrivateKey, ConfigError> {
    let password = lookup(&settings.private_key_password, "private_key_password")
        .or_else(|| file.value("pass_phrase"));
    let (pem, argument, origin) = if let Some(found) = lookup(&settings.private_key, "private_key")
    {
        (
            found.value.replace("\\n", "\n"),
            "private_key",
            format!("private_key (from {})", found.source.describe(file)),
        )
    } else {
        let (path, argument) = match lookup(&settings.private_key_path, "private_key_path") {
            Some(found) => (found.value, "private_key_path"),
            None => match file.value("key_file") {
                Some(found) => (found.value, "config_file_profile"),
                None => {
                    return Err(ConfigError::new(
                        Some("private_key"),
                        format!(
                            "no private key is set: set private_key or private_key_path in the provider block, \
                             TF_VAR_private_key/OCI_PRIVATE_KEY or TF_VAR_private_key_path/OCI_PRIVATE_KEY_PATH, \
                             or `key_file` in profile {} of {}{}",
                            file.profile,
                            file.display(),
                            if file.exists { "" } else { " (file not found)" }
                        ),
                    ))
                }
            },
        };
        let path = expand_tilde(&path, home);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            ConfigError::new(
                Some(argument),
                format!("cannot read the private key file {}: {e}", path.display()),
            )
        })?;
        (
            text,
            argument,
            format!("the private key file {}", path.display()),
        )
    };
    RsaPrivateKey::from_pem(&pem, password.as_ref().map(|p| p.value.as_str())).map_err(|e| {
        let argument = match (&e, &password) {
            (KeyError::MissingPassphrase, _) => "private_key_password",
            (
                KeyError::WrongPassphrase,
                Some(Found {
                    source: Source::Setting | Source::Env(_),
                    ..
                }),
            ) => "private_key_password",
            _ => argument,
        };
        ConfigError::new(Some(argument), format!("{origin}: {e}"))
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

/// Expands a leading `~` to the home directory.
fn expand_tilde(path: &str, home: Option<&str>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            PathBuf::from(format!("{home}{rest}"))
        }
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::{fixture, FIXTURE_FINGERPRINT, FIXTURE_PASS};

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

        fn resolve(&self, settings: &ProviderSettings) -> Result<ResolvedConfig, ConfigError> {
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
            .resolve(&ProviderSettings::default())
            .unwrap();
        assert_eq!(cfg.auth, AuthMode::ApiKey);
        assert_eq!(cfg.tenancy_ocid, TENANCY);
        assert_eq!(cfg.user_ocid.as_deref(), Some(USER));
        assert_eq!(cfg.region, "us-ashburn-1");
        assert_eq!(
            cfg.key_id,
            format!("{TENANCY}/{USER}/{FIXTURE_FINGERPRINT}")
        );
        assert_eq!(cfg.signer.key_id(), cfg.key_id);
        assert_eq!(
            cfg.identity_endpoint,
            "https://identity.us-ashburn-1.oci.oraclecloud.com"
        );
        assert_eq!(cfg.retry, RetryPolicy::default());
        assert_eq!(cfg.profile, "DEFAULT");
        assert!(cfg.warnings.is_empty());
    }

    #[test]
    fn named_profiles_inherit_default() {
        let setup = Setup::new(&default_profile()).set("OCI_CONFIG_FILE_PROFILE", "OTHER");
        let cfg = setup.resolve(&ProviderSettings::default()).unwrap();
        assert_eq!(cfg.user_ocid.as_deref(), Some("ocid1.user.oc1..other"));
        assert_eq!(cfg.region, "eu-frankfurt-1");
        assert_eq!(cfg.tenancy_ocid, TENANCY, "inherited from DEFAULT");
    }

    #[test]
    fn precedence_setting_then_tf_var_then_oci_then_profile() {
        let setup = Setup::new(&default_profile());
        let settings = ProviderSettings {
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
        let cfg = setup.resolve(&ProviderSettings::default()).unwrap();
        assert_eq!(cfg.region, "eu-frankfurt-1");
        let setup = setup.set("TF_VAR_region", "  ");
        assert_eq!(
            setup.resolve(&ProviderSettings::default()).unwrap().region,
            "uk-london-1"
        );
        let blank = ProviderSettings {
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
        let cfg = setup.resolve(&ProviderSettings::default()).unwrap();
        assert_eq!(cfg.tenancy_ocid, TENANCY);
        assert_eq!(cfg.config_file.as_deref(), Some(other.as_path()));
        // OCI_CONFIG_FILE wins over OCI_CLI_CONFIG_FILE and is used even when missing.
        let setup = setup.set("OCI_CONFIG_FILE", "~/missing");
        let err = setup.resolve(&ProviderSettings::default()).unwrap_err();
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
        let err = setup.resolve(&ProviderSettings::default()).unwrap_err();
        let path = setup.dir.path().join(".oci/config");
        assert_eq!(err.argument, Some("tenancy_ocid"));
        assert_eq!(
            err.message,
            format!(
                "tenancy_ocid is not set: set it in the provider block, TF_VAR_tenancy_ocid/OCI_TENANCY_OCID, or `tenancy` in profile DEFAULT of {}",
                path.display()
            )
        );
        let setup = setup.set("OCI_TENANCY_OCID", TENANCY);
        let err = setup.resolve(&ProviderSettings::default()).unwrap_err();
        assert_eq!(err.argument, Some("private_key"));
        assert!(err.message.contains("key_file"), "{}", err.message);
        let settings = ProviderSettings {
            private_key_path: Some(key_path("rsa2048_pkcs8.pem")),
            ..Default::default()
        };
        let err = setup.resolve(&settings).unwrap_err();
        assert_eq!(err.argument, Some("user_ocid"));
        let no_region = Setup::new("").set("OCI_TENANCY_OCID", TENANCY);
        let err = no_region.resolve(&settings).unwrap_err();
        assert_eq!(err.argument, Some("region"));
    }

    #[test]
    fn unknown_named_profile_is_an_error() {
        let setup = Setup::new(&default_profile());
        let settings = ProviderSettings {
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
        let settings = ProviderSettings {
            private_key: Some(flattened),
            private_key_path: Some("/also/nonexistent".into()),
            ..Default::default()
        };
        let cfg = setup.resolve(&settings).unwrap();
        assert!(cfg.key_id.ends_with(FIXTURE_FINGERPRINT));
        let err = setup.resolve(&ProviderSettings::default()).unwrap_err();
        assert_eq!(err.argument, Some("config_file_profile"));
        assert!(err.message.contains("/nonexistent"));
    }

    #[test]
    fn encrypted_keys_and_pass_phrases() {
        let profile = default_profile().replace("rsa2048_pkcs1.pem", "rsa2048_pkcs8_encrypted.pem");
        let setup = Setup::new(&profile);
        let err = setup.resolve(&ProviderSettings::default()).unwrap_err();
        assert_eq!(err.argument, Some("private_key_password"));
        assert!(err.message.contains("no pass phrase"));

        let wrong = ProviderSettings {
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

        let right = ProviderSettings {
            private_key_password: Some(FIXTURE_PASS.into()),
            ..Default::default()
        };
        assert!(setup.resolve(&right).is_ok());
        for key in ["pass_phrase", "passphrase"] {
            let in_default = Setup::new(
                &profile.replace("[DEFAULT]\n", &format!("[DEFAULT]\n{key}={FIXTURE_PASS}\n")),
            );
            assert!(
                in_default.resolve(&ProviderSettings::default()).is_ok(),
                "{key}"
            );
        }
    }

    #[test]
    fn fingerprint_is_computed_when_missing_and_checked_when_given() {
        let without =
            default_profile().replace(&format!("fingerprint = {FIXTURE_FINGERPRINT}\n"), "");
        let cfg = Setup::new(&without)
            .resolve(&ProviderSettings::default())
            .unwrap();
        assert!(cfg.key_id.ends_with(FIXTURE_FINGERPRINT));

        let other = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99";
        let settings = ProviderSettings {
            fingerprint: Some(other.to_uppercase()),
            ..Default::default()
        };
        let cfg = Setup::new(&default_profile()).resolve(&settings).unwrap();
        assert!(cfg.key_id.ends_with(other));
        assert_eq!(cfg.warnings.len(), 1);
        assert!(cfg.warnings[0].contains(FIXTURE_FINGERPRINT));

        let bad = ProviderSettings {
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
            let settings = ProviderSettings {
                auth: Some(value.into()),
                ..Default::default()
            };
            assert_eq!(setup.resolve(&settings).unwrap().auth, expected);
        }
        let settings = ProviderSettings {
            auth: Some("instanceprincipal".into()),
            ..Default::default()
        };
        let err = setup.resolve(&settings).unwrap_err();
        assert_eq!(err.argument, Some("auth"));
        assert_eq!(err.message, "auth mode InstancePrincipal is not supported by this provider yet; use ApiKey or SecurityToken");
        let settings = ProviderSettings {
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
            .resolve(&ProviderSettings::default())
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
        let mut settings = ProviderSettings {
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
        let settings = ProviderSettings {
            private_key_path: Some(key_path("rsa2048_pkcs1.pem")),
            ..Default::default()
        };
        let cfg = setup.resolve(&settings).unwrap();
        assert_eq!(cfg.identity_endpoint, "http://127.0.0.1:4567");
        assert_eq!(cfg.region, "");
        let explicit = ProviderSettings {
            identity_endpoint: Some("http://localhost:1/".into()),
            ..settings
        };
        assert_eq!(
            setup.resolve(&explicit).unwrap().identity_endpoint,
            "http://localhost:1"
        );
    }

    #[test]
    fn retry_settings() {
        let settings = ProviderSettings {
            retry_duration_seconds: Some(5),
            ..Default::default()
        };
        assert_eq!(
            retry_policy(&settings).unwrap().max_duration,
            Duration::from_secs(5)
        );
        let settings = ProviderSettings {
            disable_auto_retries: Some(true),
            ..Default::default()
        };
        assert!(!retry_policy(&settings).unwrap().enabled);
        let settings = ProviderSettings {
            retry_duration_seconds: Some(-1),
            ..Default::default()
        };
        assert_eq!(
            retry_policy(&settings).unwrap_err().argument,
            Some("retry_duration_seconds")
        );
    }

    #[test]
    fn ini_parsing() {
        let ini =
            Ini::parse("top = ignored\n[A]\nKey = v=with=equals\n# c\n; c\nnoequals\n[B ]\nk=\n");
        assert_eq!(ini.get("A", "key"), Some("v=with=equals"));
        assert_eq!(ini.get("A", "top"), None);
        assert_eq!(ini.get("B", "k"), None, "empty values count as unset");
        assert!(ini.sections.contains_key("B"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let settings = ProviderSettings {
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
            .resolve(&ProviderSettings::default())
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
    fn tilde_expansion() {
        assert_eq!(
            expand_tilde("~/.oci/key.pem", Some("/home/u")),
            PathBuf::from("/home/u/.oci/key.pem")
        );
        assert_eq!(expand_tilde("~", Some("/home/u")), PathBuf::from("/home/u"));
        assert_eq!(
            expand_tilde("~other/x", Some("/home/u")),
            PathBuf::from("~other/x")
        );
        assert_eq!(expand_tilde("/abs", None), PathBuf::from("/abs"));
    }
}
