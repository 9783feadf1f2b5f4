//! An adaptive client-side rate limit shared by every request of the process to one service
//! endpoint (scheme, host and port), so a storm of
//! 429s does not turn into a retry avalanche: unlimited until the service throttles, then
//! 70% of the rate at the time, recovering a few percent per success up to 90% of that rate
//! and probing slowly above it (unlimited again only after a long run without 429s). A `retry-after` pauses every request until it has passed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Lowest rate the limiter drops to, in requests per second.
const MIN_RATE: f64 = 1.0;
/// Above this rate the limit is lifted.
const MAX_RATE: f64 = 1000.0;
/// Growth of the rate per successful request, below [`NEAR_CEILING`] of the rate at which the
/// service last throttled.
const RECOVERY: f64 = 1.02;
/// Growth per success close to (or above) that rate: probing gently where the limit was found
/// keeps the rate near it instead of overshooting into the next burst of 429s.
const PROBE: f64 = 1.002;
/// Where recovery turns into probing, as a fraction of the last throttled rate.
const NEAR_CEILING: f64 = 0.9;
/// The rate after a 429, as a fraction of the rate at the time (a gentler cut than halving:
/// halving spends half of the time well under a steady service limit).
const DECREASE: f64 = 0.7;
/// At most one decrease per this interval: a burst of 429s from requests sent at the same
/// time is one signal, not many.
const DECREASE_INTERVAL: Duration = Duration::from_millis(250);
/// Longest `retry-after` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct State {
    /// Requests per second, `None` while unlimited.
    rate: Option<f64>,
    /// When the next request may be sent.
    next_slot: Instant,
    /// No request before this (from `retry-after`).
    paused_until: Instant,
    last_decrease: Option<Instant>,
    /// The rate at the last decrease: where the service's limit was found.
    ceiling: Option<f64>,
    /// Requests sent in the current one-second window, and the rate of the previous one.
    window_start: Instant,
    window_sent: u32,
    observed: f64,
}

#[derive(Debug)]
pub(crate) struct AdaptiveLimiter {
    state: Mutex<State>,
}

impl Default for AdaptiveLimiter {
    fn default() -> Self {
        let now = Instant::now();
        Self {
            state: Mutex::new(State {
                rate: None,
                next_slot: now,
                paused_until: now,
                last_decrease: None,
                ceiling: None,
                window_start: now,
                window_sent: 0,
                observed: 0.0,
            }),
        }
    }
}

impl AdaptiveLimiter {
    /// The limiter of this process for the endpoint of `url`.
    pub(crate) fn for_endpoint(url: &reqwest::Url) -> Arc<AdaptiveLimiter> {
        static ALL: OnceLock<Mutex<HashMap<String, Arc<AdaptiveLimiter>>>> = OnceLock::new();
        let key = format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        );
        ALL.get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves a send slot; returns how long to wait before sending.
    pub(crate) fn reserve(&self) -> Duration {
        let now = Instant::now();
        let mut s = self.lock();
        let elapsed = now.duration_since(s.window_start);
        if elapsed >= Duration::from_secs(1) {
            s.observed = f64::from(s.window_sent) / elapsed.as_secs_f64();
            s.window_start = now;
            s.window_sent = 0;
        }
        s.window_sent += 1;
        let mut at = now.max(s.paused_until);
        if let Some(rate) = s.rate {
            at = at.max(s.next_slot);
            s.next_slot = at + Duration::from_secs_f64(1.0 / rate);
        }
        at.duration_since(now)
    }

    /// Waits for a send slot.
    pub(crate) async fn acquire(&self) -> Duration {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        wait
    }

    /// A request that was not throttled: the rate recovers a little.
    pub(crate) fn on_success(&self) {
        let mut s = self.lock();
        if let Some(rate) = s.rate {
            let growth = match s.ceiling {
                Some(ceiling) if rate >= ceiling * NEAR_CEILING => PROBE,
                _ => RECOVERY,
            };
            let rate = rate * growth;
            s.rate = (rate < MAX_RATE).then_some(rate);
        }
    }

