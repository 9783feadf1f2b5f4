//! Black-box tests of the mock's Identity Domains SCIM API (`/admin/v1/AuthTokens`,
//! `/admin/v1/MyAuthTokens`) and of the classic API's domains (`/20160918/domains`), over HTTP
//! with a small test-side request signer.

use std::collections::HashMap;
use std::path::Path;

use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::Engine as _;
use chrono::Utc;
use oci_identity_mock::{self as mock, DomainInfo, Fault, MockOptions, MockServer};
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const AUTH_TOKEN: &str = "urn:ietf:params:scim:schemas:oracle:idcs:authToken";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const ORACLE_ERROR: &str = "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error";

// ---------------------------------------------------------------------------------------------
// Test-side signer

struct Client {
    http: reqwest::Client,
    key_id: String,
    key: RsaKeyPair,
    user: String,
    /// The classic API's endpoint.
    classic: String,
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
    /// Asserts a SCIM error body with this status; returns the body.
    fn scim_error(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/scim+json")
        );
        assert!(self.header("opc-request-id").is_some());
        let v = self.json();
        assert_eq!(v["schemas"][0], ERROR, "{v}");
        assert_eq!(v["status"], status.to_string(), "{v}");
        assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
        v
    }
}

impl Client {
    fn new(server: &MockServer, profile: &str) -> Client {
        let profiles: HashMap<String, HashMap<String, String>> =
            test_support::oci_config_profiles(&server.config_file)
                .into_iter()
                .map(|(name, keys)| (name, keys.into_iter().collect()))
                .collect();
        let p = &profiles[profile];
        let pem = std::fs::read_to_string(Path::new(&p["key_file"])).unwrap();
        let der = mock::keys::pem_decode("PRIVATE KEY", &pem).unwrap();
        Client {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            key_id: format!("{}/{}/{}", p["tenancy"], p["user"], p["fingerprint"]),
            key: RsaKeyPair::from_pkcs8(&der).unwrap(),
            user: p["user"].clone(),
            classic: server.endpoint.clone(),
        }
    }

