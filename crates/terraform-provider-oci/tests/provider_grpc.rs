//! The fast in-process tier: the tfplugin6 service called directly (no transport, no
//! Terraform) against the mock Identity API. Covers what Terraform cannot easily trigger on
//! demand, such as StopProvider during an apply.

use std::time::Duration;

use oci_identity_mock::{MockOptions, MockServer};
use terraform_provider_oci::OciProvider;
use tfplugin::cty::{msgpack, Type, Value};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_server::Provider as _;
use tfplugin::server::ProviderService;
use tonic::Request;

/// Provider arguments for the mock's DEFAULT profile, read from its config file.
fn provider_config(mock: &MockServer) -> Value {
    let profiles = test_support::oci_config_profiles(&mock.config_file);
    let mut attrs: std::collections::BTreeMap<String, Value> = Default::default();
    for (k, v) in profiles.get("DEFAULT").into_iter().flatten() {
        let v = Value::from(v.as_str());
        match k.as_str() {
            "user" => attrs.insert("user_ocid".into(), v),
            "tenancy" => attrs.insert("tenancy_ocid".into(), v),
            "fingerprint" => attrs.insert("fingerprint".into(), v),
            "key_file" => attrs.insert("private_key_path".into(), v),
            "region" => attrs.insert("region".into(), v),
            _ => None,
        };
    }
    attrs.insert(
        "identity_endpoint".into(),
        Value::from(mock.endpoint.as_str()),
    );
    attrs.insert("retry_duration_seconds".into(), Value::from(5i64));
    Value::Object(attrs)
}

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(v, ty).unwrap(),
        json: vec![],
    })
}

async fn schemas(svc: &ProviderService<OciProvider>) -> (Type, Type) {
    let s = svc
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let block_ty = |schema: &pb::Schema| block_type(schema.block.as_ref().unwrap());
    (
        block_ty(s.provider.as_ref().unwrap()),
        block_ty(&s.resource_schemas["oci_identity_auth_token"]),
    )
}

