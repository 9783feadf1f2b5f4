//! Helpers shared by the tests of every crate in this workspace: paths, the project's external
//! tools (Terraform, OCI CLI, OCI Python SDK), the mock Identity API (in process or as the
//! `oci-identity-mock` binary) and Terraform CLI configuration.
//!
//! # Missing tools
//! A test that needs a tool must never pass without doing anything. The crates whose tests use
//! the tools have a build script calling [`tools::build_script`], which sets the cfg
//! `missing_terraform` / `missing_oci_cli` / `missing_oci_sdk` when the tool is absent and `CI`
//! is not set. Such tests carry, for example,
//!
//! ```text
//! #[cfg_attr(missing_terraform, ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh")]
//! ```
//!
//! so that `cargo test` prints `ignored, Terraform not found …`. With `CI` set the cfg is never
//! set: the test runs and [`terraform`] (or [`oci_cli`], [`oci_python`]) fails it with a message
//! naming the missing tool and how to install it.

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use oci_identity_mock::{MockOptions, MockServer};
use serde_json::Value;

pub mod tools;

pub use tools::Tool;

/// The workspace root (where `Cargo.lock`, `.venv`, `examples/` and `docs/` live).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/test-support sits two levels below the workspace root")
        .to_path_buf()
}

/// A file under `crates/oci-client/tests/fixtures/` (test keys and the like).
pub fn fixture(rel: &str) -> PathBuf {
    workspace_root()
        .join("crates/oci-client/tests/fixtures")
        .join(rel)
}

/// A file under `examples/`.
pub fn example(rel: &str) -> PathBuf {
    workspace_root().join("examples").join(rel)
}

/// The profiles of an OCI config file (such as the mock's): profile name → key → value.
/// Plain INI, no `[DEFAULT]` inheritance.
pub fn oci_config_profiles(
    config_file: &Path,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(config_file)
        .unwrap_or_else(|e| panic!("read {}: {e}", config_file.display()));
    let mut out = std::collections::BTreeMap::<String, std::collections::BTreeMap<_, _>>::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_string();
            out.entry(current.clone()).or_default();
        } else if let Some((k, v)) = line.split_once('=') {
            out.entry(current.clone())
                .or_default()
                .insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tools

/// Whether `CI` is set (a missing tool is then a failure, never a skip).
pub fn ci() -> bool {
    tools::ci_is_set(&|k| std::env::var_os(k))
}

/// Finds `tool` (see [`tools`] for the rules), without failing.
pub fn try_tool(tool: Tool) -> Result<PathBuf, tools::Missing> {
    tools::locate(tool, &workspace_root(), &|k| std::env::var_os(k))
}

/// Finds `tool` or fails the test, saying which tool is missing and how to install it.
#[track_caller]
pub fn tool(tool: Tool) -> PathBuf {
    match try_tool(tool) {
        Ok(path) => path,
        Err(missing) if ci() => {
            panic!("{missing}. CI is set, so a missing tool fails the test.")
        }
        Err(missing) => panic!(
            "{missing}. (Without CI such tests are ignored when the tool is missing at build \
             time; install it, or rebuild if it was removed since.)"
        ),
    }
}

/// The project's Terraform: `$TERRAFORM` or `<workspace>/.venv/bin/terraform`.
#[track_caller]
pub fn terraform() -> PathBuf {
    tool(Tool::Terraform)
}

/// The OCI CLI: `$OCI_CLI_BIN` or `<workspace>/.venv/bin/oci`.
#[track_caller]
pub fn oci_cli() -> PathBuf {
    tool(Tool::OciCli)
}

/// A Python that can `import oci`: the one next to the OCI CLI, or `.venv/bin/python`.
#[track_caller]
pub fn oci_python() -> PathBuf {
    tool(Tool::OciSdk)
}

// ---------------------------------------------------------------------------------------------
// Terraform CLI configuration

/// A Terraform CLI configuration whose `dev_overrides` send `provider_source` (e.g.
/// `registry.terraform.io/oracle/oci`) to the provider binary in `provider_dir`.
pub fn terraform_cli_config(provider_source: &str, provider_dir: &Path) -> String {
    let hcl = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
        hcl(provider_source),
        hcl(&provider_dir.to_string_lossy())
    )
}

