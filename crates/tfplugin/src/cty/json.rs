//! JSON encoding of cty values (DynamicValue.json, RawState.json).
//!
//! Follows go-cty's JSON form: null is `null`, numbers are JSON numbers of arbitrary precision,
//! lists/sets/tuples are arrays, maps/objects are objects, and a `dynamic` value is
//! `{"type": <type JSON>, "value": <value>}`. Unknown values have no JSON form.
//!
//! Input is parsed by a small parser of our own rather than `serde_json::Value`, so number
//! text reaches [`Number::parse`] intact (without serde_json's `arbitrary_precision`, large or
//! very precise numbers would be rounded to `f64`).

use std::collections::BTreeMap;

use super::number::Decimal;
use super::{AttributePath, CodecError, Number, PathStep, Type, Value};

/// Deepest nesting of JSON arrays/objects accepted on input (and produced on output).
pub const MAX_DEPTH: usize = 128;

/// Decodes a JSON value of type `ty`. Missing object attributes decode as null.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    decode_with(bytes, ty, false)
}

/// Like [`decode`], but object attributes that `ty` does not have are dropped instead of being
/// an error (state written by another provider version). Numbers stay exact.
pub fn decode_ignoring_unknown_attributes(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    decode_with(bytes, ty, true)
}

fn decode_with(bytes: &[u8], ty: &Type, lenient: bool) -> Result<Value, CodecError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| CodecError::new("JSON input is not valid UTF-8"))?;
    let mut p = Parser {
        s: text,
        b: bytes,
        pos: 0,
        depth: 0,
    };
    let tree = p.value()?;
    p.ws();
    if p.pos != bytes.len() {
        return Err(p.err("unexpected data after the JSON value"));
    }
    let mut path = AttributePath::root();
    convert(&tree, ty, &mut path, lenient)
}

/// Encodes a wholly known `v` as JSON for type `ty`.
pub fn encode(v: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut e = Encoder {
        out: Vec::new(),
        path: AttributePath::root(),
        depth: 0,
    };
    e.value(v, ty)?;
    Ok(e.out)
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// A parsed JSON value; numbers keep their text, objects keep key order and duplicates.
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Num(_) => "number",
            Json::Str(_) => "string",
            Json::Arr(_) => "array",
            Json::Obj(_) => "object",
        }
    }

    fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value as S;
        match self {
            Json::Null => S::Null,
            Json::Bool(b) => S::Bool(*b),
            Json::Num(t) => serde_json::from_str(t).unwrap_or(S::Null),
            Json::Str(s) => S::String(s.clone()),
            Json::Arr(items) => S::Array(items.iter().map(Json::to_serde).collect()),
            Json::Obj(entries) => S::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_serde()))
                    .collect(),
            ),
        }
    }
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, msg: &str) -> CodecError {
        CodecError::new(format!("invalid JSON at byte {}: {msg}", self.pos))
    }

    fn ws(&mut self) {
        while matches!(self.b.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn literal(&mut self, word: &str, v: Json) -> Result<Json, CodecError> {
        if self.b[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.err("expected a value"))
        }
    }

    fn value(&mut self) -> Result<Json, CodecError> {
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::Str),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                self.enter()?;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                } else {
                    loop {
                        items.push(self.value()?);
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.err("expected ',' or ']'")),
                        }
                    }
                }
                self.depth -= 1;
                Ok(Json::Arr(items))
            }
            Some(b'{') => {
                self.enter()?;
                let mut entries = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        if self.peek() != Some(b'"') {
                            return Err(self.err("expected a string key"));
                        }
                        let key = self.string()?;
                        self.ws();
                        if self.peek() != Some(b':') {
                            return Err(self.err("expected ':'"));
                        }
                        self.pos += 1;
                        let v = self.value()?;
                        entries.push((key, v));
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.err("expected ',' or '}'")),
                        }
                    }
                }
                self.depth -= 1;
                Ok(Json::Obj(entries))
            }
            Some(_) => Err(self.err("expected a value")),
        }
    }

    fn enter(&mut self) -> Result<(), CodecError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(&format!("nested more than {MAX_DEPTH} levels deep")));
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    /// Reads a string starting at the opening quote.
    fn string(&mut self) -> Result<String, CodecError> {
        let start = self.pos;
        self.pos += 1;
        let mut escaped = false;
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 2;
                }
                Some(c) if c < 0x20 => return Err(self.err("control character in string")),
                Some(_) => self.pos += 1,
            }
        }
        self.pos += 1;
        // Quotes and backslashes are ASCII, so these offsets are character boundaries.
        let span = &self.s[start..self.pos];
        if escaped {
            serde_json::from_str(span).map_err(|_| self.err("invalid escape in string"))
        } else {
            Ok(span[1..span.len() - 1].to_owned())
        }
    }

    /// Reads a number with JSON's grammar, keeping its text.
    fn number(&mut self) -> Result<Json, CodecError> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.err("invalid number"));
            }
        }
        Ok(Json::Num(self.s[start..self.pos].to_owned()))
    }
}

