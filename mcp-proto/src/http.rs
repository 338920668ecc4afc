//! HTTP exchanges: what the core asks an HTTP client to do, and what it
//! needs to hear back.
//!
//! Over HTTP the core does not produce bytes for a pipe but whole requests
//! ([`HttpRequest`], in [`Output::Http`](crate::Output::Http)), each with an
//! [`ExchangeId`]. The adapter performs the request with any HTTP client and
//! reports the response back through
//! [`Client::handle_http`](crate::Client::handle_http) as it arrives: the
//! status and headers, body chunks as they come (an SSE stream may last
//! hours), then the end or a failure. When the core no longer wants a
//! response ([`Output::AbortHttp`](crate::Output::AbortHttp)), the adapter
//! closes that connection; on HTTP that is how a 2026-07-28 request is
//! cancelled.
//!
//! Everything MCP-specific (sessions, SSE, resumption, header mirroring,
//! retries, era detection) happens in the core. An adapter needs no more
//! than this module.

use std::fmt;
use std::time::Duration;

/// One HTTP request/response pair, from the core's request to the end of
/// its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExchangeId(pub u64);

impl fmt::Display for ExchangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exchange#{}", self.0)
    }
}

/// The HTTP methods MCP uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// Messages to the server.
    Post,
    /// Server-to-client streams (2025-03-26 .. 2025-11-25, and the
    /// 2024-11-05 HTTP+SSE transport).
    Get,
    /// Ending a session.
    Delete,
}

impl HttpMethod {
    /// The method as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Post => "POST",
            HttpMethod::Get => "GET",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// A request for the adapter to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Report the response under this id.
    pub id: ExchangeId,
    /// The method.
    pub method: HttpMethod,
    /// The absolute URL.
    pub url: String,
    /// Headers to send, in order, with the user's own (authorization,
    /// say) already included. The adapter adds only what its HTTP library
    /// needs (Host, Content-Length, User-Agent).
    pub headers: Vec<(String, String)>,
    /// The body (empty for GET and DELETE).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The value of a header of this request (names compare
    /// case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The status line and headers of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpHead {
    /// The status code.
    pub status: u16,
    /// The headers, as received.
    pub headers: Vec<(String, String)>,
}

impl HttpHead {
    /// The value of a header (names compare case-insensitively; the first
    /// of repeated headers).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// What happened to an exchange; report them in this order: one `Head`,
/// any number of `Body` chunks, then `End` — or `Failed` at any point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpEvent<'a> {
    /// The response's status and headers arrived.
    Head(HttpHead),
    /// The next chunk of the response body (already de-chunked and
    /// decompressed).
    Body(&'a [u8]),
    /// The response body ended normally.
    End,
    /// The exchange failed (before or after the head).
    Failed(HttpFailure),
}

/// Why an exchange failed, as far as the adapter can tell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct HttpFailure {
    /// What kind of failure.
    pub kind: HttpFailureKind,
    /// The HTTP library's message.
    pub message: String,
}

impl HttpFailure {
    /// A failure of `kind` with a message.
    pub fn new(kind: HttpFailureKind, message: impl Into<String>) -> HttpFailure {
        HttpFailure {
            kind,
            message: message.into(),
        }
    }
}

/// The kinds of exchange failure the core treats differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpFailureKind {
    /// No connection could be made (refused, unreachable, name not found):
    /// the request was not sent, so it may be sent again safely.
    Connect,
    /// The TLS handshake failed (for example, an untrusted certificate).
    Tls,
    /// The connection broke while the request was sent or the response read.
    Io,
    /// The adapter's own I/O timeout expired.
    TimedOut,
    /// Anything else (a malformed response, a redirect loop).
    Other,
}

impl fmt::Display for HttpFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HttpFailureKind::Connect => "could not connect",
            HttpFailureKind::Tls => "TLS failed",
            HttpFailureKind::Io => "connection broke",
            HttpFailureKind::TimedOut => "timed out",
            HttpFailureKind::Other => "HTTP failure",
        })
    }
}

