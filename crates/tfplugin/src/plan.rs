//! The plan engine: Terraform's plan rules, applied once for every resource, through nested
//! attributes and nested blocks, plus the per-attribute plan modifiers.
//!
//! [`plan`] turns Terraform's proposed new state into the planned state:
//! - destroy plans null;
//! - configuration values are kept as proposed (the engine never invents a value for an
//!   object, element or attribute that configuration leaves out);
//! - on create, and on update when anything changes, computed attributes left null in
//!   configuration become unknown, at every nesting level (as terraform-plugin-framework
//!   does: a change anywhere in the resource marks them all);
//! - each attribute's [`PlanModifier`]s then run in order and may keep the prior value
//!   ([`PlanModifier::UseStateForUnknown`]), ask for replacement
//!   ([`PlanModifier::RequiresReplace`], [`PlanModifier::requires_replace_if`]) or do
//!   anything else ([`PlanModifier::custom`]);
//! - write-only attributes are planned null at every level.
//!
//! Nested values are matched with the prior state the way Terraform proposes them: list
//! elements by index, map elements by key, set elements by equal value (else by the values
//! configuration sets). A nested object with no prior counterpart is new: modifiers see no
//! prior value there.

use std::fmt;
use std::sync::Arc;

use super::cty::{AttributePath, Number, Value};
use super::schema::{Attribute, Block, Nesting, Schema};

/// The result of the plan rules; a resource's `modify_plan` may change both fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
}

impl Plan {
    /// Asks for replacement at `path` (once).
    pub fn require_replace(&mut self, path: AttributePath) {
        if !self.requires_replace.contains(&path) {
            self.requires_replace.push(path);
        }
    }
}

/// Context for a resource's own plan adjustments.
pub struct PlanContext<'a> {
    pub prior: &'a Value,
    pub config: &'a Value,
}

/// What a plan modifier sees for one attribute value.
pub struct ModifierRequest<'a> {
    /// Where the value is (set elements are addressed by the set itself for replacement).
    pub path: &'a AttributePath,
    /// The attribute's configuration value (null when not set; may be unknown).
    pub config: &'a Value,
    /// The attribute's prior state value, or `None` when there is no prior object here: the
    /// resource is being created, or the enclosing nested object or element is new.
    pub prior: Option<&'a Value>,
    /// The whole prior state of the resource (null on create).
    pub resource_prior: &'a Value,
    /// The whole configuration of the resource.
    pub resource_config: &'a Value,
}

impl ModifierRequest<'_> {
    /// True when the resource is being created.
    pub fn creating(&self) -> bool {
        self.resource_prior.is_null()
    }
}

/// What a plan modifier may change for one attribute value.
pub struct ModifierResponse {
    /// The planned value, as the engine and earlier modifiers left it.
    pub planned: Value,
    /// Set to ask for replacement of the resource.
    pub requires_replace: bool,
}

