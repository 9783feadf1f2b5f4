//! Property tests of the core plan rules against the invariants Terraform enforces
//! (objchange.AssertPlanValid) and the framework conventions.

use proptest::prelude::*;
use tfplugin::cty::{AttributePath, Value};
use tfplugin::framework::plan;
use tfplugin::schema::{Attribute, Block, Schema};

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .attribute(Attribute::string("force_new").required().requires_replace())
            .attribute(Attribute::string("req").required())
            .attribute(Attribute::string("opt").optional())
            .attribute(Attribute::string("opt_comp").optional().computed())
            .attribute(
                Attribute::string("comp_keep")
                    .computed()
                    .use_state_for_unknown(),
            )
            .attribute(Attribute::string("comp").computed())
            .attribute(Attribute::string("wo").optional().write_only()),
    )
}

fn s() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::from("x")),
        Just(Value::from("y")),
        Just(Value::from(""))
    ]
}

fn maybe() -> impl Strategy<Value = Value> {
    prop_oneof![Just(Value::Null), s()]
}

prop_compose! {
    fn config()(f in s(), r in s(), o in maybe(), oc in maybe(), wo in maybe()) -> Value {
        Value::object([
            ("force_new", f), ("req", r), ("opt", o), ("opt_comp", oc),
            ("comp_keep", Value::Null), ("comp", Value::Null), ("wo", wo),
        ])
    }
}

prop_compose! {
    fn prior()(f in s(), r in s(), o in maybe(), oc in s(), ck in s(), c in s()) -> Value {
        Value::object([
            ("force_new", f), ("req", r), ("opt", o), ("opt_comp", oc),
            ("comp_keep", ck), ("comp", c), ("wo", Value::Null),
        ])
    }
}

/// Terraform's proposed new state: config values, with prior values for computed
/// attributes that are null in config.
fn proposed(prior: &Value, config: &Value) -> Value {
    let mut p = config.clone();
    for (name, computed) in [("opt_comp", true), ("comp_keep", true), ("comp", true)] {
        if computed && config.get(name).is_null() {
            p.set(name, prior.get(name).clone());
        }
    }
    p
}

