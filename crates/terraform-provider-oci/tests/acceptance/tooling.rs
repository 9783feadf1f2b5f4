//! Terraform's view of the provider itself: schema JSON, validation of the examples, debug
//! (reattach) mode and provider logs.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::env_or_skip;
use crate::harness::{token_block, Env};
use serde_json::Value as Json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn providers_schema_json_and_validate_examples() {
    let env = env_or_skip!(Env::with_users(1));
    env.copy_example("provider/provider.tf");
    env.copy_example("resources/oci_identity_auth_token/resource.tf");
    let out = env.tf(&["providers", "schema", "-json"]).await;
    out.ok();
    let schema: Json = serde_json::from_str(&out.stdout).unwrap();
    let p = &schema["provider_schemas"]["registry.terraform.io/oracle/oci"];
    let res = &p["resource_schemas"]["oci_identity_auth_token"]["block"];
    assert_eq!(res["attributes"]["token"]["sensitive"], true);
    assert_eq!(res["attributes"]["token"]["computed"], true);
    assert_eq!(res["attributes"]["user_id"]["required"], true);
    assert_eq!(
        res["attributes"]["description"]["description_kind"],
        "markdown"
    );
    assert_eq!(res["block_types"]["timeouts"]["nesting_mode"], "single");
    let ds = &p["data_source_schemas"]["oci_identity_auth_tokens"]["block"];
    assert_eq!(ds["block_types"]["filter"]["nesting_mode"], "set");
    assert_eq!(
        p["provider"]["block"]["attributes"]["private_key"]["sensitive"],
        true
    );
    let identity = &p["resource_identity_schemas"]["oci_identity_auth_token"]["attributes"];
    assert_eq!(identity["id"]["required_for_import"], true);
    assert_eq!(identity["user_id"]["required_for_import"], true);
    assert!(
        p["list_resource_schemas"]["oci_identity_auth_token"].is_object(),
        "{p}"
    );

    let v = env.tf(&["validate", "-json", "-no-color"]).await;
    let report: Json = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(report["valid"], true, "{}", v.all());
    assert_eq!(report["error_count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn debug_mode_lets_terraform_reattach() {
    let mut env = env_or_skip!(Env::with_users(1));
    let mut child = Command::new(env!("CARGO_BIN_EXE_terraform-provider-oci"))
        .arg("--debug")
        .env("OCI_CONFIG_FILE", &env.mock.config_file)
        .env(
            "CLIENT_HOST_OVERRIDES",
            test_support::client_host_overrides(&env.mock.endpoint),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut reattach = None;
    for _ in 0..10 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = Some(rest.trim_end_matches('\'').to_string());
            break;
        }
    }
    let reattach = reattach.expect("TF_REATTACH_PROVIDERS line");
    let parsed: Json = serde_json::from_str(&reattach).unwrap();
    assert_eq!(
        parsed["registry.terraform.io/oracle/oci"]["ProtocolVersion"],
        6
    );
    env.extra_env
        .push(("TF_REATTACH_PROVIDERS".into(), reattach));
    env.config(&token_block("t", env.user(0), "via debugger"));
    env.apply().await.ok();
    env.assert_empty_plan().await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "a debug provider outlives Terraform runs"
    );
    child.kill().unwrap();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn provider_logs_reach_terraform_without_secrets() {
    let mut env = env_or_skip!(Env::with_users(1));
    env.extra_env
        .push(("TF_LOG_PROVIDER".into(), "trace".into()));
    env.config(&token_block("t", env.user(0), "logged"));
    let out = env.apply().await;
    out.ok();
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("auth token created"))
        .expect("provider log line");
    assert!(
        line.contains("[INFO]") && line.contains("provider.terraform-provider-oci"),
        "{line}"
    );
    assert!(
        out.stderr.contains("handling ApplyResourceChange"),
        "RPC-level debug lines"
    );
    assert!(
        !out.stderr.contains("frame="),
        "no HTTP/2 frame chatter from dependencies"
    );
    let t = env.resource("oci_identity_auth_token.t").await.unwrap();
    let secret = t["token"].as_str().unwrap();
    assert!(!out.all().contains(secret), "the token must not be logged");
    assert!(
        !out.stderr.contains("Signature version="),
        "no Authorization header in logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn debug_logs_time_every_rpc_api_call_and_provider_process() {
    // What scripts/bench-terraform.sh reads to split a command's time.
    let mut env = env_or_skip!(Env::with_users(1));
    env.extra_env
        .push(("TF_LOG_PROVIDER".into(), "debug".into()));
    env.config(&token_block("t", env.user(0), "timed"));
    let out = env.apply().await;
    out.ok();
    let lines: Vec<&str> = out.stderr.lines().collect();
    let has = |needles: &[&str]| lines.iter().any(|l| needles.iter().all(|n| l.contains(n)));
    for rpc in [
        "GetProviderSchema",
        "ValidateResourceConfig",
        "ConfigureProvider",
        "PlanResourceChange",
        "ApplyResourceChange",
    ] {
        assert!(
            has(&["RPC finished", &format!("tf_rpc={rpc}"), "elapsed_ms="]),
            "{rpc} is timed"
        );
    }
    assert!(has(&["serving: handshake written", "setup_ms="]));
    assert!(has(&[
        "OCI request succeeded",
        "attempt_ms=",
        "throttled_ms="
    ]));
    assert!(has(&["HTTP client built", "build_ms="]));
    // Every provider process Terraform started reports its lifetime and CPU time at exit.
    let started = lines
        .iter()
        .filter(|l| l.contains("provider: plugin started:"))
        .count();
    let exiting: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("provider process exiting"))
        .collect();
    assert!(started >= 2, "{started} provider processes");
    assert_eq!(exiting.len(), started, "one exit line per process");
    for l in exiting {
        assert!(l.contains("uptime_ms=") && l.contains("cpu_ms="), "{l}");
        assert!(!l.contains("cpu_ms=-1"), "CPU time is read on Linux: {l}");
    }
}
