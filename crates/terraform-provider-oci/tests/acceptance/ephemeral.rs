//! The ephemeral `oci_identity_auth_token` with real Terraform: a token that works during the
//! run (checked against the mock's registry login, `GET /_mock/registry/v2/`), is gone after
//! it, never reaches the state, the plan or the logs, and cannot be left behind for longer
//! than its lease.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::env_or_skip;
use crate::harness::Env;
use serde_json::Value as Json;

/// Logs in to the registry with `REGISTRY_USER`/`REGISTRY_TOKEN` and appends
/// `{"status", "token"}` to the file `OUT` (so the test can try the token again afterwards).
/// Exits non-zero unless the login succeeded.
const LOGIN_PY: &str = r#"
import base64, json, os, sys, urllib.error, urllib.request
user, token = os.environ["REGISTRY_USER"], os.environ["REGISTRY_TOKEN"]
auth = base64.b64encode(f"{user}:{token}".encode()).decode()
req = urllib.request.Request(os.environ["REGISTRY_URL"], headers={"Authorization": "Basic " + auth})
try:
    status = urllib.request.urlopen(req, timeout=10).status
except urllib.error.HTTPError as e:
    status = e.code
if os.environ.get("OUT"):
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps({"status": status, "token": token}) + "\n")
sys.exit(0 if status == 200 else 1)
"#;

fn registry_url(env: &Env) -> String {
    format!("{}/_mock/registry/v2/", env.mock.endpoint)
}

/// The registry's answer to `user` logging in with `token`, now.
fn registry_status(env: &Env, user: &str, token: &str) -> u16 {
    let out = env.dir.path().join("check.jsonl");
    let _ = std::fs::remove_file(&out);
    let status = std::process::Command::new("python3")
        .arg(env.work().join("login.py"))
        .env("REGISTRY_URL", registry_url(env))
        .env("REGISTRY_USER", user)
        .env("REGISTRY_TOKEN", token)
        .env("OUT", &out)
        .status()
        .expect("python3 runs");
    let _ = status;
    logins(&out)[0]["status"].as_u64().unwrap() as u16
}

fn logins(path: &Path) -> Vec<Json> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A `terraform_data` whose create-time provisioner logs in with `token` (an expression), then
/// runs `after` (shell).
fn login_resource(env: &Env, name: &str, token: &str, after: &str) -> String {
    format!(
        r#"
resource "terraform_data" "{name}" {{
  provisioner "local-exec" {{
    command = "python3 login.py{after}"
    environment = {{
      REGISTRY_URL   = "{url}"
      REGISTRY_USER  = "{user}"
      REGISTRY_TOKEN = {token}
      OUT            = "logins.jsonl"
    }}
  }}
}}
"#,
        url = registry_url(env),
        user = env.user(0),
    )
}

fn op_count(env: &Env, op: &str) -> u64 {
    env.stats()["requests"][op]["total"].as_u64().unwrap_or(0)
}

fn live_tokens(env: &Env) -> u64 {
    env.stats()["live_tokens"].as_u64().unwrap()
}

const CHILD_MODULE: &str = r#"
terraform {
  required_providers {
    oci = {
      source = "oracle/oci"
    }
  }
}

variable "user_id" {
  type = string
}

ephemeral "oci_identity_auth_token" "t" {
  user_id     = var.user_id
  description = "ci push"
}

