//! Property tests for the cty msgpack and JSON codecs.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tfplugin::cty::{json, msgpack, AttributePath, Number, Type, Value};

// ---------------------------------------------------------------------------------------------
// Strategies

fn attr_name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}"
}

/// An arbitrary type, at most `depth` levels of collections deep.
fn arb_type(depth: u32, allow_dynamic: bool) -> BoxedStrategy<Type> {
    let leaf = if allow_dynamic {
        prop_oneof![
            Just(Type::Bool),
            Just(Type::Number),
            Just(Type::String),
            Just(Type::Dynamic)
        ]
        .boxed()
    } else {
        prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)].boxed()
    };
    leaf.prop_recursive(depth, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Type::Tuple),
            (
                prop::collection::btree_map(attr_name(), inner, 0..5),
                any::<prop::sample::Index>()
            )
                .prop_map(|(attrs, pick)| {
                    // Mark at most one attribute optional; the codecs ignore it.
                    let optional: BTreeSet<String> = if attrs.is_empty() {
                        BTreeSet::new()
                    } else {
                        let name = attrs.keys().nth(pick.index(attrs.len())).unwrap().clone();
                        BTreeSet::from([name])
                    };
                    Type::Object(attrs, optional)
                }),
        ]
    })
    .boxed()
}

#[derive(Clone, Copy)]
struct Opts {
    /// Allow `Value::Unknown` (msgpack only).
    unknown: bool,
    /// Allow infinite floats (msgpack only).
    infinity: bool,
    /// How many levels of `dynamic` may nest.
    dynamic_depth: u32,
}

fn arb_float(infinity: bool) -> BoxedStrategy<f64> {
    use prop::num::f64 as F;
    let finite = F::POSITIVE | F::NEGATIVE | F::NORMAL | F::SUBNORMAL | F::ZERO;
    if infinity {
        prop_oneof![9 => finite, 1 => F::INFINITE].boxed()
    } else {
        finite.boxed()
    }
}

fn arb_number(infinity: bool) -> BoxedStrategy<Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        (-1000i64..1000).prop_map(Number::Int),
        arb_float(infinity).prop_map(Number::Float),
        // Odd integers beyond i64: never exact as f64, so they stay Big.
        "-?[1-9][0-9]{19,30}[13579]".prop_map(Number::Big),
        // Decimals ending in 1/3/7/9 are not binary fractions, so they stay Big.
        "-?(0|[1-9][0-9]{0,3})\\.[0-9]{0,6}[1379]".prop_map(Number::Big),
    ]
    .boxed()
}

/// A known value of type `ty` (its children may still be null or unknown per `opts`).
fn arb_known(ty: &Type, opts: Opts) -> BoxedStrategy<Value> {
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number(opts.infinity).prop_map(Value::Number).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::List(et) => prop::collection::vec(arb_value(et, opts), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(et) => prop::collection::vec(arb_value(et, opts), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(et) => prop::collection::btree_map(".{0,6}", arb_value(et, opts), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(ets) => {
            let elems: Vec<_> = ets.iter().map(|t| arb_value(t, opts)).collect();
            elems.prop_map(Value::Tuple).boxed()
        }
        Type::Object(attrs, _) => {
            let entries: Vec<_> = attrs
                .iter()
                .map(|(k, t)| (Just(k.clone()), arb_value(t, opts)))
                .collect();
            entries
                .prop_map(|kvs| Value::Object(kvs.into_iter().collect::<BTreeMap<_, _>>()))
                .boxed()
        }
        Type::Dynamic => {
            let inner_opts = Opts {
                dynamic_depth: opts.dynamic_depth.saturating_sub(1),
                ..opts
            };
            arb_type(2, opts.dynamic_depth > 0)
                .prop_flat_map(move |t| {
                    arb_value(&t, inner_opts)
                        .prop_map(move |v| Value::Dynamic(t.clone(), Box::new(v)))
                })
                .boxed()
        }
    }
}

/// A value of type `ty`: null, unknown (if allowed) or known.
fn arb_value(ty: &Type, opts: Opts) -> BoxedStrategy<Value> {
    if opts.unknown {
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 10 => arb_known(ty, opts)]
            .boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 10 => arb_known(ty, opts)].boxed()
    }
}

const ANY: Opts = Opts {
    unknown: true,
    infinity: true,
    dynamic_depth: 2,
};
const KNOWN: Opts = Opts {
    unknown: false,
    infinity: false,
    dynamic_depth: 2,
};

fn typed_value(opts: Opts) -> impl Strategy<Value = (Type, Value)> {
    arb_type(4, true).prop_flat_map(move |t| {
        let t2 = t.clone();
        arb_value(&t, opts).prop_map(move |v| (t2.clone(), v))
    })
}

