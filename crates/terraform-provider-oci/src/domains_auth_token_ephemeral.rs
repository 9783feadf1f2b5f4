//! Ephemeral resource `oci_identity_domains_auth_token`: an auth token of a user in an
//! identity domain (SCIM `/admin/v1/AuthTokens`) that exists for one Terraform run and is
//! never written to a plan or state.
//!
//! The design is the classic `oci_identity_auth_token` ephemeral resource's (see
//! `auth_token_ephemeral.rs`, whose lease marker and helpers this reuses): the description
//! ends with the lease marker `[tf-ephemeral lease=<RFC 3339 UTC time>]`, renewed while the
//! run lives; once it has passed, the next open for the same user deletes the token. Here
//! the token also gets a service-side expiry (`expiresOn`), so the domain itself retires a
//! token that no later run removes. SCIM cannot change `expiresOn` after the create, so it is
//! set once, to the later of the first lease end and [`MIN_SERVICE_EXPIRY`] after the open:
//! a run that keeps renewing its lease keeps a working token for at least that long.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use oci_client::identity_domains::{
    domain_url, is_expired_at, scim_string, CallOptions, Collection, ListQuery, PatchOperation,
    ScimAuthToken, ScimUserRef,
};
use tfplugin::cty::{AttributePath, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{
    async_trait, CloseRequest, EphemeralResource, OpenRequest, OpenResponse, PrivateState,
    RenewRequest, RenewResponse,
};
use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting, Schema};

use super::auth_token_ephemeral::{
    bounded, chrono_dur, fail, lease_end, lease_of, lease_validator, prefix_validator, renew_at,
    rfc3339, sweep_expired_leases, with_marker, DEFAULT_LEASE, DELETE_TIMEOUT, MAX_PREFIX_LEN,
    MAX_TOKENS_PER_USER, OPEN_TIMEOUT,
};
use super::{Configured, ProviderData};

pub const TYPE_NAME: &str = "oci_identity_domains_auth_token";

/// The service-side expiry (`expiresOn`) is at least this long after the open, however short
/// the lease: SCIM cannot extend it, and a run that renews its lease must keep a working
/// token. A longer lease sets it to the first lease end.
pub const MIN_SERVICE_EXPIRY: Duration = Duration::from_secs(24 * 3600);

// Private-state keys.
const P_ENDPOINT: &str = "idcs_endpoint";
const P_USER: &str = "user";
const P_TOKEN: &str = "token_id";
const P_PREFIX: &str = "description";
const P_LEASE_SECS: &str = "lease_seconds";
const P_LEASE_END: &str = "lease_expires";
const P_EXPIRES_ON: &str = "expires_on";

pub struct DomainsAuthTokenEphemeral {
    data: Arc<ProviderData>,
}

impl DomainsAuthTokenEphemeral {
    pub fn new(data: Arc<ProviderData>) -> Self {
        DomainsAuthTokenEphemeral { data }
    }
}

fn user_block() -> NestedBlock {
    let pick = |name: &str, what: &str| {
        Attribute::string(name)
            .optional()
            .computed()
            .description(format!("{what} of the user. Give `value`, `ocid` or both (they must name the same user); the other is filled in from the API."))
    };
    let mut b = NestedBlock::new(
        "user",
        Nesting::List,
        Block::new()
            .description("The user who gets the token, as in the `oci_identity_domains_auth_token` resource's `user` block: `value` (SCIM id) and/or `ocid`. The user must have a free auth-token slot (a user holds at most two).")
            .attribute(pick("value", "SCIM id"))
            .attribute(pick("ocid", "OCID"))
            .attribute(Attribute::string("display").computed().description("Display name of the user."))
            .attribute(Attribute::string("name").computed().description("User name of the user.")),
    );
    b.min_items = 1;
    b.max_items = 1;
    b
}