/// Writes [`terraform_cli_config`] to `path`.
pub fn write_terraform_cli_config(path: &Path, provider_source: &str, provider_dir: &Path) {
    std::fs::write(path, terraform_cli_config(provider_source, provider_dir))
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// A `terraform` command that uses `cli_config` (never the machine's `TF_CLI_CONFIG_FILE`),
/// without checkpoint calls, in automation mode, without inherited `TF_LOG`/`TF_CLI_ARGS*`.
pub fn terraform_command(terraform: &Path, cli_config: &Path) -> Command {
    let mut cmd = Command::new(terraform);
    cmd.env("TF_CLI_CONFIG_FILE", cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env_remove("TF_LOG")
        .env_remove("TF_CLI_ARGS");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("TF_CLI_ARGS_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

// ---------------------------------------------------------------------------------------------
// The mock, in process

/// `CLIENT_HOST_OVERRIDES` value pointing the Identity client at `endpoint`.
pub fn client_host_overrides(endpoint: &str) -> String {
    format!("oci_identity.IdentityClient={endpoint}")
}

/// Starts the in-process mock with its data in `data_dir`, on a free port of 127.0.0.1.
pub async fn start_mock_in(data_dir: impl Into<PathBuf>, opts: MockOptions) -> MockServer {
    let data_dir = data_dir.into();
    oci_identity_mock::start(MockOptions {
        data_dir: data_dir.clone(),
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ..opts
    })
    .await
    .unwrap_or_else(|e| panic!("the mock starts in {}: {e}", data_dir.display()))
}

/// An in-process mock with its own temporary data directory (removed on drop). Derefs to the
/// [`MockServer`].
pub struct TestMock {
    pub server: MockServer,
    dir: tempfile::TempDir,
}

impl TestMock {
    /// The temporary directory (the mock's data is in `dir()/mock`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server gracefully; the directory goes with `self`.
    pub async fn stop(self) {
        self.server.stop().await;
    }

    /// Splits into the server and its directory (keep the directory alive as long as the
    /// server).
    pub fn into_parts(self) -> (MockServer, tempfile::TempDir) {
        (self.server, self.dir)
    }
}

impl std::ops::Deref for TestMock {
    type Target = MockServer;
    fn deref(&self) -> &MockServer {
        &self.server
    }
}

/// Starts the in-process mock on a free port with a fresh temporary data directory
/// (`opts.data_dir` and `opts.listen` are ignored).
pub async fn start_mock(opts: MockOptions) -> TestMock {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = start_mock_in(dir.path().join("mock"), opts).await;
    TestMock { server, dir }
}

// ---------------------------------------------------------------------------------------------
// The mock, as a process

/// The `oci-identity-mock` binary running as a child process, killed on drop.
pub struct MockProcess {
    child: Child,
    /// The ready line, parsed.
    pub ready: Value,
    pub endpoint: String,
    pub config_file: PathBuf,
    pub tenancy_ocid: String,
    pub user_ocids: Vec<String>,
}

impl MockProcess {
    /// Runs `bin` (`env!("CARGO_BIN_EXE_oci-identity-mock")`: Cargo gives the path only to the
    /// tests of the crate that owns the binary) with `--data-dir data_dir` and `args`, on a free
    /// port, and waits for its ready JSON line. `stderr` receives the mock's log.
    pub fn spawn(bin: impl AsRef<Path>, data_dir: &Path, args: &[&str], stderr: Stdio) -> Self {
        let bin = bin.as_ref();
        let mut child = Command::new(bin)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
        let mut line = String::new();
        let read = std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line);
        let ready: Value = match (read, serde_json::from_str(&line)) {
            (Ok(_), Ok(v)) => v,
            (read, parsed) => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "{} {args:?} printed no ready line ({read:?}, {:?}, exit {status:?}): {line:?}",
                    bin.display(),
                    parsed.err()
                );
            }
        };
        let s = |k: &str| {
            ready[k]
                .as_str()
                .unwrap_or_else(|| panic!("ready line without {k}: {ready}"))
                .to_string()
        };
        MockProcess {
            endpoint: s("endpoint"),
            config_file: PathBuf::from(s("config_file")),
            tenancy_ocid: s("tenancy_ocid"),
            user_ocids: ready["user_ocids"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|u| u.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            ready,
            child,
        }
    }

    /// The ready line's `instance_principal.env`: what a client exports to be the mock's
    /// instance (`OCI_METADATA_BASE_URL`, `OCI_SDK_AUTH_CLIENT_REGION_URL`).
    pub fn instance_principal_env(&self) -> Vec<(String, String)> {
        oci_identity_mock::server::env_pairs(&self.ready["instance_principal"])
    }

    /// The ready line's `resource_principal.env` (version 2.2, RPST and key paths, region).
    pub fn resource_principal_env(&self) -> Vec<(String, String)> {
        oci_identity_mock::server::env_pairs(&self.ready["resource_principal"])
    }

    /// The ready line's `oke_workload_identity.env` (only with `--oke`).
    pub fn oke_workload_identity_env(&self) -> Option<Vec<(String, String)>> {
        let block = &self.ready["oke_workload_identity"];
        block
            .is_object()
            .then(|| oci_identity_mock::server::env_pairs(block))
    }

    /// The OKE service-account token file the mock accepts (only with `--oke`).
    pub fn oke_service_account_token_path(&self) -> Option<PathBuf> {
        self.ready["oke_workload_identity"]["service_account_token_path"]
            .as_str()
            .map(PathBuf::from)
    }

    /// `POST /_mock/sessions/revoke`: every session token minted so far becomes invalid.
    pub fn revoke_sessions(&self) {
        http_post(&self.endpoint, "/_mock/sessions/revoke");
    }

    /// `POST /_mock/resource-principal/rotate`: a fresh resource principal pair in `DIR/rp/`.
    pub fn rotate_resource_principal(&self) {
        http_post(&self.endpoint, "/_mock/resource-principal/rotate");
    }

    /// The process id (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `GET /_mock/stats` (unsigned admin endpoint).
    pub fn stats(&self) -> Value {
        http_get_json(&self.endpoint, "/_mock/stats")
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.0 GET of `endpoint` + `path`, parsed as JSON (for unsigned admin endpoints;
/// HTTP/1.0 keeps the body un-chunked and the connection closed at the end).
pub fn http_get_json(endpoint: &str, path: &str) -> Value {
    let host = endpoint
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not an http:// endpoint: {endpoint}"))
        .trim_end_matches('/');
    let mut stream =
        std::net::TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response from {endpoint}{path}: {text:?}"));
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "GET {endpoint}{path}: {head}"
    );
    serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {endpoint}{path}: {e}: {body:?}"))
}

/// A plain HTTP/1.0 POST of `endpoint` + `path` without a body (unsigned admin endpoints);
/// panics unless the status is 2xx. Returns the body.
pub fn http_post(endpoint: &str, path: &str) -> String {
    let host = endpoint
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not an http:// endpoint: {endpoint}"))
        .trim_end_matches('/');
    let mut stream =
        std::net::TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    assert!(
        head.starts_with("HTTP/1.0 2") || head.starts_with("HTTP/1.1 2"),
        "POST {endpoint}{path}: {head}"
    );
    body.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn executable(dir: &Path, name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn ci_is_set_unless_empty_zero_or_false() {
        assert!(!tools::ci_is_set(&env(&[])));
        for v in ["", "0", "false", "FALSE", " false "] {
            assert!(!tools::ci_is_set(&env(&[("CI", v)])), "{v:?}");
        }
        for v in ["true", "1", "yes", "github"] {
            assert!(tools::ci_is_set(&env(&[("CI", v)])), "{v:?}");
        }
    }

    #[test]
    fn tools_come_from_their_variable_or_the_venv_never_path() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join(".venv/bin");
        std::fs::create_dir_all(&bin).unwrap();

        // Nothing installed: missing, with the path looked at and the install hint.
        let err =
            tools::locate(Tool::Terraform, root.path(), &env(&[("PATH", "/usr/bin")])).unwrap_err();
        assert_eq!(err.looked_at, vec![bin.join("terraform")]);
        let msg = err.to_string();
        assert!(msg.starts_with("Terraform not found"), "{msg}");
        assert!(msg.contains("$TERRAFORM is not set"), "{msg}");
        assert!(msg.contains("scripts/setup-tools.sh"), "{msg}");

        // The venv's.
        let venv_tf = executable(&bin, "terraform");
        assert_eq!(
            tools::locate(Tool::Terraform, root.path(), &env(&[])).unwrap(),
            venv_tf
        );

        // $TERRAFORM wins, and a missing one is not replaced by the venv's.
        let other = tempfile::tempdir().unwrap();
        let tf = executable(other.path(), "tf");
        let var = env(&[("TERRAFORM", tf.to_str().unwrap())]);
        assert_eq!(
            tools::locate(Tool::Terraform, root.path(), &var).unwrap(),
            tf
        );
        let var = env(&[("TERRAFORM", "/nonexistent/terraform")]);
        let msg = tools::locate(Tool::Terraform, root.path(), &var)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("/nonexistent/terraform (from $TERRAFORM)"),
            "{msg}"
        );

        // A file that is not executable does not count.
        std::fs::write(bin.join("oci"), "not executable").unwrap();
        let err = tools::locate(Tool::OciCli, root.path(), &env(&[])).unwrap_err();
        assert!(err.to_string().starts_with("OCI CLI not found"), "{err}");
    }

    #[test]
    fn the_sdk_needs_a_python_that_imports_oci() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join(".venv/bin");
        std::fs::create_dir_all(&bin).unwrap();
        let err = tools::locate(Tool::OciSdk, root.path(), &env(&[])).unwrap_err();
        assert_eq!(err.looked_at, vec![bin.join("python")]);
        // A "python" that fails `-c 'import oci'`.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::write(bin.join("python"), "#!/bin/sh\nexit 1\n").unwrap();
        std::fs::set_permissions(bin.join("python"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let msg = tools::locate(Tool::OciSdk, root.path(), &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("-c 'import oci'` failed"), "{msg}");
        // One that succeeds.
        std::fs::write(bin.join("python"), "#!/bin/sh\nexit 0\n").unwrap();
        assert_eq!(
            tools::locate(Tool::OciSdk, root.path(), &env(&[])).unwrap(),
            bin.join("python")
        );
    }

    #[test]
    fn build_scripts_watch_cheap_paths() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join(".venv/bin");
        let missing_in_venv = bin.join("terraform");
        // No .venv/bin: the missing path itself (never the workspace root).
        assert_eq!(
            tools::watch_paths(root.path(), std::slice::from_ref(&missing_in_venv)),
            vec![missing_in_venv.clone()]
        );
        std::fs::create_dir_all(&bin).unwrap();
        assert_eq!(
            tools::watch_paths(root.path(), std::slice::from_ref(&missing_in_venv)),
            vec![bin.clone()]
        );
        let present = executable(&bin, "terraform");
        assert_eq!(
            tools::watch_paths(root.path(), std::slice::from_ref(&present)),
            vec![present.clone()]
        );
        // Outside the workspace, no directory scan.
        let outside = PathBuf::from("/nonexistent-dir/terraform");
        assert_eq!(
            tools::watch_paths(root.path(), std::slice::from_ref(&outside)),
            vec![outside.clone()]
        );
    }

    #[test]
    fn cli_config_overrides_the_provider_and_escapes_paths() {
        let c = terraform_cli_config(
            "registry.terraform.io/oracle/oci",
            Path::new("/tmp/a \"b\"\\c"),
        );
        assert!(
            c.contains(r#""registry.terraform.io/oracle/oci" = "/tmp/a \"b\"\\c""#),
            "{c}"
        );
        assert!(
            c.contains("dev_overrides {") && c.contains("direct {}"),
            "{c}"
        );
    }

    #[test]
    fn terraform_commands_never_use_the_machines_cli_config() {
        let cmd = terraform_command(Path::new("terraform"), Path::new("/x/cli.tfrc"));
        let envs: Vec<_> = cmd.get_envs().collect();
        assert!(envs.contains(&(
            std::ffi::OsStr::new("TF_CLI_CONFIG_FILE"),
            Some(std::ffi::OsStr::new("/x/cli.tfrc"))
        )));
        assert!(envs.contains(&(std::ffi::OsStr::new("TF_LOG"), None)));
        assert!(envs.contains(&(
            std::ffi::OsStr::new("CHECKPOINT_DISABLE"),
            Some(std::ffi::OsStr::new("1"))
        )));
    }

    #[tokio::test]
    async fn in_process_mock_listens_on_a_free_port_with_its_own_data() {
        let a = start_mock(MockOptions {
            users: 2,
            ..Default::default()
        })
        .await;
        let b = start_mock(MockOptions::default()).await;
        assert_ne!(a.endpoint, b.endpoint);
        assert!(
            a.endpoint.starts_with("http://127.0.0.1:"),
            "{}",
            a.endpoint
        );
        assert!(!a.endpoint.ends_with(":0"));
        assert_eq!(a.user_ocids.len(), 2);
        assert!(a.config_file.starts_with(a.dir()));
        let endpoint = a.endpoint.clone();
        let stats = tokio::task::spawn_blocking(move || http_get_json(&endpoint, "/_mock/stats"))
            .await
            .unwrap();
        assert_eq!(stats["live_tokens"], 0, "{stats}");
        a.stop().await;
        b.stop().await;
    }
}