/// A plan modifier written by a provider.
pub trait CustomPlanModifier: Send + Sync {
    /// A short name, e.g. `DefaultToUserName`.
    fn name(&self) -> &str;
    /// What it does, in a sentence (plain text).
    fn description(&self) -> String;
    fn modify(&self, req: &ModifierRequest<'_>, resp: &mut ModifierResponse);
}

/// The predicate of [`PlanModifier::requires_replace_if`].
pub type ReplaceIf = Arc<dyn Fn(&ModifierRequest<'_>, &Value) -> bool + Send + Sync>;

/// One step of an attribute's plan modification. Modifiers of an attribute run in order,
/// after the engine marked unknowns, each seeing what the previous one planned.
#[derive(Clone)]
pub enum PlanModifier {
    /// On update, a value the engine left unknown keeps its prior state value (also when
    /// that is null). Nothing happens on create, for new nested objects, or when the
    /// configuration value is unknown.
    UseStateForUnknown,
    /// A change of the value replaces the resource. A value left unknown because it is
    /// computed and unset in configuration is not a change; a configured unknown is.
    RequiresReplace,
    /// Like `RequiresReplace`, but only when `predicate(request, planned)` also holds.
    RequiresReplaceIf {
        description: String,
        predicate: ReplaceIf,
    },
    Custom(Arc<dyn CustomPlanModifier>),
}

impl PlanModifier {
    /// Replacement on change, when `predicate(request, planned value)` says so.
    pub fn requires_replace_if(
        description: impl Into<String>,
        predicate: impl Fn(&ModifierRequest<'_>, &Value) -> bool + Send + Sync + 'static,
    ) -> Self {
        PlanModifier::RequiresReplaceIf {
            description: description.into(),
            predicate: Arc::new(predicate),
        }
    }

    /// A modifier from a closure.
    pub fn custom(
        name: impl Into<String>,
        description: impl Into<String>,
        modify: impl Fn(&ModifierRequest<'_>, &mut ModifierResponse) + Send + Sync + 'static,
    ) -> Self {
        struct FnModifier<F> {
            name: String,
            description: String,
            f: F,
        }
        impl<F> CustomPlanModifier for FnModifier<F>
        where
            F: Fn(&ModifierRequest<'_>, &mut ModifierResponse) + Send + Sync,
        {
            fn name(&self) -> &str {
                &self.name
            }
            fn description(&self) -> String {
                self.description.clone()
            }
            fn modify(&self, req: &ModifierRequest<'_>, resp: &mut ModifierResponse) {
                (self.f)(req, resp)
            }
        }
        PlanModifier::Custom(Arc::new(FnModifier {
            name: name.into(),
            description: description.into(),
            f: modify,
        }))
    }

    pub fn name(&self) -> &str {
        match self {
            PlanModifier::UseStateForUnknown => "UseStateForUnknown",
            PlanModifier::RequiresReplace => "RequiresReplace",
            PlanModifier::RequiresReplaceIf { .. } => "RequiresReplaceIf",
            PlanModifier::Custom(m) => m.name(),
        }
    }

    pub fn description(&self) -> String {
        match self {
            PlanModifier::UseStateForUnknown => {
                "Once set, the value of this attribute in state will not change.".to_string()
            }
            PlanModifier::RequiresReplace => {
                "If the value of this attribute changes, Terraform will destroy and recreate the resource."
                    .to_string()
            }
            PlanModifier::RequiresReplaceIf { description, .. } => description.clone(),
            PlanModifier::Custom(m) => m.description(),
        }
    }

    /// True for the modifiers that can ask for replacement.
    pub fn can_replace(&self) -> bool {
        matches!(
            self,
            PlanModifier::RequiresReplace | PlanModifier::RequiresReplaceIf { .. }
        )
    }

    fn modify(&self, req: &ModifierRequest<'_>, resp: &mut ModifierResponse) {
        match self {
            PlanModifier::UseStateForUnknown => {
                if let Some(prior) = req.prior {
                    if resp.planned.is_unknown() && !req.config.is_unknown() {
                        resp.planned = prior.clone();
                    }
                }
            }
            PlanModifier::RequiresReplace => {
                if !req.creating() && changed(&resp.planned, req.prior, req.config) {
                    resp.requires_replace = true;
                }
            }
            PlanModifier::RequiresReplaceIf { predicate, .. } => {
                if !req.creating()
                    && changed(&resp.planned, req.prior, req.config)
                    && predicate(req, &resp.planned)
                {
                    resp.requires_replace = true;
                }
            }
            PlanModifier::Custom(m) => m.modify(req, resp),
        }
    }
}

impl fmt::Debug for PlanModifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlanModifier({})", self.name())
    }
}

/// Terraform's plan rules for one resource (see the module docs).
pub fn plan(schema: &Schema, prior: &Value, config: &Value, proposed: &Value) -> Plan {
    if proposed.is_null() {
        return Plan {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let changing = prior.is_null() || !equal(proposed, prior);
    let mut engine = Engine {
        changing,
        resource_prior: prior,
        resource_config: config,
        set_path: None,
        requires_replace: Vec::new(),
    };
    let planned = engine.object(
        &schema.block,
        Some(prior).filter(|p| p.as_attrs().is_some()),
        config,
        proposed,
        &AttributePath::root(),
    );
    Plan {
        planned,
        requires_replace: engine.requires_replace,
    }
}

struct Engine<'a> {
    /// Create, or an update that changes something: computed values may change.
    changing: bool,
    resource_prior: &'a Value,
    resource_config: &'a Value,
    /// Inside a set element: the set's path. Terraform cannot apply an index step to a set,
    /// so replacement asked for inside one is reported on the set.
    set_path: Option<AttributePath>,
    requires_replace: Vec<AttributePath>,
}

impl Engine<'_> {
    /// Plans one object of `block` (`proposed` is an object).
    fn object(
        &mut self,
        block: &Block,
        prior: Option<&Value>,
        config: &Value,
        proposed: &Value,
        path: &AttributePath,
    ) -> Value {
        let mut out = proposed.clone();
        for attr in &block.attributes {
            let p = path.child_attr(&attr.name);
            let v = self.attribute(
                attr,
                prior.map(|o| o.get(&attr.name)),
                config.get(&attr.name),
                proposed.get(&attr.name),
                &p,
            );
            out.set(&attr.name, v);
        }
        for nb in &block.blocks {
            let p = path.child_attr(&nb.type_name);
            let v = self.nested(
                &nb.block,
                nb.nesting,
                prior.map(|o| o.get(&nb.type_name)),
                config.get(&nb.type_name),
                proposed.get(&nb.type_name),
                &p,
            );
            out.set(&nb.type_name, v);
        }
        out
    }

    fn attribute(
        &mut self,
        attr: &Attribute,
        prior: Option<&Value>,
        config: &Value,
        proposed: &Value,
        path: &AttributePath,
    ) -> Value {
        if attr.write_only {
            return Value::Null;
        }
        let mut planned = if attr.computed && config.is_null() && self.changing {
            Value::Unknown
        } else if let Some(n) = &attr.nested {
            self.nested(&n.block, n.nesting, prior, config, proposed, path)
        } else {
            proposed.clone()
        };
        if !attr.plan_modifiers.is_empty() {
            let req = ModifierRequest {
                path,
                config,
                prior,
                resource_prior: self.resource_prior,
                resource_config: self.resource_config,
            };
            let mut resp = ModifierResponse {
                planned,
                requires_replace: false,
            };
            for m in &attr.plan_modifiers {
                m.modify(&req, &mut resp);
            }
            if resp.requires_replace {
                let at = self.set_path.clone().unwrap_or_else(|| path.clone());
                if !self.requires_replace.contains(&at) {
                    self.requires_replace.push(at);
                }
            }
            planned = resp.planned;
        }
        planned
    }

    /// Plans the objects of a nested attribute or block value.
    fn nested(
        &mut self,
        block: &Block,
        nesting: Nesting,
        prior: Option<&Value>,
        config: &Value,
        proposed: &Value,
        path: &AttributePath,
    ) -> Value {
        let object = |e: &Value| e.as_attrs().is_some();
        match (nesting, proposed) {
            (Nesting::Single | Nesting::Group, v) if object(v) => {
                self.object(block, prior.filter(|p| object(p)), config, v, path)
            }
            (Nesting::List, Value::List(elems)) => {
                let prior_elems = prior.and_then(Value::as_elements).unwrap_or(&[]);
                let config_elems = config.as_elements().unwrap_or(&[]);
                let out = elems
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        if !object(e) {
                            return e.clone();
                        }
                        let c = config_elems.get(i).unwrap_or(&Value::Null);
                        let s = prior_elems.get(i).filter(|p| object(p));
                        self.object(block, s, c, e, &path.child_index(i as i64))
                    })
                    .collect();
                Value::List(out)
            }
            (Nesting::Map, Value::Map(elems)) => {
                let out = elems
                    .iter()
                    .map(|(k, e)| {
                        if !object(e) {
                            return (k.clone(), e.clone());
                        }
                        let c = config.get(k);
                        let s = prior
                            .and_then(Value::as_attrs)
                            .and_then(|m| m.get(k))
                            .filter(|p| object(p));
                        (k.clone(), self.object(block, s, c, e, &path.child_key(k)))
                    })
                    .collect();
                Value::Map(out)
            }
            (Nesting::Set, Value::Set(elems)) => {
                let config_elems = config.as_elements().unwrap_or(&[]);
                let prior_elems = prior.and_then(Value::as_elements).unwrap_or(&[]);
                let configs = match_config_elements(elems, config_elems);
                let priors = match_prior_elements(elems, prior_elems, &configs);
                let anchor = self.set_path.clone().unwrap_or_else(|| path.clone());
                let outer = self.set_path.replace(anchor);
                let out = elems
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        if !object(e) {
                            return e.clone();
                        }
                        let c = configs[i].unwrap_or(&Value::Null);
                        self.object(block, priors[i], c, e, &path.child_index(i as i64))
                    })
                    .collect();
                self.set_path = outer;
                Value::Set(out)
            }
            // Null, unknown, or not the shape the schema says: as proposed.
            (_, v) => v.clone(),
        }
    }
}

