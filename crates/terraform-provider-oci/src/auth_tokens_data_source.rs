//! Data source `oci_identity_auth_tokens`: the auth tokens of a user, with the official
//! provider's `filter` blocks (AND across blocks, OR across values, unanchored regexes).

use std::sync::Arc;

use regex::Regex;

use tfplugin::cty::{AttributePath, Type, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{async_trait, ApplyResponse, DataReadRequest, DataSource};
use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting, Schema};

use super::common::{api_error, ocid_validator};
use super::model;
use super::ProviderData;

pub struct AuthTokensDataSource {
    data: Arc<ProviderData>,
}

impl AuthTokensDataSource {
    pub fn new(data: Arc<ProviderData>) -> Self {
        AuthTokensDataSource { data }
    }
}

/// The attributes a filter can name: those of a token item, sorted.
fn item_fields() -> Vec<&'static str> {
    let mut fields: Vec<&str> = model::item_fields().collect();
    fields.sort_unstable();
    fields
}

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description("Lists the auth tokens of a user. Token values are never included: the API returns them only at create.")
            .attribute(Attribute::string("id").computed().description("A stable ID for this data source, derived from `user_id`."))
            .attribute(Attribute::string("user_id").required().validator(ocid_validator("user")).description("OCID of the user."))
            .attribute(
                Attribute::new("tokens", Type::list(model::item_type()))
                    .computed()
                    .description("The tokens that pass every filter: `id`, `user_id`, `description`, `state`, `inactive_state`, `time_created`, `time_expires`, and `token` (always null here). A description ending in `[tf-ephemeral lease=<RFC 3339 UTC time>]` marks a token of the `oci_identity_auth_token` ephemeral resource (filter with `regex = true` on `\\[tf-ephemeral lease=` to find the leftovers of killed runs)."),
            )
            .block(NestedBlock::new(
                "filter",
                Nesting::Set,
                Block::new()
                    .description("Keeps tokens whose attribute `name` equals (or, with `regex = true`, matches) any of `values`. Several blocks must all match.")
                    .attribute(Attribute::string("name").required().description("Token attribute to compare, e.g. `state` or `description`."))
                    .attribute(Attribute::new("values", Type::list(Type::String)).required().description("Accepted values (any one matches)."))
                    .attribute(Attribute::bool("regex").optional().computed().description("Treat `values` as regular expressions (unanchored). Default `false`, recorded in state as in the official provider.")),
            )),
    )
}

/// CRC-32 (IEEE), as the official provider hashes data source IDs.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The official data source ID: `IdentityAuthTokensDataSource-<crc32 of "<user_id>-">`.
pub fn data_source_id(user_id: &str) -> String {
    format!(
        "IdentityAuthTokensDataSource-{}",
        crc32(format!("{user_id}-").as_bytes())
    )
}

/// One `filter` block, ready to match.
struct Filter {
    name: String,
    values: Vec<String>,
    regexes: Option<Vec<Regex>>,
}

impl Filter {
    fn matches(&self, item: &Value) -> bool {
        let Some(field) = item.get_str(&self.name) else {
            return false;
        };
        match &self.regexes {
            Some(res) => res.iter().any(|r| r.is_match(field)),
            None => self.values.iter().any(|v| v == field),
        }
    }
}

