//! The ephemeral `oci_identity_domains_auth_token` with real Terraform against the mock's SCIM
//! API (Default domain, whose tokens are the IAM users' tokens, so the mock's registry login
//! `GET /_mock/registry/v2/` accepts them): a token that works during the run, is gone after
//! it, never reaches the state, the plan or the logs, expires on the service by itself, and
//! cannot be left behind for longer than its lease.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::env_or_skip;
use crate::harness::Env;
use serde_json::Value as Json;

/// Logs in to the registry with `REGISTRY_USER`/`REGISTRY_TOKEN` and appends
/// `{"status", "token"}` to the file `OUT`. Exits non-zero unless the login succeeded.
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

fn endpoint(env: &Env) -> &str {
    &env.mock.identity_domains[0].idcs_endpoint
}

/// `(SCIM id, OCID)` of the Default domain's user `i`.
fn scim_user(env: &Env, i: usize) -> (&str, &str) {
    let u = &env.mock.identity_domains[0].users[i];
    (&u.id, &u.ocid)
}

fn registry_url(env: &Env) -> String {
    format!("{}/_mock/registry/v2/", env.mock.endpoint)
}

fn registry_status(env: &Env, user: &str, token: &str) -> u16 {
    let out = env.dir.path().join("check.jsonl");
    let _ = std::fs::remove_file(&out);
    let _ = std::process::Command::new("python3")
        .arg(env.work().join("login.py"))
        .env("REGISTRY_URL", registry_url(env))
        .env("REGISTRY_USER", user)
        .env("REGISTRY_TOKEN", token)
        .env("OUT", &out)
        .status()
        .expect("python3 runs");
    logins(&out)[0]["status"].as_u64().unwrap() as u16
}

fn logins(path: &Path) -> Vec<Json> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The ephemeral block; `user` is the inside of its `user` block.
fn ephemeral(env: &Env, user: &str, extra: &str) -> String {
    format!(
        "ephemeral \"oci_identity_domains_auth_token\" \"t\" {{\n  idcs_endpoint = \"{}\"\n{extra}  user {{\n    {user}\n  }}\n}}\n",
        endpoint(env)
    )
}

/// A `terraform_data` whose create-time provisioner logs in with the ephemeral token, then
/// runs `after` (shell).
fn login_resource(env: &Env, name: &str, after: &str) -> String {
    format!(
        r#"
resource "terraform_data" "{name}" {{
  provisioner "local-exec" {{
    command = "python3 login.py{after}"
    environment = {{
      REGISTRY_URL   = "{url}"
      REGISTRY_USER  = "{user}"
      REGISTRY_TOKEN = ephemeral.oci_identity_domains_auth_token.t.token
      OUT            = "logins.jsonl"
    }}
  }}
}}
"#,
        url = registry_url(env),
        user = env.user(0),
    )
}

fn calls(env: &Env, op: &str) -> u64 {
    env.stats()["requests"][op]["total"].as_u64().unwrap_or(0)
}

