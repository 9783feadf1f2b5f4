//! The listeners and the assembly of the APIs served on them: [`router`] merges the classic
//! Identity API (with its identity domains) and the admin API (plus any extra routers, see
//! [`start_with`]) on the main listener; every identity domain gets a listener of its own with
//! its SCIM API and its OAuth token endpoint (`apis::oauth`). [`start`] binds, serves over abortable listeners (`conn`) and returns a
//! [`MockServer`].

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use serde::Serialize;

use crate::conn::{self, ConnHandle};
use crate::state::{lock, MockState};
use crate::{apis, MockError, MockOptions};

/// The axum router serving the API and the admin endpoints. Serve it with
/// `into_make_service_with_connect_info::<ConnHandle>()` over [`start`]'s listener for dropped
/// connections to work; without it a "drop" fault answers with an empty status 444.
pub fn router(state: MockState) -> Router {
    apis::identity::router(&state)
        .merge(apis::domains::router(&state))
        .merge(apis::imds::router(&state))
        .merge(apis::auth_service::router(&state))
        .merge(apis::admin::router(&state))
}

/// An identity domain served by the mock (also in the ready line's `identity_domains`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainInfo {
    /// The domain URL, a bare origin `http://127.0.0.1:PORT` (its own listener).
    pub idcs_endpoint: String,
    pub domain_ocid: String,
    /// `Default` for the first.
    pub display_name: String,
    pub users: Vec<DomainUser>,
}

/// A user of an identity domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainUser {
    /// The SCIM id (`user.value`).
    pub id: String,
    /// The user's OCID (`user.ocid`; for the Default domain, the IAM user's).
    pub ocid: String,
    pub user_name: String,
}

/// A running mock server.
pub struct MockServer {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// The OCI config file with one profile per user.
    pub config_file: std::path::PathBuf,
    pub tenancy_ocid: String,
    pub user_ocids: Vec<String>,
    /// The identity domains, the tenancy's Default domain first.
    pub identity_domains: Vec<DomainInfo>,
    state: MockState,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
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
    let oke = opts.oke;
    let state = tokio::task::spawn_blocking(move || MockState::open(&opts))
        .await
        .map_err(|e| MockError::State(format!("initialisation task failed: {e}")))??;
    let app = router(state.clone()).merge(extra(&state));
    let (tx, rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let mut tasks = Vec::new();
    // Bind everything before serving anything, so that a failure leaves nothing running.
    let main_listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| MockError::Bind(listen, e))?;
    let domains = lock(&state.inner.store).domains().len();
    let mut domain_listeners = Vec::new();
    for _ in 0..domains {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = tokio::net::TcpListener::bind(any)
            .await
            .map_err(|e| MockError::Bind(any, e))?;
        let addr = listener.local_addr().map_err(|e| MockError::Bind(any, e))?;
        domain_listeners.push((listener, format!("http://{addr}")));
    }
    let oke_listener = if oke {
        Some(apis::oke::bind(&state).await?)
    } else {
        None
    };
    *lock(&state.inner.domain_urls) = domain_listeners.iter().map(|(_, u)| u.clone()).collect();
    for (index, (listener, url)) in domain_listeners.into_iter().enumerate() {
        let ctx = apis::scim::DomainCtx {
            index,
            base: url.into(),
        };
        let app = apis::scim::router(&state, ctx).merge(apis::oauth::router(&state, index));
        let (_, task) = serve_on(listener, app, stopped(rx.clone()))?;
        tasks.push(task);
    }
    if let Some(listener) = oke_listener {
        let app = apis::oke::router(&state).into_make_service();
        let shutdown = stopped(rx.clone());
        tasks.push(tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(shutdown);
            if let Err(e) = serve.await {
                tracing::error!("OKE endpoint failed: {e}");
            }
        }));
    }
    let (addr, task) = serve_on(main_listener, app, stopped(rx))?;
    tasks.push(task);
    let identity_domains = domain_infos(&state);
    Ok(MockServer {
        endpoint: format!("http://{addr}"),
        config_file: state.config_file(),
        tenancy_ocid: state.tenancy_ocid(),
        user_ocids: state.user_ocids(),
        identity_domains,
        state,
        shutdown: Some(tx),
        tasks,
    })
}

