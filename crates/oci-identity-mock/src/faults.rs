//! Fault injection: a queue of deterministic faults plus a seeded random fault rate.

use std::collections::VecDeque;

/// A fault injected into an API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 TooManyRequests with `retry-after: 1`.
    Status429,
    /// 500 InternalServerError.
    Status500,
    /// 503 ServiceUnavailable.
    Status503,
    /// Close the connection before processing; no response.
    DropConnection,
    /// Perform the operation, then close the connection without responding.
    DropResponse,
}

impl Fault {
    pub const ALL: [Fault; 5] = [
        Fault::Status429,
        Fault::Status500,
        Fault::Status503,
        Fault::DropConnection,
        Fault::DropResponse,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Status429 => "429",
            Fault::Status500 => "500",
            Fault::Status503 => "503",
            Fault::DropConnection => "drop_connection",
            Fault::DropResponse => "drop_response",
        }
    }

    pub fn parse(s: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// Fault configuration and RNG.
pub(crate) struct Faults {
    rate: f64,
    rng: fastrand::Rng,
    queue: VecDeque<Fault>,
}

impl Faults {
    pub(crate) fn new(rate: f64, seed: u64) -> Faults {
        Faults {
            rate: rate.clamp(0.0, 1.0),
            rng: fastrand::Rng::with_seed(seed),
            queue: VecDeque::new(),
        }
    }

    pub(crate) fn set_rate(&mut self, rate: f64) {
        self.rate = rate.clamp(0.0, 1.0);
    }

    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }

    pub(crate) fn enqueue(&mut self, faults: impl IntoIterator<Item = Fault>) {
        self.queue.extend(faults);
    }

    pub(crate) fn queued(&self) -> Vec<&'static str> {
        self.queue.iter().map(|f| f.name()).collect()
    }

    /// The fault for the next API request: the queue first, then the random rate, which picks
    /// uniformly among 429, 500, 503 and a dropped connection.
    pub(crate) fn next(&mut self) -> Option<Fault> {
        if let Some(f) = self.queue.pop_front() {
            return Some(f);
        }
        if self.rate > 0.0 && self.rng.f64() < self.rate {
            const RANDOM: [Fault; 4] = [
                Fault::Status429,
                Fault::Status500,
                Fault::Status503,
                Fault::DropConnection,
            ];
            return Some(RANDOM[self.rng.usize(..RANDOM.len())]);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_then_rate_and_determinism() {
        let mut f = Faults::new(0.0, 1);
        f.enqueue([Fault::Status503, Fault::DropResponse]);
        assert_eq!(f.next(), Some(Fault::Status503));
        assert_eq!(f.next(), Some(Fault::DropResponse));
        assert_eq!(f.next(), None);

        let run = |seed| {
            let mut f = Faults::new(0.5, seed);
            (0..200).map(|_| f.next()).collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        let hits = a.iter().filter(|x| x.is_some()).count();
        assert!((50..150).contains(&hits), "{hits}");
        assert!(a.iter().all(|x| *x != Some(Fault::DropResponse)));
        assert_eq!(Fault::parse("drop_connection"), Some(Fault::DropConnection));
        assert_eq!(Fault::parse("404"), None);
    }
}
