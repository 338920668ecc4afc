//! A blocking Model Context Protocol client on plain std threads.
//!
//! Start a server and call it from any number of threads; no async runtime
//! is involved anywhere, so it works inside and outside any executor, and in
//! `Drop`.
//!
//! ```no_run
//! use mcp_blocking::prelude::*;
//!
//! let client = Client::spawn(&ServerCommand::new("my-mcp-server"))?;
//! for tool in client.list_tools()?.tools {
//!     println!("{}", tool.name);
//! }
//! let result = client.with_timeout(std::time::Duration::from_secs(5)).call_tool("echo", serde_json::json!({"text": "hi"}))?;
//! # Ok::<(), mcp_blocking::Error>(())
//! ```
//!
//! Every protocol revision is spoken (the era is detected on start), and
//! the differences are handled by [`mcp_proto`], the sans-IO core this crate
//! drives. What this crate adds is I/O:
//!
//! - the server process: spawned in a process group of its own, its stderr
//!   always drained (the last lines kept for errors, each line handed to
//!   [`Builder::on_stderr`]), shut down as the spec says (close stdin, wait,
//!   SIGTERM, wait, SIGKILL, to the whole group, so the grandchildren of
//!   `npx`/`uvx` launchers go too, and on Linux to the server's
//!   descendants that left the group, found through `/proc` while it runs)
//!   and reaped, on [`Client::close`] or when the last handle drops;
//! - HTTP ([`Client::connect_http`], [`Builder::connect_http`]): every
//!   exchange the core asks for runs on a worker thread (kept a moment
//!   for the next exchange) over `ureq`
//!   (HTTP/1.1, keep-alive connections reused, no redirects followed, TLS by
//!   rustls verified against the Mozilla roots or the roots given in
//!   [`HttpSettings`]); aborting an exchange closes its connection;
//! - threads: a driver that owns the core and alone reads the clock, a
//!   writer, a reader per output pipe, a waiter for the process, and a
//!   dispatcher for notification callbacks (started with the first
//!   callback it has to run); input requests are answered on
//!   a thread each, since a human may be typing. A thread waiting on a call
//!   to a spawned server reads the server's stdout itself while nobody else
//!   does (the reader thread stands back while calls are being waited on),
//!   which saves a sequential call a context switch. Threads are reused:
//!   when a client closes, its threads wait up to two seconds for the next
//!   client's work (at most 32 wait), so a program that starts one
//!   short-lived server after another does not pay for new threads each
//!   time.
//!
//! Callbacks run in the order their messages arrived, on one thread. A call
//! returns only after every callback for what arrived before its answer has
//! run (its progress reports, and what the notification handler had yet to
//! hear); [`Client::flush_callbacks`] waits for the callbacks of whatever
//! came since, and [`Client::spawn`] and [`Client::connect_http`] return
//! after the callbacks of the handshake. A call made from inside a callback
//! is answered at once (the callbacks it would wait behind cannot run
//! before it returns). A callback that panics loses only its own report; an
//! input handler that panics refuses the request, so the call goes on
//! rather than waiting for an answer.
//!
//! Knowing what happened, and for which call:
//!
//! ```no_run
//! use mcp_blocking::mcp_proto::api::CallOptions;
//! use mcp_blocking::mcp_proto::model::{ClientCapabilities, ElicitResult, ElicitationCapability, JsonObject};
//! use mcp_blocking::mcp_proto::Call;
//! use mcp_blocking::prelude::*;
//!
//! // Exactly these capabilities: the configuration decides; the handler's
//! // own `capabilities()` count only when the configuration declares none
//! // of elicitation, sampling and roots.
//! let declared = ClientCapabilities {
//!     elicitation: Some(ElicitationCapability { form: Some(JsonObject::new()), ..Default::default() }),
//!     ..ClientCapabilities::default()
//! };
//! let client = Client::builder()
//!     .config(Config::default().with_capabilities(declared))
//!     // Told which call asks, and whether by a server request or a
//!     // 2026-07-28 `input_required` round.
//!     .input_handler(InputHandlers::new().on_elicit_with_context(|_form, input| {
//!         println!("{:?} asked during {:?} ({:?})", input.via, input.call, input.call_method);
//!         ElicitResult::decline()
//!     }))
//!     .notification_handler(OnNotification(|n: &Notification| println!("{n:?}")))
//!     .spawn(&ServerCommand::new("my-mcp-server"))?;
//! // The `initialize` or `server/discover` result as the server sent it.
//! let handshake = client.handshake().expect("ready");
//! println!("{} answered with {:?}", handshake.method(), handshake.raw());
//! // A call's id is what its progress reports and input requests name.
//! let call = Call::raw("tools/call", serde_json::json!({"name": "ask_name"}).as_object().cloned().unwrap());
//! let pending = client.start(call, CallOptions::default())?;
//! println!("started {}", pending.id());
//! // It returns after every callback for what came before its answer.
//! let reply = pending.wait()?;
//! // And this waits for the callbacks of whatever came since.
//! client.flush_callbacks();
//! # Ok::<(), mcp_blocking::Error>(())
//! ```
//!
//! Errors say what happened: [`Error::ServerExited`] carries the exit status
//! and the tail of stderr; a call in flight when the server dies fails at
//! once.
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

/// Bytes read from the server (a pipe, a socket, a response body) at a time.
const READ_CHUNK: usize = 64 * 1024;

pub mod http;
#[cfg(unix)]
mod lead;
pub mod process;

pub use client::{Builder, Canceller, Client, Duplex, PendingCall};
pub use http::HttpSettings;
pub use mcp_adapter::{Closed, Error, ExitStatus, StderrTail};
pub use mcp_proto;
pub use process::{ServerCommand, Shutdown};

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
