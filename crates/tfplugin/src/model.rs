//! Typed state: plain structs converted to and from cty objects, so resources read and write
//! fields instead of walking [`Value`]s. Declare them with [`cty_object!`](crate::cty_object):
//! one definition gives the struct, both conversions, its cty type, `resolve` (fill what the
//! plan left unknown from what apply decided) and, for fields declared with `= |a| …`, the
//! schema attributes.
//!
//! ```
//! use tfplugin::cty_object;
//! use tfplugin::model::{Attr, CtyObject, CtyType};
//! use tfplugin::cty::Type;
//!
//! cty_object! {
//!     pub struct Thing {
//!         pub id: Attr<String> = |a| a.computed().description("The ID."),
//!         pub enabled: Attr<bool> = |a| a.optional(),
//!         pub extra: Attr<String>,
//!     }
//! }
//!
//! let t = Thing { id: Attr::Known("x".into()), enabled: Attr::Unknown, ..Default::default() };
//! let back = Thing::from_value(&t.to_value()).unwrap();
//! assert_eq!(back.id.known(), Some(&"x".to_string()));
//! assert!(back.enabled.is_unknown());
//! assert_eq!(Thing::FIELDS, ["id", "enabled", "extra"]);
//! assert_eq!(Thing::cty_type().attribute("enabled"), Some(&Type::Bool));
//! // Only fields with a schema spec become attributes.
//! let attrs = Thing::schema_attributes();
//! assert_eq!(attrs.len(), 2);
//! assert!(attrs[0].computed && attrs[1].optional);
//! ```

use super::cty::{Number, Type, Value};
use super::schema::Attribute;

/// A value as Terraform has it: null, not yet known, or known.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Attr<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Attr<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }
    /// `Known(v)` for `Some(v)`, `Null` for `None`.
    pub fn from_option(v: Option<T>) -> Self {
        v.map(Attr::Known).unwrap_or(Attr::Null)
    }
    /// Sets the value decided at apply, if the plan left it unknown. Values planned as known
    /// must come back unchanged, so they are kept.
    pub fn resolve(&mut self, decided: Attr<T>) {
        if self.is_unknown() {
            *self = decided;
        }
    }
    /// Whatever is still unknown becomes null (a wholly known result after apply).
    pub fn unknown_to_null(&mut self) {
        if self.is_unknown() {
            *self = Attr::Null;
        }
    }
}

impl Attr<String> {
    pub fn as_str(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
}

/// A Rust type that one cty value converts to and from.
pub trait CtyField: Sized {
    fn from_cty(v: &Value) -> Result<Self, String>;
    fn to_cty(&self) -> Value;
}

/// A struct that a cty object converts to and from (see [`cty_object!`](crate::cty_object)).
pub trait CtyObject: Sized {
    fn from_value(v: &Value) -> Result<Self, String>;
    fn to_value(&self) -> Value;
}

impl CtyField for Value {
    fn from_cty(v: &Value) -> Result<Self, String> {
        Ok(v.clone())
    }
    fn to_cty(&self) -> Value {
        self.clone()
    }
}

impl CtyField for String {
    fn from_cty(v: &Value) -> Result<Self, String> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| "expected a string".to_string())
    }
    fn to_cty(&self) -> Value {
        Value::String(self.clone())
    }
}

impl CtyField for bool {
    fn from_cty(v: &Value) -> Result<Self, String> {
        v.as_bool().ok_or_else(|| "expected a bool".to_string())
    }
    fn to_cty(&self) -> Value {
        Value::Bool(*self)
    }
}

impl CtyField for i64 {
    fn from_cty(v: &Value) -> Result<Self, String> {
        v.as_number()
            .and_then(Number::as_i64)
            .ok_or_else(|| "expected a whole number".to_string())
    }
    fn to_cty(&self) -> Value {
        Value::Number(Number::Int(*self))
    }
}

/// Lists (and sets, read as lists) of fields.
impl<T: CtyField> CtyField for Vec<T> {
    fn from_cty(v: &Value) -> Result<Self, String> {
        let elems = v
            .as_elements()
            .ok_or_else(|| "expected a list".to_string())?;
        elems
            .iter()
            .enumerate()
            .map(|(i, e)| T::from_cty(e).map_err(|m| format!("[{i}]: {m}")))
            .collect()
    }
    fn to_cty(&self) -> Value {
        Value::List(self.iter().map(T::to_cty).collect())
    }
}

impl<T: CtyField> CtyField for Attr<T> {
    fn from_cty(v: &Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(Attr::Null),
            Value::Unknown => Ok(Attr::Unknown),
            v if !v.is_wholly_known() => Ok(Attr::Unknown),
            v => T::from_cty(v).map(Attr::Known),
        }
    }
    fn to_cty(&self) -> Value {
        match self {
            Attr::Null => Value::Null,
            Attr::Unknown => Value::Unknown,
            Attr::Known(v) => v.to_cty(),
        }
    }
}

