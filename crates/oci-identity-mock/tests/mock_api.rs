//! Black-box tests of the mock OCI Identity API over HTTP, with a small test-side request signer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::Engine as _;
use chrono::Utc;
use oci_identity_mock::{self as mock, MockOptions, MockServer};
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

// ---------------------------------------------------------------------------------------------
// Test-side signer

/// The profiles of the generated OCI config file.
fn read_profiles(config: &Path) -> HashMap<String, HashMap<String, String>> {
    test_support::oci_config_profiles(config)
        .into_iter()
        .map(|(name, keys)| (name, keys.into_iter().collect()))
        .collect()
}

fn load_key(path: &Path) -> RsaKeyPair {
    let pem = std::fs::read_to_string(path).unwrap();
    let der = mock::keys::pem_decode("PRIVATE KEY", &pem).expect("PKCS#8 PEM");
    RsaKeyPair::from_pkcs8(&der).unwrap()
}

fn sign_bytes(key: &RsaKeyPair, data: &[u8]) -> String {
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        data,
        &mut sig,
    )
    .unwrap();
    B64.encode(sig)
}

fn sha256_b64(body: &[u8]) -> String {
    B64.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body).as_ref())
}

/// How to (mis)sign a request.
#[derive(Clone, Default)]
struct SignOpts {
    unsigned: bool,
    date_offset_secs: i64,
    /// Sign with this key instead of the profile's.
    other_key: Option<std::sync::Arc<RsaKeyPair>>,
    /// Use this keyId instead of the profile's.
    key_id: Option<String>,
    /// Sign this body, send the real one (x-content-sha256 of the signed body).
    signed_body: Option<Vec<u8>>,
    /// Sign the hash of the sent body but the signature over `signed_body`'s hash.
    recompute_hash: bool,
    /// Flip a byte of the signature.
    corrupt_signature: bool,
}

struct Client {
    http: reqwest::Client,
    endpoint: String,
    host: String,
    key_id: String,
    key: RsaKeyPair,
    pub user: String,
}

struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
}

impl Client {
    fn new(server: &MockServer, profile: &str) -> Client {
        let profiles = read_profiles(&server.config_file);
        let p = &profiles[profile];
        let host = server.endpoint.trim_start_matches("http://").to_string();
        Client {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            endpoint: server.endpoint.clone(),
            host,
            key_id: format!("{}/{}/{}", p["tenancy"], p["user"], p["fingerprint"]),
            key: load_key(Path::new(&p["key_file"])),
            user: p["user"].clone(),
        }
    }