/// For each proposed set element, the configuration element it came from: equal on every
/// attribute configuration sets (Terraform fills the rest from the prior state).
fn match_config_elements<'v>(proposed: &[Value], config: &'v [Value]) -> Vec<Option<&'v Value>> {
    let mut used = vec![false; config.len()];
    let mut out = vec![None; proposed.len()];
    // Exact matches first, then elements that agree on what configuration sets.
    for exact in [true, false] {
        for (i, p) in proposed.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            let found = config.iter().enumerate().find(|(j, c)| {
                !used[*j]
                    && if exact {
                        equal(c, p)
                    } else {
                        agrees_where_set(c, p)
                    }
            });
            if let Some((j, c)) = found {
                used[j] = true;
                out[i] = Some(c);
            }
        }
    }
    out
}

/// For each proposed set element, its prior element: an equal one, else one that agrees on
/// every attribute the element's configuration sets. None for a new element.
fn match_prior_elements<'v>(
    proposed: &[Value],
    prior: &'v [Value],
    configs: &[Option<&Value>],
) -> Vec<Option<&'v Value>> {
    let mut used = vec![false; prior.len()];
    let mut out = vec![None; proposed.len()];
    for (i, p) in proposed.iter().enumerate() {
        if let Some(j) = (0..prior.len()).find(|&j| !used[j] && equal(&prior[j], p)) {
            used[j] = true;
            out[i] = Some(&prior[j]);
        }
    }
    for (i, c) in configs.iter().enumerate() {
        let Some(c) = c else { continue };
        if out[i].is_some() {
            continue;
        }
        if let Some(j) = (0..prior.len()).find(|&j| !used[j] && agrees_where_set(c, &prior[j])) {
            used[j] = true;
            out[i] = Some(&prior[j]);
        }
    }
    out.into_iter()
        .map(|s| s.filter(|v| v.as_attrs().is_some()))
        .collect()
}

