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

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};

use crate::config::ResolvedConfig;
use crate::endpoints::{normalize_endpoint, EndpointError};
use crate::error::{ErrorKind, OciError, ScimError};
use crate::http::{
    bad_error_body, decode_oci_error, new_retry_token, ApiRequest, ClientOptions, DecodedError,
    HttpClient, ServiceApi,
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
        // Gateways in front of a domain may answer in the standard OCI form.
        None => match decode_oci_error(status, body) {
            decoded if decoded.code != "BadErrorResponse" => decoded,
            _ => bad_error_body(status, "a SCIM error body"),
        },
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

/// The schema URN of an auth token (`schemas` of a create body).
pub const AUTH_TOKEN_SCHEMA: &str = "urn:ietf:params:scim:schemas:oracle:idcs:authToken";
/// The schema URN of a SCIM PATCH body.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The key of the self-change extension object in an auth token.
pub const SELF_CHANGE_EXTENSION: &str =
    "urn:ietf:params:scim:schemas:oracle:idcs:extension:selfChange:User";

/// A reference to the user owning a token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimUserRef {
    /// The user's SCIM id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// SCIM resource metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Who created or last modified a resource (`idcsCreatedBy`, `idcsLastModifiedBy`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimPrincipalRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocid: Option<String>,
    /// `User` or `App`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A SCIM tag (`{key, value}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimTag {
    pub key: String,
    pub value: String,
}

/// The `urn:ietf:params:scim:schemas:oracle:idcs:extension:selfChange:User` extension:
/// write-only, never returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimSelfChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_self_change: Option<bool>,
}

/// An Identity Domains auth token (also the `MyAuthTokens` shape, which lacks the secret and
/// the self-change extension). `token` (the secret) comes back only from a create; `Debug`
/// never shows it. It serializes as a create body: unset fields (and an empty `id`) are
/// left out.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimAuthToken {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// `ACTIVE` or `INACTIVE`; never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<ScimUserRef>,
    /// Returned only on request (`attributes=tags` or `attributeSets=request|all`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<ScimTag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<ScimMeta>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idcs_created_by: Option<ScimPrincipalRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idcs_last_modified_by: Option<ScimPrincipalRef>,
    /// Returned only on request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idcs_prevented_operations: Option<Vec<String>>,
    /// Returned only on request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idcs_last_upgraded_in_release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_in_progress: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_ocid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compartment_ocid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenancy_ocid: Option<String>,
    /// Write-only, never returned.
    #[serde(
        default,
        rename = "urn:ietf:params:scim:schemas:oracle:idcs:extension:selfChange:User",
        skip_serializing_if = "Option::is_none"
    )]
    pub self_change: Option<ScimSelfChange>,
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
            .field("tags", &self.tags)
            .field("meta", &self.meta)
            .field("idcs_created_by", &self.idcs_created_by)
            .field("idcs_last_modified_by", &self.idcs_last_modified_by)
            .field("idcs_prevented_operations", &self.idcs_prevented_operations)
            .field(
                "idcs_last_upgraded_in_release",
                &self.idcs_last_upgraded_in_release,
            )
            .field("delete_in_progress", &self.delete_in_progress)
            .field("domain_ocid", &self.domain_ocid)
            .field("compartment_ocid", &self.compartment_ocid)
            .field("tenancy_ocid", &self.tenancy_ocid)
            .field("self_change", &self.self_change)
            .finish()
    }
}

/// One operation of a SCIM PATCH (`PatchOp`): `op` is `add`, `remove` or `replace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchOperation {
    pub op: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

impl PatchOperation {
    /// `replace` of `path` with `value`.
    pub fn replace(path: &str, value: impl Into<serde_json::Value>) -> Self {
        PatchOperation {
            op: "replace".into(),
            path: Some(path.into()),
            value: Some(value.into()),
        }
    }

    /// `remove` of `path`.
    pub fn remove(path: &str) -> Self {
        PatchOperation {
            op: "remove".into(),
            path: Some(path.into()),
            value: None,
        }
    }
}

#[derive(Serialize)]
struct PatchBody<'a> {
    schemas: [&'static str; 1],
    #[serde(rename = "Operations")]
    operations: &'a [PatchOperation],
}

/// Options every single-token call accepts: which attributes to return (SCIM
/// `attributes`/`attributeSets`; not sent to `MyAuthTokens`, which has neither) and the
/// `resource_type_schema_version` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// Comma-separated attribute names, e.g. `tags,status`.
    pub attributes: Option<String>,
    /// `all`, `always`, `never`, `request`, `default`.
    pub attribute_sets: Vec<String>,
    pub resource_type_schema_version: Option<String>,
}

impl CallOptions {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(a) = self.attributes.as_ref().filter(|a| !a.is_empty()) {
            pairs.push(("attributes", a.clone()));
        }
        for set in &self.attribute_sets {
            pairs.push(("attributeSets", set.clone()));
        }
        pairs
    }
}

/// Which collection a call goes to: an administrator's `AuthTokens` or the calling user's
/// `MyAuthTokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    AuthTokens,
    MyAuthTokens,
}

impl Collection {
    fn segment(self) -> &'static str {
        match self {
            Collection::AuthTokens => "AuthTokens",
            Collection::MyAuthTokens => "MyAuthTokens",
        }
    }
}

