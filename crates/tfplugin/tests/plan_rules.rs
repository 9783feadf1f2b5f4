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
