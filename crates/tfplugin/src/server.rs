//! The tfplugin6 gRPC service: decodes requests, calls the provider core, encodes responses.
//! Provider problems travel as diagnostics; gRPC errors are kept for broken frames.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use tokio::sync::{mpsc, watch};
use tonic::{Request, Response, Status};

use super::convert::{
    decode_dynamic, diagnostics_to_proto, encode_dynamic, identity_data, path_to_proto,
    schema_to_proto,
};
use super::cty::{self, Type, Value};
use super::diag::Diagnostics;
use super::framework::{
    self, ConfigureRequest, CreateRequest, Ctx, DataReadRequest, DataSource, DeleteRequest,
    ListRequest, ListResource, ListSink, PlanContext, Provider, ReadRequest, Resource,
    UpdateRequest,
};
use super::proto::tfplugin6 as pb;
use super::schema::Schema;

/// The tfplugin6 `Provider` service around a [`Provider`] implementation.
pub struct ProviderService<P: Provider> {
    inner: Arc<Inner<P>>,
}

struct Inner<P: Provider> {
    provider: P,
    provider_schema: Schema,
    resources: HashMap<&'static str, (Arc<dyn Resource>, Schema)>,
    data_sources: HashMap<&'static str, (Arc<dyn DataSource>, Schema)>,
    list_resources: HashMap<&'static str, (Arc<dyn ListResource>, Schema)>,
    stop: watch::Sender<bool>,
}

impl<P: Provider> ProviderService<P> {
    pub fn new(provider: P) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), (r.clone(), r.schema())))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), (d.clone(), d.schema())))
            .collect();
        let list_resources = provider
            .list_resources()
            .into_iter()
            .map(|l| (l.type_name(), (l.clone(), l.schema())))
            .collect();
        let (stop, _) = watch::channel(false);
        ProviderService {
            inner: Arc::new(Inner {
                provider_schema: provider.schema(),
                provider,
                resources,
                data_sources,
                list_resources,
                stop,
            }),
        }
    }
}

impl<P: Provider> Inner<P> {
    fn ctx(&self) -> Ctx {
        Ctx::new(self.stop.subscribe())
    }

    fn resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&(Arc<dyn Resource>, Schema)> {
        let r = self.resources.get(type_name);
        if r.is_none() {
            diags.error(
                "Unknown resource type",
                format!("The provider has no resource type {type_name:?}."),
            );
        }
        r
    }

