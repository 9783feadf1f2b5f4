//! Where a service lives: region and realm → host, plus the endpoint overrides.
//!
//! Nothing here is specific to one service: a client describes its service with a
//! [`ServiceEndpoint`] (host prefix, override name, setting name) and resolves its endpoint from
//! the [`EndpointSettings`] captured with the credentials. Precedence: the service's explicit
//! setting (e.g. `identity_endpoint`), then its entry in the host-overrides variable
//! (`CLIENT_HOST_OVERRIDES`, `<client>=<url>;…`), then the region:
//! `https://{prefix}.{region}.oci.{realm domain}`, or `https://{prefix}.{region}` when the region
//! contains a dot (a full domain). Regions this build does not know take their realm from
//! `OCI_REGION_METADATA`, then `OCI_DEFAULT_REALM`, as the OCI SDKs do. Endpoints are origins
//! (`scheme://host[:port]`); the client adds its API path.

use std::collections::BTreeMap;

use reqwest::Url;

/// An endpoint that cannot be resolved. `argument` names the setting at fault, when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EndpointError {
    pub argument: Option<&'static str>,
    pub message: String,
}

impl EndpointError {
    pub fn new(argument: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            argument,
            message: message.into(),
        }
    }
}

/// How one service's endpoint is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceEndpoint {
    /// The first label of the regional host: `identity` → `https://identity.{region}.oci.…`.
    pub host_prefix: &'static str,
    /// The client name in the host-overrides variable, e.g. `oci_identity.IdentityClient`.
    pub override_name: &'static str,
    /// The name of the explicit setting for this endpoint, e.g. `identity_endpoint`.
    pub setting: &'static str,
}

/// The endpoint inputs resolved with the credentials, for every service. `Debug` hides any
/// value that could carry credentials (a URL with `@`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EndpointSettings {
    /// Explicit endpoints by setting name (e.g. `identity_endpoint`).
    pub explicit: BTreeMap<&'static str, String>,
    /// The host-overrides variable that is set, and its value.
    pub host_overrides: Option<(String, String)>,
    /// `OCI_REGION_METADATA`: JSON with `regionKey`, `regionIdentifier`, `realmDomainComponent`.
    pub region_metadata: Option<String>,
    /// `OCI_DEFAULT_REALM`: the realm domain of unknown regions, e.g. `oraclecloud.com`.
    pub default_realm: Option<String>,
}

/// Realm → second-level domain.
const REALMS: &[(&str, &str)] = &[
    ("oc1", "oraclecloud.com"),
    ("oc2", "oraclegovcloud.com"),
    ("oc3", "oraclegovcloud.com"),
    ("oc4", "oraclegovcloud.uk"),
    ("oc5", "oraclecloud5.com"),
    ("oc8", "oraclecloud8.com"),
    ("oc9", "oraclecloud9.com"),
    ("oc10", "oraclecloud10.com"),
    ("oc14", "oraclecloud14.com"),
    ("oc15", "oraclecloud15.com"),
    ("oc16", "oraclecloud16.com"),
    ("oc17", "oraclecloud17.com"),
    ("oc19", "oraclecloud.eu"),
    ("oc20", "oraclecloud20.com"),
    ("oc21", "oraclecloud21.com"),
    ("oc22", "psn-pco.it"),
    ("oc23", "oraclecloud23.com"),
    ("oc24", "oraclecloud24.com"),
    ("oc25", "nricloud.jp"),
    ("oc26", "oraclecloud26.com"),
    ("oc27", "oraclecloud27.com"),
    ("oc28", "oraclecloud28.com"),
    ("oc29", "oraclecloud29.com"),
    ("oc31", "sovereigncloud.nz"),
    ("oc35", "oraclecloud35.com"),
    ("oc42", "oraclecloud42.com"),
    ("oc51", "oraclecloud51.com"),
    ("oc52", "oraclecloud52.com"),
];

