//! `mcp_proto::example` makes values that fit their schema: for generated
//! schemas (types, bounds, lengths, formats, enums, defaults, unions,
//! nested objects and arrays), the value it makes validates against the
//! schema, formats included, and so do the tool arguments and form answers
//! made for object schemas.

use mcp_proto::example;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::{json, Map, Value};

fn string() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "string"})),
        (0u64..20, 0u64..20).prop_map(|(min, extra)| {
            json!({"type": "string", "minLength": min, "maxLength": min + extra})
        }),
        prop::sample::select(vec![
            "uri",
            "email",
            "date-time",
            "date",
            "uuid",
            "ipv4",
            "ipv6"
        ])
        .prop_map(|f| json!({"type": "string", "format": f})),
        prop::collection::vec("[a-z]{1,6}", 1..4)
            .prop_map(|e| json!({"type": "string", "enum": e})),
        "[a-z]{0,6}".prop_map(|d| json!({"type": "string", "default": d})),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    let kind = prop::sample::select(vec!["integer", "number"]);
    (kind, -50i64..50, 2i64..40, any::<(bool, bool, bool)>()).prop_map(
        |(kind, low, width, (has_min, has_max, exclusive))| {
            let mut s = json!({"type": kind});
            let (min, max) = if exclusive {
                ("exclusiveMinimum", "exclusiveMaximum")
            } else {
                ("minimum", "maximum")
            };
            if has_min {
                s[min] = json!(low);
            }
            if has_max {
                s[max] = json!(low + width);
            }
            s
        },
    )
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        string(),
        number(),
        Just(json!({"type": "boolean"})),
        Just(json!({"type": "null"})),
        Just(json!({"type": ["string", "null"]})),
        Just(json!({"const": "fixed"})),
    ]
}

fn schema() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            (
                prop::collection::btree_map("[a-z]{1,5}", inner.clone(), 0..4),
                any::<u8>()
            )
                .prop_map(|(props, pick)| {
                    let required: Vec<&String> = props
                        .keys()
                        .enumerate()
                        .filter(|(i, _)| pick & (1 << i) != 0)
                        .map(|(_, k)| k)
                        .collect();
                    json!({"type": "object", "properties": props, "required": required})
                }),
            (inner.clone(), 0u64..4).prop_map(|(items, min)| {
                json!({"type": "array", "items": items, "minItems": min})
            }),
            prop::collection::vec(inner, 1..3).prop_map(|alts| json!({"anyOf": alts})),
        ]
    })
}

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(512);
    TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    })
}

fn valid(schema: &Value, value: &Value) -> Result<(), TestCaseError> {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| TestCaseError::fail(format!("the generated schema is bad: {e}")))?;
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    prop_assert!(
        errors.is_empty(),
        "{value} does not fit {schema}: {errors:?}"
    );
    Ok(())
}

#[test]
fn made_up_values_fit_their_schema() {
    runner()
        .run(&schema(), |s| valid(&s, &example::value(&s)))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn tool_arguments_and_form_answers_fit_their_schema() {
    let objects =
        prop::collection::btree_map("[a-z]{1,5}", schema(), 0..5).prop_flat_map(|props| {
            let n = props.len();
            (Just(props), prop::collection::vec(any::<bool>(), n))
        });
    runner()
        .run(&objects, |(props, required)| {
            let names: Vec<&String> = props
                .keys()
                .zip(&required)
                .filter(|(_, r)| **r)
                .map(|(k, _)| k)
                .collect();
            let schema = json!({"type": "object", "properties": props, "required": names});
            let object: Map<String, Value> = schema.as_object().cloned().unwrap_or_default();
            let arguments = Value::Object(example::arguments(&object));
            valid(&schema, &arguments)?;
            // Only the required ones are given.
            prop_assert_eq!(arguments.as_object().map_or(0, Map::len), names.len());
            valid(&schema, &Value::Object(example::form_answer(&object)))
        })
        .unwrap_or_else(|e| panic!("{e}"));
}
