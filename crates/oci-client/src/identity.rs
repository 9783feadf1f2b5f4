//! The Identity API's auth-token operations (API version 20160918).
//!
//! There is no "get one token" operation: a read is a list followed by a match on `id`.

// `OciError` is about 128 bytes and is produced at most once per API call (which costs a
// network round trip), so boxing it would only make matching on it clumsier.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{new_retry_token, ApiRequest, ApiResponse, ClientOptions, HttpClient};
use super::config::ResolvedConfig;
use super::error::{ErrorKind, OciError};

/// An auth token as the API returns it. `token` (the secret) is present only in the create
/// response; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthToken {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub user_id: String,
    /// May be empty or null (e.g. in tenancies with identity domains).
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub time_created: Option<String>,
    #[serde(default)]
    pub time_expires: Option<String>,
    pub lifecycle_state: String,
    #[serde(default)]
    pub inactive_status: Option<i64>,
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthToken")
            .field("id", &self.id)
            .field("token", &self.token.as_ref().map(|_| "(sensitive)"))
            .field("user_id", &self.user_id)
            .field("description", &self.description)
            .field("time_created", &self.time_created)
            .field("time_expires", &self.time_expires)
            .field("lifecycle_state", &self.lifecycle_state)
            .field("inactive_status", &self.inactive_status)
            .finish()
    }
}

#[derive(Serialize)]
struct DescriptionBody<'a> {
    description: &'a str,
}

/// Client for the Identity auth-token operations. Cheap to clone (shares one connection pool).
#[derive(Clone, Debug)]
pub struct IdentityClient {
    http: Arc<HttpClient>,
}

impl IdentityClient {
    /// A client for the resolved configuration's endpoint, signer and retry policy.
    pub fn new(cfg: &ResolvedConfig) -> Result<Self, OciError> {
        Self::with_options(cfg, &ClientOptions::default())
    }

    pub fn with_options(cfg: &ResolvedConfig, options: &ClientOptions) -> Result<Self, OciError> {
        let http = HttpClient::new(
            &cfg.identity_endpoint,
            cfg.signer.clone(),
            cfg.retry,
            options,
        )
        .map_err(|e| {
            OciError::new(
                ErrorKind::Config(e),
                "NewIdentityClient",
                cfg.identity_endpoint.clone(),
            )
        })?;
        Ok(Self {
            http: Arc::new(http),
        })
    }

    /// `POST /users/{userId}/authTokens`. One `opc-retry-token` is used for every attempt, so
    /// a retried create (e.g. after a lost response) does not create a second token.
    pub async fn create_auth_token(
        &self,
        user_id: &str,
        description: &str,
    ) -> Result<AuthToken, OciError> {
        const OP: &str = "CreateAuthToken";
        check_id(OP, "user_id", user_id)?;
        let retry_token = HeaderValue::from_str(&new_retry_token())
            .expect("alphanumerics are a valid header value");
        let request = ApiRequest {
            operation: OP,
            method: Method::POST,
            segments: tokens_path(user_id, None),
            body: Some(json_body(description)),
            headers: vec![(HeaderName::from_static("opc-retry-token"), retry_token)],
        };
        decode(OP, self.http.send(request).await?)
    }

    /// `GET /users/{userId}/authTokens`: all tokens of the user (without their secrets).
    pub async fn list_auth_tokens(&self, user_id: &str) -> Result<Vec<AuthToken>, OciError> {
        const OP: &str = "ListAuthTokens";
        check_id(OP, "user_id", user_id)?;
        let request = ApiRequest {
            operation: OP,
            method: Method::GET,
            segments: tokens_path(user_id, None),
            body: None,
            headers: Vec::new(),
        };
        decode(OP, self.http.send(request).await?)
    }

    /// `PUT /users/{userId}/authTokens/{authTokenId}`: changes the description.
    pub async fn update_auth_token(
        &self,
        user_id: &str,
        token_id: &str,
        description: &str,
    ) -> Result<AuthToken, OciError> {
        const OP: &str = "UpdateAuthToken";
        check_id(OP, "user_id", user_id)?;
        check_id(OP, "auth_token_id", token_id)?;
        let request = ApiRequest {
            operation: OP,
            method: Method::PUT,
            segments: tokens_path(user_id, Some(token_id)),
            body: Some(json_body(description)),
            headers: Vec::new(),
        };
        decode(OP, self.http.send(request).await?)
    }

