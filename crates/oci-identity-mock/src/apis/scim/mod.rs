//! The Identity Domains SCIM API of one domain: `/admin/v1/AuthTokens` (create, list,
//! `.search`, get, patch, delete) and `/admin/v1/MyAuthTokens` (the same for the signing user),
//! signed with OCI API keys, SCIM error bodies ([`ScimErrors`]). Each domain is served on its
//! own listener, so its URL is a bare origin.
//!
//! Tokens live in the same store as the classic API's: a Default-domain user's tokens are the
//! same objects in both APIs (the SCIM `ocid` is the classic `id`), and the per-user limit
//! counts both. Returned attributes follow SCIM's `returned` rules ([`attrs`]); list filters
//! are RFC 7644's ([`filter`]).
//!
//! Authorization: a user manages its own tokens (Default domain); the administrator (the
//! first user, DEFAULT profile) manages anyone's in every domain. A non-administrator asking
//! for another user's token gets 404 as if it did not exist, creating one for another user
//! gets 403, lists show it only its own tokens, and secondary domains (whose users have no
//! API keys) answer it 403. Instance, resource and OKE principals (`ST$` session tokens of
//! the tenancy, [`crate::platform`]) act like the administrator (a dynamic group with `manage
//! users in tenancy`); `MyAuthTokens` answers them 403 (they are not users of a domain).

pub(crate) mod attrs;
pub(crate) mod filter;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use self::attrs::{Selection, TokenSchema};
use super::identity::{caller_ocid, header, MAX_DESCRIPTION_CHARS};
use super::{parse_object, Api};
use crate::auth::Verified;
use crate::middleware::{ApiError, ScimErrors};
use crate::state::{lock, MockState, NewToken, Store, StoreError, TagRec, TokenRec};

pub(crate) const AUTH_TOKEN_SCHEMA: &str = "urn:ietf:params:scim:schemas:oracle:idcs:authToken";
pub(crate) const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub(crate) const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub(crate) const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub(crate) const SELF_CHANGE_EXT: &str =
    "urn:ietf:params:scim:schemas:oracle:idcs:extension:selfChange:User";
/// The base path of the SCIM API.
pub const SCIM_BASE_PATH: &str = "/admin/v1";
/// Default page size of lists.
pub const DEFAULT_COUNT: usize = 50;
/// Largest page size of lists (larger `count`s are capped).
pub const MAX_COUNT: usize = 1000;
/// Largest number of PATCH operations in one request.
const MAX_OPERATIONS: usize = 1000;
/// The release reported in `idcsLastUpgradedInRelease`.
const RELEASE: &str = "26.1.0";

/// The domain a listener serves.
#[derive(Clone)]
pub(crate) struct DomainCtx {
    pub index: usize,
    /// `http://127.0.0.1:PORT`
    pub base: Arc<str>,
}

/// Which endpoint family a request came through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// `/admin/v1/AuthTokens`: any user (the administrator; others for themselves).
    Admin,
    /// `/admin/v1/MyAuthTokens`: the signing user.
    My,
}

impl Variant {
    fn collection(self) -> &'static str {
        match self {
            Variant::Admin => "AuthTokens",
            Variant::My => "MyAuthTokens",
        }
    }

    fn resource_type(self) -> &'static str {
        match self {
            Variant::Admin => "AuthToken",
            Variant::My => "MyAuthToken",
        }
    }
}