/// Regions outside the commercial realm oc1 (every other region is assumed to be in oc1).
const NON_OC1_REGIONS: &[(&str, &str)] = &[
    ("us-langley-1", "oc2"),
    ("us-luke-1", "oc2"),
    ("us-gov-ashburn-1", "oc3"),
    ("us-gov-chicago-1", "oc3"),
    ("us-gov-phoenix-1", "oc3"),
    ("uk-gov-london-1", "oc4"),
    ("uk-gov-cardiff-1", "oc4"),
    ("us-tacoma-1", "oc5"),
    ("ap-chiyoda-1", "oc8"),
    ("ap-ibaraki-1", "oc8"),
    ("me-dcc-muscat-1", "oc9"),
    ("ap-dcc-canberra-1", "oc10"),
    ("eu-dcc-dublin-1", "oc14"),
    ("eu-dcc-dublin-2", "oc14"),
    ("eu-dcc-milan-1", "oc14"),
    ("eu-dcc-milan-2", "oc14"),
    ("eu-dcc-rating-1", "oc14"),
    ("eu-dcc-rating-2", "oc14"),
    ("ap-dcc-gazipur-1", "oc15"),
    ("us-westjordan-1", "oc16"),
    ("us-dcc-phoenix-1", "oc17"),
    ("us-dcc-phoenix-2", "oc17"),
    ("us-dcc-phoenix-4", "oc17"),
    ("eu-frankfurt-2", "oc19"),
    ("eu-madrid-2", "oc19"),
    ("eu-jovanovac-1", "oc20"),
    ("me-dcc-doha-1", "oc21"),
    ("eu-dcc-rome-1", "oc22"),
    ("eu-dcc-zurich-1", "oc24"),
    ("ap-dcc-tokyo-1", "oc25"),
    ("ap-dcc-osaka-1", "oc25"),
    ("me-abudhabi-3", "oc26"),
    ("us-dcc-swjordan-1", "oc27"),
    ("us-dcc-swjordan-2", "oc28"),
    ("ap-hobsonville-1", "oc31"),
];

/// Three-letter region keys → region identifiers.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("iad", "us-ashburn-1"),
    ("phx", "us-phoenix-1"),
    ("sjc", "us-sanjose-1"),
    ("ord", "us-chicago-1"),
    ("aga", "us-saltlake-2"),
    ("yyz", "ca-toronto-1"),
    ("yul", "ca-montreal-1"),
    ("lhr", "uk-london-1"),
    ("cwl", "uk-cardiff-1"),
    ("fra", "eu-frankfurt-1"),
    ("ams", "eu-amsterdam-1"),
    ("zrh", "eu-zurich-1"),
    ("mad", "eu-madrid-1"),
    ("lin", "eu-milan-1"),
    ("cdg", "eu-paris-1"),
    ("mrs", "eu-marseille-1"),
    ("arn", "eu-stockholm-1"),
    ("nrt", "ap-tokyo-1"),
    ("kix", "ap-osaka-1"),
    ("icn", "ap-seoul-1"),
    ("yny", "ap-chuncheon-1"),
    ("bom", "ap-mumbai-1"),
    ("hyd", "ap-hyderabad-1"),
    ("syd", "ap-sydney-1"),
    ("mel", "ap-melbourne-1"),
    ("sin", "ap-singapore-1"),
    ("xsp", "ap-singapore-2"),
    ("gru", "sa-saopaulo-1"),
    ("vcp", "sa-vinhedo-1"),
    ("scl", "sa-santiago-1"),
    ("vap", "sa-valparaiso-1"),
    ("bog", "sa-bogota-1"),
    ("jed", "me-jeddah-1"),
    ("dxb", "me-dubai-1"),
    ("auh", "me-abudhabi-1"),
    ("mtz", "il-jerusalem-1"),
    ("jnb", "af-johannesburg-1"),
    ("qro", "mx-queretaro-1"),
    ("mty", "mx-monterrey-1"),
    ("lfi", "us-langley-1"),
    ("luf", "us-luke-1"),
    ("ric", "us-gov-ashburn-1"),
    ("pia", "us-gov-chicago-1"),
    ("tus", "us-gov-phoenix-1"),
    ("ltn", "uk-gov-london-1"),
    ("brs", "uk-gov-cardiff-1"),
    ("nja", "ap-chiyoda-1"),
    ("ukb", "ap-ibaraki-1"),
    ("ibr", "ap-ibaraki-1"),
    ("str", "eu-frankfurt-2"),
    ("vll", "eu-madrid-2"),
    ("beg", "eu-jovanovac-1"),
];

