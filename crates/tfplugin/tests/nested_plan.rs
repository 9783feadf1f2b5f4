//! The plan engine through nested attributes and nested blocks, the plan modifiers, and the
//! core validation, on plain values (no protobuf).

use tfplugin::cty::{AttributePath, Value};
use tfplugin::diag::Diagnostics;
use tfplugin::framework::{null_object, plan, validate_block};
use tfplugin::schema::{
    Attribute, Block, ModifierRequest, ModifierResponse, NestedBlock, Nesting, PlanModifier, Schema,
};

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .attribute(Attribute::string("name").required().requires_replace())
            .attribute(Attribute::string("description").optional())
            .attribute(Attribute::string("id").computed().use_state_for_unknown())
            .attribute(
                Attribute::nested(
                    "meta",
                    Nesting::Single,
                    vec![
                        Attribute::string("created").computed(),
                        Attribute::string("last_modified").computed(),
                    ],
                )
                .computed(),
            )
            .attribute(
                Attribute::nested(
                    "user",
                    Nesting::Single,
                    vec![
                        Attribute::string("value").required(),
                        Attribute::string("uid").computed(),
                    ],
                )
                .optional(),
            )
            .attribute(
                Attribute::nested(
                    "tags",
                    Nesting::List,
                    vec![
                        Attribute::string("key").required().requires_replace(),
                        Attribute::string("value").optional(),
                        Attribute::string("id").computed().use_state_for_unknown(),
                        Attribute::string("secret").optional().write_only(),
                    ],
                )
                .optional(),
            )
            .attribute(
                Attribute::nested(
                    "labels",
                    Nesting::Map,
                    vec![
                        Attribute::string("text").required(),
                        Attribute::string("hash").computed(),
                    ],
                )
                .optional(),
            )
            .block(NestedBlock::new(
                "rule",
                Nesting::Set,
                Block::new()
                    .attribute(Attribute::number("port").required())
                    .attribute(Attribute::string("proto").optional().requires_replace())
                    .attribute(
                        Attribute::string("rule_id")
                            .computed()
                            .use_state_for_unknown(),
                    ),
            ))
            .block(NestedBlock::new(
                "settings",
                Nesting::Single,
                Block::new()
                    .attribute(Attribute::string("mode").optional().requires_replace_if(
                        "Changing the mode to strict replaces the resource.",
                        |_req, planned| planned.as_str() == Some("strict"),
                    ))
                    .attribute(Attribute::string("etag").computed())
                    .attribute(Attribute::string("secret_wo").optional().write_only()),
            )),
    )
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())))
}

fn s(v: &str) -> Value {
    Value::from(v)
}

fn tag(key: &str, value: Value, id: Value) -> Value {
    obj(&[
        ("key", s(key)),
        ("value", value),
        ("id", id),
        ("secret", Value::Null),
    ])
}

fn rule(port: i64, proto: &str, rule_id: Value) -> Value {
    obj(&[
        ("port", Value::from(port)),
        ("proto", s(proto)),
        ("rule_id", rule_id),
    ])
}

fn settings(mode: &str, etag: Value) -> Value {
    obj(&[
        ("mode", s(mode)),
        ("etag", etag),
        ("secret_wo", Value::Null),
    ])
}

/// A configuration: everything the practitioner writes; computed values null.
fn config() -> Value {
    let mut c = null_object(&schema().block);
    c.set("name", s("n"));
    c.set("description", s("d"));
    c.set("user", obj(&[("value", s("alice")), ("uid", Value::Null)]));
    c.set(
        "tags",
        Value::List(vec![
            tag("a", s("1"), Value::Null),
            tag("b", Value::Null, Value::Null),
        ]),
    );
    c.set(
        "labels",
        Value::Map(
            [(
                "x".to_string(),
                obj(&[("text", s("hello")), ("hash", Value::Null)]),
            )]
            .into(),
        ),
    );
    c.set(
        "rule",
        Value::Set(vec![
            rule(80, "tcp", Value::Null),
            rule(443, "tcp", Value::Null),
        ]),
    );
    c.set("settings", settings("lax", Value::Null));
    c
}