/// The router of domain `ctx` (with a SCIM 404 for every other path). Its operations are
/// counted in the stats as `CreateAuthToken (SCIM)`, `GetAuthToken (SCIM)`,
/// `ListAuthTokens (SCIM)`, `SearchAuthTokens (SCIM)`, `PatchAuthToken (SCIM)`,
/// `DeleteAuthToken (SCIM)` and the same with `MyAuthToken(s)`, over all domains.
pub(crate) fn router(state: &MockState, ctx: DomainCtx) -> Router {
    let mut api = Api::new(state, ScimErrors);
    macro_rules! ops {
        ($variant:literal, $one:literal, $list:ident, $create:ident, $search:ident, $get:ident, $patch:ident, $delete:ident) => {{
            let coll = format!("{SCIM_BASE_PATH}/{}", $variant);
            let one = format!("{coll}/{{id}}");
            api = api
                .operation(
                    Method::GET,
                    &coll,
                    concat!("List", $variant, " (SCIM)"),
                    $list,
                )
                .operation(
                    Method::POST,
                    &coll,
                    concat!("Create", $one, " (SCIM)"),
                    $create,
                )
                .operation(
                    Method::POST,
                    &format!("{coll}/.search"),
                    concat!("Search", $variant, " (SCIM)"),
                    $search,
                )
                .operation(Method::GET, &one, concat!("Get", $one, " (SCIM)"), $get)
                .operation(
                    Method::PATCH,
                    &one,
                    concat!("Patch", $one, " (SCIM)"),
                    $patch,
                )
                .operation(
                    Method::DELETE,
                    &one,
                    concat!("Delete", $one, " (SCIM)"),
                    $delete,
                );
        }};
    }
    ops!(
        "AuthTokens",
        "AuthToken",
        list_admin,
        create_admin,
        search_admin,
        get_admin,
        patch_admin,
        delete_admin
    );
    ops!(
        "MyAuthTokens",
        "MyAuthToken",
        list_my,
        create_my,
        search_my,
        get_my,
        patch_my,
        delete_my
    );
    api.with_fallback().into_router().layer(Extension(ctx))
}

// ---------------------------------------------------------------------------------------------
// Errors

fn scim_error(status: u16, detail: impl Into<String>) -> ApiError {
    let code = match status {
        400 => "InvalidParameter",
        403 => "NotAuthorized",
        404 => "NotFound",
        409 => "Conflict",
        412 => "NoEtagMatch",
        413 => "PayloadTooLarge",
        _ => "Error",
    };
    ApiError::new(status, code, detail)
}

fn invalid_value(detail: impl Into<String>) -> ApiError {
    scim_error(400, detail)
        .with_scim_type("invalidValue")
        .with_message_id("error.common.validation.invalidValue")
}

fn invalid_syntax(detail: impl Into<String>) -> ApiError {
    scim_error(400, detail).with_scim_type("invalidSyntax")
}

fn missing_attribute(name: &str) -> ApiError {
    scim_error(400, format!("Missing required attribute(s): {name}"))
        .with_message_id("error.common.validation.missingReqAttributes")
}

fn not_found(id: &str) -> ApiError {
    scim_error(404, format!("Resource {id} not found."))
        .with_message_id("error.common.common.resourceNotFound")
}

fn forbidden(detail: impl Into<String>) -> ApiError {
    scim_error(403, detail).with_message_id("error.common.authorization.notAuthorized")
}

