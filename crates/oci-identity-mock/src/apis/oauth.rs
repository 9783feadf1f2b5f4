//! An identity domain's OAuth token endpoint, as far as workload identity federation uses it:
//! `POST /oauth2/v1/token` on each domain's listener, the token exchange of RFC 8693 as the Go
//! SDK sends it (`common/auth/federation_client.go`, `tokenExchangeFederationClient`).
//!
//! - Body `application/x-www-form-urlencoded`: `grant_type` =
//!   `urn:ietf:params:oauth:grant-type:token-exchange`, `requested_token_type` =
//!   `urn:oci:token-type:oci-upst` | `urn:oci:token-type:oci-rpst`, optional
//!   `subject_token_type` (`jwt`, the official provider's default, or
//!   `urn:ietf:params:oauth:token-type:jwt`), `subject_token`, `public_key` (the session key's
//!   SPKI DER, base64), and for `oci-rpst` `res_type` (required) and optional `rpst_exp`
//!   (accepted, a positive integer; the lifetime stays `--session-ttl-s`).
//! - Client authentication, checked first: HTTP Basic with the domain's confidential app
//!   (`wif/domain-<N>/client-id` and `client-secret` in the data directory), or an OCI
//!   signature by an instance principal's `ST$` session token (the Go SDK's
//!   `token_exchange_auth = "InstancePrincipal"`: `date (request-target) host content-length
//!   content-type x-content-sha256`).
//! - The subject token must be a Kubernetes service-account JWT the mock signed, of the trusted
//!   issuer, unexpired (`wif/token`; `wif/token-untrusted` is refused).
//! - 200 `{"token": "<JWT>"}`: a session token ([`crate::platform`]) bound to `public_key`: for
//!   `oci-upst` a user principal (`ptype=user`, `sub` = the tenancy administrator, whom the
//!   domain's trust configuration impersonates); for `oci-rpst` a resource principal
//!   (`ptype=resource`, `sub` = the platform's resource OCID, `res_type` as asked). Both act
//!   with the permissions of the other principals (a dynamic group with `manage users in
//!   tenancy`).
//! - Errors in the OAuth form ([`OAuthErrors`]): 401 `invalid_client` (no, unknown or wrong
//!   client credentials, a bad signature), 400 `invalid_grant` (the subject token),
//!   400 `unsupported_grant_type`, 400 `invalid_request` (anything else malformed). Counted as
//!   the operation `TokenExchange` and as the federation flow `wif`.

use std::collections::HashMap;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::json;

use super::{json_response, Api};
use crate::auth::Rules;
use crate::middleware::{ApiError, OAuthErrors, MAX_BODY};
use crate::state::{lock, MockState};

/// The path of the token endpoint on a domain's listener.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const UPST_TOKEN_TYPE: &str = "urn:oci:token-type:oci-upst";
pub const RPST_TOKEN_TYPE: &str = "urn:oci:token-type:oci-rpst";

pub(crate) fn router(state: &MockState, domain: usize) -> Router {
    Api::new(state, OAuthErrors)
        .platform(
            Method::POST,
            TOKEN_PATH,
            "TokenExchange",
            move |State(state): State<MockState>, req: Request| async move {
                token(&state, domain, req).await
            },
        )
        .into_router()
}

fn invalid_request(why: impl Into<String>) -> ApiError {
    ApiError::new(400, "invalid_request", why)
}

fn invalid_client(state: &MockState, why: &str) -> ApiError {
    tracing::debug!("POST {TOKEN_PATH}: client authentication failed: {why}");
    lock(&state.inner.stats).auth_failure();
    ApiError::new(401, "invalid_client", "Client authentication failed.")
}

/// `%XX` and `+` decoding of one form component.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// An `application/x-www-form-urlencoded` body; a repeated or undecodable parameter is an
/// `invalid_request`.
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| invalid_request("The body is not UTF-8."))?;
    let mut form = HashMap::new();
    for pair in text.trim().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (form_decode(k), form_decode(v)) else {
            return Err(invalid_request("The body is not a valid form."));
        };
        if form.insert(k.clone(), v).is_some() {
            return Err(invalid_request(format!(
                "The parameter {k} is given more than once."
            )));
        }
    }
    Ok(form)
}

