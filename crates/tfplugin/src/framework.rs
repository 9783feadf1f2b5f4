//! The provider-facing core: `Provider`, `Resource`, `DataSource`, `ListResource` and
//! `EphemeralResource` traits in the spirit of terraform-plugin-framework, and the plan rules
//! every resource gets for free
//! (the engine is in [`plan`](crate::plan), the core validation in
//! [`validate`](crate::validate); both are re-exported here).
//!
//! Implementations deal in cty [`Value`]s shaped by their own [`Schema`]; the gRPC layer in
//! [`server`](crate::server) does the wire work.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
pub use tonic::async_trait;

use super::cty::{Type, Value};
use super::diag::Diagnostics;
pub use super::private::PrivateState;
use super::schema::{Block, IdentitySchema, Nesting, Schema};

pub use super::plan::{plan, Plan, PlanContext};
pub use super::validate::{validate_block, validate_nested};

/// Cancellation for in-flight work: `StopProvider` flips it. Made by a [`StopSource`].
#[derive(Clone)]
pub struct Ctx {
    stop: watch::Receiver<bool>,
}

/// Returned when work was cut short by `StopProvider`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl Ctx {
    pub fn is_stopped(&self) -> bool {
        *self.stop.borrow()
    }

    /// Runs `f` unless and until the provider is asked to stop.
    pub async fn run<F: Future>(&self, f: F) -> Result<F::Output, Stopped> {
        let mut stop = self.stop.clone();
        if *stop.borrow() {
            return Err(Stopped);
        }
        let stopped = async move {
            // A dropped source never stops its contexts.
            if stop.wait_for(|s| *s).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            out = f => Ok(out),
            _ = stopped => Err(Stopped),
        }
    }
}

/// The switch behind [`Ctx`]s: the server keeps one and flips it on `StopProvider`; tests
/// make their own to hand a resource a context (and to stop it).
#[derive(Debug)]
pub struct StopSource {
    tx: watch::Sender<bool>,
}

impl Default for StopSource {
    fn default() -> Self {
        StopSource {
            tx: watch::channel(false).0,
        }
    }
}

impl StopSource {
    pub fn new() -> Self {
        Self::default()
    }

    /// A context that is stopped when this source is.
    pub fn ctx(&self) -> Ctx {
        Ctx {
            stop: self.tx.subscribe(),
        }
    }

    /// Stops every context made by this source, now and later.
    pub fn stop(&self) {
        self.tx.send_replace(true);
    }
}

pub struct ConfigureRequest {
    pub config: Value,
    pub terraform_version: String,
}

pub struct ReadRequest {
    pub state: Value,
    pub private: PrivateState,
    pub ctx: Ctx,
}

pub struct ReadResponse {
    /// `Value::Null` means the remote object is gone.
    pub state: Value,
    /// The instance's private state from now on (return the request's to keep it).
    pub private: PrivateState,
    pub diagnostics: Diagnostics,
}

pub struct CreateRequest {
    pub config: Value,
    pub planned: Value,
    pub ctx: Ctx,
}

pub struct UpdateRequest {
    pub config: Value,
    pub planned: Value,
    pub prior: Value,
    pub ctx: Ctx,
}

pub struct DeleteRequest {
    pub prior: Value,
    pub ctx: Ctx,
}

#[derive(Default)]
pub struct ApplyResponse {
    /// The new state; on failure the partial state to keep (Null keeps nothing).
    pub state: Value,
    pub diagnostics: Diagnostics,
    /// New private state for the instance; `None` keeps the planned private state.
    pub private: Option<PrivateState>,
}

/// A state as Terraform stored it (JSON), written with an older schema version or by another
/// provider, for [`Resource::upgrade_state`].
#[derive(Clone, PartialEq)]
pub struct RawState {
    json: Vec<u8>,
}

impl RawState {
    pub fn from_json(json: impl Into<Vec<u8>>) -> Self {
        RawState { json: json.into() }
    }

