//! Resource `oci_identity_domains_auth_token`: an auth token in an identity domain, managed
//! through the domain's SCIM API (`/admin/v1/AuthTokens`). The same implementation serves
//! `oci_identity_domains_my_auth_token` (`/admin/v1/MyAuthTokens`, see
//! `domains_my_auth_token.rs`).
//!
//! Unlike the official provider, `description`, `status` and `tags` change in place (one SCIM
//! PATCH per apply), the read options change without an API call, and fields the API never
//! returns (or returns only on request) keep their configured values, so a configuration
//! plans empty after apply without `lifecycle { ignore_changes }`.

use std::sync::Arc;
use std::time::Duration;

use oci_client::identity_domains::{CallOptions, Collection, PatchOperation};
use tfplugin::cty::{Type, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{
    async_trait, ApplyResponse, CreateRequest, Ctx, DeleteRequest, PrivateState, ReadRequest,
    ReadResponse, Resource, UpdateRequest,
};
use tfplugin::model::{Attr, CtyObject};
use tfplugin::schema::{IdentityAttribute, IdentitySchema, Schema};

use super::common::{api_error, parse_duration, timeouts_block, DEFAULT_TIMEOUT};
use super::domains_model::{self, Blocks, DomainsAuthTokenModel, MyAuthTokenModel};
use super::model::Timeouts;
use super::ProviderData;

pub const TYPE_NAME: &str = "oci_identity_domains_auth_token";

/// What differs between the admin and the my_ resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `oci_identity_domains_auth_token`, `/admin/v1/AuthTokens`.
    Admin,
    /// `oci_identity_domains_my_auth_token`, `/admin/v1/MyAuthTokens`.
    My,
}

impl Variant {
    pub fn collection(self) -> Collection {
        match self {
            Variant::Admin => Collection::AuthTokens,
            Variant::My => Collection::MyAuthTokens,
        }
    }

    pub fn type_name(self) -> &'static str {
        match self {
            Variant::Admin => TYPE_NAME,
            Variant::My => super::domains_my_auth_token::TYPE_NAME,
        }
    }

    /// The path word of the official import ID: `authTokens` or `myAuthTokens`.
    pub fn import_word(self) -> &'static str {
        match self {
            Variant::Admin => "authTokens",
            Variant::My => "myAuthTokens",
        }
    }

    pub fn schema(self) -> Schema {
        let block = match self {
            Variant::Admin => domains_model::resource_block(
                "An auth token of a user in an OCI identity domain, managed through the domain's SCIM API (`/admin/v1/AuthTokens`). `description`, `status` and `tags` are updated in place; `expires_on`, `user` and `idcs_endpoint` replace the token. The token value is returned only when it is created (`token`, sensitive). A user holds at most two auth tokens.",
            ),
            Variant::My => domains_model::my_resource_block(
                "An auth token of the calling user in an OCI identity domain (`/admin/v1/MyAuthTokens`). `description`, `status` and `tags` are updated in place; `expires_on` and `idcs_endpoint` replace the token. `token` (sensitive) holds the value when the create response carries it.",
            ),
        };
        Schema::new(block.block(timeouts_block()))
    }

    /// Decodes a state or plan of this variant into the admin-shaped model and its timeouts.
    fn decode(self, v: &Value) -> Result<(DomainsAuthTokenModel, Timeouts), String> {
        let model = match self {
            Variant::Admin => DomainsAuthTokenModel::from_value(v)?,
            Variant::My => MyAuthTokenModel::from_value(v)?.to_full(),
        };
        let timeouts = match v.get("timeouts") {
            Value::Null | Value::Unknown => Timeouts::default(),
            t => Timeouts::from_value(t)?,
        };
        Ok((model, timeouts))
    }

    fn encode(self, m: &DomainsAuthTokenModel, timeouts: &Value) -> Value {
        let mut v = match self {
            Variant::Admin => m.to_value(),
            Variant::My => MyAuthTokenModel::from_full(m).to_value(),
        };
        v.set("timeouts", timeouts.clone());
        v
    }
}

