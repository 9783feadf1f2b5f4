//! The classic Identity API: `/20160918/users/{userId}/authTokens` (GET list, POST create) and
//! `/20160918/users/{userId}/authTokens/{authTokenId}` (PUT update, DELETE delete), signed, with
//! OCI `{"code", "message"}` error bodies. It also answers every path no API serves (404).

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::{json_response, parse_object, raw_json_response, Api};
use crate::auth::{self, Verified};
use crate::middleware::{ApiError, OciErrors};
use crate::state::{lock, MockState, NewToken, Remember, RetryRec, Store, StoreError, TokenRec};
use crate::stats::Operation;

/// Base path of the Identity API.
pub const BASE_PATH: &str = "/20160918";
/// Maximum length of a description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 400;

/// The router: one route per operation, named as in the stats.
pub(crate) fn router(state: &MockState) -> Router {
    let tokens = format!("{BASE_PATH}/users/{{userId}}/authTokens");
    let token = format!("{tokens}/{{authTokenId}}");
    Api::new(state, OciErrors)
        .operation(Method::GET, &tokens, Operation::ListAuthTokens.name(), list)
        .operation(
            Method::POST,
            &tokens,
            Operation::CreateAuthToken.name(),
            create,
        )
        .operation(
            Method::PUT,
            &token,
            Operation::UpdateAuthToken.name(),
            update,
        )
        .operation(
            Method::DELETE,
            &token,
            Operation::DeleteAuthToken.name(),
            delete,
        )
        .with_fallback()
        .into_router()
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotAuthorized | StoreError::UserNotFound | StoreError::TokenNotFound => {
                ApiError::not_authorized_or_not_found()
            }
            StoreError::LimitExceeded(n) => ApiError::new(
                400,
                "LimitExceeded",
                format!(
                    "The following service limits were exceeded: auth-token-count. A user can have at most {n} auth tokens."
                ),
            ),
            StoreError::EtagMismatch => ApiError::new(
                412,
                "NoEtagMatch",
                "The if-match etag does not match the current etag of the resource.",
            ),
            StoreError::Persist(why) => {
                tracing::error!("persisting state failed: {why}");
                ApiError::internal()
            }
        }
    }
}

fn with_etag(mut resp: Response, etag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// The API's JSON for a token at `now`: a token younger than the activation delay is still
/// `CREATING`, like a real one right after create.
fn token_json(
    t: &TokenRec,
    secret: Option<&str>,
    now: DateTime<Utc>,
    activation: chrono::Duration,
) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(t.id));
    if let Some(s) = secret {
        m.insert("token".into(), json!(s));
    }
    m.insert("userId".into(), json!(t.user_id));
    m.insert("description".into(), json!(t.description));
    m.insert(
        "timeCreated".into(),
        json!(t
            .time_created
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    );
    m.insert(
        "timeExpires".into(),
        t.expires_at().map_or(Value::Null, |e| {
            json!(e.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        }),
    );
    let state = if t.lifecycle_state == "ACTIVE" && now - t.time_created < activation {
        "CREATING"
    } else {
        t.lifecycle_state.as_str()
    };
    m.insert("lifecycleState".into(), json!(state));
    m.insert("inactiveStatus".into(), Value::Null);
    Value::Object(m)
}

/// Serializes JSON with object keys sorted, so equal bodies give equal digests.
pub(crate) fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&m[k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// `description` from a body: None when absent or null.
fn description(m: &Map<String, Value>) -> Result<Option<&str>, ApiError> {
    match m.get("description") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() > MAX_DESCRIPTION_CHARS => Err(ApiError::new(
            400,
            "InvalidParameter",
            format!("description must be at most {MAX_DESCRIPTION_CHARS} characters long."),
        )),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::new(
            400,
            "InvalidParameter",
            "description must be a string.",
        )),
    }
}

/// The OCID of the user whose key signed the request, or of the instance or resource
/// principal whose session token did.
pub(crate) fn caller_ocid(v: &Verified) -> &str {
    if let Some(p) = &v.principal {
        return &p.ocid;
    }
    auth::split_key_id(&v.key_id).map_or("", |(_, user, _)| user)
}

/// Authorization like OCI's: a user manages its own tokens, the administrator anyone's;
/// anything else is answered as if the user did not exist. Instance, resource and OKE
/// principals act as members of a dynamic group with `allow dynamic-group terraform to manage
/// users in tenancy`: anyone's tokens in their tenancy.
fn authorize(store: &Store, caller: &Verified, user_id: &str) -> Result<(), StoreError> {
    if let Some(p) = &caller.principal {
        return if p.tenancy == store.tenancy_ocid() {
            Ok(())
        } else {
            Err(StoreError::NotAuthorized)
        };
    }
    if store.may_manage(caller_ocid(caller), user_id) {
        Ok(())
    } else {
        Err(StoreError::NotAuthorized)
    }
}

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