    /// The stored JSON, for upgrades that need more than [`RawState::decode`].
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// Decodes the stored state as an object of type `ty` (an older schema's type, or the
    /// current one), dropping attributes `ty` does not have. Numbers stay exact. Empty JSON
    /// is null.
    pub fn decode(&self, ty: &Type) -> Result<Value, Diagnostics> {
        if self.json.is_empty() {
            return Ok(Value::Null);
        }
        crate::cty::json::decode_ignoring_unknown_attributes(&self.json, ty).map_err(|e| {
            let mut d = Diagnostics::new();
            d.error(
                "Invalid stored state",
                format!("The stored state cannot be read: {e}."),
            );
            d
        })
    }
}

/// Shows the size only: stored state holds secrets.
impl std::fmt::Debug for RawState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawState({} bytes of JSON)", self.json.len())
    }
}

/// A managed resource: schema and CRUD. Optional capabilities have defaults.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    async fn create(&self, req: CreateRequest) -> ApplyResponse;
    async fn read(&self, req: ReadRequest) -> ReadResponse;
    async fn update(&self, req: UpdateRequest) -> ApplyResponse;
    async fn delete(&self, req: DeleteRequest) -> Diagnostics;

    /// Checks beyond the per-attribute validators. Values may be unknown.
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Adjusts the plan the core computed (runs after the core rules and the attribute plan
    /// modifiers, except on destroy): it may change the planned value and add replacement
    /// paths.
    fn modify_plan(&self, _ctx: &PlanContext<'_>, _plan: &mut Plan, _diags: &mut Diagnostics) {}

    /// The identity schema, for resources that support identity (Terraform 1.12+). The
    /// identity value is taken from the state attributes of the same names.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// Turns an import ID into a (possibly partial) state; Terraform then reads it.
    fn import_id(&self, id: &str) -> Result<Value, Diagnostics> {
        let _ = id;
        let mut d = Diagnostics::new();
        d.error(
            "Import not supported",
            format!("{} does not support import by ID.", self.type_name()),
        );
        Err(d)
    }

    /// Upgrades a state stored with an older schema version (`from_version` is below
    /// `schema().version`) to a value of the current schema's type. States at the current
    /// version never come here: they are decoded with the current schema, dropping attributes
    /// it does not have (the official provider's state, state of other releases).
    ///
    /// The default does the same for older versions too, which is right as long as versions
    /// only added or removed attributes. Override it when an attribute was renamed or
    /// changed type: decode with the old version's type via [`RawState::decode`] and build
    /// the current value.
    fn upgrade_state(&self, from_version: i64, raw: RawState) -> Result<Value, Diagnostics> {
        let _ = from_version;
        raw.decode(&self.schema().ty())
    }
}

pub struct DataReadRequest {
    pub config: Value,
    pub ctx: Ctx,
}

#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn read(&self, req: DataReadRequest) -> ApplyResponse;
}

pub struct ListRequest {
    /// The `config { }` block of the `list` block.
    pub config: Value,
    /// Terraform wants the full resource objects, not just identities (a hint: the core
    /// sends the states only then).
    pub include_resource: bool,
    /// At most this many results are wanted (`i64::MAX` without a limit); the core stops the
    /// list once they are sent.
    pub limit: i64,
    pub ctx: Ctx,
}

/// One result of a list: the full managed-resource state of an object and its display name.
/// The core derives the identity from the state.
pub struct ListItem {
    pub display_name: String,
    pub state: Value,
}

/// Where a list resource sends its results. `send` returns false once the consumer is gone
/// (limit reached or stream cancelled): stop listing then.
pub struct ListSink {
    tx: mpsc::Sender<Result<ListItem, Diagnostics>>,
}

impl ListSink {
    pub fn new(tx: mpsc::Sender<Result<ListItem, Diagnostics>>) -> Self {
        ListSink { tx }
    }
    pub async fn send(&self, item: ListItem) -> bool {
        self.tx.send(Ok(item)).await.is_ok()
    }
    pub async fn error(&self, diags: Diagnostics) {
        let _ = self.tx.send(Err(diags)).await;
    }
}

/// A list resource for `terraform query` (Terraform 1.14+). Its type name must be that of a
/// managed resource with an identity schema.
#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    /// The schema of the `config { }` block of a `list` block.
    fn schema(&self) -> Schema;
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn list(&self, req: ListRequest, out: ListSink);
}

pub struct OpenRequest {
    /// The configuration, wholly known (Terraform does not open with unknown values).
    pub config: Value,
    pub ctx: Ctx,
}