    async fn try_send(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        extra: &[(&str, &str)],
        opts: &SignOpts,
    ) -> Result<Resp, reqwest::Error> {
        let method_l = method.to_ascii_lowercase();
        let date = (Utc::now() + chrono::Duration::seconds(opts.date_offset_secs))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let mut headers: Vec<(String, String)> = vec![
            ("date".into(), date.clone()),
            ("host".into(), self.host.clone()),
            ("accept".into(), "application/json".into()),
        ];
        for (k, v) in extra {
            headers.push((k.to_string(), v.to_string()));
        }
        let with_body = matches!(method, "POST" | "PUT" | "PATCH");
        let body_bytes = body.unwrap_or_default().to_vec();
        let mut names = vec!["date", "(request-target)", "host"];
        let mut signing = format!(
            "date: {date}\n(request-target): {method_l} /20160918{path}\nhost: {}",
            self.host
        );
        if with_body {
            let signed_body = opts
                .signed_body
                .clone()
                .unwrap_or_else(|| body_bytes.clone());
            let sent_hash = if opts.recompute_hash {
                sha256_b64(&body_bytes)
            } else {
                sha256_b64(&signed_body)
            };
            headers.push(("content-type".into(), "application/json".into()));
            headers.push(("x-content-sha256".into(), sent_hash));
            names.extend(["content-length", "content-type", "x-content-sha256"]);
            signing.push_str(&format!(
                "\ncontent-length: {}\ncontent-type: application/json\nx-content-sha256: {}",
                body_bytes.len(),
                sha256_b64(&signed_body)
            ));
        }
        if !opts.unsigned {
            let key = opts.other_key.as_deref().unwrap_or(&self.key);
            let mut sig = sign_bytes(key, signing.as_bytes());
            if opts.corrupt_signature {
                let mut raw = B64.decode(&sig).unwrap();
                raw[10] ^= 0x01;
                sig = B64.encode(raw);
            }
            let key_id = opts.key_id.clone().unwrap_or_else(|| self.key_id.clone());
            // Python SDK parameter order, to check order independence.
            headers.push((
                "authorization".into(),
                format!(
                    "Signature algorithm=\"rsa-sha256\",headers=\"{}\",keyId=\"{key_id}\",signature=\"{sig}\",version=\"1\"",
                    names.join(" ")
                ),
            ));
        }
        let url = format!("{}/20160918{path}", self.endpoint);
        let mut req = self.http.request(method.parse().unwrap(), url);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        if with_body {
            req = req.body(body_bytes);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        Ok(Resp {
            status,
            headers,
            text,
        })
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Resp {
        self.try_send(
            method,
            path,
            body.map(str::as_bytes),
            extra,
            &SignOpts::default(),
        )
        .await
        .unwrap()
    }

    async fn create(&self, user: &str, description: &str) -> Resp {
        let body = json!({ "description": description }).to_string();
        self.send(
            "POST",
            &format!("/users/{user}/authTokens"),
            Some(&body),
            &[],
        )
        .await
    }

    async fn list(&self, user: &str) -> Resp {
        self.send("GET", &format!("/users/{user}/authTokens"), None, &[])
            .await
    }
}

async fn admin(server: &MockServer, method: &str, path: &str, body: Option<Value>) -> Resp {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = http.request(
        method.parse().unwrap(),
        format!("{}{path}", server.endpoint),
    );
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Resp {
        status,
        headers,
        text: resp.text().await.unwrap(),
    }
}

async fn stats(server: &MockServer) -> Value {
    admin(server, "GET", "/_mock/stats", None).await.json()
}

/// The in-process mock with its data in `dir`, on a free port, with options set by `f`.
async fn start_in(dir: &Path, f: impl FnOnce(&mut MockOptions)) -> MockServer {
    let mut opts = MockOptions::default();
    f(&mut opts);
    test_support::start_mock_in(dir, opts).await
}

fn is_hex32_upper(s: &str) -> bool {
    s.len() == 32
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn crud_shapes_status_codes_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |_| {}).await;
    let c = Client::new(&server, "DEFAULT");
    let u = c.user.clone();
    assert_eq!(server.user_ocids, vec![u.clone()]);
    assert!(server
        .tenancy_ocid
        .starts_with("ocid1.tenancy.oc1..aaaaaaaa"));
    assert!(u.starts_with("ocid1.user.oc1..aaaaaaaa"));

    // Create (trailing slash, client request id echoed).
    let r = c
        .send(
            "POST",
            &format!("/users/{u}/authTokens/"),
            Some(r#"{"description": "first"}"#),
            &[("opc-request-id", "client-id-1")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    let rid = r.header("opc-request-id").unwrap();
    let parts: Vec<&str> = rid.split('/').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], "client-id-1");
    assert!(
        is_hex32_upper(parts[1]) && is_hex32_upper(parts[2]),
        "{rid}"
    );
    let etag1 = r.header("etag").expect("etag");
    let t = r.json();
    let id = t["id"].as_str().unwrap().to_string();
    let tail = id
        .strip_prefix("ocid1.credential.oc1..aaaaaaaa")
        .expect("credential OCID");
    assert_eq!(tail.len(), 52);
    assert!(tail
        .chars()
        .all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c)));
    let secret = t["token"].as_str().unwrap();
    assert_eq!(secret.len(), 20);
    assert!(secret.chars().all(|c| c.is_ascii_graphic()));
    assert!(secret.chars().any(|c| c.is_ascii_punctuation()));
    assert_eq!(t["userId"], u.as_str());
    assert_eq!(t["description"], "first");
    assert_eq!(t["lifecycleState"], "ACTIVE");
    assert!(t["timeExpires"].is_null() && t.get("timeExpires").is_some());
    assert!(t["inactiveStatus"].is_null() && t.get("inactiveStatus").is_some());
    let created = t["timeCreated"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && created.len() == "2016-08-25T21:10:29.600Z".len(),
        "{created}"
    );
    chrono::DateTime::parse_from_rfc3339(created).unwrap();

