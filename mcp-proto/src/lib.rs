//! Sans-IO Model Context Protocol client core.
//!
//! `mcp-proto` turns bytes from an MCP server and calls from your program into
//! bytes for the server and events for your program. It does no I/O and reads
//! no clock: no sockets, pipes, files, processes, threads or
//! `Instant::now()`. Time is a parameter. That makes it usable from blocking
//! code, any async runtime (or none), fuzzers and property tests alike; the
//! `mcp-blocking` and `mcp-smol` crates are thin drivers around it.
//!
//! # In scope
//! - Every protocol revision a real server speaks: 2024-11-05, 2025-03-26,
//!   2025-06-18, 2025-11-25 (the *legacy* era, opened by `initialize`) and
//!   2026-07-28 (the *modern* era: stateless, per-request `_meta`).
//! - Era detection exactly as the 2026-07-28 stdio binding prescribes, hidden
//!   behind one API: [`Event::Ready`] says which era and version won.
//! - Newline-delimited JSON-RPC framing with a frame size limit, JSON-RPC
//!   batches on the receive side, string and number ids.
//! - Requests with timeouts, cancellation both ways, progress, pagination to
//!   the end of a list, the 2026-07-28 result cache, subscriptions in both
//!   eras, and one "input needed" event for elicitation, sampling and roots,
//!   whether the server asks with a legacy request or a 2026-07-28
//!   `input_required` result.
//! - HTTP: Streamable HTTP in both eras (sessions, resumption with
//!   `Last-Event-ID`, the 2026-07-28 routing headers and `x-mcp-header`), the
//!   2024-11-05 HTTP+SSE fallback, retries with `Retry-After`, and session
//!   expiry. The core emits whole requests ([`Output::Http`]) and the adapter
//!   reports what came back ([`Client::handle_http`]); see [`http`]. An
//!   [`sse`] parser complete to the HTML standard does the event streams.
//! - A documented tolerance policy for what real servers get wrong, and a
//!   wire tap for debugging.
//!
//! # Out of scope
//! Spawning servers, reading pipes, sockets, TLS, timers: that is the
//! adapters' job. Authorization (OAuth for HTTP servers) is being built in
//! [`auth`]; the login flow is not there yet.
//!
//! # The run loop
//!
//! ```no_run
//! use std::io::{BufRead, Read, Write};
//! use std::process::{Command, Stdio};
//! use std::time::Instant;
//! use mcp_proto::methods::ListTools;
//! use mcp_proto::model::{ListToolsResult, PaginatedRequestParams};
//! use mcp_proto::{Client, Config, Event, Output, RequestOptions};
//!
//! let mut child = Command::new("my-mcp-server")
//!     .stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
//! let mut stdin = child.stdin.take().unwrap();
//! let mut stdout = child.stdout.take().unwrap();
//!
//! let mut client = Client::new(Config::default(), Instant::now());
//! let call = client.request::<ListTools>(Instant::now(), &PaginatedRequestParams::default(), RequestOptions::default())?;
//! let mut buf = [0u8; 65536];
//! loop {
//!     // 1. Drain every output after each input.
//!     while let Some(out) = client.poll_output() {
//!         match out {
//!             Output::Transmit(bytes) => stdin.write_all(&bytes)?,
//!             Output::CloseTransport => { /* close stdin, wait for the child */ }
//!             Output::Event(Event::Response { call: c, result }) if c == call => {
//!                 let tools: ListToolsResult = result?.decode()?;
//!                 println!("{} tools", tools.tools.len());
//!                 return Ok(());
//!             }
//!             Output::Event(_) => {}
//!             // Only a client made with `Client::new_http` asks for these.
//!             Output::Http(_) | Output::AbortHttp(_) => unreachable!(),
//!         }
//!     }
//!     // 2. Wait for input or the next deadline (a real driver waits on both;
//!     //    see mcp-blocking), then hand it in with the current time.
//!     let n = stdout.read(&mut buf)?;
//!     let now = Instant::now();
//!     if n == 0 { client.handle_eof(now) } else { client.handle_bytes(now, &buf[..n])? }
//!     if client.poll_timeout().is_some_and(|t| t <= now) { client.handle_timeout(now) }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Invariants
//! - After any `handle_*` call or command, drain [`Client::poll_output`] until
//!   it returns `None`, then read [`Client::poll_timeout`].
//! - Pass the current time, monotonically; the core clamps any step back.
//! - [`Client::handle_timeout`] is idempotent and safe to call early.
//! - Every call ends in exactly one terminal [`Event::Response`]: a result,
//!   a server error, a timeout, a cancellation, or the connection closing.
//! - [`Event::Closed`] is the last event.
//!
//! # Memory
//! What the client holds follows [`Limits`], whatever the server sends. A
//! frame is never buffered past `max_frame_size` (a longer one is scanned
//! for the request it answers and dropped). Events wait in a queue bounded
//! by `max_queued_events` and `max_queued_bytes` ([`Event::heap_size`]):
//! while it is full, frames stay unprocessed and `handle_bytes` refuses
//! more than a frame's worth ([`UsageError::Backlogged`]), and while it is
//! backed up, violations of one kind in a row merge into one
//! ([`Violation::repeats`]). What the client writes in reaction to the
//! server is counted by [`Client::take_reactive_bytes`] (over HTTP:
//! [`Client::replies_in_flight`]): a driver stops reading from a server
//! that lets more than `max_unwritten_replies` of it pile up.
//!
//! # The API, by kind
//! - Commands (return at once, never block): [`Client::request`],
//!   [`Client::request_raw`], [`Client::ping`], [`Client::set_log_level`],
//!   [`Client::subscribe`], [`Client::unsubscribe`], [`Client::cancel`],
//!   [`Client::provide_input`], [`Client::notify_roots_list_changed`],
//!   [`Client::close`].
//! - Inputs: [`Client::handle_bytes`], [`Client::handle_eof`],
//!   [`Client::handle_timeout`].
//! - Outputs: [`Client::poll_output`], [`Client::poll_timeout`].
//! - State: [`Client::version`], [`Client::era`],
//!   [`Client::server_capabilities`], [`Client::server_info`], ...
//!
//! # Errors
//! - [`UsageError`]: you misused the API; returned from the command, nothing
//!   changed.
//! - [`RequestError`]: how one call ended when it did not succeed.
//! - [`Violation`]: the server broke the protocol. Under
//!   [`Tolerance::Lenient`] (the default) it is reported as
//!   [`Event::Violation`] and the connection goes on; under
//!   [`Tolerance::Strict`] it closes the connection.
//! - [`CloseReason`]: why the connection ended.
//!
//! # Panics
//! None on any input: malformed, oversized, out-of-order or hostile bytes,
//! and any sequence of commands, give an error or an event. A panic is a bug;
//! property tests and fuzz targets check for them.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod auth;
mod call;
mod client;
mod config;
mod error;
mod event;
pub mod example;
pub mod framing;
pub mod handler;
pub mod http;
mod jsonrpc;
pub mod methods;
pub mod model;
mod raw;
pub mod sse;
mod tap;
mod version;

#[cfg(feature = "proptest")]
pub mod strategies;
#[cfg(feature = "testing")]
pub mod testing;

pub use call::Call;
pub use client::{Client, HttpTransport, InputAnswer, SubscribeOutcome, Subscription};
pub use config::{CachePolicy, Config, EraPreference, Limits, RequestOptions, Tolerance};
pub use error::{CloseReason, HandshakeError, RequestError, UsageError, Violation, ViolationKind};
pub use event::{
    CallId, Direction, Event, HandshakeResult, InputId, InputNeeded, InputVia, Notification,
    Output, Ready, Reply, WireRecord,
};
pub use raw::RawJson;
pub use version::{Era, ProtocolVersion, UnknownVersion};