output "token" {
  value     = ephemeral.oci_identity_auth_token.t.token
  ephemeral = true
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn token_from_a_child_module_works_during_apply_only_and_is_never_stored_or_logged() {
    let mut env = env_or_skip!(Env::with_users(1));
    env.write("login.py", LOGIN_PY);
    std::fs::create_dir_all(env.work().join("modules/registry")).unwrap();
    env.write("modules/registry/main.tf", CHILD_MODULE);
    env.config(&format!(
        "module \"registry\" {{\n  source  = \"./modules/registry\"\n  user_id = \"{}\"\n}}\n{}",
        env.user(0),
        login_resource(&env, "push", "module.registry.token", "")
    ));
    env.tf(&["init", "-input=false", "-no-color"]).await.ok();

    env.extra_env.push(("TF_LOG".into(), "trace".into()));
    let plan = env
        .tf(&["plan", "-input=false", "-no-color", "-out=tfplan"])
        .await;
    plan.ok();
    // The plan walk opened (and closed) its own token.
    assert_eq!(op_count(&env, "CreateAuthToken"), 1, "{}", plan.all());
    assert_eq!(live_tokens(&env), 0, "closed at the end of the plan");

    let apply = env
        .tf(&["apply", "-input=false", "-no-color", "tfplan"])
        .await;
    apply.ok();
    env.extra_env.clear();

    // During the apply the token logged in…
    let seen = logins(&env.work().join("logins.jsonl"));
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["status"], 200);
    let token = seen[0]["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 10);
    // …and after it the mock holds no extra token and the token no longer logs in.
    assert_eq!(live_tokens(&env), 0);
    assert_eq!(op_count(&env, "CreateAuthToken"), 2, "one per walk");
    assert_eq!(op_count(&env, "DeleteAuthToken"), 2, "each closed");
    assert_eq!(registry_status(&env, env.user(0), &token), 401);

    // Never in the state, the saved plan or the trace logs.
    let state = std::fs::read_to_string(env.work().join("terraform.tfstate")).unwrap();
    assert!(state.contains("terraform_data"), "{state}");
    assert!(!state.contains(&token), "token in the state file");
    let shown = env.tf(&["show", "-json", "-no-color", "tfplan"]).await;
    shown.ok();
    assert!(!shown.stdout.contains(&token), "token in the plan file");
    assert!(
        apply.stderr.contains("OpenEphemeralResource"),
        "the trace log covers the RPCs"
    );
    for (what, out) in [("plan", &plan), ("apply", &apply)] {
        assert!(!out.all().contains(&token), "token in the {what} output");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn a_killed_run_leaves_a_leased_token_that_the_next_run_removes() {
    let env = env_or_skip!(Env::with_users(1));
    env.write("login.py", LOGIN_PY);
    let client = env.client();
    let elsewhere = client
        .create_auth_token(env.user(0), "managed elsewhere")
        .await
        .unwrap();
    let ephemeral = format!(
        "ephemeral \"oci_identity_auth_token\" \"t\" {{\n  user_id = \"{}\"\n  lease   = \"2s\"\n}}\n",
        env.user(0)
    );
    env.config(&format!(
        "{ephemeral}{}",
        login_resource(
            &env,
            "slow",
            "ephemeral.oci_identity_auth_token.t.token",
            " && touch started && sleep 120"
        )
    ));

    // Terraform and the provider in a process group of their own, killed together.
    let mut cmd = test_support::terraform_command(&env.terraform, &env.dir.path().join("cli.tfrc"));
    cmd.args([
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-lock=false",
    ])
    .current_dir(env.work())
    .env("OCI_CONFIG_FILE", &env.mock.config_file)
    .env(
        "CLIENT_HOST_OVERRIDES",
        test_support::client_host_overrides(&env.mock.endpoint),
    )
    .env_remove("OCI_CLI_CONFIG_FILE")
    .stdout(std::fs::File::create(env.dir.path().join("killed.out")).unwrap())
    .stderr(std::fs::File::create(env.dir.path().join("killed.err")).unwrap());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().unwrap();
    let started = env.work().join("started");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !started.exists() {
        assert!(
            Instant::now() < deadline && child.try_wait().unwrap().is_none(),
            "the provisioner did not start:\n{}",
            std::fs::read_to_string(env.dir.path().join("killed.out")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let killed = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap();

    // Close never ran: the apply walk's token is still there, with its lease marker.
    let tokens = client.list_auth_tokens(env.user(0)).await.unwrap();
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    let leaked = tokens.iter().find(|t| t.id != elsewhere.id).unwrap();
    assert!(
        leaked
            .description
            .as_deref()
            .unwrap()
            .starts_with("[tf-ephemeral lease="),
        "{leaked:?}"
    );
    let seen = logins(&env.work().join("logins.jsonl"));
    assert_eq!(seen.last().unwrap()["status"], 200);
    let leaked_token = seen.last().unwrap()["token"].as_str().unwrap().to_string();
    assert_eq!(registry_status(&env, env.user(0), &leaked_token), 200);

    // Once the lease has passed, the next run deletes it and fits into the 2-token limit.
    tokio::time::sleep(Duration::from_secs(3)).await;
    env.config(&format!(
        "{ephemeral}{}",
        login_resource(
            &env,
            "next",
            "ephemeral.oci_identity_auth_token.t.token",
            ""
        )
    ));
    env.tf(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-lock=false",
    ])
    .await
    .ok();
    let left: Vec<String> = client
        .list_auth_tokens(env.user(0))
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(
        left,
        vec![elsewhere.id.clone()],
        "only the unrelated token is left"
    );
    assert_eq!(registry_status(&env, env.user(0), &leaked_token), 401);
    let seen = logins(&env.work().join("logins.jsonl"));
    assert_eq!(seen.last().unwrap()["status"], 200, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn a_user_holding_two_unrelated_tokens_gets_a_clear_diagnostic_and_nothing_changes() {
    let env = env_or_skip!(Env::with_users(1));
    env.write("login.py", LOGIN_PY);
    let client = env.client();
    let a = client.create_auth_token(env.user(0), "ci").await.unwrap();
    let b = client.create_auth_token(env.user(0), "").await.unwrap();
    env.config(&format!(
        "ephemeral \"oci_identity_auth_token\" \"t\" {{\n  user_id = \"{}\"\n}}\n{}",
        env.user(0),
        login_resource(
            &env,
            "push",
            "ephemeral.oci_identity_auth_token.t.token",
            ""
        )
    ));
    let out = env.apply().await;
    out.failed_with("No free auth token slot");
    let all = out.all();
    for needle in [
        a.id.as_str(),
        b.id.as_str(),
        "description \"ci\"",
        "managed elsewhere",
        "Nothing was created or deleted",
        "user_id",
    ] {
        assert!(all.contains(needle), "{needle:?} in:\n{all}");
    }
    assert_eq!(op_count(&env, "CreateAuthToken"), 2, "only the test's own");
    assert_eq!(op_count(&env, "DeleteAuthToken"), 0);
    assert_eq!(op_count(&env, "UpdateAuthToken"), 0);
    assert_eq!(live_tokens(&env), 2);
    assert!(!env.work().join("logins.jsonl").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn example_ephemeral_resource_logs_in_with_curl_and_leaves_nothing() {
    let mut env = env_or_skip!(Env::with_users(1));
    env.copy_example("ephemeral-resources/oci_identity_auth_token/ephemeral-resource.tf");
    env.write("provider.tf", crate::harness::PROVIDER_BLOCK);
    let vars = [
        format!("-var=user_ocid={}", env.user(0)),
        format!("-var=registry_url={}/_mock/registry", env.mock.endpoint),
        format!("-var=registry_username={}", env.user(0)),
    ];
    let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
    args.extend(vars.iter().map(String::as_str));
    env.tf(&args).await.ok();
    // Opened in the plan walk and again in the apply walk: two short-lived tokens.
    assert_eq!(op_count(&env, "CreateAuthToken"), 2);
    assert_eq!(live_tokens(&env), 0);

    // A wrong username fails the login (curl -f), so the example really checks.
    env.tf(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        &vars[0],
        &vars[1],
        &vars[2],
    ])
    .await
    .ok();
    let bad = ["-var=registry_username=nobody".to_string()];
    let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
    args.extend(vars[..2].iter().map(String::as_str));
    args.extend(bad.iter().map(String::as_str));
    env.extra_env
        .push(("TF_LOG_PROVIDER".into(), "info".into()));
    let failed = env.tf(&args).await;
    failed.failed_with("local-exec provisioner error");
    // Terraform 1.15 skips the close of an ephemeral resource whose consumer failed; the
    // provider closes it when Terraform shuts it down.
    assert!(
        failed
            .stderr
            .contains("closing ephemeral resources Terraform did not close"),
        "{}",
        failed.stderr
    );
    assert_eq!(live_tokens(&env), 0, "closed after a failed apply too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn a_long_run_renews_the_lease_and_a_slow_activation_is_waited_for() {
    // New tokens stay CREATING (and fail the registry login) for 1.5 s.
    let env = env_or_skip!(Env::start(oci_identity_mock::MockOptions {
        users: 1,
        activation_ms: 1500,
        ..Default::default()
    }));
    env.write("login.py", LOGIN_PY);
    env.config(&format!(
        "ephemeral \"oci_identity_auth_token\" \"t\" {{\n  user_id = \"{}\"\n  lease   = \"2s\"\n}}\n{}",
        env.user(0),
        login_resource(
            &env,
            "slow",
            "ephemeral.oci_identity_auth_token.t.token",
            " && sleep 4 && python3 login.py"
        )
    ));
    env.apply().await.ok();
    let seen = logins(&env.work().join("logins.jsonl"));
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter().all(|l| l["status"] == 200),
        "usable as soon as open returns, and still after 4 s: {seen:?}"
    );
    assert!(
        op_count(&env, "UpdateAuthToken") >= 1,
        "the 2 s lease was renewed during the 4 s provisioner: {}",
        env.stats()
    );
    assert_eq!(live_tokens(&env), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn bad_arguments_are_reported_with_their_paths_before_any_api_call() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(&format!(
        "ephemeral \"oci_identity_auth_token\" \"t\" {{\n  user_id = \"{}\"\n  lease   = \"soon\"\n}}\n",
        env.user(0)
    ));
    let out = env.tf(&["validate", "-no-color"]).await;
    out.failed_with("\"soon\" is not a duration");
    assert!(out.all().contains("lease"), "{}", out.all());
    env.config(
        "ephemeral \"oci_identity_auth_token\" \"t\" {\n  user_id = \"me\"\n  lease   = \"0s\"\n}\n",
    );
    let out = env.plan().await;
    out.failed_with("is not an OCID");
    out.failed_with("at least 1s");
    assert_eq!(env.api_calls(), 0);
}
