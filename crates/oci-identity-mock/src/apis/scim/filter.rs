//! RFC 7644 §3.4.2.2 filters: parsing (with the offending position on error) and evaluation
//! against a resource's full JSON (every attribute, including those never returned).
//!
//! Grammar: `attrPath op value`, `attrPath pr`, `attrPath[valFilter]`, `not (filter)`,
//! `(filter)`, `and` binding tighter than `or`. Operators and keywords are case-insensitive;
//! attribute names are case-insensitive and may carry the resource's schema URN
//! (`urn:...:authToken:description`). Strings compare case-insensitively unless the
//! attribute is case-exact; date-time attributes compare as instants.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(Vec<String>),
    Compare(Vec<String>, Op, Value),
    /// `attr[subfilter]`: some element of the multi-valued `attr` matches.
    ValuePath(Vec<String>, Box<Filter>),
}

/// A filter that does not parse, or names an attribute the resource does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilterError {
    /// 0-based character position in the filter.
    pub position: usize,
    pub why: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at position {}", self.why, self.position)
    }
}

/// How the filter's attributes are checked and compared.
pub(crate) trait Schema {
    /// Canonical (schema-cased) path for `path` (lowercase segments), or None if unknown
    /// or not searchable. `parent` is the multi-valued attribute of a value filter.
    fn resolve(&self, parent: &[String], path: &[String]) -> Option<Vec<String>>;
    fn case_exact(&self, path: &[String]) -> bool;
    fn is_date(&self, path: &[String]) -> bool;
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Word(String),
    Value(Value),
}

fn lex(input: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let chars: Vec<(usize, char)> = input.chars().enumerate().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push((pos, Tok::LParen));
                i += 1;
            }
            ')' => {
                out.push((pos, Tok::RParen));
                i += 1;
            }
            '[' => {
                out.push((pos, Tok::LBracket));
                i += 1;
            }
            ']' => {
                out.push((pos, Tok::RBracket));
                i += 1;
            }
            '"' => {
                let mut j = i + 1;
                let mut escaped = false;
                while j < chars.len() {
                    let d = chars[j].1;
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        break;
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(FilterError {
                        position: pos,
                        why: "unterminated string".into(),
                    });
                }
                let text: String = chars[i..=j].iter().map(|(_, c)| c).collect();
                let v: Value = serde_json::from_str(&text).map_err(|_| FilterError {
                    position: pos,
                    why: "invalid string".into(),
                })?;
                out.push((pos, Tok::Value(v)));
                i = j + 1;
            }
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$' | ':' | '.' | '+') => {
                let mut j = i;
                while j < chars.len()
                    && (chars[j].1.is_ascii_alphanumeric()
                        || matches!(chars[j].1, '-' | '_' | '$' | ':' | '.' | '+'))
                {
                    j += 1;
                }
                let word: String = chars[i..j].iter().map(|(_, c)| c).collect();
                out.push((pos, Tok::Word(word)));
                i = j;
            }
            other => {
                return Err(FilterError {
                    position: pos,
                    why: format!("unexpected character {other:?}"),
                })
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<(usize, Tok)>,
    at: usize,
    end: usize,
    schema: &'a dyn Schema,
    /// The multi-valued attribute whose value filter is being parsed.
    parent: Vec<String>,
}

