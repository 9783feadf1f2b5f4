//! The ephemeral-resource RPCs on the wire, through `ProviderService`: metadata and schema
//! entries, validate, open (result, private bytes, renew_at), renew, close, and the close at
//! shutdown of what Terraform opened and never closed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tfplugin::cty::{msgpack, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{
    async_trait, CloseRequest, ConfigureRequest, DataSource, EphemeralResource, OpenRequest,
    OpenResponse, PrivateState, Provider, RenewRequest, RenewResponse, Resource,
};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_server::Provider as _;
use tfplugin::schema::{Attribute, Block, Schema, Validator};
use tfplugin::server::ProviderService;
use tonic::Request;

type Log = Arc<Mutex<Vec<String>>>;

struct Secret {
    log: Log,
}

fn secret_schema() -> Schema {
    Schema::new(
        Block::new()
            .attribute(
                Attribute::string("owner")
                    .required()
                    .validator(Validator::string("not empty", |s| {
                        if s.is_empty() {
                            Err("must not be empty".into())
                        } else {
                            Ok(())
                        }
                    })),
            )
            .attribute(Attribute::string("value").computed().sensitive()),
    )
}

#[async_trait]
impl EphemeralResource for Secret {
    fn type_name(&self) -> &'static str {
        "example_secret"
    }
    fn schema(&self) -> Schema {
        secret_schema()
    }
    async fn open(&self, req: OpenRequest) -> OpenResponse {
        let owner = req.config.get_str("owner").unwrap_or_default().to_string();
        let mut result = req.config.clone();
        result.set("value", format!("secret-of-{owner}").into());
        let mut private = PrivateState::new();
        private.set("id", owner.clone());
        self.log.lock().unwrap().push(format!("open {owner}"));
        OpenResponse {
            result,
            private,
            renew_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000)),
            diagnostics: Diagnostics::new(),
        }
    }
    async fn renew(&self, req: RenewRequest) -> RenewResponse {
        let mut private = req.private;
        private.set("renewed", true);
        RenewResponse {
            private: Some(private),
            renew_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(2_000)),
            diagnostics: Diagnostics::new(),
        }
    }
    async fn close(&self, req: CloseRequest) -> Diagnostics {
        let id = req
            .private
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or("?");
        let renewed = req.private.get("renewed").is_some();
        self.log.lock().unwrap().push(format!(
            "close {id}{}",
            if renewed { " (renewed)" } else { "" }
        ));
        Diagnostics::new()
    }
}

struct Example {
    log: Log,
}

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
        Vec::new()
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
        vec![Arc::new(Secret {
            log: self.log.clone(),
        })]
    }
}

fn config(owner: &str) -> Option<pb::DynamicValue> {
    let v = Value::object([("owner", Value::from(owner)), ("value", Value::Null)]);
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(&v, &secret_schema().ty()).unwrap(),
        json: Vec::new(),
    })
}

async fn open(
    svc: &ProviderService<Example>,
    owner: &str,
) -> pb::open_ephemeral_resource::Response {
    svc.open_ephemeral_resource(Request::new(pb::open_ephemeral_resource::Request {
        type_name: "example_secret".into(),
        config: config(owner),
        client_capabilities: None,
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn close(svc: &ProviderService<Example>, private: Option<Vec<u8>>) {
    let resp = svc
        .close_ephemeral_resource(Request::new(pb::close_ephemeral_resource::Request {
            type_name: "example_secret".into(),
            private,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty());
}

fn service() -> (ProviderService<Example>, Log) {
    let log = Log::default();
    (ProviderService::new(Example { log: log.clone() }), log)
}

#[tokio::test]
async fn metadata_and_schema_list_the_ephemeral_resource() {
    let (svc, _) = service();
    let meta = svc
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = meta
        .ephemeral_resources
        .iter()
        .map(|e| e.type_name.as_str())
        .collect();
    assert_eq!(names, ["example_secret"]);
    let schema = svc
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let block = schema.ephemeral_resource_schemas["example_secret"]
        .block
        .as_ref()
        .unwrap();
    let value = block.attributes.iter().find(|a| a.name == "value").unwrap();
    assert!(value.sensitive && value.computed);
}

#[tokio::test]
async fn validate_reports_attribute_paths() {
    let (svc, log) = service();
    let resp = svc
        .validate_ephemeral_resource_config(Request::new(
            pb::validate_ephemeral_resource_config::Request {
                type_name: "example_secret".into(),
                config: config(""),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.diagnostics.len(), 1);
    assert!(resp.diagnostics[0].attribute.is_some());
    assert!(log.lock().unwrap().is_empty(), "validate opens nothing");
}

#[tokio::test]
async fn open_renew_close_on_the_wire() {
    let (svc, log) = service();
    let opened = open(&svc, "me").await;
    assert!(opened.diagnostics.is_empty());
    let result = msgpack::decode(&opened.result.unwrap().msgpack, &secret_schema().ty()).unwrap();
    assert_eq!(result.get("value"), &Value::from("secret-of-me"));
    assert_eq!(opened.renew_at.unwrap().seconds, 1_000);
    let private = opened.private.expect("private bytes");

    let renewed = svc
        .renew_ephemeral_resource(Request::new(pb::renew_ephemeral_resource::Request {
            type_name: "example_secret".into(),
            private: Some(private),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renewed.renew_at.unwrap().seconds, 2_000);
    close(&svc, renewed.private).await;
    assert_eq!(*log.lock().unwrap(), ["open me", "close me (renewed)"]);

    // Closed by Terraform: nothing is left to close at shutdown.
    svc.on_shutdown().await;
    assert_eq!(log.lock().unwrap().len(), 2);

    let unknown = svc
        .open_ephemeral_resource(Request::new(pb::open_ephemeral_resource::Request {
            type_name: "example_nope".into(),
            config: config("x"),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.diagnostics[0].detail.contains("example_nope"));
}

#[tokio::test]
async fn what_terraform_never_closed_is_closed_at_shutdown() {
    let (svc, log) = service();
    let a = open(&svc, "a").await;
    let b = open(&svc, "b").await;
    let _c = open(&svc, "c").await;
    close(&svc, a.private).await;
    // b was renewed: it is closed with its latest private state.
    let renewed = svc
        .renew_ephemeral_resource(Request::new(pb::renew_ephemeral_resource::Request {
            type_name: "example_secret".into(),
            private: b.private,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(renewed.private.is_some());
    svc.on_shutdown().await;
    let mut closed: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("close"))
        .cloned()
        .collect();
    closed.sort();
    assert_eq!(closed, ["close a", "close b (renewed)", "close c"]);
    svc.on_shutdown().await;
    assert_eq!(log.lock().unwrap().len(), 6, "closed once");
}
