//! An adaptive client-side rate limit shared by every request of the process to one service
//! endpoint (scheme, host and port), so a storm of 429s does not turn into a retry avalanche:
//! unlimited until the service throttles, then 70% of the rate at the time, recovering a few
//! percent per success up to 90% of that rate and probing slowly above it (unlimited again
//! only after a long run without 429s). Each decrease starts an epoch: requests queued
//! before it take new slots at the new rate, and 429s to requests paced at an older rate do
//! not cut it again. A `retry-after` pauses every request until it has passed.

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
    /// Counts decreases. A request is paced in the epoch of its slot; a 429 to a request of an
    /// earlier epoch says nothing about the current rate.
    epoch: u64,
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
                epoch: 0,
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

    /// Reserves a send slot for a new request without waiting for it (the tests' way to send);
    /// returns how long to wait before sending, and the epoch.
    #[cfg(test)]
    fn reserve(&self) -> (Duration, u64) {
        self.reserve_slot(true)
    }

    /// Reserves a send slot; returns how long to wait before sending, and the epoch.
    /// `new_request` is false when a request takes a slot again, so that it counts once in the
    /// observed rate.
    fn reserve_slot(&self, new_request: bool) -> (Duration, u64) {
        let now = Instant::now();
        let mut s = self.lock();
        let elapsed = now.duration_since(s.window_start);
        if elapsed >= Duration::from_secs(1) {
            s.observed = f64::from(s.window_sent) / elapsed.as_secs_f64();
            s.window_start = now;
            s.window_sent = 0;
        }
        if new_request {
            s.window_sent += 1;
        }
        let mut at = now.max(s.paused_until);
        if let Some(rate) = s.rate {
            at = at.max(s.next_slot);
            s.next_slot = at + Duration::from_secs_f64(1.0 / rate);
        }
        (at.duration_since(now), s.epoch)
    }

    /// Waits for a send slot; returns the time waited and the epoch to report a 429 with.
    /// A slot reserved before a decrease (or before a `retry-after` pause that it falls in) is
    /// given up when it comes due and a new one taken: otherwise the requests queued at the
    /// old rate would all go out at it and be refused (at low rates that queue spans seconds,
    /// and its 429s used to cut the rate again and again, far below the service's limit).
    pub(crate) async fn acquire(&self) -> (Duration, u64) {
        let mut waited = Duration::ZERO;
        let mut new_request = true;
        loop {
            let (wait, epoch) = self.reserve_slot(new_request);
            new_request = false;
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
                waited += wait;
            }
            let s = self.lock();
            if epoch == s.epoch && s.paused_until <= Instant::now() {
                return (waited, epoch);
            }
        }
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

    /// The service answered 429 to a request paced in `epoch`: cut the rate to 70% unless the
    /// rate was already cut since (a burst of 429s to requests sent at one rate is one
    /// signal; counting each would cut the rate again and again) and pause every request for
    /// `retry_after` if given.
    pub(crate) fn on_throttled(&self, epoch: u64, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut s = self.lock();
        if let Some(pause) = retry_after {
            s.paused_until = s.paused_until.max(now + pause.min(MAX_RETRY_AFTER));
        }
        if epoch != s.epoch {
            return;
        }
        s.epoch += 1;
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
        let rate = (current * DECREASE).max(MIN_RATE);
        s.rate = Some(rate);
        // Every queued request takes a new slot at the new rate, from one slot from now.
        s.next_slot = now + Duration::from_secs_f64(1.0 / rate);
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
            assert_eq!(l.reserve(), (Duration::ZERO, 0), "unlimited");
        }
        l.on_throttled(0, None);
        let rate = l.rate().expect("limited");
        assert!(rate >= MIN_RATE, "{rate}");
        // A burst of 429s is one signal.
        l.on_throttled(0, None);
        assert_eq!(l.rate(), Some(rate));
        // Slots are spaced by 1/rate.
        let (first, _) = l.reserve();
        let (second, _) = l.reserve();
        assert!(second > first, "{first:?} {second:?}");
        assert!(second - first >= Duration::from_secs_f64(0.9 / rate));
        // Successes recover the rate until it is lifted.
        for _ in 0..3000 {
            l.on_success();
        }
        assert_eq!(l.rate(), None);
    }

    #[test]
    fn a_429_to_a_request_paced_at_an_older_rate_does_not_lower_the_rate_again() {
        let l = AdaptiveLimiter::default();
        for _ in 0..50 {
            l.reserve();
        }
        let (_, old) = l.reserve();
        l.on_throttled(old, None);
        let rate = l.rate().expect("limited");
        // Late answers to the old burst: no new signal.
        std::thread::sleep(Duration::from_millis(300));
        l.on_throttled(old, None);
        assert_eq!(l.rate(), Some(rate));
        // A request paced at the new rate and refused: lower again.
        let (_, new) = l.reserve();
        assert_ne!(new, old);
        l.on_throttled(new, None);
        let lower = l.rate().expect("limited");
        assert!(lower < rate, "{lower} < {rate}");
    }

    #[tokio::test]
    async fn slots_queued_before_a_decrease_are_taken_again_at_the_new_rate() {
        let l = Arc::new(AdaptiveLimiter::default());
        {
            let mut s = l.lock();
            s.rate = Some(10.0);
        }
        // Ten requests queue at 10/s (a second of slots), then the service throttles.
        let (_, epoch) = l.reserve();
        let queued: Vec<_> = (0..10)
            .map(|_| {
                let l = l.clone();
                tokio::spawn(async move { l.acquire().await })
            })
            .collect();
        tokio::task::yield_now().await;
        l.on_throttled(epoch, None);
        let start = Instant::now();
        let mut sent = Vec::new();
        for q in queued {
            let (_, e) = q.await.unwrap();
            assert_eq!(
                e,
                epoch + 1,
                "every queued request is paced at the new rate"
            );
            sent.push(start.elapsed());
        }
        // At 7/s the ten go out over about 1.4 s, none of them at the old spacing.
        let last = sent.iter().max().unwrap();
        assert!(*last >= Duration::from_millis(1300), "{last:?}");
    }

    #[test]
    fn recovery_is_quick_up_to_near_the_limit_found_and_slow_above_it() {
        let l = AdaptiveLimiter::default();
        {
            let mut s = l.lock();
            s.rate = Some(100.0);
        }
        l.on_throttled(0, None);
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
        l.on_throttled(0, Some(Duration::from_secs(2)));
        let (wait, _) = l.reserve();
        assert!(wait > Duration::from_millis(1500), "{wait:?}");
        l.on_throttled(1, Some(Duration::from_secs(3600)));
        assert!(l.reserve().0 <= MAX_RETRY_AFTER + Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_retry_after_holds_back_requests_already_queued() {
        let l = Arc::new(AdaptiveLimiter::default());
        l.on_throttled(0, None);
        let queued = {
            let l = l.clone();
            tokio::spawn(async move { l.acquire().await })
        };
        tokio::task::yield_now().await;
        // A late 429 of the old epoch: no second cut, but its retry-after pauses everyone.
        let start = Instant::now();
        l.on_throttled(0, Some(Duration::from_secs(1)));
        queued.await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_millis(950),
            "{:?}",
            start.elapsed()
        );
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