pub fn identity_schema() -> IdentitySchema {
    IdentitySchema {
        version: 0,
        attributes: vec![
            IdentityAttribute::required(
                "idcs_endpoint",
                Type::String,
                "URL of the identity domain.",
            ),
            IdentityAttribute::required("id", Type::String, "SCIM id of the auth token."),
        ],
    }
}

/// The official import ID: `idcsEndpoint/{idcs_endpoint}/{authTokens|myAuthTokens}/{id}`,
/// with the endpoint URL as it is (it contains slashes).
pub fn parse_import_id(id: &str, word: &str) -> Result<(String, String), String> {
    let bad = || {
        format!(
            "{id:?} is not an import ID of this type. Use \"idcsEndpoint/<idcs_endpoint>/{word}/<auth token id>\", e.g. \"idcsEndpoint/https://idcs-0123.identity.oraclecloud.com/{word}/0a1b…\", or import by identity with idcs_endpoint and id."
        )
    };
    let rest = id.strip_prefix("idcsEndpoint/").ok_or_else(bad)?;
    let (endpoint, token) = rest.rsplit_once(&format!("/{word}/")).ok_or_else(bad)?;
    if endpoint.is_empty() || token.is_empty() || token.contains('/') {
        return Err(bad());
    }
    oci_client::identity_domains::domain_url(endpoint)
        .map_err(|e| format!("{}: {}", bad(), e.message))?;
    Ok((endpoint.to_owned(), token.to_owned()))
}

