//! The AuthToken schema as the SCIM API uses it: attribute names, which are returned when
//! (`returned`: always / default / request / never), which are case-exact or date-times (for
//! filters and sorting), `attributes`/`attributeSets` projection, and PATCH operations.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::filter::{self, parse_date, values_at, Schema};
use super::{check_description, AUTH_TOKEN_SCHEMA, SELF_CHANGE_EXT};
use super::{invalid_syntax, invalid_value, parse_status, parse_tags, scim_error};
use crate::middleware::ApiError;
use crate::state::TokenRec;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returned {
    Always,
    Default,
    Request,
    Never,
}

/// Top-level attributes: (name, returned, sub-attributes).
const ATTRIBUTES: &[(&str, Returned, &[&str])] = &[
    ("schemas", Returned::Always, &[]),
    ("id", Returned::Always, &[]),
    ("ocid", Returned::Default, &[]),
    (
        "meta",
        Returned::Default,
        &[
            "resourceType",
            "created",
            "lastModified",
            "location",
            "version",
        ],
    ),
    (
        "idcsCreatedBy",
        Returned::Default,
        &["value", "$ref", "type", "display", "ocid"],
    ),
    (
        "idcsLastModifiedBy",
        Returned::Default,
        &["value", "$ref", "type", "display", "ocid"],
    ),
    ("idcsPreventedOperations", Returned::Request, &[]),
    ("tags", Returned::Request, &["key", "value"]),
    ("deleteInProgress", Returned::Default, &[]),
    ("idcsLastUpgradedInRelease", Returned::Request, &[]),
    ("domainOcid", Returned::Default, &[]),
    ("compartmentOcid", Returned::Default, &[]),
    ("tenancyOcid", Returned::Default, &[]),
    ("description", Returned::Default, &[]),
    ("token", Returned::Never, &[]),
    ("status", Returned::Never, &[]),
    ("expiresOn", Returned::Default, &[]),
    (
        "user",
        Returned::Default,
        &["value", "ocid", "$ref", "display", "name"],
    ),
    (SELF_CHANGE_EXT, Returned::Never, &["allowSelfChange"]),
];

/// Sub-attributes returned always (even when their parent is not).
const ALWAYS_SUBS: &[(&str, &str)] = &[("user", "value"), ("user", "ocid")];

const CASE_EXACT: &[&str] = &[
    "id",
    "ocid",
    "domainOcid",
    "compartmentOcid",
    "tenancyOcid",
    "token",
    "meta.version",
    "user.value",
    "user.ocid",
    "idcsCreatedBy.value",
    "idcsCreatedBy.ocid",
    "idcsLastModifiedBy.value",
    "idcsLastModifiedBy.ocid",
];

const DATES: &[&str] = &["expiresOn", "meta.created", "meta.lastModified"];

fn returned(name: &str) -> Returned {
    ATTRIBUTES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or(Returned::Default, |(_, r, _)| *r)
}

/// Canonical path of `segments` (any case), if the schema has it.
fn canonical(segments: &[String]) -> Option<Vec<String>> {
    let (first, rest) = segments.split_first()?;
    let (name, _, subs) = ATTRIBUTES
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(first))?;
    let mut out = vec![name.to_string()];
    match rest {
        [] => {}
        [sub] => out.push(
            subs.iter()
                .find(|s| s.eq_ignore_ascii_case(sub))?
                .to_string(),
        ),
        _ => return None,
    }
    Some(out)
}

/// Resolves an attribute name as written in `attributes`, `sortBy` or a PATCH path
/// (`description`, `user.value`, optionally prefixed with the AuthToken schema URN).
pub(crate) fn resolve_path(s: &str) -> Option<Vec<String>> {
    let s = s.trim();
    let prefix = format!("{AUTH_TOKEN_SCHEMA}:");
    let s = match s.get(..prefix.len()) {
        Some(p) if p.eq_ignore_ascii_case(&prefix) => &s[prefix.len()..],
        _ => s,
    };
    if s.len() > SELF_CHANGE_EXT.len()
        && s[..SELF_CHANGE_EXT.len()].eq_ignore_ascii_case(SELF_CHANGE_EXT)
    {
        let sub = s[SELF_CHANGE_EXT.len()..].trim_start_matches(':');
        return canonical(&[SELF_CHANGE_EXT.to_string(), sub.to_string()]);
    }
    if s.eq_ignore_ascii_case(SELF_CHANGE_EXT) {
        return Some(vec![SELF_CHANGE_EXT.to_string()]);
    }
    let segments: Vec<String> = s.split('.').map(str::to_string).collect();
    canonical(&segments)
}

/// The filter view of the schema: every attribute but `token` is searchable.
pub(crate) struct TokenSchema;

