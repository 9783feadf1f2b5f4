//! A mock of the OCI Identity auth-token API (`/20160918/users/{userId}/authTokens`, plus the
//! tenancy's identity domains at `/20160918/domains`) and of the Identity Domains SCIM
//! auth-token API (`/admin/v1/AuthTokens`, `/admin/v1/MyAuthTokens`), each domain on its own
//! listener.
//!
//! It creates a tenancy, users with RSA API keys and an OCI config file in a data directory,
//! verifies every request's signature, enforces the per-user token limit, honours
//! `opc-retry-token` and `if-match`, simulates list lag and injects faults. State persists in
//! `DIR/state.json` plus a journal of the changes since (`DIR/journal.jsonl`). Unsigned admin endpoints live under `/_mock/` (stats, faults, reset-stats).
//!
//! # The platform
//!
//! The mock also plays the OCI platform ([`platform`]): an instance metadata service under
//! `/opc/v2` and the auth service's `POST /v1/x509` on the main listener, resource principal
//! 1.1 and 3.0 endpoints and a 2.2 token pair in `DIR/rp/`, each identity domain's
//! `/oauth2/v1/token` (workload identity federation's token exchange), and with `--oke`
//! ([`MockOptions::oke`]) the OKE workload-identity endpoint (TLS on `127.0.0.N:12250`). The
//! session tokens these mint (`--session-ttl-s`) sign API requests as `ST$<jwt>`; their
//! principals act as a dynamic group allowed to `manage users in tenancy`. The ready line's
//! `instance_principal`, `resource_principal`, `resource_principal_1_1`,
//! `resource_principal_3_0` and `oke_workload_identity` blocks give the environment a client
//! exports; `workload_identity_federation` gives the paths of each domain's OAuth app and of
//! the subject tokens.
//!
//! # Identity domains and authorization
//!
//! `--domains N` ([`MockOptions::domains`], default 1) serves N identity domains, each on its own
//! listener so that its `idcs_endpoint` is a bare origin ([`MockServer::identity_domains`], the
//! ready line's `identity_domains`). The first is the tenancy's Default domain: its users are the
//! IAM users (same OCIDs, plus a SCIM id) and its tokens are the classic API's (one store, one
//! per-user limit). The other domains have users of their own. The first user (the config
//! file's DEFAULT profile) is the tenancy administrator and manages every user's tokens, in
//! both APIs and every domain; any other user manages only its own (classic: 404
//! `NotAuthorizedOrNotFound`; SCIM: 404 for another user's token, 403 to create one for
//! another user or to use a domain it is not a user of).
//!
//! # Layout
//!
//! - [`server`]: the listener, [`start`]/[`start_with`], [`MockServer`], and [`router`], which
//!   merges the APIs served on one listener;
//! - [`apis`]: one axum router per API, each built with [`apis::Api`]: `apis::identity` (the
//!   classic Identity API: routes and handlers), `apis::domains` (its `/20160918/domains`),
//!   [`apis::scim`] (the Identity Domains SCIM API, one router and listener per domain; filters
//!   in `apis::scim::filter`, the `returned` rules and PATCH in `apis::scim::attrs`),
//!   `apis::admin` (`/_mock/*`);
//! - [`middleware`]: the cross-cutting layers every API reuses: `request_id`
//!   (`opc-request-id`, request log), `errors` (per-API error renderer: [`middleware::OciErrors`],
//!   [`middleware::ScimErrors`]), `stats` (per operation and status), `latency`, `rate_limit` (429 above `--rate-limit`), `faults`
//!   (429/500/503/dropped connections) and `signature` (OCI HTTP signatures against the users'
//!   keys);
//! - [`platform`]: the instance, its certificate chain, session tokens (mint, verify, revoke),
//!   the resource principal files and the OKE endpoint's material;
//! - the models those layers use: [`state`] ([`MockState`] and the persistent store), [`auth`]
//!   (signature verification), [`faults`] (fault queue and seeded rate), `ratelimit` (the token bucket), [`stats`] (counters),
//!   [`keys`], `ids` (random ids and secrets), `conn` (abortable connections), [`logging`]
//!   (stderr logs for the binary).
//!
//! # Adding an API
//!
//! Write its handlers (axum extractors; errors as [`middleware::ApiError`], never as a body),
//! then its router: `Api::new(&state, renderer)` with one `.operation(method, path, name,
//! handler)` per operation (signed, counted under `name`, delayed, faulted) and `.unsigned(...)`
//! for anything outside that stack, then `.into_router()`. Pick the error renderer of the API's
//! form (or implement [`middleware::ErrorRenderer`]), and merge the router into the listener's
//! app in [`server`] (or give it a listener of its own with `server::serve_on`, as each identity domain's SCIM API has, and call
//! `.with_fallback()` so that unknown paths get a 404 in its form). From outside the crate,
//! [`start_with`] serves an extra router beside the built-in ones; `tests/mock_extra_api.rs`
//! mounts a toy SCIM-style API that way.
//!
//! ```
//! use axum::http::Method;
//! use oci_identity_mock::apis::Api;
//! use oci_identity_mock::middleware::{ApiError, ScimErrors};
//! use oci_identity_mock::MockState;
//!
//! async fn ping() -> Result<&'static str, ApiError> {
//!     Ok("pong")
//! }
//!
//! fn scim(state: &MockState) -> axum::Router {
//!     Api::new(state, ScimErrors)
//!         .operation(Method::GET, "/admin/v1/Ping", "Ping", ping)
//!         .into_router()
//! }
//! ```

