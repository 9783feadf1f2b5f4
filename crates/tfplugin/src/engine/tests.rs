//! The framework logic on plain values, with fake resources: no protobuf anywhere.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::*;
use crate::cty::{AttributePath, Number, Type};
use crate::framework::{
    async_trait, ApplyResponse, ConfigureRequest, CreateRequest, DataReadRequest, DeleteRequest,
    ListItem, ListRequest, ListSink, Plan, PlanContext, PrivateState, RawState, ReadRequest,
    ReadResponse, StopSource, UpdateRequest,
};
use crate::schema::{Attribute, Block, IdentityAttribute};

// ---------------------------------------------------------------------------------------------
// A fake resource

#[derive(Clone, Copy, PartialEq)]
enum CreateMode {
    Ok,
    /// Returns the plan as is, unknowns included.
    LeaveUnknown,
    /// Fails after the remote object exists: a partial state with an unknown, and an error.
    FailPartial,
}

struct Fake {
    name: &'static str,
    create: CreateMode,
    fail_delete: bool,
    modify_plan_calls: AtomicUsize,
    last_read_private: Mutex<Option<PrivateState>>,
}

impl Fake {
    fn new(name: &'static str) -> Self {
        Fake {
            name,
            create: CreateMode::Ok,
            fail_delete: false,
            modify_plan_calls: AtomicUsize::new(0),
            last_read_private: Mutex::new(None),
        }
    }
}

fn fake_schema() -> Schema {
    Schema::new(
        Block::new()
            .attribute(Attribute::string("id").computed().use_state_for_unknown())
            .attribute(Attribute::string("user_id").required().requires_replace())
            .attribute(Attribute::string("description").required())
            .attribute(Attribute::number("size").optional())
            .attribute(Attribute::string("status").computed()),
    )
}

fn fake_identity() -> IdentitySchema {
    IdentitySchema {
        version: 0,
        attributes: vec![
            IdentityAttribute::required("user_id", Type::String, "user"),
            IdentityAttribute::required("id", Type::String, "id"),
        ],
    }
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    let mut v = framework::null_object(&fake_schema().block);
    for (k, x) in pairs {
        v.set(k, x.clone());
    }
    v
}

#[async_trait]
impl Resource for Fake {
    fn type_name(&self) -> &'static str {
        self.name
    }
    fn schema(&self) -> Schema {
        fake_schema()
    }
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(fake_identity())
    }
    async fn create(&self, req: CreateRequest) -> ApplyResponse {
        let mut state = req.planned.clone();
        let mut diagnostics = Diagnostics::new();
        let mut private = PrivateState::new();
        match self.create {
            CreateMode::Ok => {
                state.set("id", "i1".into());
                state.set("status", "ACTIVE".into());
            }
            CreateMode::LeaveUnknown => {}
            CreateMode::FailPartial => {
                state.set("id", "i1".into());
                diagnostics.error("Created but not ready", "the wait failed");
                private.set("unconfirmed", true);
            }
        }
        ApplyResponse {
            state,
            diagnostics,
            private: Some(private),
        }
    }
    async fn read(&self, req: ReadRequest) -> ReadResponse {
        *self.last_read_private.lock().unwrap() = Some(req.private.clone());
        ReadResponse {
            state: req.state,
            private: req.private,
            diagnostics: Diagnostics::new(),
        }
    }
    async fn update(&self, req: UpdateRequest) -> ApplyResponse {
        let mut state = req.planned;
        state.set("status", "UPDATED".into());
        ApplyResponse {
            state,
            ..Default::default()
        }
    }
    async fn delete(&self, _req: DeleteRequest) -> Diagnostics {
        let mut d = Diagnostics::new();
        if self.fail_delete {
            d.error("Cannot delete", "busy");
        }
        d
    }
    fn modify_plan(&self, _ctx: &PlanContext<'_>, plan: &mut Plan, _diags: &mut Diagnostics) {
        self.modify_plan_calls.fetch_add(1, Ordering::SeqCst);
        if plan.planned.get_str("description") == Some("shout") {
            plan.planned.set("description", "SHOUT".into());
        }
    }
    fn import_id(&self, id: &str) -> Result<Value, Diagnostics> {
        match id.split_once('/') {
            Some((u, i)) => Ok(obj(&[("user_id", u.into()), ("id", i.into())])),
            None => {
                let mut d = Diagnostics::new();
                d.error("Invalid import ID", "use user/id");
                Err(d)
            }
        }
    }
}

