//! Installing the provider like a published one, with real Terraform and no `dev_overrides`:
//! the artefacts of `scripts/release.sh`, then `terraform init` from a filesystem mirror, a
//! network mirror (HTTPS on 127.0.0.1) and a provider registry (HTTPS, GPG-verified), each
//! followed by `terraform apply` against the mock.
//!
//! The release is made once per test run from the already built test binary
//! (`RELEASE_BINARY`, so no second, release-profile build here; `scripts/release.sh` without it
//! does that build) and shared by the tests below.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::env_or_skip;
use crate::harness::{token_block, Env};

const NAME: &str = "terraform-provider-oci";
/// The test binary is not stamped, so it reports the crate version.
const VERSION: &str = env!("CARGO_PKG_VERSION");

struct Dist {
    dir: PathBuf,
    platform: String,
}

impl Dist {
    fn file(&self, suffix: &str) -> PathBuf {
        self.dir.join(format!("{NAME}_{VERSION}_{suffix}"))
    }
    fn zip_name(&self) -> String {
        format!("{NAME}_{VERSION}_{}.zip", self.platform)
    }
    fn zip(&self) -> PathBuf {
        self.dir.join(self.zip_name())
    }
}

fn release_script() -> PathBuf {
    test_support::workspace_root().join("scripts/release.sh")
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} does not start: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `scripts/release.sh VERSION DIR` once per test run (throwaway signing key).
fn dist() -> &'static Dist {
    static DIST: OnceLock<Dist> = OnceLock::new();
    DIST.get_or_init(|| {
        // A fixed directory under target/tmp, replaced on every run (a static is never
        // dropped, so a TempDir would be left behind).
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-release");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = run(Command::new(release_script())
            .arg(VERSION)
            .arg(&dir)
            .env(
                "RELEASE_BINARY",
                env!("CARGO_BIN_EXE_terraform-provider-oci"),
            )
            .env_remove("GPG_PRIVATE_KEY")
            .env_remove("GPG_FINGERPRINT"));
        let log = String::from_utf8_lossy(&out.stderr);
        println!("{log}");
        let zip = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .find(|n| n.ends_with(".zip"))
            .expect("a zip");
        let platform = zip
            .trim_start_matches(&format!("{NAME}_{VERSION}_"))
            .trim_end_matches(".zip")
            .to_string();
        Dist { dir, platform }
    })
}

fn sha256_hex(data: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Terraform's `h1:` hash of a package whose only file is `name` with `content`
/// (golang.org/x/mod dirhash Hash1).
fn h1_of_single_file(name: &str, content: &[u8]) -> String {
    let summary = format!("{}  {name}\n", sha256_hex(content));
    let sum = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, summary.as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(sum.as_ref())
    )
}

fn unzip_single(zip: &Path) -> (String, Vec<u8>) {
    let list = run(Command::new("unzip").arg("-Z1").arg(zip));
    let names: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(names.len(), 1, "one file in the zip: {names:?}");
    let content = run(Command::new("unzip").arg("-p").arg(zip).arg(&names[0])).stdout;
    (names[0].clone(), content)
}

