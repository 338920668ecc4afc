//! JSON-RPC error objects and the error codes MCP defines, with the typed
//! `data` of the errors a client acts on.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::JsonObject;
use super::{ClientCapabilities, ElicitRequestUrlParams};

/// The `error` member of a JSON-RPC error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// Error code (see [`codes`]).
    pub code: i64,
    /// Short description.
    pub message: String,
    /// Additional information, any JSON value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl ErrorObject {
    /// An error with a code and a message and no data.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        ErrorObject {
            code,
            message: message.into(),
            data: None,
            extra: JsonObject::new(),
        }
    }

    /// The `data` of an `UnsupportedProtocolVersionError`, if this is one and
    /// its data has the documented shape.
    pub fn unsupported_version(&self) -> Option<UnsupportedProtocolVersionData> {
        if self.code != codes::UNSUPPORTED_PROTOCOL_VERSION {
            return None;
        }
        serde_json::from_value(self.data.clone()?).ok()
    }

    /// The `data` of a `URLElicitationRequiredError` (2025-11-25), if this is
    /// one and its data has the documented shape.
    pub fn url_elicitation_required(&self) -> Option<UrlElicitationRequiredData> {
        if self.code != codes::URL_ELICITATION_REQUIRED {
            return None;
        }
        serde_json::from_value(self.data.clone()?).ok()
    }

    /// Whether the code is one of the errors only a modern (2026-07-28+)
    /// server sends. Era detection treats these as "the server is modern".
    pub fn is_modern_error(&self) -> bool {
        matches!(
            self.code,
            codes::HEADER_MISMATCH
                | codes::MISSING_REQUIRED_CLIENT_CAPABILITY
                | codes::UNSUPPORTED_PROTOCOL_VERSION
        )
    }
}

impl std::fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

/// The error codes of JSON-RPC 2.0 and MCP.
pub mod codes {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON sent is not a valid request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// The method does not exist or is not available.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Invalid method parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal JSON-RPC error.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// Resource not found (2025-11-25 and earlier; 2026-07-28 uses -32602).
    pub const RESOURCE_NOT_FOUND: i64 = -32002;
    /// URL-mode elicitation required (2025-11-25 only).
    pub const URL_ELICITATION_REQUIRED: i64 = -32042;
    /// An HTTP header disagrees with the body (2026-07-28).
    pub const HEADER_MISMATCH: i64 = -32020;
    /// The request needs a client capability it did not declare (2026-07-28).
    pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i64 = -32021;
    /// The server does not speak the requested protocol version (2026-07-28).
    pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;
    /// The user rejected a sampling request (client-sent, legacy docs).
    pub const USER_REJECTED: i64 = -1;
}

/// `data` of an `UnsupportedProtocolVersionError` (-32022).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnsupportedProtocolVersionData {
    /// Versions the server supports.
    pub supported: Vec<String>,
    /// The version the client asked for.
    #[serde(default)]
    pub requested: Option<String>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `data` of a `MissingRequiredClientCapabilityError` (-32021).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingRequiredClientCapabilityData {
    /// The capabilities the request needs.
    pub required_capabilities: ClientCapabilities,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `data` of a `URLElicitationRequiredError` (-32042, 2025-11-25).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UrlElicitationRequiredData {
    /// The URL elicitations to complete before retrying.
    pub elicitations: Vec<ElicitRequestUrlParams>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}