fn entry(fake: Fake) -> (ResourceEntry, Arc<Fake>) {
    let fake = Arc::new(fake);
    (ResourceEntry::new(fake.clone()), fake)
}

fn prior_state() -> Value {
    obj(&[
        ("id", "i1".into()),
        ("user_id", "u".into()),
        ("description", "d".into()),
        ("status", "ACTIVE".into()),
    ])
}

fn config_of(state: &Value) -> Value {
    let mut c = state.clone();
    c.set("id", Value::Null);
    c.set("status", Value::Null);
    c
}

fn ctx() -> (Ctx, StopSource) {
    let stop = StopSource::new();
    (stop.ctx(), stop)
}

fn summaries(d: &Diagnostics) -> Vec<&str> {
    d.iter().map(|x| x.summary.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Plan

#[test]
fn plan_destroy_is_null_without_modify_plan_or_identity() {
    let (e, fake) = entry(Fake::new("fake"));
    let mut d = Diagnostics::new();
    let p = plan(&e, &prior_state(), &Value::Null, &Value::Null, &mut d);
    assert_eq!(p.state, Value::Null);
    assert!(p.requires_replace.is_empty() && p.identity.is_none());
    assert_eq!(fake.modify_plan_calls.load(Ordering::SeqCst), 0);
    assert!(d.is_empty());
}

#[test]
fn plan_create_has_unknown_computed_and_no_identity() {
    let (e, fake) = entry(Fake::new("fake"));
    let config = obj(&[("user_id", "u".into()), ("description", "shout".into())]);
    let mut d = Diagnostics::new();
    let p = plan(&e, &Value::Null, &config, &config, &mut d);
    assert_eq!(p.state.get("id"), &Value::Unknown);
    assert_eq!(p.state.get("status"), &Value::Unknown);
    // modify_plan ran after the core rules and its change is planned.
    assert_eq!(fake.modify_plan_calls.load(Ordering::SeqCst), 1);
    assert_eq!(p.state.get_str("description"), Some("SHOUT"));
    // The id is unknown: no planned identity.
    assert!(p.identity.is_none());
    assert!(p.requires_replace.is_empty());
}

#[test]
fn plan_in_place_update_plans_the_known_identity() {
    let (e, fake) = entry(Fake::new("fake"));
    let prior = prior_state();
    let mut proposed = prior.clone();
    proposed.set("description", "d2".into());
    let mut d = Diagnostics::new();
    let p = plan(&e, &prior, &config_of(&proposed), &proposed, &mut d);
    assert!(p.requires_replace.is_empty());
    assert_eq!(p.state.get_str("id"), Some("i1"), "use state for unknown");
    assert_eq!(p.state.get("status"), &Value::Unknown);
    assert_eq!(
        p.identity,
        Some(Value::object([
            ("id", Value::from("i1")),
            ("user_id", Value::from("u"))
        ]))
    );
    assert_eq!(fake.modify_plan_calls.load(Ordering::SeqCst), 1);
}

#[test]
fn plan_requires_replace_reports_the_path_and_plans_no_identity() {
    let (e, _) = entry(Fake::new("fake"));
    let prior = prior_state();
    let mut proposed = prior.clone();
    proposed.set("user_id", "u2".into());
    let mut d = Diagnostics::new();
    let p = plan(&e, &prior, &config_of(&proposed), &proposed, &mut d);
    assert_eq!(p.requires_replace, vec![AttributePath::attr("user_id")]);
    // The id stays known (use state for unknown), but the replacement gets a new one.
    assert!(p.identity.is_none());
}

// ---------------------------------------------------------------------------------------------
// Apply

#[tokio::test]
async fn apply_create_returns_state_identity_and_private() {
    let (e, _) = entry(Fake::new("fake"));
    let config = obj(&[("user_id", "u".into()), ("description", "d".into())]);
    let mut d = Diagnostics::new();
    let planned = plan(&e, &Value::Null, &config, &config, &mut d).state;
    let (c, _stop) = ctx();
    let out = apply(&e, Value::Null, planned, config, c, &mut d).await;
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(out.state.get_str("id"), Some("i1"));
    assert_eq!(out.identity.unwrap().get_str("id"), Some("i1"));
    assert!(out.private.unwrap().is_empty());
}

#[tokio::test]
async fn apply_leaving_unknowns_is_a_provider_bug_and_they_become_null() {
    let mut fake = Fake::new("fake");
    fake.create = CreateMode::LeaveUnknown;
    let (e, _) = entry(fake);
    let config = obj(&[("user_id", "u".into()), ("description", "d".into())]);
    let mut d = Diagnostics::new();
    let planned = plan(&e, &Value::Null, &config, &config, &mut d).state;
    let (c, _stop) = ctx();
    let out = apply(&e, Value::Null, planned, config, c, &mut d).await;
    assert_eq!(summaries(&d), vec!["Unknown values after apply"]);
    assert!(d
        .iter()
        .next()
        .unwrap()
        .detail
        .contains("error in the provider"));
    assert!(out.state.is_wholly_known());
    assert_eq!(out.state.get("id"), &Value::Null);
    assert_eq!(out.state.get_str("description"), Some("d"));
}

#[tokio::test]
async fn apply_failure_keeps_the_partial_state_and_its_private_state() {
    let mut fake = Fake::new("fake");
    fake.create = CreateMode::FailPartial;
    let (e, _) = entry(fake);
    let config = obj(&[("user_id", "u".into()), ("description", "d".into())]);
    let mut d = Diagnostics::new();
    let planned = plan(&e, &Value::Null, &config, &config, &mut d).state;
    let (c, _stop) = ctx();
    let out = apply(&e, Value::Null, planned, config, c, &mut d).await;
    // Only the resource's own error: no provider-bug diagnostic on top of a failure.
    assert_eq!(summaries(&d), vec!["Created but not ready"]);
    assert_eq!(
        out.state.get_str("id"),
        Some("i1"),
        "the object exists: kept"
    );
    assert_eq!(out.state.get("status"), &Value::Null, "unknown became null");
    assert_eq!(out.identity.unwrap().get_str("id"), Some("i1"));
    assert_eq!(
        out.private.unwrap().get("unconfirmed"),
        Some(&serde_json::Value::Bool(true))
    );
}

#[tokio::test]
async fn apply_delete_nulls_the_state_and_a_failed_delete_keeps_it() {
    let (e, _) = entry(Fake::new("fake"));
    let mut d = Diagnostics::new();
    let (c, _stop) = ctx();
    let out = apply(
        &e,
        prior_state(),
        Value::Null,
        Value::Null,
        c.clone(),
        &mut d,
    )
    .await;
    assert!(d.is_empty());
    assert_eq!(out.state, Value::Null);
    assert!(out.identity.is_none() && out.private.is_none());

    let mut fake = Fake::new("fake");
    fake.fail_delete = true;
    let (e, _) = entry(fake);
    let out = apply(&e, prior_state(), Value::Null, Value::Null, c, &mut d).await;
    assert_eq!(summaries(&d), vec!["Cannot delete"]);
    assert_eq!(out.state, prior_state());
}

#[tokio::test]
async fn read_passes_private_state_through() {
    let (e, fake) = entry(Fake::new("fake"));
    let mut d = Diagnostics::new();
    let (c, _stop) = ctx();
    let private = PrivateState::from_bytes(b"unconfirmed");
    let out = read_resource(&e, prior_state(), private.clone(), c, &mut d).await;
    assert_eq!(
        fake.last_read_private.lock().unwrap().as_ref(),
        Some(&private)
    );
    assert_eq!(out.private.to_bytes(), b"unconfirmed".to_vec());
    assert_eq!(out.identity.unwrap().get_str("user_id"), Some("u"));
}

// ---------------------------------------------------------------------------------------------
// Import

#[test]
fn import_by_identity_sets_the_identity_attributes_only() {
    let (e, _) = entry(Fake::new("fake"));
    let identity = Value::object([("user_id", Value::from("u")), ("id", Value::from("i9"))]);
    let mut d = Diagnostics::new();
    let got = import(&e, ImportTarget::Identity(&identity), &mut d).unwrap();
    assert!(d.is_empty());
    assert_eq!(
        got.state,
        obj(&[("user_id", "u".into()), ("id", "i9".into())])
    );
    assert_eq!(got.identity, Some(identity));
}

#[test]
fn import_by_incomplete_identity_names_what_is_missing() {
    let (e, _) = entry(Fake::new("fake"));
    let identity = Value::object([("user_id", Value::from("u")), ("id", Value::Null)]);
    let mut d = Diagnostics::new();
    assert!(import(&e, ImportTarget::Identity(&identity), &mut d).is_none());
    assert_eq!(summaries(&d), vec!["Incomplete identity"]);
    assert!(d.iter().next().unwrap().detail.contains("id"));
}

#[test]
fn import_by_id_goes_to_the_resource() {
    let (e, _) = entry(Fake::new("fake"));
    let mut d = Diagnostics::new();
    let got = import(&e, ImportTarget::Id("u/i3"), &mut d).unwrap();
    assert_eq!(got.state.get_str("id"), Some("i3"));
    assert_eq!(got.identity.unwrap().get_str("id"), Some("i3"));
    assert!(import(&e, ImportTarget::Id("nope"), &mut d).is_none());
    assert_eq!(summaries(&d), vec!["Invalid import ID"]);
}

#[test]
fn import_by_identity_needs_an_identity_schema() {
    struct NoIdentity;
    #[async_trait]
    impl Resource for NoIdentity {
        fn type_name(&self) -> &'static str {
            "plain"
        }
        fn schema(&self) -> Schema {
            fake_schema()
        }
        async fn create(&self, _: CreateRequest) -> ApplyResponse {
            unreachable!()
        }
        async fn read(&self, _: ReadRequest) -> ReadResponse {
            unreachable!()
        }
        async fn update(&self, _: UpdateRequest) -> ApplyResponse {
            unreachable!()
        }
        async fn delete(&self, _: DeleteRequest) -> Diagnostics {
            unreachable!()
        }
    }
    let e = ResourceEntry::new(Arc::new(NoIdentity));
    let mut d = Diagnostics::new();
    assert!(e.identity_for_import("plain", &mut d).is_none());
    assert_eq!(summaries(&d), vec!["Import by identity not supported"]);
    assert!(e.identity_of(&prior_state()).is_none());
}

// ---------------------------------------------------------------------------------------------
// State upgrade and pruning

#[test]
fn current_version_state_drops_unknown_attributes_and_keeps_numbers_exact() {
    let (e, _) = entry(Fake::new("fake"));
    let mut d = Diagnostics::new();
    for number in [
        "12345678901234567890123",
        "0.1000000000000000000000000000000000000000001",
        "-98765432109876543210.000000000000000000000012345",
    ] {
        let raw = format!(
            r#"{{"id":"i1","user_id":"u","description":"d","size":{number},"status":"ACTIVE",
                "removed_attribute":{{"nested":[1,2,{number}]}},"timeouts":null}}"#
        );
        let v = upgrade_state(&e, "fake", 0, raw.into_bytes(), false, &mut d).unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            v.get("size"),
            &Value::Number(Number::parse(number).unwrap())
        );
        assert_eq!(v.get("size").as_number().unwrap().to_string(), number);
        assert_eq!(v.get_str("id"), Some("i1"));
        assert!(v.as_attrs().unwrap().get("removed_attribute").is_none());
        // And it encodes for Terraform exactly as it came.
        let json = crate::cty::json::encode(&v, &fake_schema().ty()).unwrap();
        assert!(String::from_utf8(json).unwrap().contains(number));
    }
}

