//! Data source `oci_identity_domains_my_auth_tokens`: the calling user's auth tokens in an
//! identity domain (SCIM `GET /admin/v1/MyAuthTokens`), every page, with the official
//! arguments (`my_auth_token_count`, `my_auth_token_filter`, …; no `attribute_sets` or
//! `attributes`, which that API does not take). The reading is shared with
//! `oci_identity_domains_auth_tokens` (see `domains_auth_tokens_data_source.rs`).

use std::sync::Arc;

use oci_client::identity_domains::Collection;

use super::domains_auth_tokens_data_source::{DomainsTokensDataSource, Variant};
use super::ProviderData;

pub(crate) static MY_AUTH_TOKENS: Variant = Variant {
    type_name: "oci_identity_domains_my_auth_tokens",
    collection: Collection::MyAuthTokens,
    id_prefix: "IdentityDomainsMyAuthTokensDataSource-",
    count_attr: "my_auth_token_count",
    filter_attr: "my_auth_token_filter",
    items_attr: "my_auth_tokens",
    has_attribute_args: false,
    rewrites_user_filter: false,
    what: "Lists the calling user's auth tokens in an identity domain, reading every page.",
};

/// `oci_identity_domains_my_auth_tokens`.
pub fn my_auth_tokens(data: Arc<ProviderData>) -> DomainsTokensDataSource {
    DomainsTokensDataSource::new(data, &MY_AUTH_TOKENS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains_auth_tokens_data_source::{data_source_id, query, schema};
    use tfplugin::cty::Value;

    #[test]
    fn my_arguments_pass_the_filter_through_and_take_no_attribute_sets() {
        let s = schema(&MY_AUTH_TOKENS);
        for name in [
            "my_auth_token_count",
            "my_auth_token_filter",
            "my_auth_tokens",
            "start_index",
        ] {
            assert!(s.block.get_attribute(name).is_some(), "{name}");
        }
        assert!(s.block.get_attribute("attribute_sets").is_none());
        assert!(s.block.get_attribute("attributes").is_none());
        let c = Value::object([
            ("idcs_endpoint", Value::from("http://e")),
            (
                "my_auth_token_filter",
                Value::from("idcsEndpoint/http://e/users/u"),
            ),
        ]);
        let q = query(&MY_AUTH_TOKENS, &c);
        assert_eq!(q.filter.as_deref(), Some("idcsEndpoint/http://e/users/u"));
        assert!(data_source_id(&MY_AUTH_TOKENS, &c)
            .starts_with("IdentityDomainsMyAuthTokensDataSource-"));
    }
}