fn filters(config: &Value, diags: &mut Diagnostics) -> Vec<Filter> {
    let mut out = Vec::new();
    for (i, f) in config
        .get("filter")
        .as_elements()
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let name = f.get_str("name").unwrap_or_default().to_string();
        let values: Vec<String> = f
            .get("values")
            .as_elements()
            .unwrap_or(&[])
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let regexes = if f.get("regex").as_bool() == Some(true) {
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
            Some(res)
        } else {
            None
        };
        let fields = item_fields();
        if !fields.contains(&name.as_str()) && f.get("name").is_wholly_known() {
            diags.attribute_warning(
                AttributePath::attr("filter"),
                "Unknown filter attribute",
                format!("Tokens have no attribute {name:?}, so this filter matches nothing. Use one of: {}.", fields.join(", ")),
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

#[async_trait]
impl DataSource for AuthTokensDataSource {
    fn type_name(&self) -> &'static str {
        "oci_identity_auth_tokens"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("filter").is_wholly_known() {
            filters(config, diags);
        }
    }

    async fn read(&self, req: DataReadRequest) -> ApplyResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.data.get(&mut diags) else {
            return ApplyResponse {
                state: Value::Null,
                diagnostics: diags,
                private: None,
            };
        };
        let user_id = req
            .config
            .get_str("user_id")
            .unwrap_or_default()
            .to_string();
        let filters = filters(&req.config, &mut diags);
        if diags.has_errors() {
            return ApplyResponse {
                state: Value::Null,
                diagnostics: diags,
                private: None,
            };
        }
        let tokens = match req.ctx.run(c.lists.list(&c.identity, &user_id)).await {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                api_error(&mut diags, "Cannot list auth tokens", &e);
                return ApplyResponse {
                    state: Value::Null,
                    diagnostics: diags,
                    private: None,
                };
            }
            Err(_) => {
                diags.error("Read cancelled", "Terraform asked the provider to stop.");
                return ApplyResponse {
                    state: Value::Null,
                    diagnostics: diags,
                    private: None,
                };
            }
        };
        let items: Vec<Value> = tokens
            .iter()
            .map(model::token_item)
            .filter(|item| filters.iter().all(|f| f.matches(item)))
            .collect();
        let mut state = req.config.clone();
        state.set("filter", filters_with_defaults(req.config.get("filter")));
        state.set("id", data_source_id(&user_id).into());
        state.set("tokens", Value::List(items));
        ApplyResponse {
            state,
            diagnostics: diags,
            private: None,
        }
    }
}

/// The `filter` set with `regex = false` where the configuration leaves it unset (the
/// official provider's default); blocks that become equal are kept once, as in a set.
fn filters_with_defaults(filter: &Value) -> Value {
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

    #[test]
    fn crc32_matches_the_ieee_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert!(data_source_id("ocid1.user.oc1..a").starts_with("IdentityAuthTokensDataSource-"));
    }

    #[test]
    fn filters_and_across_blocks_or_across_values_unanchored_regex() {
        let item = Value::object([
            ("state", Value::from("ACTIVE")),
            ("description", Value::from("ci deploy key")),
        ]);
        let config = Value::object([(
            "filter",
            Value::Set(vec![
                Value::object([
                    ("name", Value::from("state")),
                    (
                        "values",
                        Value::List(vec!["INACTIVE".into(), "ACTIVE".into()]),
                    ),
                    ("regex", Value::Null),
                ]),
                Value::object([
                    ("name", Value::from("description")),
                    ("values", Value::List(vec!["deploy".into()])),
                    ("regex", Value::Bool(true)),
                ]),
            ]),
        )]);
        let mut d = Diagnostics::new();
        let fs = filters(&config, &mut d);
        assert!(d.is_empty());
        assert!(fs.iter().all(|f| f.matches(&item)));
        let other = Value::object([
            ("state", Value::from("ACTIVE")),
            ("description", Value::from("laptop")),
        ]);
        assert!(!fs.iter().all(|f| f.matches(&other)));
    }

    #[test]
    fn regex_defaults_to_false_in_state() {
        let block = |regex: Value| {
            Value::object([
                ("name", Value::from("state")),
                ("values", Value::List(vec![Value::from("ACTIVE")])),
                ("regex", regex),
            ])
        };
        let set = Value::Set(vec![
            block(Value::Null),
            block(Value::Bool(false)),
            block(Value::Bool(true)),
        ]);
        assert_eq!(
            filters_with_defaults(&set),
            Value::Set(vec![block(Value::Bool(false)), block(Value::Bool(true))])
        );
        assert_eq!(filters_with_defaults(&Value::Null), Value::Null);
    }

    #[test]
    fn bad_regex_is_an_attribute_error() {
        let config = Value::object([(
            "filter",
            Value::Set(vec![Value::object([
                ("name", Value::from("description")),
                ("values", Value::List(vec!["(".into()])),
                ("regex", Value::Bool(true)),
            ])]),
        )]);
        let mut d = Diagnostics::new();
        filters(&config, &mut d);
        assert!(d.has_errors());
        assert_eq!(d.0[0].attribute.as_ref().unwrap().to_string(), "filter");
        assert!(d.0[0].detail.contains("not a valid regular expression"));
    }
}
