//! Library half of the `mcp` command. The command itself is built in its own
//! issue on top of `mcp-blocking`; this crate only reserves its place in the
//! workspace.
