//! Typed state: plain structs converted to and from cty objects, so resources read and write
//! fields instead of walking [`Value`]s. Declare them with [`cty_object!`](crate::cty_object).
//!
//! ```
//! use tfplugin::cty_object;
//! use tfplugin::model::{Attr, CtyObject};
//!
//! cty_object! {
//!     pub struct Thing {
//!         pub id: Attr<String>,
//!         pub enabled: Attr<bool>,
//!     }
//! }
//!
//! let t = Thing { id: Attr::Known("x".into()), enabled: Attr::Unknown };
//! let back = Thing::from_value(&t.to_value()).unwrap();
//! assert_eq!(back.id.known(), Some(&"x".to_string()));
//! assert!(back.enabled.is_unknown());
//! ```

use super::cty::{Number, Value};

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

/// Declares a struct whose fields are the attributes (and nested blocks) of a cty object,
/// with conversions both ways. Field names are attribute names; every field type implements
/// [`CtyField`] (`Attr<String>`, `Attr<bool>`, `Attr<Vec<String>>`, another `cty_object!`
/// struct, or `Value` for anything left raw).
#[macro_export]
macro_rules! cty_object {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        $vis struct $name {
            $($(#[$fmeta])* $fvis $field: $ty),*
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
