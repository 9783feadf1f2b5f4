//! Data source `oci_identity_domains_auth_token`: one Identity Domains auth token, by id
//! (`GET /admin/v1/AuthTokens/{auth_token_id}`). The my_ variant
//! (`oci_identity_domains_my_auth_token`, `my_auth_token_id`) is the same over
//! `/admin/v1/MyAuthTokens`. Every attribute of the resource is exported (computed); the
//! token value never is (the API returns it only at create).

use std::sync::Arc;

use oci_client::identity_domains::CallOptions;
use tfplugin::cty::{AttributePath, Type, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{async_trait, ApplyResponse, DataReadRequest, DataSource};
use tfplugin::model::{CtyObject, CtyType};
use tfplugin::schema::{Attribute, Block, Schema};

use super::common::api_error;
use super::domains_auth_token::Variant;
use super::domains_model::{self, DomainsAuthTokenModel, MyAuthTokenModel};
use super::ProviderData;

pub struct DomainsAuthTokenDataSource {
    data: Arc<ProviderData>,
    variant: Variant,
}

impl DomainsAuthTokenDataSource {
    pub fn new(data: Arc<ProviderData>, variant: Variant) -> Self {
        DomainsAuthTokenDataSource { data, variant }
    }

    /// `auth_token_id` or `my_auth_token_id`.
    fn id_argument(&self) -> &'static str {
        match self.variant {
            Variant::Admin => "auth_token_id",
            Variant::My => "my_auth_token_id",
        }
    }
}

/// The data source's arguments (the rest of the item is computed).
fn argument(name: &str) -> Option<Attribute> {
    let a = Attribute::string(name);
    Some(match name {
        "idcs_endpoint" => a.required().description("URL of the identity domain."),
        "attribute_sets" => Attribute::new(name, Type::list(Type::String))
            .optional()
            .description("Attribute sets to return: `all`, `always`, `never`, `request`, `default`."),
        "attributes" => a
            .optional()
            .description("Comma-separated attributes to return."),
        "authorization" => a.optional().sensitive().description(
            "Accepted for compatibility; requests are signed with the provider's API key, whose signature replaces this header.",
        ),
        "resource_type_schema_version" => a
            .optional()
            .description("Sent as the `resource_type_schema_version` header."),
        _ => return None,
    })
}

pub fn schema(variant: Variant) -> Schema {
    let (fields, ty, id_arg, what): (&[&str], Type, &str, &str) = match variant {
        Variant::Admin => (
            DomainsAuthTokenModel::FIELDS,
            domains_model::item_type(),
            "auth_token_id",
            "an auth token of a user in an identity domain (`/admin/v1/AuthTokens`)",
        ),
        Variant::My => (
            MyAuthTokenModel::FIELDS,
            MyAuthTokenModel::cty_type(),
            "my_auth_token_id",
            "an auth token of the calling user in an identity domain (`/admin/v1/MyAuthTokens`)",
        ),
    };
    let mut block = Block::new()
        .description(format!("Reads {what} by id. Every attribute of the resource is exported; `token` is always null (the API returns the value only at create)."))
        .attribute(
            Attribute::string(id_arg)
                .required()
                .description("SCIM id of the auth token."),
        );
    for name in fields {
        let attr = argument(name).unwrap_or_else(|| {
            Attribute::new(*name, ty.attribute(name).cloned().unwrap_or(Type::Dynamic))
                .computed()
                .description(item_description(name))
        });
        let attr = if *name == "token" {
            attr.sensitive()
        } else {
            attr
        };
        block = block.attribute(attr);
    }
    Schema::new(block)
}

fn item_description(name: &str) -> String {
    match name {
        "id" => "SCIM id of the auth token.".into(),
        "token" => "Always null: the API returns the token value only at create.".into(),
        other => format!("`{other}` of the auth token, as the resource has it."),
    }
}

#[async_trait]
impl DataSource for DomainsAuthTokenDataSource {
    fn type_name(&self) -> &'static str {
        self.variant.type_name()
    }

    fn schema(&self) -> Schema {
        schema(self.variant)
    }

    async fn read(&self, req: DataReadRequest) -> ApplyResponse {
        let mut diags = Diagnostics::new();
        let fail = |diags| ApplyResponse {
            state: Value::Null,
            diagnostics: diags,
            private: None,
        };
        let Some(c) = self.data.get(&mut diags) else {
            return fail(diags);
        };
        let config = &req.config;
        let id = config
            .get_str(self.id_argument())
            .unwrap_or_default()
            .to_owned();
        if id.trim().is_empty() {
            diags.attribute_error(
                AttributePath::attr(self.id_argument()),
                "Invalid attribute value",
                format!("{} must not be empty.", self.id_argument()),
            );
            return fail(diags);
        }
        let endpoint = config
            .get_str("idcs_endpoint")
            .unwrap_or_default()
            .to_owned();
        if let Err(e) = oci_client::identity_domains::domain_url(&endpoint) {
            diags.attribute_error(
                AttributePath::attr("idcs_endpoint"),
                "Invalid identity domain URL",
                e.message,
            );
            return fail(diags);
        }
        let strings = |name: &str| -> Vec<String> {
            config
                .get(name)
                .as_elements()
                .unwrap_or(&[])
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let options = CallOptions {
            attributes: config
                .get_str("attributes")
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
            attribute_sets: strings("attribute_sets"),
            resource_type_schema_version: config
                .get_str("resource_type_schema_version")
                .map(str::to_owned),
        };
        let call = c
            .domains
            .get_token(&endpoint, self.variant.collection(), &id, &options);
        let token = match req.ctx.run(call).await {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                api_error(&mut diags, "Cannot read the auth token", &e);
                return fail(diags);
            }
            Err(_) => {
                diags.error("Read cancelled", "Terraform asked the provider to stop.");
                return fail(diags);
            }
        };
        let item = DomainsAuthTokenModel::item(&token, &endpoint);
        let mut state = match self.variant {
            Variant::Admin => item.to_value(),
            Variant::My => MyAuthTokenModel::from_full(&item).to_value(),
        };
        for name in [
            "attribute_sets",
            "attributes",
            "authorization",
            "resource_type_schema_version",
        ] {
            if state.as_attrs().is_some_and(|a| a.contains_key(name)) {
                state.set(name, config.get(name).clone());
            }
        }
        state.set(self.id_argument(), Value::from(id.as_str()));
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
    fn schemas_export_every_resource_attribute() {
        for variant in [Variant::Admin, Variant::My] {
            let s = schema(variant);
            let resource = variant.schema();
            for a in &resource.block.attributes {
                let mine = s.block.get_attribute(&a.name).unwrap();
                assert_eq!(mine.ty, a.ty, "{}", a.name);
            }
            for b in &resource.block.blocks {
                if b.type_name != "timeouts" {
                    assert_eq!(s.block.get_attribute(&b.type_name).unwrap().ty, b.ty());
                }
            }
            assert!(s.block.get_attribute("idcs_endpoint").unwrap().required);
            assert!(s.block.get_attribute("token").unwrap().sensitive);
        }
        assert!(
            schema(Variant::Admin)
                .block
                .get_attribute("auth_token_id")
                .unwrap()
                .required
        );
        assert!(
            schema(Variant::My)
                .block
                .get_attribute("my_auth_token_id")
                .unwrap()
                .required
        );
    }
}
