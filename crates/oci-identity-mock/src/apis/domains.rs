//! The classic Identity API's identity domains: `GET /20160918/domains?compartmentId=...` (list,
//! OCI paging with `limit`/`page`/`opc-next-page`) and `GET /20160918/domains/{domainId}`, signed,
//! OCI error bodies. Each domain's `url` (and `homeRegionUrl`) is its own listener's origin.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};

use super::identity::BASE_PATH;
use super::{json_response, Api};
use crate::middleware::{ApiError, OciErrors};
use crate::state::{lock, MockState};

/// The home region of the mock's tenancy (as in its config file).
pub(crate) const HOME_REGION: &str = "us-ashburn-1";

pub(crate) fn router(state: &MockState) -> Router {
    Api::new(state, OciErrors)
        .operation(
            Method::GET,
            &format!("{BASE_PATH}/domains"),
            "ListDomains",
            list,
        )
        .operation(
            Method::GET,
            &format!("{BASE_PATH}/domains/{{domainId}}"),
            "GetDomain",
            get,
        )
        .into_router()
}

/// Every domain's JSON, as the Go SDK's `identity.Domain` has it.
pub(crate) fn domains_json(state: &MockState) -> Vec<Value> {
    let urls = lock(&state.inner.domain_urls).clone();
    let store = lock(&state.inner.store);
    let tenancy = store.tenancy_ocid().to_string();
    store
        .domains()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let url = urls.get(i).cloned().unwrap_or_default();
            json!({
                "id": d.ocid,
                "compartmentId": tenancy,
                "displayName": d.display_name,
                "description": if i == 0 {
                    "Default identity domain of the tenancy".to_string()
                } else {
                    format!("Identity domain {}", d.display_name)
                },
                "url": url,
                "homeRegionUrl": url,
                "homeRegion": HOME_REGION,
                "replicaRegions": [],
                "type": if i == 0 { "DEFAULT" } else { "SECONDARY" },
                "licenseType": "free",
                "isHiddenOnLogin": false,
                "timeCreated": d.time_created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "lifecycleState": "ACTIVE",
                "freeformTags": {},
                "definedTags": {},
            })
        })
        .collect()
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidParameter", message)
}

async fn list(
    State(state): State<MockState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let compartment = q
        .get("compartmentId")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                400,
                "MissingParameter",
                "Missing required parameter: compartmentId.",
            )
        })?;
    if *compartment != state.tenancy_ocid() {
        return Err(ApiError::not_authorized_or_not_found());
    }
    let limit = match q.get("limit") {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(invalid("limit must be an integer between 1 and 1000.")),
        },
    };
    let start = match q.get("page") {
        None => 0,
        Some(p) => p
            .parse::<usize>()
            .map_err(|_| invalid("page is not a valid page token."))?,
    };
    let mut all = domains_json(&state);
    let field = |d: &Value, k: &str| d[k].as_str().unwrap_or_default().to_string();
    for (param, key) in [
        ("displayName", "displayName"),
        ("name", "displayName"),
        ("url", "url"),
        ("homeRegionUrl", "homeRegionUrl"),
        ("type", "type"),
        ("licenseType", "licenseType"),
        ("lifecycleState", "lifecycleState"),
    ] {
        if let Some(want) = q.get(param) {
            all.retain(|d| field(d, key).eq_ignore_ascii_case(want));
        }
    }
    if let Some(h) = q.get("isHiddenOnLogin") {
        let want = h.eq_ignore_ascii_case("true");
        all.retain(|d| d["isHiddenOnLogin"].as_bool() == Some(want));
    }
    match q.get("sortBy").map(|s| s.to_ascii_uppercase()).as_deref() {
        None | Some("TIMECREATED") => {}
        Some("DISPLAYNAME") => all.sort_by_key(|d| field(d, "displayName").to_lowercase()),
        Some(other) => {
            return Err(invalid(format!(
                "sortBy must be TIMECREATED or DISPLAYNAME, got {other}."
            )))
        }
    }
    match q
        .get("sortOrder")
        .map(|s| s.to_ascii_uppercase())
        .as_deref()
    {
        None | Some("ASC") => {}
        Some("DESC") => all.reverse(),
        Some(_) => return Err(invalid("sortOrder must be ASC or DESC.")),
    }
    let page: Vec<Value> = all.iter().skip(start).take(limit).cloned().collect();
    let mut resp = json_response(StatusCode::OK, &Value::Array(page));
    if start + limit < all.len() {
        if let Ok(v) = HeaderValue::from_str(&(start + limit).to_string()) {
            resp.headers_mut().insert("opc-next-page", v);
        }
    }
    Ok(resp)
}

async fn get(
    State(state): State<MockState>,
    Path(domain_id): Path<String>,
) -> Result<Response, ApiError> {
    domains_json(&state)
        .into_iter()
        .find(|d| d["id"] == domain_id.as_str())
        .map(|d| json_response(StatusCode::OK, &d))
        .ok_or_else(ApiError::not_authorized_or_not_found)
}
