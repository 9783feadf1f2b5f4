//! Request dispatch: routing, fault injection, authentication, the four auth-token operations and
//! the unsigned `/_mock/*` admin endpoints.

use std::sync::{Mutex, MutexGuard};

use axum::body::to_bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::auth;
use super::conn::ConnHandle;
use super::faults::Fault;
use super::ids;
use super::state::{Remember, RetryRec, StoreError, TokenRec};
use super::stats::Operation;
use super::MockState;

/// Base path of the Identity API.
pub const BASE_PATH: &str = "/20160918";
/// Largest request body read.
const MAX_BODY: usize = 1 << 20;
/// Maximum length of a description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 400;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// An OCI error response.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
        }
    }

    fn not_found() -> ApiError {
        ApiError::new(404, "NotFound", "The requested operation does not exist.")
    }

    fn method_not_allowed() -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "The method is not allowed on this resource.",
        )
    }

    fn not_authenticated() -> ApiError {
        ApiError::new(
            401,
            "NotAuthenticated",
            "The required information to complete authentication was not provided or was incorrect.",
        )
    }

    fn cannot_parse(why: &str) -> ApiError {
        ApiError::new(
            400,
            "CannotParseRequest",
            format!("Incorrectly formatted request: {why}"),
        )
    }

    fn not_authorized_or_not_found() -> ApiError {
        ApiError::new(
            404,
            "NotAuthorizedOrNotFound",
            "Authorization failed or requested resource not found.",
        )
    }

    fn internal() -> ApiError {
        ApiError::new(500, "InternalServerError", "Internal error occurred.")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::UserNotFound | StoreError::TokenNotFound => ApiError::not_authorized_or_not_found(),
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(
            self.status,
            &json!({"code": self.code, "message": self.message}),
        )
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    raw_json_response(status, body.to_string())
}

fn raw_json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

fn with_etag(mut resp: Response, etag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// The response's `opc-request-id`: the client's value with two server parts appended.
fn request_id(headers: &HeaderMap) -> String {
    let server = format!("{}/{}", ids::hex_upper(32), ids::hex_upper(32));
    match headers
        .get("opc-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    {
        Some(client)
            if !client.is_empty()
                && client.len() <= 256
                && HeaderValue::from_str(client).is_ok() =>
        {
            format!("{client}/{server}")
        }
        _ => format!("{}/{server}", ids::hex_upper(32)),
    }
}

fn finish(mut resp: Response, request_id: &str, method: &Method, path: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert("opc-request-id", v);
    }
    tracing::info!(
        "{} {} {} opc-request-id={}",
        method,
        path,
        resp.status().as_u16(),
        request_id
    );
    resp
}

/// A matched API route.
#[derive(Debug, PartialEq, Eq)]
struct Route {
    op: Operation,
    user_id: String,
    token_id: Option<String>,
}

fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let rest = path
        .strip_prefix(BASE_PATH)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(ApiError::not_found)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(ApiError::not_found());
    }
    match parts.as_slice() {
        ["users", user, "authTokens"] => {
            let op = match *method {
                Method::GET => Operation::ListAuthTokens,
                Method::POST => Operation::CreateAuthToken,
                _ => return Err(ApiError::method_not_allowed()),
            };
            Ok(Route {
                op,
                user_id: user.to_string(),
                token_id: None,
            })
        }
        ["users", user, "authTokens", token] => {
            let op = match *method {
                Method::PUT => Operation::UpdateAuthToken,
                Method::DELETE => Operation::DeleteAuthToken,
                _ => return Err(ApiError::method_not_allowed()),
            };
            Ok(Route {
                op,
                user_id: user.to_string(),
                token_id: Some(token.to_string()),
            })
        }
        _ => Err(ApiError::not_found()),
    }
}

/// Entry point for every request (the router's fallback).
pub(crate) async fn dispatch(State(state): State<MockState>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let rid = request_id(req.headers());
    if path == "/_mock" || path.starts_with("/_mock/") {
        let resp = admin(&state, req).await;
        return finish(resp, &rid, &method, &path);
    }
    match route(&method, &path) {
        Err(e) => finish(e.into_response(), &rid, &method, &path),
        Ok(r) => api(&state, r, req, &rid, &method, &path).await,
    }
}

