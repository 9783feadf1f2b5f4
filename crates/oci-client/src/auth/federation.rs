//! The x509 federation call of instance principals: the instance certificate (and its key)
//! buys a session token for an in-memory session key.
//!
//! `POST {auth}/v1/x509` with JSON `certificate` (leaf PEM body), `publicKey` (session key
//! SPKI PEM body), `intermediateCertificates`, `fingerprintAlgorithm: "SHA256"`,
//! `purpose: "DEFAULT"`; signed with the leaf key, keyId
//! `<tenancy>/fed-x509-sha256/<SHA-256 of the leaf DER, colon hex>`, signed headers
//! `date (request-target) content-length content-type x-content-sha256` (no `host`).
//! The answer is `{"token": "<JWT>"}`.

use std::fmt;

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE};
use reqwest::{Method, Url};

use super::net::{self, Attempts, CallName};
use super::AuthError;
use crate::keys::RsaPrivateKey;
use crate::signer::{authorization_header, content_sha256, http_date, signing_string};

/// The headers the federation request signs, in order.
pub const FEDERATION_SIGNED_HEADERS: [&str; 5] = [
    "date",
    "(request-target)",
    "content-length",
    "content-type",
    "x-content-sha256",
];

/// The environment variable that replaces the federation host.
pub const AUTH_URL_ENV: &str = "OCI_SDK_AUTH_CLIENT_REGION_URL";

/// A PEM certificate: its DER, its base64 body and (for leaves) the tenancy of its subject.
#[derive(Clone)]
pub struct Certificate {
    pub der: Vec<u8>,
    /// The PEM body without armor or newlines.
    pub body: String,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("sha256", &sha256_fingerprint(&self.der))
            .finish()
    }
}

impl Certificate {
    /// The first `CERTIFICATE` block of `pem`.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let mut inside = false;
        let mut body = String::new();
        for line in pem.lines() {
            let line = line.trim();
            if line == "-----BEGIN CERTIFICATE-----" {
                inside = true;
            } else if line == "-----END CERTIFICATE-----" && inside {
                let der = base64::engine::general_purpose::STANDARD
                    .decode(&body)
                    .map_err(|_| "the certificate PEM has an invalid base64 body".to_owned())?;
                x509_parser::parse_x509_certificate(&der).map_err(|_| {
                    "the certificate PEM does not hold an X.509 certificate".to_owned()
                })?;
                return Ok(Self { der, body });
            } else if inside {
                body.push_str(line);
            }
        }
        Err("not a PEM certificate (no `-----BEGIN CERTIFICATE-----` block)".into())
    }

    /// The tenancy OCID of the subject: the value after `opc-tenant:` of any attribute.
    pub fn tenancy(&self) -> Option<String> {
        let (_, cert) = x509_parser::parse_x509_certificate(&self.der).ok()?;
        let tenancy = cert
            .subject()
            .iter_attributes()
            .filter_map(|a| a.as_str().ok())
            .find_map(|v| v.strip_prefix("opc-tenant:").map(str::to_owned));
        tenancy
    }
}

/// SHA-256 of `der` as lowercase colon-separated hex.
pub fn sha256_fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `{auth}/v1/x509`: from [`AUTH_URL_ENV`] (an origin) when set, else
/// `https://auth.{region}.{realm domain}`.
pub fn federation_url(auth_override: Option<&str>, region: &str) -> Result<Url, String> {
    let base = match auth_override.map(str::trim).filter(|v| !v.is_empty()) {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let region = crate::endpoints::canonical_region(region);
            let domain = crate::endpoints::realm_domain(crate::endpoints::realm_of(&region))
                .unwrap_or("oraclecloud.com");
            format!("https://auth.{region}.{domain}")
        }
    };
    Url::parse(&format!("{base}/v1/x509")).map_err(|e| {
        format!("invalid federation endpoint {base:?} (from {AUTH_URL_ENV} or the region): {e}")
    })
}

