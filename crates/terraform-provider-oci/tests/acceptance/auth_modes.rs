//! The principal auth modes with real Terraform against the mock playing the platform: an
//! instance (`InstancePrincipal`: metadata service + `/v1/x509` federation), a resource
//! principal 2.2 token pair (inline and as files), resource principal 1.1 (token endpoints
//! signed by the instance), OKE workload identity (TLS on `127.0.0.N:12250`) and workload
//! identity federation (an identity domain's `/oauth2/v1/token`). Each test hides the API-key profile (`OCI_CONFIG_FILE` points nowhere),
//! so every request is signed `ST$<session token>`; the mock verifies it with the token's key.

use std::time::Duration;

use oci_identity_mock::MockOptions;
use serde_json::Value as Json;

use super::harness::{token_block, Env};
use crate::env_or_skip;

const TERRAFORM_BLOCK: &str = r#"
terraform {
  required_providers {
    oci = {
      source = "oracle/oci"
    }
  }
}
"#;

fn ready(env: &Env) -> Json {
    serde_json::from_str(&env.mock.ready_line()).unwrap()
}

/// `env` with the API-key profile hidden and the platform's variables exported.
fn as_platform(env: &mut Env, vars: Vec<(String, String)>) {
    assert!(
        !vars.is_empty(),
        "the mock's ready line has no such platform"
    );
    env.extra_env.push((
        "OCI_CONFIG_FILE".into(),
        env.dir.path().join("no-such-config").display().to_string(),
    ));
    env.extra_env.extend(vars);
}

fn write_main(env: &Env, provider: &str, body: &str) {
    env.write(
        "main.tf",
        &format!("{TERRAFORM_BLOCK}\nprovider \"oci\" {{\n{provider}\n}}\n{body}"),
    );
}

fn federations(env: &Env, flow: &str) -> u64 {
    env.stats()["federation_requests"][flow]
        .as_u64()
        .unwrap_or(0)
}

fn session_failures(env: &Env, why: &str) -> u64 {
    env.stats()["session_token_failures"][why]
        .as_u64()
        .unwrap_or(0)
}

