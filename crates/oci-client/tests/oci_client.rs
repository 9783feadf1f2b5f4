//! The OCI client against the in-process mock Identity API: signing, CRUD, errors and hints,
//! retries (including a create whose response is lost) and cancellation.

use std::sync::Arc;
use std::time::Duration;

use oci_client::keys::RsaPrivateKey;
use oci_client::signer::Signer;
use oci_client::{config, IdentityClient, ResolvedConfig, RetryPolicy};
use oci_identity_mock::{MockOptions, MockServer};
use serde_json::{json, Value};

/// Retries quick enough for tests.
fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_duration: Duration::from_secs(10),
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        enabled: true,
    }
}

struct Harness {
    _dir: tempfile::TempDir,
    mock: MockServer,
    cfg: ResolvedConfig,
    admin: reqwest::Client,
}

impl Harness {
    async fn start() -> Self {
        Self::start_with(MockOptions::default()).await
    }

    async fn start_with(opts: MockOptions) -> Self {
        Self::start_with_settings(opts, config::ProviderSettings::default()).await
    }

    /// A mock with `opts` and a client configuration resolved from `settings`.
    async fn start_with_settings(opts: MockOptions, settings: config::ProviderSettings) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mock = test_support::start_mock_in(dir.path().join("mock"), opts).await;
        let cfg = Self::resolve(&dir, &mock, settings);
        Self {
            _dir: dir,
            mock,
            cfg,
            admin: reqwest::Client::new(),
        }
    }

    /// Resolves settings the way the provider does, from the mock's config file, with the
    /// endpoint supplied through `CLIENT_HOST_OVERRIDES`.
    fn resolve(
        dir: &tempfile::TempDir,
        mock: &MockServer,
        settings: config::ProviderSettings,
    ) -> ResolvedConfig {
        let vars = [
            ("HOME".to_owned(), dir.path().display().to_string()),
            (
                "OCI_CONFIG_FILE".to_owned(),
                mock.config_file.display().to_string(),
            ),
            (
                "CLIENT_HOST_OVERRIDES".to_owned(),
                test_support::client_host_overrides(&mock.endpoint),
            ),
        ];
        let mut cfg = config::resolve(&settings, &move |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
        .expect("mock config resolves");
        if cfg.retry.enabled {
            cfg.retry = fast_retry();
        }
        cfg
    }

    fn client(&self) -> IdentityClient {
        IdentityClient::new(&self.cfg).unwrap()
    }

    fn user(&self) -> &str {
        &self.mock.user_ocids[0]
    }

    async fn queue_faults(&self, faults: &[&str]) {
        let response = self
            .admin
            .post(format!("{}/_mock/faults", self.mock.endpoint))
            .json(&json!({ "next": faults }))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "queue faults: {}",
            response.status()
        );
    }

    async fn stats(&self) -> Value {
        self.admin
            .get(format!("{}/_mock/stats", self.mock.endpoint))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn count(&self, operation: &str, status: &str) -> u64 {
        self.stats().await["requests"][operation]["by_status"][status]
            .as_u64()
            .unwrap_or(0)
    }

    async fn total(&self, operation: &str) -> u64 {
        self.stats().await["requests"][operation]["total"]
            .as_u64()
            .unwrap_or(0)
    }
}

fn is_live(state: &str) -> bool {
    !matches!(state, "DELETING" | "DELETED")
}

#[tokio::test]
async fn create_list_update_delete_round_trip() {
    let h = Harness::start().await;
    let client = h.client();
    let user = h.user().to_owned();

    let created = client.create_auth_token(&user, "ci token").await.unwrap();
    assert!(
        created.token.as_deref().is_some_and(|t| !t.is_empty()),
        "create returns the secret"
    );
    assert_eq!(created.user_id, user);
    assert_eq!(created.description.as_deref(), Some("ci token"));
    assert!(!format!("{created:?}").contains(created.token.as_deref().unwrap()));

    let listed = client.list_auth_tokens(&user).await.unwrap();
    let item = listed.iter().find(|t| t.id == created.id).expect("listed");
    assert_eq!(item.token, None, "list never returns the secret");

    let updated = client
        .update_auth_token(&user, &created.id, "renamed")
        .await
        .unwrap();
    assert_eq!(
        (updated.id.as_str(), updated.description.as_deref()),
        (created.id.as_str(), Some("renamed"))
    );

    client.delete_auth_token(&user, &created.id).await.unwrap();
    let after = client.list_auth_tokens(&user).await.unwrap();
    assert!(
        after
            .iter()
            .all(|t| t.id != created.id || !is_live(&t.lifecycle_state)),
        "{after:?}"
    );

    let stats = h.stats().await;
    assert_eq!(
        stats["auth_failures"], 0,
        "every request was signed correctly: {stats}"
    );
    h.mock.stop().await;
}

