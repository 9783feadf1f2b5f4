//! The Identity API's auth-token operations (API version 20160918).
//!
//! The client finds its endpoint itself (see [`IdentityClient::endpoint`]): the
//! `identity_endpoint` setting, the `oci_identity.IdentityClient` host override, or
//! `https://identity.{region}.oci.{realm domain}`. Errors use the standard OCI error body.
//!
//! There is no "get one token" operation: a read is a list followed by a match on `id`.

// `OciError` is about 128 bytes and is produced at most once per API call (which costs a
// network round trip), so boxing it would only make matching on it clumsier.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};

use crate::config::ResolvedConfig;
use crate::endpoints::{EndpointError, ServiceEndpoint};
use crate::error::{ErrorKind, OciError};
use crate::http::{
    decode_oci_error, new_retry_token, parse_endpoint, ApiRequest, ClientOptions, HttpClient,
    ServiceApi,
};

/// How the Identity endpoint is named: host `identity.{region}…`, host override
/// `oci_identity.IdentityClient`, setting `identity_endpoint`.
pub const IDENTITY_SERVICE: ServiceEndpoint = ServiceEndpoint {
    host_prefix: "identity",
    override_name: "oci_identity.IdentityClient",
    setting: "identity_endpoint",
};

/// API version 20160918, standard OCI error bodies.
const API: ServiceApi = ServiceApi {
    base_path: &["20160918"],
    decode_error: decode_oci_error,
};

/// An auth token as the API returns it. `token` (the secret) is present only in the create
/// response; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthToken {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub user_id: String,
    /// May be empty or null (e.g. in tenancies with identity domains).
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub time_created: Option<String>,
    #[serde(default)]
    pub time_expires: Option<String>,
    pub lifecycle_state: String,
    #[serde(default)]
    pub inactive_status: Option<i64>,
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthToken")
            .field("id", &self.id)
            .field("token", &self.token.as_ref().map(|_| "(sensitive)"))
            .field("user_id", &self.user_id)
            .field("description", &self.description)
            .field("time_created", &self.time_created)
            .field("time_expires", &self.time_expires)
            .field("lifecycle_state", &self.lifecycle_state)
            .field("inactive_status", &self.inactive_status)
            .finish()
    }
}

#[derive(Serialize)]
struct DescriptionBody<'a> {
    description: &'a str,
}

/// Client for the Identity auth-token operations. Cheap to clone (shares one connection pool).
#[derive(Clone, Debug)]
pub struct IdentityClient {
    http: Arc<HttpClient>,
    endpoint: Url,
}

impl IdentityClient {
    /// The Identity endpoint for a resolved configuration: the `identity_endpoint` setting,
    /// then the `oci_identity.IdentityClient` host override, then the region. The error names
    /// the setting at fault (`region` when none of them is set).
    pub fn endpoint(cfg: &ResolvedConfig) -> Result<String, EndpointError> {
        cfg.endpoint(&IDENTITY_SERVICE)
    }

    /// A client for the configuration's endpoint, signer and retry policy.
    pub fn new(cfg: &ResolvedConfig) -> Result<Self, OciError> {
        Self::with_options(cfg, &ClientOptions::default())
    }

    pub fn with_options(cfg: &ResolvedConfig, options: &ClientOptions) -> Result<Self, OciError> {
        let endpoint = Self::endpoint(cfg)
            .map_err(|e| OciError::new(ErrorKind::Config(e.message), "NewIdentityClient", ""))?;
        let fail =
            |e: String| OciError::new(ErrorKind::Config(e), "NewIdentityClient", endpoint.clone());
        let url = parse_endpoint(&endpoint).map_err(fail)?;
        let http = HttpClient::new(cfg.credentials.clone(), cfg.retry, options).map_err(fail)?;
        Ok(Self {
            http: Arc::new(http),
            endpoint: url,
        })
    }

    /// The endpoint this client calls, e.g. `https://identity.us-ashburn-1.oci.oraclecloud.com`.
    pub fn base_url(&self) -> &str {
        self.endpoint.as_str().trim_end_matches('/')
    }

