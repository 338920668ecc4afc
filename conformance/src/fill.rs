//! Plausible values for a JSON schema: tool arguments the client has to
//! make up, and the answers a scripted "user" gives to elicitations.
//!
//! A value the schema states (`default`, `const`, the first `enum` member)
//! wins; otherwise the type decides. The conformance servers check shapes
//! and defaults, not meanings, so any valid value does.

use mcp_switch::mcp_proto::model::JsonObject;
use serde_json::{json, Value};

/// Arguments for a tool: every required property of its input schema.
pub(crate) fn arguments(schema: &JsonObject) -> JsonObject {
    object(schema, false)
}

/// A form answer: every property of the requested schema, each at its
/// default when it has one (SEP-1034: the client applies defaults).
pub(crate) fn form_answer(schema: &JsonObject) -> JsonObject {
    object(schema, true)
}

fn object(schema: &JsonObject, all: bool) -> JsonObject {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = JsonObject::new();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return out;
    };
    for (name, prop) in props {
        if all || required.contains(&name.as_str()) {
            out.insert(name.clone(), value(prop));
        }
    }
    out
}

/// A value that fits `schema` (bounded: nested objects are filled by their
/// required properties only, so a recursive schema ends).
pub(crate) fn value(schema: &Value) -> Value {
    value_at(schema, 0)
}

fn value_at(schema: &Value, depth: usize) -> Value {
    let Some(s) = schema.as_object() else {
        return json!("test");
    };
    if let Some(v) = s.get("default").or_else(|| s.get("const")) {
        return v.clone();
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(first) = s
        .get("oneOf")
        .or_else(|| s.get("anyOf"))
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        // Titled enums (`oneOf: [{const, title}]`) and unions alike.
        return value_at(first, depth + 1);
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ => "string",
    };
    match ty {
        "integer" | "number" => {
            let min = s.get("minimum").and_then(Value::as_f64).unwrap_or(1.0);
            let n = min.max(1.0);
            if ty == "integer" || n.fract() == 0.0 {
                json!(n.ceil() as i64)
            } else {
                json!(n)
            }
        }
        "boolean" => json!(true),
        "null" => Value::Null,
        "array" => match s.get("items") {
            Some(items) if depth < 8 && s.get("minItems").is_some_and(|m| m.as_u64() > Some(0)) => {
                json!([value_at(items, depth + 1)])
            }
            Some(items) if depth < 8 && items.get("enum").is_some() => {
                json!([value_at(items, depth + 1)])
            }
            _ => json!([]),
        },
        "object" if depth < 8 => Value::Object(object(s, false)),
        "object" => json!({}),
        _ => json!(match s.get("format").and_then(Value::as_str) {
            Some("email") => "conformance@example.com",
            Some("uri") => "https://example.com/",
            Some("date") => "2026-01-01",
            Some("date-time") => "2026-01-01T00:00:00Z",
            _ => "test",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn required_arguments_by_type() {
        let schema = obj(json!({
            "type": "object",
            "properties": {
                "a": {"type": "number"}, "b": {"type": "integer", "minimum": 5},
                "s": {"type": "string", "format": "email"}, "opt": {"type": "string"},
                "e": {"type": "string", "enum": ["x", "y"]}, "n": {"type": ["null", "boolean"]},
                "o": {"type": "object", "properties": {"k": {"type": "string"}}, "required": ["k"]}
            },
            "required": ["a", "b", "s", "e", "n", "o"]
        }));
        assert_eq!(
            Value::Object(arguments(&schema)),
            json!({"a": 1, "b": 5, "s": "conformance@example.com", "e": "x", "n": true, "o": {"k": "test"}})
        );
    }

    #[test]
    fn form_answers_apply_defaults_to_every_field() {
        let schema = obj(json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "default": "John Doe"},
                "age": {"type": "integer", "default": 30},
                "confirmed": {"type": "boolean"},
                "colour": {"type": "string", "oneOf": [{"const": "red", "title": "Red"}]}
            }
        }));
        assert_eq!(
            Value::Object(form_answer(&schema)),
            json!({"name": "John Doe", "age": 30, "confirmed": true, "colour": "red"})
        );
    }

    #[test]
    fn recursive_schemas_end() {
        let schema =
            json!({"type": "object", "properties": {"me": {"$ref": "#"}}, "required": ["me"]});
        let mut deep = schema.clone();
        for _ in 0..20 {
            deep = json!({"type": "object", "properties": {"x": deep}, "required": ["x"]});
        }
        assert!(value(&deep).is_object());
    }
}
