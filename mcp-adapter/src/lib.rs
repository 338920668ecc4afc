//! What every MCP client adapter needs beyond the core, written once: how a
//! server is started and stopped (plain data), its process group, its
//! stderr split into lines, and the errors a call ends with, worded for the person reading them.
//!
//! `mcp-blocking` and `mcp-smol` differ only in how they do I/O; anything
//! they would otherwise both write lives here (protocol logic lives in
//! `mcp-proto`). Application code reaches these types through either
//! adapter's re-exports.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod backlog;
mod command;
pub mod dispatch;
mod error;
pub mod group;
pub mod lifecycle;
mod pem;
pub mod session;
mod settings;
pub mod status;
pub mod stderr;
pub mod workers;

pub use command::{ServerCommand, Shutdown};
pub use error::{Error, ExitStatus, StderrTail};
pub use pem::certificates_from_pem;
pub use settings::{
    handshake_limit, Closed, HttpSettings, Settings, StderrFn, DEFAULT_STDERR_LINES,
    STDERR_TAIL_LINES,
};
pub use status::{State, Status};

/// What the macros name; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use mcp_proto::handler::{InputHandler, NotificationHandler};
    pub use mcp_proto::model::{Implementation, ServerCapabilities};
    pub use mcp_proto::{Config, Era, HandshakeResult, HttpTransport, ProtocolVersion, Ready};
}
