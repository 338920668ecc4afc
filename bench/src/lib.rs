//! Benchmarks of the MCP client against the physical floors.
//!
//! - [`cli`]: the driver contract every benchmarked client implements
//!   (`mcp-bench-client`, and `mcp-bench-floor`, the raw pipe floor).
//! - [`server`]: the fixed bench server, sans-IO (a request line in, a
//!   response line out), served over stdio by `mcp-bench-server`.
//! - [`wire`]: the exact bytes our client writes, made by the core itself,
//!   so the floor writes what the client writes.
//! - [`report`]: the one JSON line a run prints, CPU time and peak memory.
//!
//! `mcp-bench` runs the whole suite; `scripts/bench` builds and runs it.

pub mod cli;
pub mod httpd;
pub mod report;
pub mod server;
pub mod watchdog;
pub mod wire;
