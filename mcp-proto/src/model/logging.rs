//! Logging: `logging/setLevel` (legacy) and `notifications/message`.
//!
//! 2026-07-28 replaces `logging/setLevel` with the per-request
//! `io.modelcontextprotocol/logLevel` `_meta` key (see [`super::meta`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{JsonObject, LoggingLevel, Meta};

/// Params of `logging/setLevel` (2025-11-25 and earlier).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetLevelRequestParams {
    /// The least severe level the server should send.
    pub level: LoggingLevel,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl SetLevelRequestParams {
    /// Params asking for `level` and above.
    pub fn new(level: LoggingLevel) -> Self {
        SetLevelRequestParams {
            level,
            meta: None,
            extra: JsonObject::new(),
        }
    }
}

/// Params of `notifications/message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggingMessageNotificationParams {
    /// Severity.
    pub level: LoggingLevel,
    /// Name of the logger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logger: Option<String>,
    /// The message: any JSON value (a string, an object, ...).
    #[serde(default)]
    pub data: Value,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}