/// Aborts the connection so that no response reaches the client.
fn drop_connection(
    conn: Option<&ConnHandle>,
    rid: &str,
    method: &Method,
    path: &str,
    what: &str,
) -> Response {
    tracing::info!(
        "{} {} dropped ({}) opc-request-id={}",
        method,
        path,
        what,
        rid
    );
    match conn {
        Some(c) => {
            c.abort();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        // Served without an abortable connection (e.g. the bare router in a test): the closest
        // stand-in is an empty, non-standard status.
        None => StatusCode::from_u16(444)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
    }
}

async fn api(
    state: &MockState,
    r: Route,
    req: Request,
    rid: &str,
    method: &Method,
    path: &str,
) -> Response {
    let shared = &state.inner;
    let conn = req
        .extensions()
        .get::<ConnectInfo<ConnHandle>>()
        .map(|c| c.0.clone());
    lock(&shared.stats).request(r.op);
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    let fault = lock(&shared.faults).next();
    if let Some(f) = fault {
        lock(&shared.stats).fault(f);
    }
    let injected = match fault {
        Some(Fault::DropConnection) => {
            return drop_connection(conn.as_ref(), rid, method, path, "drop_connection");
        }
        Some(Fault::Status429) => {
            let mut resp = ApiError::new(429, "TooManyRequests", "Too many requests for the user.")
                .into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            Some(resp)
        }
        Some(Fault::Status500) => Some(ApiError::internal().into_response()),
        Some(Fault::Status503) => Some(
            ApiError::new(
                503,
                "ServiceUnavailable",
                "Service is temporarily unavailable. Please retry.",
            )
            .into_response(),
        ),
        Some(Fault::DropResponse) | None => None,
    };
    let resp = match injected {
        Some(resp) => resp,
        None => {
            let (parts, body) = req.into_parts();
            match to_bytes(body, MAX_BODY).await {
                Err(_) => {
                    ApiError::cannot_parse("the request body could not be read").into_response()
                }
                Ok(body) => {
                    let verified = {
                        let store = lock(&shared.store);
                        auth::verify(
                            &parts.method,
                            &parts.uri,
                            &parts.headers,
                            &body,
                            Utc::now(),
                            |k| store.public_key_for(k),
                        )
                    };
                    match verified {
                        Err(why) => {
                            tracing::debug!("{} {} not authenticated: {}", method, path, why);
                            lock(&shared.stats).auth_failure();
                            ApiError::not_authenticated().into_response()
                        }
                        Ok(_) => operation(state, &r, &parts.headers, &body)
                            .unwrap_or_else(|e| e.into_response()),
                    }
                }
            }
        }
    };
    if fault == Some(Fault::DropResponse) {
        return drop_connection(conn.as_ref(), rid, method, path, "drop_response");
    }
    lock(&shared.stats).status(r.op, resp.status().as_u16());
    finish(resp, rid, method, path)
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
    m.insert("timeExpires".into(), Value::Null);
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
fn canonical(v: &Value) -> String {
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

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::cannot_parse(
            "the request body must be a JSON object",
        )),
        Err(_) => Err(ApiError::cannot_parse("the request body is not valid JSON")),
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

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn operation(
    state: &MockState,
    r: &Route,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let shared = &state.inner;
    let now = Utc::now();
    let token_id = r.token_id.as_deref().unwrap_or_default();
    match r.op {
        Operation::ListAuthTokens => {
            let tokens = lock(&shared.store).list_tokens(&r.user_id, now, shared.list_lag)?;
            let list: Vec<Value> = tokens
                .iter()
                .map(|t| token_json(t, None, now, shared.activation))
                .collect();
            Ok(json_response(StatusCode::OK, &Value::Array(list)))
        }
        Operation::CreateAuthToken => {
            let obj = parse_object(body)?;
            let desc = description(&obj)?
                .ok_or_else(|| {
                    ApiError::new(
                        400,
                        "MissingParameter",
                        "Missing required parameter: description.",
                    )
                })?
                .to_string();
            let retry_token = header(headers, "opc-retry-token").map(str::to_string);
            let digest = auth::body_sha256_b64(canonical(&Value::Object(obj)).as_bytes());
            let mut store = lock(&shared.store);
            if let Some(rt) = &retry_token {
                if let Some(rec) = store.retry_record(rt, now) {
                    if rec.user_id == r.user_id && rec.request_digest == digest {
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
            let user_id = r.user_id.clone();
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
            let (t, secret) =
                store.create_token(&r.user_id, &desc, shared.token_limit, now, remember)?;
            Ok(with_etag(
                json_response(
                    StatusCode::OK,
                    &token_json(&t, Some(&secret), now, shared.activation),
                ),
                &t.etag,
            ))
        }
        Operation::UpdateAuthToken => {
            let obj = if body.iter().all(|b| b.is_ascii_whitespace()) {
                Map::new()
            } else {
                parse_object(body)?
            };
            let desc = description(&obj)?;
            let t = lock(&shared.store).update_token(
                &r.user_id,
                token_id,
                desc,
                header(headers, "if-match"),
            )?;
            Ok(with_etag(
                json_response(
                    StatusCode::OK,
                    &token_json(&t, None, now, shared.activation),
                ),
                &t.etag,
            ))
        }
        Operation::DeleteAuthToken => {
            lock(&shared.store).delete_token(&r.user_id, token_id, header(headers, "if-match"))?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

async fn admin(state: &MockState, req: Request) -> Response {
    let shared = &state.inner;
    let method = req.method().clone();
    match (req.uri().path(), method) {
        ("/_mock/stats", Method::GET) => {
            let live = lock(&shared.store).live_tokens();
            json_response(StatusCode::OK, &lock(&shared.stats).to_json(live))
        }
        ("/_mock/faults", Method::GET) => faults_json(state),
        ("/_mock/faults", Method::POST) => {
            let body = match to_bytes(req.into_body(), MAX_BODY).await {
                Ok(b) => b,
                Err(_) => {
                    return ApiError::cannot_parse("the request body could not be read")
                        .into_response()
                }
            };
            match configure_faults(state, &body) {
                Ok(()) => faults_json(state),
                Err(e) => e.into_response(),
            }
        }
        ("/_mock/reset-stats", Method::POST) => {
            lock(&shared.stats).reset();
            StatusCode::NO_CONTENT.into_response()
        }
        ("/_mock/stats", _) | ("/_mock/faults", _) | ("/_mock/reset-stats", _) => {
            ApiError::method_not_allowed().into_response()
        }
        _ => ApiError::not_found().into_response(),
    }
}

fn faults_json(state: &MockState) -> Response {
    let f = lock(&state.inner.faults);
    json_response(
        StatusCode::OK,
        &json!({"fault_rate": f.rate(), "next": f.queued()}),
    )
}

fn configure_faults(state: &MockState, body: &[u8]) -> Result<(), ApiError> {
    let obj = if body.iter().all(|b| b.is_ascii_whitespace()) {
        Map::new()
    } else {
        parse_object(body)?
    };
    let rate = match obj.get("fault_rate") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(r) if (0.0..=1.0).contains(&r) => Some(r),
            _ => {
                return Err(ApiError::new(
                    400,
                    "InvalidParameter",
                    "fault_rate must be a number between 0 and 1.",
                ))
            }
        },
    };
    let next = match obj.get("next") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().and_then(Fault::parse).ok_or_else(|| {
                    ApiError::new(
                        400,
                        "InvalidParameter",
                        format!(
                            "unknown fault {i}; expected one of 429, 500, 503, drop_connection, drop_response."
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(ApiError::new(400, "InvalidParameter", "next must be an array of fault names.")),
    };
    let mut f = lock(&state.inner.faults);
    if let Some(r) = rate {
        f.set_rate(r);
    }
    f.enqueue(next);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let u = "ocid1.user.oc1..aaaa";
        let r = route(&Method::POST, &format!("/20160918/users/{u}/authTokens/")).unwrap();
        assert_eq!(r.op, Operation::CreateAuthToken);
        assert_eq!(r.user_id, u);
        assert_eq!(
            route(&Method::GET, &format!("/20160918/users/{u}/authTokens"))
                .unwrap()
                .op,
            Operation::ListAuthTokens
        );
        let r = route(&Method::PUT, &format!("/20160918/users/{u}/authTokens/t1")).unwrap();
        assert_eq!(
            (r.op, r.token_id.as_deref()),
            (Operation::UpdateAuthToken, Some("t1"))
        );
        assert_eq!(
            route(
                &Method::DELETE,
                &format!("/20160918/users/{u}/authTokens/t1")
            )
            .unwrap()
            .op,
            Operation::DeleteAuthToken
        );
        let status = |m: &Method, p: &str| route(m, p).unwrap_err().status.as_u16();
        assert_eq!(
            status(&Method::DELETE, &format!("/20160918/users/{u}/authTokens")),
            405
        );
        assert_eq!(
            status(&Method::GET, &format!("/20160918/users/{u}/authTokens/t1")),
            405
        );
        assert_eq!(status(&Method::GET, "/20160918/users"), 404);
        assert_eq!(status(&Method::GET, "/20160918/users//authTokens"), 404);
        assert_eq!(status(&Method::GET, "/20160919/users/u/authTokens"), 404);
        assert_eq!(status(&Method::GET, "/"), 404);
        assert_eq!(status(&Method::GET, "/20160918/users/u/apiKeys"), 404);
    }

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
    fn request_ids() {
        let mut h = HeaderMap::new();
        let id = request_id(&h);
        assert_eq!(id.split('/').count(), 3);
        h.insert("opc-request-id", HeaderValue::from_static("abc"));
        let id = request_id(&h);
        let parts: Vec<&str> = id.split('/').collect();
        assert_eq!(parts[0], "abc");
        assert!(parts[1..].iter().all(|p| p.len() == 32
            && p.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())));
    }

    #[test]
    fn descriptions() {
        let m = parse_object(br#"{"description": 5}"#).unwrap();
        assert_eq!(description(&m).unwrap_err().code, "InvalidParameter");
        let long = format!(r#"{{"description": "{}"}}"#, "x".repeat(401));
        assert_eq!(
            description(&parse_object(long.as_bytes()).unwrap())
                .unwrap_err()
                .code,
            "InvalidParameter"
        );
        assert_eq!(description(&parse_object(br#"{}"#).unwrap()).unwrap(), None);
        assert_eq!(
            description(&parse_object(br#"{"description":""}"#).unwrap()).unwrap(),
            Some("")
        );
        assert_eq!(parse_object(b"[1]").unwrap_err().code, "CannotParseRequest");
        assert_eq!(parse_object(b"{").unwrap_err().code, "CannotParseRequest");
    }
}
