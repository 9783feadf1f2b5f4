//! One `reqwest` client per process and set of options: every service client of a provider
//! process (Identity, Identity Domains, …) shares its connection pool (keep-alive, and HTTP/2
//! where the server offers it through TLS ALPN), and its TLS set-up (`super::tls`: the
//! platform's root certificates load on a background thread) happens once.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::ClientOptions;

type Key = (Duration, Duration, String);

static CLIENTS: OnceLock<Mutex<HashMap<Key, reqwest::Client>>> = OnceLock::new();

/// The process's client for `options`, built on first use (`reqwest::Client` is a handle:
/// clones share the pool).
pub(crate) fn client(options: &ClientOptions) -> Result<reqwest::Client, String> {
    let key = (
        options.request_timeout,
        options.connect_timeout,
        options.user_agent.clone(),
    );
    let mut clients = CLIENTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(client) = clients.get(&key) {
        return Ok(client.clone());
    }
    let started = std::time::Instant::now();
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(super::tls::client_config(Vec::new())?)
        .timeout(options.request_timeout)
        .connect_timeout(options.connect_timeout)
        .user_agent(options.user_agent.clone())
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", super::error_chain(&e)))?;
    tracing::debug!(
        build_ms = started.elapsed().as_secs_f64() * 1000.0,
        "HTTP client built"
    );
    clients.insert(key, client.clone());
    Ok(client)
}

/// How many clients this process has built for user agents starting with `prefix` (other
/// tests build theirs concurrently).
#[cfg(test)]
fn built(prefix: &str) -> usize {
    CLIENTS.get().map_or(0, |c| {
        let clients = c.lock().unwrap_or_else(|e| e.into_inner());
        clients.keys().filter(|k| k.2.starts_with(prefix)).count()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_per_set_of_options() {
        let options = ClientOptions {
            user_agent: "shared-client-test/1".into(),
            ..ClientOptions::default()
        };
        client(&options).unwrap();
        client(&options.clone()).unwrap();
        assert_eq!(
            built("shared-client-test/"),
            1,
            "the same options reuse the client"
        );
        let other = ClientOptions {
            user_agent: "shared-client-test/2".into(),
            ..options
        };
        client(&other).unwrap();
        assert_eq!(
            built("shared-client-test/"),
            2,
            "other options get their own client"
        );
    }
}
