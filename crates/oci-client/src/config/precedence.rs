//! Where each value comes from: explicit setting > environment > config file profile.
//!
//! Blank strings count as unset everywhere. The environment is consulted as `TF_VAR_<arg>`
//! then `OCI_<ARG>`; the profile is `config_file_profile` (or `DEFAULT`), and a named profile
//! inherits the keys of `[DEFAULT]`.
//!
//! The `TF_VAR_` names are the environment variables the official OCI Terraform provider
//! documents for its arguments (and for `CLIENT_HOST_OVERRIDES`). Users already have them set,
//! so they are honoured here; this module is the only place in the crate that knows them.

use std::path::{Path, PathBuf};

use super::ini::Ini;
use super::ConfigError;

/// Environment variables naming the config file, in lookup order.
pub const CONFIG_FILE_ENV_VARS: [&str; 2] = ["OCI_CONFIG_FILE", "OCI_CLI_CONFIG_FILE"];
/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "DEFAULT";

/// Environment variables holding per-service host overrides, in lookup order (like the
/// official provider, only the first one that is set is consulted).
pub const CLIENT_HOST_OVERRIDES_VARS: [&str; 3] = [
    "TF_VAR_CLIENT_HOST_OVERRIDES",
    "OCI_CLIENT_HOST_OVERRIDES",
    "CLIENT_HOST_OVERRIDES",
];

/// The environment variables consulted for a setting, in order: `TF_VAR_<arg>`, `OCI_<ARG>`.
pub fn env_vars_for(arg: &str) -> [String; 2] {
    [
        format!("TF_VAR_{arg}"),
        format!("OCI_{}", arg.to_ascii_uppercase()),
    ]
}

/// The first host-overrides variable that is set: `(variable, value)`.
pub(crate) fn host_overrides(env: &dyn Fn(&str) -> Option<String>) -> Option<(String, String)> {
    CLIENT_HOST_OVERRIDES_VARS
        .iter()
        .find_map(|var| env(var).map(|value| ((*var).to_owned(), value)))
}

/// Where a value came from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Setting(&'static str),
    Env(String),
    Profile(&'static str),
}

impl Source {
    pub(crate) fn describe(&self, file: &ConfigFileRef) -> String {
        match self {
            Source::Setting(origin) => (*origin).to_owned(),
            Source::Env(var) => format!("environment variable {var}"),
            Source::Profile(key) => {
                format!("`{key}` in profile {} of {}", file.profile, file.display())
            }
        }
    }

    /// Set on purpose by the caller (a setting or an environment variable), not in a file.
    pub(crate) fn is_explicit(&self) -> bool {
        matches!(self, Source::Setting(_) | Source::Env(_))
    }
}

/// A setting and where it came from. Values can be keys or pass phrases: Debug hides them.
#[derive(Clone)]
pub(crate) struct Found {
    pub(crate) value: String,
    pub(crate) source: Source,
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Found")
            .field("value", &"(hidden)")
            .field("source", &self.source)
            .finish()
    }
}

/// Looks settings up in the explicit settings, then the environment (blank = unset).
pub(crate) struct Lookup<'a> {
    pub(crate) env: &'a dyn Fn(&str) -> Option<String>,
    /// How messages name the explicit settings.
    pub(crate) origin: &'static str,
}

impl Lookup<'_> {
    /// A non-blank environment variable.
    pub(crate) fn env(&self, key: &str) -> Option<String> {
        (self.env)(key).filter(|v| !v.trim().is_empty())
    }

    /// The explicit value, else `TF_VAR_<arg>`, else `OCI_<ARG>` (trimmed).
    pub(crate) fn get(&self, explicit: &Option<String>, arg: &str) -> Option<Found> {
        if let Some(value) = explicit.as_ref().filter(|v| !v.trim().is_empty()) {
            return Some(Found {
                value: value.trim().to_owned(),
                source: Source::Setting(self.origin),
            });
        }
        env_vars_for(arg).into_iter().find_map(|var| {
            self.env(&var).map(|value| Found {
                value: value.trim().to_owned(),
                source: Source::Env(var),
            })
        })
    }
}

/// The config file and the profile being read.
pub(crate) struct ConfigFileRef {
    pub(crate) path: Option<PathBuf>,
    pub(crate) exists: bool,
    pub(crate) profile: String,
    pub(crate) ini: Ini,
    /// How messages name the explicit settings.
    origin: &'static str,
}

impl ConfigFileRef {
    /// Finds and reads the config file: `$OCI_CONFIG_FILE`, else `$OCI_CLI_CONFIG_FILE`, else
    /// `~/.oci/config`. A variable that is set wins even when its file does not exist.
    pub(crate) fn load(
        lookup: &Lookup<'_>,
        home: Option<&str>,
        named_profile: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let path = CONFIG_FILE_ENV_VARS
            .iter()
            .find_map(|var| lookup.env(var))
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
            origin: lookup.origin,
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

    pub(crate) fn display(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "~/.oci/config".to_owned(), |p| p.display().to_string())
    }

    /// " (file not found)" when the config file does not exist.
    pub(crate) fn not_found_note(&self) -> &'static str {
        if self.exists {
            ""
        } else {
            " (file not found)"
        }
    }

    /// A profile value, falling back to `[DEFAULT]`.
    pub(crate) fn value(&self, key: &'static str) -> Option<Found> {
        [self.profile.as_str(), DEFAULT_PROFILE]
            .iter()
            .find_map(|section| self.ini.get(section, key))
            .map(|value| Found {
                value: value.to_owned(),
                source: Source::Profile(key),
            })
    }

    /// "`arg` is not set: set it in …" naming every place that was consulted.
    pub(crate) fn missing(&self, arg: &'static str, key: &str) -> ConfigError {
        let [tf_var, oci] = env_vars_for(arg);
        ConfigError::new(
            Some(arg),
            format!(
                "{arg} is not set: set it in {}, {tf_var}/{oci}, or `{key}` in profile {} of {}{}",
                self.origin,
                self.profile,
                self.display(),
                self.not_found_note()
            ),
        )
    }

    /// "no private key is set: …" naming every place that was consulted.
    pub(crate) fn missing_key(&self) -> ConfigError {
        let [key_tf, key_oci] = env_vars_for("private_key");
        let [path_tf, path_oci] = env_vars_for("private_key_path");
        ConfigError::new(
            Some("private_key"),
            format!(
                "no private key is set: set private_key or private_key_path in {}, \
                 {key_tf}/{key_oci} or {path_tf}/{path_oci}, or `key_file` in profile {} of {}{}",
                self.origin,
                self.profile,
                self.display(),
                self.not_found_note()
            ),
        )
    }
}

/// Expands a leading `~` to the home directory.
pub(crate) fn expand_tilde(path: &str, home: Option<&str>) -> PathBuf {
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

    #[test]
    fn env_names() {
        assert_eq!(
            env_vars_for("tenancy_ocid"),
            ["TF_VAR_tenancy_ocid", "OCI_TENANCY_OCID"]
        );
        let env = |k: &str| (k == "CLIENT_HOST_OVERRIDES").then(|| "a=b".to_owned());
        assert_eq!(
            host_overrides(&env),
            Some(("CLIENT_HOST_OVERRIDES".to_owned(), "a=b".to_owned()))
        );
    }
}
