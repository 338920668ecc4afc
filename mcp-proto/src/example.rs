//! Made-up values that fit a JSON Schema: arguments for a tool a program
//! calls without a person to fill them in (`mcp check`, test harnesses),
//! and a scripted user's answer to an elicitation form.
//!
//! A value the schema suggests wins: `const`, `default`, the first of
//! `examples` or `enum`, in that order. Otherwise the type decides: a
//! string (shaped by its `format`, padded or cut to its length bounds), a
//! number within its bounds (1 when they allow it), `true`, an array of
//! `minItems` items (one if its items are choices), an object of its
//! required properties. Local `$ref`s are followed; nesting ends at
//! [`MAX_DEPTH`], so recursive schemas end too.

use serde_json::{json, Map, Value};

use crate::model::JsonObject;

/// Deepest nesting filled; deeper values are null (or `{}` for objects).
pub const MAX_DEPTH: usize = 8;

/// Arguments for a tool: each required property of its input schema.
pub fn arguments(input_schema: &JsonObject) -> JsonObject {
    let root = Value::Object(input_schema.clone());
    object(input_schema, &root, 0, false)
}

/// An answer to an elicitation form: every property of the requested
/// schema, each at its default when it has one (the client applies
/// defaults, SEP-1034).
pub fn form_answer(requested_schema: &JsonObject) -> JsonObject {
    let root = Value::Object(requested_schema.clone());
    object(requested_schema, &root, 0, true)
}

/// A value for `schema`, its local `$ref`s resolved against `schema`.
pub fn value(schema: &Value) -> Value {
    value_at(schema, schema, 0)
}

fn value_at(schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let Some(s) = schema.as_object() else {
        // `true`, or no schema: anything goes.
        return json!("example");
    };
    if let Some(target) = s.get("$ref").and_then(Value::as_str) {
        return match target.strip_prefix('#').and_then(|p| root.pointer(p)) {
            Some(t) => value_at(t, root, depth + 1),
            None => Value::Null,
        };
    }
    for key in ["const", "default"] {
        if let Some(v) = s.get(key) {
            return v.clone();
        }
    }
    for key in ["examples", "enum"] {
        if let Some(v) = s.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return v.clone();
        }
    }
    // Titled enums (`oneOf: [{const, title}]`) and unions alike.
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(alternatives) = s.get(key).and_then(Value::as_array) {
            // A non-null alternative if there is one.
            let first = alternatives
                .iter()
                .find(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .or(alternatives.first());
            if let Some(a) = first {
                return value_at(a, root, depth + 1);
            }
        }
    }
    let kind = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.contains_key("properties") => "object",
        _ => "string",
    };
    match kind {
        "object" => Value::Object(object(s, root, depth, false)),
        "array" => {
            let item = s.get("items").unwrap_or(&Value::Bool(true));
            // A multi-select of choices gets one choice.
            let choices = ["enum", "oneOf", "anyOf"]
                .iter()
                .any(|k| item.get(k).is_some());
            let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let n = min.max(u64::from(choices)).min(16);
            Value::Array((0..n).map(|_| value_at(item, root, depth + 1)).collect())
        }
        "integer" | "number" => number(s, kind == "integer"),
        "boolean" => Value::Bool(true),
        "null" => Value::Null,
        _ => Value::String(string(s)),
    }
}

/// The properties of an object schema: the required ones, or all.
fn object(s: &Map<String, Value>, root: &Value, depth: usize, all: bool) -> JsonObject {
    let mut out = JsonObject::new();
    if depth >= MAX_DEPTH {
        return out;
    }
    let properties = s.get("properties").and_then(Value::as_object);
    let required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if all {
        for (name, p) in properties.into_iter().flatten() {
            out.insert(name.clone(), value_at(p, root, depth + 1));
        }
    }
    for name in required {
        if out.contains_key(name) {
            continue;
        }
        let v = match properties.and_then(|p| p.get(name)) {
            Some(p) => value_at(p, root, depth + 1),
            // Required but not described: anything goes.
            None => json!("example"),
        };
        out.insert(name.to_owned(), v);
    }
    out
}

