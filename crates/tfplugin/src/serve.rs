//! Running a provider as a go-plugin server: listener, optional mTLS, the tfplugin6,
//! health, controller and stdio services, the handshake line, and prompt shutdown.

use std::io::{self, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, Notify};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::framework::Provider;
use super::handshake::{self, Listener};
use super::proto::plugin as gp;
use super::routes::GrpcRoutes;
use super::server::{wrap, ProviderService, RegistrationError};
use super::tls;

pub struct ServeOptions {
    /// The provider's source address, e.g. `registry.terraform.io/hashicorp/example`.
    pub provider_address: String,
    /// The program's name (`terraform-provider-<name>`), shown when it is run by hand and in
    /// its TLS certificate.
    pub program_name: String,
    /// Serve without handshake or TLS and print a `TF_REATTACH_PROVIDERS` line instead.
    pub debug: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{}", handshake::not_started_by_terraform(.program))]
    NotStartedByTerraform { program: String },
    #[error(transparent)]
    ProtocolVersion(#[from] handshake::VersionMismatch),
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    #[error("cannot listen: {0}")]
    Listen(io::Error),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Any accepted connection, plain or TLS, unix or TCP.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

struct Conn(Box<dyn Io>);

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_shutdown(cx)
    }
}

/// Accepts connections, completes TLS handshakes where configured, and hands them to tonic.
/// A client that fails the TLS handshake (for instance without Terraform's certificate) is
/// dropped and never reaches a service.
fn accept_loop(
    listener: Arc<Listener>,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted: io::Result<Box<dyn Io>> = match &*listener {
                Listener::Unix { listener, .. } => listener
                    .accept()
                    .await
                    .map(|(s, _)| Box::new(s) as Box<dyn Io>),
                Listener::Tcp(l) => l.accept().await.map(|(s, _)| Box::new(s) as Box<dyn Io>),
            };
            let stream = match accepted {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            match &tls {
                None => {
                    if tx.send(Ok(Conn(stream))).await.is_err() {
                        return;
                    }
                }
                Some(config) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(tls_stream)) => {
                                let _ = tx.send(Ok(Conn(Box::new(tls::TlsConn(tls_stream))))).await;
                            }
                            Ok(Err(e)) => tracing::warn!(error = %e, "TLS handshake refused"),
                            Err(_) => tracing::warn!("TLS handshake timed out"),
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

/// go-plugin's controller: `Shutdown` asks the process to exit.
struct Controller {
    shutdown: Arc<Notify>,
    ignore: bool,
}

#[tonic::async_trait]
impl gp::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _req: Request<gp::Empty>) -> Result<Response<gp::Empty>, Status> {
        if !self.ignore {
            tracing::debug!("shutdown requested by Terraform");
            self.shutdown.notify_one();
        }
        Ok(Response::new(gp::Empty {}))
    }
}

type StdioStream = Pin<Box<dyn futures_util::Stream<Item = Result<gp::StdioData, Status>> + Send>>;

/// go-plugin's stdio stream. We never write to stdout after the handshake, so the stream
/// stays open and silent until the server stops.
struct Stdio {
    closed: Arc<Notify>,
}

#[tonic::async_trait]
impl gp::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(&self, _req: Request<()>) -> Result<Response<StdioStream>, Status> {
        let closed = self.closed.clone();
        let stream = async_stream::stream! {
            closed.notified().await;
            if false {
                yield Ok(gp::StdioData::default());
            }
        };
        Ok(Response::new(Box::pin(stream)))
    }
}

