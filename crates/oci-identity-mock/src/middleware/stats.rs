//! Request stats: counts each request of an operation, and its status once answered (a dropped
//! connection has none), under the operation's name.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::Dropped;
use crate::state::{lock, MockState};

/// The state of one operation's stack.
#[derive(Clone)]
pub(crate) struct OpState {
    pub(crate) state: MockState,
    pub(crate) op: &'static str,
}

/// The layer.
pub(crate) async fn count(State(s): State<OpState>, req: Request, next: Next) -> Response {
    lock(&s.state.inner.stats).request(s.op);
    let resp = next.run(req).await;
    if resp.extensions().get::<Dropped>().is_none() {
        lock(&s.state.inner.stats).status(s.op, resp.status().as_u16());
    }
    resp
}
