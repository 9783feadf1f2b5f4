//! The auth service's federation endpoint, on the main listener (clients point
//! `OCI_SDK_AUTH_CLIENT_REGION_URL` at the mock's origin): `POST /v1/x509` exchanges an
//! instance certificate for a session token.
//!
//! The request is verified as the real service does it: the keyId is
//! `<tenancy>/fed-x509-sha256/<SHA-256 of the leaf DER, colon hex>` (the Go SDK) or
//! `<tenancy>/fed-x509/<SHA-1, colon hex>` (the Python SDK), hex compared case-insensitively;
//! the signature (`date (request-target) content-length content-type x-content-sha256`; `host`
//! is not required, and extra signed headers are accepted as long as they verify) must verify
//! with the leaf certificate's public key; the body's `certificate` must be the one the mock
//! issued to its instance, `intermediateCertificates` must include the mock's intermediate, the
//! tenancy must be the mock's. Then `{"token": "<JWT>"}` (see [`crate::platform`]) bound to
//! `publicKey`. 401 NotAuthenticated otherwise; 400 for a malformed body.
//!
//! Resource principal 1.1 (as the Go SDK's `resource_principals_v1.go` calls it; both calls
//! signed as usual, `host` included, with an instance principal's `ST$` token):
//! `GET /20180711/resourcePrincipalToken/{id}` (the target service's endpoint, here on the main
//! listener: `OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT`) answers `{"resourcePrincipalToken",
//! "servicePrincipalSessionToken"}` (opaque); `POST /v1/resourcePrincipalSessionToken`
//! (`OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT`) with `{"resourcePrincipalToken",
//! "servicePrincipalSessionToken", "sessionPublicKey"}` answers `{"token": "<JWT>"}`, a resource
//! principal session token (`ptype=resource`) bound to `sessionPublicKey`.
//!
//! Resource principal 3.0 (`resource_principals_v3.go`): the same two calls signed by a
//! resource principal's `ST$` token. The platform's chain is the resource principal pair's
//! resource, then its two parents ([`crate::platform::Platform::parent_ocids`]): a resource
//! principal may get the token of its own parent only (404 NotAuthorizedOrNotFound otherwise),
//! and the answer carries `opc-parent-rpt-url` with the next parent's token URL while there is
//! one. The exchange must be signed by the principal that got the token, and mints a session
//! token for the parent.

use std::borrow::Cow;

use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::Router;
use chrono::Utc;
use serde_json::{json, Value};

use super::{json_response, Api};
use crate::auth::{self, AuthError, Rules};
use crate::middleware::{ApiError, OciErrors, MAX_BODY};
use crate::platform::{cert_fingerprint_sha1, cert_fingerprint_sha256};
use crate::state::{lock, MockState};

pub(crate) fn router(state: &MockState) -> Router {
    Api::new(state, OciErrors)
        .platform(Method::POST, "/v1/x509", "FederateX509", x509)
        .platform(
            Method::GET,
            "/20180711/resourcePrincipalToken/{id}",
            "GetResourcePrincipalToken",
            resource_principal_token,
        )
        .platform(
            Method::POST,
            "/v1/resourcePrincipalSessionToken",
            "ResourcePrincipalSessionToken",
            resource_principal_session_token,
        )
        .into_router()
}

fn refused(state: &MockState, why: &str) -> ApiError {
    tracing::debug!("POST /v1/x509 not authenticated: {why}");
    lock(&state.inner.stats).auth_failure();
    ApiError::not_authenticated()
}