#[test]
fn pruning_reaches_into_nested_objects_and_collections() {
    let ty = Type::object([(
        "rules",
        Type::list(Type::object([("name", Type::String), ("n", Type::Number)])),
    )]);
    let raw = RawState::from_json(
        br#"{"gone":1,"rules":[{"name":"a","n":12345678901234567890123,"old":true}]}"#.to_vec(),
    );
    let v = raw.decode(&ty).unwrap();
    let rule = &v.get("rules").as_elements().unwrap()[0];
    assert_eq!(rule.as_attrs().unwrap().len(), 2);
    assert_eq!(
        rule.get("n"),
        &Value::Number(Number::parse("12345678901234567890123").unwrap())
    );
    assert!(v.as_attrs().unwrap().get("gone").is_none());
    // Broken JSON is a diagnostic, not a panic.
    let d = RawState::from_json(b"{".to_vec()).decode(&ty).unwrap_err();
    assert_eq!(summaries(&d), vec!["Invalid stored state"]);
}

#[test]
fn upgrade_refuses_newer_versions_flatmap_and_maps_empty_to_null() {
    let (e, _) = entry(Fake::new("fake"));
    let mut d = Diagnostics::new();
    assert!(upgrade_state(&e, "fake", 3, b"{}".to_vec(), false, &mut d).is_none());
    assert_eq!(
        summaries(&d),
        vec!["Resource instance managed by newer provider version"]
    );
    let mut d = Diagnostics::new();
    assert!(upgrade_state(&e, "fake", 0, Vec::new(), true, &mut d).is_none());
    assert_eq!(summaries(&d), vec!["Unsupported state format"]);
    let mut d = Diagnostics::new();
    assert_eq!(
        upgrade_state(&e, "fake", 0, Vec::new(), false, &mut d),
        Some(Value::Null)
    );
}