/// The `env` object of a ready-line block as (name, value) pairs.
pub fn env_pairs(block: &serde_json::Value) -> Vec<(String, String)> {
    block["env"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn domain_infos(state: &MockState) -> Vec<DomainInfo> {
    let urls = lock(&state.inner.domain_urls).clone();
    let store = lock(&state.inner.store);
    store
        .domains()
        .iter()
        .enumerate()
        .map(|(i, d)| DomainInfo {
            idcs_endpoint: urls.get(i).cloned().unwrap_or_default(),
            domain_ocid: d.ocid.clone(),
            display_name: d.display_name.clone(),
            users: store
                .domain_users(i)
                .into_iter()
                .map(|u| DomainUser {
                    id: u.id,
                    ocid: u.ocid,
                    user_name: u.user_name,
                })
                .collect(),
        })
        .collect()
}

/// Serves `app` (the merged routers of the APIs on that listener) on a bound listener over an
/// abortable listener, with `ConnectInfo<ConnHandle>` for dropped-connection faults, until
/// `shutdown` completes. Returns the bound address.
pub(crate) fn serve_on(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), MockError> {
    let addr = listener
        .local_addr()
        .map_err(|e| MockError::Bind(SocketAddr::from(([127, 0, 0, 1], 0)), e))?;
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
        let domains = serde_json::to_string(&self.identity_domains).unwrap_or_else(|_| "[]".into());
        let mut platform = format!(
            ", \"instance_principal\": {}, \"resource_principal\": {}, \"resource_principal_1_1\": {}, \"resource_principal_3_0\": {}, \"workload_identity_federation\": {}",
            self.instance_principal(),
            self.resource_principal(),
            self.resource_principal_1_1(),
            self.resource_principal_3_0(),
            self.workload_identity_federation()
        );
        if let Some(oke) = self.oke_workload_identity() {
            platform.push_str(&format!(", \"oke_workload_identity\": {oke}"));
        }
        format!(
            "{{\"endpoint\": {}, \"config_file\": {}, \"tenancy_ocid\": {}, \"user_ocids\": [{}], \"identity_domains\": {}{platform}}}",
            s(&self.endpoint),
            s(&self.config_file.to_string_lossy()),
            s(&self.tenancy_ocid),
            users.join(", "),
            domains
        )
    }

    /// The ready line's `instance_principal`: `{"env": {OCI_METADATA_BASE_URL,
    /// OCI_SDK_AUTH_CLIENT_REGION_URL}, "instance_ocid", "tenancy_ocid", "region"}`.
    pub fn instance_principal(&self) -> serde_json::Value {
        let p = self.state.platform();
        serde_json::json!({
            "env": {
                "OCI_METADATA_BASE_URL": format!("{}{}", self.endpoint, apis::imds::IMDS_BASE_PATH),
                "OCI_SDK_AUTH_CLIENT_REGION_URL": self.endpoint,
            },
            "instance_ocid": p.instance_ocid,
            "tenancy_ocid": p.tenancy,
            "region": p.region,
        })
    }

    /// The ready line's `resource_principal`: `{"env": {OCI_RESOURCE_PRINCIPAL_VERSION,
    /// OCI_RESOURCE_PRINCIPAL_RPST, OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM,
    /// OCI_RESOURCE_PRINCIPAL_REGION}, "resource_ocid", "private_pem_encrypted",
    /// "private_pem_passphrase"}` (paths only: the encrypted key and its pass phrase are the
    /// alternative to `private.pem`).
    pub fn resource_principal(&self) -> serde_json::Value {
        let p = self.state.platform();
        let f = p.rp_files();
        serde_json::json!({
            "env": {
                "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
                "OCI_RESOURCE_PRINCIPAL_RPST": f.rpst,
                "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": f.private_pem,
                "OCI_RESOURCE_PRINCIPAL_REGION": p.region,
            },
            "resource_ocid": p.resource_ocid,
            "private_pem_encrypted": f.private_encrypted_pem,
            "private_pem_passphrase": f.passphrase,
        })
    }

    /// The ready line's `resource_principal_1_1`: `{"env": {OCI_RESOURCE_PRINCIPAL_VERSION=1.1,
    /// OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT, OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT,
    /// OCI_RESOURCE_PRINCIPAL_REGION, OCI_METADATA_BASE_URL, OCI_SDK_AUTH_CLIENT_REGION_URL},
    /// "resource_ocid"}`: the instance (whose principal signs both calls) and the two token
    /// endpoints, all on the main listener.
    pub fn resource_principal_1_1(&self) -> serde_json::Value {
        let p = self.state.platform();
        serde_json::json!({
            "env": {
                "OCI_RESOURCE_PRINCIPAL_VERSION": "1.1",
                "OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT": self.endpoint,
                "OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT": self.endpoint,
                "OCI_RESOURCE_PRINCIPAL_REGION": p.region,
                "OCI_METADATA_BASE_URL": format!("{}{}", self.endpoint, apis::imds::IMDS_BASE_PATH),
                "OCI_SDK_AUTH_CLIENT_REGION_URL": self.endpoint,
            },
            "resource_ocid": p.resource_ocid,
        })
    }

    /// The ready line's `resource_principal_3_0`: `{"env": {OCI_RESOURCE_PRINCIPAL_VERSION=3.0,
    /// OCI_RESOURCE_PRINCIPAL_VERSION_FOR_LEAF_RESOURCE=2.2,
    /// OCI_RESOURCE_PRINCIPAL_RPST_FOR_LEAF_RESOURCE, OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_FOR_LEAF_RESOURCE
    /// (the 2.2 pair's files), OCI_RESOURCE_PRINCIPAL_REGION_FOR_LEAF_RESOURCE,
    /// OCI_RESOURCE_PRINCIPAL_RPT_URL_FOR_PARENT_RESOURCE (the first parent's token URL),
    /// OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT_FOR_PARENT_RESOURCE}, "leaf_ocid", "parent_ocids"}`.
    pub fn resource_principal_3_0(&self) -> serde_json::Value {
        let p = self.state.platform();
        let f = p.rp_files();
        serde_json::json!({
            "env": {
                "OCI_RESOURCE_PRINCIPAL_VERSION": "3.0",
                "OCI_RESOURCE_PRINCIPAL_VERSION_FOR_LEAF_RESOURCE": "2.2",
                "OCI_RESOURCE_PRINCIPAL_RPST_FOR_LEAF_RESOURCE": f.rpst,
                "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_FOR_LEAF_RESOURCE": f.private_pem,
                "OCI_RESOURCE_PRINCIPAL_REGION_FOR_LEAF_RESOURCE": p.region,
                "OCI_RESOURCE_PRINCIPAL_RPT_URL_FOR_PARENT_RESOURCE": format!(
                    "{}/20180711/resourcePrincipalToken/{}",
                    self.endpoint, p.parent_ocids[0]
                ),
                "OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT_FOR_PARENT_RESOURCE": self.endpoint,
            },
            "leaf_ocid": p.resource_ocid,
            "parent_ocids": p.parent_ocids,
        })
    }

    /// The environment of a resource principal 3.0 (`resource_principal_3_0.env`).
    pub fn resource_principal_3_0_env(&self) -> Vec<(String, String)> {
        env_pairs(&self.resource_principal_3_0())
    }

    /// The ready line's `workload_identity_federation`: `{"workload_identity_token_path",
    /// "untrusted_workload_identity_token_path", "region", "domains": [{"domain_url",
    /// "client_id_path", "client_secret_path"}]}` (one confidential OAuth app per identity
    /// domain, in the order of `identity_domains`; paths only, never the secrets).
    pub fn workload_identity_federation(&self) -> serde_json::Value {
        let p = self.state.platform();
        let urls = lock(&self.state.inner.domain_urls).clone();
        let files = p.wif_files();
        let domains: Vec<serde_json::Value> = p
            .wif_clients()
            .iter()
            .zip(&urls)
            .map(|(c, url)| {
                serde_json::json!({
                    "domain_url": url,
                    "client_id_path": c.id_file,
                    "client_secret_path": c.secret_file,
                })
            })
            .collect();
        serde_json::json!({
            "workload_identity_token_path": files.token,
            "untrusted_workload_identity_token_path": files.untrusted_token,
            "region": p.region,
            "domains": domains,
        })
    }

    /// The environment of a resource principal 1.1 (`resource_principal_1_1.env`).
    pub fn resource_principal_1_1_env(&self) -> Vec<(String, String)> {
        env_pairs(&self.resource_principal_1_1())
    }

    /// The ready line's `oke_workload_identity` (with `--oke` only): `{"env":
    /// {KUBERNETES_SERVICE_HOST, OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH,
    /// OCI_RESOURCE_PRINCIPAL_VERSION, OCI_RESOURCE_PRINCIPAL_REGION},
    /// "service_account_token_path", "forbidden_service_account_token_path"}`.
    pub fn oke_workload_identity(&self) -> Option<serde_json::Value> {
        let p = self.state.platform();
        let oke = p.oke()?;
        let forbidden = oke.token_file.with_file_name("token-forbidden");
        Some(serde_json::json!({
            "env": {
                "KUBERNETES_SERVICE_HOST": oke.host,
                "OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH": oke.ca_file,
                "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
                "OCI_RESOURCE_PRINCIPAL_REGION": p.region,
            },
            "service_account_token_path": oke.token_file,
            "forbidden_service_account_token_path": forbidden,
        }))
    }

    /// The environment a client exports to be the mock's instance (`instance_principal.env`).
    pub fn instance_principal_env(&self) -> Vec<(String, String)> {
        env_pairs(&self.instance_principal())
    }

    /// The environment of the resource principal 2.2 pair (`resource_principal.env`).
    pub fn resource_principal_env(&self) -> Vec<(String, String)> {
        env_pairs(&self.resource_principal())
    }

    /// The environment of an OKE pod (`oke_workload_identity.env`), with `--oke` only.
    pub fn oke_workload_identity_env(&self) -> Option<Vec<(String, String)>> {
        self.oke_workload_identity().map(|v| env_pairs(&v))
    }

    /// The shared state (for in-process tests: queue faults, read stats).
    pub fn state(&self) -> MockState {
        self.state.clone()
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s) and returns.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        for mut task in std::mem::take(&mut self.tasks) {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                let _ = task.await;
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}
