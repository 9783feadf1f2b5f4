//! Resolution of the principal auth modes (`InstancePrincipal`, `InstancePrincipalWithCerts`,
//! `ResourcePrincipal`, `OKEWorkloadIdentity`): no user, no API key and no config file; the
//! credentials come from the platform through a [`RefreshingSource`]. The tenancy (and, for
//! instance principals without `region`, the region) are known after
//! [`ResolvedConfig::complete`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::precedence::{host_overrides, Lookup};
use super::{retry_policy_from, AuthMode, ConfigError, ResolvedConfig, Settings};
use crate::auth::instance_principal::{
    CertificateSource, InstancePrincipalFetcher, DEFAULT_METADATA_BASE_URL,
    INSTANCE_PRINCIPAL_HINT, METADATA_URL_ENV,
};
use crate::auth::oke::{self, OkeFetcher, OKE_HINT};
use crate::auth::resource_principal::{
    self, ResourcePrincipal11, ResourcePrincipal22, ResourcePrincipal30, RESOURCE_PRINCIPAL_HINT,
};
use crate::auth::workload_identity_federation::{
    token_url, ExchangeAuth, TokenExchange, WifFetcher, WIF_HINT,
};
use crate::auth::{federation, CredentialSource, Fetch, RefreshingSource};
use crate::endpoints::EndpointSettings;
use crate::http::ClientOptions;

/// The environment variables naming the certificate directory of
/// `InstancePrincipalWithCerts`, in the official provider's lookup order.
pub const TEST_CERTIFICATES_LOCATION_VARS: [&str; 3] = [
    "TF_VAR_test_certificates_location",
    "OCI_test_certificates_location",
    "test_certificates_location",
];

/// The user-credential settings a principal mode ignores.
fn ignored_user_credentials(settings: &Settings) -> Vec<&'static str> {
    [
        ("user_ocid", &settings.user_ocid),
        ("fingerprint", &settings.fingerprint),
        ("private_key", &settings.private_key),
        ("private_key_path", &settings.private_key_path),
        ("private_key_password", &settings.private_key_password),
        ("config_file_profile", &settings.config_file_profile),
    ]
    .into_iter()
    .filter(|(_, v)| v.as_deref().is_some_and(|v| !v.trim().is_empty()))
    .map(|(name, _)| name)
    .collect()
}

fn auth_error(e: crate::auth::AuthError) -> ConfigError {
    ConfigError::new(Some("auth"), e.to_string())
}