/// Schema version 1 renamed v0's `name` to `title`.
struct Renamed {
    calls: AtomicUsize,
}

fn renamed_schema() -> Schema {
    let mut s = Schema::new(
        Block::new()
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("title").required()),
    );
    s.version = 1;
    s
}

#[async_trait]
impl Resource for Renamed {
    fn type_name(&self) -> &'static str {
        "renamed"
    }
    fn schema(&self) -> Schema {
        renamed_schema()
    }
    async fn create(&self, _: CreateRequest) -> ApplyResponse {
        unreachable!()
    }
    async fn read(&self, _: ReadRequest) -> ReadResponse {
        unreachable!()
    }
    async fn update(&self, _: UpdateRequest) -> ApplyResponse {
        unreachable!()
    }
    async fn delete(&self, _: DeleteRequest) -> Diagnostics {
        unreachable!()
    }
    fn upgrade_state(&self, from_version: i64, raw: RawState) -> Result<Value, Diagnostics> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(from_version, 0);
        let v0 = raw.decode(&Type::object([
            ("id", Type::String),
            ("name", Type::String),
        ]))?;
        Ok(Value::object([
            ("id", v0.get("id").clone()),
            ("title", v0.get("name").clone()),
        ]))
    }
}

#[test]
fn older_versions_go_through_the_resource_upgrade_hook() {
    let fake = Arc::new(Renamed {
        calls: AtomicUsize::new(0),
    });
    let e = ResourceEntry::new(fake.clone());
    let mut d = Diagnostics::new();
    let v = upgrade_state(
        &e,
        "renamed",
        0,
        br#"{"id":"x","name":"old name","extra":1}"#.to_vec(),
        false,
        &mut d,
    )
    .unwrap();
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(v.get_str("title"), Some("old name"));
    assert_eq!(v.get_str("id"), Some("x"));
    assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
    // The current version does not go through the hook.
    let v = upgrade_state(
        &e,
        "renamed",
        1,
        br#"{"id":"x","title":"t"}"#.to_vec(),
        false,
        &mut d,
    )
    .unwrap();
    assert_eq!(v.get_str("title"), Some("t"));
    assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn the_default_upgrade_hook_drops_unknown_attributes() {
    // A resource at version 1 without its own hook reads a v0 state with the current schema.
    struct V1;
    #[async_trait]
    impl Resource for V1 {
        fn type_name(&self) -> &'static str {
            "v1"
        }
        fn schema(&self) -> Schema {
            renamed_schema()
        }
        async fn create(&self, _: CreateRequest) -> ApplyResponse {
            unreachable!()
        }
        async fn read(&self, _: ReadRequest) -> ReadResponse {
            unreachable!()
        }
        async fn update(&self, _: UpdateRequest) -> ApplyResponse {
            unreachable!()
        }
        async fn delete(&self, _: DeleteRequest) -> Diagnostics {
            unreachable!()
        }
    }
    let e = ResourceEntry::new(Arc::new(V1));
    let mut d = Diagnostics::new();
    let v = upgrade_state(
        &e,
        "v1",
        0,
        br#"{"id":"x","name":"gone","title":"kept"}"#.to_vec(),
        false,
        &mut d,
    )
    .unwrap();
    assert_eq!(v.get_str("title"), Some("kept"));
    assert!(v.as_attrs().unwrap().get("name").is_none());
}

