//! A sans-IO MCP server that speaks every revision: the bundled demo of the
//! `mcp` command, and the scripted peer of this workspace's tests.
//!
//! [`ScriptedServer`] takes the client's bytes and hands back its own, on a
//! clock passed in as a value, so tests run it on virtual time and the
//! [`stdio`] runner on the real one. It speaks the legacy era (`initialize`,
//! 2024-11-05 to 2025-11-25), the modern era (2026-07-28: `server/discover`,
//! per-request `_meta`, `input_required`, `subscriptions/listen`) or both, and
//! can be told to misbehave in the ways real servers do ([`ServerConfig`],
//! [`ProbeReply`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod server;
pub mod stdio;

pub use server::{ProbeReply, ScriptedServer, ServerConfig, ServerEra};