/// The state after creating `config()`: every computed value decided.
fn prior() -> Value {
    let mut p = config();
    p.set("id", s("i1"));
    p.set(
        "meta",
        obj(&[("created", s("t0")), ("last_modified", s("t0"))]),
    );
    p.set("user", obj(&[("value", s("alice")), ("uid", s("u1"))]));
    p.set(
        "tags",
        Value::List(vec![
            tag("a", s("1"), s("tag-a")),
            tag("b", Value::Null, s("tag-b")),
        ]),
    );
    p.set(
        "labels",
        Value::Map(
            [(
                "x".to_string(),
                obj(&[("text", s("hello")), ("hash", s("h1"))]),
            )]
            .into(),
        ),
    );
    p.set(
        "rule",
        Value::Set(vec![rule(80, "tcp", s("r80")), rule(443, "tcp", s("r443"))]),
    );
    p.set("settings", settings("lax", s("e1")));
    p
}

fn path(steps: &str) -> AttributePath {
    // "tags[1].key" style, for readable expectations.
    let mut p = AttributePath::root();
    for part in steps.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, Some(rest.trim_end_matches(']'))),
            None => (part, None),
        };
        p = p.child_attr(name);
        if let Some(i) = index {
            p = match i.parse::<i64>() {
                Ok(n) => p.child_index(n),
                Err(_) => p.child_key(i.trim_matches('"')),
            };
        }
    }
    p
}

#[test]
fn create_marks_nested_computed_values_unknown_and_keeps_config() {
    let c = config();
    let p = plan(&schema(), &Value::Null, &c, &c);
    let v = &p.planned;
    assert!(p.requires_replace.is_empty());
    assert_eq!(v.get("id"), &Value::Unknown);
    assert_eq!(v.get("meta"), &Value::Unknown, "computed nested attribute");
    assert_eq!(v.get("user").get("uid"), &Value::Unknown);
    assert_eq!(v.get("user").get("value"), &s("alice"));
    let tags = v.get("tags").as_elements().unwrap();
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[0].get("id"), &Value::Unknown);
    assert_eq!(tags[0].get("value"), &s("1"));
    assert_eq!(
        tags[1].get("value"),
        &Value::Null,
        "never planned: not computed"
    );
    assert_eq!(v.get("labels").get("x").get("hash"), &Value::Unknown);
    for r in v.get("rule").as_elements().unwrap() {
        assert_eq!(r.get("rule_id"), &Value::Unknown);
    }
    assert_eq!(v.get("settings").get("etag"), &Value::Unknown);
    assert_eq!(v.get("settings").get("mode"), &s("lax"));
}

#[test]
fn write_only_values_are_planned_null_at_every_level() {
    let mut c = config();
    c.set(
        "tags",
        Value::List(vec![obj(&[
            ("key", s("a")),
            ("value", Value::Null),
            ("id", Value::Null),
            ("secret", s("hush")),
        ])]),
    );
    c.set(
        "settings",
        obj(&[
            ("mode", s("lax")),
            ("etag", Value::Null),
            ("secret_wo", s("hush")),
        ]),
    );
    let p = plan(&schema(), &Value::Null, &c, &c);
    assert_eq!(
        p.planned.get("tags").as_elements().unwrap()[0].get("secret"),
        &Value::Null
    );
    assert_eq!(p.planned.get("settings").get("secret_wo"), &Value::Null);
}