/// What the client saw go wrong over HTTP, for errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The server answered with an error status and no JSON-RPC error.
    #[error("HTTP {status} from the server{}", body_suffix(body))]
    Status {
        /// The status code.
        status: u16,
        /// The start of the response body, for humans.
        body: String,
    },
    /// The exchange itself failed.
    #[error("{0}")]
    Failed(HttpFailure),
    /// A response stream ended before the answer and could not be resumed.
    #[error("the response stream ended before the answer arrived{}", if *resumable { "; resuming it failed too" } else { ", and the server gave no event id to resume from" })]
    StreamEnded {
        /// Whether resuming was tried.
        resumable: bool,
    },
    /// The server ended the session (HTTP 404 with the session id) and a
    /// new one could not be started, or the request may already have run.
    #[error("the server ended the MCP session{}", if *may_have_run { " while this request was in flight: it may or may not have run" } else { "" })]
    SessionExpired {
        /// The request was sent in the old session and may have run there.
        may_have_run: bool,
    },
    /// The URL does not lead to an MCP server.
    #[error("no MCP server at this URL: {0}")]
    NotMcp(String),
}

fn body_suffix(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

/// When a failed request is tried again.
///
/// Only requests that are safe to repeat are retried: everything except
/// `tools/call` (unless the tool declares `idempotentHint: true`, or
/// `retry_tool_calls` is set) and methods this client does not know. A
/// request whose connection could not be made at all was never sent, and
/// is retried whatever its method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts per request, the first included. Default 4; 1 turns
    /// retries off.
    pub max_attempts: u32,
    /// Delay before the first retry; it doubles for each further one, with
    /// jitter of up to a half. Default 250 ms.
    pub base_delay: Duration,
    /// Longest wait for one retry, also for a server's `Retry-After`. A
    /// server asking for longer gets its error reported instead. Default
    /// 30 s.
    pub max_delay: Duration,
    /// Retry `tools/call` of tools that do not declare themselves
    /// idempotent, too. Default false.
    pub retry_tool_calls: bool,
    /// Seed of the jitter, so runs are reproducible. Default 0x6d6370.
    pub seed: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            retry_tool_calls: false,
            seed: 0x6d6370,
        }
    }
}

/// How to reach an MCP server over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// The MCP endpoint (or, for a 2024-11-05 server, its SSE endpoint).
    pub url: String,
    /// Headers sent with every request (`Authorization`, say). The wire tap
    /// never shows them.
    pub headers: Vec<(String, String)>,
    /// Largest SSE event accepted, in bytes; larger ones are skipped and the
    /// request they answer fails. Default: `Limits::max_frame_size`.
    pub max_sse_event: Option<usize>,
    /// Open the 2025-03-26 .. 2025-11-25 standalone GET stream, on which a
    /// server sends requests and notifications not tied to a request.
    /// Default true.
    pub standalone_stream: bool,
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// Reconnection delay of SSE streams when the server sets no `retry`.
    /// Default 1 s.
    pub default_reconnect: Duration,
    /// Most reconnections of one stream in a row without a message. Default 5.
    pub max_reconnects: u32,
    /// Most new sessions started in a row after the server ends one, before
    /// giving up. Default 3.
    pub max_session_restarts: u32,
    /// How long closing waits for the `DELETE` that ends a session. Default 2 s.
    pub close_timeout: Duration,
}

impl HttpOptions {
    /// Options for `url` with defaults.
    pub fn new(url: impl Into<String>) -> HttpOptions {
        HttpOptions {
            url: url.into(),
            headers: Vec::new(),
            max_sse_event: None,
            standalone_stream: true,
            retry: RetryPolicy::default(),
            default_reconnect: Duration::from_secs(1),
            max_reconnects: 5,
            max_session_restarts: 3,
            close_timeout: Duration::from_secs(2),
        }
    }

    /// Adds a header sent with every request.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Why an [`HttpOptions`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpConfigError {
    /// The URL does not parse.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Only `http` and `https` URLs lead to MCP servers.
    #[error("unsupported URL scheme {0:?}: use http:// or https://")]
    Scheme(String),
    /// A header name or value that cannot go on the wire.
    #[error("invalid header {name:?}: {reason}")]
    InvalidHeader {
        /// The header's name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

pub(crate) fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
