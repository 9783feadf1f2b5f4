//! Errors from OCI API calls, with a suggestion for the common cases.
//!
//! An [`OciError`] names the operation, the request target and the `opc-request-id` (what
//! Oracle support asks for). It never carries signatures, Authorization headers, token values
//! or key material.

use std::fmt;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The service answered with an error status and (usually) an OCI error body.
    Service {
        status: u16,
        code: String,
        message: String,
    },
    /// The request could not be sent or the connection broke before a full response arrived.
    Network(String),
    /// No response within the per-request timeout.
    Timeout,
    /// The request could not be built (bad argument, signing failure, client setup).
    Config(String),
    /// A success response whose body could not be decoded.
    Decode(String),
}

/// An error from one OCI API operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct OciError {
    pub kind: ErrorKind,
    /// The API operation, e.g. `CreateAuthToken`.
    pub operation: &'static str,
    /// `METHOD URL` of the request, e.g. `POST https://…/20160918/users/…/authTokens`.
    pub target: String,
    /// The `opc-request-id` of the last attempt (the server's echo when it sent one).
    pub opc_request_id: Option<String>,
    /// How many attempts were made (1 = no retry).
    pub attempts: u32,
    /// The whole error body, for SCIM services (Identity Domains).
    pub scim: Option<Box<ScimError>>,
    /// For a 401 under a principal auth mode (after one refresh): what to check.
    pub auth_hint: Option<&'static str>,
}

/// A SCIM error body (RFC 7644 §3.12) with Oracle's extension, as Identity Domains send it.
/// `status` is a string in SCIM (e.g. `"400"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct ScimError {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// E.g. `uniqueness`, `invalidFilter`, `invalidValue`, `mutability`.
    #[serde(default, rename = "scimType")]
    pub scim_type: Option<String>,
    /// `messageId` of the `urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error`
    /// object, e.g. `error.common.validation.missingReqAttributes`.
    #[serde(skip)]
    pub message_id: Option<String>,
}

/// The schema URN of a SCIM error body.
pub const SCIM_ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The schema URN (and body key) of Oracle's error extension.
pub const ORACLE_SCIM_ERROR_EXTENSION: &str =
    "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error";

impl ScimError {
    /// Parses a SCIM error body; `None` when the body is not one (no SCIM error schema).
    pub fn parse(body: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let mut err: ScimError = serde_json::from_value(value.clone()).ok()?;
        if !err.schemas.iter().any(|s| s == SCIM_ERROR_SCHEMA) {
            return None;
        }
        err.message_id = value[ORACLE_SCIM_ERROR_EXTENSION]["messageId"]
            .as_str()
            .map(str::to_owned);
        Some(err)
    }
}

/// The hint for the two-tokens-per-user limit, from either API.
pub const TOKEN_LIMIT_HINT: &str = "a user can hold at most 2 auth tokens: delete one first (or rotate: remove an old token, then create the new one)";

const SCIM_FILTER_HINT: &str = "the SCIM filter is not valid (RFC 7644 section 3.4.2.2): an attribute path, an operator (eq ne co sw ew pr gt ge lt le), a double-quoted value, joined with and/or/not and parentheses, e.g. user.value eq \"<user id>\"";

impl ScimError {
    /// The service says the filter is invalid.
    pub fn is_invalid_filter(&self) -> bool {
        self.scim_type.as_deref() == Some("invalidFilter")
            || self
                .message_id
                .as_deref()
                .is_some_and(|m| m.to_ascii_lowercase().contains("filter"))
    }

    /// The service refuses a third token for a user.
    pub fn is_token_limit(&self) -> bool {
        let lower = |s: &Option<String>| s.as_deref().unwrap_or_default().to_ascii_lowercase();
        let id = lower(&self.message_id);
        let detail = lower(&self.detail);
        id.contains("limit")
            || id.contains("maxallowed")
            || (id.contains("max") && id.contains("token"))
            || (detail.contains("token")
                && (detail.contains("limit")
                    || detail.contains("maximum")
                    || detail.contains("more than")
                    || detail.contains("exceed")))
    }
}

/// The position a SCIM error detail names (`position 12`, `column 12`, `index 12`,
/// `offset 12`, `char 12`), if any.
fn detail_position(detail: &str) -> Option<usize> {
    let lower = detail.to_ascii_lowercase();
    for word in ["position", "column", "index", "offset", "char"] {
        let mut rest = lower.as_str();
        while let Some(at) = rest.find(word) {
            rest = &rest[at + word.len()..];
            let tail = rest.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '.');
            let skipped = rest.len() - tail.len();
            let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() && skipped <= 3 {
                return digits.parse().ok();
            }
        }
    }
    None
}

/// The `filter` query parameter of a request target (`METHOD URL`), decoded.
fn target_filter(target: &str) -> Option<String> {
    let url = target.split_once(' ').map_or(target, |(_, u)| u);
    let url = reqwest::Url::parse(url).ok()?;
    let filter = url
        .query_pairs()
        .find(|(k, _)| k == "filter")
        .map(|(_, v)| v.into_owned());
    filter
}

