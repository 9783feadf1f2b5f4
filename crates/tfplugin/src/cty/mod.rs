//! cty types and values as Terraform sends them over the wire, with null and unknown.
//!
//! Values carry no type of their own; the codecs ([`msgpack`], [`json`]) decode and encode a
//! value against a schema [`Type`], the way go-cty does.

pub mod json;
pub mod msgpack;
mod number;
pub mod path;
mod types;
mod value;

pub use path::{AttributePath, PathStep};
pub use types::Type;
pub use value::{Number, Value};

/// An error decoding or encoding a cty value. Never carries value contents (they may be secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", if path.is_empty() { String::new() } else { format!(" at {path}") })]
pub struct CodecError {
    pub message: String,
    pub path: AttributePath,
}

impl CodecError {
    pub fn new(message: impl Into<String>) -> Self {
        CodecError {
            message: message.into(),
            path: AttributePath::default(),
        }
    }

    pub fn at(message: impl Into<String>, path: &AttributePath) -> Self {
        CodecError {
            message: message.into(),
            path: path.clone(),
        }
    }
}