/// What an open produced. On error (`diagnostics` has errors) Terraform keeps nothing and
/// never calls close: an open that fails must undo what it did.
#[derive(Default)]
pub struct OpenResponse {
    /// The result: the configuration with the computed attributes filled in. It must be
    /// wholly known, and configured values must be returned as they were.
    pub result: Value,
    /// What renew and close need: Terraform holds it in memory only (never in a plan or
    /// state) and hands it to them.
    pub private: PrivateState,
    /// When Terraform should call renew, if the value is still in use then.
    pub renew_at: Option<std::time::SystemTime>,
    pub diagnostics: Diagnostics,
}

pub struct RenewRequest {
    /// The latest private state (from open or the previous renew).
    pub private: PrivateState,
    pub ctx: Ctx,
}

#[derive(Default)]
pub struct RenewResponse {
    /// New private state; `None` keeps the request's.
    pub private: Option<PrivateState>,
    /// When to renew next; `None` stops renewing.
    pub renew_at: Option<std::time::SystemTime>,
    pub diagnostics: Diagnostics,
}

pub struct CloseRequest {
    /// The latest private state: close gets neither the configuration nor the result.
    pub private: PrivateState,
    pub ctx: Ctx,
}

/// An ephemeral resource (Terraform 1.10+): a value that exists for one Terraform run, opened
/// when the run needs it (in the plan walk and again in the apply walk), renewed while in use
/// when `renew_at` comes due, and closed when nothing needs it any more. Its result never goes
/// into a plan or state. Nothing closes it when Terraform is killed.
#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Checks beyond the per-attribute validators. Values may be unknown.
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn open(&self, req: OpenRequest) -> OpenResponse;
    /// The default keeps the private state and stops renewing.
    async fn renew(&self, _req: RenewRequest) -> RenewResponse {
        RenewResponse::default()
    }
    /// The default does nothing.
    async fn close(&self, _req: CloseRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider's local name, e.g. `example`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn configure(&self, req: ConfigureRequest) -> Diagnostics;
    fn resources(&self) -> Vec<Arc<dyn Resource>>;
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
        Vec::new()
    }
}

/// The identity of an object: the identity attributes, taken from its state.
pub fn identity_from_state(schema: &IdentitySchema, state: &Value) -> Value {
    Value::object(
        schema
            .attributes
            .iter()
            .map(|a| (a.name.clone(), state.get(&a.name).clone())),
    )
}

/// A partial state for import by identity: identity attributes set, everything else null.
pub fn state_from_identity(
    schema: &Schema,
    identity_schema: &IdentitySchema,
    identity: &Value,
) -> Value {
    let mut state = null_object(&schema.block);
    for a in &identity_schema.attributes {
        state.set(&a.name, identity.get(&a.name).clone());
    }
    state
}

