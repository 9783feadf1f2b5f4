//! Data source `oci_identity_domain`: one identity domain by OCID, from the classic Identity
//! API (`GET /20160918/domains/{domain_id}`). Its `url` is the `idcs_endpoint` of the domain's
//! SCIM API, as in the official examples (`idcs_endpoint = data.oci_identity_domain.x.url`).

use std::collections::BTreeMap;
use std::sync::Arc;

use oci_client::identity::Domain;
use tfplugin::cty::{AttributePath, Type, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{async_trait, ApplyResponse, DataReadRequest, DataSource};
use tfplugin::schema::{Attribute, Block, Schema};

use super::common::{api_error, ocid_validator};
use super::ProviderData;

pub const TYPE_NAME: &str = "oci_identity_domain";

/// The attributes of a domain (the official `oci_identity_domain` resource's), with their
/// types and descriptions.
pub fn domain_attributes() -> Vec<(&'static str, Type, &'static str)> {
    let s = Type::String;
    vec![
        (
            "admin_email",
            s.clone(),
            "E-mail of the domain's administrator, as given at creation (not returned by the API).",
        ),
        (
            "admin_first_name",
            s.clone(),
            "First name of the domain's administrator (not returned by the API).",
        ),
        (
            "admin_last_name",
            s.clone(),
            "Last name of the domain's administrator (not returned by the API).",
        ),
        (
            "admin_user_name",
            s.clone(),
            "User name of the domain's administrator (not returned by the API).",
        ),
        (
            "compartment_id",
            s.clone(),
            "OCID of the domain's compartment.",
        ),
        (
            "defined_tags",
            Type::map(Type::String),
            "Defined tags, as `namespace.key = value`.",
        ),
        ("description", s.clone(), "Description of the domain."),
        ("display_name", s.clone(), "Display name of the domain."),
        ("freeform_tags", Type::map(Type::String), "Free-form tags."),
        (
            "home_region",
            s.clone(),
            "Home region of the domain, e.g. `us-ashburn-1`.",
        ),
        (
            "home_region_url",
            s.clone(),
            "Region-specific URL of the domain.",
        ),
        ("id", s.clone(), "OCID of the domain."),
        (
            "is_hidden_on_login",
            Type::Bool,
            "Whether the domain is hidden on the sign-in screen.",
        ),
        (
            "is_notification_bypassed",
            Type::Bool,
            "Whether creation notifications were bypassed (not returned by the API).",
        ),
        (
            "is_primary_email_required",
            Type::Bool,
            "Whether users need a primary e-mail (not returned by the API).",
        ),
        (
            "license_type",
            s.clone(),
            "License type of the domain, e.g. `free`.",
        ),
        (
            "lifecycle_details",
            s.clone(),
            "Details of the lifecycle state.",
        ),
        (
            "replica_regions",
            Type::list(Type::object([
                ("region", Type::String),
                ("state", Type::String),
                ("url", Type::String),
            ])),
            "Regions the domain is replicated to: `region`, `state`, `url`.",
        ),
        ("state", s.clone(), "Lifecycle state, e.g. `ACTIVE`."),
        (
            "time_created",
            s.clone(),
            "When the domain was created (RFC 3339).",
        ),
        ("type", s.clone(), "Domain type: `DEFAULT` or `SECONDARY`."),
        (
            "url",
            s,
            "Region-agnostic URL of the domain: the `idcs_endpoint` of its SCIM API.",
        ),
    ]
}

/// The cty object type of one domain.
pub fn domain_type() -> Type {
    Type::object(domain_attributes().into_iter().map(|(n, t, _)| (n, t)))
}

fn string_map(m: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::Map(m.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
}

/// A domain as a value of [`domain_type`].
pub fn domain_value(d: &Domain) -> Value {
    let s = |v: &Option<String>| Value::opt_string(v.clone());
    let defined: BTreeMap<String, String> = d
        .defined_tags
        .iter()
        .flatten()
        .flat_map(|(ns, tags)| {
            tags.iter().map(move |(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (format!("{ns}.{k}"), text)
            })
        })
        .collect();
    let replicas = d
        .replica_regions
        .iter()
        .map(|r| {
            Value::object([
                ("region", s(&r.region)),
                ("state", s(&r.state)),
                ("url", s(&r.url)),
            ])
        })
        .collect();
    let bool_or_null = |b: Option<bool>| b.map(Value::Bool).unwrap_or(Value::Null);
    Value::object([
        ("admin_email", Value::Null),
        ("admin_first_name", Value::Null),
        ("admin_last_name", Value::Null),
        ("admin_user_name", Value::Null),
        ("compartment_id", s(&d.compartment_id)),
        ("defined_tags", string_map(defined)),
        ("description", s(&d.description)),
        ("display_name", s(&d.display_name)),
        (
            "freeform_tags",
            string_map(d.freeform_tags.clone().unwrap_or_default()),
        ),
        ("home_region", s(&d.home_region)),
        ("home_region_url", s(&d.home_region_url)),
        ("id", Value::from(d.id.as_str())),
        ("is_hidden_on_login", bool_or_null(d.is_hidden_on_login)),
        ("is_notification_bypassed", Value::Null),
        ("is_primary_email_required", Value::Null),
        ("license_type", s(&d.license_type)),
        ("lifecycle_details", s(&d.lifecycle_details)),
        ("replica_regions", Value::List(replicas)),
        ("state", s(&d.lifecycle_state)),
        ("time_created", s(&d.time_created)),
        ("type", s(&d.domain_type)),
        ("url", s(&d.url)),
    ])
}

pub struct IdentityDomainDataSource {
    data: Arc<ProviderData>,
}

impl IdentityDomainDataSource {
    pub fn new(data: Arc<ProviderData>) -> Self {
        IdentityDomainDataSource { data }
    }
}

fn schema() -> Schema {
    let mut block = Block::new()
        .description("Reads an identity domain by OCID. Its `url` is the `idcs_endpoint` of the domain's SCIM API (`oci_identity_domains_auth_token` and friends).")
        .attribute(
            Attribute::string("domain_id")
                .required()
                .validator(ocid_validator("domain"))
                .description("OCID of the domain."),
        );
    for (name, ty, description) in domain_attributes() {
        block = block.attribute(Attribute::new(name, ty).computed().description(description));
    }
    Schema::new(block)
}

#[async_trait]
impl DataSource for IdentityDomainDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
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
        let Some(id) = req.config.get_str("domain_id").map(str::to_owned) else {
            diags.attribute_error(
                AttributePath::attr("domain_id"),
                "Missing domain_id",
                "domain_id must be known to read the domain.",
            );
            return fail(diags);
        };
        let domain = match req.ctx.run(c.identity.get_domain(&id)).await {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                api_error(&mut diags, "Cannot read the identity domain", &e);
                return fail(diags);
            }
            Err(_) => {
                diags.error("Read cancelled", "Terraform asked the provider to stop.");
                return fail(diags);
            }
        };
        let mut state = domain_value(&domain);
        state.set("domain_id", Value::from(id.as_str()));
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
    fn a_domain_value_has_the_schema_type() {
        let d: Domain = serde_json::from_value(serde_json::json!({
            "id": "ocid1.domain.oc1..d", "url": "http://127.0.0.1:1", "type": "DEFAULT",
            "definedTags": {"ns": {"k": "v", "n": 1}}, "freeformTags": {"a": "b"},
            "replicaRegions": [{"region": "r"}]
        }))
        .unwrap();
        let mut v = domain_value(&d);
        v.set("domain_id", Value::from("ocid1.domain.oc1..d"));
        tfplugin::cty::msgpack::encode(&v, &schema().ty()).unwrap();
        assert_eq!(v.get("defined_tags").get("ns.n").as_str(), Some("1"));
        assert_eq!(v.get_str("url"), Some("http://127.0.0.1:1"));
    }
}
