//! The ephemeral-resource RPCs: ValidateEphemeralResourceConfig, OpenEphemeralResource,
//! RenewEphemeralResource and CloseEphemeralResource. Results are never logged.
//!
//! Close runs with a context that `StopProvider` does not stop: Terraform closes after Ctrl-C
//! too (it stops the provider first), and a cancelled close would leave the object behind.
//! Instances Terraform never closed are closed when the provider process is shut down
//! ([`close_outstanding`]).

use std::time::SystemTime;

use crate::convert::diagnostics_to_proto;
use crate::diag::Diagnostics;
use crate::engine;
use crate::framework::{Ctx, PrivateState, Provider, StopSource};
use crate::proto::tfplugin6 as pb;

use super::{decode_or_diag, encode_or_diag, Inner};

/// A context nothing stops (its source is dropped at once).
fn unstoppable() -> Ctx {
    StopSource::new().ctx()
}

fn timestamp(t: Option<SystemTime>) -> Option<prost_types::Timestamp> {
    t.map(prost_types::Timestamp::from)
}

/// Private state on the wire: absent when empty.
fn private_bytes(p: &PrivateState) -> Option<Vec<u8>> {
    let bytes = p.to_bytes();
    (!bytes.is_empty()).then_some(bytes)
}

pub(super) fn validate_config<P: Provider>(
    i: &Inner<P>,
    req: pb::validate_ephemeral_resource_config::Request,
) -> pb::validate_ephemeral_resource_config::Response {
    let mut diags = Diagnostics::new();
    if let Some(e) = i.registry.ephemeral_resource(&req.type_name, &mut diags) {
        if let Some(config) = decode_or_diag(
            req.config.as_ref(),
            &e.schema.ty(),
            "configuration",
            &mut diags,
        ) {
            engine::validate(&e.schema, &config, &mut diags, |c, d| {
                e.imp.validate_config(c, d)
            });
        }
    }
    pb::validate_ephemeral_resource_config::Response {
        diagnostics: diagnostics_to_proto(&diags),
    }
}

pub(super) async fn open<P: Provider>(
    i: &Inner<P>,
    req: pb::open_ephemeral_resource::Request,
) -> pb::open_ephemeral_resource::Response {
    tracing::debug!(tf_rpc = "OpenEphemeralResource", tf_type_name = %req.type_name, "handling OpenEphemeralResource");
    let mut diags = Diagnostics::new();
    let mut resp = pb::open_ephemeral_resource::Response::default();
    if let Some(entry) = i.registry.ephemeral_resource(&req.type_name, &mut diags) {
        let ty = entry.schema.ty();
        if let Some(config) = decode_or_diag(req.config.as_ref(), &ty, "configuration", &mut diags)
        {
            if let Some(out) = engine::open_ephemeral(entry, config, i.ctx(), &mut diags).await {
                match encode_or_diag(&out.result, &ty, "ephemeral result", &mut diags) {
                    Some(result) => {
                        resp.result = Some(result);
                        resp.private = private_bytes(&out.private);
                        resp.renew_at = timestamp(out.renew_at);
                        if out.result.is_wholly_known() {
                            i.outstanding
                                .opened(&req.type_name, resp.private.clone().unwrap_or_default());
                        }
                    }
                    // Terraform gets no result and will not close: close now.
                    None => {
                        let d = engine::close_ephemeral(entry, out.private, unstoppable()).await;
                        diags.extend(d);
                    }
                }
            }
        }
    }
    resp.diagnostics = diagnostics_to_proto(&diags);
    resp
}

pub(super) async fn renew<P: Provider>(
    i: &Inner<P>,
    req: pb::renew_ephemeral_resource::Request,
) -> pb::renew_ephemeral_resource::Response {
    tracing::debug!(tf_rpc = "RenewEphemeralResource", tf_type_name = %req.type_name, "handling RenewEphemeralResource");
    let mut diags = Diagnostics::new();
    let mut resp = pb::renew_ephemeral_resource::Response {
        private: req.private.clone(),
        ..Default::default()
    };
    if let Some(entry) = i.registry.ephemeral_resource(&req.type_name, &mut diags) {
        let private = PrivateState::from_bytes(req.private.as_deref().unwrap_or_default());
        let out = engine::renew_ephemeral(entry, private, i.ctx(), &mut diags).await;
        resp.private = private_bytes(&out.private);
        resp.renew_at = timestamp(out.renew_at);
        i.outstanding.renewed(
            &req.type_name,
            req.private.as_deref().unwrap_or_default(),
            resp.private.clone().unwrap_or_default(),
        );
    }
    resp.diagnostics = diagnostics_to_proto(&diags);
    resp
}

pub(super) async fn close<P: Provider>(
    i: &Inner<P>,
    req: pb::close_ephemeral_resource::Request,
) -> pb::close_ephemeral_resource::Response {
    tracing::debug!(tf_rpc = "CloseEphemeralResource", tf_type_name = %req.type_name, "handling CloseEphemeralResource");
    let mut diags = Diagnostics::new();
    if let Some(entry) = i.registry.ephemeral_resource(&req.type_name, &mut diags) {
        let bytes = req.private.as_deref().unwrap_or_default();
        i.outstanding.closed(&req.type_name, bytes);
        let private = PrivateState::from_bytes(bytes);
        diags.extend(engine::close_ephemeral(entry, private, unstoppable()).await);
    }
    pb::close_ephemeral_resource::Response {
        diagnostics: diagnostics_to_proto(&diags),
    }
}

/// Closes every instance Terraform opened and never closed, all at once. Run at shutdown:
/// nothing else will close them. Problems are logged (there is no one to report them to).
pub(super) async fn close_outstanding<P: Provider>(i: &Inner<P>) {
    let open = i.outstanding.take();
    if open.is_empty() {
        return;
    }
    tracing::info!(
        instances = open.len(),
        "closing ephemeral resources Terraform did not close"
    );
    let closes = open.into_iter().filter_map(|(type_name, bytes)| {
        let entry = i.registry.ephemeral_resources.get(type_name.as_str())?;
        Some(async move {
            let private = PrivateState::from_bytes(&bytes);
            let diags = engine::close_ephemeral(entry, private, unstoppable()).await;
            for d in diags.iter() {
                tracing::warn!(tf_type_name = %type_name, summary = %d.summary, detail = %d.detail, "closing at shutdown");
            }
        })
    });
    futures_util::future::join_all(closes).await;
}
