//! msgpack encoding of cty values (the DynamicValue.msgpack wire form).
//!
//! The layout follows go-cty: null is nil, an unknown value is any extension (we write
//! `fixext1` type 0), primitives are native msgpack scalars (numbers that are neither an exact
//! int64 nor an exact float64 travel as decimal strings), lists/sets/tuples are arrays,
//! maps/objects are maps with string keys, and a `dynamic` value is `[type JSON, value]`.

use std::collections::BTreeMap;

use rmp::Marker;

use super::number::Decimal;
use super::{AttributePath, CodecError, Number, PathStep, Type, Value};

/// Deepest nesting of values accepted on input (and produced on output).
pub const MAX_DEPTH: usize = 128;

/// The bytes of a plain unknown value: fixext1, extension type 0, payload 0.
const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

/// Decodes a msgpack value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut d = Decoder {
        buf: bytes,
        pos: 0,
        path: AttributePath::root(),
        depth: 0,
    };
    let v = d.value(ty)?;
    if d.pos != d.buf.len() {
        return Err(CodecError::new(format!(
            "unexpected {} trailing bytes after msgpack value",
            d.buf.len() - d.pos
        )));
    }
    Ok(v)
}

/// Encodes `v` as msgpack for type `ty`.
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
// Decoding

/// One msgpack item header; scalar payloads are already read, containers give their length.
enum Head<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    /// Any extension type; the payload has been skipped.
    Ext,
}

impl Head<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Head::Nil => "nil",
            Head::Bool(_) => "bool",
            Head::Int(_) | Head::Uint(_) => "integer",
            Head::Float(_) => "float",
            Head::Str(_) => "string",
            Head::Bin(_) => "binary",
            Head::Array(_) => "array",
            Head::Map(_) => "map",
            Head::Ext => "extension",
        }
    }
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    path: AttributePath,
    depth: usize,
}

impl<'a> Decoder<'a> {
    fn err(&self, msg: impl Into<String>) -> CodecError {
        CodecError::at(msg, &self.path)
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(self.err("unexpected end of msgpack input"));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn len16(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(u16::from_be_bytes(self.be()?)))
    }

    fn len32(&mut self) -> Result<usize, CodecError> {
        usize::try_from(u32::from_be_bytes(self.be()?)).map_err(|_| self.err("length too large"))
    }

