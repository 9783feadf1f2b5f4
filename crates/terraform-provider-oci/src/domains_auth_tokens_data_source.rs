//! Data source `oci_identity_domains_auth_tokens`: the auth tokens of an identity domain
//! (SCIM `GET /admin/v1/AuthTokens`), every page of them as the official provider reads them,
//! but safely: a page that cannot be followed (`itemsPerPage = 0`, missing counts, an empty
//! page before the end) ends the read with an error instead of a loop. The `my_` variant
//! (`domains_my_auth_tokens_data_source.rs`) shares this code.

use std::sync::Arc;

use oci_client::error::OciError;
use oci_client::identity_domains::{
    Collection, ListQuery, ScimAuthToken, ATTRIBUTE_SETS, SORT_ORDERS,
};
use tfplugin::cty::{AttributePath, Number, Type, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{async_trait, ApplyResponse, DataReadRequest, DataSource};
use tfplugin::model::{CtyObject, CtyType};
use tfplugin::schema::{Attribute, Block, Schema, Validator};

use super::auth_tokens_data_source::crc32;
use super::domains_model;
use super::ProviderData;

/// What differs between `oci_identity_domains_auth_tokens` and `…_my_auth_tokens`.
pub(crate) struct Variant {
    pub type_name: &'static str,
    pub collection: Collection,
    /// Prefix of the data source ID, as the official provider spells it.
    pub id_prefix: &'static str,
    pub count_attr: &'static str,
    pub filter_attr: &'static str,
    pub items_attr: &'static str,
    /// `attribute_sets` and `attributes` (the `my_` list takes neither).
    pub has_attribute_args: bool,
    /// Whether `idcsEndpoint/<ep>/users/<id>` in the filter means `user.value eq "<id>"`
    /// (the official provider rewrites it for `AuthTokens` only).
    pub rewrites_user_filter: bool,
    /// One sentence on what is listed.
    pub what: &'static str,
}

pub(crate) static AUTH_TOKENS: Variant = Variant {
    type_name: "oci_identity_domains_auth_tokens",
    collection: Collection::AuthTokens,
    id_prefix: "IdentityDomainsAuthTokensDataSource-",
    count_attr: "auth_token_count",
    filter_attr: "auth_token_filter",
    items_attr: "auth_tokens",
    has_attribute_args: true,
    rewrites_user_filter: true,
    what: "Lists the auth tokens of an identity domain (all users, or those a SCIM filter selects), reading every page.",
};

/// The official rewrite of a filter value `idcsEndpoint/<endpoint>/users/<user id>` (the form
/// resource discovery uses) into `user.value eq "<user id>"`; any other value is a SCIM
/// filter and stays as it is. Like the official pattern `^idcsEndpoint/(.*)/users/(.*)$`,
/// the user id is what follows the last `/users/`.
pub fn user_sub_resource_filter(value: &str) -> String {
    let Some(rest) = value.strip_prefix("idcsEndpoint/") else {
        return value.to_owned();
    };
    match rest.rfind("/users/") {
        Some(i) if !value.contains('\n') => {
            let user = &rest[i + "/users/".len()..];
            format!(
                "user.value eq {}",
                oci_client::identity_domains::scim_string(user)
            )
        }
        _ => value.to_owned(),
    }
}

fn count_validator() -> Validator {
    Validator::new("a whole number from 0 to 1000", |v| {
        match v.as_number() {
        None => Ok(()),
        Some(n) => match n.as_i64() {
            Some(c) if (0..=1000).contains(&c) => Ok(()),
            _ => Err(format!("The page size is {n}; the service takes a whole number from 0 to 1000 (0 returns only the counts).")),
        },
    }
    })
}

fn start_index_validator() -> Validator {
    Validator::new("a whole number of 1 or more", |v| match v.as_number() {
        None => Ok(()),
        Some(n) => match n.as_i64() {
            Some(i) if i >= 1 => Ok(()),
            _ => Err(format!(
                "start_index is {n}; SCIM indexes are 1-based, so use 1 or more."
            )),
        },
    })
}

pub(crate) fn sort_order_validator() -> Validator {
    Validator::string("ASCENDING or DESCENDING", |s| {
        if SORT_ORDERS.iter().any(|o| o.eq_ignore_ascii_case(s)) {
            Ok(())
        } else {
            Err(format!(
                "{s:?} is not a sort order; use ASCENDING or DESCENDING."
            ))
        }
    })
}

fn attribute_sets_validator() -> Validator {
    Validator::new("each one of all, always, never, request, default", |v| {
        for s in v
            .as_elements()
            .unwrap_or(&[])
            .iter()
            .filter_map(Value::as_str)
        {
            if !ATTRIBUTE_SETS.iter().any(|a| a.eq_ignore_ascii_case(s)) {
                return Err(format!(
                    "{s:?} is not an attribute set; use {}.",
                    ATTRIBUTE_SETS.join(", ")
                ));
            }
        }
        Ok(())
    })
}

pub(crate) fn schema(v: &Variant) -> Schema {
    let opt = |name: &str, d: &str| Attribute::string(name).optional().description(d);
    let mut block = Block::new()
        .description(v.what)
        .attribute(Attribute::string("id").computed().description("A hash of the arguments, as the official provider makes it."))
        .attribute(Attribute::string("idcs_endpoint").required().description("The domain URL, e.g. `https://idcs-<hex>.identity.oraclecloud.com` (`data.oci_identity_domain.<name>.url`)."))
        .attribute(opt("compartment_id", "Accepted for compatibility with the official provider, which ignores it too."))
        .attribute(Attribute::number(v.count_attr).optional().validator(count_validator()).description("Page size of each request (at most 1000). Every page is read whatever the size; `0` returns only the counts."))
        .attribute(opt(v.filter_attr, if v.rewrites_user_filter {
            "A SCIM filter (RFC 7644), e.g. `user.value eq \"<user id>\"`. The form `idcsEndpoint/<idcs_endpoint>/users/<user id>` is accepted and means `user.value eq \"<user id>\"`, as in the official provider."
        } else {
            "A SCIM filter (RFC 7644), e.g. `description co \"ci\"`."
        }))
        .attribute(Attribute::number("start_index").optional().computed().validator(start_index_validator()).description("1-based index of the first result; the service's `startIndex` of the first page when not set."))
        .attribute(opt("sort_by", "Attribute to sort by, in SCIM notation (e.g. `meta.created`)."))
        .attribute(opt("sort_order", "`ASCENDING` or `DESCENDING`.").validator(sort_order_validator()))
        .attribute(opt("authorization", "The `authorization` header of the official provider. API-key requests are signed, and the signature replaces it, so it has no effect here.").sensitive())
        .attribute(opt("resource_type_schema_version", "Sent as the `resource_type_schema_version` header."));
    if v.has_attribute_args {
        block = block
            .attribute(Attribute::new("attribute_sets", Type::list(Type::String)).optional().validator(attribute_sets_validator()).description("Which attribute classes to return: `all`, `always`, `never`, `request`, `default`. `request` (or `all`) adds `tags`, `idcs_prevented_operations` and `idcs_last_upgraded_in_release`."))
            .attribute(opt("attributes", "Comma-separated attributes to return besides those always returned, e.g. `tags`."));
    }
    block = block
        .attribute(Attribute::new(v.items_attr, Type::list(item_type(v))).computed().description("The tokens of every page, with every field the service returned. The secret `token` is never listed (the service returns it only at create)."))
        .attribute(Attribute::number("items_per_page").computed().description("`itemsPerPage` of the first page."))
        .attribute(Attribute::number("total_results").computed().description("`totalResults` of the first page: how many tokens match."))
        .attribute(Attribute::new("schemas", Type::list(Type::String)).computed().description("`schemas` of the first page (the SCIM ListResponse URN)."));
    Schema::new(block)
}

/// The cty type of one listed token: that of the managed resource
/// (`oci_identity_domains_auth_token` or `…_my_auth_token`), from the one model.
pub(crate) fn item_type(v: &Variant) -> Type {
    match v.collection {
        Collection::AuthTokens => domains_model::item_type(),
        Collection::MyAuthTokens => domains_model::MyAuthTokenModel::cty_type(),
    }
}

/// One listed token as an item of the variant's list (never with the secret).
fn item_value(v: &Variant, t: &ScimAuthToken, idcs_endpoint: &str) -> Value {
    let item = domains_model::DomainsAuthTokenModel::item(t, idcs_endpoint);
    match v.collection {
        Collection::AuthTokens => item.to_value(),
        Collection::MyAuthTokens => domains_model::MyAuthTokenModel::from_full(&item).to_value(),
    }
}

fn number_arg(config: &Value, name: &str) -> Option<u64> {
    config
        .get(name)
        .as_number()
        .and_then(Number::as_i64)
        .and_then(|n| u64::try_from(n).ok())
}

/// The list query the arguments describe (the filter rewritten as the official provider
/// rewrites it).
pub(crate) fn query(v: &Variant, config: &Value) -> ListQuery {
    let s = |name: &str| config.get_str(name).map(str::to_owned);
    // The official example sets `attributes = ""`: an empty value asks for nothing.
    let filter = s(v.filter_attr).filter(|f| !f.trim().is_empty()).map(|f| {
        if v.rewrites_user_filter {
            user_sub_resource_filter(&f)
        } else {
            f
        }
    });
    let (attributes, attribute_sets) = if v.has_attribute_args {
        (
            s("attributes").filter(|a| !a.trim().is_empty()),
            config
                .get("attribute_sets")
                .as_elements()
                .unwrap_or(&[])
                .iter()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect(),
        )
    } else {
        (None, Vec::new())
    };
    ListQuery {
        filter,
        start_index: number_arg(config, "start_index"),
        count: number_arg(config, v.count_attr),
        sort_by: s("sort_by"),
        sort_order: s("sort_order"),
        attributes,
        attribute_sets,
        resource_type_schema_version: s("resource_type_schema_version"),
    }
}

/// The official data source ID: the prefix and the CRC-32 of every set scalar argument
/// (`<value>-`, in argument-name order); lists such as `attribute_sets` are left out.
pub(crate) fn data_source_id(v: &Variant, config: &Value) -> String {
    let mut names: Vec<&str> = vec![
        "idcs_endpoint",
        "compartment_id",
        v.count_attr,
        v.filter_attr,
        "start_index",
        "sort_by",
        "sort_order",
        "authorization",
        "resource_type_schema_version",
    ];
    if v.has_attribute_args {
        names.push("attributes");
    }
    names.sort_unstable();
    let mut buf = String::new();
    for name in names {
        match config.get(name) {
            Value::String(s) => buf.push_str(&format!("{s}-")),
            Value::Number(n) => buf.push_str(&format!("{n}-")),
            Value::Bool(b) => buf.push_str(&format!("{b}-")),
            _ => {}
        }
    }
    format!("{}{}", v.id_prefix, crc32(buf.as_bytes()))
}

/// An API error as a diagnostic: the client's report (status, code, `detail`, `scimType`
/// and `messageId`, a hint, operation, request target and opc-request-id; for a filter the
/// service rejected, the filter with a caret under the position it named). A rejected
/// filter is reported on `filter_attr`, the argument it came from, when there is one.
pub(crate) fn scim_error(
    diags: &mut Diagnostics,
    summary: &str,
    err: &OciError,
    filter_attr: Option<&str>,
) {
    let bad_filter = err.scim.as_deref().is_some_and(|s| s.is_invalid_filter());
    match filter_attr {
        Some(attr) if bad_filter => {
            diags.attribute_error(AttributePath::attr(attr), summary, err.to_string())
        }
        _ => diags.error(summary, err.to_string()),
    }
}

/// A data source over one variant.
pub struct DomainsTokensDataSource {
    data: Arc<ProviderData>,
    variant: &'static Variant,
}

impl DomainsTokensDataSource {
    pub(crate) fn new(data: Arc<ProviderData>, variant: &'static Variant) -> Self {
        DomainsTokensDataSource { data, variant }
    }

    /// `oci_identity_domains_auth_tokens`.
    pub fn auth_tokens(data: Arc<ProviderData>) -> Self {
        Self::new(data, &AUTH_TOKENS)
    }
}

fn failed(diagnostics: Diagnostics) -> ApplyResponse {
    ApplyResponse {
        state: Value::Null,
        diagnostics,
        private: None,
    }
}

#[async_trait]
impl DataSource for DomainsTokensDataSource {
    fn type_name(&self) -> &'static str {
        self.variant.type_name
    }

    fn schema(&self) -> Schema {
        schema(self.variant)
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(ep) = config.get_str("idcs_endpoint") {
            if let Err(e) = oci_client::identity_domains::domain_url(ep) {
                diags.attribute_error(
                    AttributePath::attr("idcs_endpoint"),
                    "Invalid domain URL",
                    e.message,
                );
            }
        }
    }

    async fn read(&self, req: DataReadRequest) -> ApplyResponse {
        let v = self.variant;
        let mut diags = Diagnostics::new();
        let Some(c) = self.data.get(&mut diags) else {
            return failed(diags);
        };
        let endpoint = req
            .config
            .get_str("idcs_endpoint")
            .unwrap_or_default()
            .to_owned();
        let query = query(v, &req.config);
        let filter = query.filter.clone();
        let counts_only = query.count == Some(0);
        let mut pages = c.domains.pages(v.collection, &endpoint, query);
        let mut items = Vec::new();
        let mut first = None;
        loop {
            let page = match req.ctx.run(pages.next_page()).await {
                Ok(Ok(Some(page))) => page,
                Ok(Ok(None)) => break,
                Ok(Err(e)) => {
                    scim_error(
                        &mut diags,
                        "Cannot list auth tokens",
                        &e,
                        filter.as_ref().map(|_| v.filter_attr),
                    );
                    return failed(diags);
                }
                Err(_) => {
                    diags.error("Read cancelled", "Terraform asked the provider to stop.");
                    return failed(diags);
                }
            };
            items.extend(page.resources.iter().map(|t| item_value(v, t, &endpoint)));
            if first.is_none() {
                first = Some((
                    page.schemas.clone(),
                    page.start_index,
                    page.items_per_page,
                    page.total_results,
                ));
            }
            if counts_only {
                break;
            }
        }
        let (schemas, start_index, items_per_page, total_results) = first.unwrap_or_default();
        let int = |n: u64| Value::from(i64::try_from(n).unwrap_or(i64::MAX));
        let mut state = req.config.clone();
        state.set("id", data_source_id(v, &req.config).into());
        state.set(v.items_attr, Value::List(items));
        if state.get("start_index").is_null() {
            state.set("start_index", int(start_index));
        }
        state.set("items_per_page", int(items_per_page));
        state.set("total_results", int(total_results));
        state.set(
            "schemas",
            Value::List(schemas.into_iter().map(Value::from).collect()),
        );
        ApplyResponse {
            state,
            diagnostics: diags,
            private: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_client::error::{ErrorKind, ScimError};

    #[test]
    fn the_official_user_filter_form_is_rewritten_and_anything_else_kept() {
        assert_eq!(
            user_sub_resource_filter(
                "idcsEndpoint/https://idcs-abc.identity.oraclecloud.com:443/users/u-123"
            ),
            "user.value eq \"u-123\""
        );
        // The id is what follows the last `/users/`, as with the official greedy pattern.
        assert_eq!(
            user_sub_resource_filter("idcsEndpoint/http://h/users/x/users/u"),
            "user.value eq \"u\""
        );
        for kept in [
            "user.value eq \"u-123\"",
            "idcsEndpoint/https://h/groups/g",
            "users/u-123",
        ] {
            assert_eq!(user_sub_resource_filter(kept), kept);
        }
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().cloned())
    }

    #[test]
    fn arguments_become_the_list_query() {
        let c = config(&[
            ("idcs_endpoint", "http://127.0.0.1:1".into()),
            (
                "auth_token_filter",
                "idcsEndpoint/http://127.0.0.1:1/users/u1".into(),
            ),
            ("auth_token_count", Value::from(10i64)),
            ("start_index", Value::from(3i64)),
            ("sort_by", "meta.created".into()),
            ("sort_order", "DESCENDING".into()),
            ("attributes", "tags".into()),
            ("attribute_sets", Value::List(vec!["all".into()])),
            ("resource_type_schema_version", "v2".into()),
        ]);
        let q = query(&AUTH_TOKENS, &c);
        assert_eq!(q.filter.as_deref(), Some("user.value eq \"u1\""));
        assert_eq!((q.count, q.start_index), (Some(10), Some(3)));
        assert_eq!(q.sort_by.as_deref(), Some("meta.created"));
        assert_eq!(q.sort_order.as_deref(), Some("DESCENDING"));
        assert_eq!(q.attributes.as_deref(), Some("tags"));
        assert_eq!(q.attribute_sets, ["all"]);
        assert_eq!(q.resource_type_schema_version.as_deref(), Some("v2"));

        // The official example's empty values ask for nothing.
        let c = config(&[
            ("attributes", "".into()),
            ("auth_token_filter", " ".into()),
            ("attribute_sets", Value::List(vec![])),
        ]);
        let q = query(&AUTH_TOKENS, &c);
        assert_eq!((q.attributes, q.filter), (None, None));
        assert!(q.attribute_sets.is_empty());
    }

    #[test]
    fn the_id_hashes_the_scalar_arguments_in_name_order() {
        let c = config(&[
            ("idcs_endpoint", "http://e".into()),
            ("auth_token_count", Value::from(10i64)),
            ("attribute_sets", Value::List(vec!["all".into()])),
        ]);
        // auth_token_count sorts before idcs_endpoint.
        assert_eq!(
            data_source_id(&AUTH_TOKENS, &c),
            format!(
                "IdentityDomainsAuthTokensDataSource-{}",
                crc32(b"10-http://e-")
            )
        );
    }

    #[test]
    fn validators() {
        let check = |v: Validator, value: Value| (v.check)(&value);
        assert!(check(count_validator(), Value::from(1000i64)).is_ok());
        assert!(check(count_validator(), Value::from(0i64)).is_ok());
        assert!(check(count_validator(), Value::from(1001i64)).is_err());
        assert!(check(start_index_validator(), Value::from(0i64))
            .unwrap_err()
            .contains("1-based"));
        assert!(check(sort_order_validator(), "descending".into()).is_ok());
        assert!(check(sort_order_validator(), "down".into()).is_err());
        assert!(check(
            attribute_sets_validator(),
            Value::List(vec!["All".into(), "request".into()])
        )
        .is_ok());
        assert!(check(
            attribute_sets_validator(),
            Value::List(vec!["everything".into()])
        )
        .is_err());
    }

    #[test]
    fn a_rejected_filter_is_reported_on_the_filter_argument() {
        let mut err = OciError::new(
            ErrorKind::Service {
                status: 400,
                code: "invalidFilter".into(),
                message: "expected a value at position 13".into(),
            },
            "ListAuthTokens",
            "GET http://127.0.0.1:1/admin/v1/AuthTokens?filter=user.value+eq",
        );
        err.opc_request_id = Some("rid-1".into());
        err.scim = Some(Box::new(ScimError {
            detail: Some("expected a value at position 13".into()),
            status: Some("400".into()),
            scim_type: Some("invalidFilter".into()),
            ..Default::default()
        }));
        let mut diags = Diagnostics::new();
        scim_error(
            &mut diags,
            "Cannot list auth tokens",
            &err,
            Some("auth_token_filter"),
        );
        let d = diags.iter().next().unwrap();
        assert_eq!(d.attribute, Some(AttributePath::attr("auth_token_filter")));
        assert!(
            d.detail
                .starts_with("400-invalidFilter, expected a value at position 13"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("OPC request ID: rid-1"), "{}", d.detail);
        assert!(d.detail.contains("Filter: user.value eq"), "{}", d.detail);

        // Other errors are not put on the filter.
        err.scim = None;
        let mut diags = Diagnostics::new();
        scim_error(
            &mut diags,
            "Cannot list auth tokens",
            &err,
            Some("auth_token_filter"),
        );
        assert_eq!(diags.iter().next().unwrap().attribute, None);
    }
}
