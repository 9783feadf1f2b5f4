//! Signature verification: buffers the body (up to 1 MiB) and verifies the OCI HTTP signature
//! ([`crate::auth::verify`]) against the API keys of the mock's users, or, for an `ST$<jwt>`
//! keyId, against the session key of a token the mock minted ([`crate::platform`]). A failure
//! is counted (session-token failures also by reason) and answered 401 NotAuthenticated; on
//! success the handler gets the buffered body and a [`crate::auth::Verified`] request extension
//! (with the principal for a session token).

use std::borrow::Cow;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::errors::ApiError;
use super::MAX_BODY;
use crate::auth::{self, AuthError, Rules, Verified};
use crate::platform::SessionError;
use crate::state::{lock, MockState};

/// Verifies a buffered request: user API keys and `ST$` session tokens. Counts failures.
pub(crate) fn check(
    state: &MockState,
    parts: &Parts,
    body: &[u8],
    rules: Rules,
) -> Result<Verified, ApiError> {
    let now = Utc::now();
    let mut principal = None;
    let mut session = false;
    let verified = {
        let store = lock(&state.inner.store);
        auth::verify_with(
            &parts.method,
            &parts.uri,
            &parts.headers,
            body,
            now,
            rules,
            |k| {
                if let Some(jwt) = k.strip_prefix("ST$") {
                    session = true;
                    let s = state
                        .inner
                        .platform
                        .verify_session(jwt, now.timestamp())
                        .map_err(AuthError::SessionToken)?;
                    if s.principal.tenancy != store.tenancy_ocid() {
                        return Err(AuthError::SessionToken(SessionError::Unknown));
                    }
                    principal = Some(s.principal);
                    Ok(Cow::Owned(s.session_key_spki))
                } else {
                    store
                        .public_key_for(k)
                        .map(|d| Cow::Owned(d.to_vec()))
                        .ok_or_else(|| AuthError::UnknownKeyId(k.to_string()))
                }
            },
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
            let mut stats = lock(&state.inner.stats);
            stats.auth_failure();
            match why {
                AuthError::SessionToken(reason) => stats.session_failure(reason),
                AuthError::BadSignature if session => {
                    stats.session_failure(SessionError::BadSignature)
                }
                _ => {}
            }
            Err(ApiError::not_authenticated())
        }
        Ok(mut v) => {
            v.principal = principal;
            Ok(v)
        }
    }
}

/// The layer.
pub(crate) async fn verify(State(state): State<MockState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::cannot_parse("the request body could not be read").into_response()
        }
    };
    match check(&state, &parts, &body, Rules::default()) {
        Err(e) => e.into_response(),
        Ok(v) => {
            parts.extensions.insert(v);
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
    }
}