impl Schema for TokenSchema {
    fn resolve(&self, parent: &[String], path: &[String]) -> Option<Vec<String>> {
        let full: Vec<String> = parent.iter().chain(path.iter()).cloned().collect();
        let c = canonical(&full)?;
        if c[0] == "token" {
            return None;
        }
        Some(c[parent.len()..].to_vec())
    }

    fn case_exact(&self, path: &[String]) -> bool {
        CASE_EXACT.contains(&path.join(".").as_str())
    }

    fn is_date(&self, path: &[String]) -> bool {
        DATES.contains(&path.join(".").as_str())
    }
}

/// Which attributes a response carries (`attributes` and `attributeSets`).
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    default: bool,
    request: bool,
    names: Vec<Vec<String>>,
}

impl Selection {
    /// Without either parameter: `always` and `default` attributes. With them: `always` ones,
    /// the named ones and those of the named sets (`all` = always + default + request; `never`
    /// attributes are never returned). Unknown attribute names are ignored.
    pub(crate) fn new(attributes: &[String], sets: &[String]) -> Result<Selection, String> {
        let mut sel = Selection {
            default: attributes.is_empty() && sets.is_empty(),
            request: false,
            names: attributes.iter().filter_map(|a| resolve_path(a)).collect(),
        };
        for s in sets {
            match s.to_ascii_lowercase().as_str() {
                "all" => {
                    sel.default = true;
                    sel.request = true;
                }
                "default" => sel.default = true,
                "request" => sel.request = true,
                "always" | "never" => {}
                _ => {
                    return Err(format!(
                        "attributeSets must be all, always, never, request or default, got {s:?}."
                    ))
                }
            }
        }
        Ok(sel)
    }

    /// The projection of a resource's full JSON.
    pub(crate) fn project(&self, full: &Value) -> Value {
        let Value::Object(m) = full else {
            return full.clone();
        };
        let mut out = Map::new();
        for (k, v) in m {
            let class = returned(k);
            if class == Returned::Never {
                continue;
            }
            let whole = class == Returned::Always
                || (class == Returned::Default && self.default)
                || (class == Returned::Request && self.request)
                || self.names.iter().any(|n| n.len() == 1 && n[0] == *k);
            if whole {
                out.insert(k.clone(), v.clone());
                continue;
            }
            let subs: Vec<&str> = self
                .names
                .iter()
                .filter(|n| n.len() == 2 && n[0] == *k)
                .map(|n| n[1].as_str())
                .chain(ALWAYS_SUBS.iter().filter(|(p, _)| p == k).map(|(_, s)| *s))
                .collect();
            if subs.is_empty() {
                continue;
            }
            let pick = |o: &Value| -> Value {
                match o {
                    Value::Object(om) => Value::Object(
                        om.iter()
                            .filter(|(sk, _)| subs.contains(&sk.as_str()))
                            .map(|(a, b)| (a.clone(), b.clone()))
                            .collect(),
                    ),
                    other => other.clone(),
                }
            };
            let picked = match v {
                Value::Array(a) => Value::Array(a.iter().map(pick).collect()),
                other => pick(other),
            };
            out.insert(k.clone(), picked);
        }
        Value::Object(out)
    }
}

#[derive(PartialEq, PartialOrd)]
enum Key {
    Date(chrono::DateTime<chrono::Utc>),
    Number(f64),
    Bool(bool),
    Text(String),
}

fn sort_key(v: &Value, path: &[String]) -> Option<Key> {
    let first = *values_at(v, path).first()?;
    let schema = TokenSchema;
    Some(match first {
        Value::String(s) if schema.is_date(path) => match parse_date(s) {
            Some(d) => Key::Date(d),
            None => Key::Text(s.clone()),
        },
        Value::String(s) if schema.case_exact(path) => Key::Text(s.clone()),
        Value::String(s) => Key::Text(s.to_lowercase()),
        Value::Number(n) => Key::Number(n.as_f64().unwrap_or(0.0)),
        Value::Bool(b) => Key::Bool(*b),
        other => Key::Text(other.to_string()),
    })
}

/// Sorts by `path` (stable; resources without a value come last when ascending).
pub(crate) fn sort(items: &mut [Value], path: &[String], descending: bool) {
    items.sort_by(|a, b| {
        let (ka, kb) = (sort_key(a, path), sort_key(b, path));
        let o = match (&ka, &kb) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        };
        if descending {
            o.reverse()
        } else {
            o
        }
    });
}

fn immutable(path: &str) -> ApiError {
    scim_error(
        400,
        format!("Attribute {path} is immutable or read-only and cannot be modified."),
    )
    .with_scim_type("mutability")
    .with_message_id("error.common.validation.attributeNotMutable")
}