fn block_type(b: &pb::schema::Block) -> Type {
    let mut attrs = std::collections::BTreeMap::new();
    for a in &b.attributes {
        attrs.insert(
            a.name.clone(),
            Type::from_json(&serde_json::from_slice(&a.r#type).unwrap()).unwrap(),
        );
    }
    for nb in &b.block_types {
        let inner = block_type(nb.block.as_ref().unwrap());
        let t = match nb.nesting {
            1 | 5 => inner,
            2 => Type::list(inner),
            3 => Type::set(inner),
            _ => Type::map(inner),
        };
        attrs.insert(nb.type_name.clone(), t);
    }
    Type::Object(attrs, Default::default())
}

async fn configured(mock: &MockServer) -> (ProviderService<OciProvider>, Type) {
    let svc = ProviderService::new(OciProvider::new());
    let (provider_ty, resource_ty) = schemas(&svc).await;
    let resp = svc
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: dv(&provider_config(mock), &provider_ty),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    let errors: Vec<_> = resp
        .diagnostics
        .iter()
        .filter(|d| d.severity == 1)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    (svc, resource_ty)
}

fn planned_token(user: &str) -> Value {
    Value::object([
        ("id", Value::Unknown),
        ("user_id", Value::from(user)),
        ("description", Value::from("slow")),
        ("token", Value::Unknown),
        ("state", Value::Unknown),
        ("inactive_state", Value::Unknown),
        ("time_created", Value::Unknown),
        ("time_expires", Value::Unknown),
        ("timeouts", Value::Null),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_provider_during_create_records_the_token_and_cancels_the_wait() {
    // Every API call takes 1.5 s; configuring makes none. New tokens stay CREATING, so the
    // create waits for ACTIVE (a POST that says ACTIVE needs no wait).
    let slow = test_support::start_mock(MockOptions {
        latency_ms: 1_500,
        activation_ms: 60_000,
        ..Default::default()
    })
    .await;
    let (svc, ty) = configured(&slow).await;
    let svc = std::sync::Arc::new(svc);
    let user = slow.user_ocids[0].clone();
    let planned = planned_token(&user);
    let config = {
        let mut c = planned.clone();
        for k in [
            "id",
            "token",
            "state",
            "inactive_state",
            "time_created",
            "time_expires",
        ] {
            c.set(k, Value::Null);
        }
        c
    };
    let apply = {
        let svc = svc.clone();
        let (p, c, ty) = (planned.clone(), config.clone(), ty.clone());
        tokio::spawn(async move {
            svc.apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: "oci_identity_auth_token".into(),
                prior_state: dv(&Value::Null, &ty),
                planned_state: dv(&p, &ty),
                config: dv(&c, &ty),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stop = svc
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(stop.error.is_empty());
    let resp = tokio::time::timeout(Duration::from_secs(15), apply)
        .await
        .expect("apply returns promptly")
        .unwrap();
    // The POST was in flight when Terraform asked us to stop: it is allowed to finish (a token
    // created but not recorded would be a silent orphan), and the wait for ACTIVE is cut short.
    let diag = resp
        .diagnostics
        .iter()
        .find(|d| d.severity == 1)
        .expect("an error diagnostic");
    assert!(diag.detail.contains("cancelled"), "{diag:?}");
    let state = msgpack::decode(&resp.new_state.unwrap().msgpack, &ty).unwrap();
    let remote = slow.state().stats_json();
    assert_eq!(remote["live_tokens"], 1);
    assert!(
        state
            .get_str("id")
            .is_some_and(|id| id.starts_with("ocid1.credential.")),
        "{state:?}"
    );
    assert!(state.get_str("token").is_some(), "the secret is kept");
    assert!(state.is_wholly_known());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_resource_state_accepts_the_official_providers_state() {
    let mock = test_support::start_mock(MockOptions::default()).await;
    let (svc, ty) = configured(&mock).await;
    // State as the official provider (SDKv2) writes it, with its extra `timeouts` shape and
    // Go-formatted time.
    let raw = serde_json::json!({
        "id": "ocid1.credential.oc1..aaaa",
        "user_id": "ocid1.user.oc1..bbbb",
        "description": "d",
        "token": "s3cr3t",
        "state": "ACTIVE",
        "inactive_state": "",
        "time_created": "2016-08-25 21:10:29.6 +0000 UTC",
        "time_expires": "",
        "timeouts": null,
        "some_removed_attribute": 1
    });
    let resp = svc
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "oci_identity_auth_token".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: serde_json::to_vec(&raw).unwrap(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = msgpack::decode(&resp.upgraded_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(state.get_str("token"), Some("s3cr3t"));
    assert_eq!(state.get_str("id"), Some("ocid1.credential.oc1..aaaa"));

    // A state from a newer provider is refused with a clear message.
    let resp = svc
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "oci_identity_auth_token".into(),
            version: 7,
            raw_state: Some(pb::RawState {
                json: b"{}".to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics[0]
        .summary
        .contains("newer provider version"));
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configure_errors_point_at_the_argument() {
    let svc = ProviderService::new(OciProvider::new());
    let (provider_ty, _) = schemas(&svc).await;
    let config = Value::object([
        (
            "private_key",
            Value::from(
                "-----BEGIN RSA PRIVATE KEY-----\\nnot a key\\n-----END RSA PRIVATE KEY-----",
            ),
        ),
        ("tenancy_ocid", Value::from("ocid1.tenancy.oc1..a")),
        ("user_ocid", Value::from("ocid1.user.oc1..a")),
        ("region", Value::from("us-ashburn-1")),
        ("config_file_profile", Value::Null),
    ]);
    let resp = svc
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: dv(&config, &provider_ty),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    let d = resp
        .diagnostics
        .iter()
        .find(|d| d.severity == 1)
        .expect("an error");
    let path = d.attribute.as_ref().expect("attribute path");
    assert_eq!(
        path.steps[0].selector,
        Some(pb::attribute_path::step::Selector::AttributeName(
            "private_key".into()
        )),
        "{d:?}"
    );
    assert!(
        !d.detail.contains("not a key"),
        "no key material in the message: {}",
        d.detail
    );
}

/// Private state: a token whose create could not be confirmed is marked as keyed JSON, and
/// the raw `unconfirmed` bytes earlier releases wrote (state files in the wild) still mean
/// the same: a read keeps the token in state while lists do not show it yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconfirmed_create_private_state_is_keyed_json_and_the_old_marker_still_counts() {
    // New tokens are CREATING and show up in lists only after a minute: the create's wait
    // (1 s) fails. (A POST that says ACTIVE needs no wait; this one says CREATING.)
    let mock = test_support::start_mock(MockOptions {
        list_lag_ms: 60_000,
        activation_ms: 60_000,
        ..Default::default()
    })
    .await;
    let (svc, ty) = configured(&mock).await;
    let user = mock.user_ocids[0].clone();
    let mut planned = planned_token(&user);
    planned.set(
        "timeouts",
        Value::object([
            ("create", Value::from("1s")),
            ("update", Value::Null),
            ("delete", Value::Null),
        ]),
    );
    let mut config = planned.clone();
    for k in [
        "id",
        "token",
        "state",
        "inactive_state",
        "time_created",
        "time_expires",
    ] {
        config.set(k, Value::Null);
    }
    let applied = svc
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "oci_identity_auth_token".into(),
            prior_state: dv(&Value::Null, &ty),
            planned_state: dv(&planned, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        applied
            .diagnostics
            .iter()
            .any(|d| d.summary == "Auth token created but not ready"),
        "{:?}",
        applied.diagnostics
    );
    let private: serde_json::Value = serde_json::from_slice(&applied.private).unwrap();
    assert_eq!(private, serde_json::json!({"unconfirmed": true}));
    let state = msgpack::decode(&applied.new_state.unwrap().msgpack, &ty).unwrap();
    assert!(state.get_str("id").is_some());

    let read = |private: Vec<u8>| {
        let svc = &svc;
        let (state, ty) = (state.clone(), ty.clone());
        async move {
            svc.read_resource(Request::new(pb::read_resource::Request {
                type_name: "oci_identity_auth_token".into(),
                current_state: dv(&state, &ty),
                private,
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner()
        }
    };
    for private in [applied.private.clone(), b"unconfirmed".to_vec()] {
        let resp = read(private.clone()).await;
        assert_eq!(
            resp.diagnostics
                .iter()
                .map(|d| d.summary.as_str())
                .collect::<Vec<_>>(),
            vec!["Auth token not listed yet"]
        );
        let kept = msgpack::decode(&resp.new_state.unwrap().msgpack, &ty).unwrap();
        assert_eq!(kept, state, "kept in state");
        assert_eq!(resp.private, private, "private state kept as it was");
    }
    // Without the marker, a token missing from the list is gone.
    let resp = read(Vec::new()).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let gone = msgpack::decode(&resp.new_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(gone, Value::Null);
    mock.stop().await;
}

/// A token whose create was not listed (its POST said ACTIVE) stays in state while lists
/// lag, for the 240 s consistency window the OCI SDKs open after a create (polled only in the
/// first 10 s), also when the list answers 404 for its user (a lagging replica, or a user
/// just created); after the window a token the list does not show is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlisted_create_stays_in_state_for_the_consistency_window_only() {
    let mock = test_support::start_mock(MockOptions::default()).await;
    let (svc, ty) = configured(&mock).await;
    let token = |user: &str| {
        Value::object([
            (
                "id",
                Value::from("ocid1.credential.oc1..aaaaaaaanotlistedyet"),
            ),
            ("user_id", Value::from(user)),
            ("description", Value::from("lagging")),
            ("token", Value::from("not-a-real-token-xx")),
            ("state", Value::from("ACTIVE")),
            ("inactive_state", Value::Null),
            ("time_created", Value::from("2026-12-02T00:00:00.000Z")),
            ("time_expires", Value::Null),
            ("timeouts", Value::Null),
        ])
    };
    let read = |state: Value, created_ago: i64| {
        let (svc, ty) = (&svc, ty.clone());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let private =
            serde_json::to_vec(&serde_json::json!({"unlisted_since": now - created_ago})).unwrap();
        async move {
            let started = std::time::Instant::now();
            let resp = svc
                .read_resource(Request::new(pb::read_resource::Request {
                    type_name: "oci_identity_auth_token".into(),
                    current_state: dv(&state, &ty),
                    private: private.clone(),
                    ..Default::default()
                }))
                .await
                .unwrap()
                .into_inner();
            let summaries: Vec<String> =
                resp.diagnostics.iter().map(|d| d.summary.clone()).collect();
            let new_state = msgpack::decode(&resp.new_state.unwrap().msgpack, &ty).unwrap();
            (
                new_state,
                summaries,
                resp.private == private,
                started.elapsed(),
            )
        }
    };
    let user = mock.user_ocids[0].clone();
    // 30 s after the create: past the polling, inside the window.
    let (kept, summaries, same_private, took) = read(token(&user), 30).await;
    assert_eq!(kept, token(&user), "kept in state");
    assert_eq!(summaries, vec!["Auth token not listed yet"]);
    assert!(
        same_private,
        "the marker stays until a list shows the token"
    );
    assert!(
        took < Duration::from_secs(5),
        "not polled after 10 s: {took:?}"
    );
    // After the window: missing from the list means gone.
    let (gone, summaries, _, _) = read(token(&user), 300).await;
    assert_eq!(gone, Value::Null);
    assert!(summaries.is_empty(), "{summaries:?}");
    // The list answers 404 for its user: inside the window that may be lag too, so the
    // token is kept, without polling; after the window it is gone.
    let nobody = "ocid1.user.oc1..aaaaaaaanosuchuser";
    let (kept, summaries, _, took) = read(token(nobody), 2).await;
    assert_eq!(kept, token(nobody));
    assert_eq!(summaries, vec!["Auth token not listed yet"]);
    assert!(took < Duration::from_secs(5), "not polled: {took:?}");
    let (gone, summaries, _, _) = read(token(nobody), 300).await;
    assert_eq!(gone, Value::Null);
    assert!(summaries.is_empty(), "{summaries:?}");
    mock.stop().await;
}