pub mod apis;
pub mod auth;
mod conn;
pub mod faults;
mod ids;
pub mod keys;
pub mod logging;
pub mod middleware;
pub mod platform;
mod ratelimit;
pub mod server;
pub mod state;
pub mod stats;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use apis::identity::{BASE_PATH, MAX_DESCRIPTION_CHARS};
pub use conn::ConnHandle;
pub use faults::Fault;
pub use server::{router, start, start_with, DomainInfo, DomainUser, MockServer};
pub use state::MockState;
pub use stats::Operation;

/// Options of the mock server (the binary's command-line flags).
#[derive(Debug, Clone)]
pub struct MockOptions {
    /// Where the config file, keys and state live.
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Minimum number of users (created on first start, added on restart).
    pub users: usize,
    /// Minimum number of identity domains, each served on its own listener (127.0.0.1, free
    /// port) with the SCIM API under `/admin/v1`. The first is the tenancy's Default domain,
    /// whose users are the IAM users; every other domain has `users` users of its own.
    pub domains: usize,
    /// Live tokens per user; 0 = no limit.
    pub token_limit: usize,
    /// Delay added to every API request.
    pub latency_ms: u64,
    /// Probability (0..=1) of a random fault per API request.
    pub fault_rate: f64,
    /// A new token shows up in lists only this long after creation.
    pub list_lag_ms: u64,
    /// A new token is `CREATING` for this long, then `ACTIVE`.
    pub activation_ms: u64,
    /// Seed of the fault RNG.
    pub seed: u64,
    /// Requests per second per tenancy (token bucket, a tenth of a second's burst), over both
    /// APIs; excess requests get 429 `TooManyRequests`. 0 = no limit.
    pub rate_limit: u32,
    /// Lifetime in seconds of every session token (JWT) the platform mints (instance and
    /// resource principals, OKE); at least 1.
    pub session_ttl_s: u64,
    /// Serve the OKE workload-identity token endpoint (TLS on `127.0.0.N:12250`).
    pub oke: bool,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            data_dir: PathBuf::from("oci-identity-mock-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            users: 1,
            domains: 1,
            token_limit: 2,
            latency_ms: 0,
            fault_rate: 0.0,
            list_lag_ms: 0,
            activation_ms: 0,
            seed: 0,
            rate_limit: 0,
            session_ttl_s: 3600,
            oke: false,
        }
    }
}

/// Errors starting the mock.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("invalid option: {0}")]
    Options(String),
    #[error("I/O error: {0}")]
    Io(String),
    #[error("invalid state: {0}")]
    State(String),
    #[error("key generation failed: {0}")]
    Key(String),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}