/// One page of a SCIM list. `start_index` is 1-based; `items_per_page` is the page size.
/// The three counts are always there: a page without one is a decode error (see
/// [`IdentityDomainsClient::list_auth_tokens`]), since paging cannot go on safely without them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimListResponse<T> {
    pub schemas: Vec<String>,
    pub total_results: u64,
    pub resources: Vec<T>,
    pub start_index: u64,
    pub items_per_page: u64,
}

/// A list body as sent, counts possibly missing.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
struct RawListResponse<T> {
    #[serde(default)]
    schemas: Vec<String>,
    #[serde(default)]
    total_results: Option<u64>,
    #[serde(default, rename = "Resources")]
    resources: Vec<T>,
    #[serde(default)]
    start_index: Option<u64>,
    #[serde(default)]
    items_per_page: Option<u64>,
}

impl<T> RawListResponse<T> {
    /// The page, or the names of the counts it lacks.
    fn complete(self) -> Result<ScimListResponse<T>, String> {
        match (self.total_results, self.start_index, self.items_per_page) {
            (Some(total_results), Some(start_index), Some(items_per_page)) => {
                Ok(ScimListResponse {
                    schemas: self.schemas,
                    total_results,
                    resources: self.resources,
                    start_index,
                    items_per_page,
                })
            }
            (total, start, per_page) => {
                let missing: Vec<&str> = [
                    ("totalResults", total.is_none()),
                    ("startIndex", start.is_none()),
                    ("itemsPerPage", per_page.is_none()),
                ]
                .iter()
                .filter(|(_, gone)| *gone)
                .map(|(name, _)| *name)
                .collect();
                Err(format!(
                    "the list response has no {}, so the results cannot be paged safely",
                    missing.join(", ")
                ))
            }
        }
    }
}

/// `ASCENDING` or `DESCENDING` (the SDK enum; the service also takes lower case).
pub const SORT_ORDERS: [&str; 2] = ["ASCENDING", "DESCENDING"];

/// The `attributeSets` values: which SCIM `returned` classes a response includes.
pub const ATTRIBUTE_SETS: [&str; 5] = ["all", "always", "never", "request", "default"];

/// Query parameters (and the optional headers) of a list call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// A SCIM filter, e.g. `user.value eq "<user id>"`.
    pub filter: Option<String>,
    /// 1-based index of the first result.
    pub start_index: Option<u64>,
    /// Page size (the service allows at most 1000).
    pub count: Option<u64>,
    /// Attribute to sort by, in SCIM attribute notation (e.g. `meta.created`).
    pub sort_by: Option<String>,
    /// `ASCENDING` or `DESCENDING`.
    pub sort_order: Option<String>,
    /// Comma-separated attributes to return (plus the `always` ones).
    pub attributes: Option<String>,
    /// `all`, `always`, `never`, `request`, `default`; sent as repeated `attributeSets`.
    pub attribute_sets: Vec<String>,
    /// The `resource_type_schema_version` header.
    pub resource_type_schema_version: Option<String>,
}

impl ListQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(filter) = &self.filter {
            pairs.push(("filter", filter.clone()));
        }
        if let Some(sort_by) = &self.sort_by {
            pairs.push(("sortBy", sort_by.clone()));
        }
        if let Some(sort_order) = &self.sort_order {
            pairs.push(("sortOrder", sort_order.clone()));
        }
        if let Some(start) = self.start_index {
            pairs.push(("startIndex", start.to_string()));
        }
        if let Some(count) = self.count {
            pairs.push(("count", count.to_string()));
        }
        if let Some(attributes) = &self.attributes {
            pairs.push(("attributes", attributes.clone()));
        }
        for set in &self.attribute_sets {
            pairs.push(("attributeSets", set.clone()));
        }
        pairs
    }

    fn headers(&self, operation: &'static str) -> Result<Vec<(HeaderName, HeaderValue)>, OciError> {
        let mut headers = Vec::new();
        if let Some(version) = &self.resource_type_schema_version {
            let value = HeaderValue::from_str(version).map_err(|_| {
                OciError::new(
                    ErrorKind::Config(
                        "resource_type_schema_version must be printable ASCII".into(),
                    ),
                    operation,
                    "",
                )
            })?;
            headers.push((
                HeaderName::from_static("resource_type_schema_version"),
                value,
            ));
        }
        Ok(headers)
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
        let http = HttpClient::new(cfg.credentials.clone(), cfg.retry, options)
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

    /// `GET {domain}/admin/v1/AuthTokens?filter=…&startIndex=…&count=…`: one page. A page
    /// without `totalResults`, `startIndex` or `itemsPerPage` is a decode error.
    pub async fn list_auth_tokens(
        &self,
        domain: &str,
        query: &ListQuery,
    ) -> Result<ScimListResponse<ScimAuthToken>, OciError> {
        self.list_page(Collection::AuthTokens, domain, query).await
    }
}

impl Collection {
    /// The API operation of one list call on this collection, as error reports name it.
    pub fn list_operation(self) -> &'static str {
        match self {
            Collection::AuthTokens => "ListAuthTokens",
            Collection::MyAuthTokens => "ListMyAuthTokens",
        }
    }
}

/// At most this many pages are read by one [`TokenPages`] (10 million tokens at the
/// service's largest page size): a misbehaving server cannot keep a list going forever.
pub const MAX_PAGES: u32 = 10_000;

