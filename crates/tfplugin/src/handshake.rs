//! The go-plugin handshake: magic cookie, protocol negotiation, the listener and the one line
//! Terraform reads from our stdout.

use std::io;
use std::path::{Path, PathBuf};

use base64::Engine;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
pub const CORE_PROTOCOL_VERSION: u32 = 1;
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// go-plugin's words on stderr when a plugin binary is run by hand instead of by Terraform.
pub const NOT_STARTED_BY_TERRAFORM: &str = "\
This binary is a plugin. These are not meant to be executed directly.
Please execute the program that consumes these plugins, which will
load any plugins automatically.";

/// [`NOT_STARTED_BY_TERRAFORM`] followed by a line that names the program and debug mode.
pub fn not_started_by_terraform(program: &str) -> String {
    format!(
        "{NOT_STARTED_BY_TERRAFORM}\n\n(This is {program}, a Terraform provider: Terraform or OpenTofu start it.\nTo debug it, run it with --debug and export the TF_REATTACH_PROVIDERS line it prints.)"
    )
}

/// True when the environment carries Terraform's magic cookie.
pub fn cookie_present(env: impl Fn(&str) -> Option<String>) -> bool {
    env(MAGIC_COOKIE_KEY).as_deref() == Some(MAGIC_COOKIE_VALUE)
}

/// The app protocol versions this server speaks.
pub const SUPPORTED_APP_PROTOCOL_VERSIONS: &[u32] = &[APP_PROTOCOL_VERSION];

/// Terraform offered no protocol version this server speaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this provider speaks plugin protocol version {supported}, but Terraform offered only {offered:?} (PLUGIN_PROTOCOL_VERSIONS); use Terraform 1.0 or later", supported = display_versions(SUPPORTED_APP_PROTOCOL_VERSIONS))]
pub struct VersionMismatch {
    /// What `PLUGIN_PROTOCOL_VERSIONS` held.
    pub offered: String,
}

