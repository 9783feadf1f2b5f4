//! Identity Domains auth tokens with real Terraform against the mock's SCIM API: the official
//! example with and without its `ignore_changes`, in-place PATCHes, replacement, import by ID
//! and identity, drift, out-of-band deletion, the my_ variant, SCIM errors, the classic domain
//! data sources and the examples.

use oci_client::identity_domains::{
    CallOptions, IdentityDomainsClient, PatchOperation, ScimAuthToken, ScimUserRef,
};
use oci_client::{resolve, ProviderSettings};
use oci_identity_mock::MockOptions;
use serde_json::Value as Json;

use crate::env_or_skip;
use crate::harness::Env;

const SCHEMA: &str = "urn:ietf:params:scim:schemas:oracle:idcs:authToken";
const ADDR: &str = "oci_identity_domains_auth_token.test_auth_token";

fn endpoint(env: &Env) -> &str {
    &env.mock.identity_domains[0].idcs_endpoint
}

fn domain_ocid(env: &Env) -> &str {
    &env.mock.identity_domains[0].domain_ocid
}

fn scim_user(env: &Env, i: usize) -> (&str, &str) {
    let u = &env.mock.identity_domains[0].users[i];
    (&u.id, &u.ocid)
}

/// A SCIM client of the mock, signing as the first user (an administrator).
fn domains_client(env: &Env) -> IdentityDomainsClient {
    let config_file = env.mock.config_file.display().to_string();
    let settings = ProviderSettings {
        identity_endpoint: Some(env.mock.endpoint.clone()),
        ..Default::default()
    };
    let lookup = move |k: &str| (k == "OCI_CONFIG_FILE").then(|| config_file.clone());
    IdentityDomainsClient::new(&resolve(&settings, &lookup).unwrap()).unwrap()
}

/// Requests of one operation the mock counted (e.g. `PatchAuthToken (SCIM)`).
fn calls(env: &Env, op: &str) -> u64 {
    env.stats()["requests"][op]["total"].as_u64().unwrap_or(0)
}

fn live_tokens(env: &Env) -> u64 {
    env.stats()["live_tokens"].as_u64().unwrap_or(0)
}

/// The official `examples/identity_domains/auth_token.tf` resource, with the domain and the
/// user supplied as variables (the official example creates them), optionally without its
/// `lifecycle { ignore_changes }`.
fn official_example(ignore_changes: bool) -> String {
    let lifecycle = if ignore_changes {
        r#"
  lifecycle {
    ignore_changes = [
      // ignore fields that will never be returned
      status,
      urnietfparamsscimschemasoracleidcsextensionself_change_user
    ]
  }"#
    } else {
        ""
    };
    format!(
        r#"
variable "domain_id" {{}}
variable "user_ocid" {{}}
variable "user_id" {{}}

variable "auth_token_authorization" {{
  default = "authorization"
}}
variable "auth_token_description" {{
  default = "description"
}}
variable "auth_token_expires_on" {{
  default = "2030-01-01T00:00:00.000Z"
}}
variable "auth_token_status" {{
  default = "ACTIVE"
}}
variable "auth_token_tags_key" {{
  default = "key"
}}
variable "auth_token_tags_value" {{
  default = "value"
}}
variable "auth_token_urnietfparamsscimschemasoracleidcsextensionself_change_user_allow_self_change" {{
  default = false
}}

data "oci_identity_domain" "test_domain" {{
  domain_id = var.domain_id
}}

resource "oci_identity_domains_auth_token" "test_auth_token" {{
  #Required
  idcs_endpoint = data.oci_identity_domain.test_domain.url
  schemas       = ["urn:ietf:params:scim:schemas:oracle:idcs:authToken"]

  #Optional
  attribute_sets = ["all"]
  attributes     = ""
  authorization  = var.auth_token_authorization
  description    = var.auth_token_description
  expires_on     = var.auth_token_expires_on
  status = var.auth_token_status
  tags {{
    #Required
    key   = var.auth_token_tags_key
    value = var.auth_token_tags_value
  }}
  urnietfparamsscimschemasoracleidcsextensionself_change_user {{

    #Optional
    allow_self_change = var.auth_token_urnietfparamsscimschemasoracleidcsextensionself_change_user_allow_self_change
  }}
  user {{

    #Optional
    #use the ocid of the same user set in value
    ocid = var.user_ocid
    #must be a user that exists
    value = var.user_id
  }}
{lifecycle}
}}
"#
    )
}

