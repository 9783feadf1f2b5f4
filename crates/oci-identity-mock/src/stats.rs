//! Request counters served at `GET /_mock/stats` (filled by `middleware::stats` and friends).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::faults::Fault;
use crate::platform::SessionError;

/// The four operations of the classic Identity API (their names are the stats keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    CreateAuthToken,
    ListAuthTokens,
    UpdateAuthToken,
    DeleteAuthToken,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::CreateAuthToken,
        Operation::ListAuthTokens,
        Operation::UpdateAuthToken,
        Operation::DeleteAuthToken,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateAuthToken => "CreateAuthToken",
            Operation::ListAuthTokens => "ListAuthTokens",
            Operation::UpdateAuthToken => "UpdateAuthToken",
            Operation::DeleteAuthToken => "DeleteAuthToken",
        }
    }
}

#[derive(Debug, Default)]
struct OpCounts {
    total: u64,
    by_status: BTreeMap<u16, u64>,
}

/// Counters since start or the last reset. `total` counts every request of an operation,
/// `by_status` only those that got a response (dropped connections have none).
///
/// Operations are named by the route that serves them (see `apis::Api::operation`). Every
/// registered operation is listed, with zeros until it is called; the classic Identity API's four
/// are always registered.
#[derive(Debug)]
pub(crate) struct Stats {
    known: BTreeSet<&'static str>,
    ops: BTreeMap<&'static str, OpCounts>,
    auth_failures: u64,
    rate_limited: u64,
    faults: BTreeMap<&'static str, u64>,
    /// Federation requests by flow (`x509`, `rpst`, `oke`, `wif`), answered or not.
    federation: BTreeMap<&'static str, u64>,
    /// `ST$` session tokens refused, by [`SessionError::name`].
    session_failures: BTreeMap<&'static str, u64>,
}

/// The federation flows counted in `federation_requests`.
pub(crate) const FEDERATION_FLOWS: [&str; 4] = ["x509", "rpst", "oke", "wif"];

impl Default for Stats {
    fn default() -> Stats {
        Stats {
            known: Operation::ALL.iter().map(|op| op.name()).collect(),
            ops: BTreeMap::new(),
            auth_failures: 0,
            rate_limited: 0,
            faults: BTreeMap::new(),
            federation: BTreeMap::new(),
            session_failures: BTreeMap::new(),
        }
    }
}

impl Stats {
    /// Lists `op` in the JSON even before its first request.
    pub(crate) fn register(&mut self, op: &'static str) {
        self.known.insert(op);
    }

    pub(crate) fn request(&mut self, op: &'static str) {
        self.known.insert(op);
        self.ops.entry(op).or_default().total += 1;
    }

    pub(crate) fn status(&mut self, op: &'static str, status: u16) {
        *self
            .ops
            .entry(op)
            .or_default()
            .by_status
            .entry(status)
            .or_default() += 1;
    }

    pub(crate) fn auth_failure(&mut self) {
        self.auth_failures += 1;
    }

    /// A request refused by the rate limit (also counted under its operation as a 429).
    pub(crate) fn rate_limited(&mut self) {
        self.rate_limited += 1;
    }

    pub(crate) fn fault(&mut self, fault: Fault) {
        *self.faults.entry(fault.name()).or_default() += 1;
    }

    /// A federation request of `flow` (one of [`FEDERATION_FLOWS`]).
    pub(crate) fn federation(&mut self, flow: &'static str) {
        *self.federation.entry(flow).or_default() += 1;
    }

    /// A refused `ST$` session token (also counted in `auth_failures`).
    pub(crate) fn session_failure(&mut self, why: SessionError) {
        *self.session_failures.entry(why.name()).or_default() += 1;
    }

    /// Zeroes the counters; registered operations stay listed.
    pub(crate) fn reset(&mut self) {
        self.federation.clear();
        self.session_failures.clear();
        self.ops.clear();
        self.auth_failures = 0;
        self.rate_limited = 0;
        self.faults.clear();
    }

    pub(crate) fn to_json(&self, live_tokens: usize) -> Value {
        let mut requests = serde_json::Map::new();
        for op in &self.known {
            let (total, by_status) = match self.ops.get(op) {
                Some(c) => (
                    c.total,
                    c.by_status
                        .iter()
                        .map(|(s, n)| (s.to_string(), json!(n)))
                        .collect::<serde_json::Map<_, _>>(),
                ),
                None => (0, serde_json::Map::new()),
            };
            requests.insert(
                (*op).into(),
                json!({"total": total, "by_status": by_status}),
            );
        }
        let mut faults = serde_json::Map::new();
        for f in Fault::ALL {
            faults.insert(
                f.name().into(),
                json!(self.faults.get(f.name()).copied().unwrap_or(0)),
            );
        }
        let federation: serde_json::Map<_, _> = FEDERATION_FLOWS
            .iter()
            .map(|f| {
                (
                    (*f).to_string(),
                    json!(self.federation.get(f).copied().unwrap_or(0)),
                )
            })
            .collect();
        let session_failures: serde_json::Map<_, _> = SessionError::ALL
            .iter()
            .map(|e| {
                (
                    e.name().to_string(),
                    json!(self.session_failures.get(e.name()).copied().unwrap_or(0)),
                )
            })
            .collect();
        json!({
            "requests": requests,
            "federation_requests": federation,
            "session_token_failures": session_failures,
            "auth_failures": self.auth_failures,
            "rate_limited": self.rate_limited,
            "injected_faults": faults,
            "live_tokens": live_tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape() {
        let mut s = Stats::default();
        s.request(Operation::CreateAuthToken.name());
        s.status(Operation::CreateAuthToken.name(), 200);
        s.fault(Fault::Status503);
        s.auth_failure();
        s.rate_limited();
        let j = s.to_json(3);
        assert_eq!(j["rate_limited"], 1);
        assert_eq!(j["requests"]["CreateAuthToken"]["total"], 1);
        assert_eq!(j["requests"]["CreateAuthToken"]["by_status"]["200"], 1);
        assert_eq!(j["requests"]["DeleteAuthToken"]["total"], 0);
        assert_eq!(j["injected_faults"]["503"], 1);
        assert_eq!(j["injected_faults"]["drop_response"], 0);
        assert_eq!(j["auth_failures"], 1);
        assert_eq!(j["live_tokens"], 3);
        assert_eq!(j["federation_requests"]["x509"], 0);
        assert_eq!(j["session_token_failures"]["expired"], 0);
        s.reset();
        assert_eq!(s.to_json(0)["auth_failures"], 0);
        assert_eq!(s.to_json(0)["rate_limited"], 0);
        assert_eq!(s.to_json(0)["requests"]["CreateAuthToken"]["total"], 0);
        // Other APIs' operations are listed once registered, and stay listed after a reset.
        s.register("Ping");
        assert_eq!(s.to_json(0)["requests"]["Ping"]["total"], 0);
        s.request("Ping");
        s.reset();
        assert_eq!(
            s.to_json(0)["requests"]["Ping"],
            json!({"total": 0, "by_status": {}})
        );
    }
}
