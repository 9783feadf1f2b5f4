//! Resource `oci_identity_auth_token`: an auth token of an OCI IAM user.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oci_client::identity::{AuthToken, IdentityClient};
use tfplugin::cty::{Type, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{
    async_trait, ApplyResponse, CreateRequest, Ctx, DeleteRequest, PrivateState, ReadRequest,
    ReadResponse, Resource, UpdateRequest,
};
use tfplugin::model::{Attr, CtyObject};
use tfplugin::schema::{Block, IdentityAttribute, IdentitySchema, Schema};
use tracing::Instrument;

use super::common::{api_error, timeouts_block};
use super::list_cache::ListCache;
use super::model::AuthTokenModel;
use super::ProviderData;

pub const TYPE_NAME: &str = "oci_identity_auth_token";

/// Private-state key (value `true`) of a token that was created but never seen in a list (the
/// wait for it failed). Lists are eventually consistent: until it shows up, a read keeps it
/// rather than dropping it from state, which would leave it behind as an orphan.
const UNCONFIRMED: &str = "unconfirmed";

/// The same marker as the first releases wrote it: these raw bytes as the whole private
/// state. Still recognised, since state files keep it.
const LEGACY_UNCONFIRMED: &[u8] = b"unconfirmed";

/// Private-state key (value: Unix seconds) of a token whose POST response already said
/// ACTIVE, so the create did not list it. Lists may lag behind: until [`UNLISTED_POLL`] after
/// the create, a read that does not find it polls again, and until [`UNLISTED_WINDOW`] it
/// keeps it in state rather than dropping it. A token listed as DELETED is dropped at once;
/// one deleted out of band (not listed at all) once the window has passed. The first read
/// that finds it clears the marker.
const UNLISTED_SINCE: &str = "unlisted_since";

/// How long after its create a token missing from lists is polled for by a read.
const UNLISTED_POLL: Duration = Duration::from_secs(10);

/// How long after its create a token missing from lists stays in state: the eventual
/// consistency window the OCI SDKs open after `CreateAuthToken` (240 s). Dropping a token
/// that a lagging list does not show yet would leave it behind, still valid, and the next
/// apply would create another one.
const UNLISTED_WINDOW: Duration = Duration::from_secs(240);

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn is_unconfirmed(private: &PrivateState) -> bool {
    private.get(UNCONFIRMED) == Some(&serde_json::Value::Bool(true))
        || private.legacy_bytes() == Some(LEGACY_UNCONFIRMED)
}

/// What is left of `after`, counted from the create, for a token the create did not list;
/// `None` without the marker (it was listed since) or once that time has passed.
fn unlisted_left(private: &PrivateState, after: Duration) -> Option<Duration> {
    let since = private.get(UNLISTED_SINCE)?.as_i64()?;
    let now = unix_now();
    if since > now + 60 {
        return None; // not a create time this clock can trust
    }
    let elapsed = now.saturating_sub(since).max(0);
    let left = (after.as_secs() as i64).saturating_sub(elapsed);
    (left > 0).then(|| Duration::from_secs(left as u64))
}

/// How much longer a read should poll for a freshly created token to be listed.
fn unlisted_grace(private: &PrivateState) -> Option<Duration> {
    unlisted_left(private, UNLISTED_POLL)
}

/// Polls the user's list until the token shows up or `grace` has passed.
async fn wait_listed(
    client: &IdentityClient,
    lists: &ListCache,
    user_id: &str,
    id: &str,
    grace: Duration,
) -> Result<Option<AuthToken>, oci_client::error::OciError> {
    let deadline = Instant::now() + grace;
    let mut delay = Duration::from_millis(200);
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = (delay * 2).min(Duration::from_secs(2));
        let listed = lists.poll(client, user_id, Instant::now()).await?;
        if let Some(t) = listed.into_iter().find(|t| t.id == id) {
            return Ok(Some(t));
        }
    }
}

pub struct AuthTokenResource {
    data: Arc<ProviderData>,
}

impl AuthTokenResource {
    pub fn new(data: Arc<ProviderData>) -> Self {
        AuthTokenResource { data }
    }
}