// ---------------------------------------------------------------------------------------------
// List pump

struct FakeList {
    items: usize,
    produced: Arc<AtomicUsize>,
    error_first: bool,
}

#[async_trait]
impl ListResource for FakeList {
    fn type_name(&self) -> &'static str {
        "fake"
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new())
    }
    async fn list(&self, _req: ListRequest, out: ListSink) {
        if self.error_first {
            let mut d = Diagnostics::new();
            d.warning("Partial list", "one page failed");
            out.error(d).await;
        }
        for n in 0..self.items {
            let state = obj(&[
                ("id", format!("i{n}").as_str().into()),
                ("user_id", "u".into()),
                ("description", "d".into()),
            ]);
            self.produced.fetch_add(1, Ordering::SeqCst);
            if !out
                .send(ListItem {
                    display_name: format!("token {n}"),
                    state,
                })
                .await
            {
                return;
            }
        }
    }
}

async fn run_pump(items: usize, limit: i64, include: bool, error_first: bool) -> Vec<ListEvent> {
    let produced = Arc::new(AtomicUsize::new(0));
    let list = ListEntry {
        imp: Arc::new(FakeList {
            items,
            produced: produced.clone(),
            error_first,
        }),
        schema: Schema::new(Block::new()),
    };
    let (res, _) = entry(Fake::new("fake"));
    let (tx, mut rx) = mpsc::channel(1000);
    let (c, _stop) = ctx();
    let req = ListRequest {
        config: Value::Null,
        include_resource: include,
        limit,
        ctx: c,
    };
    pump(&list, &res, req, tx, |e| e).await;
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    events
}