/// The cty type a Rust field type converts to.
pub trait CtyType {
    fn cty_type() -> Type;
}

impl CtyType for String {
    fn cty_type() -> Type {
        Type::String
    }
}
impl CtyType for bool {
    fn cty_type() -> Type {
        Type::Bool
    }
}
impl CtyType for i64 {
    fn cty_type() -> Type {
        Type::Number
    }
}
impl CtyType for Value {
    fn cty_type() -> Type {
        Type::Dynamic
    }
}
impl<T: CtyType> CtyType for Vec<T> {
    fn cty_type() -> Type {
        Type::list(T::cty_type())
    }
}
impl<T: CtyType> CtyType for Attr<T> {
    fn cty_type() -> Type {
        T::cty_type()
    }
}

/// Fills what a plan left unknown from what apply decided, leaving nothing unknown.
pub trait Resolve {
    /// Unknown parts of `self` take `decided`'s values; what is still unknown becomes null.
    /// Known planned values are kept (Terraform requires them back unchanged).
    fn resolve_from(&mut self, decided: &Self);
}

macro_rules! resolve_as_is {
    ($($t:ty),*) => {$(
        impl Resolve for $t {
            fn resolve_from(&mut self, _decided: &Self) {}
        }
    )*};
}
resolve_as_is!(String, bool, i64);

impl Resolve for Value {
    fn resolve_from(&mut self, decided: &Self) {
        if self.is_unknown() {
            *self = decided.clone();
        }
        if self.is_unknown() {
            *self = Value::Null;
        }
    }
}

impl<T: Resolve + Default> Resolve for Vec<T> {
    fn resolve_from(&mut self, decided: &Self) {
        let none = T::default();
        for (i, e) in self.iter_mut().enumerate() {
            e.resolve_from(decided.get(i).unwrap_or(&none));
        }
    }
}

impl<T: Resolve + Clone + Default> Resolve for Attr<T> {
    fn resolve_from(&mut self, decided: &Self) {
        match self {
            Attr::Unknown => *self = decided.clone(),
            Attr::Known(v) => match decided {
                Attr::Known(d) => v.resolve_from(d),
                _ => v.resolve_from(&T::default()),
            },
            Attr::Null => {}
        }
        self.unknown_to_null();
    }
}

/// Builds a field's schema attribute: `spec` applied to an attribute of the field's name and
/// type (used by [`cty_object!`](crate::cty_object)).
pub fn attribute_from(
    name: &str,
    ty: Type,
    spec: impl FnOnce(Attribute) -> Attribute,
) -> Attribute {
    spec(Attribute::new(name, ty))
}

#[doc(hidden)]
#[macro_export]
macro_rules! __cty_first {
    ($first:expr, $($rest:tt)*) => {
        $first
    };
}

