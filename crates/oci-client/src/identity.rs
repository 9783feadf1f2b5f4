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
        let http = HttpClient::new(cfg.signer.clone(), cfg.retry, options).map_err(fail)?;
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
        };
        let err = response.json::<AuthToken>("CreateAuthToken").unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(matches!(err.kind, ErrorKind::Decode(_)));
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
