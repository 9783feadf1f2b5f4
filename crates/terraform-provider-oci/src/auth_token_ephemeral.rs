//! Ephemeral resource `oci_identity_auth_token`: an auth token that exists for one Terraform
//! run and is never written to a plan or state.
//!
//! Terraform opens it in every walk that needs the value (plan, then apply) and closes it when
//! nothing needs it any more; nothing closes it when Terraform is killed. So every token it
//! creates carries a **lease marker** at the end of its description,
//! `[tf-ephemeral lease=<RFC 3339 UTC time>]`: while the run lives, renew pushes the lease
//! forward; once the lease has passed, the next open for the same user deletes the token.
//! Tokens without the marker (or with a lease still running) are never touched.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};
use oci_client::error::OciError;
use oci_client::identity::{AuthToken, IdentityClient};
use tfplugin::cty::{AttributePath, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{
    async_trait, CloseRequest, Ctx, EphemeralResource, OpenRequest, OpenResponse, PrivateState,
    RenewRequest, RenewResponse,
};
use tfplugin::schema::{Attribute, Block, Schema, Validator};

use super::common::{ocid_validator, parse_duration, MAX_DESCRIPTION_LEN};
use super::{Configured, ProviderData};

pub const TYPE_NAME: &str = "oci_identity_auth_token";

/// How many auth tokens the Identity API lets a user hold.
pub const MAX_TOKENS_PER_USER: usize = 2;

/// The start of the lease marker; the marker is the end of the description.
pub const LEASE_MARKER: &str = "[tf-ephemeral lease=";

/// `" [tf-ephemeral lease=2026-01-01T00:00:00Z]"`: what the marker adds to a description.
const MARKER_LEN: usize = 1 + LEASE_MARKER.len() + 20 + 1;

/// The longest `description` prefix: the marker must fit into the API's 400 characters.
pub const MAX_PREFIX_LEN: usize = MAX_DESCRIPTION_LEN - MARKER_LEN;

pub(crate) const DEFAULT_LEASE: Duration = Duration::from_secs(3600);
const MIN_LEASE: Duration = Duration::from_secs(1);
const MAX_LEASE: Duration = Duration::from_secs(30 * 24 * 3600);

/// How long an open may take in all (list, clean-up, create, wait for ACTIVE).
pub(crate) const OPEN_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// How long the deletion of a token may take (close, or the clean-up of a failed open).
pub(crate) const DELETE_TIMEOUT: Duration = Duration::from_secs(2 * 60);

// Private-state keys.
const P_USER: &str = "user_id";
const P_TOKEN: &str = "token_id";
const P_PREFIX: &str = "description";
const P_LEASE_SECS: &str = "lease_seconds";
const P_LEASE_END: &str = "lease_expires";

pub struct AuthTokenEphemeral {
    data: Arc<ProviderData>,
}

impl AuthTokenEphemeral {
    pub fn new(data: Arc<ProviderData>) -> Self {
        AuthTokenEphemeral { data }
    }
}

pub(crate) fn lease_validator() -> Validator {
    Validator::string("a duration from 1s to 720h", |s| {
        let d = parse_duration(s)?;
        if d < MIN_LEASE || d > MAX_LEASE {
            Err(format!(
                "The lease is {s:?}; it must be at least 1s and at most 720h (30 days)."
            ))
        } else {
            Ok(())
        }
    })
}

pub(crate) fn prefix_validator() -> Validator {
    Validator::string(format!("at most {MAX_PREFIX_LEN} characters"), |s| {
        let n = s.chars().count();
        if n > MAX_PREFIX_LEN {
            Err(format!("The description is {n} characters long; with the lease marker the provider appends, at most {MAX_PREFIX_LEN} fit into the Identity API's {MAX_DESCRIPTION_LEN}."))
        } else {
            Ok(())
        }
    })
}

pub fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description("A short-lived auth token of an OCI IAM user that exists only while a Terraform run needs it, for example to log in to OCIR (`docker login`, a `helm` or `docker` provider block, a provisioner) or for a write-only argument. The token is created when the run opens it, deleted when the run no longer needs it, and never written to the plan or the state.")
            .attribute(Attribute::string("user_id").required().validator(ocid_validator("user")).description("OCID of the user who gets the token. The user must have a free auth-token slot (a user holds at most two)."))
            .attribute(Attribute::string("description").optional().validator(prefix_validator()).description(format!("Start of the token's description (at most {MAX_PREFIX_LEN} characters). The provider appends its lease marker, ` [tf-ephemeral lease=<RFC 3339 UTC time>]`.")))
            .attribute(Attribute::string("lease").optional().validator(lease_validator()).description("How long the token may outlive a run that never closed it (killed, crashed, cancelled CI job), as a duration like `15m` or `1h` (default `1h`, 1s to 720h). While the run lives the lease is renewed; once it has passed, the next open for the same user deletes the token."))
            .attribute(Attribute::string("id").computed().description("OCID of the auth token."))
            .attribute(Attribute::string("token").computed().sensitive().description("The token itself, for example the password of `docker login` to OCIR."))
            .attribute(Attribute::string("time_created").computed().description("When the token was created (RFC 3339)."))
            .attribute(Attribute::string("lease_expires").computed().description("When the token's lease ends (RFC 3339), unless renewed before then.")),
    )
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The description of a token leased until `lease_end`.
pub fn with_marker(prefix: &str, lease_end: DateTime<Utc>) -> String {
    let marker = format!("{LEASE_MARKER}{}]", rfc3339(lease_end));
    if prefix.is_empty() {
        marker
    } else {
        format!("{prefix} {marker}")
    }
}

