//! Async MCP client on smol's building blocks, driving the sans-IO core in
//! [`mcp_proto`] without tokio.
//!
//! This crate is a placeholder: the adapter is built in its own issue on top of
//! `mcp-proto` and `mcp-blocking`.

pub use mcp_proto;