    fn request(
        &self,
        operation: &'static str,
        method: Method,
        segments: &[String],
        body: Option<Vec<u8>>,
    ) -> ApiRequest {
        ApiRequest {
            operation,
            method,
            url: API.url(&self.endpoint, segments, &[]),
            body,
            headers: Vec::new(),
            decode_error: API.decode_error,
        }
    }

    /// `POST /users/{userId}/authTokens`. One `opc-retry-token` is used for every attempt, so
    /// a retried create (e.g. after a lost response) does not create a second token.
    pub async fn create_auth_token(
        &self,
        user_id: &str,
        description: &str,
    ) -> Result<AuthToken, OciError> {
        const OP: &str = "CreateAuthToken";
        check_id(OP, "user_id", user_id)?;
        let retry_token = HeaderValue::from_str(&new_retry_token())
            .expect("alphanumerics are a valid header value");
        let mut request = self.request(
            OP,
            Method::POST,
            &tokens_path(user_id, None),
            Some(json_body(description)),
        );
        request
            .headers
            .push((HeaderName::from_static("opc-retry-token"), retry_token));
        self.http.send(request).await?.json(OP)
    }

    /// `GET /users/{userId}/authTokens`: all tokens of the user (without their secrets).
    pub async fn list_auth_tokens(&self, user_id: &str) -> Result<Vec<AuthToken>, OciError> {
        const OP: &str = "ListAuthTokens";
        check_id(OP, "user_id", user_id)?;
        let request = self.request(OP, Method::GET, &tokens_path(user_id, None), None);
        self.http.send(request).await?.json(OP)
    }

    /// `PUT /users/{userId}/authTokens/{authTokenId}`: changes the description.
    pub async fn update_auth_token(
        &self,
        user_id: &str,
        token_id: &str,
        description: &str,
    ) -> Result<AuthToken, OciError> {
        const OP: &str = "UpdateAuthToken";
        check_id(OP, "user_id", user_id)?;
        check_id(OP, "auth_token_id", token_id)?;
        let request = self.request(
            OP,
            Method::PUT,
            &tokens_path(user_id, Some(token_id)),
            Some(json_body(description)),
        );
        self.http.send(request).await?.json(OP)
    }

    /// `DELETE /users/{userId}/authTokens/{authTokenId}`. A 404 is returned as an error;
    /// callers that treat "already gone" as success check [`OciError::is_not_found`].
    pub async fn delete_auth_token(&self, user_id: &str, token_id: &str) -> Result<(), OciError> {
        const OP: &str = "DeleteAuthToken";
        check_id(OP, "user_id", user_id)?;
        check_id(OP, "auth_token_id", token_id)?;
        let request = self.request(
            OP,
            Method::DELETE,
            &tokens_path(user_id, Some(token_id)),
            None,
        );
        self.http.send(request).await.map(|_| ())
    }
}

/// An identity domain as the classic Identity API describes it (`/20160918/domains`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    pub id: String,
    #[serde(default)]
    pub compartment_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The region-agnostic domain URL: the `idcs_endpoint` of the SCIM API.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub home_region_url: Option<String>,
    #[serde(default)]
    pub home_region: Option<String>,
    #[serde(default)]
    pub replica_regions: Vec<ReplicaRegion>,
    /// `DEFAULT`, `SECONDARY`.
    #[serde(default, rename = "type")]
    pub domain_type: Option<String>,
    #[serde(default)]
    pub license_type: Option<String>,
    #[serde(default)]
    pub is_hidden_on_login: Option<bool>,
    #[serde(default)]
    pub time_created: Option<String>,
    #[serde(default)]
    pub lifecycle_state: Option<String>,
    #[serde(default)]
    pub lifecycle_details: Option<String>,
    #[serde(default)]
    pub freeform_tags: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    pub defined_tags: Option<
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, serde_json::Value>>,
    >,
}

/// A region a domain is replicated to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaRegion {
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

