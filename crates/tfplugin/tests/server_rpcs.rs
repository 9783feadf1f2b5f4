//! The protocol translation wired to the framework logic: a few RPCs through
//! `ProviderService`, for what only shows on the wire (exact numbers in msgpack, private
//! bytes, the state-upgrade hook reached from UpgradeResourceState).

use std::sync::Arc;

use tfplugin::cty::{msgpack, Number, Type, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{
    async_trait, ApplyResponse, ConfigureRequest, CreateRequest, DataSource, DeleteRequest,
    Provider, RawState, ReadRequest, ReadResponse, Resource, UpdateRequest,
};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_server::Provider as _;
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::server::ProviderService;
use tonic::Request;

/// Schema version 1: v0's `name` became `title`; `size` is a number.
struct Widget;

fn widget_schema() -> Schema {
    let mut s = Schema::new(
        Block::new()
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("title").required())
            .attribute(Attribute::number("size").optional()),
    );
    s.version = 1;
    s
}

#[async_trait]
impl Resource for Widget {
    fn type_name(&self) -> &'static str {
        "example_widget"
    }
    fn schema(&self) -> Schema {
        widget_schema()
    }
    async fn create(&self, req: CreateRequest) -> ApplyResponse {
        ApplyResponse {
            state: req.planned,
            ..Default::default()
        }
    }
    async fn read(&self, req: ReadRequest) -> ReadResponse {
        ReadResponse {
            state: req.state,
            private: req.private,
            diagnostics: Diagnostics::new(),
        }
    }
    async fn update(&self, req: UpdateRequest) -> ApplyResponse {
        ApplyResponse {
            state: req.planned,
            ..Default::default()
        }
    }
    async fn delete(&self, _req: DeleteRequest) -> Diagnostics {
        Diagnostics::new()
    }
    fn upgrade_state(&self, from_version: i64, raw: RawState) -> Result<Value, Diagnostics> {
        assert_eq!(from_version, 0);
        let v0 = raw.decode(&Type::object([
            ("id", Type::String),
            ("name", Type::String),
            ("size", Type::Number),
        ]))?;
        Ok(Value::object([
            ("id", v0.get("id").clone()),
            ("title", v0.get("name").clone()),
            ("size", v0.get("size").clone()),
        ]))
    }
}

struct Example;

#[async_trait]
impl Provider for Example {
    fn type_name(&self) -> &'static str {
        "example"
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new())
    }
    async fn configure(&self, _req: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Widget)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

async fn upgrade(svc: &ProviderService<Example>, version: i64, json: &str) -> Value {
    let resp = svc
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "example_widget".into(),
            version,
            raw_state: Some(pb::RawState {
                json: json.as_bytes().to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    msgpack::decode(&resp.upgraded_state.unwrap().msgpack, &widget_schema().ty()).unwrap()
}

#[tokio::test]
async fn upgrade_resource_state_keeps_numbers_exact_and_calls_the_hook() {
    let svc = ProviderService::new(Example);
    let big = "12345678901234567890123";
    let precise = "0.100000000000000000000000000000000000001";
    // Current version: unknown attributes dropped, numbers exact through msgpack.
    let v = upgrade(
        &svc,
        1,
        &format!(r#"{{"id":"w","title":"t","size":{big},"gone":{precise}}}"#),
    )
    .await;
    assert_eq!(v.get("size"), &Value::Number(Number::parse(big).unwrap()));
    assert!(v.as_attrs().unwrap().get("gone").is_none());
    // Version 0 goes through the resource's hook.
    let v = upgrade(
        &svc,
        0,
        &format!(r#"{{"id":"w","name":"old","size":{precise}}}"#),
    )
    .await;
    assert_eq!(v.get_str("title"), Some("old"));
    assert_eq!(v.get("size").as_number().unwrap().to_string(), precise);
}

#[tokio::test]
async fn read_resource_passes_private_bytes_through_unchanged() {
    let svc = ProviderService::new(Example);
    let ty = widget_schema().ty();
    let state = Value::object([
        ("id", Value::from("w")),
        ("title", Value::from("t")),
        ("size", Value::Null),
    ]);
    for private in [
        b"unconfirmed".to_vec(),
        br#"{ "k" : 1 }"#.to_vec(),
        Vec::new(),
    ] {
        let resp = svc
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "example_widget".into(),
                current_state: Some(pb::DynamicValue {
                    msgpack: msgpack::encode(&state, &ty).unwrap(),
                    json: vec![],
                }),
                private: private.clone(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert_eq!(resp.private, private);
    }
}
