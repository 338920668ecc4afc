//! Async MCP client on smol's building blocks, driving the sans-IO core in
//! [`mcp_proto`] without tokio.
//!
//! So far this crate has the HTTP client the adapter performs the core's
//! exchanges with ([`http`]); the `Client` itself comes in its own issue.

pub use mcp_proto;

pub mod http;
