//! The OKE workload-identity token endpoint (`--oke`): `POST /resourcePrincipalSessionTokens`
//! on `https://127.0.0.N:12250` (the first free N in 2..=254: the port is fixed by the
//! clients), TLS with a certificate for the IP issued by a CA of the mock's own
//! (`DIR/oke/ca.crt`, new at every start).
//!
//! Request: `Authorization: Bearer <service-account token>` (the mock's tokens are JWTs, as
//! Kubernetes' are: the Python SDK decodes them), JSON `{"podKey": "<session public
//! key, SPKI PEM body>"}`. The token must be one the mock accepts: `DIR/oke/token` (200),
//! `DIR/oke/token-forbidden` (403, as a cluster that is not enhanced or a service account
//! bound to no policy), anything else or none 401. 200 body: a JSON string holding base64 of
//! `{"token": "ST$<jwt>"}` (a resource principal session token bound to `podKey`).

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use axum::serve::Listener;
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

use super::{raw_json_response, Api};
use crate::middleware::{ApiError, OciErrors, MAX_BODY};
use crate::platform::OkeInfo;
use crate::state::{lock, write_atomic, MockState};
use crate::MockError;

/// The port OKE's proxy listens on (fixed in the SDKs).
pub const OKE_PORT: u16 = 12250;

pub(crate) fn router(state: &MockState) -> Router {
    Api::new(state, OciErrors)
        .platform(
            Method::POST,
            "/resourcePrincipalSessionTokens",
            "OkeResourcePrincipalSessionToken",
            exchange,
        )
        .with_fallback()
        .into_router()
}

async fn exchange(State(state): State<MockState>, req: Request) -> Result<Response, ApiError> {
    lock(&state.inner.stats).federation("oke");
    let (parts, body) = req.into_parts();
    let p = state.platform();
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("Bearer "))
        .map(str::trim);
    match token {
        Some(t) if p.oke_tokens.first().is_some_and(|ok| ok == t) => {}
        Some(t) if p.oke_tokens.get(1).is_some_and(|ok| ok == t) => {
            lock(&state.inner.stats).auth_failure();
            return Err(ApiError::new(
                403,
                "NotAuthorizedOrNotFound",
                "The service account is not authorized: the cluster is not an enhanced cluster or no policy grants the workload access.",
            ));
        }
        _ => {
            lock(&state.inner.stats).auth_failure();
            return Err(ApiError::new(
                401,
                "NotAuthenticated",
                "The service account token is missing or invalid.",
            ));
        }
    }
    let body = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::cannot_parse("the request body could not be read"))?;
    let parsed: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::cannot_parse("the request body is not valid JSON"))?;
    let pod_key = parsed
        .get("podKey")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::new(400, "InvalidParameter", "podKey is required."))?;
    let clean: String = crate::platform::pem_body(pod_key)
        .split_whitespace()
        .collect();
    let spki = base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|_| ApiError::new(400, "InvalidParameter", "podKey is not a public key."))?;
    let jwt = p
        .mint(&p.resource_ocid, "resource", &spki)
        .map_err(|e| ApiError::new(400, "InvalidParameter", e))?;
    let inner = json!({ "token": format!("ST${jwt}") }).to_string();
    let encoded = base64::engine::general_purpose::STANDARD.encode(inner);
    Ok(raw_json_response(
        StatusCode::OK,
        Value::String(encoded).to_string(),
    ))
}

/// Binds `127.0.0.N:12250` for the first free N, writes the CA, the server certificate's
/// trust and the accepted tokens into `DIR/oke/`, and returns the TLS listener.
pub(crate) async fn bind(state: &MockState) -> Result<TlsListener, MockError> {
    let mut bound = None;
    let mut last_err = None;
    for n in 2..=254u8 {
        let addr = SocketAddr::from((Ipv4Addr::new(127, 0, 0, n), OKE_PORT));
        match TcpListener::bind(addr).await {
            Ok(l) => {
                bound = Some((l, addr));
                break;
            }
            Err(e) => last_err = Some((addr, e)),
        }
    }
    let Some((listener, addr)) = bound else {
        let (addr, e) = last_err.unwrap_or_else(|| {
            (
                SocketAddr::from(([127, 0, 0, 2], OKE_PORT)),
                io::Error::other("no address tried"),
            )
        });
        return Err(MockError::Bind(addr, e));
    };
    let host = addr.ip().to_string();
    let key_err = |what: &str, e: &dyn std::fmt::Debug| MockError::Key(format!("{what}: {e:?}"));
    let ca_key = rcgen::KeyPair::generate().map_err(|e| key_err("OKE CA key", &e))?;
    let mut ca =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| key_err("OKE CA", &e))?;
    ca.distinguished_name = rcgen::DistinguishedName::new();
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "oci-identity-mock OKE CA");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).map_err(|e| key_err("OKE CA", &e))?;
    let issuer = rcgen::Issuer::new(ca, &ca_key);
    let leaf_key = rcgen::KeyPair::generate().map_err(|e| key_err("OKE key", &e))?;
    let mut leaf = rcgen::CertificateParams::new(vec![host.clone()])
        .map_err(|e| key_err("OKE certificate", &e))?;
    leaf.distinguished_name = rcgen::DistinguishedName::new();
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, host.as_str());
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .map_err(|e| key_err("OKE certificate", &e))?;

    let p = state.platform();
    let dir = p.dir().join("oke");
    std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    let ca_file = dir.join("ca.crt");
    let token_file = dir.join("token");
    let forbidden_file = dir.join("token-forbidden");
    let write = |path: &Path, text: &str, mode: u32| {
        write_atomic(path, text.as_bytes(), mode).map_err(|e| io_err(path, e))
    };
    write(&ca_file, &ca_cert.pem(), 0o644)?;
    write(&token_file, &p.oke_tokens[0], 0o600)?;
    write(&forbidden_file, &p.oke_tokens[1], 0o600)?;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| key_err("TLS versions", &e))?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
                leaf_key.serialize_der(),
            )),
        )
        .map_err(|e| key_err("TLS configuration", &e))?;
    *lock(&p.oke) = Some(OkeInfo {
        host,
        port: OKE_PORT,
        ca_file,
        token_file,
    });
    Ok(TlsListener::new(
        listener,
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    ))
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> MockError {
    MockError::Io(format!("{}: {e}", path.display()))
}

/// A TLS listener: a task accepts TCP connections and completes each handshake in a task of
/// its own (10 s limit), so a slow or failed handshake never blocks the others.
pub(crate) struct TlsListener {
    addr: SocketAddr,
    rx: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    fn new(listener: TcpListener, acceptor: tokio_rustls::TlsAcceptor) -> TlsListener {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], OKE_PORT)));
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let task = tokio::spawn(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::debug!("OKE accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let hs = tokio::time::timeout(
                        std::time::Duration::from_secs(10),
                        acceptor.accept(stream),
                    )
                    .await;
                    match hs {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!("OKE TLS handshake with {peer} failed: {e}"),
                        Err(_) => tracing::debug!("OKE TLS handshake with {peer} timed out"),
                    }
                });
            }
        });
        TlsListener { addr, rx, task }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(x) => x,
            // The accept task ended (only when aborted): wait for the shutdown.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}
