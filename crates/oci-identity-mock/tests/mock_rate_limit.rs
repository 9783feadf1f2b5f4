//! `--rate-limit`: requests above the tenancy's rate get 429 `TooManyRequests` in each API's
//! error form (classic OCI and SCIM), before the signature is checked or a fault injected; the
//! bucket is shared by both APIs, refusals are counted in `/_mock/stats`, and the limit can be
//! changed at run time through `/_mock/faults`.

use std::time::Duration;

use oci_identity_mock::{self as mock, Fault, MockOptions, MockServer};
use serde_json::{json, Value};

const SCIM_ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

struct Resp {
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    body: Value,
}

async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Resp {
    let mut req = http.request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let content_type = header("content-type").unwrap_or_default();
    let retry_after = header("retry-after");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    Resp {
        status,
        content_type,
        retry_after,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

async fn stats(http: &reqwest::Client, server: &MockServer) -> Value {
    let url = format!("{}/_mock/stats", server.endpoint);
    send(http, reqwest::Method::GET, &url, None).await.body
}

#[tokio::test]
async fn requests_above_the_rate_are_refused_in_each_apis_form() {
    let dir = tempfile::tempdir().unwrap();
    let server = mock::start(MockOptions {
        data_dir: dir.path().to_path_buf(),
        // A bucket of one request, refilled every 200 ms.
        rate_limit: 5,
        ..MockOptions::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let classic = format!(
        "{}/20160918/users/{}/authTokens",
        server.endpoint, server.user_ocids[0]
    );
    let scim = format!(
        "{}/admin/v1/AuthTokens",
        server.identity_domains[0].idcs_endpoint
    );

    // The first request gets through to the signature check (unsigned: 401); the next ones,
    // on either API, find the shared bucket empty.
    let r = send(&http, reqwest::Method::GET, &classic, None).await;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = send(&http, reqwest::Method::GET, &classic, None).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.body["code"], "TooManyRequests");
    assert!(r.body["message"].as_str().unwrap().contains("rate limit"));
    assert_eq!(r.retry_after, None);
    let r = send(&http, reqwest::Method::GET, &scim, None).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.content_type, "application/scim+json");
    assert_eq!(r.body["schemas"], json!([SCIM_ERROR]));
    assert_eq!(r.body["status"], "429");
    assert!(r.body["detail"].as_str().unwrap().contains("rate limit"));

    // Refused requests are counted, under their operation as 429s and as `rate_limited`; a
    // refusal does not consume a queued fault.
    let s = stats(&http, &server).await;
    assert_eq!(s["rate_limited"], 2, "{s}");
    assert_eq!(
        s["requests"]["ListAuthTokens"]["by_status"]["429"], 1,
        "{s}"
    );
    assert_eq!(
        s["requests"]["ListAuthTokens"]["by_status"]["401"], 1,
        "{s}"
    );
    assert_eq!(s["auth_failures"], 1, "{s}");
    server.state().queue_faults([Fault::Status503]);
    let r = send(&http, reqwest::Method::GET, &classic, None).await;
    assert_eq!(r.status, 429);

    // The bucket refills at the rate.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let r = send(&http, reqwest::Method::GET, &scim, None).await;
    assert_eq!(r.status, 503, "the queued fault, once admitted: {}", r.body);

    // The admin API shows and changes the limit; 0 lifts it (and a burst gets through).
    let faults = format!("{}/_mock/faults", server.endpoint);
    let r = send(&http, reqwest::Method::GET, &faults, None).await;
    assert_eq!(r.body["rate_limit"], 5);
    let r = send(
        &http,
        reqwest::Method::POST,
        &faults,
        Some(json!({"rate_limit": 0})),
    )
    .await;
    assert_eq!((r.status, &r.body["rate_limit"]), (200, &json!(0)));
    for _ in 0..20 {
        let r = send(&http, reqwest::Method::GET, &classic, None).await;
        assert_eq!(r.status, 401);
    }
    let r = send(
        &http,
        reqwest::Method::POST,
        &faults,
        Some(json!({"rate_limit": -1})),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (400, &json!("InvalidParameter"))
    );
    assert_eq!(stats(&http, &server).await["rate_limited"], 3);

    // Back on: a burst of 50 concurrent requests at 100/s gets about its 10-request bucket.
    send(
        &http,
        reqwest::Method::POST,
        &faults,
        Some(json!({"rate_limit": 100})),
    )
    .await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (http, url) = (http.clone(), classic.clone());
            tokio::spawn(async move { send(&http, reqwest::Method::GET, &url, None).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let admitted = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(admitted + refused, 50, "{statuses:?}");
    assert!((10..=25).contains(&admitted), "{statuses:?}");
    server.stop().await;
}
