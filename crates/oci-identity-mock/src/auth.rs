//! Verification of OCI request signatures (draft-cavage-http-signatures, "Signature version 1").
//!
//! The `Authorization` header is `Signature version="1",headers="...",keyId="...",
//! algorithm="rsa-sha256",signature="..."` with the parameters in any order. The signing string is
//! rebuilt from the request as received: `(request-target)` is the lowercase method, a space and the
//! raw path plus query; `host` is the raw `Host` header (with its port); other names take the header
//! value. The signature is RSA PKCS#1 v1.5 over SHA-256.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use axum::http::{HeaderMap, Method, Uri};
use base64::Engine as _;
use chrono::{DateTime, Utc};

/// Maximum allowed difference between the request date and the server clock.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Why a request failed authentication (logged at debug level; never contains the signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    MissingAuthorization,
    NotSignatureScheme,
    MalformedParameters(&'static str),
    MissingParameter(&'static str),
    UnsupportedVersion(String),
    UnsupportedAlgorithm(String),
    MissingSignedHeader(&'static str),
    HeaderAbsent(String),
    BadDate(String),
    ClockSkew(i64),
    BodyHashMismatch,
    ContentLengthMismatch,
    UnknownKeyId(String),
    BadSignatureEncoding,
    BadSignature,
    /// An `ST$` session token the mock refuses (expired, unknown, revoked).
    SessionToken(crate::platform::SessionError),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::MissingAuthorization => write!(f, "no Authorization header"),
            AuthError::NotSignatureScheme => write!(f, "Authorization scheme is not Signature"),
            AuthError::MalformedParameters(why) => {
                write!(f, "malformed Authorization parameters: {why}")
            }
            AuthError::MissingParameter(p) => write!(f, "Authorization parameter {p} missing"),
            AuthError::UnsupportedVersion(v) => write!(f, "unsupported signature version {v:?}"),
            AuthError::UnsupportedAlgorithm(a) => write!(f, "unsupported algorithm {a:?}"),
            AuthError::MissingSignedHeader(h) => write!(f, "required header {h} is not signed"),
            AuthError::HeaderAbsent(h) => write!(f, "signed header {h} is absent from the request"),
            AuthError::BadDate(d) => write!(f, "unparseable date {d:?}"),
            AuthError::ClockSkew(s) => write!(f, "date is {s} s away from the server clock"),
            AuthError::BodyHashMismatch => write!(f, "x-content-sha256 does not match the body"),
            AuthError::ContentLengthMismatch => write!(f, "content-length does not match the body"),
            // A session-token keyId (`ST$<token>`) carries a credential: never print it.
            AuthError::UnknownKeyId(k) if k.starts_with("ST$") => {
                write!(f, "unknown session-token keyId")
            }
            AuthError::UnknownKeyId(k) => write!(f, "unknown keyId {k:?}"),
            AuthError::BadSignatureEncoding => write!(f, "signature is not valid base64"),
            AuthError::BadSignature => write!(f, "signature verification failed"),
            AuthError::SessionToken(why) => write!(f, "session token refused: {}", why.name()),
        }
    }
}

impl std::error::Error for AuthError {}

/// The parameters of a `Signature` Authorization header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    pub version: Option<String>,
    pub key_id: String,
    pub algorithm: String,
    /// Lowercase header names in signing order.
    pub headers: Vec<String>,
    pub signature: String,
}