    fn data_source(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&(Arc<dyn DataSource>, Schema)> {
        let r = self.data_sources.get(type_name);
        if r.is_none() {
            diags.error(
                "Unknown data source",
                format!("The provider has no data source {type_name:?}."),
            );
        }
        r
    }

    fn list_resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&(Arc<dyn ListResource>, Schema)> {
        let r = self.list_resources.get(type_name);
        if r.is_none() {
            diags.error(
                "Unknown list resource",
                format!("The provider has no list resource {type_name:?}."),
            );
        }
        r
    }

    /// Decodes a configuration and runs the schema's validators plus `custom` over it.
    fn validate(
        &self,
        schema: &Schema,
        config: Option<&pb::DynamicValue>,
        what: &str,
        diags: &mut Diagnostics,
        custom: impl FnOnce(&Value, &mut Diagnostics),
    ) {
        if let Some(config) = decode_or_diag(config, &schema.ty(), what, diags) {
            framework::validate_block(&schema.block, &config, &cty::AttributePath::root(), diags);
            custom(&config, diags);
        }
    }

    /// The identity of `state` for a resource type with an identity schema.
    fn identity_of(&self, type_name: &str, state: &Value) -> Option<(Value, Type)> {
        let (res, _) = self.resources.get(type_name)?;
        let schema = res.identity_schema()?;
        if state.is_null() {
            return None;
        }
        Some((framework::identity_from_state(&schema, state), schema.ty()))
    }

    fn identity_proto(
        &self,
        type_name: &str,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<pb::ResourceIdentityData> {
        let (identity, ty) = self.identity_of(type_name, state)?;
        encode_or_diag(&identity, &ty, "identity", diags).map(identity_data)
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

/// Replaces unknowns left in a value that must be wholly known (after apply or read).
fn unknowns_to_null(v: &mut Value) {
    match v {
        Value::Unknown => *v = Value::Null,
        Value::List(xs) | Value::Set(xs) | Value::Tuple(xs) => {
            xs.iter_mut().for_each(unknowns_to_null)
        }
        Value::Map(m) | Value::Object(m) => m.values_mut().for_each(unknowns_to_null),
        Value::Dynamic(_, x) => unknowns_to_null(x),
        _ => {}
    }
}

/// Drops attributes Terraform stored that the current schema does not have (state written by
/// another provider version), so old state decodes.
fn prune_to_type(v: &mut serde_json::Value, ty: &Type) {
    match (v, ty) {
        (serde_json::Value::Object(m), Type::Object(attrs, _)) => {
            m.retain(|k, _| attrs.contains_key(k));
            for (k, x) in m.iter_mut() {
                prune_to_type(x, &attrs[k]);
            }
        }
        (serde_json::Value::Array(xs), Type::List(t) | Type::Set(t)) => {
            xs.iter_mut().for_each(|x| prune_to_type(x, t))
        }
        (serde_json::Value::Object(m), Type::Map(t)) => {
            m.values_mut().for_each(|x| prune_to_type(x, t))
        }
        _ => {}
    }
}

type ListStream = Pin<Box<dyn Stream<Item = Result<pb::list_resource::Event, Status>> + Send>>;

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _req: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let i = &self.inner;
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            resources: i
                .resources
                .keys()
                .map(|t| pb::get_metadata::ResourceMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            data_sources: i
                .data_sources
                .keys()
                .map(|t| pb::get_metadata::DataSourceMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            list_resources: i
                .list_resources
                .keys()
                .map(|t| pb::get_metadata::ListResourceMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _req: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let i = &self.inner;
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(&i.provider_schema)),
            resource_schemas: i
                .resources
                .iter()
                .map(|(k, (_, s))| (k.to_string(), schema_to_proto(s)))
                .collect(),
            data_source_schemas: i
                .data_sources
                .iter()
                .map(|(k, (_, s))| (k.to_string(), schema_to_proto(s)))
                .collect(),
            list_resource_schemas: i
                .list_resources
                .iter()
                .map(|(k, (_, s))| (k.to_string(), schema_to_proto(s)))
                .collect(),
            server_capabilities: Some(server_capabilities()),
            ..Default::default()
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _req: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        let identity_schemas = self
            .inner
            .resources
            .iter()
            .filter_map(|(k, (r, _))| {
                r.identity_schema()
                    .map(|s| (k.to_string(), super::convert::identity_schema_to_proto(&s)))
            })
            .collect();
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas,
            diagnostics: vec![],
        }))
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded_identity = None;
        if let Some((res, _)) = self.inner.resource(&req.type_name, &mut diags) {
            match res.identity_schema() {
                None => diags.error(
                    "Identity not supported",
                    format!("{} has no identity.", req.type_name),
                ),
                Some(schema) => {
                    let raw = req.raw_identity.map(|r| r.json).unwrap_or_default();
                    match cty::json::decode(&raw, &schema.ty()) {
                        Ok(v) => {
                            upgraded_identity =
                                encode_or_diag(&v, &schema.ty(), "identity", &mut diags)
                                    .map(identity_data)
                        }
                        Err(e) => diags.error(
                            "Invalid stored identity",
                            format!("The stored identity cannot be read: {e}."),
                        ),
                    }
                }
            }
        }
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity,
            diagnostics: diagnostics_to_proto(&diags),
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let inner = &self.inner;
        inner.validate(
            &inner.provider_schema,
            req.config.as_ref(),
            "provider configuration",
            &mut diags,
            |config, diags| inner.provider.validate_config(config, diags),
        );
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diagnostics_to_proto(&diags),
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        if let Some((res, schema)) = self.inner.resource(&req.type_name, &mut diags) {
            self.inner.validate(
                schema,
                req.config.as_ref(),
                "configuration",
                &mut diags,
                |c, d| res.validate_config(c, d),
            );
        }
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics_to_proto(&diags),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        if let Some((ds, schema)) = self.inner.data_source(&req.type_name, &mut diags) {
            self.inner.validate(
                schema,
                req.config.as_ref(),
                "configuration",
                &mut diags,
                |c, d| ds.validate_config(c, d),
            );
        }
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics_to_proto(&diags),
        }))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        if let Some((lr, schema)) = self.inner.list_resource(&req.type_name, &mut diags) {
            let what = "list configuration";
            self.inner
                .validate(schema, req.config.as_ref(), what, &mut diags, |c, d| {
                    lr.validate_config(c, d)
                });
        }
        Ok(Response::new(pb::validate_list_resource_config::Response {
            diagnostics: diagnostics_to_proto(&diags),
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let schema = &self.inner.provider_schema;
        if let Some(config) = decode_or_diag(
            req.config.as_ref(),
            &schema.ty(),
            "provider configuration",
            &mut diags,
        ) {
            let d = self
                .inner
                .provider
                .configure(ConfigureRequest {
                    config,
                    terraform_version: req.terraform_version,
                })
                .await;
            diags.extend(d);
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diagnostics_to_proto(&diags),
        }))
    }

    async fn stop_provider(
        &self,
        _req: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!(tf_rpc = "StopProvider", "cancelling in-flight work");
        self.inner.stop.send_replace(true);
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        tracing::debug!(tf_rpc = "UpgradeResourceState", tf_type_name = %req.type_name, "handling UpgradeResourceState");
        let mut diags = Diagnostics::new();
        let mut upgraded_state = None;
        if let Some((_, schema)) = self.inner.resource(&req.type_name, &mut diags) {
            let ty = schema.ty();
            let raw = req.raw_state.unwrap_or_default();
            if req.version > schema.version {
                diags.error(
                    "Resource instance managed by newer provider version",
                    format!(
                        "The state of this {} was written with schema version {}, newer than this provider's {}. Upgrade the provider.",
                        req.type_name, req.version, schema.version
                    ),
                );
            } else if raw.json.is_empty() && !raw.flatmap.is_empty() {
                diags.error(
                    "Unsupported state format",
                    "This state is in the pre-0.12 flatmap format, which this provider cannot read. Re-import the resource.",
                );
            } else {
                let value = if raw.json.is_empty() {
                    Ok(Value::Null)
                } else {
                    serde_json::from_slice::<serde_json::Value>(&raw.json)
                        .map_err(|e| cty::CodecError::new(format!("invalid JSON: {e}")))
                        .and_then(|mut j| {
                            prune_to_type(&mut j, &ty);
                            cty::json::decode(&serde_json::to_vec(&j).unwrap_or_default(), &ty)
                        })
                };
                match value {
                    Ok(v) => upgraded_state = encode_or_diag(&v, &ty, "state", &mut diags),
                    Err(e) => diags.error(
                        "Invalid stored state",
                        format!("The stored state cannot be read: {e}."),
                    ),
                }
            }
        }
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diagnostics_to_proto(&diags),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        tracing::debug!(tf_rpc = "ReadResource", tf_type_name = %req.type_name, "handling ReadResource");
        let mut diags = Diagnostics::new();
        let mut resp = pb::read_resource::Response {
            private: req.private.clone(),
            ..Default::default()
        };
        if let Some((res, schema)) = self.inner.resource(&req.type_name, &mut diags) {
            let ty = schema.ty();
            if let Some(state) =
                decode_or_diag(req.current_state.as_ref(), &ty, "state", &mut diags)
            {
                let out = res
                    .read(ReadRequest {
                        state: state.clone(),
                        private: req.private,
                        ctx: self.inner.ctx(),
                    })
                    .await;
                diags.extend(out.diagnostics);
                let mut new_state = out.state;
                if !new_state.is_wholly_known() {
                    diags.provider_bug(
                        "Unknown values after read",
                        "The provider returned unknown values from a read.",
                    );
                    unknowns_to_null(&mut new_state);
                }
                resp.new_identity =
                    self.inner
                        .identity_proto(&req.type_name, &new_state, &mut diags);
                resp.new_state = encode_or_diag(&new_state, &ty, "state", &mut diags);
                resp.private = out.private;
            }
        }
        resp.diagnostics = diagnostics_to_proto(&diags);
        Ok(Response::new(resp))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        tracing::debug!(tf_rpc = "PlanResourceChange", tf_type_name = %req.type_name, "handling PlanResourceChange");
        let mut diags = Diagnostics::new();
        let mut resp = pb::plan_resource_change::Response {
            planned_private: req.prior_private.clone(),
            ..Default::default()
        };
        if let Some((res, schema)) = self.inner.resource(&req.type_name, &mut diags) {
            let ty = schema.ty();
            let prior = decode_or_diag(req.prior_state.as_ref(), &ty, "prior state", &mut diags);
            let config = decode_or_diag(req.config.as_ref(), &ty, "configuration", &mut diags);
            let proposed = decode_or_diag(
                req.proposed_new_state.as_ref(),
                &ty,
                "proposed state",
                &mut diags,
            );
            if let (Some(prior), Some(config), Some(proposed)) = (prior, config, proposed) {
                let mut plan = framework::plan(schema, &prior, &config, &proposed);
                if !plan.planned.is_null() {
                    res.modify_plan(
                        &PlanContext {
                            prior: &prior,
                            config: &config,
                        },
                        &mut plan,
                        &mut diags,
                    );
                }
                resp.requires_replace = plan.requires_replace.iter().map(path_to_proto).collect();
                // Identity is decided at apply on create and replace: plan none rather than a
                // partly unknown one (Terraform cannot render that).
                let replacing = !plan.requires_replace.is_empty();
                let identity = self.inner.identity_of(&req.type_name, &plan.planned);
                if let Some((v, ty)) = identity.filter(|(v, _)| !replacing && v.is_wholly_known()) {
                    resp.planned_identity =
                        encode_or_diag(&v, &ty, "identity", &mut diags).map(identity_data);
                }
                resp.planned_state =
                    encode_or_diag(&plan.planned, &ty, "planned state", &mut diags);
            }
        }
        resp.diagnostics = diagnostics_to_proto(&diags);
        Ok(Response::new(resp))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        tracing::debug!(tf_rpc = "ApplyResourceChange", tf_type_name = %req.type_name, "handling ApplyResourceChange");
        let mut diags = Diagnostics::new();
        let mut resp = pb::apply_resource_change::Response {
            private: req.planned_private.clone(),
            ..Default::default()
        };
        if let Some((res, schema)) = self.inner.resource(&req.type_name, &mut diags) {
            let ty = schema.ty();
            let prior = decode_or_diag(req.prior_state.as_ref(), &ty, "prior state", &mut diags);
            let planned =
                decode_or_diag(req.planned_state.as_ref(), &ty, "planned state", &mut diags);
            let config = decode_or_diag(req.config.as_ref(), &ty, "configuration", &mut diags);
            if let (Some(prior), Some(planned), Some(config)) = (prior, planned, config) {
                let ctx = self.inner.ctx();
                let new_state = if planned.is_null() {
                    let d = res
                        .delete(DeleteRequest {
                            prior: prior.clone(),
                            ctx,
                        })
                        .await;
                    let failed = d.has_errors();
                    diags.extend(d);
                    // A failed delete keeps the object in state.
                    if failed {
                        prior
                    } else {
                        Value::Null
                    }
                } else {
                    let out = if prior.is_null() {
                        res.create(CreateRequest {
                            config,
                            planned,
                            ctx,
                        })
                        .await
                    } else {
                        res.update(UpdateRequest {
                            config,
                            planned,
                            prior,
                            ctx,
                        })
                        .await
                    };
                    diags.extend(out.diagnostics);
                    if let Some(private) = out.private {
                        resp.private = private;
                    }
                    let mut state = out.state;
                    if !state.is_wholly_known() {
                        if !diags.has_errors() {
                            diags.provider_bug(
                                "Unknown values after apply",
                                "The provider left values unknown after apply.",
                            );
                        }
                        unknowns_to_null(&mut state);
                    }
                    state
                };
                resp.new_identity =
                    self.inner
                        .identity_proto(&req.type_name, &new_state, &mut diags);
                resp.new_state = encode_or_diag(&new_state, &ty, "new state", &mut diags);
            }
        }
        resp.diagnostics = diagnostics_to_proto(&diags);
        Ok(Response::new(resp))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        tracing::debug!(tf_rpc = "ImportResourceState", tf_type_name = %req.type_name, "handling ImportResourceState");
        let mut diags = Diagnostics::new();
        let mut imported_resources = Vec::new();
        if let Some((res, schema)) = self.inner.resource(&req.type_name, &mut diags) {
            let identity_dv = req.identity.as_ref().and_then(|i| i.identity_data.as_ref());
            let state = match (res.identity_schema(), identity_dv) {
                (Some(id_schema), Some(dv)) if req.id.is_empty() => {
                    decode_or_diag(Some(dv), &id_schema.ty(), "identity", &mut diags).and_then(
                        |identity| {
                            let missing: Vec<_> = id_schema
                                .attributes
                                .iter()
                                .filter(|a| {
                                    a.required_for_import && identity.get(&a.name).is_null()
                                })
                                .map(|a| a.name.clone())
                                .collect();
                            if missing.is_empty() {
                                Some(framework::state_from_identity(
                                    schema, &id_schema, &identity,
                                ))
                            } else {
                                diags.error(
                                    "Incomplete identity",
                                    format!("The identity is missing {}.", missing.join(", ")),
                                );
                                None
                            }
                        },
                    )
                }
                (None, Some(_)) if req.id.is_empty() => {
                    diags.error(
                        "Import by identity not supported",
                        format!("{} has no identity.", req.type_name),
                    );
                    None
                }
                _ => match res.import_id(&req.id) {
                    Ok(state) => Some(state),
                    Err(d) => {
                        diags.extend(d);
                        None
                    }
                },
            };
            if let Some(state) = state {
                let identity = self
                    .inner
                    .identity_proto(&req.type_name, &state, &mut diags);
                if let Some(dv) = encode_or_diag(&state, &schema.ty(), "imported state", &mut diags)
                {
                    imported_resources.push(pb::import_resource_state::ImportedResource {
                        type_name: req.type_name.clone(),
                        state: Some(dv),
                        private: Vec::new(),
                        identity,
                    });
                }
            }
        }
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: diagnostics_to_proto(&diags),
            deferred: None,
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = req.into_inner();
        tracing::debug!(tf_rpc = "ReadDataSource", tf_type_name = %req.type_name, "handling ReadDataSource");
        let mut diags = Diagnostics::new();
        let mut resp = pb::read_data_source::Response::default();
        if let Some((ds, schema)) = self.inner.data_source(&req.type_name, &mut diags) {
            let ty = schema.ty();
            if let Some(config) =
                decode_or_diag(req.config.as_ref(), &ty, "configuration", &mut diags)
            {
                let out = ds
                    .read(DataReadRequest {
                        config,
                        ctx: self.inner.ctx(),
                    })
                    .await;
                diags.extend(out.diagnostics);
                if !out.state.is_null() {
                    let mut state = out.state;
                    unknowns_to_null(&mut state);
                    resp.state = encode_or_diag(&state, &ty, "data source state", &mut diags);
                }
            }
        }
        resp.diagnostics = diagnostics_to_proto(&diags);
        Ok(Response::new(resp))
    }

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Result<Response<ListStream>, Status> {
        let req = req.into_inner();
        let inner = self.inner.clone();
        let (tx, mut rx) = mpsc::channel::<Result<pb::list_resource::Event, Status>>(16);
        tokio::spawn(async move {
            let mut diags = Diagnostics::new();
            let Some((lr, schema)) = inner.list_resource(&req.type_name, &mut diags).cloned()
            else {
                let _ = tx.send(Ok(error_event(&diags))).await;
                return;
            };
            let Some((_, res_schema)) = inner.resources.get(req.type_name.as_str()).cloned() else {
                diags.error(
                    "No managed resource for list",
                    format!("{} is not a managed resource type.", req.type_name),
                );
                let _ = tx.send(Ok(error_event(&diags))).await;
                return;
            };
            let Some(config) = decode_or_diag(
                req.config.as_ref(),
                &schema.ty(),
                "list configuration",
                &mut diags,
            ) else {
                let _ = tx.send(Ok(error_event(&diags))).await;
                return;
            };
            let limit = if req.limit > 0 { req.limit } else { i64::MAX };
            let (item_tx, mut item_rx) = mpsc::channel(16);
            let list_req = ListRequest {
                config,
                include_resource: req.include_resource_object,
                limit,
                ctx: inner.ctx(),
            };
            let producer =
                tokio::spawn(async move { lr.list(list_req, ListSink::new(item_tx)).await });
            let res_ty = res_schema.ty();
            let mut sent = 0i64;
            loop {
                // Stop as soon as Terraform goes away (limit reached elsewhere, Ctrl-C), even
                // while the list resource is waiting on its API.
                let item = tokio::select! {
                    item = item_rx.recv() => match item {
                        Some(item) => item,
                        None => break,
                    },
                    _ = tx.closed() => break,
                };
                let event = match item {
                    Err(d) => error_event(&d),
                    Ok(item) => {
                        let mut d = Diagnostics::new();
                        let identity = inner.identity_proto(&req.type_name, &item.state, &mut d);
                        let resource_object = if req.include_resource_object {
                            encode_or_diag(&item.state, &res_ty, "resource object", &mut d)
                        } else {
                            None
                        };
                        pb::list_resource::Event {
                            identity,
                            display_name: item.display_name,
                            resource_object,
                            diagnostic: diagnostics_to_proto(&d),
                        }
                    }
                };
                let is_result = event.identity.is_some();
                if tx.send(Ok(event)).await.is_err() {
                    break;
                }
                if is_result {
                    sent += 1;
                    if sent >= limit {
                        break;
                    }
                }
            }
            drop(item_rx);
            producer.abort();
        });
        let stream = async_stream::stream! {
            while let Some(ev) = rx.recv().await {
                yield ev;
            }
        };
        Ok(Response::new(Box::pin(stream)))
    }
}

fn error_event(diags: &Diagnostics) -> pb::list_resource::Event {
    pb::list_resource::Event {
        diagnostic: diagnostics_to_proto(diags),
        ..Default::default()
    }
}

fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

/// Wraps the service with the message limits Terraform needs.
pub fn provider_server<P: Provider>(
    provider: P,
) -> pb::provider_server::ProviderServer<ProviderService<P>> {
    const MAX: usize = 256 << 20;
    pb::provider_server::ProviderServer::new(ProviderService::new(provider))
        .max_decoding_message_size(MAX)
        .max_encoding_message_size(MAX)
}
