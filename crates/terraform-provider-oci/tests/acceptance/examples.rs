//! Every example under `examples/` applied with real Terraform against the mock.

use crate::env_or_skip;
use crate::harness::Env;
use serde_json::Value as Json;

async fn outputs(env: &Env) -> Json {
    serde_json::from_str(&env.tf(&["output", "-json"]).await.ok().stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn example_provider_and_resource_apply_then_import_script() {
    let env = env_or_skip!(Env::with_users(1));
    env.copy_example("provider/provider.tf");
    env.copy_example("resources/oci_identity_auth_token/resource.tf");
    let var = format!("-var=user_ocid={}", env.user(0));
    env.tf(&["apply", "-auto-approve", "-input=false", "-no-color", &var])
        .await
        .ok();
    let t = env
        .resource("oci_identity_auth_token.registry")
        .await
        .unwrap();
    let id = t["id"].as_str().unwrap().to_string();
    let out = outputs(&env).await;
    assert_eq!(out["registry_token"]["sensitive"], true);

    // import.sh, with its placeholders filled in, brings the token back after `state rm`.
    env.tf(&[
        "state",
        "rm",
        "-no-color",
        "oci_identity_auth_token.registry",
    ])
    .await
    .ok();
    let script = std::fs::read_to_string(test_support::example(
        "resources/oci_identity_auth_token/import.sh",
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
        .replace("<user OCID>", env.user(0))
        .replace("<auth token OCID>", &id);
    env.tf(&[
        "import",
        "-input=false",
        "-no-color",
        &var,
        "oci_identity_auth_token.registry",
        &import_id,
    ])
    .await
    .ok();
    let p = env
        .tf(&[
            "plan",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            &var,
        ])
        .await;
    assert_eq!(p.code, 0, "{}", p.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn example_import_by_identity() {
    let env = env_or_skip!(Env::with_users(1));
    let created = env
        .client()
        .create_auth_token(env.user(0), "OCIR push from CI")
        .await
        .unwrap();
    env.copy_example("provider/provider.tf");
    env.copy_example("resources/oci_identity_auth_token/resource.tf");
    env.copy_example("resources/oci_identity_auth_token/import-by-identity.tf");
    let vars = [
        format!("-var=user_ocid={}", env.user(0)),
        format!("-var=auth_token_ocid={}", created.id),
    ];
    let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
    args.extend(vars.iter().map(String::as_str));
    let applied = env.tf(&args).await;
    applied.ok();
    assert!(
        applied
            .stdout
            .contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{}",
        applied.all()
    );
    let mut args = vec!["plan", "-input=false", "-no-color", "-detailed-exitcode"];
    args.extend(vars.iter().map(String::as_str));
    let p = env.tf(&args).await;
    assert_eq!(p.code, 0, "{}", p.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn example_data_source() {
    let env = env_or_skip!(Env::with_users(1));
    let c = env.client();
    let wanted = c.create_auth_token(env.user(0), "OCIR push").await.unwrap();
    c.create_auth_token(env.user(0), "laptop").await.unwrap();
    env.copy_example("provider/provider.tf");
    env.copy_example("data-sources/oci_identity_auth_tokens/data-source.tf");
    env.write(
        "variables.tf",
        "variable \"user_ocid\" {\n  type = string\n}\n",
    );
    let var = format!("-var=user_ocid={}", env.user(0));
    env.tf(&["apply", "-auto-approve", "-input=false", "-no-color", &var])
        .await
        .ok();
    assert_eq!(
        outputs(&env).await["active_token_ids"]["value"],
        serde_json::json!([wanted.id])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn example_list_resource_query() {
    let env = env_or_skip!(Env::with_users(1));
    let c = env.client();
    let t = c.create_auth_token(env.user(0), "listed").await.unwrap();
    env.copy_example("provider/provider.tf");
    env.copy_example("list-resources/oci_identity_auth_token/list-resource.tfquery.hcl");
    let var = format!("-var=user_ocid={}", env.user(0));
    let q = env.tf(&["query", "-no-color", &var]).await;
    q.ok();
    assert!(q.stdout.contains(&t.id), "{}", q.stdout);
    assert!(q.stdout.contains("listed"), "{}", q.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn example_module_rotates_inside_the_two_token_limit() {
    let env = env_or_skip!(Env::with_users(1));
    let module = test_support::example("modules/rotate-auth-token");
    let root = |slot: &str, keep: bool| {
        format!(
            "{}\nmodule \"rot\" {{\n  source        = \"{}\"\n  user_id       = \"{}\"\n  active_slot   = \"{slot}\"\n  keep_previous = {keep}\n}}\noutput \"id\" {{ value = module.rot.token_id }}\noutput \"prev\" {{ value = module.rot.previous_token_id }}\n",
            crate::harness::PROVIDER_BLOCK,
            module.display(),
            env.user(0)
        )
    };
    let apply = |cfg: String| {
        env.write("main.tf", &cfg);
        async {
            env.tf(&["apply", "-auto-approve", "-input=false", "-no-color"])
                .await
                .ok()
                .stdout
                .clone()
        }
    };
    let remote = || async { env.client().list_auth_tokens(env.user(0)).await.unwrap() };

    // init is needed for a local module.
    env.write("main.tf", &root("a", false));
    env.tf(&["init", "-input=false", "-no-color"]).await.ok();

    apply(root("a", false)).await;
    let a = outputs(&env).await["id"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(remote().await.len(), 1);

    // Rotation starts: the new token exists before the old one goes.
    apply(root("b", true)).await;
    let out = outputs(&env).await;
    let b = out["id"]["value"].as_str().unwrap().to_string();
    assert_ne!(a, b);
    assert_eq!(out["prev"]["value"], a.as_str());
    assert_eq!(
        remote().await.len(),
        2,
        "both tokens live while consumers move"
    );

    // Consumers moved: the old token is removed.
    apply(root("b", false)).await;
    let ids: Vec<String> = remote().await.into_iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![b.clone()]);

    // And back again.
    apply(root("a", true)).await;
    assert_eq!(remote().await.len(), 2);
    apply(root("a", false)).await;
    let left = remote().await;
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id, b);
    env.assert_empty_plan().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_terraform,
    ignore = "Terraform not found (.venv/bin/terraform or $TERRAFORM): run scripts/setup-tools.sh"
)]
async fn example_demo_applies_and_destroys() {
    let env = env_or_skip!(Env::with_users(1));
    env.copy_example("demo/main.tf");
    let var = format!("-var=user_ocid={}", env.user(0));
    let applied = env
        .tf(&["apply", "-auto-approve", "-input=false", "-no-color", &var])
        .await;
    applied.ok();
    assert!(
        applied.stdout.contains("token = <sensitive>"),
        "{}",
        applied.stdout
    );
    let out = outputs(&env).await;
    let listed = out["listed_tokens"]["value"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].as_str().unwrap().contains("ACTIVE"));
    env.tf(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        &var,
    ])
    .await
    .ok();
    assert_eq!(env.stats()["live_tokens"], 0);
}