/// The optional filters of `ListDomains` (`compartment_id` is required separately).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainQuery {
    pub display_name: Option<String>,
    pub url: Option<String>,
    pub home_region_url: Option<String>,
    pub domain_type: Option<String>,
    pub license_type: Option<String>,
    pub is_hidden_on_login: Option<bool>,
    pub name: Option<String>,
    pub lifecycle_state: Option<String>,
}

impl DomainQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        let mut push = |k: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                pairs.push((k, v.clone()));
            }
        };
        push("displayName", &self.display_name);
        push("url", &self.url);
        push("homeRegionUrl", &self.home_region_url);
        push("type", &self.domain_type);
        push("licenseType", &self.license_type);
        push("name", &self.name);
        push("lifecycleState", &self.lifecycle_state);
        if let Some(hidden) = self.is_hidden_on_login {
            pairs.push(("isHiddenOnLogin", hidden.to_string()));
        }
        pairs
    }
}

/// The most pages [`IdentityClient::list_domains`] follows before it reports an error (a
/// service that keeps returning `opc-next-page` must not make it loop forever).
const MAX_DOMAIN_PAGES: usize = 1000;

impl IdentityClient {
    /// `GET /domains?compartmentId=…`: every domain of the compartment, following
    /// `opc-next-page`.
    pub async fn list_domains(
        &self,
        compartment_id: &str,
        query: &DomainQuery,
    ) -> Result<Vec<Domain>, OciError> {
        const OP: &str = "ListDomains";
        check_id(OP, "compartment_id", compartment_id)?;
        let mut domains = Vec::new();
        let mut page: Option<String> = None;
        for _ in 0..MAX_DOMAIN_PAGES {
            let mut pairs = vec![("compartmentId", compartment_id.to_owned())];
            pairs.extend(query.pairs());
            if let Some(p) = &page {
                pairs.push(("page", p.clone()));
            }
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let request = ApiRequest {
                operation: OP,
                method: Method::GET,
                url: API.url(&self.endpoint, &["domains".to_owned()], &pairs),
                body: None,
                headers: Vec::new(),
                decode_error: API.decode_error,
            };
            let response = self.http.send(request).await?;
            let items: Vec<Domain> = response.json(OP)?;
            domains.extend(items);
            match response.next_page.clone() {
                Some(next) if Some(&next) != page.as_ref() => page = Some(next),
                Some(_) => {
                    return Err(OciError::new(
                        ErrorKind::Decode(
                            "the service returned the same opc-next-page twice".into(),
                        ),
                        OP,
                        response.target.clone(),
                    ))
                }
                None => return Ok(domains),
            }
        }
        Err(OciError::new(
            ErrorKind::Decode(format!("more than {MAX_DOMAIN_PAGES} pages of domains")),
            OP,
            "",
        ))
    }

    /// `GET /domains/{domainId}`.
    pub async fn get_domain(&self, domain_id: &str) -> Result<Domain, OciError> {
        const OP: &str = "GetDomain";
        check_id(OP, "domain_id", domain_id)?;
        let request = self.request(
            OP,
            Method::GET,
            &["domains".to_owned(), domain_id.to_owned()],
            None,
        );
        self.http.send(request).await?.json(OP)
    }
}

fn tokens_path(user_id: &str, token_id: Option<&str>) -> Vec<String> {
    let mut segments = vec![
        "users".to_owned(),
        user_id.to_owned(),
        "authTokens".to_owned(),
    ];
    segments.extend(token_id.map(str::to_owned));
    segments
}

fn json_body(description: &str) -> Vec<u8> {
    serde_json::to_vec(&DescriptionBody { description }).expect("a string always serializes")
}

