//! Identity Domains (SCIM) auth tokens: `/admin/v1/AuthTokens` on a domain URL.
//!
//! A domain has its own URL (`idcs_endpoint`, e.g. `https://idcs-<hex>.identity.oraclecloud.com`),
//! so every call takes it: one client (credentials, retries, connection pool) serves any number
//! of domains. Requests are signed like every OCI request. Error bodies are SCIM
//! (`schemas`, `detail`, `status` as a string, `scimType`, Oracle's `messageId` extension):
//! [`OciError::scim`] holds the whole body, and the code shown is the `messageId`, else the
//! `scimType`, else `ScimError`.

// `OciError` is about 128 bytes and is produced at most once per API call (which costs a
// network round trip), so boxing it would only make matching on it clumsier.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::sync::Arc;

use reqwest::{Method, Url};
use serde::Deserialize;

use crate::config::ResolvedConfig;
use crate::endpoints::{normalize_endpoint, EndpointError};
use crate::error::{ErrorKind, OciError, ScimError};
use crate::http::{
    bad_error_body, ApiRequest, ClientOptions, DecodedError, HttpClient, ServiceApi,
};

/// `/admin/v1`, SCIM error bodies.
const API: ServiceApi = ServiceApi {
    base_path: &["admin", "v1"],
    decode_error: decode_scim_error,
};

/// Reads a SCIM error body; anything else becomes `BadErrorResponse`.
fn decode_scim_error(status: u16, body: &[u8]) -> DecodedError {
    match ScimError::parse(body) {
        Some(scim) => DecodedError {
            code: scim
                .message_id
                .clone()
                .or_else(|| scim.scim_type.clone())
                .unwrap_or_else(|| "ScimError".to_owned()),
            message: scim.detail.clone().unwrap_or_default(),
            scim: Some(scim),
        },
        None => bad_error_body(status, "a SCIM error body"),
    }
}

/// Checks a domain URL (`idcs_endpoint`): an http(s) origin without path, query or
/// credentials; `https://` is assumed when the scheme is missing and `:443` is dropped.
pub fn domain_url(idcs_endpoint: &str) -> Result<Url, EndpointError> {
    let origin = normalize_endpoint(idcs_endpoint)
        .map_err(|e| EndpointError::new(Some("idcs_endpoint"), format!("idcs_endpoint {e}")))?;
    Url::parse(&origin).map_err(|e| {
        EndpointError::new(
            Some("idcs_endpoint"),
            format!("idcs_endpoint is not a valid URL ({e})"),
        )
    })
}

/// A reference to the user owning a token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimUserRef {
    /// The user's SCIM id.
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub ocid: Option<String>,
    #[serde(default)]
    pub display: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "$ref")]
    pub reference: Option<String>,
}

/// SCIM resource metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimMeta {
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

/// An Identity Domains auth token. `token` (the secret) comes back only from a create;
/// `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimAuthToken {
    #[serde(default)]
    pub schemas: Vec<String>,
    pub id: String,
    #[serde(default)]
    pub ocid: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    /// `ACTIVE` or `INACTIVE`; never returned by a default GET.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub expires_on: Option<String>,
    #[serde(default)]
    pub user: Option<ScimUserRef>,
    #[serde(default)]
    pub meta: Option<ScimMeta>,
    #[serde(default)]
    pub delete_in_progress: Option<bool>,
    #[serde(default)]
    pub domain_ocid: Option<String>,
    #[serde(default)]
    pub compartment_ocid: Option<String>,
    #[serde(default)]
    pub tenancy_ocid: Option<String>,
}

impl fmt::Debug for ScimAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimAuthToken")
            .field("schemas", &self.schemas)
            .field("id", &self.id)
            .field("ocid", &self.ocid)
            .field("description", &self.description)
            .field("token", &self.token.as_ref().map(|_| "(sensitive)"))
            .field("status", &self.status)
            .field("expires_on", &self.expires_on)
            .field("user", &self.user)
            .field("meta", &self.meta)
            .field("delete_in_progress", &self.delete_in_progress)
            .field("domain_ocid", &self.domain_ocid)
            .field("compartment_ocid", &self.compartment_ocid)
            .field("tenancy_ocid", &self.tenancy_ocid)
            .finish()
    }
}