#[tokio::test]
async fn list_pump_honours_the_limit_and_derives_identities() {
    let events = run_pump(100, 3, false, false).await;
    assert_eq!(events.len(), 3);
    for (n, e) in events.iter().enumerate() {
        assert_eq!(e.display_name, format!("token {n}"));
        let id = e.identity.as_ref().unwrap();
        assert_eq!(id.get_str("id"), Some(format!("i{n}").as_str()));
        assert_eq!(id.get_str("user_id"), Some("u"));
        assert_eq!(id.as_attrs().unwrap().len(), 2, "identity attributes only");
        assert!(e.resource_object.is_none(), "not asked for");
    }
}

#[tokio::test]
async fn list_pump_without_limit_sends_everything_with_objects_and_errors() {
    let events = run_pump(5, 0, true, true).await;
    assert_eq!(events.len(), 6);
    assert!(events[0].identity.is_none());
    assert_eq!(summaries(&events[0].diagnostics), vec!["Partial list"]);
    assert_eq!(
        events[1].resource_object.as_ref().unwrap().get_str("id"),
        Some("i0")
    );
    // Error events do not count towards the limit.
    let events = run_pump(5, 2, false, true).await;
    assert_eq!(events.iter().filter(|e| e.identity.is_some()).count(), 2);
}

#[tokio::test]
async fn list_pump_stops_the_list_when_the_consumer_goes_away() {
    let produced = Arc::new(AtomicUsize::new(0));
    let list = ListEntry {
        imp: Arc::new(FakeList {
            items: 10_000,
            produced: produced.clone(),
            error_first: false,
        }),
        schema: Schema::new(Block::new()),
    };
    let (res, _) = entry(Fake::new("fake"));
    let (tx, mut rx) = mpsc::channel(1);
    let (c, _stop) = ctx();
    let consumer = tokio::spawn(async move {
        let first = rx.recv().await;
        drop(rx);
        first
    });
    let req = ListRequest {
        config: Value::Null,
        include_resource: false,
        limit: 0,
        ctx: c,
    };
    tokio::time::timeout(Duration::from_secs(5), pump(&list, &res, req, tx, |e| e))
        .await
        .expect("the pump ends once the consumer is gone");
    assert!(consumer.await.unwrap().is_some());
    assert!(produced.load(Ordering::SeqCst) < 100);
}

