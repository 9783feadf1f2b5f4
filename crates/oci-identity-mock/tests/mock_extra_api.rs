//! The middleware stack is reusable: a toy SCIM-style API (`/admin/v1/Ping`) mounted beside the
//! classic Identity API gets signature verification, fault injection, latency, stats and request
//! ids from the same layers, and its errors in its own (SCIM) form. Also: unmatched paths and
//! methods bypass the per-operation layers.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use axum::extract::Path as UrlPath;
use axum::http::Method;
use axum::Json;
use base64::Engine as _;
use oci_identity_mock::apis::Api;
use oci_identity_mock::auth::Verified;
use oci_identity_mock::middleware::{ApiError, ScimErrors};
use oci_identity_mock::{self as mock, Fault, MockOptions, MockServer};
use serde_json::{json, Value};

const SCIM_ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

async fn ping(axum::Extension(caller): axum::Extension<Verified>) -> Json<Value> {
    Json(json!({"pong": true, "keyId": caller.key_id}))
}

async fn ping_one(UrlPath(id): UrlPath<String>) -> Result<Json<Value>, ApiError> {
    if id == "known" {
        Ok(Json(json!({"id": id})))
    } else {
        Err(ApiError::new(404, "NotFound", format!("no ping {id}")))
    }
}

fn toy_api(state: &mock::MockState) -> axum::Router {
    Api::new(state, ScimErrors)
        .operation(Method::GET, "/admin/v1/Ping", "Ping", ping)
        .operation(Method::GET, "/admin/v1/Ping/{id}", "GetPing", ping_one)
        .into_router()
}

/// A minimal OCI request signer (GET only) for the DEFAULT profile of the mock's config.
struct Signer {
    key_id: String,
    key: RsaKeyPair,
    user: String,
}

impl Signer {
    fn new(server: &MockServer) -> Signer {
        let text = std::fs::read_to_string(&server.config_file).unwrap();
        let value = |name: &str| {
            let mut current = "";
            text.lines()
                .filter_map(|l| {
                    let l = l.trim();
                    if let Some(s) = l.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                        current = s;
                        return None;
                    }
                    let (k, v) = l.split_once('=')?;
                    (current == "DEFAULT" && k.trim() == name).then(|| v.trim().to_string())
                })
                .next()
                .unwrap_or_else(|| panic!("{name} in DEFAULT"))
        };
        let pem = std::fs::read_to_string(Path::new(&value("key_file"))).unwrap();
        let der = mock::keys::pem_decode("PRIVATE KEY", &pem).unwrap();
        Signer {
            key_id: format!(
                "{}/{}/{}",
                value("tenancy"),
                value("user"),
                value("fingerprint")
            ),
            key: RsaKeyPair::from_pkcs8(&der).unwrap(),
            user: value("user"),
        }
    }

    fn headers(&self, method: &str, host: &str, path: &str) -> Vec<(String, String)> {
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let signing = format!(
            "date: {date}\n(request-target): {} {path}\nhost: {host}",
            method.to_ascii_lowercase()
        );
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                signing.as_bytes(),
                &mut sig,
            )
            .unwrap();
        let sig = base64::engine::general_purpose::STANDARD.encode(sig);
        vec![
            ("date".into(), date),
            (
                "authorization".into(),
                format!(
                    "Signature version=\"1\",keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"date (request-target) host\",signature=\"{sig}\"",
                    self.key_id
                ),
            ),
        ]
    }
}

struct Resp {
    status: u16,
    content_type: Option<String>,
    retry_after: Option<String>,
    request_id: Option<String>,
    body: Value,
}

