//! Error bodies. Handlers and middleware answer errors with an [`ApiError`] (status, code,
//! message) and never write an error body themselves; the `render` layer of each API turns it
//! into that API's form with the API's [`ErrorRenderer`]: the classic Identity API's
//! `{"code", "message"}` ([`OciErrors`]), or SCIM's `{"schemas", "detail", "status"}`
//! ([`ScimErrors`]).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::Dropped;

/// An API error, rendered by the API's [`ErrorRenderer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// SCIM `scimType` (RFC 7644 §3.12), e.g. `invalidFilter`; only the SCIM form shows it.
    pub(crate) scim_type: Option<&'static str>,
    /// Oracle's SCIM extension `messageId`, e.g. `error.common.validation.invalidFilter`; only
    /// the SCIM form shows it.
    pub(crate) message_id: Option<&'static str>,
}

impl ApiError {
    /// `status` must be a valid HTTP status (anything else becomes 500).
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            scim_type: None,
            message_id: None,
        }
    }

    /// The same error with a SCIM `scimType`.
    pub fn with_scim_type(mut self, scim_type: &'static str) -> ApiError {
        self.scim_type = Some(scim_type);
        self
    }

    /// The same error with Oracle's SCIM `messageId`.
    pub fn with_message_id(mut self, message_id: &'static str) -> ApiError {
        self.message_id = Some(message_id);
        self
    }

    pub fn scim_type(&self) -> Option<&'static str> {
        self.scim_type
    }

    pub fn message_id(&self) -> Option<&'static str> {
        self.message_id
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The OCI error code (`NotAuthenticated`, `LimitExceeded`, ...).
    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn not_found() -> ApiError {
        ApiError::new(404, "NotFound", "The requested operation does not exist.")
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "The method is not allowed on this resource.",
        )
    }

    pub fn not_authenticated() -> ApiError {
        ApiError::new(
            401,
            "NotAuthenticated",
            "The required information to complete authentication was not provided or was incorrect.",
        )
    }

    pub fn cannot_parse(why: &str) -> ApiError {
        ApiError::new(
            400,
            "CannotParseRequest",
            format!("Incorrectly formatted request: {why}"),
        )
    }

    pub fn not_authorized_or_not_found() -> ApiError {
        ApiError::new(
            404,
            "NotAuthorizedOrNotFound",
            "Authorization failed or requested resource not found.",
        )
    }

    pub fn too_many_requests() -> ApiError {
        ApiError::new(429, "TooManyRequests", "Too many requests for the user.")
    }

    pub fn internal() -> ApiError {
        ApiError::new(500, "InternalServerError", "Internal error occurred.")
    }

    pub fn service_unavailable() -> ApiError {
        ApiError::new(
            503,
            "ServiceUnavailable",
            "Service is temporarily unavailable. Please retry.",
        )
    }

    /// The error standing for a bare error status produced outside the handlers (axum's 404,
    /// 405 and extractor rejections).
    fn for_status(status: StatusCode) -> ApiError {
        match status.as_u16() {
            404 => ApiError::not_found(),
            405 => ApiError::method_not_allowed(),
            400..=499 => ApiError {
                status,
                ..ApiError::cannot_parse("the request could not be read")
            },
            _ => ApiError {
                status,
                ..ApiError::internal()
            },
        }
    }
}

/// The status and the error itself (as a response extension, for the `render` layer); no body yet.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        resp.extensions_mut().insert(self);
        resp
    }
}

/// An API's error form.
pub trait ErrorRenderer: Send + Sync + 'static {
    /// The complete response for `error` (status, content type, body). Headers set by whoever
    /// raised the error (e.g. `retry-after`) are added afterwards.
    fn render(&self, error: &ApiError) -> Response;
}

/// The classic OCI form: `{"code": "...", "message": "..."}` as `application/json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OciErrors;

impl ErrorRenderer for OciErrors {
    fn render(&self, e: &ApiError) -> Response {
        json_body(
            e.status,
            "application/json",
            &json!({"code": e.code, "message": e.message}),
        )
    }
}

