//! The `_meta` keys the protocol reserves, and typed reads of them.

use serde_json::Value;

use super::common::{Implementation, Meta, ProgressToken, RequestId};

/// Protocol version of a request (2026-07-28, required).
pub const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// Client capabilities for a request (2026-07-28, required).
pub const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// Client identity on a request (2026-07-28, should).
pub const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
/// Minimum log level for a request (2026-07-28, opt-in).
pub const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
/// Server identity on a result (2026-07-28, should).
pub const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
/// The `subscriptions/listen` request a notification belongs to (2026-07-28).
pub const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";
/// The task a message relates to (2025-11-25 tasks).
pub const RELATED_TASK: &str = "io.modelcontextprotocol/related-task";
/// Opts a request into progress notifications (all revisions).
pub const PROGRESS_TOKEN: &str = "progressToken";

/// The progress token of a request's `_meta`, if any.
pub fn progress_token(meta: &Meta) -> Option<ProgressToken> {
    meta.get(PROGRESS_TOKEN)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// The subscription id of a notification's or result's `_meta`, if any.
pub fn subscription_id(meta: &Meta) -> Option<RequestId> {
    meta.get(SUBSCRIPTION_ID)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// The server identity of a result's `_meta`, if present and well-formed.
pub fn server_info(meta: &Meta) -> Option<Implementation> {
    meta.get(SERVER_INFO)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// Whether a `_meta` key is reserved for MCP: its prefix's second label is
/// `modelcontextprotocol` or `mcp` (for example `io.modelcontextprotocol/x`).
pub fn is_reserved_key(key: &str) -> bool {
    let Some((prefix, _)) = key.split_once('/') else {
        return false;
    };
    matches!(
        prefix.split('.').nth(1),
        Some("modelcontextprotocol" | "mcp")
    )
}

/// Reads a string value at `key`.
pub fn get_str<'a>(meta: &'a Meta, key: &str) -> Option<&'a str> {
    meta.get(key).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_prefixes_follow_the_second_label_rule() {
        assert!(is_reserved_key("io.modelcontextprotocol/protocolVersion"));
        assert!(is_reserved_key("dev.mcp/x"));
        assert!(is_reserved_key("com.mcp.tools/x"));
        assert!(!is_reserved_key("com.example.mcp/x"));
        assert!(!is_reserved_key("progressToken"));
    }
}
