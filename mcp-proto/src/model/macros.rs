//! The model's macros: string unions that stay open, constant wire tags,
//! and one-pass decoding of structs that keep unknown fields.
//!
//! The spec's string unions (`Role`, `LoggingLevel`, `stopReason`, ...) grow
//! between revisions. A closed Rust enum would make a newer server's value a
//! decode error, so every union gets an `Other(String)` variant that keeps the
//! unknown value and writes it back unchanged.

/// Defines an open string enum: known wire values as unit variants, anything
/// else kept in `Other(String)`. Serializes as the bare string.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire spelling of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Other(s) => s.as_str(),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $( $wire => Self::$variant, )+
                    _ => Self::Other(s),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

pub(crate) use open_enum;

/// Defines a unit type that stands for one constant string on the wire: the
/// `"type"` of a content block, the `"mode"` of a URL elicitation, and so on.
///
/// A struct that carries its tag as a field of such a type writes the tag
/// itself, so it has the right shape whether it is encoded alone or inside
/// its union, and decoding it rejects a different tag instead of quietly
/// keeping it among the unknown fields.
macro_rules! wire_tag {
    (
        $(#[$meta:meta])*
        pub struct $name:ident = $wire:literal;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name;

        impl $name {
            /// The wire spelling of this tag.
            pub const VALUE: &'static str = $wire;
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($wire)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($wire)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        write!(f, "the string {:?}", $wire)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        if v == $wire {
                            Ok($name)
                        } else {
                            Err(E::invalid_value(::serde::de::Unexpected::Str(v), &self))
                        }
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

pub(crate) use wire_tag;

/// Implements `Deserialize` for a struct whose unknown fields are kept in a
/// `JsonObject`, reading each field once, straight into its type.
///
/// `#[serde(flatten)]` would do the same job by first copying the whole
/// object into serde's private buffer and then decoding every field out of
/// it: about three quarters of a small result's decode time went there.
/// The struct keeps deriving `Serialize` (flatten costs little when writing).
///
/// Each field is `name: "wire" mode`, where the mode says what absence
/// means: `required` (an error naming the field), `default` (its
/// `Default`, `None` for options), `present` (an `Option<Value>` where an
/// explicit `null` is `Some(Null)`) or `nullable` (an `Option<Option<T>>`
/// where `null` is `Some(None)`). The struct's catch-all is named last. A
/// field given twice is an error, as with derived impls.
macro_rules! decode_open {
    (
        $name:ident { $( $field:ident : $wire:literal $mode:ident ),* $(,)? } $extra:ident
    ) => {
        const _: () = {
            #[allow(non_camel_case_types)]
            enum Key {
                $( $field, )*
                Other(String),
            }

            struct KeyVisitor;

            impl<'de> ::serde::de::Visitor<'de> for KeyVisitor {
                type Value = Key;
                fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str("a field name")
                }
                fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<Key, E> {
                    Ok(match v {
                        $( $wire => Key::$field, )*
                        other => Key::Other(other.to_owned()),
                    })
                }
                fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<Key, E> {
                    Ok(match v.as_str() {
                        $( $wire => Key::$field, )*
                        _ => Key::Other(v),
                    })
                }
            }

            impl<'de> ::serde::Deserialize<'de> for Key {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    d.deserialize_identifier(KeyVisitor)
                }
            }

            struct Visitor;

            impl<'de> ::serde::de::Visitor<'de> for Visitor {
                type Value = $name;
                fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                }
                fn visit_map<A: ::serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<$name, A::Error> {
                    $( let mut $field = None; )*
                    let mut $extra = $crate::model::JsonObject::new();
                    while let Some(key) = map.next_key::<Key>()? {
                        match key {
                            $( Key::$field => {
                                if $field.is_some() {
                                    return Err(<A::Error as ::serde::de::Error>::duplicate_field($wire));
                                }
                                $field = Some($crate::model::macros::decode_open!(@value $mode map));
                            } )*
                            Key::Other(k) => {
                                let v = map.next_value::<::serde_json::Value>()?;
                                $extra.insert(k, v);
                            }
                        }
                    }
                    Ok($name {
                        $( $field: $crate::model::macros::decode_open!(@absent $mode $field $wire A), )*
                        $extra,
                    })
                }
            }

            impl<'de> ::serde::Deserialize<'de> for $name {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    d.deserialize_map(Visitor)
                }
            }
        };
    };
    (@value present $map:ident) => { Some($map.next_value::<::serde_json::Value>()?) };
    (@value nullable $map:ident) => { Some($map.next_value::<Option<_>>()?) };
    (@value $other:ident $map:ident) => { $map.next_value()? };
    (@absent required $field:ident $wire:literal $A:ident) => {
        match $field {
            Some(v) => v,
            None => return Err(<$A::Error as ::serde::de::Error>::missing_field($wire)),
        }
    };
    (@absent default $field:ident $wire:literal $A:ident) => { $field.unwrap_or_default() };
    (@absent present $field:ident $wire:literal $A:ident) => { $field.unwrap_or_default() };
    (@absent nullable $field:ident $wire:literal $A:ident) => { $field.unwrap_or_default() };
}

pub(crate) use decode_open;

/// Implements `Deserialize` for a union whose member is named by its
/// `"type"`: each known tag (a [`wire_tag!`] type) decodes into its
/// variant, anything else is kept whole in `Unknown`. One pass when `type`
/// comes first (see `serde_util::Tagged`).
macro_rules! tagged_union {
    ($name:ident, $what:literal, { $( $tag:ident => $variant:ident ),+ $(,)? }) => {
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                super::serde_util::tagged(d)
            }
        }

        impl super::serde_util::Tagged for $name {
            const WHAT: &'static str = $what;

            fn pick<'de, R: super::serde_util::Rest<'de>>(rest: R) -> Result<Self, R::Error> {
                Ok(match rest.tag() {
                    $( Some($tag::VALUE) => $name::$variant(rest.decode()?), )+
                    _ => $name::Unknown(rest.object()?),
                })
            }
        }
    };
}

pub(crate) use tagged_union;
