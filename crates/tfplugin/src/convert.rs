//! Conversions between the core types (values, paths, diagnostics, schemas) and tfplugin6
//! messages.

use super::cty::{self, AttributePath, CodecError, PathStep, Type, Value};
use super::diag::{Diagnostics, Severity};
use super::proto::tfplugin6 as pb;
use super::schema::{Attribute, Block, IdentitySchema, NestedBlock, Nesting, Schema};

/// Decodes a DynamicValue: msgpack if present, else JSON, else null.
pub fn decode_dynamic(dv: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, CodecError> {
    match dv {
        Some(dv) if !dv.msgpack.is_empty() => cty::msgpack::decode(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => cty::json::decode(&dv.json, ty),
        _ => Ok(Value::Null),
    }
}

/// Encodes a value as a msgpack DynamicValue.
pub fn encode_dynamic(v: &Value, ty: &Type) -> Result<pb::DynamicValue, CodecError> {
    Ok(pb::DynamicValue {
        msgpack: cty::msgpack::encode(v, ty)?,
        json: Vec::new(),
    })
}

pub fn identity_data(dv: pb::DynamicValue) -> pb::ResourceIdentityData {
    pb::ResourceIdentityData {
        identity_data: Some(dv),
    }
}

pub fn path_to_proto(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(a) => Selector::AttributeName(a.clone()),
                    PathStep::ElementKeyString(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::ElementKeyInt(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub fn path_from_proto(p: &pb::AttributePath) -> AttributePath {
    use pb::attribute_path::step::Selector;
    AttributePath(
        p.steps
            .iter()
            .filter_map(|s| {
                s.selector.as_ref().map(|sel| match sel {
                    Selector::AttributeName(a) => PathStep::Attribute(a.clone()),
                    Selector::ElementKeyString(k) => PathStep::ElementKeyString(k.clone()),
                    Selector::ElementKeyInt(i) => PathStep::ElementKeyInt(*i),
                })
            })
            .collect(),
    )
}

pub fn diagnostics_to_proto(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error as i32,
                Severity::Warning => pb::diagnostic::Severity::Warning as i32,
            },
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            attribute: d
                .attribute
                .as_ref()
                .filter(|p| !p.is_empty())
                .map(path_to_proto),
        })
        .collect()
}

fn attribute_to_proto(a: &Attribute) -> pb::schema::Attribute {
    use pb::schema::object::NestingMode;
    let nested_type = a.nested.as_ref().map(|n| pb::schema::Object {
        attributes: n.block.attributes.iter().map(attribute_to_proto).collect(),
        nesting: match n.nesting {
            Nesting::Single | Nesting::Group => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
        } as i32,
        ..Default::default()
    });
    pb::schema::Attribute {
        name: a.name.clone(),
        // `type` and `nested_type` are mutually exclusive.
        r#type: if nested_type.is_some() {
            Vec::new()
        } else {
            a.ty.to_json_bytes()
        },
        nested_type,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecation_message.is_some(),
        write_only: a.write_only,
        deprecation_message: a.deprecation_message.clone().unwrap_or_default(),
    }
}

fn nested_block_to_proto(b: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    pb::schema::NestedBlock {
        type_name: b.type_name.clone(),
        block: Some(block_to_proto(&b.block, 0)),
        nesting: match b.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::Group => NestingMode::Group,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
        } as i32,
        min_items: b.min_items,
        max_items: b.max_items,
    }
}

fn block_to_proto(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute_to_proto).collect(),
        block_types: b.blocks.iter().map(nested_block_to_proto).collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecation_message.is_some(),
        deprecation_message: b.deprecation_message.clone().unwrap_or_default(),
    }
}

pub fn schema_to_proto(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block_to_proto(&s.block, s.version)),
    }
}

pub fn identity_schema_to_proto(s: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                required_for_import: a.required_for_import,
                optional_for_import: a.optional_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let p = AttributePath::attr("filter")
            .child_index(2)
            .child_attr("values")
            .child_key("k");
        assert_eq!(path_from_proto(&path_to_proto(&p)), p);
    }

    #[test]
    fn schema_maps_flags_and_types() {
        let s = Schema::new(
            Block::new()
                .attribute(
                    Attribute::string("token")
                        .computed()
                        .sensitive()
                        .description("The secret."),
                )
                .block(NestedBlock::new(
                    "timeouts",
                    Nesting::Single,
                    Block::new().attribute(Attribute::string("create").optional()),
                )),
        );
        let p = schema_to_proto(&s);
        let b = p.block.unwrap();
        assert_eq!(b.attributes[0].r#type, br#""string""#.to_vec());
        assert!(b.attributes[0].sensitive && b.attributes[0].computed && !b.attributes[0].optional);
        assert_eq!(
            b.block_types[0].nesting,
            pb::schema::nested_block::NestingMode::Single as i32
        );
    }

    #[test]
    fn nested_attributes_use_nested_type() {
        let s = Schema::new(
            Block::new().attribute(
                Attribute::nested(
                    "rules",
                    Nesting::List,
                    vec![
                        Attribute::string("name").required(),
                        Attribute::bool("on").optional(),
                    ],
                )
                .optional(),
            ),
        );
        let b = schema_to_proto(&s).block.unwrap();
        let a = &b.attributes[0];
        assert!(a.r#type.is_empty());
        let nt = a.nested_type.as_ref().unwrap();
        assert_eq!(nt.nesting, pb::schema::object::NestingMode::List as i32);
        assert_eq!(nt.attributes.len(), 2);
        assert_eq!(
            s.ty(),
            Type::object([(
                "rules",
                Type::list(Type::object([("name", Type::String), ("on", Type::Bool)]))
            )])
        );
    }

    #[test]
    fn empty_dynamic_value_is_null() {
        assert_eq!(decode_dynamic(None, &Type::String).unwrap(), Value::Null);
        assert_eq!(
            decode_dynamic(Some(&pb::DynamicValue::default()), &Type::String).unwrap(),
            Value::Null
        );
    }
}
