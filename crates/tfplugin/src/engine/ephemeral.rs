//! Ephemeral resources: open, renew and close, on plain values.
//!
//! What the engine adds around the resource's own methods:
//! - an open with unknown configuration values (Terraform does not send one, but a provider
//!   must not create anything for it) answers with the computed attributes unknown and does
//!   not call the resource;
//! - after a successful open, the result must be wholly known and keep every configured
//!   value as it was (Terraform checks that too, with a less helpful message): otherwise it
//!   is a provider bug, and the open is closed again so nothing is left behind;
//! - a failed open returns no result, no private state and no renewal.

use std::sync::Mutex;
use std::time::SystemTime;

use crate::cty::Value;
use crate::diag::Diagnostics;
use crate::framework::{CloseRequest, Ctx, OpenRequest, PrivateState, RenewRequest};

use super::{unknowns_to_null, EphemeralEntry};

/// A successful open.
#[derive(Debug)]
pub(crate) struct Opened {
    pub result: Value,
    pub private: PrivateState,
    pub renew_at: Option<SystemTime>,
}

/// The placeholder result for a configuration with unknown values: the configuration with
/// its null computed attributes unknown.
fn unknown_result(entry: &EphemeralEntry, config: &Value) -> Value {
    let mut result = config.clone();
    if !matches!(result, Value::Object(_)) {
        return Value::Unknown;
    }
    for a in &entry.schema.block.attributes {
        if a.computed && result.get(&a.name).is_null() {
            result.set(&a.name, Value::Unknown);
        }
    }
    result
}

/// Configured (non-null) attributes the result changed: a provider bug.
fn changed_config(entry: &EphemeralEntry, config: &Value, result: &Value) -> Vec<String> {
    entry
        .schema
        .block
        .attributes
        .iter()
        .filter(|a| {
            let configured = config.get(&a.name);
            !configured.is_null()
                && configured.is_wholly_known()
                && result.get(&a.name) != configured
        })
        .map(|a| a.name.clone())
        .collect()
}

/// Opens the ephemeral resource. `None` when it failed (reported in `diags`) or when the
/// configuration is not wholly known (then `Some` with an unknown result and nothing to
/// close or renew).
pub(crate) async fn open(
    entry: &EphemeralEntry,
    config: Value,
    ctx: Ctx,
    diags: &mut Diagnostics,
) -> Option<Opened> {
    if !config.is_wholly_known() {
        return Some(Opened {
            result: unknown_result(entry, &config),
            private: PrivateState::new(),
            renew_at: None,
        });
    }
    let out = entry
        .imp
        .open(OpenRequest {
            config: config.clone(),
            ctx,
        })
        .await;
    diags.extend(out.diagnostics);
    if diags.has_errors() {
        return None;
    }
    let mut result = out.result;
    let mut bug = None;
    if result.is_null() {
        bug = Some("The provider opened an ephemeral resource without a result.".to_string());
    } else if !result.is_wholly_known() {
        bug = Some("The provider left values unknown in an ephemeral resource's result.".into());
        unknowns_to_null(&mut result);
    } else {
        let changed = changed_config(entry, &config, &result);
        if !changed.is_empty() {
            bug = Some(format!(
                "The provider changed configured values in an ephemeral resource's result: {}.",
                changed.join(", ")
            ));
        }
    }
    if let Some(detail) = bug {
        diags.provider_bug("Invalid ephemeral resource result", detail);
        // Terraform will not close what it never got: close it now, even when stopping.
        let close = close(
            entry,
            out.private,
            crate::framework::StopSource::new().ctx(),
        )
        .await;
        diags.extend(close);
        return None;
    }
    Some(Opened {
        result,
        private: out.private,
        renew_at: out.renew_at,
    })
}

/// A renewal: the private state from now on, and when to renew next.
#[derive(Debug)]
pub(crate) struct Renewed {
    pub private: PrivateState,
    pub renew_at: Option<SystemTime>,
}