    // List: bare array, no secret, with and without trailing slash; generated request id.
    for path in [
        format!("/users/{u}/authTokens"),
        format!("/users/{u}/authTokens/"),
    ] {
        let r = c.send("GET", &path, None, &[]).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/json")
        );
        let rid = r.header("opc-request-id").unwrap();
        assert!(rid.split('/').all(is_hex32_upper), "{rid}");
        let list = r.json();
        let arr = list.as_array().expect("bare array");
        assert_eq!(arr.len(), 1);
        assert_eq!(arr[0]["id"], id.as_str());
        assert!(arr[0].get("token").is_none());
        assert!(!r.text.contains(secret));
    }

    // Update: new etag, no secret.
    let r = c
        .send(
            "PUT",
            &format!("/users/{u}/authTokens/{id}"),
            Some(r#"{"description":"second"}"#),
            &[("if-match", &etag1)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let etag2 = r.header("etag").unwrap();
    assert_ne!(etag1, etag2);
    assert_eq!(r.json()["description"], "second");
    assert!(r.json().get("token").is_none());
    // Omitted description: no change.
    let r = c
        .send(
            "PUT",
            &format!("/users/{u}/authTokens/{id}"),
            Some("{}"),
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["description"], "second");

    // Delete: 204, no body; then gone.
    let r = c
        .send("DELETE", &format!("/users/{u}/authTokens/{id}"), None, &[])
        .await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    assert!(r.header("content-type").is_none());
    assert!(r.header("opc-request-id").is_some());
    assert_eq!(c.list(&u).await.json(), json!([]));
    let r = c
        .send("DELETE", &format!("/users/{u}/authTokens/{id}"), None, &[])
        .await;
    assert_eq!(
        (r.status, r.code()),
        (404, "NotAuthorizedOrNotFound".into())
    );
    server.stop().await;
}

#[tokio::test]
async fn validation_and_routing_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |o| o.users = 2).await;
    let c = Client::new(&server, "DEFAULT");
    let u = c.user.clone();
    let p = format!("/users/{u}/authTokens");
    let cases: Vec<(&str, u16, &str)> = vec![
        ("{not json", 400, "CannotParseRequest"),
        ("[1,2]", 400, "CannotParseRequest"),
        ("{}", 400, "MissingParameter"),
        (r#"{"description": null}"#, 400, "MissingParameter"),
        (r#"{"description": 42}"#, 400, "InvalidParameter"),
    ];
    for (body, status, code) in cases {
        let r = c.send("POST", &p, Some(body), &[]).await;
        assert_eq!((r.status, r.code()), (status, code.to_string()), "{body}");
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/json")
        );
        assert!(r.json()["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let long = json!({"description": "x".repeat(401)}).to_string();
    assert_eq!(
        c.send("POST", &p, Some(&long), &[]).await.code(),
        "InvalidParameter"
    );
    let ok = json!({"description": "é".repeat(400)}).to_string();
    assert_eq!(c.send("POST", &p, Some(&ok), &[]).await.status, 200);
    let empty = c
        .send("POST", &p, Some(r#"{"description": ""}"#), &[])
        .await;
    assert_eq!(empty.status, 200);
    let id = empty.json()["id"].as_str().unwrap().to_string();
    let r = c
        .send(
            "PUT",
            &format!("{p}/{id}"),
            Some(r#"{"description": ["x"]}"#),
            &[],
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "InvalidParameter".into()));

    // Unknown user / token.
    let nobody = "ocid1.user.oc1..aaaaaaaanobody";
    let r = c.create(nobody, "d").await;
    assert_eq!(
        (r.status, r.code()),
        (404, "NotAuthorizedOrNotFound".into())
    );
    assert_eq!(
        r.json()["message"],
        "Authorization failed or requested resource not found."
    );
    assert_eq!(c.list(nobody).await.status, 404);
    let r = c
        .send(
            "PUT",
            &format!("{p}/ocid1.credential.oc1..nope"),
            Some("{}"),
            &[],
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (404, "NotAuthorizedOrNotFound".into())
    );
    // A token exists, but under another user's path.
    let other = &server.user_ocids[1];
    let r = c
        .send(
            "DELETE",
            &format!("/users/{other}/authTokens/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
    // The administrator (DEFAULT) may manage another user's tokens (others may not: see
    // mock_scim.rs, authorization_like_oci).
    assert_eq!(c.create(other, "for the other user").await.status, 200);

    // Routing.
    let r = c.send("GET", "/users", None, &[]).await;
    assert_eq!((r.status, r.code()), (404, "NotFound".into()));
    let r = c
        .send("GET", &format!("/users/{u}/apiKeys"), None, &[])
        .await;
    assert_eq!((r.status, r.code()), (404, "NotFound".into()));
    let r = c.send("DELETE", &p, None, &[]).await;
    assert_eq!((r.status, r.code()), (405, "MethodNotAllowed".into()));
    let r = c.send("GET", &format!("{p}/{id}"), None, &[]).await;
    assert_eq!((r.status, r.code()), (405, "MethodNotAllowed".into()));
    assert!(r.header("opc-request-id").is_some());
    server.stop().await;
}

#[tokio::test]
async fn token_limit_and_unlimited() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |_| {}).await;
    let c = Client::new(&server, "DEFAULT");
    let u = c.user.clone();
    assert_eq!(c.create(&u, "1").await.status, 200);
    assert_eq!(c.create(&u, "2").await.status, 200);
    let r = c.create(&u, "3").await;
    assert_eq!((r.status, r.code()), (400, "LimitExceeded".into()));
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("auth-token-count") && msg.contains('2'),
        "{msg}"
    );
    assert_eq!(c.list(&u).await.json().as_array().unwrap().len(), 2);
    // Deleting one frees a slot.
    let id = c.list(&u).await.json()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        c.send("DELETE", &format!("/users/{u}/authTokens/{id}"), None, &[])
            .await
            .status,
        204
    );
    assert_eq!(c.create(&u, "3").await.status, 200);
    server.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |o| o.token_limit = 0).await;
    let c = Client::new(&server, "DEFAULT");
    for i in 0..5 {
        assert_eq!(c.create(&c.user, &format!("t{i}")).await.status, 200);
    }
    assert_eq!(c.list(&c.user).await.json().as_array().unwrap().len(), 5);
    server.stop().await;
}

#[tokio::test]
async fn authentication_failures() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |_| {}).await;
    let c = Client::new(&server, "DEFAULT");
    let u = c.user.clone();
    let p = format!("/users/{u}/authTokens");
    let body = br#"{"description":"d"}"#;
    let other_key =
        std::sync::Arc::new(RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap());
    let cases: Vec<(&str, &str, SignOpts)> = vec![
        (
            "unsigned GET",
            "GET",
            SignOpts {
                unsigned: true,
                ..Default::default()
            },
        ),
        (
            "unsigned POST",
            "POST",
            SignOpts {
                unsigned: true,
                ..Default::default()
            },
        ),
        (
            "corrupt signature",
            "GET",
            SignOpts {
                corrupt_signature: true,
                ..Default::default()
            },
        ),
        (
            "wrong key",
            "GET",
            SignOpts {
                other_key: Some(other_key.clone()),
                ..Default::default()
            },
        ),
        (
            "wrong key POST",
            "POST",
            SignOpts {
                other_key: Some(other_key),
                ..Default::default()
            },
        ),
        (
            "unknown fingerprint",
            "GET",
            SignOpts {
                key_id: Some(format!(
                    "{}/{u}/00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff",
                    server.tenancy_ocid
                )),
                ..Default::default()
            },
        ),
        (
            "wrong tenancy",
            "GET",
            SignOpts {
                key_id: Some(
                    c.key_id
                        .replace(&server.tenancy_ocid, "ocid1.tenancy.oc1..aaaaaaaaother"),
                ),
                ..Default::default()
            },
        ),
        (
            "stale date",
            "GET",
            SignOpts {
                date_offset_secs: -600,
                ..Default::default()
            },
        ),
        (
            "future date",
            "POST",
            SignOpts {
                date_offset_secs: 600,
                ..Default::default()
            },
        ),
        (
            "tampered body (hash of signed body)",
            "POST",
            SignOpts {
                signed_body: Some(br#"{"description":"other"}"#.to_vec()),
                ..Default::default()
            },
        ),
        (
            "tampered body (hash recomputed)",
            "POST",
            SignOpts {
                signed_body: Some(br#"{"description":"other"}"#.to_vec()),
                recompute_hash: true,
                ..Default::default()
            },
        ),
    ];
    let n = cases.len();
    for (name, method, opts) in cases {
        let b = (method == "POST").then_some(&body[..]);
        let r = c.try_send(method, &p, b, &[], &opts).await.unwrap();
        assert_eq!(
            (r.status, r.code()),
            (401, "NotAuthenticated".into()),
            "{name}"
        );
        assert!(r.header("opc-request-id").is_some());
    }
    // Clock skew inside the window is fine.
    let ok = c
        .try_send(
            "GET",
            &p,
            None,
            &[],
            &SignOpts {
                date_offset_secs: -120,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    let s = stats(&server).await;
    assert_eq!(s["auth_failures"], n as u64);
    assert_eq!(s["live_tokens"], 0);
    assert_eq!(
        s["requests"]["ListAuthTokens"]["by_status"]["401"]
            .as_u64()
            .unwrap()
            + s["requests"]["CreateAuthToken"]["by_status"]["401"]
                .as_u64()
                .unwrap(),
        n as u64
    );
    server.stop().await;
}

#[tokio::test]
async fn retry_token_replays_and_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |o| o.users = 2).await;
    let c = Client::new(&server, "DEFAULT");
    let u = c.user.clone();
    let p = format!("/users/{u}/authTokens");
    let rt = [("opc-retry-token", "retry-abc-123")];
    let first = c
        .send("POST", &p, Some(r#"{"description":"r"}"#), &rt)
        .await;
    assert_eq!(first.status, 200);
    // Same body with different formatting and key order still counts as the same request.
    let again = c
        .send("POST", &p, Some(r#"{ "description" : "r" }"#), &rt)
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.json()["token"], first.json()["token"]);
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(c.list(&u).await.json().as_array().unwrap().len(), 1);
    assert_eq!(stats(&server).await["live_tokens"], 1);

    let r = c
        .send("POST", &p, Some(r#"{"description":"different"}"#), &rt)
        .await;
    assert_eq!((r.status, r.code()), (409, "InvalidatedRetryToken".into()));
    let other = &server.user_ocids[1];
    let r = c
        .send(
            "POST",
            &format!("/users/{other}/authTokens"),
            Some(r#"{"description":"r"}"#),
            &rt,
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "InvalidatedRetryToken".into()));
    // A different retry token creates a new one.
    let r = c
        .send(
            "POST",
            &p,
            Some(r#"{"description":"r"}"#),
            &[("opc-retry-token", "other")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_ne!(r.json()["id"], first.json()["id"]);
    // Replay still works at the limit.
    let again = c
        .send("POST", &p, Some(r#"{"description":"r"}"#), &rt)
        .await;
    assert_eq!(
        (again.status, again.json()["id"].clone()),
        (200, first.json()["id"].clone())
    );
    assert_eq!(stats(&server).await["live_tokens"], 2);
    server.stop().await;
}

#[tokio::test]
async fn if_match_mismatch_is_412() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |_| {}).await;
    let c = Client::new(&server, "DEFAULT");
    let u = c.user.clone();
    let r = c.create(&u, "e").await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let etag = r.header("etag").unwrap();
    let path = format!("/users/{u}/authTokens/{id}");
    let r = c
        .send(
            "PUT",
            &path,
            Some(r#"{"description":"x"}"#),
            &[("if-match", "nope")],
        )
        .await;
    assert_eq!((r.status, r.code()), (412, "NoEtagMatch".into()));
    let r = c.send("DELETE", &path, None, &[("if-match", "nope")]).await;
    assert_eq!((r.status, r.code()), (412, "NoEtagMatch".into()));
    let r = c
        .send(
            "PUT",
            &path,
            Some(r#"{"description":"x"}"#),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(r.status, 200);
    let new_etag = r.header("etag").unwrap();
    // The old etag no longer matches.
    assert_eq!(
        c.send("DELETE", &path, None, &[("if-match", &etag)])
            .await
            .status,
        412
    );
    assert_eq!(
        c.send("DELETE", &path, None, &[("if-match", &new_etag)])
            .await
            .status,
        204
    );
    server.stop().await;
}

#[tokio::test]
async fn list_lag_hides_new_tokens_for_a_while() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |o| o.list_lag_ms = 1500).await;
    let c = Client::new(&server, "DEFAULT");
    let u = c.user.clone();
    let created = Instant::now();
    let r = c.create(&u, "lagging").await;
    assert_eq!(r.status, 200);
    let id = r.json()["id"].clone();
    assert_eq!(c.list(&u).await.json(), json!([]));
    // Direct operations see it at once.
    let r = c
        .send(
            "PUT",
            &format!("/users/{u}/authTokens/{}", id.as_str().unwrap()),
            Some(r#"{"description":"x"}"#),
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    // It counts towards the limit.
    assert_eq!(stats(&server).await["live_tokens"], 1);
    loop {
        let list = c.list(&u).await.json();
        if !list.as_array().unwrap().is_empty() {
            assert_eq!(list[0]["id"], id);
            assert!(
                created.elapsed() >= Duration::from_millis(1400),
                "{:?}",
                created.elapsed()
            );
            break;
        }
        assert!(
            created.elapsed() < Duration::from_secs(10),
            "token never appeared"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn fault_queue_statuses_and_drops() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |_| {}).await;
    let c = Client::new(&server, "DEFAULT");
    let u = c.user.clone();
    let p = format!("/users/{u}/authTokens");

    let r = admin(
        &server,
        "POST",
        "/_mock/faults",
        Some(json!({"next": ["503", "429", "500"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["next"], json!(["503", "429", "500"]));
    let r = c.create(&u, "a").await;
    assert_eq!((r.status, r.code()), (503, "ServiceUnavailable".into()));
    assert!(r.header("opc-request-id").is_some());
    let r = c.list(&u).await;
    assert_eq!((r.status, r.code()), (429, "TooManyRequests".into()));
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    let r = c.list(&u).await;
    assert_eq!((r.status, r.code()), (500, "InternalServerError".into()));
    // Queue drained: success, and the failed create created nothing.
    assert_eq!(c.list(&u).await.json(), json!([]));
    let r = c.create(&u, "a").await;
    assert_eq!(r.status, 200);
    let first_id = r.json()["id"].clone();

    // drop_connection: no response, nothing done.
    admin(
        &server,
        "POST",
        "/_mock/faults",
        Some(json!({"next": ["drop_connection"]})),
    )
    .await;
    let err = c
        .try_send(
            "DELETE",
            &format!("{p}/{}", first_id.as_str().unwrap()),
            None,
            &[],
            &SignOpts::default(),
        )
        .await;
    assert!(
        err.is_err(),
        "expected a transport error, got status {:?}",
        err.map(|r| r.status)
    );
    assert_eq!(c.list(&u).await.json().as_array().unwrap().len(), 1);

    // drop_response: performed, but the response is lost.
    admin(
        &server,
        "POST",
        "/_mock/faults",
        Some(json!({"next": ["drop_response"]})),
    )
    .await;
    let err = c
        .try_send(
            "POST",
            &p,
            Some(br#"{"description":"lost"}"#),
            &[("opc-retry-token", "lost-1")],
            &SignOpts::default(),
        )
        .await;
    assert!(err.is_err(), "expected a transport error");
    let list = c.list(&u).await.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let lost = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["description"] == "lost")
        .expect("created")
        .clone();
    // The retry recovers the lost response.
    let r = c
        .send(
            "POST",
            &p,
            Some(r#"{"description":"lost"}"#),
            &[("opc-retry-token", "lost-1")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], lost["id"]);

    let s = stats(&server).await;
    assert_eq!(
        s["injected_faults"],
        json!({"429": 1, "500": 1, "503": 1, "drop_connection": 1, "drop_response": 1})
    );
    assert_eq!(s["requests"]["CreateAuthToken"]["total"], 4);
    assert_eq!(
        s["requests"]["CreateAuthToken"]["by_status"],
        json!({"200": 2, "503": 1})
    );
    assert_eq!(
        s["requests"]["ListAuthTokens"]["by_status"],
        json!({"200": 3, "429": 1, "500": 1})
    );
    assert_eq!(
        s["requests"]["DeleteAuthToken"],
        json!({"total": 1, "by_status": {}})
    );
    assert_eq!(
        s["requests"]["UpdateAuthToken"],
        json!({"total": 0, "by_status": {}})
    );
    assert_eq!(s["live_tokens"], 2);

    // Bad fault requests.
    let r = admin(
        &server,
        "POST",
        "/_mock/faults",
        Some(json!({"next": ["404"]})),
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "InvalidParameter".into()));
    let r = admin(
        &server,
        "POST",
        "/_mock/faults",
        Some(json!({"fault_rate": 2})),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = admin(&server, "POST", "/_mock/faults", None).await;
    assert_eq!(r.status, 200);

    // Reset.
    assert_eq!(
        admin(&server, "POST", "/_mock/reset-stats", None)
            .await
            .status,
        204
    );
    let s = stats(&server).await;
    assert_eq!(s["requests"]["CreateAuthToken"]["total"], 0);
    assert_eq!(s["injected_faults"]["503"], 0);
    assert_eq!(s["live_tokens"], 2);
    assert_eq!(admin(&server, "GET", "/_mock/nope", None).await.status, 404);
    assert_eq!(
        admin(&server, "DELETE", "/_mock/stats", None).await.status,
        405
    );
    server.stop().await;
}

#[tokio::test]
async fn random_fault_rate_is_seeded_and_counted() {
    async fn run(seed: u64) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let server = start_in(dir.path(), |o| {
            o.fault_rate = 0.5;
            o.seed = seed;
        })
        .await;
        let c = Client::new(&server, "DEFAULT");
        let mut outcomes = Vec::new();
        for _ in 0..30 {
            let r = c
                .try_send(
                    "GET",
                    &format!("/users/{}/authTokens", c.user),
                    None,
                    &[],
                    &SignOpts::default(),
                )
                .await;
            outcomes.push(match r {
                Ok(r) => r.status.to_string(),
                Err(_) => "drop".into(),
            });
        }
        let s = stats(&server).await;
        let injected: u64 = ["429", "500", "503", "drop_connection"]
            .iter()
            .map(|k| s["injected_faults"][k].as_u64().unwrap())
            .sum();
        assert_eq!(
            injected as usize,
            outcomes.iter().filter(|o| *o != "200").count()
        );
        assert_eq!(s["injected_faults"]["drop_response"], 0);
        server.stop().await;
        outcomes
    }
    let a = run(42).await;
    assert!(
        a.iter().any(|o| o == "200") && a.iter().any(|o| o != "200"),
        "{a:?}"
    );
    assert_eq!(a, run(42).await);
}

#[tokio::test]
async fn latency_is_applied_to_api_requests_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |o| o.latency_ms = 1500).await;
    let c = Client::new(&server, "DEFAULT");
    let t = Instant::now();
    assert_eq!(c.list(&c.user).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(1500));
    // The admin endpoint is not delayed (generous bound: only the 1.5 s latency matters).
    let t = Instant::now();
    stats(&server).await;
    assert!(t.elapsed() < Duration::from_millis(1500));
    server.stop().await;
}

#[tokio::test]
async fn state_persists_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |_| {}).await;
    let tenancy = server.tenancy_ocid.clone();
    let first_user = server.user_ocids[0].clone();
    let c = Client::new(&server, "DEFAULT");
    let r = c
        .send(
            "POST",
            &format!("/users/{first_user}/authTokens"),
            Some(r#"{"description":"keep"}"#),
            &[("opc-retry-token", "persisted")],
        )
        .await;
    let t = r.json();
    server.stop().await;

    let server = start_in(dir.path(), |o| o.users = 3).await;
    assert_eq!(server.tenancy_ocid, tenancy);
    assert_eq!(server.user_ocids.len(), 3);
    assert_eq!(server.user_ocids[0], first_user);
    let profiles = read_profiles(&server.config_file);
    assert_eq!(profiles.len(), 3);
    for (name, idx) in [("DEFAULT", 0), ("USER1", 1), ("USER2", 2)] {
        let p = &profiles[name];
        assert_eq!(p["user"], server.user_ocids[idx]);
        assert_eq!(p["tenancy"], tenancy);
        assert_eq!(p["region"], "us-ashburn-1");
        assert!(Path::new(&p["key_file"]).is_absolute());
        let fp = &p["fingerprint"];
        assert_eq!(fp.len(), 47);
    }
    // The same key still authenticates; the token survived; the retry record too.
    let c = Client::new(&server, "DEFAULT");
    let list = c.list(&first_user).await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], t["id"]);
    assert_eq!(list[0]["timeCreated"], t["timeCreated"]);
    let r = c
        .send(
            "POST",
            &format!("/users/{first_user}/authTokens"),
            Some(r#"{"description":"keep"}"#),
            &[("opc-retry-token", "persisted")],
        )
        .await;
    assert_eq!(r.json()["token"], t["token"]);
    // New users work with their own profiles.
    let c2 = Client::new(&server, "USER2");
    assert_eq!(c2.create(&c2.user, "new").await.status, 200);
    server.stop().await;

    // And once more with fewer users requested: nothing is lost.
    let server = start_in(dir.path(), |_| {}).await;
    assert_eq!(server.user_ocids.len(), 3);
    assert_eq!(stats(&server).await["live_tokens"], 2);
    server.stop().await;
}

#[tokio::test]
async fn key_files_and_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |o| o.users = 2).await;
    let profiles = read_profiles(&server.config_file);
    for p in profiles.values() {
        let key_file = PathBuf::from(&p["key_file"]);
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let pem = std::fs::read_to_string(&key_file).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        // Fingerprint = MD5 of the SubjectPublicKeyInfo DER in the public key PEM.
        let pub_pem = std::fs::read_dir(key_file.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|f| {
                f.to_string_lossy().ends_with(&format!(
                    "{}_public.pem",
                    key_file.file_stem().unwrap().to_string_lossy()
                ))
            })
            .expect("public key file");
        let spki = mock::keys::pem_decode("PUBLIC KEY", &std::fs::read_to_string(pub_pem).unwrap())
            .unwrap();
        assert_eq!(mock::keys::fingerprint(&spki), p["fingerprint"]);
    }
    assert_eq!(server.ready_line().lines().count(), 1);
    let ready: Value = serde_json::from_str(&server.ready_line()).unwrap();
    assert_eq!(ready["endpoint"], server.endpoint.as_str());
    assert_eq!(ready["user_ocids"].as_array().unwrap().len(), 2);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The binary

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_oci-identity-mock")
}

#[test]
fn binary_prints_one_json_line_and_exits_on_sigterm() {
    use std::io::{BufRead as _, Read as _};
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(bin())
        .args([
            "--data-dir",
            dir.path().join("data").to_str().unwrap(),
            "--users",
            "2",
            "--seed",
            "7",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    assert!(ready["endpoint"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    let cfg = PathBuf::from(ready["config_file"].as_str().unwrap());
    assert!(cfg.is_file());
    assert!(ready["tenancy_ocid"]
        .as_str()
        .unwrap()
        .starts_with("ocid1.tenancy.oc1..aaaaaaaa"));
    assert_eq!(ready["user_ocids"].as_array().unwrap().len(), 2);
    // The admin endpoint answers.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let endpoint = ready["endpoint"].as_str().unwrap().to_string();
    let status = rt.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("{endpoint}/_mock/stats"))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status.as_u16(), 200);

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "stdout must hold exactly one line");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("GET /_mock/stats 200"), "{stderr}");
}

/// The shared helper that other tests use to run the binary: free port, ready line, stats,
/// killed on drop.
#[test]
fn binary_runs_under_test_support() {
    let dir = tempfile::tempdir().unwrap();
    let a = test_support::MockProcess::spawn(
        bin(),
        &dir.path().join("a"),
        &["--users", "3"],
        std::process::Stdio::null(),
    );
    let b = test_support::MockProcess::spawn(
        bin(),
        &dir.path().join("b"),
        &[],
        std::process::Stdio::null(),
    );
    assert_ne!(a.endpoint, b.endpoint, "each on its own free port");
    assert_eq!(a.user_ocids.len(), 3);
    assert_eq!(b.user_ocids.len(), 1);
    assert!(a.config_file.starts_with(dir.path().join("a")));
    assert_eq!(a.ready["tenancy_ocid"], a.tenancy_ocid.as_str());
    let stats = a.stats();
    assert_eq!(stats["live_tokens"], 0, "{stats}");
    assert_eq!(stats["auth_failures"], 0, "{stats}");
    let pid = a.pid();
    drop(a);
    let alive = std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!alive.success(), "the mock process is gone after drop");
    assert_eq!(b.stats()["live_tokens"], 0);
}

#[test]
fn binary_rejects_bad_arguments_with_exit_2() {
    for args in [
        vec!["--bogus"],
        vec![],
        vec!["--data-dir"],
        vec!["--data-dir", "/tmp/x", "--users", "many"],
        vec!["--data-dir", "/tmp/x", "--fault-rate", "1.5"],
        vec!["--data-dir", "/tmp/x", "--listen", "nowhere"],
    ] {
        let out = std::process::Command::new(bin())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(!out.stderr.is_empty());
    }
    let out = std::process::Command::new(bin())
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--data-dir"));
}

#[tokio::test]
async fn new_tokens_are_creating_until_the_activation_delay_passes() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path(), |o| o.activation_ms = 800).await;
    let c = Client::new(&server, "DEFAULT");
    let created = c.create(&c.user, "slow").await;
    assert_eq!(created.json()["lifecycleState"], "CREATING");
    assert_eq!(
        c.list(&c.user).await.json()[0]["lifecycleState"],
        "CREATING"
    );
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(c.list(&c.user).await.json()[0]["lifecycleState"], "ACTIVE");
    server.stop().await;
}
