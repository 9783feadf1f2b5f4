//! A registry-login check like OCIR's, for tests of configurations that consume auth tokens:
//! `GET /_mock/registry/v2/` with HTTP Basic credentials — username the user's OCID, or
//! `<tenancy>/<user name>` (tenancy: [`TENANCY_NAME`] or the tenancy OCID; user names are the
//! key-file stems `default`, `user1`, …), password an auth token — answers 200 while that token
//! exists, is ACTIVE and has not passed its `expiresOn`, and 401 with `WWW-Authenticate`
//! otherwise. Unsigned, not counted in the stats, no latency or faults (like the admin
//! endpoints).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use chrono::Utc;
use serde_json::json;

use super::{json_response, Api};
use crate::middleware::{ApiError, OciErrors};
use crate::state::{lock, MockState};

/// The tenancy name the registry accepts in `<tenancy>/<user name>` usernames.
pub const TENANCY_NAME: &str = "mocktenancy";

/// Where the check is served (also without the trailing `/`), e.g.
/// `curl -fu "$USER_OCID:$TOKEN" http://127.0.0.1:PORT/_mock/registry/v2/`.
pub const PATH: &str = "/_mock/registry/v2/";

pub(crate) fn router(state: &MockState) -> Router {
    Api::new(state, OciErrors)
        .unsigned(Method::GET, PATH, check)
        .unsigned(Method::GET, PATH.trim_end_matches('/'), check)
        .into_router()
}

/// `(username, password)` of an `Authorization: Basic …` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn unauthorized() -> Response {
    let mut resp = ApiError::not_authenticated().into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"oci-identity-mock registry\""),
    );
    resp
}

async fn check(State(state): State<MockState>, headers: HeaderMap) -> Response {
    let Some((username, password)) = basic_credentials(&headers) else {
        return unauthorized();
    };
    let shared = &state.inner;
    let store = lock(&shared.store);
    let Some(user_id) = store.login_user(&username, TENANCY_NAME) else {
        return unauthorized();
    };
    let Some(token) = store.token_by_secret(user_id, &password) else {
        return unauthorized();
    };
    // Right after create a token is still CREATING (see `--activation-ms`).
    // A token past its `expiresOn` (SCIM) no longer logs in.
    let now = Utc::now();
    let active = token.lifecycle_state == "ACTIVE"
        && now - token.time_created >= shared.activation
        && token.expires_at().is_none_or(|e| e > now);
    if !active {
        return unauthorized();
    }
    json_response(
        StatusCode::OK,
        &json!({"user_id": user_id, "auth_token_id": token.id}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockOptions;

    fn basic(user: &str, password: &str) -> HeaderMap {
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            format!("Basic {enc}").parse().unwrap(),
        );
        h
    }

    async fn status(state: &MockState, headers: HeaderMap) -> (StatusCode, bool) {
        let r = check(State(state.clone()), headers).await;
        (
            r.status(),
            r.headers().contains_key(header::WWW_AUTHENTICATE),
        )
    }

    #[tokio::test]
    async fn a_token_logs_in_while_it_exists_and_is_active() {
        let dir = tempfile::tempdir().unwrap();
        let state = MockState::open(&MockOptions {
            data_dir: dir.path().to_path_buf(),
            users: 2,
            activation_ms: 300,
            ..Default::default()
        })
        .unwrap();
        let users = state.user_ocids();
        let tenancy = state.tenancy_ocid();
        let (t, secret) = lock(&state.inner.store)
            .create_token(&users[0], "d", 2, Utc::now(), None)
            .unwrap();
        assert_eq!(
            status(&state, basic(&users[0], &secret)).await,
            (StatusCode::UNAUTHORIZED, true),
            "still CREATING"
        );
        tokio::time::sleep(std::time::Duration::from_millis(350)).await;
        for user in [
            users[0].clone(),
            format!("{TENANCY_NAME}/default"),
            format!("{tenancy}/default"),
        ] {
            assert_eq!(
                status(&state, basic(&user, &secret)).await.0,
                StatusCode::OK,
                "{user}"
            );
        }
        for (user, password) in [
            (users[0].clone(), "wrong".to_string()),
            (users[1].clone(), secret.clone()),
            (format!("{TENANCY_NAME}/user1"), secret.clone()),
            ("othertenancy/default".to_string(), secret.clone()),
            ("nobody".to_string(), secret.clone()),
        ] {
            assert_eq!(
                status(&state, basic(&user, &password)).await,
                (StatusCode::UNAUTHORIZED, true),
                "{user}"
            );
        }
        assert_eq!(
            status(&state, HeaderMap::new()).await.0,
            StatusCode::UNAUTHORIZED
        );
        lock(&state.inner.store)
            .delete_token(&users[0], &t.id, None)
            .unwrap();
        assert_eq!(
            status(&state, basic(&users[0], &secret)).await.0,
            StatusCode::UNAUTHORIZED,
            "deleted"
        );
    }

    #[tokio::test]
    async fn a_token_past_its_expiry_no_longer_logs_in() {
        let dir = tempfile::tempdir().unwrap();
        let state = MockState::open(&MockOptions {
            data_dir: dir.path().to_path_buf(),
            users: 1,
            ..Default::default()
        })
        .unwrap();
        let user = state.user_ocids()[0].clone();
        let now = Utc::now();
        for (expires_on, want) in [
            (None, StatusCode::OK),
            (Some("2999-01-01T00:00:00Z"), StatusCode::OK),
            (Some("2020-01-01T00:00:00.000Z"), StatusCode::UNAUTHORIZED),
        ] {
            let (t, secret) = lock(&state.inner.store)
                .create_token_with(
                    crate::state::NewToken {
                        user_id: user.clone(),
                        expires_on: expires_on.map(str::to_string),
                        ..Default::default()
                    },
                    2,
                    now,
                    None,
                )
                .unwrap();
            assert_eq!(
                status(&state, basic(&user, &secret)).await.0,
                want,
                "{expires_on:?}"
            );
            lock(&state.inner.store)
                .delete_token(&user, &t.id, None)
                .unwrap();
        }
    }

    #[test]
    fn basic_credentials_are_parsed() {
        let mut h = HeaderMap::new();
        assert_eq!(basic_credentials(&h), None);
        let enc = base64::engine::general_purpose::STANDARD.encode("t/u:p:a:ss");
        h.insert(
            header::AUTHORIZATION,
            format!("Basic {enc}").parse().unwrap(),
        );
        assert_eq!(
            basic_credentials(&h),
            Some(("t/u".to_string(), "p:a:ss".to_string()))
        );
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(basic_credentials(&h), None);
    }
}