/// What comes after a page: the `startIndex` of the next one, `None` at the end, or why
/// paging cannot go on. `requested` is the `startIndex` the page was asked for (`None` when
/// the first request left it to the service).
///
/// The official provider continues while `startIndex + itemsPerPage <= totalResults`; so does
/// this, but a page size of 0, an empty page before the end, or a next index that does not
/// move past the requested one end the list with an error instead of looping forever.
pub fn next_start_index<T>(
    requested: Option<u64>,
    page: &ScimListResponse<T>,
) -> Result<Option<u64>, String> {
    let (start, per_page, total) = (page.start_index, page.items_per_page, page.total_results);
    let Some(next) = start.checked_add(per_page) else {
        return Err(format!(
            "the page at startIndex {start} reports itemsPerPage {per_page}, past the largest index"
        ));
    };
    if per_page == 0 {
        if start > total || page.resources.is_empty() && total == 0 {
            return Ok(None);
        }
        return Err(format!(
            "the page at startIndex {start} reports itemsPerPage 0 with totalResults {total}, so paging would never advance"
        ));
    }
    if next > total {
        return Ok(None);
    }
    if page.resources.is_empty() {
        return Err(format!(
            "the page at startIndex {start} is empty although totalResults is {total}"
        ));
    }
    if requested.is_some_and(|r| next <= r) {
        return Err(format!(
            "asked for startIndex {}, the service answered with startIndex {start}, so paging would not advance",
            requested.unwrap_or_default()
        ));
    }
    Ok(Some(next))
}

/// Where a [`TokenPages`] stands.
#[derive(Debug, Clone, Copy)]
enum Cursor {
    First,
    At(u64),
    Done,
}

/// Every page of a token list, one request at a time ([`TokenPages::next_page`]): only the
/// current page is held, so a caller can stop early (a `limit`) without reading the rest.
#[derive(Debug)]
pub struct TokenPages {
    client: IdentityDomainsClient,
    collection: Collection,
    domain: String,
    query: ListQuery,
    cursor: Cursor,
    pages: u32,
}

impl TokenPages {
    /// The next page, `Ok(None)` after the last one. The first request sends the query as
    /// given (its `start_index`, or none); later ones the next `startIndex`. A page that
    /// cannot be followed safely (see [`next_start_index`]) is an error, and so is every call
    /// after it.
    pub async fn next_page(&mut self) -> Result<Option<ScimListResponse<ScimAuthToken>>, OciError> {
        let requested = match self.cursor {
            Cursor::Done => return Ok(None),
            Cursor::First => self.query.start_index,
            Cursor::At(i) => Some(i),
        };
        let op = self.collection.list_operation();
        if self.pages >= MAX_PAGES {
            self.cursor = Cursor::Done;
            return Err(OciError::new(
                ErrorKind::Decode(format!("the list did not end after {MAX_PAGES} pages")),
                op,
                "",
            ));
        }
        let mut query = self.query.clone();
        query.start_index = requested;
        self.cursor = Cursor::Done;
        let (page, response) = self
            .client
            .list_page_with_response(self.collection, &self.domain, &query)
            .await?;
        self.pages += 1;
        if self.query.count == Some(0) {
            // `count=0` asks only for the counts: there is nothing to page through.
            return Ok(Some(page));
        }
        match next_start_index(requested, &page) {
            Ok(Some(next)) => self.cursor = Cursor::At(next),
            Ok(None) => {}
            Err(problem) => {
                let mut err = OciError::new(
                    ErrorKind::Decode(format!("{problem}; stopped after {} page(s)", self.pages)),
                    op,
                    response.target,
                );
                err.opc_request_id = response.opc_request_id;
                return Err(err);
            }
        }
        Ok(Some(page))
    }

    /// How many pages were read so far.
    pub fn pages_read(&self) -> u32 {
        self.pages
    }
}

/// Where one page came from, for error reports.
struct PageSource {
    target: String,
    opc_request_id: Option<String>,
}

impl IdentityDomainsClient {
    /// `GET {domain}/admin/v1/MyAuthTokens?…`: one page of the calling user's tokens (which
    /// never carry the secret).
    pub async fn list_my_auth_tokens(
        &self,
        domain: &str,
        query: &ListQuery,
    ) -> Result<ScimListResponse<ScimAuthToken>, OciError> {
        self.list_page(Collection::MyAuthTokens, domain, query)
            .await
    }

    /// Every page of a list, starting at `query.start_index` with pages of `query.count`.
    pub fn pages(&self, collection: Collection, domain: &str, query: ListQuery) -> TokenPages {
        TokenPages {
            client: self.clone(),
            collection,
            domain: domain.to_owned(),
            query,
            cursor: Cursor::First,
            pages: 0,
        }
    }

    async fn list_page(
        &self,
        collection: Collection,
        domain: &str,
        query: &ListQuery,
    ) -> Result<ScimListResponse<ScimAuthToken>, OciError> {
        Ok(self
            .list_page_with_response(collection, domain, query)
            .await?
            .0)
    }

    async fn list_page_with_response(
        &self,
        collection: Collection,
        domain: &str,
        query: &ListQuery,
    ) -> Result<(ScimListResponse<ScimAuthToken>, PageSource), OciError> {
        let op = collection.list_operation();
        let pairs = query.pairs();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut request = Self::request(op, domain, &[collection.segment().into()], &pairs)?;
        request.headers.extend(query.headers(op)?);
        let response = self.http.send(request).await?;
        let raw: RawListResponse<ScimAuthToken> = response.json(op)?;
        let source = PageSource {
            target: response.target,
            opc_request_id: response.opc_request_id,
        };
        match raw.complete() {
            Ok(page) => Ok((page, source)),
            Err(problem) => {
                let mut err = OciError::new(ErrorKind::Decode(problem), op, source.target);
                err.opc_request_id = source.opc_request_id;
                Err(err)
            }
        }
    }
}