/// Declares a struct whose fields are the attributes (and nested blocks) of a cty object,
/// with conversions both ways. Field names are attribute names; every field type implements
/// [`CtyField`], [`CtyType`] and [`Resolve`] (`Attr<String>`, `Attr<bool>`, `Attr<i64>`,
/// `Attr<Vec<String>>`, another `cty_object!` struct, or `Value` for anything left raw).
///
/// A field may carry its schema: `pub id: Attr<String> = |a| a.computed().description("…")`
/// (the closure gets an [`Attribute`] of the field's name and type). The struct then has
/// `schema_attributes()` with those attributes in declaration order, so the schema, the
/// model and its type cannot drift apart. It also gets `FIELDS` (every field name, in
/// order), `SCHEMA_FIELDS` (those with a spec), `cty_type()` (the object type) and `resolve(&decided)`.
#[macro_export]
macro_rules! cty_object {
    ($(#[$meta:meta])* $vis:vis struct $name:ident {
        $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty $(= $spec:expr)?),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        $vis struct $name {
            $($(#[$fmeta])* $fvis $field: $ty),*
        }

        #[allow(dead_code)]
        impl $name {
            /// The attribute names, in declaration order.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The names of the fields declared with a schema spec, in order.
            pub const SCHEMA_FIELDS: &'static [&'static str] =
                &[$($($crate::__cty_first!(stringify!($field), $spec),)?)*];

            /// The schema attributes of the fields declared with a spec, in order.
            pub fn schema_attributes() -> ::std::vec::Vec<$crate::schema::Attribute> {
                ::std::vec![$($(
                    $crate::model::attribute_from(
                        stringify!($field),
                        <$ty as $crate::model::CtyType>::cty_type(),
                        $spec,
                    ),
                )?)*]
            }

            /// Fills what the plan left unknown from what apply decided; known planned
            /// values stay, and nothing is left unknown.
            pub fn resolve(&mut self, decided: &Self) {
                $crate::model::Resolve::resolve_from(self, decided)
            }
        }

        impl $crate::model::CtyObject for $name {
            fn from_value(v: &$crate::cty::Value) -> ::std::result::Result<Self, String> {
                Ok($name {
                    $($field: <$ty as $crate::model::CtyField>::from_cty(v.get(stringify!($field)))
                        .map_err(|e| format!("{}: {e}", stringify!($field)))?),*
                })
            }
            fn to_value(&self) -> $crate::cty::Value {
                $crate::cty::Value::object([
                    $((stringify!($field), $crate::model::CtyField::to_cty(&self.$field))),*
                ])
            }
        }

        impl $crate::model::CtyField for $name {
            fn from_cty(v: &$crate::cty::Value) -> ::std::result::Result<Self, String> {
                <$name as $crate::model::CtyObject>::from_value(v)
            }
            fn to_cty(&self) -> $crate::cty::Value {
                <$name as $crate::model::CtyObject>::to_value(self)
            }
        }

        impl $crate::model::CtyType for $name {
            fn cty_type() -> $crate::cty::Type {
                $crate::cty::Type::object([
                    $((stringify!($field), <$ty as $crate::model::CtyType>::cty_type())),*
                ])
            }
        }

        impl $crate::model::Resolve for $name {
            fn resolve_from(&mut self, decided: &Self) {
                $($crate::model::Resolve::resolve_from(&mut self.$field, &decided.$field);)*
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::cty_object! {
        struct Inner {
            create: Attr<String>,
        }
    }

    crate::cty_object! {
        struct Outer {
            name: Attr<String>,
            count: Attr<i64>,
            tags: Attr<Vec<String>>,
            timeouts: Attr<Inner>,
            raw: Value,
        }
    }

    #[test]
    fn round_trip_with_null_unknown_and_nesting() {
        let o = Outer {
            name: Attr::Known("n".into()),
            count: Attr::Unknown,
            tags: Attr::Known(vec!["a".into(), "b".into()]),
            timeouts: Attr::Known(Inner {
                create: Attr::Known("5m".into()),
            }),
            raw: Value::Null,
        };
        let v = o.to_value();
        assert_eq!(v.get("count"), &Value::Unknown);
        assert_eq!(v.get("timeouts").get_str("create"), Some("5m"));
        assert_eq!(Outer::from_value(&v).unwrap(), o);
    }

    #[test]
    fn type_mismatch_names_the_field() {
        let v = Value::object([("name", Value::Bool(true))]);
        let e = Outer::from_value(&v).unwrap_err();
        assert!(e.starts_with("name:"), "{e}");
    }

    #[test]
    fn type_fields_and_generated_resolve() {
        assert_eq!(Outer::FIELDS, ["name", "count", "tags", "timeouts", "raw"]);
        let ty = Outer::cty_type();
        assert_eq!(ty.attribute("count"), Some(&Type::Number));
        assert_eq!(ty.attribute("tags"), Some(&Type::list(Type::String)));
        assert_eq!(
            ty.attribute("timeouts"),
            Some(&Type::object([("create", Type::String)]))
        );
        // The default value (all null) encodes against the type.
        crate::cty::msgpack::encode(&Outer::default().to_value(), &ty).unwrap();

        let mut planned = Outer {
            name: Attr::Known("planned".into()),
            count: Attr::Unknown,
            tags: Attr::Unknown,
            timeouts: Attr::Known(Inner {
                create: Attr::Unknown,
            }),
            raw: Value::Unknown,
        };
        let decided = Outer {
            name: Attr::Known("api".into()),
            count: Attr::Known(3),
            ..Default::default()
        };
        planned.resolve(&decided);
        assert_eq!(planned.name.as_str(), Some("planned"), "known values stay");
        assert_eq!(planned.count.known(), Some(&3));
        assert!(planned.tags.is_null(), "undecided unknowns become null");
        assert!(planned.timeouts.known().unwrap().create.is_null());
        assert!(planned.to_value().is_wholly_known());
    }

    crate::cty_object! {
        struct WithSchema {
            id: Attr<String> = |a| a.computed().use_state_for_unknown(),
            name: Attr<String> = |a| a.required().description("The name."),
            nested: Attr<Inner>,
        }
    }

    #[test]
    fn fields_with_a_spec_are_schema_attributes() {
        let attrs = WithSchema::schema_attributes();
        let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["id", "name"]);
        assert_eq!(WithSchema::SCHEMA_FIELDS, ["id", "name"]);
        assert!(attrs[0].computed && attrs[0].uses_state_for_unknown());
        assert_eq!(attrs[1].ty, Type::String);
        assert_eq!(attrs[1].description, "The name.");
    }

    #[test]
    fn resolve_keeps_planned_known_values() {
        let mut a: Attr<String> = Attr::Known("planned".into());
        a.resolve(Attr::Known("api".into()));
        assert_eq!(a.as_str(), Some("planned"));
        let mut b: Attr<String> = Attr::Unknown;
        b.resolve(Attr::Known("api".into()));
        assert_eq!(b.as_str(), Some("api"));
        let mut c: Attr<String> = Attr::Unknown;
        c.unknown_to_null();
        assert!(c.is_null());
    }
}
