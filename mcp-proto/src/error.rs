//! What can go wrong, split by who caused it.
//!
//! - [`UsageError`]: the caller misused the API. Returned synchronously from
//!   the command; nothing changed, the client stays usable.
//! - [`RequestError`]: how one request ended when it did not succeed. Carried
//!   by its terminal [`Event::Response`](crate::Event::Response).
//! - [`Violation`]: the server broke the protocol. Reported as
//!   [`Event::Violation`](crate::Event::Violation) under the lenient policy;
//!   under the strict policy it closes the connection with
//!   [`CloseReason::Protocol`].
//! - [`CloseReason`]: why the connection ended. Carried by
//!   [`Event::Closed`](crate::Event::Closed) and by every request still
//!   pending at that moment.

use std::fmt;
use std::time::Duration;

use crate::http::HttpError;
use crate::model::ErrorObject;
use crate::{CallId, InputId, ProtocolVersion};

/// The caller misused the API; the client's state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The connection is closed; open a new one.
    #[error("the connection is closed: start a new client")]
    Closed,
    /// Too many requests are pending; wait for some to finish or raise
    /// `Limits::max_pending_calls`.
    #[error("{limit} requests are already pending: wait for some to finish or raise Limits::max_pending_calls")]
    TooManyPending {
        /// The configured limit.
        limit: usize,
    },
    /// `start_with_id` was given the id of a call that has not ended.
    #[error("{0} is the id of a call that has not ended: choose another")]
    CallIdInUse(CallId),
    /// Request params must serialize to a JSON object.
    #[error("params of {method} must serialize to a JSON object, got {got}")]
    ParamsNotObject {
        /// The method.
        method: String,
        /// What they serialized to (`array`, `string`, ...).
        got: &'static str,
    },
    /// Request params failed to serialize.
    #[error("params of {method} failed to serialize: {message}")]
    Serialize {
        /// The method.
        method: String,
        /// serde's message.
        message: String,
    },
    /// No input request with this id is waiting (already answered, withdrawn
    /// by the server, or never issued).
    #[error("no input request {0} is waiting: it was answered, withdrawn or never issued")]
    UnknownInput(InputId),
    /// The answer does not fit the input request (for example a sampling
    /// result for an elicitation).
    #[error("input request {input} is {expected}, but the answer is {got}")]
    InputMismatch {
        /// The input request.
        input: InputId,
        /// The method of the request.
        expected: &'static str,
        /// The kind of answer given.
        got: &'static str,
    },
    /// Input processing is paused because the event queue is full and more
    /// than a frame's worth of bytes is buffered: drain `poll_output` first,
    /// then hand the same bytes in again.
    #[error("input backlog: {buffered} bytes are buffered while the event queue is full; drain poll_output and retry")]
    Backlogged {
        /// Bytes held by the deframer.
        buffered: usize,
    },
    /// An HTTP input for a client that is not connected over HTTP.
    #[error("handle_http on a client over a byte stream: create it with Client::new_http")]
    NotHttp,
    /// The operation needs a client capability that the configuration does
    /// not declare.
    #[error("{operation} needs the client capability {capability}, which Config::capabilities does not declare")]
    CapabilityNotDeclared {
        /// What was attempted.
        operation: &'static str,
        /// The missing capability.
        capability: &'static str,
    },
}

