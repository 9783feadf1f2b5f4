//! The cross-cutting parts of every mocked API, as axum middleware (`from_fn` layers).
//!
//! Applied by [`crate::apis::Api`], outermost first:
//!
//! | layer | scope | does |
//! |---|---|---|
//! | [`request_id`] | every request of the API (also 404/405) | `opc-request-id` header, one log line |
//! | [`errors`] | every request of the API | renders [`ApiError`]s (and axum's bare 404/405/400s) in the API's form |
//! | [`stats`] | each operation | counts the request and its status under the operation's name |
//! | [`latency`] | each operation | sleeps `--latency-ms` |
//! | [`rate_limit`] | each operation | refuses requests above `--rate-limit` with 429 `TooManyRequests` |
//! | [`faults`] | each operation | injects the next queued or random fault (429/500/503/drops) |
//! | [`signature`] | each operation | buffers the body and verifies the OCI request signature |
//!
//! The per-operation layers only wrap matched routes (`MethodRouter::route_layer`), so an unknown
//! path or method is answered at once: no latency, fault, signature check or count.

pub mod errors;
pub mod faults;
pub mod latency;
pub mod rate_limit;
pub mod request_id;
pub mod signature;
pub mod stats;

pub use errors::{ApiError, ErrorRenderer, OAuthErrors, OciErrors, ScimErrors};
pub use request_id::RequestId;

/// Largest request body read.
pub(crate) const MAX_BODY: usize = 1 << 20;

/// Marks a response that must never reach the client (a dropped connection): the outer layers
/// neither count, render nor log it as a response.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dropped;
