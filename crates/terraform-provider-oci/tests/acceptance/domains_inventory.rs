//! The Identity Domains inventory with real Terraform against the mock's SCIM API: the plural
//! data sources paging through a domain, `terraform query` over a domain of 50 users and 100
//! tokens (limit, status, expired, user, regex, raw filter, `-generate-config-out` then an
//! empty plan), and SCIM errors (a bad filter) shown with their detail.

use std::collections::HashMap;

use oci_client::identity_domains::{
    CallOptions, Collection, IdentityDomainsClient, ScimAuthToken, ScimUserRef,
};
use oci_client::{resolve, ProviderSettings};
use oci_identity_mock::MockOptions;
use serde_json::Value as Json;

use crate::env_or_skip;
use crate::harness::Env;

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

fn endpoint(env: &Env) -> String {
    env.mock.identity_domains[0].idcs_endpoint.clone()
}

/// The SCIM id of user `i` of the first domain.
fn scim_user(env: &Env, i: usize) -> String {
    env.mock.identity_domains[0].users[i].id.clone()
}

async fn create(
    env: &Env,
    user: usize,
    description: &str,
    status: Option<&str>,
    expires_on: Option<&str>,
) -> ScimAuthToken {
    let body = ScimAuthToken {
        description: Some(description.to_owned()),
        status: status.map(str::to_owned),
        expires_on: expires_on.map(str::to_owned),
        user: Some(ScimUserRef {
            value: Some(scim_user(env, user)),
            ..Default::default()
        }),
        ..Default::default()
    };
    domains_client(env)
        .create_token(
            &endpoint(env),
            Collection::AuthTokens,
            &body,
            &CallOptions::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("create for user {user}: {e}"))
}

/// How many SCIM list requests (`ListAuthTokens (SCIM)`, `ListMyAuthTokens (SCIM)`) the mock
/// has answered.
fn scim_lists(env: &Env) -> u64 {
    let stats = env.stats();
    ["ListAuthTokens (SCIM)", "ListMyAuthTokens (SCIM)"]
        .iter()
        .filter_map(|op| stats["requests"][op]["total"].as_u64())
        .sum()
}

