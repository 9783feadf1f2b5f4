//! List resource `oci_identity_auth_token` for `terraform query` (Terraform 1.14+): every
//! token of a user, optionally filtered by state and a description regex.

use std::sync::Arc;

use regex::Regex;

use tfplugin::cty::{AttributePath, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{async_trait, ListItem, ListRequest, ListResource, ListSink};
use tfplugin::schema::{Attribute, Block, Schema};

use super::auth_token::TYPE_NAME;
use super::common::{api_error, ocid_validator};
use super::model::AuthTokenModel;
use super::ProviderData;
use tfplugin::model::CtyObject;

pub struct AuthTokenList {
    data: Arc<ProviderData>,
}

impl AuthTokenList {
    pub fn new(data: Arc<ProviderData>) -> Self {
        AuthTokenList { data }
    }
}

const STATES: [&str; 5] = ["CREATING", "ACTIVE", "INACTIVE", "DELETING", "DELETED"];

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

#[async_trait]
impl ListResource for AuthTokenList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("Lists the auth tokens of a user, for `terraform query` and bulk import.")
                .attribute(Attribute::string("user_id").required().validator(ocid_validator("user")).description("OCID of the user whose tokens to list."))
                .attribute(Attribute::string("state").optional().description("Only tokens in this lifecycle state, e.g. `ACTIVE`."))
                .attribute(Attribute::string("description_regex").optional().description("Only tokens whose description matches this regular expression (unanchored). Tokens of the `oci_identity_auth_token` ephemeral resource end their description with the lease marker `[tf-ephemeral lease=<RFC 3339 UTC time>]`: `\\[tf-ephemeral lease=` lists them, for example to find the leftovers of killed runs.")),
        )
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        description_regex(config, diags);
        if let Some(s) = config.get_str("state") {
            if !STATES.contains(&s) {
                diags.attribute_error(
                    AttributePath::attr("state"),
                    "Invalid state",
                    format!(
                        "{s:?} is not a lifecycle state; use one of {}.",
                        STATES.join(", ")
                    ),
                );
            }
        }
    }

    async fn list(&self, req: ListRequest, out: ListSink) {
        let mut diags = Diagnostics::new();
        let Some(c) = self.data.get(&mut diags) else {
            return out.error(diags).await;
        };
        let regex = description_regex(&req.config, &mut diags);
        if diags.has_errors() {
            return out.error(diags).await;
        }
        let user_id = req
            .config
            .get_str("user_id")
            .unwrap_or_default()
            .to_string();
        let state_filter = req.config.get_str("state").map(str::to_string);
        let tokens = match req.ctx.run(c.identity.list_auth_tokens(&user_id)).await {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                api_error(&mut diags, "Cannot list auth tokens", &e);
                return out.error(diags).await;
            }
            Err(_) => return,
        };
        for t in tokens {
            if state_filter
                .as_deref()
                .is_some_and(|s| s != t.lifecycle_state)
                || regex
                    .as_ref()
                    .is_some_and(|r| !r.is_match(t.description.as_deref().unwrap_or_default()))
            {
                continue;
            }
            let state = AuthTokenModel::from_api(&t).to_value();
            let description = t.description.clone().unwrap_or_default();
            let display_name = if description.is_empty() {
                t.id.clone()
            } else {
                format!("{description} ({})", t.id)
            };
            if !out
                .send(ListItem {
                    display_name,
                    state,
                })
                .await
            {
                return;
            }
        }
    }
}