impl OciError {
    fn scim_hint(&self) -> Option<&'static str> {
        let scim = self.scim.as_deref()?;
        let status = self.status()?;
        if scim.is_invalid_filter() {
            return Some(SCIM_FILTER_HINT);
        }
        match status {
            400 | 409 if scim.is_token_limit() => Some(TOKEN_LIMIT_HINT),
            404 => Some(
                "the auth token (or its user) does not exist in this identity domain: check idcs_endpoint and the id",
            ),
            403 => Some(
                "the caller may not do this in the identity domain: a user manages only its own tokens unless an identity domain administrator role (or an IAM policy) allows more",
            ),
            _ => None,
        }
    }

    /// For an invalid SCIM filter: the filter with a caret under the position the detail
    /// names.
    fn filter_pointer(&self) -> Option<String> {
        let scim = self.scim.as_deref()?;
        if !scim.is_invalid_filter() {
            return None;
        }
        let filter = target_filter(&self.target)?;
        let mut out = format!("Filter: {filter}");
        if let Some(pos) = scim.detail.as_deref().and_then(detail_position) {
            let chars = filter.chars().count();
            // Positions may be 0- or 1-based; a caret past the end points at the end.
            let col = pos.min(chars);
            out.push_str(&format!("\n        {}^ (position {pos})", " ".repeat(col)));
        }
        Some(out)
    }
}

impl OciError {
    pub fn new(kind: ErrorKind, operation: &'static str, target: impl Into<String>) -> Self {
        Self {
            kind,
            operation,
            target: target.into(),
            opc_request_id: None,
            attempts: 1,
            scim: None,
            auth_hint: None,
        }
    }

    /// The HTTP status, for service errors.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ErrorKind::Service { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The OCI error code (e.g. `NotAuthorizedOrNotFound`), for service errors.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The service message, for service errors.
    pub fn message(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Service { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The service says the resource (or its parent user) does not exist or is not visible:
    /// 404 `NotAuthorizedOrNotFound`, or a 404 with a SCIM error body. Other 404s (a wrong
    /// endpoint path, a proxy's HTML page) do not count, so they never make a caller forget a
    /// resource that still exists.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
            && (self.code() == Some("NotAuthorizedOrNotFound") || self.scim.is_some())
    }

    /// Whether the failure is transient and the same request may be sent again: 429, 5xx
    /// except 501, 409 (except `InvalidatedRetryToken`), network errors and timeouts.
    /// Never 400, 401, 403, 404 or 412.
    pub fn is_retryable(&self) -> bool {
        match &self.kind {
            ErrorKind::Service { status, code, .. } => match status {
                429 => true,
                501 => false,
                500..=599 => true,
                409 => code != "InvalidatedRetryToken",
                _ => false,
            },
            ErrorKind::Network(_) | ErrorKind::Timeout => true,
            ErrorKind::Config(_) | ErrorKind::Decode(_) => false,
        }
    }

    /// A suggestion for the common failures, if there is one.
    pub fn hint(&self) -> Option<&'static str> {
        if let Some(hint) = self.auth_hint {
            return Some(hint);
        }
        if let Some(hint) = self.scim_hint() {
            return Some(hint);
        }
        match &self.kind {
            ErrorKind::Service { status, code, .. } => match (*status, code.as_str()) {
                (401, _) => Some(
                    "the request signature was rejected: check the private key, the fingerprint, the tenancy and user OCIDs \
                     (together the keyId), and that this machine's clock is within 5 minutes of the real time; \
                     for SecurityToken auth, refresh the session with `oci session refresh`",
                ),
                (404, "NotAuthorizedOrNotFound") => Some(
                    "the user OCID (or auth token) does not exist, or no policy allows the caller to manage that user's \
                     credentials (users may always manage their own)",
                ),
                (404, _) => Some("the resource was not found; check the OCIDs and the endpoint"),
                (400, "LimitExceeded") => Some(TOKEN_LIMIT_HINT),
                (403, "NotAllowed") => {
                    Some("IAM changes must be sent to the tenancy's home region: set region to the home region")
                }
                (403, _) => Some("the caller is not authorized for this operation; check the IAM policies"),
                (409, "InvalidatedRetryToken") => {
                    Some("the retry token was reused for a different request; try the operation again")
                }
                (412, _) => Some("the resource changed since it was read (etag mismatch); refresh and try again"),
                (429, _) => Some(
                    "the request was throttled by OCI (too many requests); try again later or allow a longer retry duration",
                ),
                (500..=599, _) => Some("OCI reported a server-side failure; try again later"),
                _ => None,
            },
            ErrorKind::Network(_) => {
                Some("could not reach the service endpoint: check the region or endpoint override, DNS, proxies and firewalls")
            }
            ErrorKind::Timeout => Some("the request timed out: check connectivity to the service endpoint, or allow more time"),
            _ => None,
        }
    }
}

