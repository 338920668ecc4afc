//! Blocking MCP client on std threads, driving the sans-IO core in [`mcp_proto`].
//!
//! This crate is a placeholder: the adapter (child-process stdio, `Send + Sync`
//! client, typed methods) is built in its own issue on top of `mcp-proto`.

pub use mcp_proto;