fn keyword(t: &Tok, k: &str) -> bool {
    matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(k))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |(p, _)| *p)
    }

    fn err<T>(&self, why: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError {
            position: self.pos(),
            why: why.into(),
        })
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.peek().is_some_and(|t| keyword(t, "or")) {
            self.at += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.not()?;
        while self.peek().is_some_and(|t| keyword(t, "and")) {
            self.at += 1;
            let right = self.not()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Filter, FilterError> {
        if self.peek().is_some_and(|t| keyword(t, "not"))
            && self.toks.get(self.at + 1).map(|(_, t)| t) == Some(&Tok::LParen)
        {
            self.at += 1;
            let inner = self.group()?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.atom()
    }

    fn group(&mut self) -> Result<Filter, FilterError> {
        if self.peek() != Some(&Tok::LParen) {
            return self.err("expected '('");
        }
        self.at += 1;
        let inner = self.or()?;
        if self.peek() != Some(&Tok::RParen) {
            return self.err("expected ')'");
        }
        self.at += 1;
        Ok(inner)
    }

    fn atom(&mut self) -> Result<Filter, FilterError> {
        match self.peek() {
            None => self.err("expected an attribute, '(' or 'not'"),
            Some(Tok::LParen) => self.group(),
            Some(Tok::Word(_)) => {
                let path = self.attr_path()?;
                match self.peek() {
                    Some(Tok::LBracket) => {
                        if !self.parent.is_empty() {
                            return self.err("nested value filters are not supported");
                        }
                        self.at += 1;
                        let saved = std::mem::replace(&mut self.parent, path.clone());
                        let inner = self.or()?;
                        self.parent = saved;
                        if self.peek() != Some(&Tok::RBracket) {
                            return self.err("expected ']'");
                        }
                        self.at += 1;
                        Ok(Filter::ValuePath(path, Box::new(inner)))
                    }
                    Some(Tok::Word(w)) => {
                        let w = w.to_ascii_lowercase();
                        if w == "pr" {
                            self.at += 1;
                            return Ok(Filter::Present(path));
                        }
                        let op = match w.as_str() {
                            "eq" => Op::Eq,
                            "ne" => Op::Ne,
                            "co" => Op::Co,
                            "sw" => Op::Sw,
                            "ew" => Op::Ew,
                            "gt" => Op::Gt,
                            "ge" => Op::Ge,
                            "lt" => Op::Lt,
                            "le" => Op::Le,
                            _ => return self.err(format!("unknown operator {w:?}")),
                        };
                        self.at += 1;
                        let value = self.comp_value()?;
                        let full: Vec<String> =
                            self.parent.iter().chain(path.iter()).cloned().collect();
                        if !matches!(op, Op::Eq | Op::Ne) && matches!(value, Value::Null) {
                            return Err(FilterError {
                                position: self.toks[self.at - 1].0,
                                why: format!("null cannot be compared with {w}"),
                            });
                        }
                        if matches!(op, Op::Co | Op::Sw | Op::Ew) && !value.is_string() {
                            return Err(FilterError {
                                position: self.toks[self.at - 1].0,
                                why: format!("{w} needs a string value"),
                            });
                        }
                        if matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le) && value.is_boolean() {
                            return Err(FilterError {
                                position: self.toks[self.at - 1].0,
                                why: format!("a boolean cannot be compared with {w}"),
                            });
                        }
                        if self.schema.is_date(&full) {
                            if let Value::String(s) = &value {
                                if parse_date(s).is_none() {
                                    return Err(FilterError {
                                        position: self.toks[self.at - 1].0,
                                        why: format!("{s:?} is not a date-time"),
                                    });
                                }
                            }
                        }
                        Ok(Filter::Compare(path, op, value))
                    }
                    _ => self.err("expected an operator"),
                }
            }
            Some(_) => self.err("expected an attribute, '(' or 'not'"),
        }
    }

    fn attr_path(&mut self) -> Result<Vec<String>, FilterError> {
        let pos = self.pos();
        let Some(Tok::Word(w)) = self.peek().cloned() else {
            return self.err("expected an attribute");
        };
        let lower = w.to_ascii_lowercase();
        if ["and", "or", "not"].contains(&lower.as_str()) {
            return self.err(format!("expected an attribute, found {w:?}"));
        }
        // A schema URN prefix: the attribute is what follows the last ':'.
        let name = match lower.rsplit_once(':') {
            Some((urn, name)) if urn.starts_with("urn:") => name.to_string(),
            Some(_) => return self.err(format!("invalid attribute {w:?}")),
            None => lower,
        };
        let segments: Vec<String> = name.split('.').map(str::to_string).collect();
        if segments.iter().any(|s| s.is_empty()) {
            return self.err(format!("invalid attribute {w:?}"));
        }
        let Some(canonical) = self.schema.resolve(&self.parent, &segments) else {
            return Err(FilterError {
                position: pos,
                why: format!("unknown or unsearchable attribute {w:?}"),
            });
        };
        self.at += 1;
        Ok(canonical)
    }

    fn comp_value(&mut self) -> Result<Value, FilterError> {
        match self.peek().cloned() {
            Some(Tok::Value(v)) => {
                self.at += 1;
                Ok(v)
            }
            Some(Tok::Word(w)) => {
                let v = match w.to_ascii_lowercase().as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => match serde_json::from_str::<Value>(&w) {
                        Ok(n @ Value::Number(_)) => n,
                        _ => return self.err(format!("invalid value {w:?} (strings need quotes)")),
                    },
                };
                self.at += 1;
                Ok(v)
            }
            _ => self.err("expected a value"),
        }
    }
}