/// Parses `Signature k="v",k="v",...` (parameters by name, any order, optional spaces).
pub fn parse_authorization(value: &str) -> Result<SignatureParams, AuthError> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').ok_or(AuthError::NotSignatureScheme)?;
    if !scheme.eq_ignore_ascii_case("Signature") {
        return Err(AuthError::NotSignatureScheme);
    }
    let mut version = None;
    let mut key_id = None;
    let mut algorithm = None;
    let mut headers = None;
    let mut signature = None;
    let mut rest = rest.trim_start();
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or(AuthError::MalformedParameters("parameter without '='"))?;
        let name = name.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let after = after
            .strip_prefix('"')
            .ok_or(AuthError::MalformedParameters("parameter value not quoted"))?;
        let (val, after) = after.split_once('"').ok_or(AuthError::MalformedParameters(
            "unterminated parameter value",
        ))?;
        let slot = match name.as_str() {
            "version" => &mut version,
            "keyid" => &mut key_id,
            "algorithm" => &mut algorithm,
            "headers" => &mut headers,
            "signature" => &mut signature,
            _ => &mut None, // unknown parameters are ignored
        };
        if slot.is_some() {
            return Err(AuthError::MalformedParameters("duplicate parameter"));
        }
        *slot = Some(val.to_string());
        let after = after.trim_start();
        rest = match after.strip_prefix(',') {
            Some(r) => r.trim_start(),
            None if after.is_empty() => after,
            None => {
                return Err(AuthError::MalformedParameters(
                    "missing ',' between parameters",
                ))
            }
        };
    }
    let headers = headers
        .ok_or(AuthError::MissingParameter("headers"))?
        .split_ascii_whitespace()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    Ok(SignatureParams {
        version,
        key_id: key_id.ok_or(AuthError::MissingParameter("keyId"))?,
        algorithm: algorithm.ok_or(AuthError::MissingParameter("algorithm"))?,
        headers,
        signature: signature.ok_or(AuthError::MissingParameter("signature"))?,
    })
}

/// The raw request target: lowercase method, a space, path plus query as received.
pub fn request_target(method: &Method, uri: &Uri) -> String {
    let pq = uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or_else(|| uri.path());
    format!("{} {}", method.as_str().to_ascii_lowercase(), pq)
}

/// Builds the signing string for `names` from the request as received.
pub fn signing_string(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    names: &[String],
) -> Result<Vec<u8>, AuthError> {
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        match name.as_str() {
            "(request-target)" => out.extend_from_slice(request_target(method, uri).as_bytes()),
            "host" => match headers.get("host") {
                Some(h) => out.extend_from_slice(h.as_bytes()),
                None => match uri.authority() {
                    Some(a) => out.extend_from_slice(a.as_str().as_bytes()),
                    None => return Err(AuthError::HeaderAbsent("host".into())),
                },
            },
            _ => {
                let mut values = headers.get_all(name.as_str()).iter().peekable();
                if values.peek().is_none() {
                    return Err(AuthError::HeaderAbsent(name.clone()));
                }
                for (j, v) in values.enumerate() {
                    if j > 0 {
                        out.extend_from_slice(b", ");
                    }
                    out.extend_from_slice(v.as_bytes());
                }
            }
        }
    }
    Ok(out)
}

/// base64(SHA-256(body)), as sent in `x-content-sha256`.
pub fn body_sha256_b64(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(digest::digest(&digest::SHA256, body).as_ref())
}

/// hex(SHA-256(bytes)), lowercase.
pub fn sha256_hex(bytes: &[u8]) -> String {
    digest::digest(&digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The identity a request was signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub key_id: String,
    /// For an `ST$<jwt>` keyId: the instance or resource principal the token stands for.
    pub principal: Option<crate::platform::Principal>,
}

/// Which headers a request must sign besides `(request-target)` and a date (and, with a body,
/// `content-length content-type x-content-sha256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// `host` must be signed (every API; not the auth service's federation calls).
    pub require_host: bool,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules { require_host: true }
    }
}

/// Verifies a request's signature. `lookup` maps a keyId to the SubjectPublicKeyInfo (or PKCS#1)
/// DER of its public key.
pub fn verify<'k>(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
    lookup: impl Fn(&str) -> Option<&'k [u8]>,
) -> Result<Verified, AuthError> {
    verify_with(method, uri, headers, body, now, Rules::default(), |k| {
        lookup(k)
            .map(std::borrow::Cow::Borrowed)
            .ok_or_else(|| AuthError::UnknownKeyId(k.to_string()))
    })
}

