//! The list pump: runs a list resource and forwards its results until the limit is reached,
//! the list ends, or the consumer goes away.

use tokio::sync::mpsc;

use crate::cty::Value;
use crate::diag::Diagnostics;
use crate::framework::{ListRequest, ListSink};

use super::{ListEntry, ResourceEntry};

/// One event of a list stream: a result, or diagnostics alone.
#[derive(Debug, Default)]
pub(crate) struct ListEvent {
    pub display_name: String,
    /// Derived from the state by the identity schema of the managed resource.
    pub identity: Option<Value>,
    /// The full state, when the request asked for resource objects.
    pub resource_object: Option<Value>,
    pub diagnostics: Diagnostics,
}

impl ListEvent {
    pub fn error(diagnostics: Diagnostics) -> Self {
        ListEvent {
            diagnostics,
            ..Default::default()
        }
    }
}

/// Runs `list` and sends each of its results, mapped by `encode`, to `tx`. At most
/// `req.limit` results are sent (0 or less: no limit); error events do not count. The list
/// resource is stopped as soon as the limit is reached or `tx` is closed, even while it waits
/// on its API.
pub(crate) async fn pump<T>(
    list: &ListEntry,
    resource: &ResourceEntry,
    mut req: ListRequest,
    tx: mpsc::Sender<T>,
    mut encode: impl FnMut(ListEvent) -> T,
) {
    if req.limit <= 0 {
        req.limit = i64::MAX;
    }
    let (limit, include_resource) = (req.limit, req.include_resource);
    let (item_tx, mut item_rx) = mpsc::channel(16);
    let lr = list.imp.clone();
    let producer = tokio::spawn(async move { lr.list(req, ListSink::new(item_tx)).await });
    let mut sent = 0i64;
    loop {
        let item = tokio::select! {
            item = item_rx.recv() => match item {
                Some(item) => item,
                None => break,
            },
            _ = tx.closed() => break,
        };
        let (event, is_result) = match item {
            Err(d) => (ListEvent::error(d), false),
            Ok(item) => {
                let event = ListEvent {
                    identity: resource.identity_of(&item.state),
                    display_name: item.display_name,
                    resource_object: include_resource.then_some(item.state),
                    diagnostics: Diagnostics::new(),
                };
                (event, true)
            }
        };
        if tx.send(encode(event)).await.is_err() {
            break;
        }
        if is_result {
            sent += 1;
            if sent >= limit {
                break;
            }
        }
    }
    drop(item_rx);
    producer.abort();
}
