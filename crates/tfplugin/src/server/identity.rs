//! GetResourceIdentitySchemas and UpgradeResourceIdentity, and the identity encoding the
//! resource RPCs share.

use crate::convert::{identity_data, identity_schema_to_proto};
use crate::cty::{self, Value};
use crate::diag::Diagnostics;
use crate::engine::ResourceEntry;
use crate::framework::Provider;
use crate::proto::tfplugin6 as pb;

use super::{encode_or_diag, Inner};

/// Encodes an identity the engine derived for `entry`.
pub(super) fn identity_proto(
    entry: &ResourceEntry,
    identity: Option<&Value>,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let ty = entry.identity.as_ref()?.ty();
    encode_or_diag(identity?, &ty, "identity", diags).map(identity_data)
}

pub(super) fn get_resource_identity_schemas<P: Provider>(
    i: &Inner<P>,
) -> pb::get_resource_identity_schemas::Response {
    pb::get_resource_identity_schemas::Response {
        identity_schemas: i
            .registry
            .resources
            .iter()
            .filter_map(|(k, e)| {
                e.identity
                    .as_ref()
                    .map(|s| (k.to_string(), identity_schema_to_proto(s)))
            })
            .collect(),
        diagnostics: vec![],
    }
}

pub(super) fn upgrade_resource_identity<P: Provider>(
    i: &Inner<P>,
    req: pb::upgrade_resource_identity::Request,
) -> pb::upgrade_resource_identity::Response {
    let mut diags = Diagnostics::new();
    let mut upgraded_identity = None;
    if let Some(entry) = i.registry.resource(&req.type_name, &mut diags) {
        match &entry.identity {
            None => diags.error(
                "Identity not supported",
                format!("{} has no identity.", req.type_name),
            ),
            Some(schema) => {
                let raw = req.raw_identity.map(|r| r.json).unwrap_or_default();
                match cty::json::decode(&raw, &schema.ty()) {
                    Ok(v) => {
                        upgraded_identity = encode_or_diag(&v, &schema.ty(), "identity", &mut diags)
                            .map(identity_data)
                    }
                    Err(e) => diags.error(
                        "Invalid stored identity",
                        format!("The stored identity cannot be read: {e}."),
                    ),
                }
            }
        }
    }
    pb::upgrade_resource_identity::Response {
        upgraded_identity,
        diagnostics: crate::convert::diagnostics_to_proto(&diags),
    }
}