    /// Reads one item header (and the payload of scalars).
    fn head(&mut self) -> Result<Head<'a>, CodecError> {
        let marker = Marker::from_u8(self.u8()?);
        Ok(match marker {
            Marker::Null => Head::Nil,
            Marker::True => Head::Bool(true),
            Marker::False => Head::Bool(false),
            Marker::FixPos(n) => Head::Int(i64::from(n)),
            Marker::FixNeg(n) => Head::Int(i64::from(n)),
            Marker::U8 => Head::Int(i64::from(self.u8()?)),
            Marker::U16 => Head::Int(i64::from(u16::from_be_bytes(self.be()?))),
            Marker::U32 => Head::Int(i64::from(u32::from_be_bytes(self.be()?))),
            Marker::U64 => Head::Uint(u64::from_be_bytes(self.be()?)),
            Marker::I8 => Head::Int(i64::from(i8::from_be_bytes(self.be()?))),
            Marker::I16 => Head::Int(i64::from(i16::from_be_bytes(self.be()?))),
            Marker::I32 => Head::Int(i64::from(i32::from_be_bytes(self.be()?))),
            Marker::I64 => Head::Int(i64::from_be_bytes(self.be()?)),
            Marker::F32 => Head::Float(f64::from(f32::from_be_bytes(self.be()?))),
            Marker::F64 => Head::Float(f64::from_be_bytes(self.be()?)),
            Marker::FixStr(n) => Head::Str(self.take(usize::from(n))?),
            Marker::Str8 => {
                let n = usize::from(self.u8()?);
                Head::Str(self.take(n)?)
            }
            Marker::Str16 => {
                let n = self.len16()?;
                Head::Str(self.take(n)?)
            }
            Marker::Str32 => {
                let n = self.len32()?;
                Head::Str(self.take(n)?)
            }
            Marker::Bin8 => {
                let n = usize::from(self.u8()?);
                Head::Bin(self.take(n)?)
            }
            Marker::Bin16 => {
                let n = self.len16()?;
                Head::Bin(self.take(n)?)
            }
            Marker::Bin32 => {
                let n = self.len32()?;
                Head::Bin(self.take(n)?)
            }
            Marker::FixArray(n) => Head::Array(usize::from(n)),
            Marker::Array16 => Head::Array(self.len16()?),
            Marker::Array32 => Head::Array(self.len32()?),
            Marker::FixMap(n) => Head::Map(usize::from(n)),
            Marker::Map16 => Head::Map(self.len16()?),
            Marker::Map32 => Head::Map(self.len32()?),
            Marker::FixExt1 => self.skip_ext(1)?,
            Marker::FixExt2 => self.skip_ext(2)?,
            Marker::FixExt4 => self.skip_ext(4)?,
            Marker::FixExt8 => self.skip_ext(8)?,
            Marker::FixExt16 => self.skip_ext(16)?,
            Marker::Ext8 => {
                let n = usize::from(self.u8()?);
                self.skip_ext(n)?
            }
            Marker::Ext16 => {
                let n = self.len16()?;
                self.skip_ext(n)?
            }
            Marker::Ext32 => {
                let n = self.len32()?;
                self.skip_ext(n)?
            }
            Marker::Reserved => return Err(self.err("invalid msgpack marker 0xc1")),
        })
    }

    /// Skips an extension's type byte and `len` payload bytes. Every extension is an unknown
    /// value; a refined unknown (type 12) carries refinements we do not keep.
    fn skip_ext(&mut self, len: usize) -> Result<Head<'a>, CodecError> {
        self.take(1)?;
        self.take(len)?;
        Ok(Head::Ext)
    }

    /// Checks a container length against the input left (each item takes at least a byte),
    /// so a forged length cannot make us allocate or loop beyond the input.
    fn check_len(&self, items: usize, per_item: usize) -> Result<(), CodecError> {
        match items.checked_mul(per_item) {
            Some(n) if n <= self.remaining() => Ok(()),
            _ => Err(self.err("msgpack length exceeds the input")),
        }
    }

    fn value(&mut self, ty: &Type) -> Result<Value, CodecError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(format!("value nested more than {MAX_DEPTH} levels deep")));
        }
        self.depth += 1;
        let head = self.head()?;
        let v = self.value_from(head, ty)?;
        self.depth -= 1;
        Ok(v)
    }

    fn mismatch(&self, ty: &Type, head: &Head) -> CodecError {
        self.err(format!(
            "expected {}, found {}",
            ty.friendly_name(),
            head.kind()
        ))
    }

    fn value_from(&mut self, head: Head<'a>, ty: &Type) -> Result<Value, CodecError> {
        match head {
            Head::Nil => return Ok(Value::Null),
            Head::Ext => return Ok(Value::Unknown),
            _ => {}
        }
        match ty {
            Type::Bool => match head {
                Head::Bool(b) => Ok(Value::Bool(b)),
                h => Err(self.mismatch(ty, &h)),
            },
            Type::Number => self.number(head).map(Value::Number),
            Type::String => match head {
                Head::Str(b) | Head::Bin(b) => std::str::from_utf8(b)
                    .map(|s| Value::String(s.to_owned()))
                    .map_err(|_| self.err("string is not valid UTF-8")),
                h => Err(self.mismatch(ty, &h)),
            },
            Type::List(et) => self.elements(head, ty, |_| et).map(Value::List),
            Type::Set(et) => self.elements(head, ty, |_| et).map(Value::Set),
            Type::Tuple(ets) => {
                if let Head::Array(n) = head {
                    if n != ets.len() {
                        return Err(self.err(format!(
                            "expected tuple of {} elements, found {n}",
                            ets.len()
                        )));
                    }
                }
                self.elements(head, ty, |i| &ets[i]).map(Value::Tuple)
            }
            Type::Map(et) => {
                let n = match head {
                    Head::Map(n) => n,
                    h => return Err(self.mismatch(ty, &h)),
                };
                self.check_len(n, 2)?;
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let key = self.key()?;
                    self.path.push(PathStep::ElementKeyString(key.clone()));
                    if m.contains_key(&key) {
                        return Err(self.err("duplicate map key"));
                    }
                    let v = self.value(et)?;
                    self.path.pop();
                    m.insert(key, v);
                }
                Ok(Value::Map(m))
            }
            Type::Object(attrs, _) => {
                let n = match head {
                    Head::Map(n) => n,
                    h => return Err(self.mismatch(ty, &h)),
                };
                self.check_len(n, 2)?;
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let key = self.key()?;
                    self.path.push(PathStep::Attribute(key.clone()));
                    let Some(at) = attrs.get(&key) else {
                        return Err(self.err("unsupported attribute"));
                    };
                    if m.contains_key(&key) {
                        return Err(self.err("duplicate attribute"));
                    }
                    let v = self.value(at)?;
                    self.path.pop();
                    m.insert(key, v);
                }
                for name in attrs.keys() {
                    if !m.contains_key(name) {
                        m.insert(name.clone(), Value::Null);
                    }
                }
                Ok(Value::Object(m))
            }
            Type::Dynamic => {
                match head {
                    Head::Array(2) => {}
                    Head::Array(n) => {
                        return Err(self.err(format!(
                            "dynamic value must be a [type, value] array, found {n} elements"
                        )))
                    }
                    h => return Err(self.mismatch(ty, &h)),
                }
                let type_json = match self.head()? {
                    Head::Str(b) | Head::Bin(b) => b,
                    h => {
                        return Err(self.err(format!(
                            "expected type JSON in dynamic value, found {}",
                            h.kind()
                        )))
                    }
                };
                let json: serde_json::Value = serde_json::from_slice(type_json)
                    .map_err(|_| self.err("dynamic value type is not valid JSON"))?;
                let concrete = Type::from_json(&json).map_err(|e| self.err(e.message))?;
                let v = self.value(&concrete)?;
                Ok(Value::Dynamic(concrete, Box::new(v)))
            }
        }
    }

    /// Reads array elements, element `i` with type `elem(i)`.
    fn elements<'t>(
        &mut self,
        head: Head<'a>,
        ty: &Type,
        elem: impl Fn(usize) -> &'t Type,
    ) -> Result<Vec<Value>, CodecError> {
        let n = match head {
            Head::Array(n) => n,
            h => return Err(self.mismatch(ty, &h)),
        };
        self.check_len(n, 1)?;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            self.path.push(PathStep::ElementKeyInt(i as i64));
            let v = self.value(elem(i))?;
            self.path.pop();
            out.push(v);
        }
        Ok(out)
    }

    fn key(&mut self) -> Result<String, CodecError> {
        match self.head()? {
            Head::Str(b) => std::str::from_utf8(b)
                .map(str::to_owned)
                .map_err(|_| self.err("map key is not valid UTF-8")),
            h => Err(self.err(format!("expected string map key, found {}", h.kind()))),
        }
    }

    fn number(&self, head: Head) -> Result<Number, CodecError> {
        match head {
            Head::Int(i) => Ok(Number::Int(i)),
            Head::Uint(u) => Ok(i64::try_from(u)
                .map(Number::Int)
                .unwrap_or_else(|_| Number::Big(u.to_string()))),
            Head::Float(f) if f.is_nan() => Err(self.err("NaN is not a valid number")),
            Head::Float(f) => Ok(Number::Float(f)),
            Head::Str(b) => std::str::from_utf8(b)
                .ok()
                .and_then(Number::parse)
                .ok_or_else(|| self.err("string is not a valid number")),
            h => Err(self.mismatch(&Type::Number, &h)),
        }
    }
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

    /// Maps a write error (writing to a `Vec` cannot fail) into a codec error.
    fn w<T, E>(&self, r: Result<T, E>) -> Result<(), CodecError> {
        r.map(|_| ()).map_err(|_| self.err("msgpack write failed"))
    }

    fn len32(&self, n: usize) -> Result<u32, CodecError> {
        u32::try_from(n).map_err(|_| self.err("value too large for msgpack"))
    }

    fn str(&mut self, s: &str) -> Result<(), CodecError> {
        self.len32(s.len())?;
        let r = rmp::encode::write_str(&mut self.out, s);
        self.w(r)
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
                let r = rmp::encode::write_nil(&mut self.out);
                self.w(r)
            }
            (_, Value::Unknown) => {
                self.out.extend_from_slice(&UNKNOWN);
                Ok(())
            }
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
                let r = rmp::encode::write_bool(&mut self.out, *b);
                self.w(r)
            }
            (Type::Number, Value::Number(n)) => self.number(n),
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
                let n = self.len32(m.len())?;
                let r = rmp::encode::write_map_len(&mut self.out, n);
                self.w(r)?;
                for (k, item) in m {
                    self.str(k)?;
                    self.path.push(PathStep::ElementKeyString(k.clone()));
                    self.value(item, et)?;
                    self.path.pop();
                }
                Ok(())
            }
            (Type::Object(attrs, _), Value::Object(m)) => {
                if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                    return Err(CodecError::at(
                        "unsupported attribute",
                        &self.path.child_attr(extra.clone()),
                    ));
                }
                let n = self.len32(attrs.len())?;
                let r = rmp::encode::write_map_len(&mut self.out, n);
                self.w(r)?;
                for (name, at) in attrs {
                    self.str(name)?;
                    self.path.push(PathStep::Attribute(name.clone()));
                    self.value(m.get(name).unwrap_or(&Value::Null), at)?;
                    self.path.pop();
                }
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
        let r = rmp::encode::write_array_len(&mut self.out, 2);
        self.w(r)?;
        let type_json = concrete.to_json_bytes();
        self.len32(type_json.len())?;
        let r = rmp::encode::write_bin(&mut self.out, &type_json);
        self.w(r)?;
        self.value(inner, concrete)
    }

    fn array<'t>(
        &mut self,
        items: &[Value],
        elem: impl Fn(usize) -> &'t Type,
    ) -> Result<(), CodecError> {
        let n = self.len32(items.len())?;
        let r = rmp::encode::write_array_len(&mut self.out, n);
        self.w(r)?;
        for (i, item) in items.iter().enumerate() {
            self.path.push(PathStep::ElementKeyInt(i as i64));
            self.value(item, elem(i))?;
            self.path.pop();
        }
        Ok(())
    }

    fn number(&mut self, n: &Number) -> Result<(), CodecError> {
        match n {
            Number::Int(i) => {
                let r = rmp::encode::write_sint(&mut self.out, *i);
                self.w(r)
            }
            Number::Float(f) if f.is_nan() => Err(self.err("NaN is not a valid number")),
            Number::Float(f) => {
                let r = rmp::encode::write_f64(&mut self.out, *f);
                self.w(r)
            }
            Number::Big(text) => match Decimal::parse(text) {
                Some((d, _)) => self.str(&d.to_text(false)),
                None => Err(self.err("invalid number text")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn obj_ty(attrs: &[(&str, Type)]) -> Type {
        Type::object(attrs.iter().map(|(k, t)| (*k, t.clone())))
    }

    fn roundtrip(v: &Value, ty: &Type) {
        let bytes = encode(v, ty).unwrap();
        assert_eq!(&decode(&bytes, ty).unwrap(), v, "bytes {bytes:02x?}");
    }

    #[test]
    fn unknown_is_fixext1_type0() {
        for ty in [
            Type::String,
            Type::Dynamic,
            Type::list(Type::Number),
            obj_ty(&[]),
        ] {
            assert_eq!(
                encode(&Value::Unknown, &ty).unwrap(),
                vec![0xd4, 0x00, 0x00]
            );
            assert_eq!(decode(&[0xd4, 0x00, 0x00], &ty).unwrap(), Value::Unknown);
        }
    }

    #[test]
    fn null_is_nil() {
        assert_eq!(encode(&Value::Null, &Type::Dynamic).unwrap(), vec![0xc0]);
        assert_eq!(
            decode(&[0xc0], &obj_ty(&[("a", Type::String)])).unwrap(),
            Value::Null
        );
        assert_eq!(decode(&[0xc0], &Type::Dynamic).unwrap(), Value::Null);
    }

    #[test]
    fn refined_unknown_decodes_as_unknown() {
        // ext8, length 3, type 12, payload {1: true} (definitely not null).
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3];
        assert_eq!(decode(&refined, &Type::String).unwrap(), Value::Unknown);
        // A longer refinement: {2: "pre", 5: 1} is 8 bytes; as ext8 (go-cty's choice) and as
        // fixext8 (another encoder's).
        let prefix = [
            0xc7, 0x08, 0x0c, 0x82, 0x02, 0xa3, b'p', b'r', b'e', 0x05, 0x01,
        ];
        assert_eq!(decode(&prefix, &Type::String).unwrap(), Value::Unknown);
        let prefix = [0xd7, 0x0c, 0x82, 0x02, 0xa3, b'p', b'r', b'e', 0x05, 0x01];
        assert_eq!(decode(&prefix, &Type::String).unwrap(), Value::Unknown);
        // Inside an object, followed by another attribute: the payload must be skipped exactly.
        let ty = obj_ty(&[("a", Type::String), ("b", Type::Bool)]);
        let mut bytes = vec![0x82, 0xa1, b'a'];
        bytes.extend_from_slice(&refined);
        bytes.extend_from_slice(&[0xa1, b'b', 0xc3]);
        assert_eq!(
            decode(&bytes, &ty).unwrap(),
            Value::object([("a", Value::Unknown), ("b", Value::Bool(true))])
        );
        // Other extension shapes are unknown too.
        for ext in [
            &[0xd5, 0x0c, 0x80, 0x00][..],
            &[0xd6, 0x01, 1, 2, 3, 4],
            &[0xd7, 0x00, 1, 2, 3, 4, 5, 6, 7, 8],
            &[0xc8, 0x00, 0x01, 0x0c, 0x80],
            &[0xc9, 0x00, 0x00, 0x00, 0x00, 0x05],
        ] {
            assert_eq!(
                decode(ext, &Type::Number).unwrap(),
                Value::Unknown,
                "{ext:02x?}"
            );
        }
        // A truncated extension payload is an error.
        assert!(decode(&[0xc7, 0x05, 0x0c, 0x81, 0x01, 0xc3], &Type::String).is_err());
    }

    #[test]
    fn object_encodes_all_attributes_sorted() {
        let ty = obj_ty(&[
            ("zeta", Type::Number),
            ("alpha", Type::String),
            ("mid", Type::Bool),
        ]);
        let v = Value::object([("zeta", Value::from(1)), ("alpha", Value::from("x"))]);
        let bytes = encode(&v, &ty).unwrap();
        let expected = [
            0x83, // map of 3
            0xa5, b'a', b'l', b'p', b'h', b'a', 0xa1, b'x', // alpha: "x"
            0xa3, b'm', b'i', b'd', 0xc0, // mid: nil (absent in the value)
            0xa4, b'z', b'e', b't', b'a', 0x01, // zeta: 1
        ];
        assert_eq!(bytes, expected);
        let back = decode(&bytes, &ty).unwrap();
        assert_eq!(
            back,
            Value::object([
                ("alpha", Value::from("x")),
                ("mid", Value::Null),
                ("zeta", Value::from(1))
            ])
        );
    }

    #[test]
    fn object_decode_is_lenient_about_missing_and_strict_about_extra() {
        let ty = obj_ty(&[("a", Type::String), ("b", Type::String)]);
        // Only "b", in any order.
        let v = decode(&[0x81, 0xa1, b'b', 0xa1, b'y'], &ty).unwrap();
        assert_eq!(
            v,
            Value::object([("a", Value::Null), ("b", Value::from("y"))])
        );
        // Empty map → object of nulls.
        assert_eq!(
            decode(&[0x80], &ty).unwrap(),
            Value::object([("a", Value::Null), ("b", Value::Null)])
        );
        let err = decode(&[0x81, 0xa1, b'c', 0xc0], &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("c"));
        assert!(err.message.contains("unsupported attribute"));
        // Duplicate attribute.
        assert!(decode(&[0x82, 0xa1, b'a', 0xc0, 0xa1, b'a', 0xc0], &ty).is_err());
        // Encoding an attribute the type lacks is an error with its path.
        let err = encode(&Value::object([("zz", Value::Null)]), &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("zz"));
    }

    #[test]
    fn numbers() {
        let big = "12345678901234567890123";
        let mut bytes = vec![0xb7];
        bytes.extend_from_slice(big.as_bytes());
        assert_eq!(
            decode(&bytes, &Type::Number).unwrap(),
            Value::Number(Number::Big(big.into()))
        );
        assert_eq!(
            encode(&Value::Number(Number::Big(big.into())), &Type::Number).unwrap(),
            bytes
        );
        // Ints use the smallest encoding.
        assert_eq!(encode(&Value::from(5), &Type::Number).unwrap(), vec![0x05]);
        assert_eq!(encode(&Value::from(-1), &Type::Number).unwrap(), vec![0xff]);
        assert_eq!(
            encode(&Value::from(300), &Type::Number).unwrap(),
            vec![0xcd, 0x01, 0x2c]
        );
        // Floats are float64.
        let f = encode(&Value::Number(Number::Float(1.5)), &Type::Number).unwrap();
        assert_eq!(f, [&[0xcb][..], &1.5f64.to_be_bytes()].concat());
        // uint64 beyond i64 → Big; within → Int.
        let u = [&[0xcf][..], &u64::MAX.to_be_bytes()].concat();
        assert_eq!(
            decode(&u, &Type::Number).unwrap(),
            Value::Number(Number::Big(u64::MAX.to_string()))
        );
        let u = [&[0xcf][..], &7u64.to_be_bytes()].concat();
        assert_eq!(decode(&u, &Type::Number).unwrap(), Value::from(7));
        // float32.
        let f32b = [&[0xca][..], &0.25f32.to_be_bytes()].concat();
        assert_eq!(
            decode(&f32b, &Type::Number).unwrap(),
            Value::Number(Number::Float(0.25))
        );
        // Infinity is a float; NaN is rejected.
        roundtrip(&Value::Number(Number::Float(f64::INFINITY)), &Type::Number);
        roundtrip(
            &Value::Number(Number::Float(f64::NEG_INFINITY)),
            &Type::Number,
        );
        assert!(encode(&Value::Number(Number::Float(f64::NAN)), &Type::Number).is_err());
        let nan = [&[0xcb][..], &f64::NAN.to_be_bytes()].concat();
        assert!(decode(&nan, &Type::Number).is_err());
        // Decimal strings.
        assert_eq!(
            decode(&[0xa2, b'4', b'2'], &Type::Number).unwrap(),
            Value::from(42)
        );
        assert_eq!(
            decode(&[0xa3, b'0', b'.', b'5'], &Type::Number).unwrap(),
            Value::Number(Number::Float(0.5))
        );
        assert_eq!(
            decode(&[0xa3, b'0', b'.', b'1'], &Type::Number).unwrap(),
            Value::Number(Number::Big("0.1".into()))
        );
        let err = decode(&[0xa3, b'a', b'b', b'c'], &Type::Number).unwrap_err();
        assert!(!err.message.contains("abc"));
        assert!(encode(&Value::Number(Number::Big("nope".into())), &Type::Number).is_err());
    }

    #[test]
    fn dynamic_values() {
        let v = Value::Dynamic(Type::String, Box::new(Value::from("hi")));
        let bytes = encode(&v, &Type::Dynamic).unwrap();
        let expected = [
            0x92, // array of 2
            0xc4, 0x08, b'"', b's', b't', b'r', b'i', b'n', b'g', b'"', // bin "\"string\""
            0xa2, b'h', b'i',
        ];
        assert_eq!(bytes, expected);
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), v);
        // The type JSON may arrive as str.
        let as_str = [
            0x92, 0xa8, b'"', b's', b't', b'r', b'i', b'n', b'g', b'"', 0xa2, b'h', b'i',
        ];
        assert_eq!(decode(&as_str, &Type::Dynamic).unwrap(), v);
        // A plain primitive in a dynamic slot gets its type inferred.
        assert_eq!(
            encode(&Value::from("hi"), &Type::Dynamic).unwrap(),
            expected
        );
        assert!(encode(&Value::List(vec![]), &Type::Dynamic).is_err());
        // Dynamic inside an object, with a complex concrete type.
        let ty = obj_ty(&[("d", Type::Dynamic)]);
        let inner_ty = Type::list(obj_ty(&[("n", Type::Number)]));
        let v = Value::object([(
            "d",
            Value::Dynamic(
                inner_ty,
                Box::new(Value::List(vec![
                    Value::object([("n", Value::from(3))]),
                    Value::Unknown,
                ])),
            ),
        )]);
        roundtrip(&v, &ty);
        // A typed null and a typed unknown in a dynamic slot.
        roundtrip(
            &Value::Dynamic(Type::Number, Box::new(Value::Null)),
            &Type::Dynamic,
        );
        roundtrip(
            &Value::Dynamic(Type::Number, Box::new(Value::Unknown)),
            &Type::Dynamic,
        );
        // Bad shapes.
        assert!(decode(&[0x91, 0xc0], &Type::Dynamic).is_err());
        assert!(decode(&[0x92, 0xa3, b'b', b'a', b'd', 0xc0], &Type::Dynamic).is_err());
        assert!(decode(&[0x92, 0x01, 0xc0], &Type::Dynamic).is_err());
        assert!(decode(&[0xa1, b'x'], &Type::Dynamic).is_err());
    }

    #[test]
    fn collections() {
        roundtrip(
            &Value::List(vec![Value::from("a"), Value::Null, Value::Unknown]),
            &Type::list(Type::String),
        );
        roundtrip(
            &Value::Set(vec![Value::from(1), Value::from(1)]),
            &Type::set(Type::Number),
        );
        let mut m = BTreeMap::new();
        m.insert("k".to_string(), Value::Bool(false));
        m.insert("u".to_string(), Value::Unknown);
        roundtrip(&Value::Map(m), &Type::map(Type::Bool));
        let tt = Type::Tuple(vec![Type::String, Type::Number]);
        roundtrip(&Value::Tuple(vec![Value::from("a"), Value::from(2)]), &tt);
        assert!(encode(&Value::Tuple(vec![Value::from("a")]), &tt).is_err());
        assert!(decode(&[0x91, 0xa1, b'a'], &tt).is_err());
        roundtrip(&Value::Tuple(vec![]), &Type::Tuple(vec![]));
        // Optional-attribute markers on the type don't matter to the codec.
        let ty = Type::Object(
            [("a".to_string(), Type::String)].into_iter().collect(),
            BTreeSet::from(["a".to_string()]),
        );
        roundtrip(&Value::object([("a", Value::Null)]), &ty);
    }

    #[test]
    fn mismatches_carry_paths_but_not_contents() {
        let ty = obj_ty(&[("tags", Type::map(Type::list(Type::String)))]);
        // {"tags": {"k": ["ok", 5]}}
        let bytes = [
            0x81, 0xa4, b't', b'a', b'g', b's', 0x81, 0xa1, b'k', 0x92, 0xa2, b'o', b'k', 0x05,
        ];
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(
            err.path,
            AttributePath(vec![
                PathStep::Attribute("tags".into()),
                PathStep::ElementKeyString("k".into()),
                PathStep::ElementKeyInt(1),
            ])
        );
        assert_eq!(err.message, "expected string, found integer");
        // A secret string where a number is expected: the message must not show it.
        let err = decode(&[0xa6, b's', b'e', b'c', b'r', b'e', b't'], &Type::Bool).unwrap_err();
        assert!(!err.to_string().contains("secret"));
        // Encoding: wrong variant for the type.
        let v = Value::object([(
            "tags",
            Value::Map(
                [("k".to_string(), Value::Set(vec![]))]
                    .into_iter()
                    .collect(),
            ),
        )]);
        let err = encode(&v, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("tags").child_key("k"));
        assert_eq!(err.message, "expected list of string value, found set");
        let err = encode(&Value::from("secret"), &Type::Number).unwrap_err();
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn malformed_input() {
        // Empty input, trailing bytes, reserved marker, bad UTF-8, non-string keys.
        assert!(decode(&[], &Type::String).is_err());
        assert!(decode(&[0xc0, 0xc0], &Type::String).is_err());
        assert!(decode(&[0xc1], &Type::String).is_err());
        assert!(decode(&[0xa2, 0xff, 0xfe], &Type::String).is_err());
        assert!(decode(&[0x81, 0x01, 0xc0], &Type::map(Type::String)).is_err());
        // Huge lengths with no data behind them are errors, not allocations.
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::String)).is_err());
        assert!(decode(&[0xdf, 0xff, 0xff, 0xff, 0xff], &Type::map(Type::String)).is_err());
        assert!(decode(&[0xdb, 0xff, 0xff, 0xff, 0xff], &Type::String).is_err());
        assert!(decode(&[0xc9, 0xff, 0xff, 0xff, 0xff, 0x00], &Type::String).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error() {
        // [["dynamic"-typed value nested in itself]] ... 10_000 levels.
        let mut bytes = Vec::new();
        for _ in 0..10_000 {
            bytes.extend_from_slice(&[0x92, 0xa9]);
            bytes.extend_from_slice(b"\"dynamic\"");
        }
        bytes.push(0xc0);
        let err = decode(&bytes, &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("nested"), "{err}");
        // Encoding refuses absurd depth too.
        let mut v = Value::Null;
        for _ in 0..200 {
            v = Value::Dynamic(Type::Dynamic, Box::new(v));
        }
        assert!(encode(&v, &Type::Dynamic).is_err());
    }
}
