//! The mocked APIs, one axum router each, and [`Api`], the builder that puts an API's routes
//! behind the shared middleware stack ([`crate::middleware`]).
//!
//! - [`identity`]: the classic Identity API (`/20160918/users/{userId}/authTokens[/{id}]`),
//!   signed, OCI error bodies;
//! - `domains`: the classic API's identity domains (`/20160918/domains[/{domainId}]`);
//! - [`admin`]: the unsigned `/_mock/*` endpoints (stats, faults, reset-stats);
//! - [`registry`]: `GET /_mock/registry/v2/`, an OCIR-like login check with an auth token;
//! - `imds`: the instance metadata service (`/opc/v2/...`), `auth_service`: the auth
//!   service's federation endpoints (`/v1/x509`, resource principal 1.1), `oke`: the OKE
//!   workload-identity token endpoint (its own TLS listener), `oauth`: each identity domain's
//!   `/oauth2/v1/token` (workload identity federation's token exchange, on the domain's
//!   listener, OAuth error bodies); see [`crate::platform`];
//! - [`scim`]: the Identity Domains SCIM API (`/admin/v1/AuthTokens`, `/admin/v1/MyAuthTokens`),
//!   one router per domain, each on its own listener.

pub mod admin;
pub(crate) mod auth_service;
pub(crate) mod domains;
pub mod identity;
pub(crate) mod imds;
pub(crate) mod oauth;
pub(crate) mod oke;
pub mod registry;
pub mod scim;

use std::sync::Arc;

use axum::extract::{RawPathParams, Request};
use axum::handler::Handler;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use serde_json::{Map, Value};

use crate::middleware::errors::{self, ApiError, ErrorRenderer};
use crate::middleware::{faults, latency, rate_limit, request_id, signature, stats};
use crate::state::{lock, MockState};

/// One API: its routes, each an operation behind the per-operation layers, and its error form
/// (example in the crate docs).
pub struct Api {
    state: MockState,
    router: Router<MockState>,
    errors: Arc<dyn ErrorRenderer>,
    fallback: bool,
}

impl Api {
    /// An API without routes whose errors `errors` renders.
    pub fn new(state: &MockState, errors: impl ErrorRenderer) -> Api {
        Api {
            state: state.clone(),
            router: Router::new(),
            errors: Arc::new(errors),
            fallback: false,
        }
    }

    /// Serves `method` on `path` (axum syntax, `{param}` captures; the same path with a trailing
    /// `/` is served too) with `handler`, as the operation `name`: counted in the stats under that
    /// name, delayed by `--latency-ms`, subject to the rate limit and fault injection and signed (handlers see
    /// only requests whose OCI signature verified). A GET route does not answer HEAD (405).
    pub fn operation<H, T>(self, method: Method, path: &str, name: &'static str, handler: H) -> Api
    where
        H: Handler<T, MockState>,
        T: 'static,
    {
        self.add(method, path, Some(name), handler)
    }

    /// Serves `method` on `path` as the platform operation `name`: counted in the stats and
    /// delayed by `--latency-ms`, but outside the rate limit, fault injection and signature
    /// layers (the handler authenticates the request itself, as the instance metadata service,
    /// the auth service and the OKE endpoint do; queued faults stay for the API requests a
    /// test aims them at).
    pub fn platform<H, T>(
        mut self,
        method: Method,
        path: &str,
        name: &'static str,
        handler: H,
    ) -> Api
    where
        H: Handler<T, MockState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .unwrap_or_else(|e| panic!("cannot route {method} {path}: {e}"));
        lock(&self.state.inner.stats).register(name);
        let state = &self.state;
        let routes = on(filter, handler)
            .route_layer(from_fn_with_state(state.clone(), latency::delay))
            .route_layer(from_fn_with_state(
                stats::OpState {
                    state: state.clone(),
                    op: name,
                },
                stats::count,
            ))
            .route_layer(from_fn(reject_empty_captures));
        self.router = self.router.route(path, routes);
        self
    }

    /// Serves `method` on exactly `path` with `handler` outside the per-operation layers
    /// (unsigned, uncounted, no latency or faults); request ids and error bodies still apply.
    pub fn unsigned<H, T>(self, method: Method, path: &str, handler: H) -> Api
    where
        H: Handler<T, MockState>,
        T: 'static,
    {
        self.add(method, path, None, handler)
    }

    /// Answers requests no router of the listener matches (404 NotFound, in this API's form).
    /// One API per listener may have it.
    pub fn with_fallback(mut self) -> Api {
        self.fallback = true;
        self
    }

    /// The API's router, ready to merge with the other APIs of its listener.
    pub fn into_router(self) -> Router {
        let mut router = self.router;
        if self.fallback {
            router = router.fallback(|| async { ApiError::not_found() });
        }
        router
            .layer(from_fn_with_state(self.errors, errors::render))
            .layer(from_fn(request_id::assign))
            .with_state(self.state)
    }

    fn add<H, T>(
        mut self,
        method: Method,
        path: &str,
        name: Option<&'static str>,
        handler: H,
    ) -> Api
    where
        H: Handler<T, MockState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .unwrap_or_else(|e| panic!("cannot route {method} {path}: {e}"));
        let mut routes = on(filter, handler);
        if let Some(name) = name {
            lock(&self.state.inner.stats).register(name);
            routes = self.operation_stack(routes, name);
        }
        // Outermost: a capture never matches an empty segment (`/users//authTokens`).
        routes = routes.route_layer(from_fn(reject_empty_captures));
        if method == Method::GET {
            // axum would answer HEAD with the GET handler.
            routes = routes.on(MethodFilter::HEAD, || async {
                ApiError::method_not_allowed()
            });
        }
        let alias = format!("{}/", path.trim_end_matches('/'));
        if name.is_some() && alias != path {
            self.router = self.router.route(&alias, routes.clone());
        }
        self.router = self.router.route(path, routes);
        self
    }

    /// The per-operation layers, from the outermost: stats, latency, rate limit, faults, signature (each
    /// `route_layer` wraps the ones before it).
    fn operation_stack(
        &self,
        routes: MethodRouter<MockState>,
        name: &'static str,
    ) -> MethodRouter<MockState> {
        let state = &self.state;
        routes
            .route_layer(from_fn_with_state(state.clone(), signature::verify))
            .route_layer(from_fn_with_state(state.clone(), faults::inject))
            .route_layer(from_fn_with_state(state.clone(), rate_limit::limit))
            .route_layer(from_fn_with_state(state.clone(), latency::delay))
            .route_layer(from_fn_with_state(
                stats::OpState {
                    state: state.clone(),
                    op: name,
                },
                stats::count,
            ))
    }
}

/// 404 for a route matched with an empty `{param}`, before any other per-route layer.
async fn reject_empty_captures(params: RawPathParams, req: Request, next: Next) -> Response {
    if params.iter().any(|(_, value)| value.is_empty()) {
        return ApiError::not_found().into_response();
    }
    next.run(req).await
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    raw_json_response(status, body.to_string())
}

pub(crate) fn raw_json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// A JSON object body; an empty (or all-blank) body is `{}` when `empty_ok`.
pub(crate) fn parse_object(body: &[u8], empty_ok: bool) -> Result<Map<String, Value>, ApiError> {
    if empty_ok && body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::cannot_parse(
            "the request body must be a JSON object",
        )),
        Err(_) => Err(ApiError::cannot_parse("the request body is not valid JSON")),
    }
}
