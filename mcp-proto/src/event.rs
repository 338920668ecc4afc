//! What the client hands back: bytes to write, events to act on, and the
//! instruction to close the transport.

use serde::de::DeserializeOwned;

use crate::error::{CloseReason, RequestError, Violation};
use crate::http::{ExchangeId, HttpRequest};
use crate::model::{
    DiscoverResult, ElicitationCompleteNotificationParams, ErrorObject, Implementation,
    InitializeResult, InputRequest, LoggingMessageNotificationParams, ProgressNotificationParams,
    RequestId, ResourceUpdatedNotificationParams, ServerCapabilities, TaskStatusNotificationParams,
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
    /// The answer that made the connection ready, as the server sent it:
    /// everything the fields above leave out (`supportedVersions`,
    /// `ttlMs`, `cacheScope`, `_meta`, fields of later revisions) is here.
    pub handshake: HandshakeResult,
}

/// The server's answer that made a connection ready, as received.
///
/// ```
/// use mcp_proto::{HandshakeResult, RawJson};
///
/// let raw = RawJson::from_string(r#"{"protocolVersion":"2025-11-25","capabilities":{},
///     "serverInfo":{"name":"s","version":"1"},"_meta":{"x":1}}"#.to_owned());
/// let handshake = HandshakeResult::Initialize(raw);
/// assert_eq!(handshake.method(), "initialize");
/// assert_eq!(handshake.initialize().unwrap().server_info.name, "s");
/// assert!(handshake.raw().unwrap().get().contains(r#""_meta":{"x":1}"#));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum HandshakeResult {
    /// A legacy server's result for `initialize`.
    Initialize(RawJson),
    /// A 2026-07-28 server's result for `server/discover`.
    Discover(RawJson),
    /// A 2026-07-28 server answered `server/discover` with an error that
    /// only a modern server gives: its era is known, its capabilities are
    /// not.
    DiscoverError(ErrorObject),
}

impl HandshakeResult {
    /// The method it answered.
    pub fn method(&self) -> &'static str {
        match self {
            HandshakeResult::Initialize(_) => "initialize",
            HandshakeResult::Discover(_) | HandshakeResult::DiscoverError(_) => "server/discover",
        }
    }

    /// The result as received (`None` for an error).
    pub fn raw(&self) -> Option<&RawJson> {
        match self {
            HandshakeResult::Initialize(r) | HandshakeResult::Discover(r) => Some(r),
            HandshakeResult::DiscoverError(_) => None,
        }
    }

    /// The `initialize` result, typed.
    pub fn initialize(&self) -> Option<InitializeResult> {
        match self {
            HandshakeResult::Initialize(r) => r.decode().ok(),
            _ => None,
        }
    }

    /// The `server/discover` result, typed.
    pub fn discover(&self) -> Option<DiscoverResult> {
        match self {
            HandshakeResult::Discover(r) => r.decode().ok(),
            _ => None,
        }
    }
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
    /// The call the input is for, when it is known: always for a 2026-07-28
    /// `input_required` round and a 2025-11-25 URL elicitation error; for a
    /// legacy server-to-client request, when it came over HTTP on the
    /// response stream of a call. Over stdio a legacy server's request
    /// names no call.
    pub call: Option<CallId>,
    /// That call's method (`tools/call`, ...).
    pub call_method: Option<String>,
    /// How the request arrived, which decides how the answer travels.
    pub via: InputVia,
    /// What the server asks for.
    pub request: InputRequest,
}

/// How an input request reached the client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputVia {
    /// A server-to-client request (legacy revisions), with the server's id
    /// for it; the answer goes back as a JSON-RPC response.
    ServerRequest {
        /// The server's request id.
        id: RequestId,
    },
    /// An entry of a 2026-07-28 `input_required` result; the answer goes
    /// back when the call is retried with `inputResponses`.
    InputRequired {
        /// The entry's key in `inputRequests`.
        key: String,
        /// Which round of the call asked (1 for the first).
        round: u32,
    },
    /// A 2025-11-25 URL-elicitation-required error (-32042) on the call;
    /// the call is retried once the user has been to the URL.
    UrlElicitationRequired,
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