fn store_error(e: StoreError, id: &str) -> ApiError {
    match e {
        StoreError::NotAuthorized | StoreError::TokenNotFound => not_found(id),
        StoreError::UserNotFound => invalid_value(format!(
            "The referenced user {id} does not exist in this identity domain."
        ))
        .with_message_id("error.common.validation.invalidReferenceResource"),
        StoreError::LimitExceeded(n) => scim_error(
            400,
            format!(
                "The user already has the maximum number of auth tokens ({n}); delete one first (limit auth-token-count)."
            ),
        )
        .with_message_id("error.identity.authToken.maxAuthTokensReached"),
        StoreError::EtagMismatch => scim_error(
            412,
            "The if-match version does not match the current version of the resource.",
        )
        .with_message_id("error.common.common.preconditionFailed"),
        StoreError::Persist(why) => {
            tracing::error!("persisting state failed: {why}");
            scim_error(500, "Internal error occurred.")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Who is asking

/// The signing user as seen by one domain.
struct Caller {
    ocid: String,
    admin: bool,
    /// Its SCIM user in this domain (None: not a user of the domain).
    user: Option<crate::state::DomainUserRec>,
}

fn caller(store: &Store, domain: usize, v: &Verified) -> Caller {
    let ocid = caller_ocid(v).to_string();
    let find = |d: usize| store.domain_users(d).into_iter().find(|u| u.ocid == ocid);
    // Instance, resource and OKE principals: a dynamic group allowed to manage users in the
    // tenancy, like the administrator.
    let principal = v
        .principal
        .as_ref()
        .is_some_and(|p| p.tenancy == store.tenancy_ocid());
    Caller {
        admin: principal || ocid == store.admin_ocid(),
        user: find(domain),
        ocid,
    }
}

impl Caller {
    /// May it use this domain's admin endpoint at all?
    fn check_domain(&self, variant: Variant) -> Result<(), ApiError> {
        match variant {
            Variant::My if self.user.is_none() => Err(forbidden(
                "The signing user is not a user of this identity domain.",
            )),
            Variant::Admin if self.user.is_none() && !self.admin => Err(forbidden(
                "The signing user is not authorized in this identity domain.",
            )),
            _ => Ok(()),
        }
    }

    /// Whether it may see/manage `t` through `variant`.
    fn may_manage(&self, variant: Variant, t: &TokenRec) -> bool {
        match variant {
            Variant::My => self.user.as_ref().is_some_and(|u| u.ocid == t.user_id),
            Variant::Admin => self.admin || t.user_id == self.ocid,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn user_ref(base: &str, u: &crate::state::DomainUserRec) -> Value {
    json!({
        "value": u.id,
        "ocid": u.ocid,
        "$ref": format!("{base}{SCIM_BASE_PATH}/Users/{}", u.id),
        "display": u.user_name,
        "name": u.user_name,
    })
}

fn actor_ref(store: &Store, base: &str, domain: usize, ocid: &str) -> Option<Value> {
    let u = store
        .domain_users(domain)
        .into_iter()
        .chain(store.domain_users(0))
        .find(|u| u.ocid == ocid)?;
    Some(json!({
        "value": u.id,
        "ocid": u.ocid,
        "type": "User",
        "display": u.user_name,
        "$ref": format!("{base}{SCIM_BASE_PATH}/Users/{}", u.id),
    }))
}

/// The token with every attribute (including `status` and the self-change extension, never
/// returned; `token` is not: only the create response carries the secret).
fn full_json(store: &Store, ctx: &DomainCtx, variant: Variant, t: &TokenRec) -> Value {
    let base = &*ctx.base;
    let domain = &store.domains()[ctx.index.min(store.domains().len() - 1)];
    let user = store
        .domain_users(ctx.index)
        .into_iter()
        .find(|u| u.ocid == t.user_id);
    let location = format!(
        "{base}{SCIM_BASE_PATH}/{}/{}",
        variant.collection(),
        t.scim_id
    );
    let mut m = Map::new();
    m.insert("schemas".into(), json!([AUTH_TOKEN_SCHEMA]));
    m.insert("id".into(), json!(t.scim_id));
    m.insert("ocid".into(), json!(t.id));
    m.insert(
        "meta".into(),
        json!({
            "resourceType": variant.resource_type(),
            "created": ts(t.time_created),
            "lastModified": ts(t.modified()),
            "location": location,
            "version": t.etag,
        }),
    );
    for (key, who) in [
        ("idcsCreatedBy", &t.created_by),
        ("idcsLastModifiedBy", &t.last_modified_by),
    ] {
        if let Some(r) = who
            .as_deref()
            .and_then(|o| actor_ref(store, base, ctx.index, o))
        {
            m.insert(key.into(), r);
        }
    }
    if !t.tags.is_empty() {
        m.insert(
            "tags".into(),
            Value::Array(
                t.tags
                    .iter()
                    .map(|tag| json!({"key": tag.key, "value": tag.value}))
                    .collect(),
            ),
        );
    }
    m.insert("deleteInProgress".into(), json!(false));
    m.insert("idcsLastUpgradedInRelease".into(), json!(RELEASE));
    m.insert("domainOcid".into(), json!(domain.ocid));
    m.insert("compartmentOcid".into(), json!(store.tenancy_ocid()));
    m.insert("tenancyOcid".into(), json!(store.tenancy_ocid()));
    if !t.description.is_empty() {
        m.insert("description".into(), json!(t.description));
    }
    m.insert("status".into(), json!(t.lifecycle_state));
    if let Some(e) = &t.expires_on {
        m.insert("expiresOn".into(), json!(e));
    }
    if let Some(u) = &user {
        m.insert("user".into(), user_ref(base, u));
    }
    if let Some(a) = t.allow_self_change {
        m.insert(SELF_CHANGE_EXT.into(), json!({ "allowSelfChange": a }));
    }
    Value::Object(m)
}

fn scim_json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/scim+json"),
        )],
        body.to_string(),
    )
        .into_response()
}

fn with_header(mut resp: Response, name: header::HeaderName, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
    resp
}

// ---------------------------------------------------------------------------------------------
// Query parameters

/// `key=value` pairs of a raw query, percent-decoded (`+` is a space).
fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match hex {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    raw.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// The list parameters, from the query or a SearchRequest body.
#[derive(Default)]
struct ListParams {
    filter: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    attributes: Vec<String>,
    attribute_sets: Vec<String>,
    /// OCI-style paging (`page` = the next start index, `limit` = page size).
    page: Option<String>,
    limit: Option<i64>,
}

fn int_param(name: &str, v: &str) -> Result<i64, ApiError> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| invalid_value(format!("{name} must be an integer, got {v:?}.")))
}

fn split_list(v: &str) -> impl Iterator<Item = String> + '_ {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl ListParams {
    fn from_query(pairs: &[(String, String)]) -> Result<ListParams, ApiError> {
        let mut p = ListParams::default();
        for (k, v) in pairs {
            match k.as_str() {
                "filter" => p.filter = Some(v.clone()),
                "sortBy" => p.sort_by = Some(v.clone()),
                "sortOrder" => p.sort_order = Some(v.clone()),
                "startIndex" => p.start_index = Some(int_param(k, v)?),
                "count" => p.count = Some(int_param(k, v)?),
                "attributes" => p.attributes.extend(split_list(v)),
                "attributeSets" => p.attribute_sets.extend(split_list(v)),
                "page" => p.page = Some(v.clone()),
                "limit" => p.limit = Some(int_param(k, v)?),
                _ => {}
            }
        }
        Ok(p)
    }

    fn from_search(
        body: &Map<String, Value>,
        query: &[(String, String)],
    ) -> Result<ListParams, ApiError> {
        check_schemas(body, SEARCH_SCHEMA)?;
        let mut p = ListParams::from_query(query)?;
        let string = |k: &str| -> Result<Option<String>, ApiError> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(invalid_value(format!("{k} must be a string."))),
            }
        };
        let int = |k: &str| -> Result<Option<i64>, ApiError> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| invalid_value(format!("{k} must be an integer."))),
            }
        };
        let strings = |k: &str| -> Result<Vec<String>, ApiError> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| invalid_value(format!("{k} must be a list of strings.")))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| v.iter().flat_map(|s| split_list(s)).collect()),
                Some(_) => Err(invalid_value(format!("{k} must be a list of strings."))),
            }
        };
        if let Some(f) = string("filter")? {
            p.filter = Some(f);
        }
        if let Some(s) = string("sortBy")? {
            p.sort_by = Some(s);
        }
        if let Some(s) = string("sortOrder")? {
            p.sort_order = Some(s);
        }
        if let Some(n) = int("startIndex")? {
            p.start_index = Some(n);
        }
        if let Some(n) = int("count")? {
            p.count = Some(n);
        }
        p.attributes.extend(strings("attributes")?);
        p.attribute_sets.extend(strings("attributeSets")?);
        Ok(p)
    }
}

