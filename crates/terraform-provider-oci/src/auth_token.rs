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

use super::common::{api_error, timeouts_block};
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

fn is_unconfirmed(private: &PrivateState) -> bool {
    private.get(UNCONFIRMED) == Some(&serde_json::Value::Bool(true))
        || private.legacy_bytes() == Some(LEGACY_UNCONFIRMED)
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

enum WaitFor {
    Active,
    Gone,
}

/// Polls fresh lists until the token is ACTIVE (tolerating a list that does not show a new
/// token yet) or gone. Returns the last listed token when it became ACTIVE.
async fn wait(
    client: &IdentityClient,
    user_id: &str,
    id: &str,
    what: WaitFor,
    deadline: Instant,
) -> Result<Option<AuthToken>, String> {
    let mut delay = Duration::from_millis(100);
    loop {
        let listed = match client.list_auth_tokens(user_id).await {
            Ok(tokens) => tokens.into_iter().find(|t| t.id == id),
            Err(e) if e.is_not_found() && matches!(what, WaitFor::Gone) => None,
            Err(e) => return Err(e.to_string()),
        };
        let state = listed.as_ref().map(|t| t.lifecycle_state.as_str());
        match (&what, state) {
            (WaitFor::Active, Some("ACTIVE")) => return Ok(listed),
            (WaitFor::Active, None | Some("CREATING")) => {}
            (WaitFor::Gone, None | Some("DELETED")) => return Ok(None),
            (WaitFor::Gone, Some("DELETING" | "ACTIVE" | "INACTIVE")) => {}
            (_, Some(other)) => {
                return Err(format!("the token reached the unexpected state {other}"))
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(match (what, state) {
                (WaitFor::Active, None) => {
                    "the token did not appear in the user's token list in time".to_string()
                }
                (WaitFor::Active, Some(s)) => format!("the token is still {s}"),
                (WaitFor::Gone, s) => format!("the token is still listed ({})", s.unwrap_or("?")),
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

        // Wait until the token is ACTIVE and visible in lists, so the next refresh finds it.
        // Whatever happens, the state is saved: the token exists.
        let remaining = deadline.saturating_duration_since(Instant::now());
        let mut private = PrivateState::new();
        match bounded(
            &req.ctx,
            remaining,
            wait(
                &c.identity,
                &user_id,
                &created.id,
                WaitFor::Active,
                deadline,
            ),
        )
        .await
        {
            Ok(Ok(Some(listed))) => decided.refresh(&listed),
            Ok(Ok(None)) => {}
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
        let listed = match req.ctx.run(c.lists.list(&c.identity, state.user())).await {
            Ok(Ok(tokens)) => tokens.into_iter().find(|t| t.id == state.token_id()),
            Ok(Err(e)) if e.is_not_found() => {
                tracing::info!(
                    tf_resource_type = TYPE_NAME,
                    user_id = state.user(),
                    "user not found; removing the token from state"
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
        match listed.filter(|t| t.lifecycle_state != "DELETED") {
            None if is_unconfirmed(&req.private) => {
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
        let deadline = Instant::now() + timeout;
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
        c.lists.invalidate(user_id);
        let remaining = deadline.saturating_duration_since(Instant::now());
        match bounded(&req.ctx, remaining, wait(&c.identity, user_id, id, WaitFor::Gone, deadline)).await {
            Ok(Ok(_)) => {}
            Ok(Err(why)) | Err(why) => diags.error(
                "Auth token not deleted",
                format!("The auth token {id} was deleted, but waiting for it to disappear failed: {why}."),
            ),
        }
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
