//! GetMetadata and GetProviderSchema.

use crate::convert::schema_to_proto;
use crate::framework::Provider;
use crate::proto::tfplugin6 as pb;

use super::Inner;

pub(super) fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

pub(super) fn get_metadata<P: Provider>(i: &Inner<P>) -> pb::get_metadata::Response {
    let r = &i.registry;
    pb::get_metadata::Response {
        server_capabilities: Some(server_capabilities()),
        resources: r
            .resources
            .keys()
            .map(|t| pb::get_metadata::ResourceMetadata {
                type_name: t.to_string(),
            })
            .collect(),
        data_sources: r
            .data_sources
            .keys()
            .map(|t| pb::get_metadata::DataSourceMetadata {
                type_name: t.to_string(),
            })
            .collect(),
        list_resources: r
            .list_resources
            .keys()
            .map(|t| pb::get_metadata::ListResourceMetadata {
                type_name: t.to_string(),
            })
            .collect(),
        ephemeral_resources: r
            .ephemeral_resources
            .keys()
            .map(|t| pb::get_metadata::EphemeralMetadata {
                type_name: t.to_string(),
            })
            .collect(),
        ..Default::default()
    }
}

pub(super) fn get_provider_schema<P: Provider>(i: &Inner<P>) -> pb::get_provider_schema::Response {
    let r = &i.registry;
    pb::get_provider_schema::Response {
        provider: Some(schema_to_proto(&i.provider_schema)),
        resource_schemas: r
            .resources
            .iter()
            .map(|(k, e)| (k.to_string(), schema_to_proto(&e.schema)))
            .collect(),
        data_source_schemas: r
            .data_sources
            .iter()
            .map(|(k, e)| (k.to_string(), schema_to_proto(&e.schema)))
            .collect(),
        list_resource_schemas: r
            .list_resources
            .iter()
            .map(|(k, e)| (k.to_string(), schema_to_proto(&e.schema)))
            .collect(),
        ephemeral_resource_schemas: r
            .ephemeral_resources
            .iter()
            .map(|(k, e)| (k.to_string(), schema_to_proto(&e.schema)))
            .collect(),
        server_capabilities: Some(server_capabilities()),
        ..Default::default()
    }
}
