//! Configuration validation the core does for every provider, resource, data source and list
//! configuration, before any provider code runs.
//!
//! At every level (top level, nested attributes, nested blocks), with the attribute path in
//! each diagnostic:
//! - a computed-only (read-only) attribute set in configuration is an error;
//! - a required attribute set to `null` is an error (Terraform itself rejects a missing
//!   required argument, but lets an explicit `null` through);
//! - each attribute's [`Validator`](crate::schema::Validator)s run over wholly known,
//!   non-null values.
//!
//! Unknown values are not errors: Terraform validates again once they are known.

use super::cty::{AttributePath, Value};
use super::diag::Diagnostics;
use super::schema::{Block, Nesting};

/// Summary of the error for a read-only attribute set in configuration.
pub const READ_ONLY_SUMMARY: &str = "Invalid configuration for read-only attribute";
/// Summary of the error for a required attribute set to null.
pub const REQUIRED_NULL_SUMMARY: &str = "Missing configuration for required attribute";

/// Runs the core checks and every attribute validator of `block` over `config`.
pub fn validate_block(
    block: &Block,
    config: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    if config.is_null() || config.is_unknown() {
        return;
    }
    for attr in &block.attributes {
        let v = config.get(&attr.name);
        let at = path.child_attr(&attr.name);
        if attr.is_read_only() && !v.is_null() && !v.is_unknown() {
            diags.attribute_error(
                at.clone(),
                READ_ONLY_SUMMARY,
                format!("`{at}` is read-only: the provider sets it, so it cannot be set in configuration. Remove the `{}` argument.", attr.name),
            );
            continue;
        }
        if attr.required && v.is_null() {
            diags.attribute_error(
                at.clone(),
                REQUIRED_NULL_SUMMARY,
                format!("`{at}` is required and cannot be null. Set it to a value."),
            );
            continue;
        }
        if v.is_null() {
            continue;
        }
        if v.is_wholly_known() {
            for validator in &attr.validators {
                if let Err(problem) = (validator.check)(v) {
                    diags.attribute_error(at.clone(), "Invalid attribute value", problem);
                }
            }
        }
        if let Some(nested) = &attr.nested {
            validate_nested(&nested.block, nested.nesting, v, &at, diags);
        }
    }
    for nb in &block.blocks {
        validate_nested(
            &nb.block,
            nb.nesting,
            config.get(&nb.type_name),
            &path.child_attr(&nb.type_name),
            diags,
        );
    }
}

/// Validates each object of a nested block or nested attribute.
pub fn validate_nested(
    block: &Block,
    nesting: Nesting,
    v: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    match nesting {
        Nesting::Single | Nesting::Group => validate_block(block, v, path, diags),
        Nesting::List | Nesting::Set => {
            for (i, e) in v.as_elements().unwrap_or(&[]).iter().enumerate() {
                validate_block(block, e, &path.child_index(i as i64), diags);
            }
        }
        Nesting::Map => {
            for (k, e) in v.as_attrs().into_iter().flatten() {
                validate_block(block, e, &path.child_key(k), diags);
            }
        }
    }
}
