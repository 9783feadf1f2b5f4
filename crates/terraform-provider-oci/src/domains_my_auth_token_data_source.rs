//! Data source `oci_identity_domains_my_auth_token`: one of the calling user's auth tokens
//! (`GET /admin/v1/MyAuthTokens/{my_auth_token_id}`); see `domains_auth_token_data_source.rs`.

use std::sync::Arc;

use super::domains_auth_token::Variant;
use super::domains_auth_token_data_source::DomainsAuthTokenDataSource;
use super::ProviderData;

pub fn data_source(data: Arc<ProviderData>) -> DomainsAuthTokenDataSource {
    DomainsAuthTokenDataSource::new(data, Variant::My)
}