/// Parses `input` against `schema`.
pub(crate) fn parse(input: &str, schema: &dyn Schema) -> Result<Filter, FilterError> {
    let toks = lex(input)?;
    let end = input.chars().count();
    let mut p = Parser {
        toks,
        at: 0,
        end,
        schema,
        parent: Vec::new(),
    };
    if p.toks.is_empty() {
        return p.err("empty filter");
    }
    let f = p.or()?;
    if p.at < p.toks.len() {
        return p.err("unexpected token");
    }
    Ok(f)
}

pub(crate) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The values at `path` in `v` (arrays flattened at every level).
pub(crate) fn values_at<'v>(v: &'v Value, path: &[String]) -> Vec<&'v Value> {
    let mut current = vec![v];
    for seg in path {
        let mut next = Vec::new();
        for c in current {
            let items: Vec<&Value> = match c {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for item in items {
                if let Some(x) = item.as_object().and_then(|m| m.get(seg.as_str())) {
                    next.push(x);
                }
            }
        }
        current = next;
    }
    current
        .into_iter()
        .flat_map(|c| match c {
            Value::Array(a) => a.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .filter(|x| !x.is_null())
        .collect()
}

fn fold(s: &str, exact: bool) -> String {
    if exact {
        s.to_string()
    } else {
        s.to_lowercase()
    }
}

fn compare_one(schema: &dyn Schema, path: &[String], have: &Value, op: Op, want: &Value) -> bool {
    let exact = schema.case_exact(path);
    if schema.is_date(path) {
        if let (Some(a), Some(b)) = (
            have.as_str().and_then(parse_date),
            want.as_str().and_then(parse_date),
        ) {
            return match op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                Op::Gt => a > b,
                Op::Ge => a >= b,
                Op::Lt => a < b,
                Op::Le => a <= b,
                Op::Co | Op::Sw | Op::Ew => false,
            };
        }
    }
    match (have, want) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = (fold(a, exact), fold(b, exact));
            match op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                Op::Co => a.contains(&b),
                Op::Sw => a.starts_with(&b),
                Op::Ew => a.ends_with(&b),
                Op::Gt => a > b,
                Op::Ge => a >= b,
                Op::Lt => a < b,
                Op::Le => a <= b,
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            match op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                Op::Gt => a > b,
                Op::Ge => a >= b,
                Op::Lt => a < b,
                Op::Le => a <= b,
                Op::Co | Op::Sw | Op::Ew => false,
            }
        }
        (Value::Bool(a), Value::Bool(b)) => match op {
            Op::Eq => a == b,
            Op::Ne => a != b,
            _ => false,
        },
        _ => matches!(op, Op::Ne),
    }
}

/// Whether `resource` matches `f`.
pub(crate) fn matches(f: &Filter, resource: &Value, schema: &dyn Schema) -> bool {
    eval(f, resource, schema, &[])
}

