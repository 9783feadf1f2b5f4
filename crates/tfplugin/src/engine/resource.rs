//! Managed resources: state upgrade, read, plan, apply and import, on plain values.

use crate::cty::{AttributePath, Value};
use crate::diag::Diagnostics;
use crate::framework::{
    self, CreateRequest, Ctx, DeleteRequest, PlanContext, PrivateState, RawState, ReadRequest,
    UpdateRequest,
};
use crate::schema::IdentitySchema;

use super::{unknowns_to_null, ResourceEntry};

/// Turns a stored state into a value of the current schema's type.
///
/// - a version newer than the schema's is refused (a newer provider wrote it);
/// - the pre-0.12 flatmap format is refused;
/// - no state at all is null;
/// - the current version is decoded with the current schema, dropping attributes it does not
///   know (state of the official provider, of other releases);
/// - an older version goes through [`Resource::upgrade_state`](crate::framework::Resource::upgrade_state).
pub(crate) fn upgrade_state(
    entry: &ResourceEntry,
    type_name: &str,
    version: i64,
    raw_json: Vec<u8>,
    has_flatmap: bool,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let current = entry.schema.version;
    if version > current {
        diags.error(
            "Resource instance managed by newer provider version",
            format!(
                "The state of this {type_name} was written with schema version {version}, newer than this provider's {current}. Upgrade the provider."
            ),
        );
        return None;
    }
    if raw_json.is_empty() && has_flatmap {
        diags.error(
            "Unsupported state format",
            "This state is in the pre-0.12 flatmap format, which this provider cannot read. Re-import the resource.",
        );
        return None;
    }
    if raw_json.is_empty() {
        return Some(Value::Null);
    }
    let raw = RawState::from_json(raw_json);
    let upgraded = if version == current {
        raw.decode(&entry.schema.ty())
    } else {
        entry.imp.upgrade_state(version, raw)
    };
    match upgraded {
        Ok(v) => Some(v),
        Err(d) => {
            diags.extend(d);
            None
        }
    }
}

/// The outcome of a read.
#[derive(Debug)]
pub(crate) struct ReadOutcome {
    /// Null when the remote object is gone.
    pub state: Value,
    pub identity: Option<Value>,
    pub private: PrivateState,
}

/// Reads the remote object; unknowns in what the resource returns are a provider bug.
pub(crate) async fn read(
    entry: &ResourceEntry,
    state: Value,
    private: PrivateState,
    ctx: Ctx,
    diags: &mut Diagnostics,
) -> ReadOutcome {
    let out = entry
        .imp
        .read(ReadRequest {
            state,
            private,
            ctx,
        })
        .await;
    diags.extend(out.diagnostics);
    let mut state = out.state;
    if !state.is_wholly_known() {
        diags.provider_bug(
            "Unknown values after read",
            "The provider returned unknown values from a read.",
        );
        unknowns_to_null(&mut state);
    }
    ReadOutcome {
        identity: entry.identity_of(&state),
        state,
        private: out.private,
    }
}

/// A planned change.
#[derive(Debug)]
pub(crate) struct Planned {
    /// Null for a destroy.
    pub state: Value,
    pub requires_replace: Vec<AttributePath>,
    /// Only for an in-place change whose identity is wholly known.
    pub identity: Option<Value>,
}

/// The core plan rules, then the resource's own `modify_plan`, then the planned identity.
pub(crate) fn plan(
    entry: &ResourceEntry,
    prior: &Value,
    config: &Value,
    proposed: &Value,
    diags: &mut Diagnostics,
) -> Planned {
    let mut plan = framework::plan(&entry.schema, prior, config, proposed);
    if !plan.planned.is_null() {
        entry
            .imp
            .modify_plan(&PlanContext { prior, config }, &mut plan, diags);
    }
    // Identity is decided at apply on create and replace: plan none rather than a partly
    // unknown one (Terraform cannot render that).
    let replacing = !plan.requires_replace.is_empty();
    let identity = entry
        .identity_of(&plan.planned)
        .filter(|v| !replacing && v.is_wholly_known());
    Planned {
        state: plan.planned,
        requires_replace: plan.requires_replace,
        identity,
    }
}

/// The outcome of an apply.
#[derive(Debug)]
pub(crate) struct Applied {
    /// Null once deleted (or when a failed create keeps nothing).
    pub state: Value,
    pub identity: Option<Value>,
    /// `None` keeps the planned private state.
    pub private: Option<PrivateState>,
}

/// Creates, updates or deletes, as the plan says.
/// - a failed delete keeps the prior state;
/// - on failure, the state the resource returns (partial or null) is what is kept;
/// - unknowns left after apply are a provider bug (unless the apply failed anyway) and
///   become null.
pub(crate) async fn apply(
    entry: &ResourceEntry,
    prior: Value,
    planned: Value,
    config: Value,
    ctx: Ctx,
    diags: &mut Diagnostics,
) -> Applied {
    let res = &entry.imp;
    let (state, private) = if planned.is_null() {
        let d = res
            .delete(DeleteRequest {
                prior: prior.clone(),
                ctx,
            })
            .await;
        let failed = d.has_errors();
        diags.extend(d);
        (if failed { prior } else { Value::Null }, None)
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
        (state, out.private)
    };
    Applied {
        identity: entry.identity_of(&state),
        state,
        private,
    }
}

/// What to import.
pub(crate) enum ImportTarget<'a> {
    /// The import ID of an `import` block or `terraform import`.
    Id(&'a str),
    /// A decoded identity (import by identity, Terraform 1.12+).
    Identity(&'a Value),
}

/// An imported object: a (possibly partial) state Terraform reads next, and its identity.
#[derive(Debug)]
pub(crate) struct Imported {
    pub state: Value,
    pub identity: Option<Value>,
}

impl ResourceEntry {
    /// The identity schema to decode an identity to import with; an error for a resource
    /// without identity.
    pub fn identity_for_import(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&IdentitySchema> {
        if self.identity.is_none() {
            diags.error(
                "Import by identity not supported",
                format!("{type_name} has no identity."),
            );
        }
        self.identity.as_ref()
    }
}

/// Import by ID goes to the resource; import by identity needs every attribute required for
/// import and gives a state with the identity attributes set and everything else null.
pub(crate) fn import(
    entry: &ResourceEntry,
    target: ImportTarget<'_>,
    diags: &mut Diagnostics,
) -> Option<Imported> {
    let state = match target {
        ImportTarget::Id(id) => match entry.imp.import_id(id) {
            Ok(state) => state,
            Err(d) => {
                diags.extend(d);
                return None;
            }
        },
        ImportTarget::Identity(identity) => {
            let id_schema = entry.identity.as_ref()?;
            let missing: Vec<_> = id_schema
                .attributes
                .iter()
                .filter(|a| a.required_for_import && identity.get(&a.name).is_null())
                .map(|a| a.name.clone())
                .collect();
            if !missing.is_empty() {
                diags.error(
                    "Incomplete identity",
                    format!("The identity is missing {}.", missing.join(", ")),
                );
                return None;
            }
            framework::state_from_identity(&entry.schema, id_schema, identity)
        }
    };
    Some(Imported {
        identity: entry.identity_of(&state),
        state,
    })
}