/// What the federation request carries.
pub struct FederationInput<'a> {
    pub tenancy: &'a str,
    pub leaf: &'a Certificate,
    pub leaf_key: &'a RsaPrivateKey,
    pub intermediates: &'a [Certificate],
    pub session_public_key_body: &'a str,
}

/// The body of the federation request.
pub fn federation_body(input: &FederationInput<'_>) -> Vec<u8> {
    serde_json::json!({
        "certificate": input.leaf.body,
        "publicKey": input.session_public_key_body,
        "intermediateCertificates": input.intermediates.iter().map(|c| c.body.clone()).collect::<Vec<_>>(),
        "fingerprintAlgorithm": "SHA256",
        "purpose": "DEFAULT",
    })
    .to_string()
    .into_bytes()
}

/// Builds the signed federation request (fresh `date`).
pub fn federation_request(
    url: &Url,
    input: &FederationInput<'_>,
) -> Result<reqwest::Request, String> {
    let body = federation_body(input);
    let mut headers = HeaderMap::new();
    let value = |v: &str| HeaderValue::from_str(v).map_err(|_| "invalid header value".to_owned());
    headers.insert(DATE, value(&http_date(chrono::Utc::now()))?);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert("x-content-sha256", value(&content_sha256(&body))?);
    let key_id = format!(
        "{}/fed-x509-sha256/{}",
        input.tenancy,
        sha256_fingerprint(&input.leaf.der)
    );
    let text = signing_string(&Method::POST, url, &headers, &FEDERATION_SIGNED_HEADERS)
        .map_err(|e| e.to_string())?;
    let signature = input
        .leaf_key
        .sign_sha256(text.as_bytes())
        .map_err(|e| format!("cannot sign the federation request with the instance key: {e}"))?;
    let signature = base64::engine::general_purpose::STANDARD.encode(signature);
    let mut auth = value(&authorization_header(
        &key_id,
        &FEDERATION_SIGNED_HEADERS,
        &signature,
    ))?;
    auth.set_sensitive(true);
    headers.insert(AUTHORIZATION, auth);
    headers.insert(
        reqwest::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    let mut request = reqwest::Request::new(Method::POST, url.clone());
    *request.headers_mut() = headers;
    *request.body_mut() = Some(body.into());
    Ok(request)
}

/// Sends the federation request and returns the session token.
pub async fn federate(
    http: &reqwest::Client,
    mode: &'static str,
    url: &Url,
    input: &FederationInput<'_>,
) -> Result<String, AuthError> {
    let url_text = url.as_str().to_owned();
    let name = CallName {
        mode,
        what: "federation (x509)",
        url: &url_text,
        override_hint: "the federation endpoint is https://auth.<region>.<realm domain> unless OCI_SDK_AUTH_CLIENT_REGION_URL is set",
    };
    let body = net::send(http, name, Attempts::DEFAULT, &|| {
        federation_request(url, input).map_err(|m| AuthError::new(mode, m))
    })
    .await?;
    #[derive(serde::Deserialize)]
    struct Answer {
        token: String,
    }
    let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
        AuthError::new(
            mode,
            format!("the federation endpoint {url_text} answered without a {{\"token\": …}} body"),
        )
    })?;
    Ok(answer.token)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    pub(crate) const TENANCY: &str = "ocid1.tenancy.oc1..aaaatest";
    pub(crate) const INSTANCE: &str = "ocid1.instance.oc1.iad.aaaatest";

    /// A self-signed RSA 2048 leaf whose subject says `opc-tenant:<tenancy>`, as PEM
    /// (certificate, PKCS#8 key).
    pub(crate) fn leaf_pem(tenancy: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!("opc-instance:{INSTANCE}"),
        );
        params.distinguished_name.push(
            rcgen::DnType::OrganizationalUnitName,
            format!("opc-tenant:{tenancy}"),
        );
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn parse_authorization(value: &str) -> std::collections::HashMap<String, String> {
        value
            .trim_start_matches("Signature ")
            .split("\",")
            .filter_map(|p| p.split_once("=\""))
            .map(|(k, v)| (k.to_owned(), v.trim_end_matches('"').to_owned()))
            .collect()
    }

    #[test]
    fn tenancy_comes_from_the_subject() {
        let (pem, _) = leaf_pem(TENANCY);
        let cert = Certificate::from_pem(&pem).unwrap();
        assert_eq!(cert.tenancy().as_deref(), Some(TENANCY));
        assert!(!cert.body.contains('\n') && !cert.body.contains("BEGIN"));
        assert!(Certificate::from_pem("nope").is_err());
        let shown = format!("{cert:?}");
        assert!(!shown.contains(&cert.body[..40]), "{shown}");
    }

    #[test]
    fn federation_request_is_signed_as_the_sdk_does() {
        let (pem, key_pem) = leaf_pem(TENANCY);
        let leaf = Certificate::from_pem(&pem).unwrap();
        let leaf_key = RsaPrivateKey::from_pem(&key_pem, None).unwrap();
        let session = RsaPrivateKey::generate_rsa2048().unwrap();
        let intermediate = leaf.clone();
        let session_body = session.public_key_pem_body();
        let input = FederationInput {
            tenancy: TENANCY,
            leaf: &leaf,
            leaf_key: &leaf_key,
            intermediates: std::slice::from_ref(&intermediate),
            session_public_key_body: &session_body,
        };
        let url = federation_url(Some("http://127.0.0.1:9/"), "us-ashburn-1").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/v1/x509");
        let request = federation_request(&url, &input).unwrap();

        let body: serde_json::Value =
            serde_json::from_slice(request.body().unwrap().as_bytes().unwrap()).unwrap();
        assert_eq!(body["certificate"], leaf.body);
        assert_eq!(body["publicKey"], session_body);
        assert_eq!(body["intermediateCertificates"][0], intermediate.body);
        assert_eq!(body["fingerprintAlgorithm"], "SHA256");
        assert_eq!(body["purpose"], "DEFAULT");

        let headers = request.headers();
        let auth = parse_authorization(headers[AUTHORIZATION].to_str().unwrap());
        let fp = sha256_fingerprint(&leaf.der);
        assert_eq!(fp.len(), 95);
        assert_eq!(auth["keyId"], format!("{TENANCY}/fed-x509-sha256/{fp}"));
        assert_eq!(
            auth["headers"],
            "date (request-target) content-length content-type x-content-sha256"
        );
        assert_eq!(auth["algorithm"], "rsa-sha256");
        assert!(headers[AUTHORIZATION].is_sensitive());

        // The signature verifies with the leaf certificate's public key.
        let (_, cert) = x509_parser::parse_x509_certificate(&leaf.der).unwrap();
        let spki = cert.public_key().subject_public_key.data.to_vec();
        let text = format!(
            "date: {}\n(request-target): post /v1/x509\ncontent-length: {}\ncontent-type: application/json\nx-content-sha256: {}",
            headers[DATE].to_str().unwrap(),
            request.body().unwrap().as_bytes().unwrap().len(),
            content_sha256(request.body().unwrap().as_bytes().unwrap()),
        );
        let signature = base64::engine::general_purpose::STANDARD
            .decode(&auth["signature"])
            .unwrap();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &spki)
            .verify(text.as_bytes(), &signature)
            .unwrap();
    }

    #[test]
    fn default_federation_url_follows_the_realm() {
        assert_eq!(
            federation_url(None, "us-ashburn-1").unwrap().as_str(),
            "https://auth.us-ashburn-1.oraclecloud.com/v1/x509"
        );
        assert_eq!(
            federation_url(Some("  "), "iad").unwrap().as_str(),
            "https://auth.us-ashburn-1.oraclecloud.com/v1/x509"
        );
    }
}
