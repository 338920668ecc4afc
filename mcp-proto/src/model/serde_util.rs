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

/// A union whose member is named by a string field, decoded in one pass
/// when the tag is the object's first key (as every real server writes it)
/// and through a buffered [`JsonObject`] otherwise.
///
/// Buffering every member first cost a map and a second walk per content
/// block; this is what most results are made of.
pub(crate) trait Tagged: Sized {
    /// What the member is, for "expected ..." errors.
    const WHAT: &'static str;
    /// The tag's key.
    const FIELD: &'static str = "type";
    /// Picks the member from `rest.tag()` and decodes it from `rest`.
    fn pick<'de, R: Rest<'de>>(rest: R) -> Result<Self, R::Error>;
}

/// The member's fields, streaming or buffered: decode them into the member's
/// type, or keep them as an object when the tag is unknown.
pub(crate) trait Rest<'de> {
    /// The deserializer's error type.
    type Error: serde::de::Error;
    /// The tag, when it is present and a string.
    fn tag(&self) -> Option<&str>;
    /// Decodes every field, the tag included.
    fn decode<T: DeserializeOwned>(self) -> Result<T, Self::Error>;
    /// Keeps every field, the tag included.
    fn object(self) -> Result<JsonObject, Self::Error>;
}

/// Decodes a [`Tagged`] union.
pub(crate) fn tagged<'de, D: Deserializer<'de>, T: Tagged>(d: D) -> Result<T, D::Error> {
    d.deserialize_map(TaggedVisitor(std::marker::PhantomData))
}

struct TaggedVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Tagged> serde::de::Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (a JSON object)", T::WHAT)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut obj = JsonObject::new();
        match map.next_key_seed(FirstKey(T::FIELD))? {
            None => {}
            Some(None) => match map.next_value::<Value>()? {
                Value::String(tag) => {
                    return T::pick(Replay {
                        field: T::FIELD,
                        tag,
                        state: ReplayState::Key,
                        map,
                    })
                }
                other => {
                    obj.insert(T::FIELD.to_owned(), other);
                }
            },
            Some(Some(key)) => {
                let value = map.next_value::<Value>()?;
                obj.insert(key, value);
            }
        }
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            obj.insert(k, v);
        }
        T::pick(Buffered {
            obj,
            field: T::FIELD,
            error: std::marker::PhantomData::<A::Error>,
        })
    }
}

/// Reads the first key: `None` when it is the tag, the key otherwise.
struct FirstKey(&'static str);

impl<'de> serde::de::DeserializeSeed<'de> for FirstKey {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FirstKey {
    type Value = Option<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<String>, E> {
        Ok((v != self.0).then(|| v.to_owned()))
    }
}

/// An object whose tag has been read, replaying it before the fields that
/// follow.
struct Replay<A> {
    field: &'static str,
    tag: String,
    state: ReplayState,
    map: A,
}

enum ReplayState {
    Key,
    Value,
    Fields,
}

impl<'de, A: serde::de::MapAccess<'de>> serde::de::MapAccess<'de> for Replay<A> {
    type Error = A::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.state {
            ReplayState::Key => {
                self.state = ReplayState::Value;
                seed.deserialize(serde::de::value::StrDeserializer::<A::Error>::new(
                    self.field,
                ))
                .map(Some)
            }
            _ => self.map.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        match self.state {
            ReplayState::Value => {
                self.state = ReplayState::Fields;
                seed.deserialize(serde::de::value::StrDeserializer::<A::Error>::new(
                    &self.tag,
                ))
            }
            _ => self.map.next_value_seed(seed),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

impl<'de, A: serde::de::MapAccess<'de>> Rest<'de> for Replay<A> {
    type Error = A::Error;

    fn tag(&self) -> Option<&str> {
        Some(&self.tag)
    }

    fn decode<T: DeserializeOwned>(self) -> Result<T, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(self))
    }

    fn object(mut self) -> Result<JsonObject, A::Error> {
        let mut obj = JsonObject::new();
        obj.insert(self.field.to_owned(), Value::String(self.tag));
        while let Some((k, v)) = self.map.next_entry::<String, Value>()? {
            obj.insert(k, v);
        }
        Ok(obj)
    }
}

/// An object read whole because its tag was not its first key.
struct Buffered<E> {
    obj: JsonObject,
    field: &'static str,
    error: std::marker::PhantomData<E>,
}

impl<'de, E: serde::de::Error> Rest<'de> for Buffered<E> {
    type Error = E;

    fn tag(&self) -> Option<&str> {
        str_field(&self.obj, self.field)
    }

    fn decode<T: DeserializeOwned>(self) -> Result<T, E> {
        decode(self.obj)
    }

    fn object(self) -> Result<JsonObject, E> {
        Ok(self.obj)
    }
}
