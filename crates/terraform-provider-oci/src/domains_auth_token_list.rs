//! List resource `oci_identity_domains_auth_token` for `terraform query`: the domain-wide
//! inventory of auth tokens (every user's), narrowed by user, status, expiry, a description
//! regex and a raw SCIM filter. Pages are requested one at a time with `startIndex`/`count`
//! and their tokens sent on as they arrive, so the domain is never loaded whole, and paging
//! stops as soon as Terraform has the `limit` it asked for.

use std::sync::Arc;
use std::time::SystemTime;

use regex::Regex;

use oci_client::identity_domains::{
    is_expired_at, scim_string, Collection, ListQuery, ScimAuthToken,
};
use tfplugin::cty::{AttributePath, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{async_trait, ListItem, ListRequest, ListResource, ListSink};
use tfplugin::model::CtyObject;
use tfplugin::schema::{Attribute, Block, Schema, Validator};

use super::common::is_ocid;
use super::domains_auth_token::TYPE_NAME;
use super::domains_auth_tokens_data_source::scim_error;
use super::domains_model;
use super::ProviderData;

/// Statuses a token can have.
const STATUSES: [&str; 2] = ["ACTIVE", "INACTIVE"];

/// Largest page requested; smaller when the `limit` is smaller and every filter is the
/// service's (then the first page may be all that is needed).
const PAGE_SIZE: u64 = 100;

pub struct DomainsAuthTokenList {
    data: Arc<ProviderData>,
}

impl DomainsAuthTokenList {
    pub fn new(data: Arc<ProviderData>) -> Self {
        DomainsAuthTokenList { data }
    }
}

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description("Lists the auth tokens of an identity domain, of every user or of one, for `terraform query` and bulk import (`-generate-config-out`).")
            .attribute(Attribute::string("idcs_endpoint").required().description("The domain URL, e.g. `https://idcs-<hex>.identity.oraclecloud.com`."))
            .attribute(Attribute::string("user").optional().validator(Validator::string("a SCIM user id or a user OCID", |s| {
                if s.trim().is_empty() { Err("user must not be empty: leave it out to list every user's tokens.".into()) } else { Ok(()) }
            })).description("Only this user's tokens: the user's SCIM `id` or OCID."))
            .attribute(Attribute::string("status").optional().validator(Validator::string("ACTIVE or INACTIVE", |s| {
                if STATUSES.contains(&s) { Ok(()) } else { Err(format!("{s:?} is not a token status; use ACTIVE or INACTIVE.")) }
            })).description("Only tokens with this status: `ACTIVE` or `INACTIVE`."))
            .attribute(Attribute::bool("expired").optional().description("`true`: only tokens whose `expires_on` has passed; `false`: only tokens that have not expired (tokens without an expiry never do). Relative to the time of the query."))
            .attribute(Attribute::string("description_regex").optional().description("Only tokens whose description matches this regular expression (unanchored)."))
            .attribute(Attribute::string("filter").optional().description("A raw SCIM filter (RFC 7644) the service applies, e.g. `meta.created gt \"2026-01-01T00:00:00Z\"`; combined with `and` with the arguments above.")),
    )
}

fn description_regex(config: &Value, diags: &mut Diagnostics) -> Option<Regex> {
    let pattern = config.get_str("description_regex")?;
    match Regex::new(pattern) {
        Ok(r) => Some(r),
        Err(e) => {
            diags.attribute_error(
                AttributePath::attr("description_regex"),
                "Invalid regular expression",
                format!("{pattern:?} is not a valid regular expression: {e}"),
            );
            None
        }
    }
}

/// The SCIM filter for the arguments the service evaluates: the raw `filter` (in
/// parentheses), the user (`user.ocid` for an OCID, else `user.value`) and the status.
pub fn service_filter(config: &Value) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(raw) = config.get_str("filter").filter(|f| !f.trim().is_empty()) {
        parts.push(format!("({raw})"));
    }
    if let Some(user) = config.get_str("user") {
        let attr = if is_ocid(user) {
            "user.ocid"
        } else {
            "user.value"
        };
        parts.push(format!("{attr} eq {}", scim_string(user)));
    }
    if let Some(status) = config.get_str("status") {
        parts.push(format!("status eq {}", scim_string(status)));
    }
    (!parts.is_empty()).then(|| parts.join(" and "))
}

/// What the service cannot filter: expiry relative to now and the description regex.
struct LocalFilter {
    expired: Option<bool>,
    regex: Option<Regex>,
    now: SystemTime,
}

impl LocalFilter {
    fn is_empty(&self) -> bool {
        self.expired.is_none() && self.regex.is_none()
    }

    fn keeps(&self, t: &ScimAuthToken) -> bool {
        if let Some(want) = self.expired {
            // A token whose expiry cannot be read matches neither `true` nor `false`.
            match is_expired_at(t.expires_on.as_deref(), self.now) {
                Ok(expired) if expired == want => {}
                _ => return false,
            }
        }
        self.regex
            .as_ref()
            .is_none_or(|r| r.is_match(t.description.as_deref().unwrap_or_default()))
    }
}

