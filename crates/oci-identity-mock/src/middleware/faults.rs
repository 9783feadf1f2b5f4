//! Fault injection: each operation request takes the next fault (the `/_mock/faults` queue
//! first, then `--fault-rate`). 429/500/503 answer at once, before the signature is checked and
//! without performing the operation; `drop_connection` closes the connection without a response;
//! `drop_response` performs the operation, then closes the connection.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::ApiError;
use super::request_id::RequestId;
use super::Dropped;
use crate::conn::ConnHandle;
use crate::faults::Fault;
use crate::state::{lock, MockState};

/// The layer.
pub(crate) async fn inject(State(state): State<MockState>, req: Request, next: Next) -> Response {
    let fault = lock(&state.inner.faults).next();
    let Some(fault) = fault else {
        return next.run(req).await;
    };
    lock(&state.inner.stats).fault(fault);
    match fault {
        Fault::Status429 => {
            let mut resp = ApiError::too_many_requests().into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            resp
        }
        Fault::Status500 => ApiError::internal().into_response(),
        Fault::Status503 => ApiError::service_unavailable().into_response(),
        Fault::DropConnection => Dropper::of(&req).now("drop_connection"),
        Fault::DropResponse => {
            let drop = Dropper::of(&req);
            let _ = next.run(req).await;
            drop.now("drop_response")
        }
    }
}

/// What dropping a request's connection needs.
struct Dropper {
    method: axum::http::Method,
    path: String,
    request_id: Option<RequestId>,
    conn: Option<ConnHandle>,
}

impl Dropper {
    fn of(req: &Request) -> Dropper {
        Dropper {
            method: req.method().clone(),
            path: req.uri().path().to_string(),
            request_id: req.extensions().get::<RequestId>().cloned(),
            conn: req
                .extensions()
                .get::<ConnectInfo<ConnHandle>>()
                .map(|c| c.0.clone()),
        }
    }

    /// Aborts the connection so that no response reaches the client.
    fn now(self, what: &str) -> Response {
        tracing::info!(
            "{} {} dropped ({}) opc-request-id={}",
            self.method,
            self.path,
            what,
            self.request_id.as_ref().map_or("-", |r| r.0.as_str())
        );
        let mut resp = match self.conn {
            Some(c) => {
                c.abort();
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
            // Served without an abortable connection (e.g. the bare router in a test): the
            // closest stand-in is an empty, non-standard status.
            None => StatusCode::from_u16(444)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response(),
        };
        resp.extensions_mut().insert(Dropped);
        resp
    }
}