/// Terraform's proposed new state for `config` over `prior` in these tests: configuration,
/// with the prior values of computed attributes that configuration leaves null (lists by
/// index, maps by key, sets as given).
fn proposed(prior: &Value, config: &Value) -> Value {
    let mut p = config.clone();
    for name in ["id", "meta"] {
        p.set(name, prior.get(name).clone());
    }
    if let (Some(pu), Some(_)) = (prior.get("user").as_attrs(), config.get("user").as_attrs()) {
        let mut u = config.get("user").clone();
        u.set("uid", pu["uid"].clone());
        p.set("user", u);
    }
    if let Some(ct) = config.get("tags").as_elements() {
        let pt = prior.get("tags").as_elements().unwrap_or(&[]);
        let tags = ct
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut t = t.clone();
                if let Some(old) = pt.get(i) {
                    t.set("id", old.get("id").clone());
                }
                t
            })
            .collect();
        p.set("tags", Value::List(tags));
    }
    if let Some(cl) = config.get("labels").as_attrs() {
        let labels = cl
            .iter()
            .map(|(k, l)| {
                let mut l = l.clone();
                l.set("hash", prior.get("labels").get(k).get("hash").clone());
                (k.clone(), l)
            })
            .collect();
        p.set("labels", Value::Map(labels));
    }
    if let Some(cr) = config.get("rule").as_elements() {
        let pr = prior.get("rule").as_elements().unwrap_or(&[]);
        let rules = cr
            .iter()
            .map(|r| {
                let mut r = r.clone();
                let same =
                    |o: &&Value| o.get("port") == r.get("port") && o.get("proto") == r.get("proto");
                if let Some(old) = pr.iter().find(same) {
                    r.set("rule_id", old.get("rule_id").clone());
                }
                r
            })
            .collect();
        p.set("rule", Value::Set(rules));
    }
    if config.get("settings").as_attrs().is_some() {
        let mut st = config.get("settings").clone();
        st.set("etag", prior.get("settings").get("etag").clone());
        p.set("settings", st);
    }
    p
}

#[test]
fn no_change_plans_the_prior_state() {
    let prior = prior();
    let p = plan(&schema(), &prior, &config(), &proposed(&prior, &config()));
    assert_eq!(p.planned, prior);
    assert!(p.requires_replace.is_empty());
}

#[test]
fn update_marks_nested_computed_unknown_and_keeps_use_state_values() {
    let prior = prior();
    let mut c = config();
    c.set("description", s("changed"));
    let p = plan(&schema(), &prior, &c, &proposed(&prior, &c));
    let v = &p.planned;
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    assert_eq!(v.get("description"), &s("changed"));
    assert_eq!(v.get("id"), &s("i1"), "use state for unknown");
    assert_eq!(v.get("meta"), &Value::Unknown);
    assert_eq!(
        v.get("user").get("uid"),
        &Value::Unknown,
        "a nested computed attribute becomes unknown on update"
    );
    assert_eq!(v.get("user").get("value"), &s("alice"));
    let tags = v.get("tags").as_elements().unwrap();
    assert_eq!(tags[0].get("id"), &s("tag-a"));
    assert_eq!(tags[1].get("id"), &s("tag-b"));
    assert_eq!(v.get("labels").get("x").get("hash"), &Value::Unknown);
    assert_eq!(v.get("settings").get("etag"), &Value::Unknown);
    let mut ids: Vec<&str> = v
        .get("rule")
        .as_elements()
        .unwrap()
        .iter()
        .map(|r| r.get_str("rule_id").unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["r443", "r80"], "set elements matched by value");
}

#[test]
fn new_list_element_gets_unknowns_and_no_prior_value() {
    let prior = prior();
    let mut c = config();
    let mut tags = c.get("tags").as_elements().unwrap().to_vec();
    tags.push(tag("c", s("3"), Value::Null));
    c.set("tags", Value::List(tags));
    let p = plan(&schema(), &prior, &c, &proposed(&prior, &c));
    let tags = p.planned.get("tags").as_elements().unwrap().to_vec();
    assert_eq!(tags[0].get("id"), &s("tag-a"));
    assert_eq!(
        tags[2].get("id"),
        &Value::Unknown,
        "use-state-for-unknown has no prior value for a new element"
    );
    // A requires-replace attribute in an element that did not exist before is a change.
    assert_eq!(p.requires_replace, vec![path("tags[2].key")]);
}

#[test]
fn nested_requires_replace_reports_the_nested_path() {
    let prior = prior();
    let mut c = config();
    c.set(
        "tags",
        Value::List(vec![
            tag("a", s("1"), Value::Null),
            tag("b2", Value::Null, Value::Null),
        ]),
    );
    let p = plan(&schema(), &prior, &c, &proposed(&prior, &c));
    assert_eq!(p.requires_replace, vec![path("tags[1].key")]);
    assert_eq!(p.requires_replace[0].to_string(), "tags[1].key");

    // Top-level and nested together, each once.
    c.set("name", s("n2"));
    let p = plan(&schema(), &prior, &c, &proposed(&prior, &c));
    assert_eq!(p.requires_replace, vec![path("name"), path("tags[1].key")]);
}

