//! ListResource: a stream of results fed by the engine's list pump.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use tokio::sync::mpsc;
use tonic::Status;

use crate::convert::diagnostics_to_proto;
use crate::diag::Diagnostics;
use crate::engine::{self, ListEvent};
use crate::framework::{ListRequest, Provider};
use crate::proto::tfplugin6 as pb;

use super::identity::identity_proto;
use super::{decode_or_diag, encode_or_diag, Inner};

pub(super) type ListStream =
    Pin<Box<dyn Stream<Item = Result<pb::list_resource::Event, Status>> + Send>>;

fn error_event(diags: &Diagnostics) -> pb::list_resource::Event {
    pb::list_resource::Event {
        diagnostic: diagnostics_to_proto(diags),
        ..Default::default()
    }
}

pub(super) fn list<P: Provider>(
    inner: Arc<Inner<P>>,
    req: pb::list_resource::Request,
) -> ListStream {
    let (tx, mut rx) = mpsc::channel::<Result<pb::list_resource::Event, Status>>(16);
    tokio::spawn(async move {
        let mut diags = Diagnostics::new();
        let Some((list, resource)) = inner.registry.list_target(&req.type_name, &mut diags) else {
            let _ = tx.send(Ok(error_event(&diags))).await;
            return;
        };
        let Some(config) = decode_or_diag(
            req.config.as_ref(),
            &list.schema.ty(),
            "list configuration",
            &mut diags,
        ) else {
            let _ = tx.send(Ok(error_event(&diags))).await;
            return;
        };
        let res_ty = resource.schema.ty();
        let encode = |ev: ListEvent| {
            let mut d = ev.diagnostics;
            let identity = identity_proto(resource, ev.identity.as_ref(), &mut d);
            let resource_object = ev
                .resource_object
                .and_then(|state| encode_or_diag(&state, &res_ty, "resource object", &mut d));
            Ok(pb::list_resource::Event {
                identity,
                display_name: ev.display_name,
                resource_object,
                diagnostic: diagnostics_to_proto(&d),
            })
        };
        let list_req = ListRequest {
            config,
            include_resource: req.include_resource_object,
            limit: req.limit,
            ctx: inner.ctx(),
        };
        engine::pump(list, resource, list_req, tx, encode).await;
    });
    let stream = async_stream::stream! {
        while let Some(ev) = rx.recv().await {
            yield ev;
        }
    };
    Box::pin(stream)
}
