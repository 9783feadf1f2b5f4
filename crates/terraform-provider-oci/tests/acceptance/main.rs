//! Acceptance tests: real Terraform (1.15) with `dev_overrides` against `oci-identity-mock`.
//! Each test has its own mock, work directory and state.

mod auth_modes;
mod domains_inventory;
mod domains_resource;
mod ephemeral;
mod ephemeral_domains;
mod examples;
mod harness;
mod install;
mod provider_args;
mod tooling;
mod validation;

use harness::{token_block, Env};
use oci_identity_mock::MockOptions;
use serde_json::Value as Json;

/// Awaits an `Env::start`-like future. Despite the name it never skips: without Terraform
/// the test fails (the `cfg_attr(missing_terraform, ignore = …)` on each test is what skips,
/// visibly, outside CI).
#[macro_export]
macro_rules! env_or_skip {
    ($e:expr) => {
        match $e.await {
            Some(env) => env,
            None => panic!("no test environment (Terraform missing?)"),
        }
    };
}

/// All API requests the mock counted (every operation, every attempt).
fn request_count(stats: &Json) -> u64 {
    stats["requests"]
        .as_object()
        .map(|ops| ops.values().filter_map(|o| o["total"].as_u64()).sum())
        .unwrap_or(0)
}

fn list_count(stats: &Json) -> u64 {
    stats["requests"]["ListAuthTokens"]["total"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn create_then_empty_plan() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(&token_block("t", env.user(0), "ci token"));
    env.apply().await.ok();
    let t = env
        .resource("oci_identity_auth_token.t")
        .await
        .expect("in state");
    assert!(t["id"].as_str().unwrap().starts_with("ocid1.credential."));
    assert_eq!(t["state"], "ACTIVE");
    assert_eq!(t["description"], "ci token");
    assert!(t["time_created"].as_str().is_some());
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn token_is_masked_in_plan_output_and_present_in_state() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(&format!(
        "{}\noutput \"tok\" {{\n  value     = oci_identity_auth_token.t.token\n  sensitive = true\n}}\n",
        token_block("t", env.user(0), "masked")
    ));
    let applied = env.apply().await;
    applied.ok();
    let t = env.resource("oci_identity_auth_token.t").await.unwrap();
    let secret = t["token"].as_str().expect("token in state").to_string();
    assert!(secret.len() >= 10);
    assert!(
        !applied.all().contains(&secret),
        "the secret must not be printed by apply"
    );
    assert!(
        applied.stdout.contains("tok = <sensitive>"),
        "{}",
        applied.stdout
    );

    // A description change plans only the description; the token stays masked.
    env.config(&format!(
        "{}\noutput \"tok\" {{\n  value     = oci_identity_auth_token.t.token\n  sensitive = true\n}}\n",
        token_block("t", env.user(0), "masked 2")
    ));
    let plan = env.plan().await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(!plan.all().contains(&secret));
    assert!(
        !plan.stdout.contains("known after apply"),
        "only the description changes:\n{}",
        plan.all()
    );
    let show = env
        .tf(&["state", "show", "-no-color", "oci_identity_auth_token.t"])
        .await;
    assert!(!show.all().contains(&secret));
    assert!(
        show.stdout.contains("token") && show.stdout.contains("(sensitive value)"),
        "{}",
        show.stdout
    );
    let state = env.state().await;
    assert_eq!(
        state["values"]["root_module"]["resources"][0]["sensitive_values"]["token"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn description_update_is_in_place() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(&token_block("t", env.user(0), "before"));
    env.apply().await.ok();
    let before = env.resource("oci_identity_auth_token.t").await.unwrap();

    env.config(&token_block("t", env.user(0), ""));
    let plan = env.plan().await;
    assert!(
        plan.stdout.contains("1 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    env.apply().await.ok();
    let after = env.resource("oci_identity_auth_token.t").await.unwrap();
    assert_eq!(after["id"], before["id"], "same token");
    assert_eq!(after["token"], before["token"], "secret kept");
    assert_eq!(after["description"], "");
    let stats = env.stats();
    assert_eq!(stats["requests"]["UpdateAuthToken"]["total"], 1);
    assert_eq!(stats["requests"]["CreateAuthToken"]["total"], 1);
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn user_change_replaces() {
    let env = env_or_skip!(Env::with_users(2));
    env.config(&token_block("t", env.user(0), "moving"));
    env.apply().await.ok();
    let before = env.resource("oci_identity_auth_token.t").await.unwrap();
    env.config(&token_block("t", env.user(1), "moving"));
    let plan = env.plan().await;
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.all());
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.all());
    env.apply().await.ok();
    let after = env.resource("oci_identity_auth_token.t").await.unwrap();
    assert_ne!(after["id"], before["id"]);
    assert_eq!(after["user_id"], env.user(1));
    assert!(env
        .client()
        .list_auth_tokens(env.user(0))
        .await
        .unwrap()
        .is_empty());
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn import_by_id_then_empty_plan() {
    let env = env_or_skip!(Env::with_users(1));
    let created = env
        .client()
        .create_auth_token(env.user(0), "made elsewhere")
        .await
        .unwrap();
    env.config(&token_block("t", env.user(0), "made elsewhere"));
    let id = format!("users/{}/authTokens/{}", env.user(0), created.id);
    env.tf(&[
        "import",
        "-input=false",
        "-no-color",
        "oci_identity_auth_token.t",
        &id,
    ])
    .await
    .ok();
    let t = env.resource("oci_identity_auth_token.t").await.unwrap();
    assert_eq!(t["id"], created.id.as_str());
    assert_eq!(t["state"], "ACTIVE");
    assert!(t["token"].is_null(), "the secret cannot be imported");
    env.assert_empty_plan().await;

    // A malformed ID is a clear error.
    env.tf(&["state", "rm", "-no-color", "oci_identity_auth_token.t"])
        .await
        .ok();
    let bad = env
        .tf(&[
            "import",
            "-input=false",
            "-no-color",
            "oci_identity_auth_token.t",
            &created.id,
        ])
        .await;
    bad.failed_with("is not an auth token import ID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn import_by_identity_then_empty_plan() {
    let env = env_or_skip!(Env::with_users(1));
    let created = env
        .client()
        .create_auth_token(env.user(0), "by identity")
        .await
        .unwrap();
    env.config(&format!(
        "{}\nimport {{\n  to = oci_identity_auth_token.t\n  identity = {{\n    user_id = \"{}\"\n    id      = \"{}\"\n  }}\n}}\n",
        token_block("t", env.user(0), "by identity"),
        env.user(0),
        created.id
    ));
    let plan = env.plan().await;
    assert!(
        plan.stdout
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    env.apply().await.ok();
    let t = env.resource("oci_identity_auth_token.t").await.unwrap();
    assert_eq!(t["id"], created.id.as_str());
    env.assert_empty_plan().await;
    let state = env.state().await;
    let identity = &state["values"]["root_module"]["resources"][0]["identity"];
    assert_eq!(identity["id"], created.id.as_str(), "{state}");
    assert_eq!(identity["user_id"], env.user(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn token_deleted_out_of_band_is_recreated() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(&token_block("t", env.user(0), "fragile"));
    env.apply().await.ok();
    // A refresh that lists the token ends the window in which one missing from lists is
    // taken for lag (`an_unlisted_create_stays_in_state_for_the_consistency_window_only`).
    let refreshed = env
        .tf(&[
            "apply",
            "-refresh-only",
            "-auto-approve",
            "-input=false",
            "-no-color",
        ])
        .await;
    assert_eq!(refreshed.code, 0, "{}", refreshed.all());
    let before = env.resource("oci_identity_auth_token.t").await.unwrap();
    env.client()
        .delete_auth_token(env.user(0), before["id"].as_str().unwrap())
        .await
        .unwrap();
    let plan = env.plan().await;
    assert_eq!(plan.code, 2);
    assert!(
        plan.stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    env.apply().await.ok();
    let after = env.resource("oci_identity_auth_token.t").await.unwrap();
    assert_ne!(after["id"], before["id"]);
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn description_changed_out_of_band_is_corrected() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(&token_block("t", env.user(0), "wanted"));
    env.apply().await.ok();
    let t = env.resource("oci_identity_auth_token.t").await.unwrap();
    let id = t["id"].as_str().unwrap().to_string();
    env.client()
        .update_auth_token(env.user(0), &id, "tampered")
        .await
        .unwrap();
    let plan = env.plan().await;
    assert_eq!(plan.code, 2);
    assert!(
        plan.stdout.contains("\"tampered\" -> \"wanted\""),
        "{}",
        plan.all()
    );
    env.apply().await.ok();
    let tokens = env.client().list_auth_tokens(env.user(0)).await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].id, id);
    assert_eq!(tokens[0].description.as_deref(), Some("wanted"));
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn destroy_leaves_no_token() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(&format!(
        "{}{}",
        token_block("a", env.user(0), "one"),
        token_block("b", env.user(0), "two")
    ));
    env.apply().await.ok();
    assert_eq!(
        env.client()
            .list_auth_tokens(env.user(0))
            .await
            .unwrap()
            .len(),
        2
    );
    env.tf(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        .await
        .ok();
    assert!(env
        .client()
        .list_auth_tokens(env.user(0))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(env.stats()["live_tokens"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn third_token_fails_with_limit_and_state_stays_consistent() {
    let env = env_or_skip!(Env::with_users(1));
    let blocks: String = ["a", "b", "c"]
        .iter()
        .map(|n| token_block(n, env.user(0), n))
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
    let all = out.failed_with("LimitExceeded").all();
    assert!(all.contains("at most 2 auth tokens"), "{all}");
    let state = env.state().await;
    let in_state = state["values"]["root_module"]["resources"]
        .as_array()
        .map(|r| r.len())
        .unwrap_or(0);
    let remote = env.client().list_auth_tokens(env.user(0)).await.unwrap();
    assert_eq!(in_state, 2, "the two created tokens are in state");
    assert_eq!(remote.len(), 2, "no orphan, no extra token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn unknown_user_fails_with_a_clear_message() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(&token_block("t", "ocid1.user.oc1..aaaaaaaanosuchuser", "x"));
    let out = env.apply().await;
    let all = out.failed_with("404-NotAuthorizedOrNotFound").all();
    assert!(all.contains("OPC request ID"), "{all}");
    assert!(env.resource("oci_identity_auth_token.t").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn bad_key_fails_with_a_clear_message() {
    let mut env = env_or_skip!(Env::with_users(1));
    // A valid RSA key that is not the user's: the mock rejects the signature.
    let key_path = test_support::fixture("keys/rsa2048_other.pem");
    env.extra_env.push((
        "TF_VAR_private_key_path".into(),
        key_path.display().to_string(),
    ));
    env.config(&token_block("t", env.user(0), "x"));
    let out = env.apply().await;
    let all = out.failed_with("401-NotAuthenticated").all();
    assert!(
        all.to_lowercase().contains("fingerprint"),
        "hint names the key/fingerprint: {all}"
    );
    assert!(!all.contains("PRIVATE KEY"), "no key material in output");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn invalid_config_is_reported_at_plan_time_with_paths() {
    let env = env_or_skip!(Env::with_users(1));
    let long = "x".repeat(401);
    env.config(&format!(
        "resource \"oci_identity_auth_token\" \"t\" {{\n  user_id     = \"not an ocid\"\n  description = \"{long}\"\n  timeouts {{\n    create = \"soon\"\n  }}\n}}\n"
    ));
    let out = env.tf(&["validate", "-no-color"]).await;
    let all = out.failed_with("is not an OCID").all();
    assert!(all.contains("at most 400"), "{all}");
    assert!(all.contains("is not a duration"), "{all}");
    assert!(all.contains("user_id"), "{all}");
    assert_eq!(list_count(&env.stats()), 0, "nothing reached the API");
    // `validate` never configures the provider, so the count above cannot be anything but 0;
    // `plan` does configure it and would then create/read: it must stop at the same errors
    // before any API call.
    let out = env.plan().await;
    let all = out.failed_with("is not an OCID").all();
    assert!(all.contains("at most 400"), "{all}");
    assert_eq!(
        env.api_calls(),
        0,
        "nothing reached the API: {}",
        env.stats()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn data_source_with_filters() {
    let env = env_or_skip!(Env::with_users(1));
    let c = env.client();
    let a = c.create_auth_token(env.user(0), "ci deploy").await.unwrap();
    let _b = c.create_auth_token(env.user(0), "laptop").await.unwrap();
    env.config(&format!(
        r#"
data "oci_identity_auth_tokens" "all" {{
  user_id = "{u}"
}}
data "oci_identity_auth_tokens" "ci" {{
  user_id = "{u}"
  filter {{
    name   = "state"
    values = ["INACTIVE", "ACTIVE"]
  }}
  filter {{
    name   = "description"
    values = ["deploy"]
    regex  = true
  }}
}}
output "all" {{ value = length(data.oci_identity_auth_tokens.all.tokens) }}
output "ci"  {{ value = data.oci_identity_auth_tokens.ci.tokens[*].id }}
output "id"  {{ value = data.oci_identity_auth_tokens.all.id }}
"#,
        u = env.user(0)
    ));
    env.apply().await.ok();
    let out: Json = serde_json::from_str(&env.tf(&["output", "-json"]).await.ok().stdout).unwrap();
    assert_eq!(out["all"]["value"], 2);
    assert_eq!(out["ci"]["value"], serde_json::json!([a.id]));
    assert!(out["id"]["value"]
        .as_str()
        .unwrap()
        .starts_with("IdentityAuthTokensDataSource-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn query_lists_tokens_and_generates_config_that_plans_empty() {
    let env = env_or_skip!(Env::with_users(1));
    let c = env.client();
    let a = c.create_auth_token(env.user(0), "alpha").await.unwrap();
    let b = c.create_auth_token(env.user(0), "beta").await.unwrap();
    env.config("");
    env.write(
        "tokens.tfquery.hcl",
        &format!(
            "list \"oci_identity_auth_token\" \"all\" {{\n  provider = oci\n  config {{\n    user_id = \"{}\"\n  }}\n}}\n",
            env.user(0)
        ),
    );
    let q = env.tf(&["query", "-no-color"]).await;
    q.ok();
    assert!(
        q.stdout.contains(&a.id) && q.stdout.contains(&b.id),
        "{}",
        q.stdout
    );
    assert!(
        q.stdout.contains("alpha") && q.stdout.contains("beta"),
        "{}",
        q.stdout
    );

    let g = env
        .tf(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .await;
    g.ok();
    let generated = std::fs::read_to_string(env.work().join("generated.tf")).unwrap();
    assert!(
        generated.contains("import {")
            && generated.contains("resource \"oci_identity_auth_token\""),
        "{generated}"
    );
    std::fs::remove_file(env.work().join("tokens.tfquery.hcl")).unwrap();
    let plan = env.plan().await;
    assert!(
        plan.stdout
            .contains("2 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    env.apply().await.ok();
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn fifty_tokens_across_25_users_refresh_with_one_list_per_user() {
    let env = env_or_skip!(Env::start(MockOptions {
        users: 25,
        ..Default::default()
    }));
    let mut body = String::new();
    for u in 0..25 {
        for k in 0..2 {
            body.push_str(&token_block(
                &format!("t{u}_{k}"),
                env.user(u),
                &format!("user {u} token {k}"),
            ));
        }
    }
    env.config(&body);
    env.tf(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ])
    .await
    .ok();
    assert_eq!(env.stats()["live_tokens"], 50);

    let before = list_count(&env.stats());
    let refresh = env
        .tf(&[
            "plan",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            "-parallelism=10",
        ])
        .await;
    assert_eq!(refresh.code, 0, "{}", refresh.all());
    let lists = list_count(&env.stats()) - before;
    println!("refresh of 50 tokens across 25 users made {lists} ListAuthTokens calls");
    assert_eq!(lists, 25, "one list call per user per refresh");
}

/// Request counts of create 50 / destroy 50 over 25 users: a create whose POST says ACTIVE
/// is not confirmed by a list, a 204 DELETE is not confirmed by a list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn fifty_tokens_create_and_destroy_with_one_request_each() {
    let env = env_or_skip!(Env::start(MockOptions {
        users: 25,
        ..Default::default()
    }));
    let mut body = String::new();
    for u in 0..25 {
        for k in 0..2 {
            body.push_str(&token_block(
                &format!("t{u}_{k}"),
                env.user(u),
                &format!("user {u} token {k}"),
            ));
        }
    }
    env.config(&body);
    let before = request_count(&env.stats());
    env.tf(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ])
    .await
    .ok();
    let created = request_count(&env.stats()) - before;
    assert_eq!(env.stats()["live_tokens"], 50);
    env.assert_empty_plan().await;

    let before = request_count(&env.stats());
    env.tf(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ])
    .await
    .ok();
    let destroyed = request_count(&env.stats()) - before;
    println!("create 50: {created} requests; destroy 50: {destroyed} requests");
    assert_eq!(env.stats()["live_tokens"], 0);
    assert!(created <= 55, "create 50 made {created} requests");
    assert!(destroyed <= 75, "destroy 50 made {destroyed} requests");
}

/// Under a rate limit that refuses part of the requests (429 `TooManyRequests`), 50 tokens
/// are created and destroyed with no failure and no avalanche of retries: the client's
/// adaptive limit keeps the requests beyond the minimum close to the refused ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn fifty_tokens_under_a_rate_limit_have_no_failures() {
    let env = env_or_skip!(Env::start(MockOptions {
        users: 25,
        rate_limit: 20,
        ..Default::default()
    }));
    let mut body = String::new();
    for u in 0..25 {
        for k in 0..2 {
            body.push_str(&token_block(
                &format!("t{u}_{k}"),
                env.user(u),
                &format!("user {u} token {k}"),
            ));
        }
    }
    env.config(&body);
    for args in [
        &[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=10",
        ][..],
        &[
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=10",
        ][..],
    ] {
        let before = env.stats();
        env.tf(args).await.ok();
        let after = env.stats();
        let sent = request_count(&after) - request_count(&before);
        let refused = after["rate_limited"].as_u64().unwrap_or(0)
            - before["rate_limited"].as_u64().unwrap_or(0);
        println!("{}: {sent} requests, {refused} refused", args[0]);
        let minimum = if args[0] == "apply" { 50 } else { 75 };
        assert!(
            sent as f64 <= minimum as f64 * 1.2 + refused as f64,
            "{}: {sent} requests, {refused} refused",
            args[0]
        );
    }
    assert_eq!(env.stats()["live_tokens"], 0);
}

/// A create whose POST already says ACTIVE is not listed; the first refresh waits for
/// lists that lag behind instead of dropping it from state (the private-state marker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn active_create_is_not_listed_and_the_first_refresh_waits_for_lagging_lists() {
    let env = env_or_skip!(Env::start(MockOptions {
        list_lag_ms: 3000,
        ..Default::default()
    }));
    env.config(&token_block("t", env.user(0), "lagging"));
    let before = request_count(&env.stats());
    env.apply().await.ok();
    assert_eq!(request_count(&env.stats()) - before, 1, "one POST, no list");
    let plan = env
        .tf(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
        .await;
    assert_eq!(plan.code, 0, "kept in state, no diff: {}", plan.all());
    assert_eq!(env.stats()["live_tokens"], 1);
}

/// Lists that lag behind longer than the refresh polls (10 s): the token stays in state, with
/// a warning, instead of being dropped and left behind while the next apply creates another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn lists_lagging_past_the_poll_keep_the_token_rather_than_orphan_it() {
    let env = env_or_skip!(Env::start(MockOptions {
        list_lag_ms: 12_000,
        ..Default::default()
    }));
    env.config(&token_block("t", env.user(0), "very lagging"));
    env.apply().await.ok();
    let created = std::time::Instant::now();
    let plan = env
        .tf(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
        .await;
    assert_eq!(plan.code, 0, "kept in state, no diff: {}", plan.all());
    assert!(
        plan.all().contains("Auth token not listed yet"),
        "{}",
        plan.all()
    );
    assert_eq!(env.stats()["live_tokens"], 1, "no second token");
    // Once the list shows it (12 s after the create), the refresh finds it: still no diff,
    // no warning.
    tokio::time::sleep(std::time::Duration::from_secs(13).saturating_sub(created.elapsed())).await;
    let plan = env
        .tf(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
        .await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(!plan.all().contains("not listed yet"), "{}", plan.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn create_survives_faults_and_list_lag() {
    let env = env_or_skip!(Env::start(MockOptions {
        list_lag_ms: 1500,
        ..Default::default()
    }));
    env.mock.state().queue_faults([
        oci_identity_mock::Fault::Status503,
        oci_identity_mock::Fault::DropResponse,
    ]);
    env.config(&token_block("t", env.user(0), "resilient"));
    env.apply().await.ok();
    // The POST said ACTIVE, so the create did not wait for lists to show it: right after
    // the apply the server holds exactly one token, and a refresh within the lag keeps it.
    assert_eq!(env.stats()["live_tokens"], 1, "exactly one token");
    env.assert_empty_plan().await;
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(
        env.client()
            .list_auth_tokens(env.user(0))
            .await
            .unwrap()
            .len(),
        1,
        "exactly one token"
    );
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn query_honours_limit_and_filters() {
    let env = env_or_skip!(Env::start(MockOptions {
        token_limit: 0,
        ..Default::default()
    }));
    let c = env.client();
    for d in ["ci one", "ci two", "laptop"] {
        c.create_auth_token(env.user(0), d).await.unwrap();
    }
    env.config("");
    env.write(
        "q.tfquery.hcl",
        &format!(
            r#"list "oci_identity_auth_token" "two" {{
  provider = oci
  limit    = 2
  config {{
    user_id = "{u}"
  }}
}}
list "oci_identity_auth_token" "ci" {{
  provider = oci
  config {{
    user_id           = "{u}"
    state             = "ACTIVE"
    description_regex = "^ci"
  }}
}}
"#,
            u = env.user(0)
        ),
    );
    let q = env.tf(&["query", "-json", "-no-color"]).await;
    q.ok();
    let mut per_list: std::collections::HashMap<String, usize> = Default::default();
    for line in q.stdout.lines() {
        let Ok(msg) = serde_json::from_str::<Json>(line) else {
            continue;
        };
        if msg["type"] == "list_start" || msg["type"] == "list_resource_found" {
            if let Some(addr) = msg["list_resource_found"]["address"].as_str() {
                *per_list.entry(addr.to_string()).or_default() += 1;
            }
        }
    }
    assert_eq!(
        per_list.get("list.oci_identity_auth_token.two"),
        Some(&2),
        "{}",
        q.stdout
    );
    assert_eq!(
        per_list.get("list.oci_identity_auth_token.ci"),
        Some(&2),
        "{}",
        q.stdout
    );

    // A bad regex is reported against the attribute.
    env.write(
        "q.tfquery.hcl",
        &format!(
            "list \"oci_identity_auth_token\" \"bad\" {{\n  provider = oci\n  config {{\n    user_id           = \"{}\"\n    description_regex = \"(\"\n  }}\n}}\n",
            env.user(0)
        ),
    );
    let bad = env.tf(&["query", "-no-color"]).await;
    bad.failed_with("Invalid regular expression");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn failed_wait_after_create_saves_a_tainted_token_not_an_orphan() {
    // New tokens are CREATING for 4 s and show up in lists only after 4 s; the create
    // timeout is 1 s. (A POST that says ACTIVE needs no wait; this one says CREATING.)
    let env = env_or_skip!(Env::start(MockOptions {
        list_lag_ms: 4000,
        activation_ms: 4000,
        ..Default::default()
    }));
    env.config(&format!(
        "resource \"oci_identity_auth_token\" \"t\" {{\n  user_id     = \"{}\"\n  description = \"slow to appear\"\n  timeouts {{\n    create = \"1s\"\n  }}\n}}\n",
        env.user(0)
    ));
    let out = env.apply().await;
    out.failed_with("Auth token created but not ready");
    let state = env.state().await;
    let r = &state["values"]["root_module"]["resources"][0];
    assert_eq!(r["tainted"], true, "{state}");
    let id = r["values"]["id"].as_str().unwrap().to_string();
    assert!(
        r["values"]["token"].as_str().is_some(),
        "the secret is kept"
    );
    assert_eq!(env.stats()["live_tokens"], 1, "exactly the token in state");

    // The next apply replaces the tainted token; nothing is left behind.
    env.config(&token_block("t", env.user(0), "slow to appear"));
    env.apply().await.ok();
    let tokens = env.client().list_auth_tokens(env.user(0)).await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_ne!(tokens[0].id, id);
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn full_lifecycle_under_random_faults() {
    // 429s, 500s, 503s and dropped connections on a quarter of all API calls.
    let env = env_or_skip!(Env::start(MockOptions {
        fault_rate: 0.25,
        seed: 42,
        ..Default::default()
    }));
    // And, whatever the dice say, these first.
    use oci_identity_mock::Fault::*;
    env.mock
        .state()
        .queue_faults([Status429, DropConnection, Status500, Status503]);
    env.config(&format!(
        "{}{}",
        token_block("a", env.user(0), "one"),
        token_block("b", env.user(0), "two")
    ));
    env.apply().await.ok();
    env.assert_empty_plan().await;
    env.tf(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        .await
        .ok();
    let stats = env.stats();
    let faults: u64 = stats["injected_faults"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    println!("survived {faults} injected faults");
    assert!(faults >= 4, "{stats}");
    assert_eq!(stats["live_tokens"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn create_waits_for_creating_to_become_active() {
    // New tokens are CREATING for 2 s (and the create response says so).
    let env = env_or_skip!(Env::start(MockOptions {
        activation_ms: 2000,
        ..Default::default()
    }));
    env.config(&token_block("t", env.user(0), "patience"));
    env.apply().await.ok();
    let t = env.resource("oci_identity_auth_token.t").await.unwrap();
    assert_eq!(
        t["state"], "ACTIVE",
        "apply returned only once the token was ACTIVE"
    );
    let lists = list_count(&env.stats());
    assert!(lists >= 2, "polled while CREATING ({lists} lists)");
    env.assert_empty_plan().await;
}
