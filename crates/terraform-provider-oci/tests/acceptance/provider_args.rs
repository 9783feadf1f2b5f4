//! The provider block as the official `oracle/oci` provider has it, with real Terraform:
//! every official argument validates and plans (those without effect warn by name), the
//! the official `auth` modes fail with a pathed diagnostic naming what is missing when their
//! platform is absent (`WorkloadIdentityFederation` naming its missing arguments),
//! `retry_duration_seconds` (block and environment), the WARN log line for unreachable
//! endpoints, `filter.regex = false` in data source state, and the `LimitExceeded` diagnostic
//! that lists the user's tokens.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::env_or_skip;
use crate::harness::{token_block, Env};

const REQUIRED_PROVIDERS: &str = r#"
terraform {
  required_providers {
    oci = {
      source = "oracle/oci"
    }
  }
}
"#;

/// The arguments of the official provider that have no effect here (each warns when set).
const NO_EFFECT: [&str; 14] = [
    "retries_config_file",
    "ignore_defined_tags",
    "realm_specific_service_endpoint_template_enabled",
    "dual_stack_endpoint_enabled",
    "test_time_maintenance_reboot_due",
    "token_exchange_domain_url",
    "token_exchange_auth",
    "token_exchange_client_id",
    "token_exchange_client_secret",
    "token_exchange_requested_token_type",
    "token_exchange_subject_token_type",
    "token_exchange_resource_type",
    "token_exchange_rpst_exp",
    "token_exchange_public_key",
];