/// How a request ended when it did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The server answered with a JSON-RPC error.
    #[error("server error: {0}")]
    Server(ErrorObject),
    /// No answer within the request's timeout; the core sent the cancellation.
    #[error("timed out after {after:?}")]
    Timeout {
        /// How long the request was waited for.
        after: Duration,
    },
    /// Cancelled by the caller; the core sent the cancellation.
    #[error("cancelled{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Cancelled {
        /// The reason given to `cancel`.
        reason: Option<String>,
    },
    /// The connection closed before an answer arrived.
    #[error("connection closed: {0}")]
    Closed(CloseReason),
    /// The server did not advertise the capability this method needs, so the
    /// request was not sent. Disable `Config::enforce_capabilities` to send
    /// it anyway.
    #[error("the server does not advertise {capability}, which {method} needs")]
    Unsupported {
        /// The method.
        method: String,
        /// The capability it needs (e.g. `tools`, `resources.subscribe`).
        capability: &'static str,
    },
    /// The method does not exist in the negotiated revision (for example
    /// `resources/subscribe` with a 2026-07-28 server).
    #[error("{method} does not exist in protocol revision {version}")]
    NotInRevision {
        /// The method.
        method: String,
        /// The negotiated revision.
        version: ProtocolVersion,
    },
    /// The answer did not have the shape the protocol requires.
    #[error("invalid response to {method}: {detail}")]
    InvalidResponse {
        /// The method.
        method: String,
        /// What was wrong.
        detail: String,
    },
    /// The server's answer named this call but could not be read: not
    /// valid JSON or UTF-8, or not a JSON-RPC response (a duplicate key, a
    /// bad id). The call ends at once instead of waiting for its timeout;
    /// the same defect is also reported as a violation, and the connection
    /// goes on.
    #[error("the server's answer was malformed ({kind}): {detail}")]
    MalformedResponse {
        /// What was wrong with the line.
        kind: ViolationKind,
        /// The defect, and the start of the line.
        detail: String,
    },
    /// The response frame was larger than `Limits::max_frame_size` and was
    /// dropped unread.
    #[error(
        "the response was {len} bytes, over the {limit}-byte frame limit (Limits::max_frame_size)"
    )]
    ResponseTooLarge {
        /// Size of the dropped frame.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The server needed input that was refused (or that this client does not
    /// offer), so the request cannot finish.
    #[error("the server needed {method}, which was refused: {detail}")]
    InputRefused {
        /// The input method (`sampling/createMessage`, `roots/list`, ...).
        method: &'static str,
        /// Why.
        detail: String,
    },
    /// The server kept asking for input past `Config::max_input_rounds`.
    #[error("the server asked for input {rounds} times; giving up (Config::max_input_rounds)")]
    TooManyInputRounds {
        /// Rounds done.
        rounds: u32,
    },
    /// The HTTP exchange failed, or the server answered with an error
    /// status and no JSON-RPC error.
    #[error("{0}")]
    Http(HttpError),
    /// The tool was left out of `tools/list` because its `x-mcp-header`
    /// annotations are invalid (2026-07-28 Streamable HTTP), so it is not
    /// called.
    #[error("tool {tool:?} is not callable over HTTP: {reason}")]
    ToolRejected {
        /// The tool.
        tool: String,
        /// What is wrong with its definition.
        reason: String,
    },
    /// A paginated list went on past `Config::max_pages`.
    #[error("the list went on past {pages} pages; giving up (Config::max_pages)")]
    TooManyPages {
        /// Pages fetched.
        pages: u32,
    },
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// The caller closed it.
    #[error("closed by the client")]
    ClosedByUser,
    /// The server closed its output (end of file).
    #[error("the server closed the connection{}", if *during_probe { " while the client was probing its protocol era (restart it with Era::Legacy)" } else { "" })]
    PeerClosed {
        /// It happened while the client was probing with `server/discover`:
        /// some legacy servers exit on an unknown first request. Restarting the
        /// server with `EraPreference::Legacy` skips the probe.
        during_probe: bool,
    },
    /// Startup failed.
    #[error("handshake failed: {0}")]
    Handshake(HandshakeError),
    /// The server broke the protocol and the policy is strict.
    #[error("protocol violation: {0}")]
    Protocol(Violation),
    /// The HTTP connection to the server failed for good (the 2024-11-05
    /// event stream ended, or sessions kept expiring).
    #[error("{0}")]
    Http(HttpError),
}

impl CloseReason {
    /// Whether restarting the server with `EraPreference::Legacy` is likely to
    /// work (the server exited on the `server/discover` probe).
    pub fn suggests_legacy_restart(&self) -> bool {
        matches!(self, CloseReason::PeerClosed { during_probe: true })
    }
}

/// Why startup failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The server did not answer `initialize` (or, with `EraPreference::Modern`,
    /// `server/discover`) in time.
    #[error("no answer to {method} within {after:?} (Config::handshake_timeout)")]
    Timeout {
        /// The method that went unanswered.
        method: &'static str,
        /// How long the client waited.
        after: Duration,
    },
    /// The server rejected `initialize` or `server/discover`.
    #[error("the server rejected {method}: {error}")]
    Rejected {
        /// The rejected method.
        method: &'static str,
        /// The server's error; a modern-only server names its versions here.
        error: ErrorObject,
    },
    /// No protocol version both sides speak.
    #[error("no common protocol version: the server speaks {server:?}, this client {client:?}")]
    NoCommonVersion {
        /// What the server listed.
        server: Vec<String>,
        /// What this client is configured to speak.
        client: Vec<ProtocolVersion>,
    },
    /// The server answered `initialize` with a version this client does not
    /// speak (the spec says to disconnect).
    #[error("the server chose protocol version {0:?}, which this client does not speak")]
    UnsupportedVersion(String),
    /// Over HTTP: the server could not be reached, or refused the handshake
    /// without a JSON-RPC error (401 means it needs authorization).
    #[error("{method} over HTTP failed: {error}")]
    Http {
        /// The step that failed.
        method: &'static str,
        /// What went wrong.
        error: HttpError,
    },
    /// The answer to `initialize` or `server/discover` did not decode.
    #[error("invalid {method} result: {detail}")]
    InvalidResult {
        /// The method.
        method: &'static str,
        /// What was wrong.
        detail: String,
    },
}

