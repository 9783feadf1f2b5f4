//! The tfplugin6 gRPC service: protocol translation only. Each RPC group has its module,
//! which decodes the request, calls the framework logic (the crate's private `engine` module)
//! on plain values, and encodes the answer. Provider problems travel as diagnostics; gRPC errors are
//! kept for broken frames.

mod data;
mod ephemeral;
mod identity;
mod list;
mod provider;
mod resource;
mod schema;
mod validate;

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::convert::{decode_dynamic, encode_dynamic};
use crate::cty::{Type, Value};
use crate::diag::Diagnostics;
pub use crate::engine::RegistrationError;
use crate::engine::{Outstanding, Registry};
use crate::framework::{Ctx, Provider, StopSource};
use crate::proto::tfplugin6 as pb;
use crate::schema::Schema;

/// The tfplugin6 `Provider` service around a [`Provider`] implementation.
pub struct ProviderService<P: Provider> {
    inner: Arc<Inner<P>>,
}

struct Inner<P: Provider> {
    provider: P,
    provider_schema: Schema,
    registry: Registry,
    stop: StopSource,
    /// Ephemeral instances opened and not closed yet.
    outstanding: Outstanding,
}

impl<P: Provider> ProviderService<P> {
    /// The service for `provider`. Fails when two resources, data sources, list resources or
    /// ephemeral resources share a type name.
    pub fn try_new(provider: P) -> Result<Self, RegistrationError> {
        let registry = Registry::new(&provider)?;
        Ok(ProviderService {
            inner: Arc::new(Inner {
                provider_schema: provider.schema(),
                provider,
                registry,
                stop: StopSource::new(),
                outstanding: Outstanding::default(),
            }),
        })
    }

    /// Like [`ProviderService::try_new`] (for tests and tools).
    ///
    /// # Panics
    /// When two registrations share a type name.
    pub fn new(provider: P) -> Self {
        Self::try_new(provider).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl<P: Provider> ProviderService<P> {
    /// What to run when the process is shut down: closes the ephemeral instances Terraform
    /// opened and never closed (it skips the close of an instance whose consumer failed, and
    /// nothing closes them once the process is gone).
    pub fn on_shutdown(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let inner = self.inner.clone();
        async move { ephemeral::close_outstanding(&inner).await }
    }
}

impl<P: Provider> Inner<P> {
    fn ctx(&self) -> Ctx {
        self.stop.ctx()
    }
}

fn decode_or_diag(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    match decode_dynamic(dv, ty) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.error(
                format!("Invalid {what}"),
                format!("Terraform sent a {what} the provider cannot decode: {e}."),
            );
            None
        }
    }
}

