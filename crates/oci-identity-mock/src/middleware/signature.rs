//! Signature verification: buffers the body (up to 1 MiB) and verifies the OCI HTTP signature
//! ([`crate::auth::verify`]) against the API keys of the mock's users. A failure is counted and
//! answered 401 NotAuthenticated; on success the handler gets the buffered body and a
//! [`crate::auth::Verified`] request extension.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::errors::ApiError;
use super::MAX_BODY;
use crate::auth;
use crate::state::{lock, MockState};

/// The layer.
pub(crate) async fn verify(State(state): State<MockState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::cannot_parse("the request body could not be read").into_response()
        }
    };
    let verified = {
        let store = lock(&state.inner.store);
        auth::verify(
            &parts.method,
            &parts.uri,
            &parts.headers,
            &body,
            Utc::now(),
            |k| store.public_key_for(k),
        )
    };
    match verified {
        Err(why) => {
            tracing::debug!(
                "{} {} not authenticated: {}",
                parts.method,
                parts.uri.path(),
                why
            );
            lock(&state.inner.stats).auth_failure();
            ApiError::not_authenticated().into_response()
        }
        Ok(v) => {
            parts.extensions.insert(v);
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
    }
}
