//! The instance metadata service (IMDS v2) of the instance the mock plays, on the main
//! listener: `GET /opc/v2/instance/region`, `/opc/v2/instance/id`, `/opc/v2/instance/regionInfo`
//! (JSON: `realmKey`, `realmDomainComponent`, `regionKey`, `regionIdentifier`),
//! `/opc/v2/identity/cert.pem`, `/opc/v2/identity/key.pem`, `/opc/v2/identity/intermediate.pem`
//! (plain text), each requiring `Authorization: Bearer Oracle` (401 otherwise, as the real
//! service). Counted as the operation `InstanceMetadata`.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

use super::Api;
use crate::middleware::{ApiError, OciErrors};
use crate::state::MockState;

/// The base path clients put in `OCI_METADATA_BASE_URL` (after the origin).
pub const IMDS_BASE_PATH: &str = "/opc/v2";

pub(crate) fn router(state: &MockState) -> Router {
    let mut api = Api::new(state, OciErrors);
    for (path, what) in [
        ("/instance/region", What::Region),
        ("/instance/id", What::InstanceId),
        ("/instance/regionInfo", What::RegionInfo),
        ("/identity/cert.pem", What::Cert),
        ("/identity/key.pem", What::Key),
        ("/identity/intermediate.pem", What::Intermediate),
    ] {
        api = api.platform(
            Method::GET,
            &format!("{IMDS_BASE_PATH}{path}"),
            "InstanceMetadata",
            move |State(state): State<MockState>, headers: HeaderMap| async move {
                serve(&state, &headers, what)
            },
        );
    }
    api.into_router()
}

#[derive(Clone, Copy)]
enum What {
    Region,
    InstanceId,
    RegionInfo,
    Cert,
    Key,
    Intermediate,
}

fn serve(state: &MockState, headers: &HeaderMap, what: What) -> Result<Response, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    if bearer != Some("Bearer Oracle") {
        return Err(ApiError::new(
            401,
            "NotAuthenticated",
            "Missing or invalid header: Authorization: Bearer Oracle is required.",
        ));
    }
    let p = state.platform();
    let chain = || {
        p.chain()
            .map_err(|e| ApiError::new(500, "InternalServerError", e.to_string()))
    };
    let body = match what {
        What::Region => p.region.clone(),
        What::InstanceId => p.instance_ocid.clone(),
        What::RegionInfo => {
            let body = serde_json::json!({
                "realmKey": "oc1",
                "realmDomainComponent": "oraclecloud.com",
                "regionKey": crate::platform::region_key(&p.region),
                "regionIdentifier": p.region,
            });
            return Ok(super::json_response(StatusCode::OK, &body));
        }
        What::Cert => chain()?.leaf_cert_pem.clone(),
        What::Key => chain()?.leaf_key_pem.clone(),
        What::Intermediate => chain()?.intermediate_pem.clone(),
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
        body,
    )
        .into_response())
}