fn check_schemas(body: &Map<String, Value>, want: &str) -> Result<(), ApiError> {
    match body.get("schemas") {
        None | Some(Value::Null) => Err(missing_attribute("schemas")),
        Some(Value::Array(a)) if a.is_empty() => Err(missing_attribute("schemas")),
        Some(Value::Array(a)) => {
            let names: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            if names.len() != a.len() {
                return Err(invalid_value("schemas must be a list of strings."));
            }
            if names.iter().any(|n| n.eq_ignore_ascii_case(want)) {
                Ok(())
            } else {
                Err(invalid_value(format!(
                    "schemas must contain {want}, got {names:?}."
                )))
            }
        }
        Some(_) => Err(invalid_value("schemas must be a list of strings.")),
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// What every handler gets.
struct Req {
    state: MockState,
    ctx: DomainCtx,
    caller: Verified,
    variant: Variant,
}

macro_rules! handlers {
    ($variant:expr, $list:ident, $create:ident, $search:ident, $get:ident, $patch:ident, $delete:ident) => {
        async fn $list(
            State(state): State<MockState>,
            Extension(ctx): Extension<DomainCtx>,
            Extension(caller): Extension<Verified>,
            RawQuery(q): RawQuery,
        ) -> Result<Response, ApiError> {
            let r = Req {
                state,
                ctx,
                caller,
                variant: $variant,
            };
            let params = ListParams::from_query(&query_pairs(q.as_deref()))?;
            list(&r, params)
        }

        async fn $search(
            State(state): State<MockState>,
            Extension(ctx): Extension<DomainCtx>,
            Extension(caller): Extension<Verified>,
            RawQuery(q): RawQuery,
            body: Bytes,
        ) -> Result<Response, ApiError> {
            let r = Req {
                state,
                ctx,
                caller,
                variant: $variant,
            };
            let body = parse_body(&body)?;
            let params = ListParams::from_search(&body, &query_pairs(q.as_deref()))?;
            list(&r, params)
        }

        async fn $create(
            State(state): State<MockState>,
            Extension(ctx): Extension<DomainCtx>,
            Extension(caller): Extension<Verified>,
            RawQuery(q): RawQuery,
            headers: HeaderMap,
            body: Bytes,
        ) -> Result<Response, ApiError> {
            let r = Req {
                state,
                ctx,
                caller,
                variant: $variant,
            };
            create(&r, &query_pairs(q.as_deref()), &headers, &body)
        }

        async fn $get(
            State(state): State<MockState>,
            Extension(ctx): Extension<DomainCtx>,
            Extension(caller): Extension<Verified>,
            Path(id): Path<String>,
            RawQuery(q): RawQuery,
        ) -> Result<Response, ApiError> {
            let r = Req {
                state,
                ctx,
                caller,
                variant: $variant,
            };
            get(&r, &id, &query_pairs(q.as_deref()))
        }

        async fn $patch(
            State(state): State<MockState>,
            Extension(ctx): Extension<DomainCtx>,
            Extension(caller): Extension<Verified>,
            Path(id): Path<String>,
            RawQuery(q): RawQuery,
            headers: HeaderMap,
            body: Bytes,
        ) -> Result<Response, ApiError> {
            let r = Req {
                state,
                ctx,
                caller,
                variant: $variant,
            };
            patch(&r, &id, &query_pairs(q.as_deref()), &headers, &body)
        }

        async fn $delete(
            State(state): State<MockState>,
            Extension(ctx): Extension<DomainCtx>,
            Extension(caller): Extension<Verified>,
            Path(id): Path<String>,
            headers: HeaderMap,
        ) -> Result<Response, ApiError> {
            let r = Req {
                state,
                ctx,
                caller,
                variant: $variant,
            };
            delete(&r, &id, &headers)
        }
    };
}

handlers!(
    Variant::Admin,
    list_admin,
    create_admin,
    search_admin,
    get_admin,
    patch_admin,
    delete_admin
);
handlers!(
    Variant::My,
    list_my,
    create_my,
    search_my,
    get_my,
    patch_my,
    delete_my
);

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    parse_object(body, false).map_err(|e| invalid_syntax(e.message().to_string()))
}

fn selection(params: &ListParams) -> Result<Selection, ApiError> {
    Selection::new(&params.attributes, &params.attribute_sets).map_err(invalid_value)
}

fn selection_from_query(pairs: &[(String, String)]) -> Result<Selection, ApiError> {
    selection(&ListParams::from_query(pairs)?)
}

fn list(r: &Req, params: ListParams) -> Result<Response, ApiError> {
    let shared = &r.state.inner;
    let sel = selection(&params)?;
    let schema = TokenSchema;
    let filter = match params.filter.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(f) => Some(filter::parse(f, &schema).map_err(|e| {
            scim_error(400, format!("Invalid filter {f:?}: {e}."))
                .with_scim_type("invalidFilter")
                .with_message_id("error.common.common.invalidFilter")
        })?),
    };
    let sort_path =
        match params.sort_by.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(attrs::resolve_path(s).ok_or_else(|| {
                invalid_value(format!("sortBy names an unknown attribute {s:?}."))
            })?),
        };
    let descending = match params.sort_order.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(o) if o.eq_ignore_ascii_case("ascending") => false,
        Some(o) if o.eq_ignore_ascii_case("descending") => true,
        Some(o) => {
            return Err(invalid_value(format!(
                "sortOrder must be ascending or descending, got {o:?}."
            )))
        }
    };
    let start = match (&params.page, params.start_index) {
        (Some(p), _) if !p.is_empty() => int_param("page", p)?,
        (_, Some(n)) => n,
        _ => 1,
    }
    .max(1);
    let count = params
        .count
        .or(params.limit)
        .unwrap_or(DEFAULT_COUNT as i64)
        .clamp(0, MAX_COUNT as i64);
    let now = Utc::now();
    let (mut items, total) = {
        let store = lock(&shared.store);
        let who = caller(&store, r.ctx.index, &r.caller);
        who.check_domain(r.variant)?;
        let mut items: Vec<Value> = store
            .domain_tokens(r.ctx.index)
            .iter()
            .filter(|t| now - t.time_created >= shared.list_lag)
            .filter(|t| who.may_manage(r.variant, t))
            .map(|t| full_json(&store, &r.ctx, r.variant, t))
            .filter(|v| {
                filter
                    .as_ref()
                    .is_none_or(|f| filter::matches(f, v, &schema))
            })
            .collect();
        let total = items.len();
        if let Some(path) = &sort_path {
            attrs::sort(&mut items, path, descending);
        } else if descending {
            items.reverse();
        }
        (items, total)
    };
    let skip = usize::try_from(start - 1).unwrap_or(usize::MAX);
    let page: Vec<Value> = items
        .drain(..)
        .skip(skip)
        .take(count as usize)
        .map(|v| sel.project(&v))
        .collect();
    let shown = page.len();
    let body = json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "Resources": page,
        "startIndex": start,
        "itemsPerPage": count,
    });
    let mut resp = scim_json(StatusCode::OK, &body);
    let next = skip.saturating_add(shown);
    if shown > 0 && next < total {
        resp = with_header(
            resp,
            header::HeaderName::from_static("opc-next-page"),
            &(next + 1).to_string(),
        );
    }
    Ok(resp)
}

