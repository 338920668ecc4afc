//! What the client hands back: bytes to write, events to act on, and the
//! instruction to close the transport.

use serde::de::DeserializeOwned;

use crate::error::{CloseReason, RequestError, Violation};
use crate::http::{ExchangeId, HttpRequest};
use crate::model::{
    ElicitationCompleteNotificationParams, Implementation, InputRequest,
    LoggingMessageNotificationParams, ProgressNotificationParams,
    ResourceUpdatedNotificationParams, ServerCapabilities, TaskStatusNotificationParams,
};
use crate::raw::RawJson;
use crate::version::{Era, ProtocolVersion};

/// A user request, from the call that issued it to its one terminal
/// [`Event::Response`]. Not a JSON-RPC id: one call may use several ids
/// (pagination, `input_required` retries, version retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// An input request waiting for the application's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InputId(pub u64);

/// One item of the client's output, in the order it must be acted on.
#[derive(Debug)]
#[must_use]
pub enum Output {
    /// Write these bytes to the server (stdin), in order. Several frames may
    /// be coalesced into one buffer so that one write carries them all.
    Transmit(Vec<u8>),
    /// Something the application should know about.
    Event(Event),
    /// Perform this HTTP request and report its response with
    /// [`Client::handle_http`](crate::Client::handle_http) (HTTP only).
    Http(HttpRequest),
    /// Stop this HTTP exchange and close its connection; report nothing more
    /// for it (HTTP only; for a 2026-07-28 server, this cancels the request).
    AbortHttp(ExchangeId),
    /// Close the stream to the server (stdin): nothing more will be written.
    /// For a child process, then wait for it to exit (and escalate to signals
    /// if it does not); keep feeding its output until end of file. Over
    /// HTTP: abort whatever exchanges are left; the connection is over.
    CloseTransport,
}

/// Something that happened on the connection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The server is ready: requests issued before now are being sent.
    Ready(Box<Ready>),
    /// A call ended. Every call ends in exactly one of these.
    Response {
        /// The call.
        call: CallId,
        /// Its outcome.
        result: Result<Reply, RequestError>,
    },
    /// The server needs input from the application: answer with
    /// [`Client::provide_input`](crate::Client::provide_input). The same event
    /// covers legacy server-to-client requests and 2026-07-28 `input_required`
    /// results; the core sends a response or retries the call as the era needs.
    InputNeeded(Box<InputNeeded>),
    /// An input request no longer needs an answer (the server cancelled it,
    /// its call ended, or it timed out and the core refused it).
    InputWithdrawn {
        /// The input request.
        input: InputId,
        /// Why.
        reason: String,
    },
    /// Progress of a call that asked for it.
    Progress {
        /// The call.
        call: CallId,
        /// The notification's params.
        progress: ProgressNotificationParams,
    },
    /// A notification from the server.
    Notification(Notification),
    /// The server broke the protocol; the connection goes on (lenient policy).
    Violation(Violation),
    /// A frame went in or out (only with `Config::wire_tap`).
    Wire(WireRecord),
    /// The server ended the MCP session (HTTP 404 with the session id). A
    /// new session is being started: `Event::Ready` follows when it is,
    /// and calls safe to repeat go out again in it. Subscriptions and the
    /// log level of the old session are gone; set them again.
    SessionExpired,
    /// The connection ended; this is the last event.
    Closed(CloseReason),
}

impl Event {
    /// Whether this event ends a call.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Event::Response { .. })
    }

    /// About how many bytes of memory this event holds: the event itself
    /// and what its strings and JSON point to (a result counts the whole
    /// frame it is a slice of). What bounded queues of events weigh
    /// ([`Limits::max_queued_bytes`](crate::Limits::max_queued_bytes)).
    pub fn heap_size(&self) -> usize {
        let held = match self {
            Event::Ready(r) => {
                json_len(&r.capabilities)
                    + r.server_info.as_ref().map_or(0, json_len)
                    + r.instructions.as_ref().map_or(0, String::len)
            }
            Event::Response { result, .. } => match result {
                Ok(reply) => reply.method.len() + reply.result.held(),
                Err(e) => display_len(e),
            },
            Event::InputNeeded(n) => std::mem::size_of::<InputNeeded>() + json_len(&n.request),
            Event::InputWithdrawn { reason, .. } => reason.len(),
            Event::Progress { progress, .. } => json_len(progress),
            Event::Notification(n) => match n {
                Notification::Log(p) => json_len(p),
                Notification::ResourceUpdated(p) => json_len(p),
                Notification::ElicitationComplete(p) => json_len(p),
                Notification::TaskStatus(p) => json_len(p),
                Notification::SubscriptionsEnded { reason } => {
                    reason.as_ref().map_or(0, String::len)
                }
                Notification::Other { method, params } => {
                    method.len() + params.as_ref().map_or(0, RawJson::held)
                }
                Notification::ToolsListChanged
                | Notification::PromptsListChanged
                | Notification::ResourcesListChanged => 0,
            },
            Event::Violation(v) => v.detail.len(),
            Event::Wire(w) => w.text.len(),
            Event::SessionExpired => 0,
            Event::Closed(reason) => display_len(reason),
        };
        std::mem::size_of::<Event>() + held
    }
}