/// [`verify`] with explicit [`Rules`] and a `lookup` that may compute the key (SPKI or PKCS#1
/// DER) or refuse the keyId with its own error.
pub fn verify_with<'k>(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
    rules: Rules,
    lookup: impl FnOnce(&str) -> Result<std::borrow::Cow<'k, [u8]>, AuthError>,
) -> Result<Verified, AuthError> {
    let auth = headers
        .get("authorization")
        .ok_or(AuthError::MissingAuthorization)?
        .to_str()
        .map_err(|_| AuthError::MalformedParameters("non-ASCII Authorization header"))?;
    let params = parse_authorization(auth)?;
    match params.version.as_deref() {
        Some("1") => {}
        Some(v) => return Err(AuthError::UnsupportedVersion(v.to_string())),
        None => return Err(AuthError::MissingParameter("version")),
    }
    if !params.algorithm.eq_ignore_ascii_case("rsa-sha256") {
        return Err(AuthError::UnsupportedAlgorithm(params.algorithm.clone()));
    }
    let signed = |h: &str| params.headers.iter().any(|x| x == h);
    for required in ["(request-target)", "host"] {
        if required == "host" && !rules.require_host {
            continue;
        }
        if !signed(required) {
            return Err(AuthError::MissingSignedHeader(required));
        }
    }
    let date_header = if signed("x-date") {
        "x-date"
    } else if signed("date") {
        "date"
    } else {
        return Err(AuthError::MissingSignedHeader("date"));
    };
    let has_body = matches!(*method, Method::POST | Method::PUT | Method::PATCH);
    if has_body {
        for required in ["content-length", "content-type", "x-content-sha256"] {
            if !signed(required) {
                return Err(AuthError::MissingSignedHeader(required));
            }
        }
    }
    // Date within the allowed skew.
    let date_text = header_str(headers, date_header)
        .ok_or_else(|| AuthError::HeaderAbsent(date_header.to_string()))?;
    let date = DateTime::parse_from_rfc2822(date_text)
        .or_else(|_| DateTime::parse_from_rfc3339(date_text))
        .map_err(|_| AuthError::BadDate(date_text.to_string()))?;
    let skew = (now - date.with_timezone(&Utc)).num_seconds();
    if skew.abs() > MAX_CLOCK_SKEW_SECS {
        return Err(AuthError::ClockSkew(skew));
    }
    // Body integrity.
    if signed("x-content-sha256") {
        let sent = header_str(headers, "x-content-sha256")
            .ok_or_else(|| AuthError::HeaderAbsent("x-content-sha256".into()))?;
        if sent != body_sha256_b64(body) {
            return Err(AuthError::BodyHashMismatch);
        }
    }
    if signed("content-length") {
        let sent = header_str(headers, "content-length")
            .ok_or_else(|| AuthError::HeaderAbsent("content-length".into()))?;
        if sent.parse::<usize>().ok() != Some(body.len()) {
            return Err(AuthError::ContentLengthMismatch);
        }
    }
    let key = lookup(&params.key_id)?;
    let signing = signing_string(method, uri, headers, &params.headers)?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(params.signature.trim())
        .map_err(|_| AuthError::BadSignatureEncoding)?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.as_ref())
        .verify(&signing, &signature)
        .map_err(|_| AuthError::BadSignature)?;
    Ok(Verified {
        key_id: params.key_id,
        principal: None,
    })
}