/// One page of a SCIM list. `start_index` is 1-based; `items_per_page` is the page size.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct ScimListResponse<T> {
    #[serde(default)]
    pub schemas: Vec<String>,
    pub total_results: u64,
    #[serde(default, rename = "Resources")]
    pub resources: Vec<T>,
    pub start_index: u64,
    pub items_per_page: u64,
}

/// Query parameters of a list call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// A SCIM filter, e.g. `user.value eq "<user id>"`.
    pub filter: Option<String>,
    /// 1-based index of the first result.
    pub start_index: Option<u64>,
    /// Page size (the service allows at most 1000).
    pub count: Option<u64>,
}

impl ListQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(filter) = &self.filter {
            pairs.push(("filter", filter.clone()));
        }
        if let Some(start) = self.start_index {
            pairs.push(("startIndex", start.to_string()));
        }
        if let Some(count) = self.count {
            pairs.push(("count", count.to_string()));
        }
        pairs
    }
}

/// Client for Identity Domains auth tokens. Cheap to clone (shares one connection pool).
#[derive(Clone, Debug)]
pub struct IdentityDomainsClient {
    http: Arc<HttpClient>,
}

impl IdentityDomainsClient {
    /// A client with the configuration's signer and retry policy. It has no endpoint of its
    /// own: each call names the domain.
    pub fn new(cfg: &ResolvedConfig) -> Result<Self, OciError> {
        Self::with_options(cfg, &ClientOptions::default())
    }

    pub fn with_options(cfg: &ResolvedConfig, options: &ClientOptions) -> Result<Self, OciError> {
        let http = HttpClient::new(cfg.signer.clone(), cfg.retry, options)
            .map_err(|e| OciError::new(ErrorKind::Config(e), "NewIdentityDomainsClient", ""))?;
        Ok(Self {
            http: Arc::new(http),
        })
    }

    fn request(
        operation: &'static str,
        domain: &str,
        segments: &[String],
        query: &[(&str, &str)],
    ) -> Result<ApiRequest, OciError> {
        let domain = domain_url(domain)
            .map_err(|e| OciError::new(ErrorKind::Config(e.message), operation, ""))?;
        Ok(ApiRequest {
            operation,
            method: Method::GET,
            url: API.url(&domain, segments, query),
            body: None,
            headers: Vec::new(),
            decode_error: API.decode_error,
        })
    }

    /// `GET {domain}/admin/v1/AuthTokens/{id}`.
    pub async fn get_auth_token(&self, domain: &str, id: &str) -> Result<ScimAuthToken, OciError> {
        const OP: &str = "GetAuthToken";
        if id.trim().is_empty() {
            return Err(OciError::new(
                ErrorKind::Config("auth_token_id must not be empty".into()),
                OP,
                "",
            ));
        }
        let request = Self::request(OP, domain, &["AuthTokens".into(), id.into()], &[])?;
        self.http.send(request).await?.json(OP)
    }

