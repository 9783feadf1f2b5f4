//! Data source `oci_identity_auth_tokens`: the auth tokens of a user, with the official
//! provider's `filter` blocks (AND across blocks, OR across values, unanchored regexes).

use std::sync::Arc;

use tfplugin::cty::{Type, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{async_trait, ApplyResponse, DataReadRequest, DataSource};
use tfplugin::schema::{Attribute, Block, Schema};

use super::common::{api_error, ocid_validator};
use super::filter;
use super::model;
use super::ProviderData;

pub struct AuthTokensDataSource {
    data: Arc<ProviderData>,
}

impl AuthTokensDataSource {
    pub fn new(data: Arc<ProviderData>) -> Self {
        AuthTokensDataSource { data }
    }
}

/// The attributes a filter can name: those of a token item, sorted.
fn item_fields() -> Vec<&'static str> {
    let mut fields: Vec<&str> = model::item_fields().collect();
    fields.sort_unstable();
    fields
}

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description("Lists the auth tokens of a user. Token values are never included: the API returns them only at create.")
            .attribute(Attribute::string("id").computed().description("A stable ID for this data source, derived from `user_id`."))
            .attribute(Attribute::string("user_id").required().validator(ocid_validator("user")).description("OCID of the user."))
            .attribute(
                Attribute::new("tokens", Type::list(model::item_type()))
                    .computed()
                    .description("The tokens that pass every filter: `id`, `user_id`, `description`, `state`, `inactive_state`, `time_created`, `time_expires`, and `token` (always null here). A description ending in `[tf-ephemeral lease=<RFC 3339 UTC time>]` marks a token of the `oci_identity_auth_token` ephemeral resource (filter with `regex = true` on `\\[tf-ephemeral lease=` to find the leftovers of killed runs)."),
            )
            .block(filter::block("tokens", "state")),
    )
}

/// CRC-32 (IEEE), as the official provider hashes data source IDs.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The official data source ID: `IdentityAuthTokensDataSource-<crc32 of "<user_id>-">`.
pub fn data_source_id(user_id: &str) -> String {
    format!(
        "IdentityAuthTokensDataSource-{}",
        crc32(format!("{user_id}-").as_bytes())
    )
}

#[async_trait]
impl DataSource for AuthTokensDataSource {
    fn type_name(&self) -> &'static str {
        "oci_identity_auth_tokens"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("filter").is_wholly_known() {
            filter::parse(config, "tokens", &item_fields(), diags);
        }
    }

    async fn read(&self, req: DataReadRequest) -> ApplyResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.data.get(&mut diags) else {
            return ApplyResponse {
                state: Value::Null,
                diagnostics: diags,
                private: None,
            };
        };
        let user_id = req
            .config
            .get_str("user_id")
            .unwrap_or_default()
            .to_string();
        let filters = filter::parse(&req.config, "tokens", &item_fields(), &mut diags);
        if diags.has_errors() {
            return ApplyResponse {
                state: Value::Null,
                diagnostics: diags,
                private: None,
            };
        }
        let tokens = match req.ctx.run(c.lists.list(&c.identity, &user_id)).await {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                api_error(&mut diags, "Cannot list auth tokens", &e);
                return ApplyResponse {
                    state: Value::Null,
                    diagnostics: diags,
                    private: None,
                };
            }
            Err(_) => {
                diags.error("Read cancelled", "Terraform asked the provider to stop.");
                return ApplyResponse {
                    state: Value::Null,
                    diagnostics: diags,
                    private: None,
                };
            }
        };
        let items: Vec<Value> = tokens
            .iter()
            .map(model::token_item)
            .filter(|item| filter::all_match(&filters, item))
            .collect();
        let mut state = req.config.clone();
        state.set("filter", filter::with_defaults(req.config.get("filter")));
        state.set("id", data_source_id(&user_id).into());
        state.set("tokens", Value::List(items));
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

    #[test]
    fn crc32_matches_the_ieee_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert!(data_source_id("ocid1.user.oc1..a").starts_with("IdentityAuthTokensDataSource-"));
    }
}
