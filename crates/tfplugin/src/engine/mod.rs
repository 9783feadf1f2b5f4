//! The framework logic behind the RPCs, on plain values: the registry of resources, data
//! sources, list resources and ephemeral resources; validation; plan, apply, read, import and
//! state upgrade of managed resources; data source reads; the list pump; open, renew and close
//! of ephemeral resources.
//!
//! Everything here takes and returns cty [`Value`]s, [`Schema`]s, [`Diagnostics`] and
//! [`PrivateState`](crate::framework::PrivateState); the protocol translation in
//! [`server`](crate::server) decodes requests, calls it and encodes the answers.

mod ephemeral;
mod list;
mod resource;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) use ephemeral::{
    close as close_ephemeral, open as open_ephemeral, renew as renew_ephemeral, Outstanding,
};
pub(crate) use list::{pump, ListEvent};
pub(crate) use resource::{
    apply, import, plan, read as read_resource, upgrade_state, ImportTarget,
};

use crate::cty::{self, Value};
use crate::diag::Diagnostics;
use crate::framework::{
    self, Ctx, DataReadRequest, DataSource, EphemeralResource, ListResource, Provider, Resource,
};
use crate::schema::{IdentitySchema, Schema};

/// Two registrations with one type name: the provider is built wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the provider registers more than one {kind} named {type_name:?}; each type name must be registered once")]
pub struct RegistrationError {
    /// `resource`, `data source`, `list resource` or `ephemeral resource`.
    pub kind: &'static str,
    pub type_name: String,
}

/// A managed resource with its schemas, taken once at start-up.
#[derive(Clone)]
pub(crate) struct ResourceEntry {
    pub imp: Arc<dyn Resource>,
    pub schema: Schema,
    pub identity: Option<IdentitySchema>,
}

impl ResourceEntry {
    pub fn new(imp: Arc<dyn Resource>) -> Self {
        ResourceEntry {
            schema: imp.schema(),
            identity: imp.identity_schema(),
            imp,
        }
    }

    /// The identity of `state` for a resource type with an identity schema (none for a
    /// null state).
    pub fn identity_of(&self, state: &Value) -> Option<Value> {
        let schema = self.identity.as_ref()?;
        if state.is_null() {
            return None;
        }
        Some(framework::identity_from_state(schema, state))
    }
}

#[derive(Clone)]
pub(crate) struct DataSourceEntry {
    pub imp: Arc<dyn DataSource>,
    pub schema: Schema,
}

#[derive(Clone)]
pub(crate) struct ListEntry {
    pub imp: Arc<dyn ListResource>,
    pub schema: Schema,
}

#[derive(Clone)]
pub(crate) struct EphemeralEntry {
    pub imp: Arc<dyn EphemeralResource>,
    pub schema: Schema,
}

impl EphemeralEntry {
    pub fn new(imp: Arc<dyn EphemeralResource>) -> Self {
        EphemeralEntry {
            schema: imp.schema(),
            imp,
        }
    }
}

/// Everything a provider registers, by type name.
pub(crate) struct Registry {
    pub resources: BTreeMap<&'static str, ResourceEntry>,
    pub data_sources: BTreeMap<&'static str, DataSourceEntry>,
    pub list_resources: BTreeMap<&'static str, ListEntry>,
    pub ephemeral_resources: BTreeMap<&'static str, EphemeralEntry>,
}

fn by_name<T>(
    kind: &'static str,
    items: impl IntoIterator<Item = (&'static str, T)>,
) -> Result<BTreeMap<&'static str, T>, RegistrationError> {
    let mut m = BTreeMap::new();
    for (name, item) in items {
        if m.insert(name, item).is_some() {
            return Err(RegistrationError {
                kind,
                type_name: name.to_string(),
            });
        }
    }
    Ok(m)
}

impl Registry {
    pub fn new<P: Provider>(provider: &P) -> Result<Self, RegistrationError> {
        Ok(Registry {
            resources: by_name(
                "resource",
                provider
                    .resources()
                    .into_iter()
                    .map(|r| (r.type_name(), ResourceEntry::new(r))),
            )?,
            data_sources: by_name(
                "data source",
                provider.data_sources().into_iter().map(|d| {
                    let entry = DataSourceEntry {
                        schema: d.schema(),
                        imp: d.clone(),
                    };
                    (d.type_name(), entry)
                }),
            )?,
            list_resources: by_name(
                "list resource",
                provider.list_resources().into_iter().map(|l| {
                    let entry = ListEntry {
                        schema: l.schema(),
                        imp: l.clone(),
                    };
                    (l.type_name(), entry)
                }),
            )?,
            ephemeral_resources: by_name(
                "ephemeral resource",
                provider
                    .ephemeral_resources()
                    .into_iter()
                    .map(|e| (e.type_name(), EphemeralEntry::new(e))),
            )?,
        })
    }

    pub fn ephemeral_resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&EphemeralEntry> {
        let r = self.ephemeral_resources.get(type_name);
        if r.is_none() {
            diags.error(
                "Unknown ephemeral resource type",
                format!("The provider has no ephemeral resource type {type_name:?}."),
            );
        }
        r
    }

    pub fn resource(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&ResourceEntry> {
        let r = self.resources.get(type_name);
        if r.is_none() {
            diags.error(
                "Unknown resource type",
                format!("The provider has no resource type {type_name:?}."),
            );
        }
        r
    }

    pub fn data_source(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&DataSourceEntry> {
        let r = self.data_sources.get(type_name);
        if r.is_none() {
            diags.error(
                "Unknown data source",
                format!("The provider has no data source {type_name:?}."),
            );
        }
        r
    }

    pub fn list_resource(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&ListEntry> {
        let r = self.list_resources.get(type_name);
        if r.is_none() {
            diags.error(
                "Unknown list resource",
                format!("The provider has no list resource {type_name:?}."),
            );
        }
        r
    }

    /// A list resource and the managed resource of the same type name, whose state its
    /// results are.
    pub fn list_target(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<(&ListEntry, &ResourceEntry)> {
        let list = self.list_resource(type_name, diags)?;
        let Some(res) = self.resources.get(type_name) else {
            diags.error(
                "No managed resource for list",
                format!("{type_name} is not a managed resource type."),
            );
            return None;
        };
        Some((list, res))
    }
}

/// Runs the schema's validators plus `custom` over a decoded configuration.
pub(crate) fn validate(
    schema: &Schema,
    config: &Value,
    diags: &mut Diagnostics,
    custom: impl FnOnce(&Value, &mut Diagnostics),
) {
    framework::validate_block(&schema.block, config, &cty::AttributePath::root(), diags);
    custom(config, diags);
}

/// Replaces unknowns left in a value that must be wholly known (after apply or read).
pub(crate) fn unknowns_to_null(v: &mut Value) {
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

/// Reads a data source. `None` when it returned no state (an error, reported in `diags`).
pub(crate) async fn read_data_source(
    entry: &DataSourceEntry,
    config: Value,
    ctx: Ctx,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let out = entry.imp.read(DataReadRequest { config, ctx }).await;
    diags.extend(out.diagnostics);
    if out.state.is_null() {
        return None;
    }
    let mut state = out.state;
    unknowns_to_null(&mut state);
    Some(state)
}