#[test]
fn set_nested_blocks_match_prior_elements_by_value() {
    let prior = prior();
    let mut c = config();
    // 443 stays (reordered), 80 goes, 8080 is new (without a proto: adding a proto, a
    // requires-replace attribute, would replace the resource).
    let new_rule = |rule_id: Value| {
        obj(&[
            ("port", Value::from(8080)),
            ("proto", Value::Null),
            ("rule_id", rule_id),
        ])
    };
    c.set(
        "rule",
        Value::Set(vec![new_rule(Value::Null), rule(443, "tcp", Value::Null)]),
    );
    // Terraform fills the matching element's computed value from prior; here the engine
    // also matches one it did not fill, by the values configuration sets.
    for proposed_443 in [rule(443, "tcp", s("r443")), rule(443, "tcp", Value::Null)] {
        let mut prop = proposed(&prior, &c);
        prop.set(
            "rule",
            Value::Set(vec![new_rule(Value::Null), proposed_443]),
        );
        let p = plan(&schema(), &prior, &c, &prop);
        let rules = p.planned.get("rule").as_elements().unwrap().to_vec();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0], new_rule(Value::Unknown), "new element");
        assert_eq!(
            rules[1].get("rule_id"),
            &s("r443"),
            "kept from its prior element"
        );
        assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    }
    // With a proto, the new element asks for replacement (on the set).
    c.set(
        "rule",
        Value::Set(vec![
            rule(8080, "tcp", Value::Null),
            rule(443, "tcp", Value::Null),
        ]),
    );
    let p = plan(&schema(), &prior, &c, &proposed(&prior, &c));
    assert_eq!(p.requires_replace, vec![path("rule")]);
}

#[test]
fn replacement_inside_a_set_is_reported_on_the_set() {
    let prior = prior();
    let mut c = config();
    c.set(
        "rule",
        Value::Set(vec![
            rule(80, "udp", Value::Null),
            rule(443, "tcp", Value::Null),
        ]),
    );
    let p = plan(&schema(), &prior, &c, &proposed(&prior, &c));
    // Terraform cannot apply an index step to a set: the path stops at the set.
    assert_eq!(p.requires_replace, vec![path("rule")]);
}

#[test]
fn requires_replace_if_asks_only_when_its_predicate_holds() {
    let prior = prior();
    let mut c = config();
    c.set("settings", settings("medium", Value::Null));
    let p = plan(&schema(), &prior, &c, &proposed(&prior, &c));
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    assert_eq!(p.planned.get("settings").get("mode"), &s("medium"));

    c.set("settings", settings("strict", Value::Null));
    let p = plan(&schema(), &prior, &c, &proposed(&prior, &c));
    assert_eq!(p.requires_replace, vec![path("settings.mode")]);

    // Never on create.
    let p = plan(&schema(), &Value::Null, &c, &c);
    assert!(p.requires_replace.is_empty());
}

#[test]
fn computed_values_left_to_the_provider_do_not_force_replacement() {
    // A computed, requires-replace attribute that configuration leaves null is unknown on
    // update, but that is the provider's value changing, not the practitioner's.
    let schema = Schema::new(
        Block::new()
            .attribute(Attribute::string("a").required())
            .attribute(
                Attribute::string("zone")
                    .optional()
                    .computed()
                    .requires_replace(),
            ),
    );
    let prior = obj(&[("a", s("1")), ("zone", s("z1"))]);
    let config = obj(&[("a", s("2")), ("zone", Value::Null)]);
    let prop = obj(&[("a", s("2")), ("zone", s("z1"))]);
    let p = plan(&schema, &prior, &config, &prop);
    assert_eq!(p.planned.get("zone"), &Value::Unknown);
    assert!(p.requires_replace.is_empty());
    // A configured value that is unknown may differ: that replaces.
    let config = obj(&[("a", s("2")), ("zone", Value::Unknown)]);
    let prop = obj(&[("a", s("2")), ("zone", Value::Unknown)]);
    let p = plan(&schema, &prior, &config, &prop);
    assert_eq!(p.requires_replace, vec![path("zone")]);
}