/// An object of `block`'s shape with every attribute and block null (list/set blocks empty).
pub fn null_object(block: &Block) -> Value {
    let mut m = std::collections::BTreeMap::new();
    for a in &block.attributes {
        m.insert(a.name.clone(), Value::Null);
    }
    for b in &block.blocks {
        let v = match b.nesting {
            Nesting::Single => Value::Null,
            Nesting::Group => null_object(&b.block),
            Nesting::List => Value::List(Vec::new()),
            Nesting::Set => Value::Set(Vec::new()),
            Nesting::Map => Value::Map(Default::default()),
        };
        m.insert(b.type_name.clone(), v);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cty::AttributePath;
    use crate::schema::{Attribute, NestedBlock, Validator};

    fn schema() -> Schema {
        Schema::new(
            Block::new()
                .attribute(Attribute::string("user_id").required().requires_replace())
                .attribute(Attribute::string("description").required())
                .attribute(Attribute::string("id").computed().use_state_for_unknown())
                .attribute(
                    Attribute::string("token")
                        .computed()
                        .sensitive()
                        .use_state_for_unknown(),
                )
                .attribute(Attribute::string("state").computed())
                .attribute(Attribute::string("secret_in").optional().write_only()),
        )
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        let mut v = null_object(&schema().block);
        for (k, x) in pairs {
            v.set(k, x.clone());
        }
        v
    }

    #[test]
    fn create_marks_computed_unknown() {
        let config = obj(&[("user_id", "u".into()), ("description", "d".into())]);
        let p = plan(&schema(), &Value::Null, &config, &config);
        assert_eq!(p.planned.get("id"), &Value::Unknown);
        assert_eq!(p.planned.get("token"), &Value::Unknown);
        assert_eq!(p.planned.get("state"), &Value::Unknown);
        assert_eq!(p.planned.get("description"), &Value::from("d"));
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn no_change_plans_prior_state() {
        let prior = obj(&[
            ("user_id", "u".into()),
            ("description", "d".into()),
            ("id", "i".into()),
            ("token", "t".into()),
            ("state", "ACTIVE".into()),
        ]);
        let config = obj(&[("user_id", "u".into()), ("description", "d".into())]);
        let p = plan(&schema(), &prior, &config, &prior);
        assert_eq!(p.planned, prior);
    }

    #[test]
    fn update_keeps_use_state_for_unknown_and_unknowns_the_rest() {
        let prior = obj(&[
            ("user_id", "u".into()),
            ("description", "d".into()),
            ("id", "i".into()),
            ("token", "t".into()),
            ("state", "ACTIVE".into()),
        ]);
        let config = obj(&[("user_id", "u".into()), ("description", "d2".into())]);
        let mut proposed = prior.clone();
        proposed.set("description", "d2".into());
        let p = plan(&schema(), &prior, &config, &proposed);
        assert_eq!(p.planned.get("id"), &Value::from("i"));
        assert_eq!(p.planned.get("token"), &Value::from("t"));
        assert_eq!(p.planned.get("state"), &Value::Unknown);
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn force_new_change_requires_replace() {
        let prior = obj(&[
            ("user_id", "u".into()),
            ("description", "d".into()),
            ("id", "i".into()),
        ]);
        let mut proposed = prior.clone();
        proposed.set("user_id", "u2".into());
        let config = obj(&[("user_id", "u2".into()), ("description", "d".into())]);
        let p = plan(&schema(), &prior, &config, &proposed);
        assert_eq!(p.requires_replace, vec![AttributePath::attr("user_id")]);
        // Unknown new value also replaces.
        proposed.set("user_id", Value::Unknown);
        let p = plan(&schema(), &prior, &config, &proposed);
        assert_eq!(p.requires_replace, vec![AttributePath::attr("user_id")]);
    }

    #[test]
    fn destroy_plans_null_and_write_only_is_never_planned() {
        let prior = obj(&[("user_id", "u".into())]);
        assert_eq!(
            plan(&schema(), &prior, &Value::Null, &Value::Null).planned,
            Value::Null
        );
        let config = obj(&[
            ("user_id", "u".into()),
            ("description", "d".into()),
            ("secret_in", "s".into()),
        ]);
        let p = plan(&schema(), &Value::Null, &config, &config);
        assert_eq!(p.planned.get("secret_in"), &Value::Null);
    }

    #[test]
    fn validators_run_on_known_values_with_paths() {
        let block = Block::new()
            .attribute(
                Attribute::string("a")
                    .optional()
                    .validator(Validator::string("non-empty", |s| {
                        if s.is_empty() {
                            Err("must not be empty".into())
                        } else {
                            Ok(())
                        }
                    })),
            )
            .block(NestedBlock::new(
                "timeouts",
                Nesting::Single,
                Block::new().attribute(Attribute::string("create").optional().validator(
                    Validator::string("duration", |s| {
                        if s.ends_with('m') {
                            Ok(())
                        } else {
                            Err(format!("bad duration {s:?}"))
                        }
                    }),
                )),
            ));
        let mut d = Diagnostics::new();
        let config = Value::object([
            ("a", Value::from("")),
            ("timeouts", Value::object([("create", Value::from("soon"))])),
        ]);
        validate_block(&block, &config, &AttributePath::root(), &mut d);
        let paths: Vec<String> = d
            .iter()
            .map(|x| x.attribute.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, vec!["a", "timeouts.create"]);
        // Unknown values are skipped.
        let mut d = Diagnostics::new();
        validate_block(
            &block,
            &Value::object([("a", Value::Unknown)]),
            &AttributePath::root(),
            &mut d,
        );
        assert!(d.is_empty());
    }
}