fn number(s: &Map<String, Value>, integer: bool) -> Value {
    let bound = |k: &str| s.get(k).and_then(Value::as_f64);
    let step = if integer { 1.0 } else { 0.5 };
    let mut n = 1.0f64;
    if let Some(min) = bound("minimum") {
        n = n.max(min);
    }
    if let Some(min) = bound("exclusiveMinimum") {
        n = n.max(min + step);
    }
    if let Some(max) = bound("maximum") {
        n = n.min(max);
    }
    if let Some(max) = bound("exclusiveMaximum") {
        n = n.min(max - step);
    }
    if integer || n.fract() == 0.0 {
        json!(n.ceil() as i64)
    } else {
        json!(n)
    }
}

fn string(s: &Map<String, Value>) -> String {
    let base = match s.get("format").and_then(Value::as_str) {
        Some("uri" | "url" | "uri-reference" | "iri") => "https://example.com/",
        Some("email") => "user@example.com",
        Some("date-time") => "2026-01-01T00:00:00Z",
        Some("date") => "2026-01-01",
        Some("time") => "12:00:00Z",
        Some("uuid") => "00000000-0000-4000-8000-000000000000",
        Some("ipv4") => "127.0.0.1",
        Some("ipv6") => "::1",
        _ => "example",
    };
    let mut text = base.to_owned();
    let len = |k: &str| s.get(k).and_then(Value::as_u64).map(|n| n as usize);
    if let Some(min) = len("minLength") {
        while text.chars().count() < min.min(4096) {
            text.push('x');
        }
    }
    if let Some(max) = len("maxLength") {
        text = text.chars().take(max).collect();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn required_arguments_get_suggested_values_first_then_typed_ones() {
        let schema = obj(json!({
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "n": {"type": "integer", "minimum": 3, "maximum": 9},
                "x": {"type": "number", "exclusiveMaximum": 1},
                "level": {"type": "string", "enum": ["debug", "info"]},
                "mode": {"type": "string", "default": "fast"},
                "url": {"type": "string", "format": "uri"},
                "mail": {"type": "string", "format": "email"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "none": {"type": "array", "items": {"type": "string"}},
                "flag": {"type": ["null", "boolean"]},
                "code": {"type": "string", "minLength": 10, "maxLength": 12},
                "o": {"type": "object", "properties": {"k": {"type": "string"}}, "required": ["k"]},
                "optional": {"type": "string"}
            },
            "required": ["text", "n", "x", "level", "mode", "url", "mail", "tags", "none", "flag", "code", "o"]
        }));
        assert_eq!(
            Value::Object(arguments(&schema)),
            json!({
                "text": "example", "n": 3, "x": 0.5, "level": "debug", "mode": "fast",
                "url": "https://example.com/", "mail": "user@example.com",
                "tags": ["example", "example"], "none": [], "flag": true,
                "code": "examplexxx", "o": {"k": "example"}
            })
        );
    }

    #[test]
    fn form_answers_fill_every_field_at_its_default() {
        let schema = obj(json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "default": "John Doe"},
                "age": {"type": "integer", "default": 30},
                "confirmed": {"type": "boolean"},
                "colour": {"type": "string", "oneOf": [{"const": "red", "title": "Red"}]},
                "toppings": {"type": "array", "items": {"type": "string", "enum": ["ham", "egg"]}}
            }
        }));
        assert_eq!(
            Value::Object(form_answer(&schema)),
            json!({"name": "John Doe", "age": 30, "confirmed": true, "colour": "red", "toppings": ["ham"]})
        );
    }

    #[test]
    fn references_and_unions_are_followed_and_recursion_ends() {
        let schema = obj(json!({
            "type": "object",
            "$defs": {"point": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
                      "node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}, "required": ["next"]}},
            "properties": {
                "at": {"$ref": "#/$defs/point"},
                "either": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 5}]},
                "list": {"$ref": "#/$defs/node"},
                "me": {"$ref": "#"},
                "missing": {"$ref": "#/$defs/nowhere"}
            },
            "required": ["at", "either", "list", "me", "missing", "undeclared"]
        }));
        let v = Value::Object(arguments(&schema));
        assert_eq!(v["at"], json!({"x": 1}));
        assert_eq!(v["either"], json!(5));
        assert_eq!(v["missing"], Value::Null);
        assert_eq!(v["undeclared"], json!("example"));
        let mut depth = 0;
        let mut node = &v["list"];
        while let Some(next) = node.get("next") {
            node = next;
            depth += 1;
        }
        assert!(depth <= MAX_DEPTH, "{v}");
        assert!(v["me"].is_object());
        assert_eq!(value(&json!({"type": "object"})), json!({}));
        assert_eq!(value(&json!(true)), json!("example"));
    }
}