/// A breach of the protocol by the server.
///
/// While events are not being drained (a queue of them is backed up),
/// breaches of the same kind that follow one another are merged into the
/// first: its `repeats` counts the others, whose details are not kept. A
/// flood of bad lines then costs one event, not one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What kind of breach.
    pub kind: ViolationKind,
    /// Details for humans: the offending text (shortened) and what was done.
    pub detail: String,
    /// How many more breaches of this kind came right after this one and
    /// were merged into it (0: none).
    pub repeats: u64,
}

impl Violation {
    /// One breach.
    pub fn new(kind: ViolationKind, detail: impl Into<String>) -> Violation {
        Violation {
            kind,
            detail: detail.into(),
            repeats: 0,
        }
    }

    /// Merges `next` into this one if it is of the same kind (counting it
    /// and its own repeats); gives it back otherwise.
    pub fn absorb(&mut self, next: Violation) -> Result<(), Violation> {
        if next.kind != self.kind {
            return Err(next);
        }
        self.repeats = self.repeats.saturating_add(next.repeats).saturating_add(1);
        Ok(())
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)?;
        if self.repeats > 0 {
            write!(f, " (and {} more like it)", self.repeats)?;
        }
        Ok(())
    }
}

impl std::error::Error for Violation {}

/// The kinds of protocol breach the client recognizes. Under the lenient
/// policy each is reported and the connection goes on as described.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ViolationKind {
    /// A line on stdout that is not JSON (banners, stray prints). Skipped.
    NotJson,
    /// A line that is not valid UTF-8. Skipped.
    InvalidUtf8,
    /// A line longer than `Limits::max_frame_size`. Dropped unread; a request
    /// it answered fails with `RequestError::ResponseTooLarge`.
    FrameTooLarge,
    /// JSON that is not a JSON-RPC message (no method, no result or error,
    /// bad id). Skipped.
    InvalidMessage,
    /// A message without `"jsonrpc": "2.0"`. Processed anyway.
    MissingJsonrpcVersion,
    /// A response carrying both `result` and `error`. The error wins.
    ResultAndError,
    /// An error response with a null or missing id. Reported, matched to
    /// nothing.
    ErrorWithoutId,
    /// A response whose id matches no request the client sent. Ignored.
    UnknownResponseId,
    /// A JSON-RPC batch from a revision that forbids batches. Processed.
    UnexpectedBatch,
    /// A notification whose params do not decode. Delivered as
    /// `Notification::Other`.
    InvalidNotification,
    /// A notification method the client does not know. Delivered as
    /// `Notification::Other` (only reported under the strict policy).
    UnknownNotification,
    /// A progress notification whose token matches no pending request.
    /// Ignored.
    UnknownProgressToken,
    /// A server-to-client request from a modern server (they may not send
    /// any). Not answered.
    UnexpectedRequest,
    /// A subscription notification for a subscription that is not open, or
    /// of a kind not subscribed to. Dropped.
    UnexpectedSubscriptionMessage,
    /// The server refused a notification or a response the client sent over
    /// HTTP, or a stream it should keep open kept failing. Reported only;
    /// never closes the connection.
    MessageRefused,
    /// A tool whose `x-mcp-header` annotations break the spec's rules; it
    /// is left out of `tools/list` over 2026-07-28 Streamable HTTP.
    /// Reported only; never closes the connection.
    InvalidTool,
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ViolationKind::NotJson => "line is not JSON",
            ViolationKind::InvalidUtf8 => "line is not valid UTF-8",
            ViolationKind::FrameTooLarge => "frame over the size limit",
            ViolationKind::InvalidMessage => "not a JSON-RPC message",
            ViolationKind::MissingJsonrpcVersion => "missing \"jsonrpc\": \"2.0\"",
            ViolationKind::ResultAndError => "response has both result and error",
            ViolationKind::ErrorWithoutId => "error response without an id",
            ViolationKind::UnknownResponseId => "response to an unknown request id",
            ViolationKind::UnexpectedBatch => "batch from a revision without batching",
            ViolationKind::InvalidNotification => "notification params do not decode",
            ViolationKind::UnknownNotification => "unknown notification",
            ViolationKind::UnknownProgressToken => "progress for an unknown token",
            ViolationKind::UnexpectedRequest => "request from a server that may not send requests",
            ViolationKind::UnexpectedSubscriptionMessage => {
                "message for a subscription that is not open"
            }
            ViolationKind::MessageRefused => "message refused over HTTP",
            ViolationKind::InvalidTool => "invalid tool definition",
        })
    }
}

/// Things a user request may be told apart by in error messages.
impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call#{}", self.0)
    }
}

impl fmt::Display for InputId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "input#{}", self.0)
    }
}
