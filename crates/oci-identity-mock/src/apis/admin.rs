//! The unsigned admin API of the mock: `GET /_mock/stats`, `GET|POST /_mock/faults`,
//! `POST /_mock/reset-stats`, `POST /_mock/sessions/revoke` (every session token minted so far
//! becomes invalid: `{"revoked": N}`), `POST /_mock/resource-principal/rotate` (a fresh resource
//! principal pair in `DIR/rp/`, 204), and the registry-login check of [`super::registry`] mounted
//! beside them. Not counted, delayed or faulted; OCI error bodies.

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

use super::{json_response, parse_object, Api};
use crate::faults::Fault;
use crate::middleware::{ApiError, OciErrors, MAX_BODY};
use crate::state::{lock, MockState};

pub(crate) fn router(state: &MockState) -> Router {
    Api::new(state, OciErrors)
        .unsigned(Method::GET, "/_mock/stats", stats)
        .unsigned(Method::GET, "/_mock/faults", faults)
        .unsigned(Method::POST, "/_mock/faults", configure_faults)
        .unsigned(Method::POST, "/_mock/reset-stats", reset_stats)
        .unsigned(Method::POST, "/_mock/sessions/revoke", revoke_sessions)
        .unsigned(
            Method::POST,
            "/_mock/resource-principal/rotate",
            rotate_resource_principal,
        )
        .into_router()
        .merge(super::registry::router(state))
}

async fn stats(State(state): State<MockState>) -> Response {
    json_response(StatusCode::OK, &state.stats_json())
}

async fn faults(State(state): State<MockState>) -> Response {
    faults_json(&state)
}

async fn reset_stats(State(state): State<MockState>) -> Response {
    lock(&state.inner.stats).reset();
    StatusCode::NO_CONTENT.into_response()
}

/// Revokes every session token minted so far: `{"revoked": N}`.
async fn revoke_sessions(State(state): State<MockState>) -> Response {
    let n = state.platform().revoke_all();
    json_response(StatusCode::OK, &json!({ "revoked": n }))
}

/// Rewrites the resource principal files with a fresh pair (204).
async fn rotate_resource_principal(State(state): State<MockState>) -> Result<Response, ApiError> {
    let s = state.clone();
    tokio::task::spawn_blocking(move || s.platform().rotate_resource_principal())
        .await
        .map_err(|e| ApiError::new(500, "InternalServerError", e.to_string()))?
        .map_err(|e| ApiError::new(500, "InternalServerError", e.to_string()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn faults_json(state: &MockState) -> Response {
    let rate_limit = lock(&state.inner.rate_limit).rate();
    let f = lock(&state.inner.faults);
    json_response(
        StatusCode::OK,
        &json!({"fault_rate": f.rate(), "rate_limit": rate_limit, "next": f.queued()}),
    )
}

/// `{"fault_rate": F, "rate_limit": N, "next": ["503", ...]}`, all optional: sets the fault
/// rate and the rate limit (requests per second, 0 = none; the bucket starts full), queues the
/// faults.
async fn configure_faults(
    State(state): State<MockState>,
    body: Body,
) -> Result<Response, ApiError> {
    let body = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::cannot_parse("the request body could not be read"))?;
    let obj = parse_object(&body, true)?;
    let rate = match obj.get("fault_rate") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(r) if (0.0..=1.0).contains(&r) => Some(r),
            _ => {
                return Err(ApiError::new(
                    400,
                    "InvalidParameter",
                    "fault_rate must be a number between 0 and 1.",
                ))
            }
        },
    };
    let rate_limit = match obj.get("rate_limit") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Some(n),
            None => {
                return Err(ApiError::new(
                    400,
                    "InvalidParameter",
                    "rate_limit must be a whole number of requests per second (0 = no limit).",
                ))
            }
        },
    };
    let next = match obj.get("next") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().and_then(Fault::parse).ok_or_else(|| {
                    ApiError::new(
                        400,
                        "InvalidParameter",
                        format!(
                            "unknown fault {i}; expected one of 429, 500, 503, drop_connection, drop_response."
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(ApiError::new(
                400,
                "InvalidParameter",
                "next must be an array of fault names.",
            ))
        }
    };
    if let Some(n) = rate_limit {
        lock(&state.inner.rate_limit).set_rate(n);
    }
    {
        let mut f = lock(&state.inner.faults);
        if let Some(r) = rate {
            f.set_rate(r);
        }
        f.enqueue(next);
    }
    Ok(faults_json(&state))
}