async fn x509(State(state): State<MockState>, req: Request) -> Result<Response, ApiError> {
    lock(&state.inner.stats).federation("x509");
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::cannot_parse("the request body could not be read"))?;
    let p = state.platform();
    let chain = p
        .chain()
        .map_err(|e| ApiError::new(500, "InternalServerError", e.to_string()))?;
    let verified = auth::verify_with(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
        Utc::now(),
        Rules {
            require_host: false,
        },
        |key_id| {
            let unknown = || AuthError::UnknownKeyId(key_id.to_string());
            let mut it = key_id.splitn(3, '/');
            let (Some(tenancy), Some(kind), Some(fp)) = (it.next(), it.next(), it.next()) else {
                return Err(unknown());
            };
            let expected = match kind {
                "fed-x509-sha256" => cert_fingerprint_sha256(&chain.leaf_cert_der),
                "fed-x509" => cert_fingerprint_sha1(&chain.leaf_cert_der),
                _ => return Err(unknown()),
            };
            if tenancy != p.tenancy || !fp.eq_ignore_ascii_case(&expected) {
                return Err(unknown());
            }
            Ok(Cow::Borrowed(chain.leaf_spki.as_slice()))
        },
    );
    if let Err(why) = verified {
        return Err(refused(&state, &why.to_string()));
    }
    let parsed: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::cannot_parse("the request body is not valid JSON"))?;
    if !parsed.is_object() {
        return Err(ApiError::cannot_parse(
            "the request body must be a JSON object",
        ));
    }
    let session_key = match p.check_federation_body(&parsed) {
        Ok(k) => k,
        Err((400, why)) => return Err(ApiError::new(400, "InvalidParameter", why)),
        Err((_, why)) => return Err(refused(&state, &why)),
    };
    let token = p
        .mint(&p.instance_ocid, "instance", &session_key)
        .map_err(|e| ApiError::new(400, "InvalidParameter", e))?;
    Ok(json_response(StatusCode::OK, &json!({ "token": token })))
}

/// Verifies a platform request signed with the session token of a principal of one of
/// `ptypes`.
async fn principal_request(
    state: &MockState,
    req: Request,
    ptypes: &[&str],
) -> Result<(crate::platform::Principal, axum::body::Bytes), ApiError> {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::cannot_parse("the request body could not be read"))?;
    let v = crate::middleware::signature::check(state, &parts, &body, Rules::default())?;
    match v.principal {
        Some(p) if ptypes.contains(&p.ptype.as_str()) => Ok((p, body)),
        _ => Err(refused(
            state,
            &format!("not signed by a principal of type {}", ptypes.join(" or ")),
        )),
    }
}

/// Resource principal 1.1 (signed by the instance): a token for the platform's resource.
/// Resource principal 3.0 (signed by a resource principal): a token for the requested parent
/// of the signer in the platform's chain, with `opc-parent-rpt-url` naming the next parent's
/// token URL while there is one.
async fn resource_principal_token(
    State(state): State<MockState>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let host = req
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (principal, _) = principal_request(&state, req, &["instance", "resource"]).await?;
    let p = state.platform();
    let mut parent_url = None;
    let mint_as = if principal.ptype == "instance" {
        p.resource_ocid.clone()
    } else {
        let chain = p.resource_chain();
        let at = chain.iter().position(|o| *o == id);
        let child = chain.iter().position(|o| *o == principal.ocid);
        match (child, at) {
            (Some(c), Some(a)) if a == c + 1 => {
                parent_url = chain
                    .get(a + 1)
                    .map(|next| format!("http://{host}/20180711/resourcePrincipalToken/{next}"));
                id.clone()
            }
            _ => return Err(ApiError::not_authorized_or_not_found()),
        }
    };
    let (rpt, spst) = p.issue_rpt(&principal.ocid, &mint_as);
    let mut resp = json_response(
        StatusCode::OK,
        &json!({"resourcePrincipalToken": rpt, "servicePrincipalSessionToken": spst}),
    );
    if let Some(url) = parent_url.and_then(|u| axum::http::HeaderValue::from_str(&u).ok()) {
        resp.headers_mut().insert("opc-parent-rpt-url", url);
    }
    Ok(resp)
}

async fn resource_principal_session_token(
    State(state): State<MockState>,
    req: Request,
) -> Result<Response, ApiError> {
    lock(&state.inner.stats).federation("rpst");
    let (principal, body) = principal_request(&state, req, &["instance", "resource"]).await?;
    let parsed: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::cannot_parse("the request body is not valid JSON"))?;
    let field = |k: &str| {
        parsed
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::new(400, "InvalidParameter", format!("{k} is required.")))
    };
    let rpt = field("resourcePrincipalToken")?;
    let spst = field("servicePrincipalSessionToken")?;
    let key = field("sessionPublicKey")?;
    let p = state.platform();
    let Some(mint_as) = p.check_rpt(rpt, spst, &principal.ocid) else {
        return Err(refused(&state, "unknown resource principal token"));
    };
    let clean: String = crate::platform::pem_body(key).split_whitespace().collect();
    let spki = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, clean)
        .map_err(|_| ApiError::new(400, "InvalidParameter", "sessionPublicKey is not base64."))?;
    let token = p
        .mint(&mint_as, "resource", &spki)
        .map_err(|e| ApiError::new(400, "InvalidParameter", e))?;
    Ok(json_response(StatusCode::OK, &json!({ "token": token })))
}