impl fmt::Display for OciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Service {
                status,
                code,
                message,
            } => {
                write!(f, "{status}-{code}, {message}")?;
                if let Some(scim) = &self.scim {
                    if let Some(t) = scim.scim_type.as_deref().filter(|t| t != code) {
                        write!(f, "\nSCIM type: {t}")?;
                    }
                    if let Some(id) = scim.message_id.as_deref().filter(|m| m != code) {
                        write!(f, "\nMessage ID: {id}")?;
                    }
                }
                if let Some(pointer) = self.filter_pointer() {
                    write!(f, "\n{pointer}")?;
                }
            }
            ErrorKind::Network(detail) => write!(f, "network error: {detail}")?,
            ErrorKind::Timeout => write!(f, "timed out waiting for a response")?,
            ErrorKind::Config(detail) => write!(f, "cannot send the request: {detail}")?,
            ErrorKind::Decode(detail) => write!(f, "could not decode the response: {detail}")?,
        }
        if let Some(hint) = self.hint() {
            write!(f, "\nSuggestion: {hint}")?;
        }
        write!(f, "\nOperation: {}", self.operation)?;
        if !self.target.is_empty() {
            write!(f, "\nRequest target: {}", self.target)?;
        }
        if let Some(id) = &self.opc_request_id {
            write!(f, "\nOPC request ID: {id}")?;
        }
        if self.attempts > 1 {
            write!(f, "\nAttempts: {}", self.attempts)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: u16, code: &str) -> OciError {
        let kind = ErrorKind::Service {
            status,
            code: code.into(),
            message: "msg".into(),
        };
        OciError::new(
            kind,
            "CreateAuthToken",
            "POST https://identity.example/20160918/users/u/authTokens",
        )
    }

    #[test]
    fn display_has_status_code_hint_operation_target_and_request_id() {
        let mut err = service(400, "LimitExceeded");
        err.opc_request_id = Some("abc/DEF/123".into());
        assert_eq!(
            err.to_string(),
            "400-LimitExceeded, msg\nSuggestion: a user can hold at most 2 auth tokens: delete one first (or rotate: remove an old token, then create the new one)\nOperation: CreateAuthToken\nRequest target: POST https://identity.example/20160918/users/u/authTokens\nOPC request ID: abc/DEF/123"
        );
    }

    #[test]
    fn retryability_follows_the_identity_rules() {
        for status in [429, 500, 502, 503, 504] {
            assert!(service(status, "X").is_retryable(), "{status}");
        }
        assert!(service(409, "IncorrectState").is_retryable());
        assert!(!service(409, "InvalidatedRetryToken").is_retryable());
        for status in [400, 401, 403, 404, 412] {
            assert!(!service(status, "X").is_retryable(), "{status}");
        }
        assert!(
            OciError::new(ErrorKind::Network("reset".into()), "ListAuthTokens", "").is_retryable()
        );
        assert!(OciError::new(ErrorKind::Timeout, "ListAuthTokens", "").is_retryable());
        assert!(!OciError::new(ErrorKind::Decode("x".into()), "ListAuthTokens", "").is_retryable());
    }

    #[test]
    fn accessors_and_hints() {
        let err = service(404, "NotAuthorizedOrNotFound");
        assert!(err.is_not_found());
        assert_eq!(
            (err.status(), err.code()),
            (Some(404), Some("NotAuthorizedOrNotFound"))
        );
        assert!(err.hint().unwrap().contains("user OCID"));
        assert!(service(401, "NotAuthenticated")
            .hint()
            .unwrap()
            .contains("clock"));
        assert!(service(429, "TooManyRequests")
            .hint()
            .unwrap()
            .contains("throttled"));
        assert_eq!(service(418, "Teapot").hint(), None);
        assert!(!service(418, "Teapot").to_string().contains("Suggestion"));
    }

    #[test]
    fn scim_error_bodies() {
        let body = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error","urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error"],
            "detail":"Missing required attribute(s): schemas","status":"400","scimType":"invalidValue",
            "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error":{"messageId":"error.common.validation.missingReqAttributes"}}"#;
        let err = ScimError::parse(body).unwrap();
        assert_eq!(
            err,
            ScimError {
                schemas: vec![SCIM_ERROR_SCHEMA.into(), ORACLE_SCIM_ERROR_EXTENSION.into()],
                detail: Some("Missing required attribute(s): schemas".into()),
                status: Some("400".into()),
                scim_type: Some("invalidValue".into()),
                message_id: Some("error.common.validation.missingReqAttributes".into()),
            }
        );
        assert_eq!(ScimError::parse(br#"{"code":"X","message":"y"}"#), None);
        assert_eq!(ScimError::parse(b"<html>"), None);
        let minimal = ScimError::parse(
            br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}"#,
        )
        .unwrap();
        assert_eq!(minimal.detail, None);

        let mut not_found = service(404, "NotFound");
        assert!(!not_found.is_not_found(), "a 404 without a known body");
        not_found.scim = Some(Box::new(minimal));
        assert!(not_found.is_not_found(), "a SCIM 404");
    }
}