/// The region identifier for a region name or three-letter key (lowercased, trimmed).
pub fn canonical_region(region: &str) -> String {
    let region = region.trim().to_ascii_lowercase();
    SHORT_NAMES
        .iter()
        .find(|(short, _)| *short == region)
        .map_or(region, |(_, full)| (*full).to_owned())
}

/// The realm of a region identifier; unknown regions are assumed to be in `oc1`.
pub fn realm_of(region: &str) -> &'static str {
    NON_OC1_REGIONS
        .iter()
        .find(|(r, _)| *r == region)
        .map_or("oc1", |(_, realm)| realm)
}

/// The second-level domain of a realm.
pub fn realm_domain(realm: &str) -> Option<&'static str> {
    REALMS
        .iter()
        .find(|(r, _)| *r == realm)
        .map(|(_, domain)| *domain)
}

impl std::fmt::Debug for EndpointSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |v: &str| {
            if v.contains('@') {
                "(hidden: may contain credentials)".to_owned()
            } else {
                v.to_owned()
            }
        };
        let explicit: BTreeMap<&str, String> =
            self.explicit.iter().map(|(k, v)| (*k, shown(v))).collect();
        let overrides = self
            .host_overrides
            .as_ref()
            .map(|(var, value)| (var.as_str(), shown(value)));
        f.debug_struct("EndpointSettings")
            .field("explicit", &explicit)
            .field("host_overrides", &overrides)
            .field("region_metadata", &self.region_metadata)
            .field("default_realm", &self.default_realm)
            .finish()
    }
}

/// The region described by `OCI_REGION_METADATA`, if it names `region` (by identifier or key).
struct RegionMetadata {
    identifier: String,
    domain: Option<String>,
}

impl EndpointSettings {
    fn metadata_for(&self, region: &str) -> Option<RegionMetadata> {
        let v: serde_json::Value = serde_json::from_str(self.region_metadata.as_deref()?).ok()?;
        let identifier = v["regionIdentifier"].as_str().filter(|s| !s.is_empty());
        let key = v["regionKey"].as_str().filter(|s| !s.is_empty());
        if ![identifier, key]
            .iter()
            .flatten()
            .any(|n| n.eq_ignore_ascii_case(region))
        {
            return None;
        }
        Some(RegionMetadata {
            // A metadata entry matched by its key still names the region by its identifier.
            identifier: identifier.unwrap_or(region).to_ascii_lowercase(),
            domain: v["realmDomainComponent"]
                .as_str()
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
        })
    }

    /// The region identifier for a region name or key: the built-in keys, then a region
    /// declared in `OCI_REGION_METADATA` (whose key maps to its identifier).
    pub fn canonical_region(&self, region: &str) -> String {
        let region = canonical_region(region);
        if is_known_region(&region) {
            return region;
        }
        self.metadata_for(&region).map_or(region, |m| m.identifier)
    }

    /// The endpoint of `service`. `Ok(None)` only when nothing is configured at all (no
    /// setting, no override and no region).
    pub fn resolve(
        &self,
        service: &ServiceEndpoint,
        region: Option<&str>,
    ) -> Result<Option<String>, EndpointError> {
        if let Some(url) = self
            .explicit
            .get(service.setting)
            .filter(|u| !u.trim().is_empty())
        {
            return normalize_endpoint(url).map(Some).map_err(|e| {
                EndpointError::new(Some(service.setting), format!("{} {e}", service.setting))
            });
        }
        if let Some((var, value)) = self
            .host_overrides
            .as_ref()
            .filter(|(_, v)| !v.trim().is_empty())
        {
            let entries = parse_client_host_overrides(value)
                .map_err(|e| EndpointError::new(None, format!("{var}: {e}")))?;
            if let Some((_, url)) = entries
                .iter()
                .find(|(client, _)| client == service.override_name)
            {
                return normalize_endpoint(url).map(Some).map_err(|e| {
                    EndpointError::new(None, format!("{var} entry {}: {e}", service.override_name))
                });
            }
        }
        region
            .filter(|r| !r.trim().is_empty())
            .map(|r| self.endpoint_for_region(service, r))
            .transpose()
    }