    /// `GET {domain}/admin/v1/AuthTokens?filter=…&startIndex=…&count=…`: one page.
    pub async fn list_auth_tokens(
        &self,
        domain: &str,
        query: &ListQuery,
    ) -> Result<ScimListResponse<ScimAuthToken>, OciError> {
        const OP: &str = "ListAuthTokens";
        let pairs = query.pairs();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let request = Self::request(OP, domain, &["AuthTokens".into()], &pairs)?;
        self.http.send(request).await?.json(OP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::RetryPolicy;
    use crate::keys::tests::fixture;
    use crate::keys::RsaPrivateKey;
    use crate::signer::Signer;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const TOKEN: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:oracle:idcs:authToken"],"id":"0123456789abcdef0123456789abcdef",
        "ocid":"ocid1.credential.oc1..aaa","description":"ci","expiresOn":"2030-01-01T00:00:00Z",
        "user":{"value":"u-scim-id","ocid":"ocid1.user.oc1..bbb","display":"Ada","$ref":"https://idcs.example/admin/v1/Users/u-scim-id"},
        "meta":{"resourceType":"AuthToken","created":"2023-08-29T21:04:25.379Z","lastModified":"2023-08-29T21:04:25.379Z","version":"0a1b"},
        "token":"s3cr3t-token","deleteInProgress":false}"#;

    /// An HTTP server answering one request per connection with each `(status, body)` in
    /// turn, then closing; the handle yields the request heads it saw.
    async fn canned(
        responses: &[(&'static str, &'static str)],
    ) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let responses = responses.to_vec();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let handle = tokio::spawn(async move {
            let mut heads = Vec::new();
            for (status, body) in responses {
                let (mut conn, _) = listener.accept().await.unwrap();
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = conn.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                heads.push(String::from_utf8_lossy(&head).into_owned());
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/scim+json\r\nopc-request-id: srv-1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                conn.write_all(response.as_bytes()).await.unwrap();
                conn.shutdown().await.ok();
            }
            heads
        });
        (origin, handle)
    }

    fn client(retry: RetryPolicy) -> IdentityDomainsClient {
        let key = RsaPrivateKey::from_pem(&fixture("rsa2048_pkcs8.pem"), None).unwrap();
        let http = HttpClient::new(
            Signer::new("t/u/f", Arc::new(key)),
            retry,
            &ClientOptions::default(),
        )
        .unwrap();
        IdentityDomainsClient {
            http: Arc::new(http),
        }
    }

    #[tokio::test]
    async fn get_is_a_signed_get_under_admin_v1() {
        let (origin, server) = canned(&[("200 OK", TOKEN)]).await;
        let token = client(RetryPolicy::default())
            .get_auth_token(&origin, "0123456789abcdef0123456789abcdef")
            .await
            .unwrap();
        assert_eq!(token.id, "0123456789abcdef0123456789abcdef");
        assert_eq!(
            token.user.as_ref().unwrap().value.as_deref(),
            Some("u-scim-id")
        );
        assert_eq!(
            token.meta.as_ref().unwrap().created.as_deref(),
            Some("2023-08-29T21:04:25.379Z")
        );
        assert_eq!(token.expires_on.as_deref(), Some("2030-01-01T00:00:00Z"));
        assert!(!format!("{token:?}").contains("s3cr3t"));
        let heads = server.await.unwrap();
        let head = heads[0].to_ascii_lowercase();
        assert!(
            head.starts_with("get /admin/v1/authtokens/0123456789abcdef0123456789abcdef http/1.1"),
            "{head}"
        );
        assert!(head.contains("authorization: signature "), "{head}");
        assert!(head.contains("keyid=\"t/u/f\""), "{head}");
        assert!(head.contains("user-agent: oci-client/"), "{head}");
    }

