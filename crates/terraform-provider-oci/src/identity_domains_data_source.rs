//! Data source `oci_identity_domains`: the identity domains of a compartment, from the
//! classic Identity API (`GET /20160918/domains`, every page), with the official optional
//! filters (sent to the API) and `filter` blocks (applied here, as the official provider
//! does: AND across blocks, OR across values, unanchored regexes with `regex = true`).

use std::sync::Arc;

use oci_client::identity::DomainQuery;
use tfplugin::cty::{Type, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{async_trait, ApplyResponse, DataReadRequest, DataSource};
use tfplugin::schema::{Attribute, Block, Schema};

use super::common::{api_error, ocid_validator};
use super::filter;
use super::identity_domain_data_source::{domain_attributes, domain_type, domain_value};
use super::ProviderData;

pub const TYPE_NAME: &str = "oci_identity_domains";

pub struct IdentityDomainsDataSource {
    data: Arc<ProviderData>,
}

impl IdentityDomainsDataSource {
    pub fn new(data: Arc<ProviderData>) -> Self {
        IdentityDomainsDataSource { data }
    }
}

/// The attributes a filter can name: those of a domain.
fn domain_fields() -> Vec<&'static str> {
    domain_attributes().into_iter().map(|(n, _, _)| n).collect()
}

fn schema() -> Schema {
    let opt = |name: &str, what: &str| {
        Attribute::string(name)
            .optional()
            .description(format!("Only domains whose {what} (sent to the API)."))
    };
    Schema::new(
        Block::new()
            .description("Lists the identity domains of a compartment (the tenancy for the Default domain). Each domain's `url` is the `idcs_endpoint` of its SCIM API.")
            .attribute(Attribute::string("id").computed().description("A stable ID for this data source, derived from its arguments."))
            .attribute(Attribute::string("compartment_id").required().validator(ocid_validator("compartment")).description("OCID of the compartment (a tenancy OCID is a compartment OCID)."))
            .attribute(opt("display_name", "display name is this"))
            .attribute(opt("url", "URL is this"))
            .attribute(opt("home_region_url", "home region URL is this"))
            .attribute(opt("type", "type is this (`DEFAULT`, `SECONDARY`)"))
            .attribute(opt("license_type", "license type is this"))
            .attribute(Attribute::bool("is_hidden_on_login").optional().description("Only domains hidden (or not) on the sign-in screen (sent to the API)."))
            .attribute(opt("name", "name is this"))
            .attribute(opt("state", "lifecycle state is this (`ACTIVE`, `CREATING`, `DELETING`, `INACTIVE`)"))
            .attribute(Attribute::new("domains", Type::list(domain_type())).computed().description("The domains, with the attributes of `oci_identity_domain`."))
            .block(filter::block("domains", "display_name")),
    )
}

/// A stable ID from the arguments (FNV-1a of their values).
fn data_source_id(config: &Value) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for name in [
        "compartment_id",
        "display_name",
        "url",
        "home_region_url",
        "type",
        "license_type",
        "is_hidden_on_login",
        "name",
        "state",
    ] {
        let v = config.get(name);
        let text = v
            .as_str()
            .map(str::to_owned)
            .or_else(|| v.as_bool().map(|b| b.to_string()))
            .unwrap_or_default();
        for b in text.bytes().chain([0u8]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("IdentityDomainsDataSource-{hash:016x}")
}

#[async_trait]
impl DataSource for IdentityDomainsDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("filter").is_wholly_known() {
            filter::parse(config, "domains", &domain_fields(), diags);
        }
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
        let filters = filter::parse(config, "domains", &domain_fields(), &mut diags);
        if diags.has_errors() {
            return fail(diags);
        }
        let s = |name: &str| config.get_str(name).map(str::to_owned);
        let query = DomainQuery {
            display_name: s("display_name"),
            url: s("url"),
            home_region_url: s("home_region_url"),
            domain_type: s("type"),
            license_type: s("license_type"),
            is_hidden_on_login: config.get("is_hidden_on_login").as_bool(),
            name: s("name"),
            lifecycle_state: s("state"),
        };
        let compartment = s("compartment_id").unwrap_or_default();
        let domains = match req
            .ctx
            .run(c.identity.list_domains(&compartment, &query))
            .await
        {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                api_error(&mut diags, "Cannot list the identity domains", &e);
                return fail(diags);
            }
            Err(_) => {
                diags.error("Read cancelled", "Terraform asked the provider to stop.");
                return fail(diags);
            }
        };
        let items: Vec<Value> = domains
            .iter()
            .map(domain_value)
            .filter(|item| filter::all_match(&filters, item))
            .collect();
        let mut state = config.clone();
        state.set("filter", filter::with_defaults(config.get("filter")));
        state.set("id", Value::from(data_source_id(config)));
        state.set("domains", Value::List(items));
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
    fn filters_and_ids() {
        let config = Value::object([
            ("compartment_id", Value::from("ocid1.tenancy.oc1..t")),
            (
                "filter",
                Value::Set(vec![Value::object([
                    ("name", Value::from("display_name")),
                    ("values", Value::List(vec![Value::from("^Def")])),
                    ("regex", Value::Bool(true)),
                ])]),
            ),
        ]);
        let mut diags = Diagnostics::new();
        let f = filter::parse(&config, "domains", &domain_fields(), &mut diags);
        assert!(!diags.has_errors());
        let item = Value::object([("display_name", Value::from("Default"))]);
        assert!(filter::all_match(&f, &item));
        assert!(!filter::all_match(
            &f,
            &Value::object([("display_name", Value::from("Other"))])
        ));
        assert_eq!(data_source_id(&config), data_source_id(&config.clone()));
        assert_ne!(
            data_source_id(&config),
            data_source_id(&Value::object([("compartment_id", Value::from("x"))]))
        );
    }
}