    /// The service answered 429 to a request sent at `sent_at`: cut the rate to 70% (at most once
    /// per interval, and only for a request sent after the last decrease — a 429 to a request
    /// sent at the old rate says nothing about the new one, and counting it would cut the
    /// rate again and again during one burst) and pause every request for `retry_after` if
    /// given.
    pub(crate) fn on_throttled(&self, sent_at: Instant, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut s = self.lock();
        if let Some(pause) = retry_after {
            s.paused_until = s.paused_until.max(now + pause.min(MAX_RETRY_AFTER));
        }
        if s.last_decrease
            .is_some_and(|t| now.duration_since(t) < DECREASE_INTERVAL || sent_at < t)
        {
            return;
        }
        s.last_decrease = Some(now);
        let current = match s.rate {
            Some(rate) => rate,
            None => {
                let in_window = now.duration_since(s.window_start).as_secs_f64().max(0.1);
                s.observed
                    .max(f64::from(s.window_sent) / in_window)
                    .max(MIN_RATE * 2.0)
            }
        };
        s.ceiling = Some(current);
        s.rate = Some((current * DECREASE).max(MIN_RATE));
        s.next_slot = s.next_slot.max(now);
        tracing::debug!(
            rate_per_second = s.rate.unwrap_or_default(),
            "throttled by the service; lowering the request rate"
        );
    }

    #[cfg(test)]
    fn rate(&self) -> Option<f64> {
        self.lock().rate
    }
}

/// `retry-after` as seconds (the HTTP-date form is not used by OCI and is ignored).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(MAX_RETRY_AFTER.as_secs_f64())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_until_throttled_then_lowered_then_recovers() {
        let l = AdaptiveLimiter::default();
        for _ in 0..20 {
            assert_eq!(l.reserve(), Duration::ZERO, "unlimited");
        }
        l.on_throttled(Instant::now(), None);
        let rate = l.rate().expect("limited");
        assert!(rate >= MIN_RATE, "{rate}");
        // A burst of 429s is one signal.
        l.on_throttled(Instant::now(), None);
        assert_eq!(l.rate(), Some(rate));
        // Slots are spaced by 1/rate.
        let first = l.reserve();
        let second = l.reserve();
        assert!(second > first, "{first:?} {second:?}");
        assert!(second - first >= Duration::from_secs_f64(0.9 / rate));
        // Successes recover the rate until it is lifted.
        for _ in 0..3000 {
            l.on_success();
        }
        assert_eq!(l.rate(), None);
    }

    #[test]
    fn a_429_to_a_request_sent_before_the_last_decrease_does_not_lower_the_rate_again() {
        let l = AdaptiveLimiter::default();
        for _ in 0..50 {
            l.reserve();
        }
        let sent_before = Instant::now();
        l.on_throttled(Instant::now(), None);
        let rate = l.rate().expect("limited");
        std::thread::sleep(DECREASE_INTERVAL + Duration::from_millis(10));
        // Late answers to the old burst: no new signal.
        l.on_throttled(sent_before, None);
        assert_eq!(l.rate(), Some(rate));
        // A request sent at the new rate and refused: lower again.
        l.on_throttled(Instant::now(), None);
        let lower = l.rate().expect("limited");
        assert!(lower < rate, "{lower} < {rate}");
    }

    #[test]
    fn recovery_is_quick_up_to_near_the_limit_found_and_slow_above_it() {
        let l = AdaptiveLimiter::default();
        {
            let mut s = l.lock();
            s.rate = Some(100.0);
        }
        l.on_throttled(Instant::now(), None);
        let cut = l.rate().unwrap();
        assert!((cut - 70.0).abs() < 1e-9, "{cut}");
        // Back to 90% of the limit within a few dozen successes...
        for _ in 0..15 {
            l.on_success();
        }
        let near = l.rate().unwrap();
        assert!(near >= 90.0, "{near}");
        // ...then only slowly beyond it.
        for _ in 0..50 {
            l.on_success();
        }
        let probed = l.rate().unwrap();
        assert!(probed < 100.0 * 1.05, "{probed}");
    }

    #[test]
    fn retry_after_pauses_every_request() {
        let l = AdaptiveLimiter::default();
        l.on_throttled(Instant::now(), Some(Duration::from_secs(2)));
        let wait = l.reserve();
        assert!(wait > Duration::from_millis(1500), "{wait:?}");
        l.on_throttled(Instant::now(), Some(Duration::from_secs(3600)));
        assert!(l.reserve() <= MAX_RETRY_AFTER + Duration::from_secs(2));
    }

    #[test]
    fn one_limiter_per_endpoint() {
        let a = reqwest::Url::parse("https://identity.example:8443/20160918/users").unwrap();
        let b = reqwest::Url::parse("https://identity.example:8443/other").unwrap();
        let c = reqwest::Url::parse("https://identity.example:9443/other").unwrap();
        let la = AdaptiveLimiter::for_endpoint(&a);
        assert!(Arc::ptr_eq(&la, &AdaptiveLimiter::for_endpoint(&b)));
        assert!(!Arc::ptr_eq(&la, &AdaptiveLimiter::for_endpoint(&c)));
    }

    #[test]
    fn retry_after_values() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
