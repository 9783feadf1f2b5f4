//! Core validation through real Terraform: configuration the framework rejects for every
//! resource (a computed-only attribute set, a required attribute set to null) fails at
//! validate/plan time with the attribute path, before any API call.

use crate::harness::Env;
use serde_json::Value as Json;

/// Every API request the mock has counted, over all operations.
fn api_requests(stats: &Json) -> u64 {
    stats["requests"]
        .as_object()
        .map(|ops| {
            ops.values()
                .map(|op| op["total"].as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn computed_only_id_in_config_is_rejected_without_api_calls() {
    let env = crate::env_or_skip!(Env::with_users(1));
    env.config(&format!(
        "resource \"oci_identity_auth_token\" \"t\" {{\n  id          = \"x\"\n  user_id     = \"{}\"\n  description = \"d\"\n}}\n",
        env.user(0)
    ));
    let validate = env.tf(&["validate", "-no-color"]).await;
    let all = validate
        .failed_with("Invalid configuration for read-only attribute")
        .all();
    assert!(all.contains("`id`"), "the path is named: {all}");
    assert!(
        all.contains("id          = \"x\""),
        "Terraform points at the line: {all}"
    );

    let apply = env.apply().await;
    apply.failed_with("Invalid configuration for read-only attribute");
    assert_eq!(
        api_requests(&env.stats()),
        0,
        "nothing reached the API: {}",
        env.stats()
    );
    assert_eq!(env.stats()["live_tokens"], 0, "no token was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn required_description_set_to_null_is_rejected_without_api_calls() {
    let env = crate::env_or_skip!(Env::with_users(1));
    env.config(&format!(
        "resource \"oci_identity_auth_token\" \"t\" {{\n  user_id     = \"{}\"\n  description = null\n}}\n",
        env.user(0)
    ));
    let plan = env.plan().await;
    let all = plan
        .failed_with("Missing configuration for required attribute")
        .all();
    assert!(all.contains("`description`"), "the path is named: {all}");
    assert!(
        all.contains("description = null"),
        "Terraform points at the line: {all}"
    );

    let apply = env.apply().await;
    apply.failed_with("Missing configuration for required attribute");
    assert_eq!(
        api_requests(&env.stats()),
        0,
        "nothing reached the API: {}",
        env.stats()
    );
    assert_eq!(env.stats()["live_tokens"], 0, "no token was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn data_source_read_only_attribute_in_config_is_rejected() {
    let env = crate::env_or_skip!(Env::with_users(1));
    env.config(&format!(
        "data \"oci_identity_auth_tokens\" \"all\" {{\n  user_id = \"{}\"\n  tokens  = []\n}}\n",
        env.user(0)
    ));
    let plan = env.plan().await;
    let all = plan
        .failed_with("Invalid configuration for read-only attribute")
        .all();
    assert!(all.contains("`tokens`"), "the path is named: {all}");
    assert_eq!(
        api_requests(&env.stats()),
        0,
        "nothing reached the API: {}",
        env.stats()
    );
}
