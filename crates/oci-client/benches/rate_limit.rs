//! Benchmark (prints figures; asserts nothing): how close the client's adaptive rate limit
//! gets to a service limit. For each shape (workers issuing requests back to back, like
//! Terraform's parallelism, with an optional pause between requests) it first measures the
//! unlimited rate against the in-process mock (20 ms latency), then sets the mock's
//! `--rate-limit` to two thirds of it — so that a third of the offered requests would be
//! refused — and measures again: achieved rate, its share of the limit, 429s, and the time
//! against the unlimited run (1.5× is the floor a limit of 2/3 sets).
//!
//! Run with `cargo bench -p oci-client --bench rate_limit`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oci_client::{config, IdentityClient};
use oci_identity_mock::MockOptions;

const USERS: usize = 20;

struct Run {
    secs: f64,
    requests: usize,
    refused: u64,
    failed: usize,
}

async fn run(
    dir: &std::path::Path,
    workers: usize,
    requests: usize,
    pause: Duration,
    limit: u32,
) -> Run {
    let mock = test_support::start_mock_in(
        dir,
        MockOptions {
            users: USERS,
            latency_ms: 20,
            rate_limit: limit,
            ..MockOptions::default()
        },
    )
    .await;
    // A fresh endpoint (new port) per run: the client's limiter is per process and endpoint.
    let vars = [
        ("HOME".to_owned(), dir.display().to_string()),
        (
            "OCI_CONFIG_FILE".to_owned(),
            mock.config_file.display().to_string(),
        ),
        (
            "CLIENT_HOST_OVERRIDES".to_owned(),
            test_support::client_host_overrides(&mock.endpoint),
        ),
    ];
    let mut cfg = config::resolve(&config::ProviderSettings::default(), &move |k| {
        vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .expect("mock config resolves");
    cfg.retry.max_duration = Duration::from_secs(600);
    let client = Arc::new(IdentityClient::new(&cfg).unwrap());
    let users = Arc::new(mock.user_ocids.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (client, users, next, failed) =
                (client.clone(), users.clone(), next.clone(), failed.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests {
                        break;
                    }
                    if client
                        .list_auth_tokens(&users[i % users.len()])
                        .await
                        .is_err()
                    {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let stats = mock.state().stats_json();
    mock.stop().await;
    Run {
        secs,
        requests,
        refused: stats["rate_limited"].as_u64().unwrap_or(0),
        failed: failed.load(Ordering::Relaxed),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{:>7} {:>6} {:>8} | {:>9} {:>9} | {:>6} {:>9} {:>6} {:>6} {:>7} {:>6}",
        "workers",
        "pause",
        "requests",
        "unl. s",
        "unl. /s",
        "limit",
        "limited s",
        "/s",
        "%limit",
        "429s",
        "x unl."
    );
    // Shapes as WORKERS:PAUSE_MS:REQUESTS arguments, or these: back to back, with pauses, and
    // slow enough (about 8 requests a second, as Terraform applies 2,000 resources) that the
    // mock's bucket holds a single request.
    let mut shapes: Vec<(usize, u64, usize)> = std::env::args()
        .skip(1)
        .filter_map(|a| {
            let mut it = a.split(':').map(str::parse::<u64>);
            match (it.next(), it.next(), it.next()) {
                (Some(Ok(w)), Some(Ok(p)), Some(Ok(n))) => Some((w as usize, p, n as usize)),
                _ => None,
            }
        })
        .collect();
    if shapes.is_empty() {
        shapes = vec![
            (10, 0, 3000),
            (10, 40, 2000),
            (50, 0, 6000),
            (50, 100, 4000),
            (10, 1200, 300),
        ];
    }
    for (workers, pause_ms, requests) in shapes {
        let pause = Duration::from_millis(pause_ms);
        let unl = rt.block_on(run(dir.path(), workers, requests, pause, 0));
        let rate = unl.requests as f64 / unl.secs;
        let limit = (rate * 2.0 / 3.0).round().max(1.0) as u32;
        let lim = rt.block_on(run(dir.path(), workers, requests, pause, limit));
        let achieved = lim.requests as f64 / lim.secs;
        println!(
            "{workers:>7} {pause_ms:>4}ms {requests:>8} | {:>9.2} {rate:>9.1} | {limit:>6} {:>9.2} {achieved:>6.1} {:>5.0}% {:>7} {:>5.2}x{}",
            unl.secs,
            lim.secs,
            achieved / f64::from(limit) * 100.0,
            lim.refused,
            lim.secs / unl.secs,
            if unl.failed + lim.failed > 0 {
                format!("  ({} failed)", unl.failed + lim.failed)
            } else {
                String::new()
            }
        );
    }
}