/// True when `other` has the values of every non-null attribute of the object `config`.
fn agrees_where_set(config: &Value, other: &Value) -> bool {
    match (config.as_attrs(), other.as_attrs()) {
        (Some(c), Some(_)) => c.iter().all(|(k, v)| v.is_null() || equal(v, other.get(k))),
        _ => false,
    }
}

/// Whether `planned` is a change from `prior` as far as replacement goes. Unknown is a
/// change where configuration set the value (it may come out different), but not where the
/// value is left to the provider (computed and null in configuration).
fn changed(planned: &Value, prior: Option<&Value>, config: &Value) -> bool {
    let prior = prior.unwrap_or(&Value::Null);
    match planned {
        Value::Unknown => !config.is_null(),
        Value::Object(m) | Value::Map(m) => match prior.as_attrs() {
            Some(pm) if std::mem::discriminant(planned) == std::mem::discriminant(prior) => {
                m.len() != pm.len()
                    || m.iter().any(|(k, v)| match pm.get(k) {
                        Some(pv) => changed(v, Some(pv), config.get(k)),
                        None => true,
                    })
            }
            _ => true,
        },
        Value::List(elems) | Value::Tuple(elems) => match prior.as_elements() {
            Some(pe) if pe.len() == elems.len() => {
                let ce = config.as_elements().unwrap_or(&[]);
                elems
                    .iter()
                    .enumerate()
                    .any(|(i, e)| changed(e, Some(&pe[i]), ce.get(i).unwrap_or(&Value::Null)))
            }
            _ => true,
        },
        Value::Set(elems) => match prior.as_elements() {
            Some(pe) if pe.len() == elems.len() => {
                if planned.is_wholly_known() {
                    return !equal(planned, prior);
                }
                let configs = match_config_elements(elems, config.as_elements().unwrap_or(&[]));
                let mut used = vec![false; pe.len()];
                elems.iter().enumerate().any(|(i, e)| {
                    let c = configs[i].unwrap_or(&Value::Null);
                    match (0..pe.len()).find(|&j| !used[j] && !changed(e, Some(&pe[j]), c)) {
                        Some(j) => {
                            used[j] = true;
                            false
                        }
                        None => true,
                    }
                })
            }
            _ => true,
        },
        v => !equal(v, prior),
    }
}

/// Value equality as cty has it: sets compare without order, numbers by value.
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Set(x), Value::Set(y)) => {
            if x.len() != y.len() {
                return false;
            }
            let mut used = vec![false; y.len()];
            x.iter().all(
                |e| match (0..y.len()).find(|&j| !used[j] && equal(e, &y[j])) {
                    Some(j) => {
                        used[j] = true;
                        true
                    }
                    None => false,
                },
            )
        }
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (Value::Map(x), Value::Map(y)) | (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        (Value::Number(x), Value::Number(y)) => match (x, y) {
            (Number::Int(i), Number::Float(f)) | (Number::Float(f), Number::Int(i)) => {
                f.fract() == 0.0 && Number::Float(*f).as_i64() == Some(*i)
            }
            _ => x == y,
        },
        (Value::Dynamic(t, x), Value::Dynamic(u, y)) => t == u && equal(x, y),
        _ => a == b,
    }
}