pub fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description(format!("A short-lived auth token of a user in an OCI identity domain (SCIM `/admin/v1/AuthTokens`) that exists only while a Terraform run needs it, for example to log in to OCIR (`docker login`, a `helm` or `docker` provider block, a provisioner) or for a write-only argument. The token is created when the run opens it, deleted when the run no longer needs it, and never written to the plan or the state. It also gets a service-side expiry (`expires_on`), so the domain retires it even if no later run removes it; SCIM cannot change that expiry later, so it is set once, to the later of the first lease end and {} hours after the open.", MIN_SERVICE_EXPIRY.as_secs() / 3600))
            .attribute(Attribute::string("idcs_endpoint").required().description("URL of the identity domain (`url` of the `oci_identity_domain` data source), e.g. `https://idcs-<hex>.identity.oraclecloud.com`."))
            .attribute(Attribute::string("description").optional().validator(prefix_validator()).description(format!("Start of the token's description (at most {MAX_PREFIX_LEN} characters). The provider appends its lease marker, ` [tf-ephemeral lease=<RFC 3339 UTC time>]`.")))
            .attribute(Attribute::string("lease").optional().validator(lease_validator()).description("How long the token may outlive a run that never closed it (killed, crashed, cancelled CI job), as a duration like `15m` or `1h` (default `1h`, 1s to 720h). While the run lives the lease is renewed; once it has passed, the next open for the same user deletes the token."))
            .attribute(Attribute::string("id").computed().description("SCIM id of the auth token."))
            .attribute(Attribute::string("ocid").computed().description("OCID of the auth token, when the domain returns one."))
            .attribute(Attribute::string("token").computed().sensitive().description("The token itself, for example the password of `docker login` to OCIR."))
            .attribute(Attribute::string("time_created").computed().description("When the token was created (`meta.created`)."))
            .attribute(Attribute::string("expires_on").computed().description(format!("The service-side expiry of the token (RFC 3339): the later of the first lease end and {} hours after the open. It cannot be extended; after it the token no longer works even while the run renews its lease.", MIN_SERVICE_EXPIRY.as_secs() / 3600)))
            .attribute(Attribute::string("lease_expires").computed().description("When the token's lease ends (RFC 3339), unless renewed before then."))
            .block(user_block()),
    )
}

/// The configured user: `(value, ocid)`, each unset when empty or unknown.
fn configured_user(config: &Value) -> (Option<String>, Option<String>) {
    let first = config
        .get("user")
        .as_elements()
        .and_then(|e| e.first())
        .cloned()
        .unwrap_or_default();
    let pick = |k: &str| {
        first
            .get_str(k)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
    };
    (pick("value"), pick("ocid"))
}

/// How diagnostics name the user: its SCIM id, else its OCID.
fn user_label(value: &Option<String>, ocid: &Option<String>) -> String {
    value.clone().or_else(|| ocid.clone()).unwrap_or_default()
}

/// The SCIM filter selecting the user's tokens.
pub fn user_filter(value: Option<&str>, ocid: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(v) = value {
        parts.push(format!("user.value eq {}", scim_string(v)));
    }
    if let Some(o) = ocid {
        parts.push(format!("user.ocid eq {}", scim_string(o)));
    }
    parts.join(" and ")
}

/// When a token opened at `now` with a lease ending at `lease_end` expires on the service.
pub fn service_expiry(now: DateTime<Utc>, lease_end: DateTime<Utc>) -> DateTime<Utc> {
    lease_end.max(now + chrono_dur(MIN_SERVICE_EXPIRY))
}

/// Whether a listed token is a leftover this resource may delete: it carries the lease
/// marker, and the lease or the service-side expiry has passed.
fn is_expired_lease(t: &ScimAuthToken, now: DateTime<Utc>) -> bool {
    let Some(end) = t.description.as_deref().and_then(lease_end) else {
        return false;
    };
    end <= now || is_expired_at(t.expires_on.as_deref(), now.into()).unwrap_or(false)
}

fn created_of(t: &ScimAuthToken) -> Option<String> {
    t.meta.as_ref().and_then(|m| m.created.clone())
}

/// Every token of the user (all pages).
async fn list_user_tokens(
    c: &Configured,
    endpoint: &str,
    filter: &str,
) -> Result<Vec<ScimAuthToken>, String> {
    let query = ListQuery {
        filter: Some(filter.to_string()),
        count: Some(1000),
        ..Default::default()
    };
    let mut pages = c.domains.pages(Collection::AuthTokens, endpoint, query);
    let mut all = Vec::new();
    while let Some(page) = pages.next_page().await.map_err(|e| e.to_string())? {
        all.extend(page.resources);
    }
    Ok(all)
}