async fn token(state: &MockState, domain: usize, req: Request) -> Result<Response, ApiError> {
    lock(&state.inner.stats).federation("wif");
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| invalid_request("The request body could not be read."))?;
    let platform = state.platform();

    // Client authentication first.
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    let scheme = authorization
        .split_once(' ')
        .map_or(authorization, |(s, _)| s);
    if scheme.eq_ignore_ascii_case("Basic") {
        let code = authorization[scheme.len()..].trim();
        let decoded = STANDARD
            .decode(code)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return Err(invalid_client(state, "malformed Basic credentials"));
        };
        match platform.wif_client(domain) {
            Some(app) if app.matches(id, secret) => {}
            _ => return Err(invalid_client(state, "unknown client id or wrong secret")),
        }
    } else if scheme.eq_ignore_ascii_case("Signature") {
        let verified = crate::middleware::signature::check(state, &parts, &body, Rules::default())
            .map_err(|_| ApiError::new(401, "invalid_client", "Client authentication failed."))?;
        match verified.principal {
            Some(p) if p.ptype == "instance" && p.tenancy == state.tenancy_ocid() => {}
            _ => {
                return Err(invalid_client(
                    state,
                    "the request is not signed by an instance principal",
                ))
            }
        }
    } else {
        return Err(invalid_client(state, "no client authentication"));
    }

    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(invalid_request(
            "The request must be application/x-www-form-urlencoded.",
        ));
    }
    let form = parse_form(&body)?;
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let required = |k: &str| {
        field(k).ok_or_else(|| invalid_request(format!("The parameter {k} is required.")))
    };
    match field("grant_type") {
        Some(TOKEN_EXCHANGE_GRANT) => {}
        Some(_) => {
            return Err(ApiError::new(
                400,
                "unsupported_grant_type",
                "The grant type is not supported by this client.",
            ))
        }
        None => return Err(invalid_request("The parameter grant_type is required.")),
    }
    let requested = required("requested_token_type")?;
    if requested != UPST_TOKEN_TYPE && requested != RPST_TOKEN_TYPE {
        return Err(invalid_request(format!(
            "requested_token_type must be {UPST_TOKEN_TYPE} or {RPST_TOKEN_TYPE}."
        )));
    }
    match field("subject_token_type") {
        None | Some("jwt") | Some("urn:ietf:params:oauth:token-type:jwt") => {}
        Some(_) => {
            return Err(invalid_request(
                "subject_token_type must be jwt or urn:ietf:params:oauth:token-type:jwt.",
            ))
        }
    }
    let subject = required("subject_token")?;
    let public_key = required("public_key")?;
    let res_type = if requested == RPST_TOKEN_TYPE {
        let res_type = field("res_type").ok_or_else(|| {
            invalid_request(format!(
                "The parameter res_type is required when requested_token_type is {RPST_TOKEN_TYPE}."
            ))
        })?;
        if let Some(exp) = field("rpst_exp") {
            if !exp.parse::<u64>().is_ok_and(|n| n > 0) {
                return Err(invalid_request("rpst_exp must be a positive integer."));
            }
        }
        Some(res_type)
    } else {
        None
    };
    let spki = STANDARD
        .decode(
            crate::platform::pem_body(public_key)
                .split_whitespace()
                .collect::<String>(),
        )
        .ok()
        .filter(|der| aws_lc_rs::rsa::PublicKey::from_der(der).is_ok())
        .ok_or_else(|| {
            invalid_request("public_key must be an RSA public key (SubjectPublicKeyInfo, base64).")
        })?;
    let now = chrono::Utc::now().timestamp();
    if let Err(why) = platform.verify_service_account_token(subject, now) {
        tracing::debug!("POST {TOKEN_PATH}: invalid subject token: {why}");
        return Err(ApiError::new(400, "invalid_grant", why));
    }
    let minted = match res_type {
        None => {
            let admin = lock(&state.inner.store).admin_ocid().to_string();
            platform.mint_with(&admin, "user", "user", &spki)
        }
        Some(res_type) => platform.mint_with(&platform.resource_ocid, "resource", res_type, &spki),
    }
    .map_err(invalid_request)?;
    Ok(json_response(StatusCode::OK, &json!({ "token": minted })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode() {
        let f = parse_form(b"a=b+c&k=%2Fx%3D&empty=&flag").unwrap();
        assert_eq!(f["a"], "b c");
        assert_eq!(f["k"], "/x=");
        assert_eq!(f["empty"], "");
        assert_eq!(f["flag"], "");
        assert!(parse_form(b"a=1&a=2").is_err());
        assert!(parse_form(b"a=%zz").is_err());
    }
}