/// `s` as a SCIM filter string literal: in double quotes, with `"` and `\` escaped.
pub fn scim_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whether a token with this `expiresOn` has expired at `now`: `Ok(false)` without an expiry
/// (such tokens never expire), an error for a timestamp that is not RFC 3339.
pub fn is_expired_at(expires_on: Option<&str>, now: std::time::SystemTime) -> Result<bool, String> {
    let Some(text) = expires_on.filter(|s| !s.is_empty()) else {
        return Ok(false);
    };
    let at = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("expiresOn {text:?} is not an RFC 3339 timestamp ({e})"))?;
    let now: chrono::DateTime<chrono::Utc> = now.into();
    Ok(at <= now)
}

/// Single-token operations: create, get, patch and delete, on `AuthTokens` or
/// `MyAuthTokens`.
impl IdentityDomainsClient {
    #[allow(clippy::too_many_arguments)]
    fn token_request(
        operation: &'static str,
        method: Method,
        domain: &str,
        collection: Collection,
        id: Option<&str>,
        options: &CallOptions,
        body: Option<Vec<u8>>,
    ) -> Result<ApiRequest, OciError> {
        if let Some(id) = id {
            if id.trim().is_empty() {
                return Err(OciError::new(
                    ErrorKind::Config("the auth token id must not be empty".into()),
                    operation,
                    "",
                ));
            }
        }
        let mut segments = vec![collection.segment().to_owned()];
        segments.extend(id.map(str::to_owned));
        // MyAuthTokens takes no attributes/attributeSets.
        let pairs = match collection {
            Collection::AuthTokens if method != Method::DELETE => options.query(),
            _ => Vec::new(),
        };
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut request = Self::request(operation, domain, &segments, &pairs)?;
        request.method = method;
        request.body = body;
        if let Some(version) = &options.resource_type_schema_version {
            let value = HeaderValue::from_str(version).map_err(|_| {
                OciError::new(
                    ErrorKind::Config(
                        "resource_type_schema_version is not a valid header value".into(),
                    ),
                    operation,
                    "",
                )
            })?;
            request.headers.push((
                HeaderName::from_static("resource_type_schema_version"),
                value,
            ));
        }
        Ok(request)
    }

    /// `POST {domain}/admin/v1/{AuthTokens|MyAuthTokens}`. `token.schemas` defaults to the
    /// auth-token schema. One `opc-retry-token` is sent on every attempt. The response
    /// (201) carries the secret in `token`, the only time it is ever returned.
    pub async fn create_token(
        &self,
        domain: &str,
        collection: Collection,
        token: &ScimAuthToken,
        options: &CallOptions,
    ) -> Result<ScimAuthToken, OciError> {
        let op = match collection {
            Collection::AuthTokens => "CreateAuthToken",
            Collection::MyAuthTokens => "CreateMyAuthToken",
        };
        let mut body = token.clone();
        if body.schemas.is_empty() {
            body.schemas = vec![AUTH_TOKEN_SCHEMA.to_owned()];
        }
        body.id.clear();
        body.token = None;
        let json = serde_json::to_vec(&body).expect("an auth token always serializes");
        let mut request = Self::token_request(
            op,
            Method::POST,
            domain,
            collection,
            None,
            options,
            Some(json),
        )?;
        let retry_token = HeaderValue::from_str(&new_retry_token())
            .expect("alphanumerics are a valid header value");
        request
            .headers
            .push((HeaderName::from_static("opc-retry-token"), retry_token));
        self.http.send(request).await?.json(op)
    }

    /// `GET {domain}/admin/v1/{AuthTokens|MyAuthTokens}/{id}` with the attributes asked for.
    pub async fn get_token(
        &self,
        domain: &str,
        collection: Collection,
        id: &str,
        options: &CallOptions,
    ) -> Result<ScimAuthToken, OciError> {
        let op = match collection {
            Collection::AuthTokens => "GetAuthToken",
            Collection::MyAuthTokens => "GetMyAuthToken",
        };
        let request =
            Self::token_request(op, Method::GET, domain, collection, Some(id), options, None)?;
        self.http.send(request).await?.json(op)
    }

    /// `PATCH {domain}/admin/v1/{AuthTokens|MyAuthTokens}/{id}` with a `PatchOp` body;
    /// returns the updated token.
    pub async fn patch_token(
        &self,
        domain: &str,
        collection: Collection,
        id: &str,
        operations: &[PatchOperation],
        options: &CallOptions,
    ) -> Result<ScimAuthToken, OciError> {
        let op = match collection {
            Collection::AuthTokens => "PatchAuthToken",
            Collection::MyAuthTokens => "PatchMyAuthToken",
        };
        let body = serde_json::to_vec(&PatchBody {
            schemas: [PATCH_OP_SCHEMA],
            operations,
        })
        .expect("a patch always serializes");
        let request = Self::token_request(
            op,
            Method::PATCH,
            domain,
            collection,
            Some(id),
            options,
            Some(body),
        )?;
        self.http.send(request).await?.json(op)
    }