    /// Sends a signed request to `endpoint` + `path_and_query` (unsigned when `sign` is false).
    async fn request(
        &self,
        method: &str,
        endpoint: &str,
        path_and_query: &str,
        body: Option<&Value>,
        extra: &[(&str, &str)],
        sign: bool,
    ) -> Resp {
        let host = endpoint.trim_start_matches("http://").to_string();
        let date = Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let body_bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let with_body = matches!(method, "POST" | "PUT" | "PATCH");
        let mut headers: Vec<(String, String)> = vec![
            ("date".into(), date.clone()),
            ("accept".into(), "application/json".into()),
        ];
        let mut names = vec!["date", "(request-target)", "host"];
        let mut signing = format!(
            "date: {date}\n(request-target): {} {path_and_query}\nhost: {host}",
            method.to_ascii_lowercase()
        );
        if with_body {
            let hash = B64.encode(
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &body_bytes).as_ref(),
            );
            headers.push(("content-type".into(), "application/json".into()));
            headers.push(("x-content-sha256".into(), hash.clone()));
            names.extend(["content-length", "content-type", "x-content-sha256"]);
            signing.push_str(&format!(
                "\ncontent-length: {}\ncontent-type: application/json\nx-content-sha256: {hash}",
                body_bytes.len()
            ));
        }
        for (k, v) in extra {
            headers.push((k.to_string(), v.to_string()));
        }
        if sign {
            let mut sig = vec![0u8; self.key.public_modulus_len()];
            self.key
                .sign(
                    &RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    signing.as_bytes(),
                    &mut sig,
                )
                .unwrap();
            headers.push((
                "authorization".into(),
                format!(
                    "Signature version=\"1\",headers=\"{}\",keyId=\"{}\",algorithm=\"rsa-sha256\",signature=\"{}\"",
                    names.join(" "),
                    self.key_id,
                    B64.encode(sig)
                ),
            ));
        }
        let mut req = self.http.request(
            method.parse().unwrap(),
            format!("{endpoint}{path_and_query}"),
        );
        for (k, v) in headers {
            req = req.header(k, v);
        }
        if with_body {
            req = req.body(body_bytes);
        }
        let resp = req.send().await.unwrap();
        Resp {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.unwrap(),
        }
    }

    async fn send(&self, method: &str, ep: &str, pq: &str, body: Option<&Value>) -> Resp {
        self.request(method, ep, pq, body, &[], true).await
    }

    async fn create(&self, d: &DomainInfo, user_id: &str, extra: Value) -> Resp {
        let mut body = json!({"schemas": [AUTH_TOKEN], "user": {"value": user_id}});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.send(
            "POST",
            &d.idcs_endpoint,
            "/admin/v1/AuthTokens",
            Some(&body),
        )
        .await
    }

    async fn list(&self, d: &DomainInfo, query: &str) -> Value {
        let r = self
            .send(
                "GET",
                &d.idcs_endpoint,
                &format!("/admin/v1/AuthTokens{query}"),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn start(dir: &Path, f: impl FnOnce(&mut MockOptions)) -> MockServer {
    let mut opts = MockOptions::default();
    f(&mut opts);
    test_support::start_mock_in(dir, opts).await
}

async fn stats(server: &MockServer) -> Value {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}/_mock/stats", server.endpoint))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn domains_listeners_ready_line_and_classic_domains_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), |o| {
        o.users = 2;
        o.domains = 2;
    })
    .await;
    let doms = &server.identity_domains;
    assert_eq!(doms.len(), 2);
    assert_eq!(doms[0].display_name, "Default");
    for d in doms {
        assert!(d.idcs_endpoint.starts_with("http://127.0.0.1:"), "{d:?}");
        assert_ne!(d.idcs_endpoint, server.endpoint);
        assert!(d.domain_ocid.starts_with("ocid1.domain.oc1.."));
        assert_eq!(d.users.len(), 2);
        for u in &d.users {
            assert_eq!(u.id.len(), 32);
            assert!(u.id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
    // The Default domain's users are the IAM users; the other domain's are its own.
    let default_ocids: Vec<&str> = doms[0].users.iter().map(|u| u.ocid.as_str()).collect();
    assert_eq!(default_ocids, server.user_ocids);
    assert!(doms[1]
        .users
        .iter()
        .all(|u| !server.user_ocids.contains(&u.ocid)));
    let ready: Value = serde_json::from_str(&server.ready_line()).unwrap();
    assert_eq!(ready["endpoint"], server.endpoint.as_str());
    assert_eq!(ready["user_ocids"].as_array().unwrap().len(), 2);
    assert_eq!(
        ready["identity_domains"][1]["idcs_endpoint"],
        doms[1].idcs_endpoint.as_str()
    );
    assert_eq!(
        ready["identity_domains"][0]["users"][1]["ocid"],
        server.user_ocids[1].as_str()
    );
    assert!(ready["identity_domains"][0]["users"][0]["user_name"].is_string());

    // Classic: list and get.
    let c = Client::new(&server, "DEFAULT");
    let r = c
        .send(
            "GET",
            &server.endpoint,
            &format!("/20160918/domains?compartmentId={}", server.tenancy_ocid),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let list = r.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let d0 = &list[0];
    assert_eq!(d0["displayName"], "Default");
    assert_eq!(d0["type"], "DEFAULT");
    assert_eq!(d0["url"], doms[0].idcs_endpoint.as_str());
    assert_eq!(d0["lifecycleState"], "ACTIVE");
    for k in [
        "id",
        "compartmentId",
        "description",
        "homeRegionUrl",
        "homeRegion",
        "licenseType",
        "isHiddenOnLogin",
        "timeCreated",
        "freeformTags",
        "definedTags",
    ] {
        assert!(!d0[k].is_null(), "{k} in {d0}");
    }
    assert_eq!(list[1]["type"], "SECONDARY");
    // OCI paging.
    let r = c
        .send(
            "GET",
            &server.endpoint,
            &format!(
                "/20160918/domains?compartmentId={}&limit=1",
                server.tenancy_ocid
            ),
            None,
        )
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    let next = r.header("opc-next-page").expect("opc-next-page");
    let r = c
        .send(
            "GET",
            &server.endpoint,
            &format!(
                "/20160918/domains?compartmentId={}&limit=1&page={next}",
                server.tenancy_ocid
            ),
            None,
        )
        .await;
    assert_eq!(r.json()[0]["id"], doms[1].domain_ocid.as_str());
    assert!(r.header("opc-next-page").is_none());
    let r = c
        .send(
            "GET",
            &server.endpoint,
            &format!("/20160918/domains/{}", doms[1].domain_ocid),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["url"], doms[1].idcs_endpoint.as_str());
    let r = c
        .send(
            "GET",
            &server.endpoint,
            "/20160918/domains/ocid1.domain.oc1..nope",
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (404, json!("NotAuthorizedOrNotFound"))
    );
    let r = c
        .send("GET", &server.endpoint, "/20160918/domains", None)
        .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (400, json!("MissingParameter"))
    );
    // Unsigned → 401 (classic form) on the main listener; SCIM form on a domain's.
    let r = c
        .request(
            "GET",
            &server.endpoint,
            "/20160918/domains?compartmentId=x",
            None,
            &[],
            false,
        )
        .await;
    assert_eq!(r.status, 401);
    let r = c
        .request(
            "GET",
            &doms[0].idcs_endpoint,
            "/admin/v1/AuthTokens",
            None,
            &[],
            false,
        )
        .await;
    r.scim_error(401);
    // A domain's listener serves only SCIM: other paths are SCIM 404s, wrong verbs 405.
    let r = c
        .send(
            "GET",
            &doms[0].idcs_endpoint,
            "/20160918/users/x/authTokens",
            None,
        )
        .await;
    r.scim_error(404);
    let r = c
        .send(
            "PUT",
            &doms[0].idcs_endpoint,
            "/admin/v1/AuthTokens/abc",
            Some(&json!({})),
        )
        .await;
    r.scim_error(405);
    server.stop().await;
}

#[tokio::test]
async fn crud_through_scim_is_visible_through_the_classic_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), |o| o.users = 2).await;
    let d = server.identity_domains[0].clone();
    let c = Client::new(&server, "DEFAULT");
    let user = &d.users[1];

    // Create: 201, Location, ETag, the secret once.
    let r = c
        .create(
            &d,
            &user.id,
            json!({"description": "ci", "expiresOn": "2030-01-01T00:00:00Z", "status": "ACTIVE",
                   "tags": [{"key": "env", "value": "prod"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let made = r.json();
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    let ocid = made["ocid"].as_str().unwrap().to_string();
    assert!(ocid.starts_with("ocid1.credential.oc1.."));
    assert_eq!(made["schemas"], json!([AUTH_TOKEN]));
    assert_eq!(made["token"].as_str().unwrap().len(), 20);
    assert_eq!(made["description"], "ci");
    assert_eq!(made["expiresOn"], "2030-01-01T00:00:00Z");
    assert_eq!(made["user"]["value"], user.id.as_str());
    assert_eq!(made["user"]["ocid"], user.ocid.as_str());
    assert_eq!(made["user"]["name"], user.user_name.as_str());
    assert_eq!(
        made["user"]["$ref"],
        format!("{}/admin/v1/Users/{}", d.idcs_endpoint, user.id).as_str()
    );
    assert_eq!(made["domainOcid"], d.domain_ocid.as_str());
    assert_eq!(made["tenancyOcid"], server.tenancy_ocid.as_str());
    assert_eq!(made["compartmentOcid"], server.tenancy_ocid.as_str());
    assert_eq!(made["deleteInProgress"], false);
    assert_eq!(made["idcsCreatedBy"]["ocid"], server.user_ocids[0].as_str());
    assert_eq!(made["idcsCreatedBy"]["type"], "User");
    assert!(
        made.get("status").is_none(),
        "status is never returned: {made}"
    );
    assert!(made.get("tags").is_none(), "tags only on request: {made}");
    let location = format!("{}/admin/v1/AuthTokens/{id}", d.idcs_endpoint);
    assert_eq!(r.header("location").as_deref(), Some(location.as_str()));
    assert_eq!(made["meta"]["location"], location.as_str());
    assert_eq!(made["meta"]["resourceType"], "AuthToken");
    assert_eq!(
        r.header("etag").as_deref(),
        made["meta"]["version"].as_str()
    );
    assert!(r.header("opc-request-id").is_some());
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/scim+json")
    );

    // GET by id and by OCID, never with the secret.
    for key in [&id, &ocid] {
        let r = c
            .send(
                "GET",
                &d.idcs_endpoint,
                &format!("/admin/v1/AuthTokens/{key}"),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let got = r.json();
        assert_eq!(got["id"], id.as_str());
        assert!(got.get("token").is_none());
        assert!(got.get("status").is_none());
    }
    // The classic API sees the same token (same OCID), with its expiry.
    let r = c
        .request(
            "GET",
            &server.endpoint,
            &format!("/20160918/users/{}/authTokens", user.ocid),
            None,
            &[],
            true,
        )
        .await;
    let classic = r.json();
    assert_eq!(classic[0]["id"], ocid.as_str());
    assert_eq!(classic[0]["description"], "ci");
    assert_eq!(classic[0]["timeExpires"], "2030-01-01T00:00:00.000Z");

    // PATCH description + status (ops case-insensitive); tags on request.
    let r = c
        .send(
            "PATCH",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens/{id}?attributes=tags"),
            Some(&json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "REPLACE", "path": "description", "value": "ci-2"},
                {"op": "replace", "path": "status", "value": "INACTIVE"},
                {"op": "Add", "path": "tags", "value": [{"key": "team", "value": "a"}]}
            ]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let patched = r.json();
    assert_eq!(patched["id"], id.as_str());
    assert_eq!(patched["tags"].as_array().unwrap().len(), 2);
    assert!(
        patched.get("description").is_none(),
        "only always + named: {patched}"
    );
    assert_ne!(patched["meta"], made["meta"]);
    let etag = r.header("etag").unwrap();
    assert_ne!(
        Some(etag.clone()),
        made["meta"]["version"].as_str().map(String::from)
    );
    let classic = c
        .request(
            "GET",
            &server.endpoint,
            &format!("/20160918/users/{}/authTokens", user.ocid),
            None,
            &[],
            true,
        )
        .await
        .json();
    assert_eq!(classic[0]["description"], "ci-2");
    assert_eq!(classic[0]["lifecycleState"], "INACTIVE");
    // A status filter sees the never-returned status.
    let l = c
        .list(&d, &format!("?filter={}", enc(r#"status eq "INACTIVE""#)))
        .await;
    assert_eq!(ids(&l), [id.as_str()]);

    // Immutable attributes are rejected; so are stale if-match versions.
    for (path, value) in [
        ("expiresOn", json!("2031-01-01T00:00:00Z")),
        ("user", json!({"value": d.users[0].id})),
        ("user.value", json!(d.users[0].id)),
        ("ocid", json!("x")),
    ] {
        let r = c
            .send(
                "PATCH",
                &d.idcs_endpoint,
                &format!("/admin/v1/AuthTokens/{id}"),
                Some(&json!({"schemas": [PATCH_OP], "Operations": [
                    {"op": "replace", "path": path, "value": value}]})),
            )
            .await;
        let e = r.scim_error(400);
        assert_eq!(e["scimType"], "mutability", "{path}: {e}");
        assert_eq!(e["schemas"][1], ORACLE_ERROR);
        assert!(e[ORACLE_ERROR]["messageId"].is_string());
    }
    let patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "description", "value": "x"}]});
    let r = c
        .request(
            "PATCH",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens/{id}"),
            Some(&patch),
            &[("if-match", "stale")],
            true,
        )
        .await;
    r.scim_error(412);
    let r = c
        .request(
            "PATCH",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens/{id}"),
            Some(&patch),
            &[("if-match", &etag)],
            true,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .send(
            "PATCH",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens/{id}"),
            Some(&json!({"Operations": []})),
        )
        .await;
    r.scim_error(400);

    // Delete: 204, then 404 everywhere.
    let r = c
        .send(
            "DELETE",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens/{ocid}"),
            None,
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = c
        .send(
            "GET",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens/{id}"),
            None,
        )
        .await;
    r.scim_error(404);
    let r = c
        .send(
            "DELETE",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens/{id}"),
            None,
        )
        .await;
    r.scim_error(404);
    let s = stats(&server).await;
    assert_eq!(s["live_tokens"], 0);
    assert_eq!(
        s["requests"]["CreateAuthToken (SCIM)"]["by_status"]["201"], 1,
        "{s}"
    );
    assert_eq!(
        s["requests"]["DeleteAuthToken (SCIM)"]["by_status"]["204"], 1,
        "{s}"
    );
    assert_eq!(
        s["requests"]["DeleteAuthToken (SCIM)"]["by_status"]["404"], 1,
        "{s}"
    );

    // A token made through the classic API shows up in SCIM.
    let r = c
        .request(
            "POST",
            &server.endpoint,
            &format!("/20160918/users/{}/authTokens", user.ocid),
            Some(&json!({"description": "classic"})),
            &[],
            true,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let classic_id = r.json()["id"].as_str().unwrap().to_string();
    let l = c.list(&d, "").await;
    assert_eq!(l["totalResults"], 1);
    assert_eq!(l["Resources"][0]["ocid"], classic_id.as_str());
    assert_eq!(l["Resources"][0]["description"], "classic");
    server.stop().await;
}

#[tokio::test]
async fn create_validation_limits_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), |o| o.users = 2).await;
    let d = server.identity_domains[0].clone();
    let c = Client::new(&server, "DEFAULT");
    let u = d.users[0].id.clone();
    let ep = d.idcs_endpoint.clone();
    let post = |body: Value| {
        // (a JSON value, not necessarily an object)
        let c = &c;
        let ep = ep.clone();
        async move {
            c.send("POST", &ep, "/admin/v1/AuthTokens", Some(&body))
                .await
        }
    };
    let e = post(json!({"user": {"value": u}})).await.scim_error(400);
    assert_eq!(
        e[ORACLE_ERROR]["messageId"],
        "error.common.validation.missingReqAttributes"
    );
    post(json!({"schemas": ["urn:other"], "user": {"value": u}}))
        .await
        .scim_error(400);
    let e = post(json!({"schemas": [AUTH_TOKEN]})).await.scim_error(400);
    assert!(e["detail"].as_str().unwrap().contains("user"), "{e}");
    let e = post(json!({"schemas": [AUTH_TOKEN], "user": {"value": "nobody"}}))
        .await
        .scim_error(400);
    assert_eq!(
        e[ORACLE_ERROR]["messageId"],
        "error.common.validation.invalidReferenceResource"
    );
    post(json!({"schemas": [AUTH_TOKEN], "user": {"value": u}, "status": "maybe"}))
        .await
        .scim_error(400);
    post(json!({"schemas": [AUTH_TOKEN], "user": {"value": u}, "expiresOn": "tomorrow"}))
        .await
        .scim_error(400);
    post(json!({"schemas": [AUTH_TOKEN], "user": {"value": u}, "description": "x".repeat(401)}))
        .await
        .scim_error(400);
    post(json!({"schemas": [AUTH_TOKEN], "user": {"value": u}, "tags": [{"key": "k"}]}))
        .await
        .scim_error(400);
    post(json!([1])).await.scim_error(400);
    // By OCID, and value + OCID of different users is no user at all.
    let r = post(json!({"schemas": [AUTH_TOKEN], "user": {"ocid": d.users[0].ocid}})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    post(json!({"schemas": [AUTH_TOKEN], "user": {"value": u, "ocid": d.users[1].ocid}}))
        .await
        .scim_error(400);
    // The 2-token limit counts both APIs.
    let r = c
        .request(
            "POST",
            &server.endpoint,
            &format!("/20160918/users/{}/authTokens", d.users[0].ocid),
            Some(&json!({"description": "classic"})),
            &[],
            true,
        )
        .await;
    assert_eq!(r.status, 200);
    let e = post(json!({"schemas": [AUTH_TOKEN], "user": {"value": u}}))
        .await
        .scim_error(400);
    assert!(e["detail"].as_str().unwrap().contains("maximum"), "{e}");
    let r = c
        .request(
            "POST",
            &server.endpoint,
            &format!("/20160918/users/{}/authTokens", d.users[0].ocid),
            Some(&json!({"description": "third"})),
            &[],
            true,
        )
        .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (400, json!("LimitExceeded"))
    );
    // The flattened self-change attribute is accepted (and never returned).
    let r = post(json!({"schemas": [AUTH_TOKEN], "user": {"value": d.users[1].id},
        "urn:ietf:params:scim:schemas:oracle:idcs:extension:selfChange:User:allowSelfChange": true}))
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.text.find("allowSelfChange").is_none());

    // Faults and latency go through the same middleware.
    server
        .state()
        .queue_faults([Fault::Status503, Fault::Status429]);
    let r = c.send("GET", &ep, "/admin/v1/AuthTokens", None).await;
    r.scim_error(503);
    let r = c.send("GET", &ep, "/admin/v1/AuthTokens", None).await;
    r.scim_error(429);
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    let s = stats(&server).await;
    assert_eq!(s["injected_faults"]["503"], 1);
    assert_eq!(
        s["requests"]["ListAuthTokens (SCIM)"]["by_status"]["429"], 1,
        "{s}"
    );
    server.stop().await;
}

#[tokio::test]
async fn authorization_like_oci() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), |o| {
        o.users = 3;
        o.domains = 2;
    })
    .await;
    let d = server.identity_domains[0].clone();
    let d2 = server.identity_domains[1].clone();
    let admin = Client::new(&server, "DEFAULT");
    let user1 = Client::new(&server, "USER1");
    let (u1, u2) = (d.users[1].clone(), d.users[2].clone());

    // Admin manages anyone's; a user its own.
    let t2 = admin.create(&d, &u2.id, json!({})).await;
    assert_eq!(t2.status, 201);
    let t2 = t2.json()["id"].as_str().unwrap().to_string();
    let r = user1
        .create(&d, &u1.id, json!({"description": "mine"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let t1 = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["idcsCreatedBy"]["ocid"], user1.user.as_str());
    // Another user's: 403 to create, 404 to read, patch or delete, absent from lists.
    let e = user1.create(&d, &u2.id, json!({})).await.scim_error(403);
    assert!(e[ORACLE_ERROR]["messageId"].is_string());
    for (m, body) in [
        ("GET", None),
        ("DELETE", None),
        (
            "PATCH",
            Some(json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "description", "value": "x"}]})),
        ),
    ] {
        user1
            .send(
                m,
                &d.idcs_endpoint,
                &format!("/admin/v1/AuthTokens/{t2}"),
                body.as_ref(),
            )
            .await
            .scim_error(404);
    }
    assert_eq!(ids(&user1.list(&d, "").await), [t1.as_str()]);
    assert_eq!(admin.list(&d, "").await["totalResults"], 2);
    // Classic API, same rule: 404 NotAuthorizedOrNotFound for another user's tokens.
    async fn classic(who: &Client, method: &str, path: String, body: Option<Value>) -> Resp {
        let ep = who.classic.clone();
        who.request(method, &ep, &path, body.as_ref(), &[], true)
            .await
    }
    let r = classic(
        &user1,
        "GET",
        format!("/20160918/users/{}/authTokens", u2.ocid),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (404, json!("NotAuthorizedOrNotFound"))
    );
    let r = classic(
        &user1,
        "POST",
        format!("/20160918/users/{}/authTokens", u2.ocid),
        Some(json!({"description": "x"})),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = classic(
        &user1,
        "GET",
        format!("/20160918/users/{}/authTokens", u1.ocid),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let r = classic(
        &admin,
        "GET",
        format!("/20160918/users/{}/authTokens", u1.ocid),
        None,
    )
    .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);

    // MyAuthTokens: the signing user's, in its domain.
    let r = user1
        .send(
            "POST",
            &d.idcs_endpoint,
            "/admin/v1/MyAuthTokens",
            Some(&json!({"schemas": [AUTH_TOKEN], "description": "my"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let my = r.json();
    assert_eq!(my["user"]["ocid"], user1.user.as_str());
    assert_eq!(my["meta"]["resourceType"], "MyAuthToken");
    assert!(my["meta"]["location"]
        .as_str()
        .unwrap()
        .contains("/admin/v1/MyAuthTokens/"));
    let my_id = my["id"].as_str().unwrap().to_string();
    let r = user1
        .send("GET", &d.idcs_endpoint, "/admin/v1/MyAuthTokens", None)
        .await;
    assert_eq!(r.json()["totalResults"], 2, "{}", r.text);
    // The admin's MyAuthTokens are its own only; it can not reach user1's through them.
    let r = admin
        .send("GET", &d.idcs_endpoint, "/admin/v1/MyAuthTokens", None)
        .await;
    assert_eq!(r.json()["totalResults"], 0);
    admin
        .send(
            "GET",
            &d.idcs_endpoint,
            &format!("/admin/v1/MyAuthTokens/{my_id}"),
            None,
        )
        .await
        .scim_error(404);
    let r = user1
        .send(
            "POST",
            &d.idcs_endpoint,
            "/admin/v1/MyAuthTokens",
            Some(&json!({"schemas": [AUTH_TOKEN], "user": {"value": u2.id}})),
        )
        .await;
    r.scim_error(400);
    let r = user1
        .send(
            "POST",
            &d.idcs_endpoint,
            "/admin/v1/MyAuthTokens/.search",
            Some(&json!({"schemas": [SEARCH], "filter": "description eq \"my\""})),
        )
        .await;
    assert_eq!(ids(&r.json()), [my_id.as_str()]);
    let r = user1
        .send(
            "PATCH",
            &d.idcs_endpoint,
            &format!("/admin/v1/MyAuthTokens/{my_id}"),
            Some(&json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "description", "value": "my-2"}]})),
        )
        .await;
    assert_eq!(r.json()["description"], "my-2");
    let r = user1
        .send(
            "DELETE",
            &d.idcs_endpoint,
            &format!("/admin/v1/MyAuthTokens/{my_id}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204);

    // A secondary domain: the admin manages its users' tokens; others are not its users.
    let r = admin.create(&d2, &d2.users[0].id, json!({})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["domainOcid"], d2.domain_ocid.as_str());
    assert_eq!(admin.list(&d2, "").await["totalResults"], 1);
    assert_eq!(
        admin.list(&d, "").await["totalResults"],
        2,
        "domains are separate"
    );
    user1
        .send("GET", &d2.idcs_endpoint, "/admin/v1/AuthTokens", None)
        .await
        .scim_error(403);
    admin
        .send("GET", &d2.idcs_endpoint, "/admin/v1/MyAuthTokens", None)
        .await
        .scim_error(403);
    // A Default-domain user is no user of another domain.
    admin.create(&d2, &u1.id, json!({})).await.scim_error(400);
    admin
        .create(&d, &d2.users[0].id, json!({}))
        .await
        .scim_error(400);
    server.stop().await;
}

#[tokio::test]
async fn filters_sorting_paging_and_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), |o| {
        o.users = 6;
        o.token_limit = 0;
    })
    .await;
    let d = server.identity_domains[0].clone();
    let c = Client::new(&server, "DEFAULT");
    // 12 tokens: 2 per user; every third inactive; half with a past expiry.
    let mut made = Vec::new();
    for i in 0..12 {
        let u = &d.users[i % 6];
        let expires = if i % 2 == 0 {
            "2020-01-01T00:00:00Z"
        } else {
            "2099-01-01T00:00:00Z"
        };
        let status = if i % 3 == 0 { "INACTIVE" } else { "ACTIVE" };
        let r = c
            .create(
                &d,
                &u.id,
                json!({"description": format!("token-{i:02}"), "expiresOn": expires,
                       "status": status, "tags": [{"key": "n", "value": i.to_string()}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        made.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let f = |filter: &str| format!("?filter={}&count=1000", enc(filter));
    let count = |v: &Value| v["totalResults"].as_u64().unwrap();

    // Filters.
    let l = c
        .list(&d, &f(&format!(r#"user.value eq "{}""#, d.users[1].id)))
        .await;
    assert_eq!(ids(&l), [made[1].clone(), made[7].clone()]);
    let l = c
        .list(&d, &f(&format!(r#"user.ocid eq "{}""#, d.users[2].ocid)))
        .await;
    assert_eq!(count(&l), 2);
    assert_eq!(count(&c.list(&d, &f(r#"status eq "inactive""#)).await), 4);
    assert_eq!(count(&c.list(&d, &f(r#"status ne "INACTIVE""#)).await), 8);
    assert_eq!(
        count(
            &c.list(&d, &f(r#"expiresOn lt "2026-01-01T00:00:00Z""#))
                .await
        ),
        6
    );
    assert_eq!(
        count(
            &c.list(&d, &f(r#"expiresOn ge "2099-01-01T00:00:00Z""#))
                .await
        ),
        6
    );
    assert_eq!(
        count(
            &c.list(&d, &f(r#"meta.created gt "2000-01-01T00:00:00Z""#))
                .await
        ),
        12
    );
    assert_eq!(
        count(
            &c.list(&d, &f(r#"meta.created le "2000-01-01T00:00:00Z""#))
                .await
        ),
        0
    );
    assert_eq!(
        count(&c.list(&d, &f(r#"description sw "TOKEN-0""#)).await),
        10
    );
    assert_eq!(count(&c.list(&d, &f(r#"description ew "1""#)).await), 2);
    assert_eq!(count(&c.list(&d, &f(r#"description co "en-1""#)).await), 2);
    assert_eq!(count(&c.list(&d, &f("expiresOn pr")).await), 12);
    assert_eq!(
        count(&c.list(&d, &f(r#"not (status eq "ACTIVE") and (description eq "token-00" or description eq "token-03")"#)).await),
        2
    );
    assert_eq!(
        count(&c.list(&d, &f(&format!(r#"id eq "{}""#, made[4]))).await),
        1
    );
    assert_eq!(
        count(&c.list(&d, &f(r#"tags[key eq "n" and value eq "5"]"#)).await),
        1
    );
    // A bad filter: 400 invalidFilter naming the position.
    let r = c
        .send(
            "GET",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens{}", f(r#"user.value eq "x" and"#)),
            None,
        )
        .await;
    let e = r.scim_error(400);
    assert_eq!(e["scimType"], "invalidFilter");
    assert!(e["detail"].as_str().unwrap().contains("position 21"), "{e}");
    let r = c
        .send(
            "GET",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens{}", f(r#"nosuch eq "x""#)),
            None,
        )
        .await;
    assert_eq!(r.scim_error(400)["scimType"], "invalidFilter");

    // Sorting.
    let l = c
        .list(&d, "?sortBy=description&sortOrder=descending&count=3")
        .await;
    let descs: Vec<&str> = l["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["description"].as_str().unwrap())
        .collect();
    assert_eq!(descs, ["token-11", "token-10", "token-09"]);
    let l = c
        .list(&d, "?sortBy=meta.created&sortOrder=ASCENDING&count=1")
        .await;
    assert_eq!(ids(&l), [made[0].clone()]);
    let r = c
        .send(
            "GET",
            &d.idcs_endpoint,
            "/admin/v1/AuthTokens?sortOrder=sideways",
            None,
        )
        .await;
    r.scim_error(400);

    // Paging: the three numbers are always there; count is capped at 1000.
    let l = c.list(&d, "").await;
    assert_eq!(
        (
            l["totalResults"].clone(),
            l["startIndex"].clone(),
            l["itemsPerPage"].clone()
        ),
        (json!(12), json!(1), json!(50))
    );
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let l = c.list(&d, &format!("?startIndex={start}&count=5")).await;
        assert_eq!(l["itemsPerPage"], 5);
        assert_eq!(l["startIndex"], start);
        assert_eq!(l["totalResults"], 12);
        seen.extend(ids(&l));
        if start + 5 > 12 {
            break;
        }
        start += 5;
    }
    assert_eq!(seen, made);
    let l = c.list(&d, "?startIndex=11&count=5").await;
    assert_eq!(ids(&l).len(), 2);
    let l = c.list(&d, "?startIndex=40").await;
    assert_eq!((ids(&l).len(), l["totalResults"].clone()), (0, json!(12)));
    let l = c.list(&d, "?count=0").await;
    assert_eq!((ids(&l).len(), l["totalResults"].clone()), (0, json!(12)));
    let l = c.list(&d, "?count=5000").await;
    assert_eq!(
        (ids(&l).len(), l["itemsPerPage"].clone()),
        (12, json!(1000))
    );
    let l = c.list(&d, "?startIndex=0&count=2").await;
    assert_eq!(l["startIndex"], 1);
    c.send(
        "GET",
        &d.idcs_endpoint,
        "/admin/v1/AuthTokens?count=many",
        None,
    )
    .await
    .scim_error(400);
    // OCI-style paging (the CLI's --all): opc-next-page is the next startIndex.
    let r = c
        .send(
            "GET",
            &d.idcs_endpoint,
            "/admin/v1/AuthTokens?limit=10",
            None,
        )
        .await;
    assert_eq!(r.header("opc-next-page").as_deref(), Some("11"));
    let r = c
        .send(
            "GET",
            &d.idcs_endpoint,
            "/admin/v1/AuthTokens?limit=10&page=11",
            None,
        )
        .await;
    assert_eq!(ids(&r.json()).len(), 2);
    assert!(r.header("opc-next-page").is_none());

    // attributes / attributeSets.
    let l = c.list(&d, "?count=1&attributes=description").await;
    let first = &l["Resources"][0];
    let mut keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["description", "id", "schemas", "user"]);
    assert_eq!(
        first["user"].as_object().unwrap().len(),
        2,
        "user.value and user.ocid are always returned"
    );
    let l = c.list(&d, "?count=1&attributeSets=all").await;
    let first = &l["Resources"][0];
    assert!(first["tags"].is_array() && first["idcsLastUpgradedInRelease"].is_string());
    assert!(first.get("status").is_none() && first.get("token").is_none());
    let l = c
        .list(&d, "?count=1&attributeSets=request&attributeSets=default")
        .await;
    assert!(l["Resources"][0]["tags"].is_array() && l["Resources"][0]["ocid"].is_string());
    let r = c
        .send(
            "GET",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens/{}?attributes=tags,expiresOn", made[0]),
            None,
        )
        .await;
    let got = r.json();
    assert_eq!(got["tags"], json!([{"key": "n", "value": "0"}]));
    assert_eq!(
        got["expiresOn"], "2020-01-01T00:00:00Z",
        "expired tokens are listed with their expiry"
    );
    assert!(got.get("description").is_none());
    c.send(
        "GET",
        &d.idcs_endpoint,
        "/admin/v1/AuthTokens?attributeSets=some",
        None,
    )
    .await
    .scim_error(400);

    // .search takes the same in a body.
    let r = c
        .send(
            "POST",
            &d.idcs_endpoint,
            "/admin/v1/AuthTokens/.search",
            Some(
                &json!({"schemas": [SEARCH], "filter": "status eq \"INACTIVE\"",
                "sortBy": "description", "sortOrder": "descending", "startIndex": 2, "count": 2,
                "attributes": ["description"], "attributeSets": ["request"]}),
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let l = r.json();
    assert_eq!(
        l["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(
        (
            l["totalResults"].clone(),
            l["startIndex"].clone(),
            l["itemsPerPage"].clone()
        ),
        (json!(4), json!(2), json!(2))
    );
    let descs: Vec<&str> = l["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["description"].as_str().unwrap())
        .collect();
    assert_eq!(descs, ["token-06", "token-03"]);
    assert!(l["Resources"][0]["tags"].is_array());
    c.send(
        "POST",
        &d.idcs_endpoint,
        "/admin/v1/AuthTokens/.search",
        Some(&json!({"filter": "id pr"})),
    )
    .await
    .scim_error(400);
    let e = c
        .send(
            "POST",
            &d.idcs_endpoint,
            "/admin/v1/AuthTokens/.search",
            Some(&json!({"schemas": [SEARCH], "filter": "(id pr"})),
        )
        .await
        .scim_error(400);
    assert_eq!(e["scimType"], "invalidFilter");
    server.stop().await;
}

#[tokio::test]
async fn state_and_domains_persist_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (domains, token) = {
        let server = start(dir.path(), |o| o.domains = 2).await;
        let c = Client::new(&server, "DEFAULT");
        let d = server.identity_domains[1].clone();
        let r = c
            .create(&d, &d.users[0].id, json!({"description": "kept"}))
            .await;
        assert_eq!(r.status, 201);
        let id = r.json()["id"].as_str().unwrap().to_string();
        let domains = server.identity_domains.clone();
        server.stop().await;
        (domains, id)
    };
    let server = start(dir.path(), |o| o.domains = 3).await;
    assert_eq!(server.identity_domains.len(), 3);
    for (a, b) in domains.iter().zip(&server.identity_domains) {
        assert_eq!((&a.domain_ocid, &a.users), (&b.domain_ocid, &b.users));
    }
    let c = Client::new(&server, "DEFAULT");
    let d = &server.identity_domains[1];
    let r = c
        .send(
            "GET",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens/{token}"),
            None,
        )
        .await;
    assert_eq!(r.json()["description"], "kept");
    server.stop().await;
}

#[tokio::test]
async fn retry_tokens_replay_creates_and_list_lag_applies() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), |o| {
        o.users = 2;
        o.list_lag_ms = 300;
    })
    .await;
    let d = server.identity_domains[0].clone();
    let c = Client::new(&server, "DEFAULT");
    let body =
        json!({"schemas": [AUTH_TOKEN], "user": {"value": d.users[1].id}, "description": "r"});
    let send = |body: Value, rt: &'static str| {
        let c = &c;
        let ep = d.idcs_endpoint.clone();
        async move {
            c.request(
                "POST",
                &ep,
                "/admin/v1/AuthTokens",
                Some(&body),
                &[("opc-retry-token", rt)],
                true,
            )
            .await
        }
    };
    let first = send(body.clone(), "rt-1").await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = send(body.clone(), "rt-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.json()["token"], first.json()["token"]);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    let mut other = body.clone();
    other["description"] = json!("different");
    let e = send(other, "rt-1").await.scim_error(409);
    assert!(e["detail"].as_str().unwrap().contains("retry token"), "{e}");
    assert_eq!(stats(&server).await["live_tokens"], 1);
    // A new token shows up in lists only after the lag, but GET finds it at once.
    let id = first.json()["id"].as_str().unwrap().to_string();
    assert_eq!(c.list(&d, "").await["totalResults"], 0);
    let r = c
        .send(
            "GET",
            &d.idcs_endpoint,
            &format!("/admin/v1/AuthTokens/{id}"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(ids(&c.list(&d, "").await), [id.as_str()]);
    server.stop().await;
}
