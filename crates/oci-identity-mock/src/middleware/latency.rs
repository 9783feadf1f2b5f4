//! Latency: every operation request waits `--latency-ms` before anything else happens.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::MockState;

/// The layer.
pub(crate) async fn delay(State(state): State<MockState>, req: Request, next: Next) -> Response {
    let latency = state.inner.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    next.run(req).await
}