async fn send(
    server: &MockServer,
    signer: Option<&Signer>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Resp, reqwest::Error> {
    let host = server.endpoint.trim_start_matches("http://");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = http.request(
        method.parse().unwrap(),
        format!("{}{path}", server.endpoint),
    );
    if let Some(s) = signer {
        for (k, v) in s.headers(method, host, path) {
            req = req.header(k, v);
        }
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await?;
    let header = |n: &str| {
        resp.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let (status, content_type, retry_after, request_id) = (
        resp.status().as_u16(),
        header("content-type"),
        header("retry-after"),
        header("opc-request-id"),
    );
    let text = resp.text().await?;
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
    };
    Ok(Resp {
        status,
        content_type,
        retry_after,
        request_id,
        body,
    })
}

/// Asserts a SCIM error body with `status`.
fn assert_scim(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.content_type.as_deref(), Some("application/scim+json"));
    assert_eq!(r.body["schemas"], json!([SCIM_ERROR]), "{}", r.body);
    assert_eq!(r.body["status"], json!(status.to_string()), "{}", r.body);
    assert!(
        r.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{}",
        r.body
    );
    assert!(r.body.get("code").is_none(), "{}", r.body);
    assert!(r.request_id.is_some());
}

async fn stats(server: &MockServer) -> Value {
    send(server, None, "GET", "/_mock/stats", None)
        .await
        .unwrap()
        .body
}

#[tokio::test]
async fn a_second_api_reuses_the_middleware_stack_with_its_own_error_form() {
    let dir = tempfile::tempdir().unwrap();
    let opts = MockOptions {
        data_dir: dir.path().to_path_buf(),
        latency_ms: 300,
        ..MockOptions::default()
    };
    let server = mock::start_with(opts, toy_api).await.unwrap();
    let signer = Signer::new(&server);

    // Registered operations are listed before their first call.
    let s = stats(&server).await;
    assert_eq!(s["requests"]["Ping"], json!({"total": 0, "by_status": {}}));

    // Signed: served (after the latency), the handler sees who signed.
    let t = Instant::now();
    let r = send(&server, Some(&signer), "GET", "/admin/v1/Ping", None)
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.body, json!({"pong": true, "keyId": signer.key_id}));
    assert!(r.request_id.is_some());

    // Unsigned: 401 in SCIM form, counted as an auth failure.
    let r = send(&server, None, "GET", "/admin/v1/Ping", None)
        .await
        .unwrap();
    assert_scim(&r, 401);

    // Faults from the shared queue, rendered in SCIM form.
    server
        .state()
        .queue_faults([Fault::Status503, Fault::Status429, Fault::DropConnection]);
    let r = send(&server, Some(&signer), "GET", "/admin/v1/Ping", None)
        .await
        .unwrap();
    assert_scim(&r, 503);
    let r = send(&server, Some(&signer), "GET", "/admin/v1/Ping", None)
        .await
        .unwrap();
    assert_scim(&r, 429);
    assert_eq!(r.retry_after.as_deref(), Some("1"));
    assert!(
        send(&server, Some(&signer), "GET", "/admin/v1/Ping", None)
            .await
            .is_err(),
        "expected a dropped connection"
    );

    // A handler's own error and a wrong method, both in SCIM form.
    let r = send(&server, Some(&signer), "GET", "/admin/v1/Ping/nope", None)
        .await
        .unwrap();
    assert_scim(&r, 404);
    assert_eq!(r.body["detail"], "no ping nope");
    let r = send(&server, Some(&signer), "GET", "/admin/v1/Ping/known", None)
        .await
        .unwrap();
    assert_eq!((r.status, r.body["id"].clone()), (200, json!("known")));
    let r = send(&server, Some(&signer), "DELETE", "/admin/v1/Ping", None)
        .await
        .unwrap();
    assert_scim(&r, 405);

    // The classic API beside it is unchanged: OCI form, same signer.
    let path = format!("/20160918/users/{}/authTokens", signer.user);
    let r = send(&server, Some(&signer), "GET", &path, None)
        .await
        .unwrap();
    assert_eq!((r.status, r.body.clone()), (200, json!([])));
    let r = send(&server, None, "GET", &path, None).await.unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.body["code"], "NotAuthenticated");

    let s = stats(&server).await;
    assert_eq!(
        s["requests"]["Ping"],
        json!({"total": 5, "by_status": {"200": 1, "401": 1, "429": 1, "503": 1}})
    );
    assert_eq!(
        s["requests"]["GetPing"],
        json!({"total": 2, "by_status": {"200": 1, "404": 1}})
    );
    assert_eq!(
        s["requests"]["ListAuthTokens"],
        json!({"total": 2, "by_status": {"200": 1, "401": 1}})
    );
    assert_eq!(s["auth_failures"], 2);
    assert_eq!(s["injected_faults"]["503"], 1);
    assert_eq!(s["injected_faults"]["429"], 1);
    assert_eq!(s["injected_faults"]["drop_connection"], 1);
    server.stop().await;
}

#[tokio::test]
async fn unmatched_paths_and_methods_bypass_the_operation_layers() {
    let dir = tempfile::tempdir().unwrap();
    let opts = MockOptions {
        data_dir: dir.path().to_path_buf(),
        latency_ms: 1500,
        ..MockOptions::default()
    };
    let server = mock::start(opts).await.unwrap();
    let u = server.user_ocids[0].clone();
    server.state().queue_faults([Fault::Status503]);
    let t = Instant::now();
    let cases = [
        ("GET", "/".to_string(), 404, "NotFound"),
        ("GET", "/20160918/users".into(), 404, "NotFound"),
        ("GET", "/20160918/users//authTokens".into(), 404, "NotFound"),
        (
            "GET",
            "/20160919/users/u/authTokens".into(),
            404,
            "NotFound",
        ),
        (
            "GET",
            format!("/20160918/users/{u}/apiKeys"),
            404,
            "NotFound",
        ),
        (
            "GET",
            format!("/20160918/users/{u}/authTokens/t1/x"),
            404,
            "NotFound",
        ),
        ("GET", "/_mock".into(), 404, "NotFound"),
        ("GET", "/_mock/stats/".into(), 404, "NotFound"),
        (
            "DELETE",
            format!("/20160918/users/{u}/authTokens"),
            405,
            "MethodNotAllowed",
        ),
        (
            "GET",
            format!("/20160918/users/{u}/authTokens/t1"),
            405,
            "MethodNotAllowed",
        ),
        (
            "PATCH",
            format!("/20160918/users/{u}/authTokens/t1/"),
            405,
            "MethodNotAllowed",
        ),
        ("HEAD", format!("/20160918/users/{u}/authTokens"), 405, ""),
        ("HEAD", "/_mock/stats".into(), 405, ""),
        ("DELETE", "/_mock/faults".into(), 405, "MethodNotAllowed"),
    ];
    for (method, path, status, code) in cases {
        let r = send(&server, None, method, &path, None).await.unwrap();
        assert_eq!(r.status, status, "{method} {path}: {}", r.body);
        assert!(r.request_id.is_some(), "{method} {path}");
        if method != "HEAD" {
            assert_eq!(r.content_type.as_deref(), Some("application/json"));
            assert_eq!(r.body["code"], code, "{method} {path}");
            assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
    // Answered at once: no latency, no fault taken from the queue, nothing counted.
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    let f = send(&server, None, "GET", "/_mock/faults", None)
        .await
        .unwrap();
    assert_eq!(f.body["next"], json!(["503"]));
    let s = stats(&server).await;
    for op in mock::Operation::ALL {
        assert_eq!(s["requests"][op.name()]["total"], 0, "{}", op.name());
    }
    assert_eq!(s["auth_failures"], 0);
    assert_eq!(s["injected_faults"]["503"], 0);
    server.stop().await;
}