async fn list(
    State(state): State<MockState>,
    Extension(caller): Extension<Verified>,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    let shared = &state.inner;
    let now = Utc::now();
    let tokens = {
        let store = lock(&shared.store);
        authorize(&store, &caller, &user_id)?;
        store.list_tokens(&user_id, now, shared.list_lag)?
    };
    let list: Vec<Value> = tokens
        .iter()
        .map(|t| token_json(t, None, now, shared.activation))
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Array(list)))
}

async fn create(
    State(state): State<MockState>,
    Extension(caller): Extension<Verified>,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let shared = &state.inner;
    let now = Utc::now();
    let obj = parse_object(&body, false)?;
    let desc = description(&obj)?
        .ok_or_else(|| {
            ApiError::new(
                400,
                "MissingParameter",
                "Missing required parameter: description.",
            )
        })?
        .to_string();
    let retry_token = header(&headers, "opc-retry-token").map(str::to_string);
    let digest = auth::body_sha256_b64(canonical(&Value::Object(obj)).as_bytes());
    let mut store = lock(&shared.store);
    authorize(&store, &caller, &user_id)?;
    store.check_user(&user_id)?;
    if let Some(rt) = &retry_token {
        if let Some(rec) = store.retry_record(rt, now) {
            if rec.user_id == user_id && rec.request_digest == digest {
                let status = StatusCode::from_u16(rec.status).unwrap_or(StatusCode::OK);
                return Ok(with_etag(
                    raw_json_response(status, rec.body.clone()),
                    &rec.etag,
                ));
            }
            return Err(ApiError::new(
                409,
                "InvalidatedRetryToken",
                "The retry token was already used for a different request.",
            ));
        }
    }
    let remember = |t: &TokenRec, secret: &str| RetryRec {
        retry_token: retry_token.clone().unwrap_or_default(),
        user_id: user_id.clone(),
        request_digest: digest.clone(),
        time: now,
        status: 200,
        etag: t.etag.clone(),
        body: token_json(t, Some(secret), now, shared.activation).to_string(),
    };
    let remember: Option<Remember<'_>> = if retry_token.is_some() {
        Some(&remember)
    } else {
        None
    };
    let new = NewToken {
        user_id: user_id.clone(),
        description: desc,
        created_by: Some(caller_ocid(&caller).to_string()),
        ..NewToken::default()
    };
    let (t, secret) = store.create_token_with(new, shared.token_limit, now, remember)?;
    Ok(with_etag(
        json_response(
            StatusCode::OK,
            &token_json(&t, Some(&secret), now, shared.activation),
        ),
        &t.etag,
    ))
}

async fn update(
    State(state): State<MockState>,
    Extension(caller): Extension<Verified>,
    Path((user_id, token_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let shared = &state.inner;
    let obj = parse_object(&body, true)?;
    let desc = description(&obj)?;
    let t = {
        let mut store = lock(&shared.store);
        authorize(&store, &caller, &user_id)?;
        store.update_token(
            &user_id,
            &token_id,
            desc,
            header(&headers, "if-match"),
            Some(caller_ocid(&caller)),
        )?
    };
    Ok(with_etag(
        json_response(
            StatusCode::OK,
            &token_json(&t, None, Utc::now(), shared.activation),
        ),
        &t.etag,
    ))
}

async fn delete(
    State(state): State<MockState>,
    Extension(caller): Extension<Verified>,
    Path((user_id, token_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut store = lock(&state.inner.store);
    authorize(&store, &caller, &user_id)?;
    store.delete_token(&user_id, &token_id, header(&headers, "if-match"))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_sorts_keys() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[1,{"y":2,"x":1}],"c":"s"}}"#).unwrap();
        assert_eq!(
            canonical(&a),
            r#"{"a":{"c":"s","d":[1,{"x":1,"y":2}]},"b":1}"#
        );
    }

    #[test]
    fn descriptions() {
        let m = parse_object(br#"{"description": 5}"#, false).unwrap();
        assert_eq!(description(&m).unwrap_err().code, "InvalidParameter");
        let long = format!(r#"{{"description": "{}"}}"#, "x".repeat(401));
        assert_eq!(
            description(&parse_object(long.as_bytes(), false).unwrap())
                .unwrap_err()
                .code,
            "InvalidParameter"
        );
        assert_eq!(
            description(&parse_object(br#"{}"#, false).unwrap()).unwrap(),
            None
        );
        assert_eq!(
            description(&parse_object(br#"{"description":""}"#, false).unwrap()).unwrap(),
            Some("")
        );
        assert_eq!(
            parse_object(b"[1]", false).unwrap_err().code,
            "CannotParseRequest"
        );
        assert_eq!(
            parse_object(b"{", false).unwrap_err().code,
            "CannotParseRequest"
        );
    }
}