/// Counts what is written to it.
struct Count(usize);

impl std::io::Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}

/// The length of `value` as JSON, without building the text.
fn json_len<T: serde::Serialize + ?Sized>(value: &T) -> usize {
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, value);
    c.0
}

/// The length of `value` as text, without building it.
fn display_len(value: &impl std::fmt::Display) -> usize {
    let mut c = Count(0);
    let _ = std::fmt::write(&mut c, format_args!("{value}"));
    c.0
}

/// What the client learned when the server became ready.
#[derive(Debug, Clone, PartialEq)]
pub struct Ready {
    /// The server's era.
    pub era: Era,
    /// The protocol revision in use.
    pub version: ProtocolVersion,
    /// The server's identity (always known in the legacy era; in the modern
    /// era only if the server put it in `_meta`).
    pub server_info: Option<Implementation>,
    /// What the server offers.
    pub capabilities: ServerCapabilities,
    /// Whether `capabilities` came from the server (false when a modern server
    /// answered the probe with an error, so nothing is known).
    pub capabilities_known: bool,
    /// The server's usage instructions.
    pub instructions: Option<String>,
}

/// A successful answer to a call.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The method that was called (`server/discover` for a modern `ping`).
    pub method: String,
    /// The result, as received (for lists fetched page by page, the merged
    /// list).
    pub result: RawJson,
    /// Whether the answer came from the cache.
    pub from_cache: bool,
}

impl Reply {
    /// Decodes the result into `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        self.result.decode()
    }
}

/// An input request for the application.
#[derive(Debug, Clone, PartialEq)]
pub struct InputNeeded {
    /// Answer with this id.
    pub id: InputId,
    /// The call the input is for, when the server tied it to one (2026-07-28
    /// `input_required`, 2025-11-25 URL elicitation errors). Legacy
    /// server-to-client requests are not tied to a call.
    pub call: Option<CallId>,
    /// What the server asks for.
    pub request: InputRequest,
}

/// A server notification other than progress (which is `Event::Progress`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Notification {
    /// A log message (`notifications/message`).
    Log(LoggingMessageNotificationParams),
    /// The tool list changed; cached lists were dropped.
    ToolsListChanged,
    /// The prompt list changed; cached lists were dropped.
    PromptsListChanged,
    /// The resource list changed; cached lists were dropped.
    ResourcesListChanged,
    /// A subscribed resource changed; its cached reads were dropped.
    ResourceUpdated(ResourceUpdatedNotificationParams),
    /// A URL-mode elicitation finished (2025-11-25).
    ElicitationComplete(ElicitationCompleteNotificationParams),
    /// A task's status changed (2025-11-25 tasks).
    TaskStatus(Box<TaskStatusNotificationParams>),
    /// The server ended the change-notification stream (2026-07-28
    /// `subscriptions/listen`); subscribe again to resume.
    SubscriptionsEnded {
        /// What the server said, if anything.
        reason: Option<String>,
    },
    /// A notification this crate does not model, or whose params did not
    /// decode.
    Other {
        /// The method.
        method: String,
        /// The params as received.
        params: Option<RawJson>,
    },
}

/// Direction of a frame on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to server.
    Out,
    /// Server to client.
    In,
}

/// One frame as seen on the wire, with secrets redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRecord {
    /// Which way it went.
    pub direction: Direction,
    /// The frame text (redacted, possibly shortened).
    pub text: String,
    /// The frame's full length in bytes.
    pub len: usize,
}