fn get(r: &Req, id: &str, query: &[(String, String)]) -> Result<Response, ApiError> {
    let sel = selection_from_query(query)?;
    let store = lock(&r.state.inner.store);
    let who = caller(&store, r.ctx.index, &r.caller);
    who.check_domain(r.variant)?;
    let t = store
        .domain_token(r.ctx.index, id)
        .filter(|t| who.may_manage(r.variant, t))
        .ok_or_else(|| not_found(id))?;
    let v = full_json(&store, &r.ctx, r.variant, &t);
    Ok(with_header(
        scim_json(StatusCode::OK, &sel.project(&v)),
        header::ETAG,
        &t.etag,
    ))
}

fn string_field<'a>(body: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid_value(format!("{key} must be a string."))),
    }
}

fn check_description(d: &str) -> Result<(), ApiError> {
    if d.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid_value(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters long."
        )));
    }
    Ok(())
}

fn parse_status(v: &Value) -> Result<String, ApiError> {
    match v.as_str().map(str::to_ascii_uppercase).as_deref() {
        Some(s @ ("ACTIVE" | "INACTIVE")) => Ok(s.to_string()),
        _ => Err(invalid_value(format!(
            "status must be ACTIVE or INACTIVE, got {v}."
        ))),
    }
}

fn parse_tags(v: &Value) -> Result<Vec<TagRec>, ApiError> {
    let items: Vec<&Value> = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![v],
        _ => {
            return Err(invalid_value(
                "tags must be a list of {key, value} objects.",
            ))
        }
    };
    items
        .into_iter()
        .map(|t| {
            let key = t.get("key").and_then(Value::as_str);
            let value = t.get("value").and_then(Value::as_str);
            match (key, value) {
                (Some(k), Some(v)) if !k.is_empty() => Ok(TagRec {
                    key: k.to_string(),
                    value: v.to_string(),
                }),
                _ => Err(invalid_value(
                    "every tag needs a non-empty string key and a string value.",
                )),
            }
        })
        .collect()
}

