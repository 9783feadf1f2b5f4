//! ReadDataSource.

use crate::convert::diagnostics_to_proto;
use crate::diag::Diagnostics;
use crate::engine;
use crate::framework::Provider;
use crate::proto::tfplugin6 as pb;

use super::{decode_or_diag, encode_or_diag, Inner};

pub(super) async fn read<P: Provider>(
    i: &Inner<P>,
    req: pb::read_data_source::Request,
) -> pb::read_data_source::Response {
    tracing::debug!(tf_rpc = "ReadDataSource", tf_type_name = %req.type_name, "handling ReadDataSource");
    let mut diags = Diagnostics::new();
    let mut resp = pb::read_data_source::Response::default();
    if let Some(entry) = i.registry.data_source(&req.type_name, &mut diags) {
        let ty = entry.schema.ty();
        if let Some(config) = decode_or_diag(req.config.as_ref(), &ty, "configuration", &mut diags)
        {
            if let Some(state) = engine::read_data_source(entry, config, i.ctx(), &mut diags).await
            {
                resp.state = encode_or_diag(&state, &ty, "data source state", &mut diags);
            }
        }
    }
    resp.diagnostics = diagnostics_to_proto(&diags);
    resp
}
