//! The official provider's `filter` blocks of list data sources: a set of `{name, values,
//! regex}` blocks, applied by the provider after the API call. An item passes when every block
//! matches (AND) and a block matches when the item's attribute `name` equals, or with
//! `regex = true` contains a match of, any of `values` (OR). `regex` is recorded as `false` in
//! state when the configuration leaves it out, as the official provider does. An invalid regular
//! expression is an error (the official provider logs a warning and matches nothing).

use regex::Regex;

use tfplugin::cty::{AttributePath, Type, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting};

/// The `filter` block. `items` names what is filtered (`tokens`, `domains`), `example` an
/// attribute to compare.
pub(crate) fn block(items: &str, example: &str) -> NestedBlock {
    NestedBlock::new(
        "filter",
        Nesting::Set,
        Block::new()
            .description(format!("Keeps {items} whose attribute `name` equals (or, with `regex = true`, matches) any of `values`. Several blocks must all match."))
            .attribute(Attribute::string("name").required().description(format!("Attribute to compare, e.g. `{example}`.")))
            .attribute(Attribute::new("values", Type::list(Type::String)).required().description("Accepted values (any one matches)."))
            .attribute(Attribute::bool("regex").optional().computed().description("Treat `values` as regular expressions (unanchored). Default `false`, recorded in state as in the official provider.")),
    )
}

/// One `filter` block, ready to match.
pub(crate) struct Filter {
    name: String,
    values: Vec<String>,
    regexes: Option<Vec<Regex>>,
}

impl Filter {
    /// Whether `item`'s attribute `name` (a string, or a bool compared as `true`/`false`)
    /// passes this block.
    pub(crate) fn matches(&self, item: &Value) -> bool {
        let v = item.get(&self.name);
        let text = match (v.as_str(), v.as_bool()) {
            (Some(s), _) => s.to_owned(),
            (None, Some(b)) => b.to_string(),
            (None, None) => return false,
        };
        match &self.regexes {
            Some(res) => res.iter().any(|r| r.is_match(&text)),
            None => self.values.contains(&text),
        }
    }
}

/// Whether `item` passes every block.
pub(crate) fn all_match(filters: &[Filter], item: &Value) -> bool {
    filters.iter().all(|f| f.matches(item))
}

/// The `filter` blocks of `config`. Invalid regular expressions are attribute errors; a `name`
/// not among `fields` (the attributes of the `items`, e.g. `tokens`) is a warning, since it
/// matches nothing.
pub(crate) fn parse(
    config: &Value,
    items: &str,
    fields: &[&str],
    diags: &mut Diagnostics,
) -> Vec<Filter> {
    let mut out = Vec::new();
    for (i, f) in config
        .get("filter")
        .as_elements()
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let name = f.get_str("name").unwrap_or_default().to_owned();
        let values: Vec<String> = f
            .get("values")
            .as_elements()
            .unwrap_or(&[])
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let regexes = (f.get("regex").as_bool() == Some(true)).then(|| {
            let mut res = Vec::new();
            for (j, v) in values.iter().enumerate() {
                match Regex::new(v) {
                    Ok(r) => res.push(r),
                    // `filter` is a set: element paths cannot point into it, so point at the block.
                    Err(e) => diags.attribute_error(
                        AttributePath::attr("filter"),
                        "Invalid regular expression",
                        format!("In filter {} (name = {name:?}), value {} {v:?} is not a valid regular expression: {e}", i + 1, j + 1),
                    ),
                }
            }
            res
        });
        if !fields.contains(&name.as_str()) && f.get("name").is_wholly_known() {
            let mut sorted = fields.to_vec();
            sorted.sort_unstable();
            diags.attribute_warning(
                AttributePath::attr("filter"),
                "Unknown filter attribute",
                format!(
                    "The {items} have no attribute {name:?}, so this filter matches nothing. Use one of: {}.",
                    sorted.join(", ")
                ),
            );
        }
        out.push(Filter {
            name,
            values,
            regexes,
        });
    }
    out
}

/// The `filter` set with `regex = false` where the configuration leaves it unset (the
/// official provider's default); blocks that become equal are kept once, as in a set.
pub(crate) fn with_defaults(filter: &Value) -> Value {
    let Value::Set(blocks) = filter else {
        return filter.clone();
    };
    let mut out: Vec<Value> = Vec::with_capacity(blocks.len());
    for block in blocks {
        let mut block = block.clone();
        if block.get("regex").is_null() {
            block.set("regex", Value::Bool(false));
        }
        if !out.contains(&block) {
            out.push(block);
        }
    }
    Value::Set(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter_block(name: &str, values: &[&str], regex: Value) -> Value {
        Value::object([
            ("name", Value::from(name)),
            (
                "values",
                Value::List(values.iter().map(|v| Value::from(*v)).collect()),
            ),
            ("regex", regex),
        ])
    }

    const FIELDS: &[&str] = &["state", "description", "is_default"];

    #[test]
    fn and_across_blocks_or_across_values_unanchored_regex() {
        let item = Value::object([
            ("state", Value::from("ACTIVE")),
            ("description", Value::from("ci deploy key")),
        ]);
        let config = Value::object([(
            "filter",
            Value::Set(vec![
                filter_block("state", &["INACTIVE", "ACTIVE"], Value::Null),
                filter_block("description", &["deploy"], Value::Bool(true)),
            ]),
        )]);
        let mut d = Diagnostics::new();
        let fs = parse(&config, "tokens", FIELDS, &mut d);
        assert!(d.is_empty());
        assert!(all_match(&fs, &item));
        let other = Value::object([
            ("state", Value::from("ACTIVE")),
            ("description", Value::from("laptop")),
        ]);
        assert!(!all_match(&fs, &other));
    }

    #[test]
    fn bools_compare_as_true_or_false() {
        let config = Value::object([(
            "filter",
            Value::Set(vec![filter_block("is_default", &["true"], Value::Null)]),
        )]);
        let fs = parse(&config, "tokens", FIELDS, &mut Diagnostics::new());
        assert!(all_match(
            &fs,
            &Value::object([("is_default", Value::Bool(true))])
        ));
        assert!(!all_match(
            &fs,
            &Value::object([("is_default", Value::Bool(false))])
        ));
    }

    #[test]
    fn regex_defaults_to_false_in_state() {
        let set = Value::Set(vec![
            filter_block("state", &["ACTIVE"], Value::Null),
            filter_block("state", &["ACTIVE"], Value::Bool(false)),
            filter_block("state", &["ACTIVE"], Value::Bool(true)),
        ]);
        assert_eq!(
            with_defaults(&set),
            Value::Set(vec![
                filter_block("state", &["ACTIVE"], Value::Bool(false)),
                filter_block("state", &["ACTIVE"], Value::Bool(true))
            ])
        );
        assert_eq!(with_defaults(&Value::Null), Value::Null);
    }

    #[test]
    fn bad_regex_is_an_attribute_error_and_unknown_names_warn() {
        let config = Value::object([(
            "filter",
            Value::Set(vec![
                filter_block("description", &["("], Value::Bool(true)),
                filter_block("colour", &["red"], Value::Null),
            ]),
        )]);
        let mut d = Diagnostics::new();
        parse(&config, "tokens", FIELDS, &mut d);
        assert!(d.has_errors());
        assert_eq!(d.0[0].attribute.as_ref().unwrap().to_string(), "filter");
        assert!(d.0[0].detail.contains("not a valid regular expression"));
        assert!(d.0[1].summary.contains("Unknown filter attribute"));
        assert!(d.0[1].detail.contains("description, is_default, state"));
    }
}