fn main_tf(source: &str, body: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    oci = {{\n      source  = \"{source}\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"oci\" {{}}\n\n{body}"
    )
}

/// Replaces the harness's `dev_overrides` CLI configuration.
fn cli_config(env: &Env, provider_installation: &str) {
    std::fs::write(
        env.dir.path().join("cli.tfrc"),
        format!("provider_installation {{\n{provider_installation}\n}}\n"),
    )
    .unwrap();
}

async fn init(env: &Env) -> crate::harness::Tf {
    env.tf(&["init", "-input=false", "-no-color"]).await
}

/// `init` succeeded; the lock file pins `address` with the archive's `h1:` (and `zh:` when
/// `expect_zh`); `apply` creates a token through the installed provider.
async fn assert_installed_and_applies(env: &Env, address: &str, expect_zh: bool) {
    let lock = std::fs::read_to_string(env.work().join(".terraform.lock.hcl")).unwrap();
    assert!(lock.contains(&format!("provider \"{address}\"")), "{lock}");
    assert!(
        lock.contains(&format!("version     = \"{VERSION}\"")),
        "{lock}"
    );
    let d = dist();
    let (name, content) = unzip_single(&d.zip());
    let h1 = h1_of_single_file(&name, &content);
    assert!(lock.contains(&h1), "expected {h1} in\n{lock}");
    let zh = format!("zh:{}", sha256_hex(&std::fs::read(d.zip()).unwrap()));
    if expect_zh {
        assert!(lock.contains(&zh), "expected {zh} in\n{lock}");
    }
    let installed = env
        .work()
        .join(".terraform/providers")
        .join(address)
        .join(VERSION)
        .join(&d.platform)
        .join(&name);
    assert!(installed.is_file(), "{} installed", installed.display());

    let applied = env.apply().await;
    applied.ok();
    assert!(
        !applied.all().contains("Provider development overrides"),
        "no dev_overrides: {}",
        applied.all()
    );
    let t = env
        .resource("oci_identity_auth_token.t")
        .await
        .expect("in state");
    assert_eq!(t["state"], "ACTIVE");
    env.assert_empty_plan().await;
}

// ---------------------------------------------------------------------------------------------
// A tiny static HTTPS server (HTTP/1.1, GET only, `Connection: close`) with a test CA.

struct Https {
    port: u16,
    ca_file: PathBuf,
    routes: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    _dir: tempfile::TempDir,
}

impl Https {
    async fn start() -> Https {
        let dir = tempfile::tempdir().unwrap();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "install test CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_params =
            rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();

        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Vec<u8>>>> = Default::default();
        let served = routes.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let routes = served.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut req = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 65536 {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => req.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&req);
                    let path = head
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("/")
                        .split('?')
                        .next()
                        .unwrap_or("/")
                        .to_string();
                    let body = routes.lock().unwrap().get(&path).cloned();
                    let (status, ctype, body) = match body {
                        Some(b) if path.ends_with(".json") || !path.contains('.') => {
                            ("200 OK", "application/json", b)
                        }
                        Some(b) => ("200 OK", "application/octet-stream", b),
                        None => ("404 Not Found", "text/plain", b"not found\n".to_vec()),
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = tls.write_all(head.as_bytes()).await;
                    let _ = tls.write_all(&body).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Https {
            port,
            ca_file,
            routes,
            _dir: dir,
        }
    }

    fn set(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), body.into());
    }

    /// Serves every file under `root` at its relative path.
    fn serve_dir(&self, root: &Path) {
        fn walk(server: &Https, root: &Path, dir: &Path) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(server, root, &p);
                } else {
                    let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                    server.set(&format!("/{rel}"), std::fs::read(&p).unwrap());
                }
            }
        }
        walk(self, root, root);
    }
}

fn flip_last_byte(mut data: Vec<u8>) -> Vec<u8> {
    let last = data.len() - 1;
    data[last] ^= 0x55;
    data
}

// ---------------------------------------------------------------------------------------------