fn check_id(operation: &'static str, name: &str, value: &str) -> Result<(), OciError> {
    if value.trim().is_empty() {
        return Err(OciError::new(
            ErrorKind::Config(format!("{name} must not be empty")),
            operation,
            "",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ApiResponse;

    const CREATED: &str = r#"{"id":"ocid1.credential.oc1..aaa","token":"3aNPS[D.1#.rF90qo}me","userId":"ocid1.user.oc1..bbb",
        "description":"ci","timeCreated":"2016-08-25T21:10:29.600Z","timeExpires":null,"lifecycleState":"ACTIVE","inactiveStatus":null}"#;

    #[test]
    fn auth_token_json_round_trip_and_debug_hides_the_secret() {
        let token: AuthToken = serde_json::from_str(CREATED).unwrap();
        assert_eq!(token.token.as_deref(), Some("3aNPS[D.1#.rF90qo}me"));
        assert_eq!(token.user_id, "ocid1.user.oc1..bbb");
        assert_eq!(token.time_expires, None);
        let shown = format!("{token:?}");
        assert!(
            !shown.contains("3aNPS") && shown.contains("(sensitive)"),
            "{shown}"
        );
        let json = serde_json::to_value(&token).unwrap();
        assert_eq!(json["lifecycleState"], "ACTIVE");
        assert_eq!(json["timeCreated"], "2016-08-25T21:10:29.600Z");
    }

    #[test]
    fn list_items_have_no_token() {
        let list: Vec<AuthToken> = serde_json::from_str(
            r#"[{"id":"a","userId":"u","description":"d","timeCreated":"t","lifecycleState":"ACTIVE","inactiveStatus":3}]"#,
        )
        .unwrap();
        assert_eq!(list[0].token, None);
        assert_eq!(list[0].inactive_status, Some(3));
        let nulls: AuthToken = serde_json::from_str(
            r#"{"id":"a","userId":"u","description":null,"lifecycleState":"ACTIVE"}"#,
        )
        .unwrap();
        assert_eq!(nulls.description, None);
    }

    #[test]
    fn decode_errors_do_not_echo_the_body() {
        let body = br#"{"id":"a","token":"s3cr3t-value","userId":5}"#.to_vec();
        let response = ApiResponse {
            status: 200,
            body,
            opc_request_id: Some("r".into()),
            target: "POST x".into(),
            next_page: None,
        };
        let err = response.json::<AuthToken>("CreateAuthToken").unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(matches!(err.kind, ErrorKind::Decode(_)));
    }

    #[test]
    fn domains_read_with_every_field() {
        let d: Domain = serde_json::from_str(
            r#"{"id":"ocid1.domain.oc1..d","compartmentId":"ocid1.tenancy.oc1..t","displayName":"Default",
            "description":"d","url":"https://idcs-abc.identity.oraclecloud.com:443","homeRegionUrl":"https://idcs-abc.identity.oraclecloud.com:443",
            "homeRegion":"us-ashburn-1","replicaRegions":[{"region":"us-phoenix-1","url":"u","state":"ENABLED"}],
            "type":"DEFAULT","licenseType":"free","isHiddenOnLogin":false,"timeCreated":"2024-01-01T00:00:00Z",
            "lifecycleState":"ACTIVE","lifecycleDetails":null,"freeformTags":{"a":"b"},"definedTags":{"ns":{"k":"v"}}}"#,
        )
        .unwrap();
        assert_eq!(d.domain_type.as_deref(), Some("DEFAULT"));
        assert_eq!(d.replica_regions[0].state.as_deref(), Some("ENABLED"));
        assert_eq!(d.defined_tags.unwrap()["ns"]["k"], "v");
        let q = DomainQuery {
            display_name: Some("Default".into()),
            is_hidden_on_login: Some(false),
            ..Default::default()
        };
        assert_eq!(
            q.pairs(),
            vec![
                ("displayName", "Default".to_string()),
                ("isHiddenOnLogin", "false".to_string())
            ]
        );
    }

    #[test]
    fn request_bodies() {
        assert_eq!(
            json_body("a \"b\""),
            br#"{"description":"a \"b\""}"#.to_vec()
        );
        assert_eq!(
            tokens_path("u", Some("t")),
            vec!["users", "u", "authTokens", "t"]
        );
    }
}
