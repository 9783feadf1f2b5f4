//! The mock playing the OCI platform, tested independently of the client crate: requests are
//! signed by hand here with aws-lc-rs (instance metadata, the `/v1/x509` federation, `ST$`
//! session tokens, the resource principal pair, the OKE endpoint over TLS, the identity
//! domains' workload identity federation token exchange), and by the official
//! OCI Python SDK's own signers.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::Utc;
use oci_identity_mock::{keys, MockOptions};
use serde_json::{json, Value};
use test_support::{start_mock, TestMock};

// ---------------------------------------------------------------------------------------------
// Test-side signing (aws-lc-rs directly, not the client crate's signer)

fn new_key() -> RsaKeyPair {
    RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap()
}

fn spki_b64(key: &RsaKeyPair) -> String {
    B64.encode(key.public_key().as_der().unwrap().as_ref())
}

fn load_key_pem(pem: &str) -> RsaKeyPair {
    RsaKeyPair::from_pkcs8(&keys::pem_decode("PRIVATE KEY", pem).expect("PKCS#8 PEM")).unwrap()
}

fn sign_b64(key: &RsaKeyPair, data: &[u8]) -> String {
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

fn colon_hex(bytes: &[u8], upper: bool) -> String {
    bytes
        .iter()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect::<Vec<_>>()
        .join(":")
}

fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect()
}

/// One signed request.
struct Signed<'a> {
    method: &'a str,
    url: String,
    body: Option<Vec<u8>>,
    key_id: String,
    key: &'a RsaKeyPair,
    /// The header names signed, in order (`host`, `date`, `(request-target)` and the body
    /// headers are filled in).
    headers: &'a [&'a str],
}

#[derive(Default)]
struct Resp {
    status: u16,
    text: String,
    /// The `opc-parent-rpt-url` header (resource principal 3.0).
    parent_rpt_url: Option<String>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {:?}", self.text))
    }
}

async fn send(http: &reqwest::Client, r: Signed<'_>) -> Resp {
    send_typed(http, r, "application/json").await
}

/// [`send`] with a body of `content_type`.
async fn send_typed(http: &reqwest::Client, r: Signed<'_>, content_type: &str) -> Resp {
    let url = reqwest::Url::parse(&r.url).unwrap();
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap()),
        None => url.host_str().unwrap().to_string(),
    };
    let target = format!(
        "{} {}{}",
        r.method.to_ascii_lowercase(),
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    );
    let date = Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let body = r.body.clone().unwrap_or_default();
    let values = |name: &str| -> String {
        match name {
            "(request-target)" => target.clone(),
            "host" => host.clone(),
            "date" => date.clone(),
            "content-length" => body.len().to_string(),
            "content-type" => content_type.into(),
            "x-content-sha256" => sha256_b64(&body),
            other => panic!("unexpected header {other}"),
        }
    };
    let signing: Vec<String> = r
        .headers
        .iter()
        .map(|h| format!("{h}: {}", values(h)))
        .collect();
    let signature = sign_b64(r.key, signing.join("\n").as_bytes());
    let auth = format!(
        "Signature version=\"1\",headers=\"{}\",keyId=\"{}\",algorithm=\"rsa-sha256\",signature=\"{signature}\"",
        r.headers.join(" "),
        r.key_id
    );
    let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
    let mut req = http
        .request(method, url)
        .header("date", &date)
        .header("authorization", auth);
    if r.body.is_some() {
        req = req
            .header("content-type", content_type)
            .header("x-content-sha256", sha256_b64(&body))
            .body(body);
    }
    let resp = req.send().await.unwrap();
    Resp {
        status: resp.status().as_u16(),
        parent_rpt_url: resp
            .headers()
            .get("opc-parent-rpt-url")
            .map(|v| v.to_str().unwrap().to_string()),
        text: resp.text().await.unwrap(),
    }
}

const GET_HEADERS: &[&str] = &["date", "(request-target)", "host"];
const POST_HEADERS: &[&str] = &[
    "date",
    "(request-target)",
    "host",
    "content-length",
    "content-type",
    "x-content-sha256",
];
/// The federation call's headers: no `host`.
const FED_HEADERS: &[&str] = &[
    "date",
    "(request-target)",
    "content-length",
    "content-type",
    "x-content-sha256",
];

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn imds_get(http: &reqwest::Client, mock: &TestMock, path: &str, bearer: bool) -> Resp {
    let mut req = http.get(format!("{}/opc/v2{path}", mock.endpoint));
    if bearer {
        req = req.header("authorization", "Bearer Oracle");
    }
    let resp = req.send().await.unwrap();
    Resp {
        status: resp.status().as_u16(),
        text: resp.text().await.unwrap(),
        ..Default::default()
    }
}

/// What IMDS gives an instance.
struct Instance {
    cert_pem: String,
    cert_der: Vec<u8>,
    key: RsaKeyPair,
    intermediate_pem: String,
    tenancy: String,
}

async fn instance(http: &reqwest::Client, mock: &TestMock) -> Instance {
    let cert_pem = imds_get(http, mock, "/identity/cert.pem", true).await.text;
    let key_pem = imds_get(http, mock, "/identity/key.pem", true).await.text;
    let intermediate_pem = imds_get(http, mock, "/identity/intermediate.pem", true)
        .await
        .text;
    Instance {
        cert_der: keys::pem_decode("CERTIFICATE", &cert_pem).unwrap(),
        cert_pem,
        key: load_key_pem(&key_pem),
        intermediate_pem,
        tenancy: mock.tenancy_ocid.clone(),
    }
}

impl Instance {
    fn sha256_key_id(&self) -> String {
        let fp = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.cert_der);
        format!(
            "{}/fed-x509-sha256/{}",
            self.tenancy,
            colon_hex(fp.as_ref(), false)
        )
    }

    fn body(&self, session: &RsaKeyPair) -> Vec<u8> {
        json!({
            "certificate": pem_body(&self.cert_pem),
            "publicKey": spki_b64(session),
            "intermediateCertificates": [pem_body(&self.intermediate_pem)],
            "fingerprintAlgorithm": "SHA256",
            "purpose": "DEFAULT",
        })
        .to_string()
        .into_bytes()
    }
}

async fn federate(
    http: &reqwest::Client,
    mock: &TestMock,
    _inst: &Instance,
    key_id: String,
    key: &RsaKeyPair,
    headers: &[&str],
    body: Vec<u8>,
) -> Resp {
    send(
        http,
        Signed {
            method: "POST",
            url: format!("{}/v1/x509", mock.endpoint),
            body: Some(body),
            key_id,
            key,
            headers,
        },
    )
    .await
}

fn claims(jwt: &str) -> (Value, Value) {
    let mut parts = jwt.split('.');
    let header = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    let payload = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    assert!(parts.next().is_some(), "three parts");
    (
        serde_json::from_slice(&header).unwrap(),
        serde_json::from_slice(&payload).unwrap(),
    )
}