/// `-var` arguments for the official example.
fn example_vars(env: &Env, extra: &[&str]) -> Vec<String> {
    let (id, ocid) = scim_user(env, 0);
    let mut vars = vec![
        format!("-var=domain_id={}", domain_ocid(env)),
        format!("-var=user_ocid={ocid}"),
        format!("-var=user_id={id}"),
    ];
    vars.extend(extra.iter().map(|v| format!("-var={v}")));
    vars
}

async fn apply_with(env: &Env, vars: &[String]) -> crate::harness::Tf {
    let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
    args.extend(vars.iter().map(String::as_str));
    env.tf(&args).await
}

async fn plan_with(env: &Env, vars: &[String]) -> crate::harness::Tf {
    let mut args = vec!["plan", "-input=false", "-no-color", "-detailed-exitcode"];
    args.extend(vars.iter().map(String::as_str));
    env.tf(&args).await
}

async fn destroy_with(env: &Env, vars: &[String]) {
    let mut args = vec!["destroy", "-auto-approve", "-input=false", "-no-color"];
    args.extend(vars.iter().map(String::as_str));
    env.tf(&args).await.ok();
}

fn assert_empty(p: &crate::harness::Tf) {
    assert_eq!(p.code, 0, "expected an empty plan:\n{}", p.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn official_example_replans_empty_with_and_without_ignore_changes() {
    let env = env_or_skip!(Env::with_users(1));
    let vars = example_vars(&env, &[]);
    for ignore_changes in [true, false] {
        env.config(&official_example(ignore_changes));
        let applied = apply_with(&env, &vars).await;
        applied.ok();
        let t = env.resource(ADDR).await.expect("in state");
        let secret = t["token"]
            .as_str()
            .expect("the token from the create response");
        assert!(
            !applied.all().contains(secret),
            "the token is never printed"
        );
        assert_eq!(t["idcs_endpoint"], endpoint(&env));
        assert_eq!(t["status"], "ACTIVE");
        assert_eq!(t["expires_on"], "2030-01-01T00:00:00.000Z");
        assert_eq!(
            t["tags"],
            serde_json::json!([{"key": "key", "value": "value"}])
        );
        assert_eq!(t["user"][0]["value"], scim_user(&env, 0).0);
        assert_eq!(t["user"][0]["ocid"], scim_user(&env, 0).1);
        assert!(t["user"][0]["name"].as_str().is_some(), "{t}");
        assert!(t["ocid"].as_str().is_some(), "{t}");
        assert!(t["meta"][0]["created"].as_str().is_some(), "{t}");
        assert_eq!(t["domain_ocid"], domain_ocid(&env));
        assert_empty(&plan_with(&env, &vars).await);
        if ignore_changes {
            // The same state without the ignore_changes block: still nothing to do.
            env.config(&official_example(false));
            assert_empty(&plan_with(&env, &vars).await);
            env.config(&official_example(true));
        }
        destroy_with(&env, &vars).await;
        assert_eq!(live_tokens(&env), 0, "destroy leaves nothing");
    }
    let state = env.state().await;
    assert!(
        state["values"]["root_module"]["resources"]
            .as_array()
            .is_none_or(|r| r.iter().all(|r| r["mode"] == "data")),
        "{state}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn description_status_and_tags_change_in_place_with_one_patch_each() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(&official_example(false));
    apply_with(&env, &example_vars(&env, &[])).await.ok();
    let before = env.resource(ADDR).await.unwrap();

    let steps: [&[&str]; 3] = [
        &["auth_token_description=changed"],
        &[
            "auth_token_description=changed",
            "auth_token_status=INACTIVE",
        ],
        &[
            "auth_token_description=changed",
            "auth_token_status=INACTIVE",
            "auth_token_tags_value=other",
        ],
    ];
    for (n, extra) in steps.iter().enumerate() {
        let vars = example_vars(&env, extra);
        let plan = plan_with(&env, &vars).await;
        assert_eq!(plan.code, 2, "{}", plan.all());
        assert!(
            plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
            "{}",
            plan.all()
        );
        apply_with(&env, &vars).await.ok();
        assert_eq!(
            calls(&env, "PatchAuthToken (SCIM)"),
            n as u64 + 1,
            "one PATCH per apply"
        );
        let after = env.resource(ADDR).await.unwrap();
        assert_eq!(after["id"], before["id"], "same token");
        assert_eq!(after["token"], before["token"], "secret kept");
        assert_empty(&plan_with(&env, &vars).await);
    }
    let after = env.resource(ADDR).await.unwrap();
    assert_eq!(after["description"], "changed");
    assert_eq!(after["status"], "INACTIVE");
    assert_eq!(after["tags"][0]["value"], "other");
    assert_eq!(calls(&env, "CreateAuthToken (SCIM)"), 1);
    // The mock's view: the token is INACTIVE with the new tags.
    let remote = domains_client(&env)
        .get_auth_token_with(
            endpoint(&env),
            after["id"].as_str().unwrap(),
            &CallOptions {
                attribute_sets: vec!["all".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(remote.tags.unwrap()[0].value, "other");
    assert_eq!(remote.description.as_deref(), Some("changed"));

    // Removing every tag is one more PATCH.
    let patches = calls(&env, "PatchAuthToken (SCIM)");
    let untagged = official_example(false).replace(
        "  tags {\n    #Required\n    key   = var.auth_token_tags_key\n    value = var.auth_token_tags_value\n  }\n",
        "",
    );
    assert!(!untagged.contains("tags {"), "{untagged}");
    env.config(&untagged);
    let vars = example_vars(&env, steps[2]);
    apply_with(&env, &vars).await.ok();
    assert_eq!(calls(&env, "PatchAuthToken (SCIM)"), patches + 1);
    assert_empty(&plan_with(&env, &vars).await);
    let remote = domains_client(&env)
        .get_auth_token_with(
            endpoint(&env),
            after["id"].as_str().unwrap(),
            &CallOptions {
                attribute_sets: vec!["all".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(remote.tags.unwrap_or_default().is_empty());
    env.config(&official_example(false));
    apply_with(&env, &vars).await.ok();

    // A read-option change needs no API call.
    let patches = calls(&env, "PatchAuthToken (SCIM)");
    env.config(&official_example(false).replace(
        "attribute_sets = [\"all\"]",
        "attribute_sets = [\"default\", \"request\"]",
    ));
    apply_with(&env, &example_vars(&env, steps[2])).await.ok();
    assert_eq!(calls(&env, "PatchAuthToken (SCIM)"), patches);
    assert_eq!(calls(&env, "CreateAuthToken (SCIM)"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn expires_on_and_user_changes_replace() {
    let env = env_or_skip!(Env::with_users(2));
    env.config(&official_example(false));
    apply_with(&env, &example_vars(&env, &[])).await.ok();
    let before = env.resource(ADDR).await.unwrap();

    // The same instant spelt differently is no change at all.
    let same = example_vars(&env, &["auth_token_expires_on=2030-01-01T00:00:00Z"]);
    let plan = plan_with(&env, &same).await;
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.all());

    let later = example_vars(&env, &["auth_token_expires_on=2031-06-01T00:00:00Z"]);
    let plan = plan_with(&env, &later).await;
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.all());
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.all());
    apply_with(&env, &later).await.ok();
    let after = env.resource(ADDR).await.unwrap();
    assert_ne!(after["id"], before["id"]);
    assert_eq!(after["expires_on"], "2031-06-01T00:00:00Z");
    assert_eq!(live_tokens(&env), 1, "the old token was deleted");
    assert_empty(&plan_with(&env, &later).await);

    // Another user: replaced too.
    let (id1, ocid1) = scim_user(&env, 1);
    let mut other = later.clone();
    other[1] = format!("-var=user_ocid={ocid1}");
    other[2] = format!("-var=user_id={id1}");
    let plan = plan_with(&env, &other).await;
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.all());
    apply_with(&env, &other).await.ok();
    let moved = env.resource(ADDR).await.unwrap();
    assert_eq!(moved["user"][0]["value"], id1);
    assert_eq!(live_tokens(&env), 1);
}

/// A token made out of band for the first user.
async fn made_elsewhere(env: &Env, description: &str) -> ScimAuthToken {
    let (id, _) = scim_user(env, 0);
    domains_client(env)
        .create_auth_token(
            endpoint(env),
            &ScimAuthToken {
                description: Some(description.into()),
                expires_on: Some("2030-01-01T00:00:00Z".into()),
                user: Some(ScimUserRef {
                    value: Some(id.into()),
                    ..Default::default()
                }),
                tags: Some(vec![oci_client::identity_domains::ScimTag {
                    key: "team".into(),
                    value: "platform".into(),
                }]),
                ..Default::default()
            },
            &CallOptions::default(),
        )
        .await
        .unwrap()
}

/// A configuration of a token as `made_elsewhere` makes it (no config-only arguments).
fn imported_config(env: &Env, description: &str) -> String {
    format!(
        r#"
resource "oci_identity_domains_auth_token" "test_auth_token" {{
  idcs_endpoint = "{ep}"
  schemas       = ["{SCHEMA}"]
  description   = "{description}"
  expires_on    = "2030-01-01T00:00:00Z"
  tags {{
    key   = "team"
    value = "platform"
  }}
  user {{
    value = "{user}"
  }}
}}
"#,
        ep = endpoint(env),
        user = scim_user(env, 0).0
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn import_by_id_and_by_identity_then_empty_plans() {
    let env = env_or_skip!(Env::with_users(1));
    let created = made_elsewhere(&env, "made elsewhere").await;
    env.config(&imported_config(&env, "made elsewhere"));
    let import_id = format!("idcsEndpoint/{}/authTokens/{}", endpoint(&env), created.id);
    env.tf(&["import", "-input=false", "-no-color", ADDR, &import_id])
        .await
        .ok();
    let t = env.resource(ADDR).await.unwrap();
    assert_eq!(t["id"], created.id.as_str());
    assert_eq!(t["idcs_endpoint"], endpoint(&env));
    assert!(t["token"].is_null(), "the secret cannot be imported");
    assert_eq!(t["tags"][0]["key"], "team");
    env.assert_empty_plan().await;

    // By identity (Terraform 1.12+).
    env.tf(&["state", "rm", "-no-color", ADDR]).await.ok();
    env.config(&format!(
        "{}\nimport {{\n  to = {ADDR}\n  identity = {{\n    idcs_endpoint = \"{}\"\n    id            = \"{}\"\n  }}\n}}\n",
        imported_config(&env, "made elsewhere"),
        endpoint(&env),
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
    env.config(&imported_config(&env, "made elsewhere"));
    env.assert_empty_plan().await;
    assert_eq!(calls(&env, "PatchAuthToken (SCIM)"), 0);

    // A malformed ID is a clear error.
    env.tf(&["state", "rm", "-no-color", ADDR]).await.ok();
    env.tf(&["import", "-input=false", "-no-color", ADDR, &created.id])
        .await
        .failed_with("idcsEndpoint/<idcs_endpoint>/authTokens/<auth token id>");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn drift_is_reported_and_a_deleted_token_is_recreated() {
    let env = env_or_skip!(Env::with_users(1));
    env.config(&official_example(false));
    let vars = example_vars(&env, &[]);
    apply_with(&env, &vars).await.ok();
    let id = env.resource(ADDR).await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = domains_client(&env);
    c.patch_auth_token(
        endpoint(&env),
        &id,
        &[PatchOperation::replace("description", "changed by hand")],
        &CallOptions::default(),
    )
    .await
    .unwrap();
    let plan = plan_with(&env, &vars).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("\"changed by hand\" -> \"description\""),
        "{}",
        plan.all()
    );
    assert!(plan.stdout.contains("1 to change"), "{}", plan.all());
    apply_with(&env, &vars).await.ok();
    assert_empty(&plan_with(&env, &vars).await);

    c.delete_auth_token(endpoint(&env), &id, &CallOptions::default())
        .await
        .unwrap();
    let plan = plan_with(&env, &vars).await;
    assert!(plan.stdout.contains("will be created"), "{}", plan.all());
    apply_with(&env, &vars).await.ok();
    let t = env.resource(ADDR).await.unwrap();
    assert_ne!(t["id"], id.as_str());
    assert_eq!(live_tokens(&env), 1);
    assert_empty(&plan_with(&env, &vars).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn my_auth_token_lifecycle() {
    let env = env_or_skip!(Env::with_users(1));
    let config = |description: &str| {
        format!(
            r#"
resource "oci_identity_domains_my_auth_token" "mine" {{
  idcs_endpoint = "{}"
  schemas       = ["{SCHEMA}"]
  description   = "{description}"
  expires_on    = "2030-01-01T00:00:00.000Z"
  status        = "ACTIVE"
  tags {{
    key   = "key"
    value = "value"
  }}
}}
"#,
            endpoint(&env)
        )
    };
    env.config(&config("mine"));
    let applied = env.apply().await;
    applied.ok();
    let t = env
        .resource("oci_identity_domains_my_auth_token.mine")
        .await
        .unwrap();
    let secret = t["token"].as_str().expect("MyAuthTokens returns the token");
    assert!(!applied.all().contains(secret));
    assert!(t["user"].as_array().unwrap().is_empty(), "{t}");
    assert_eq!(calls(&env, "CreateMyAuthToken (SCIM)"), 1);
    env.assert_empty_plan().await;

    env.config(&config("still mine"));
    env.apply().await.ok();
    assert_eq!(calls(&env, "PatchMyAuthToken (SCIM)"), 1);
    let after = env
        .resource("oci_identity_domains_my_auth_token.mine")
        .await
        .unwrap();
    assert_eq!(after["id"], t["id"]);
    env.assert_empty_plan().await;

    // Import by the official my_ ID.
    env.tf(&[
        "state",
        "rm",
        "-no-color",
        "oci_identity_domains_my_auth_token.mine",
    ])
    .await
    .ok();
    let import_id = format!(
        "idcsEndpoint/{}/myAuthTokens/{}",
        endpoint(&env),
        t["id"].as_str().unwrap()
    );
    env.tf(&[
        "import",
        "-input=false",
        "-no-color",
        "oci_identity_domains_my_auth_token.mine",
        &import_id,
    ])
    .await
    .ok();
    let imported = env
        .resource("oci_identity_domains_my_auth_token.mine")
        .await
        .unwrap();
    assert!(imported["token"].is_null());
    assert_eq!(imported["description"], "still mine");

    env.tf(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        .await
        .ok();
    assert_eq!(live_tokens(&env), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn scim_errors_show_their_detail_and_hints() {
    let env = env_or_skip!(Env::with_users(1));
    // An unknown user: a SCIM 400 with its detail, message id, operation and request id.
    env.config(&format!(
        "resource \"oci_identity_domains_auth_token\" \"t\" {{\n  idcs_endpoint = \"{}\"\n  schemas = [\"{SCHEMA}\"]\n  user {{\n    value = \"nosuchuser\"\n  }}\n}}\n",
        endpoint(&env)
    ));
    let out = env.apply().await;
    let all = out
        .failed_with("400-error.common.validation.invalidReferenceResource")
        .all();
    assert!(
        all.contains("does not exist in this identity domain"),
        "{all}"
    );
    assert!(all.contains("SCIM type: invalidValue"), "{all}");
    assert!(all.contains("Operation: CreateAuthToken"), "{all}");
    assert!(all.contains("OPC request ID"), "{all}");
    assert!(!all.contains("BadErrorResponse"), "{all}");
    assert_eq!(live_tokens(&env), 0);

    // The third token of a user: the classic resource's hint.
    let (user, _) = scim_user(&env, 0);
    let blocks: String = ["a", "b", "c"]
        .iter()
        .map(|n| {
            format!(
                "resource \"oci_identity_domains_auth_token\" \"{n}\" {{\n  idcs_endpoint = \"{}\"\n  schemas = [\"{SCHEMA}\"]\n  description = \"{n}\"\n  user {{\n    value = \"{user}\"\n  }}\n}}\n",
                endpoint(&env)
            )
        })
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
    let all = out.failed_with("maximum number of auth tokens").all();
    assert!(all.contains("at most 2 auth tokens"), "{all}");
    assert_eq!(live_tokens(&env), 2, "no orphan, no extra token");
    let state = env.state().await;
    assert_eq!(
        state["values"]["root_module"]["resources"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // A bad SCIM filter (here through the client): the detail and a pointer at the position.
    let err = domains_client(&env)
        .list_auth_tokens(
            endpoint(&env),
            &oci_client::identity_domains::ListQuery {
                filter: Some("user.value equals \"x\"".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("400-"), "{text}");
    assert!(text.contains("position"), "{text}");
    assert!(
        text.contains("Suggestion: the SCIM filter is not valid"),
        "{text}"
    );
    assert!(text.contains("Filter: user.value equals \"x\"\n"), "{text}");
    assert!(text.contains("^ (position"), "{text}");

    // A bad status is caught before any API call.
    env.config(&format!(
        "resource \"oci_identity_domains_auth_token\" \"t\" {{\n  idcs_endpoint = \"{}\"\n  schemas = [\"{SCHEMA}\"]\n  status = \"ON\"\n}}\n",
        endpoint(&env)
    ));
    env.tf(&["validate", "-no-color"])
        .await
        .failed_with("must be \"ACTIVE\" or \"INACTIVE\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn domain_data_sources_and_singular_token_data_sources() {
    let env = env_or_skip!(Env::start(MockOptions {
        users: 1,
        domains: 2,
        ..Default::default()
    }));
    let created = made_elsewhere(&env, "read me").await;
    env.config(&format!(
        r#"
data "oci_identity_domains" "all" {{
  compartment_id = "{tenancy}"
}}
data "oci_identity_domains" "default" {{
  compartment_id = "{tenancy}"
  filter {{
    name   = "type"
    values = ["DEFAULT"]
  }}
}}
data "oci_identity_domain" "d" {{
  domain_id = "{domain}"
}}
data "oci_identity_domains_auth_token" "t" {{
  idcs_endpoint  = data.oci_identity_domain.d.url
  auth_token_id  = "{id}"
  attribute_sets = ["all"]
}}
output "count" {{ value = length(data.oci_identity_domains.all.domains) }}
output "default_url" {{ value = one(data.oci_identity_domains.default.domains[*].url) }}
output "url" {{ value = data.oci_identity_domain.d.url }}
output "description" {{ value = data.oci_identity_domains_auth_token.t.description }}
output "tags" {{ value = data.oci_identity_domains_auth_token.t.tags }}
output "user" {{ value = data.oci_identity_domains_auth_token.t.user[0].value }}
"#,
        tenancy = env.mock.tenancy_ocid,
        domain = domain_ocid(&env),
        id = created.id
    ));
    env.apply().await.ok();
    let out: Json = serde_json::from_str(&env.tf(&["output", "-json"]).await.ok().stdout).unwrap();
    assert_eq!(out["count"]["value"], 2);
    assert_eq!(out["default_url"]["value"], endpoint(&env));
    assert_eq!(out["url"]["value"], endpoint(&env));
    assert_eq!(out["description"]["value"], "read me");
    assert_eq!(out["tags"]["value"][0]["value"], "platform");
    assert_eq!(out["user"]["value"], scim_user(&env, 0).0);
    let ds = env
        .resource("data.oci_identity_domains.default")
        .await
        .expect("in state");
    assert_eq!(
        ds["filter"][0]["regex"], false,
        "regex defaults to false: {ds}"
    );
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn domains_examples_apply_and_import() {
    let env = env_or_skip!(Env::with_users(1));
    env.copy_example("provider/provider.tf");
    env.copy_example("resources/oci_identity_domains_auth_token/resource.tf");
    let vars = [
        format!("-var=domain_ocid={}", domain_ocid(&env)),
        format!("-var=user_scim_id={}", scim_user(&env, 0).0),
    ];
    apply_with(&env, &vars).await.ok();
    let addr = "oci_identity_domains_auth_token.ci";
    let t = env.resource(addr).await.unwrap();
    let id = t["id"].as_str().unwrap().to_string();
    assert!(t["token"].as_str().is_some());
    assert_empty(&plan_with(&env, &vars).await);

    // import.sh, with its placeholders filled in.
    env.tf(&["state", "rm", "-no-color", addr]).await.ok();
    let script = std::fs::read_to_string(test_support::example(
        "resources/oci_identity_domains_auth_token/import.sh",
    ))
    .unwrap();
    let line = script
        .lines()
        .find(|l| l.starts_with("terraform import"))
        .unwrap();
    let import_id = line
        .split('"')
        .nth(1)
        .unwrap()
        .replace("<idcs_endpoint>", endpoint(&env))
        .replace("<auth token id>", &id);
    let mut args = vec!["import", "-input=false", "-no-color"];
    args.extend(vars.iter().map(String::as_str));
    args.extend([addr, import_id.as_str()]);
    env.tf(&args).await.ok();
    // Only `status` (never returned) is planned back to its configured value.
    let plan = plan_with(&env, &vars).await;
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    assert!(plan.stdout.contains("+ status"), "{}", plan.all());

    // import-by-identity.tf.
    env.tf(&["state", "rm", "-no-color", addr]).await.ok();
    env.copy_example("resources/oci_identity_domains_auth_token/import-by-identity.tf");
    let mut with_id = vars.to_vec();
    with_id.push(format!("-var=auth_token_id={id}"));
    let plan = plan_with(&env, &with_id).await;
    assert!(plan.stdout.contains("1 to import"), "{}", plan.all());
    apply_with(&env, &with_id).await.ok();
    assert_empty(&plan_with(&env, &with_id).await);
    std::fs::remove_file(env.work().join("import-by-identity.tf")).unwrap();

    // The data source examples.
    for example in [
        "data-sources/oci_identity_domain/data-source.tf",
        "data-sources/oci_identity_domains/data-source.tf",
        "data-sources/oci_identity_domains_auth_token/data-source.tf",
    ] {
        env.copy_example(example);
        let name = example.rsplit('/').nth(1).unwrap();
        std::fs::rename(
            env.work().join("data-source.tf"),
            env.work().join(format!("{name}.tf")),
        )
        .unwrap();
    }
    let mut all_vars = vars.to_vec();
    all_vars.push(format!("-var=tenancy_ocid={}", env.mock.tenancy_ocid));
    all_vars.push(format!("-var=domain_id={}", domain_ocid(&env)));
    all_vars.push(format!("-var=idcs_endpoint={}", endpoint(&env)));
    all_vars.push(format!("-var=auth_token_id={id}"));
    apply_with(&env, &all_vars).await.ok();
    let out: Json = serde_json::from_str(&env.tf(&["output", "-json"]).await.ok().stdout).unwrap();
    assert_eq!(out["idcs_endpoint"]["value"], endpoint(&env));
    assert_eq!(out["default_domain_url"]["value"], endpoint(&env));
    assert_eq!(out["ci_token_expires_on"]["value"], "2030-01-01T00:00:00Z");
    assert!(
        out["ci_token"].is_null(),
        "an imported token has no secret: {out}"
    );

    // The my_ examples.
    for f in std::fs::read_dir(env.work()).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "tf") && !p.ends_with("provider.tf") {
            std::fs::remove_file(p).unwrap();
        }
    }
    env.tf(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        .await
        .ok();
    env.copy_example("resources/oci_identity_domains_my_auth_token/resource.tf");
    let my_vars = [format!("-var=domain_ocid={}", domain_ocid(&env))];
    apply_with(&env, &my_vars).await.ok();
    let mine = env
        .resource("oci_identity_domains_my_auth_token.mine")
        .await
        .unwrap();
    let my_id = mine["id"].as_str().unwrap().to_string();
    assert_empty(&plan_with(&env, &my_vars).await);
    env.copy_example("data-sources/oci_identity_domains_my_auth_token/data-source.tf");
    let mut my_all = my_vars.to_vec();
    my_all.push(format!("-var=idcs_endpoint={}", endpoint(&env)));
    my_all.push(format!("-var=my_auth_token_id={my_id}"));
    apply_with(&env, &my_all).await.ok();
    let out: Json = serde_json::from_str(&env.tf(&["output", "-json"]).await.ok().stdout).unwrap();
    assert_eq!(out["my_token_description"]["value"], "my laptop");
    let script = std::fs::read_to_string(test_support::example(
        "resources/oci_identity_domains_my_auth_token/import.sh",
    ))
    .unwrap();
    assert!(script.contains("idcsEndpoint/<idcs_endpoint>/myAuthTokens/<auth token id>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn the_secret_never_reaches_logs_or_plans() {
    let mut env = env_or_skip!(Env::with_users(1));
    env.extra_env
        .push(("TF_LOG_PROVIDER".into(), "trace".into()));
    env.config(&official_example(false));
    let vars = example_vars(&env, &[]);
    let applied = apply_with(&env, &vars).await;
    applied.ok();
    let t = env.resource(ADDR).await.unwrap();
    let secret = t["token"].as_str().unwrap().to_string();
    assert!(
        applied.stderr.contains("auth token created"),
        "provider logs are on: {}",
        applied.stderr
    );
    let changed = example_vars(&env, &["auth_token_description=x"]);
    let plan = plan_with(&env, &changed).await;
    let show = env.tf(&["state", "show", "-no-color", ADDR]).await;
    for out in [&applied, &plan, &show] {
        assert!(!out.all().contains(&secret), "{}", out.all());
    }
    assert!(show.stdout.contains("(sensitive value)"), "{}", show.stdout);
}