fn eval(f: &Filter, v: &Value, schema: &dyn Schema, parent: &[String]) -> bool {
    match f {
        Filter::And(a, b) => eval(a, v, schema, parent) && eval(b, v, schema, parent),
        Filter::Or(a, b) => eval(a, v, schema, parent) || eval(b, v, schema, parent),
        Filter::Not(a) => !eval(a, v, schema, parent),
        Filter::Present(path) => values_at(v, path).iter().any(|x| match x {
            Value::String(s) => !s.is_empty(),
            _ => true,
        }),
        Filter::Compare(path, op, want) => {
            let full: Vec<String> = parent.iter().chain(path.iter()).cloned().collect();
            let have = values_at(v, path);
            match (op, want) {
                (Op::Eq, Value::Null) => have.is_empty(),
                (Op::Ne, Value::Null) => !have.is_empty(),
                (Op::Ne, _) => !have
                    .iter()
                    .any(|h| compare_one(schema, &full, h, Op::Eq, want)),
                _ => have
                    .iter()
                    .any(|h| compare_one(schema, &full, h, *op, want)),
            }
        }
        Filter::ValuePath(path, inner) => {
            let full: Vec<String> = parent.iter().chain(path.iter()).cloned().collect();
            values_at(v, path)
                .iter()
                .any(|elem| eval(inner, elem, schema, &full))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Toy;
    impl Schema for Toy {
        fn resolve(&self, parent: &[String], path: &[String]) -> Option<Vec<String>> {
            let known = [
                "id",
                "description",
                "status",
                "expiresOn",
                "user.value",
                "user.ocid",
                "tags.key",
                "tags.value",
                "tags",
                "meta.created",
            ];
            let want: Vec<String> = parent.iter().chain(path.iter()).cloned().collect();
            let joined = want.join(".");
            known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(&joined))
                .map(|k| {
                    let segs: Vec<String> = k.split('.').map(String::from).collect();
                    segs[parent.len()..].to_vec()
                })
        }
        fn case_exact(&self, path: &[String]) -> bool {
            path.join(".") == "user.value" || path.join(".") == "id"
        }
        fn is_date(&self, path: &[String]) -> bool {
            matches!(path.join(".").as_str(), "expiresOn" | "meta.created")
        }
    }

    fn token() -> Value {
        json!({
            "id": "abc", "description": "CI Token", "status": "ACTIVE",
            "expiresOn": "2030-01-01T00:00:00Z",
            "user": {"value": "U1", "ocid": "ocid1.user.x"},
            "tags": [{"key": "env", "value": "prod"}, {"key": "team", "value": "a"}],
            "meta": {"created": "2026-01-01T10:00:00.000Z"}
        })
    }

    fn m(f: &str) -> bool {
        matches(&parse(f, &Toy).unwrap(), &token(), &Toy)
    }

    #[test]
    fn operators_and_logic() {
        assert!(m(r#"user.value eq "U1""#));
        assert!(!m(r#"user.value eq "u1""#), "user.value is case-exact");
        assert!(m(r#"description eq "ci token""#), "others are not");
        assert!(m(r#"DESCRIPTION CO "token""#));
        assert!(m(r#"description sw "CI" and description ew "en""#));
        assert!(m(r#"description ne "x""#));
        assert!(m(r#"expiresOn gt "2029-12-31T23:59:59Z""#));
        assert!(m(r#"expiresOn le "2030-01-01T01:00:00+01:00""#));
        assert!(!m(r#"expiresOn lt "2030-01-01T00:00:00Z""#));
        assert!(m(r#"meta.created ge "2026-01-01T10:00:00Z""#));
        assert!(m("status pr and not (user.ocid eq \"nope\")"));
        assert!(m(
            r#"(status eq "INACTIVE" or status eq "active") and id eq "abc""#
        ));
        assert!(m(r#"tags[key eq "env" and value eq "prod"]"#));
        assert!(!m(r#"tags[key eq "env" and value eq "a"]"#));
        assert!(m(r#"tags.key eq "team""#));
        assert!(m(
            r#"urn:ietf:params:scim:schemas:oracle:idcs:authToken:description co "CI""#
        ));
        assert!(!m("expiresOn eq null"));
        assert!(m("description ne null"));
        assert!(m(
            r#"status eq "INACTIVE" or status eq "ACTIVE" and id eq "abc""#
        ));
    }

    #[test]
    fn errors_name_the_position() {
        let e = |f: &str| parse(f, &Toy).unwrap_err();
        assert_eq!(e(r#"user.value eq"#).position, 13);
        assert_eq!(e(r#"user.value xx "a""#).position, 11);
        assert_eq!(e(r#"nosuch eq "a""#).position, 0);
        assert_eq!(e(r#"(status pr"#).position, 10);
        assert_eq!(e(r#"status pr)"#).position, 9);
        assert_eq!(e(r#"description eq "abc"#).position, 15);
        assert_eq!(e(r#"description eq abc"#).position, 15);
        assert_eq!(e(r#"expiresOn gt "soon""#).position, 13);
        assert_eq!(e("").position, 0);
        assert_eq!(e(r#"status pr and"#).position, 13);
        assert!(e("description co 1").why.contains("string"));
        assert!(e("a ; b").why.contains("unexpected"));
    }
}