/// The lease end of a description that ends with the lease marker.
pub fn lease_end(description: &str) -> Option<DateTime<Utc>> {
    let start = description.rfind(LEASE_MARKER)?;
    let time = description[start + LEASE_MARKER.len()..].strip_suffix(']')?;
    DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// When to renew a lease of `lease` ending at `end`: a quarter of the lease before (at most
/// five minutes before).
pub(crate) fn renew_at(end: DateTime<Utc>, lease: Duration) -> SystemTime {
    let margin = (lease / 4).min(Duration::from_secs(300));
    let end: SystemTime = end.into();
    end.checked_sub(margin).unwrap_or(end)
}

pub(crate) fn lease_of(config: &Value) -> Duration {
    config
        .get_str("lease")
        .and_then(|s| parse_duration(s).ok())
        .unwrap_or(DEFAULT_LEASE)
}

pub(crate) fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Runs `f` within `timeout`, unless `ctx` is stopped first.
pub(crate) async fn bounded<T>(
    ctx: &Ctx,
    timeout: Duration,
    f: impl std::future::Future<Output = T>,
) -> Result<T, String> {
    match ctx.run(tokio::time::timeout(timeout, f)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(_)) => Err(format!("timed out after {}s", timeout.as_secs())),
        Err(_) => Err("cancelled: Terraform asked the provider to stop".to_string()),
    }
}