// ---------------------------------------------------------------------------------------------
// Registry

struct TestProvider {
    resources: Vec<Arc<dyn Resource>>,
    lists: Vec<Arc<dyn ListResource>>,
    data: Vec<Arc<dyn DataSource>>,
}

#[async_trait]
impl Provider for TestProvider {
    fn type_name(&self) -> &'static str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new())
    }
    async fn configure(&self, _req: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        self.resources.clone()
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        self.data.clone()
    }
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        self.lists.clone()
    }
}

struct FakeData(&'static str);

#[async_trait]
impl DataSource for FakeData {
    fn type_name(&self) -> &'static str {
        self.0
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new().attribute(Attribute::string("v").computed()))
    }
    async fn read(&self, _req: DataReadRequest) -> ApplyResponse {
        ApplyResponse {
            state: Value::object([("v", Value::Unknown)]),
            ..Default::default()
        }
    }
}

fn fake_list() -> Arc<dyn ListResource> {
    Arc::new(FakeList {
        items: 0,
        produced: Default::default(),
        error_first: false,
    })
}

#[test]
fn registering_a_type_name_twice_is_an_error_naming_it() {
    let p = TestProvider {
        resources: vec![Arc::new(Fake::new("a")), Arc::new(Fake::new("a"))],
        lists: vec![],
        data: vec![],
    };
    let e = Registry::new(&p).err().unwrap();
    assert_eq!(e.kind, "resource");
    assert_eq!(e.type_name, "a");
    assert!(e.to_string().contains("resource named \"a\""), "{e}");

    let p = TestProvider {
        resources: vec![Arc::new(Fake::new("a"))],
        lists: vec![],
        data: vec![Arc::new(FakeData("d")), Arc::new(FakeData("d"))],
    };
    let e = Registry::new(&p).err().unwrap();
    assert_eq!((e.kind, e.type_name.as_str()), ("data source", "d"));

    let p = TestProvider {
        resources: vec![Arc::new(Fake::new("fake"))],
        lists: vec![fake_list(), fake_list()],
        data: vec![],
    };
    let e = Registry::new(&p).err().unwrap();
    assert_eq!((e.kind, e.type_name.as_str()), ("list resource", "fake"));

    // One of each kind may share a name (a list resource must share its resource's).
    let p = TestProvider {
        resources: vec![Arc::new(Fake::new("fake")), Arc::new(Fake::new("other"))],
        lists: vec![fake_list()],
        data: vec![Arc::new(FakeData("fake"))],
    };
    let r = Registry::new(&p).unwrap();
    assert_eq!(r.resources.len(), 2);
    let mut d = Diagnostics::new();
    assert!(r.list_target("fake", &mut d).is_some());
    assert!(r.list_target("other", &mut d).is_none());
    assert_eq!(summaries(&d), vec!["Unknown list resource"]);
}

#[tokio::test]
async fn data_source_unknowns_become_null() {
    let e = DataSourceEntry {
        imp: Arc::new(FakeData("d")),
        schema: FakeData("d").schema(),
    };
    let mut d = Diagnostics::new();
    let (c, _stop) = ctx();
    let v = read_data_source(&e, Value::Null, c, &mut d).await.unwrap();
    assert_eq!(v.get("v"), &Value::Null);
}

#[tokio::test]
async fn stop_source_stops_its_contexts() {
    let (c, stop) = ctx();
    assert!(!c.is_stopped());
    let later = c.clone();
    let pending = tokio::spawn(async move { later.run(std::future::pending::<()>()).await });
    tokio::time::sleep(Duration::from_millis(10)).await;
    stop.stop();
    assert!(c.is_stopped());
    assert_eq!(pending.await.unwrap(), Err(crate::framework::Stopped));
    assert!(
        stop.ctx().is_stopped(),
        "contexts made after the stop are stopped"
    );
    // A context keeps working when its source is kept alive elsewhere (no leaked sender).
    let source = StopSource::new();
    let c = source.ctx();
    assert_eq!(c.run(async { 1 }).await, Ok(1));
}
