//! A benchmark baseline: a provider with this provider's schemas (the provider block and
//! `oci_identity_auth_token`, with its identity) served by the same framework, whose resource
//! never calls an API — creates invent an ID, reads return the state, deletes do nothing. The
//! Terraform benchmark runs the same configuration against it, so Terraform's own cost of a
//! plugin provider (processes, RPCs, encoding) is measured apart from the OCI work (requests,
//! signing, waits). Not a provider for real use.
//!
//! `cargo build --release -p terraform-provider-oci --example twin`; Terraform finds it as
//! `terraform-provider-oci` in a `dev_overrides` directory (the benchmark links it there).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use terraform_provider_oci::{OciProvider, PROVIDER_ADDRESS};
use tfplugin::cty::Value;
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{
    async_trait, ApplyResponse, ConfigureRequest, CreateRequest, DataSource, DeleteRequest,
    Provider, ReadRequest, ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::{IdentitySchema, Schema};
use tfplugin::serve::{serve, ServeOptions};

const TOKEN_TYPE: &str = "oci_identity_auth_token";

struct Twin {
    real: OciProvider,
}

struct TwinToken {
    schema: Schema,
    identity: Option<IdentitySchema>,
    created: AtomicU64,
}

/// The planned value with its unknown attributes set as a create would set them.
fn created(planned: &Value, n: u64) -> Value {
    let mut state = planned.clone();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let pid = std::process::id();
    for (name, value) in [
        (
            "id",
            Value::string(format!("ocid1.credential.oc1..twin{pid}x{n}")),
        ),
        ("token", Value::string(format!("twin-token-{n}"))),
        ("state", Value::string("ACTIVE")),
        ("time_created", Value::string(now)),
        ("inactive_state", Value::Null),
        ("time_expires", Value::Null),
    ] {
        if state.get(name).is_unknown() {
            state.set(name, value);
        }
    }
    state
}

#[async_trait]
impl Resource for TwinToken {
    fn type_name(&self) -> &'static str {
        TOKEN_TYPE
    }
    fn schema(&self) -> Schema {
        self.schema.clone()
    }
    fn identity_schema(&self) -> Option<IdentitySchema> {
        self.identity.clone()
    }
    async fn create(&self, req: CreateRequest) -> ApplyResponse {
        let n = self.created.fetch_add(1, Ordering::Relaxed);
        ApplyResponse {
            state: created(&req.planned, n),
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
            state: created(&req.planned, 0),
            ..Default::default()
        }
    }
    async fn delete(&self, _req: DeleteRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

#[async_trait]
impl Provider for Twin {
    fn type_name(&self) -> &'static str {
        self.real.type_name()
    }
    fn schema(&self) -> Schema {
        self.real.schema()
    }
    async fn configure(&self, _req: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        self.real
            .resources()
            .into_iter()
            .filter(|r| r.type_name() == TOKEN_TYPE)
            .map(|r| {
                Arc::new(TwinToken {
                    schema: r.schema(),
                    identity: r.identity_schema(),
                    created: AtomicU64::new(0),
                }) as Arc<dyn Resource>
            })
            .collect()
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the async runtime starts");
    let result = runtime.block_on(serve(
        Twin {
            real: OciProvider::new(),
        },
        ServeOptions {
            provider_address: PROVIDER_ADDRESS.to_string(),
            program_name: "terraform-provider-oci".to_string(),
            debug: false,
        },
    ));
    if let Err(e) = result {
        eprintln!("twin provider: {e}");
        std::process::exit(1);
    }
}