#[test]
fn modifiers_have_names_and_descriptions_and_run_in_order() {
    let a = Attribute::string("x")
        .optional()
        .computed()
        .use_state_for_unknown()
        .requires_replace()
        .requires_replace_if("Replaces when x starts with new-.", |_, v| {
            v.as_str().is_some_and(|s| s.starts_with("new-"))
        })
        .plan_modifier(PlanModifier::custom(
            "DefaultX",
            "Plans \"default\" when x is left unknown.",
            |_req: &ModifierRequest<'_>, resp: &mut ModifierResponse| {
                if resp.planned.is_unknown() {
                    resp.planned = Value::from("default");
                }
            },
        ));
    let names: Vec<&str> = a.plan_modifiers.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        [
            "UseStateForUnknown",
            "RequiresReplace",
            "RequiresReplaceIf",
            "DefaultX"
        ]
    );
    let descriptions: Vec<String> = a.plan_modifiers.iter().map(|m| m.description()).collect();
    assert_eq!(
        descriptions,
        [
            "Once set, the value of this attribute in state will not change.",
            "If the value of this attribute changes, Terraform will destroy and recreate the resource.",
            "Replaces when x starts with new-.",
            "Plans \"default\" when x is left unknown.",
        ]
    );
    assert!(a.can_require_replace() && a.uses_state_for_unknown());
    assert_eq!(
        format!("{:?}", a.plan_modifiers[3]),
        "PlanModifier(DefaultX)"
    );

    // On create the custom modifier fills the unknown the engine planned.
    let schema = Schema::new(Block::new().attribute(a));
    let config = obj(&[("x", Value::Null)]);
    let p = plan(&schema, &Value::Null, &config, &config);
    assert_eq!(p.planned.get("x"), &s("default"));
}

#[test]
fn custom_modifier_can_ask_for_replacement() {
    let schema = Schema::new(
        Block::new().attribute(Attribute::string("size").required().plan_modifier(
            PlanModifier::custom(
                "ReplaceOnShrink",
                "Shrinking replaces the resource.",
                |req, resp| {
                    let old = req
                        .prior
                        .and_then(|p| p.as_str())
                        .and_then(|s| s.parse::<u32>().ok());
                    let new = resp.planned.as_str().and_then(|s| s.parse::<u32>().ok());
                    if let (Some(old), Some(new)) = (old, new) {
                        resp.requires_replace = new < old;
                    }
                },
            ),
        )),
    );
    let prior = obj(&[("size", s("10"))]);
    for (size, replace) in [("20", false), ("5", true)] {
        let c = obj(&[("size", s(size))]);
        let p = plan(&schema, &prior, &c, &c);
        assert_eq!(!p.requires_replace.is_empty(), replace, "{size}");
    }
}

fn errors(config: &Value) -> Vec<(String, String)> {
    let mut d = Diagnostics::new();
    validate_block(&schema().block, config, &AttributePath::root(), &mut d);
    d.iter()
        .map(|x| {
            (
                x.attribute
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                x.summary.clone(),
            )
        })
        .collect()
}

#[test]
fn read_only_attributes_set_in_config_are_errors_with_their_paths() {
    assert!(errors(&config()).is_empty());
    let mut c = config();
    c.set("id", s("x"));
    c.set("user", obj(&[("value", s("alice")), ("uid", s("mine"))]));
    c.set(
        "meta",
        obj(&[("created", s("now")), ("last_modified", Value::Null)]),
    );
    c.set("rule", Value::Set(vec![rule(80, "tcp", s("r"))]));
    c.set("settings", settings("lax", s("etag")));
    let got = errors(&c);
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["id", "meta", "user.uid", "rule[0].rule_id", "settings.etag"]
    );
    assert!(got
        .iter()
        .all(|(_, s)| s == "Invalid configuration for read-only attribute"));
}

