//! An async Model Context Protocol client that needs no particular runtime:
//! no tokio, and no executor of its own to adopt. Await it from `smol`,
//! `async-executor`, `futures_lite::future::block_on`, a GUI event loop, or
//! anything else that polls futures.
//!
//! ```no_run
//! use mcp_smol::prelude::*;
//!
//! # fn main() -> Result<(), mcp_smol::Error> {
//! futures_lite::future::block_on(async {
//!     let client = Client::spawn(&ServerCommand::new("my-mcp-server")).await?;
//!     for tool in client.list_tools().await?.tools {
//!         println!("{}", tool.name);
//!     }
//!     let result = client
//!         .with_timeout(std::time::Duration::from_secs(5))
//!         .call_tool("echo", serde_json::json!({"text": "hi"}))
//!         .await?;
//!     client.close().await;
//!     Ok(())
//! })
//! # }
//! ```
//!
//! It has the same operations as `mcp-blocking` (both get them from
//! [`mcp_proto::api::Operations`]), the same handlers, errors and settings
//! (from `mcp-adapter`); the two differ only in how they do I/O. Every
//! protocol revision is spoken: the era is detected on start, and the
//! differences are handled by [`mcp_proto`], the sans-IO core.
//!
//! What this crate adds is async I/O:
//!
//! - the server process ([`Client::spawn`]), over `async-process`: spawned
//!   in a process group of its own, its stderr always drained (the last
//!   lines kept for errors, each line handed to [`Builder::on_stderr`]),
//!   shut down as the spec says (close stdin, wait, SIGTERM, wait, SIGKILL,
//!   to the whole group, and on Linux to its descendants that left the
//!   group, found through `/proc` while it runs) and reaped;
//! - HTTP ([`Client::connect_http`]): an HTTP/1.1 client on `async-io`
//!   with TLS by rustls ([`http`]), keep-alive connections reused, no
//!   redirects followed;
//! - a driver thread that owns the core and runs the I/O as tasks on a
//!   local executor. Application futures only wait on channels, so they run
//!   under any executor, and the protocol's timers keep running even while
//!   the application's executor is busy.
//!
//! Every operation returns a [`Request`] future. It starts its call when
//! first polled; dropping it before it is done cancels the call on the
//! wire (`notifications/cancelled`, or closing the HTTP request). Dropping
//! the last [`Client`] handle shuts the server down in the background;
//! [`Client::close`] does the same and waits for it.
//!
//! Callbacks (notifications, progress, stderr lines, input requests) run on
//! threads of the client's own, in the order their messages arrived. A
//! call's future resolves only after every callback for what arrived
//! before its answer has run; [`Client::flush_callbacks`] waits for the
//! callbacks of whatever came since, and [`Client::spawn`] and
//! [`Client::connect_http`] return after the callbacks of the handshake.
//! A call made from inside a callback is answered at once (the callbacks
//! it would wait behind cannot run before it returns).
//!
//! Memory follows the configured limits whatever the server writes: while
//! the callbacks lag behind by more than `Limits::max_queued_events` or
//! `max_queued_bytes`, or more than `max_unwritten_replies` of the answers
//! to the server's own requests wait for it to read them, the client stops
//! reading from the server (one chunk in flight per reader), so the
//! server waits instead of memory growing (see `mcp_adapter::backlog`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod driver;
pub mod http;

pub use client::{Builder, Client, PendingCall, Request};
pub use http::HttpSettings;
pub use mcp_adapter::{Closed, Error, ExitStatus, ServerCommand, Shutdown, StderrTail};
pub use mcp_proto;

/// Everything a typical program needs: the client, the operations trait
/// that gives it its methods, and the handler helpers.
pub mod prelude {
    pub use crate::{Builder, Client, Error, ServerCommand, Shutdown};
    pub use mcp_proto::api::Operations;
    pub use mcp_proto::handler::{
        InputHandler, InputHandlers, NotificationHandler, OnNotification,
    };
    pub use mcp_proto::http::HttpOptions;
    pub use mcp_proto::{Config, Notification, Subscription};
}
