//! TLS of the API clients, with the platform's root certificates loaded off the critical path.
//!
//! Loading the system store parses every certificate in it (about 4 ms here), and reqwest's own
//! TLS set-up does that while the client is built, inside `ConfigureProvider`. Here a background
//! thread starts loading them when the client is built, and a handshake waits for them only when
//! it verifies the server's certificate: after DNS, the TCP connect and the server's first
//! flight. Plain-HTTP endpoints (a local mock, a proxy) never wait. Everything else is rustls's
//! usual verification: the platform verifier for the chain and the host name, the crypto
//! provider's algorithms for the handshake signatures, TLS 1.2 and 1.3, ALPN `h2` then
//! `http/1.1`.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

type Loaded = Result<rustls_platform_verifier::Verifier, rustls::Error>;

/// The client configuration: the platform's roots plus `extra_roots` (tests add theirs).
pub(crate) fn client_config(
    extra_roots: Vec<CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, String> {
    // A process-wide provider if one is installed (as reqwest does), aws-lc-rs otherwise.
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = LazyRoots::start(provider.clone(), extra_roots);
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous() // a custom verifier; it verifies exactly as the platform verifier does
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // reqwest leaves ALPN to a preconfigured config: both, as its default builder offers
    // (an HTTP/1-only client would have to drop `h2` here).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The platform verifier, built on a background thread from the moment the client is.
#[derive(Debug)]
struct LazyRoots {
    provider: Arc<CryptoProvider>,
    extra_roots: Vec<CertificateDer<'static>>,
    loaded: Arc<OnceLock<Loaded>>,
}

impl LazyRoots {
    fn start(provider: Arc<CryptoProvider>, extra_roots: Vec<CertificateDer<'static>>) -> Self {
        let roots = LazyRoots {
            provider,
            extra_roots,
            loaded: Arc::new(OnceLock::new()),
        };
        let (loaded, provider, extra) = (
            roots.loaded.clone(),
            roots.provider.clone(),
            roots.extra_roots.clone(),
        );
        // If no thread can be started, the first handshake loads them.
        let _ = std::thread::Builder::new()
            .name("tls-roots".into())
            .spawn(move || {
                loaded.get_or_init(|| load(provider, extra));
            });
        roots
    }

    /// The verifier; waits for the background load if it is still running (milliseconds, on
    /// the handshake's thread, as reqwest's own set-up blocked `ConfigureProvider`'s).
    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.loaded
            .get_or_init(|| load(self.provider.clone(), self.extra_roots.clone()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn load(provider: Arc<CryptoProvider>, extra: Vec<CertificateDer<'static>>) -> Loaded {
    let started = std::time::Instant::now();
    let verifier = if extra.is_empty() {
        rustls_platform_verifier::Verifier::new(provider)
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider)
    };
    match &verifier {
        Ok(_) => tracing::debug!(
            load_ms = started.elapsed().as_secs_f64() * 1000.0,
            "TLS root certificates loaded"
        ),
        // Once per process; every HTTPS handshake then fails with this error.
        Err(e) => tracing::warn!(error = %e, "cannot load the system's TLS root certificates"),
    }
    verifier
}

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    // The signatures need no roots: the provider's algorithms, as the platform verifier uses.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS server on 127.0.0.1 with a certificate for `localhost` from a new CA, choosing
    /// from `alpn` in that order; returns its port and the CA. Each connection is handshaken and
    /// answered with one HTTP/1.1 response.
    async fn server(alpn: &[&[u8]]) -> (u16, CertificateDer<'static>) {
        let (mut config, ca) = crate::test_tls::server_config("localhost", "tls test CA");
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut buf = [0u8; 4096];
                    let _ = tls.read(&mut buf).await;
                    let body = "tls ok";
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(reply.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        (port, ca.der().clone())
    }

    async fn handshake(
        port: u16,
        extra_roots: Vec<CertificateDer<'static>>,
    ) -> std::io::Result<Option<Vec<u8>>> {
        let connector =
            tokio_rustls::TlsConnector::from(Arc::new(client_config(extra_roots).unwrap()));
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let name = ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, tcp).await?;
        Ok(tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec))
    }

    #[tokio::test]
    async fn a_server_with_a_trusted_chain_is_accepted_and_offered_h2_then_http1() {
        let (port, ca) = server(&[b"h2", b"http/1.1"]).await;
        let alpn = handshake(port, vec![ca]).await;
        assert_eq!(
            alpn.expect("the handshake succeeds").as_deref(),
            Some(&b"h2"[..])
        );
        let (port, ca) = server(&[b"http/1.1"]).await;
        let alpn = handshake(port, vec![ca]).await;
        assert_eq!(
            alpn.expect("the handshake succeeds").as_deref(),
            Some(&b"http/1.1"[..])
        );
    }

    #[tokio::test]
    async fn a_server_the_roots_do_not_know_is_refused() {
        let (port, _) = server(&[b"h2"]).await;
        let err = handshake(port, Vec::new())
            .await
            .expect_err("an unknown issuer is refused");
        let text = format!("{err:?}");
        assert!(
            text.contains("UnknownIssuer") || text.contains("No CA certificates"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn the_api_client_verifies_https_servers_against_the_platform_roots() {
        let (port, _) = server(&[b"http/1.1"]).await;
        let client = crate::http::shared::client(&crate::http::ClientOptions {
            user_agent: "tls-test/1".into(),
            ..crate::http::ClientOptions::default()
        })
        .unwrap();
        let err = client
            .get(format!("https://localhost:{port}/"))
            .send()
            .await
            .expect_err("a certificate from an unknown CA is refused");
        let text = crate::http::error_chain(&err);
        // (On a system without a certificate store, loading the roots is the error.)
        assert!(
            text.contains("UnknownIssuer") || text.contains("No CA certificates"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn an_https_request_through_reqwest_completes_with_a_trusted_root() {
        // The server speaks HTTP/1.1 only, and says so in ALPN.
        let (port, ca) = server(&[b"http/1.1"]).await;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(client_config(vec![ca]).unwrap())
            .build()
            .unwrap();
        let text = client
            .get(format!("https://localhost:{port}/"))
            .send()
            .await
            .expect("the request completes")
            .text()
            .await
            .unwrap();
        assert_eq!(text, "tls ok");
    }
}