proptest! {
    #[test]
    fn config_values_are_planned_exactly(prior in prior(), config in config(), creating in any::<bool>()) {
        let prior = if creating { Value::Null } else { prior };
        let p = plan(&schema(), &prior, &config, &proposed(&prior, &config)).planned;
        for name in ["force_new", "req", "opt", "opt_comp"] {
            if !config.get(name).is_null() {
                prop_assert_eq!(p.get(name), config.get(name), "{}", name);
            }
        }
        // Non-computed attributes null in config stay null.
        if config.get("opt").is_null() {
            prop_assert_eq!(p.get("opt"), &Value::Null);
        }
        // Write-only values never reach a plan.
        prop_assert_eq!(p.get("wo"), &Value::Null);
    }

    #[test]
    fn create_leaves_computed_unknown(config in config()) {
        let p = plan(&schema(), &Value::Null, &config, &proposed(&Value::Null, &config));
        prop_assert!(p.requires_replace.is_empty());
        prop_assert_eq!(p.planned.get("comp"), &Value::Unknown);
        prop_assert_eq!(p.planned.get("comp_keep"), &Value::Unknown);
        if config.get("opt_comp").is_null() {
            prop_assert_eq!(p.planned.get("opt_comp"), &Value::Unknown);
        }
    }

    #[test]
    fn unchanged_config_plans_the_prior_state(prior in prior()) {
        let mut config = prior.clone();
        for k in ["comp_keep", "comp"] { config.set(k, Value::Null); }
        let p = plan(&schema(), &prior, &config, &proposed(&prior, &config));
        prop_assert_eq!(p.planned, prior);
        prop_assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn updates_keep_marked_values_and_replace_only_on_force_new(prior in prior(), config in config()) {
        let prop = proposed(&prior, &config);
        let p = plan(&schema(), &prior, &config, &prop);
        prop_assert_eq!(p.planned.get("comp_keep"), prior.get("comp_keep"));
        let changed = prop != prior;
        prop_assert_eq!(p.planned.get("comp") == &Value::Unknown, changed);
        let expect: Vec<AttributePath> = if config.get("force_new") != prior.get("force_new") {
            vec![AttributePath::attr("force_new")]
        } else {
            vec![]
        };
        prop_assert_eq!(p.requires_replace, expect);
    }

    #[test]
    fn destroy_plans_null(prior in prior()) {
        prop_assert_eq!(plan(&schema(), &prior, &Value::Null, &Value::Null).planned, Value::Null);
    }
}

// ---------------------------------------------------------------------------------------------
// The same invariants one level down: a list nested attribute whose elements have a
// requires-replace key, an optional value, a computed value kept from state, a computed
// value and a write-only value.

mod nested {
    use super::*;
    use tfplugin::schema::Nesting;

    fn schema() -> Schema {
        Schema::new(
            Block::new()
                .attribute(Attribute::string("name").required())
                .attribute(
                    Attribute::nested(
                        "items",
                        Nesting::List,
                        vec![
                            Attribute::string("key").required().requires_replace(),
                            Attribute::string("val").optional(),
                            Attribute::string("cid").computed().use_state_for_unknown(),
                            Attribute::string("c2").computed(),
                            Attribute::string("wo").optional().write_only(),
                        ],
                    )
                    .optional(),
                ),
        )
    }

    prop_compose! {
        fn config_item()(key in s(), val in maybe(), wo in maybe()) -> Value {
            Value::object([("key", key), ("val", val), ("cid", Value::Null), ("c2", Value::Null), ("wo", wo)])
        }
    }

    prop_compose! {
        fn prior_item()(key in s(), val in maybe(), cid in s(), c2 in s()) -> Value {
            Value::object([("key", key), ("val", val), ("cid", cid), ("c2", c2), ("wo", Value::Null)])
        }
    }

    fn items(item: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
        prop_oneof![
            1 => Just(Value::Null),
            4 => proptest::collection::vec(item, 0..4).prop_map(Value::List),
        ]
    }

    prop_compose! {
        fn config()(name in s(), items in items(config_item())) -> Value {
            Value::object([("name", name), ("items", items)])
        }
    }

    prop_compose! {
        fn prior()(name in s(), items in items(prior_item())) -> Value {
            Value::object([("name", name), ("items", items)])
        }
    }

    /// Terraform's proposed new state: config, with computed values from the prior element
    /// at the same index.
    fn proposed(prior: &Value, config: &Value) -> Value {
        let mut p = config.clone();
        if let Some(elems) = config.get("items").as_elements() {
            let old = prior.get("items").as_elements().unwrap_or(&[]);
            let elems = elems
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let mut e = e.clone();
                    for k in ["cid", "c2"] {
                        e.set(
                            k,
                            old.get(i).map(|o| o.get(k).clone()).unwrap_or(Value::Null),
                        );
                    }
                    e
                })
                .collect();
            p.set("items", Value::List(elems));
        }
        p
    }

    proptest! {
        #[test]
        fn nested_config_values_are_planned_exactly_and_nothing_is_invented(
            prior in prior(), config in config(), creating in any::<bool>()
        ) {
            let prior = if creating { Value::Null } else { prior };
            let p = plan(&schema(), &prior, &config, &proposed(&prior, &config)).planned;
            match config.get("items").as_elements() {
                None => prop_assert_eq!(p.get("items"), &Value::Null),
                Some(ce) => {
                    let pe = p.get("items").as_elements().unwrap();
                    prop_assert_eq!(pe.len(), ce.len());
                    for (c, e) in ce.iter().zip(pe) {
                        prop_assert_eq!(e.get("key"), c.get("key"));
                        prop_assert_eq!(e.get("val"), c.get("val"));
                        prop_assert_eq!(e.get("wo"), &Value::Null);
                    }
                }
            }
        }

        #[test]
        fn nested_computed_values_are_unknown_on_create(config in config()) {
            let p = plan(&schema(), &Value::Null, &config, &proposed(&Value::Null, &config));
            prop_assert!(p.requires_replace.is_empty());
            for e in p.planned.get("items").as_elements().unwrap_or(&[]) {
                prop_assert_eq!(e.get("cid"), &Value::Unknown);
                prop_assert_eq!(e.get("c2"), &Value::Unknown);
            }
        }

        #[test]
        fn nested_updates_keep_marked_values_by_index_and_replace_on_key_changes(
            prior in prior(), config in config()
        ) {
            let prop = proposed(&prior, &config);
            let p = plan(&schema(), &prior, &config, &prop);
            let changed = !tfplugin::plan::equal(&prop, &prior);
            if !changed {
                prop_assert_eq!(&p.planned, &prior);
            }
            let old = prior.get("items").as_elements().unwrap_or(&[]);
            let mut expect = Vec::new();
            for (i, e) in p.planned.get("items").as_elements().unwrap_or(&[]).iter().enumerate() {
                match old.get(i) {
                    Some(o) => {
                        prop_assert_eq!(e.get("cid"), o.get("cid"), "kept by index");
                        if e.get("key") != o.get("key") {
                            expect.push(AttributePath::attr("items").child_index(i as i64).child_attr("key"));
                        }
                    }
                    None => {
                        prop_assert_eq!(e.get("cid"), &Value::Unknown, "no prior element");
                        expect.push(AttributePath::attr("items").child_index(i as i64).child_attr("key"));
                    }
                }
                prop_assert_eq!(e.get("c2") == &Value::Unknown, changed);
            }
            prop_assert_eq!(p.requires_replace, expect);
        }
    }
}