pub fn schema() -> Schema {
    // The attributes are declared once, with the model (`AuthTokenModel`).
    let block = Block::new()
        .description("An auth token of an OCI IAM user, for third-party APIs that do not support OCI request signing (Swift, OCIR, Autonomous Database). A user holds at most two. The token value is returned only when it is created.")
        .with_attributes(AuthTokenModel::schema_attributes())
        .block(timeouts_block());
    Schema::new(block)
}

pub fn identity_schema() -> IdentitySchema {
    IdentitySchema {
        version: 0,
        attributes: vec![
            IdentityAttribute::required(
                "user_id",
                Type::String,
                "OCID of the user that owns the token.",
            ),
            IdentityAttribute::required("id", Type::String, "OCID of the auth token."),
        ],
    }
}

/// The official import ID: `users/{user_id}/authTokens/{id}`, each part path-escaped.
pub fn parse_import_id(id: &str) -> Result<(String, String), String> {
    let parts: Vec<&str> = id.split('/').collect();
    match parts.as_slice() {
        ["users", user, "authTokens", token] if !user.is_empty() && !token.is_empty() => {
            Ok((percent_decode(user)?, percent_decode(token)?))
        }
        _ => Err(format!(
            "{id:?} is not an auth token import ID. Use \"users/<user OCID>/authTokens/<auth token OCID>\", or import by identity with user_id and id."
        )),
    }
}