    /// The regional endpoint of `service` (region identifier, key, or full domain).
    pub fn endpoint_for_region(
        &self,
        service: &ServiceEndpoint,
        region: &str,
    ) -> Result<String, EndpointError> {
        let prefix = service.host_prefix;
        let region = canonical_region(region);
        if region.contains('.') {
            let url = format!("https://{prefix}.{region}");
            return normalize_endpoint(&url).map_err(|e| {
                EndpointError::new(Some("region"), format!("region {region:?}: {e}"))
            });
        }
        let valid = !region.is_empty()
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(EndpointError::new(
                Some("region"),
                format!(
                    "region {region:?} is not a valid region identifier (e.g. us-ashburn-1 or iad)"
                ),
            ));
        }
        if is_known_region(&region) {
            let domain = realm_domain(realm_of(&region)).unwrap_or("oraclecloud.com");
            return Ok(format!("https://{prefix}.{region}.oci.{domain}"));
        }
        let metadata = self.metadata_for(&region);
        let identifier = metadata
            .as_ref()
            .map_or(region.as_str(), |m| m.identifier.as_str());
        let domain = metadata
            .as_ref()
            .and_then(|m| m.domain.clone())
            .or_else(|| {
                self.default_realm
                    .as_deref()
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| {
                realm_domain(realm_of(&region))
                    .unwrap_or("oraclecloud.com")
                    .to_owned()
            });
        Ok(format!("https://{prefix}.{identifier}.oci.{domain}"))
    }
}

fn is_known_region(region: &str) -> bool {
    NON_OC1_REGIONS.iter().any(|(r, _)| *r == region)
        || SHORT_NAMES.iter().any(|(_, full)| *full == region)
}

/// Parses a `CLIENT_HOST_OVERRIDES` value: `;`-separated `client=url` entries. Empty entries
/// are skipped; an entry without `=` is an error.
pub fn parse_client_host_overrides(value: &str) -> Result<Vec<(String, String)>, String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.split_once('=') {
            Some((client, url)) if !client.trim().is_empty() => {
                Ok((client.trim().to_owned(), url.trim().to_owned()))
            }
            _ => Err(format!("entry {entry:?} is not of the form <client>=<url>")),
        })
        .collect()
}

