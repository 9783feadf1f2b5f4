//! The rate limit: each operation request takes a request from the tenancy's bucket
//! ([`crate::ratelimit`], `--rate-limit N`); when it is empty the request is refused with 429
//! `TooManyRequests` (in the API's error form, without a `retry-after`, as OCI's throttling
//! answers), counted as `rate_limited`, before any fault is injected, the signature is checked
//! or the operation performed.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::ApiError;
use crate::state::{lock, MockState};

/// The layer.
pub(crate) async fn limit(State(state): State<MockState>, req: Request, next: Next) -> Response {
    let admitted = lock(&state.inner.rate_limit).admit(Instant::now());
    if admitted {
        return next.run(req).await;
    }
    lock(&state.inner.stats).rate_limited();
    tracing::debug!("{} {} refused: rate limit", req.method(), req.uri().path());
    ApiError::new(
        429,
        "TooManyRequests",
        "User-rate limit exceeded for the tenancy.",
    )
    .into_response()
}
