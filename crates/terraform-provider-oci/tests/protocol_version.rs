//! Protocol version negotiation as Terraform drives it: the provider binary picks version 6
//! from `PLUGIN_PROTOCOL_VERSIONS`, and refuses to start for a client that offers no version
//! it speaks, with a clear message on stderr, no handshake line and exit status 1.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

fn provider(versions: Option<&str>, tmp: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_terraform-provider-oci"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null());
    if let Some(v) = versions {
        cmd.env("PLUGIN_PROTOCOL_VERSIONS", v);
    }
    cmd
}

#[test]
fn a_client_without_protocol_6_is_refused_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let out = provider(Some("5,4"), tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty(), "no handshake line: {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("protocol version 6") && stderr.contains("5,4"),
        "{stderr}"
    );
    // Nothing was left behind: the socket is bound only after negotiation.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn the_shared_version_is_announced() {
    for offered in [Some("6,5"), Some("5,6"), None] {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = provider(offered, tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let fields: Vec<&str> = line.trim().split('|').collect();
        assert_eq!(&fields[..2], &["1", "6"], "{offered:?}: {line}");
        child.kill().unwrap();
        let _ = child.wait();
    }
}
