//! Request headers that mirror the body (2026-07-28 Streamable HTTP):
//! `Mcp-Name`, and `Mcp-Param-{Name}` from `x-mcp-header` annotations in a
//! tool's input schema, with the spec's value encoding.

use base64::Engine;
use serde_json::Value;

use crate::model::JsonObject;

/// The JSON type an annotated parameter may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Primitive {
    String,
    Integer,
    Boolean,
}

/// One `x-mcp-header` annotation: the header's name part and where the
/// value sits in the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamHeader {
    name: String,
    path: Vec<String>,
}

/// Keywords whose values are subschemas (or arrays or maps of them): an
/// annotation reached through any of them is not statically reachable.
const SCHEMA_KEYWORDS: &[&str] = &[
    "allOf",
    "anyOf",
    "oneOf",
    "items",
    "prefixItems",
    "additionalItems",
    "contains",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
];
const SCHEMA_MAP_KEYWORDS: &[&str] = &[
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// The `x-mcp-header` annotations of a tool's input schema, or why the tool
/// must be rejected (the spec's constraints on annotations).
pub(crate) fn param_headers(schema: &Value) -> Result<Vec<ParamHeader>, String> {
    let mut found = Vec::new();
    walk(schema, Some(&mut Vec::new()), &mut found)?;
    let mut seen: Vec<String> = Vec::new();
    for h in &found {
        let lower = h.name.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Err(format!(
                "x-mcp-header {:?} is used more than once (names are compared case-insensitively)",
                h.name
            ));
        }
        seen.push(lower);
    }
    Ok(found)
}

