//! A plausible value for a JSON schema: what `mcp check` passes a tool it
//! calls. Every required property is filled, optional ones are left out,
//! and a value the schema suggests (`const`, `default`, `examples`, `enum`)
//! wins over a made-up one.

use serde_json::{json, Map, Value};

/// Deepest nesting followed; deeper (or self-referencing) schemas get null.
const MAX_DEPTH: usize = 8;

/// A value for `schema`, resolving local `$ref`s against `schema` itself.
pub(crate) fn example(schema: &Value) -> Value {
    value(schema, schema, 0)
}

fn value(schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let Some(s) = schema.as_object() else {
        // `true`, or no schema: anything goes.
        return json!("example");
    };
    if let Some(target) = s.get("$ref").and_then(Value::as_str) {
        return match target.strip_prefix('#').and_then(|p| root.pointer(p)) {
            Some(t) => value(t, root, depth + 1),
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
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(alternatives) = s.get(key).and_then(Value::as_array) {
            let first = alternatives
                .iter()
                .find(|a| a.get("type").and_then(Value::as_str) != Some("null"));
            if let Some(a) = first {
                return value(a, root, depth + 1);
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
        "object" => object(s, root, depth),
        "array" => {
            let n = s
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .min(16);
            let item = s.get("items").unwrap_or(&Value::Bool(true));
            Value::Array((0..n).map(|_| value(item, root, depth + 1)).collect())
        }
        "integer" | "number" => number(s, kind == "integer"),
        "boolean" => Value::Bool(false),
        "null" => Value::Null,
        _ => Value::String(string(s)),
    }
}

fn object(s: &Map<String, Value>, root: &Value, depth: usize) -> Value {
    let properties = s.get("properties").and_then(Value::as_object);
    let mut out = Map::new();
    for name in s
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let v = match properties.and_then(|p| p.get(name)) {
            Some(p) => value(p, root, depth + 1),
            None => json!("example"),
        };
        out.insert(name.to_owned(), v);
    }
    Value::Object(out)
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
    if integer {
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

    #[test]
    fn required_properties_are_filled_with_suggested_values_first() {
        let schema = json!({
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "n": {"type": "integer", "minimum": 3, "maximum": 9},
                "x": {"type": "number", "exclusiveMaximum": 1},
                "level": {"type": "string", "enum": ["debug", "info"]},
                "mode": {"type": "string", "default": "fast"},
                "url": {"type": "string", "format": "uri"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "flag": {"type": ["boolean", "null"]},
                "code": {"type": "string", "minLength": 10, "maxLength": 12},
                "optional": {"type": "string"}
            },
            "required": ["text", "n", "x", "level", "mode", "url", "tags", "flag", "code"]
        });
        assert_eq!(
            example(&schema),
            json!({
                "text": "example", "n": 3, "x": 0.5, "level": "debug", "mode": "fast",
                "url": "https://example.com/", "tags": ["example", "example"],
                "flag": false, "code": "examplexxx"
            })
        );
    }

    #[test]
    fn references_and_unions_are_followed_and_loops_end() {
        let schema = json!({
            "type": "object",
            "$defs": {"point": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
                      "node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}, "required": ["next"]}},
            "properties": {
                "at": {"$ref": "#/$defs/point"},
                "either": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 5}]},
                "list": {"$ref": "#/$defs/node"},
                "missing": {"$ref": "#/$defs/nowhere"}
            },
            "required": ["at", "either", "list", "missing", "undeclared"]
        });
        let v = example(&schema);
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
        assert_eq!(example(&json!({"type": "object"})), json!({}));
        assert_eq!(example(&json!(true)), json!("example"));
    }
}