fn display_versions(vs: &[u32]) -> String {
    vs.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// Picks the app protocol version from `PLUGIN_PROTOCOL_VERSIONS` as go-plugin does: the
/// highest version both sides speak. A client that sends no list (a legacy client) gets our
/// lowest version, as in go-plugin. A list without any version we speak is an error: the
/// plugin cannot talk to this client, and says so before it starts.
pub fn negotiate_version(offered: Option<&str>) -> Result<u32, VersionMismatch> {
    let Some(list) = offered.filter(|l| !l.trim().is_empty()) else {
        return Ok(SUPPORTED_APP_PROTOCOL_VERSIONS
            .iter()
            .copied()
            .min()
            .unwrap_or(APP_PROTOCOL_VERSION));
    };
    list.split(',')
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .filter(|v| SUPPORTED_APP_PROTOCOL_VERSIONS.contains(v))
        .max()
        .ok_or_else(|| VersionMismatch {
            offered: list.to_string(),
        })
}

/// Where the gRPC server listens.
pub enum Listener {
    Unix {
        listener: tokio::net::UnixListener,
        path: PathBuf,
    },
    Tcp(tokio::net::TcpListener),
}

impl Listener {
    /// `("unix", path)` or `("tcp", "127.0.0.1:port")`, as the handshake line and reattach
    /// config name them.
    pub fn network_and_address(&self) -> (&'static str, String) {
        match self {
            Listener::Unix { path, .. } => ("unix", path.display().to_string()),
            Listener::Tcp(l) => (
                "tcp",
                l.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            ),
        }
    }
}

impl Listener {
    /// Removes the unix socket file (also done on drop).
    pub fn cleanup(&self) {
        if let Listener::Unix { path, .. } = self {
            let _ = std::fs::remove_file(path.as_path());
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.cleanup();
    }
}

/// Binds a unix socket in `PLUGIN_UNIX_SOCKET_DIR` (or TMPDIR); where unix sockets are not
/// available, TCP on 127.0.0.1 within `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT`.
pub fn listen(env: impl Fn(&str) -> Option<String>) -> io::Result<Listener> {
    let dir = env("PLUGIN_UNIX_SOCKET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    match bind_unix(&dir) {
        Ok(l) => Ok(l),
        Err(e) => {
            tracing::debug!(error = %e, "unix socket unavailable, falling back to TCP");
            bind_tcp(&env)
        }
    }
}

fn bind_unix(dir: &Path) -> io::Result<Listener> {
    for _ in 0..16 {
        let path = dir.join(format!("plugin{}", fastrand::u64(..)));
        match tokio::net::UnixListener::bind(&path) {
            Ok(listener) => {
                if let Ok(group) = std::env::var("PLUGIN_UNIX_SOCKET_GROUP") {
                    tracing::debug!(group, "PLUGIN_UNIX_SOCKET_GROUP is not supported; ignoring");
                }
                return Ok(Listener::Unix { listener, path });
            }
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        "no free socket name",
    ))
}

fn bind_tcp(env: &impl Fn(&str) -> Option<String>) -> io::Result<Listener> {
    let min: u16 = env("PLUGIN_MIN_PORT")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let max: u16 = env("PLUGIN_MAX_PORT")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if min == 0 && max == 0 {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.set_nonblocking(true)?;
        return Ok(Listener::Tcp(tokio::net::TcpListener::from_std(l)?));
    }
    for port in min..=max.max(min) {
        if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            l.set_nonblocking(true)?;
            return Ok(Listener::Tcp(tokio::net::TcpListener::from_std(l)?));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        format!("no free port in {min}..={max}"),
    ))
}

/// The handshake line: `1|6|unix|/tmp/plugin123|grpc|<cert>`, where `<cert>` is the server
/// certificate's DER in standard base64 without padding (empty without TLS).
pub fn handshake_line(version: u32, listener: &Listener, server_cert_der: Option<&[u8]>) -> String {
    let (network, addr) = listener.network_and_address();
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{version}|{network}|{addr}|grpc|{cert}")
}

/// The `TF_REATTACH_PROVIDERS` value for debug mode.
pub fn reattach_config(provider_address: &str, listener: &Listener) -> String {
    let (network, addr) = listener.network_and_address();
    serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": network, "String": addr},
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_must_match_exactly() {
        assert!(cookie_present(|_| Some(MAGIC_COOKIE_VALUE.to_string())));
        assert!(!cookie_present(|_| Some("nope".to_string())));
        assert!(!cookie_present(|_| None));
    }

    #[test]
    fn version_negotiation_picks_a_shared_version() {
        assert_eq!(negotiate_version(Some("6,5")), Ok(6));
        assert_eq!(negotiate_version(Some("5, 6")), Ok(6));
        assert_eq!(negotiate_version(Some("6")), Ok(6));
        assert_eq!(negotiate_version(Some("7,6,x")), Ok(6));
        // No list at all (a legacy client): our version, as go-plugin does.
        assert_eq!(negotiate_version(None), Ok(6));
        assert_eq!(negotiate_version(Some("")), Ok(6));
        let e = negotiate_version(Some("5,4")).unwrap_err();
        assert_eq!(e.offered, "5,4");
        let msg = e.to_string();
        assert!(
            msg.contains("protocol version 6") && msg.contains("5,4"),
            "{msg}"
        );
        assert!(negotiate_version(Some("x")).is_err());
    }

    #[tokio::test]
    async fn line_and_reattach_name_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let l = listen(|k| (k == "PLUGIN_UNIX_SOCKET_DIR").then(|| d.clone())).unwrap();
        let (net, addr) = l.network_and_address();
        assert_eq!(net, "unix");
        assert!(addr.starts_with(&d));
        let line = handshake_line(6, &l, Some(&[1, 2, 3, 4]));
        assert_eq!(line, format!("1|6|unix|{addr}|grpc|AQIDBA"));
        let re: serde_json::Value = serde_json::from_str(&reattach_config(
            "registry.terraform.io/example/example",
            &l,
        ))
        .unwrap();
        assert_eq!(
            re["registry.terraform.io/example/example"]["ProtocolVersion"],
            6
        );
        assert_eq!(
            re["registry.terraform.io/example/example"]["Addr"]["String"],
            addr.as_str()
        );
        let path = PathBuf::from(&addr);
        assert!(path.exists());
        drop(l);
        assert!(!path.exists(), "socket removed on drop");
    }

    #[tokio::test]
    async fn tcp_respects_port_range() {
        let env = |k: &str| match k {
            "PLUGIN_MIN_PORT" => Some("23100".to_string()),
            "PLUGIN_MAX_PORT" => Some("23199".to_string()),
            _ => None,
        };
        let l = bind_tcp(&env).unwrap();
        let (net, addr) = l.network_and_address();
        assert_eq!(net, "tcp");
        let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
        assert!((23100..=23199).contains(&port));
    }
}