/// Deletes a token; a 404 is success. Not stoppable: it cleans up.
async fn delete_token(c: &Configured, endpoint: &str, id: &str) -> Result<(), String> {
    let unstoppable = tfplugin::framework::StopSource::new().ctx();
    let out = bounded(
        &unstoppable,
        DELETE_TIMEOUT,
        c.domains
            .delete_auth_token(endpoint, id, &CallOptions::default()),
    )
    .await;
    match out {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) if e.is_not_found() => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(why) => Err(why),
    }
}

/// Polls the user's token list until the new token is listed (so the service serves it
/// consistently, and a later open sees it) and not INACTIVE. SCIM shows no CREATING state.
async fn wait_usable(
    c: &Configured,
    endpoint: &str,
    filter: &str,
    id: &str,
    deadline: Instant,
) -> Result<ScimAuthToken, String> {
    let filter = format!("({filter}) and id eq {}", scim_string(id));
    let mut delay = Duration::from_millis(100);
    loop {
        let listed = list_user_tokens(c, endpoint, &filter)
            .await?
            .into_iter()
            .find(|t| t.id == id);
        if let Some(t) = listed {
            match t.status.as_deref() {
                Some(s) if s.eq_ignore_ascii_case("INACTIVE") => {
                    return Err("the token is INACTIVE".into())
                }
                _ => return Ok(t),
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err("the token did not appear in the user's token list in time".into());
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// One line of the "no free slot" diagnostic.
fn describe(t: &ScimAuthToken, now: DateTime<Utc>) -> String {
    let description = t.description.as_deref().unwrap_or_default();
    let owner = match lease_end(description) {
        Some(end) if end > now => format!(
            "leased by another run of this ephemeral resource until {}",
            rfc3339(end)
        ),
        Some(_) => "an expired lease of this ephemeral resource that could not be deleted".into(),
        None => "managed elsewhere (not created by this ephemeral resource)".into(),
    };
    let expired = match is_expired_at(t.expires_on.as_deref(), now.into()) {
        Ok(true) => format!(
            "; expired on {}, but still counted by the service",
            t.expires_on.as_deref().unwrap_or_default()
        ),
        _ => String::new(),
    };
    format!(
        "- {}{} (description {:?}, created {}): {owner}{expired}",
        t.id,
        t.ocid
            .as_deref()
            .map(|o| format!(" / {o}"))
            .unwrap_or_default(),
        description,
        created_of(t).as_deref().unwrap_or("?"),
    )
}

fn no_free_slot(diags: &mut Diagnostics, user: &str, held: &[ScimAuthToken], now: DateTime<Utc>) {
    let lines: Vec<String> = held.iter().map(|t| describe(t, now)).collect();
    diags.attribute_error(
        AttributePath::attr("user"),
        "No free auth token slot",
        format!(
            "The ephemeral auth token needs one free auth-token slot of the {MAX_TOKENS_PER_USER} a user may hold, but {user} already holds {}:\n{}\nNothing was created or deleted. Free a slot (delete a token that is no longer used), or use another user.",
            held.len(),
            lines.join("\n")
        ),
    );
}

fn user_value(t: &ScimAuthToken, value: &Option<String>, ocid: &Option<String>) -> Value {
    let u = t.user.clone().unwrap_or_else(|| ScimUserRef {
        value: value.clone(),
        ocid: ocid.clone(),
        ..Default::default()
    });
    let s = |v: Option<String>| v.map(Value::from).unwrap_or(Value::Null);
    Value::List(vec![Value::object([
        ("value", s(value.clone().or(u.value))),
        ("ocid", s(ocid.clone().or(u.ocid))),
        ("display", s(u.display)),
        ("name", s(u.name)),
    ])])
}

fn private_str(p: &PrivateState, k: &str) -> String {
    p.get(k)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

#[async_trait]
impl EphemeralResource for DomainsAuthTokenEphemeral {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(ep) = config.get_str("idcs_endpoint") {
            if let Err(e) = domain_url(ep) {
                diags.attribute_error(
                    AttributePath::attr("idcs_endpoint"),
                    "Invalid identity domain URL",
                    e.message,
                );
            }
        }
        if let Some(first) = config.get("user").as_elements().and_then(|e| e.first()) {
            let unset = |k: &str| {
                let v = first.get(k);
                v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty())
            };
            if unset("value") && unset("ocid") {
                diags.attribute_error(
                    AttributePath::attr("user").child_index(0),
                    "Missing user",
                    "The user block must name the user: its SCIM id (`value`), its OCID (`ocid`), or both.",
                );
            }
        }
    }

    async fn open(&self, req: OpenRequest) -> OpenResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.data.get(&mut diags) else {
            return fail(diags);
        };
        let deadline = Instant::now() + OPEN_TIMEOUT;
        let endpoint = req
            .config
            .get_str("idcs_endpoint")
            .unwrap_or_default()
            .to_string();
        let (value, ocid) = configured_user(&req.config);
        let who = user_label(&value, &ocid);
        let filter = user_filter(value.as_deref(), ocid.as_deref());
        let prefix = req
            .config
            .get_str("description")
            .unwrap_or_default()
            .to_string();
        let lease = lease_of(&req.config);

        // 1. The user's tokens; expired leases of this resource are deleted.
        let listed = match bounded(
            &req.ctx,
            OPEN_TIMEOUT,
            list_user_tokens(&c, &endpoint, &filter),
        )
        .await
        {
            Ok(Ok(t)) => t,
            Ok(Err(why)) => {
                diags.error("Cannot list the user's auth tokens", why);
                return fail(diags);
            }
            Err(why) => {
                diags.error(
                    "Cannot list the user's auth tokens",
                    format!("Listing {why}."),
                );
                return fail(diags);
            }
        };
        let now = Utc::now();
        let held = sweep_expired_leases(
            TYPE_NAME,
            listed,
            |t| &t.id,
            |t| is_expired_lease(t, now),
            |id| {
                let (c, endpoint) = (&c, &endpoint);
                async move { delete_token(c, endpoint, &id).await }
            },
            &mut diags,
        )
        .await;
        if held.len() >= MAX_TOKENS_PER_USER {
            no_free_slot(&mut diags, &who, &held, now);
            return fail(diags);
        }

        // 2. Create. From here on, a failure deletes the token again: Terraform will not close
        // an open that failed.
        let now = Utc::now();
        let end = now + chrono_dur(lease);
        let expires_on = rfc3339(service_expiry(now, end));
        let body = ScimAuthToken {
            description: Some(with_marker(&prefix, end)),
            expires_on: Some(expires_on.clone()),
            user: Some(ScimUserRef {
                value: value.clone(),
                ocid: ocid.clone(),
                ..Default::default()
            }),
            ..Default::default()
        };
        // Never abandoned half-way (not by StopProvider): a token created but not returned
        // would hold a slot until its lease ends. The client bounds it with its retry budget.
        let created = match c
            .domains
            .create_auth_token(&endpoint, &body, &CallOptions::default())
            .await
        {
            Ok(t) => t,
            Err(e) => {
                // Another run may have taken the slot since the list.
                if e.status() == Some(400) {
                    if let Ok(again) = list_user_tokens(&c, &endpoint, &filter).await {
                        if again.len() >= MAX_TOKENS_PER_USER {
                            no_free_slot(&mut diags, &who, &again, Utc::now());
                            return fail(diags);
                        }
                    }
                }
                diags.error("Cannot create the auth token", e.to_string());
                return fail(diags);
            }
        };
        tracing::info!(tf_ephemeral_resource_type = TYPE_NAME, id = %created.id, lease_expires = %rfc3339(end), expires_on = %expires_on, "ephemeral auth token created");
        let undo = |mut diags: Diagnostics, summary: &str, why: String| {
            let c = c.clone();
            let (endpoint, id) = (endpoint.clone(), created.id.clone());
            let summary = summary.to_string();
            async move {
                let cleanup = match delete_token(&c, &endpoint, &id).await {
                    Ok(()) => "It was deleted again.".to_string(),
                    Err(e) => format!("Deleting it again failed too ({e}); its lease makes the next open for this user delete it, and the domain retires it at its expiry."),
                };
                diags.error(
                    summary,
                    format!("The auth token {id} was created, but {why}. {cleanup}"),
                );
                fail(diags)
            }
        };
        if created.id.is_empty() {
            diags.error(
                "Auth token without an id",
                "The domain created an auth token but returned no id, so it cannot be deleted by this run; its lease makes the next open for this user delete it.",
            );
            return fail(diags);
        }
        let Some(secret) = created.token.clone().filter(|s| !s.is_empty()) else {
            return undo(
                diags,
                "Auth token without a value",
                "the API returned no token value".into(),
            )
            .await;
        };

        // 3. Wait until the domain lists it, so it works when the run uses it.
        let remaining = deadline.saturating_duration_since(Instant::now());
        let listed = match bounded(
            &req.ctx,
            remaining,
            wait_usable(&c, &endpoint, &filter, &created.id, deadline),
        )
        .await
        {
            Ok(Ok(t)) => t,
            Ok(Err(why)) | Err(why) => {
                return undo(
                    diags,
                    "Auth token not ready",
                    format!("waiting for it to become usable failed: {why}"),
                )
                .await;
            }
        };

        let opt = |v: Option<String>| v.map(Value::from).unwrap_or(Value::Null);
        let mut result = req.config.clone();
        result.set("id", created.id.clone().into());
        result.set("ocid", opt(created.ocid.clone().or(listed.ocid.clone())));
        result.set("token", secret.into());
        result.set(
            "time_created",
            opt(created_of(&created).or_else(|| created_of(&listed))),
        );
        result.set(
            "expires_on",
            opt(created.expires_on.clone().or(Some(expires_on.clone()))),
        );
        result.set("lease_expires", rfc3339(end).into());
        result.set("user", user_value(&created, &value, &ocid));

        let mut private = PrivateState::new();
        private.set(P_ENDPOINT, endpoint);
        private.set(P_USER, who);
        private.set(P_TOKEN, created.id.clone());
        private.set(P_PREFIX, prefix);
        private.set(P_LEASE_SECS, lease.as_secs_f64());
        private.set(P_LEASE_END, rfc3339(end));
        private.set(P_EXPIRES_ON, expires_on);
        OpenResponse {
            result,
            private,
            renew_at: Some(renew_at(end, lease)),
            diagnostics: diags,
        }
    }

    async fn renew(&self, req: RenewRequest) -> RenewResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.data.get(&mut diags) else {
            return RenewResponse {
                diagnostics: diags,
                ..Default::default()
            };
        };
        let p = &req.private;
        let (endpoint, id, prefix) = (
            private_str(p, P_ENDPOINT),
            private_str(p, P_TOKEN),
            private_str(p, P_PREFIX),
        );
        let lease = p
            .get(P_LEASE_SECS)
            .and_then(|v| v.as_f64())
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .unwrap_or(DEFAULT_LEASE);
        let expiry = DateTime::parse_from_rfc3339(&private_str(p, P_EXPIRES_ON))
            .ok()
            .map(|t| t.with_timezone(&Utc));
        // The lease never runs past the service-side expiry: the token is dead after it.
        let wanted = Utc::now() + chrono_dur(lease);
        let (end, last) = match expiry {
            Some(x) if wanted >= x => (x, true),
            _ => (wanted, false),
        };
        let ops = [PatchOperation::replace(
            "description",
            with_marker(&prefix, end),
        )];
        let options = CallOptions::default();
        let call = c.domains.patch_auth_token(&endpoint, &id, &ops, &options);
        let failed = |diags| RenewResponse {
            diagnostics: diags,
            ..Default::default()
        };
        match bounded(&req.ctx, OPEN_TIMEOUT, call).await {
            Ok(Ok(_)) => {
                tracing::debug!(tf_ephemeral_resource_type = TYPE_NAME, id = %id, lease_expires = %rfc3339(end), "lease renewed");
                if last {
                    tracing::warn!(tf_ephemeral_resource_type = TYPE_NAME, id = %id, expires_on = %rfc3339(end), "the lease reached the token's service-side expiry, which SCIM cannot extend; the token stops working then");
                }
                let mut private = req.private.clone();
                private.set(P_LEASE_END, rfc3339(end));
                RenewResponse {
                    private: Some(private),
                    renew_at: (!last).then(|| renew_at(end, lease)),
                    diagnostics: diags,
                }
            }
            Ok(Err(e)) if e.is_not_found() => {
                diags.error(
                    "Auth token gone",
                    format!("The ephemeral auth token {id} was deleted while the run still used it (by hand, or by another run after its lease had expired)."),
                );
                failed(diags)
            }
            Ok(Err(e)) => {
                diags.error(
                    "Cannot renew the auth token's lease",
                    format!("Extending the lease of the ephemeral auth token {id} failed: {e}"),
                );
                failed(diags)
            }
            Err(why) => {
                diags.error(
                    "Cannot renew the auth token's lease",
                    format!("Extending the lease of the ephemeral auth token {id} {why}."),
                );
                failed(diags)
            }
        }
    }

    async fn close(&self, req: CloseRequest) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let p = &req.private;
        let (endpoint, user, id, end, expiry) = (
            private_str(p, P_ENDPOINT),
            private_str(p, P_USER),
            private_str(p, P_TOKEN),
            private_str(p, P_LEASE_END),
            private_str(p, P_EXPIRES_ON),
        );
        if id.is_empty() {
            return diags;
        }
        let Some(c) = self.data.get(&mut diags) else {
            return diags;
        };
        match delete_token(&c, &endpoint, &id).await {
            Ok(()) => {
                tracing::info!(tf_ephemeral_resource_type = TYPE_NAME, id = %id, "ephemeral auth token deleted");
            }
            Err(why) => diags.warning(
                "Ephemeral auth token not deleted",
                format!("Deleting the ephemeral auth token {id} of {user} in {endpoint} failed: {why}. Its lease ends at {end}; after that the next open of this ephemeral resource for the same user deletes it, or delete it yourself. The domain retires it at {expiry} in any case."),
            ),
        }
        diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_client::identity_domains::ScimMeta;
    use tfplugin::framework::validate_block;

    fn config(user: Value, lease: &str, description: String) -> Value {
        Value::object([
            (
                "idcs_endpoint",
                Value::from("https://idcs-0a1b.identity.oraclecloud.com"),
            ),
            ("description", Value::from(description)),
            ("lease", Value::from(lease)),
            ("id", Value::Null),
            ("ocid", Value::Null),
            ("token", Value::Null),
            ("time_created", Value::Null),
            ("expires_on", Value::Null),
            ("lease_expires", Value::Null),
            ("user", user),
        ])
    }

    fn user(value: Value, ocid: Value) -> Value {
        Value::List(vec![Value::object([
            ("value", value),
            ("ocid", ocid),
            ("display", Value::Null),
            ("name", Value::Null),
        ])])
    }

    #[test]
    fn arguments_are_validated_with_their_paths() {
        let block = schema().block;
        let ok = config(
            user(Value::from("5f0c"), Value::Null),
            "2s",
            "x".repeat(MAX_PREFIX_LEN),
        );
        let mut d = Diagnostics::new();
        validate_block(&block, &ok, &AttributePath::root(), &mut d);
        assert!(d.is_empty(), "{d:?}");
        for (lease, description, path) in [
            ("0s", "ok".to_string(), "lease"),
            ("721h", "ok".to_string(), "lease"),
            ("1h", "x".repeat(MAX_PREFIX_LEN + 1), "description"),
        ] {
            let mut d = Diagnostics::new();
            let v = config(user(Value::from("5f0c"), Value::Null), lease, description);
            validate_block(&block, &v, &AttributePath::root(), &mut d);
            let paths: Vec<String> = d
                .iter()
                .map(|x| x.attribute.as_ref().unwrap().to_string())
                .collect();
            assert_eq!(paths, vec![path], "{lease}");
        }
        assert!(block.get_attribute("token").unwrap().sensitive);
        let user_block = block.blocks.iter().find(|b| b.type_name == "user").unwrap();
        assert_eq!((user_block.min_items, user_block.max_items), (1, 1));

        // The resource's own checks: a user block naming nobody, a bad endpoint.
        let r = DomainsAuthTokenEphemeral::new(Arc::new(ProviderData::default()));
        let mut d = Diagnostics::new();
        let mut bad = config(user(Value::Null, Value::from("")), "1h", String::new());
        bad.set("idcs_endpoint", Value::from("ftp://x"));
        r.validate_config(&bad, &mut d);
        let paths: Vec<String> = d
            .iter()
            .map(|x| x.attribute.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths.len(), 2, "{paths:?}");
        assert!(paths.iter().any(|p| p.starts_with("idcs_endpoint")));
        assert!(paths.iter().any(|p| p.starts_with("user")));
        let mut d = Diagnostics::new();
        r.validate_config(
            &config(user(Value::Unknown, Value::Null), "1h", String::new()),
            &mut d,
        );
        assert!(d.is_empty(), "unknown values are checked at open");
    }

    #[test]
    fn the_user_filter_names_the_given_forms() {
        assert_eq!(
            user_filter(Some("5f\"0c"), None),
            "user.value eq \"5f\\\"0c\""
        );
        assert_eq!(
            user_filter(Some("5f0c"), Some("ocid1.user.oc1..u")),
            "user.value eq \"5f0c\" and user.ocid eq \"ocid1.user.oc1..u\""
        );
        assert_eq!(
            user_filter(None, Some("ocid1.user.oc1..u")),
            "user.ocid eq \"ocid1.user.oc1..u\""
        );
    }

    #[test]
    fn the_service_expiry_covers_renewals_for_a_day_and_a_long_lease_entirely() {
        let now = Utc::now();
        let short = now + chrono::Duration::seconds(2);
        assert_eq!(
            service_expiry(now, short),
            now + chrono::Duration::hours(24)
        );
        let long = now + chrono::Duration::hours(72);
        assert_eq!(service_expiry(now, long), long);
    }

    fn tok(id: &str, description: String, expires_on: Option<&str>) -> ScimAuthToken {
        ScimAuthToken {
            id: id.into(),
            ocid: Some(format!("ocid1.credential.oc1..{id}")),
            description: Some(description),
            expires_on: expires_on.map(str::to_string),
            meta: Some(ScimMeta {
                created: Some("2026-01-01T00:00:00.000Z".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn only_marked_tokens_past_their_lease_or_expiry_are_leftovers() {
        let now = Utc::now();
        let past = now - chrono::Duration::minutes(1);
        let future = now + chrono::Duration::minutes(5);
        assert!(is_expired_lease(
            &tok("a", with_marker("x", past), None),
            now
        ));
        assert!(!is_expired_lease(
            &tok("b", with_marker("x", future), None),
            now
        ));
        assert!(is_expired_lease(
            &tok("c", with_marker("x", future), Some("2020-01-01T00:00:00Z")),
            now
        ));
        assert!(!is_expired_lease(
            &tok("d", "ci".into(), Some("2020-01-01T00:00:00Z")),
            now
        ));
        assert!(!is_expired_lease(&tok("e", String::new(), None), now));
    }

    #[test]
    fn the_no_slot_diagnostic_lists_the_tokens_and_who_manages_them() {
        let now = Utc::now();
        let held = [
            tok("a1", "ci".into(), Some("2020-01-01T00:00:00Z")),
            tok(
                "b2",
                with_marker("run", now + chrono::Duration::minutes(5)),
                None,
            ),
        ];
        let mut d = Diagnostics::new();
        no_free_slot(&mut d, "5f0c", &held, now);
        let diag = d.iter().next().unwrap();
        assert_eq!(diag.attribute, Some(AttributePath::attr("user")));
        let detail = &diag.detail;
        assert!(
            detail.contains("- a1 / ocid1.credential.oc1..a1 (description \"ci\", created 2026-01-01T00:00:00.000Z): managed elsewhere"),
            "{detail}"
        );
        assert!(
            detail.contains("expired on 2020-01-01T00:00:00Z"),
            "{detail}"
        );
        assert!(
            detail.contains("b2") && detail.contains("leased by another run"),
            "{detail}"
        );
        assert!(detail.contains("5f0c already holds 2"), "{detail}");
        assert!(
            detail.contains("Nothing was created or deleted"),
            "{detail}"
        );
    }

    #[test]
    fn the_result_user_keeps_the_configured_form_and_fills_the_rest() {
        let t = ScimAuthToken {
            user: Some(ScimUserRef {
                value: Some("5f0c".into()),
                ocid: Some("ocid1.user.oc1..u".into()),
                display: Some("Ada".into()),
                name: Some("ada".into()),
                reference: None,
            }),
            ..Default::default()
        };
        let v = user_value(&t, &None, &Some("ocid1.user.oc1..u".into()));
        let u = &v.as_elements().unwrap()[0];
        assert_eq!(u.get_str("value"), Some("5f0c"));
        assert_eq!(u.get_str("ocid"), Some("ocid1.user.oc1..u"));
        assert_eq!(u.get_str("name"), Some("ada"));
    }
}