fn parse_self_change(body: &Map<String, Value>) -> Result<Option<bool>, ApiError> {
    let nested = body
        .get(SELF_CHANGE_EXT)
        .filter(|v| !v.is_null())
        .map(|v| v.get("allowSelfChange").cloned().unwrap_or(Value::Null));
    let flat = body
        .get(&format!("{SELF_CHANGE_EXT}:allowSelfChange"))
        .cloned();
    match nested.or(flat) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(_) => Err(invalid_value("allowSelfChange must be a boolean.")),
    }
}

/// 201 with `Location` (from the body's `id`, returned always) and `ETag`.
fn created_response(r: &Req, body: String, etag: &str) -> Response {
    let id = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string))
        .unwrap_or_default();
    let location = format!(
        "{}{SCIM_BASE_PATH}/{}/{id}",
        r.ctx.base,
        r.variant.collection()
    );
    let resp = (
        StatusCode::CREATED,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/scim+json"),
        )],
        body,
    )
        .into_response();
    with_header(
        with_header(resp, header::LOCATION, &location),
        header::ETAG,
        etag,
    )
}

/// Create. An `opc-retry-token` seen before (24 h) with the same caller, endpoint, query and
/// body replays the first response (secret included); with anything else it is a 409.
fn create(
    r: &Req,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let shared = &r.state.inner;
    let sel = selection_from_query(query)?;
    let body = parse_body(body)?;
    let retry_token = header(headers, "opc-retry-token").map(str::to_string);
    let digest = crate::auth::body_sha256_b64(
        format!(
            "scim {} {} {:?} {}",
            r.ctx.index,
            r.variant.collection(),
            query,
            super::identity::canonical(&Value::Object(body.clone()))
        )
        .as_bytes(),
    );
    if let Some(rt) = &retry_token {
        let store = lock(&shared.store);
        if let Some(rec) = store.retry_record(rt, Utc::now()) {
            if rec.user_id == caller_ocid(&r.caller) && rec.request_digest == digest {
                return Ok(created_response(r, rec.body.clone(), &rec.etag));
            }
            return Err(scim_error(
                409,
                "The retry token was already used for a different request.",
            )
            .with_message_id("error.common.common.invalidatedRetryToken"));
        }
    }
    check_schemas(&body, AUTH_TOKEN_SCHEMA)?;
    let description = string_field(&body, "description")?.unwrap_or_default();
    check_description(description)?;
    let status = match body.get("status") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_status(v)?),
    };
    let expires_on = match string_field(&body, "expiresOn")? {
        None => None,
        Some(e) if filter::parse_date(e).is_some() => Some(e.to_string()),
        Some(e) => {
            return Err(invalid_value(format!(
                "expiresOn must be an RFC 3339 date-time, got {e:?}."
            )))
        }
    };
    let tags = parse_tags(body.get("tags").unwrap_or(&Value::Null))?;
    let allow_self_change = parse_self_change(&body)?;
    let (want_value, want_ocid) = match body.get("user") {
        None | Some(Value::Null) => (None, None),
        Some(Value::Object(u)) => (
            string_field(u, "value")?.map(str::to_string),
            string_field(u, "ocid")?.map(str::to_string),
        ),
        Some(_) => return Err(invalid_value("user must be an object.")),
    };
    let now = Utc::now();
    let mut store = lock(&shared.store);
    let who = caller(&store, r.ctx.index, &r.caller);
    who.check_domain(r.variant)?;
    let user = match r.variant {
        Variant::My => {
            let me = who.user.clone().ok_or_else(|| {
                forbidden("The signing user is not a user of this identity domain.")
            })?;
            if want_value.as_deref().is_some_and(|v| v != me.id)
                || want_ocid.as_deref().is_some_and(|o| o != me.ocid)
            {
                return Err(invalid_value(
                    "user can only be the signing user on MyAuthTokens.",
                ));
            }
            me
        }
        Variant::Admin => {
            if want_value.is_none() && want_ocid.is_none() {
                return Err(missing_attribute("user"));
            }
            let users = store.domain_users(r.ctx.index);
            let named = want_value.as_deref().or(want_ocid.as_deref()).unwrap_or("");
            let found = users.into_iter().find(|u| {
                want_value.as_deref().is_none_or(|v| v == u.id)
                    && want_ocid.as_deref().is_none_or(|o| o == u.ocid)
            });
            let Some(u) = found else {
                return Err(store_error(StoreError::UserNotFound, named));
            };
            if !who.admin && u.ocid != who.ocid {
                return Err(forbidden(
                    "Only an administrator can manage the auth tokens of another user.",
                ));
            }
            u
        }
    };
    let new = NewToken {
        user_id: user.ocid.clone(),
        description: description.to_string(),
        status,
        expires_on,
        tags,
        created_by: Some(who.ocid.clone()),
        allow_self_change,
    };
    let (t, secret) = store
        .create_token_with(new, shared.token_limit, now, None)
        .map_err(|e| store_error(e, &user.id))?;
    let full = full_json(&store, &r.ctx, r.variant, &t);
    let mut out = sel.project(&full);
    if let Value::Object(m) = &mut out {
        m.insert("token".into(), json!(secret));
    }
    let body = out.to_string();
    if let Some(rt) = retry_token {
        store
            .remember_retry(crate::state::RetryRec {
                retry_token: rt,
                user_id: who.ocid.clone(),
                request_digest: digest,
                time: now,
                status: 201,
                etag: t.etag.clone(),
                body: body.clone(),
            })
            .map_err(|e| store_error(e, &t.scim_id))?;
    }
    Ok(created_response(r, body, &t.etag))
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    header(headers, "if-match").map(|v| {
        v.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    })
}