/// Serves `provider` until Terraform shuts it down. Returns when the process should exit.
pub async fn serve<P: Provider>(provider: P, opts: ServeOptions) -> Result<(), ServeError> {
    let started = std::time::Instant::now();
    let env = |k: &str| std::env::var(k).ok();
    if !opts.debug && !handshake::cookie_present(env) {
        return Err(ServeError::NotStartedByTerraform {
            program: opts.program_name,
        });
    }
    // Everything that can fail before Terraform hears from us fails here, with a message on
    // stderr (printed by the caller) and no handshake line.
    let version = if opts.debug {
        handshake::APP_PROTOCOL_VERSION
    } else {
        handshake::negotiate_version(env("PLUGIN_PROTOCOL_VERSIONS").as_deref())?
    };
    let service = ProviderService::try_new(provider)?;
    let on_shutdown = service.on_shutdown();
    let provider_service = wrap(service);
    let listener = Arc::new(handshake::listen(env).map_err(ServeError::Listen)?);

    let client_cert = env("PLUGIN_CLIENT_CERT").filter(|c| !c.trim().is_empty() && !opts.debug);
    let (tls_config, server_cert) = match client_cert {
        Some(pem) => {
            let identity = tls::generate_server_identity(&opts.program_name)?;
            let config = tls::server_config(&identity, tls::parse_client_cert(&pem)?)?;
            (Some(config), Some(identity.cert_der.to_vec()))
        }
        None => (None, None),
    };

    let shutdown = Arc::new(Notify::new());
    let stdio_closed = Arc::new(Notify::new());
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let routes = GrpcRoutes::new()
        .add(health_service)
        .add(gp::grpc_controller_server::GrpcControllerServer::new(
            Controller {
                shutdown: shutdown.clone(),
                ignore: opts.debug,
            },
        ))
        .add(gp::grpc_stdio_server::GrpcStdioServer::new(Stdio {
            closed: stdio_closed.clone(),
        }))
        .add(provider_service);

    let incoming = accept_loop(listener.clone(), tls_config);

    if opts.debug {
        let reattach = handshake::reattach_config(&opts.provider_address, &listener);
        println!("Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n");
    } else {
        let line = handshake::handshake_line(version, &listener, server_cert.as_deref());
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    tracing::debug!(
        setup_ms = started.elapsed().as_secs_f64() * 1000.0,
        "serving: handshake written"
    );

    let stop_signal = {
        let shutdown = shutdown.clone();
        let debug = opts.debug;
        async move {
            wait_for_stop(shutdown, debug).await;
        }
    };
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .serve_with_incoming_shutdown(routes, incoming, async move {
                let _ = done_rx.await;
            })
            .await
    });
    stop_signal.await;
    // Ephemeral instances Terraform never closed would outlive the run: close them, within
    // Terraform's 2 s kill timeout.
    if tokio::time::timeout(Duration::from_millis(1200), on_shutdown)
        .await
        .is_err()
    {
        tracing::warn!("closing ephemeral resources at shutdown timed out");
    }
    stdio_closed.notify_waiters();
    let _ = done_tx.send(());
    // Give in-flight responses (such as the Shutdown reply) a moment, but never make
    // Terraform wait for its 2 s kill timeout.
    if let Ok(Ok(Err(e))) = tokio::time::timeout(Duration::from_millis(500), server).await {
        return Err(e.into());
    }
    // The accept loop may still hold the listener; the process exits next, so remove the
    // socket now rather than on drop.
    listener.cleanup();
    tracing::debug!(
        uptime_ms = started.elapsed().as_secs_f64() * 1000.0,
        cpu_ms = process_cpu_ms().unwrap_or(-1.0),
        "provider process exiting"
    );
    Ok(())
}

/// CPU time (user and system) of this process's live threads so far, in ms, from Linux's
/// per-thread `schedstat` (nanoseconds; `None` elsewhere). The runtime's threads live as long
/// as the process, so at exit this is the process's CPU time.
fn process_cpu_ms() -> Option<f64> {
    let mut ns: u64 = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path().join("schedstat");
        let text = std::fs::read_to_string(path).ok()?;
        ns += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 / 1e6)
}

/// Waits for the controller's Shutdown or SIGTERM. SIGINT is ignored outside debug mode:
/// Terraform shares our process group and sends StopProvider instead.
async fn wait_for_stop(shutdown: Arc<Notify>, debug: bool) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    loop {
        tokio::select! {
            _ = shutdown.notified() => return,
            Some(_) = async { match term.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => return,
            Some(_) = async { match int.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => {
                if debug {
                    return;
                }
                tracing::debug!("ignoring SIGINT; Terraform stops work with StopProvider");
            }
        }
    }
}
