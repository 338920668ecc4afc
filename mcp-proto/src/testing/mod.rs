//! Test kit: a scripted in-memory MCP server and a [`Pair`] that runs a
//! [`Client`](crate::Client) against it on a virtual clock.
//!
//! Whole conversations, timeouts included, run in microseconds with no I/O,
//! deterministically: ids are sequential, time is simulated, JSON keys are
//! sorted. The transcript of a run is stable enough for snapshot tests.
//!
//! ```
//! use std::time::Instant;
//! use mcp_proto::testing::{Pair, ServerConfig};
//! use mcp_proto::{Config, Era};
//!
//! let mut pair = Pair::new(Config::default(), ServerConfig::modern(), Instant::now());
//! pair.settle();
//! assert_eq!(pair.client.era(), Some(Era::Modern));
//! ```
//!
//! Enabled by the `testing` feature; used by this crate's tests, the
//! workspace's integration tests and the fuzz targets.

pub mod fuzz;
mod pair;

pub use pair::Pair;
// The scripted server lives in `mcp-demo` (it is also the bundled demo);
// re-exported so tests keep one import path.
pub use mcp_demo::{ProbeReply, ScriptedServer, ServerConfig, ServerEra};