/// Polls the user's token list until the token is ACTIVE.
async fn wait_active(
    client: &IdentityClient,
    user_id: &str,
    id: &str,
    deadline: Instant,
) -> Result<AuthToken, String> {
    let mut delay = Duration::from_millis(100);
    loop {
        let listed = client
            .list_auth_tokens(user_id)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|t| t.id == id);
        let state = listed.as_ref().map(|t| t.lifecycle_state.clone());
        match (listed, state.as_deref()) {
            (Some(t), Some("ACTIVE")) => return Ok(t),
            (_, None | Some("CREATING")) => {}
            (_, Some(other)) => {
                return Err(format!("the token reached the unexpected state {other}"))
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(match state {
                None => "the token did not appear in the user's token list in time".into(),
                Some(s) => format!("the token is still {s}"),
            });
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Deletes a token; a 404 is success. Not stoppable: it cleans up.
async fn delete_token(c: &Configured, user_id: &str, id: &str) -> Result<(), String> {
    let unstoppable = tfplugin::framework::StopSource::new().ctx();
    let out = bounded(
        &unstoppable,
        DELETE_TIMEOUT,
        c.identity.delete_auth_token(user_id, id),
    )
    .await;
    c.lists.invalidate(user_id);
    match out {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) if e.is_not_found() => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(why) => Err(why),
    }
}

/// One line of the "no free slot" diagnostic.
fn describe(t: &AuthToken, now: DateTime<Utc>) -> String {
    let description = t.description.as_deref().unwrap_or_default();
    let owner = match lease_end(description) {
        Some(end) if end > now => format!(
            "leased by another run of this ephemeral resource until {}",
            rfc3339(end)
        ),
        Some(_) => "an expired lease of this ephemeral resource that could not be deleted".into(),
        None => "managed elsewhere (not created by this ephemeral resource)".into(),
    };
    format!(
        "- {} (description {:?}, created {}): {owner}",
        t.id,
        description,
        t.time_created.as_deref().unwrap_or("?"),
    )
}

fn no_free_slot(diags: &mut Diagnostics, user_id: &str, held: &[AuthToken], now: DateTime<Utc>) {
    let lines: Vec<String> = held.iter().map(|t| describe(t, now)).collect();
    diags.attribute_error(
        AttributePath::attr("user_id"),
        "No free auth token slot",
        format!(
            "The ephemeral auth token needs one free auth-token slot of the {MAX_TOKENS_PER_USER} a user may hold, but {user_id} already holds {}:\n{}\nNothing was created or deleted. Free a slot (delete a token that is no longer used), or use another user.",
            held.len(),
            lines.join("\n")
        ),
    );
}

/// Deletes the listed tokens that carry an expired lease of this provider's ephemeral
/// resources (left by runs that never closed them) and returns the tokens that still hold one
/// of the user's slots, expired ones whose deletion failed included (each with a warning).
pub(crate) async fn sweep_expired_leases<T, Fut>(
    type_name: &str,
    listed: Vec<T>,
    id: impl Fn(&T) -> &str,
    expired: impl Fn(&T) -> bool,
    delete: impl Fn(String) -> Fut,
    diags: &mut Diagnostics,
) -> Vec<T>
where
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut held = Vec::new();
    for t in listed {
        if !expired(&t) {
            held.push(t);
            continue;
        }
        match delete(id(&t).to_string()).await {
            Ok(()) => tracing::info!(
                tf_ephemeral_resource_type = type_name,
                id = %id(&t),
                "deleted an auth token whose lease had expired (left by a run that never closed it)"
            ),
            Err(why) => {
                diags.warning(
                    "Cannot delete an expired auth token",
                    format!("The auth token {} carries an expired lease of this ephemeral resource (a run that never closed it), but deleting it failed: {why}.", id(&t)),
                );
                held.push(t);
            }
        }
    }
    held
}

pub(crate) fn fail(diags: Diagnostics) -> OpenResponse {
    OpenResponse {
        diagnostics: diags,
        ..Default::default()
    }
}

fn is_limit_exceeded(e: &OciError) -> bool {
    e.status() == Some(400) && e.code() == Some("LimitExceeded")
}

#[async_trait]
impl EphemeralResource for AuthTokenEphemeral {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn open(&self, req: OpenRequest) -> OpenResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.data.get(&mut diags) else {
            return fail(diags);
        };
        let deadline = Instant::now() + OPEN_TIMEOUT;
        let user_id = req
            .config
            .get_str("user_id")
            .unwrap_or_default()
            .to_string();
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
            c.identity.list_auth_tokens(&user_id),
        )
        .await
        {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                diags.error("Cannot list the user's auth tokens", e.to_string());
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
        let listed: Vec<AuthToken> = listed
            .into_iter()
            .filter(|t| t.lifecycle_state != "DELETED")
            .collect();
        let held = sweep_expired_leases(
            TYPE_NAME,
            listed,
            |t| &t.id,
            |t| {
                t.description
                    .as_deref()
                    .and_then(lease_end)
                    .is_some_and(|end| end <= now)
            },
            |id| {
                let (c, user_id) = (&c, &user_id);
                async move { delete_token(c, user_id, &id).await }
            },
            &mut diags,
        )
        .await;
        if held.len() >= MAX_TOKENS_PER_USER {
            no_free_slot(&mut diags, &user_id, &held, now);
            return fail(diags);
        }

        // 2. Create. From here on, a failure deletes the token again: Terraform will not close
        // an open that failed.
        let end = Utc::now() + chrono_dur(lease);
        let created = match c
            .identity
            .create_auth_token(&user_id, &with_marker(&prefix, end))
            .await
        {
            Ok(t) => t,
            Err(e) if is_limit_exceeded(&e) => {
                // Another run took the slot since the list.
                let again = c.identity.list_auth_tokens(&user_id).await.unwrap_or(held);
                no_free_slot(&mut diags, &user_id, &again, Utc::now());
                return fail(diags);
            }
            Err(e) => {
                diags.error("Cannot create the auth token", e.to_string());
                return fail(diags);
            }
        };
        c.lists.invalidate(&user_id);
        tracing::info!(tf_ephemeral_resource_type = TYPE_NAME, id = %created.id, lease_expires = %rfc3339(end), "ephemeral auth token created");
        let undo = |mut diags: Diagnostics, summary: &str, why: String| {
            let c = c.clone();
            let (user_id, id) = (user_id.clone(), created.id.clone());
            let summary = summary.to_string();
            async move {
                let cleanup = match delete_token(&c, &user_id, &id).await {
                    Ok(()) => "It was deleted again.".to_string(),
                    Err(e) => format!("Deleting it again failed too ({e}); its lease makes the next open for this user delete it."),
                };
                diags.error(
                    summary,
                    format!("The auth token {id} was created, but {why}. {cleanup}"),
                );
                fail(diags)
            }
        };
        let Some(secret) = created.token.clone().filter(|s| !s.is_empty()) else {
            return undo(
                diags,
                "Auth token without a value",
                "the API returned no token value".into(),
            )
            .await;
        };

        // 3. Wait until it is ACTIVE (and listed), so it works when the run uses it.
        let remaining = deadline.saturating_duration_since(Instant::now());
        let active = match bounded(
            &req.ctx,
            remaining,
            wait_active(&c.identity, &user_id, &created.id, deadline),
        )
        .await
        {
            Ok(Ok(t)) => t,
            Ok(Err(why)) | Err(why) => {
                return undo(
                    diags,
                    "Auth token not ready",
                    format!("waiting for it to become ACTIVE failed: {why}"),
                )
                .await;
            }
        };

        let time_created = active
            .time_created
            .clone()
            .or_else(|| created.time_created.clone());
        let mut result = req.config.clone();
        result.set("id", created.id.clone().into());
        result.set("token", secret.into());
        result.set(
            "time_created",
            time_created.map(Value::from).unwrap_or(Value::Null),
        );
        result.set("lease_expires", rfc3339(end).into());

        let mut private = PrivateState::new();
        private.set(P_USER, user_id.clone());
        private.set(P_TOKEN, created.id.clone());
        private.set(P_PREFIX, prefix);
        private.set(P_LEASE_SECS, lease.as_secs_f64());
        private.set(P_LEASE_END, rfc3339(end));
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
        let s = |k: &str| {
            p.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let (user_id, id, prefix) = (s(P_USER), s(P_TOKEN), s(P_PREFIX));
        let lease = p
            .get(P_LEASE_SECS)
            .and_then(|v| v.as_f64())
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .unwrap_or(DEFAULT_LEASE);
        let end = Utc::now() + chrono_dur(lease);
        let description = with_marker(&prefix, end);
        let call = c.identity.update_auth_token(&user_id, &id, &description);
        match bounded(&req.ctx, OPEN_TIMEOUT, call).await {
            Ok(Ok(_)) => {
                c.lists.invalidate(&user_id);
                tracing::debug!(tf_ephemeral_resource_type = TYPE_NAME, id = %id, lease_expires = %rfc3339(end), "lease renewed");
                let mut private = req.private.clone();
                private.set(P_LEASE_END, rfc3339(end));
                RenewResponse {
                    private: Some(private),
                    renew_at: Some(renew_at(end, lease)),
                    diagnostics: diags,
                }
            }
            Ok(Err(e)) if e.is_not_found() => {
                diags.error(
                    "Auth token gone",
                    format!("The ephemeral auth token {id} was deleted while the run still used it (by hand, or by another run after its lease had expired)."),
                );
                RenewResponse {
                    diagnostics: diags,
                    ..Default::default()
                }
            }
            Ok(Err(e)) => {
                diags.error(
                    "Cannot renew the auth token's lease",
                    format!("Extending the lease of the ephemeral auth token {id} failed: {e}"),
                );
                RenewResponse {
                    diagnostics: diags,
                    ..Default::default()
                }
            }
            Err(why) => {
                diags.error(
                    "Cannot renew the auth token's lease",
                    format!("Extending the lease of the ephemeral auth token {id} {why}."),
                );
                RenewResponse {
                    diagnostics: diags,
                    ..Default::default()
                }
            }
        }
    }

    async fn close(&self, req: CloseRequest) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let p = &req.private;
        let s = |k: &str| {
            p.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let (user_id, id, end) = (s(P_USER), s(P_TOKEN), s(P_LEASE_END));
        if id.is_empty() {
            return diags;
        }
        let Some(c) = self.data.get(&mut diags) else {
            return diags;
        };
        match delete_token(&c, &user_id, &id).await {
            Ok(()) => {
                tracing::info!(tf_ephemeral_resource_type = TYPE_NAME, id = %id, "ephemeral auth token deleted");
            }
            Err(why) => diags.warning(
                "Ephemeral auth token not deleted",
                format!("Deleting the ephemeral auth token {id} of {user_id} failed: {why}. Its lease ends at {end}; after that the next open of this ephemeral resource for the same user deletes it, or delete it yourself."),
            ),
        }
        diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::validate_block;

    #[test]
    fn lease_marker_round_trips() {
        let end = DateTime::parse_from_rfc3339("2026-12-01T18:20:27Z")
            .unwrap()
            .with_timezone(&Utc);
        let d = with_marker("ci push", end);
        assert_eq!(d, "ci push [tf-ephemeral lease=2026-12-01T18:20:27Z]");
        assert_eq!(d.chars().count(), "ci push".len() + MARKER_LEN);
        assert_eq!(lease_end(&d), Some(end));
        assert_eq!(
            with_marker("", end),
            "[tf-ephemeral lease=2026-12-01T18:20:27Z]"
        );
        for not_ours in [
            "",
            "ci push",
            "[tf-ephemeral lease=soon]",
            "[tf-ephemeral lease=2026-12-01T18:20:27Z] and more",
        ] {
            assert_eq!(lease_end(not_ours), None, "{not_ours:?}");
        }
    }

    #[test]
    fn renewal_comes_before_the_lease_ends() {
        let end = Utc::now() + chrono::Duration::hours(1);
        let at = renew_at(end, Duration::from_secs(3600));
        let end_st: SystemTime = end.into();
        assert_eq!(end_st.duration_since(at).unwrap(), Duration::from_secs(300));
        let at = renew_at(end, Duration::from_secs(2));
        assert_eq!(
            end_st.duration_since(at).unwrap(),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn arguments_are_validated_with_their_paths() {
        let block = schema().block;
        let config = |lease: &str, description: String| {
            Value::object([
                ("user_id", Value::from("ocid1.user.oc1..aaaa")),
                ("description", Value::from(description)),
                ("lease", Value::from(lease)),
                ("id", Value::Null),
                ("token", Value::Null),
                ("time_created", Value::Null),
                ("lease_expires", Value::Null),
            ])
        };
        let mut d = Diagnostics::new();
        validate_block(
            &block,
            &config("2s", "x".repeat(MAX_PREFIX_LEN)),
            &AttributePath::root(),
            &mut d,
        );
        assert!(d.is_empty());
        for (lease, description, path) in [
            ("0s", "ok".to_string(), "lease"),
            ("soon", "ok".to_string(), "lease"),
            ("721h", "ok".to_string(), "lease"),
            ("1h", "x".repeat(MAX_PREFIX_LEN + 1), "description"),
        ] {
            let mut d = Diagnostics::new();
            validate_block(
                &block,
                &config(lease, description),
                &AttributePath::root(),
                &mut d,
            );
            let paths: Vec<String> = d
                .iter()
                .map(|x| x.attribute.as_ref().unwrap().to_string())
                .collect();
            assert_eq!(paths, vec![path], "{lease}");
        }
        assert!(block.get_attribute("token").unwrap().sensitive);
    }

    #[test]
    fn the_no_slot_diagnostic_lists_the_tokens_and_who_manages_them() {
        let now = Utc::now();
        let tok = |id: &str, description: String| AuthToken {
            id: id.into(),
            token: None,
            user_id: "ocid1.user.oc1..u".into(),
            description: Some(description),
            time_created: Some("2026-01-01T00:00:00.000Z".into()),
            time_expires: None,
            lifecycle_state: "ACTIVE".into(),
            inactive_status: None,
        };
        let held = [
            tok("ocid1.credential.oc1..a", "ci".into()),
            tok(
                "ocid1.credential.oc1..b",
                with_marker("run", now + chrono::Duration::minutes(5)),
            ),
        ];
        let mut d = Diagnostics::new();
        no_free_slot(&mut d, "ocid1.user.oc1..u", &held, now);
        let diag = d.iter().next().unwrap();
        assert_eq!(diag.attribute, Some(AttributePath::attr("user_id")));
        let detail = &diag.detail;
        assert!(detail.contains("ocid1.credential.oc1..a (description \"ci\", created 2026-01-01T00:00:00.000Z): managed elsewhere"), "{detail}");
        assert!(
            detail.contains("ocid1.credential.oc1..b") && detail.contains("leased by another run"),
            "{detail}"
        );
        assert!(
            detail.contains("Nothing was created or deleted"),
            "{detail}"
        );
    }
}