/// Types used for decoding garbage.
fn fuzz_types() -> Vec<Type> {
    vec![
        Type::String,
        Type::Number,
        Type::Bool,
        Type::Dynamic,
        Type::list(Type::Dynamic),
        Type::map(Type::set(Type::Number)),
        Type::Tuple(vec![Type::String, Type::Number, Type::Dynamic]),
        Type::object([
            ("a", Type::String),
            (
                "b",
                Type::list(Type::object([("c", Type::Number), ("d", Type::Dynamic)])),
            ),
            ("e", Type::map(Type::Bool)),
        ]),
    ]
}

// ---------------------------------------------------------------------------------------------
// Round trips

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn msgpack_roundtrip((ty, v) in typed_value(ANY)) {
        let bytes = msgpack::encode(&v, &ty).unwrap();
        let back = msgpack::decode(&bytes, &ty).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn json_roundtrip((ty, v) in typed_value(KNOWN)) {
        prop_assert!(v.is_wholly_known());
        let bytes = json::encode(&v, &ty).unwrap();
        let back = json::decode(&bytes, &ty).unwrap();
        prop_assert_eq!(back, v);
    }

    /// JSON output is valid JSON by serde_json's reading too.
    #[test]
    fn json_output_is_json((ty, v) in typed_value(KNOWN)) {
        let bytes = json::encode(&v, &ty).unwrap();
        prop_assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok());
    }

    /// msgpack output is well-formed msgpack by rmpv's reading, with nothing left over.
    #[test]
    fn msgpack_output_is_msgpack((ty, v) in typed_value(ANY)) {
        let bytes = msgpack::encode(&v, &ty).unwrap();
        let mut rd = &bytes[..];
        prop_assert!(rmpv::decode::read_value(&mut rd).is_ok());
        prop_assert!(rd.is_empty());
    }

    /// Leaving an attribute out of an object value encodes the same as setting it null.
    #[test]
    fn absent_attribute_is_null((ty, v) in typed_value(ANY)) {
        if let (Type::Object(..), Value::Object(m)) = (&ty, &v) {
            let without_nulls: BTreeMap<String, Value> =
                m.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), x.clone())).collect();
            let a = msgpack::encode(&v, &ty).unwrap();
            let b = msgpack::encode(&Value::Object(without_nulls.clone()), &ty).unwrap();
            prop_assert_eq!(a, b);
            if v.is_wholly_known() {
                let ja = json::encode(&v, &ty);
                let jb = json::encode(&Value::Object(without_nulls), &ty);
                if let (Ok(ja), Ok(jb)) = (ja, jb) {
                    prop_assert_eq!(ja, jb);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Robustness

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn msgpack_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        for ty in fuzz_types() {
            let _ = msgpack::decode(&bytes, &ty);
        }
    }

    #[test]
    fn json_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        for ty in fuzz_types() {
            let _ = json::decode(&bytes, &ty);
        }
    }

    /// Printable JSON-ish noise reaches deeper into the parser than random bytes.
    #[test]
    fn json_arbitrary_text_never_panics(text in "[\\[\\]{}\",:0-9eE.+\\-a-z\\\\ ]{0,64}") {
        for ty in fuzz_types() {
            let _ = json::decode(text.as_bytes(), &ty);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// msgpack is prefix-free: every strict prefix of a valid encoding is an error.
    #[test]
    fn msgpack_truncated_is_error((ty, v) in typed_value(ANY)) {
        let bytes = msgpack::encode(&v, &ty).unwrap();
        for n in 0..bytes.len() {
            prop_assert!(msgpack::decode(&bytes[..n], &ty).is_err(), "prefix {} of {:02x?}", n, bytes);
        }
        // A trailing byte is an error too.
        let mut longer = bytes.clone();
        longer.push(0xc0);
        prop_assert!(msgpack::decode(&longer, &ty).is_err());
    }

    #[test]
    fn json_truncated_never_panics((ty, v) in typed_value(KNOWN)) {
        let bytes = json::encode(&v, &ty).unwrap();
        for n in 0..bytes.len() {
            let _ = json::decode(&bytes[..n], &ty);
        }
    }

    /// Flipping bytes of a valid encoding never panics, for its own type or a garbage type.
    #[test]
    fn mutated_encodings_never_panic(
        (ty, v) in typed_value(ANY),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = msgpack::encode(&v, &ty).unwrap();
        if !bytes.is_empty() {
            for (at, b) in &edits {
                let i = at.index(bytes.len());
                bytes[i] = *b;
            }
        }
        let _ = msgpack::decode(&bytes, &ty);
        let _ = msgpack::decode(&bytes, &Type::Dynamic);
        if v.is_wholly_known() {
            if let Ok(mut text) = json::encode(&v, &ty) {
                if !text.is_empty() {
                    for (at, b) in &edits {
                        let i = at.index(text.len());
                        text[i] = *b;
                    }
                }
                let _ = json::decode(&text, &ty);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fixed vectors and limits

#[test]
fn known_vectors() {
    // Unknown.
    assert_eq!(
        msgpack::encode(&Value::Unknown, &Type::String).unwrap(),
        [0xd4, 0x00, 0x00]
    );
    // Refined unknown (ext8, 3 bytes, type 12, {1: true}) inside an object.
    let ty = Type::object([("id", Type::String), ("n", Type::Number)]);
    let bytes = [
        0x82, 0xa2, b'i', b'd', 0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3, 0xa1, b'n', 0x2a,
    ];
    assert_eq!(
        msgpack::decode(&bytes, &ty).unwrap(),
        Value::object([("id", Value::Unknown), ("n", Value::from(42))])
    );
    // Re-encoding writes a plain unknown and sorted keys.
    assert_eq!(
        msgpack::encode(&msgpack::decode(&bytes, &ty).unwrap(), &ty).unwrap(),
        [0x82, 0xa2, b'i', b'd', 0xd4, 0x00, 0x00, 0xa1, b'n', 0x2a]
    );
    // Big number as a string.
    let mut big = vec![0xb7];
    big.extend_from_slice(b"12345678901234567890123");
    assert_eq!(
        msgpack::decode(&big, &Type::Number).unwrap(),
        Value::Number(Number::Big("12345678901234567890123".into()))
    );
    // Dynamic: [bin "\"number\"", 7].
    let dynamic = [
        0x92, 0xc4, 0x08, b'"', b'n', b'u', b'm', b'b', b'e', b'r', b'"', 0x07,
    ];
    let v = Value::Dynamic(Type::Number, Box::new(Value::from(7)));
    assert_eq!(msgpack::decode(&dynamic, &Type::Dynamic).unwrap(), v);
    assert_eq!(msgpack::encode(&v, &Type::Dynamic).unwrap(), dynamic);
    assert_eq!(
        json::encode(&v, &Type::Dynamic).unwrap(),
        br#"{"type":"number","value":7}"#
    );
}

#[test]
fn deeply_nested_input_is_an_error() {
    // 10_000 nested arrays against dynamic and against a 300-deep list type.
    let mut deep_list = Type::String;
    for _ in 0..300 {
        deep_list = Type::list(deep_list);
    }
    let mut bytes = vec![0x91; 10_000];
    bytes.push(0xc0);
    assert!(msgpack::decode(&bytes, &deep_list).is_err());
    assert!(msgpack::decode(&bytes, &Type::Dynamic).is_err());
    // Dynamic values nested in dynamic values.
    let mut nested_dynamic = Vec::new();
    for _ in 0..10_000 {
        nested_dynamic.extend_from_slice(&[0x92, 0xc4, 0x09]);
        nested_dynamic.extend_from_slice(b"\"dynamic\"");
    }
    nested_dynamic.push(0xc0);
    assert!(msgpack::decode(&nested_dynamic, &Type::Dynamic).is_err());
    // Deeply nested type JSON inside a dynamic value.
    let type_json = "[\"list\",".repeat(5_000) + "\"string\"" + &"]".repeat(5_000);
    let mut deep_type = vec![0x92, 0xc5];
    deep_type.extend_from_slice(&(type_json.len() as u16).to_be_bytes());
    deep_type.extend_from_slice(type_json.as_bytes());
    deep_type.push(0xc0);
    assert!(msgpack::decode(&deep_type, &Type::Dynamic).is_err());
    // JSON.
    let text = "[".repeat(10_000) + &"]".repeat(10_000);
    assert!(json::decode(text.as_bytes(), &deep_list).is_err());
    assert!(json::decode(text.as_bytes(), &Type::Dynamic).is_err());
    let text = "{\"type\":\"dynamic\",\"value\":".repeat(10_000) + "null" + &"}".repeat(10_000);
    assert!(json::decode(text.as_bytes(), &Type::Dynamic).is_err());
}

#[test]
fn errors_report_paths() {
    let ty = Type::object([("a", Type::list(Type::object([("b", Type::Number)])))]);
    // {"a": [{"b": "x"}]} — "x" is not a number.
    let bytes = [0x81, 0xa1, b'a', 0x91, 0x81, 0xa1, b'b', 0xa1, b'x'];
    let err = msgpack::decode(&bytes, &ty).unwrap_err();
    assert_eq!(
        err.path,
        AttributePath::attr("a").child_index(0).child_attr("b")
    );
    assert_eq!(err.to_string(), "string is not a valid number at a[0].b");
    let err = json::decode(br#"{"a":[{"b":true}]}"#, &ty).unwrap_err();
    assert_eq!(
        err.path,
        AttributePath::attr("a").child_index(0).child_attr("b")
    );
    assert_eq!(err.to_string(), "expected number, found bool at a[0].b");
}
