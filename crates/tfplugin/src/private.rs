//! Private state: data a resource keeps with an instance that Terraform stores but never
//! shows or diffs (`private` bytes in the protocol).
//!
//! The framework stores it as a JSON object, key → JSON value, so several concerns can keep
//! their own entries. Bytes that are not a JSON object (written by an earlier release that used
//! raw markers) are kept as they are and readable with [`PrivateState::legacy_bytes`], so state
//! files in the wild keep their meaning.

use std::collections::BTreeMap;
use std::fmt;

/// Keyed private state of one resource instance. Empty encodes as no bytes at all.
#[derive(Clone, Default)]
pub struct PrivateState {
    entries: BTreeMap<String, serde_json::Value>,
    /// The bytes this was read from, while nothing has changed: written back byte for byte.
    read: Option<Vec<u8>>,
    /// `read` is not a JSON object (private state of an earlier release).
    legacy: bool,
}

impl PrivateState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads private state from the wire. Empty bytes are an empty state; a JSON object gives
    /// its entries; anything else is kept as legacy bytes.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return Self::default();
        }
        let parsed = serde_json::from_slice::<BTreeMap<String, serde_json::Value>>(bytes);
        PrivateState {
            legacy: parsed.is_err(),
            entries: parsed.unwrap_or_default(),
            read: Some(bytes.to_vec()),
        }
    }

    /// The wire form: the bytes it was read from if nothing changed since, else nothing when
    /// empty, else the JSON object.
    pub fn to_bytes(&self) -> Vec<u8> {
        if let Some(raw) = &self.read {
            return raw.clone();
        }
        if self.entries.is_empty() {
            return Vec::new();
        }
        serde_json::to_vec(&self.entries).unwrap_or_default()
    }

    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.entries.get(key)
    }

    /// Sets `key`. Legacy bytes are dropped: the state becomes a JSON object.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) {
        self.changed();
        self.entries.insert(key.into(), value.into());
    }

    /// Removes `key`. Legacy bytes are dropped too.
    pub fn remove(&mut self, key: &str) -> Option<serde_json::Value> {
        self.changed();
        self.entries.remove(key)
    }

    fn changed(&mut self) {
        self.read = None;
        self.legacy = false;
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.legacy_bytes().is_none()
    }

    /// Bytes read back that were not a JSON object (private state of an earlier release).
    pub fn legacy_bytes(&self) -> Option<&[u8]> {
        self.read.as_deref().filter(|_| self.legacy)
    }
}

/// Equal entries and equal legacy bytes; how a JSON object was spelt does not matter.
impl PartialEq for PrivateState {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries && self.legacy_bytes() == other.legacy_bytes()
    }
}

/// Lists the keys only: values may be secret.
impl fmt::Debug for PrivateState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("PrivateState");
        d.field("keys", &self.entries.keys().collect::<Vec<_>>());
        if let Some(raw) = self.legacy_bytes() {
            d.field("legacy_bytes", &raw.len());
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_no_bytes() {
        assert!(PrivateState::from_bytes(b"").is_empty());
        assert_eq!(PrivateState::new().to_bytes(), Vec::<u8>::new());
    }

    #[test]
    fn keyed_json_round_trips() {
        let mut p = PrivateState::new();
        p.set("unconfirmed", true);
        p.set("etag", "abc");
        let bytes = p.to_bytes();
        assert_eq!(bytes, br#"{"etag":"abc","unconfirmed":true}"#.to_vec());
        let back = PrivateState::from_bytes(&bytes);
        assert_eq!(back, p);
        assert_eq!(
            back.get("unconfirmed"),
            Some(&serde_json::Value::Bool(true))
        );
        let mut back = back;
        assert_eq!(back.remove("etag"), Some("abc".into()));
        assert_eq!(back.get("etag"), None);
        back.remove("unconfirmed");
        assert!(back.is_empty());
        assert!(back.to_bytes().is_empty());
    }

    #[test]
    fn unchanged_state_is_written_back_byte_for_byte() {
        let spelt = br#"{ "b": 1.50, "a": {"x": [1, 2]} }"#;
        let p = PrivateState::from_bytes(spelt);
        assert_eq!(p.get("b"), Some(&serde_json::json!(1.5)));
        assert_eq!(p.to_bytes(), spelt.to_vec());
        assert_eq!(p, PrivateState::from_bytes(br#"{"a":{"x":[1,2]},"b":1.5}"#));
        let mut p = p;
        p.remove("a");
        assert_eq!(p.to_bytes(), br#"{"b":1.5}"#.to_vec());
    }

    #[test]
    fn non_object_bytes_are_kept_as_legacy() {
        for raw in [&b"unconfirmed"[..], b"[1,2]", b"\xff\x00"] {
            let p = PrivateState::from_bytes(raw);
            assert!(!p.is_empty());
            assert_eq!(p.legacy_bytes(), Some(raw));
            assert_eq!(p.get("unconfirmed"), None);
            assert_eq!(p.to_bytes(), raw.to_vec(), "unchanged state round-trips");
        }
        let mut p = PrivateState::from_bytes(b"unconfirmed");
        p.set("k", 1);
        assert_eq!(p.legacy_bytes(), None);
        assert_eq!(p.to_bytes(), br#"{"k":1}"#.to_vec());
    }

    #[test]
    fn debug_shows_keys_not_values() {
        let mut p = PrivateState::new();
        p.set("secret_hint", "hunter2");
        let s = format!("{p:?}");
        assert!(s.contains("secret_hint") && !s.contains("hunter2"), "{s}");
    }
}