/// Walks a schema node. `chain` is the property path when the node is
/// reached through `properties` alone (and is not the root), else `None`.
fn walk(
    node: &Value,
    chain: Option<&mut Vec<String>>,
    found: &mut Vec<ParamHeader>,
) -> Result<(), String> {
    let obj = match node {
        Value::Object(obj) => obj,
        Value::Array(items) => {
            for item in items {
                walk(item, None, found)?;
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    let on_chain = chain.is_some();
    let mut chain = chain;
    if let Some(annotation) = obj.get("x-mcp-header") {
        let path =
            match chain.as_deref() {
                Some(path) if !path.is_empty() => path.clone(),
                _ => return Err(
                    "x-mcp-header is only allowed on properties reached through `properties` alone"
                        .into(),
                ),
            };
        let name = match annotation {
            Value::String(s) => s,
            other => return Err(format!("x-mcp-header must be a string, not {other}")),
        };
        check_name(name)?;
        primitive(obj.get("type")).ok_or_else(|| {
            format!(
                "x-mcp-header {name:?} is on a parameter of type {}, not string, integer or boolean",
                obj.get("type").map_or("(none)".to_owned(), Value::to_string)
            )
        })?;
        found.push(ParamHeader {
            name: name.clone(),
            path,
        });
    }
    for (key, value) in obj {
        match key.as_str() {
            "properties" => {
                let Value::Object(props) = value else {
                    continue;
                };
                for (prop, schema) in props {
                    match (on_chain, chain.as_deref_mut()) {
                        (true, Some(path)) => {
                            path.push(prop.clone());
                            let r = walk(schema, Some(path), found);
                            path.pop();
                            r?;
                        }
                        _ => walk(schema, None, found)?,
                    }
                }
            }
            k if SCHEMA_KEYWORDS.contains(&k) => walk(value, None, found)?,
            k if SCHEMA_MAP_KEYWORDS.contains(&k) => {
                if let Value::Object(map) = value {
                    for schema in map.values() {
                        walk(schema, None, found)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// An RFC 9110 token (`1*tchar`): what a header name may be.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("x-mcp-header must not be empty".into());
    }
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    match name.bytes().find(|b| !tchar(*b)) {
        None => Ok(()),
        Some(b) => Err(format!(
            "x-mcp-header {name:?} is not a valid header name (byte {b:#04x} is not allowed)"
        )),
    }
}

/// The parameter's type, if it is one an annotation may be on. A nullable
/// primitive (`["string", "null"]`) counts: the header is omitted for null.
fn primitive(ty: Option<&Value>) -> Option<Primitive> {
    let one = |s: &str| match s {
        "string" => Some(Primitive::String),
        "integer" => Some(Primitive::Integer),
        "boolean" => Some(Primitive::Boolean),
        _ => None,
    };
    match ty? {
        Value::String(s) => one(s),
        Value::Array(types) => {
            let mut non_null = types.iter().filter(|t| t.as_str() != Some("null"));
            let first = one(non_null.next()?.as_str()?)?;
            non_null.next().is_none().then_some(first)
        }
        _ => None,
    }
}

/// The `Mcp-Param-*` headers for a call with `arguments`. Absent and null
/// values have no header; values of another type than annotated are sent
/// as their JSON text, so the server reports the mismatch.
pub(crate) fn param_header_values(
    headers: &[ParamHeader],
    arguments: Option<&JsonObject>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for h in headers {
        let mut value = arguments.map(|a| a as &JsonObject);
        let mut found = None;
        for (i, key) in h.path.iter().enumerate() {
            let Some(obj) = value else { break };
            match obj.get(key) {
                Some(v) if i + 1 == h.path.len() => found = Some(v),
                Some(Value::Object(next)) => value = Some(next),
                _ => break,
            }
        }
        let text = match found {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) => encode_value(s),
            Some(Value::Bool(b)) => b.to_string(),
            Some(Value::Number(n)) => integer_text(n),
            Some(other) => encode_value(&other.to_string()),
        };
        out.push((format!("Mcp-Param-{}", h.name), text));
    }
    out
}

/// An integer in decimal; `42.0` is the integer 42.
fn integer_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
            format!("{}", f as i64)
        }
        _ => n.to_string(),
    }
}

/// A value as a header value: as is when it is plain visible ASCII with
/// inner spaces only; otherwise (non-ASCII, control characters, tabs,
/// leading or trailing whitespace, or text that looks like the encoding
/// itself) `=?base64?{base64 of its UTF-8}?=`.
pub(crate) fn encode_value(value: &str) -> String {
    let visible = value.bytes().all(|b| (0x20..=0x7e).contains(&b));
    let edge_space = value.starts_with(' ') || value.ends_with(' ');
    let sentinel = value.starts_with("=?base64?") && value.ends_with("?=");
    let plain = visible && !edge_space && !sentinel;
    if plain {
        value.to_owned()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(value.as_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers_for(schema: Value, args: Value) -> Vec<(String, String)> {
        let h = param_headers(&schema).expect("a valid schema");
        param_header_values(&h, args.as_object())
    }

    #[test]
    fn the_spec_encoding_examples() {
        assert_eq!(encode_value("us-west1"), "us-west1");
        assert_eq!(
            encode_value("Hello, 世界"),
            "=?base64?SGVsbG8sIOS4lueVjA==?="
        );
        assert_eq!(encode_value(" padded "), "=?base64?IHBhZGRlZCA=?=");
        assert_eq!(encode_value("line1\nline2"), "=?base64?bGluZTEKbGluZTI=?=");
        assert_eq!(
            encode_value("=?base64?literal?="),
            "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="
        );
        assert_eq!(encode_value("us west 1"), "us west 1");
        assert_eq!(encode_value(""), "");
        assert_eq!(encode_value("\tlead"), "=?base64?CWxlYWQ=?=");
        assert_eq!(encode_value("a\r\nb"), "=?base64?YQ0KYg==?=");
        assert_eq!(encode_value("x\u{7f}"), "=?base64?eH8=?=");
    }

    #[test]
    fn values_by_type_and_path() {
        let schema = json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "priority": {"type": "integer", "x-mcp-header": "Priority"},
            "verbose": {"type": "boolean", "x-mcp-header": "Verbose"},
            "method_val": {"type": "string", "x-mcp-header": "Method"},
            "empty": {"type": "string", "x-mcp-header": "EmptyVal"},
            "float_val": {"type": "number"},
            "nested": {"type": "object", "properties": {
                "tenant": {"type": ["string", "null"], "x-mcp-header": "Tenant"}
            }},
            "query": {"type": "string"}
        }});
        let got = headers_for(
            schema.clone(),
            json!({"region": "us-west1", "priority": 42.0, "verbose": false,
                   "method_val": "m", "empty": "", "float_val": 1.5,
                   "nested": {"tenant": "acme"}, "query": "q"}),
        );
        let mut got = got;
        got.sort();
        assert_eq!(
            got,
            [
                ("Mcp-Param-EmptyVal".to_owned(), String::new()),
                ("Mcp-Param-Method".into(), "m".into()),
                ("Mcp-Param-Priority".into(), "42".into()),
                ("Mcp-Param-Region".into(), "us-west1".into()),
                ("Mcp-Param-Tenant".into(), "acme".into()),
                ("Mcp-Param-Verbose".into(), "false".into()),
            ]
        );
        // Null and absent values have no header.
        let got = headers_for(
            schema,
            json!({"region": "x", "verbose": null, "nested": {"tenant": null}}),
        );
        assert_eq!(got, [("Mcp-Param-Region".to_owned(), "x".to_owned())]);
    }

    #[test]
    fn invalid_annotations_are_rejected_with_a_reason() {
        let prop = |p: Value| json!({"type": "object", "properties": {"v": p}});
        let bad = [
            prop(json!({"type": "string", "x-mcp-header": ""})),
            prop(json!({"type": "object", "x-mcp-header": "Data"})),
            prop(json!({"type": "array", "items": {"type": "string"}, "x-mcp-header": "Items"})),
            prop(json!({"type": "null", "x-mcp-header": "Nil"})),
            prop(json!({"type": "number", "x-mcp-header": "Score"})),
            prop(json!({"type": "string", "x-mcp-header": "My Region"})),
            prop(json!({"type": "string", "x-mcp-header": "Region:Primary"})),
            prop(json!({"type": "string", "x-mcp-header": "Région"})),
            prop(json!({"type": "string", "x-mcp-header": "Region\t1"})),
            prop(json!({"type": "string", "x-mcp-header": 7})),
            prop(json!({"x-mcp-header": "NoType"})),
            json!({"type": "object", "properties": {
                "a": {"type": "string", "x-mcp-header": "Region"},
                "b": {"type": "string", "x-mcp-header": "Region"}}}),
            json!({"type": "object", "properties": {
                "a": {"type": "string", "x-mcp-header": "MyField"},
                "b": {"type": "string", "x-mcp-header": "myfield"}}}),
            // Not statically reachable.
            json!({"type": "object", "properties": {"list": {"type": "array",
                "items": {"type": "object", "properties": {"r": {"type": "string", "x-mcp-header": "R"}}}}}}),
            json!({"type": "object", "anyOf": [{"properties": {"r": {"type": "string", "x-mcp-header": "R"}}}]}),
            json!({"type": "object", "$defs": {"r": {"type": "string", "x-mcp-header": "R"}},
                   "properties": {"r": {"$ref": "#/$defs/r"}}}),
            json!({"type": "string", "x-mcp-header": "Root"}),
        ];
        for schema in bad {
            let err = param_headers(&schema).expect_err(&schema.to_string());
            assert!(err.contains("x-mcp-header"), "{err}");
        }
        // A property merely named like the annotation is fine.
        let ok = json!({"type": "object", "properties": {"x-mcp-header": {"type": "string"}}});
        assert_eq!(param_headers(&ok), Ok(vec![]));
    }
}
