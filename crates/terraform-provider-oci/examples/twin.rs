//! A benchmark baseline: a provider with this provider's schemas (all of them, so Terraform
//! decodes the same `GetProviderSchema` answer) served by the same framework, whose
//! `oci_identity_auth_token` never calls an API — creates invent an ID, reads return the state,
//! deletes do nothing. The Terraform benchmark runs the same configuration against it, so
//! Terraform's own cost of a plugin provider (processes, RPCs, encoding, state writes) is
//! measured apart from the OCI work (requests, signing, waits). Its state has the same bytes as
//! the provider's: IDs as long as real OCIDs, 20-character tokens, and the same private marker
//! after a create, because Terraform's local backend rewrites the whole state file after each
//! resource change and that cost grows with the state's size. Not a provider for real use.
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
    EphemeralResource, ListResource, PrivateState, Provider, ReadRequest, ReadResponse, Resource,
    UpdateRequest,
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
    // As long as a real credential OCID (60 characters after the realm's `..`) and token.
    let unique = format!("twin{}x{n}", std::process::id());
    for (name, value) in [
        (
            "id",
            Value::string(format!("ocid1.credential.oc1..{unique:a>60}")),
        ),
        ("token", Value::string(format!("twin-token{n:>010}"))),
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
        // The provider's marker that the first refresh tolerates a token not listed yet.
        let mut private = PrivateState::new();
        private.set("unlisted_since", chrono::Utc::now().timestamp());
        ApplyResponse {
            state: created(&req.planned, n),
            private: Some(private),
            ..Default::default()
        }
    }
    async fn read(&self, req: ReadRequest) -> ReadResponse {
        ReadResponse {
            state: req.state,
            private: PrivateState::new(),
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
            .map(|r| {
                if r.type_name() != TOKEN_TYPE {
                    return r; // served for its schema; the benchmark never uses it
                }
                Arc::new(TwinToken {
                    schema: r.schema(),
                    identity: r.identity_schema(),
                    created: AtomicU64::new(0),
                }) as Arc<dyn Resource>
            })
            .collect()
    }
    // Served for their schemas only, like the other resources.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        self.real.data_sources()
    }
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        self.real.list_resources()
    }
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
        self.real.ephemeral_resources()
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