#[tokio::test]
async fn third_token_hits_the_limit_with_a_hint() {
    let h = Harness::start().await;
    let client = h.client();
    for i in 0..2 {
        client
            .create_auth_token(h.user(), &format!("t{i}"))
            .await
            .unwrap();
    }
    let err = client.create_auth_token(h.user(), "t3").await.unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (Some(400), Some("LimitExceeded"))
    );
    assert!(err.hint().unwrap().contains("at most 2 auth tokens"));
    let text = err.to_string();
    assert!(text.starts_with("400-LimitExceeded, "), "{text}");
    assert!(
        text.contains("Operation: CreateAuthToken") && text.contains("OPC request ID: "),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Request target: POST {}/20160918/users/",
            h.mock.endpoint
        )),
        "{text}"
    );
    assert_eq!(err.attempts, 1);
    assert_eq!(
        h.count("CreateAuthToken", "400").await,
        1,
        "400 is not retried"
    );
    h.mock.stop().await;
}

#[tokio::test]
async fn unknown_user_is_not_found_with_a_hint() {
    let h = Harness::start().await;
    let err = h
        .client()
        .list_auth_tokens("ocid1.user.oc1..doesnotexist")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.code(), Some("NotAuthorizedOrNotFound"));
    assert!(err.hint().unwrap().contains("user OCID"));
    assert!(!err.is_retryable());
    assert_eq!(h.total("ListAuthTokens").await, 1);
    h.mock.stop().await;
}

#[tokio::test]
async fn wrong_key_is_not_authenticated_and_not_retried() {
    let h = Harness::start().await;
    let pem = std::fs::read_to_string(test_support::fixture("keys/rsa2048_other.pem")).unwrap();
    let mut cfg = h.cfg.clone();
    cfg.credentials = Arc::new(oci_client::auth::StaticSource::new(
        "ApiKey",
        Signer::new(
            cfg.key_id.clone(),
            Arc::new(RsaPrivateKey::from_pem(&pem, None).unwrap()),
        ),
    ));
    let err = IdentityClient::new(&cfg)
        .unwrap()
        .list_auth_tokens(h.user())
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (Some(401), Some("NotAuthenticated"))
    );
    assert!(err.hint().unwrap().contains("fingerprint"));
    assert_eq!(err.attempts, 1);
    let text = err.to_string();
    assert!(
        !text.contains("Signature") && !text.contains("signature=\""),
        "{text}"
    );
    assert_eq!(h.stats().await["auth_failures"], 1);
    h.mock.stop().await;
}

#[tokio::test]
async fn throttling_and_unavailability_are_retried() {
    let h = Harness::start().await;
    h.queue_faults(&["503", "429"]).await;
    let tokens = h.client().list_auth_tokens(h.user()).await.unwrap();
    assert!(tokens.is_empty());
    assert_eq!(h.count("ListAuthTokens", "503").await, 1);
    assert_eq!(h.count("ListAuthTokens", "429").await, 1);
    assert_eq!(h.count("ListAuthTokens", "200").await, 1);
    assert_eq!(
        h.stats().await["auth_failures"],
        0,
        "each attempt is re-signed"
    );
    h.mock.stop().await;
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    let h = Harness::start().await;
    h.queue_faults(&["drop_connection", "500"]).await;
    h.client().list_auth_tokens(h.user()).await.unwrap();
    assert_eq!(h.total("ListAuthTokens").await, 3);
    h.mock.stop().await;
}

#[tokio::test]
async fn create_with_lost_response_leaves_exactly_one_token() {
    let h = Harness::start().await;
    let client = h.client();
    h.queue_faults(&["drop_response"]).await;
    let created = client.create_auth_token(h.user(), "once").await.unwrap();
    assert!(created.token.is_some());
    assert_eq!(
        h.total("CreateAuthToken").await,
        2,
        "the lost response was retried"
    );
    let live: Vec<_> = client
        .list_auth_tokens(h.user())
        .await
        .unwrap()
        .into_iter()
        .filter(|t| is_live(&t.lifecycle_state))
        .collect();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0].id, created.id);
    assert_eq!(h.stats().await["live_tokens"], 1);
    h.mock.stop().await;
}

#[tokio::test]
async fn disabled_retries_fail_on_the_first_503() {
    let settings = config::ProviderSettings {
        disable_auto_retries: Some(true),
        ..Default::default()
    };
    let h = Harness::start_with_settings(MockOptions::default(), settings).await;
    assert!(!h.cfg.retry.enabled);
    h.queue_faults(&["503"]).await;
    let err = h.client().list_auth_tokens(h.user()).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(
        err.is_retryable(),
        "retryable in principle, but retries are off"
    );
    assert_eq!(err.attempts, 1);
    assert_eq!(h.total("ListAuthTokens").await, 1);
    h.mock.stop().await;
}