pub(super) fn resolve_principal(
    auth: AuthMode,
    settings: &Settings,
    lookup: &Lookup<'_>,
) -> Result<ResolvedConfig, ConfigError> {
    let mode = auth.as_str();
    let ignored = ignored_user_credentials(settings);
    if !ignored.is_empty() {
        tracing::debug!(
            "ignoring the user credentials ({}) for {mode} authentication",
            ignored.join(", ")
        );
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
    let configured_region = lookup.get(&settings.region, "region").map(|r| r.value);
    let rp_region = || {
        configured_region
            .clone()
            .or_else(|| lookup.env(resource_principal::REGION_ENV))
    };
    let user_agent = ClientOptions::default().user_agent;
    // The instance principal that signs resource principal 1.1's calls.
    let instance_source = |base: &str| -> Result<Arc<dyn CredentialSource>, ConfigError> {
        let instance = InstancePrincipalFetcher::new(
            "InstancePrincipal",
            CertificateSource::Metadata {
                base: base.to_owned(),
            },
            base.to_owned(),
            lookup.env(federation::AUTH_URL_ENV),
            None,
            &user_agent,
        )
        .map_err(|m| ConfigError::new(Some("auth"), m))?;
        Ok(Arc::new(RefreshingSource::new(
            "InstancePrincipal",
            INSTANCE_PRINCIPAL_HINT,
            Box::new(instance),
        )))
    };
    let region_required = |why: &str| {
        ConfigError::new(
            Some("region"),
            format!("auth {mode} requires a region: {why}"),
        )
    };

    let (fetcher, hint, region): (Box<dyn Fetch>, &'static str, Option<String>) = match auth {
        AuthMode::InstancePrincipal => {
            let base = lookup
                .env(METADATA_URL_ENV)
                .unwrap_or_else(|| DEFAULT_METADATA_BASE_URL.to_owned());
            let fetcher = InstancePrincipalFetcher::new(
                mode,
                CertificateSource::Metadata { base: base.clone() },
                base,
                lookup.env(federation::AUTH_URL_ENV),
                configured_region.clone(),
                &user_agent,
            )
            .map_err(|m| ConfigError::new(Some("auth"), m))?;
            (
                Box::new(fetcher),
                INSTANCE_PRINCIPAL_HINT,
                configured_region.clone(),
            )
        }
        AuthMode::InstancePrincipalWithCerts => {
            let region = configured_region.clone().ok_or_else(|| {
                region_required(
                    "set region (TF_VAR_region / OCI_REGION), as the official provider requires",
                )
            })?;
            let dir = TEST_CERTIFICATES_LOCATION_VARS
                .iter()
                .find_map(|v| lookup.env(v))
                .map(PathBuf::from)
                .or_else(|| std::env::current_dir().ok())
                .unwrap_or_else(|| PathBuf::from("."));
            let fetcher = InstancePrincipalFetcher::new(
                mode,
                CertificateSource::Files { dir },
                lookup
                    .env(METADATA_URL_ENV)
                    .unwrap_or_else(|| DEFAULT_METADATA_BASE_URL.to_owned()),
                lookup.env(federation::AUTH_URL_ENV),
                Some(region.clone()),
                &user_agent,
            )
            .map_err(|m| ConfigError::new(Some("auth"), m))?;
            (Box::new(fetcher), INSTANCE_PRINCIPAL_HINT, Some(region))
        }
        AuthMode::ResourcePrincipal => {
            let version = lookup.env(resource_principal::VERSION_ENV);
            let fetcher = match version.as_deref().map(str::trim) {
                Some("2.2") => ResourcePrincipal22::from_env(&|k| lookup.env(k)).map_err(auth_error)?,
                Some("1.1") => {
                    let base = lookup
                        .env(METADATA_URL_ENV)
                        .unwrap_or_else(|| DEFAULT_METADATA_BASE_URL.to_owned());
                    let fetcher = ResourcePrincipal11::from_env(
                        &|k| lookup.env(k),
                        instance_source(&base)?,
                        base,
                        rp_region(),
                        &user_agent,
                    )
                    .map_err(auth_error)?;
                    return finish(
                        auth,
                        settings,
                        lookup,
                        endpoints,
                        Box::new(fetcher),
                        RESOURCE_PRINCIPAL_HINT,
                        rp_region(),
                    );
                }
                Some("3.0") => {
                    let leaf_env = |k: &str| match resource_principal::leaf_variable(k) {
                        Some((leaf, fallback)) => lookup
                            .env(leaf)
                            .or_else(|| fallback.then(|| lookup.env(k)).flatten()),
                        None => lookup.env(k),
                    };
                    let leaf_hint = |e: crate::auth::AuthError| {
                        ConfigError::new(
                            Some("auth"),
                            format!("{e} (resource principal 3.0 reads the leaf resource's settings from the …_FOR_LEAF_RESOURCE variables, e.g. OCI_RESOURCE_PRINCIPAL_RPST_FOR_LEAF_RESOURCE)"),
                        )
                    };
                    let leaf_region = lookup.env(resource_principal::REGION_FOR_LEAF_ENV);
                    let leaf_version = lookup.env(resource_principal::VERSION_FOR_LEAF_ENV);
                    let leaf: Box<dyn Fetch> = match leaf_version.as_deref().map(str::trim) {
                        Some("2.2") => {
                            if leaf_region.is_none() {
                                return Err(ConfigError::new(
                                    Some("auth"),
                                    format!("auth ResourcePrincipal: {} is not set (a 2.2 leaf resource of resource principal 3.0 needs it)", resource_principal::REGION_FOR_LEAF_ENV),
                                ));
                            }
                            Box::new(ResourcePrincipal22::from_env(&leaf_env).map_err(leaf_hint)?)
                        }
                        Some("1.1") => {
                            let base = lookup
                                .env(METADATA_URL_ENV)
                                .unwrap_or_else(|| DEFAULT_METADATA_BASE_URL.to_owned());
                            Box::new(
                                ResourcePrincipal11::from_env(
                                    &leaf_env,
                                    instance_source(&base)?,
                                    base,
                                    leaf_region.clone(),
                                    &user_agent,
                                )
                                .map_err(leaf_hint)?,
                            )
                        }
                        _ => {
                            return Err(ConfigError::new(
                                Some("auth"),
                                format!("auth ResourcePrincipal: {} is {:?}; resource principal 3.0 needs the leaf resource's version, 2.2 or 1.1", resource_principal::VERSION_FOR_LEAF_ENV, leaf_version.unwrap_or_default()),
                            ))
                        }
                    };
                    let leaf = Arc::new(RefreshingSource::new(
                        "ResourcePrincipal",
                        RESOURCE_PRINCIPAL_HINT,
                        leaf,
                    ));
                    let fetcher = ResourcePrincipal30::from_env(
                        &|k| lookup.env(k),
                        leaf,
                        leaf_region.clone(),
                        &user_agent,
                    )
                    .map_err(auth_error)?;
                    return finish(
                        auth,
                        settings,
                        lookup,
                        endpoints,
                        Box::new(fetcher),
                        RESOURCE_PRINCIPAL_HINT,
                        configured_region.clone().or(leaf_region),
                    );
                }
                Some(other) => {
                    return Err(ConfigError::new(
                        Some("auth"),
                        format!("auth ResourcePrincipal: {} is {other:?}; expected 2.2, 1.1 or 3.0", resource_principal::VERSION_ENV),
                    ))
                }
                None => {
                    return Err(ConfigError::new(
                        Some("auth"),
                        format!("auth ResourcePrincipal: {} is not set; the platform (Resource Manager, Functions, DevOps …) sets it, with OCI_RESOURCE_PRINCIPAL_RPST and OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", resource_principal::VERSION_ENV),
                    ))
                }
            };
            let region = rp_region()
                .ok_or_else(|| region_required("set region or OCI_RESOURCE_PRINCIPAL_REGION"))?;
            (Box::new(fetcher), RESOURCE_PRINCIPAL_HINT, Some(region))
        }
        AuthMode::OkeWorkloadIdentity => {
            let host = lookup.env(oke::HOST_ENV).ok_or_else(|| {
                ConfigError::new(
                    Some("auth"),
                    format!("auth OKEWorkloadIdentity: {} is not set; this mode runs in a pod of an OKE (enhanced) cluster", oke::HOST_ENV),
                )
            })?;
            let ca = lookup
                .env(oke::CA_PATH_ENV)
                .unwrap_or_else(|| oke::DEFAULT_CA_PATH.to_owned());
            let token = lookup
                .get(
                    &settings.workload_identity_token_path,
                    "workload_identity_token_path",
                )
                .map(|f| f.value)
                .unwrap_or_else(|| oke::DEFAULT_TOKEN_PATH.to_owned());
            let region = rp_region()
                .ok_or_else(|| region_required("set region or OCI_RESOURCE_PRINCIPAL_REGION"))?;
            let fetcher =
                OkeFetcher::new(&host, ca.into(), token.into(), &user_agent).map_err(auth_error)?;
            (Box::new(fetcher), OKE_HINT, Some(region))
        }
        AuthMode::WorkloadIdentityFederation => {
            let fetcher = workload_identity_federation(
                settings,
                lookup,
                configured_region.as_deref(),
                &user_agent,
            )?;
            (Box::new(fetcher), WIF_HINT, configured_region.clone())
        }
        AuthMode::ApiKey | AuthMode::SecurityToken => unreachable!("not a principal mode"),
    };
    finish(auth, settings, lookup, endpoints, fetcher, hint, region)
}

/// The official provider's checks, then the fetcher.
fn workload_identity_federation(
    settings: &Settings,
    lookup: &Lookup<'_>,
    region: Option<&str>,
    user_agent: &str,
) -> Result<WifFetcher, ConfigError> {
    let x = &settings.token_exchange;
    let get = |v: &Option<String>, name: &str| lookup.get(v, name).map(|f| f.value);
    let token_path = get(
        &settings.workload_identity_token_path,
        "workload_identity_token_path",
    );
    let domain_url = get(&x.domain_url, "token_exchange_domain_url");
    let exchange_auth =
        get(&x.auth, "token_exchange_auth").unwrap_or_else(|| "OAuthClientCredentials".to_owned());
    let client_id = get(&x.client_id, "token_exchange_client_id");
    let client_secret = get(&x.client_secret, "token_exchange_client_secret");
    let requested = get(
        &x.requested_token_type,
        "token_exchange_requested_token_type",
    );
    let mut missing = Vec::new();
    for (name, value) in [
        ("region", region.map(str::to_owned)),
        ("workload_identity_token_path", token_path.clone()),
        ("token_exchange_domain_url", domain_url.clone()),
        ("token_exchange_requested_token_type", requested.clone()),
    ] {
        if value.is_none() {
            missing.push(name);
        }
    }
    let oauth = exchange_auth.eq_ignore_ascii_case("OAuthClientCredentials");
    let instance = exchange_auth.eq_ignore_ascii_case("InstancePrincipal");
    if oauth {
        if client_id.is_none() {
            missing.push("token_exchange_client_id");
        }
        if client_secret.is_none() {
            missing.push("token_exchange_client_secret");
        }
    } else if instance {
        if client_id.is_some() || client_secret.is_some() {
            return Err(ConfigError::new(
                Some("token_exchange_client_id"),
                "token_exchange_client_id and token_exchange_client_secret can not be set when token_exchange_auth is 'InstancePrincipal'",
            ));
        }
    } else {
        return Err(ConfigError::new(
            Some("token_exchange_auth"),
            format!("token_exchange_auth is {exchange_auth:?}: it must be one of 'OAuthClientCredentials', 'InstancePrincipal'"),
        ));
    }
    if !missing.is_empty() {
        return Err(ConfigError::new(
            Some("auth"),
            format!(
                "missing required WorkloadIdentityFederation configuration field(s): {}",
                missing.join(", ")
            ),
        ));
    }
    let url = token_url(&domain_url.unwrap_or_default())
        .map_err(|m| ConfigError::new(Some("token_exchange_domain_url"), m))?;
    let auth = if instance {
        let base = lookup
            .env(METADATA_URL_ENV)
            .unwrap_or_else(|| DEFAULT_METADATA_BASE_URL.to_owned());
        let fetcher = InstancePrincipalFetcher::new(
            "InstancePrincipal",
            CertificateSource::Metadata { base: base.clone() },
            base,
            lookup.env(federation::AUTH_URL_ENV),
            region.map(str::to_owned),
            user_agent,
        )
        .map_err(|m| ConfigError::new(Some("auth"), m))?;
        ExchangeAuth::InstancePrincipal(Arc::new(RefreshingSource::new(
            "InstancePrincipal",
            INSTANCE_PRINCIPAL_HINT,
            Box::new(fetcher),
        )))
    } else {
        ExchangeAuth::OAuthClient {
            id: client_id.unwrap_or_default(),
            secret: client_secret.unwrap_or_default(),
        }
    };
    let exchange = TokenExchange {
        url,
        token_path: PathBuf::from(token_path.unwrap_or_default()),
        auth,
        requested_token_type: requested.unwrap_or_default(),
        subject_token_type: get(&x.subject_token_type, "token_exchange_subject_token_type")
            .unwrap_or_else(|| "jwt".to_owned()),
        resource_type: get(&x.resource_type, "token_exchange_resource_type"),
        rpst_exp: get(&x.rpst_exp, "token_exchange_rpst_exp"),
    };
    WifFetcher::new(exchange, user_agent)
        .map_err(|e| ConfigError::new(Some("token_exchange_resource_type"), e.message))
}

fn finish(
    auth: AuthMode,
    settings: &Settings,
    lookup: &Lookup<'_>,
    endpoints: EndpointSettings,
    fetcher: Box<dyn Fetch>,
    hint: &'static str,
    region: Option<String>,
) -> Result<ResolvedConfig, ConfigError> {
    let mode = auth.as_str();
    let region = region
        .map(|r| endpoints.canonical_region(&r))
        .unwrap_or_default();
    let retry = retry_policy_from(settings, lookup)?;
    Ok(ResolvedConfig {
        auth,
        tenancy_ocid: String::new(),
        user_ocid: None,
        region,
        key_id: String::new(),
        credentials: Arc::new(RefreshingSource::new(mode, hint, fetcher)),
        retry,
        endpoints,
        config_file: None,
        profile: String::new(),
        warnings: Vec::new(),
        region_missing: format!(
            "region is not set: set it in {} or TF_VAR_region/OCI_REGION (auth {mode})",
            lookup.origin
        ),
    })
}

impl ResolvedConfig {
    /// For the principal modes, obtains the first session token now, so configuration errors
    /// surface at once, and fills in [`Self::tenancy_ocid`] (from the certificate or token)
    /// and, when it was not configured, [`Self::region`] (from instance metadata). Nothing to
    /// do for the other modes.
    pub async fn complete(&mut self) -> Result<(), ConfigError> {
        if !self.auth.is_principal() {
            return Ok(());
        }
        self.credentials.signer().await.map_err(auth_error)?;
        if self.region.is_empty() {
            if let Some(region) = self.credentials.region() {
                self.region = self.endpoints.canonical_region(&region);
            }
        }
        if let Some(tenancy) = self.credentials.tenancy() {
            self.tenancy_ocid = tenancy;
        }
        Ok(())
    }
}

/// [`super::resolve`] then [`ResolvedConfig::complete`].
pub async fn resolve_complete(
    settings: &Settings,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<ResolvedConfig, ConfigError> {
    let mut cfg = super::resolve(settings, env)?;
    cfg.complete().await?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::federation::tests::TENANCY;
    use crate::auth::jwt::tests::jwt;
    use std::collections::HashMap;

    fn env_of(vars: Vec<(&str, String)>) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> =
            vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        move |k| vars.get(k).cloned()
    }

    fn auth(mode: &str) -> Settings {
        Settings {
            auth: Some(mode.into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn instance_principal_through_config_with_env_overrides() {
        let stub = crate::auth::instance_principal::tests::stub("iad").await;
        let env = env_of(vec![
            ("OCI_METADATA_BASE_URL", format!("{}/opc/v2", stub.base)),
            ("OCI_SDK_AUTH_CLIENT_REGION_URL", stub.base.clone()),
            (
                "CLIENT_HOST_OVERRIDES",
                "oci_identity.IdentityClient=http://127.0.0.1:1".into(),
            ),
        ]);
        let mut settings = auth("INSTANCEPRINCIPAL");
        settings.user_ocid = Some("ocid1.user.oc1..ignored".into());
        let cfg = resolve_complete(&settings, &env).await.unwrap();
        assert_eq!(cfg.auth, AuthMode::InstancePrincipal);
        assert_eq!(cfg.region, "us-ashburn-1");
        assert_eq!(cfg.tenancy_ocid, TENANCY);
        assert_eq!(cfg.user_ocid, None);
        assert!(crate::IdentityClient::new(&cfg).is_ok());
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("eyJ"), "{shown}");
        // A configured region wins over the metadata service.
        settings.region = Some("eu-frankfurt-1".into());
        let cfg = resolve_complete(&settings, &env).await.unwrap();
        assert_eq!(cfg.region, "eu-frankfurt-1");
    }

    #[tokio::test]
    async fn resource_principal_22_through_config() {
        let now = chrono::Utc::now().timestamp();
        let token = jwt(serde_json::json!({"exp": now + 600, "iat": now, "res_tenant": TENANCY}));
        let key = std::fs::read_to_string(format!(
            "{}/tests/fixtures/keys/rsa2048_pkcs8.pem",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let base = vec![
            ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2".to_owned()),
            ("OCI_RESOURCE_PRINCIPAL_RPST", token),
            ("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", key),
        ];
        let err = resolve_complete(&auth("resourceprincipal"), &env_of(base.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.argument, Some("region"));
        assert!(
            err.message.contains("OCI_RESOURCE_PRINCIPAL_REGION"),
            "{}",
            err.message
        );
        let mut with_region = base.clone();
        with_region.push(("OCI_RESOURCE_PRINCIPAL_REGION", "phx".into()));
        let cfg = resolve_complete(&auth("ResourcePrincipal"), &env_of(with_region.clone()))
            .await
            .unwrap();
        assert_eq!(cfg.region, "us-phoenix-1");
        assert_eq!(cfg.tenancy_ocid, TENANCY);
        // The provider's region wins.
        let mut settings = auth("ResourcePrincipal");
        settings.region = Some("us-ashburn-1".into());
        let cfg = resolve_complete(&settings, &env_of(with_region))
            .await
            .unwrap();
        assert_eq!(cfg.region, "us-ashburn-1");

        for (version, expected) in [
            ("3.0", "OCI_RESOURCE_PRINCIPAL_VERSION_FOR_LEAF_RESOURCE"),
            ("1.1", "OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT is not set"),
            ("9", "\"9\""),
        ] {
            let mut env = base.clone();
            env[0].1 = version.into();
            let err = resolve(&auth("ResourcePrincipal"), &env_of(env)).unwrap_err();
            assert!(err.message.contains(expected), "{version}: {}", err.message);
        }
    }

    #[tokio::test]
    async fn resource_principal_11_through_config() {
        let stub = crate::auth::instance_principal::tests::stub("iad").await;
        let env = env_of(vec![
            ("OCI_RESOURCE_PRINCIPAL_VERSION", "1.1".into()),
            ("OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT", stub.base.clone()),
            ("OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT", stub.base.clone()),
            ("OCI_METADATA_BASE_URL", format!("{}/opc/v2", stub.base)),
            ("OCI_SDK_AUTH_CLIENT_REGION_URL", stub.base.clone()),
        ]);
        let cfg = resolve_complete(&auth("ResourcePrincipal"), &env)
            .await
            .unwrap();
        assert_eq!(cfg.tenancy_ocid, "ocid1.tenancy.oc1..resource");
        assert_eq!(cfg.region, "us-ashburn-1");
        let log = stub.log.lock().unwrap().clone();
        let rpt = log
            .iter()
            .find(|r| {
                r.starts_with(&format!(
                    "GET /20180711/resourcePrincipalToken/{} ",
                    crate::auth::federation::tests::INSTANCE
                ))
            })
            .expect("the RPT request, with the instance id from metadata");
        assert!(
            rpt.contains("headers=\"date (request-target) host\""),
            "{rpt}"
        );
        let rpst = log
            .iter()
            .find(|r| r.starts_with("POST /v1/resourcePrincipalSessionToken "))
            .unwrap();
        let body: serde_json::Value =
            serde_json::from_str(&rpst[rpst.find("\r\n\r\n").unwrap() + 4..]).unwrap();
        assert_eq!(body["resourcePrincipalToken"], "rpt-value");
        assert_eq!(body["servicePrincipalSessionToken"], "spst-value");
        assert!(body["sessionPublicKey"].as_str().unwrap().len() > 300);
        let signer = cfg.credentials.signer().await.unwrap();
        assert!(!format!("{cfg:?} {signer:?}").contains("rpt-value"));
    }

    #[test]
    fn workload_identity_federation_checks_as_the_official_provider() {
        let mut settings = auth("WorkloadIdentityFederation");
        settings.region = Some("us-ashburn-1".into());
        settings.workload_identity_token_path = Some("/var/run/token".into());
        settings.token_exchange.domain_url = Some("https://idcs-x.identity.oraclecloud.com".into());
        settings.token_exchange.requested_token_type = Some("urn:oci:token-type:oci-rpst".into());
        settings.token_exchange.client_id = Some("id".into());
        settings.token_exchange.client_secret = Some("secret-value".into());
        let err = resolve(&settings, &|_| None).unwrap_err();
        assert!(
            err.message.contains("token_exchange_resource_type"),
            "{}",
            err.message
        );
        settings.token_exchange.resource_type = Some("resource".into());
        let cfg = resolve(&settings, &|_| None).unwrap();
        assert_eq!(cfg.auth, AuthMode::WorkloadIdentityFederation);
        let shown = format!("{cfg:?} {settings:?}");
        assert!(
            shown.contains("https://idcs-x.identity.oraclecloud.com/oauth2/v1/token")
                && !shown.contains("secret-value"),
            "{shown}"
        );
        settings.token_exchange.auth = Some("instanceprincipal".into());
        let err = resolve(&settings, &|_| None).unwrap_err();
        assert!(err.message.contains("can not be set"), "{}", err.message);
        settings.token_exchange.auth = Some("magic".into());
        assert_eq!(
            resolve(&settings, &|_| None).unwrap_err().argument,
            Some("token_exchange_auth")
        );
        // From the environment, as the official provider's defaults.
        let env = env_of(vec![
            ("TF_VAR_region", "us-ashburn-1".into()),
            ("TF_VAR_workload_identity_token_path", "/t".into()),
            (
                "OCI_TOKEN_EXCHANGE_DOMAIN_URL",
                "https://idcs-y.identity.oraclecloud.com".into(),
            ),
            ("TF_VAR_token_exchange_auth", "InstancePrincipal".into()),
            (
                "TF_VAR_token_exchange_requested_token_type",
                "urn:oci:token-type:oci-upst".into(),
            ),
        ]);
        assert!(resolve(&auth("WorkloadIdentityFederation"), &env).is_ok());
    }

    #[tokio::test]
    async fn oke_through_config() {
        let err = resolve(&auth("okeworkloadidentity"), &env_of(vec![])).unwrap_err();
        assert!(
            err.message.contains("KUBERNETES_SERVICE_HOST"),
            "{}",
            err.message
        );
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.2".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let ca = dir.path().join("ca.crt");
        std::fs::write(&ca, cert.pem()).unwrap();
        let token_path = dir.path().join("sa-token");
        let env = env_of(vec![
            ("KUBERNETES_SERVICE_HOST", "127.0.0.2".into()),
            (
                "OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH",
                ca.display().to_string(),
            ),
            ("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1".into()),
            (
                "TF_VAR_workload_identity_token_path",
                token_path.display().to_string(),
            ),
        ]);
        let cfg = resolve(&auth("OKEWorkloadIdentity"), &env).unwrap();
        assert_eq!(cfg.auth, AuthMode::OkeWorkloadIdentity);
        assert_eq!(cfg.region, "us-ashburn-1");
        let shown = format!("{cfg:?}");
        assert!(shown.contains(&token_path.display().to_string()), "{shown}");
    }

    #[test]
    fn with_certs_requires_a_region_and_reads_the_directory_variable() {
        let err = resolve(&auth("InstancePrincipalWithCerts"), &env_of(vec![])).unwrap_err();
        assert_eq!(err.argument, Some("region"));
        let env = env_of(vec![
            ("TF_VAR_test_certificates_location", "/some/dir".into()),
            ("OCI_REGION", "us-ashburn-1".into()),
        ]);
        let cfg = resolve(&auth("InstancePrincipalWithCerts"), &env).unwrap();
        assert!(format!("{cfg:?}").contains("/some/dir"));
    }

    use super::super::resolve;
}