/// Create, refresh (an empty plan), update in place and destroy one token, then check that
/// the user has no token left and that nothing secret reached the trace log.
async fn lifecycle(env: &Env, provider: &str) {
    let user = env.user(1).to_owned();
    write_main(
        env,
        provider,
        &token_block("t", &user, "made by a principal"),
    );
    env.apply().await.ok();
    let t = env
        .resource("oci_identity_auth_token.t")
        .await
        .expect("in state");
    assert_eq!(t["description"], "made by a principal");
    assert_eq!(t["state"], "ACTIVE");
    env.assert_empty_plan().await;

    write_main(env, provider, &token_block("t", &user, "renamed"));
    let traced = [("TF_LOG".to_owned(), "trace".to_owned())];
    let out = env
        .tf_with(
            &traced,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        )
        .await;
    out.ok();
    let after = env
        .resource("oci_identity_auth_token.t")
        .await
        .expect("in state");
    assert_eq!(after["id"], t["id"], "updated in place");
    assert_eq!(after["description"], "renamed");
    let log = out.all();
    for secret in [
        "ST$ey",
        "BEGIN RSA PRIVATE KEY",
        "BEGIN PRIVATE KEY",
        "signature=\"",
    ] {
        assert!(!log.contains(secret), "{secret:?} in the trace log");
    }

    env.tf(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        .await
        .ok();
    let left = env.client().list_auth_tokens(&user).await.unwrap();
    assert!(left.is_empty(), "tokens left: {left:?}");
    assert_eq!(env.stats()["auth_failures"], 0, "{}", env.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn instance_principal_creates_updates_refreshes_and_destroys() {
    let mut env = env_or_skip!(Env::with_users(2));
    let region = ready(&env)["instance_principal"]["region"]
        .as_str()
        .unwrap()
        .to_owned();
    let vars = env.mock.instance_principal_env();
    as_platform(&mut env, vars);
    lifecycle(
        &env,
        &format!("  auth   = \"InstancePrincipal\"\n  region = \"{region}\""),
    )
    .await;
    assert!(federations(&env, "x509") >= 4, "{}", env.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn instance_principal_without_region_uses_the_instances() {
    let mut env = env_or_skip!(Env::with_users(2));
    let vars = env.mock.instance_principal_env();
    as_platform(&mut env, vars);
    lifecycle(&env, "  auth = \"instanceprincipal\"").await;
}

/// The official test-only mode: the instance's certificates from files in
/// `test_certificates_location` (no metadata service), federated at the mock's `/v1/x509`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn instance_principal_with_certs_from_test_certificates_location() {
    let mut env = env_or_skip!(Env::with_users(2));
    let region = ready(&env)["instance_principal"]["region"]
        .as_str()
        .unwrap()
        .to_owned();
    let chain = env.mock.state().platform().chain().unwrap();
    let certs = env.dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("ip_cert.pem"), &chain.leaf_cert_pem).unwrap();
    std::fs::write(certs.join("ip_key.pem"), &chain.leaf_key_pem).unwrap();
    std::fs::write(certs.join("intermediate.pem"), &chain.intermediate_pem).unwrap();
    // Only the federation endpoint: with a metadata URL that answers nothing, a call to it
    // would fail the run.
    let vars = env
        .mock
        .instance_principal_env()
        .into_iter()
        .filter(|(k, _)| k == "OCI_SDK_AUTH_CLIENT_REGION_URL")
        .chain([
            (
                "OCI_METADATA_BASE_URL".to_owned(),
                "http://127.0.0.1:9/opc/v2".to_owned(),
            ),
            (
                "TF_VAR_test_certificates_location".to_owned(),
                certs.display().to_string(),
            ),
        ])
        .collect();
    as_platform(&mut env, vars);
    lifecycle(
        &env,
        &format!("  auth   = \"InstancePrincipalWithCerts\"\n  region = \"{region}\""),
    )
    .await;
    assert!(federations(&env, "x509") >= 4, "{}", env.stats());
    assert_eq!(
        env.stats()["requests"]["InstanceMetadata"]["total"]
            .as_u64()
            .unwrap_or(0),
        0,
        "no metadata calls: {}",
        env.stats()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn resource_principal_2_2_from_files() {
    let mut env = env_or_skip!(Env::with_users(2));
    let vars = env.mock.resource_principal_env();
    assert!(vars
        .iter()
        .any(|(k, v)| k == "OCI_RESOURCE_PRINCIPAL_RPST" && v.starts_with('/')));
    as_platform(&mut env, vars);
    lifecycle(&env, "  auth = \"ResourcePrincipal\"").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn resource_principal_2_2_inline() {
    let mut env = env_or_skip!(Env::with_users(2));
    let vars: Vec<(String, String)> = env
        .mock
        .resource_principal_env()
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "OCI_RESOURCE_PRINCIPAL_RPST" | "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM" => {
                let inline = std::fs::read_to_string(&v).unwrap();
                (k, inline.trim().to_owned())
            }
            _ => (k, v),
        })
        .collect();
    let region = vars
        .iter()
        .find(|(k, _)| k == "OCI_RESOURCE_PRINCIPAL_REGION")
        .map(|(_, v)| v.clone())
        .unwrap();
    as_platform(&mut env, vars);
    lifecycle(
        &env,
        &format!("  auth   = \"ResourcePrincipal\"\n  region = \"{region}\""),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn oke_workload_identity_with_the_token_path_argument() {
    let mut env = env_or_skip!(Env::start(MockOptions {
        users: 2,
        oke: true,
        ..Default::default()
    }));
    let ready = ready(&env);
    let token_path = ready["oke_workload_identity"]["service_account_token_path"]
        .as_str()
        .expect("the mock serves OKE on 127.0.0.N:12250")
        .to_owned();
    let vars = env.mock.oke_workload_identity_env().unwrap();
    as_platform(&mut env, vars);
    lifecycle(
        &env,
        &format!("  auth                         = \"OKEWorkloadIdentity\"\n  workload_identity_token_path = \"{token_path}\""),
    )
    .await;
    assert!(federations(&env, "oke") >= 4, "{}", env.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn resource_principal_1_1_creates_updates_refreshes_and_destroys() {
    let mut env = env_or_skip!(Env::with_users(2));
    let vars = env.mock.resource_principal_1_1_env();
    assert!(vars
        .iter()
        .any(|(k, v)| k == "OCI_RESOURCE_PRINCIPAL_VERSION" && v == "1.1"));
    as_platform(&mut env, vars);
    lifecycle(&env, "  auth = \"ResourcePrincipal\"").await;
    let stats = env.stats();
    // Each provider process: one instance federation, one resource principal token, one
    // session token exchange.
    assert!(federations(&env, "rpst") >= 4, "{stats}");
    assert!(federations(&env, "x509") >= 4, "{stats}");
    assert!(
        stats["requests"]["GetResourcePrincipalToken"]["by_status"]["200"]
            .as_u64()
            .unwrap_or(0)
            >= 4,
        "{stats}"
    );
}

/// Resource principal 3.0: the 2.2 pair is the leaf; its parent's token (signed by the leaf),
/// then the grandparent's (signed by the parent's session token, from `opc-parent-rpt-url`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn resource_principal_3_0_follows_the_parent_chain() {
    let mut env = env_or_skip!(Env::with_users(2));
    let vars = env.mock.resource_principal_3_0_env();
    as_platform(&mut env, vars);
    lifecycle(&env, "  auth = \"ResourcePrincipal\"").await;
    let stats = env.stats();
    let rpts = stats["requests"]["GetResourcePrincipalToken"]["by_status"]["200"]
        .as_u64()
        .unwrap_or(0);
    // Two tokens (parent, grandparent) and two exchanges per provider process; no instance.
    assert!(rpts >= 8 && rpts % 2 == 0, "{stats}");
    assert_eq!(federations(&env, "rpst"), rpts, "{stats}");
    assert_eq!(federations(&env, "x509"), 0, "{stats}");
}

/// The ready line's workload identity federation block: (token path, untrusted token path,
/// region, Default domain URL, its client id, its client secret).
struct Wif {
    token_path: String,
    untrusted_token_path: String,
    region: String,
    domain_url: String,
    client_id: String,
    client_secret: String,
}

fn wif(env: &Env) -> Wif {
    let ready = ready(env);
    let w = &ready["workload_identity_federation"];
    let s = |v: &Json| v.as_str().expect("a string in the ready line").to_owned();
    let domain = &w["domains"][0];
    let read = |v: &Json| std::fs::read_to_string(s(v)).unwrap().trim().to_owned();
    assert!(!ready
        .to_string()
        .contains(&read(&domain["client_secret_path"])));
    Wif {
        token_path: s(&w["workload_identity_token_path"]),
        untrusted_token_path: s(&w["untrusted_workload_identity_token_path"]),
        region: s(&w["region"]),
        domain_url: s(&domain["domain_url"]),
        client_id: read(&domain["client_id_path"]),
        client_secret: read(&domain["client_secret_path"]),
    }
}

/// A provider block for workload identity federation with the OAuth client's credentials.
fn wif_provider(w: &Wif, token_path: &str, secret: &str, requested: &str) -> String {
    let rpst = if requested.ends_with("oci-rpst") {
        "\n  token_exchange_resource_type        = \"workload\"\n  token_exchange_rpst_exp             = \"3600\""
    } else {
        ""
    };
    format!(
        r#"  auth                                = "WorkloadIdentityFederation"
  region                              = "{region}"
  workload_identity_token_path        = "{token_path}"
  token_exchange_domain_url           = "{url}"
  token_exchange_requested_token_type = "{requested}"
  token_exchange_client_id            = "{id}"
  token_exchange_client_secret        = "{secret}"{rpst}"#,
        region = w.region,
        url = w.domain_url,
        id = w.client_id,
    )
}

/// No API-key profile: every request is signed with the exchanged session token.
fn without_api_keys(env: &mut Env) {
    env.extra_env.push((
        "OCI_CONFIG_FILE".into(),
        env.dir.path().join("no-such-config").display().to_string(),
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn workload_identity_federation_creates_updates_refreshes_and_destroys() {
    let mut env = env_or_skip!(Env::with_users(2));
    without_api_keys(&mut env);
    let w = wif(&env);
    let provider = wif_provider(
        &w,
        &w.token_path,
        &w.client_secret,
        "urn:oci:token-type:oci-upst",
    );
    lifecycle(&env, &provider).await;
    assert!(federations(&env, "wif") >= 4, "{}", env.stats());
    // The secret reaches neither the state nor a trace log.
    let state = std::fs::read_to_string(env.work().join("terraform.tfstate")).unwrap_or_default();
    assert!(!state.contains(&w.client_secret));
    let traced = [("TF_LOG".to_owned(), "trace".to_owned())];
    let out = env
        .tf_with(&traced, &["plan", "-input=false", "-no-color"])
        .await;
    out.ok();
    let log = out.all();
    assert!(
        !log.contains(&w.client_secret),
        "the client secret in the trace log"
    );
    assert!(!log.contains("ST$ey"), "a session token in the trace log");
}

/// `token_exchange_auth = "InstancePrincipal"`: the exchange is signed by the instance (the
/// mock's metadata service and federation) instead of the OAuth client's secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn workload_identity_federation_signed_by_the_instance() {
    let mut env = env_or_skip!(Env::with_users(2));
    let vars = env.mock.instance_principal_env();
    as_platform(&mut env, vars);
    let w = wif(&env);
    let provider = format!(
        r#"  auth                                = "WorkloadIdentityFederation"
  region                              = "{region}"
  workload_identity_token_path        = "{token}"
  token_exchange_domain_url           = "{url}"
  token_exchange_auth                 = "InstancePrincipal"
  token_exchange_requested_token_type = "urn:oci:token-type:oci-rpst"
  token_exchange_resource_type        = "workload""#,
        region = w.region,
        token = w.token_path,
        url = w.domain_url,
    );
    let data = format!(
        "data \"oci_identity_auth_tokens\" \"t\" {{\n  user_id = \"{}\"\n}}\n",
        env.user(1)
    );
    write_main(&env, &provider, &data);
    env.plan().await.ok();
    let stats = env.stats();
    assert!(federations(&env, "wif") >= 1, "{stats}");
    assert!(federations(&env, "x509") >= 1, "{stats}");
    assert_eq!(stats["auth_failures"], 0, "{stats}");
}

/// A resource principal session token (`oci-rpst` with `res_type`) works; a wrong client
/// secret is a 401 `invalid_client` diagnostic naming the mode, without the secret; a subject
/// token of an untrusted issuer is a 400 `invalid_grant`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn workload_identity_federation_rpst_and_refusals() {
    let mut env = env_or_skip!(Env::with_users(2));
    without_api_keys(&mut env);
    let w = wif(&env);
    let data = format!(
        "data \"oci_identity_auth_tokens\" \"t\" {{\n  user_id = \"{}\"\n}}\n",
        env.user(1)
    );
    let rpst = "urn:oci:token-type:oci-rpst";
    write_main(
        &env,
        &wif_provider(&w, &w.token_path, &w.client_secret, rpst),
        &data,
    );
    env.plan().await.ok();
    assert!(federations(&env, "wif") >= 1, "{}", env.stats());

    let wrong = format!("{}-wrong", w.client_secret);
    write_main(&env, &wif_provider(&w, &w.token_path, &wrong, rpst), &data);
    let out = env.plan().await;
    let all = out.all();
    assert_eq!(out.code, 1, "{all}");
    assert!(
        all.contains("invalid_client") && all.contains("401"),
        "{all}"
    );
    assert!(all.contains("WorkloadIdentityFederation"), "{all}");
    assert!(all.contains("/oauth2/v1/token"), "{all}");
    assert!(
        !all.contains(&w.client_secret),
        "no secret in the diagnostic: {all}"
    );

    write_main(
        &env,
        &wif_provider(
            &w,
            &w.untrusted_token_path,
            &w.client_secret,
            "urn:oci:token-type:oci-upst",
        ),
        &data,
    );
    let out = env.plan().await;
    let all = out.all();
    assert_eq!(out.code, 1, "{all}");
    assert!(all.contains("invalid_grant"), "{all}");
    let untrusted = std::fs::read_to_string(&w.untrusted_token_path).unwrap();
    assert!(
        !all.contains(untrusted.trim()),
        "no subject token in the diagnostic: {all}"
    );
    assert!(!all.contains(&w.client_secret), "{all}");
}

/// Session tokens that live 2 s, and an apply that takes longer (slow API, parallelism 1): the
/// provider renews its token on the way, before expiry, and Terraform sees no failure. Then
/// every token is revoked in the middle of an apply: the first refused request makes the
/// provider federate again and retry, and the apply still succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn session_tokens_expiring_or_revoked_mid_apply_are_renewed() {
    let mut env = env_or_skip!(Env::start(MockOptions {
        users: 4,
        session_ttl_s: 2,
        latency_ms: 150,
        ..Default::default()
    }));
    let vars = env.mock.instance_principal_env();
    as_platform(&mut env, vars);
    let provider = "  auth = \"InstancePrincipal\"";
    let blocks: String = (0..6)
        .map(|i| token_block(&format!("t{i}"), env.user(1 + i % 3), &format!("token {i}")))
        .collect();
    write_main(&env, provider, &blocks);
    let before = federations(&env, "x509");
    env.tf(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=1",
    ])
    .await
    .ok();
    let during = federations(&env, "x509") - before;
    assert!(
        during >= 2,
        "a 2 s session over a longer apply is renewed: {during} federations, {}",
        env.stats()
    );
    assert_eq!(
        session_failures(&env, "expired"),
        0,
        "renewed before expiry: {}",
        env.stats()
    );

    // Revoke while an update is under way.
    let renamed: String = (0..6)
        .map(|i| {
            token_block(
                &format!("t{i}"),
                env.user(1 + i % 3),
                &format!("renamed {i}"),
            )
        })
        .collect();
    write_main(&env, provider, &renamed);
    let updates = |env: &Env| {
        env.stats()["requests"]["UpdateAuthToken"]["total"]
            .as_u64()
            .unwrap_or(0)
    };
    let apply = env.tf(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=1",
    ]);
    let revoke = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while updates(&env) < 2 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        env.mock.state().platform().revoke_all();
    };
    let (out, ()) = tokio::join!(apply, revoke);
    out.ok();
    assert!(
        session_failures(&env, "revoked") >= 1,
        "the revocation was seen: {}",
        env.stats()
    );
    let state = env.state().await;
    let descriptions: Vec<&str> = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["values"]["description"].as_str())
        .collect();
    assert_eq!(descriptions.len(), 6);
    assert!(
        descriptions.iter().all(|d| d.starts_with("renamed")),
        "{descriptions:?}"
    );
}

/// An expired resource principal token (a file nobody renews) gives a 401 diagnostic with a
/// hint naming the mode, after one re-read of the files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn an_expired_resource_principal_gives_a_401_naming_the_mode() {
    let mut env = env_or_skip!(Env::start(MockOptions {
        users: 2,
        session_ttl_s: 1,
        ..Default::default()
    }));
    let vars = env.mock.resource_principal_env();
    as_platform(&mut env, vars);
    write_main(
        &env,
        "  auth = \"ResourcePrincipal\"",
        &format!(
            "data \"oci_identity_auth_tokens\" \"t\" {{\n  user_id = \"{}\"\n}}\n",
            env.user(1)
        ),
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let out = env.plan().await;
    let all = out.all();
    assert_eq!(out.code, 1, "{all}");
    assert!(
        all.contains("401") || all.contains("NotAuthenticated"),
        "{all}"
    );
    assert!(
        all.contains("ResourcePrincipal") || all.contains("resource principal"),
        "the hint names the mode: {all}"
    );
    assert!(!all.contains("ST$ey"), "no token in the diagnostic: {all}");
}