    /// `DELETE {domain}/admin/v1/{AuthTokens|MyAuthTokens}/{id}` (204). A 404 is an error;
    /// callers that treat "already gone" as success check [`OciError::is_not_found`].
    pub async fn delete_token(
        &self,
        domain: &str,
        collection: Collection,
        id: &str,
        options: &CallOptions,
    ) -> Result<(), OciError> {
        let op = match collection {
            Collection::AuthTokens => "DeleteAuthToken",
            Collection::MyAuthTokens => "DeleteMyAuthToken",
        };
        let request = Self::token_request(
            op,
            Method::DELETE,
            domain,
            collection,
            Some(id),
            options,
            None,
        )?;
        self.http.send(request).await.map(|_| ())
    }

    /// [`Self::create_token`] on `AuthTokens`.
    pub async fn create_auth_token(
        &self,
        domain: &str,
        token: &ScimAuthToken,
        options: &CallOptions,
    ) -> Result<ScimAuthToken, OciError> {
        self.create_token(domain, Collection::AuthTokens, token, options)
            .await
    }

    /// [`Self::get_token`] on `AuthTokens`.
    pub async fn get_auth_token_with(
        &self,
        domain: &str,
        id: &str,
        options: &CallOptions,
    ) -> Result<ScimAuthToken, OciError> {
        self.get_token(domain, Collection::AuthTokens, id, options)
            .await
    }

    /// [`Self::patch_token`] on `AuthTokens`.
    pub async fn patch_auth_token(
        &self,
        domain: &str,
        id: &str,
        operations: &[PatchOperation],
        options: &CallOptions,
    ) -> Result<ScimAuthToken, OciError> {
        self.patch_token(domain, Collection::AuthTokens, id, operations, options)
            .await
    }

    /// [`Self::delete_token`] on `AuthTokens`.
    pub async fn delete_auth_token(
        &self,
        domain: &str,
        id: &str,
        options: &CallOptions,
    ) -> Result<(), OciError> {
        self.delete_token(domain, Collection::AuthTokens, id, options)
            .await
    }

    /// [`Self::create_token`] on `MyAuthTokens` (the signing user's own tokens).
    pub async fn create_my_auth_token(
        &self,
        domain: &str,
        token: &ScimAuthToken,
        options: &CallOptions,
    ) -> Result<ScimAuthToken, OciError> {
        self.create_token(domain, Collection::MyAuthTokens, token, options)
            .await
    }

    /// [`Self::get_token`] on `MyAuthTokens`.
    pub async fn get_my_auth_token(
        &self,
        domain: &str,
        id: &str,
        options: &CallOptions,
    ) -> Result<ScimAuthToken, OciError> {
        self.get_token(domain, Collection::MyAuthTokens, id, options)
            .await
    }

    /// [`Self::patch_token`] on `MyAuthTokens`.
    pub async fn patch_my_auth_token(
        &self,
        domain: &str,
        id: &str,
        operations: &[PatchOperation],
        options: &CallOptions,
    ) -> Result<ScimAuthToken, OciError> {
        self.patch_token(domain, Collection::MyAuthTokens, id, operations, options)
            .await
    }