#[test]
fn required_attributes_set_to_null_are_errors_with_their_paths() {
    let mut c = config();
    c.set("name", Value::Null);
    c.set("user", obj(&[("value", Value::Null), ("uid", Value::Null)]));
    c.set(
        "tags",
        Value::List(vec![
            tag("a", Value::Null, Value::Null),
            obj(&[
                ("key", Value::Null),
                ("value", Value::Null),
                ("id", Value::Null),
                ("secret", Value::Null),
            ]),
        ]),
    );
    c.set(
        "labels",
        Value::Map(
            [(
                "x".to_string(),
                obj(&[("text", Value::Null), ("hash", Value::Null)]),
            )]
            .into(),
        ),
    );
    c.set(
        "rule",
        Value::Set(vec![obj(&[
            ("port", Value::Null),
            ("proto", Value::Null),
            ("rule_id", Value::Null),
        ])]),
    );
    let got = errors(&c);
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "name",
            "user.value",
            "tags[1].key",
            "labels[\"x\"].text",
            "rule[0].port"
        ]
    );
    assert!(got
        .iter()
        .all(|(_, s)| s == "Missing configuration for required attribute"));
}

#[test]
fn unknown_values_are_not_validation_errors() {
    let mut c = config();
    c.set("id", Value::Unknown);
    c.set("name", Value::Unknown);
    c.set("user", Value::Unknown);
    c.set(
        "tags",
        Value::List(vec![obj(&[
            ("key", Value::Unknown),
            ("value", Value::Null),
            ("id", Value::Null),
            ("secret", Value::Null),
        ])]),
    );
    c.set("rule", Value::Unknown);
    assert!(errors(&c).is_empty(), "{:?}", errors(&c));
    // Null nested objects are not looked into.
    let mut c = config();
    c.set("user", Value::Null);
    c.set("settings", Value::Null);
    assert!(errors(&c).is_empty());
}

/// A resource whose `modify_plan` changes the planned value and adds a replacement path,
/// called the way the server calls it: after the core rules, with the whole plan.
struct Renamer;

#[tfplugin::framework::async_trait]
impl tfplugin::framework::Resource for Renamer {
    fn type_name(&self) -> &'static str {
        "test_renamer"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn create(
        &self,
        _req: tfplugin::framework::CreateRequest,
    ) -> tfplugin::framework::ApplyResponse {
        unimplemented!()
    }
    async fn read(
        &self,
        _req: tfplugin::framework::ReadRequest,
    ) -> tfplugin::framework::ReadResponse {
        unimplemented!()
    }
    async fn update(
        &self,
        _req: tfplugin::framework::UpdateRequest,
    ) -> tfplugin::framework::ApplyResponse {
        unimplemented!()
    }
    async fn delete(&self, _req: tfplugin::framework::DeleteRequest) -> Diagnostics {
        unimplemented!()
    }
    fn modify_plan(
        &self,
        ctx: &tfplugin::framework::PlanContext<'_>,
        plan: &mut tfplugin::framework::Plan,
        _diags: &mut Diagnostics,
    ) {
        // Renaming a user replaces the resource, and its description follows the name.
        if ctx.prior.get("user").get("value") != ctx.config.get("user").get("value") {
            plan.require_replace(path("user.value"));
            plan.require_replace(path("user.value"));
        }
        let name = plan.planned.get_str("name").unwrap_or_default().to_string();
        plan.planned.set("description", s(&format!("about {name}")));
    }
}

#[test]
fn resource_modify_plan_changes_the_value_and_adds_replacement_paths() {
    use tfplugin::framework::{PlanContext, Resource};
    let prior = prior();
    let mut c = config();
    c.set("user", obj(&[("value", s("bob")), ("uid", Value::Null)]));
    let prop = proposed(&prior, &c);
    let mut p = plan(&schema(), &prior, &c, &prop);
    assert!(p.requires_replace.is_empty());
    let mut diags = Diagnostics::new();
    Renamer.modify_plan(
        &PlanContext {
            prior: &prior,
            config: &c,
        },
        &mut p,
        &mut diags,
    );
    assert_eq!(p.requires_replace, vec![path("user.value")], "added once");
    assert_eq!(p.planned.get("description"), &s("about n"));
    assert!(diags.is_empty());
}
