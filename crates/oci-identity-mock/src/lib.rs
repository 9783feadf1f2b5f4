//! A mock of the OCI Identity auth-token API (`/20160918/users/{userId}/authTokens`).
//!
//! It creates a tenancy, users with RSA API keys and an OCI config file in a data directory,
//! verifies every request's signature, enforces the per-user token limit, honours
//! `opc-retry-token` and `if-match`, simulates list lag and injects faults. State persists in
//! `DIR/state.json`. Unsigned admin endpoints live under `/_mock/` (stats, faults, reset-stats).
//!
//! Layout: [`state`] (persistence), [`auth`] (signature verification), `api` (handlers),
//! [`faults`], [`stats`], `conn` (abortable connections), [`logging`] (stderr logs for the binary).

mod api;
pub mod auth;
mod conn;
pub mod faults;
mod ids;
pub mod keys;
pub mod logging;
mod state;
pub mod stats;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;

pub use api::{BASE_PATH, MAX_DESCRIPTION_CHARS};
pub use conn::ConnHandle;
pub use faults::Fault;
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
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            data_dir: PathBuf::from("oci-identity-mock-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            users: 1,
            token_limit: 2,
            latency_ms: 0,
            fault_rate: 0.0,
            list_lag_ms: 0,
            activation_ms: 0,
            seed: 0,
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

pub(crate) struct Shared {
    pub(crate) store: Mutex<state::Store>,
    pub(crate) stats: Mutex<stats::Stats>,
    pub(crate) faults: Mutex<faults::Faults>,
    pub(crate) token_limit: usize,
    pub(crate) latency: Duration,
    pub(crate) list_lag: chrono::Duration,
    pub(crate) activation: chrono::Duration,
}

/// The shared state behind a mock server (cheap to clone).
#[derive(Clone)]
pub struct MockState {
    pub(crate) inner: Arc<Shared>,
}

impl MockState {
    /// Opens (or initialises) the data directory. Blocking: may generate RSA keys.
    pub fn open(opts: &MockOptions) -> Result<MockState, MockError> {
        if !opts.fault_rate.is_finite() || !(0.0..=1.0).contains(&opts.fault_rate) {
            return Err(MockError::Options(format!(
                "fault rate must be between 0 and 1, got {}",
                opts.fault_rate
            )));
        }
        let store = state::Store::open(&opts.data_dir, opts.users)?;
        Ok(MockState {
            inner: Arc::new(Shared {
                store: Mutex::new(store),
                stats: Mutex::new(stats::Stats::default()),
                faults: Mutex::new(faults::Faults::new(opts.fault_rate, opts.seed)),
                token_limit: opts.token_limit,
                latency: Duration::from_millis(opts.latency_ms),
                list_lag: chrono::Duration::milliseconds(
                    i64::try_from(opts.list_lag_ms).unwrap_or(i64::MAX / 1_000_000),
                ),
                activation: chrono::Duration::milliseconds(
                    i64::try_from(opts.activation_ms).unwrap_or(i64::MAX / 1_000_000),
                ),
            }),
        })
    }

    pub fn config_file(&self) -> PathBuf {
        api::lock(&self.inner.store).config_file()
    }

    pub fn tenancy_ocid(&self) -> String {
        api::lock(&self.inner.store).tenancy_ocid().to_string()
    }

    pub fn user_ocids(&self) -> Vec<String> {
        api::lock(&self.inner.store).user_ocids()
    }

    /// Queues faults for the next API requests (same as `POST /_mock/faults`).
    pub fn queue_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        api::lock(&self.inner.faults).enqueue(faults);
    }

    /// Sets the random fault rate (clamped to 0..=1).
    pub fn set_fault_rate(&self, rate: f64) {
        api::lock(&self.inner.faults).set_rate(rate);
    }

    /// The same JSON as `GET /_mock/stats`.
    pub fn stats_json(&self) -> serde_json::Value {
        let live = api::lock(&self.inner.store).live_tokens();
        api::lock(&self.inner.stats).to_json(live)
    }
}

/// The axum router serving the API and the admin endpoints. Serve it with
/// `into_make_service_with_connect_info::<ConnHandle>()` over [`start`]'s listener for dropped
/// connections to work; without it a "drop" fault answers with an empty status 444.
pub fn router(state: MockState) -> Router {
    Router::new().fallback(api::dispatch).with_state(state)
}

/// A running mock server.
pub struct MockServer {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// The OCI config file with one profile per user.
    pub config_file: PathBuf,
    pub tenancy_ocid: String,
    pub user_ocids: Vec<String>,
    state: MockState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Opens the data directory, binds, spawns the server task and returns once it accepts requests.
pub async fn start(opts: MockOptions) -> Result<MockServer, MockError> {
    let listen = opts.listen;
    let state = tokio::task::spawn_blocking(move || MockState::open(&opts))
        .await
        .map_err(|e| MockError::State(format!("initialisation task failed: {e}")))??;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| MockError::Bind(listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| MockError::Bind(listen, e))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(state.clone()).into_make_service_with_connect_info::<ConnHandle>();
    let task = tokio::spawn(async move {
        let serve =
            axum::serve(conn::AbortableListener(listener), app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
        if let Err(e) = serve.await {
            tracing::error!("mock server failed: {e}");
        }
    });
    Ok(MockServer {
        endpoint: format!("http://{addr}"),
        config_file: state.config_file(),
        tenancy_ocid: state.tenancy_ocid(),
        user_ocids: state.user_ocids(),
        state,
        shutdown: Some(tx),
        task: Some(task),
    })
}

impl MockServer {
    /// The single JSON line the binary prints when ready.
    pub fn ready_line(&self) -> String {
        let s = |v: &str| serde_json::Value::String(v.to_string()).to_string();
        let users: Vec<String> = self.user_ocids.iter().map(|u| s(u)).collect();
        format!(
            "{{\"endpoint\": {}, \"config_file\": {}, \"tenancy_ocid\": {}, \"user_ocids\": [{}]}}",
            s(&self.endpoint),
            s(&self.config_file.to_string_lossy()),
            s(&self.tenancy_ocid),
            users.join(", ")
        )
    }

    /// The shared state (for in-process tests: queue faults, read stats).
    pub fn state(&self) -> MockState {
        self.state.clone()
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s) and returns.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
                let _ = task.await;
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