fn invalid_path(path: &str) -> ApiError {
    scim_error(400, format!("Invalid PATCH path {path:?}."))
        .with_scim_type("invalidPath")
        .with_message_id("error.common.validation.invalidPatchPath")
}

/// Applies one PATCH operation (`{op, path, value}`, `op` case-insensitive) to `t`.
/// Mutable: `description`, `status`, `tags` (also `tags[filter]` for remove) and the
/// self-change extension; `expiresOn`, `user` and read-only attributes are rejected.
pub(crate) fn apply_patch(t: &mut TokenRec, op: &Value) -> Result<(), ApiError> {
    let Some(o) = op.as_object() else {
        return Err(invalid_syntax("Every operation must be an object."));
    };
    let kind = o
        .get("op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !matches!(kind.as_str(), "add" | "replace" | "remove") {
        return Err(invalid_syntax(format!(
            "op must be add, replace or remove, got {}.",
            o.get("op").map_or("nothing".to_string(), Value::to_string)
        )));
    }
    let value = o.get("value");
    match o.get("path") {
        None | Some(Value::Null) => {
            if kind == "remove" {
                return Err(
                    scim_error(400, "A remove operation needs a path.").with_scim_type("noTarget")
                );
            }
            match value {
                Some(Value::Object(m)) => {
                    for (k, v) in m {
                        if k.eq_ignore_ascii_case("schemas") {
                            continue;
                        }
                        apply_one(t, &kind, k, Some(v))?;
                    }
                    Ok(())
                }
                _ => Err(invalid_value(
                    "An operation without a path needs an object value.",
                )),
            }
        }
        Some(Value::String(p)) => apply_one(t, &kind, p, value),
        Some(_) => Err(invalid_syntax("path must be a string.")),
    }
}