    #[tokio::test]
    async fn list_sends_the_query_and_reads_the_list_response() {
        let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,
            "Resources":[{"id":"a","description":"one"},{"id":"b"}],"startIndex":1,"itemsPerPage":2}"#;
        let (origin, server) = canned(&[("200 OK", body)]).await;
        let query = ListQuery {
            filter: Some("user.value eq \"u-scim-id\"".into()),
            start_index: Some(1),
            count: Some(2),
        };
        let page = client(RetryPolicy::default())
            .list_auth_tokens(&origin, &query)
            .await
            .unwrap();
        assert_eq!(
            (page.total_results, page.start_index, page.items_per_page),
            (3, 1, 2)
        );
        let ids: Vec<&str> = page.resources.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let heads = server.await.unwrap();
        assert!(
            heads[0].starts_with(
                "GET /admin/v1/AuthTokens?filter=user.value+eq+%22u-scim-id%22&startIndex=1&count=2 HTTP/1.1"
            ),
            "{}",
            heads[0]
        );
    }

    #[tokio::test]
    async fn scim_error_bodies_are_decoded() {
        let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error","urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error"],
            "detail":"Resource 0123 not found.","status":"404",
            "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error":{"messageId":"error.common.common.resourceNotFound"}}"#;
        let (origin, server) = canned(&[("404 Not Found", body)]).await;
        let err = client(RetryPolicy::default())
            .get_auth_token(&origin, "0123")
            .await
            .unwrap_err();
        assert_eq!(
            (err.status(), err.code(), err.message()),
            (
                Some(404),
                Some("error.common.common.resourceNotFound"),
                Some("Resource 0123 not found.")
            )
        );
        assert!(err.is_not_found());
        let scim = err.scim.as_deref().unwrap();
        assert_eq!(scim.status.as_deref(), Some("404"));
        assert_eq!(err.opc_request_id.as_deref(), Some("srv-1"));
        assert_eq!(err.attempts, 1);
        let text = err.to_string();
        assert!(
            text.starts_with("404-error.common.common.resourceNotFound, Resource 0123 not found."),
            "{text}"
        );
        assert!(
            text.contains("Request target: GET http://127.0.0.1:"),
            "{text}"
        );
        server.await.unwrap();
    }

    #[tokio::test]
    async fn scim_type_is_the_code_without_a_message_id_and_5xx_are_retried() {
        let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"busy","status":"503","scimType":"tooMany"}"#;
        let list = r#"{"totalResults":0,"Resources":[],"startIndex":1,"itemsPerPage":50}"#;
        let (origin, server) = canned(&[("503 Service Unavailable", body), ("200 OK", list)]).await;
        let retry = RetryPolicy {
            max_duration: Duration::from_secs(5),
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(10),
            enabled: true,
        };
        let page = client(retry)
            .list_auth_tokens(&origin, &ListQuery::default())
            .await
            .unwrap();
        assert!(page.resources.is_empty());
        let heads = server.await.unwrap();
        assert_eq!(heads.len(), 2, "the 503 was retried");
        assert!(heads[1].starts_with("GET /admin/v1/AuthTokens HTTP/1.1"));

        let (origin, server) = canned(&[("503 Service Unavailable", body)]).await;
        let err = client(RetryPolicy {
            enabled: false,
            ..retry
        })
        .list_auth_tokens(&origin, &ListQuery::default())
        .await
        .unwrap_err();
        assert_eq!((err.status(), err.code()), (Some(503), Some("tooMany")));
        assert_eq!(err.message(), Some("busy"));
        assert!(!err.is_not_found());
        server.await.unwrap();
    }

    #[tokio::test]
    async fn non_scim_error_bodies_are_bad_error_responses() {
        let (origin, server) = canned(&[("404 Not Found", "<html>nope</html>")]).await;
        let err = client(RetryPolicy::default())
            .get_auth_token(&origin, "x")
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("BadErrorResponse"));
        assert!(
            !err.is_not_found(),
            "a 404 without a SCIM body is not a verdict"
        );
        assert!(!err.to_string().contains("html"));
        server.await.unwrap();
    }

    #[test]
    fn domain_urls() {
        assert_eq!(
            domain_url("https://idcs-abc.identity.oraclecloud.com:443")
                .unwrap()
                .as_str(),
            "https://idcs-abc.identity.oraclecloud.com/"
        );
        assert_eq!(
            domain_url("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );
        let err = domain_url("https://idcs-abc.identity.oraclecloud.com/admin/v1").unwrap_err();
        assert_eq!(err.argument, Some("idcs_endpoint"));
        assert!(err.message.contains("path"), "{}", err.message);
    }

    #[tokio::test]
    async fn a_bad_domain_url_fails_before_any_request() {
        let err = client(RetryPolicy::default())
            .get_auth_token("https://user:pw@idcs.example", "x")
            .await
            .unwrap_err();
        assert!(matches!(err.kind, ErrorKind::Config(_)));
        assert!(!err.to_string().contains("pw"));
    }
}
