//! The managed-resource RPCs: UpgradeResourceState, ReadResource, PlanResourceChange,
//! ApplyResourceChange and ImportResourceState.

use crate::convert::{diagnostics_to_proto, path_to_proto};
use crate::diag::Diagnostics;
use crate::engine::{self, ImportTarget};
use crate::framework::{PrivateState, Provider};
use crate::proto::tfplugin6 as pb;

use super::identity::identity_proto;
use super::{decode_or_diag, encode_or_diag, Inner};

pub(super) fn upgrade_state<P: Provider>(
    i: &Inner<P>,
    req: pb::upgrade_resource_state::Request,
) -> pb::upgrade_resource_state::Response {
    tracing::debug!(tf_rpc = "UpgradeResourceState", tf_type_name = %req.type_name, "handling UpgradeResourceState");
    let mut diags = Diagnostics::new();
    let mut upgraded_state = None;
    if let Some(entry) = i.registry.resource(&req.type_name, &mut diags) {
        let raw = req.raw_state.unwrap_or_default();
        let has_flatmap = !raw.flatmap.is_empty();
        let upgraded = engine::upgrade_state(
            entry,
            &req.type_name,
            req.version,
            raw.json,
            has_flatmap,
            &mut diags,
        );
        if let Some(v) = upgraded {
            upgraded_state = encode_or_diag(&v, &entry.schema.ty(), "state", &mut diags);
        }
    }
    pb::upgrade_resource_state::Response {
        upgraded_state,
        diagnostics: diagnostics_to_proto(&diags),
    }
}

pub(super) async fn read<P: Provider>(
    i: &Inner<P>,
    req: pb::read_resource::Request,
) -> pb::read_resource::Response {
    tracing::debug!(tf_rpc = "ReadResource", tf_type_name = %req.type_name, "handling ReadResource");
    let mut diags = Diagnostics::new();
    let mut resp = pb::read_resource::Response {
        private: req.private.clone(),
        ..Default::default()
    };
    if let Some(entry) = i.registry.resource(&req.type_name, &mut diags) {
        let ty = entry.schema.ty();
        if let Some(state) = decode_or_diag(req.current_state.as_ref(), &ty, "state", &mut diags) {
            let private = PrivateState::from_bytes(&req.private);
            let out = engine::read_resource(entry, state, private, i.ctx(), &mut diags).await;
            resp.new_identity = identity_proto(entry, out.identity.as_ref(), &mut diags);
            resp.new_state = encode_or_diag(&out.state, &ty, "state", &mut diags);
            resp.private = out.private.to_bytes();
        }
    }
    resp.diagnostics = diagnostics_to_proto(&diags);
    resp
}

pub(super) fn plan<P: Provider>(
    i: &Inner<P>,
    req: pb::plan_resource_change::Request,
) -> pb::plan_resource_change::Response {
    tracing::debug!(tf_rpc = "PlanResourceChange", tf_type_name = %req.type_name, "handling PlanResourceChange");
    let mut diags = Diagnostics::new();
    let mut resp = pb::plan_resource_change::Response {
        planned_private: req.prior_private.clone(),
        ..Default::default()
    };
    if let Some(entry) = i.registry.resource(&req.type_name, &mut diags) {
        let ty = entry.schema.ty();
        let prior = decode_or_diag(req.prior_state.as_ref(), &ty, "prior state", &mut diags);
        let config = decode_or_diag(req.config.as_ref(), &ty, "configuration", &mut diags);
        let proposed = decode_or_diag(
            req.proposed_new_state.as_ref(),
            &ty,
            "proposed state",
            &mut diags,
        );
        if let (Some(prior), Some(config), Some(proposed)) = (prior, config, proposed) {
            let plan = engine::plan(entry, &prior, &config, &proposed, &mut diags);
            resp.requires_replace = plan.requires_replace.iter().map(path_to_proto).collect();
            resp.planned_identity = identity_proto(entry, plan.identity.as_ref(), &mut diags);
            resp.planned_state = encode_or_diag(&plan.state, &ty, "planned state", &mut diags);
        }
    }
    resp.diagnostics = diagnostics_to_proto(&diags);
    resp
}

pub(super) async fn apply<P: Provider>(
    i: &Inner<P>,
    req: pb::apply_resource_change::Request,
) -> pb::apply_resource_change::Response {
    tracing::debug!(tf_rpc = "ApplyResourceChange", tf_type_name = %req.type_name, "handling ApplyResourceChange");
    let mut diags = Diagnostics::new();
    let mut resp = pb::apply_resource_change::Response {
        private: req.planned_private.clone(),
        ..Default::default()
    };
    if let Some(entry) = i.registry.resource(&req.type_name, &mut diags) {
        let ty = entry.schema.ty();
        let prior = decode_or_diag(req.prior_state.as_ref(), &ty, "prior state", &mut diags);
        let planned = decode_or_diag(req.planned_state.as_ref(), &ty, "planned state", &mut diags);
        let config = decode_or_diag(req.config.as_ref(), &ty, "configuration", &mut diags);
        if let (Some(prior), Some(planned), Some(config)) = (prior, planned, config) {
            let out = engine::apply(entry, prior, planned, config, i.ctx(), &mut diags).await;
            if let Some(private) = out.private {
                resp.private = private.to_bytes();
            }
            resp.new_identity = identity_proto(entry, out.identity.as_ref(), &mut diags);
            resp.new_state = encode_or_diag(&out.state, &ty, "new state", &mut diags);
        }
    }
    resp.diagnostics = diagnostics_to_proto(&diags);
    resp
}

pub(super) fn import<P: Provider>(
    i: &Inner<P>,
    req: pb::import_resource_state::Request,
) -> pb::import_resource_state::Response {
    tracing::debug!(tf_rpc = "ImportResourceState", tf_type_name = %req.type_name, "handling ImportResourceState");
    let mut diags = Diagnostics::new();
    let mut imported_resources = Vec::new();
    if let Some(entry) = i.registry.resource(&req.type_name, &mut diags) {
        let identity_dv = req.identity.as_ref().and_then(|i| i.identity_data.as_ref());
        let imported = match identity_dv {
            Some(dv) if req.id.is_empty() => entry
                .identity_for_import(&req.type_name, &mut diags)
                .and_then(|s| decode_or_diag(Some(dv), &s.ty(), "identity", &mut diags))
                .and_then(|identity| {
                    engine::import(entry, ImportTarget::Identity(&identity), &mut diags)
                }),
            _ => engine::import(entry, ImportTarget::Id(&req.id), &mut diags),
        };
        if let Some(imported) = imported {
            let identity = identity_proto(entry, imported.identity.as_ref(), &mut diags);
            let ty = entry.schema.ty();
            if let Some(dv) = encode_or_diag(&imported.state, &ty, "imported state", &mut diags) {
                imported_resources.push(pb::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(dv),
                    private: Vec::new(),
                    identity,
                });
            }
        }
    }
    pb::import_resource_state::Response {
        imported_resources,
        diagnostics: diagnostics_to_proto(&diags),
        deferred: None,
    }
}
