//! Renders a schema as the "Schema" section of a registry documentation page, in the layout
//! terraform-plugin-docs uses (Required / Optional / Read-Only, then nested schemas).

use std::fmt::Write;

use super::cty::Type;
use super::schema::{Attribute, Block, NestedBlock, Nesting};

fn type_name(t: &Type) -> String {
    match t {
        Type::Bool => "Boolean".into(),
        Type::Number => "Number".into(),
        Type::String => "String".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Tuple(_) => "Tuple".into(),
        Type::Object(..) => "Object".into(),
    }
}

fn nesting_name(n: Nesting) -> &'static str {
    match n {
        Nesting::Single | Nesting::Group => "Block",
        Nesting::List => "Block List",
        Nesting::Set => "Block Set",
        Nesting::Map => "Block Map",
    }
}

fn anchor(prefix: &str, path: &str) -> String {
    format!("{prefix}--{}", path.replace('.', "--"))
}

fn attribute_line(a: &Attribute, path: &str, out: &mut String, nested: &mut Vec<(String, Block)>) {
    let mut flags = type_name(&a.ty);
    if a.sensitive {
        flags.push_str(", Sensitive");
    }
    if a.write_only {
        flags.push_str(", Write-only");
    }
    if a.deprecation_message.is_some() {
        flags.push_str(", Deprecated");
    }
    let _ = write!(out, "- `{}` ({flags})", a.name);
    if !a.description.is_empty() {
        let _ = write!(out, " {}", a.description);
    }
    if let Some(msg) = &a.deprecation_message {
        let _ = write!(out, " **Deprecated:** {msg}");
    }
    if let Some(n) = &a.nested {
        let p = format!("{path}{}", a.name);
        let _ = write!(
            out,
            " (see [below for nested schema](#{}))",
            anchor("nestedatt", &p)
        );
        nested.push((p, n.block.clone()));
    } else if let Type::List(e) | Type::Set(e) = &a.ty {
        if let Type::Object(..) = **e {
            let p = format!("{path}{}", a.name);
            let _ = write!(
                out,
                " (see [below for nested schema](#{}))",
                anchor("nestedatt", &p)
            );
            let attrs = match &**e {
                Type::Object(m, _) => m
                    .iter()
                    .map(|(k, t)| Attribute::new(k.clone(), t.clone()).computed())
                    .collect(),
                _ => Vec::new(),
            };
            nested.push((
                p,
                Block {
                    attributes: attrs,
                    ..Block::default()
                },
            ));
        }
    }
    out.push('\n');
}

fn block_line(b: &NestedBlock, path: &str, out: &mut String, nested: &mut Vec<(String, Block)>) {
    let p = format!("{path}{}", b.type_name);
    let _ = write!(out, "- `{}` ({})", b.type_name, nesting_name(b.nesting));
    if !b.block.description.is_empty() {
        let _ = write!(out, " {}", b.block.description);
    }
    let _ = writeln!(
        out,
        " (see [below for nested schema](#{}))",
        anchor("nestedblock", &p)
    );
    nested.push((p, b.block.clone()));
}

fn render_block(block: &Block, path: &str, heading: &str, out: &mut String) {
    let mut nested = Vec::new();
    type Pick = fn(&Attribute) -> bool;
    let groups: [(&str, Pick); 3] = [
        ("Required", |a: &Attribute| a.required),
        ("Optional", |a: &Attribute| a.optional),
        ("Read-Only", |a: &Attribute| {
            a.computed && !a.optional && !a.required
        }),
    ];
    for (title, pick) in groups.iter() {
        let attrs: Vec<&Attribute> = block.attributes.iter().filter(|a| pick(a)).collect();
        let blocks: Vec<&NestedBlock> = if *title == "Optional" {
            block.blocks.iter().collect()
        } else {
            Vec::new()
        };
        if attrs.is_empty() && blocks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{heading} {title}\n");
        for a in attrs {
            attribute_line(a, path, out, &mut nested);
        }
        for b in blocks {
            block_line(b, path, out, &mut nested);
        }
        out.push('\n');
    }
    for (p, b) in nested {
        let kind = if block
            .blocks
            .iter()
            .any(|nb| format!("{path}{}", nb.type_name) == p)
        {
            "nestedblock"
        } else {
            "nestedatt"
        };
        let _ = writeln!(
            out,
            "<a id=\"{}\"></a>\n### Nested Schema for `{p}`\n",
            anchor(kind, &p)
        );
        render_block(&b, &format!("{p}."), "Nested", out);
    }
}

/// The `## Schema` section for a block.
pub fn schema_markdown(block: &Block) -> String {
    let mut out = String::from("## Schema\n\n");
    render_block(block, "", "###", &mut out);
    // "Nested Required" reads oddly; terraform-plugin-docs writes plain words there.
    out.replace("Nested Required\n", "Required:\n")
        .replace("Nested Optional\n", "Optional:\n")
        .replace("Nested Read-Only\n", "Read-Only:\n")
        .trim_end()
        .to_string()
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::NestedBlock;

    #[test]
    fn groups_and_nested_sections() {
        let block = Block::new()
            .attribute(
                Attribute::string("user_id")
                    .required()
                    .description("The user."),
            )
            .attribute(
                Attribute::string("token")
                    .computed()
                    .sensitive()
                    .description("The secret."),
            )
            .block(NestedBlock::new(
                "timeouts",
                Nesting::Single,
                Block::new().attribute(
                    Attribute::string("create")
                        .optional()
                        .description("Create timeout."),
                ),
            ));
        let md = schema_markdown(&block);
        assert!(
            md.contains("### Required\n\n- `user_id` (String) The user."),
            "{md}"
        );
        assert!(
            md.contains("### Read-Only\n\n- `token` (String, Sensitive) The secret."),
            "{md}"
        );
        assert!(
            md.contains(
                "- `timeouts` (Block) (see [below for nested schema](#nestedblock--timeouts))"
            ),
            "{md}"
        );
        assert!(md.contains("### Nested Schema for `timeouts`\n\nOptional:\n\n- `create` (String) Create timeout."), "{md}");
    }
}