// ---------------------------------------------------------------------------------------------
// Conversion from parsed JSON to a cty value

fn mismatch(ty: &Type, j: &Json, path: &AttributePath) -> CodecError {
    CodecError::at(
        format!("expected {}, found {}", ty.friendly_name(), j.kind()),
        path,
    )
}

fn convert(
    j: &Json,
    ty: &Type,
    path: &mut AttributePath,
    lenient: bool,
) -> Result<Value, CodecError> {
    if let Json::Null = j {
        return Ok(Value::Null);
    }
    match ty {
        // Like go-cty, primitives accept the other primitive JSON kinds where a conversion
        // exists ("true" for a bool, "12" for a number, 12 or true for a string).
        Type::Bool => match j {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::Str(s) if s == "true" => Ok(Value::Bool(true)),
            Json::Str(s) if s == "false" => Ok(Value::Bool(false)),
            Json::Str(_) => Err(CodecError::at("string is not a valid bool", path)),
            _ => Err(mismatch(ty, j, path)),
        },
        Type::Number => match j {
            Json::Num(t) | Json::Str(t) => Number::parse(t)
                .map(Value::Number)
                .ok_or_else(|| CodecError::at(format!("invalid number {}", j.kind()), path)),
            _ => Err(mismatch(ty, j, path)),
        },
        Type::String => match j {
            Json::Str(s) | Json::Num(s) => Ok(Value::String(s.clone())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(mismatch(ty, j, path)),
        },
        Type::List(et) => elements(j, ty, path, lenient, |_| et).map(Value::List),
        Type::Set(et) => elements(j, ty, path, lenient, |_| et).map(Value::Set),
        Type::Tuple(ets) => {
            if let Json::Arr(items) = j {
                if items.len() != ets.len() {
                    return Err(CodecError::at(
                        format!(
                            "expected tuple of {} elements, found {}",
                            ets.len(),
                            items.len()
                        ),
                        path,
                    ));
                }
            }
            elements(j, ty, path, lenient, |i| &ets[i]).map(Value::Tuple)
        }
        Type::Map(et) => {
            let Json::Obj(entries) = j else {
                return Err(mismatch(ty, j, path));
            };
            let mut m = BTreeMap::new();
            for (k, item) in entries {
                path.push(PathStep::ElementKeyString(k.clone()));
                if m.contains_key(k) {
                    return Err(CodecError::at("duplicate map key", path));
                }
                let v = convert(item, et, path, lenient)?;
                path.pop();
                m.insert(k.clone(), v);
            }
            Ok(Value::Map(m))
        }
        Type::Object(attrs, _) => {
            let Json::Obj(entries) = j else {
                return Err(mismatch(ty, j, path));
            };
            let mut m = BTreeMap::new();
            for (k, item) in entries {
                path.push(PathStep::Attribute(k.clone()));
                let Some(at) = attrs.get(k) else {
                    if lenient {
                        path.pop();
                        continue;
                    }
                    return Err(CodecError::at("unsupported attribute", path));
                };
                if m.contains_key(k) {
                    return Err(CodecError::at("duplicate attribute", path));
                }
                let v = convert(item, at, path, lenient)?;
                path.pop();
                m.insert(k.clone(), v);
            }
            for name in attrs.keys() {
                if !m.contains_key(name) {
                    m.insert(name.clone(), Value::Null);
                }
            }
            Ok(Value::Object(m))
        }
        Type::Dynamic => {
            let Json::Obj(entries) = j else {
                return Err(mismatch(ty, j, path));
            };
            let (mut type_json, mut value_json) = (None, None);
            for (k, item) in entries {
                let slot = match k.as_str() {
                    "type" => &mut type_json,
                    "value" => &mut value_json,
                    _ => {
                        return Err(CodecError::at(
                            "dynamic value must have only \"type\" and \"value\" keys",
                            path,
                        ))
                    }
                };
                if slot.replace(item).is_some() {
                    return Err(CodecError::at("duplicate key in dynamic value", path));
                }
            }
            let type_json =
                type_json.ok_or_else(|| CodecError::at("dynamic value has no \"type\"", path))?;
            let value_json =
                value_json.ok_or_else(|| CodecError::at("dynamic value has no \"value\"", path))?;
            let concrete = Type::from_json(&type_json.to_serde())
                .map_err(|e| CodecError::at(e.message, path))?;
            let v = convert(value_json, &concrete, path, lenient)?;
            Ok(Value::Dynamic(concrete, Box::new(v)))
        }
    }
}

fn elements<'t>(
    j: &Json,
    ty: &Type,
    path: &mut AttributePath,
    lenient: bool,
    elem: impl Fn(usize) -> &'t Type,
) -> Result<Vec<Value>, CodecError> {
    let Json::Arr(items) = j else {
        return Err(mismatch(ty, j, path));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        path.push(PathStep::ElementKeyInt(i as i64));
        out.push(convert(item, elem(i), path, lenient)?);
        path.pop();
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Encoding

struct Encoder {
    out: Vec<u8>,
    path: AttributePath,
    depth: usize,
}

impl Encoder {
    fn err(&self, msg: impl Into<String>) -> CodecError {
        CodecError::at(msg, &self.path)
    }

    fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    fn str(&mut self, s: &str) -> Result<(), CodecError> {
        serde_json::to_writer(&mut self.out, s)
            .map_err(|_| CodecError::at("JSON write failed", &self.path))
    }

    fn value(&mut self, v: &Value, ty: &Type) -> Result<(), CodecError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(format!("value nested more than {MAX_DEPTH} levels deep")));
        }
        self.depth += 1;
        self.value_inner(v, ty)?;
        self.depth -= 1;
        Ok(())
    }

    fn value_inner(&mut self, v: &Value, ty: &Type) -> Result<(), CodecError> {
        match (ty, v) {
            (_, Value::Null) => {
                self.raw("null");
                Ok(())
            }
            (_, Value::Unknown) => Err(self.err("unknown values cannot be encoded as JSON")),
            (Type::Dynamic, Value::Dynamic(concrete, inner)) => self.dynamic(concrete, inner),
            (Type::Dynamic, other) => match other.implied_primitive_type() {
                Some(concrete) => self.dynamic(&concrete, other),
                None => Err(self.err(format!(
                    "cannot infer the type of a {} value for a dynamic attribute",
                    other.kind_name()
                ))),
            },
            (_, Value::Dynamic(concrete, inner)) if concrete == ty => self.value_inner(inner, ty),
            (Type::Bool, Value::Bool(b)) => {
                self.raw(if *b { "true" } else { "false" });
                Ok(())
            }
            (Type::Number, Value::Number(n)) => {
                let text = match n {
                    Number::Int(i) => i.to_string(),
                    Number::Float(f) if !f.is_finite() => {
                        return Err(self.err("infinity and NaN cannot be encoded as JSON"))
                    }
                    // The exact value, with a point or exponent so it reads back as a float.
                    Number::Float(f) => Decimal::from_f64(*f).to_text(true),
                    Number::Big(t) => match Decimal::parse(t) {
                        Some((d, _)) => d.to_text(false),
                        None => return Err(self.err("invalid number text")),
                    },
                };
                self.raw(&text);
                Ok(())
            }
            (Type::String, Value::String(s)) => self.str(s),
            (Type::List(et), Value::List(items)) | (Type::Set(et), Value::Set(items)) => {
                self.array(items, |_| et)
            }
            (Type::Tuple(ets), Value::Tuple(items)) => {
                if items.len() != ets.len() {
                    return Err(self.err(format!(
                        "expected tuple of {} elements, found {}",
                        ets.len(),
                        items.len()
                    )));
                }
                self.array(items, |i| &ets[i])
            }
            (Type::Map(et), Value::Map(m)) => {
                self.raw("{");
                for (i, (k, item)) in m.iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    self.str(k)?;
                    self.raw(":");
                    self.path.push(PathStep::ElementKeyString(k.clone()));
                    self.value(item, et)?;
                    self.path.pop();
                }
                self.raw("}");
                Ok(())
            }
            (Type::Object(attrs, _), Value::Object(m)) => {
                if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                    return Err(CodecError::at(
                        "unsupported attribute",
                        &self.path.child_attr(extra.clone()),
                    ));
                }
                self.raw("{");
                for (i, (name, at)) in attrs.iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    self.str(name)?;
                    self.raw(":");
                    self.path.push(PathStep::Attribute(name.clone()));
                    self.value(m.get(name).unwrap_or(&Value::Null), at)?;
                    self.path.pop();
                }
                self.raw("}");
                Ok(())
            }
            (ty, v) => Err(self.err(format!(
                "expected {} value, found {}",
                ty.friendly_name(),
                v.kind_name()
            ))),
        }
    }

    fn dynamic(&mut self, concrete: &Type, inner: &Value) -> Result<(), CodecError> {
        self.raw("{\"type\":");
        let type_json = concrete.to_json_bytes();
        self.out.extend_from_slice(&type_json);
        self.raw(",\"value\":");
        self.value(inner, concrete)?;
        self.raw("}");
        Ok(())
    }

    fn array<'t>(
        &mut self,
        items: &[Value],
        elem: impl Fn(usize) -> &'t Type,
    ) -> Result<(), CodecError> {
        self.raw("[");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.raw(",");
            }
            self.path.push(PathStep::ElementKeyInt(i as i64));
            self.value(item, elem(i))?;
            self.path.pop();
        }
        self.raw("]");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj_ty(attrs: &[(&str, Type)]) -> Type {
        Type::object(attrs.iter().map(|(k, t)| (*k, t.clone())))
    }

    fn enc(v: &Value, ty: &Type) -> String {
        String::from_utf8(encode(v, ty).unwrap()).unwrap()
    }

    fn dec(s: &str, ty: &Type) -> Result<Value, CodecError> {
        decode(s.as_bytes(), ty)
    }

    #[test]
    fn primitives() {
        assert_eq!(enc(&Value::Null, &Type::String), "null");
        assert_eq!(enc(&Value::from("a\"b\n"), &Type::String), r#""a\"b\n""#);
        assert_eq!(enc(&Value::Bool(true), &Type::Bool), "true");
        assert_eq!(enc(&Value::from(-7), &Type::Number), "-7");
        assert_eq!(
            enc(&Value::Number(Number::Float(2.5)), &Type::Number),
            "2.5"
        );
        assert_eq!(
            enc(&Value::Number(Number::Float(3.0)), &Type::Number),
            "3.0"
        );
        assert_eq!(
            enc(&Value::Number(Number::Float(0.1)), &Type::Number),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
        assert_eq!(
            enc(&Value::Number(Number::Big("0.1".into())), &Type::Number),
            "0.1"
        );
        assert!(encode(&Value::Number(Number::Float(f64::INFINITY)), &Type::Number).is_err());
        assert!(encode(&Value::Unknown, &Type::String).is_err());

        assert_eq!(dec(" null ", &Type::Number).unwrap(), Value::Null);
        assert_eq!(
            dec("\"h\\u00e9\\ud83d\\ude00\"", &Type::String).unwrap(),
            Value::from("hé😀")
        );
        assert_eq!(
            dec("\"héllo\"", &Type::String).unwrap(),
            Value::from("héllo")
        );
        assert_eq!(dec("42", &Type::Number).unwrap(), Value::from(42));
        assert_eq!(
            dec("-0.5", &Type::Number).unwrap(),
            Value::Number(Number::Float(-0.5))
        );
        assert_eq!(
            dec("3.0", &Type::Number).unwrap(),
            Value::Number(Number::Float(3.0))
        );
        assert_eq!(
            dec("12345678901234567890123", &Type::Number).unwrap(),
            Value::Number(Number::Big("12345678901234567890123".into()))
        );
        assert_eq!(
            dec("0.1", &Type::Number).unwrap(),
            Value::Number(Number::Big("0.1".into()))
        );
        // go-cty's primitive leniency.
        assert_eq!(dec("\"12\"", &Type::Number).unwrap(), Value::from(12));
        assert_eq!(dec("\"true\"", &Type::Bool).unwrap(), Value::Bool(true));
        assert_eq!(dec("1.50", &Type::String).unwrap(), Value::from("1.50"));
        assert_eq!(dec("false", &Type::String).unwrap(), Value::from("false"));
        assert!(dec("\"yes\"", &Type::Bool).is_err());
        assert!(dec("\"abc\"", &Type::Number).is_err());
    }

    #[test]
    fn objects() {
        let ty = obj_ty(&[
            ("b", Type::Number),
            ("a", Type::String),
            ("c", Type::list(Type::Bool)),
        ]);
        let v = Value::object([
            ("a", Value::from("x")),
            ("c", Value::List(vec![Value::Bool(true)])),
        ]);
        assert_eq!(enc(&v, &ty), r#"{"a":"x","b":null,"c":[true]}"#);
        let back = dec(r#"{"c":[true],"a":"x"}"#, &ty).unwrap();
        assert_eq!(
            back,
            Value::object([
                ("a", Value::from("x")),
                ("b", Value::Null),
                ("c", Value::List(vec![Value::Bool(true)]))
            ])
        );
        let err = dec(r#"{"a":"x","zz":1}"#, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("zz"));
        assert!(dec(r#"{"a":"x","a":"y"}"#, &ty).is_err());
        let err = encode(&Value::object([("q", Value::Null)]), &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("q"));
    }

    #[test]
    fn collections_and_dynamic() {
        let ty = Type::map(Type::Tuple(vec![Type::String, Type::Dynamic]));
        let v = Value::Map(
            [(
                "k".to_string(),
                Value::Tuple(vec![
                    Value::from("s"),
                    Value::Dynamic(
                        Type::list(Type::Number),
                        Box::new(Value::List(vec![Value::from(1)])),
                    ),
                ]),
            )]
            .into_iter()
            .collect(),
        );
        let text = enc(&v, &ty);
        assert_eq!(
            text,
            r#"{"k":["s",{"type":["list","number"],"value":[1]}]}"#
        );
        assert_eq!(dec(&text, &ty).unwrap(), v);
        // Key order in the dynamic wrapper doesn't matter.
        assert_eq!(
            dec(r#"{"value":"x","type":"string"}"#, &Type::Dynamic).unwrap(),
            Value::Dynamic(Type::String, Box::new(Value::from("x")))
        );
        assert!(dec(r#"{"value":"x"}"#, &Type::Dynamic).is_err());
        assert!(dec(r#"{"type":"string"}"#, &Type::Dynamic).is_err());
        assert!(dec(r#"{"type":"string","value":"x","extra":1}"#, &Type::Dynamic).is_err());
        assert!(dec(r#"{"type":"strin","value":"x"}"#, &Type::Dynamic).is_err());
        // Inferred type for a plain primitive.
        assert_eq!(
            enc(&Value::from(true), &Type::Dynamic),
            r#"{"type":"bool","value":true}"#
        );
        // Tuple length.
        assert!(dec(r#"["a"]"#, &Type::Tuple(vec![Type::String, Type::String])).is_err());
        assert_eq!(
            dec("[]", &Type::set(Type::String)).unwrap(),
            Value::Set(vec![])
        );
    }

    #[test]
    fn errors_have_paths_and_no_contents() {
        let ty = obj_ty(&[("xs", Type::list(Type::Number))]);
        let err = dec(r#"{"xs":[1,"topsecret"]}"#, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("xs").child_index(1));
        assert!(!err.to_string().contains("topsecret"), "{err}");
        let err = dec(r#"{"xs":[1,{"p":"topsecret"}]}"#, &ty).unwrap_err();
        assert_eq!(err.message, "expected number, found object");
        let err = dec(r#""topsecret"#, &Type::String).unwrap_err();
        assert!(!err.to_string().contains("topsecret"), "{err}");
    }

    #[test]
    fn malformed_input() {
        for bad in [
            "",
            " ",
            "nul",
            "tru",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{1:2}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "\"abc",
            "\"\\x\"",
            "\"a\u{1}\"",
            "[",
            "{",
            "null null",
            "NaN",
            "\"\\ud800\"",
        ] {
            assert!(dec(bad, &Type::Dynamic).is_err(), "{bad:?}");
            assert!(dec(bad, &Type::list(Type::Number)).is_err(), "{bad:?}");
        }
        assert!(decode(b"\"\xff\"", &Type::String).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = dec(&text, &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("nested"), "{err}");
        let mut ty = Type::String;
        for _ in 0..200 {
            ty = Type::list(ty);
        }
        assert!(dec(&text, &ty).is_err());
    }
}