/// The SCIM form of Identity Domains (RFC 7644 §3.12): `{"schemas": [".../2.0:Error"],
/// "detail": "...", "status": "404"}` (status as a string) as `application/scim+json`, plus
/// `scimType` when the error has one, and Oracle's extension (its schema URN in `schemas` and
/// `{"messageId": ...}` under that URN) when it has a `messageId`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScimErrors;

impl ScimErrors {
    pub const SCHEMA: &'static str = "urn:ietf:params:scim:api:messages:2.0:Error";
    /// Oracle's error extension.
    pub const ORACLE_SCHEMA: &'static str =
        "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error";
}

impl ErrorRenderer for ScimErrors {
    fn render(&self, e: &ApiError) -> Response {
        let mut body = json!({
            "schemas": [ScimErrors::SCHEMA],
            "detail": e.message,
            "status": e.status.as_u16().to_string(),
        });
        if let Some(t) = e.scim_type {
            body["scimType"] = json!(t);
        }
        if let Some(id) = e.message_id {
            body["schemas"] = json!([ScimErrors::SCHEMA, ScimErrors::ORACLE_SCHEMA]);
            body[ScimErrors::ORACLE_SCHEMA] = json!({ "messageId": id });
        }
        json_body(e.status, "application/scim+json", &body)
    }
}

/// The OAuth 2.0 form of an identity domain's `/oauth2/v1/token` (RFC 6749 §5.2):
/// `{"error": "<code>", "error_description": "..."}` as `application/json`, the error code
/// being the [`ApiError`]'s code (`invalid_client`, `invalid_grant`, `invalid_request`,
/// `unsupported_grant_type`, ...). Errors of the shared layers keep their OCI codes.
#[derive(Debug, Clone, Copy, Default)]
pub struct OAuthErrors;

impl ErrorRenderer for OAuthErrors {
    fn render(&self, e: &ApiError) -> Response {
        json_body(
            e.status,
            "application/json",
            &json!({"error": e.code, "error_description": e.message}),
        )
    }
}

fn json_body(status: StatusCode, content_type: &'static str, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body.to_string(),
    )
        .into_response()
}

/// The layer: renders a response carrying an [`ApiError`], or a bare 4xx/5xx from axum, with the
/// API's renderer, keeping the headers it already has (other than the body's).
pub(crate) async fn render(
    State(renderer): State<Arc<dyn ErrorRenderer>>,
    req: Request,
    next: Next,
) -> Response {
    let resp = next.run(req).await;
    if resp.extensions().get::<Dropped>().is_some() {
        return resp;
    }
    let error = match resp.extensions().get::<ApiError>() {
        Some(e) => e.clone(),
        None if resp.status().is_client_error() || resp.status().is_server_error() => {
            ApiError::for_status(resp.status())
        }
        None => return resp,
    };
    let (parts, _) = resp.into_parts();
    let mut rendered = renderer.render(&error);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(resp: Response) -> (u16, String, Value) {
        let status = resp.status().as_u16();
        let ct = resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, ct, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn forms() {
        let e = ApiError::not_authenticated();
        let (status, ct, v) = body(OciErrors.render(&e)).await;
        assert_eq!((status, ct.as_str()), (401, "application/json"));
        assert_eq!(
            v,
            json!({"code": "NotAuthenticated", "message": e.message()})
        );
        let (status, ct, v) = body(ScimErrors.render(&e)).await;
        assert_eq!((status, ct.as_str()), (401, "application/scim+json"));
        assert_eq!(
            v,
            json!({"schemas": [ScimErrors::SCHEMA], "detail": e.message(), "status": "401"})
        );
    }

    #[test]
    fn bare_statuses() {
        assert_eq!(ApiError::for_status(StatusCode::NOT_FOUND).code, "NotFound");
        assert_eq!(
            ApiError::for_status(StatusCode::METHOD_NOT_ALLOWED).code,
            "MethodNotAllowed"
        );
        let e = ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!((e.status.as_u16(), e.code), (413, "CannotParseRequest"));
        let e = ApiError::for_status(StatusCode::BAD_GATEWAY);
        assert_eq!((e.status.as_u16(), e.code), (502, "InternalServerError"));
    }
}