/// A GET signed with `key_id` and `key`, with the headers a signed GET carries.
async fn signed_get(http: &reqwest::Client, url: String, key_id: &str, key: &RsaKeyPair) -> Resp {
    send(
        http,
        Signed {
            method: "GET",
            url,
            body: None,
            key_id: key_id.to_string(),
            key,
            headers: GET_HEADERS,
        },
    )
    .await
}

async fn list_tokens(
    http: &reqwest::Client,
    endpoint: &str,
    user: &str,
    key_id: &str,
    key: &RsaKeyPair,
) -> Resp {
    signed_get(
        http,
        format!("{endpoint}/20160918/users/{user}/authTokens"),
        key_id,
        key,
    )
    .await
}

async fn session_token(
    http: &reqwest::Client,
    mock: &TestMock,
    inst: &Instance,
    session: &RsaKeyPair,
) -> String {
    let r = federate(
        http,
        mock,
        inst,
        inst.sha256_key_id(),
        &inst.key,
        FED_HEADERS,
        inst.body(session),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["token"].as_str().unwrap().to_string()
}

// ---------------------------------------------------------------------------------------------
// Instance metadata

#[tokio::test]
async fn imds_requires_bearer_oracle_and_serves_the_instance() {
    let mock = start_mock(MockOptions::default()).await;
    let http = http();
    let ip = mock.instance_principal();
    for path in [
        "/instance/region",
        "/instance/id",
        "/instance/regionInfo",
        "/identity/cert.pem",
        "/identity/key.pem",
        "/identity/intermediate.pem",
    ] {
        let r = imds_get(&http, &mock, path, false).await;
        assert_eq!(r.status, 401, "{path} without the header: {}", r.text);
    }
    assert_eq!(
        imds_get(&http, &mock, "/instance/region", true).await.text,
        "us-ashburn-1"
    );
    assert_eq!(
        imds_get(&http, &mock, "/instance/id", true).await.text,
        ip["instance_ocid"].as_str().unwrap()
    );
    let info = imds_get(&http, &mock, "/instance/regionInfo", true)
        .await
        .json();
    assert_eq!(
        info,
        json!({"realmKey": "oc1", "realmDomainComponent": "oraclecloud.com",
               "regionKey": "IAD", "regionIdentifier": "us-ashburn-1"})
    );
    let inst = instance(&http, &mock).await;
    assert!(inst.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    // The subject carries the tenancy and the instance (UTF8String bytes in the DER).
    let has = |needle: &str| {
        inst.cert_der
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    assert!(has(&format!("opc-tenant:{}", mock.tenancy_ocid)));
    assert!(has(&format!(
        "opc-instance:{}",
        ip["instance_ocid"].as_str().unwrap()
    )));
    assert_eq!(inst.key.public_modulus_len(), 256, "RSA 2048");
    assert!(inst
        .intermediate_pem
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(
        ip["env"]["OCI_METADATA_BASE_URL"],
        format!("{}/opc/v2", mock.endpoint)
    );
    assert_eq!(ip["env"]["OCI_SDK_AUTH_CLIENT_REGION_URL"], mock.endpoint);
    assert_eq!(
        mock.state().stats_json()["requests"]["InstanceMetadata"]["total"],
        12
    );
}

#[tokio::test]
async fn platform_material_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mock");
    let a = test_support::start_mock_in(data.clone(), MockOptions::default()).await;
    let (cert, instance) = (
        a.state().platform().chain().unwrap().leaf_cert_pem.clone(),
        a.state().platform().instance_ocid.clone(),
    );
    let rpst = std::fs::read_to_string(data.join("rp/rpst")).unwrap();
    let rp_key = std::fs::read_to_string(data.join("rp/private.pem")).unwrap();
    a.stop().await;
    let b = test_support::start_mock_in(data.clone(), MockOptions::default()).await;
    assert_eq!(b.state().platform().chain().unwrap().leaf_cert_pem, cert);
    assert_eq!(b.state().platform().instance_ocid, instance);
    // A new resource principal token at each start (the pair's key is kept), signed by the
    // same key: the old token still verifies.
    assert_ne!(std::fs::read_to_string(data.join("rp/rpst")).unwrap(), rpst);
    assert_eq!(
        std::fs::read_to_string(data.join("rp/private.pem")).unwrap(),
        rp_key
    );
    assert!(b
        .state()
        .platform()
        .verify_session(&rpst, Utc::now().timestamp())
        .is_ok());
    b.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Federation

#[tokio::test]
async fn x509_federation_mints_a_session_token_with_the_contract_claims() {
    let mock = start_mock(MockOptions {
        session_ttl_s: 600,
        ..MockOptions::default()
    })
    .await;
    let http = http();
    let inst = instance(&http, &mock).await;
    let session = new_key();
    let jwt = session_token(&http, &mock, &inst, &session).await;
    let (header, c) = claims(&jwt);
    assert_eq!(header, json!({"alg": "RS256", "typ": "JWT", "kid": "mock"}));
    assert_eq!(c["iss"], "authService.oracle.com");
    assert_eq!(
        c["sub"],
        mock.instance_principal()["instance_ocid"].as_str().unwrap()
    );
    assert_eq!(c["ptype"], "instance");
    for k in ["tenant", "res_tenant", "res_compartment"] {
        assert_eq!(c[k], mock.tenancy_ocid.as_str(), "{k}");
    }
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 600);
    assert!((c["iat"].as_i64().unwrap() - Utc::now().timestamp()).abs() < 5);
    assert!(c["jti"].as_str().is_some_and(|j| !j.is_empty()));
    // `jwk` is a string holding the session key's JWK.
    let jwk: Value = serde_json::from_str(c["jwk"].as_str().unwrap()).unwrap();
    assert_eq!(jwk["kty"], "RSA");
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    let spki = session.public_key().as_der().unwrap();
    let key = aws_lc_rs::rsa::PublicKey::from_der(spki.as_ref()).unwrap();
    let comps = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(&key);
    assert_eq!(n, comps.n);
    assert_eq!(jwk["e"], URL_SAFE_NO_PAD.encode(&comps.e));

    // Also accepted: the Python SDK's keyId (`fed-x509`, SHA-1, uppercase hex, no
    // fingerprintAlgorithm or purpose), and `host` among the signed headers (extra signed
    // headers are fine as long as they verify).
    let sha1 =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &inst.cert_der);
    let py_body = json!({
        "certificate": pem_body(&inst.cert_pem),
        "publicKey": spki_b64(&session),
        "intermediateCertificates": [pem_body(&inst.intermediate_pem)],
    })
    .to_string()
    .into_bytes();
    let r = federate(
        &http,
        &mock,
        &inst,
        format!(
            "{}/fed-x509/{}",
            inst.tenancy,
            colon_hex(sha1.as_ref(), true)
        ),
        &inst.key,
        FED_HEADERS,
        py_body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = federate(
        &http,
        &mock,
        &inst,
        inst.sha256_key_id(),
        &inst.key,
        POST_HEADERS,
        inst.body(&session),
    )
    .await;
    assert_eq!(r.status, 200, "host signed too: {}", r.text);
    let stats = mock.state().stats_json();
    assert_eq!(stats["federation_requests"]["x509"], 3, "{stats}");
    assert_eq!(stats["requests"]["FederateX509"]["by_status"]["200"], 3);
}

#[tokio::test]
async fn x509_federation_refuses_what_the_real_service_refuses() {
    let mock = start_mock(MockOptions::default()).await;
    let http = http();
    let inst = instance(&http, &mock).await;
    let session = new_key();
    let good = inst.sha256_key_id();
    let expect = |r: Resp, status: u16, code: &str, what: &str| {
        assert_eq!(r.status, status, "{what}: {}", r.text);
        assert_eq!(r.json()["code"], code, "{what}: {}", r.text);
    };
    // A keyId whose fingerprint is not the certificate's.
    let wrong_fp = format!(
        "{}/fed-x509-sha256/{}",
        inst.tenancy,
        colon_hex(&[0xab; 32], false)
    );
    let r = federate(
        &http,
        &mock,
        &inst,
        wrong_fp,
        &inst.key,
        FED_HEADERS,
        inst.body(&session),
    )
    .await;
    expect(r, 401, "NotAuthenticated", "wrong fingerprint");
    // Another tenancy.
    let other = good.replacen(&inst.tenancy, "ocid1.tenancy.oc1..other", 1);
    let r = federate(
        &http,
        &mock,
        &inst,
        other,
        &inst.key,
        FED_HEADERS,
        inst.body(&session),
    )
    .await;
    expect(r, 401, "NotAuthenticated", "wrong tenancy");
    // Signed with a key that is not the certificate's.
    let stranger = new_key();
    let r = federate(
        &http,
        &mock,
        &inst,
        good.clone(),
        &stranger,
        FED_HEADERS,
        inst.body(&session),
    )
    .await;
    expect(r, 401, "NotAuthenticated", "bad signature");
    // A signature missing a body header.
    let r = federate(
        &http,
        &mock,
        &inst,
        good.clone(),
        &inst.key,
        &["date", "(request-target)", "content-length", "content-type"],
        inst.body(&session),
    )
    .await;
    expect(r, 401, "NotAuthenticated", "x-content-sha256 not signed");
    // The certificate in the body is not the instance's (the intermediate instead).
    let mut body: Value = serde_json::from_slice(&inst.body(&session)).unwrap();
    body["certificate"] = json!(pem_body(&inst.intermediate_pem));
    let r = federate(
        &http,
        &mock,
        &inst,
        good.clone(),
        &inst.key,
        FED_HEADERS,
        body.to_string().into_bytes(),
    )
    .await;
    expect(r, 401, "NotAuthenticated", "unknown certificate");
    // No intermediate chain.
    let mut body: Value = serde_json::from_slice(&inst.body(&session)).unwrap();
    body["intermediateCertificates"] = json!([]);
    let r = federate(
        &http,
        &mock,
        &inst,
        good.clone(),
        &inst.key,
        FED_HEADERS,
        body.to_string().into_bytes(),
    )
    .await;
    expect(r, 401, "NotAuthenticated", "no intermediate");
    // Malformed bodies (correctly signed): 400.
    let r = federate(
        &http,
        &mock,
        &inst,
        good.clone(),
        &inst.key,
        FED_HEADERS,
        b"{not json".to_vec(),
    )
    .await;
    expect(r, 400, "CannotParseRequest", "not JSON");
    let mut body: Value = serde_json::from_slice(&inst.body(&session)).unwrap();
    body.as_object_mut().unwrap().remove("publicKey");
    let r = federate(
        &http,
        &mock,
        &inst,
        good.clone(),
        &inst.key,
        FED_HEADERS,
        body.to_string().into_bytes(),
    )
    .await;
    expect(r, 400, "InvalidParameter", "no publicKey");
    // Unsigned.
    let r = http
        .post(format!("{}/v1/x509", mock.endpoint))
        .body(inst.body(&session))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let stats = mock.state().stats_json();
    assert_eq!(stats["federation_requests"]["x509"], 9, "{stats}");
    assert_eq!(stats["auth_failures"], 7, "{stats}");
}

// ---------------------------------------------------------------------------------------------
// Session tokens on the APIs

#[tokio::test]
async fn session_tokens_sign_classic_and_scim_requests_as_a_dynamic_group() {
    let mock = start_mock(MockOptions {
        users: 2,
        ..MockOptions::default()
    })
    .await;
    let http = http();
    let inst = instance(&http, &mock).await;
    let session = new_key();
    let jwt = session_token(&http, &mock, &inst, &session).await;
    let key_id = format!("ST${jwt}");
    // Any user's tokens (manage users in tenancy): list and create for the second user.
    let user = &mock.user_ocids[1];
    let r = list_tokens(&http, &mock.endpoint, user, &key_id, &session).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(
        &http,
        Signed {
            method: "POST",
            url: format!("{}/20160918/users/{user}/authTokens", mock.endpoint),
            body: Some(br#"{"description":"by the instance"}"#.to_vec()),
            key_id: key_id.clone(),
            key: &session,
            headers: POST_HEADERS,
        },
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["description"], "by the instance");
    // The SCIM API of the Default domain, signed the same way.
    let domain = &mock.identity_domains[0].idcs_endpoint;
    let r = signed_get(
        &http,
        format!("{domain}/admin/v1/AuthTokens"),
        &key_id,
        &session,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["totalResults"], 1, "{}", r.text);
    // A principal is not a user of the domain: MyAuthTokens is refused.
    let r = signed_get(
        &http,
        format!("{domain}/admin/v1/MyAuthTokens"),
        &key_id,
        &session,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);

    // Signed with another key than the token's jwk: 401, counted as bad_signature.
    let r = list_tokens(&http, &mock.endpoint, user, &key_id, &new_key()).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["code"], "NotAuthenticated");
    // Not a token of the mock's: 401 unknown; the SCIM API answers in its own form.
    let forged = format!(
        "ST$eyJhbGciOiJSUzI1NiJ9.{}.AAAA",
        URL_SAFE_NO_PAD.encode("{}")
    );
    let r = list_tokens(&http, &mock.endpoint, user, &forged, &session).await;
    assert_eq!(r.status, 401);
    let r = signed_get(
        &http,
        format!("{domain}/admin/v1/AuthTokens"),
        &forged,
        &session,
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(
        r.json()["schemas"].is_array(),
        "SCIM error body: {}",
        r.text
    );
    let stats = mock.state().stats_json();
    assert_eq!(
        stats["session_token_failures"]["bad_signature"], 1,
        "{stats}"
    );
    assert_eq!(stats["session_token_failures"]["unknown"], 2, "{stats}");
}

#[tokio::test]
async fn expired_and_revoked_session_tokens_get_401() {
    let mock = start_mock(MockOptions {
        session_ttl_s: 1,
        ..MockOptions::default()
    })
    .await;
    let http = http();
    let inst = instance(&http, &mock).await;
    let session = new_key();
    let user = &mock.user_ocids[0];
    let jwt = session_token(&http, &mock, &inst, &session).await;
    let (_, c) = claims(&jwt);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 1);
    // Wait until `exp` has passed (no grace).
    let exp = c["exp"].as_i64().unwrap();
    while Utc::now().timestamp() < exp {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = list_tokens(&http, &mock.endpoint, user, &format!("ST${jwt}"), &session).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json()["code"], "NotAuthenticated");
    let stats = mock.state().stats_json();
    assert_eq!(stats["session_token_failures"]["expired"], 1, "{stats}");
}

#[tokio::test]
async fn revoked_session_tokens_get_401_and_the_resource_principal_pair_rotates() {
    let mock = start_mock(MockOptions::default()).await;
    let http = http();
    let inst = instance(&http, &mock).await;
    let session = new_key();
    let user = mock.user_ocids[0].clone();
    let jwt = session_token(&http, &mock, &inst, &session).await;
    let key_id = format!("ST${jwt}");
    assert_eq!(
        list_tokens(&http, &mock.endpoint, &user, &key_id, &session)
            .await
            .status,
        200
    );
    // The resource principal 2.2 pair, as the ready line points at it.
    let rp = mock.resource_principal();
    let env = &rp["env"];
    assert_eq!(env["OCI_RESOURCE_PRINCIPAL_VERSION"], "2.2");
    assert_eq!(env["OCI_RESOURCE_PRINCIPAL_REGION"], "us-ashburn-1");
    let read = |k: &str| std::fs::read_to_string(env[k].as_str().unwrap()).unwrap();
    let rp_sign = |rpst: String, pem: String| {
        let http = http.clone();
        let endpoint = mock.endpoint.clone();
        let user = user.clone();
        async move {
            let key = load_key_pem(&pem);
            list_tokens(&http, &endpoint, &user, &format!("ST${rpst}"), &key).await
        }
    };
    let (rpst, pem) = (
        read("OCI_RESOURCE_PRINCIPAL_RPST"),
        read("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"),
    );
    let (_, c) = claims(&rpst);
    assert_eq!(c["ptype"], "resource");
    assert_eq!(c["sub"], rp["resource_ocid"]);
    assert_eq!(c["res_tenant"], mock.tenancy_ocid.as_str());
    assert_eq!(rp_sign(rpst.clone(), pem.clone()).await.status, 200);
    let mode =
        std::fs::metadata(env["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"].as_str().unwrap()).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(mode.permissions().mode() & 0o777, 0o600);
    let encrypted = std::fs::read_to_string(rp["private_pem_encrypted"].as_str().unwrap()).unwrap();
    assert!(encrypted.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    // Revoke: every token so far is refused, the pair's included.
    let revoked = reqwest_post(&http, &format!("{}/_mock/sessions/revoke", mock.endpoint)).await;
    assert_eq!(revoked.status, 200);
    assert!(revoked.json()["revoked"].as_u64().unwrap() >= 2);
    let r = list_tokens(&http, &mock.endpoint, &user, &key_id, &session).await;
    assert_eq!(r.status, 401);
    assert_eq!(rp_sign(rpst.clone(), pem.clone()).await.status, 401);
    // A new federation works again.
    let jwt2 = session_token(&http, &mock, &inst, &session).await;
    assert_eq!(
        list_tokens(
            &http,
            &mock.endpoint,
            &user,
            &format!("ST${jwt2}"),
            &session
        )
        .await
        .status,
        200
    );
    // Rotate: new files, which work.
    let r = reqwest_post(
        &http,
        &format!("{}/_mock/resource-principal/rotate", mock.endpoint),
    )
    .await;
    assert_eq!(r.status, 204);
    let (rpst2, pem2) = (
        read("OCI_RESOURCE_PRINCIPAL_RPST"),
        read("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"),
    );
    assert_ne!(rpst2, rpst);
    assert_ne!(pem2, pem);
    assert_eq!(rp_sign(rpst2, pem2).await.status, 200);
    let stats = mock.state().stats_json();
    assert_eq!(stats["session_token_failures"]["revoked"], 2, "{stats}");
}

async fn reqwest_post(http: &reqwest::Client, url: &str) -> Resp {
    let r = http.post(url).send().await.unwrap();
    Resp {
        status: r.status().as_u16(),
        text: r.text().await.unwrap(),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// OKE

#[tokio::test]
async fn oke_token_endpoint_over_tls_with_the_mock_ca() {
    let mock = start_mock(MockOptions {
        oke: true,
        ..MockOptions::default()
    })
    .await;
    let oke = mock.oke_workload_identity().expect("--oke block");
    let env = &oke["env"];
    let host = env["KUBERNETES_SERVICE_HOST"].as_str().unwrap().to_string();
    assert!(
        host.starts_with("127.0.0.") && host != "127.0.0.1",
        "{host}"
    );
    assert_eq!(env["OCI_RESOURCE_PRINCIPAL_VERSION"], "2.2");
    let ca = std::fs::read(
        env["OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let token =
        std::fs::read_to_string(oke["service_account_token_path"].as_str().unwrap()).unwrap();
    let forbidden = std::fs::read_to_string(
        oke["forbidden_service_account_token_path"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let tls = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .build()
        .unwrap();
    let url = format!("https://{host}:12250/resourcePrincipalSessionTokens");
    let pod = new_key();
    let body = json!({"podKey": spki_b64(&pod)}).to_string();
    let call = |bearer: Option<String>| {
        let tls = tls.clone();
        let url = url.clone();
        let body = body.clone();
        async move {
            let mut req = tls
                .post(url)
                .header("content-type", "application/json")
                .header("opc-request-id", "test-oke")
                .body(body);
            if let Some(b) = bearer {
                req = req.header("authorization", format!("Bearer {b}"));
            }
            let r = req.send().await.unwrap();
            Resp {
                status: r.status().as_u16(),
                text: r.text().await.unwrap(),
                ..Default::default()
            }
        }
    };
    let r = call(Some(token.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A JSON string holding base64 of {"token": "ST$<jwt>"}.
    let b64 = r.json().as_str().expect("a JSON string").to_string();
    let inner: Value = serde_json::from_slice(&B64.decode(b64).unwrap()).unwrap();
    let st = inner["token"].as_str().unwrap();
    let jwt = st.strip_prefix("ST$").expect("ST$ prefix");
    let (_, c) = claims(jwt);
    assert_eq!(c["ptype"], "resource");
    assert_eq!(c["res_tenant"], mock.tenancy_ocid.as_str());
    let r = list_tokens(&tls_free(), &mock.endpoint, &mock.user_ocids[0], st, &pod).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let r = call(Some("wrong".into())).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json()["code"], "NotAuthenticated");
    let r = call(None).await;
    assert_eq!(r.status, 401);
    let r = call(Some(forbidden)).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Without the mock's CA the handshake fails.
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(plain.post(&url).body(body.clone()).send().await.is_err());
    assert_eq!(mock.state().stats_json()["federation_requests"]["oke"], 4);
}

fn tls_free() -> reqwest::Client {
    http()
}

// ---------------------------------------------------------------------------------------------
// The binary's ready line

#[test]
fn ready_line_carries_the_platform_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let mock = test_support::MockProcess::spawn(
        env!("CARGO_BIN_EXE_oci-identity-mock"),
        &dir.path().join("data"),
        &["--session-ttl-s", "5"],
        Stdio::null(),
    );
    let data = std::fs::canonicalize(dir.path().join("data")).unwrap();
    let ip = &mock.ready["instance_principal"];
    assert_eq!(
        ip["env"],
        json!({
            "OCI_METADATA_BASE_URL": format!("{}/opc/v2", mock.endpoint),
            "OCI_SDK_AUTH_CLIENT_REGION_URL": mock.endpoint,
        })
    );
    assert!(ip["instance_ocid"]
        .as_str()
        .unwrap()
        .starts_with("ocid1.instance."));
    assert_eq!(ip["tenancy_ocid"], mock.tenancy_ocid.as_str());
    assert_eq!(ip["region"], "us-ashburn-1");
    let rp = &mock.ready["resource_principal"]["env"];
    assert_eq!(
        *rp,
        json!({
            "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
            "OCI_RESOURCE_PRINCIPAL_RPST": data.join("rp/rpst"),
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": data.join("rp/private.pem"),
            "OCI_RESOURCE_PRINCIPAL_REGION": "us-ashburn-1",
        })
    );
    assert!(mock.ready.get("oke_workload_identity").is_none());
    assert!(mock.oke_workload_identity_env().is_none());
    let env = mock.instance_principal_env();
    assert_eq!(env.len(), 2);
    assert_eq!(mock.resource_principal_env().len(), 4);
    // Secrets are never inline: only paths and URLs.
    let line = mock.ready.to_string();
    let rpst = std::fs::read_to_string(data.join("rp/rpst")).unwrap();
    assert!(!line.contains(&rpst));
    assert!(!line.contains("PRIVATE KEY"));
    let (_, c) = claims(&rpst);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 5);
    // The helpers of test-support.
    mock.revoke_sessions();
    mock.rotate_resource_principal();
    assert_ne!(std::fs::read_to_string(data.join("rp/rpst")).unwrap(), rpst);
}

#[test]
fn ready_line_with_oke() {
    let dir = tempfile::tempdir().unwrap();
    let mock = test_support::MockProcess::spawn(
        env!("CARGO_BIN_EXE_oci-identity-mock"),
        &dir.path().join("data"),
        &["--oke"],
        Stdio::null(),
    );
    let data = std::fs::canonicalize(dir.path().join("data")).unwrap();
    let oke = &mock.ready["oke_workload_identity"];
    let host = oke["env"]["KUBERNETES_SERVICE_HOST"].as_str().unwrap();
    assert!(host.starts_with("127.0.0."), "{oke}");
    assert_eq!(
        oke["env"]["OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH"],
        json!(data.join("oke/ca.crt"))
    );
    assert_eq!(
        oke["service_account_token_path"],
        json!(data.join("oke/token"))
    );
    assert_eq!(
        mock.oke_service_account_token_path(),
        Some(data.join("oke/token"))
    );
    assert_eq!(mock.oke_workload_identity_env().unwrap().len(), 4);
}

#[test]
fn bad_platform_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--session-ttl-s", "0"][..],
        &["--session-ttl-s", "x"][..],
        &["--oke=yes"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_oci-identity-mock"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let help = Command::new(env!("CARGO_BIN_EXE_oci-identity-mock"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for needle in [
        "--session-ttl-s",
        "--oke",
        "/v1/x509",
        "/opc/v2/identity/cert.pem",
        "/_mock/sessions/revoke",
        "/_mock/resource-principal/rotate",
        "manage users in tenancy",
    ] {
        assert!(help.contains(needle), "{needle}");
    }
}

// ---------------------------------------------------------------------------------------------
// The official OCI Python SDK as an independent client

fn run_python(script: &str, args: &[&str], env: &[(String, String)]) -> Value {
    let python = test_support::oci_python();
    let out = Command::new(&python)
        .args(["-c", script])
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING", "True")
        .env("SUPPRESS_LABEL_WARNING", "True")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn spawn_for_sdk(dir: &Path, args: &[&str]) -> test_support::MockProcess {
    test_support::MockProcess::spawn(
        env!("CARGO_BIN_EXE_oci-identity-mock"),
        &dir.join("data"),
        args,
        Stdio::null(),
    )
}

#[test]
#[cfg_attr(
    missing_oci_sdk,
    ignore = "OCI Python SDK not found (a .venv python that can `import oci`): run scripts/setup-tools.sh"
)]
fn official_python_sdk_instance_principal_signer() {
    let dir = tempfile::tempdir().unwrap();
    let mock = spawn_for_sdk(dir.path(), &["--users", "2"]);
    let script = r#"
import json, sys, oci
endpoint, user = sys.argv[1], sys.argv[2]
signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner(
    federation_endpoint=endpoint + "/v1/x509")
client = oci.identity.IdentityClient({"region": signer.region}, signer=signer,
                                     service_endpoint=endpoint)
made = client.create_auth_token(
    oci.identity.models.CreateAuthTokenDetails(description="from an instance"), user).data
listed = client.list_auth_tokens(user).data
client.delete_auth_token(user, made.id)
after = client.list_auth_tokens(user).data
print(json.dumps({"region": signer.region, "tenancy": signer.tenancy_id,
                  "made": made.id, "listed": [t.id for t in listed],
                  "after": len(after), "secret": len(made.token or "")}))
"#;
    let r = run_python(
        script,
        &[&mock.endpoint, &mock.user_ocids[1]],
        &mock.instance_principal_env(),
    );
    assert_eq!(r["region"], "us-ashburn-1");
    assert_eq!(r["tenancy"], mock.tenancy_ocid.as_str());
    assert_eq!(r["listed"], json!([r["made"]]));
    assert_eq!(r["after"], 0);
    assert_eq!(r["secret"], 20);
    let stats = mock.stats();
    assert_eq!(stats["federation_requests"]["x509"], 1, "{stats}");
    assert_eq!(stats["auth_failures"], 0, "{stats}");
}

#[test]
#[cfg_attr(
    missing_oci_sdk,
    ignore = "OCI Python SDK not found (a .venv python that can `import oci`): run scripts/setup-tools.sh"
)]
fn official_python_sdk_resource_principal_signer() {
    let dir = tempfile::tempdir().unwrap();
    let mock = spawn_for_sdk(dir.path(), &[]);
    let script = r#"
import json, sys, oci
endpoint, user = sys.argv[1], sys.argv[2]
signer = oci.auth.signers.get_resource_principals_signer()
client = oci.identity.IdentityClient({"region": signer.region}, signer=signer,
                                     service_endpoint=endpoint)
made = client.create_auth_token(
    oci.identity.models.CreateAuthTokenDetails(description="from a function"), user).data
listed = client.list_auth_tokens(user).data
client.delete_auth_token(user, made.id)
print(json.dumps({"region": signer.region, "tenancy": signer.tenancy_id,
                  "listed": [t.id for t in listed], "made": made.id}))
"#;
    let user = mock.user_ocids[0].clone();
    // File-based, as the ready line gives it.
    let r = run_python(
        script,
        &[&mock.endpoint, &user],
        &mock.resource_principal_env(),
    );
    assert_eq!(r["region"], "us-ashburn-1");
    assert_eq!(r["tenancy"], mock.tenancy_ocid.as_str());
    assert_eq!(r["listed"], json!([r["made"]]));
    // Inline, with the encrypted key and its pass phrase. (The Python SDK cannot read a pass
    // phrase *file*: it opens it with mode "b", a ValueError, oci 2.189.0, so the file-based
    // encrypted variant is left to the Go-compatible clients.)
    let rp = &mock.ready["resource_principal"];
    let read = |p: &Value| std::fs::read_to_string(p.as_str().unwrap()).unwrap();
    let mut env: Vec<(String, String)> = mock
        .resource_principal_env()
        .into_iter()
        .filter(|(k, _)| {
            k == "OCI_RESOURCE_PRINCIPAL_VERSION" || k == "OCI_RESOURCE_PRINCIPAL_REGION"
        })
        .collect();
    env.push((
        "OCI_RESOURCE_PRINCIPAL_RPST".into(),
        read(&rp["env"]["OCI_RESOURCE_PRINCIPAL_RPST"]),
    ));
    env.push((
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM".into(),
        read(&rp["private_pem_encrypted"]),
    ));
    env.push((
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE".into(),
        read(&rp["private_pem_passphrase"]),
    ));
    let r = run_python(script, &[&mock.endpoint, &user], &env);
    assert_eq!(r["listed"], json!([r["made"]]));
    let stats = mock.stats();
    assert_eq!(stats["auth_failures"], 0, "{stats}");
}

#[test]
#[cfg_attr(
    missing_oci_sdk,
    ignore = "OCI Python SDK not found (a .venv python that can `import oci`): run scripts/setup-tools.sh"
)]
fn official_python_sdk_oke_workload_identity_signer() {
    let dir = tempfile::tempdir().unwrap();
    let mock = spawn_for_sdk(dir.path(), &["--oke"]);
    let script = r#"
import json, sys, oci
endpoint, user, token_path = sys.argv[1], sys.argv[2], sys.argv[3]
signer = oci.auth.signers.get_oke_workload_identity_resource_principal_signer(
    service_account_token_path=token_path)
client = oci.identity.IdentityClient({"region": signer.region}, signer=signer,
                                     service_endpoint=endpoint)
made = client.create_auth_token(
    oci.identity.models.CreateAuthTokenDetails(description="from a pod"), user).data
listed = client.list_auth_tokens(user).data
print(json.dumps({"region": signer.region, "listed": [t.id for t in listed], "made": made.id}))
"#;
    let token = mock.oke_service_account_token_path().unwrap();
    let r = run_python(
        script,
        &[&mock.endpoint, &mock.user_ocids[0], token.to_str().unwrap()],
        &mock.oke_workload_identity_env().unwrap(),
    );
    assert_eq!(r["region"], "us-ashburn-1");
    assert_eq!(r["listed"], json!([r["made"]]));
    let stats = mock.stats();
    assert_eq!(stats["federation_requests"]["oke"], 1, "{stats}");
    assert_eq!(stats["auth_failures"], 0, "{stats}");
}

// ---------------------------------------------------------------------------------------------
// Resource principal 1.1

#[tokio::test]
async fn resource_principal_1_1_token_and_session_token_exchange() {
    let mock = start_mock(MockOptions::default()).await;
    let http = http();
    let inst = instance(&http, &mock).await;
    let ip_session = new_key();
    let ip = format!(
        "ST${}",
        session_token(&http, &mock, &inst, &ip_session).await
    );
    let instance_id = imds_get(&http, &mock, "/instance/id", true).await.text;
    let url = format!(
        "{}/20180711/resourcePrincipalToken/{instance_id}",
        mock.endpoint
    );
    async fn get_rpt(http: &reqwest::Client, url: &str, key_id: String, key: &RsaKeyPair) -> Resp {
        let r = Signed {
            method: "GET",
            url: url.to_string(),
            body: None,
            key_id,
            key,
            headers: GET_HEADERS,
        };
        send(http, r).await
    }
    let r = get_rpt(&http, &url, ip.clone(), &ip_session).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rpt = r.json()["resourcePrincipalToken"]
        .as_str()
        .unwrap()
        .to_string();
    let spst = r.json()["servicePrincipalSessionToken"]
        .as_str()
        .unwrap()
        .to_string();
    // Not with a user's API key, nor unsigned.
    let profiles = test_support::oci_config_profiles(&mock.config_file);
    let (_, p) = profiles.iter().find(|(n, _)| *n == "DEFAULT").unwrap();
    let get = |k: &str| p.iter().find(|(n, _)| *n == k).unwrap().1.clone();
    let user_key = load_key_pem(&std::fs::read_to_string(get("key_file")).unwrap());
    let user_key_id = format!("{}/{}/{}", get("tenancy"), get("user"), get("fingerprint"));
    assert_eq!(
        get_rpt(&http, &url, user_key_id, &user_key).await.status,
        401
    );

    let rp_session = new_key();
    let exchange = |rpt: &str| {
        let body = json!({
            "resourcePrincipalToken": rpt,
            "servicePrincipalSessionToken": spst,
            "sessionPublicKey": spki_b64(&rp_session),
        })
        .to_string()
        .into_bytes();
        send(
            &http,
            Signed {
                method: "POST",
                url: format!("{}/v1/resourcePrincipalSessionToken", mock.endpoint),
                body: Some(body),
                key_id: ip.clone(),
                key: &ip_session,
                headers: POST_HEADERS,
            },
        )
    };
    let r = exchange(&rpt).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rpst = r.json()["token"].as_str().unwrap().to_string();
    let (_, c) = claims(&rpst);
    assert_eq!(c["ptype"], "resource");
    let r = list_tokens(
        &http,
        &mock.endpoint,
        &mock.user_ocids[0],
        &format!("ST${rpst}"),
        &rp_session,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(exchange("rpt-unknown").await.status, 401);
    assert_eq!(mock.state().stats_json()["federation_requests"]["rpst"], 2);
}

// ---------------------------------------------------------------------------------------------
// Workload identity federation: an identity domain's /oauth2/v1/token

/// `application/x-www-form-urlencoded` of `pairs` (built by hand).
fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

struct WifSetup {
    url: String,
    id: String,
    secret: String,
    token: String,
    untrusted: String,
}

fn wif_setup(mock: &TestMock, domain: usize) -> WifSetup {
    let w = mock.workload_identity_federation();
    let read = |v: &Value| {
        std::fs::read_to_string(v.as_str().unwrap())
            .unwrap()
            .trim()
            .to_string()
    };
    let d = &w["domains"][domain];
    assert_eq!(
        d["domain_url"], mock.identity_domains[domain].idcs_endpoint,
        "{w}"
    );
    WifSetup {
        url: format!("{}/oauth2/v1/token", d["domain_url"].as_str().unwrap()),
        id: read(&d["client_id_path"]),
        secret: read(&d["client_secret_path"]),
        token: read(&w["workload_identity_token_path"]),
        untrusted: read(&w["untrusted_workload_identity_token_path"]),
    }
}

async fn exchange_basic(http: &reqwest::Client, w: &WifSetup, basic: &str, body: String) -> Resp {
    let resp = http
        .post(&w.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Basic {}", B64.encode(basic)))
        .body(body)
        .send()
        .await
        .unwrap();
    Resp {
        status: resp.status().as_u16(),
        text: resp.text().await.unwrap(),
        ..Default::default()
    }
}

#[tokio::test]
async fn token_exchange_with_the_oauth_client_mints_session_tokens() {
    let mock = start_mock(MockOptions {
        domains: 2,
        ..Default::default()
    })
    .await;
    let http = http();
    let w = wif_setup(&mock, 0);
    let creds = format!("{}:{}", w.id, w.secret);
    let session = new_key();
    let public_key = spki_b64(&session);
    let grant = "urn:ietf:params:oauth:grant-type:token-exchange";

    // UPST, as the Go SDK sends it (no subject_token_type when unset).
    let body = form(&[
        ("grant_type", grant),
        ("requested_token_type", "urn:oci:token-type:oci-upst"),
        ("public_key", &public_key),
        ("subject_token", &w.token),
    ]);
    let r = exchange_basic(&http, &w, &creds, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let upst = r.json()["token"].as_str().unwrap().to_string();
    let (h, c) = claims(&upst);
    assert_eq!(h["alg"], "RS256");
    assert_eq!(c["ptype"], "user");
    assert_eq!(c["tenant"], mock.tenancy_ocid.as_str());
    let jwk: Value = serde_json::from_str(c["jwk"].as_str().unwrap()).unwrap();
    let c_n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    let components = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(session.public_key());
    assert_eq!(
        c_n.iter().skip_while(|b| **b == 0).collect::<Vec<_>>(),
        components
            .n
            .iter()
            .skip_while(|b| **b == 0)
            .collect::<Vec<_>>(),
        "jwk is the public_key"
    );
    // It signs Identity API requests.
    let r = list_tokens(
        &http,
        &mock.endpoint,
        &mock.user_ocids[0],
        &format!("ST${upst}"),
        &session,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // RPST with res_type and rpst_exp, subject_token_type jwt, on the second domain.
    let w1 = wif_setup(&mock, 1);
    assert_ne!(w1.secret, w.secret);
    let rpst_form = |res_type: Option<&str>, subject: &str| {
        let mut pairs = vec![
            ("grant_type", grant),
            ("requested_token_type", "urn:oci:token-type:oci-rpst"),
            ("subject_token_type", "jwt"),
            ("public_key", public_key.as_str()),
            ("subject_token", subject),
            ("rpst_exp", "3600"),
        ];
        if let Some(r) = res_type {
            pairs.push(("res_type", r));
        }
        form(&pairs)
    };
    let creds1 = format!("{}:{}", w1.id, w1.secret);
    let r = exchange_basic(&http, &w1, &creds1, rpst_form(Some("workload"), &w1.token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (_, c) = claims(r.json()["token"].as_str().unwrap());
    assert_eq!(c["ptype"], "resource");
    assert_eq!(c["res_type"], "workload");

    // Refusals, in the OAuth form.
    let oauth_error = |r: &Resp, status: u16, error: &str| {
        assert_eq!(r.status, status, "{}", r.text);
        assert_eq!(r.json()["error"], error, "{}", r.text);
        assert!(r.json()["error_description"].is_string(), "{}", r.text);
    };
    let wrong = format!("{}:{}x", w.id, w.secret);
    let r = exchange_basic(&http, &w, &wrong, rpst_form(Some("workload"), &w.token)).await;
    oauth_error(&r, 401, "invalid_client");
    assert!(!r.text.contains(&w.secret));
    // Another domain's app is not this domain's.
    let r = exchange_basic(&http, &w, &creds1, rpst_form(Some("workload"), &w.token)).await;
    oauth_error(&r, 401, "invalid_client");
    // No client authentication.
    let resp = http
        .post(&w.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(rpst_form(Some("workload"), &w.token))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // Subject tokens: untrusted issuer, garbage, a session token.
    for subject in [w.untrusted.as_str(), "not-a-jwt", upst.as_str()] {
        let r = exchange_basic(&http, &w, &creds, rpst_form(Some("workload"), subject)).await;
        oauth_error(&r, 400, "invalid_grant");
    }
    let r = exchange_basic(&http, &w, &creds, rpst_form(None, &w.token)).await;
    oauth_error(&r, 400, "invalid_request");
    assert!(r.text.contains("res_type"), "{}", r.text);
    let r = exchange_basic(
        &http,
        &w,
        &creds,
        form(&[
            ("grant_type", "client_credentials"),
            ("requested_token_type", "urn:oci:token-type:oci-upst"),
        ]),
    )
    .await;
    oauth_error(&r, 400, "unsupported_grant_type");
    let r = exchange_basic(
        &http,
        &w,
        &creds,
        form(&[
            ("grant_type", grant),
            ("requested_token_type", "urn:oci:token-type:oci-upst"),
            ("public_key", "bm90IGEga2V5"),
            ("subject_token", &w.token),
        ]),
    )
    .await;
    oauth_error(&r, 400, "invalid_request");
    let stats = mock.state().stats_json();
    assert_eq!(stats["federation_requests"]["wif"], 11, "{stats}");
    assert_eq!(
        stats["requests"]["TokenExchange"]["by_status"]["200"], 2,
        "{stats}"
    );
}

#[tokio::test]
async fn token_exchange_signed_by_an_instance_principal() {
    let mock = start_mock(MockOptions::default()).await;
    let http = http();
    let w = wif_setup(&mock, 0);
    let inst = instance(&http, &mock).await;
    let ip_session = new_key();
    let ip = format!(
        "ST${}",
        session_token(&http, &mock, &inst, &ip_session).await
    );
    let session = new_key();
    let body = form(&[
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("requested_token_type", "urn:oci:token-type:oci-rpst"),
        ("subject_token_type", "jwt"),
        ("res_type", "workload"),
        ("public_key", &spki_b64(&session)),
        ("subject_token", &w.token),
    ])
    .into_bytes();
    let signed = |key_id: String, key| Signed {
        method: "POST",
        url: w.url.clone(),
        body: Some(body.clone()),
        key_id,
        key,
        headers: POST_HEADERS,
    };
    let form_type = "application/x-www-form-urlencoded";
    let r = send_typed(&http, signed(ip.clone(), &ip_session), form_type).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rpst = r.json()["token"].as_str().unwrap().to_string();
    let r = list_tokens(
        &http,
        &mock.endpoint,
        &mock.user_ocids[0],
        &format!("ST${rpst}"),
        &session,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A signature by another key, or by a user's API key, is not an instance principal's.
    let other = new_key();
    let r = send_typed(&http, signed(ip, &other), form_type).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json()["error"], "invalid_client");
    let profiles = test_support::oci_config_profiles(&mock.config_file);
    let (_, p) = profiles.iter().find(|(n, _)| *n == "DEFAULT").unwrap();
    let get = |k: &str| p.iter().find(|(n, _)| *n == k).unwrap().1.clone();
    let user_key = load_key_pem(&std::fs::read_to_string(get("key_file")).unwrap());
    let user_key_id = format!("{}/{}/{}", get("tenancy"), get("user"), get("fingerprint"));
    let r = send_typed(&http, signed(user_key_id, &user_key), form_type).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json()["error"], "invalid_client");
}

#[test]
fn ready_line_carries_resource_principal_1_1_and_workload_identity_federation() {
    let dir = tempfile::tempdir().unwrap();
    let mock = test_support::MockProcess::spawn(
        env!("CARGO_BIN_EXE_oci-identity-mock"),
        &dir.path().join("data"),
        &["--domains", "2"],
        Stdio::null(),
    );
    let data = std::fs::canonicalize(dir.path().join("data")).unwrap();
    assert_eq!(
        mock.ready["resource_principal_1_1"]["env"],
        json!({
            "OCI_RESOURCE_PRINCIPAL_VERSION": "1.1",
            "OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT": mock.endpoint,
            "OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT": mock.endpoint,
            "OCI_RESOURCE_PRINCIPAL_REGION": "us-ashburn-1",
            "OCI_METADATA_BASE_URL": format!("{}/opc/v2", mock.endpoint),
            "OCI_SDK_AUTH_CLIENT_REGION_URL": mock.endpoint,
        })
    );
    let w = &mock.ready["workload_identity_federation"];
    assert_eq!(
        w["workload_identity_token_path"],
        json!(data.join("wif/token"))
    );
    let domains = w["domains"].as_array().unwrap();
    assert_eq!(domains.len(), 2);
    for (i, d) in domains.iter().enumerate() {
        assert_eq!(
            d["domain_url"],
            mock.ready["identity_domains"][i]["idcs_endpoint"]
        );
        assert_eq!(
            d["client_secret_path"],
            json!(data.join(format!("wif/domain-{i}/client-secret")))
        );
        let secret = std::fs::read_to_string(d["client_secret_path"].as_str().unwrap()).unwrap();
        assert!(!mock.ready.to_string().contains(secret.trim()));
    }
    let token = std::fs::read_to_string(data.join("wif/token")).unwrap();
    assert!(!mock.ready.to_string().contains(token.trim()));
}

// ---------------------------------------------------------------------------------------------
// Resource principal 3.0: the parent chain

#[tokio::test]
async fn resource_principal_3_0_parent_chain() {
    let mock = start_mock(MockOptions::default()).await;
    let http = http();
    let rp3 = mock.resource_principal_3_0();
    let env = |k: &str| rp3["env"][k].as_str().unwrap().to_string();
    let parents: Vec<String> = rp3["parent_ocids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(parents.len(), 2);
    let leaf_token = std::fs::read_to_string(env("OCI_RESOURCE_PRINCIPAL_RPST_FOR_LEAF_RESOURCE"))
        .unwrap()
        .trim()
        .to_string();
    let leaf_key = load_key_pem(
        &std::fs::read_to_string(env("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_FOR_LEAF_RESOURCE"))
            .unwrap(),
    );
    let leaf = format!("ST${leaf_token}");
    let get = |url: String, key_id: String, key| {
        send(
            &http,
            Signed {
                method: "GET",
                url,
                body: None,
                key_id,
                key,
                headers: GET_HEADERS,
            },
        )
    };
    let session = new_key();
    let exchange = |answer: Value, key_id: String, key| {
        let body = json!({
            "resourcePrincipalToken": answer["resourcePrincipalToken"],
            "servicePrincipalSessionToken": answer["servicePrincipalSessionToken"],
            "sessionPublicKey": spki_b64(&session),
        })
        .to_string()
        .into_bytes();
        send(
            &http,
            Signed {
                method: "POST",
                url: format!(
                    "{}/v1/resourcePrincipalSessionToken",
                    env("OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT_FOR_PARENT_RESOURCE")
                ),
                body: Some(body),
                key_id,
                key,
                headers: POST_HEADERS,
            },
        )
    };
    // The leaf gets its parent's token; the answer names the grandparent's URL.
    let first_url = env("OCI_RESOURCE_PRINCIPAL_RPT_URL_FOR_PARENT_RESOURCE");
    assert!(first_url.ends_with(&parents[0]), "{first_url}");
    let r = get(first_url.clone(), leaf.clone(), &leaf_key).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let next = r.parent_rpt_url.clone().expect("opc-parent-rpt-url");
    assert_eq!(
        next,
        format!(
            "{}/20180711/resourcePrincipalToken/{}",
            mock.endpoint, parents[1]
        )
    );
    let answer = r.json();
    // Only the principal that got the token may exchange it.
    let other = new_key();
    let inst = instance(&http, &mock).await;
    let ip = format!("ST${}", session_token(&http, &mock, &inst, &other).await);
    assert_eq!(exchange(answer.clone(), ip, &other).await.status, 401);
    let r = exchange(answer, leaf.clone(), &leaf_key).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let parent_token = r.json()["token"].as_str().unwrap().to_string();
    let (_, c) = claims(&parent_token);
    assert_eq!(c["sub"], parents[0].as_str());
    assert_eq!(c["ptype"], "resource");
    // The leaf may not skip a level.
    assert_eq!(get(next.clone(), leaf.clone(), &leaf_key).await.status, 404);
    // The parent's session token gets the grandparent's: the end of the chain.
    let parent = format!("ST${parent_token}");
    let r = get(next, parent.clone(), &session).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.parent_rpt_url, None);
    let r = exchange(r.json(), parent, &session).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let top = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(claims(&top).1["sub"], parents[1].as_str());
    let r = list_tokens(
        &http,
        &mock.endpoint,
        &mock.user_ocids[0],
        &format!("ST${top}"),
        &session,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}
