//! The listener and the assembly of the APIs served on it: [`router`] merges the classic
//! Identity API and the admin API (plus any extra routers, see [`start_with`]); [`start`] binds,
//! serves over an abortable listener (`conn`) and returns a [`MockServer`].

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;

use crate::conn::{self, ConnHandle};
use crate::state::MockState;
use crate::{apis, MockError, MockOptions};

/// The axum router serving the API and the admin endpoints. Serve it with
/// `into_make_service_with_connect_info::<ConnHandle>()` over [`start`]'s listener for dropped
/// connections to work; without it a "drop" fault answers with an empty status 444.
pub fn router(state: MockState) -> Router {
    apis::identity::router(&state).merge(apis::admin::router(&state))
}

/// A running mock server.
pub struct MockServer {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// The OCI config file with one profile per user.
    pub config_file: std::path::PathBuf,
    pub tenancy_ocid: String,
    pub user_ocids: Vec<String>,
    state: MockState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Opens the data directory, binds, spawns the server task and returns once it accepts requests.
pub async fn start(opts: MockOptions) -> Result<MockServer, MockError> {
    start_with(opts, |_| Router::new()).await
}

/// Like [`start`], with the router `extra` builds served beside the built-in APIs on the same
/// listener (e.g. an [`apis::Api`] of its own; its paths must not collide with theirs, and it
/// must not have a fallback: unmatched paths get the classic API's 404).
pub async fn start_with(
    opts: MockOptions,
    extra: impl FnOnce(&MockState) -> Router,
) -> Result<MockServer, MockError> {
    let listen = opts.listen;
    let state = tokio::task::spawn_blocking(move || MockState::open(&opts))
        .await
        .map_err(|e| MockError::State(format!("initialisation task failed: {e}")))??;
    let app = router(state.clone()).merge(extra(&state));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr, task) = serve(listen, app, async {
        let _ = rx.await;
    })
    .await?;
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

/// Binds `listen` and serves `app` (the merged routers of the APIs on that listener) over an
/// abortable listener, with `ConnectInfo<ConnHandle>` for dropped-connection faults, until
/// `shutdown` completes. Returns the bound address once it accepts connections.
pub(crate) async fn serve(
    listen: SocketAddr,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), MockError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| MockError::Bind(listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| MockError::Bind(listen, e))?;
    let app = app.into_make_service_with_connect_info::<ConnHandle>();
    let task = tokio::spawn(async move {
        let serve =
            axum::serve(conn::AbortableListener(listener), app).with_graceful_shutdown(shutdown);
        if let Err(e) = serve.await {
            tracing::error!("mock server failed on {addr}: {e}");
        }
    });
    Ok((addr, task))
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