#[tokio::test]
async fn retry_budget_bounds_the_time_spent() {
    let mut h = Harness::start().await;
    let budget = Duration::from_millis(150);
    h.cfg.retry = RetryPolicy {
        max_duration: budget,
        ..fast_retry()
    };
    // More 503s than any budget-bound run can consume: without the budget the 41st attempt
    // would succeed.
    h.queue_faults(&["503"; 40]).await;
    let started = std::time::Instant::now();
    let err = h.client().list_auth_tokens(h.user()).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.status(), Some(503));
    // Every attempt the error counts reached the mock, and no other.
    assert_eq!(
        h.count("ListAuthTokens", "503").await,
        u64::from(err.attempts),
        "attempts counted by the client and by the mock"
    );
    assert_eq!(h.total("ListAuthTokens").await, u64::from(err.attempts));
    // The sleeps before retries 1, 2, 3, 4… are at least 5, 10, 20, 25… ms (half of the capped
    // exponential delay): they pass 150 ms after 8 retries, so at most 9 full attempts plus
    // one after a sleep cut to the budget's end.
    assert!(
        (2..=10).contains(&err.attempts),
        "retried, and stopped by the 150 ms budget: {} attempts in {elapsed:?}",
        err.attempts
    );
    // It gave up because the budget was spent, not earlier.
    assert!(elapsed >= budget, "{elapsed:?}");
    h.mock.stop().await;
}

#[tokio::test]
async fn callers_can_bound_a_call_and_drop_it() {
    let h = Harness::start_with(MockOptions {
        latency_ms: 2_000,
        ..Default::default()
    })
    .await;
    let client = h.client();
    let outcome = tokio::time::timeout(
        Duration::from_millis(100),
        client.list_auth_tokens(h.user()),
    )
    .await;
    assert!(outcome.is_err(), "the deadline fires first");
    h.mock.stop().await;
}

#[tokio::test]
async fn a_dropped_call_makes_no_more_attempts() {
    // A retry loop that outlived its caller would keep sending requests: with 503s queued and
    // fast retries, a live loop makes several attempts per 100 ms.
    let h = Harness::start().await;
    h.queue_faults(&["503"; 40]).await;
    let client = h.client();
    let outcome = tokio::time::timeout(
        Duration::from_millis(100),
        client.list_auth_tokens(h.user()),
    )
    .await;
    assert!(outcome.is_err(), "still retrying when the deadline fired");
    let at_drop = h.total("ListAuthTokens").await;
    assert!(
        at_drop >= 2,
        "retried before the deadline ({at_drop} attempts)"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        h.total("ListAuthTokens").await,
        at_drop,
        "no attempt after the call was dropped"
    );
    h.mock.stop().await;
}

/// A 429 with `retry-after` is retried no sooner than it says, and the pause applies to the
/// other requests to that endpoint too (the process-wide adaptive limit).
#[tokio::test]
async fn retry_after_is_honoured_by_the_retry_and_by_later_requests() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(std::sync::Mutex::new(Vec::<std::time::Instant>::new()));
    let log = served.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 16384];
            let mut read = 0;
            while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                let k = sock.read(&mut buf[read..]).await.unwrap();
                if k == 0 {
                    break;
                }
                read += k;
            }
            log.lock().unwrap().push(std::time::Instant::now());
            n += 1;
            let response = if n == 1 {
                let body = r#"{"code":"TooManyRequests","message":"slow down"}"#;
                format!("HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
            } else {
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]".to_string()
            };
            sock.write_all(response.as_bytes()).await.unwrap();
            sock.shutdown().await.ok();
        }
    });
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("HOME".to_owned(), dir.path().display().to_string()),
        (
            "OCI_CONFIG_FILE".to_owned(),
            h.mock.config_file.display().to_string(),
        ),
        (
            "CLIENT_HOST_OVERRIDES".to_owned(),
            test_support::client_host_overrides(&format!("http://{addr}")),
        ),
    ];
    let mut cfg = config::resolve(&config::ProviderSettings::default(), &move |k| {
        vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .unwrap();
    cfg.retry = fast_retry();
    let client = IdentityClient::new(&cfg).unwrap();
    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(client.list_auth_tokens(h.user()), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        client.list_auth_tokens(h.user()).await
    });
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    let served = served.lock().unwrap().clone();
    assert_eq!(served.len(), 3, "one refused, two served");
    assert!(
        served[1].duration_since(started) >= Duration::from_millis(950),
        "nothing is sent during the retry-after: {:?}",
        served[1].duration_since(started)
    );
    h.mock.stop().await;
}