#[test]
fn release_artefacts_are_complete_and_verify() {
    let d = dist();
    // The zip holds exactly the versioned binary, which reports the version.
    let (name, content) = unzip_single(&d.zip());
    assert_eq!(name, format!("{NAME}_v{VERSION}"));
    let bin = tempfile::tempdir().unwrap();
    let path = bin.path().join(&name);
    std::fs::write(&path, &content).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let said = run(Command::new(&path).arg("--version")).stdout;
    assert_eq!(
        String::from_utf8_lossy(&said).trim(),
        format!("{NAME} {VERSION}")
    );

    // SHA256SUMS lists the zip and the manifest, with the right hashes.
    let sums = std::fs::read_to_string(d.file("SHA256SUMS")).unwrap();
    let mut listed: HashMap<&str, &str> = HashMap::new();
    for line in sums.lines() {
        let (hash, file) = line.split_once("  ").expect("sha256sum format");
        listed.insert(file, hash);
    }
    for file in [d.zip_name(), format!("{NAME}_{VERSION}_manifest.json")] {
        let want = sha256_hex(&std::fs::read(d.dir.join(&file)).unwrap());
        assert_eq!(listed.get(file.as_str()), Some(&want.as_str()), "{sums}");
    }
    assert_eq!(listed.len(), 2, "{sums}");

    // The manifest is the registry manifest: protocol 6.0.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.file("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["version"], 1);
    assert_eq!(
        manifest["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );

    // The detached signature verifies with the published public key, and fails on other bytes.
    let home = tempfile::tempdir().unwrap();
    let gpg = |args: &[&std::ffi::OsStr]| {
        Command::new("gpg")
            .env("GNUPGHOME", home.path())
            .arg("--batch")
            .args(args)
            .output()
            .expect("gpg runs (Debian: apt-get install -y gnupg)")
    };
    let imported = gpg(&["--import".as_ref(), d.file("signing_key.asc").as_os_str()]);
    assert!(imported.status.success(), "{imported:?}");
    let sig = d.file("SHA256SUMS.sig");
    let verified = gpg(&[
        "--verify".as_ref(),
        sig.as_os_str(),
        d.file("SHA256SUMS").as_os_str(),
    ]);
    assert!(
        verified.status.success(),
        "gpg --verify: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let key_id = std::fs::read_to_string(d.file("signing_key_id")).unwrap();
    assert_eq!(key_id.trim().len(), 16, "{key_id}");
    let tampered = home.path().join("SHA256SUMS");
    std::fs::write(
        &tampered,
        sums.replace(&listed[d.zip_name().as_str()][..8], "00000000"),
    )
    .unwrap();
    let bad = gpg(&["--verify".as_ref(), sig.as_os_str(), tampered.as_os_str()]);
    assert!(
        !bad.status.success(),
        "a changed SHA256SUMS must not verify"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn installs_from_a_filesystem_mirror_in_two_namespaces() {
    let d = dist();
    let mirror = tempfile::tempdir().unwrap();
    run(Command::new(release_script())
        .arg("--mirror")
        .arg(mirror.path())
        .arg(VERSION)
        .arg(&d.dir)
        .args(["--address", "registry.terraform.io/oracle/oci"])
        .args(["--address", "registry.terraform.io/example/oci"]));
    for (source, address) in [
        ("oracle/oci", "registry.terraform.io/oracle/oci"),
        ("example/oci", "registry.terraform.io/example/oci"),
    ] {
        assert!(mirror.path().join(address).join(d.zip_name()).is_file());
        let env = env_or_skip!(Env::with_users(1));
        cli_config(
            &env,
            &format!(
                "  filesystem_mirror {{\n    path = \"{}\"\n  }}",
                mirror.path().display()
            ),
        );
        env.write(
            "main.tf",
            &main_tf(source, &token_block("t", env.user(0), "mirrored")),
        );
        let out = init(&env).await;
        out.ok();
        assert_installed_and_applies(&env, address, false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn installs_from_a_network_mirror_over_https() {
    let d = dist();
    let mirror = tempfile::tempdir().unwrap();
    run(Command::new(release_script())
        .arg("--network-mirror")
        .arg(mirror.path())
        .arg(VERSION)
        .arg(&d.dir));
    let server = Https::start().await;
    server.serve_dir(mirror.path());
    let mut env = env_or_skip!(Env::with_users(1));
    env.extra_env
        .push(("SSL_CERT_FILE".into(), server.ca_file.display().to_string()));
    cli_config(
        &env,
        &format!(
            "  network_mirror {{\n    url = \"https://127.0.0.1:{}/\"\n  }}",
            server.port
        ),
    );
    env.write(
        "main.tf",
        &main_tf(
            "oracle/oci",
            &token_block("t", env.user(0), "from the network"),
        ),
    );

    // An archive that does not match VERSION.json's zh: hash is refused.
    let zip_path = format!("/registry.terraform.io/oracle/oci/{}", d.zip_name());
    let good = std::fs::read(d.zip()).unwrap();
    server.set(&zip_path, flip_last_byte(good.clone()));
    let out = init(&env).await;
    let all = out.all();
    assert_ne!(out.code, 0, "a tampered archive must fail init:\n{all}");
    assert!(all.contains("checksum") || all.contains("hash"), "{all}");

    server.set(&zip_path, good);
    init(&env).await.ok();
    assert_installed_and_applies(&env, "registry.terraform.io/oracle/oci", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn installs_from_a_private_registry_verifying_the_signature() {
    let d = dist();
    let server = Https::start().await;
    let host = format!("localhost:{}", server.port);
    let base = format!("https://{host}");
    let (os, arch) = d.platform.split_once('_').unwrap();
    let zip = std::fs::read(d.zip()).unwrap();
    let sums = std::fs::read(d.file("SHA256SUMS")).unwrap();
    let sig = std::fs::read(d.file("SHA256SUMS.sig")).unwrap();
    let key = std::fs::read_to_string(d.file("signing_key.asc")).unwrap();
    let key_id = std::fs::read_to_string(d.file("signing_key_id")).unwrap();
    server.set(
        "/.well-known/terraform.json",
        r#"{"providers.v1":"/v1/providers/"}"#,
    );
    server.set(
        "/v1/providers/oracle/oci/versions",
        serde_json::json!({"versions": [{
            "version": VERSION,
            "protocols": ["6.0"],
            "platforms": [{"os": os, "arch": arch}],
        }]})
        .to_string(),
    );
    server.set(
        &format!("/v1/providers/oracle/oci/{VERSION}/download/{os}/{arch}"),
        serde_json::json!({
            "protocols": ["6.0"],
            "os": os,
            "arch": arch,
            "filename": d.zip_name(),
            "download_url": format!("{base}/dist/{}", d.zip_name()),
            "shasums_url": format!("{base}/dist/{NAME}_{VERSION}_SHA256SUMS"),
            "shasums_signature_url": format!("{base}/dist/{NAME}_{VERSION}_SHA256SUMS.sig"),
            "shasum": sha256_hex(&zip),
            "signing_keys": {"gpg_public_keys": [{
                "key_id": key_id.trim(),
                "ascii_armor": key,
            }]},
        })
        .to_string(),
    );
    let zip_path = format!("/dist/{}", d.zip_name());
    let sig_path = format!("/dist/{NAME}_{VERSION}_SHA256SUMS.sig");
    server.set(&format!("/dist/{NAME}_{VERSION}_SHA256SUMS"), sums);

    let mut env = env_or_skip!(Env::with_users(1));
    env.extra_env
        .push(("SSL_CERT_FILE".into(), server.ca_file.display().to_string()));
    cli_config(&env, "  direct {}");
    env.write(
        "main.tf",
        &main_tf(
            &format!("{host}/oracle/oci"),
            &token_block("t", env.user(0), "registry"),
        ),
    );

    // A tampered archive (SHA256SUMS and signature intact) is refused.
    server.set(&zip_path, flip_last_byte(zip.clone()));
    server.set(&sig_path, sig.clone());
    let out = init(&env).await;
    assert_ne!(
        out.code,
        0,
        "a tampered archive must fail init:\n{}",
        out.all()
    );
    assert!(out.all().contains("checksum"), "{}", out.all());

    // A bad signature over the right SHA256SUMS is refused.
    server.set(&zip_path, zip);
    server.set(&sig_path, flip_last_byte(sig.clone()));
    let out = init(&env).await;
    assert_ne!(
        out.code,
        0,
        "a bad signature must fail init:\n{}",
        out.all()
    );
    assert!(
        out.all().to_lowercase().contains("signature"),
        "{}",
        out.all()
    );

    server.set(&sig_path, sig);
    let out = init(&env).await;
    out.ok();
    assert!(
        out.stdout.contains(&format!("key ID {}", key_id.trim())),
        "init reports the signing key:\n{}",
        out.stdout
    );
    assert_installed_and_applies(&env, &format!("{host}/oracle/oci"), true).await;
}