/// The detail of a create refused with `LimitExceeded`: the error, the user's current tokens
/// (id, description, time created, state) and how to adopt leftovers of an interrupted apply.
fn limit_exceeded_detail(
    error: &str,
    user_id: &str,
    listed: Result<Vec<AuthToken>, String>,
) -> String {
    let mut out = format!("{error}\n\n");
    match listed {
        Ok(tokens) if tokens.is_empty() => {
            out.push_str(&format!("Listing the auth tokens of {user_id} now returns none: a token may have been deleted meanwhile; try the apply again.\n\n"));
        }
        Ok(tokens) => {
            out.push_str(&format!(
                "OCI allows 2 auth tokens per user. The current auth tokens of {user_id} are:\n"
            ));
            for t in &tokens {
                out.push_str(&format!(
                    "  - {}  description {:?}  created {}  {}\n",
                    t.id,
                    t.description.as_deref().unwrap_or(""),
                    t.time_created.as_deref().unwrap_or("(unknown)"),
                    t.lifecycle_state
                ));
            }
            out.push('\n');
        }
        Err(why) => {
            out.push_str(&format!(
                "The current auth tokens of {user_id} could not be listed: {why}.\n\n"
            ));
        }
    }
    out.push_str(&format!(
        "Tokens created minutes ago that are not in this Terraform state may be leftovers of an interrupted apply \
         (a provider stopped after its create reached the API). Adopt one instead of creating another:\n\
         \n  terraform import {TYPE_NAME}.<name> users/{user_id}/authTokens/<auth token OCID>\n\
         \nor list them all with `terraform query` (Terraform 1.14+), using a `.tfquery.hcl` file holding\n\
         \n  list \"{TYPE_NAME}\" \"all\" {{\n    provider = oci\n    config {{\n      user_id = \"{user_id}\"\n    }}\n  }}\n\
         \nand `terraform query -generate-config-out=tokens.tf` to write their import blocks. \
         Otherwise delete a token you no longer need (`oci iam auth-token delete`) and apply again."
    ));
    out
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .ok_or_else(|| format!("bad escape in {s:?}"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad escape in {s:?}"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("bad escape in {s:?}"))
}

/// Polls fresh lists until the new token is ACTIVE (tolerating a list that does not show it
/// yet). Returns the listed token. The first poll happens at once, later ones back off;
/// concurrent waits for tokens of the same user share each poll (`ListCache::poll`).
async fn wait_active(
    client: &IdentityClient,
    lists: &ListCache,
    user_id: &str,
    id: &str,
    written: Instant,
    deadline: Instant,
) -> Result<AuthToken, String> {
    let mut delay = Duration::from_millis(100);
    let mut not_before = written;
    loop {
        let started = Instant::now();
        let listed = lists
            .poll(client, user_id, not_before)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|t| t.id == id);
        tracing::debug!(
            user_id,
            id,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "wait: listed the user's tokens"
        );
        not_before = Instant::now();
        match listed.as_ref().map(|t| t.lifecycle_state.as_str()) {
            Some("ACTIVE") => return Ok(listed.expect("matched Some")),
            None | Some("CREATING") => {}
            Some(other) => return Err(format!("the token reached the unexpected state {other}")),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(match listed {
                None => "the token did not appear in the user's token list in time".to_string(),
                Some(t) => format!("the token is still {}", t.lifecycle_state),
            });
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Runs `f` within `timeout`, unless the provider is stopped first.
async fn bounded<T>(
    ctx: &Ctx,
    timeout: Duration,
    f: impl std::future::Future<Output = T>,
) -> Result<T, String> {
    match ctx.run(tokio::time::timeout(timeout, f)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(_)) => Err(format!("timed out after {}", humanize(timeout))),
        Err(_) => Err("cancelled: Terraform asked the provider to stop".to_string()),
    }
}

fn humanize(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Decodes a state or plan into the typed model; a failure is a provider bug.
fn model(v: &Value, diags: &mut Diagnostics) -> Option<AuthTokenModel> {
    match AuthTokenModel::from_value(v) {
        Ok(m) => Some(m),
        Err(e) => {
            diags.provider_bug("Unexpected auth token state", e);
            None
        }
    }
}

fn failed(diags: Diagnostics) -> ApplyResponse {
    ApplyResponse {
        state: Value::Null,
        diagnostics: diags,
        private: None,
    }
}

fn applied(
    state: &AuthTokenModel,
    diags: Diagnostics,
    private: Option<PrivateState>,
) -> ApplyResponse {
    ApplyResponse {
        state: state.to_value(),
        diagnostics: diags,
        private,
    }
}

#[async_trait]
impl Resource for AuthTokenResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity_schema())
    }

    fn import_id(&self, id: &str) -> Result<Value, Diagnostics> {
        let (user_id, token_id) = parse_import_id(id).map_err(|e| {
            let mut d = Diagnostics::new();
            d.error("Invalid import ID", e);
            d
        })?;
        let stub = AuthTokenModel {
            user_id: Attr::Known(user_id),
            id: Attr::Known(token_id),
            ..Default::default()
        };
        Ok(stub.to_value())
    }

    async fn create(&self, req: CreateRequest) -> ApplyResponse {
        let mut diags = Diagnostics::new();
        let (Some(c), Some(mut plan)) =
            (self.data.get(&mut diags), model(&req.planned, &mut diags))
        else {
            return failed(diags);
        };
        let deadline = Instant::now() + plan.timeout("create");
        let user_id = plan.user().to_string();
        let description = plan.description.as_str().unwrap_or_default().to_string();

        // The POST itself is never abandoned half-way (not by StopProvider, not by the create
        // timeout): a token created on the server but not recorded would lose its secret and
        // hold one of the user's two slots. The client bounds it with its retry budget.
        let created = match c.identity.create_auth_token(&user_id, &description).await {
            Ok(t) => t,
            Err(e) if e.code() == Some("LimitExceeded") => {
                // Say which tokens hold the slots: leftovers of an interrupted apply are
                // indistinguishable from other tokens, so list them all with their ages.
                c.lists.invalidate(&user_id);
                let listed = match req.ctx.run(c.lists.list(&c.identity, &user_id)).await {
                    Ok(Ok(tokens)) => Ok(tokens),
                    Ok(Err(why)) => Err(why.to_string()),
                    Err(_) => Err("Terraform asked the provider to stop".to_string()),
                };
                diags.error(
                    "Cannot create the auth token",
                    limit_exceeded_detail(&e.to_string(), &user_id, listed),
                );
                return failed(diags);
            }
            Err(e) => {
                api_error(&mut diags, "Cannot create the auth token", &e);
                return failed(diags);
            }
        };
        c.lists.invalidate(&user_id);
        tracing::info!(tf_resource_type = TYPE_NAME, id = %created.id, "auth token created");
        let mut decided = AuthTokenModel::from_api(&created);

        let written = Instant::now();
        let mut private = PrivateState::new();
        if created.lifecycle_state == "ACTIVE" {
            // Nothing to wait for. Lists are eventually consistent: the marker makes the
            // next refreshes tolerate a token they do not show yet.
            private.set(UNLISTED_SINCE, unix_now());
            plan.resolve(&decided);
            return applied(&plan, diags, Some(private));
        }

        // Wait until the token is ACTIVE and visible in lists, so the next refresh finds it.
        // Whatever happens, the state is saved: the token exists.
        let remaining = deadline.saturating_duration_since(Instant::now());
        let waited = bounded(
            &req.ctx,
            remaining,
            wait_active(
                &c.identity,
                &c.lists,
                &user_id,
                &created.id,
                written,
                deadline,
            ),
        )
        .instrument(tracing::debug_span!("wait for ACTIVE", id = %created.id))
        .await;
        match waited {
            Ok(Ok(listed)) => decided.refresh(&listed),
            Ok(Err(why)) | Err(why) => {
                private.set(UNCONFIRMED, true);
                diags.error(
                    "Auth token created but not ready",
                    format!("The auth token {} was created, but waiting for it to become ACTIVE failed: {why}. It is saved in state as tainted; the next apply replaces it.", created.id),
                );
            }
        }
        plan.resolve(&decided);
        applied(&plan, diags, Some(private))
    }

    async fn read(&self, req: ReadRequest) -> ReadResponse {
        let mut diags = Diagnostics::new();
        let keep = |diags| ReadResponse {
            state: req.state.clone(),
            private: req.private.clone(),
            diagnostics: diags,
        };
        if self.data.config_unknown() {
            // Nothing can be read with an unknown provider configuration; keep what we know.
            return keep(diags);
        }
        let (Some(c), Some(mut state)) = (self.data.get(&mut diags), model(&req.state, &mut diags))
        else {
            return keep(diags);
        };
        // OCI's 404 (NotAuthorizedOrNotFound) is eventually consistent too: right after a
        // create it may be a lagging replica, so it is not polled but counts as "not listed".
        let mut user_not_found = false;
        let listed = match req.ctx.run(c.lists.list(&c.identity, state.user())).await {
            Ok(Ok(tokens)) => tokens.into_iter().find(|t| t.id == state.token_id()),
            Ok(Err(e)) if e.is_not_found() => {
                user_not_found = true;
                tracing::info!(
                    tf_resource_type = TYPE_NAME,
                    user_id = state.user(),
                    "the user's token list answered 404: the token is not listed"
                );
                None
            }
            Ok(Err(e)) => {
                api_error(&mut diags, "Cannot read the auth token", &e);
                return keep(diags);
            }
            Err(_) => {
                diags.error("Read cancelled", "Terraform asked the provider to stop.");
                return keep(diags);
            }
        };
        let listed = match (listed, unlisted_grace(&req.private)) {
            (None, Some(grace)) if !user_not_found => {
                let id = state.token_id().to_string();
                let polled = wait_listed(&c.identity, &c.lists, state.user(), &id, grace);
                match req.ctx.run(polled).await {
                    Ok(Ok(found)) => found,
                    Ok(Err(e)) => {
                        api_error(&mut diags, "Cannot read the auth token", &e);
                        return keep(diags);
                    }
                    Err(_) => {
                        diags.error("Read cancelled", "Terraform asked the provider to stop.");
                        return keep(diags);
                    }
                }
            }
            (listed, _) => listed,
        };
        // Known to be gone: listed as DELETED. A token the list does not show at all may be
        // one the list does not show yet.
        let gone = listed
            .as_ref()
            .is_some_and(|t| t.lifecycle_state == "DELETED");
        match listed.filter(|t| t.lifecycle_state != "DELETED") {
            None if !gone && unlisted_left(&req.private, UNLISTED_WINDOW).is_some() => {
                diags.warning(
                    "Auth token not listed yet",
                    format!("The auth token {} was created less than {} s ago and the user's token list does not show it yet (lists are eventually consistent); it stays in state until the list shows it or that time has passed.", state.token_id(), UNLISTED_WINDOW.as_secs()),
                );
                keep(diags)
            }
            None if !gone && is_unconfirmed(&req.private) => {
                diags.warning(
                    "Auth token not listed yet",
                    format!("The auth token {} was created but the user's token list does not show it yet; it stays in state until it does.", state.token_id()),
                );
                keep(diags)
            }
            None => {
                tracing::info!(
                    tf_resource_type = TYPE_NAME,
                    id = state.token_id(),
                    "auth token is gone; removing it from state"
                );
                ReadResponse {
                    state: Value::Null,
                    private: PrivateState::new(),
                    diagnostics: diags,
                }
            }
            Some(t) => {
                state.refresh(&t);
                ReadResponse {
                    state: state.to_value(),
                    private: PrivateState::new(),
                    diagnostics: diags,
                }
            }
        }
    }

    async fn update(&self, req: UpdateRequest) -> ApplyResponse {
        let mut diags = Diagnostics::new();
        let keep = |diags| ApplyResponse {
            state: req.prior.clone(),
            diagnostics: diags,
            private: None,
        };
        let (Some(c), Some(mut plan), Some(prior)) = (
            self.data.get(&mut diags),
            model(&req.planned, &mut diags),
            model(&req.prior, &mut diags),
        ) else {
            return keep(diags);
        };
        if plan.description == prior.description {
            // Only `timeouts` changed (for instance after an import): nothing to send.
            plan.resolve(&prior);
            return applied(&plan, diags, None);
        }
        let description = plan.description.as_str().unwrap_or_default().to_string();
        let call = c
            .identity
            .update_auth_token(plan.user(), prior.token_id(), &description);
        let updated = match bounded(&req.ctx, plan.timeout("update"), call).await {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                api_error(&mut diags, "Cannot update the auth token", &e);
                return keep(diags);
            }
            Err(why) => {
                diags.error(
                    "Cannot update the auth token",
                    format!("Updating the auth token {why}."),
                );
                return keep(diags);
            }
        };
        c.lists.invalidate(plan.user());
        let mut decided = prior.clone();
        decided.refresh(&updated);
        plan.resolve(&decided);
        applied(&plan, diags, None)
    }

    async fn delete(&self, req: DeleteRequest) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let (Some(c), Some(prior)) = (self.data.get(&mut diags), model(&req.prior, &mut diags))
        else {
            return diags;
        };
        let timeout = prior.timeout("delete");
        let (user_id, id) = (prior.user(), prior.token_id());
        match bounded(&req.ctx, timeout, c.identity.delete_auth_token(user_id, id)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.is_not_found() => {
                tracing::info!(tf_resource_type = TYPE_NAME, id, "auth token already gone");
            }
            Ok(Err(e)) => {
                api_error(&mut diags, "Cannot delete the auth token", &e);
                return diags;
            }
            Err(why) => {
                diags.error(
                    "Cannot delete the auth token",
                    format!("Deleting the auth token {why}."),
                );
                return diags;
            }
        }
        // The Identity API deletes synchronously (204 once it is gone, 404 if it was): no
        // list is needed to confirm. Lists may lag; nothing reads this token any more.
        c.lists.invalidate(user_id);
        diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_exceeded_lists_the_tokens_and_how_to_adopt_them() {
        let token = |id: &str, description: &str| AuthToken {
            id: id.into(),
            token: Some("secret-token-value".into()),
            user_id: "ocid1.user.oc1..u".into(),
            description: Some(description.into()),
            time_created: Some("2026-12-01T19:00:00.000Z".into()),
            time_expires: None,
            lifecycle_state: "ACTIVE".into(),
            inactive_status: None,
        };
        let detail = limit_exceeded_detail(
            "LimitExceeded: too many",
            "ocid1.user.oc1..u",
            Ok(vec![
                token("ocid1.credential.oc1..a", "ci"),
                token("ocid1.credential.oc1..b", ""),
            ]),
        );
        for part in [
            "LimitExceeded: too many",
            "ocid1.credential.oc1..a  description \"ci\"  created 2026-12-01T19:00:00.000Z  ACTIVE",
            "ocid1.credential.oc1..b",
            "leftovers of an interrupted apply",
            "terraform import oci_identity_auth_token.<name> users/ocid1.user.oc1..u/authTokens/<auth token OCID>",
            "list \"oci_identity_auth_token\" \"all\"",
            "terraform query -generate-config-out",
        ] {
            assert!(detail.contains(part), "{part}\n{detail}");
        }
        assert!(!detail.contains("secret-token-value"));
        let detail = limit_exceeded_detail("e", "u", Err("boom".into()));
        assert!(detail.contains("could not be listed: boom"), "{detail}");
    }

    #[test]
    fn import_ids() {
        assert_eq!(
            parse_import_id("users/ocid1.user.oc1..aaa/authTokens/ocid1.credential.oc1..bbb")
                .unwrap(),
            (
                "ocid1.user.oc1..aaa".to_string(),
                "ocid1.credential.oc1..bbb".to_string()
            )
        );
        assert_eq!(
            parse_import_id("users/a%2Fb/authTokens/c%25d").unwrap(),
            ("a/b".to_string(), "c%d".to_string())
        );
        for bad in [
            "",
            "ocid1.credential.oc1..bbb",
            "users//authTokens/x",
            "users/u/authTokens/",
            "users/u/tokens/x",
            "users/u/authTokens/x/y",
        ] {
            assert!(parse_import_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unlisted_marker_from_the_future_or_the_distant_past_is_not_trusted() {
        for since in [unix_now() + 3600, i64::MAX, i64::MIN, 0] {
            let mut p = PrivateState::new();
            p.set(UNLISTED_SINCE, since);
            assert_eq!(unlisted_left(&p, UNLISTED_WINDOW), None, "{since}");
        }
        let mut skewed = PrivateState::new();
        skewed.set(UNLISTED_SINCE, unix_now() + 30);
        assert!(
            unlisted_left(&skewed, UNLISTED_POLL).is_some_and(|l| l <= UNLISTED_POLL),
            "a little clock skew: at most the full time"
        );
    }

    #[test]
    fn an_unlisted_active_create_is_polled_for_seconds_and_kept_for_minutes() {
        let mut p = PrivateState::new();
        assert_eq!(unlisted_grace(&p), None);
        assert_eq!(unlisted_left(&p, UNLISTED_WINDOW), None);
        p.set(UNLISTED_SINCE, unix_now() - 2);
        assert!(unlisted_grace(&p).is_some_and(|g| g <= UNLISTED_POLL));
        assert!(!is_unconfirmed(&p), "not the failed-wait marker");
        let mut later = PrivateState::new();
        later.set(
            UNLISTED_SINCE,
            unix_now() - UNLISTED_POLL.as_secs() as i64 - 1,
        );
        assert_eq!(unlisted_grace(&later), None, "polled no more");
        assert!(
            unlisted_left(&later, UNLISTED_WINDOW).is_some(),
            "still kept in state"
        );
        let mut old = PrivateState::new();
        old.set(
            UNLISTED_SINCE,
            unix_now() - UNLISTED_WINDOW.as_secs() as i64 - 1,
        );
        assert_eq!(
            unlisted_left(&old, UNLISTED_WINDOW),
            None,
            "long enough: missing means gone"
        );
        let mut failed = PrivateState::new();
        failed.set(UNCONFIRMED, true);
        assert!(
            is_unconfirmed(&failed),
            "a failed wait is kept until listed"
        );
    }

    #[test]
    fn schema_has_the_official_attributes() {
        let s = schema();
        for name in [
            "id",
            "user_id",
            "description",
            "token",
            "state",
            "inactive_state",
            "time_created",
            "time_expires",
        ] {
            assert!(s.block.get_attribute(name).is_some(), "{name}");
        }
        assert!(s.block.get_attribute("token").unwrap().sensitive);
        assert!(s
            .block
            .get_attribute("user_id")
            .unwrap()
            .can_require_replace());
        assert_eq!(s.block.blocks[0].type_name, "timeouts");
    }
}