async fn outputs(env: &Env) -> Json {
    serde_json::from_str(&env.tf(&["output", "-json"]).await.ok().stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn domains_data_source_reads_every_page_of_25_tokens_10_at_a_time() {
    let env = env_or_skip!(Env::with_users(13));
    for i in 0..25 {
        create(&env, i / 2, &format!("token {i:02}"), None, None).await;
    }
    let ep = endpoint(&env);
    let before = scim_lists(&env);
    env.config(&format!(
        r#"
data "oci_identity_domains_auth_tokens" "all" {{
  idcs_endpoint    = "{ep}"
  auth_token_count = 10
  sort_by          = "description"
  sort_order       = "ASCENDING"
}}
data "oci_identity_domains_auth_tokens" "one_user" {{
  idcs_endpoint     = "{ep}"
  auth_token_filter = "idcsEndpoint/{ep}/users/{u}"
}}
data "oci_identity_domains_auth_tokens" "counts" {{
  idcs_endpoint    = "{ep}"
  auth_token_count = 0
}}
output "counted"   {{ value = data.oci_identity_domains_auth_tokens.counts.total_results }}
output "none"      {{ value = length(data.oci_identity_domains_auth_tokens.counts.auth_tokens) }}
output "n"         {{ value = length(data.oci_identity_domains_auth_tokens.all.auth_tokens) }}
output "ids"       {{ value = data.oci_identity_domains_auth_tokens.all.auth_tokens[*].id }}
output "desc"      {{ value = data.oci_identity_domains_auth_tokens.all.auth_tokens[*].description }}
output "total"     {{ value = data.oci_identity_domains_auth_tokens.all.total_results }}
output "per_page"  {{ value = data.oci_identity_domains_auth_tokens.all.items_per_page }}
output "start"     {{ value = data.oci_identity_domains_auth_tokens.all.start_index }}
output "schemas"   {{ value = data.oci_identity_domains_auth_tokens.all.schemas }}
output "id"        {{ value = data.oci_identity_domains_auth_tokens.all.id }}
output "user_desc" {{ value = data.oci_identity_domains_auth_tokens.one_user.auth_tokens[*].description }}
output "tokens"    {{ value = data.oci_identity_domains_auth_tokens.all.auth_tokens[*].token }}
output "users"     {{ value = distinct(flatten(data.oci_identity_domains_auth_tokens.all.auth_tokens[*].user[*].value)) }}
"#,
        u = scim_user(&env, 3)
    ));
    env.apply().await.ok();
    let out = outputs(&env).await;
    assert_eq!(out["n"]["value"], 25, "{out}");
    let ids: std::collections::HashSet<&str> = out["ids"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Json::as_str)
        .collect();
    assert_eq!(ids.len(), 25, "no token twice, none left out");
    let desc: Vec<&str> = out["desc"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Json::as_str)
        .collect();
    let mut sorted = desc.clone();
    sorted.sort_unstable();
    assert_eq!(desc, sorted, "sorted by the service, in page order");
    assert_eq!(out["total"]["value"], 25);
    assert_eq!(
        (&out["counted"]["value"], &out["none"]["value"]),
        (&Json::from(25), &Json::from(0)),
        "auth_token_count = 0 asks for the counts only"
    );
    assert_eq!(out["per_page"]["value"], 10);
    assert_eq!(out["start"]["value"], 1);
    assert_eq!(
        out["schemas"]["value"],
        serde_json::json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert!(out["id"]["value"]
        .as_str()
        .unwrap()
        .starts_with("IdentityDomainsAuthTokensDataSource-"));
    assert_eq!(
        out["user_desc"]["value"],
        serde_json::json!(["token 06", "token 07"]),
        "the official idcsEndpoint/<ep>/users/<id> form selects one user"
    );
    assert!(
        out["tokens"]["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(Json::is_null),
        "no secret is ever listed"
    );
    assert_eq!(out["users"]["value"].as_array().unwrap().len(), 13);
    // 3 pages for the first data source (1, 11, 21), one for each other, in each read.
    let lists = scim_lists(&env) - before;
    assert!(
        lists >= 5 && lists.is_multiple_of(5),
        "{lists} list calls: {}",
        env.stats()
    );
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn domains_data_source_examples_apply() {
    let env = env_or_skip!(Env::with_users(2));
    create(&env, 0, "mine", None, None).await;
    create(&env, 1, "theirs one", None, None).await;
    create(&env, 1, "theirs two", None, None).await;
    env.config("");
    env.copy_example("data-sources/oci_identity_domains_auth_tokens/data-source.tf");
    std::fs::rename(
        env.work().join("data-source.tf"),
        env.work().join("tokens.tf"),
    )
    .unwrap();
    env.copy_example("data-sources/oci_identity_domains_my_auth_tokens/data-source.tf");
    // Both examples declare `idcs_endpoint`; keep one declaration.
    let mine = std::fs::read_to_string(env.work().join("data-source.tf")).unwrap();
    let start = mine
        .find("data \"oci_identity_domains_my_auth_tokens\"")
        .unwrap();
    env.write("data-source.tf", &mine[start..]);
    // And the my_ list in pages of one.
    env.write(
        "paged.tf",
        r#"
data "oci_identity_domains_my_auth_tokens" "paged" {
  idcs_endpoint       = var.idcs_endpoint
  my_auth_token_count = 1
  sort_by             = "description"
}
output "paged" { value = data.oci_identity_domains_my_auth_tokens.paged.my_auth_tokens[*].description }
output "paged_per_page" { value = data.oci_identity_domains_my_auth_tokens.paged.items_per_page }
"#,
    );
    create(&env, 0, "mine too", None, None).await;
    let ep = format!("-var=idcs_endpoint={}", endpoint(&env));
    let user = format!("-var=user_id={}", scim_user(&env, 1));
    env.tf(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        &ep,
        &user,
    ])
    .await
    .ok();
    let out = outputs(&env).await;
    assert_eq!(out["total_results"]["value"], 2, "{out}");
    assert_eq!(out["token_ids"]["value"].as_array().unwrap().len(), 2);
    assert_eq!(
        out["my_token_descriptions"]["value"],
        serde_json::json!(["mine", "mine too"]),
        "the calling user's tokens only"
    );
    assert_eq!(
        out["paged"]["value"],
        serde_json::json!(["mine", "mine too"]),
        "{out}"
    );
    assert_eq!(out["paged_per_page"]["value"], 1);
}

/// Runs `terraform query -json` and counts the results of each list block, keeping the
/// messages of the results.
async fn query(env: &Env, args: &[&str]) -> (HashMap<String, Vec<Json>>, String) {
    let mut all = vec!["query", "-json", "-no-color"];
    all.extend_from_slice(args);
    let q = env.tf(&all).await;
    q.ok();
    let mut per_list: HashMap<String, Vec<Json>> = HashMap::new();
    for line in q.stdout.lines() {
        let Ok(msg) = serde_json::from_str::<Json>(line) else {
            continue;
        };
        if msg["type"] == "list_resource_found" {
            let found = &msg["list_resource_found"];
            if let Some(addr) = found["address"].as_str() {
                per_list
                    .entry(addr.to_owned())
                    .or_default()
                    .push(found.clone());
            }
        }
    }
    (per_list, q.stdout)
}

fn count(per_list: &HashMap<String, Vec<Json>>, name: &str) -> usize {
    per_list
        .get(&format!("list.oci_identity_domains_auth_token.{name}"))
        .map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn domains_query_inventories_100_tokens_of_50_users_then_imports_with_an_empty_plan() {
    let env = env_or_skip!(Env::start(MockOptions {
        users: 50,
        ..Default::default()
    }));
    // Per user: `ci-<i>` (INACTIVE for every 10th user) and `laptop-<i>` (expired for every
    // 5th user).
    for i in 0..50 {
        let status = (i % 10 == 0).then_some("INACTIVE");
        create(
            &env,
            i,
            &format!("ci-{i}"),
            status,
            Some("2099-01-01T00:00:00Z"),
        )
        .await;
        let expiry = if i % 5 == 0 {
            "2020-01-01T00:00:00Z"
        } else {
            "2098-01-01T00:00:00Z"
        };
        create(&env, i, &format!("laptop-{i}"), None, Some(expiry)).await;
    }
    let ep = endpoint(&env);
    let u3 = &env.mock.identity_domains[0].users[3];
    env.config("");
    env.write(
        "inventory.tfquery.hcl",
        &format!(
            r#"
list "oci_identity_domains_auth_token" "all" {{
  provider = oci
  limit    = 1000
  config {{
    idcs_endpoint = "{ep}"
  }}
}}
list "oci_identity_domains_auth_token" "seven" {{
  provider = oci
  limit    = 7
  config {{
    idcs_endpoint = "{ep}"
  }}
}}
list "oci_identity_domains_auth_token" "inactive" {{
  provider = oci
  config {{
    idcs_endpoint = "{ep}"
    status        = "INACTIVE"
  }}
}}
list "oci_identity_domains_auth_token" "expired" {{
  provider = oci
  config {{
    idcs_endpoint = "{ep}"
    expired       = true
  }}
}}
list "oci_identity_domains_auth_token" "unexpired" {{
  provider = oci
  limit    = 1000
  config {{
    idcs_endpoint = "{ep}"
    expired       = false
  }}
}}
list "oci_identity_domains_auth_token" "raw" {{
  provider = oci
  config {{
    idcs_endpoint = "{ep}"
    filter        = "description sw \"ci-1\""
  }}
}}
list "oci_identity_domains_auth_token" "by_id" {{
  provider = oci
  config {{
    idcs_endpoint = "{ep}"
    user          = "{id}"
  }}
}}
list "oci_identity_domains_auth_token" "by_ocid" {{
  provider = oci
  config {{
    idcs_endpoint     = "{ep}"
    user              = "{ocid}"
    description_regex = "^laptop"
  }}
}}
"#,
            id = u3.id,
            ocid = u3.ocid,
        ),
    );
    let (found, stdout) = query(&env, &[]).await;
    assert_eq!(count(&found, "all"), 100, "{stdout}");
    assert_eq!(count(&found, "seven"), 7, "{stdout}");
    assert_eq!(count(&found, "inactive"), 5, "{stdout}");
    assert_eq!(count(&found, "expired"), 10, "{stdout}");
    assert_eq!(count(&found, "unexpired"), 90, "{stdout}");
    // ci-1 and ci-10 … ci-19.
    assert_eq!(count(&found, "raw"), 11, "{stdout}");
    assert_eq!(count(&found, "by_id"), 2, "{stdout}");
    assert_eq!(count(&found, "by_ocid"), 1, "{stdout}");
    let one = &found["list.oci_identity_domains_auth_token.by_ocid"][0];
    assert_eq!(one["identity"]["idcs_endpoint"], ep.as_str(), "{one}");
    assert!(one["identity"]["id"].as_str().is_some(), "{one}");
    let name = one["display_name"].as_str().unwrap_or_default();
    assert!(name.starts_with("laptop-3 ("), "{one}");

    // With a limit, paging stops once it is reached: 7 results need one page.
    env.write(
        "inventory.tfquery.hcl",
        &format!(
            "list \"oci_identity_domains_auth_token\" \"seven\" {{\n  provider = oci\n  limit    = 7\n  config {{\n    idcs_endpoint = \"{ep}\"\n  }}\n}}\n"
        ),
    );
    let before = scim_lists(&env);
    let (found, stdout) = query(&env, &[]).await;
    assert_eq!(count(&found, "seven"), 7, "{stdout}");
    assert_eq!(scim_lists(&env) - before, 1, "{}", env.stats());

    // The inventory of one user becomes configuration that imports and plans empty.
    env.write(
        "inventory.tfquery.hcl",
        &format!(
            "list \"oci_identity_domains_auth_token\" \"u3\" {{\n  provider = oci\n  config {{\n    idcs_endpoint = \"{ep}\"\n    user          = \"{}\"\n  }}\n}}\n",
            u3.id
        ),
    );
    env.tf(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .await
        .ok();
    let generated = std::fs::read_to_string(env.work().join("generated.tf")).unwrap();
    assert!(
        generated.contains("import {")
            && generated.contains("resource \"oci_identity_domains_auth_token\""),
        "{generated}"
    );
    std::fs::remove_file(env.work().join("inventory.tfquery.hcl")).unwrap();
    let plan = env.plan().await;
    assert!(
        plan.stdout
            .contains("2 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}\n{generated}",
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
async fn domains_list_example_queries() {
    let env = env_or_skip!(Env::with_users(2));
    create(&env, 1, "ci-old", None, Some("2020-01-01T00:00:00Z")).await;
    create(&env, 1, "ci-new", None, None).await;
    env.config("");
    env.copy_example("list-resources/oci_identity_domains_auth_token/list-resource.tfquery.hcl");
    let ep = format!("-var=idcs_endpoint={}", endpoint(&env));
    let user = format!("-var=user_id={}", scim_user(&env, 1));
    let (found, stdout) = query(&env, &[&ep, &user]).await;
    assert_eq!(count(&found, "expired"), 1, "{stdout}");
    assert_eq!(count(&found, "ci_tokens_of_a_user"), 2, "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn domains_bad_filter_shows_the_scim_detail_and_position() {
    let env = env_or_skip!(Env::with_users(1));
    let ep = endpoint(&env);
    env.config(&format!(
        "data \"oci_identity_domains_auth_tokens\" \"bad\" {{\n  idcs_endpoint     = \"{ep}\"\n  auth_token_filter = \"user.value eq\"\n}}\n"
    ));
    let out = env.plan().await;
    let all = out.failed_with("400-").all();
    assert!(all.contains("position 13"), "the service's detail: {all}");
    assert!(all.contains("user.value eq"), "the filter: {all}");
    assert!(all.contains("^"), "a caret under the position: {all}");
    assert!(all.contains("auth_token_filter"), "on the argument: {all}");
    assert!(all.contains("OPC request ID"), "{all}");
    assert!(!all.contains("BadErrorResponse"), "{all}");

    env.config("");
    env.write(
        "bad.tfquery.hcl",
        &format!(
            "list \"oci_identity_domains_auth_token\" \"bad\" {{\n  provider = oci\n  config {{\n    idcs_endpoint = \"{ep}\"\n    filter        = \"status pr)\"\n  }}\n}}\n"
        ),
    );
    let out = env.tf(&["query", "-no-color"]).await;
    let all = out.failed_with("400-").all();
    assert!(all.contains("position"), "{all}");
    assert!(all.contains("ListAuthTokens"), "the operation: {all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn domains_data_source_as_the_official_example_writes_it() {
    let env = env_or_skip!(Env::with_users(2));
    create(&env, 0, "one", None, None).await;
    create(&env, 0, "two", None, None).await;
    create(&env, 1, "other user", None, None).await;
    // The data source block of oracle/terraform-provider-oci examples/identity_domains/
    // auth_token.tf, with the domain and user as variables.
    env.config(
        r#"
variable "idcs_endpoint" {}
variable "user_id" {}
variable "auth_token_auth_token_count" {
  default = 10
}
variable "auth_token_authorization" {
  default = "authorization"
}
variable "auth_token_start_index" {
  default = 1
}

data "oci_identity_domains_auth_tokens" "test_auth_tokens" {
  #Required
  idcs_endpoint = var.idcs_endpoint

  #Optional
  auth_token_count  = var.auth_token_auth_token_count
  auth_token_filter = "user.value eq \"${var.user_id}\""
  attribute_sets    = []
  attributes        = ""
  authorization     = var.auth_token_authorization
  #use the latest if not provided
  # resource_type_schema_version = var.auth_token_resource_type_schema_version
  start_index = var.auth_token_start_index
}

output "descriptions" {
  value = sort(data.oci_identity_domains_auth_tokens.test_auth_tokens.auth_tokens[*].description)
}
"#,
    );
    let ep = format!("-var=idcs_endpoint={}", endpoint(&env));
    let user = format!("-var=user_id={}", scim_user(&env, 0));
    env.tf(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        &ep,
        &user,
    ])
    .await
    .ok();
    let state = env.state().await;
    let ds = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "data.oci_identity_domains_auth_tokens.test_auth_tokens")
        .cloned()
        .unwrap();
    assert_eq!(ds["sensitive_values"]["authorization"], true, "{ds}");
    assert_eq!(ds["values"]["start_index"], 1);
    assert_eq!(ds["values"]["total_results"], 2);
    let out = outputs(&env).await;
    assert_eq!(
        out["descriptions"]["value"],
        serde_json::json!(["one", "two"]),
        "{out}"
    );
}