/// The `[DEFAULT]` profile of the mock's config file.
fn mock_profile(env: &Env) -> HashMap<String, String> {
    std::fs::read_to_string(&env.mock.config_file)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// `main.tf`: the required providers, `provider "oci" { <provider> }` and `body`.
fn write_main(env: &Env, provider: &str, body: &str) {
    env.write(
        "main.tf",
        &format!("{REQUIRED_PROVIDERS}\nprovider \"oci\" {{\n{provider}\n}}\n\n{body}"),
    );
}

fn tokens_data_source(env: &Env) -> String {
    format!(
        "data \"oci_identity_auth_tokens\" \"all\" {{\n  user_id = \"{}\"\n}}\n",
        env.user(0)
    )
}

/// Whitespace-insensitive: Terraform wraps long diagnostic lines.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn every_official_provider_argument_validates_and_plans_with_warnings() {
    let env = env_or_skip!(Env::with_users(1));
    let p = mock_profile(&env);
    // Every argument of `SchemaMap` in oracle/terraform-provider-oci
    // internal/provider/provider.go, with the official types.
    let provider = format!(
        r#"  auth                 = "ApiKey"
  tenancy_ocid         = "{tenancy}"
  user_ocid            = "{user}"
  fingerprint          = "{fingerprint}"
  private_key          = file("{key}")
  private_key_path     = "{key}"
  private_key_password = ""
  region               = "{region}"
  config_file_profile  = "DEFAULT"
  disable_auto_retries   = false
  retry_duration_seconds = 30
  retries_config_file    = "retries.json"
  ignore_defined_tags    = ["Oracle-Tags.CreatedBy", "Oracle-Tags.CreatedOn"]
  realm_specific_service_endpoint_template_enabled = false
  dual_stack_endpoint_enabled                      = false
  test_time_maintenance_reboot_due                 = "2030-01-01 00:00:00"
  workload_identity_token_path        = "/var/run/secrets/kubernetes.io/serviceaccount/token"
  token_exchange_domain_url           = "https://idcs-example.identity.oraclecloud.com"
  token_exchange_auth                 = "OAuthClientCredentials"
  token_exchange_client_id            = "client"
  token_exchange_client_secret        = "not-a-real-secret"
  token_exchange_requested_token_type = "urn:oci:token-type:oci-rpst"
  token_exchange_subject_token_type   = "jwt"
  token_exchange_resource_type        = "resource"
  token_exchange_rpst_exp             = "3600"
  token_exchange_public_key           = "public"
"#,
        tenancy = p["tenancy"],
        user = p["user"],
        fingerprint = p["fingerprint"],
        key = p["key_file"],
        region = p
            .get("region")
            .map(String::as_str)
            .unwrap_or("us-ashburn-1"),
    );
    write_main(&env, &provider, &tokens_data_source(&env));

    let validate = env.tf(&["validate", "-json", "-no-color"]).await;
    let report: Json =
        serde_json::from_str(&validate.stdout).unwrap_or_else(|_| panic!("{}", validate.all()));
    assert_eq!(report["valid"], true, "{}", validate.all());
    let warnings: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "warning")
        .filter_map(|d| d["summary"].as_str())
        .filter(|s| *s != "Provider development overrides are in effect")
        .collect();
    for name in NO_EFFECT {
        assert!(
            warnings.contains(&format!("{name} has no effect in this provider").as_str()),
            "{name}: {warnings:?}"
        );
    }
    assert_eq!(warnings.len(), NO_EFFECT.len(), "{warnings:?}");

    let plan = env.plan().await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    let all = flat(&plan.all());
    for name in NO_EFFECT {
        assert!(
            all.contains(&format!("Warning: {name} has no effect in this provider")),
            "{name}: {all}"
        );
    }
    assert!(!all.contains("not-a-real-secret"), "sensitive: {all}");
    assert!(!all.contains("PRIVATE KEY"), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn principal_auth_modes_without_their_platform_fail_on_the_auth_attribute() {
    let mut env = env_or_skip!(Env::with_users(1));
    // Nothing listens on port 1: the metadata service is "absent" at once.
    env.extra_env.push((
        "OCI_METADATA_BASE_URL".into(),
        "http://127.0.0.1:1/opc/v2".into(),
    ));
    env.extra_env.push((
        "TF_VAR_test_certificates_location".into(),
        "/nonexistent-certs".into(),
    ));
    for (given, extra, expected) in [
        (
            "InstancePrincipal",
            "",
            "instance metadata request to http://127.0.0.1:1/opc/v2/",
        ),
        (
            "resourceprincipal",
            "",
            "auth ResourcePrincipal: OCI_RESOURCE_PRINCIPAL_VERSION is not set",
        ),
        (
            "OKEWORKLOADIDENTITY",
            "",
            "auth OKEWorkloadIdentity: KUBERNETES_SERVICE_HOST is not set",
        ),
        (
            "InstancePrincipalWithCerts",
            "  region = \"us-ashburn-1\"",
            "cannot read /nonexistent-certs/ip_cert.pem",
        ),
        (
            "workloadIdentityFederation",
            "",
            "missing required WorkloadIdentityFederation configuration field(s): ",
        ),
    ] {
        write_main(
            &env,
            &format!("  auth = \"{given}\"\n{extra}"),
            &tokens_data_source(&env),
        );
        env.tf(&["validate", "-no-color"]).await.ok();
        let plan = env.plan().await;
        let all = flat(&plan.failed_with("Invalid OCI provider configuration").all());
        assert!(all.contains(expected), "{given}: {all}");
        assert!(
            all.contains(&format!("auth = \"{given}\"")),
            "the line is shown: {all}"
        );
    }
    assert_eq!(env.api_calls(), 0, "{}", env.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn retry_duration_seconds_cases() {
    let mut env = env_or_skip!(Env::with_users(1));
    let body = tokens_data_source(&env);
    // A fraction or more than a day: a validation error on the attribute.
    for bad in ["1.5", "86401"] {
        write_main(&env, &format!("  retry_duration_seconds = {bad}"), &body);
        let out = env.tf(&["validate", "-no-color"]).await;
        let all = flat(&out.failed_with("retry_duration_seconds").all());
        assert!(
            all.contains(&format!("retry_duration_seconds is {bad}"))
                && all.contains("at most 86400"),
            "{bad}: {all}"
        );
        assert!(
            all.contains(&format!("retry_duration_seconds = {bad}")),
            "{all}"
        );
    }
    // Negative: "retry for the longest time", accepted as in the official provider.
    write_main(&env, "  retry_duration_seconds = -1", &body);
    env.tf(&["validate", "-no-color"]).await.ok();
    let plan = env.plan().await;
    assert_eq!(plan.code, 0, "{}", plan.all());

    // From the environment, as the official reads it: TF_VAR_ first, then OCI_.
    write_main(&env, "", &body);
    env.extra_env
        .push(("TF_VAR_retry_duration_seconds".into(), "soon".into()));
    env.extra_env
        .push(("OCI_RETRY_DURATION_SECONDS".into(), "5".into()));
    let plan = env.plan().await;
    let all = flat(&plan.failed_with("Invalid OCI provider configuration").all());
    assert!(
        all.contains("environment variable TF_VAR_retry_duration_seconds"),
        "{all}"
    );
    env.extra_env.remove(0);
    let plan = env.plan().await;
    assert_eq!(plan.code, 0, "OCI_RETRY_DURATION_SECONDS=5: {}", plan.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn unreachable_endpoints_are_logged_at_warn_and_retried_within_the_budget() {
    let mut env = env_or_skip!(Env::with_users(1));
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    write_main(&env, "", &tokens_data_source(&env));
    env.extra_env.push(("TF_LOG".into(), "warn".into()));
    env.extra_env
        .push(("OCI_RETRY_DURATION_SECONDS".into(), "2".into()));
    for (endpoint, kind) in [
        (
            format!("http://127.0.0.1:{closed_port}"),
            "connection refused",
        ),
        (
            "http://no-such-host.invalid".to_string(),
            "name does not resolve",
        ),
    ] {
        env.extra_env.retain(|(k, _)| k != "CLIENT_HOST_OVERRIDES");
        env.extra_env.push((
            "CLIENT_HOST_OVERRIDES".into(),
            format!("oci_identity.IdentityClient={endpoint}"),
        ));
        let started = std::time::Instant::now();
        let plan = env.plan().await;
        plan.failed_with("Cannot list auth tokens");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "bounded by the retry budget"
        );
        let warn = plan
            .stderr
            .lines()
            .find(|l| l.contains("[WARN]") && l.contains("unreachable"))
            .unwrap_or_else(|| panic!("no WARN line for {endpoint}:\n{}", plan.stderr));
        assert!(
            warn.contains(&format!("OCI endpoint {endpoint} unreachable ({kind})")),
            "{warn}"
        );
        assert!(
            !plan.stderr.contains("Signature version") && !plan.stderr.contains("PRIVATE KEY"),
            "no secrets in logs"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn filter_regex_defaults_to_false_in_state_without_a_diff() {
    let env = env_or_skip!(Env::with_users(1));
    let c = env.client();
    let kept = c.create_auth_token(env.user(0), "ci").await.unwrap();
    c.create_auth_token(env.user(0), "laptop").await.unwrap();
    env.config(&format!(
        r#"
data "oci_identity_auth_tokens" "ci" {{
  user_id = "{}"
  filter {{
    name   = "description"
    values = ["ci"]
  }}
}}
output "ids" {{ value = data.oci_identity_auth_tokens.ci.tokens[*].id }}
"#,
        env.user(0)
    ));
    env.apply().await.ok();
    let ds = env
        .resource("data.oci_identity_auth_tokens.ci")
        .await
        .expect("in state");
    assert_eq!(ds["filter"][0]["regex"], false, "{ds}");
    assert_eq!(ds["tokens"][0]["id"], kept.id.as_str(), "{ds}");
    assert_eq!(ds["tokens"].as_array().unwrap().len(), 1, "{ds}");
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn limit_exceeded_lists_the_users_tokens_and_how_to_adopt_them() {
    let env = env_or_skip!(Env::with_users(1));
    let blocks: String = ["a", "b", "c"]
        .iter()
        .map(|n| token_block(n, env.user(0), &format!("token {n}")))
        .collect();
    env.config(&blocks);
    let out = env
        .tf(&[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=1",
        ])
        .await;
    let all = flat(&out.failed_with("LimitExceeded").all());
    let remote = env.client().list_auth_tokens(env.user(0)).await.unwrap();
    assert_eq!(remote.len(), 2, "no orphan, no extra token");
    for t in &remote {
        assert!(all.contains(&t.id), "{} listed: {all}", t.id);
        let description = t.description.clone().unwrap_or_default();
        assert!(
            all.contains(&format!("description \"{description}\"")),
            "{all}"
        );
        assert!(
            all.contains(t.time_created.as_deref().unwrap()),
            "time created: {all}"
        );
    }
    assert!(all.contains("ACTIVE"), "{all}");
    assert!(all.contains("leftovers of an interrupted apply"), "{all}");
    assert!(
        all.contains(&format!(
            "terraform import oci_identity_auth_token.<name> users/{}/authTokens/",
            env.user(0)
        )),
        "{all}"
    );
    assert!(
        all.contains("terraform query -generate-config-out"),
        "{all}"
    );
    let state = env.state().await;
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(resources.len(), 2, "{state}");
    for r in resources {
        let secret = r["values"]["token"].as_str().unwrap();
        assert!(
            !out.all().contains(secret),
            "no token value in the diagnostic"
        );
    }
}