/// Splits a keyId `tenancy/user/fingerprint`.
pub fn split_key_id(key_id: &str) -> Option<(&str, &str, &str)> {
    let mut parts = key_id.splitn(3, '/');
    Some((parts.next()?, parts.next()?, parts.next()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::signature::KeyPair as _;
    use axum::http::HeaderValue;

    struct Key {
        pair: aws_lc_rs::rsa::KeyPair,
        spki: Vec<u8>,
    }

    fn key() -> Key {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let spki = pair.public_key().as_der().unwrap().as_ref().to_vec();
        Key { pair, spki }
    }

    fn sign(
        key: &Key,
        method: &Method,
        uri: &Uri,
        headers: &mut HeaderMap,
        names: &str,
        key_id: &str,
        order_python: bool,
    ) {
        let names: Vec<String> = names.split(' ').map(String::from).collect();
        let s = signing_string(method, uri, headers, &names).unwrap();
        let mut sig = vec![0u8; key.pair.public_modulus_len()];
        key.pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                &s,
                &mut sig,
            )
            .unwrap();
        let sig = base64::engine::general_purpose::STANDARD.encode(sig);
        let value = if order_python {
            format!(
                "Signature algorithm=\"rsa-sha256\",headers=\"{}\",keyId=\"{key_id}\",signature=\"{sig}\",version=\"1\"",
                names.join(" ")
            )
        } else {
            format!(
                "Signature version=\"1\",headers=\"{}\",keyId=\"{key_id}\",algorithm=\"rsa-sha256\",signature=\"{sig}\"",
                names.join(" ")
            )
        };
        headers.insert("authorization", HeaderValue::from_str(&value).unwrap());
    }

    fn base_headers(now: DateTime<Utc>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            "date",
            HeaderValue::from_str(&now.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).unwrap(),
        );
        h
    }

    #[test]
    fn parse_any_order_and_spaces() {
        let p = parse_authorization(
            r#"Signature signature="abc=", keyId="t/u/f",headers="date (request-target) host" ,algorithm="rsa-sha256",version="1""#,
        )
        .unwrap();
        assert_eq!(p.key_id, "t/u/f");
        assert_eq!(p.headers, vec!["date", "(request-target)", "host"]);
        assert_eq!(p.signature, "abc=");
        assert!(parse_authorization("Bearer x").is_err());
        assert!(parse_authorization("Signature keyId=\"x").is_err());
        assert!(parse_authorization("Signature keyId=x").is_err());
        assert!(parse_authorization("Signature").is_err());
        assert!(parse_authorization("Signature keyId=\"a\",keyId=\"b\"").is_err());
    }

    #[test]
    fn signing_string_layout() {
        let uri: Uri = "/20160918/users/u/authTokens/?a=b%20c".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("example:1234"));
        h.insert(
            "date",
            HeaderValue::from_static("Thu, 05 Jan 2014 21:31:40 GMT"),
        );
        let s = signing_string(
            &Method::GET,
            &uri,
            &h,
            &["date".into(), "(request-target)".into(), "host".into()],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(s).unwrap(),
            "date: Thu, 05 Jan 2014 21:31:40 GMT\n(request-target): get /20160918/users/u/authTokens/?a=b%20c\nhost: example:1234"
        );
    }

    #[test]
    fn verify_get_and_post() {
        let k = key();
        let now = Utc::now();
        let lookup = |id: &str| (id == "t/u/f").then_some(k.spki.as_slice());
        let uri: Uri = "/20160918/users/u/authTokens".parse().unwrap();

        for python in [false, true] {
            let mut h = base_headers(now);
            sign(
                &k,
                &Method::GET,
                &uri,
                &mut h,
                "date (request-target) host",
                "t/u/f",
                python,
            );
            assert!(verify(&Method::GET, &uri, &h, b"", now, lookup).is_ok());
        }

        let body = br#"{"description":"d"}"#;
        let mut h = base_headers(now);
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.insert("content-length", HeaderValue::from(body.len()));
        h.insert(
            "x-content-sha256",
            HeaderValue::from_str(&body_sha256_b64(body)).unwrap(),
        );
        let names = "date (request-target) host content-length content-type x-content-sha256";
        sign(&k, &Method::POST, &uri, &mut h, names, "t/u/f", false);
        assert!(verify(&Method::POST, &uri, &h, body, now, lookup).is_ok());
        // Tampered body.
        assert_eq!(
            verify(
                &Method::POST,
                &uri,
                &h,
                br#"{"description":"e"}"#,
                now,
                lookup
            ),
            Err(AuthError::BodyHashMismatch)
        );
        // Different method → different signing string.
        assert_eq!(
            verify(&Method::PUT, &uri, &h, body, now, lookup),
            Err(AuthError::BadSignature)
        );
        // POST without the body headers signed.
        let mut h2 = base_headers(now);
        sign(
            &k,
            &Method::POST,
            &uri,
            &mut h2,
            "date (request-target) host",
            "t/u/f",
            false,
        );
        assert_eq!(
            verify(&Method::POST, &uri, &h2, b"", now, lookup),
            Err(AuthError::MissingSignedHeader("content-length"))
        );
    }

    #[test]
    fn verify_rejections() {
        let k = key();
        let other = key();
        let now = Utc::now();
        let lookup = |id: &str| (id == "t/u/f").then_some(k.spki.as_slice());
        let uri: Uri = "/20160918/users/u/authTokens".parse().unwrap();
        let names = "date (request-target) host";

        assert_eq!(
            verify(&Method::GET, &uri, &base_headers(now), b"", now, lookup),
            Err(AuthError::MissingAuthorization)
        );
        let mut h = base_headers(now);
        sign(&other, &Method::GET, &uri, &mut h, names, "t/u/f", false);
        assert_eq!(
            verify(&Method::GET, &uri, &h, b"", now, lookup),
            Err(AuthError::BadSignature)
        );

        let mut h = base_headers(now);
        sign(&k, &Method::GET, &uri, &mut h, names, "t/u/other", false);
        assert!(matches!(
            verify(&Method::GET, &uri, &h, b"", now, lookup),
            Err(AuthError::UnknownKeyId(_))
        ));

        let mut h = base_headers(now - chrono::Duration::minutes(10));
        sign(&k, &Method::GET, &uri, &mut h, names, "t/u/f", false);
        assert!(matches!(
            verify(&Method::GET, &uri, &h, b"", now, lookup),
            Err(AuthError::ClockSkew(_))
        ));

        let mut h = base_headers(now);
        sign(&k, &Method::GET, &uri, &mut h, "date host", "t/u/f", false);
        assert_eq!(
            verify(&Method::GET, &uri, &h, b"", now, lookup),
            Err(AuthError::MissingSignedHeader("(request-target)"))
        );

        // Signed for a different path.
        let mut h = base_headers(now);
        sign(&k, &Method::GET, &uri, &mut h, names, "t/u/f", false);
        let other_uri: Uri = "/20160918/users/v/authTokens".parse().unwrap();
        assert_eq!(
            verify(&Method::GET, &other_uri, &h, b"", now, lookup),
            Err(AuthError::BadSignature)
        );
        // Host changed.
        h.insert("host", HeaderValue::from_static("127.0.0.1:9999"));
        assert_eq!(
            verify(&Method::GET, &uri, &h, b"", now, lookup),
            Err(AuthError::BadSignature)
        );

        // Garbage signature.
        let mut h = base_headers(now);
        h.insert(
            "authorization",
            HeaderValue::from_static(
                "Signature version=\"1\",headers=\"date (request-target) host\",keyId=\"t/u/f\",algorithm=\"rsa-sha256\",signature=\"!!!\"",
            ),
        );
        assert_eq!(
            verify(&Method::GET, &uri, &h, b"", now, lookup),
            Err(AuthError::BadSignatureEncoding)
        );
    }

    #[test]
    fn key_id_split() {
        assert_eq!(split_key_id("a/b/c:d"), Some(("a", "b", "c:d")));
        assert_eq!(split_key_id("a/b"), None);
    }
}