/// `description (user, id)`, or `id (user)` without a description.
fn display_name(t: &ScimAuthToken) -> String {
    let user = t
        .user
        .as_ref()
        .and_then(|u| {
            u.name
                .clone()
                .or_else(|| u.display.clone())
                .or_else(|| u.value.clone())
        })
        .unwrap_or_default();
    match t.description.as_deref().filter(|d| !d.is_empty()) {
        Some(d) if !user.is_empty() => format!("{d} ({user}, {})", t.id),
        Some(d) => format!("{d} ({})", t.id),
        None if !user.is_empty() => format!("{} ({user})", t.id),
        None => t.id.clone(),
    }
}

#[async_trait]
impl ListResource for DomainsAuthTokenList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        description_regex(config, diags);
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

    async fn list(&self, req: ListRequest, out: ListSink) {
        let mut diags = Diagnostics::new();
        let Some(c) = self.data.get(&mut diags) else {
            return out.error(diags).await;
        };
        let local = LocalFilter {
            expired: req.config.get("expired").as_bool(),
            regex: description_regex(&req.config, &mut diags),
            now: SystemTime::now(),
        };
        if diags.has_errors() {
            return out.error(diags).await;
        }
        let endpoint = req
            .config
            .get_str("idcs_endpoint")
            .unwrap_or_default()
            .to_owned();
        let filter = service_filter(&req.config);
        let limit = u64::try_from(req.limit).unwrap_or(u64::MAX).max(1);
        let count = if local.is_empty() {
            limit.min(PAGE_SIZE)
        } else {
            PAGE_SIZE
        };
        let query = ListQuery {
            filter: filter.clone(),
            count: Some(count),
            ..Default::default()
        };
        let mut pages = c.domains.pages(Collection::AuthTokens, &endpoint, query);
        let mut sent = 0u64;
        loop {
            let page = match req.ctx.run(pages.next_page()).await {
                Ok(Ok(Some(page))) => page,
                Ok(Ok(None)) => return,
                Ok(Err(e)) => {
                    let raw = req.config.get_str("filter").is_some();
                    scim_error(
                        &mut diags,
                        "Cannot list auth tokens",
                        &e,
                        raw.then_some("filter"),
                    );
                    return out.error(diags).await;
                }
                Err(_) => return,
            };
            for t in page.resources.iter().filter(|t| local.keeps(t)) {
                let item = ListItem {
                    display_name: display_name(t),
                    state: domains_model::DomainsAuthTokenModel::item(t, &endpoint).to_value(),
                };
                if !out.send(item).await {
                    return;
                }
                sent += 1;
                if sent >= limit {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_filter_combines_raw_user_and_status() {
        let c = Value::object([
            (
                "filter",
                Value::from("meta.created gt \"2026\" or description co \"x\""),
            ),
            ("user", Value::from("ocid1.user.oc1..aaaa")),
            ("status", Value::from("INACTIVE")),
        ]);
        assert_eq!(
            service_filter(&c).unwrap(),
            "(meta.created gt \"2026\" or description co \"x\") and user.ocid eq \"ocid1.user.oc1..aaaa\" and status eq \"INACTIVE\""
        );
        let c = Value::object([("user", Value::from("5f0c\"x"))]);
        assert_eq!(service_filter(&c).unwrap(), "user.value eq \"5f0c\\\"x\"");
        assert_eq!(
            service_filter(&Value::object([("user", Value::Null)])),
            None
        );
    }

    fn token(description: Option<&str>, expires_on: Option<&str>) -> ScimAuthToken {
        serde_json::from_value(serde_json::json!({
            "id": "t1",
            "description": description,
            "expiresOn": expires_on,
            "user": {"value": "u1", "name": "ada"},
        }))
        .unwrap()
    }

    #[test]
    fn local_filters_expiry_and_regex() {
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_900_000_000);
        let f = |expired, regex: Option<&str>| LocalFilter {
            expired,
            regex: regex.map(|r| Regex::new(r).unwrap()),
            now,
        };
        let past = token(Some("ci one"), Some("2020-01-01T00:00:00Z"));
        let future = token(Some("laptop"), Some("2040-01-01T00:00:00Z"));
        let never = token(None, None);
        assert!(f(Some(true), None).keeps(&past));
        assert!(!f(Some(true), None).keeps(&future));
        assert!(!f(Some(true), None).keeps(&never));
        assert!(f(Some(false), None).keeps(&future) && f(Some(false), None).keeps(&never));
        assert!(!f(Some(false), None).keeps(&past));
        assert!(f(None, Some("^ci")).keeps(&past) && !f(None, Some("^ci")).keeps(&future));
        assert!(f(None, None).is_empty() && !f(Some(false), None).is_empty());
    }

    #[test]
    fn display_names_say_what_and_whose() {
        assert_eq!(display_name(&token(Some("ci"), None)), "ci (ada, t1)");
        assert_eq!(display_name(&token(None, None)), "t1 (ada)");
        let mut bare = token(None, None);
        bare.user = None;
        assert_eq!(display_name(&bare), "t1");
    }
}
