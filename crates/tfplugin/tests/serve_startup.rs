//! Start-up failures of `serve`: a provider registering one type name twice never starts.

use std::sync::Arc;

use tfplugin::cty::Value;
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{
    async_trait, ApplyResponse, ConfigureRequest, CreateRequest, DataReadRequest, DataSource,
    DeleteRequest, Provider, ReadRequest, ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::serve::{serve, ServeError, ServeOptions};
use tfplugin::server::ProviderService;

struct Thing(&'static str);

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        self.0
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new().attribute(Attribute::string("id").computed()))
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
}

#[async_trait]
impl DataSource for Thing {
    fn type_name(&self) -> &'static str {
        self.0
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new())
    }
    async fn read(&self, _req: DataReadRequest) -> ApplyResponse {
        ApplyResponse {
            state: Value::Object(Default::default()),
            ..Default::default()
        }
    }
}

struct Dup {
    resources: Vec<&'static str>,
    data_sources: Vec<&'static str>,
}

#[async_trait]
impl Provider for Dup {
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
        self.resources
            .iter()
            .map(|n| Arc::new(Thing(n)) as Arc<dyn Resource>)
            .collect()
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        self.data_sources
            .iter()
            .map(|n| Arc::new(Thing(n)) as Arc<dyn DataSource>)
            .collect()
    }
}

fn opts() -> ServeOptions {
    ServeOptions {
        provider_address: "registry.terraform.io/example/example".into(),
        program_name: "terraform-provider-example".into(),
        debug: true,
    }
}

#[tokio::test]
async fn serve_refuses_a_type_name_registered_twice() {
    let dup = Dup {
        resources: vec!["example_thing", "example_other", "example_thing"],
        data_sources: vec![],
    };
    let err = tokio::time::timeout(std::time::Duration::from_secs(5), serve(dup, opts()))
        .await
        .expect("fails at once, without serving")
        .unwrap_err();
    assert!(matches!(err, ServeError::Registration(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("more than one resource named \"example_thing\""),
        "{msg}"
    );

    let dup = Dup {
        resources: vec!["example_thing"],
        data_sources: vec!["example_d", "example_d"],
    };
    let err = serve(dup, opts()).await.unwrap_err();
    assert!(
        err.to_string().contains("data source named \"example_d\""),
        "{err}"
    );
}

#[test]
fn provider_service_try_new_reports_duplicates_and_new_panics() {
    let dup = || Dup {
        resources: vec!["example_thing", "example_thing"],
        data_sources: vec![],
    };
    let e = ProviderService::try_new(dup()).err().expect("an error");
    assert_eq!(e.type_name, "example_thing");
    let panic = std::panic::catch_unwind(|| ProviderService::new(dup()))
        .err()
        .expect("new panics");
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("example_thing"), "{msg}");
    // A resource and a data source may share a name.
    assert!(ProviderService::try_new(Dup {
        resources: vec!["example_thing"],
        data_sources: vec!["example_thing"],
    })
    .is_ok());
}