fn apply_one(
    t: &mut TokenRec,
    kind: &str,
    path: &str,
    value: Option<&Value>,
) -> Result<(), ApiError> {
    let need = || -> Result<&Value, ApiError> {
        value.ok_or_else(|| invalid_value(format!("The {kind} operation on {path} needs a value.")))
    };
    if let Some((attr, rest)) = path.split_once('[') {
        let Some(c) = resolve_path(attr) else {
            return Err(invalid_path(path));
        };
        if c != ["tags"] || kind != "remove" {
            return Err(invalid_path(path));
        }
        let Some(inner) = rest.strip_suffix(']') else {
            return Err(invalid_path(path));
        };
        let f = filter::parse(&format!("tags[{inner}]"), &TokenSchema).map_err(|e| {
            scim_error(400, format!("Invalid PATCH path {path:?}: {e}."))
                .with_scim_type("invalidPath")
        })?;
        t.tags.retain(|tag| {
            let v = serde_json::json!({"tags": [{"key": tag.key, "value": tag.value}]});
            !filter::matches(&f, &v, &TokenSchema)
        });
        return Ok(());
    }
    let Some(c) = resolve_path(path) else {
        return Err(invalid_path(path));
    };
    match (c[0].as_str(), c.get(1).map(String::as_str)) {
        ("description", None) => {
            if kind == "remove" {
                t.description.clear();
            } else {
                let d = need()?
                    .as_str()
                    .ok_or_else(|| invalid_value("description must be a string."))?;
                check_description(d)?;
                t.description = d.to_string();
            }
        }
        ("status", None) => {
            if kind == "remove" {
                return Err(invalid_value("status cannot be removed."));
            }
            t.lifecycle_state = parse_status(need()?)?;
        }
        ("tags", None) => match kind {
            "remove" => t.tags.clear(),
            "replace" => t.tags = parse_tags(need()?)?,
            _ => {
                for tag in parse_tags(need()?)? {
                    if !t.tags.contains(&tag) {
                        t.tags.push(tag);
                    }
                }
            }
        },
        (ext, sub) if ext == SELF_CHANGE_EXT => {
            let v = match (kind, sub, value) {
                ("remove", _, _) => None,
                (_, Some(_), Some(v)) => Some(v.clone()),
                (_, None, Some(Value::Object(m))) => m.get("allowSelfChange").cloned(),
                _ => return Err(invalid_value("allowSelfChange must be a boolean.")),
            };
            t.allow_self_change = match v {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(b),
                Some(_) => return Err(invalid_value("allowSelfChange must be a boolean.")),
            };
        }
        _ => return Err(immutable(path)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full() -> Value {
        json!({
            "schemas": [AUTH_TOKEN_SCHEMA], "id": "i", "ocid": "o", "description": "d",
            "status": "ACTIVE", "tags": [{"key": "k", "value": "v"}],
            "idcsLastUpgradedInRelease": "r",
            "user": {"value": "u", "ocid": "uo", "display": "x", "name": "x", "$ref": "r"},
            "meta": {"created": "c", "version": "v"},
            SELF_CHANGE_EXT: {"allowSelfChange": true}
        })
    }

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    }

    fn sel(a: &[&str], s: &[&str]) -> Selection {
        let a: Vec<String> = a.iter().map(|x| x.to_string()).collect();
        let s: Vec<String> = s.iter().map(|x| x.to_string()).collect();
        Selection::new(&a, &s).unwrap()
    }

    #[test]
    fn returned_rules() {
        let d = sel(&[], &[]).project(&full());
        assert_eq!(
            keys(&d),
            ["description", "id", "meta", "ocid", "schemas", "user"]
        );
        let all = sel(&[], &["ALL"]).project(&full());
        assert!(all.get("tags").is_some() && all.get("idcsLastUpgradedInRelease").is_some());
        assert!(all.get("status").is_none() && all.get(SELF_CHANGE_EXT).is_none());
        let named = sel(&["tags", "user.display", "status"], &[]).project(&full());
        assert_eq!(keys(&named), ["id", "schemas", "tags", "user"]);
        assert_eq!(
            named["user"],
            json!({"value": "u", "ocid": "uo", "display": "x"})
        );
        let req = sel(&[], &["request"]).project(&full());
        assert_eq!(
            keys(&req),
            ["id", "idcsLastUpgradedInRelease", "schemas", "tags", "user"]
        );
        let urn = sel(&[&format!("{AUTH_TOKEN_SCHEMA}:description")], &["always"]).project(&full());
        assert_eq!(keys(&urn), ["description", "id", "schemas", "user"]);
        assert!(Selection::new(&[], &["some".into()]).is_err());
    }

    #[test]
    fn patches() {
        let mut t = TokenRec {
            id: "o".into(),
            user_id: "u".into(),
            description: "d".into(),
            time_created: chrono::Utc::now(),
            etag: "e".into(),
            lifecycle_state: "ACTIVE".into(),
            scim_id: "i".into(),
            expires_on: None,
            tags: vec![],
            created_by: None,
            last_modified_by: None,
            last_modified: None,
            secret_sha256: None,
            allow_self_change: None,
        };
        let ok = |t: &mut TokenRec, op: Value| apply_patch(t, &op).unwrap();
        ok(
            &mut t,
            json!({"op": "Replace", "path": "description", "value": "n"}),
        );
        ok(
            &mut t,
            json!({"op": "REPLACE", "path": "status", "value": "inactive"}),
        );
        ok(
            &mut t,
            json!({"op": "add", "path": "tags", "value": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]}),
        );
        ok(
            &mut t,
            json!({"op": "remove", "path": "tags[key eq \"a\"]"}),
        );
        ok(
            &mut t,
            json!({"op": "add", "value": {"description": "m", "urn:ietf:params:scim:schemas:oracle:idcs:extension:selfChange:User:allowSelfChange": true}}),
        );
        assert_eq!(
            (t.description.as_str(), t.lifecycle_state.as_str()),
            ("m", "INACTIVE")
        );
        assert_eq!(t.tags.len(), 1);
        assert_eq!(t.allow_self_change, Some(true));
        let err = |op: Value| apply_patch(&mut t.clone(), &op).unwrap_err();
        assert_eq!(
            err(json!({"op": "replace", "path": "expiresOn", "value": "2030-01-01T00:00:00Z"}))
                .scim_type(),
            Some("mutability")
        );
        assert_eq!(
            err(json!({"op": "replace", "path": "user.value", "value": "x"})).scim_type(),
            Some("mutability")
        );
        assert_eq!(
            err(json!({"op": "replace", "path": "nosuch", "value": "x"})).scim_type(),
            Some("invalidPath")
        );
        assert_eq!(
            err(json!({"op": "move", "path": "description"})).scim_type(),
            Some("invalidSyntax")
        );
        assert_eq!(err(json!({"op": "remove"})).scim_type(), Some("noTarget"));
        assert_eq!(
            err(json!({"op": "replace", "path": "status", "value": "gone"})).scim_type(),
            Some("invalidValue")
        );
    }

    #[test]
    fn sorting() {
        let mut v = vec![
            json!({"description": "b", "expiresOn": "2030-01-01T00:00:00Z"}),
            json!({"description": "A"}),
            json!({"description": "c", "expiresOn": "2029-01-01T00:00:00+05:00"}),
        ];
        sort(&mut v, &["description".into()], false);
        assert_eq!(v[0]["description"], "A");
        sort(&mut v, &["expiresOn".into()], false);
        assert_eq!(v[0]["description"], "c");
        assert_eq!(v[2]["description"], "A", "missing values last");
        sort(&mut v, &["expiresOn".into()], true);
        assert_eq!(v[0]["description"], "A");
    }
}