fn timeout(t: &Timeouts, op: &str) -> Duration {
    let value = match op {
        "create" => &t.create,
        "update" => &t.update,
        _ => &t.delete,
    };
    value
        .as_str()
        .and_then(|s| parse_duration(s).ok())
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// Runs `f` within `timeout`, unless the provider is stopped first.
async fn bounded<T>(
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

/// The options of a call: the configured `resource_type_schema_version`, and for reads the
/// configured attributes (or, when none are configured, every attribute the API can return,
/// so that drift in `tags` shows).
fn options(m: &DomainsAuthTokenModel, read: bool) -> CallOptions {
    let attributes = m
        .attributes
        .as_str()
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    let mut attribute_sets: Vec<String> = m.attribute_sets.known().cloned().unwrap_or_default();
    if read && attributes.is_none() && attribute_sets.is_empty() {
        attribute_sets = vec!["all".to_owned()];
    }
    CallOptions {
        attributes,
        attribute_sets,
        resource_type_schema_version: m.resource_type_schema_version.as_str().map(str::to_owned),
    }
}

/// The PATCH operations that take `prior` to `plan`: `description`, `status` and `tags`.
pub fn patch_operations(
    prior: &DomainsAuthTokenModel,
    plan: &DomainsAuthTokenModel,
) -> Vec<PatchOperation> {
    let mut ops = Vec::new();
    if let Some(d) = plan.description.as_str() {
        if plan.description != prior.description {
            ops.push(PatchOperation::replace("description", d));
        }
    }
    if let Some(s) = plan.status.as_str() {
        if plan.status != prior.status {
            ops.push(PatchOperation::replace("status", s));
        }
    }
    if let Blocks::Known(planned) = &plan.tags {
        if prior.tags.known() != Some(planned) {
            match plan.tag_list() {
                Some(tags) => ops.push(PatchOperation::replace(
                    "tags",
                    serde_json::to_value(tags).expect("tags serialize"),
                )),
                None if prior.tag_list().is_some() => ops.push(PatchOperation::remove("tags")),
                None => {}
            }
        }
    }
    ops
}

pub struct DomainsAuthTokenResource {
    data: Arc<ProviderData>,
    variant: Variant,
}

impl DomainsAuthTokenResource {
    pub fn new(data: Arc<ProviderData>, variant: Variant) -> Self {
        DomainsAuthTokenResource { data, variant }
    }

    fn model(
        &self,
        v: &Value,
        diags: &mut Diagnostics,
    ) -> Option<(DomainsAuthTokenModel, Timeouts)> {
        match self.variant.decode(v) {
            Ok(m) => Some(m),
            Err(e) => {
                diags.provider_bug("Unexpected auth token state", e);
                None
            }
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

#[async_trait]
impl Resource for DomainsAuthTokenResource {
    fn type_name(&self) -> &'static str {
        self.variant.type_name()
    }

    fn schema(&self) -> Schema {
        self.variant.schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity_schema())
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(ep) = config.get_str("idcs_endpoint") {
            if let Err(e) = oci_client::identity_domains::domain_url(ep) {
                diags.attribute_error(
                    tfplugin::cty::AttributePath::attr("idcs_endpoint"),
                    "Invalid identity domain URL",
                    e.message,
                );
            }
        }
        if let Some(status) = config.get_str("status") {
            if !status.eq_ignore_ascii_case("ACTIVE") && !status.eq_ignore_ascii_case("INACTIVE") {
                diags.attribute_error(
                    tfplugin::cty::AttributePath::attr("status"),
                    "Invalid attribute value",
                    format!("status is {status:?}: it must be \"ACTIVE\" or \"INACTIVE\"."),
                );
            }
        }
    }

    fn import_id(&self, id: &str) -> Result<Value, Diagnostics> {
        let (endpoint, token_id) =
            parse_import_id(id, self.variant.import_word()).map_err(|e| {
                let mut d = Diagnostics::new();
                d.error("Invalid import ID", e);
                d
            })?;
        let stub = DomainsAuthTokenModel {
            idcs_endpoint: Attr::Known(endpoint),
            id: Attr::Known(token_id),
            ..Default::default()
        };
        Ok(self.variant.encode(&stub, &Value::Null))
    }

    async fn create(&self, req: CreateRequest) -> ApplyResponse {
        let mut diags = Diagnostics::new();
        let (Some(c), Some((mut plan, _))) = (
            self.data.get(&mut diags),
            self.model(&req.planned, &mut diags),
        ) else {
            return failed(diags);
        };
        let body = plan.create_body();
        // The POST is never abandoned half-way (not by StopProvider, not by the timeout): a
        // token created but not recorded would lose its secret and hold one of the user's
        // two slots. The client bounds it with its retry budget.
        let created = match c
            .domains
            .create_token(
                plan.endpoint(),
                self.variant.collection(),
                &body,
                &options(&plan, false),
            )
            .await
        {
            Ok(t) => t,
            Err(e) => {
                api_error(&mut diags, "Cannot create the auth token", &e);
                return failed(diags);
            }
        };
        tracing::info!(tf_resource_type = self.type_name(), id = %created.id, "auth token created");
        let decided = DomainsAuthTokenModel::from_api(&created);
        plan.resolve(&decided);
        ApplyResponse {
            state: self.variant.encode(&plan, req.planned.get("timeouts")),
            diagnostics: diags,
            private: None,
        }
    }

    async fn read(&self, req: ReadRequest) -> ReadResponse {
        let mut diags = Diagnostics::new();
        let keep = |diags| ReadResponse {
            state: req.state.clone(),
            private: req.private.clone(),
            diagnostics: diags,
        };
        if self.data.config_unknown() {
            return keep(diags);
        }
        let (Some(c), Some((mut state, _))) = (
            self.data.get(&mut diags),
            self.model(&req.state, &mut diags),
        ) else {
            return keep(diags);
        };
        let read_options = options(&state, true);
        let call = c.domains.get_token(
            state.endpoint(),
            self.variant.collection(),
            state.token_id(),
            &read_options,
        );
        match req.ctx.run(call).await {
            Ok(Ok(t)) => {
                if state.meta.is_null() {
                    // Imported (by ID or identity) and not read yet: fill the blocks from
                    // the API, except a my_ token's `user`, which my_ configurations leave
                    // out (it can only be the caller).
                    state.tags = Blocks::Null;
                    state.user = match self.variant {
                        Variant::Admin => Blocks::Null,
                        Variant::My => Blocks::Known(vec![]),
                    };
                }
                state.refresh(&t);
                ReadResponse {
                    state: self.variant.encode(&state, req.state.get("timeouts")),
                    private: PrivateState::new(),
                    diagnostics: diags,
                }
            }
            Ok(Err(e)) if e.is_not_found() => {
                tracing::info!(
                    tf_resource_type = self.type_name(),
                    id = state.token_id(),
                    "auth token is gone; removing it from state"
                );
                ReadResponse {
                    state: Value::Null,
                    private: PrivateState::new(),
                    diagnostics: diags,
                }
            }
            Ok(Err(e)) => {
                api_error(&mut diags, "Cannot read the auth token", &e);
                keep(diags)
            }
            Err(_) => {
                diags.error("Read cancelled", "Terraform asked the provider to stop.");
                keep(diags)
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
        let (Some(c), Some((mut plan, timeouts)), Some((prior, _))) = (
            self.data.get(&mut diags),
            self.model(&req.planned, &mut diags),
            self.model(&req.prior, &mut diags),
        ) else {
            return keep(diags);
        };
        let ops = patch_operations(&prior, &plan);
        let mut decided = prior.clone();
        if !ops.is_empty() {
            let patch_options = options(&plan, false);
            let call = c.domains.patch_token(
                prior.endpoint(),
                self.variant.collection(),
                prior.token_id(),
                &ops,
                &patch_options,
            );
            match bounded(&req.ctx, timeout(&timeouts, "update"), call).await {
                Ok(Ok(t)) => decided.refresh(&t),
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
            }
        }
        plan.resolve(&decided);
        ApplyResponse {
            state: self.variant.encode(&plan, req.planned.get("timeouts")),
            diagnostics: diags,
            private: None,
        }
    }

    async fn delete(&self, req: DeleteRequest) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let (Some(c), Some((prior, timeouts))) = (
            self.data.get(&mut diags),
            self.model(&req.prior, &mut diags),
        ) else {
            return diags;
        };
        let delete_options = options(&prior, false);
        let call = c.domains.delete_token(
            prior.endpoint(),
            self.variant.collection(),
            prior.token_id(),
            &delete_options,
        );
        match bounded(&req.ctx, timeout(&timeouts, "delete"), call).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.is_not_found() => {
                tracing::info!(
                    tf_resource_type = self.type_name(),
                    id = prior.token_id(),
                    "auth token already gone"
                );
            }
            Ok(Err(e)) => api_error(&mut diags, "Cannot delete the auth token", &e),
            Err(why) => diags.error(
                "Cannot delete the auth token",
                format!("Deleting the auth token {why}."),
            ),
        }
        diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains_model::TagModel;

    #[test]
    fn import_ids() {
        assert_eq!(
            parse_import_id(
                "idcsEndpoint/https://idcs-abc.identity.oraclecloud.com:443/authTokens/0a1b",
                "authTokens"
            )
            .unwrap(),
            (
                "https://idcs-abc.identity.oraclecloud.com:443".to_string(),
                "0a1b".to_string()
            )
        );
        assert_eq!(
            parse_import_id(
                "idcsEndpoint/http://127.0.0.1:9/myAuthTokens/x",
                "myAuthTokens"
            )
            .unwrap()
            .1,
            "x"
        );
        for bad in [
            "",
            "0a1b",
            "idcsEndpoint//authTokens/x",
            "idcsEndpoint/http://127.0.0.1:9/authTokens/",
            "idcsEndpoint/http://127.0.0.1:9/myAuthTokens/x",
            "idcsEndpoint/http://127.0.0.1:9/authTokens/x/y",
            "users/u/authTokens/x",
        ] {
            assert!(parse_import_id(bad, "authTokens").is_err(), "{bad}");
        }
    }

    #[test]
    fn schemas_have_the_official_names() {
        let s = Variant::Admin.schema();
        for name in [
            "idcs_endpoint",
            "schemas",
            "attribute_sets",
            "attributes",
            "authorization",
            "resource_type_schema_version",
            "description",
            "expires_on",
            "ocid",
            "status",
            "compartment_ocid",
            "delete_in_progress",
            "domain_ocid",
            "idcs_created_by",
            "idcs_last_modified_by",
            "idcs_last_upgraded_in_release",
            "idcs_prevented_operations",
            "meta",
            "tenancy_ocid",
            "token",
            "id",
        ] {
            assert!(s.block.get_attribute(name).is_some(), "{name}");
        }
        let blocks: Vec<&str> = s
            .block
            .blocks
            .iter()
            .map(|b| b.type_name.as_str())
            .collect();
        assert_eq!(
            blocks,
            [
                "tags",
                "urnietfparamsscimschemasoracleidcsextensionself_change_user",
                "user",
                "timeouts"
            ]
        );
        assert!(s.block.get_attribute("token").unwrap().sensitive);
        for replaces in ["idcs_endpoint", "expires_on", "schemas"] {
            assert!(s
                .block
                .get_attribute(replaces)
                .unwrap()
                .can_require_replace());
        }
        for in_place in ["description", "status", "attribute_sets", "attributes"] {
            assert!(
                !s.block
                    .get_attribute(in_place)
                    .unwrap()
                    .can_require_replace(),
                "{in_place}"
            );
        }
        let my = Variant::My.schema();
        assert!(my.block.get_attribute("attribute_sets").is_none());
        assert!(my.block.get_attribute("token").unwrap().sensitive);
        assert_eq!(my.block.blocks.len(), 3);
        let (m, _) = Variant::Admin
            .decode(&Variant::Admin.encode(&DomainsAuthTokenModel::default(), &Value::Null))
            .unwrap();
        assert_eq!(m, DomainsAuthTokenModel::default());
        tfplugin::cty::msgpack::encode(
            &Variant::My.encode(&DomainsAuthTokenModel::default(), &Value::Null),
            &my.ty(),
        )
        .unwrap();
    }

    #[test]
    fn patches_cover_description_status_and_tags() {
        let prior = DomainsAuthTokenModel {
            description: Attr::Known("a".into()),
            status: Attr::Known("ACTIVE".into()),
            tags: Blocks::Known(vec![]),
            ..Default::default()
        };
        assert!(patch_operations(&prior, &prior).is_empty());
        let mut plan = prior.clone();
        plan.description = Attr::Known("b".into());
        plan.status = Attr::Known("INACTIVE".into());
        plan.tags = Blocks::Known(vec![TagModel {
            key: Attr::Known("k".into()),
            value: Attr::Known("v".into()),
        }]);
        let ops = serde_json::to_value(patch_operations(&prior, &plan)).unwrap();
        assert_eq!(
            ops,
            serde_json::json!([
                {"op": "replace", "path": "description", "value": "b"},
                {"op": "replace", "path": "status", "value": "INACTIVE"},
                {"op": "replace", "path": "tags", "value": [{"key": "k", "value": "v"}]}
            ])
        );
        let ops = serde_json::to_value(patch_operations(&plan, &prior)).unwrap();
        assert_eq!(ops[2], serde_json::json!({"op": "remove", "path": "tags"}));
    }

    #[test]
    fn reads_ask_for_every_attribute_unless_configured() {
        let mut m = DomainsAuthTokenModel::default();
        assert_eq!(options(&m, true).attribute_sets, ["all"]);
        assert!(options(&m, false).attribute_sets.is_empty());
        m.attributes = Attr::Known("".into());
        m.attribute_sets = Attr::Known(vec!["default".into()]);
        assert_eq!(options(&m, true).attribute_sets, ["default"]);
        assert_eq!(options(&m, true).attributes, None);
    }
}
