//! The Validate*Config RPCs.

use crate::convert::diagnostics_to_proto;
use crate::cty::Value;
use crate::diag::Diagnostics;
use crate::engine;
use crate::framework::Provider;
use crate::proto::tfplugin6 as pb;
use crate::schema::Schema;

use super::{decode_or_diag, Inner};

/// Decodes a configuration and runs the schema's validators plus `custom` over it.
fn validate(
    schema: &Schema,
    config: Option<&pb::DynamicValue>,
    what: &str,
    diags: &mut Diagnostics,
    custom: impl FnOnce(&Value, &mut Diagnostics),
) {
    if let Some(config) = decode_or_diag(config, &schema.ty(), what, diags) {
        engine::validate(schema, &config, diags, custom);
    }
}

pub(super) fn provider_config<P: Provider>(
    i: &Inner<P>,
    req: pb::validate_provider_config::Request,
) -> pb::validate_provider_config::Response {
    let mut diags = Diagnostics::new();
    validate(
        &i.provider_schema,
        req.config.as_ref(),
        "provider configuration",
        &mut diags,
        |config, diags| i.provider.validate_config(config, diags),
    );
    pb::validate_provider_config::Response {
        diagnostics: diagnostics_to_proto(&diags),
    }
}

pub(super) fn resource_config<P: Provider>(
    i: &Inner<P>,
    req: pb::validate_resource_config::Request,
) -> pb::validate_resource_config::Response {
    let mut diags = Diagnostics::new();
    if let Some(e) = i.registry.resource(&req.type_name, &mut diags) {
        validate(
            &e.schema,
            req.config.as_ref(),
            "configuration",
            &mut diags,
            |c, d| e.imp.validate_config(c, d),
        );
    }
    pb::validate_resource_config::Response {
        diagnostics: diagnostics_to_proto(&diags),
    }
}

pub(super) fn data_resource_config<P: Provider>(
    i: &Inner<P>,
    req: pb::validate_data_resource_config::Request,
) -> pb::validate_data_resource_config::Response {
    let mut diags = Diagnostics::new();
    if let Some(e) = i.registry.data_source(&req.type_name, &mut diags) {
        validate(
            &e.schema,
            req.config.as_ref(),
            "configuration",
            &mut diags,
            |c, d| e.imp.validate_config(c, d),
        );
    }
    pb::validate_data_resource_config::Response {
        diagnostics: diagnostics_to_proto(&diags),
    }
}

pub(super) fn list_resource_config<P: Provider>(
    i: &Inner<P>,
    req: pb::validate_list_resource_config::Request,
) -> pb::validate_list_resource_config::Response {
    let mut diags = Diagnostics::new();
    if let Some(e) = i.registry.list_resource(&req.type_name, &mut diags) {
        validate(
            &e.schema,
            req.config.as_ref(),
            "list configuration",
            &mut diags,
            |c, d| e.imp.validate_config(c, d),
        );
    }
    pb::validate_list_resource_config::Response {
        diagnostics: diagnostics_to_proto(&diags),
    }
}