    /// `DELETE /users/{userId}/authTokens/{authTokenId}`. A 404 is returned as an error;
    /// callers that treat "already gone" as success check [`OciError::is_not_found`].
    pub async fn delete_auth_token(&self, user_id: &str, token_id: &str) -> Result<(), OciError> {
        const OP: &str = "DeleteAuthToken";
        check_id(OP, "user_id", user_id)?;
        check_id(OP, "auth_token_id", token_id)?;
        let request = ApiRequest {
            operation: OP,
            method: Method::DELETE,
            segments: tokens_path(user_id, Some(token_id)),
            body: None,
            headers: Vec::new(),
        };
        self.http.send(request).await.map(|_| ())
    }
}

fn tokens_path(user_id: &str, token_id: Option<&str>) -> Vec<String> {
    let mut segments = vec![
        "users".to_owned(),
        user_id.to_owned(),
        "authTokens".to_owned(),
    ];
    segments.extend(token_id.map(str::to_owned));
    segments
}

fn json_body(description: &str) -> Vec<u8> {
    serde_json::to_vec(&DescriptionBody { description }).expect("a string always serializes")
}

fn check_id(operation: &'static str, name: &str, value: &str) -> Result<(), OciError> {
    if value.trim().is_empty() {
        return Err(OciError::new(
            ErrorKind::Config(format!("{name} must not be empty")),
            operation,
            "",
        ));
    }
    Ok(())
}

/// Decodes a JSON body. The error names only the position and category, never the content
/// (which may hold a token).
fn decode<T: serde::de::DeserializeOwned>(
    operation: &'static str,
    response: ApiResponse,
) -> Result<T, OciError> {
    serde_json::from_slice(&response.body).map_err(|e| {
        let category = match e.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected JSON shape",
            serde_json::error::Category::Eof => "truncated JSON",
        };
        let detail = format!("{category} at line {} column {}", e.line(), e.column());
        let mut err = OciError::new(
            ErrorKind::Decode(detail),
            operation,
            response.target.clone(),
        );
        err.opc_request_id = response.opc_request_id.clone();
        err
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATED: &str = r#"{"id":"ocid1.credential.oc1..aaa","token":"3aNPS[D.1#.rF90qo}me","userId":"ocid1.user.oc1..bbb",
        "description":"ci","timeCreated":"2016-08-25T21:10:29.600Z","timeExpires":null,"lifecycleState":"ACTIVE","inactiveStatus":null}"#;

    #[test]
    fn auth_token_json_round_trip_and_debug_hides_the_secret() {
        let token: AuthToken = serde_json::from_str(CREATED).unwrap();
        assert_eq!(token.token.as_deref(), Some("3aNPS[D.1#.rF90qo}me"));
        assert_eq!(token.user_id, "ocid1.user.oc1..bbb");
        assert_eq!(token.time_expires, None);
        let shown = format!("{token:?}");
        assert!(
            !shown.contains("3aNPS") && shown.contains("(sensitive)"),
            "{shown}"
        );
        let json = serde_json::to_value(&token).unwrap();
        assert_eq!(json["lifecycleState"], "ACTIVE");
        assert_eq!(json["timeCreated"], "2016-08-25T21:10:29.600Z");
    }

    #[test]
    fn list_items_have_no_token() {
        let list: Vec<AuthToken> = serde_json::from_str(
            r#"[{"id":"a","userId":"u","description":"d","timeCreated":"t","lifecycleState":"ACTIVE","inactiveStatus":3}]"#,
        )
        .unwrap();
        assert_eq!(list[0].token, None);
        assert_eq!(list[0].inactive_status, Some(3));
        let nulls: AuthToken = serde_json::from_str(
            r#"{"id":"a","userId":"u","description":null,"lifecycleState":"ACTIVE"}"#,
        )
        .unwrap();
        assert_eq!(nulls.description, None);
    }

    #[test]
    fn decode_errors_do_not_echo_the_body() {
        let body = br#"{"id":"a","token":"s3cr3t-value","userId":5}"#.to_vec();
        let response = ApiResponse {
            status: 200,
            body,
            opc_request_id: Some("r".into()),
            target: "POST x".into(),
        };
        let err = decode::<AuthToken>("CreateAuthToken", response).unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(matches!(err.kind, ErrorKind::Decode(_)));
    }

    #[test]
    fn request_bodies() {
        assert_eq!(
            json_body("a \"b\""),
            br#"{"description":"a \"b\""}"#.to_vec()
        );
        assert_eq!(
            tokens_path("u", Some("t")),
            vec!["users", "u", "authTokens", "t"]
        );
    }
}
