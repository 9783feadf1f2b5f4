//! Resource `oci_identity_domains_my_auth_token`: an auth token of the calling user in an
//! identity domain (`/admin/v1/MyAuthTokens`). The implementation is the admin resource's
//! (`domains_auth_token.rs`) with the my_ schema: no `attribute_sets`, `attributes` or
//! self-change extension, and the import ID `idcsEndpoint/{idcs_endpoint}/myAuthTokens/{id}`.
//! Unlike the official type it has `token` (sensitive), set when the create response carries
//! the value.

use std::sync::Arc;

use super::domains_auth_token::{DomainsAuthTokenResource, Variant};
use super::ProviderData;

pub const TYPE_NAME: &str = "oci_identity_domains_my_auth_token";

pub fn resource(data: Arc<ProviderData>) -> DomainsAuthTokenResource {
    DomainsAuthTokenResource::new(data, Variant::My)
}