/// Finds the token `id` the caller may manage.
fn find_managed(store: &Store, r: &Req, id: &str) -> Result<(TokenRec, Caller), ApiError> {
    let who = caller(store, r.ctx.index, &r.caller);
    who.check_domain(r.variant)?;
    let t = store
        .domain_token(r.ctx.index, id)
        .filter(|t| who.may_manage(r.variant, t))
        .ok_or_else(|| not_found(id))?;
    Ok((t, who))
}

fn patch(
    r: &Req,
    id: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let sel = selection_from_query(query)?;
    let body = parse_body(body)?;
    check_schemas(&body, PATCH_SCHEMA)?;
    let ops = match body.get("Operations").or_else(|| body.get("operations")) {
        Some(Value::Array(a)) if !a.is_empty() => a.clone(),
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            return Err(missing_attribute("Operations"))
        }
        Some(_) => return Err(invalid_syntax("Operations must be a list.")),
    };
    if ops.len() > MAX_OPERATIONS {
        return Err(scim_error(
            413,
            format!("A request can carry at most {MAX_OPERATIONS} operations."),
        )
        .with_scim_type("tooMany"));
    }
    let mut store = lock(&r.state.inner.store);
    let (mut t, who) = find_managed(&store, r, id)?;
    for op in &ops {
        attrs::apply_patch(&mut t, op)?;
    }
    t.last_modified = Some(Utc::now());
    t.last_modified_by = Some(who.ocid.clone());
    let t = store
        .replace_token(t, if_match(headers).as_deref())
        .map_err(|e| store_error(e, id))?;
    let v = full_json(&store, &r.ctx, r.variant, &t);
    Ok(with_header(
        scim_json(StatusCode::OK, &sel.project(&v)),
        header::ETAG,
        &t.etag,
    ))
}

fn delete(r: &Req, id: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    let mut store = lock(&r.state.inner.store);
    let (t, _) = find_managed(&store, r, id)?;
    store
        .remove_token(&t, if_match(headers).as_deref())
        .map_err(|e| store_error(e, id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