    /// [`Self::delete_token`] on `MyAuthTokens`.
    pub async fn delete_my_auth_token(
        &self,
        domain: &str,
        id: &str,
        options: &CallOptions,
    ) -> Result<(), OciError> {
        self.delete_token(domain, Collection::MyAuthTokens, id, options)
            .await
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
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let length: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                let header_end = head
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map_or(head.len(), |p| p + 4);
                while head.len() < header_end + length {
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
            Arc::new(crate::auth::StaticSource::new(
                "ApiKey",
                Signer::new("t/u/f", Arc::new(key)),
            )),
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
            ..Default::default()
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

    fn body_of(request: &str) -> serde_json::Value {
        let body = request.split_once("\r\n\r\n").unwrap().1;
        serde_json::from_str(body).unwrap()
    }

    #[tokio::test]
    async fn create_posts_the_token_with_a_retry_token_and_reads_the_secret() {
        let (origin, server) = canned(&[("201 Created", TOKEN)]).await;
        let new = ScimAuthToken {
            description: Some("ci".into()),
            expires_on: Some("2030-01-01T00:00:00Z".into()),
            status: Some("ACTIVE".into()),
            user: Some(ScimUserRef {
                value: Some("u-scim-id".into()),
                ..Default::default()
            }),
            tags: Some(vec![ScimTag {
                key: "k".into(),
                value: "v".into(),
            }]),
            self_change: Some(ScimSelfChange {
                allow_self_change: Some(true),
            }),
            ..Default::default()
        };
        let options = CallOptions {
            attribute_sets: vec!["all".into()],
            resource_type_schema_version: Some("v1".into()),
            ..Default::default()
        };
        let created = client(RetryPolicy::default())
            .create_auth_token(&origin, &new, &options)
            .await
            .unwrap();
        assert_eq!(created.token.as_deref(), Some("s3cr3t-token"));
        let requests = server.await.unwrap();
        let head = requests[0].to_ascii_lowercase();
        assert!(
            head.starts_with("post /admin/v1/authtokens?attributesets=all http/1.1"),
            "{head}"
        );
        assert!(head.contains("opc-retry-token: "), "{head}");
        assert!(head.contains("resource_type_schema_version: v1"), "{head}");
        assert_eq!(
            body_of(&requests[0]),
            serde_json::json!({
                "schemas": [AUTH_TOKEN_SCHEMA],
                "description": "ci",
                "status": "ACTIVE",
                "expiresOn": "2030-01-01T00:00:00Z",
                "user": {"value": "u-scim-id"},
                "tags": [{"key": "k", "value": "v"}],
                SELF_CHANGE_EXTENSION: {"allowSelfChange": true}
            })
        );
    }

    #[tokio::test]
    async fn patch_sends_a_patch_op_and_delete_expects_no_body() {
        let (origin, server) = canned(&[("200 OK", TOKEN), ("204 No Content", "")]).await;
        let c = client(RetryPolicy::default());
        let ops = [
            PatchOperation::replace("description", "new"),
            PatchOperation::replace("status", "INACTIVE"),
        ];
        let patched = c
            .patch_auth_token(&origin, "abc", &ops, &CallOptions::default())
            .await
            .unwrap();
        assert_eq!(patched.id, "0123456789abcdef0123456789abcdef");
        c.delete_auth_token(&origin, "abc", &CallOptions::default())
            .await
            .unwrap();
        let requests = server.await.unwrap();
        assert!(requests[0].starts_with("PATCH /admin/v1/AuthTokens/abc HTTP/1.1"));
        assert_eq!(
            body_of(&requests[0]),
            serde_json::json!({
                "schemas": [PATCH_OP_SCHEMA],
                "Operations": [
                    {"op": "replace", "path": "description", "value": "new"},
                    {"op": "replace", "path": "status", "value": "INACTIVE"}
                ]
            })
        );
        assert!(requests[1].starts_with("DELETE /admin/v1/AuthTokens/abc HTTP/1.1"));
    }

    #[tokio::test]
    async fn my_auth_tokens_use_their_own_path_and_no_attribute_parameters() {
        let (origin, server) = canned(&[("201 Created", TOKEN), ("200 OK", TOKEN)]).await;
        let c = client(RetryPolicy::default());
        let options = CallOptions {
            attributes: Some("tags".into()),
            ..Default::default()
        };
        c.create_my_auth_token(&origin, &ScimAuthToken::default(), &options)
            .await
            .unwrap();
        c.get_my_auth_token(&origin, "x", &options).await.unwrap();
        let requests = server.await.unwrap();
        assert!(requests[0].starts_with("POST /admin/v1/MyAuthTokens HTTP/1.1"));
        assert!(requests[1].starts_with("GET /admin/v1/MyAuthTokens/x HTTP/1.1"));
    }

    #[tokio::test]
    async fn get_with_attributes_asks_for_them() {
        let (origin, server) = canned(&[("200 OK", TOKEN)]).await;
        let options = CallOptions {
            attributes: Some("tags,idcsPreventedOperations".into()),
            attribute_sets: vec!["request".into()],
            ..Default::default()
        };
        client(RetryPolicy::default())
            .get_auth_token_with(&origin, "x", &options)
            .await
            .unwrap();
        let requests = server.await.unwrap();
        assert!(
            requests[0].starts_with(
                "GET /admin/v1/AuthTokens/x?attributes=tags%2CidcsPreventedOperations&attributeSets=request HTTP/1.1"
            ),
            "{}",
            requests[0]
        );
    }

    #[test]
    fn every_field_reads_and_the_create_body_leaves_out_what_is_unset() {
        let full = r#"{"schemas":["urn:ietf:params:scim:schemas:oracle:idcs:authToken"],"id":"i","ocid":"o",
            "description":"d","status":"ACTIVE","expiresOn":"2030-01-01T00:00:00Z",
            "user":{"value":"u","ocid":"uo","display":"D","name":"n","$ref":"r"},
            "tags":[{"key":"k","value":"v"}],
            "meta":{"resourceType":"AuthToken","created":"c","lastModified":"l","location":"loc","version":"v"},
            "idcsCreatedBy":{"value":"cb","display":"CB","ocid":"cbo","type":"User","$ref":"cbr"},
            "idcsLastModifiedBy":{"value":"mb","type":"App"},
            "idcsPreventedOperations":["delete"],"idcsLastUpgradedInRelease":"24.1",
            "deleteInProgress":false,"domainOcid":"do","compartmentOcid":"co","tenancyOcid":"to",
            "urn:ietf:params:scim:schemas:oracle:idcs:extension:selfChange:User":{"allowSelfChange":true}}"#;
        let t: ScimAuthToken = serde_json::from_str(full).unwrap();
        assert_eq!(
            t.idcs_created_by.as_ref().unwrap().kind.as_deref(),
            Some("User")
        );
        assert_eq!(
            t.idcs_created_by.as_ref().unwrap().reference.as_deref(),
            Some("cbr")
        );
        assert_eq!(
            t.idcs_prevented_operations.as_deref(),
            Some(&["delete".to_string()][..])
        );
        assert_eq!(t.idcs_last_upgraded_in_release.as_deref(), Some("24.1"));
        assert_eq!(
            t.self_change.as_ref().unwrap().allow_self_change,
            Some(true)
        );
        assert_eq!(t.tags.as_ref().unwrap()[0].key, "k");
        assert_eq!(t.meta.as_ref().unwrap().location.as_deref(), Some("loc"));
        let again: ScimAuthToken =
            serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
        assert_eq!(again, t);
        assert_eq!(
            serde_json::to_value(ScimAuthToken::default()).unwrap(),
            serde_json::json!({"schemas": []})
        );
    }

    #[tokio::test]
    async fn an_invalid_filter_shows_its_detail_type_and_position() {
        let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter",
            "detail":"Invalid filter at position 11: expected an operator"}"#;
        let (origin, server) = canned(&[("400 Bad Request", body)]).await;
        let query = ListQuery {
            filter: Some("user.value equals \"x\"".into()),
            ..Default::default()
        };
        let err = client(RetryPolicy::default())
            .list_auth_tokens(&origin, &query)
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "400-invalidFilter, Invalid filter at position 11: expected an operator"
            ),
            "{text}"
        );
        assert!(
            text.contains("Suggestion: the SCIM filter is not valid"),
            "{text}"
        );
        assert!(
            text.contains("Filter: user.value equals \"x\"\n                   ^ (position 11)"),
            "{text}"
        );
        assert!(text.contains("Operation: ListAuthTokens"), "{text}");
        assert!(text.contains("OPC request ID: srv-1"), "{text}");
        assert!(!text.contains("BadErrorResponse"), "{text}");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn the_token_limit_has_the_classic_hint_and_the_message_id_shows() {
        let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error","urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error"],
            "status":"400","scimType":"invalidValue","detail":"The user already has the maximum number of auth tokens (2).",
            "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error":{"messageId":"error.identity.authToken.maxLimit"}}"#;
        let (origin, server) = canned(&[("400 Bad Request", body)]).await;
        let err = client(RetryPolicy::default())
            .create_auth_token(&origin, &ScimAuthToken::default(), &CallOptions::default())
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("400-error.identity.authToken.maxLimit, The user already has the maximum number of auth tokens (2).\nSCIM type: invalidValue\n"),
            "{text}"
        );
        assert_eq!(err.hint(), Some(crate::error::TOKEN_LIMIT_HINT));
        assert!(text.contains("Operation: CreateAuthToken"), "{text}");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn an_oci_error_body_from_a_domain_keeps_its_code() {
        let body = r#"{"code":"NotAuthenticated","message":"bad signature"}"#;
        let (origin, server) = canned(&[("401 Unauthorized", body)]).await;
        let err = client(RetryPolicy::default())
            .get_auth_token(&origin, "x")
            .await
            .unwrap_err();
        assert_eq!(
            (err.status(), err.code(), err.message()),
            (Some(401), Some("NotAuthenticated"), Some("bad signature"))
        );
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

    fn page_of(ids: &[&str], start: u64, per_page: u64, total: u64) -> ScimListResponse<String> {
        ScimListResponse {
            schemas: Vec::new(),
            total_results: total,
            resources: ids.iter().map(|s| s.to_string()).collect(),
            start_index: start,
            items_per_page: per_page,
        }
    }

    #[test]
    fn next_start_index_follows_the_official_loop_and_refuses_to_spin() {
        // 25 results in pages of 10: 1, 11, 21, then the end.
        assert_eq!(
            next_start_index(None, &page_of(&["a"; 10], 1, 10, 25)),
            Ok(Some(11))
        );
        assert_eq!(
            next_start_index(Some(11), &page_of(&["a"; 10], 11, 10, 25)),
            Ok(Some(21))
        );
        assert_eq!(
            next_start_index(Some(21), &page_of(&["a"; 5], 21, 10, 25)),
            Ok(None)
        );
        // An exact multiple ends without an extra request.
        assert_eq!(
            next_start_index(Some(11), &page_of(&["a"; 10], 11, 10, 20)),
            Ok(None)
        );
        // Page size reported as the page size, not the number returned (Oracle's example).
        assert_eq!(
            next_start_index(None, &page_of(&["a"; 3], 1, 50, 3)),
            Ok(None)
        );
        assert_eq!(next_start_index(None, &page_of(&[], 1, 0, 0)), Ok(None));
        assert_eq!(next_start_index(None, &page_of(&[], 1, 50, 0)), Ok(None));

        let zero = next_start_index(None, &page_of(&["a"], 1, 0, 5)).unwrap_err();
        assert!(
            zero.contains("itemsPerPage 0") && zero.contains("never advance"),
            "{zero}"
        );
        let empty = next_start_index(Some(11), &page_of(&[], 11, 10, 100)).unwrap_err();
        assert!(empty.contains("empty"), "{empty}");
        let back = next_start_index(Some(21), &page_of(&["a"], 1, 10, 100)).unwrap_err();
        assert!(back.contains("would not advance"), "{back}");
        let huge = next_start_index(None, &page_of(&["a"], u64::MAX, 2, u64::MAX)).unwrap_err();
        assert!(huge.contains("largest index"), "{huge}");
    }

    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }

    fn list_body(first: usize, n: usize, start: u64, per_page: u64, total: u64) -> &'static str {
        let items: Vec<String> = (first..first + n)
            .map(|i| format!(r#"{{"id":"t{i}"}}"#))
            .collect();
        leak(format!(
            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":{total},"Resources":[{}],"startIndex":{start},"itemsPerPage":{per_page}}}"#,
            items.join(",")
        ))
    }

    #[tokio::test]
    async fn pages_stream_every_page_with_the_whole_query() {
        let (origin, server) = canned(&[
            ("200 OK", list_body(0, 10, 1, 10, 25)),
            ("200 OK", list_body(10, 10, 11, 10, 25)),
            ("200 OK", list_body(20, 5, 21, 10, 25)),
        ])
        .await;
        let query = ListQuery {
            filter: Some("status eq \"ACTIVE\"".into()),
            count: Some(10),
            sort_by: Some("meta.created".into()),
            sort_order: Some("DESCENDING".into()),
            attributes: Some("tags".into()),
            attribute_sets: vec!["request".into(), "default".into()],
            resource_type_schema_version: Some("v1".into()),
            ..Default::default()
        };
        let mut pages =
            client(RetryPolicy::default()).pages(Collection::AuthTokens, &origin, query);
        let mut ids = Vec::new();
        while let Some(page) = pages.next_page().await.unwrap() {
            ids.extend(page.resources.into_iter().map(|t| t.id));
        }
        assert_eq!(ids.len(), 25);
        assert_eq!((ids[0].as_str(), ids[24].as_str()), ("t0", "t24"));
        assert_eq!(pages.pages_read(), 3);
        assert!(
            pages.next_page().await.unwrap().is_none(),
            "done stays done"
        );
        let heads = server.await.unwrap();
        assert!(
            heads[0].starts_with("GET /admin/v1/AuthTokens?filter=status+eq+%22ACTIVE%22&sortBy=meta.created&sortOrder=DESCENDING&count=10&attributes=tags&attributeSets=request&attributeSets=default HTTP/1.1"),
            "{}",
            heads[0]
        );
        assert!(
            heads[0]
                .to_ascii_lowercase()
                .contains("resource_type_schema_version: v1"),
            "{}",
            heads[0]
        );
        assert!(
            heads[1].contains("&startIndex=11&count=10&"),
            "{}",
            heads[1]
        );
        assert!(
            heads[2].contains("&startIndex=21&count=10&"),
            "{}",
            heads[2]
        );
    }

    #[tokio::test]
    async fn a_page_of_size_zero_or_without_counts_ends_with_an_error_not_a_hang() {
        let (origin, server) = canned(&[
            ("200 OK", list_body(0, 2, 1, 2, 10)),
            ("200 OK", list_body(2, 2, 3, 0, 10)),
        ])
        .await;
        let mut pages = client(RetryPolicy::default()).pages(
            Collection::AuthTokens,
            &origin,
            ListQuery::default(),
        );
        assert_eq!(pages.next_page().await.unwrap().unwrap().resources.len(), 2);
        let err = pages.next_page().await.unwrap_err();
        assert!(matches!(err.kind, ErrorKind::Decode(_)), "{err}");
        let text = err.to_string();
        assert!(text.contains("itemsPerPage 0"), "{text}");
        assert!(text.contains("stopped after 2 page(s)"), "{text}");
        assert!(text.contains("Operation: ListAuthTokens"), "{text}");
        assert!(text.contains("OPC request ID: srv-1"), "{text}");
        assert!(
            pages.next_page().await.unwrap().is_none(),
            "no request after the error"
        );
        assert_eq!(server.await.unwrap().len(), 2);

        let missing = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"Resources":[{"id":"a"}],"startIndex":1}"#;
        let (origin, server) = canned(&[("200 OK", missing)]).await;
        let mut pages = client(RetryPolicy::default()).pages(
            Collection::MyAuthTokens,
            &origin,
            ListQuery::default(),
        );
        let err = pages.next_page().await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains("no totalResults, itemsPerPage"), "{text}");
        assert!(text.contains("Operation: ListMyAuthTokens"), "{text}");
        let heads = server.await.unwrap();
        assert!(
            heads[0].starts_with("GET /admin/v1/MyAuthTokens HTTP/1.1"),
            "{}",
            heads[0]
        );
    }

    #[tokio::test]
    async fn a_count_of_zero_is_one_request_for_the_counts() {
        let (origin, server) = canned(&[("200 OK", list_body(0, 0, 1, 0, 25))]).await;
        let query = ListQuery {
            count: Some(0),
            ..Default::default()
        };
        let mut pages =
            client(RetryPolicy::default()).pages(Collection::AuthTokens, &origin, query);
        let page = pages.next_page().await.unwrap().unwrap();
        assert_eq!((page.total_results, page.resources.len()), (25, 0));
        assert!(pages.next_page().await.unwrap().is_none());
        assert_eq!(server.await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn list_my_auth_tokens_reads_my_collection() {
        let (origin, server) = canned(&[("200 OK", list_body(0, 1, 1, 50, 1))]).await;
        let page = client(RetryPolicy::default())
            .list_my_auth_tokens(
                &origin,
                &ListQuery {
                    count: Some(5),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.resources[0].id, "t0");
        let heads = server.await.unwrap();
        assert!(
            heads[0].starts_with("GET /admin/v1/MyAuthTokens?count=5 HTTP/1.1"),
            "{}",
            heads[0]
        );
    }

    #[test]
    fn scim_strings_and_expiry() {
        assert_eq!(scim_string(r#"a"b\c"#), r#""a\"b\\c""#);
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        assert_eq!(is_expired_at(None, now), Ok(false));
        assert_eq!(is_expired_at(Some("2020-01-01T00:00:00Z"), now), Ok(true));
        assert_eq!(
            is_expired_at(Some("2040-01-01T00:00:00.000Z"), now),
            Ok(false)
        );
        assert!(is_expired_at(Some("tomorrow"), now)
            .unwrap_err()
            .contains("RFC 3339"));
    }
}
