//! ConfigureProvider and StopProvider.

use crate::convert::diagnostics_to_proto;
use crate::diag::Diagnostics;
use crate::framework::{ConfigureRequest, Provider};
use crate::proto::tfplugin6 as pb;

use super::{decode_or_diag, Inner};

pub(super) async fn configure<P: Provider>(
    i: &Inner<P>,
    req: pb::configure_provider::Request,
) -> pb::configure_provider::Response {
    let mut diags = Diagnostics::new();
    let schema = &i.provider_schema;
    if let Some(config) = decode_or_diag(
        req.config.as_ref(),
        &schema.ty(),
        "provider configuration",
        &mut diags,
    ) {
        let d = i
            .provider
            .configure(ConfigureRequest {
                config,
                terraform_version: req.terraform_version,
            })
            .await;
        diags.extend(d);
    }
    pb::configure_provider::Response {
        diagnostics: diagnostics_to_proto(&diags),
    }
}

pub(super) fn stop<P: Provider>(i: &Inner<P>) -> pb::stop_provider::Response {
    tracing::info!(tf_rpc = "StopProvider", "cancelling in-flight work");
    i.stop.stop();
    pb::stop_provider::Response {
        error: String::new(),
    }
}
