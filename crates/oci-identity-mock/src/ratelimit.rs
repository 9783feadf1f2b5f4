//! The request rate limit (`--rate-limit N`): a token bucket per tenancy that refills `N`
//! requests per second and holds at most a tenth of a second's worth (at least one request), so
//! that a burst above the rate is refused at once rather than after a second of credit. The mock
//! serves one tenancy, so every request of every API (classic Identity and every domain's SCIM)
//! draws on the same bucket.

use std::time::Instant;

/// A token bucket; `rate` 0 lets everything through.
#[derive(Debug)]
pub(crate) struct RateLimit {
    rate: u32,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    pub(crate) fn new(rate: u32) -> RateLimit {
        let mut r = RateLimit {
            rate: 0,
            tokens: 0.0,
            last: Instant::now(),
        };
        r.set_rate(rate);
        r
    }

    /// Requests per second; 0 = no limit. Starts with a full bucket.
    pub(crate) fn set_rate(&mut self, rate: u32) {
        self.rate = rate;
        self.tokens = self.capacity();
        self.last = Instant::now();
    }

    pub(crate) fn rate(&self) -> u32 {
        self.rate
    }

    fn capacity(&self) -> f64 {
        (f64::from(self.rate) / 10.0).max(1.0)
    }

    /// Takes one request from the bucket at `now`; `false` when it is empty (refuse).
    pub(crate) fn admit(&mut self, now: Instant) -> bool {
        if self.rate == 0 {
            return true;
        }
        let elapsed = now.saturating_duration_since(self.last);
        self.last = self.last.max(now);
        self.tokens =
            (self.tokens + elapsed.as_secs_f64() * f64::from(self.rate)).min(self.capacity());
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(0);
        assert!((0..1000).all(|_| r.admit(t0)));

        // 100/s: a burst of 10, then one every 10 ms.
        r.set_rate(100);
        let t0 = r.last;
        let admitted = (0..50).filter(|_| r.admit(t0)).count();
        assert_eq!(admitted, 10);
        assert!(!r.admit(t0 + Duration::from_millis(5)));
        assert!(r.admit(t0 + Duration::from_millis(11)));
        assert!(!r.admit(t0 + Duration::from_millis(12)));
        // A long pause refills the bucket only up to its capacity.
        let later = t0 + Duration::from_secs(10);
        assert_eq!((0..50).filter(|_| r.admit(later)).count(), 10);

        // Below 10/s the bucket still holds one request.
        r.set_rate(2);
        let t0 = r.last;
        assert!(r.admit(t0));
        assert!(!r.admit(t0 + Duration::from_millis(100)));
        assert!(r.admit(t0 + Duration::from_millis(600)));
        // Time going backwards (another thread's earlier `now`) never adds credit.
        assert!(!r.admit(t0));
    }
}