fn encode_or_diag(
    v: &Value,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match encode_dynamic(v, ty) {
        Ok(dv) => Some(dv),
        Err(e) => {
            diags.provider_bug(
                format!("Invalid {what}"),
                format!("The provider produced a {what} it cannot encode: {e}."),
            );
            None
        }
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _req: Request<pb::get_metadata::Request>,
    ) -> Answer<pb::get_metadata::Response> {
        let timer = RpcTimer::start("GetMetadata", "");
        let resp = schema::get_metadata(&self.inner);
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn get_provider_schema(
        &self,
        _req: Request<pb::get_provider_schema::Request>,
    ) -> Answer<pb::get_provider_schema::Response> {
        let timer = RpcTimer::start("GetProviderSchema", "");
        let resp = schema::get_provider_schema(&self.inner);
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn get_resource_identity_schemas(
        &self,
        _req: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Answer<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(identity::get_resource_identity_schemas(
            &self.inner,
        )))
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Answer<pb::upgrade_resource_identity::Response> {
        Ok(Response::new(identity::upgrade_resource_identity(
            &self.inner,
            req.into_inner(),
        )))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Answer<pb::validate_provider_config::Response> {
        let req = req.into_inner();
        let timer = RpcTimer::start("ValidateProviderConfig", "");
        let resp = validate::provider_config(&self.inner, req);
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Answer<pb::validate_resource_config::Response> {
        let req = req.into_inner();
        let timer = RpcTimer::start("ValidateResourceConfig", &req.type_name);
        let resp = validate::resource_config(&self.inner, req);
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Answer<pb::validate_data_resource_config::Response> {
        let req = req.into_inner();
        let timer = RpcTimer::start("ValidateDataResourceConfig", &req.type_name);
        let resp = validate::data_resource_config(&self.inner, req);
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Answer<pb::validate_list_resource_config::Response> {
        Ok(Response::new(validate::list_resource_config(
            &self.inner,
            req.into_inner(),
        )))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Answer<pb::configure_provider::Response> {
        let timer = RpcTimer::start("ConfigureProvider", "");
        let resp = provider::configure(&self.inner, req.into_inner()).await;
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn stop_provider(
        &self,
        _req: Request<pb::stop_provider::Request>,
    ) -> Answer<pb::stop_provider::Response> {
        Ok(Response::new(provider::stop(&self.inner)))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Answer<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        let timer = RpcTimer::start("UpgradeResourceState", &req.type_name);
        let resp = resource::upgrade_state(&self.inner, req);
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Answer<pb::read_resource::Response> {
        let req = req.into_inner();
        let timer = RpcTimer::start("ReadResource", &req.type_name);
        let resp = resource::read(&self.inner, req).await;
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Answer<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        let timer = RpcTimer::start("PlanResourceChange", &req.type_name);
        let resp = resource::plan(&self.inner, req);
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Answer<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        let timer = RpcTimer::start("ApplyResourceChange", &req.type_name);
        let resp = resource::apply(&self.inner, req).await;
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Answer<pb::import_resource_state::Response> {
        let req = req.into_inner();
        let timer = RpcTimer::start("ImportResourceState", &req.type_name);
        let resp = resource::import(&self.inner, req);
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Answer<pb::read_data_source::Response> {
        let req = req.into_inner();
        let timer = RpcTimer::start("ReadDataSource", &req.type_name);
        let resp = data::read(&self.inner, req).await;
        timer.finish();
        Ok(Response::new(resp))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Answer<pb::validate_ephemeral_resource_config::Response> {
        Ok(Response::new(ephemeral::validate_config(
            &self.inner,
            req.into_inner(),
        )))
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Answer<pb::open_ephemeral_resource::Response> {
        Ok(Response::new(
            ephemeral::open(&self.inner, req.into_inner()).await,
        ))
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Answer<pb::renew_ephemeral_resource::Response> {
        Ok(Response::new(
            ephemeral::renew(&self.inner, req.into_inner()).await,
        ))
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> Answer<pb::close_ephemeral_resource::Response> {
        Ok(Response::new(
            ephemeral::close(&self.inner, req.into_inner()).await,
        ))
    }

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Answer<list::ListStream> {
        Ok(Response::new(list::list(
            self.inner.clone(),
            req.into_inner(),
        )))
    }
}

/// Wraps the service with the message limits Terraform needs. Fails when two registrations
/// share a type name.
pub fn provider_server<P: Provider>(
    provider: P,
) -> Result<pb::provider_server::ProviderServer<ProviderService<P>>, RegistrationError> {
    Ok(wrap(ProviderService::try_new(provider)?))
}

/// The service with the message limits Terraform needs.
pub(crate) fn wrap<P: Provider>(
    service: ProviderService<P>,
) -> pb::provider_server::ProviderServer<ProviderService<P>> {
    const MAX: usize = 256 << 20;
    pb::provider_server::ProviderServer::new(service)
        .max_decoding_message_size(MAX)
        .max_encoding_message_size(MAX)
}

/// Times one RPC: `TF_LOG_PROVIDER=debug` shows how long the provider spent on it
/// (`elapsed_ms`), so the time inside the provider can be told from Terraform's own.
struct RpcTimer {
    rpc: &'static str,
    type_name: String,
    started: std::time::Instant,
}

impl RpcTimer {
    fn start(rpc: &'static str, type_name: &str) -> Self {
        RpcTimer {
            rpc,
            type_name: type_name.to_owned(),
            started: std::time::Instant::now(),
        }
    }

    fn finish(self) {
        tracing::debug!(
            tf_rpc = self.rpc,
            tf_type_name = %self.type_name,
            elapsed_ms = self.started.elapsed().as_secs_f64() * 1000.0,
            "RPC finished"
        );
    }
}