pub(crate) async fn renew(
    entry: &EphemeralEntry,
    private: PrivateState,
    ctx: Ctx,
    diags: &mut Diagnostics,
) -> Renewed {
    let out = entry
        .imp
        .renew(RenewRequest {
            private: private.clone(),
            ctx,
        })
        .await;
    diags.extend(out.diagnostics);
    Renewed {
        private: out.private.unwrap_or(private),
        renew_at: out.renew_at,
    }
}

pub(crate) async fn close(entry: &EphemeralEntry, private: PrivateState, ctx: Ctx) -> Diagnostics {
    entry.imp.close(CloseRequest { private, ctx }).await
}

/// The instances this provider process opened and Terraform has not closed yet, by type name
/// and the private bytes Terraform holds (renew replaces them, close removes them).
///
/// An ephemeral instance lives within one walk, and a walk's provider process is shut down at
/// its end, so whatever is still open at shutdown will never be closed by Terraform: Terraform
/// 1.15 skips the close of an instance whose consumer failed (a failed provisioner, for
/// instance). The server closes those at shutdown.
#[derive(Default)]
pub(crate) struct Outstanding {
    open: Mutex<Vec<(String, Vec<u8>)>>,
}

impl Outstanding {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, Vec<u8>)>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn opened(&self, type_name: &str, private: Vec<u8>) {
        self.lock().push((type_name.to_string(), private));
    }

    /// Forgets one instance of `type_name` with these private bytes; false when none was open.
    pub fn closed(&self, type_name: &str, private: &[u8]) -> bool {
        let mut open = self.lock();
        match open
            .iter()
            .position(|(t, p)| t == type_name && p.as_slice() == private)
        {
            Some(i) => {
                open.remove(i);
                true
            }
            None => false,
        }
    }

    /// Renew replaced the private bytes of an instance.
    pub fn renewed(&self, type_name: &str, old: &[u8], new: Vec<u8>) {
        if self.closed(type_name, old) {
            self.opened(type_name, new);
        }
    }

    /// Takes every instance still open.
    pub fn take(&self) -> Vec<(String, Vec<u8>)> {
        std::mem::take(&mut *self.lock())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::framework::{
        async_trait, CloseRequest, EphemeralResource, OpenResponse, RenewResponse, StopSource,
    };
    use crate::schema::{Attribute, Block, Schema};

    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Ok,
        Fail,
        LeaveUnknown,
        ChangeConfig,
    }

    struct Fake {
        mode: Mode,
        opens: AtomicUsize,
        closed: Mutex<Vec<PrivateState>>,
    }

    fn fake(mode: Mode) -> (EphemeralEntry, Arc<Fake>) {
        let f = Arc::new(Fake {
            mode,
            opens: AtomicUsize::new(0),
            closed: Mutex::new(Vec::new()),
        });
        (EphemeralEntry::new(f.clone()), f)
    }

    #[async_trait]
    impl EphemeralResource for Fake {
        fn type_name(&self) -> &'static str {
            "example_secret"
        }
        fn schema(&self) -> Schema {
            Schema::new(
                Block::new()
                    .attribute(Attribute::string("owner").required())
                    .attribute(Attribute::string("label").optional())
                    .attribute(Attribute::string("secret").computed().sensitive())
                    .attribute(Attribute::string("id").computed()),
            )
        }
        async fn open(&self, req: OpenRequest) -> OpenResponse {
            self.opens.fetch_add(1, Ordering::SeqCst);
            let mut result = req.config.clone();
            let mut private = PrivateState::new();
            private.set("id", "s-1");
            let mut diagnostics = Diagnostics::new();
            match self.mode {
                Mode::Ok => {
                    result.set("secret", "hunter2".into());
                    result.set("id", "s-1".into());
                }
                Mode::Fail => diagnostics.error("Cannot open", "no"),
                Mode::LeaveUnknown => {
                    result.set("secret", "hunter2".into());
                    result.set("id", Value::Unknown);
                }
                Mode::ChangeConfig => {
                    result.set("secret", "hunter2".into());
                    result.set("id", "s-1".into());
                    result.set("owner", "someone else".into());
                }
            }
            OpenResponse {
                result,
                private,
                renew_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(60)),
                diagnostics,
            }
        }
        async fn renew(&self, req: RenewRequest) -> RenewResponse {
            let mut private = req.private;
            private.set("renewed", true);
            RenewResponse {
                private: Some(private),
                renew_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(120)),
                diagnostics: Diagnostics::new(),
            }
        }
        async fn close(&self, req: CloseRequest) -> Diagnostics {
            self.closed.lock().unwrap().push(req.private);
            Diagnostics::new()
        }
    }

    /// Uses the trait's default renew and close.
    struct Plain;

    #[async_trait]
    impl EphemeralResource for Plain {
        fn type_name(&self) -> &'static str {
            "example_plain"
        }
        fn schema(&self) -> Schema {
            Schema::new(Block::new().attribute(Attribute::string("v").computed()))
        }
        async fn open(&self, _req: OpenRequest) -> OpenResponse {
            OpenResponse {
                result: Value::object([("v", Value::from("x"))]),
                ..Default::default()
            }
        }
    }

    fn config() -> Value {
        Value::object([
            ("owner", Value::from("me")),
            ("label", Value::Null),
            ("secret", Value::Null),
            ("id", Value::Null),
        ])
    }

    fn ctx() -> (Ctx, StopSource) {
        let s = StopSource::new();
        (s.ctx(), s)
    }

    #[tokio::test]
    async fn open_returns_result_private_state_and_renewal() {
        let (entry, _f) = fake(Mode::Ok);
        let (ctx, _s) = ctx();
        let mut d = Diagnostics::new();
        let out = open(&entry, config(), ctx, &mut d).await.unwrap();
        assert!(d.is_empty());
        assert_eq!(out.result.get("secret"), &Value::from("hunter2"));
        assert_eq!(out.result.get("owner"), &Value::from("me"));
        assert_eq!(out.private.get("id"), Some(&serde_json::json!("s-1")));
        assert!(out.renew_at.is_some());
    }

    #[tokio::test]
    async fn failed_open_returns_nothing_and_is_not_closed() {
        let (entry, f) = fake(Mode::Fail);
        let (ctx, _s) = ctx();
        let mut d = Diagnostics::new();
        assert!(open(&entry, config(), ctx, &mut d).await.is_none());
        assert!(d.has_errors());
        assert!(f.closed.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn unknown_config_is_not_opened() {
        let (entry, f) = fake(Mode::Ok);
        let (ctx, _s) = ctx();
        let mut cfg = config();
        cfg.set("owner", Value::Unknown);
        let mut d = Diagnostics::new();
        let out = open(&entry, cfg, ctx, &mut d).await.unwrap();
        assert_eq!(f.opens.load(Ordering::SeqCst), 0, "nothing is created");
        assert_eq!(out.result.get("secret"), &Value::Unknown);
        assert_eq!(out.result.get("id"), &Value::Unknown);
        assert_eq!(
            out.result.get("label"),
            &Value::Null,
            "optional stays as set"
        );
        assert!(out.private.is_empty() && out.renew_at.is_none());
    }

    #[tokio::test]
    async fn a_bad_result_is_a_provider_bug_and_is_closed_again() {
        for (mode, needle) in [
            (Mode::LeaveUnknown, "unknown"),
            (Mode::ChangeConfig, "owner"),
        ] {
            let (entry, f) = fake(mode);
            let (ctx, _s) = ctx();
            let mut d = Diagnostics::new();
            assert!(open(&entry, config(), ctx, &mut d).await.is_none());
            let detail = &d.iter().next().unwrap().detail;
            assert!(detail.contains(needle), "{detail}");
            let closed = f.closed.lock().unwrap();
            assert_eq!(closed.len(), 1, "closed with the open's private state");
            assert_eq!(closed[0].get("id"), Some(&serde_json::json!("s-1")));
        }
    }

    #[tokio::test]
    async fn renew_replaces_private_state_and_close_gets_the_latest() {
        let (entry, f) = fake(Mode::Ok);
        let mut d = Diagnostics::new();
        let out = open(&entry, config(), s_ctx(), &mut d).await.unwrap();
        let r = renew(&entry, out.private, s_ctx(), &mut d).await;
        assert_eq!(r.private.get("renewed"), Some(&serde_json::json!(true)));
        assert_eq!(r.private.get("id"), Some(&serde_json::json!("s-1")));
        assert_eq!(
            r.renew_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(120))
        );
        assert!(close(&entry, r.private, s_ctx()).await.is_empty());
        assert_eq!(
            f.closed.lock().unwrap()[0].get("renewed"),
            Some(&serde_json::json!(true))
        );
    }

    #[tokio::test]
    async fn default_renew_keeps_private_state_and_stops() {
        let entry = EphemeralEntry::new(Arc::new(Plain));
        let (ctx, _s) = ctx();
        let mut private = PrivateState::new();
        private.set("k", 1);
        let mut d = Diagnostics::new();
        let r = renew(&entry, private.clone(), ctx.clone(), &mut d).await;
        assert_eq!(r.private, private);
        assert!(r.renew_at.is_none());
        assert!(close(&entry, private, ctx).await.is_empty());
        let mut d = Diagnostics::new();
        let out = open(&entry, Value::object([("v", Value::Null)]), s_ctx(), &mut d)
            .await
            .unwrap();
        assert_eq!(out.result.get("v"), &Value::from("x"));
        assert!(out.private.is_empty() && out.renew_at.is_none());
    }

    fn s_ctx() -> Ctx {
        StopSource::new().ctx()
    }

    #[test]
    fn outstanding_instances_follow_open_renew_and_close() {
        let o = Outstanding::default();
        o.opened("a", b"1".to_vec());
        o.opened("a", b"2".to_vec());
        o.opened("b", b"1".to_vec());
        o.renewed("a", b"1", b"1b".to_vec());
        assert!(o.closed("a", b"2"));
        assert!(!o.closed("a", b"2"), "closed once");
        o.renewed("a", b"9", b"x".to_vec());
        let mut left = o.take();
        left.sort();
        assert_eq!(
            left,
            vec![
                ("a".to_string(), b"1b".to_vec()),
                ("b".to_string(), b"1".to_vec())
            ]
        );
        assert!(o.take().is_empty());
    }

    struct Prov(Vec<Arc<dyn EphemeralResource>>);

    #[async_trait]
    impl crate::framework::Provider for Prov {
        fn type_name(&self) -> &'static str {
            "example"
        }
        fn schema(&self) -> Schema {
            Schema::new(Block::new())
        }
        async fn configure(&self, _req: crate::framework::ConfigureRequest) -> Diagnostics {
            Diagnostics::new()
        }
        fn resources(&self) -> Vec<Arc<dyn crate::framework::Resource>> {
            Vec::new()
        }
        fn data_sources(&self) -> Vec<Arc<dyn crate::framework::DataSource>> {
            Vec::new()
        }
        fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
            self.0.clone()
        }
    }

    #[test]
    fn registry_has_ephemeral_resources_by_name_and_refuses_duplicates() {
        let reg = super::super::Registry::new(&Prov(vec![Arc::new(Plain)])).unwrap();
        let mut d = Diagnostics::new();
        assert!(reg.ephemeral_resource("example_plain", &mut d).is_some());
        assert!(reg.ephemeral_resource("example_nope", &mut d).is_none());
        assert!(d.iter().next().unwrap().detail.contains("example_nope"));
        let err = super::super::Registry::new(&Prov(vec![Arc::new(Plain), Arc::new(Plain)]))
            .err()
            .unwrap();
        assert_eq!(err.kind, "ephemeral resource");
        assert!(err
            .to_string()
            .contains("more than one ephemeral resource named \"example_plain\""));
    }
}