/// Validates an endpoint URL and returns it as `scheme://host[:port]`. A missing scheme means
/// `https://`; `http://` is allowed (local mocks). A path other than `/`, a query, a fragment
/// or userinfo is rejected.
pub fn normalize_endpoint(url: &str) -> Result<String, String> {
    let url = url.trim();
    let with_scheme = if url.contains("://") {
        url.to_owned()
    } else {
        format!("https://{url}")
    };
    // Error messages quote the URL only once it is known to carry no credentials.
    let parsed =
        Url::parse(&with_scheme).map_err(|e| format!("the endpoint is not a valid URL ({e})"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the endpoint URL must not contain a user name or password".to_string());
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{url:?} must use http:// or https://"));
    }
    if parsed.path() != "/" && !parsed.path().is_empty() {
        return Err(format!(
            "{url:?} must not contain a path (the client adds the API path); give only scheme, host and port"
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("{url:?} must not contain a query or fragment"));
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("{url:?} has no host"))?;
    Ok(match parsed.port() {
        Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
        None => format!("{}://{host}", parsed.scheme()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The Identity service as [`crate::identity`] describes it.
    const IDENTITY: ServiceEndpoint = crate::identity::IDENTITY_SERVICE;

    fn identity_endpoint_for_region(region: &str) -> Result<String, EndpointError> {
        EndpointSettings::default().endpoint_for_region(&IDENTITY, region)
    }

    /// Endpoint settings read from an environment, as `config::resolve` reads them.
    fn settings_of(
        explicit: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> EndpointSettings {
        EndpointSettings {
            explicit: explicit
                .map(|u| BTreeMap::from([("identity_endpoint", u.to_owned())]))
                .unwrap_or_default(),
            host_overrides: crate::config::precedence::host_overrides(env),
            region_metadata: env("OCI_REGION_METADATA"),
            default_realm: env("OCI_DEFAULT_REALM"),
        }
    }

    fn identity_endpoint_for_region_in(
        region: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, EndpointError> {
        settings_of(None, env).endpoint_for_region(&IDENTITY, region)
    }

    fn resolve_identity_endpoint(
        explicit: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
        region: Option<&str>,
    ) -> Result<Option<String>, EndpointError> {
        settings_of(explicit, env).resolve(&IDENTITY, region)
    }

    #[test]
    fn unknown_regions_take_their_realm_from_the_environment() {
        let meta = r#"{"realmKey":"oc99","realmDomainComponent":"example-cloud.test","regionKey":"xyz","regionIdentifier":"xy-newcity-1"}"#;
        let env = env_of(&[
            ("OCI_REGION_METADATA", meta),
            ("OCI_DEFAULT_REALM", "fallback.test"),
        ]);
        assert_eq!(
            identity_endpoint_for_region_in("xy-newcity-1", &env).unwrap(),
            "https://identity.xy-newcity-1.oci.example-cloud.test"
        );
        assert_eq!(
            identity_endpoint_for_region_in("zz-other-1", &env).unwrap(),
            "https://identity.zz-other-1.oci.fallback.test"
        );
        // Known regions ignore both.
        assert_eq!(
            identity_endpoint_for_region_in("us-ashburn-1", &env).unwrap(),
            "https://identity.us-ashburn-1.oci.oraclecloud.com"
        );
        assert_eq!(
            identity_endpoint_for_region_in("zz-other-1", &|_| None).unwrap(),
            "https://identity.zz-other-1.oci.oraclecloud.com"
        );
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn region_to_endpoint() {
        let cases = [
            (
                "us-ashburn-1",
                "https://identity.us-ashburn-1.oci.oraclecloud.com",
            ),
            ("IAD", "https://identity.us-ashburn-1.oci.oraclecloud.com"),
            ("fra", "https://identity.eu-frankfurt-1.oci.oraclecloud.com"),
            (
                "us-gov-ashburn-1",
                "https://identity.us-gov-ashburn-1.oci.oraclegovcloud.com",
            ),
            (
                "uk-gov-london-1",
                "https://identity.uk-gov-london-1.oci.oraclegovcloud.uk",
            ),
            (
                "eu-madrid-2",
                "https://identity.eu-madrid-2.oci.oraclecloud.eu",
            ),
            (
                "xx-newregion-9",
                "https://identity.xx-newregion-9.oci.oraclecloud.com",
            ),
            ("mock.local:8443", "https://identity.mock.local:8443"),
        ];
        for (region, expected) in cases {
            assert_eq!(
                identity_endpoint_for_region(region).unwrap(),
                expected,
                "{region}"
            );
        }
        let err = identity_endpoint_for_region("us ashburn").unwrap_err();
        assert_eq!(err.argument, Some("region"));
    }

    #[test]
    fn overrides_parse() {
        let parsed = parse_client_host_overrides(
            " oci_core.VirtualNetworkClient=https://a.example ; oci_identity.IdentityClient=http://127.0.0.1:9000;",
        )
        .unwrap();
        assert_eq!(
            parsed,
            vec![
                (
                    "oci_core.VirtualNetworkClient".to_owned(),
                    "https://a.example".to_owned()
                ),
                (
                    "oci_identity.IdentityClient".to_owned(),
                    "http://127.0.0.1:9000".to_owned()
                ),
            ]
        );
        assert!(parse_client_host_overrides("oops")
            .unwrap_err()
            .contains("oops"));
        assert!(parse_client_host_overrides("").unwrap().is_empty());
    }

    #[test]
    fn endpoint_urls_are_validated() {
        assert_eq!(
            normalize_endpoint("http://127.0.0.1:9000/").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            normalize_endpoint("identity.example.com").unwrap(),
            "https://identity.example.com"
        );
        assert_eq!(
            normalize_endpoint("https://h.example:443").unwrap(),
            "https://h.example"
        );
        assert!(normalize_endpoint("https://h.example/20160918")
            .unwrap_err()
            .contains("path"));
        assert!(normalize_endpoint("https://h.example/?a=b")
            .unwrap_err()
            .contains("query"));
        assert!(normalize_endpoint("https://user:pw@h.example")
            .unwrap_err()
            .contains("user name"));
        assert!(normalize_endpoint("ftp://h.example")
            .unwrap_err()
            .contains("http"));
    }

    #[test]
    fn precedence_setting_then_overrides_then_region() {
        let env = env_of(&[(
            "CLIENT_HOST_OVERRIDES",
            "oci_identity.IdentityClient=http://127.0.0.1:1",
        )]);
        assert_eq!(
            resolve_identity_endpoint(Some("http://127.0.0.1:2"), &env, Some("iad"))
                .unwrap()
                .unwrap(),
            "http://127.0.0.1:2"
        );
        assert_eq!(
            resolve_identity_endpoint(None, &env, Some("iad"))
                .unwrap()
                .unwrap(),
            "http://127.0.0.1:1"
        );
        let tf_var = env_of(&[
            (
                "TF_VAR_CLIENT_HOST_OVERRIDES",
                "oci_identity.IdentityClient=http://127.0.0.1:3",
            ),
            (
                "CLIENT_HOST_OVERRIDES",
                "oci_identity.IdentityClient=http://127.0.0.1:1",
            ),
        ]);
        assert_eq!(
            resolve_identity_endpoint(None, &tf_var, None)
                .unwrap()
                .unwrap(),
            "http://127.0.0.1:3"
        );
        let other_client = env_of(&[(
            "OCI_CLIENT_HOST_OVERRIDES",
            "oci_core.ComputeClient=http://127.0.0.1:1",
        )]);
        assert_eq!(
            resolve_identity_endpoint(None, &other_client, Some("phx"))
                .unwrap()
                .unwrap(),
            "https://identity.us-phoenix-1.oci.oraclecloud.com"
        );
        assert_eq!(
            resolve_identity_endpoint(None, &env_of(&[]), None).unwrap(),
            None
        );
        let err = resolve_identity_endpoint(Some("http://h/x"), &env_of(&[]), None).unwrap_err();
        assert_eq!(err.argument, Some("identity_endpoint"));
        let bad = env_of(&[(
            "CLIENT_HOST_OVERRIDES",
            "oci_identity.IdentityClient=http://h/p",
        )]);
        assert!(resolve_identity_endpoint(None, &bad, None)
            .unwrap_err()
            .message
            .contains("CLIENT_HOST_OVERRIDES"));
    }

    #[test]
    fn a_region_key_known_only_from_metadata_maps_to_its_identifier() {
        let meta = r#"{"realmKey":"oc99","realmDomainComponent":"example.com","regionKey":"xyz","regionIdentifier":"xx-city-1"}"#;
        let env = env_of(&[("OCI_REGION_METADATA", meta)]);
        for region in ["xyz", "XYZ", "xx-city-1"] {
            assert_eq!(
                identity_endpoint_for_region_in(region, &env).unwrap(),
                "https://identity.xx-city-1.oci.example.com",
                "{region}"
            );
        }
        let settings = settings_of(None, &env);
        assert_eq!(settings.canonical_region("xyz"), "xx-city-1");
        assert_eq!(settings.canonical_region("iad"), "us-ashburn-1");
        assert_eq!(settings.canonical_region("zz-other-1"), "zz-other-1");
        // A known region key is never redirected by metadata.
        let clash = r#"{"realmDomainComponent":"example.com","regionKey":"iad","regionIdentifier":"xx-city-1"}"#;
        let env = env_of(&[("OCI_REGION_METADATA", clash)]);
        assert_eq!(
            identity_endpoint_for_region_in("iad", &env).unwrap(),
            "https://identity.us-ashburn-1.oci.oraclecloud.com"
        );
    }

    #[test]
    fn debug_hides_urls_with_credentials() {
        let settings = settings_of(
            Some("https://user:pw@h.example"),
            &env_of(&[("CLIENT_HOST_OVERRIDES", "a=http://u:secret@h")]),
        );
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("pw@")
                && !shown.contains("secret")
                && shown.contains("CLIENT_HOST_OVERRIDES"),
            "{shown}"
        );
        let plain = settings_of(Some("http://127.0.0.1:1"), &env_of(&[]));
        assert!(format!("{plain:?}").contains("http://127.0.0.1:1"));
    }
}
