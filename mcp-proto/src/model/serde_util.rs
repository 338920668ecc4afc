//! Small serde helpers shared by the model's hand-written impls.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::common::JsonObject;

/// For `Option<Value>` fields where an explicit `null` is data: a present
/// key (even `null`) decodes to `Some`, an absent one to `None` (via
/// `#[serde(default)]`). Plain `Option<Value>` would turn `null` into `None`
/// and the re-encoded message would lose the key.
pub(crate) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// For `Option<Option<T>>` fields typed `T | null`: absent is `None`,
/// `null` is `Some(None)`. Serializing needs no help: `Some(None)` writes
/// `null` and `skip_serializing_if = "Option::is_none"` drops `None`.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Reads a union member as a JSON object, the first step of every
/// hand-written union decoder.
pub(crate) fn object<'de, D: Deserializer<'de>>(d: D, what: &str) -> Result<JsonObject, D::Error> {
    match Value::deserialize(d)? {
        Value::Object(m) => Ok(m),
        other => Err(D::Error::custom(format!(
            "{what} must be a JSON object, found {}",
            kind(&other)
        ))),
    }
}

/// Decodes a union member once its variant is known, reporting errors in the
/// caller's deserializer's error type.
pub(crate) fn decode<T: DeserializeOwned, E: serde::de::Error>(obj: JsonObject) -> Result<T, E> {
    serde_json::from_value(Value::Object(obj)).map_err(E::custom)
}

/// The string at `key`, if there is one.
pub(crate) fn str_field<'a>(obj: &'a JsonObject, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
