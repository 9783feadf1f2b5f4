//! Declarative schemas for providers, resources, data sources and list resources, with the
//! plan modifiers (force-new, keep-state-when-unknown, custom) and validators each attribute
//! carries.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::cty::{Type, Value};
pub use super::plan::{CustomPlanModifier, ModifierRequest, ModifierResponse, PlanModifier};

/// The check a [`Validator`] runs: Ok, or a description of the problem.
pub type Check = Arc<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

/// A check on a known, non-null configuration value.
#[derive(Clone)]
pub struct Validator {
    pub description: String,
    pub check: Check,
}

impl Validator {
    pub fn new(
        description: impl Into<String>,
        check: impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Validator {
            description: description.into(),
            check: Arc::new(check),
        }
    }

    /// A validator for string values.
    pub fn string(
        description: impl Into<String>,
        check: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Validator::new(description, move |v| match v.as_str() {
            Some(s) => check(s),
            None => Ok(()),
        })
    }
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Validator({})", self.description)
    }
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub write_only: bool,
    pub deprecation_message: Option<String>,
    /// Set for nested attributes (protocol 6 `nested_type`); `ty` is then derived from it.
    pub nested: Option<NestedAttributes>,
    /// How the planned value is adjusted after the core rules, in order (see [`PlanModifier`]).
    pub plan_modifiers: Vec<PlanModifier>,
    pub validators: Vec<Validator>,
}

impl Attribute {
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Attribute {
            name: name.into(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecation_message: None,
            nested: None,
            plan_modifiers: Vec::new(),
            validators: Vec::new(),
        }
    }

    pub fn string(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::String)
    }

    /// A nested attribute: an object (or a list, set or map of objects) of `attributes`.
    /// `Nesting::Group` is not valid here and is treated as `Single`.
    pub fn nested(name: impl Into<String>, nesting: Nesting, attributes: Vec<Attribute>) -> Self {
        let block = Block {
            attributes,
            ..Block::default()
        };
        let object = block.ty();
        let ty = match nesting {
            Nesting::Single | Nesting::Group => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
            Nesting::Map => Type::map(object),
        };
        Attribute {
            nested: Some(NestedAttributes { nesting, block }),
            ..Attribute::new(name, ty)
        }
    }
    pub fn bool(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::Bool)
    }
    pub fn number(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::Number)
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }
    /// Adds [`PlanModifier::RequiresReplace`]: a change to this attribute replaces the object.
    pub fn requires_replace(self) -> Self {
        self.plan_modifier(PlanModifier::RequiresReplace)
    }
    /// Adds [`PlanModifier::UseStateForUnknown`]: on update, a computed value keeps its prior
    /// state value instead of becoming unknown.
    pub fn use_state_for_unknown(self) -> Self {
        self.plan_modifier(PlanModifier::UseStateForUnknown)
    }
    /// Adds [`PlanModifier::requires_replace_if`].
    pub fn requires_replace_if(
        self,
        description: impl Into<String>,
        predicate: impl Fn(&ModifierRequest<'_>, &Value) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.plan_modifier(PlanModifier::requires_replace_if(description, predicate))
    }
    /// Appends a plan modifier; modifiers run in the order they were added.
    pub fn plan_modifier(mut self, m: PlanModifier) -> Self {
        self.plan_modifiers.push(m);
        self
    }
    /// True when some modifier of this attribute can ask for replacement.
    pub fn can_require_replace(&self) -> bool {
        self.plan_modifiers.iter().any(PlanModifier::can_replace)
    }
    /// True when this attribute keeps its prior value when unknown.
    pub fn uses_state_for_unknown(&self) -> bool {
        self.plan_modifiers
            .iter()
            .any(|m| matches!(m, PlanModifier::UseStateForUnknown))
    }
    /// Computed and not configurable: configuration must leave it out.
    pub fn is_read_only(&self) -> bool {
        self.computed && !self.optional && !self.required
    }
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecation_message = Some(message.into());
        self
    }
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }
    pub fn validator(mut self, v: Validator) -> Self {
        self.validators.push(v);
        self
    }
}

/// The attributes of a nested attribute and how they repeat.
#[derive(Debug, Clone)]
pub struct NestedAttributes {
    pub nesting: Nesting,
    /// Holds only attributes (nested attributes have no blocks).
    pub block: Block,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    Group,
    List,
    Set,
    Map,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    pub fn new(type_name: impl Into<String>, nesting: Nesting, block: Block) -> Self {
        NestedBlock {
            type_name: type_name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    /// The cty type of this block's value inside its parent object.
    pub fn ty(&self) -> Type {
        let inner = self.block.ty();
        match self.nesting {
            Nesting::Single | Nesting::Group => inner,
            Nesting::List => Type::list(inner),
            Nesting::Set => Type::set(inner),
            Nesting::Map => Type::map(inner),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecation_message: Option<String>,
}

impl Block {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }
    pub fn attribute(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }
    pub fn block(mut self, b: NestedBlock) -> Self {
        self.blocks.push(b);
        self
    }
    /// Appends attributes, in order.
    pub fn with_attributes(mut self, attrs: impl IntoIterator<Item = Attribute>) -> Self {
        self.attributes.extend(attrs);
        self
    }

    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The object type of a value of this block.
    pub fn ty(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            attrs.insert(b.type_name.clone(), b.ty());
        }
        Type::Object(attrs, Default::default())
    }
}

/// A versioned schema: what `GetProviderSchema` reports for one provider, resource or data source.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(block: Block) -> Self {
        Schema { version: 0, block }
    }
    pub fn ty(&self) -> Type {
        self.block.ty()
    }
}

/// One attribute of a resource identity.
#[derive(Debug, Clone)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required_for_import: bool,
    pub optional_for_import: bool,
}

impl IdentityAttribute {
    pub fn required(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Self {
        IdentityAttribute {
            name: name.into(),
            ty,
            description: description.into(),
            required_for_import: true,
            optional_for_import: false,
        }
    }
}

/// The identity schema of a managed resource (Terraform 1.12+).
#[derive(Debug, Clone, Default)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    pub fn ty(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone())),
        )
    }
}
