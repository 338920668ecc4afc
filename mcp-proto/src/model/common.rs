//! Types shared by every part of the protocol: ids, `_meta`, identities,
//! icons, annotations, roles and log levels.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::macros::{decode_open, open_enum};

/// A JSON object kept as a plain map: `_meta`, unknown fields, JSON Schemas,
/// tool arguments. Key order is not significant in JSON and is not kept.
pub type JsonObject = Map<String, Value>;

/// The `_meta` object of a request, notification, result or model type.
///
/// Kept as a plain map so that every key, reserved or not, survives a
/// decode/encode round trip; the keys the protocol defines are read through
/// the helpers in [`crate::model::meta`].
pub type Meta = JsonObject;

/// A JSON-RPC request id: a string or an integer (MCP forbids `null`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

/// A progress token: a string or an integer chosen by the requester.
pub type ProgressToken = RequestId;

/// An opaque pagination cursor.
pub type Cursor = String;

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for RequestId {
    fn from(n: i64) -> Self {
        RequestId::Number(n)
    }
}

impl From<&str> for RequestId {
    fn from(s: &str) -> Self {
        RequestId::String(s.to_owned())
    }
}

impl From<String> for RequestId {
    fn from(s: String) -> Self {
        RequestId::String(s)
    }
}

impl Serialize for RequestId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RequestId::Number(n) => s.serialize_i64(*n),
            RequestId::String(v) => s.serialize_str(v),
        }
    }
}

impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = RequestId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or integer id")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RequestId, E> {
                Ok(RequestId::Number(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RequestId, E> {
                i64::try_from(v)
                    .map(RequestId::Number)
                    .map_err(|_| E::custom("integer id out of range"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RequestId, E> {
                // JSON-RPC discourages fractional ids and MCP allows only
                // integers; `1.0` is still accepted as the integer it spells.
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(RequestId::Number(v as i64))
                } else {
                    Err(E::custom("request id must be a string or an integer"))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RequestId, E> {
                Ok(RequestId::String(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<RequestId, E> {
                Ok(RequestId::String(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Name and version of an MCP implementation (client or server), with the
/// optional display fields added in 2025-06-18 and 2025-11-25.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Implementation {
    /// Programmatic name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Display name (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Human-readable description (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Icons (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icons: Option<Vec<Icon>>,
    /// Website (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(Implementation {
    name: "name" required,
    version: "version" required,
    title: "title" default,
    description: "description" default,
    icons: "icons" default,
    website_url: "websiteUrl" default,
} extra);

impl Implementation {
    /// An implementation identity with just a name and a version.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Implementation {
            name: name.into(),
            version: version.into(),
            title: None,
            description: None,
            icons: None,
            website_url: None,
            extra: JsonObject::new(),
        }
    }
}

open_enum! {
    /// Light or dark background an icon is designed for.
    pub enum IconTheme {
        /// For light backgrounds.
        Light = "light",
        /// For dark backgrounds.
        Dark = "dark",
    }
}

/// An icon for an implementation, tool, prompt or resource (2025-11-25+).
///
/// The URI is untrusted server data: see the spec's icon security rules before
/// fetching or rendering it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Icon {
    /// `https:` or `data:` URI of the image.
    pub src: String,
    /// MIME type override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Sizes such as `"48x48"` or `"any"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes: Option<Vec<String>>,
    /// Intended background theme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<IconTheme>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(Icon {
    src: "src" required,
    mime_type: "mimeType" default,
    sizes: "sizes" default,
    theme: "theme" default,
} extra);

open_enum! {
    /// The sender or recipient of a message.
    pub enum Role {
        /// The user.
        User = "user",
        /// The assistant (model).
        Assistant = "assistant",
    }
}

/// Hints about how a client should use or display an object.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    /// Who the object is intended for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Vec<Role>>,
    /// Importance from 0 (least) to 1 (most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Number>,
    /// ISO 8601 timestamp of the last modification (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(Annotations {
    audience: "audience" default,
    priority: "priority" default,
    last_modified: "lastModified" default,
} extra);

open_enum! {
    /// Syslog severity (RFC 5424) of a log message, from least to most severe.
    pub enum LoggingLevel {
        /// Debug-level messages.
        Debug = "debug",
        /// Informational messages.
        Info = "info",
        /// Normal but significant conditions.
        Notice = "notice",
        /// Warning conditions.
        Warning = "warning",
        /// Error conditions.
        Error = "error",
        /// Critical conditions.
        Critical = "critical",
        /// Action must be taken immediately.
        Alert = "alert",
        /// System is unusable.
        Emergency = "emergency",
    }
}

/// Params of a request that carries nothing but `_meta` (for example
/// `ping`, `server/discover`), and of notifications with no params of their
/// own (`notifications/*/list_changed`, `notifications/initialized`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EmptyParams {
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A result with no fields of its own (`ping`, `resources/subscribe`,
/// `logging/setLevel`, ...). Any fields a server adds are kept.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmptyResult {
    /// Result kind (2026-07-28); absent means `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<super::ResultType>,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}