fn live_tokens(env: &Env) -> u64 {
    env.stats()["live_tokens"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn domains_token_works_during_apply_only_and_is_never_stored_or_logged() {
    let mut env = env_or_skip!(Env::with_users(1));
    env.write("login.py", LOGIN_PY);
    let (scim_id, user_ocid) = scim_user(&env, 0);
    let (scim_id, user_ocid) = (scim_id.to_string(), user_ocid.to_string());
    env.config(&format!(
        "{}{}",
        ephemeral(
            &env,
            &format!("value = \"{scim_id}\""),
            "  description = \"ci push\"\n"
        ),
        login_resource(&env, "push", "")
    ));
    env.extra_env.push(("TF_LOG".into(), "trace".into()));
    let plan = env
        .tf(&["plan", "-input=false", "-no-color", "-out=tfplan"])
        .await;
    plan.ok();
    assert_eq!(calls(&env, "CreateAuthToken (SCIM)"), 1, "{}", plan.all());
    assert_eq!(live_tokens(&env), 0, "closed at the end of the plan");

    let apply = env
        .tf(&["apply", "-input=false", "-no-color", "tfplan"])
        .await;
    apply.ok();
    env.extra_env.clear();

    let seen = logins(&env.work().join("logins.jsonl"));
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["status"], 200, "the token logs in during the apply");
    let token = seen[0]["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 10);
    assert_eq!(live_tokens(&env), 0, "no token left");
    assert_eq!(calls(&env, "CreateAuthToken (SCIM)"), 2, "one per walk");
    assert_eq!(calls(&env, "DeleteAuthToken (SCIM)"), 2, "each closed");
    assert_eq!(registry_status(&env, &user_ocid, &token), 401);

    // The create carried the lease marker and a service-side expiry about a day away.
    let trace = format!("{}{}", plan.stderr, apply.stderr);
    assert!(
        trace.contains("ephemeral auth token created"),
        "the provider logs its creates"
    );
    assert!(trace.contains("expires_on="), "the expiry is logged");

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
async fn a_killed_run_leaves_a_leased_expiring_token_that_the_next_run_removes() {
    let env = env_or_skip!(Env::with_users(1));
    env.write("login.py", LOGIN_PY);
    let client = env.client();
    let elsewhere = client
        .create_auth_token(env.user(0), "managed elsewhere")
        .await
        .unwrap();
    // By OCID this time.
    let block = ephemeral(
        &env,
        &format!("ocid = \"{}\"", scim_user(&env, 0).1),
        "  lease         = \"2s\"\n",
    );
    env.config(&format!(
        "{block}{}",
        login_resource(&env, "slow", " && touch started && sleep 120")
    ));

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

    // Close never ran: the apply walk's token is still there, with its lease marker and a
    // service-side expiry (at least a day: the lease could have been renewed).
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
    let expires = leaked.time_expires.as_deref().expect("an expiry");
    let expires = chrono::DateTime::parse_from_rfc3339(expires).unwrap();
    let in_hours = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&in_hours), "{expires}");
    let seen = logins(&env.work().join("logins.jsonl"));
    let leaked_token = seen.last().unwrap()["token"].as_str().unwrap().to_string();
    assert_eq!(registry_status(&env, env.user(0), &leaked_token), 200);

    // Once the lease has passed, the next run deletes it and fits into the 2-token limit.
    tokio::time::sleep(Duration::from_secs(3)).await;
    env.config(&format!("{block}{}", login_resource(&env, "next", "")));
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
    assert_eq!(left, vec![elsewhere.id.clone()], "only the unrelated token");
    assert_eq!(registry_status(&env, env.user(0), &leaked_token), 401);
    let seen = logins(&env.work().join("logins.jsonl"));
    assert_eq!(seen.last().unwrap()["status"], 200, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn a_user_holding_two_unrelated_domains_tokens_gets_a_clear_diagnostic_and_nothing_changes() {
    let env = env_or_skip!(Env::with_users(1));
    env.write("login.py", LOGIN_PY);
    let client = env.client();
    let a = client.create_auth_token(env.user(0), "ci").await.unwrap();
    let b = client.create_auth_token(env.user(0), "").await.unwrap();
    env.config(&format!(
        "{}{}",
        ephemeral(&env, &format!("value = \"{}\"", scim_user(&env, 0).0), ""),
        login_resource(&env, "push", "")
    ));
    let out = env.apply().await;
    out.failed_with("No free auth token slot");
    let all = out.all();
    // The SCIM view of the classic tokens: their OCIDs are the SCIM `ocid`.
    for needle in [
        a.id.as_str(),
        b.id.as_str(),
        "description \"ci\"",
        "managed elsewhere",
        "Nothing was created or deleted",
        "user",
    ] {
        assert!(all.contains(needle), "{needle:?} in:\n{all}");
    }
    for op in [
        "CreateAuthToken (SCIM)",
        "DeleteAuthToken (SCIM)",
        "PatchAuthToken (SCIM)",
    ] {
        assert_eq!(calls(&env, op), 0, "{op}");
    }
    assert_eq!(live_tokens(&env), 2);
    assert!(!env.work().join("logins.jsonl").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn a_long_run_renews_the_domains_lease_with_a_patch() {
    let env = env_or_skip!(Env::with_users(1));
    env.write("login.py", LOGIN_PY);
    env.config(&format!(
        "{}{}",
        ephemeral(
            &env,
            &format!("value = \"{}\"", scim_user(&env, 0).0),
            "  lease         = \"2s\"\n"
        ),
        login_resource(&env, "slow", " && sleep 4 && python3 login.py")
    ));
    env.apply().await.ok();
    let seen = logins(&env.work().join("logins.jsonl"));
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter().all(|l| l["status"] == 200),
        "still usable after the first lease end: {seen:?}"
    );
    assert!(
        calls(&env, "PatchAuthToken (SCIM)") >= 1,
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
async fn bad_domains_arguments_are_reported_with_their_paths_before_any_api_call() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(
        "ephemeral \"oci_identity_domains_auth_token\" \"t\" {\n  idcs_endpoint = \"ftp://idcs\"\n  lease         = \"soon\"\n  user {\n    value = \"\"\n  }\n}\n",
    );
    let out = env.plan().await;
    let all = out.failed_with("\"soon\" is not a duration").all();
    assert!(all.contains("Invalid identity domain URL"), "{all}");
    assert!(all.contains("Missing user"), "{all}");
    env.config(
        "ephemeral \"oci_identity_domains_auth_token\" \"t\" {\n  idcs_endpoint = \"https://idcs.example\"\n}\n",
    );
    let out = env.plan().await;
    out.failed_with("user");
    assert_eq!(env.api_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn example_domains_ephemeral_resource_logs_in_with_curl_and_leaves_nothing() {
    let env = env_or_skip!(Env::with_users(1));
    env.copy_example("ephemeral-resources/oci_identity_domains_auth_token/ephemeral-resource.tf");
    env.write("provider.tf", crate::harness::PROVIDER_BLOCK);
    let vars = [
        format!(
            "-var=domain_id={}",
            env.mock.identity_domains[0].domain_ocid
        ),
        format!("-var=user_scim_id={}", scim_user(&env, 0).0),
        format!("-var=registry_url={}/_mock/registry", env.mock.endpoint),
        format!("-var=registry_username={}", env.user(0)),
    ];
    let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
    args.extend(vars.iter().map(String::as_str));
    env.tf(&args).await.ok();
    assert_eq!(calls(&env, "CreateAuthToken (SCIM)"), 2, "plan and apply");
    assert_eq!(live_tokens(&env), 0);
}
